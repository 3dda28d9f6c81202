/**
 * The strike's settings: what it is called, its hashtags, its days and time
 * zone, how often Declarations post notices during it, which Declarations do,
 * and the notice templates.  Stored as one JSON value (src/db/strike.ts);
 * every value read back is validated here, so a bad stored value falls back
 * to the defaults field by field instead of breaking the site.  Pure: no I/O.
 */
import { z } from "zod";
import { NOTICE_MEDIA_MAX, templateProblem } from "./notices.ts";

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
  /** When the site account counts down to the strike: a week before, a day before, at the start. */
  readonly countdown: readonly CountdownMoment[];
}

/** The moments the site account may post a countdown at, in order. */
export const COUNTDOWN_MOMENTS = ["week", "day", "start"] as const;
export type CountdownMoment = (typeof COUNTDOWN_MOMENTS)[number];

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
    countdown: COUNTDOWN_MOMENTS,
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
  hashtags: z
    .array(z.string().regex(/^[\p{L}\p{N}_]{1,100}$/u))
    .min(1)
    .max(10),
  days: z.array(z.string().refine(isIsoDay)).min(1).max(14),
  timeZone: z.string().refine(isTimeZone),
  cadenceMinutes: z
    .number()
    .int()
    .min(15)
    .max(24 * 60),
  declarations: z.array(z.string()).max(100),
  templates: z
    .array(z.object({ text: z.string().min(1).max(500), mediaIds: z.array(z.number().int().positive()).max(4) }))
    .min(1)
    .max(50),
  paused: z.boolean(),
  countdown: z.array(z.enum(COUNTDOWN_MOMENTS)).max(COUNTDOWN_MOMENTS.length),
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

// ---------------------------------------------------------------------------
// The site owner's form (/admin/strike)

export const NAME_MAX = 100;
export const HASHTAGS_MAX = 10;
export const DAYS_MAX = 14;
export const TEMPLATES_MAX = 50;
export const CADENCE_MIN = 15;
export const CADENCE_MAX = 24 * 60;

/** The form as typed: every value a string, kept as is to show it again on error. */
export interface StrikeFormInput {
  name: string;
  hashtags: string;
  days: string[];
  timeZone: string;
  cadence: string;
  declarations: string[];
  templates: { text: string; mediaIds: string[] }[];
  /** The countdown moments ticked (`week`, `day`, `start`). */
  countdown: string[];
}

/**
 * Problems by field: `name`, `hashtags`, `days` (none given), `day-N`,
 * `timeZone`, `cadence`, `declarations`, `countdown`, `template-N` (N counts from 1, as
 * the form shows them).
 */
export type StrikeFormErrors = Record<string, string>;

export type StrikeFormResult = { ok: true; settings: StrikeSettings } | { ok: false; errors: StrikeFormErrors };

/** What the form shows for stored settings. */
export function formInputOf(s: StrikeSettings): StrikeFormInput {
  return {
    name: s.name,
    hashtags: s.hashtags.map((t) => `#${t}`).join(" "),
    days: [...s.days],
    timeZone: s.timeZone,
    cadence: String(s.cadenceMinutes),
    declarations: [...s.declarations],
    templates: s.templates.map((t) => ({ text: t.text, mediaIds: t.mediaIds.map(String) })),
    countdown: [...s.countdown],
  };
}

/** The zone's canonical spelling (Intl accepts any case). */
function canonicalZone(zone: string): string {
  return new Intl.DateTimeFormat("en", { timeZone: zone }).resolvedOptions().timeZone;
}

/**
 * Validates the form against what exists (published Declarations, images);
 * the settings to store, or every problem at once.
 */
