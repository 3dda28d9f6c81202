/**
 * Copies (forks): a Declaration made from one revision of another (its
 * source), and the revisions its owner saves later.  Every write runs inside
 * the caller's transaction (normally `batcher.run(() => …)`).
 */
import { and, desc, eq, sql } from "drizzle-orm";
import type { DbLike } from "./client.ts";
import { getRevision } from "./declarations.ts";
import { declarations, revisions, type Declaration, type Revision } from "./schema.ts";

/** True when no Declaration (published or draft) uses `slug`. */
export function slugAvailable(db: DbLike, slug: string): boolean {
  return db.select({ id: declarations.id }).from(declarations).where(eq(declarations.slug, slug)).get() == null;
}

export interface NewCopyInput {
  /** The source Declaration and the revision copied. */
  source: Pick<Declaration, "id" | "license" | "hashtags" | "language">;
  sourceRevision: Pick<Revision, "number" | "title">;
  /** The exact source revision's URL (`https://site/d/slug/v/N`). */
  sourceUrl: string;
  ownerId: number;
  slug: string;
  title: string;
  summary: string;
  body: string;
  changeSummary?: string;
  /** The author's notes on the Proposed Changes, keyed by change id. */
  notes: Record<string, string>;
  now?: Date;
}

export type CreateCopyOutcome = { kind: "created"; declaration: Declaration } | { kind: "slug-taken" };

/**
 * Inserts the Copy and its revision 1 (origin "site").  A slug already in use
 * is reported, not thrown, so the form can say so.
 */
export function createCopy(tx: DbLike, input: NewCopyInput): CreateCopyOutcome {
  if (!slugAvailable(tx, input.slug)) return { kind: "slug-taken" };
  const now = input.now ?? new Date();
  const row = tx
    .insert(declarations)
    .values({
      slug: input.slug,
      title: input.title,
      summary: input.summary,
      license: input.source.license,
      hashtags: input.source.hashtags,
      language: input.source.language,
      revision: 1,
      ownerId: input.ownerId,
      sourceDeclarationId: input.source.id,
      sourceRevision: input.sourceRevision.number,
      sourceUrl: input.sourceUrl,
      sourceTitle: input.sourceRevision.title,
      created: now,
      updated: now,
    })
    .returning()
    .get();
  tx.insert(revisions)
    .values({
      declarationId: row.id,
      number: 1,
      title: input.title,
      summary: input.summary,
      body: input.body,
      changeSummary: input.changeSummary ?? "",
      origin: "site",
      authorId: input.ownerId,
      notes: input.notes,
      created: now,
    })
    .run();
  return { kind: "created", declaration: row };
}

export interface SaveRevisionInput {
  declaration: Pick<Declaration, "id">;
  /** The revision number the author's edit started from. */
  baseRevision: number;
  title: string;
  summary: string;
  body: string;
  changeSummary: string;
  notes: Record<string, string>;
  authorId: number;
  now?: Date;
}

export type SaveRevisionOutcome =
  | { kind: "saved"; number: number }
  /** Someone saved after `baseRevision`: nothing was written. */
  | { kind: "conflict"; latest: Revision }
  | { kind: "missing" };

/**
 * Saves revision N+1 when `baseRevision` is still the latest; otherwise
 * refuses and returns the latest revision (never a silent overwrite).  The
 * latest number is read inside the caller's transaction, and the UPDATE is
 * conditional on it, so two saves from the same base cannot both win.
 */
export function saveRevision(tx: DbLike, input: SaveRevisionInput): SaveRevisionOutcome {
  const current = tx
    .select({ id: declarations.id, revision: declarations.revision })
    .from(declarations)
    .where(eq(declarations.id, input.declaration.id))
    .get();
  if (current == null) return { kind: "missing" };
  if (current.revision !== input.baseRevision) {
    const latest = getRevision(tx, current.id, current.revision);
    return latest == null ? { kind: "missing" } : { kind: "conflict", latest };
  }
  const now = input.now ?? new Date();
  const number = current.revision + 1;
  const updated = tx
    .update(declarations)
    .set({ revision: number, title: input.title, summary: input.summary, updated: now })
    .where(and(eq(declarations.id, current.id), eq(declarations.revision, input.baseRevision)))
    .returning({ id: declarations.id })
    .all();
  if (updated.length !== 1) {
    const latest = getRevision(tx, current.id, current.revision);
    return latest == null ? { kind: "missing" } : { kind: "conflict", latest };
  }
  tx.insert(revisions)
    .values({
      declarationId: current.id,
      number,
      title: input.title,
      summary: input.summary,
      body: input.body,
      changeSummary: input.changeSummary,
      origin: "site",
      authorId: input.authorId,
      notes: input.notes,
      created: now,
    })
    .run();
  return { kind: "saved", number };
}

/** The Declarations an account owns (to edit them), most recently updated first. */
export function listOwnedDeclarations(db: DbLike, ownerId: number): Pick<Declaration, "slug" | "title" | "revision">[] {
  return db
    .select({ slug: declarations.slug, title: declarations.title, revision: declarations.revision })
    .from(declarations)
    .where(eq(declarations.ownerId, ownerId))
    .orderBy(desc(declarations.updated), desc(declarations.id))
    .all();
}

/** Number of Copies made from a local Declaration (for a later lineage page). */
export function countCopies(db: DbLike, declarationId: number): number {
  return db
    .select({ n: sql<number>`count(*)` })
    .from(declarations)
    .where(eq(declarations.sourceDeclarationId, declarationId))
    .get()?.n ?? 0;
}
