// The memes gallery (/memes): "Copy description", "Copy link" and "Share…"
// buttons.  Without this script the description and the link are plain,
// selectable text; the buttons stay hidden where the browser cannot do what
// they say.
const canCopy = typeof navigator.clipboard?.writeText === "function" && window.isSecureContext;
const canShare = typeof navigator.share === "function";

function say(button, message) {
  const status = button.closest(".meme")?.querySelector(".meme-status");
  if (status == null) return;
  status.textContent = message;
  clearTimeout(status.clearTimer);
  status.clearTimer = setTimeout(() => (status.textContent = ""), 4000);
}

async function copy(button, text) {
  try {
    await navigator.clipboard.writeText(text);
    say(button, button.dataset.copied ?? "Copied.");
  } catch {
    say(button, "Copying did not work here; please select the text and copy it.");
  }
}

for (const button of document.querySelectorAll("button[data-copy-from], button[data-copy-text]")) {
  if (!canCopy) continue;
  button.hidden = false;
  button.addEventListener("click", () => {
    const from = button.dataset.copyFrom;
    const text = from != null ? (document.getElementById(from)?.textContent ?? "") : (button.dataset.copyText ?? "");
    void copy(button, text.trim());
  });
}

for (const button of document.querySelectorAll("button[data-share-url]")) {
  if (!canShare) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    const data = { url: button.dataset.shareUrl, text: button.dataset.shareText };
    if (button.dataset.shareTitle) data.title = button.dataset.shareTitle;
    try {
      await navigator.share(data);
    } catch (error) {
      // Closing the share sheet is not an error worth telling.
      if (error?.name !== "AbortError") say(button, "Sharing did not work here; please copy the link instead.");
    }
  });
}
