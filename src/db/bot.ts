/**
 * The strike bot's storage: the OAuth app registered per server, strikers'
 * connections (with their sealed
 * token and plan) and one row per post and slot.  Authorizations in
 * progress and the sign-ins of bot identities are in bot-sign-in.ts.  Sealing and the rules of
 * when to post live in src/bot; these functions store what they are given.
 */
import { and, asc, eq, isNull, lte, sql } from "drizzle-orm";
import type { DbLike } from "./client.ts";
import { botApps, botConnections, botPosts, type BotAppRow, type BotConnection, type BotPost } from "./schema.ts";

// ---------------------------------------------------------------------------
// Apps

export function findBotApp(db: DbLike, origin: string, redirectUri: string, scopes: string): BotAppRow | undefined {
  return db
    .select()
    .from(botApps)
    .where(and(eq(botApps.origin, origin), eq(botApps.redirectUri, redirectUri), eq(botApps.scopes, scopes)))
    .get();
}

export function getBotApp(db: DbLike, id: number): BotAppRow | undefined {
  return db.select().from(botApps).where(eq(botApps.id, id)).get();
}

export type NewBotApp = Omit<BotAppRow, "id" | "scheduling" | "schedulingReason" | "schedulingLearned">;

/** Stores a registration; when another request registered the same one meanwhile, keeps the first. */
export function insertBotApp(db: DbLike, app: NewBotApp): BotAppRow {
  db.insert(botApps).values(app).onConflictDoNothing().run();
  return findBotApp(db, app.origin, app.redirectUri, app.scopes)!;
}

/**
 * New credentials for a registration the server forgot (same row: its
 * connections keep pointing at it).  A server that forgot us may be another
 * server now: what it supports is learnt again.
 */
export function replaceBotApp(db: DbLike, id: number, app: NewBotApp): BotAppRow {
  return db
    .update(botApps)
    .set({ ...app, scheduling: null, schedulingReason: null, schedulingLearned: null })
    .where(eq(botApps.id, id))
    .returning()
    .get()!;
}

/**
 * Records the software and version a server reports; when the version
 * changed, what it supports is learnt again (an upgrade may bring scheduled
 * statuses).  Returns the row as stored.
 */
export function noteBotAppVersion(db: DbLike, id: number, software: string, version: string): BotAppRow | undefined {
  db.update(botApps)
    .set({ software, version, scheduling: null, schedulingReason: null, schedulingLearned: null })
    .where(and(eq(botApps.id, id), sql`${botApps.version} <> ${version}`))
    .run();
  return getBotApp(db, id);
}

export type ServerScheduling =
  | { readonly scheduling: "yes"; readonly reason: null }
  | { readonly scheduling: "no"; readonly reason: NonNullable<BotAppRow["schedulingReason"]> };

/** What the bot learnt about a server's scheduled statuses (src/bot/capability.ts). */
export function setServerScheduling(db: DbLike, id: number, learnt: ServerScheduling, now: Date): void {
  db.update(botApps)
    .set({ scheduling: learnt.scheduling, schedulingReason: learnt.reason, schedulingLearned: now })
    .where(eq(botApps.id, id))
    .run();
}

/** Forgets a server's registration (the server no longer knows our client id). */
export function deleteBotApp(db: DbLike, id: number): void {
  const used =
    db.select({ n: sql<number>`count(*)` }).from(botConnections).where(eq(botConnections.appId, id)).get()?.n ?? 0;
  if (used === 0) db.delete(botApps).where(eq(botApps.id, id)).run();
}

// ---------------------------------------------------------------------------
// Connections

export interface ConnectionWithApp extends BotConnection {
  readonly origin: string;
  readonly app: BotAppRow;
}

function withApp(rows: { c: BotConnection; a: BotAppRow }[]): ConnectionWithApp[] {
  return rows.map(({ c, a }) => ({ ...c, origin: a.origin, app: a }));
}

export function getConnection(db: DbLike, id: number): ConnectionWithApp | undefined {
  return withApp(
    db
      .select({ c: botConnections, a: botApps })
      .from(botConnections)
      .innerJoin(botApps, eq(botApps.id, botConnections.appId))
      .where(eq(botConnections.id, id))
      .all(),
  )[0];
}

export function listConnections(db: DbLike, accountId: number): ConnectionWithApp[] {
  return withApp(
    db
      .select({ c: botConnections, a: botApps })
      .from(botConnections)
      .innerJoin(botApps, eq(botApps.id, botConnections.appId))
      .where(eq(botConnections.accountId, accountId))
      .orderBy(asc(botConnections.id))
      .all(),
  );
}

