// Keeps the signature count on a Declaration page current while it is open:
// every 15 seconds (and when the tab becomes visible again) it asks the JSON
// API for the count. Without JavaScript the page shows the count at load time.
const source = document.querySelector("[data-live-count]");
if (source != null) {
  const url = source.getAttribute("data-live-count");
  const words = (n, one, many) => `${n.toLocaleString("en")} ${n === 1 ? one : many}`;
  let last = null;
  const refresh = async () => {
    if (document.hidden) return;
    try {
      const response = await fetch(url, { headers: { accept: "application/json" } });
      if (!response.ok) return;
      const { signatureCount } = await response.json();
      if (typeof signatureCount !== "number" || signatureCount === last) return;
      last = signatureCount;
      for (const el of document.querySelectorAll("[data-count-people]"))
        el.textContent = words(signatureCount, "person has", "people have");
      for (const el of document.querySelectorAll("[data-count-signatures]"))
        el.textContent = words(signatureCount, "signature", "signatures");
    } catch {
      // Offline or the server is busy: keep the number shown.
    }
  };
  setInterval(refresh, 15000);
  document.addEventListener("visibilitychange", refresh);
}
