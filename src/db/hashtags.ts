/**
 * Declarations by hashtag, for `/tags/{tag}` (our posts link their hashtags
 * there).  Hashtags are stored without the "#" and compared without regard to
 * case; SQLite's `lower()` folds ASCII only, so the comparison happens here.
 */
import { and, desc, eq, inArray } from "drizzle-orm";
import type { DbLike } from "./client.ts";
import { summaryColumns, type DeclarationSummary } from "./declarations.ts";
import { declarations } from "./schema.ts";

/** A hashtag in the form it is compared in: NFC, lower-case. */
export function hashtagKey(tag: string): string {
  return tag.normalize("NFC").toLowerCase();
}

export interface TaggedDeclarations {
  /** The tag as the newest matching Declaration writes it (e.g. "SocialMediaStrike"), or null when none has it. */
  spelling: string | null;
  declarations: DeclarationSummary[];
}

/** Published Declarations with hashtag `tag` (any case), most recently updated first. */
export function listDeclarationsByHashtag(db: DbLike, tag: string, limit = 200): TaggedDeclarations {
  const key = hashtagKey(tag);
  const tagged = db
    .select({ id: declarations.id, hashtags: declarations.hashtags })
    .from(declarations)
    .where(eq(declarations.status, "published"))
    .orderBy(desc(declarations.updated), desc(declarations.id))
    .all()
    .filter((d) => d.hashtags.some((t) => hashtagKey(t) === key))
    .slice(0, limit);
  if (tagged.length === 0) return { spelling: null, declarations: [] };
  const rows = db
    .select({ id: declarations.id, ...summaryColumns })
    .from(declarations)
    .where(
      and(
        eq(declarations.status, "published"),
        inArray(
          declarations.id,
          tagged.map((d) => d.id),
        ),
      ),
    )
    .orderBy(desc(declarations.updated), desc(declarations.id))
    .all();
  return {
    spelling: tagged[0]!.hashtags.find((t) => hashtagKey(t) === key) ?? null,
    declarations: rows.map(({ id: _id, ...summary }) => summary),
  };
}
