/**
 * The site owner's moderation: every Declaration with what the owner needs to
 * judge it, the list on `/` (the site's own first, copies marked), hiding,
 * the record of what was done and why (read by the author, also after a
 * delete), visitors' reports, and the one queue of visitors' reports and
 * `Flag`s.  Writes run inside the caller's transaction.
 */
import { and, asc, desc, eq, inArray, isNotNull, isNull, sql, type SQL } from "drizzle-orm";
import type { DbLike } from "./client.ts";
import { summaryColumns } from "./declarations.ts";
import {
  accounts,
  declarations,
  fedReports,
  moderationActions,
  visitorReports,
  type Declaration,
  type ModerationAction,
} from "./schema.ts";

/** One Declaration as `/` lists it. */
export type ListedDeclaration = Pick<
  Declaration,
  | "id"
  | "slug"
  | "title"
  | "summary"
  | "revision"
  | "signatureCount"
  | "updated"
  | "created"
  | "language"
  | "ownerId"
  | "sourceDeclarationId"
  | "sourceRevision"
  | "sourceUrl"
  | "sourceTitle"
  | "wordsChanged"
> & { owner: string | null };

const listedColumns = {
  ...summaryColumns,
  id: declarations.id,
  ownerId: declarations.ownerId,
  sourceDeclarationId: declarations.sourceDeclarationId,
  sourceRevision: declarations.sourceRevision,
  sourceUrl: declarations.sourceUrl,
  sourceTitle: declarations.sourceTitle,
  wordsChanged: declarations.wordsChanged,
  owner: accounts.username,
};

/** A Copy is a Declaration made from a revision of another: it names its source revision's address. */
export function isCopy(d: Pick<Declaration, "sourceUrl">): boolean {
  return d.sourceUrl != null;
}

/**
 * The published Declarations `/` shows (not those the site owner hid): the
 * site's own (not copies) first, then copies; each part most recently updated
 * first.
 */
export function listHomeDeclarations(db: DbLike, limit = 200): ListedDeclaration[] {
  return db
    .select(listedColumns)
    .from(declarations)
    .leftJoin(accounts, eq(accounts.id, declarations.ownerId))
    .where(and(eq(declarations.status, "published"), eq(declarations.hidden, false)))
    .orderBy(sql`${declarations.sourceUrl} IS NOT NULL`, desc(declarations.updated), desc(declarations.id))
    .limit(limit)
    .all();
}

/** Every Declaration, for the site owner, with its open reports. */
export type ModeratedDeclaration = ListedDeclaration & Pick<Declaration, "status" | "hidden"> & { openReports: number };

export function listAllDeclarations(db: DbLike, limit = 1000): ModeratedDeclaration[] {
  const open = sql<number>`(SELECT count(*) FROM ${visitorReports} WHERE ${visitorReports.declarationId} = ${declarations.id} AND ${visitorReports.resolved} IS NULL) + (SELECT count(*) FROM ${fedReports} WHERE ${fedReports.declarationId} = ${declarations.id} AND ${fedReports.resolved} IS NULL)`;
  return db
    .select({
      ...listedColumns,
      status: declarations.status,
      hidden: declarations.hidden,
      openReports: open,
    })
    .from(declarations)
    .leftJoin(accounts, eq(accounts.id, declarations.ownerId))
    .orderBy(sql`${declarations.sourceUrl} IS NOT NULL`, desc(declarations.updated), desc(declarations.id))
    .limit(limit)
    .all();
}

/** Hides a Declaration from `/` (or shows it again); false when it does not exist. */
export function setHidden(tx: DbLike, id: number, hidden: boolean): boolean {
  return tx.update(declarations).set({ hidden }).where(eq(declarations.id, id)).run().changes > 0;
}

/**
 * The site owner's last action of `kinds` on a Declaration (for instance the
 * last unpublish or publish: whether the owner unpublished it and why), or
 * undefined.
 */
export function lastActionOn(
  db: DbLike,
  declarationId: number,
  kinds: readonly ModerationAction["action"][],
): ModerationAction | undefined {
  return db
    .select()
    .from(moderationActions)
    .where(and(eq(moderationActions.declarationId, declarationId), inArray(moderationActions.action, [...kinds])))
    .orderBy(desc(moderationActions.id))
    .limit(1)
    .get();
}

/** Records a moderation action (who is told: the Declaration's owner). */
export function recordModeration(
  tx: DbLike,
  input: {
    declaration: Pick<Declaration, "id" | "slug" | "title" | "ownerId">;
    action: ModerationAction["action"];
    reason: string;
    byId: number | null;
  },
  now: Date,
): void {
  tx.insert(moderationActions)
    .values({
      declarationId: input.action === "delete" ? null : input.declaration.id,
      slug: input.declaration.slug,
      title: input.declaration.title,
      ownerId: input.declaration.ownerId,
      action: input.action,
      reason: input.reason,
      byId: input.byId,
      created: now,
    })
    .run();
}

/** Deletes a Declaration; its revisions, signatures, posts, followers and reactions go with it (ON DELETE CASCADE). */
export function deleteDeclarationRow(tx: DbLike, id: number): boolean {
  return tx.delete(declarations).where(eq(declarations.id, id)).run().changes > 0;
}

/** Whether a Declaration with `slug` was deleted by the site owner (its address is not given out again). */
export function wasDeleted(db: DbLike, slug: string): boolean {
  return (
    db
      .select({ id: moderationActions.id })
      .from(moderationActions)
      .where(and(eq(moderationActions.slug, slug), eq(moderationActions.action, "delete")))
      .get() != null
  );
}

