/**
 * "Post a notice now": which Declarations a choice names, the digest of what
 * the owner was shown (what the confirmation is bound to), whether the strike
 * is on, and the two forms' schemas.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import type { DbLike } from "../../db/client.ts";
import { listPublishedDeclarations } from "../../db/declarations.ts";
import { currentStrikeSettings, type NoticePreview } from "../../federation/index.ts";
import type { StrikeSettings } from "../../strike/settings.ts";
import { strikePhase, strikeWindow } from "../../strike/window.ts";

export function timeIn(date: Date, timeZone: string): string {
  return new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short", timeZone }).format(date);
}

const declarationChoice = z
  .string({ error: "Please choose who posts the notice." })
  .min(1, "Please choose who posts the notice.");
export const postNowForm = z.object({ declaration: declarationChoice });
const STALE_CONFIRMATION =
  "This confirmation is incomplete or damaged: nothing was posted. Please preview the notice again.";
export const confirmForm = z.object({
  declaration: declarationChoice,
  preview: z.string({ error: STALE_CONFIRMATION }).regex(/^[0-9a-f]{64}$/, STALE_CONFIRMATION),
  nonce: z.string({ error: STALE_CONFIRMATION }).regex(/^[A-Za-z0-9_-]{22}$/, STALE_CONFIRMATION),
  outside: z.enum(["yes"], { error: "Tick this box, or leave it out, to post outside the strike's days." }).optional(),
});

/** The published Declarations a "post now" choice names, or why there are none. */
export function slugsFor(
  db: DbLike,
  choice: string,
  now: Date,
): { ok: true; slugs: string[] } | { ok: false; message: string } {
  const published = new Set(listPublishedDeclarations(db).map((d) => d.slug));
  if (choice === "*") {
    const slugs = currentStrikeSettings(db, now).declarations.filter((s) => published.has(s));
    return slugs.length > 0
      ? { ok: true, slugs }
      : {
          ok: false,
          message:
            "No published Declaration is chosen to post notices: tick some under Settings and save, or pick one here.",
        };
  }
  return published.has(choice)
    ? { ok: true, slugs: [choice] }
    : { ok: false, message: `“${choice}” is not a published Declaration of this site.` };
}

/**
 * What the owner is shown, as a digest: every Declaration's template (its
 * place in the rotation and its text), title, images and their descriptions,
 * and the strike's name and hashtags.  The count and hours left are left out:
 * they change with every signature and are filled in when the notice is posted.
 */
export function digestOf(choice: string, previews: readonly NoticePreview[], settings: StrikeSettings): string {
  const shown = {
    choice,
    name: settings.name,
    hashtags: settings.hashtags,
    notices: previews.map((p) => ({
      slug: p.slug,
      title: p.title,
      templateIndex: p.templateIndex,
      template: p.template,
      media: p.media.map((m) => [m.id, m.uuid, m.alt]),
    })),
  };
  return createHash("sha256").update(JSON.stringify(shown)).digest("hex");
}

/** Null while the strike is on, else a sentence saying when it was or will be. */
export function outsideWindow(settings: StrikeSettings, now: Date): string | null {
  const window = strikeWindow(settings.days, settings.timeZone);
  const zone = settings.timeZone;
  switch (strikePhase(window, now)) {
    case "on":
      return null;
    case "upcoming":
      return `It begins ${timeIn(window.start, zone)} (${zone}). Posted now, this notice goes out before the strike's days.`;
    case "over":
      return `It ended ${timeIn(window.end, zone)} (${zone}). Posted now, this notice goes out after the strike's days.`;
  }
}
