/**
 * (Over 400 lines: the plan's schema, its form and its slots are one rule set.)
 *
 * A striker's plan for their strike bot: which strike days, how often, in
 * which time zone, what it says (templates with the strike's placeholders),
 * how (visibility, language, content warning, one image with its
 * description), and every post that follows from it.  Pure: the caller
 * gives the strike's settings, the time and what exists on the site.
 *
 * Slots are wall-clock times in the striker's own zone on the chosen strike
 * days: every hour or every N hours from local midnight (src/strike/schedule.ts,
 * so days on which the clocks change keep their rhythm), or chosen times of
 * day.  Each post goes out at its slot plus this striker's spread offset
 * (0–5 minutes, fixed per connection), so many strikers do not all post at
 * :00.
 */
import { createHash } from "node:crypto";
import { Temporal } from "@js-temporal/polyfill";
import { z } from "zod";
import {
  fillTemplate,
  hashtagText,
  templateIndexForSlot,
  templateProblem,
  type NoticeValues,
} from "../strike/notices.ts";
import { dayBounds, hoursLeft, slotsOf } from "../strike/schedule.ts";
import { isTimeZone, type StrikeSettings } from "../strike/settings.ts";

export const VISIBILITIES = ["public", "unlisted", "private"] as const;
export type PlanVisibility = (typeof VISIBILITIES)[number];
/** Every N hours: the choices offered (1 is "every hour"). */
export const EVERY_HOURS = [1, 2, 3, 4, 6, 8, 12] as const;
export const TIMES_MAX = 24;
export const PLAN_TEMPLATES_MAX = 10;
/** Mastodon's default limit, counting the content warning too. */
export const POST_MAX = 500;
export const SPOILER_MAX = 200;
export const ALT_MAX = 1500;
/** More would pass Mastodon's 300 scheduled statuses and flood followers. */
export const POSTS_MAX = 200;
/** The spread: each striker's posts go out this much after the slot, at most. */
export const SPREAD_MS = 5 * 60_000;
/** A URL counts as this many characters on Mastodon, whatever its length. */
const URL_LENGTH = 23;

export type Cadence =
  | { readonly kind: "every"; readonly hours: number }
  | { readonly kind: "times"; readonly times: readonly string[] };

export interface BotPlan {
  /** Strike days (YYYY-MM-DD) the bot posts on, in order; a subset of the strike's. */
  readonly days: readonly string[];
  readonly cadence: Cadence;
  /** The striker's IANA time zone. */
  readonly timeZone: string;
  /** The Declaration the notices link (its slug). */
  readonly declaration: string;
  /** Rotated slot by slot. */
  readonly templates: readonly string[];
  readonly visibility: PlanVisibility;
  /** ISO 639-1, or "" for the account's default. */
  readonly language: string;
  readonly spoilerText: string;
  /** An image of the memes gallery, or null. */
  readonly mediaId: number | null;
  readonly mediaAlt: string;
}

const planSchema = z.object({
  days: z
    .array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/))
    .min(1)
    .max(31),
  cadence: z.union([
    z.object({ kind: z.literal("every"), hours: z.number().int().min(1).max(24) }),
    z.object({
      kind: z.literal("times"),
      times: z
        .array(z.string().regex(/^\d{2}:\d{2}$/))
        .min(1)
        .max(TIMES_MAX),
    }),
  ]),
  timeZone: z.string().refine(isTimeZone),
  declaration: z.string().min(1).max(200),
  templates: z.array(z.string().min(1).max(POST_MAX)).min(1).max(PLAN_TEMPLATES_MAX),
  visibility: z.enum(VISIBILITIES),
  language: z.string().regex(/^([a-z]{2,3})?$/),
  spoilerText: z.string().max(SPOILER_MAX),
  mediaId: z.number().int().positive().nullable(),
  mediaAlt: z.string().max(ALT_MAX),
});

/** A stored plan, or null when there is none or it no longer reads (the striker sets it again). */
export function parseStoredPlan(stored: unknown): BotPlan | null {
  const parsed = planSchema.safeParse(stored);
  return parsed.success ? parsed.data : null;
}

