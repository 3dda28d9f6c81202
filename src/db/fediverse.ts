/**
 * (Over 400 lines: the queries of one set of tables (remote accounts, followers, responses, reports, blocks).)
 *
 * What the fediverse does with our Declarations, stored: remote accounts,
 * followers, boosts, responses, reports and domain blocks (favourites,
 * reactions and the signatures they make are in reactions.ts).  The
 * federation layer turns activities into these calls; every function takes
 * the database (or a transaction) first.
 */
import { and, asc, count, desc, eq, gt, inArray, isNull, sql } from "drizzle-orm";
import type { DbLike } from "./client.ts";
import { preparedPerHandle } from "./prepared.ts";
import { wasUndone, withdrawSignaturesOf } from "./reactions.ts";
import {
  actorKeys,
  declarations,
  domainBlocks,
  fedBoosts,
  fedReports,
  fedResponses,
  followers,
  remoteActors,
  siteFollowers,
  type FedReport,
  type RemoteActor,
} from "./schema.ts";

const placeholder = sql.placeholder;

// ---------------------------------------------------------------------------
// Remote accounts

export interface RemoteActorInput {
  uri: string;
  handle: string | null;
  name: string | null;
  url: string;
  iconUrl: string | null;
  inbox: string;
  sharedInbox: string | null;
  /** The keys its own actor document names (left as stored when not given). */
  keyIds?: string[];
}

/** The lower-cased host of a URL (what domain blocks match). */
export function hostOf(uri: string): string {
  return new URL(uri).hostname.toLowerCase();
}

const statements = preparedPerHandle((db) => ({
  actorByUri: db
    .select()
    .from(remoteActors)
    .where(eq(remoteActors.uri, placeholder("uri")))
    .prepare(),
  followerCount: db
    .select({ n: count() })
    .from(followers)
    .where(eq(followers.declarationId, placeholder("declarationId")))
    .prepare(),
  boostCount: db
    .select({ n: count() })
    .from(fedBoosts)
    .where(eq(fedBoosts.declarationId, placeholder("declarationId")))
    .prepare(),
  blockedAmong: db
    .select({ domain: domainBlocks.domain })
    .from(domainBlocks)
    .where(sql`${domainBlocks.domain} IN (SELECT value FROM json_each(${placeholder("domains")}))`)
    .limit(1)
    .prepare(),
  anyBlock: db.select({ domain: domainBlocks.domain }).from(domainBlocks).limit(1).prepare(),
}));

export function getRemoteActorByUri(db: DbLike, uri: string): RemoteActor | undefined {
  return statements(db).actorByUri.get({ uri });
}

/** Inserts the account, or refreshes its display data and inboxes. */
export function upsertRemoteActor(tx: DbLike, input: RemoteActorInput, now: Date): RemoteActor {
  const values = { ...input, host: hostOf(input.uri), updated: now };
  return tx
    .insert(remoteActors)
    .values(values)
    .onConflictDoUpdate({
      target: remoteActors.uri,
      set: {
        handle: values.handle,
        name: values.name,
        url: values.url,
        iconUrl: values.iconUrl,
        inbox: values.inbox,
        sharedInbox: values.sharedInbox,
        ...(input.keyIds == null ? {} : { keyIds: input.keyIds }),
        updated: now,
      },
    })
    .returning()
    .get();
}

/**
 * Forgets an account that was deleted on its server: its fediverse signatures
 * are withdrawn (and uncounted), its follows, reactions, boosts and responses
 * removed.  Returns false when we did not know it.
 */
export function deleteRemoteActor(tx: DbLike, uri: string, now: Date): boolean {
  const actor = getRemoteActorByUri(tx, uri);
  if (actor == null) return false;
  withdrawSignaturesOf(tx, actor.id, now);
  tx.delete(remoteActors).where(eq(remoteActors.id, actor.id)).run();
  return true;
}

// ---------------------------------------------------------------------------
// Followers

export interface FollowerRecipient {
  id: number;
  uri: string;
  inbox: string;
  sharedInbox: string | null;
}

/** Records a follow; a repeated Follow only updates its activity id. */
export function addFollower(
  tx: DbLike,
  declarationId: number,
  actorId: number,
  followUri: string | null,
  now: Date,
): "added" | "existing" {
  const inserted = tx
    .insert(followers)
    .values({ declarationId, actorId, followUri, created: now })
    .onConflictDoNothing()
    .run();
  if (inserted.changes > 0) return "added";
  tx.update(followers)
    .set({ followUri })
    .where(and(eq(followers.declarationId, declarationId), eq(followers.actorId, actorId)))
    .run();
  return "existing";
}

