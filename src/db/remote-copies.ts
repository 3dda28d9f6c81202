/**
 * Copies across sites: revisions of other servers' Declarations (fetched once
 * and kept), the remote sources of our Copies, and the copies other servers
 * made of ours.  Writes run inside the caller's transaction.
 */
import { and, asc, eq, lt, or, sql } from "drizzle-orm";
import type { DbLike } from "./client.ts";
import { slugAvailable } from "./copies.ts";
import { insertDeclaration } from "./declarations.ts";
import {
  declarations,
  remoteCopies,
  remoteRevisions,
  remoteSources,
  type Declaration,
  type RemoteCopy,
  type RemoteRevision,
  type RemoteSource,
} from "./schema.ts";

export type RemoteRevisionInput = Omit<RemoteRevision, "id" | "fetched">;

/** A kept remote revision by its address. */
export function getRemoteRevision(db: DbLike, url: string): RemoteRevision | undefined {
  return db.select().from(remoteRevisions).where(eq(remoteRevisions.url, url)).get();
}

/** A kept remote revision by id. */
export function getRemoteRevisionById(db: DbLike, id: number): RemoteRevision | undefined {
  return db.select().from(remoteRevisions).where(eq(remoteRevisions.id, id)).get();
}

/**
 * Keeps a fetched revision.  A revision already kept is not replaced:
 * revisions never change, so a different text under the same address is a
 * server rewriting history, and the first one fetched stays.
 */
export function keepRemoteRevision(tx: DbLike, input: RemoteRevisionInput, now: Date): RemoteRevision {
  tx.insert(remoteRevisions)
    .values({ ...input, fetched: now })
    .onConflictDoNothing()
    .run();
  return getRemoteRevision(tx, input.url)!;
}

// ---------------------------------------------------------------------------
// Remote sources of our Copies

export function getRemoteSource(db: DbLike, declarationId: number): RemoteSource | undefined {
  return db.select().from(remoteSources).where(eq(remoteSources.declarationId, declarationId)).get();
}

export type RemoteSourceInput = Omit<RemoteSource, "status" | "checked">;

export function insertRemoteSource(tx: DbLike, input: RemoteSourceInput, now: Date): void {
  tx.insert(remoteSources)
    .values({ ...input, status: "ok", checked: now })
    .run();
}

/** The local Copies whose source is the Article `articleIri` (on another server). */
export function copiesOfRemoteArticle(db: DbLike, articleIri: string): RemoteSource[] {
  return db.select().from(remoteSources).where(eq(remoteSources.articleIri, articleIri)).all();
}

/** The local Copies whose source's actor is `actorIri`. */
export function copiesOfRemoteActor(db: DbLike, actorIri: string): RemoteSource[] {
  return db.select().from(remoteSources).where(eq(remoteSources.actorIri, actorIri)).all();
}

/**
 * Records what we learnt of a source: a newer revision moves `latestRevision`
 * forward (never back: an old Update arriving late changes nothing).
 */
export function updateRemoteSource(
  tx: DbLike,
  declarationId: number,
  seen: { revision?: number; url?: string; signatureCount?: number | null; status: RemoteSource["status"] },
  now: Date,
): void {
  const set: Partial<RemoteSource> = { status: seen.status, checked: now };
  if (seen.signatureCount !== undefined) set.signatureCount = seen.signatureCount;
  tx.update(remoteSources).set(set).where(eq(remoteSources.declarationId, declarationId)).run();
  if (seen.revision != null && seen.url != null) {
    tx.update(remoteSources)
      .set({ latestRevision: seen.revision, latestUrl: seen.url })
      .where(and(eq(remoteSources.declarationId, declarationId), lt(remoteSources.latestRevision, seen.revision)))
      .run();
  }
}

/**
 * After the owner took in source revision `revision` (`url`, `title`): the
 * Copy now points at it.
 */
export function moveCopySource(
  tx: DbLike,
  declarationId: number,
  source: { revision: number; url: string; title: string },
): void {
  tx.update(declarations)
    .set({ sourceRevision: source.revision, sourceUrl: source.url, sourceTitle: source.title })
    .where(eq(declarations.id, declarationId))
    .run();
}

// ---------------------------------------------------------------------------
// Copies of ours on other servers

export type RemoteCopyInput = Omit<RemoteCopy, "id" | "created" | "checked" | "status">;

export function getRemoteCopyByArticle(db: DbLike, articleIri: string): RemoteCopy | undefined {
  return db.select().from(remoteCopies).where(eq(remoteCopies.articleIri, articleIri)).get();
}

export function getRemoteCopy(db: DbLike, id: number): RemoteCopy | undefined {
  return db.select().from(remoteCopies).where(eq(remoteCopies.id, id)).get();
}

/** Adds a verified copy, or refreshes it (same Article). */
export function upsertRemoteCopy(tx: DbLike, input: RemoteCopyInput, now: Date): RemoteCopy {
  return tx
    .insert(remoteCopies)
    .values({ ...input, status: "ok", created: now, checked: now })
    .onConflictDoUpdate({ target: remoteCopies.articleIri, set: { ...input, status: "ok", checked: now } })
    .returning()
    .get();
}

