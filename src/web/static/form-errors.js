// After a form comes back with errors, move the focus to its error summary,
// so keyboard and screen-reader users start where the problems are listed
// (each links to its field).  Only the first summary on the page.
const summary = document.querySelector(".form-errors[tabindex='-1']");
if (summary != null && !summary.closest("[hidden]")) {
  summary.focus({ preventScroll: true });
  summary.scrollIntoView({ block: "center" });
}
