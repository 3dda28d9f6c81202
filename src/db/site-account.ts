/**
 * The site account's followers and posts (src/federation/site-account.ts
 * decides what it posts; this file only reads and writes).  Each post is
 * created at most once: its key is unique, so two processes or a restart
 * never post the same thing twice.
 */
import { randomUUID } from "node:crypto";
import { and, asc, count, desc, eq, gt, isNull, lt, sql } from "drizzle-orm";
import type { DbLike } from "./client.ts";
import { blockedHostFilter, type FollowerRecipient } from "./fediverse.ts";
import { remoteActors, siteFollowers, sitePosts, type SitePost } from "./schema.ts";
import { readJsonSetting, writeJsonSetting } from "./settings.ts";

// ---------------------------------------------------------------------------
// Followers

/** Records a follow of the site account; a repeated Follow only updates its activity id. */
export function addSiteFollower(
  tx: DbLike,
  actorId: number,
  followUri: string | null,
  now: Date,
): "added" | "existing" {
  const inserted = tx.insert(siteFollowers).values({ actorId, followUri, created: now }).onConflictDoNothing().run();
  if (inserted.changes > 0) return "added";
  tx.update(siteFollowers).set({ followUri }).where(eq(siteFollowers.actorId, actorId)).run();
  return "existing";
}

export function removeSiteFollower(tx: DbLike, actorId: number): boolean {
  return tx.delete(siteFollowers).where(eq(siteFollowers.actorId, actorId)).run().changes > 0;
}

export function countSiteFollowers(db: DbLike): number {
  return db.select({ n: count() }).from(siteFollowers).get()?.n ?? 0;
}

function uriStarts(prefix: string | undefined) {
  return prefix == null ? undefined : sql`substr(${remoteActors.uri}, 1, ${prefix.length}) = ${prefix}`;
}

/**
 * Every follower of the site account (for delivery), or only those whose id
 * starts with `uriPrefix` (a server synchronizing its view, FEP-8fcf).
 * Followers on blocked domains are left out.
 */
export function listSiteFollowerRecipients(db: DbLike, uriPrefix?: string): FollowerRecipient[] {
  const rows = db
    .select({
      id: siteFollowers.id,
      uri: remoteActors.uri,
      inbox: remoteActors.inbox,
      sharedInbox: remoteActors.sharedInbox,
      host: remoteActors.host,
    })
    .from(siteFollowers)
    .innerJoin(remoteActors, eq(remoteActors.id, siteFollowers.actorId))
    .where(uriStarts(uriPrefix))
    .orderBy(asc(siteFollowers.id))
    .all();
  const blocked = blockedHostFilter(db);
  return rows.filter((r) => !blocked(r.host)).map(({ host: _host, ...r }) => r);
}

/** One page of the site account's followers, oldest first, after follower row id `after`. */
export function siteFollowersPage(db: DbLike, after: number, limit: number, uriPrefix?: string): FollowerRecipient[] {
  return db
    .select({
      id: siteFollowers.id,
      uri: remoteActors.uri,
      inbox: remoteActors.inbox,
      sharedInbox: remoteActors.sharedInbox,
    })
    .from(siteFollowers)
    .innerJoin(remoteActors, eq(remoteActors.id, siteFollowers.actorId))
    .where(and(gt(siteFollowers.id, after), uriStarts(uriPrefix)))
    .orderBy(asc(siteFollowers.id))
    .limit(limit)
    .all();
}

/** How many accounts on each server follow the site account, most first. */
export function siteFollowersByServer(db: DbLike): { host: string; followers: number }[] {
  return db
    .select({ host: remoteActors.host, followers: count() })
    .from(siteFollowers)
    .innerJoin(remoteActors, eq(remoteActors.id, siteFollowers.actorId))
    .groupBy(remoteActors.host)
    .orderBy(desc(count()), asc(remoteActors.host))
    .all();
}

export interface SiteFollowerView {
  uri: string;
  handle: string | null;
  name: string | null;
  url: string;
  created: Date;
}

