/** A Markdown text typed by the site's owner, as a zod field: line breaks made "\n", a size limit in bytes. */
import { z } from "zod";

export function normalizeNewlines(text: string): string {
  return text.replace(/\r\n?/g, "\n");
}

/** The text (missing reads as ""); `empty` is the message for a blank one, or null when blank is allowed. */
export function markdownText(maxBytes: number, empty: string | null) {
  return z
    .string()
    .optional()
    .transform((s) => normalizeNewlines(s ?? ""))
    .superRefine((body, ctx) => {
      const bytes = Buffer.byteLength(body, "utf8");
      if (body.trim() === "" && empty != null) ctx.addIssue({ code: "custom", message: empty });
      else if (bytes > maxBytes)
        ctx.addIssue({
          code: "custom",
          message: `The text is ${Math.ceil(bytes / 1024)} KB; the limit is ${maxBytes / 1024} KB.`,
        });
    });
}
