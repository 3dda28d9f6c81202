// /admin/strike and /bot/{id}: shows the visitor's own time zone next to the
// zone field (named by the hint's data-for, else the strike's), with a button
// to use it.  Without JavaScript the hint stays hidden.
(() => {
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    return;
  }
  var box = document.querySelector(".own-zone");
  var input = box && document.getElementById(box.getAttribute("data-for") || "strike-timeZone");
  if (!zone || box == null || input == null) return;
  box.querySelector("[data-own-zone]").textContent = zone;
  box.querySelector("[data-use-own-zone]").addEventListener("click", () => {
    input.value = zone;
    input.focus();
  });
  box.hidden = false;
})();