export function removeFollower(tx: DbLike, declarationId: number, actorId: number): boolean {
  return (
    tx
      .delete(followers)
      .where(and(eq(followers.declarationId, declarationId), eq(followers.actorId, actorId)))
      .run().changes > 0
  );
}

/**
 * Removes the follow that a Follow activity with this id made (an Undo that
 * names only the id): of a Declaration or of the site account.
 */
export function removeFollowByUri(tx: DbLike, actorId: number, followUri: string): boolean {
  const declarations = tx
    .delete(followers)
    .where(and(eq(followers.actorId, actorId), eq(followers.followUri, followUri)))
    .run().changes;
  const site = tx
    .delete(siteFollowers)
    .where(and(eq(siteFollowers.actorId, actorId), eq(siteFollowers.followUri, followUri)))
    .run().changes;
  return declarations + site > 0;
}

/** Drops every follow by these accounts, of Declarations and of the site (their inbox answered 404 or 410); returns how many. */
export function removeFollowersByActorUris(tx: DbLike, uris: readonly string[]): number {
  if (uris.length === 0) return 0;
  const ids = tx
    .select({ id: remoteActors.id })
    .from(remoteActors)
    .where(inArray(remoteActors.uri, [...uris]))
    .all();
  if (ids.length === 0) return 0;
  const actorIds = ids.map((r) => r.id);
  return (
    tx.delete(followers).where(inArray(followers.actorId, actorIds)).run().changes +
    tx.delete(siteFollowers).where(inArray(siteFollowers.actorId, actorIds)).run().changes
  );
}

export function countFollowers(db: DbLike, declarationId: number): number {
  return statements(db).followerCount.get({ declarationId })?.n ?? 0;
}

/**
 * Every follower of a Declaration (for delivery), optionally only those whose
 * id starts with `uriPrefix` (followers-collection synchronization asks per
 * server).  Followers on blocked domains are left out.
 */
export function listFollowerRecipients(db: DbLike, declarationId: number, uriPrefix?: string): FollowerRecipient[] {
  const rows = db
    .select({
      id: followers.id,
      uri: remoteActors.uri,
      inbox: remoteActors.inbox,
      sharedInbox: remoteActors.sharedInbox,
      host: remoteActors.host,
    })
    .from(followers)
    .innerJoin(remoteActors, eq(remoteActors.id, followers.actorId))
    .where(
      and(
        eq(followers.declarationId, declarationId),
        uriPrefix == null ? undefined : sql`substr(${remoteActors.uri}, 1, ${uriPrefix.length}) = ${uriPrefix}`,
      ),
    )
    .orderBy(asc(followers.id))
    .all();
  const blocked = blockedHostFilter(db);
  return rows.filter((r) => !blocked(r.host)).map(({ host: _host, ...r }) => r);
}

/**
 * One page of a Declaration's followers, oldest first, after follower row id
 * `after`; only those whose id starts with `uriPrefix` when given.
 */
export function followersPage(
  db: DbLike,
  declarationId: number,
  after: number,
  limit: number,
  uriPrefix?: string,
): FollowerRecipient[] {
  return db
    .select({
      id: followers.id,
      uri: remoteActors.uri,
      inbox: remoteActors.inbox,
      sharedInbox: remoteActors.sharedInbox,
    })
    .from(followers)
    .innerJoin(remoteActors, eq(remoteActors.id, followers.actorId))
    .where(
      and(
        eq(followers.declarationId, declarationId),
        gt(followers.id, after),
        uriPrefix == null ? undefined : sql`substr(${remoteActors.uri}, 1, ${uriPrefix.length}) = ${uriPrefix}`,
      ),
    )
    .orderBy(asc(followers.id))
    .limit(limit)
    .all();
}

// ---------------------------------------------------------------------------
// Boosts

/**
 * Records a boost once per activity id; false when it was stored already, or
 * undone before it arrived (a late retry; see `wasUndone`).
 */
export function addBoost(
  tx: DbLike,
  input: {
    declarationId: number;
    actorId: number;
    activityUri: string;
    objectUri: string;
    published?: Date | null;
    now: Date;
  },
): boolean {
  const actor = tx.select({ uri: remoteActors.uri }).from(remoteActors).where(eq(remoteActors.id, input.actorId)).get();
  if (actor != null && wasUndone(tx, input.activityUri, actor.uri, input.published ?? null)) return false;
  const { declarationId, actorId, activityUri, objectUri, now } = input;
  return (
    tx
      .insert(fedBoosts)
      .values({ declarationId, actorId, activityUri, objectUri, created: now })
      .onConflictDoNothing()
      .run().changes > 0
  );
}

