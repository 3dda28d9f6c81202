// The strike banner, for any website:
//   <script src="https://our.site/embed/strike-banner.js" async></script>
// Before the strike it shows a small banner at the bottom of the page that
// links to the strike; during the strike window, a full-page notice. Either
// can be dismissed; that is remembered in this browser for the rest of the
// day (localStorage on the host site). No cookies, no tracking: the only
// request is for the strike's dates, to the site that served this script,
// without credentials or referrer. Everything is built with textContent and
// element.style (no HTML strings, no style sheets), so it works under strict
// Content-Security-Policies too.
(() => {
  const script = document.currentScript;
  let origin;
  try {
    origin = new URL(script.src).origin;
  } catch {
    return;
  }
  const STORE = `undersign-strike-banner:${origin}`;

  // The texts in every language the site speaks, from its catalogs
  // (src/i18n/catalogs, filled in when the script is served: src/i18n/banner.ts).
  const TEXTS = /* catalogs */ { en: {} };
  const RTL = /* right-to-left */ [];

  /** The first of the visitor's languages we have texts for, else English. */
  const pickLanguage = () => {
    const wanted = navigator.languages?.length ? navigator.languages : [navigator.language || "en"];
    for (const tag of wanted) {
      const base = String(tag).toLowerCase().split("-")[0];
      if (Object.hasOwn(TEXTS, base)) return base;
    }
    return "en";
  };
  const lang = pickLanguage();
  const messages = TEXTS[lang];
  const fill = (message, values) => String(message ?? "").replace(/\{(\w+)\}/g, (_, name) => values[name] ?? "");
  const t = {
    join: messages.join,
    hide: messages.hide,
    today: messages.today,
    explain: (dates, tags) => fill(messages.explain, { dates, tags }),
    why: messages.why,
    continue: messages.continue,
  };
  const dir = RTL.includes(lang) ? "rtl" : "ltr";

  const formatDays = (days) => {
    const format = new Intl.DateTimeFormat(lang, { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
    const dates = days.map((d) => new Date(`${d}T00:00:00Z`));
    if (dates.some((d) => Number.isNaN(d.getTime()))) return days.join(", ");
    if (dates.length === 1) return format.format(dates[0]);
    const consecutive = dates.every((d, i) => i === 0 || d.getTime() - dates[i - 1].getTime() === 86_400_000);
    if (consecutive && format.formatRange) return format.formatRange(dates[0], dates[dates.length - 1]);
    return new Intl.ListFormat(lang, { type: "conjunction" }).format(dates.map((d) => format.format(d)));
  };

  /** The visitor's date today, for "dismissed today". */
  const today = () => {
    const d = new Date();
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  };
  const dismissedToday = (kind) => {
    try {
      return JSON.parse(localStorage.getItem(STORE) ?? "{}")[kind] === today();
    } catch {
      return false;
    }
  };
  const rememberDismissed = (kind) => {
    try {
      const saved = JSON.parse(localStorage.getItem(STORE) ?? "{}");
      saved[kind] = today();
      localStorage.setItem(STORE, JSON.stringify(saved));
    } catch {
      // Storage switched off: it shows again on the next page.
    }
  };

  const dark = window.matchMedia?.("(prefers-color-scheme: dark)").matches === true;
  const colors = dark
    ? {
        bg: "#1b1f26",
        text: "#e7e5e0",
        muted: "#a6adb7",
        accent: "#93bbf0",
        onAccent: "#0d1a2b",
        gold: "#e8b949",
        band: "#0d1a2b",
        backdrop: "#0b0e13",
      }
    : {
        bg: "#ffffff",
        text: "#1b1d21",
        muted: "#545a63",
        accent: "#1d4e89",
        onAccent: "#ffffff",
        gold: "#e0a826",
        band: "#1d4e89",
        backdrop: "#13263d",
      };
  const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Liberation Sans", Arial, sans-serif';

  /** An element with text and styles (no HTML, no style attribute strings). */
  const el = (tag, style, text) => {
    const node = document.createElement(tag);
    Object.assign(node.style, style);
    if (text != null) node.textContent = text;
    return node;
  };
  const reset = {
    margin: "0",
    padding: "0",
    boxSizing: "border-box",
    font: `400 16px/1.45 ${FONT}`,
    letterSpacing: "normal",
    textTransform: "none",
    textAlign: "left",
  };

  const showBanner = (strike, dates) => {
    const bar = el("div", {
      ...reset,
      position: "fixed",
      left: "0",
      right: "0",
      bottom: "0",
      zIndex: "2147483646",
      display: "flex",
      flexWrap: "wrap",
      alignItems: "center",
      justifyContent: "center",
      gap: "6px 14px",
      padding: "10px 52px 10px 16px",
      background: colors.band,
      color: "#ffffff",
      borderTop: `4px solid ${colors.gold}`,
      boxShadow: "0 -2px 12px rgba(0,0,0,.25)",
    });
    bar.setAttribute("role", "region");
    bar.setAttribute("aria-label", strike.name);
    bar.setAttribute("data-undersign-strike", "banner");
    bar.setAttribute("lang", lang);
    bar.setAttribute("dir", dir);
    bar.append(el("span", { ...reset, color: "#ffffff", fontWeight: "600" }, `${strike.name}: ${dates}`));
    const link = el(
      "a",
      { ...reset, color: "#ffffff", fontWeight: "700", textDecoration: "underline", textUnderlineOffset: "3px" },
      `${t.join} →`,
    );
    link.href = strike.url;
    link.target = "_blank";
    link.rel = "noopener";
    bar.append(link);
    const close = el(
      "button",
      {
        ...reset,
        position: "absolute",
        right: "10px",
        top: "50%",
        transform: "translateY(-50%)",
        width: "34px",
        height: "34px",
        display: "grid",
        placeItems: "center",
        background: "transparent",
        color: "#ffffff",
        border: "1px solid rgba(255,255,255,.7)",
        borderRadius: "6px",
        cursor: "pointer",
        fontSize: "20px",
        lineHeight: "1",
      },
      "×",
    );
    close.type = "button";
    close.setAttribute("aria-label", t.hide);
    close.title = t.hide;
    close.addEventListener("click", () => {
      rememberDismissed("banner");
      bar.remove();
    });
    bar.append(close);
    document.body.append(bar);
  };

  const showOverlay = (strike, dates) => {
    const previousFocus = document.activeElement;
    const previousOverflow = document.documentElement.style.overflow;
    const backdrop = el("div", {
      ...reset,
      position: "fixed",
      inset: "0",
      zIndex: "2147483647",
      display: "flex",
      alignItems: "center",
      justifyContent: "center",
      padding: "16px",
      background: colors.backdrop,
      overflowY: "auto",
    });
    backdrop.setAttribute("data-undersign-strike", "overlay");
    const dialog = el("div", {
      ...reset,
      width: "100%",
      maxWidth: "36rem",
      maxHeight: "100%",
      overflowY: "auto",
      padding: "28px 24px 24px",
      background: colors.bg,
      color: colors.text,
      borderTop: `8px solid ${colors.gold}`,
      borderRadius: "10px",
      boxShadow: "0 10px 40px rgba(0,0,0,.45)",
      // Focused by the script so screen readers start here; no ring around the whole card.
      outline: "none",
    });
    dialog.setAttribute("role", "dialog");
    dialog.setAttribute("aria-modal", "true");
    dialog.setAttribute("aria-labelledby", "undersign-strike-title");
    dialog.setAttribute("aria-describedby", "undersign-strike-text");
    dialog.setAttribute("lang", lang);
    dialog.setAttribute("dir", dir);
    dialog.tabIndex = -1;
    const tags = strike.hashtags.map((tag) => `#${tag}`).join(" ");
    dialog.append(
      el(
        "p",
        {
          ...reset,
          color: colors.muted,
          fontWeight: "700",
          fontSize: "14px",
          letterSpacing: "0.06em",
          textTransform: "uppercase",
          marginBottom: "8px",
        },
        tags,
      ),
    );
    const title = el(
      "h2",
      { ...reset, color: colors.text, font: `700 clamp(26px, 6vw, 34px)/1.15 ${FONT}`, marginBottom: "14px" },
      strike.name,
    );
    title.id = "undersign-strike-title";
    dialog.append(title);
    const text = el("div", { ...reset });
    text.id = "undersign-strike-text";
    text.append(
      el("p", { ...reset, color: colors.text, fontSize: "19px", fontWeight: "700", marginBottom: "10px" }, t.today),
      el("p", { ...reset, color: colors.text, marginBottom: "22px" }, t.explain(dates, tags)),
    );
    dialog.append(text);
    const actions = el("div", { ...reset, display: "flex", flexWrap: "wrap", gap: "10px" });
    const button = {
      ...reset,
      display: "inline-flex",
      alignItems: "center",
      justifyContent: "center",
      minHeight: "44px",
      padding: "10px 18px",
      borderRadius: "8px",
      fontWeight: "700",
      cursor: "pointer",
      flex: "1 1 14rem",
      textAlign: "center",
    };
    const link = el(
      "a",
      {
        ...button,
        background: colors.accent,
        color: colors.onAccent,
        border: `2px solid ${colors.accent}`,
        textDecoration: "none",
      },
      t.why,
    );
    link.href = strike.url;
    link.target = "_blank";
    link.rel = "noopener";
    const close = el(
      "button",
      { ...button, background: "transparent", color: colors.accent, border: `2px solid ${colors.accent}` },
      t.continue,
    );
    close.type = "button";
    actions.append(link, close);
    dialog.append(actions);
    backdrop.append(dialog);

    const dismiss = () => {
      rememberDismissed("overlay");
      backdrop.remove();
      document.removeEventListener("keydown", onKey, true);
      document.documentElement.style.overflow = previousOverflow;
      if (previousFocus instanceof HTMLElement) previousFocus.focus();
    };
    // Escape closes; Tab stays inside the notice while it is open.
    const onKey = (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        dismiss();
      } else if (event.key === "Tab") {
        const first = link;
        const last = close;
        if (event.shiftKey && (document.activeElement === first || document.activeElement === dialog)) {
          event.preventDefault();
          last.focus();
        } else if (!event.shiftKey && document.activeElement === last) {
          event.preventDefault();
          first.focus();
        }
      }
    };
    close.addEventListener("click", dismiss);
    document.addEventListener("keydown", onKey, true);
    document.documentElement.style.overflow = "hidden";
    document.body.append(backdrop);
    dialog.focus();
  };

  const run = async () => {
    let strike;
    try {
      const response = await fetch(`${origin}/api/strike`, {
        credentials: "omit",
        referrerPolicy: "no-referrer",
        mode: "cors",
      });
      if (!response.ok) return;
      strike = await response.json();
    } catch {
      return;
    }
    const start = Date.parse(strike?.start);
    const end = Date.parse(strike?.end);
    if (
      typeof strike?.name !== "string" ||
      !Array.isArray(strike.days) ||
      !Array.isArray(strike.hashtags) ||
      Number.isNaN(start) ||
      Number.isNaN(end)
    )
      return;
    try {
      if (new URL(strike.url).origin !== origin) return;
    } catch {
      return;
    }
    const dates = formatDays(strike.days.map(String));
    const now = Date.now();
    if (now >= end) return;
    if (now >= start) {
      if (!dismissedToday("overlay")) showOverlay(strike, dates);
    } else if (!dismissedToday("banner")) {
      showBanner(strike, dates);
    }
  };

  if (document.body != null) run();
  else document.addEventListener("DOMContentLoaded", run, { once: true });
})();
