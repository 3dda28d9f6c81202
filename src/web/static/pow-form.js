// The anti-spam check and its form (web/signing/ProofOfWorkField.tsx).
//
// - Sent before the check is done (Enter pressed right after typing): the
//   form waits, says so in its status line, and sends itself once the check
//   is done.
// - A check that expired while the tab stayed open (its challenge is valid
//   for a limited time) is renewed: at once when the widget notices, and on
//   sending when the clock says so (a sleeping laptop or a throttled
//   background tab may never have run the widget's timer).
// Without this script the widget still works; the server then explains a
// missing or expired check and keeps what was typed.
const MARGIN_MS = 30_000;

function expiresAt(value) {
  try {
    const payload = JSON.parse(atob(value));
    const seconds = payload?.challenge?.parameters?.expiresAt;
    return typeof seconds === "number" ? seconds * 1000 : 0;
  } catch {
    return 0;
  }
}

function enhance(widget) {
  const form = widget.closest("form");
  if (form == null || form.dataset.powForm === "on") return;
  form.dataset.powForm = "on";
  const status = form.querySelector("[data-pow-status]");
  const fieldName = widget.getAttribute("name") || "altcha";
  const payload = () => form.querySelector(`input[name="${fieldName}"]`)?.value ?? "";
  const state = () => widget.getState?.() ?? "unverified";
  let waiting = false;
  let submitter = null;
  let sendAnyway = false;

  const say = (text) => {
    if (status == null) return;
    status.textContent = text;
    status.hidden = text === "";
  };
  const fresh = () => state() === "verified" && expiresAt(payload()) - Date.now() > MARGIN_MS;
  const renew = () => {
    if (state() === "verifying") return;
    widget.reset?.();
    widget.verify?.();
  };

  form.addEventListener("submit", (event) => {
    if (sendAnyway || fresh()) {
      sendAnyway = false;
      return;
    }
    event.preventDefault();
    waiting = true;
    submitter = event.submitter ?? null;
    form.setAttribute("aria-busy", "true");
    say(
      state() === "verified" || state() === "expired"
        ? "The anti-spam check expired while this page was open; renewing it. Your form is sent as soon as it is done."
        : "Finishing the anti-spam check… Your form is sent by itself as soon as it is done.",
    );
    renew();
  });

  widget.addEventListener("statechange", (event) => {
    const now = event.detail?.state;
    if (now === "verified" && waiting) {
      waiting = false;
      form.removeAttribute("aria-busy");
      say("Anti-spam check done. Sending…");
      // The widget fills its hidden field after this event; do not wait for it.
      const input = form.querySelector(`input[name="${fieldName}"]`);
      if (input != null && typeof event.detail?.payload === "string") input.value = event.detail.payload;
      sendAnyway = true;
      setTimeout(() => {
        if (typeof form.requestSubmit === "function") form.requestSubmit(submitter ?? undefined);
        else form.submit();
      }, 0);
    } else if (now === "error" && waiting) {
      waiting = false;
      form.removeAttribute("aria-busy");
      say("The anti-spam check failed. Please press the button again to retry; your entries are kept.");
    } else if (now === "expired") {
      // Renew at once: the visitor may be about to press the button.
      renew();
    }
  });
}

customElements.whenDefined("altcha-widget").then(() => {
  for (const widget of document.querySelectorAll("altcha-widget")) enhance(widget);
});