/** The newest followers of the site account, for the owner. */
export function listSiteFollowers(db: DbLike, limit: number): SiteFollowerView[] {
  return db
    .select({
      uri: remoteActors.uri,
      handle: remoteActors.handle,
      name: remoteActors.name,
      url: remoteActors.url,
      created: siteFollowers.created,
    })
    .from(siteFollowers)
    .innerJoin(remoteActors, eq(remoteActors.id, siteFollowers.actorId))
    .orderBy(desc(siteFollowers.id))
    .limit(limit)
    .all();
}

// ---------------------------------------------------------------------------
// Posts

export type SitePostKind = SitePost["kind"];

export interface NewSitePost {
  kind: SitePostKind;
  key: string;
  declarationId?: number | null;
  objectUri?: string | null;
  content?: string | null;
  hashtags?: readonly string[];
  mediaIds?: readonly number[];
  language?: string | null;
  now: Date;
}

/**
 * Creates a post of the site account, unless one with that key exists
 * already (another process, or an earlier pass, posted it): then returns
 * undefined.  Call inside a transaction.
 */
export function createSitePost(tx: DbLike, input: NewSitePost): SitePost | undefined {
  return tx
    .insert(sitePosts)
    .values({
      uuid: randomUUID(),
      activityUuid: randomUUID(),
      kind: input.kind,
      key: input.key,
      declarationId: input.declarationId ?? null,
      objectUri: input.objectUri ?? null,
      content: input.content ?? null,
      hashtags: [...(input.hashtags ?? [])],
      mediaIds: [...(input.mediaIds ?? [])],
      language: input.language ?? null,
      published: input.now,
    })
    .onConflictDoNothing()
    .returning()
    .get();
}

export function getSitePostByUuid(db: DbLike, uuid: string): SitePost | undefined {
  return db.select().from(sitePosts).where(eq(sitePosts.uuid, uuid)).get();
}

export function getSitePostByActivityUuid(db: DbLike, uuid: string): SitePost | undefined {
  return db.select().from(sitePosts).where(eq(sitePosts.activityUuid, uuid)).get();
}

export function getSitePostByKey(db: DbLike, key: string): SitePost | undefined {
  return db.select().from(sitePosts).where(eq(sitePosts.key, key)).get();
}

/** Posts not yet handed to the delivery queue, oldest first. */
export function listUndeliveredSitePosts(db: DbLike, limit: number): SitePost[] {
  return db.select().from(sitePosts).where(isNull(sitePosts.delivered)).orderBy(asc(sitePosts.id)).limit(limit).all();
}

export function markSitePostDelivered(db: DbLike, id: number, now: Date): void {
  db.update(sitePosts).set({ delivered: now }).where(eq(sitePosts.id, id)).run();
}

/** One page of the site account's outbox, newest first, before row id `before` (0 = from the newest). */
export function siteOutboxPage(db: DbLike, before: number, limit: number): SitePost[] {
  return db
    .select()
    .from(sitePosts)
    .where(before > 0 ? lt(sitePosts.id, before) : undefined)
    .orderBy(desc(sitePosts.id))
    .limit(limit)
    .all();
}

export function countSitePosts(db: DbLike): number {
  return db.select({ n: count() }).from(sitePosts).get()?.n ?? 0;
}

/** The site account's posts, newest first (for the owner). */
export function listSitePosts(db: DbLike, limit: number): SitePost[] {
  return siteOutboxPage(db, 0, limit);
}

// ---------------------------------------------------------------------------
// What is due

const SINCE_KEY = "site_account_since";
const HANDLE_KEY = "site_account_handle";

const PROFILE_KEY = "site_account_profile";

/** What the site account's followers were last told of its profile (a fingerprint), or null. */
export function readSiteProfile(db: DbLike): string | null {
  const stored = readJsonSetting(db, PROFILE_KEY);
  return typeof stored === "string" ? stored : null;
}

export function recordSiteProfile(tx: DbLike, fingerprint: string): void {
  writeJsonSetting(tx, PROFILE_KEY, fingerprint);
}

/** Records the site account's handle (at start), so that no new Declaration takes it as its slug. */
export function recordSiteHandle(tx: DbLike, handle: string): void {
  if (readJsonSetting(tx, HANDLE_KEY) !== handle) writeJsonSetting(tx, HANDLE_KEY, handle);
}

/** Whether `slug` is the site account's handle (as recorded at start). */
export function isSiteHandle(db: DbLike, slug: string): boolean {
  return readJsonSetting(db, HANDLE_KEY) === slug;
}

