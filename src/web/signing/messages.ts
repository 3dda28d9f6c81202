/**
 * What the signing routes say when they refuse, in one place: the form, the
 * JSON API and "Also sign these" give the same words for the same refusal.
 */
import { z } from "zod";
import { plural } from "../kit/format.ts";

/** "15 seconds", "1 minute", "10 minutes": how long to wait, rounded up. */
export function waitText(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return seconds < 60 ? plural(seconds, "second", "seconds") : plural(Math.ceil(seconds / 60), "minute", "minutes");
}

/** The refusal of a signature over the rate limits (429, with Retry-After). */
export function rateLimitMessage(retryAfterMs: number): string {
  return `Too many signatures from your connection just now. Please try again in ${waitText(retryAfterMs)}; nothing was lost, your entries are kept.`;
}

/**
 * `before` (the HTML list) and `cursor` (the JSON API): the id of the last
 * signature of the previous page; empty or absent for the first page.
 */
export function pageCursor(message: string) {
  return z
    .string()
    .optional()
    .refine((raw) => raw == null || raw === "" || /^[1-9]\d{0,15}$/.test(raw), message)
    .transform((raw) => (raw == null || raw === "" ? undefined : Number(raw)));
}