/** The plan offered to a striker who has none yet: every strike day, hourly, the site's templates. */
export function defaultPlan(strike: StrikeSettings, declaration: string, timeZone: string): BotPlan {
  return {
    days: [...strike.days],
    cadence: { kind: "every", hours: 1 },
    timeZone: isTimeZone(timeZone) ? timeZone : strike.timeZone,
    declaration,
    templates: strike.templates.slice(0, PLAN_TEMPLATES_MAX).map((t) => t.text),
    visibility: "public",
    language: "",
    spoilerText: "",
    mediaId: null,
    mediaAlt: "",
  };
}

// ---------------------------------------------------------------------------
// The form

/** The form as typed, kept as is to show it again on error. */
export interface PlanFormInput {
  days: string[];
  /** "1", "2", … hours, or "times". */
  cadence: string;
  times: string;
  timeZone: string;
  declaration: string;
  templates: string[];
  visibility: string;
  language: string;
  spoilerText: string;
  mediaId: string;
  mediaAlt: string;
}

/** Problems by field: days, cadence, times, timeZone, declaration, template-N (from 1), visibility, language, spoilerText, mediaId, mediaAlt. */
export type PlanFormErrors = Record<string, string>;
export type PlanFormResult = { ok: true; plan: BotPlan } | { ok: false; errors: PlanFormErrors };

export function formInputOfPlan(plan: BotPlan): PlanFormInput {
  return {
    days: [...plan.days],
    cadence: plan.cadence.kind === "every" ? String(plan.cadence.hours) : "times",
    times: plan.cadence.kind === "times" ? plan.cadence.times.join(", ") : "",
    timeZone: plan.timeZone,
    declaration: plan.declaration,
    templates: [...plan.templates],
    visibility: plan.visibility,
    language: plan.language,
    spoilerText: plan.spoilerText,
    mediaId: plan.mediaId == null ? "" : String(plan.mediaId),
    mediaAlt: plan.mediaAlt,
  };
}

export interface PlanContext {
  readonly strike: StrikeSettings;
  /** Published Declarations the notices may link, by slug. */
  readonly declarations: ReadonlyMap<string, { readonly title: string; readonly signatureCount: number }>;
  /** Gallery images, by id, with their own description. */
  readonly media: ReadonlyMap<number, { readonly alt: string }>;
  readonly origin: URL;
}

/** "9", "09:00", "9:30", "21h", "9 pm" → "09:00" / "09:30" / "21:00", or null. */
export function parseTimeOfDay(raw: string): string | null {
  const m = /^(\d{1,2})(?:[:.h](\d{2})|h)?\s*(am|pm)?$/i.exec(raw.trim());
  if (m == null) return null;
  let hour = Number(m[1]);
  const minute = m[2] == null ? 0 : Number(m[2]);
  const half = m[3]?.toLowerCase();
  if (half != null) {
    if (hour < 1 || hour > 12) return null;
    hour = (hour % 12) + (half === "pm" ? 12 : 0);
  }
  if (hour > 23 || minute > 59) return null;
  return `${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}`;
}

/** A post's length as Mastodon counts it: each URL as 23 characters, and the content warning too. */
export function mastodonLength(text: string, spoilerText = ""): number {
  // As Mastodon reads links: punctuation at the end belongs to the sentence, and counts.
  const withoutUrls = text.replace(/https?:\/\/[^\s<>"]*[^\s<>".,;:!?)\]'"”’]/g, "x".repeat(URL_LENGTH));
  return [...withoutUrls].length + [...spoilerText].length;
}

/** The longest values the placeholders can take, to check a template's length before the strike. */
function longestValues(ctx: PlanContext, declaration: { title: string }, slug: string): NoticeValues {
  return {
    declaration_url: new URL(`/d/${slug}`, ctx.origin).href,
    declaration_title: declaration.title,
    signature_count: "9,999,999",
    hashtags: hashtagText(ctx.strike.hashtags),
    hours_left: "999",
    strike_name: ctx.strike.name,
    strike_url: new URL("/strike", ctx.origin).href,
  };
}

