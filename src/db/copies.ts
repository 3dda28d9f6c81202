/**
 * Copies (forks): a Declaration made from one revision of another (its
 * source), and the revisions its owner saves later.  Every write runs inside
 * the caller's transaction (normally `batcher.run(() => …)`).
 */
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { DbLike } from "./client.ts";
import { isSiteHandle } from "./site-account.ts";
import { getRevision, insertDeclaration } from "./declarations.ts";
import { wasDeleted } from "./moderation.ts";
import { accounts, declarations, revisions, type Declaration, type Revision } from "./schema.ts";

/**
 * Whether a new Declaration may take `slug`: no Declaration has it, it is not
 * the site account's handle, and no Declaration the site owner deleted had it
 * (other servers may still know that actor and its keys).
 */
export function slugAvailable(db: DbLike, slug: string): boolean {
  if (isSiteHandle(db, slug) || wasDeleted(db, slug)) return false;
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
  /** `draft` keeps the Copy private to its owner until published (default `published`). */
  status?: "published" | "draft";
  now?: Date;
}

export type CreateCopyOutcome = { kind: "created"; declaration: Declaration } | { kind: "slug-taken" };

/**
 * Inserts the Copy and its revision 1 (origin "site").  A slug already in use
 * is reported, not thrown, so the form can say so.
 */
export function createCopy(tx: DbLike, input: NewCopyInput): CreateCopyOutcome {
  if (!slugAvailable(tx, input.slug)) return { kind: "slug-taken" };
  const row = insertDeclaration(tx, {
    slug: input.slug,
    title: input.title,
    summary: input.summary,
    body: input.body,
    license: input.source.license,
    hashtags: input.source.hashtags,
    language: input.source.language,
    origin: "site",
    changeSummary: input.changeSummary ?? "",
    status: input.status ?? "published",
    ownerId: input.ownerId,
    source: {
      declarationId: input.source.id,
      revision: input.sourceRevision.number,
      url: input.sourceUrl,
      title: input.sourceRevision.title,
    },
    notes: input.notes,
    ...(input.now != null ? { now: input.now } : {}),
  });
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
export function listOwnedDeclarations(
  db: DbLike,
  ownerId: number,
): Pick<Declaration, "id" | "slug" | "title" | "revision" | "status" | "hidden">[] {
  return db
    .select({
      id: declarations.id,
      hidden: declarations.hidden,
      slug: declarations.slug,
      title: declarations.title,
      revision: declarations.revision,
      status: declarations.status,
    })
    .from(declarations)
    .where(eq(declarations.ownerId, ownerId))
    .orderBy(desc(declarations.updated), desc(declarations.id))
    .all();
}

/** Stores how many words a Copy's latest revision changes from its source revision (worked out when it was saved). */
export function setWordsChanged(tx: DbLike, declarationId: number, wordsChanged: number | null): void {
  tx.update(declarations).set({ wordsChanged }).where(eq(declarations.id, declarationId)).run();
}

/** Number of Copies made from a local Declaration (for a later lineage page). */
export function countCopies(db: DbLike, declarationId: number): number {
  return (
    db
      .select({ n: sql<number>`count(*)` })
      .from(declarations)
      .where(eq(declarations.sourceDeclarationId, declarationId))
      .get()?.n ?? 0
  );
}

// ---------------------------------------------------------------------------
// Lineage: the family of a Declaration (its sources and its copies)
// ---------------------------------------------------------------------------

/** What the lineage page and "Also sign these" need about one family member. */
export type FamilyMember = Pick<
  Declaration,
  | "id"
  | "slug"
  | "title"
  | "revision"
  | "status"
  | "signatureCount"
  | "sourceDeclarationId"
  | "sourceRevision"
  | "sourceUrl"
  | "sourceTitle"
> & { ownerUsername: string | null };

const memberColumns = {
  id: declarations.id,
  slug: declarations.slug,
  title: declarations.title,
  revision: declarations.revision,
  status: declarations.status,
  signatureCount: declarations.signatureCount,
  sourceDeclarationId: declarations.sourceDeclarationId,
  sourceRevision: declarations.sourceRevision,
  sourceUrl: declarations.sourceUrl,
  sourceTitle: declarations.sourceTitle,
  ownerUsername: accounts.username,
};

/** How far up the source chain the lineage goes (a guard against corrupt data). */
export const MAX_SOURCE_DEPTH = 50;
/** How many descendants the lineage lists at most. */
export const MAX_DESCENDANTS = 1000;

/** One family member by id (any status), with its owner's username. */
export function getFamilyMember(db: DbLike, id: number): FamilyMember | undefined {
  return db
    .select(memberColumns)
    .from(declarations)
    .leftJoin(accounts, eq(accounts.id, declarations.ownerId))
    .where(eq(declarations.id, id))
    .get();
}

export interface SourceChain {
  /** The local sources, nearest first (the last one is the original, unless `truncated`). Drafts included: callers decide. */
  members: FamilyMember[];
  /** The walk stopped at the depth cap or at a Declaration already seen (a cycle). */
  truncated: boolean;
}

/**
 * The chain of local sources of `start`, nearest first, up to the original.
 * Stops at `maxDepth` sources and at any Declaration seen before, so corrupt
 * data (a cycle) cannot make it loop.
 */
export function getSourceChain(
  db: DbLike,
  start: Pick<Declaration, "id" | "sourceDeclarationId">,
  maxDepth = MAX_SOURCE_DEPTH,
): SourceChain {
  const seen = new Set<number>([start.id]);
  const members: FamilyMember[] = [];
  let next = start.sourceDeclarationId;
  while (next != null) {
    if (seen.has(next) || members.length >= maxDepth) return { members, truncated: true };
    seen.add(next);
    const member = getFamilyMember(db, next);
    if (member == null) break;
    members.push(member);
    next = member.sourceDeclarationId;
  }
  return { members, truncated: false };
}

export interface Descendants {
  /** Published copies, copies of copies, …, breadth-first (parents before children). */
  members: FamilyMember[];
  /** More descendants exist than `limit`. */
  more: boolean;
}

/**
 * Every published descendant of `rootId` (copies of copies …), breadth-first,
 * at most `limit`.  Drafts are skipped together with their own copies (they
 * are not public, and would leave their copies without a parent to hang from).
 * Declarations in `exclude` (e.g. the source chain) and any seen before are
 * skipped, so a cycle in the data ends the walk.
 */
export function getDescendants(
  db: DbLike,
  rootId: number,
  limit = MAX_DESCENDANTS,
  exclude: Iterable<number> = [],
): Descendants {
  const seen = new Set<number>([rootId, ...exclude]);
  const members: FamilyMember[] = [];
  let frontier = [rootId];
  while (frontier.length > 0) {
    const level: number[] = [];
    for (let i = 0; i < frontier.length; i += 500) {
      const rows = db
        .select(memberColumns)
        .from(declarations)
        .leftJoin(accounts, eq(accounts.id, declarations.ownerId))
        .where(
          and(
            inArray(declarations.sourceDeclarationId, frontier.slice(i, i + 500)),
            eq(declarations.status, "published"),
          ),
        )
        .orderBy(declarations.id)
        .all();
      for (const row of rows) {
        if (seen.has(row.id)) continue;
        if (members.length >= limit) return { members, more: true };
        seen.add(row.id);
        members.push(row);
        level.push(row.id);
      }
    }
    frontier = level;
  }
  return { members, more: false };
}
