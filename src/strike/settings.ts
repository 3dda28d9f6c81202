/**
 * The strike's settings: what it is called, its hashtags, its days and time
 * zone, how often Declarations post notices during it, which Declarations do,
 * and the notice templates.  Stored as one JSON value (src/db/strike.ts);
 * every value read back is validated here, so a bad stored value falls back
 * to the defaults field by field instead of breaking the site.  Pure: no I/O.
 */
import { z } from "zod";

export interface NoticeTemplate {
  /** Text with placeholders such as {declaration_url}; at most 500 characters. */
  readonly text: string;
  /** Images posted with the notice (media ids, at most 4; each has alt text). */
  readonly mediaIds: readonly number[];
}

export interface StrikeSettings {
  readonly name: string;
  /** Without the leading '#'; the first is the strike's own (SocialMediaStrike). */
  readonly hashtags: readonly string[];
  /** ISO dates (YYYY-MM-DD), in order, at least one. */
  readonly days: readonly string[];
  /** IANA time zone the days are counted in. */
  readonly timeZone: string;
  /** Minutes between notices (60 = hourly). */
  readonly cadenceMinutes: number;
  /** Slugs of the Declarations that post notices. */
  readonly declarations: readonly string[];
  readonly templates: readonly NoticeTemplate[];
  /** Notices are not posted while paused. */
  readonly paused: boolean;
}

export const DEFAULT_TEMPLATES: readonly NoticeTemplate[] = [
  {
    text: "Today I am on strike from big social media. I only post this: sign the Declaration with me — {signature_count} people have. {declaration_url} {hashtags}",
    mediaIds: [],
  },
  {
    text: "{hours_left} hours of the strike left. Favourite this post to sign, or sign at {declaration_url} — and tell one friend. {hashtags}",
    mediaIds: [],
  },
  {
    text: "Our words, our networks. Join the strike: post nothing but this notice, and try an open network today. {declaration_url} {hashtags}",
    mediaIds: [],
  },
];

/** July 4 and 5 of the next year whose July 5 has not ended yet (counted in UTC). */
export function defaultStrikeDays(now: Date): string[] {
  const year = now.getUTCFullYear();
  const endOfStrike = Date.UTC(year, 6, 6);
  const y = now.getTime() < endOfStrike ? year : year + 1;
  return [`${y}-07-04`, `${y}-07-05`];
}

export function defaultStrikeSettings(now: Date): StrikeSettings {
  return {
    name: "Social Media Strike",
    hashtags: ["SocialMediaStrike"],
    days: defaultStrikeDays(now),
    timeZone: "UTC",
    cadenceMinutes: 60,
    declarations: [],
    templates: DEFAULT_TEMPLATES,
    paused: false,
  };
}

/** Whether `zone` is an IANA time zone this runtime knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Whether `day` is a real calendar date written YYYY-MM-DD. */
export function isIsoDay(day: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (m == null) return false;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return date.toISOString().slice(0, 10) === day;
}

const storedSchema = z.object({
  name: z.string().min(1).max(100),
  hashtags: z.array(z.string().regex(/^[\p{L}\p{N}_]{1,100}$/u)).min(1).max(10),
  days: z.array(z.string().refine(isIsoDay)).min(1).max(14),
  timeZone: z.string().refine(isTimeZone),
  cadenceMinutes: z.number().int().min(15).max(24 * 60),
  declarations: z.array(z.string()).max(100),
  templates: z.array(z.object({ text: z.string().min(1).max(500), mediaIds: z.array(z.number().int().positive()).max(4) })).min(1).max(50),
  paused: z.boolean(),
});

/** Reads stored settings: each field that is missing or invalid takes its default. */
export function parseStoredSettings(stored: unknown, now: Date): StrikeSettings {
  const defaults = defaultStrikeSettings(now);
  if (stored == null || typeof stored !== "object") return defaults;
  const shape = storedSchema.shape;
  const out: Record<string, unknown> = { ...defaults };
  for (const key of Object.keys(shape) as (keyof typeof shape)[]) {
    const parsed = shape[key].safeParse((stored as Record<string, unknown>)[key]);
    if (parsed.success) out[key] = parsed.data;
  }
  return out as unknown as StrikeSettings;
}
