/**
 * Size limits of every diff, comparison and merge, checked before any work.
 */

/**
 * The largest text (in UTF-8 bytes) a diff, comparison or merge takes: well
 * above the largest text the site stores (200 KB from the editor, a
 * Declaration file or another site), so only a text stored before those
 * limits, or a call that forgot them, can reach it.
 */
export const MAX_DIFF_TEXT_BYTES = 384 * 1024;

/** A text given to a diff is larger than `limit` bytes; `field` names it (e.g. "before", "body"). */
export class DiffTooLargeError extends Error {
  readonly field: string;
  readonly bytes: number;
  readonly limit: number;

  constructor(field: string, bytes: number, limit: number) {
    super(`The text “${field}” is ${Math.ceil(bytes / 1024)} KB; diffs take at most ${Math.floor(limit / 1024)} KB.`);
    this.name = "DiffTooLargeError";
    this.field = field;
    this.bytes = bytes;
    this.limit = limit;
  }
}

/** UTF-8 size of `text`, without encoding it when its length already decides (each UTF-16 unit is 1 to 3 bytes). */
function overLimit(text: string, limit: number): number | null {
  if (text.length * 3 <= limit) return null;
  if (text.length > limit) return Buffer.byteLength(text, "utf8");
  const bytes = Buffer.byteLength(text, "utf8");
  return bytes > limit ? bytes : null;
}

/** The first of `texts` (by name) larger than `limit` bytes, or null when all fit. */
export function oversizeText(
  texts: Readonly<Record<string, string>>,
  limit = MAX_DIFF_TEXT_BYTES,
): { field: string; bytes: number } | null {
  for (const [field, text] of Object.entries(texts)) {
    const bytes = overLimit(text, limit);
    if (bytes != null) return { field, bytes };
  }
  return null;
}

/** Throws `DiffTooLargeError` for the first of `texts` larger than the limit. */
export function checkDiffInputs(texts: Readonly<Record<string, string>>, limit = MAX_DIFF_TEXT_BYTES): void {
  const over = oversizeText(texts, limit);
  if (over != null) throw new DiffTooLargeError(over.field, over.bytes, limit);
}