/** Marks a copy gone or not answering; what we knew of it is kept. */
export function markRemoteCopy(tx: DbLike, id: number, status: RemoteCopy["status"], now: Date): void {
  tx.update(remoteCopies).set({ status, checked: now }).where(eq(remoteCopies.id, id)).run();
}

/** Sets a copy's reported signature count. */
export function setRemoteCopyCount(tx: DbLike, id: number, signatureCount: number | null, now: Date): void {
  tx.update(remoteCopies).set({ signatureCount, checked: now }).where(eq(remoteCopies.id, id)).run();
}

/** The copies of a local Declaration on other servers, oldest first. */
export function listRemoteCopies(db: DbLike, declarationId: number): RemoteCopy[] {
  return db
    .select()
    .from(remoteCopies)
    .where(eq(remoteCopies.declarationId, declarationId))
    .orderBy(asc(remoteCopies.id))
    .all();
}

export interface NewRemoteCopyInput {
  /** The revision copied, as kept. */
  revision: RemoteRevision;
  /** Its source's actor and Article (the newest revision known, to compare with later). */
  source: Omit<RemoteSourceInput, "declarationId">;
  hashtags: string[];
  ownerId: number;
  slug: string;
  title: string;
  summary: string;
  body: string;
  notes: Record<string, string>;
  status: "published" | "draft";
  now?: Date;
}

/**
 * Creates a Copy of a Declaration on another site: the Declaration and its
 * revision 1 (pointing at the exact remote revision), and its remote source.
 * A slug in use is reported, not thrown.
 */
export function createRemoteCopy(
  tx: DbLike,
  input: NewRemoteCopyInput,
): { kind: "created"; declaration: Declaration } | { kind: "slug-taken" } {
  if (!slugAvailable(tx, input.slug)) return { kind: "slug-taken" };
  const now = input.now ?? new Date();
  const declaration = insertDeclaration(tx, {
    slug: input.slug,
    title: input.title,
    summary: input.summary,
    body: input.body,
    license: "",
    hashtags: input.hashtags,
    language: "en",
    origin: "site",
    status: input.status,
    ownerId: input.ownerId,
    source: {
      declarationId: null,
      revision: input.revision.number,
      url: input.revision.url,
      title: input.revision.title,
    },
    notes: input.notes,
    now,
  });
  insertRemoteSource(tx, { ...input.source, declarationId: declaration.id }, now);
  return { kind: "created", declaration };
}

/** Copies by the actor `actorIri` (a copy's actor posts its digests and versions). */
export function remoteCopiesByActor(db: DbLike, actorIri: string): RemoteCopy[] {
  return db.select().from(remoteCopies).where(eq(remoteCopies.actorIri, actorIri)).all();
}

/** Copies and sources last checked before `before` (for the periodic refresh), at most `limit`. */
export function staleRemoteLinks(
  db: DbLike,
  before: Date,
  limit = 50,
): { copies: RemoteCopy[]; sources: RemoteSource[] } {
  return {
    copies: db
      .select()
      .from(remoteCopies)
      .where(lt(remoteCopies.checked, before))
      .orderBy(asc(remoteCopies.checked))
      .limit(limit)
      .all(),
    sources: db
      .select()
      .from(remoteSources)
      .where(lt(remoteSources.checked, before))
      .orderBy(asc(remoteSources.checked))
      .limit(limit)
      .all(),
  };
}

/** Hosts we know copies or sources on (the only ones comparison pages fetch from). */
export function isKnownRemoteHost(db: DbLike, host: string): boolean {
  const like = `%://${host}/%`;
  const copy = db.select({ id: remoteCopies.id }).from(remoteCopies).where(eq(remoteCopies.host, host)).limit(1).get();
  if (copy != null) return true;
  const source = db
    .select({ id: remoteSources.declarationId })
    .from(remoteSources)
    .where(or(sql`${remoteSources.actorIri} LIKE ${like}`, sql`${remoteSources.latestUrl} LIKE ${like}`))
    .limit(1)
    .get();
  return source != null;
}

/**
 * Slugs of the Copies owned by `ownerId` whose source (on this site or
 * another) has a newer version than the one they point at.
 */
export function copiesBehindSource(db: DbLike, ownerId: number): Set<string> {
  const rows = db.all<{ slug: string }>(sql`
    SELECT d.slug FROM declarations d
    LEFT JOIN declarations s ON s.id = d.source_declaration_id AND s.status != 'draft'
    LEFT JOIN remote_sources r ON r.declaration_id = d.id
    WHERE d.owner_id = ${ownerId} AND d.source_revision IS NOT NULL
      AND (s.revision > d.source_revision OR r.latest_revision > d.source_revision)`);
  return new Set(rows.map((r) => r.slug));
}
