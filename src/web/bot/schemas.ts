/**
 * What /bot's forms, queries and paths may carry, as zod schemas read through
 * `parseRequest` (src/web/kit/params.ts): a problem names its field and says
 * what is wrong, and the page shows it in the form's errors.  What a plan
 * means (days of the strike, times, texts that fit a post) is checked after
 * this by src/bot/plan.ts, which names every problem at once.
 */
import { z } from "zod";
import type { PlanFormInput } from "../../bot/plan.ts";

/** Longer than this, a field is refused (the form's own limits are lower); the page puts the field's label first. */
const tooLong = (max: number) => z.string().max(max, `Too long: at most ${max} characters.`);

export const connectForm = z.object({
  server: tooLong(300)
    .default("")
    .refine((s) => s.trim() !== "", "Please give your server’s address, for example mastodon.social."),
});

/** The server's redirect back to /bot/callback (RFC 6749 §4.1.2). */
export const callbackQuery = z.object({
  state: tooLong(200).optional(),
  code: tooLong(1000).optional(),
  error: tooLong(200).optional(),
  error_description: z
    .string()
    .optional()
    .transform((s) => s?.slice(0, 300)),
});

/** A connection's id in a path. */
export const connectionId = z
  .string()
  .regex(/^[1-9]\d{0,15}$/, "Not a connection number.")
  .transform(Number);

/** `?done=` after a redirect: which notice to show (anything else shows none). */
export const doneQuery = <K extends string>(keys: readonly [K, ...K[]]) =>
  z.object({ done: z.enum(keys).optional() }).catch({ done: undefined });

/** Notice boxes read from a form (the plan keeps at most PLAN_TEMPLATES_MAX of them: src/bot/plan.ts says so). */
const TEMPLATE_FIELDS = 20;
const TEMPLATE_KEY = /^template-([1-9]\d?)$/;
const DAY_KEY = /^day-(\d{4}-\d{2}-\d{2})$/;

/**
 * The plan form as typed (every field a string, within its size), read into
 * the plan's input: the chosen days from their checkboxes and the notices in
 * their order.  The gallery image's own description is filled in by the
 * route when the field is left empty.
 */
export const planForm = z
  .object({
    // The form's two buttons; anything else saves, as a form without the button's value does.
    action: z.enum(["preview", "save"]).catch("save"),
    cadence: tooLong(20).default(""),
    times: tooLong(400).default(""),
    timeZone: tooLong(100).default(""),
    declaration: tooLong(200).default(""),
    visibility: tooLong(20).default(""),
    language: tooLong(20).default(""),
    spoilerText: tooLong(1000).default(""),
    mediaId: tooLong(20)
      .default("")
      .transform((s) => s.trim()),
    mediaAlt: tooLong(5000).default(""),
  })
  .catchall(z.string())
  .superRefine((form, ctx) => {
    for (const [key, value] of Object.entries(form)) {
      const t = TEMPLATE_KEY.exec(key);
      if (t != null && Number(t[1]) <= TEMPLATE_FIELDS && value.length > 5000)
        ctx.addIssue({ code: "custom", path: [key], message: "Too long: at most 5000 characters." });
    }
  })
  .transform((form) => ({ action: form.action, ...planFormAsTyped(form) }));

/** The plan form's fields as sent (each cut to its size): what `planForm` gives, and what a refused form shows again. */
export function planFormAsTyped(form: Record<string, string>): PlanFormInput {
  const at = (key: string, max: number) => (form[key] ?? "").slice(0, max);
  const templates: string[] = [];
  for (let i = 1; i <= TEMPLATE_FIELDS; i++) {
    const text = form[`template-${i}`];
    if (text != null) templates.push(text.slice(0, 5000));
  }
  return {
    days: Object.keys(form)
      .map((k) => DAY_KEY.exec(k))
      .filter((m) => m != null && form[m[0]] === "on")
      .map((m) => m![1]!),
    cadence: at("cadence", 20),
    times: at("times", 400),
    timeZone: at("timeZone", 100),
    declaration: at("declaration", 200),
    templates,
    visibility: at("visibility", 20),
    language: at("language", 20),
    spoilerText: at("spoilerText", 1000),
    mediaId: at("mediaId", 20).trim(),
    mediaAlt: at("mediaAlt", 5000),
  };
}