/** The Declarations of `ownerId` the site owner deleted, newest first (the author's list says why). */
export function listDeletedFor(db: DbLike, ownerId: number, limit = 100): ModerationAction[] {
  return db
    .select()
    .from(moderationActions)
    .where(and(eq(moderationActions.ownerId, ownerId), eq(moderationActions.action, "delete")))
    .orderBy(desc(moderationActions.id))
    .limit(limit)
    .all();
}

/** The site owner's actions on one Declaration, newest first. */
export function listActionsOn(db: DbLike, declarationId: number, limit = 50): ModerationAction[] {
  return db
    .select()
    .from(moderationActions)
    .where(eq(moderationActions.declarationId, declarationId))
    .orderBy(desc(moderationActions.id))
    .limit(limit)
    .all();
}

// ---------------------------------------------------------------------------
// Reports: visitors' and Flags, one queue

export function addVisitorReport(tx: DbLike, declarationId: number, reason: string, now: Date): number {
  const row = tx
    .insert(visitorReports)
    .values({ declarationId, reason, created: now })
    .returning({ id: visitorReports.id })
    .get();
  return row.id;
}

/** One report in the owner's queue, from a visitor or a server (`Flag`). */
export interface QueuedReport {
  kind: "visitor" | "flag";
  id: number;
  declarationId: number | null;
  slug: string | null;
  title: string | null;
  /** The reason typed (a visitor's) or the Flag's comment. */
  text: string;
  /** For a Flag: who sent it and what it named. */
  actorUri: string | null;
  objectUris: string[];
  created: Date;
  resolved: Date | null;
  resolution: string | null;
}

export type ReportKind = QueuedReport["kind"];

function visitorRows(db: DbLike, where: SQL | undefined, order: SQL, limit: number): QueuedReport[] {
  return db
    .select({ r: visitorReports, slug: declarations.slug, title: declarations.title })
    .from(visitorReports)
    .leftJoin(declarations, eq(declarations.id, visitorReports.declarationId))
    .where(where)
    .orderBy(order)
    .limit(limit)
    .all()
    .map(({ r, slug, title }) => ({
      kind: "visitor",
      id: r.id,
      declarationId: r.declarationId,
      slug,
      title,
      text: r.reason,
      actorUri: null,
      objectUris: [],
      created: r.created,
      resolved: r.resolved,
      resolution: r.resolution,
    }));
}

function flagRows(db: DbLike, where: SQL | undefined, order: SQL, limit: number): QueuedReport[] {
  return db
    .select({ r: fedReports, slug: declarations.slug, title: declarations.title })
    .from(fedReports)
    .leftJoin(declarations, eq(declarations.id, fedReports.declarationId))
    .where(where)
    .orderBy(order)
    .limit(limit)
    .all()
    .map(({ r, slug, title }) => ({
      kind: "flag",
      id: r.id,
      declarationId: r.declarationId,
      slug,
      title,
      text: r.content,
      actorUri: r.actorUri,
      objectUris: r.objectUris,
      created: r.created,
      resolved: r.resolved,
      resolution: r.resolution,
    }));
}

/** The queue: open reports (oldest first) or resolved ones (newest first), from visitors and servers together. */
export function listQueuedReports(
  db: DbLike,
  options: { resolved: boolean; limit: number; declarationId?: number },
): QueuedReport[] {
  const order = options.resolved ? desc : asc;
  const visitors = visitorRows(
    db,
    and(
      options.resolved ? isNotNull(visitorReports.resolved) : isNull(visitorReports.resolved),
      options.declarationId == null ? undefined : eq(visitorReports.declarationId, options.declarationId),
    ),
    order(visitorReports.created),
    options.limit,
  );
  const flags = flagRows(
    db,
    and(
      options.resolved ? isNotNull(fedReports.resolved) : isNull(fedReports.resolved),
      options.declarationId == null ? undefined : eq(fedReports.declarationId, options.declarationId),
    ),
    order(fedReports.created),
    options.limit,
  );
  const sign = options.resolved ? -1 : 1;
  return [...visitors, ...flags]
    .sort((a, b) => sign * (a.created.getTime() - b.created.getTime()))
    .slice(0, options.limit);
}

/** One report of the queue, open or not. */
export function getQueuedReport(db: DbLike, kind: ReportKind, id: number): QueuedReport | undefined {
  return kind === "visitor"
    ? visitorRows(db, eq(visitorReports.id, id), asc(visitorReports.id), 1)[0]
    : flagRows(db, eq(fedReports.id, id), asc(fedReports.id), 1)[0];
}

/** Resolves one open report; false when it is not open (or not there). */
export function resolveQueuedReport(tx: DbLike, kind: ReportKind, id: number, resolution: string, now: Date): boolean {
  const table = kind === "visitor" ? visitorReports : fedReports;
  return (
    tx
      .update(table)
      .set({ resolved: now, resolution })
      .where(and(eq(table.id, id), isNull(table.resolved)))
      .run().changes > 0
  );
}

/** Resolves every open report about a Declaration (after the owner acted on it). */
export function resolveReportsAbout(tx: DbLike, declarationId: number, resolution: string, now: Date): number {
  let n = 0;
  for (const table of [visitorReports, fedReports]) {
    n += tx
      .update(table)
      .set({ resolved: now, resolution })
      .where(and(eq(table.declarationId, declarationId), isNull(table.resolved)))
      .run().changes;
  }
  return n;
}

/** Usernames by id, for lists. */
export function usernamesOf(db: DbLike, ids: number[]): Map<number, string> {
  if (ids.length === 0) return new Map();
  const rows = db
    .select({ id: accounts.id, username: accounts.username })
    .from(accounts)
    .where(inArray(accounts.id, [...new Set(ids)]))
    .all();
  return new Map(rows.map((r) => [r.id, r.username]));
}