/** The bot identity of this remote account (its connection without a local account), if any. */
export function findIdentityConnection(db: DbLike, appId: number, remoteId: string): ConnectionWithApp | undefined {
  return withApp(
    db
      .select({ c: botConnections, a: botApps })
      .from(botConnections)
      .innerJoin(botApps, eq(botApps.id, botConnections.appId))
      .where(
        and(isNull(botConnections.accountId), eq(botConnections.appId, appId), eq(botConnections.remoteId, remoteId)),
      )
      .all(),
  )[0];
}

export interface ConnectedAccount {
  /** The account here, or null for a bot identity. */
  readonly accountId: number | null;
  readonly appId: number;
  readonly remoteId: string;
  readonly acct: string;
  readonly displayName: string;
  readonly url: string;
  readonly avatar: string;
  readonly scope: string;
  readonly now: Date;
}

/**
 * Creates the connection, or updates it when this account connects the same
 * remote account again (the old token is replaced: `seal` gets the row id).
 */
export function upsertConnection(
  db: DbLike,
  a: ConnectedAccount,
  seal: (connectionId: number) => string,
): BotConnection {
  const fields = {
    acct: a.acct,
    displayName: a.displayName,
    url: a.url,
    avatar: a.avatar,
    scope: a.scope,
  };
  const again = { ...fields, status: "active" as const, statusReason: null, needsSync: true, updated: a.now };
  let row: BotConnection;
  if (a.accountId == null) {
    // A bot identity: one per remote account (the partial unique index), updated in place on a new sign-in.
    const known = findIdentityConnection(db, a.appId, a.remoteId);
    row =
      known == null
        ? db
            .insert(botConnections)
            .values({
              accountId: null,
              appId: a.appId,
              remoteId: a.remoteId,
              ...fields,
              created: a.now,
              updated: a.now,
            })
            .returning()
            .get()
        : db.update(botConnections).set(again).where(eq(botConnections.id, known.id)).returning().get()!;
  } else {
    row = db
      .insert(botConnections)
      .values({
        accountId: a.accountId,
        appId: a.appId,
        remoteId: a.remoteId,
        ...fields,
        created: a.now,
        updated: a.now,
      })
      .onConflictDoUpdate({
        target: [botConnections.accountId, botConnections.appId, botConnections.remoteId],
        set: again,
      })
      .returning()
      .get();
  }
  return db
    .update(botConnections)
    .set({ tokenSealed: seal(row.id) })
    .where(eq(botConnections.id, row.id))
    .returning()
    .get()!;
}

/** Saves the plan and whether it is on; the scheduler then reconciles the posts. */
export function savePlan(db: DbLike, id: number, plan: unknown, enabled: boolean, now: Date): void {
  db.update(botConnections)
    .set({ plan, enabled, needsSync: true, updated: now })
    .where(eq(botConnections.id, id))
    .run();
}

export function setEnabled(db: DbLike, id: number, enabled: boolean, now: Date): void {
  db.update(botConnections).set({ enabled, needsSync: true, updated: now }).where(eq(botConnections.id, id)).run();
}

/** Connections whose posts must be reconciled with their plan. */
export function connectionsNeedingSync(db: DbLike, limit = 50): number[] {
  return db
    .select({ id: botConnections.id })
    .from(botConnections)
    .where(eq(botConnections.needsSync, true))
    .limit(limit)
    .all()
    .map((r) => r.id);
}

/** Clears the flag unless the connection changed again since `seen` (its `updated`). */
export function markSynced(db: DbLike, id: number, seen: Date): void {
  db.update(botConnections)
    .set({ needsSync: false })
    .where(and(eq(botConnections.id, id), lte(botConnections.updated, seen)))
    .run();
}

/** Every connection reconciles again (the strike's settings changed: days, hashtags, name). */
export function requestSyncAll(db: DbLike): void {
  db.update(botConnections).set({ needsSync: true }).where(eq(botConnections.status, "active")).run();
}

export function requestSync(db: DbLike, id: number): void {
  db.update(botConnections).set({ needsSync: true }).where(eq(botConnections.id, id)).run();
}

/**
 * The server stopped accepting the token: it is erased, the bot stops, and
 * every post not yet made fails with `reason`.
 */
export function markRevoked(db: DbLike, id: number, reason: string, now: Date): void {
  db.update(botConnections)
    .set({ tokenSealed: null, status: "revoked", statusReason: reason, enabled: false, needsSync: false, updated: now })
    .where(eq(botConnections.id, id))
    .run();
  db.update(botPosts)
    .set({ state: "failed", error: reason, updated: now })
    .where(and(eq(botPosts.connectionId, id), eq(botPosts.state, "planned")))
    .run();
}

