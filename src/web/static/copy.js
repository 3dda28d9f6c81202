// "Copy" buttons: a button with data-copy-target="id" copies that input's
// value, says so in the nearest [data-copy-status], and falls back to
// selecting the text.  Without JavaScript (or a clipboard) the button stays
// hidden and the text can be selected by hand.
for (const button of document.querySelectorAll("[data-copy-target]")) {
  const source = document.getElementById(button.dataset.copyTarget);
  if (source == null || navigator.clipboard == null) continue;
  const status = button.closest("section, div")?.parentElement?.querySelector("[data-copy-status]");
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(source.value);
      if (status != null) status.textContent = "Copied. Keep it somewhere only you can see it.";
    } catch {
      source.select();
      if (status != null) status.textContent = "Select the link and copy it.";
    }
  });
}
