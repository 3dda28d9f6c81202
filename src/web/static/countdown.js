// The strike page's countdown: ticks every second, and shows the strike's
// window in the visitor's own time zone. Without JavaScript the page shows
// the countdown as it was when the page was made.
// data-countdown holds each strike day as "start/end" (ISO instants), in order.
const el = document.querySelector("[data-countdown]");
if (el != null) {
  const days = el
    .getAttribute("data-countdown")
    .split(" ")
    .filter(Boolean)
    .map((pair) => pair.split("/").map((iso) => new Date(iso).getTime()));
  const unit = (n, one) => `${n} ${n === 1 ? one : `${one}s`}`;
  const span = (ms) => {
    const s = Math.max(0, Math.floor(ms / 1000));
    const parts = [
      [Math.floor(s / 86400), "day"],
      [Math.floor(s / 3600) % 24, "hour"],
      [Math.floor(s / 60) % 60, "minute"],
      [s % 60, "second"],
    ];
    const first = parts.findIndex(([n]) => n > 0);
    return first < 0
      ? "0 seconds"
      : parts
          .slice(first)
          .map(([n, u]) => unit(n, u))
          .join(", ");
  };
  const tick = () => {
    const now = Date.now();
    let text = "The strike is over.";
    if (days.length > 0 && now < days[0][0]) text = `Starts in ${span(days[0][0] - now)}`;
    else {
      for (let i = 0; i < days.length; i++) {
        const [start, end] = days[i];
        if (now >= start && now < end) {
          // Consecutive days run together: count to the end of the run.
          let j = i;
          while (j + 1 < days.length && days[j + 1][0] === days[j][1]) j++;
          text = `On now: ends in ${span(days[j][1] - now)}`;
          break;
        }
        if (now < start) {
          text = `Next strike day starts in ${span(start - now)}`;
          break;
        }
      }
    }
    if (el.textContent !== text) el.textContent = text;
  };
  tick();
  setInterval(tick, 1000);

  const local = document.querySelector("[data-local-window]");
  if (local != null && days.length > 0) {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const format = new Intl.DateTimeFormat("en", {
      weekday: "long",
      month: "long",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    const start = new Date(days[0][0]);
    const end = new Date(days[days.length - 1][1]);
    local.textContent = `In your time (${zone.replace(/_/g, " ")}): from ${format.format(start)} to ${format.format(end)}.`;
    local.hidden = false;
  }
}
