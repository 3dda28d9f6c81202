/**
 * When the strike happens: from local midnight at the start of its first day
 * to local midnight after its last day, in the strike's time zone.  Pure: no
 * I/O, only `Intl` for the zone's offsets (so daylight-saving changes are
 * counted: a day may be 23 or 25 hours long).
 */

export interface StrikeDay {
  /** YYYY-MM-DD */
  readonly date: string;
  readonly start: Date;
  readonly end: Date;
}

export interface StrikeWindow {
  readonly start: Date;
  readonly end: Date;
  /** Each strike day, local midnight to local midnight, in order. */
  readonly days: readonly StrikeDay[];
}

/**
 * One formatter per time zone, made once: building an `Intl.DateTimeFormat`
 * costs far more than using it, and the strike's state is worked out on many
 * requests (it was the top function of the server's profile under the
 * rehearsal's load).  Only valid zones get here (the constructor throws on
 * others), so the map stays small.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function wallClock(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** Milliseconds the zone is ahead of UTC at `instant`. */
export function zoneOffsetMs(instant: number, timeZone: string): number {
  const parts = wallClock(timeZone).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant of local midnight at the start of `day` (YYYY-MM-DD) in
 * `timeZone`.  Where midnight does not exist (a zone that springs forward at
 * 00:00), the first instant of the day.
 */
export function localMidnight(day: string, timeZone: string): Date {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d);
  // The zone's offsets a day before and a day after: at most one change lies between.
  const candidates = [
    wall - zoneOffsetMs(wall - 86_400_000, timeZone),
    wall - zoneOffsetMs(wall + 86_400_000, timeZone),
  ];
  const valid = candidates.filter((t) => t + zoneOffsetMs(t, timeZone) === wall);
  // Twice midnight (clocks set back over it): the first.  No midnight: the change itself.
  return new Date(valid.length > 0 ? Math.min(...valid) : Math.max(...candidates));
}

/** The day after `day` (YYYY-MM-DD), in the calendar. */
export function nextDay(day: string): string {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

/** From the first day's local midnight to the local midnight after the last day (days in order). */
export function strikeWindow(days: readonly string[], timeZone: string): StrikeWindow {
  const each = [...days]
    .sort()
    .map((date) => ({ date, start: localMidnight(date, timeZone), end: localMidnight(nextDay(date), timeZone) }));
  return { start: each[0]!.start, end: each[each.length - 1]!.end, days: each };
}

/** Whether the strike is yet to come, on now, or over. */
export function strikePhase(window: StrikeWindow, now: Date): "upcoming" | "on" | "over" {
  if (now.getTime() < window.start.getTime()) return "upcoming";
  return now.getTime() < window.end.getTime() ? "on" : "over";
}
