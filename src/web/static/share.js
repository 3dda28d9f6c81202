// The share block: "Copy link", and "Share on Mastodon" on the visitor's own
// server. The server's name is asked once and kept in this browser
// (localStorage), never sent to us; the share page opens in a new tab with
// the text prefilled. Without JavaScript the form goes through
// /share/mastodon, which redirects to the same place.
const KEY = "undersign:mastodon-server";

// A host name only: letters, digits and hyphens in dot-separated labels, with a dot.
// (The same rule as serverName in src/web/share.tsx.)
const HOST = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/** What the visitor typed, reduced to a host name, or null. Accepts "https://host/" and "@user@host". */
export function serverName(typed) {
  let s = String(typed).trim().toLowerCase();
  s = s.replace(/^https?:\/\//, "").replace(/\/+$/, "");
  if (/^@?[^@\s/]+@[^@\s/]+$/.test(s)) s = s.slice(s.lastIndexOf("@") + 1);
  return HOST.test(s) ? s : null;
}

const storage = {
  get() {
    try {
      return localStorage.getItem(KEY);
    } catch {
      return null;
    }
  },
  set(value) {
    try {
      if (value == null) localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, value);
    } catch {
      // Storage switched off: ask again next time.
    }
  },
};

for (const block of document.querySelectorAll(".share")) {
  const status = block.querySelector("[data-share-status]");
  const input = block.querySelector("[data-share-url]");
  const copy = block.querySelector("[data-copy-link]");
  if (copy != null && input != null && navigator.clipboard != null) {
    copy.hidden = false;
    copy.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(input.value);
        status.textContent = copy.dataset.copied ?? "Link copied.";
      } catch {
        input.select();
        status.textContent = "Select the link and copy it.";
      }
    });
  }

  // The phone's share sheet, where the browser offers one.
  const native = block.querySelector("[data-native-share]");
  if (native != null && input != null && typeof navigator.share === "function") {
    native.hidden = false;
    native.addEventListener("click", async () => {
      try {
        await navigator.share({ title: document.title, text: native.dataset.shareText ?? "", url: input.value });
      } catch {
        // Closed without sharing: nothing to say.
      }
    });
  }

  const form = block.querySelector("[data-share-mastodon]");
  if (form == null) continue;
  const field = form.querySelector("[data-server-field]");
  const server = form.querySelector("input[name=server]");
  const error = form.querySelector("[data-server-error]");
  const remembered = form.querySelector("[data-server-remembered]");
  const nameOut = form.querySelector("[data-server-name]");
  const change = form.querySelector("[data-change-server]");

  const showError = (message) => {
    error.textContent = message;
    error.hidden = message === "";
    if (message === "") server.removeAttribute("aria-invalid");
    else server.setAttribute("aria-invalid", "true");
  };
  const show = () => {
    const saved = serverName(storage.get() ?? "");
    field.hidden = saved != null;
    remembered.hidden = saved == null;
    nameOut.textContent = saved ?? "";
  };
  show();

  change.addEventListener("click", () => {
    const saved = storage.get();
    storage.set(null);
    show();
    server.value = saved ?? "";
    server.focus();
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    let host = serverName(storage.get() ?? "");
    if (host == null) {
      const typed = server.value;
      if (typed.trim() === "") {
        showError("Type the name of your Mastodon server, like mastodon.social.");
        server.focus();
        return;
      }
      host = serverName(typed);
      if (host == null) {
        showError("That is not a server name: type only its name, like mastodon.social.");
        server.focus();
        return;
      }
      showError("");
      storage.set(host);
      show();
    }
    const text = form.querySelector("input[name=text]").value;
    const url = `https://${host}/share?text=${encodeURIComponent(text)}`;
    window.open(url, "_blank", "noopener,noreferrer");
  });
}
