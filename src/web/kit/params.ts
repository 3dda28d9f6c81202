/**
 * Request input checked with zod: one schema per form or query, and one
 * answer for the first problem (the field it names and its message), which
 * routes turn into the page's form errors or the API's error shape.
 */
import { z } from "zod";

export type Parsed<T> = { ok: true; value: T } | { ok: false; field: string; message: string };

/** Parses `input` with `schema`; on failure, the first problem's field and message. */
export function parseRequest<S extends z.ZodType>(schema: S, input: unknown): Parsed<z.output<S>> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0]!;
  return { ok: false, field: String(issue.path[0] ?? ""), message: issue.message };
}

const REVISION_NUMBER = /^[1-9]\d{0,8}$/;

/** A version number in a path or a form: 1 to 999,999,999, no leading zero. */
export const revisionNumber = z.string().regex(REVISION_NUMBER).transform(Number);

/** A version number, with the message to show for anything else (given what was sent). */
export function revisionNumberOr(message: (input: string) => string) {
  return z
    .string()
    .regex(REVISION_NUMBER, { error: (issue) => message(String(issue.input)) })
    .transform(Number);
}

/** A query or form field that may be absent: read as "", trimmed. */
export const trimmedText = z
  .string()
  .optional()
  .transform((v) => (v ?? "").trim());

/** The version number `raw` names, or null. */
export function parseRevisionNumber(raw: string | undefined): number | null {
  const result = revisionNumber.safeParse(raw);
  return result.success ? result.data : null;
}

export type ParsedForm<T> = { ok: true; value: T } | { ok: false; errors: Record<string, string> };

/**
 * Parses a form with `schema`; on failure, every field with a problem and
 * its first message (the shape a page's form errors show), in form order.
 */
export function parseForm<S extends z.ZodType>(schema: S, input: unknown): ParsedForm<z.output<S>> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  const errors: Record<string, string> = {};
  for (const issue of result.error.issues) {
    const field = String(issue.path[0] ?? "");
    errors[field] ??= issue.message;
  }
  return { ok: false, errors };
}
