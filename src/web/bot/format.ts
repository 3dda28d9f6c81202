/** Dates and times on the bot's pages, in words, and the time zones to choose from. */

export const ZONES: readonly string[] = (() => {
  const zones = Intl.supportedValuesOf("timeZone");
  return zones.includes("UTC") ? zones : ["UTC", ...zones];
})();

/** The strike's days as one phrase: "July 4, 2027 and July 5, 2027". */
export function dayWords(days: readonly string[]): string {
  const format = new Intl.DateTimeFormat("en", { dateStyle: "long", timeZone: "UTC" });
  return new Intl.ListFormat("en", { type: "conjunction" }).format(
    days.map((d) => format.format(new Date(`${d}T12:00:00Z`))),
  );
}

export function dayLabel(day: string): string {
  return new Intl.DateTimeFormat("en", {
    weekday: "long",
    month: "long",
    day: "numeric",
    year: "numeric",
    timeZone: "UTC",
  }).format(new Date(`${day}T12:00:00Z`));
}

export function timeIn(date: Date, timeZone: string): string {
  return new Intl.DateTimeFormat("en", {
    weekday: "short",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZone,
  }).format(date);
}