/** Validates the form: the plan to store, or every problem at once, each naming its field. */
export function validatePlanForm(input: PlanFormInput, ctx: PlanContext): PlanFormResult {
  const errors: PlanFormErrors = {};

  const strikeDays = new Set(ctx.strike.days);
  const days = [...new Set(input.days.map((d) => d.trim()).filter((d) => d !== ""))].sort();
  const notStrike = days.find((d) => !strikeDays.has(d));
  if (notStrike != null) errors.days = `${notStrike} is not one of the strike's days (${ctx.strike.days.join(", ")}).`;
  else if (days.length === 0) errors.days = "Please choose at least one strike day.";

  let cadence: Cadence | null = null;
  const cadenceText = input.cadence.trim();
  if (cadenceText === "times") {
    // Commas, semicolons or spaces separate times, but not the space in "9 pm".
    const raw = input.times
      .split(/[,;]+|\s+(?!(?:am|pm)\b)/i)
      .map((t) => t.trim())
      .filter((t) => t !== "");
    const bad = raw.find((t) => parseTimeOfDay(t) == null);
    if (raw.length === 0) errors.times = "Please give the times of day to post, for example 09:00, 13:00, 18:00.";
    else if (bad != null)
      errors.times = `“${bad.slice(0, 40)}” is not a time of day: write it as HH:MM, for example 09:00 or 18:30.`;
    else {
      const times = [...new Set(raw.map((t) => parseTimeOfDay(t)!))].sort();
      if (times.length > TIMES_MAX) errors.times = `At most ${TIMES_MAX} times a day, please.`;
      else cadence = { kind: "times", times };
    }
  } else if ((EVERY_HOURS as readonly number[]).includes(Number(cadenceText)) && /^\d+$/.test(cadenceText)) {
    cadence = { kind: "every", hours: Number(cadenceText) };
  } else {
    errors.cadence = `Please choose how often to post: every hour, every ${EVERY_HOURS.slice(1).join(", ")} hours, or at chosen times.`;
  }

  const timeZone = input.timeZone.trim();
  if (timeZone === "") errors.timeZone = "Please give your time zone, for example Europe/Berlin or UTC.";
  else if (!isTimeZone(timeZone))
    errors.timeZone = `“${timeZone.slice(0, 60)}” is not a time zone we know. Use a name like Europe/Berlin, America/New_York or UTC.`;

  const slug = input.declaration.trim();
  const declaration = ctx.declarations.get(slug);
  if (declaration == null)
    errors.declaration =
      slug === ""
        ? "Please choose the Declaration your notices link to."
        : `“${slug.slice(0, 60)}” is not a published Declaration of this site.`;

  const spoilerText = input.spoilerText.replace(/\s+/g, " ").trim();
  if ([...spoilerText].length > SPOILER_MAX)
    errors.spoilerText = `The content warning is longer than ${SPOILER_MAX} characters.`;

  const templates: string[] = [];
  input.templates.forEach((raw, i) => {
    const text = raw.replace(/\r\n?/g, "\n").trim();
    if (text === "") return;
    const key = `template-${i + 1}`;
    const problem = templateProblem(text);
    if (problem != null) {
      errors[key] = problem;
      return;
    }
    if (declaration != null) {
      const longest = mastodonLength(fillTemplate(text, longestValues(ctx, declaration, slug)), spoilerText);
      if (longest > POST_MAX) {
        errors[key] =
          `Filled in, this notice can reach ${longest} characters with its content warning (links count as ${URL_LENGTH}); Mastodon allows ${POST_MAX}. Shorten it.`;
        return;
      }
    }
    templates.push(text);
  });
  if (templates.length === 0 && !Object.keys(errors).some((k) => k.startsWith("template-")))
    errors["template-1"] = "Please write at least one notice.";
  else if (templates.length > PLAN_TEMPLATES_MAX)
    errors["template-1"] = `At most ${PLAN_TEMPLATES_MAX} notices, please.`;

  const visibility = input.visibility.trim();
  if (!(VISIBILITIES as readonly string[]).includes(visibility))
    errors.visibility =
      "Please choose who sees the notices: everyone (public), quiet public (unlisted) or your followers only.";

  const language = input.language.trim().toLowerCase();
  if (language !== "" && !isLanguage(language))
    errors.language = `“${input.language.trim().slice(0, 20)}” is not a language code; use two letters, such as en, de or fr, or leave it empty.`;

  let mediaId: number | null = null;
  const mediaAlt = input.mediaAlt.replace(/\r\n?/g, "\n").trim();
  const mediaText = input.mediaId.trim();
  if (mediaText !== "") {
    const id = /^[1-9]\d{0,15}$/.test(mediaText) ? Number(mediaText) : NaN;
    const image = ctx.media.get(id);
    if (image == null) errors.mediaId = "That image is not in the memes gallery; choose one from the list.";
    else {
      mediaId = id;
      if (mediaAlt === "") errors.mediaAlt = "Please describe the image for people who cannot see it.";
    }
  }
  if ([...mediaAlt].length > ALT_MAX) errors.mediaAlt = `The description is longer than ${ALT_MAX} characters.`;

  if (Object.keys(errors).length > 0 || cadence == null) return { ok: false, errors };
  const plan: BotPlan = {
    days,
    cadence,
    timeZone: canonicalZone(timeZone),
    declaration: slug,
    templates,
    visibility: visibility as PlanVisibility,
    language,
    spoilerText,
    mediaId,
    mediaAlt: mediaId == null ? "" : mediaAlt,
  };
  const count = planSlots(plan).length;
  if (count > POSTS_MAX)
    return {
      ok: false,
      errors: {
        cadence: `This makes ${count} posts; the bot makes at most ${POSTS_MAX}. Choose fewer days or post less often.`,
      },
    };
  return { ok: true, plan };
}

