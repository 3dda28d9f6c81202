/**
 * The copy editor's request fields other than the text: which button was
 * pressed, which version is copied (`?v=`, or `v` in the form), which version
 * an edit started from (`base`), and the query strings of the pages that copy
 * or compare across sites.  Checked with zod; the checks against the database
 * (does the version exist) stay with the routes.
 */
import { z } from "zod";
import { revisionNumber, trimmedText } from "../kit/params.ts";

/** New copies: "publish" or "draft" save; any other button (Preview) or none previews. */
export const copyButton = z.object({ action: z.enum(["publish", "draft", "preview"]).catch("preview") });

/** Edits of a copy: "save", or "publish" (a draft); anything else previews. */
export const editButton = z.object({ action: z.enum(["save", "publish", "preview"]).catch("preview") });

/** The version to copy: absent or empty means the latest; otherwise a version number. */
export const copyVersion = z.object({
  v: z
    .string()
    .optional()
    .transform((v) => (v === "" ? undefined : v))
    .pipe(revisionNumber.optional()),
});

/** The version an edit started from, sent back by the editor. */
export const editBase = z.object({ base: revisionNumber });

/** `/copy/elsewhere?source=…`: what to show in the box (the POST checks it). */
export const copyElsewhereQuery = z.object({ source: z.string().catch("") });

/** A version's address on this site or another, as pasted into `/compare/elsewhere?a=…&b=…`. */
export const versionAddress = trimmedText.pipe(
  z
    .string()
    .min(1, { error: "Please give the address of a version (…/d/its-name/v/1).", abort: true })
    .max(2000, {
      error: "This is longer than 2000 characters; please paste just the address of a version.",
      abort: true,
    })
    .refine((raw) => URL.canParse(raw) && /^https?:$/.test(new URL(raw).protocol), {
      error: (issue) => `“${String(issue.input).slice(0, 200)}” is not a web address.`,
    })
    .transform((raw) => new URL(raw)),
);

/** `/compare/elsewhere?view=…`: the diff side by side when "side", else inline. */
export const diffView = z.enum(["inline", "side"]).catch("inline");
