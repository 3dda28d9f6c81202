// "Copy" buttons: a button with data-copy-target="id" copies that element's
// data-copy-text (or an input's value), says so in the [data-copy-status]
// beside it, and falls back to selecting the text.  Without JavaScript (or a clipboard) the button stays
// hidden and the text can be selected by hand.
for (const button of document.querySelectorAll("[data-copy-target]")) {
  const source = document.getElementById(button.dataset.copyTarget);
  if (source == null || navigator.clipboard == null) continue;
  const status = button.parentElement?.querySelector("[data-copy-status]");
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(source.dataset.copyText ?? source.value);
      if (status != null) status.textContent = "Copied. Keep it somewhere only you can see it.";
    } catch {
      if (typeof source.select === "function") source.select();
      else getSelection()?.selectAllChildren(source);
      if (status != null) status.textContent = "Select the link and copy it.";
    }
  });
}