function canonicalZone(zone: string): string {
  return new Intl.DateTimeFormat("en", { timeZone: zone }).resolvedOptions().timeZone;
}

const languageNames = new Intl.DisplayNames(["en"], { type: "language", fallback: "none" });

/** Whether `code` is an ISO 639 language code the runtime can name. */
export function isLanguage(code: string): boolean {
  if (!/^[a-z]{2,3}$/.test(code)) return false;
  try {
    return languageNames.of(code) != null;
  } catch {
    return false;
  }
}

/** "German" for "de". */
export function languageName(code: string): string {
  return (isLanguage(code) ? languageNames.of(code) : null) ?? code;
}

// ---------------------------------------------------------------------------
// Slots and posts

export interface PlanSlot {
  readonly at: Date;
  /** Its number in the plan, from 0 (rotates the templates). */
  readonly index: number;
  readonly day: string;
}

function timesSlots(days: readonly string[], timeZone: string, times: readonly string[]): PlanSlot[] {
  const slots: PlanSlot[] = [];
  for (const day of days) {
    const { start, end } = dayBounds(day, timeZone);
    const seen = new Set<number>();
    for (const time of times) {
      const [hour, minute] = time.split(":").map(Number) as [number, number];
      // A time skipped when the clocks go forward moves to the first time that exists.
      const zoned = Temporal.PlainDate.from(day)
        .toPlainDateTime({ hour, minute })
        .toZonedDateTime(timeZone, { disambiguation: "compatible" });
      const ms = zoned.epochMilliseconds;
      if (ms < start.getTime() || ms >= end.getTime() || seen.has(ms)) continue;
      seen.add(ms);
      slots.push({ at: new Date(ms), index: 0, day });
    }
  }
  return slots.sort((a, b) => a.at.getTime() - b.at.getTime()).map((s, index) => ({ ...s, index }));
}