/**
 * When the site account began (written on first use, then kept): it posts
 * about what happened from then on, not about every Declaration, copy or
 * digest a site had before it existed.
 */
export function siteAccountSince(tx: DbLike, now: Date): Date {
  const stored = readSiteAccountSince(tx);
  if (stored != null) return stored;
  writeJsonSetting(tx, SINCE_KEY, now.getTime());
  return now;
}

/** When the site account began, or null before its first pass. */
export function readSiteAccountSince(db: DbLike): Date | null {
  const stored = readJsonSetting(db, SINCE_KEY);
  return typeof stored === "number" && Number.isFinite(stored) ? new Date(stored) : null;
}

export interface NewDeclarationWork {
  id: number;
  slug: string;
  revision: number;
  sourceDeclarationId: number | null;
  sourceUrl: string | null;
}

/** Declarations published here since `since` (their Article was posted) that the site account has not told of. */
export function declarationsNewForSite(db: DbLike, since: Date): NewDeclarationWork[] {
  return db.all<NewDeclarationWork>(sql`
    SELECT d.id, d.slug, d.revision, d.source_declaration_id AS sourceDeclarationId, d.source_url AS sourceUrl
    FROM declarations d
    JOIN fed_posts p ON p.declaration_id = d.id AND p.key = 'article'
    WHERE d.status = 'published' AND p.published >= ${since.getTime()}
      AND NOT EXISTS (SELECT 1 FROM site_posts s WHERE s.key = 'declaration:' || d.id)
    ORDER BY p.id`);
}

export interface RemoteCopyWork {
  id: number;
  declarationId: number;
  title: string;
  url: string;
  host: string;
}

/** Copies of our published Declarations on other sites, recorded since `since`, not told of yet. */
export function remoteCopiesNewForSite(db: DbLike, since: Date): RemoteCopyWork[] {
  return db.all<RemoteCopyWork>(sql`
    SELECT c.id, c.declaration_id AS declarationId, c.title, c.url, c.host
    FROM remote_copies c
    JOIN declarations d ON d.id = c.declaration_id
    WHERE c.status = 'ok' AND d.status = 'published' AND c.created >= ${since.getTime()}
      AND NOT EXISTS (SELECT 1 FROM site_posts s WHERE s.key = 'remote-copy:' || c.id)
    ORDER BY c.id`);
}

export interface BoostWork {
  id: number;
  uuid: string;
  declarationId: number;
}

/** Version notes and digests of published Declarations, posted since `since`, not boosted yet. */
export function postsToBoost(db: DbLike, since: Date): BoostWork[] {
  return db.all<BoostWork>(sql`
    SELECT p.id, p.uuid, p.declaration_id AS declarationId
    FROM fed_posts p
    JOIN declarations d ON d.id = p.declaration_id
    WHERE p.kind IN ('version', 'digest') AND d.status = 'published' AND p.published >= ${since.getTime()}
      AND NOT EXISTS (SELECT 1 FROM site_posts s WHERE s.key = 'boost:' || p.uuid)
    ORDER BY p.id`);
}

export interface SlotNoticeWork {
  id: number;
  uuid: string;
  declarationId: number;
  slug: string;
  /**
   * The notices posted together: a slot's start (Unix ms), or `now:<ms>` for
   * those the owner posted at once with "Post a notice now".
   */
  group: string;
}

/** Strike notices of published Declarations since `since` whose slot (or batch) the site account has not boosted. */
export function slotNoticesToBoost(db: DbLike, since: Date): SlotNoticeWork[] {
  return db.all<SlotNoticeWork>(sql`
    SELECT id, uuid, declarationId, slug, grp AS "group" FROM (
      SELECT p.id, p.uuid, p.declaration_id AS declarationId, d.slug,
             COALESCE(CAST(p.slot AS TEXT), 'now:' || p.published) AS grp
      FROM fed_posts p
      JOIN declarations d ON d.id = p.declaration_id
      WHERE p.kind = 'notice' AND d.status = 'published' AND p.published >= ${since.getTime()})
    WHERE NOT EXISTS (SELECT 1 FROM site_posts s WHERE s.key = 'boost:notice:' || grp)
    ORDER BY id`);
}
