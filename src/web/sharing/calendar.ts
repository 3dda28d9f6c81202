/**
 * `GET /strike.ics`: the strike's days as an iCalendar file (RFC 5545) to add
 * to a calendar.  Each run of consecutive strike days is one event, from
 * local midnight of its first day to local midnight after its last, in the
 * strike's time zone, written in UTC so that no VTIMEZONE is needed.  The
 * UID stays the same for the same days, so importing the file again updates
 * the event instead of adding a second one.
 *
 * Written by hand, as the format is small: CRLF line ends, lines folded at
 * 75 octets (never inside a UTF-8 sequence), TEXT values escaped.
 */
import { Hono } from "hono";
import { readStrikeSettingsValue } from "../../db/strike.ts";
import { parseStoredSettings, type StrikeSettings } from "../../strike/settings.ts";
import { localMidnight, nextDay } from "../../strike/window.ts";
import type { WebEnv } from "../kit/context.ts";

/** A TEXT value: backslash, semicolon, comma and line breaks escaped (RFC 5545 3.3.11). */
export function icsText(value: string): string {
  return value
    .replace(/\\/g, "\\\\")
    .replace(/;/g, "\\;")
    .replace(/,/g, "\\,")
    .replace(/\r\n|\r|\n/g, "\\n");
}

/** One content line folded at 75 octets: CRLF and a space before each continuation (RFC 5545 3.1). */
export function foldLine(line: string): string {
  const encoder = new TextEncoder();
  const parts: string[] = [];
  let current = "";
  let octets = 0;
  for (const char of line) {
    const size = encoder.encode(char).length;
    // The first line holds 75 octets; each continuation 74 after its leading space.
    if (octets + size > (parts.length === 0 ? 75 : 74)) {
      parts.push(current);
      current = "";
      octets = 0;
    }
    current += char;
    octets += size;
  }
  parts.push(current);
  return parts.join("\r\n ");
}

/** 20270704T040000Z */
function utcStamp(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}Z$/, "Z");
}

/** The strike days grouped into runs of consecutive days. */
function runsOf(days: readonly string[]): string[][] {
  const runs: string[][] = [];
  for (const day of days) {
    const last = runs[runs.length - 1];
    if (last != null && nextDay(last[last.length - 1]!) === day) last.push(day);
    else runs.push([day]);
  }
  return runs;
}

export interface StrikeCalendarInput {
  readonly settings: StrikeSettings;
  readonly origin: URL;
  readonly siteName: string;
  /** DTSTAMP: when the file was made. */
  readonly now: Date;
}

export function strikeCalendar(input: StrikeCalendarInput): string {
  const { settings, origin, siteName } = input;
  const url = new URL("/strike", origin).href;
  const tags = settings.hashtags.map((t) => `#${t}`).join(" ");
  const lines = [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//undersign//Strike calendar//EN",
    "CALSCALE:GREGORIAN",
    "METHOD:PUBLISH",
    `X-WR-CALNAME:${icsText(settings.name)}`,
  ];
  for (const run of runsOf(settings.days)) {
    const first = run[0]!;
    const last = run[run.length - 1]!;
    lines.push(
      "BEGIN:VEVENT",
      `UID:strike-${first}-${last}@${origin.host}`,
      `DTSTAMP:${utcStamp(input.now)}`,
      `DTSTART:${utcStamp(localMidnight(first, settings.timeZone))}`,
      `DTEND:${utcStamp(localMidnight(nextDay(last), settings.timeZone))}`,
      `SUMMARY:${icsText(settings.name)}`,
      `DESCRIPTION:${icsText(
        `${settings.name} (days counted in ${settings.timeZone}): post nothing on big social media but strike notices with ${tags}.\nSign the Declaration and pledge to strike: ${url}\n— ${siteName}`,
      )}`,
      `URL:${url}`,
      "TRANSP:TRANSPARENT",
      "END:VEVENT",
    );
  }
  lines.push("END:VCALENDAR");
  return `${lines.map(foldLine).join("\r\n")}\r\n`;
}

export const calendarRoutes = new Hono<WebEnv>().get("/strike.ics", (c) => {
  const { db, config } = c.get("deps");
  const now = new Date();
  const settings = parseStoredSettings(readStrikeSettingsValue(db), now);
  return c.body(strikeCalendar({ settings, origin: config.origin, siteName: config.instanceName, now }), 200, {
    "Content-Type": "text/calendar; charset=utf-8",
    "Content-Disposition": 'attachment; filename="strike.ics"',
    "Cache-Control": "public, max-age=300",
  });
});