export function validateStrikeForm(
  input: StrikeFormInput,
  context: {
    publishedSlugs: ReadonlySet<string>;
    mediaIds: ReadonlySet<number>;
    paused: boolean;
  },
): StrikeFormResult {
  const errors: StrikeFormErrors = {};

  const name = input.name.replace(/\s+/g, " ").trim();
  if (name === "") errors.name = "Please give the strike a name, for example Social Media Strike.";
  else if (name.length > NAME_MAX) errors.name = `The name is longer than ${NAME_MAX} characters.`;

  const hashtags: string[] = [];
  for (const raw of input.hashtags.split(/[\s,]+/).filter((t) => t !== "")) {
    const tag = raw.replace(/^#/, "");
    if (!/^[\p{L}\p{N}_]{1,100}$/u.test(tag) || /^\d+$/.test(tag)) {
      errors.hashtags = `“${raw}” is not a hashtag: use letters, digits and _ only, for example #SocialMediaStrike.`;
      break;
    }
    if (!hashtags.some((t) => t.toLowerCase() === tag.toLowerCase())) hashtags.push(tag);
  }
  if (errors.hashtags == null) {
    if (hashtags.length === 0) errors.hashtags = "Please give at least one hashtag, for example #SocialMediaStrike.";
    else if (hashtags.length > HASHTAGS_MAX) errors.hashtags = `At most ${HASHTAGS_MAX} hashtags, please.`;
  }

  const days = new Set<string>();
  input.days.forEach((raw, i) => {
    const day = raw.trim();
    if (day === "") return;
    if (!isIsoDay(day)) {
      errors[`day-${i + 1}`] = /^\d{4}-\d{2}-\d{2}$/.test(day)
        ? `${day} is not a date that exists.`
        : `“${day}” is not a date: write it as YYYY-MM-DD, for example 2027-07-04.`;
    } else days.add(day);
  });
  if (days.size === 0 && !Object.keys(errors).some((k) => k.startsWith("day-")))
    errors.days = "Please give at least one strike day.";
  else if (days.size > DAYS_MAX) errors.days = `At most ${DAYS_MAX} strike days, please.`;

  const zone = input.timeZone.trim();
  if (zone === "") errors.timeZone = "Please give a time zone, for example Europe/Berlin or UTC.";
  else if (!isTimeZone(zone))
    errors.timeZone = `“${zone}” is not a time zone we know. Use a name like Europe/Berlin, America/New_York or UTC.`;

  const cadenceText = input.cadence.trim();
  const cadence = /^\d{1,5}$/.test(cadenceText) ? Number(cadenceText) : NaN;
  if (!(cadence >= CADENCE_MIN && cadence <= CADENCE_MAX)) {
    errors.cadence = `The cadence is a whole number of minutes from ${CADENCE_MIN} to ${CADENCE_MAX} (60 = hourly).`;
  }

  const declarations = [...new Set(input.declarations)];
  const unknown = declarations.filter((slug) => !context.publishedSlugs.has(slug));
  if (unknown.length > 0) errors.declarations = `“${unknown[0]}” is not a published Declaration of this site.`;

  const moments = new Set(input.countdown);
  const strange = [...moments].find((m) => !(COUNTDOWN_MOMENTS as readonly string[]).includes(m));
  if (strange != null)
    errors.countdown = `“${strange}” is not a moment of the countdown: choose a week before, a day before or the start.`;
  const countdown = COUNTDOWN_MOMENTS.filter((m) => moments.has(m));

  const templates: NoticeTemplate[] = [];
  input.templates.forEach((t, i) => {
    const key = `template-${i + 1}`;
    if (t.text.trim() === "") {
      if (t.mediaIds.length > 0) errors[key] = "Images need a text to go with: write the notice, or untick its images.";
      return;
    }
    const problem = templateProblem(t.text);
    if (problem != null) {
      errors[key] = problem;
      return;
    }
    const ids = [...new Set(t.mediaIds)];
    const bad = ids.find((id) => !/^[1-9]\d{0,15}$/.test(id) || !context.mediaIds.has(Number(id)));
    if (bad != null) errors[key] = `Image ${bad} does not exist; choose images from the list.`;
    else if (ids.length > NOTICE_MEDIA_MAX)
      errors[key] = `A notice can carry at most ${NOTICE_MEDIA_MAX} images; ${ids.length} are chosen.`;
    else templates.push({ text: t.text.replace(/\r\n?/g, "\n").trim(), mediaIds: ids.map(Number) });
  });
  if (templates.length === 0 && !Object.keys(errors).some((k) => k.startsWith("template-"))) {
    errors["template-1"] = "Please write at least one notice template.";
  } else if (templates.length > TEMPLATES_MAX) errors["template-1"] = `At most ${TEMPLATES_MAX} templates, please.`;

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    settings: {
      name,
      hashtags,
      days: [...days].sort(),
      timeZone: canonicalZone(zone),
      cadenceMinutes: cadence,
      declarations,
      templates,
      paused: context.paused,
      countdown,
    },
  };
}