/** Removes a boost by its activity id, or else by account and object. */
export function removeBoost(
  tx: DbLike,
  actorId: number,
  activityUri: string | null,
  objectUri: string | null,
): boolean {
  if (activityUri != null) {
    const n = tx
      .delete(fedBoosts)
      .where(and(eq(fedBoosts.activityUri, activityUri), eq(fedBoosts.actorId, actorId)))
      .run().changes;
    if (n > 0) return true;
  }
  if (objectUri == null) return false;
  return (
    tx
      .delete(fedBoosts)
      .where(and(eq(fedBoosts.actorId, actorId), eq(fedBoosts.objectUri, objectUri)))
      .run().changes > 0
  );
}

export function countBoosts(db: DbLike, declarationId: number): number {
  return statements(db).boostCount.get({ declarationId })?.n ?? 0;
}

// ---------------------------------------------------------------------------
// Responses (replies to our posts)

export interface ResponseInput {
  uri: string;
  declarationId: number;
  actorId: number;
  inReplyTo: string;
  url: string;
  summary: string | null;
  contentHtml: string;
  published: Date;
}

/** Stores a reply; a repeated one changes nothing.  Returns whether it was new. */
export function addResponse(tx: DbLike, input: ResponseInput, now: Date): boolean {
  return (
    tx
      .insert(fedResponses)
      .values({ ...input, created: now })
      .onConflictDoNothing()
      .run().changes > 0
  );
}

/** Mirrors an edit; only the reply's own author may edit it. */
export function updateResponse(
  tx: DbLike,
  uri: string,
  actorId: number,
  changes: { contentHtml: string; summary: string | null; updated: Date },
): boolean {
  return (
    tx
      .update(fedResponses)
      .set(changes)
      .where(and(eq(fedResponses.uri, uri), eq(fedResponses.actorId, actorId)))
      .run().changes > 0
  );
}

/** Mirrors a deletion; only the reply's own author may delete it. */
export function deleteResponse(tx: DbLike, uri: string, actorId: number): boolean {
  return (
    tx
      .delete(fedResponses)
      .where(and(eq(fedResponses.uri, uri), eq(fedResponses.actorId, actorId)))
      .run().changes > 0
  );
}

export interface ResponseView {
  id: number;
  uri: string;
  url: string;
  summary: string | null;
  contentHtml: string;
  published: Date;
  updated: Date | null;
  hidden: boolean;
  author: { name: string | null; handle: string | null; url: string; iconUrl: string | null; id: number };
}

/** Responses under a Declaration, oldest first (hidden ones only when asked). */
export function listResponses(
  db: DbLike,
  declarationId: number,
  options: { includeHidden: boolean; limit: number },
): ResponseView[] {
  const rows = db
    .select({
      id: fedResponses.id,
      uri: fedResponses.uri,
      url: fedResponses.url,
      summary: fedResponses.summary,
      contentHtml: fedResponses.contentHtml,
      published: fedResponses.published,
      updated: fedResponses.updated,
      hidden: fedResponses.hidden,
      authorId: remoteActors.id,
      name: remoteActors.name,
      handle: remoteActors.handle,
      authorUrl: remoteActors.url,
      iconUrl: remoteActors.iconUrl,
    })
    .from(fedResponses)
    .innerJoin(remoteActors, eq(remoteActors.id, fedResponses.actorId))
    .where(
      and(
        eq(fedResponses.declarationId, declarationId),
        options.includeHidden ? undefined : eq(fedResponses.hidden, false),
      ),
    )
    .orderBy(asc(fedResponses.published), asc(fedResponses.id))
    .limit(options.limit)
    .all();
  return rows.map((r) => ({
    id: r.id,
    uri: r.uri,
    url: r.url,
    summary: r.summary,
    contentHtml: r.contentHtml,
    published: r.published,
    updated: r.updated,
    hidden: r.hidden,
    author: { id: r.authorId, name: r.name, handle: r.handle, url: r.authorUrl, iconUrl: r.iconUrl },
  }));
}

export function countResponses(db: DbLike, declarationId: number): number {
  return (
    db
      .select({ n: count() })
      .from(fedResponses)
      .where(and(eq(fedResponses.declarationId, declarationId), eq(fedResponses.hidden, false)))
      .get()?.n ?? 0
  );
}