export function deleteConnection(db: DbLike, id: number): void {
  db.delete(botConnections).where(eq(botConnections.id, id)).run();
}

// ---------------------------------------------------------------------------
// Posts

export function getPost(db: DbLike, id: number): BotPost | undefined {
  return db.select().from(botPosts).where(eq(botPosts.id, id)).get();
}

export function listPosts(db: DbLike, connectionId: number): BotPost[] {
  return db.select().from(botPosts).where(eq(botPosts.connectionId, connectionId)).orderBy(asc(botPosts.slotAt)).all();
}

export type NewBotPost = Omit<BotPost, "id">;

export function insertPost(db: DbLike, post: NewBotPost): BotPost {
  return db.insert(botPosts).values(post).returning().get();
}

/**
 * Inserts a post unless its connection already has one for that slot
 * (another pass got there first); returns whether it did.
 */
export function insertPostIfAbsent(db: DbLike, post: NewBotPost): boolean {
  return (
    db
      .insert(botPosts)
      .values(post)
      .onConflictDoNothing({ target: [botPosts.connectionId, botPosts.slotAt] })
      .returning({ id: botPosts.id })
      .get() != null
  );
}

/**
 * Updates a post only while it is still as `seen` (same state and
 * idempotency key): a pass that worked from an older reading changes
 * nothing.  Returns whether it did.
 */
export function updatePostIf(
  db: DbLike,
  id: number,
  seen: Pick<BotPost, "state" | "idempotencyKey">,
  patch: Partial<Omit<BotPost, "id" | "connectionId">>,
): boolean {
  return (
    db
      .update(botPosts)
      .set(patch)
      .where(and(eq(botPosts.id, id), eq(botPosts.state, seen.state), eq(botPosts.idempotencyKey, seen.idempotencyKey)))
      .returning({ id: botPosts.id })
      .get() != null
  );
}

export function updatePost(db: DbLike, id: number, patch: Partial<Omit<BotPost, "id" | "connectionId">>): void {
  db.update(botPosts).set(patch).where(eq(botPosts.id, id)).run();
}

/**
 * Posts our scheduler makes now: planned, due, and not waiting for a retry,
 * of connections that are on.  Oldest first.
 */
export function duePosts(db: DbLike, now: Date, limit = 100): BotPost[] {
  return db
    .select({ p: botPosts })
    .from(botPosts)
    .innerJoin(botConnections, eq(botConnections.id, botPosts.connectionId))
    .where(
      and(
        eq(botPosts.state, "planned"),
        lte(botPosts.nextAttemptAt, now),
        lte(botPosts.postAt, now),
        eq(botConnections.status, "active"),
        eq(botConnections.enabled, true),
      ),
    )
    .orderBy(asc(botPosts.postAt))
    .limit(limit)
    .all()
    .map((r) => r.p);
}

/** Connections with server-scheduled posts whose time has come (to confirm they went out). */
export function connectionsWithPassedScheduled(db: DbLike, before: Date): number[] {
  return db
    .select({ id: botPosts.connectionId })
    .from(botPosts)
    .innerJoin(botConnections, eq(botConnections.id, botPosts.connectionId))
    .where(and(eq(botPosts.state, "scheduled"), lte(botPosts.postAt, before), eq(botConnections.status, "active")))
    .groupBy(botPosts.connectionId)
    .all()
    .map((r) => r.id);
}

/**
 * The earliest time the scheduler has something to do: a planned post of a
 * connection that is on is due (or its retry is), or a server-scheduled post
 * can be confirmed (`confirmAfterMs` after its time).  The time may be past
 * (a post held back by a rate limit): the caller decides how soon to look again.
 */
export function nextBotWake(db: DbLike, confirmAfterMs = 60_000): Date | null {
  const planned = db
    .select({ at: sql<number | null>`min(max(${botPosts.postAt}, ${botPosts.nextAttemptAt}))` })
    .from(botPosts)
    .innerJoin(botConnections, eq(botConnections.id, botPosts.connectionId))
    .where(and(eq(botPosts.state, "planned"), eq(botConnections.status, "active"), eq(botConnections.enabled, true)))
    .get()?.at;
  const scheduled = db
    .select({ at: sql<number | null>`min(${botPosts.postAt})` })
    .from(botPosts)
    .innerJoin(botConnections, eq(botConnections.id, botPosts.connectionId))
    .where(and(eq(botPosts.state, "scheduled"), eq(botConnections.status, "active")))
    .get()?.at;
  const times = [planned, scheduled == null ? null : scheduled + confirmAfterMs].filter((t): t is number => t != null);
  return times.length === 0 ? null : new Date(Math.min(...times));
}