/** Every slot of the plan, in order. */
export function planSlots(plan: Pick<BotPlan, "days" | "timeZone" | "cadence">): PlanSlot[] {
  if (plan.cadence.kind === "times") return timesSlots(plan.days, plan.timeZone, plan.cadence.times);
  return slotsOf({ days: plan.days, timeZone: plan.timeZone, cadenceMinutes: plan.cadence.hours * 60 }).map((s) => ({
    at: s.start,
    index: s.index,
    day: s.day,
  }));
}

/** This connection's fixed delay after each slot, spreading strikers over the first five minutes. */
export function spreadOffsetMs(connectionId: number): number {
  const digest = createHash("sha256").update(`bot-spread:${connectionId}`).digest();
  return (digest.readUInt32BE(0) % (SPREAD_MS / 1000)) * 1000;
}

export interface PlannedPost {
  readonly slotAt: Date;
  readonly postAt: Date;
  readonly templateIndex: number;
  readonly text: string;
  readonly spoilerText: string;
  readonly visibility: PlanVisibility;
  readonly language: string;
  readonly mediaId: number | null;
  readonly mediaAlt: string;
  /**
   * Sent as the Idempotency-Key: the striker (connection), the strike (its
   * first day), the slot, and a fingerprint of what is posted (the text as
   * filled in, except the signature count), so a post that changed is a new
   * request and a repeated one is the same.
   */
  readonly idempotencyKey: string;
}

export interface PostValues {
  readonly strike: StrikeSettings;
  readonly declaration: { readonly slug: string; readonly title: string; readonly signatureCount: number };
  readonly origin: URL;
}

/** The placeholders' values for a post at `at`: hours left are counted in the striker's own days and zone. */
export function postValues(plan: BotPlan, values: PostValues, at: Date): NoticeValues {
  return {
    declaration_url: new URL(`/d/${values.declaration.slug}`, values.origin).href,
    declaration_title: values.declaration.title,
    signature_count: values.declaration.signatureCount.toLocaleString("en"),
    hashtags: hashtagText(values.strike.hashtags),
    hours_left: String(hoursLeft({ days: plan.days, timeZone: plan.timeZone, cadenceMinutes: 60 }, at)),
    strike_name: values.strike.name,
    strike_url: new URL("/strike", values.origin).href,
  };
}

/** The text of the post at slot `slot`. */
export function postText(plan: BotPlan, slot: Pick<PlanSlot, "at" | "index">, values: PostValues): string {
  const template = plan.templates[templateIndexForSlot(slot.index, plan.templates.length)] ?? "";
  return fillTemplate(template, postValues(plan, values, slot.at));
}

/** Every post the plan makes, in order (past ones included: the caller keeps what it needs). */
export function plannedPosts(plan: BotPlan, connectionId: number, values: PostValues): PlannedPost[] {
  const offset = spreadOffsetMs(connectionId);
  const strikeKey = values.strike.days[0] ?? "strike";
  return planSlots(plan).map((slot) => {
    const templateIndex = templateIndexForSlot(slot.index, plan.templates.length);
    const postAt = new Date(slot.at.getTime() + offset);
    // The text as filled in, but for the signature count (it changes all day; a new count is no reason to re-post).
    const stable = postText(plan, slot, { ...values, declaration: { ...values.declaration, signatureCount: 0 } });
    const fingerprint = createHash("sha256")
      .update(
        JSON.stringify([
          stable,
          plan.visibility,
          plan.language,
          plan.spoilerText,
          plan.mediaId,
          plan.mediaAlt,
          postAt.getTime(),
        ]),
      )
      .digest("base64url")
      .slice(0, 12);
    return {
      slotAt: slot.at,
      postAt,
      templateIndex,
      text: postText(plan, slot, values),
      spoilerText: plan.spoilerText,
      visibility: plan.visibility,
      language: plan.language,
      mediaId: plan.mediaId,
      mediaAlt: plan.mediaAlt,
      idempotencyKey: `undersign-strike-bot:${connectionId}:${strikeKey}:${slot.at.toISOString()}:${fingerprint}`,
    };
  });
}