/** Hides or shows a response of this Declaration; false when there is no such response. */
export function setResponseHidden(db: DbLike, declarationId: number, responseId: number, hidden: boolean): boolean {
  return (
    db
      .update(fedResponses)
      .set({ hidden })
      .where(and(eq(fedResponses.id, responseId), eq(fedResponses.declarationId, declarationId)))
      .run().changes > 0
  );
}

// ---------------------------------------------------------------------------
// Reports (Flag)

export function addReport(
  tx: DbLike,
  input: { activityUri: string; actorUri: string; declarationId: number | null; objectUris: string[]; content: string },
  now: Date,
): boolean {
  return (
    tx
      .insert(fedReports)
      .values({ ...input, created: now })
      .onConflictDoNothing()
      .run().changes > 0
  );
}

export function listReports(
  db: DbLike,
  options: { resolved: boolean; limit: number },
): (FedReport & { slug: string | null })[] {
  return db
    .select({ report: fedReports, slug: declarations.slug })
    .from(fedReports)
    .leftJoin(declarations, eq(declarations.id, fedReports.declarationId))
    .where(options.resolved ? sql`${fedReports.resolved} IS NOT NULL` : isNull(fedReports.resolved))
    .orderBy(desc(fedReports.id))
    .limit(options.limit)
    .all()
    .map((r) => ({ ...r.report, slug: r.slug }));
}

export function resolveReport(db: DbLike, id: number, now: Date): boolean {
  return (
    db
      .update(fedReports)
      .set({ resolved: now })
      .where(and(eq(fedReports.id, id), isNull(fedReports.resolved)))
      .run().changes > 0
  );
}

// ---------------------------------------------------------------------------
// Domain blocks

/** The domain and every parent domain of a host ("a.b.example" → a.b.example, b.example, example). */
function domainSuffixes(host: string): string[] {
  const labels = host.toLowerCase().replace(/\.$/, "").split(".");
  return labels.map((_, i) => labels.slice(i).join("."));
}

/** Whether `host` or one of its parent domains is blocked. */
export function isDomainBlocked(db: DbLike, host: string): boolean {
  const s = statements(db);
  if (s.anyBlock.get() == null) return false;
  return s.blockedAmong.get({ domains: JSON.stringify(domainSuffixes(host)) }) != null;
}

export function blockedHostFilter(db: DbLike): (host: string) => boolean {
  const blocked = new Set(
    db
      .select({ domain: domainBlocks.domain })
      .from(domainBlocks)
      .all()
      .map((r) => r.domain),
  );
  if (blocked.size === 0) return () => false;
  return (host) => domainSuffixes(host).some((d) => blocked.has(d));
}

export function listDomainBlocks(db: DbLike): { domain: string; reason: string; created: Date }[] {
  return db.select().from(domainBlocks).orderBy(asc(domainBlocks.domain)).all();
}

/** Blocks a domain and drops the follows of its accounts.  Returns false when it was already blocked. */
export function addDomainBlock(tx: DbLike, domain: string, reason: string, now: Date): boolean {
  const added =
    tx.insert(domainBlocks).values({ domain, reason, created: now }).onConflictDoNothing().run().changes > 0;
  const actors = tx
    .select({ id: remoteActors.id, host: remoteActors.host })
    .from(remoteActors)
    .where(sql`${remoteActors.host} = ${domain} OR ${remoteActors.host} LIKE ${`%.${domain}`}`)
    .all();
  if (actors.length > 0)
    tx.delete(followers)
      .where(
        inArray(
          followers.actorId,
          actors.map((a) => a.id),
        ),
      )
      .run();
  return added;
}

export function removeDomainBlock(db: DbLike, domain: string): boolean {
  return db.delete(domainBlocks).where(eq(domainBlocks.domain, domain)).run().changes > 0;
}

// ---------------------------------------------------------------------------
// Our actors' key pairs (JWK JSON)

export interface StoredKeyPairs {
  rsaPublic: string;
  rsaPrivate: string;
  ed25519Public: string;
  ed25519Private: string;
}

export function getActorKeys(db: DbLike, identifier: string): StoredKeyPairs | undefined {
  return db.select().from(actorKeys).where(eq(actorKeys.identifier, identifier)).get();
}

/**
 * Stores an actor's key pairs unless it has some already, and returns the
 * stored ones: keys are never replaced (a concurrent first use by another
 * process wins, and both then use its keys).
 */
export function storeActorKeysOnce(db: DbLike, identifier: string, keys: StoredKeyPairs, now: Date): StoredKeyPairs {
  db.insert(actorKeys)
    .values({ identifier, ...keys, created: now })
    .onConflictDoNothing()
    .run();
  return getActorKeys(db, identifier)!;
}
