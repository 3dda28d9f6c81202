/**
 * (Over 400 lines: one reconciliation loop with each server's behaviour handled in it.)
 *
 * The strike bot's scheduler: turns each striker's plan into posts on their
 * own Mastodon-API account.
 *
 * One pass (`runBotPass`):
 *  1. **Reconcile** the connections whose plan changed (`needs_sync`): future
 *     posts that no longer match the plan are cancelled (on the server too,
 *     when it held them scheduled), new ones are planned.
 *     A cancel that answers 404 is checked against the server's list; a post
 *     the server may still publish keeps its row (and says so), so the slot
 *     is never posted twice.
 *  2. **Schedule on the server** what can be: a scheduled status
 *     (`scheduled_at`) at least 10 minutes ahead, within Mastodon's limits
 *     (25 per UTC day, 300 in all, counting what the account already has
 *     scheduled), so the post goes out even if this site is down.  Beyond the
 *     limits, or when the server refuses, the post stays with us.  The first
 *     post handed to a server is checked (src/bot/capability.ts): a server
 *     that published it at once (the premature post is deleted), does not
 *     list it (it is cancelled), or answers 501 schedules nothing more, and
 *     this site posts at their time for every striker there.
 *  3. **Confirm** server-scheduled posts whose time has passed: once the
 *     server no longer lists them, they were published (on a server that
 *     does not list them, they are marked unconfirmed, never "posted").
 *  4. **Post** what stays with us when its time comes.
 *
 * Each connection's step runs on one network (src/bot/network.ts): its
 * server's address is resolved and checked once, every request goes there,
 * and every request has connect and total time limits, so a server that
 * accepts connections and never answers costs one timeout and a backoff.
 *
 * Every request carries the row's Idempotency-Key (striker, strike, slot and
 * a fingerprint of the text, plus a nonce renewed only when a post is
 * deliberately made again, or when the server answers "Record not found" for
 * a key it remembers from a status since gone), so a retry after a timeout or
 * a crash never posts twice; a status the server already holds for a post's
 * time and text is taken rather than scheduled again.  Passes over one
 * database run one at a time in a process; across processes, rows are
 * inserted once per slot and changed only as they were read.  Failures:
 * 401 stops the bot and tells the striker; 422 fails the post with the
 * server's words; 429 waits for the time the server names;
 * 5xx and timeouts retry with backoff until the post is too late (30
 * minutes), when it fails rather than arrive late.
 */
import { randomBytes } from "node:crypto";
import { getLogger } from "@logtape/logtape";
import {
  connectionsNeedingSync,
  connectionsWithPassedScheduled,
  duePosts,
  getConnection,
  getPost,
  insertPostIfAbsent,
  listPosts,
  markRevoked,
  markSynced,
  nextBotWake,
  updatePost,
  updatePostIf,
  type ConnectionWithApp,
} from "../db/bot.ts";
import { getPublishedDeclaration } from "../db/declarations.ts";
import { getMediaById, getMediaData } from "../db/media.ts";
import type { BotPost } from "../db/schema.ts";
import { currentStrikeSettings } from "../federation/index.ts";
import { cancelOnServer, learnScheduling, listIsTrusted, notCancelledWords } from "./capability.ts";
import { connectionToken, nowOf, withBotNetwork, type BotContext } from "./connect.ts";
import {
  BotApiError,
  cancelScheduled,
  deleteStatus,
  listScheduled,
  postStatus,
  probeServer,
  uploadMedia,
  type BotClientOptions,
  type PostResult,
  type ScheduledPost,
} from "./mastodon.ts";
import { TokenSealError } from "./secrets.ts";
import { parseStoredPlan, plannedPosts, type BotPlan, type PlannedPost } from "./plan.ts";

const logger = getLogger(["undersign", "bot", "scheduler"]);

const MINUTE = 60_000;
/** Scheduled statuses must be 5 minutes ahead on Mastodon; keep a margin for slow requests. */
export const SERVER_MIN_AHEAD_MS = 10 * MINUTE;
export const SERVER_DAILY_LIMIT = 25;
export const SERVER_TOTAL_LIMIT = 300;
/** A post we could not make within this long after its time fails instead of arriving late. */
export const LATE_MS = 30 * MINUTE;
/** Retries after a server error or timeout: 30 s, 1, 2, 4, 8 minutes, then every 10. */
export function backoffMs(attempts: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 10 * MINUTE);
}

type Ctx = BotContext;

/** What the striker should do after a failure, appended to the server's message. */
const WHAT_TO_DO = {
  validation: "Edit the notice on the strike bot page (it may be too long, or the server's limits were reached).",
  server: "The bot tried again until the post was too late. If your server is often down, consider posting by hand.",
  late: "Nothing is posted late in a burst; the next posts go out on time.",
} as const;

function nonce(): string {
  return randomBytes(6).toString("base64url");
}

function matches(row: Pick<BotPost, "idempotencyKey">, planned: PlannedPost): boolean {
  return row.idempotencyKey.startsWith(`${planned.idempotencyKey}:`);
}

/** The plan's posts now, with the current signature count, or [] when the bot is off. */
function desiredPosts(
  ctx: Ctx,
  connection: ConnectionWithApp,
  now: Date,
): { plan: BotPlan | null; posts: PlannedPost[] } {
  const plan = parseStoredPlan(connection.plan);
  if (plan == null || !connection.enabled || connection.status !== "active") return { plan, posts: [] };
  const declaration = getPublishedDeclaration(ctx.db, plan.declaration);
  if (declaration == null) return { plan, posts: [] };
  const strike = currentStrikeSettings(ctx.db, now);
  // The site owner may have moved the strike since the plan was saved: only its current days are posted.
  const days = plan.days.filter((d) => strike.days.includes(d));
  if (days.length === 0) return { plan, posts: [] };
  return { plan, posts: plannedPosts({ ...plan, days }, connection.id, { strike, declaration, origin: ctx.origin }) };
}

/** A BotApiError that means "stop this connection"; anything else is rethrown by the caller's rules. */
async function revokeIfUnauthorized(ctx: Ctx, connection: ConnectionWithApp, error: unknown): Promise<boolean> {
  if (!(error instanceof BotApiError) || error.kind !== "unauthorized" || error.status !== 401) return false;
  await ctx.batcher.run(() => markRevoked(ctx.db, connection.id, error.message, nowOf(ctx)));
  logger.warn("Strike bot stopped for connection {id}: the server answered 401", { id: connection.id });
  return true;
}

/** How long a connection whose token does not open is left alone before trying again. */
const UNREADABLE_HOLD_MS = 10 * MINUTE;

/**
 * The connection's token, or null when there is none or it does not open.
 * A token that does not open means BOT_TOKEN_KEY is not the key it was
 * sealed with: an operator's mistake to fix, so the token is kept (the right
 * key opens it again), the connection is left alone for a while, and the
 * error is logged, rather than every pass failing for every striker.
 */
function tokenOf(ctx: Ctx, connection: ConnectionWithApp): string | null {
  try {
    return connectionToken(ctx, connection);
  } catch (error) {
    if (!(error instanceof TokenSealError)) throw error;
    holds(ctx).set(connection.id, nowOf(ctx).getTime() + UNREADABLE_HOLD_MS);
    logger.error(
      "Strike bot cannot open the token of connection {id} ({reason}): is BOT_TOKEN_KEY the key it was sealed with?",
      { id: connection.id, reason: error.reason },
    );
    return null;
  }
}

/** Per-connection pause after a rate limit or a failing server (in memory: a restart tries at once). */
const holdUntil = new WeakMap<object, Map<number, number>>();
function holds(ctx: Ctx): Map<number, number> {
  let map = holdUntil.get(ctx.db);
  if (map == null) {
    map = new Map();
    holdUntil.set(ctx.db, map);
  }
  return map;
}
function hold(ctx: Ctx, connectionId: number, error: BotApiError, now: Date): void {
  const until = error.retryAt?.getTime() ?? now.getTime() + MINUTE;
  holds(ctx).set(connectionId, until);
}
function held(ctx: Ctx, connectionId: number, now: Date): boolean {
  const until = holds(ctx).get(connectionId);
  return until != null && until > now.getTime();
}

async function uploadFor(
  ctx: Ctx,
  connection: ConnectionWithApp,
  token: string,
  post: Pick<BotPost, "mediaId" | "mediaAlt">,
  options: BotClientOptions,
): Promise<string[]> {
  if (post.mediaId == null) return [];
  const media = getMediaById(ctx.db, post.mediaId);
  const bytes = getMediaData(ctx.db, post.mediaId);
  // The image was deleted from the gallery since: post without it.
  if (media == null || bytes == null) return [];
  const uploaded = await uploadMedia(connection.origin, token, bytes, media.mime, post.mediaAlt || media.alt, options);
  return [uploaded.id];
}

/** Step 1 and 2 for one connection.  Returns false when it must be tried again later. */
async function syncConnection(ctx: Ctx, id: number): Promise<boolean> {
  const connection = getConnection(ctx.db, id);
  if (connection == null) return true;
  const seen = connection.updated;
  const now = nowOf(ctx);
  const token = tokenOf(ctx, connection);
  // Sealed but unreadable: try again once the key is fixed.
  if (token == null && connection.tokenSealed != null && connection.status === "active") return false;
  if (token == null || connection.status !== "active") {
    await ctx.batcher.run(() => markSynced(ctx.db, id, seen));
    return true;
  }
  const desired = desiredPosts(ctx, connection, now).posts.filter((p) => p.postAt.getTime() > now.getTime());
  const bySlot = new Map(desired.map((p) => [p.slotAt.getTime(), p]));
  const rows = listPosts(ctx.db, id);
  const rowBySlot = new Map(rows.map((r) => [r.slotAt.getTime(), r]));
  const host = new URL(connection.origin).host;

  try {
    await withBotNetwork(ctx, async (options) => {
      // 1. Future posts that changed or are no longer wanted.
      for (const row of rows) {
        // What went out stays as it is; so does what is past (posted or given up by step 4).
        if (row.postAt.getTime() <= now.getTime() || row.state === "posted") continue;
        const want = bySlot.get(row.slotAt.getTime());
        const live = row.state === "planned" || isHeld(row);
        if (live && want != null && matches(row, want)) continue;
        if (!live && want == null) continue;
        if (isHeld(row) && row.remoteId != null) {
          const outcome = await cancelOnServer(ctx, connection, token, row.remoteId, options, now);
          // The server may still publish it: keep the row as it is, saying so, rather than plan a second post for the slot.
          if (outcome === "still-scheduled" || outcome === "unknown") {
            const error = notCancelledWords(outcome, host);
            await ctx.batcher.run(() =>
              updatePostIf(ctx.db, row.id, row, {
                state: outcome === "unknown" ? "unconfirmed" : "scheduled",
                error,
                updated: now,
              }),
            );
            continue;
          }
        }
        // A new nonce whenever a post is made again: the server remembers a key
        // for an hour and would answer a cancelled one with "Record not found".
        const patch =
          want == null
            ? { state: "cancelled" as const, remoteId: null, error: null, updated: now }
            : {
                ...fieldsOf(want),
                state: "planned" as const,
                via: null,
                remoteId: null,
                url: null,
                error: null,
                attempts: 0,
                nextAttemptAt: now,
                updated: now,
              };
        await ctx.batcher.run(() => updatePostIf(ctx.db, row.id, row, patch));
      }
      // New slots (another pass may have added some meanwhile: those are kept).
      const fresh = desired.filter((p) => !rowBySlot.has(p.slotAt.getTime()));
      if (fresh.length > 0) {
        await ctx.batcher.run(() => {
          for (const p of fresh)
            insertPostIfAbsent(ctx.db, {
              connectionId: id,
              ...fieldsOf(p),
              state: "planned",
              via: null,
              remoteId: null,
              url: null,
              error: null,
              attempts: 0,
              nextAttemptAt: now,
              updated: now,
            });
        });
      }
      // 2. Hand what can be to the server's own scheduler (as now known: a cancel above may have taught the bot otherwise).
      await scheduleOnServer(ctx, getConnection(ctx.db, id) ?? connection, token, now, options);
    });
  } catch (error) {
    if (await revokeIfUnauthorized(ctx, connection, error)) return true;
    // Any other failure of the server (or its address, now refused): try again later; one connection never stops the pass for the others.
    if (error instanceof BotApiError) {
      if (error.kind === "not-compatible") holds(ctx).set(id, now.getTime() + UNREADABLE_HOLD_MS);
      else hold(ctx, id, error, now);
      logger.warn("Strike bot could not sync connection {id}: {message}", { id, message: error.message });
      return false;
    }
    throw error;
  }
  await ctx.batcher.run(() => markSynced(ctx.db, id, seen));
  return true;
}

/** A post the server holds, or may hold: scheduled there, or not known not to be. */
function isHeld(row: Pick<BotPost, "state">): boolean {
  return row.state === "scheduled" || row.state === "unconfirmed";
}

function fieldsOf(p: PlannedPost) {
  return {
    slotAt: p.slotAt,
    postAt: p.postAt,
    text: p.text,
    spoilerText: p.spoilerText,
    visibility: p.visibility,
    language: p.language,
    mediaId: p.mediaId,
    mediaAlt: p.mediaAlt,
    idempotencyKey: `${p.idempotencyKey}:${nonce()}`,
  };
}

const utcDay = (d: Date) => d.toISOString().slice(0, 10);

/** The same key with a new nonce (the part after the last colon). */
function renewedKey(key: string): string {
  return `${key.slice(0, key.lastIndexOf(":"))}:${nonce()}`;
}

/** A status the server holds scheduled for this post's time with its text, not yet claimed by another post. */
function findScheduled(
  existing: readonly ScheduledPost[],
  row: Pick<BotPost, "postAt" | "text">,
  claimed: ReadonlySet<string>,
): ScheduledPost | undefined {
  return existing.find(
    (s) => !claimed.has(s.id) && s.scheduledAt.getTime() === row.postAt.getTime() && s.text === row.text,
  );
}

/** Step 2: hands the connection's planned posts to the server as scheduled statuses, where the server really holds them. */
async function scheduleOnServer(
  ctx: Ctx,
  connection: ConnectionWithApp,
  token: string,
  now: Date,
  options: BotClientOptions,
): Promise<void> {
  const rows = listPosts(ctx.db, connection.id);
  const candidates = rows.filter(
    (r) => r.state === "planned" && r.via !== "site" && r.postAt.getTime() >= now.getTime() + SERVER_MIN_AHEAD_MS,
  );
  if (candidates.length === 0) return;
  // What this server cannot hold stays with this site, posted at its time.
  const toSite = (left: readonly BotPost[]) =>
    ctx.batcher.run(() => {
      for (const r of left) updatePostIf(ctx.db, r.id, r, { via: "site", updated: now });
    });
  if (connection.app.scheduling === "no") return toSite(candidates);
  let existing: ScheduledPost[];
  try {
    existing = await listScheduled(connection.origin, token, options);
  } catch (error) {
    // No list at all: the bot could neither confirm nor cancel what it scheduled there.
    if (!(error instanceof BotApiError) || error.kind !== "not-found") throw error;
    await learnScheduling(ctx, connection, "not-listed", now);
    return toSite(candidates);
  }
  const perDay = new Map<string, number>();
  for (const s of existing) perDay.set(utcDay(s.scheduledAt), (perDay.get(utcDay(s.scheduledAt)) ?? 0) + 1);
  let total = existing.length;
  const claimed = new Set(rows.flatMap((r) => (r.state === "scheduled" && r.remoteId != null ? [r.remoteId] : [])));
  // Trusted once the server was seen to list a status the bot scheduled there.
  let trusted = connection.app.scheduling === "yes";
  if (
    !trusted &&
    rows.some((r) => r.state === "scheduled" && r.remoteId != null && existing.some((s) => s.id === r.remoteId))
  ) {
    await learnScheduling(ctx, connection, null, now);
    trusted = true;
  }
  for (const [index, row] of candidates.entries()) {
    // Already there (an earlier request went through but its answer was lost): take it rather than schedule it twice.
    const there = findScheduled(existing, row, claimed);
    if (there != null) {
      claimed.add(there.id);
      await ctx.batcher.run(() =>
        updatePostIf(ctx.db, row.id, row, {
          state: "scheduled",
          via: "server",
          remoteId: there.id,
          error: null,
          updated: now,
        }),
      );
      // Found in its list: this server lists what it holds.
      if (!trusted) {
        await learnScheduling(ctx, connection, null, now);
        trusted = true;
      }
      continue;
    }
    const day = utcDay(row.postAt);
    if ((perDay.get(day) ?? 0) >= SERVER_DAILY_LIMIT || total >= SERVER_TOTAL_LIMIT) {
      await ctx.batcher.run(() => updatePostIf(ctx.db, row.id, row, { via: "site", updated: now }));
      continue;
    }
    let result: PostResult;
    try {
      const mediaIds = await uploadFor(ctx, connection, token, row, options);
      result = await postStatus(
        connection.origin,
        token,
        {
          status: row.text,
          visibility: row.visibility as "public",
          language: row.language,
          spoilerText: row.spoilerText,
          mediaIds,
          scheduledAt: row.postAt,
          idempotencyKey: row.idempotencyKey,
        },
        options,
      );
    } catch (error) {
      // The server would not take it scheduled (its limits, a rule of its own): we post it at its time.
      if (error instanceof BotApiError && error.kind === "validation") {
        await ctx.batcher.run(() => updatePostIf(ctx.db, row.id, row, { via: "site", updated: now }));
        continue;
      }
      // "Record not found": the server knows this key from a status since gone.  A new key, and we post it.
      if (error instanceof BotApiError && error.kind === "not-found") {
        await ctx.batcher.run(() =>
          updatePostIf(ctx.db, row.id, row, {
            via: "site",
            idempotencyKey: renewedKey(row.idempotencyKey),
            updated: now,
          }),
        );
        continue;
      }
      // 501 Not Implemented: the server does not schedule at all.
      if (error instanceof BotApiError && error.status === 501) {
        await learnScheduling(ctx, connection, "refused", now);
        return toSite(candidates.slice(index));
      }
      throw error;
    }
    if (result.kind === "posted") {
      // Asked for later, published now: this server does not schedule.
      await learnScheduling(ctx, connection, "posts-at-once", now);
      await toSite(candidates.slice(index + 1));
      await takeBackPublished(ctx, connection, token, row, result, now, options);
      return;
    }
    const applied = await ctx.batcher.run(() =>
      updatePostIf(ctx.db, row.id, row, {
        state: "scheduled",
        via: "server",
        remoteId: result.id,
        error: null,
        updated: now,
      }),
    );
    // The plan changed (or the bot was paused) while this request ran: take back what it scheduled.
    if (!applied) {
      const current = getPost(ctx.db, row.id);
      // Unless another pass recorded this very status (the same key gave the same answer).
      if (current?.state !== "scheduled" || current.remoteId !== result.id)
        await cancelScheduled(connection.origin, token, result.id, options);
    }
    claimed.add(result.id);
    perDay.set(day, (perDay.get(day) ?? 0) + 1);
    total++;
    if (!trusted && applied) {
      // The first post handed to this server: it must show it among its scheduled posts, or the bot could neither confirm nor cancel it.
      if (await listsIt(connection, token, result.id, options)) {
        await learnScheduling(ctx, connection, null, now);
        trusted = true;
      } else {
        await learnScheduling(ctx, connection, "not-listed", now);
        await toSite(candidates.slice(index + 1));
        await takeBackUnlisted(ctx, connection, token, row.id, result.id, now, options);
        return;
      }
    }
  }
}

/** Whether the server lists the scheduled status `id` (false when it has no list). */
async function listsIt(
  connection: ConnectionWithApp,
  token: string,
  id: string,
  options: BotClientOptions,
): Promise<boolean> {
  try {
    return (await listScheduled(connection.origin, token, options)).some((s) => s.id === id);
  } catch (error) {
    if (error instanceof BotApiError && error.kind === "not-found") return false;
    throw error;
  }
}

/**
 * The server published at once a post asked for later: deletes it there
 * (DELETE /api/v1/statuses/:id) so it goes out at its time from this site,
 * with a new key (the old one names a deleted status).  When it cannot be
 * deleted, the post is what it is: published, early, and said so.
 */
async function takeBackPublished(
  ctx: Ctx,
  connection: ConnectionWithApp,
  token: string,
  row: BotPost,
  result: Extract<PostResult, { kind: "posted" }>,
  now: Date,
  options: BotClientOptions,
): Promise<void> {
  const host = new URL(connection.origin).host;
  try {
    if (await deleteStatus(connection.origin, token, result.id, options)) {
      await ctx.batcher.run(() =>
        updatePostIf(ctx.db, row.id, row, {
          via: "site",
          idempotencyKey: renewedKey(row.idempotencyKey),
          error: null,
          updated: now,
        }),
      );
      logger.info(
        "Strike bot deleted post {id} of connection {connection}: {host} published it at once instead of scheduling it",
        { id: row.id, connection: connection.id, host },
      );
      return;
    }
  } catch (error) {
    if (!(error instanceof BotApiError)) throw error;
    await recordEarly(
      ctx,
      row,
      result,
      host,
      error.message.replace(/\s*Try again later\.$/, "").replace(/\.$/, ""),
      now,
    );
    // A revoked access stops the connection (the caller's rule for 401).
    if (error.status === 401) throw error;
    return;
  }
  await recordEarly(ctx, row, result, host, `${host} answered that it could not find it`, now);
}

async function recordEarly(
  ctx: Ctx,
  row: BotPost,
  result: Extract<PostResult, { kind: "posted" }>,
  host: string,
  why: string,
  now: Date,
): Promise<void> {
  const at = (result.createdAt ?? now).toISOString();
  const error = `${host} published this at once (${at}) when the bot asked it to schedule it for its time, and the bot could not delete it (${why}). Delete it there if it should not stay; it is not posted again.`;
  await ctx.batcher.run(() =>
    updatePostIf(ctx.db, row.id, row, {
      state: "posted",
      via: "site",
      remoteId: result.id,
      url: result.url,
      error,
      updated: now,
    }),
  );
}

/**
 * The server took a post as scheduled but does not list it: cancels it, so
 * this site posts it at its time (with a new key: the old one names a
 * cancelled status).  When the cancel answers 404 the bot cannot tell whether
 * the server still holds it: the post is left to the server, unconfirmed.
 */
async function takeBackUnlisted(
  ctx: Ctx,
  connection: ConnectionWithApp,
  token: string,
  rowId: number,
  remoteId: string,
  now: Date,
  options: BotClientOptions,
): Promise<void> {
  const cancelled = await cancelScheduled(connection.origin, token, remoteId, options);
  const row = getPost(ctx.db, rowId);
  if (row == null || row.state !== "scheduled" || row.remoteId !== remoteId) return;
  const patch = cancelled
    ? {
        state: "planned" as const,
        via: "site" as const,
        remoteId: null,
        idempotencyKey: renewedKey(row.idempotencyKey),
        error: null,
        updated: now,
      }
    : {
        state: "unconfirmed" as const,
        error: notCancelledWords("unknown", new URL(connection.origin).host),
        updated: now,
      };
  await ctx.batcher.run(() => updatePostIf(ctx.db, row.id, row, patch));
}

/** Step 3: server-scheduled posts whose time has passed and the server no longer lists were published. */
async function confirmScheduled(ctx: Ctx, id: number, now: Date): Promise<void> {
  const connection = getConnection(ctx.db, id);
  if (connection == null || held(ctx, id, now)) return;
  const token = tokenOf(ctx, connection);
  if (token == null) return;
  const rows = listPosts(ctx.db, id);
  const passed = rows.filter((r) => r.state === "scheduled" && r.postAt.getTime() <= now.getTime() - MINUTE);
  if (passed.length === 0) return;
  const ahead = rows.filter((r) => r.state === "scheduled" && r.remoteId != null && r.postAt.getTime() > now.getTime());
  const host = new URL(connection.origin).host;
  // A server that does not list its scheduled posts cannot show that one went out: say so, never "posted".
  const unconfirmed = () =>
    ctx.batcher.run(() => {
      for (const row of passed)
        updatePostIf(ctx.db, row.id, row, {
          state: "unconfirmed",
          error: unconfirmedWords(host, row.postAt),
          updated: now,
        });
    });
  if (!listIsTrusted(connection.app)) return unconfirmed();
  let listed: Set<string>;
  try {
    listed = new Set(
      (await withBotNetwork(ctx, (options) => listScheduled(connection.origin, token, options))).map((s) => s.id),
    );
  } catch (error) {
    if (await revokeIfUnauthorized(ctx, connection, error)) return;
    if (error instanceof BotApiError && error.kind === "not-found") {
      await learnScheduling(ctx, connection, "not-listed", now);
      return unconfirmed();
    }
    if (error instanceof BotApiError) return hold(ctx, id, error, now);
    throw error;
  }
  // Not one of the posts it holds for later is listed: the list does not show what the server holds, so a
  // post missing from it proves nothing.  (The server still publishes them: they stay scheduled, unconfirmed after their time.)
  if (ahead.length > 0 && ahead.every((r) => !listed.has(r.remoteId!))) {
    await learnScheduling(ctx, connection, "not-listed", now);
    return unconfirmed();
  }
  await ctx.batcher.run(() => {
    for (const row of passed) {
      if (!listed.has(row.remoteId ?? ""))
        updatePost(ctx.db, row.id, { state: "posted", url: connection.url, error: null, updated: now });
      else if (now.getTime() - row.postAt.getTime() > LATE_MS && row.error == null) {
        updatePost(ctx.db, row.id, {
          error: `${host} has not published it yet; it was due at ${row.postAt.toISOString()}.`,
          updated: now,
        });
      }
    }
  });
}

function unconfirmedWords(host: string, postAt: Date): string {
  return `Due at ${postAt.toISOString()}: ${host} does not show its scheduled posts, so this site cannot confirm that it went out. Look at your profile.`;
}

/**
 * The text to post now: the plan's, with today's numbers, when the plan still
 * makes this post; null when it no longer does (the striker changed the plan
 * after the post's time, or its Declaration is no longer published).
 */
function freshText(ctx: Ctx, connection: ConnectionWithApp, row: BotPost, now: Date): string | null {
  const wanted = desiredPosts(ctx, connection, now).posts.find((p) => p.slotAt.getTime() === row.slotAt.getTime());
  if (wanted == null) return null;
  return matches(row, wanted) ? wanted.text : row.text;
}

/** Step 4: one post made by us at its time. */
async function postNow(ctx: Ctx, row: BotPost, now: Date): Promise<"posted" | "done" | "stop"> {
  const connection = getConnection(ctx.db, row.connectionId);
  if (connection == null) return "done";
  if (now.getTime() - row.postAt.getTime() > LATE_MS) {
    const notPosted = `Not posted: this site could not post it within 30 minutes of ${row.postAt.toISOString()}.`;
    // The last failure says why; its "try again later" is no longer what to do.
    const lastTry = row.error?.replace(/\s*Try again later\.$/, "");
    const error =
      lastTry == null
        ? `${notPosted} ${WHAT_TO_DO.late}`
        : `${notPosted} The last try: ${lastTry} ${WHAT_TO_DO.server}`;
    await ctx.batcher.run(() => updatePost(ctx.db, row.id, { state: "failed", error, updated: now }));
    return "done";
  }
  const token = tokenOf(ctx, connection);
  if (token == null) return "stop";
  const text = freshText(ctx, connection, row, now);
  if (text == null) {
    await ctx.batcher.run(() => updatePost(ctx.db, row.id, { state: "cancelled", error: null, updated: now }));
    return "done";
  }
  return withBotNetwork(ctx, (options) => postOn(ctx, connection, token, row, text, now, options));
}

async function postOn(
  ctx: Ctx,
  connection: ConnectionWithApp,
  token: string,
  row: BotPost,
  text: string,
  now: Date,
  options: BotClientOptions,
): Promise<"posted" | "done" | "stop"> {
  try {
    const mediaIds = await uploadFor(ctx, connection, token, row, options);
    const result = await postStatus(
      connection.origin,
      token,
      {
        status: text,
        visibility: row.visibility as "public",
        language: row.language,
        spoilerText: row.spoilerText,
        mediaIds,
        idempotencyKey: row.idempotencyKey,
      },
      options,
    );
    const url = result.kind === "posted" ? result.url : connection.url;
    await ctx.batcher.run(() =>
      updatePost(ctx.db, row.id, {
        state: "posted",
        via: "site",
        remoteId: result.id,
        url,
        text,
        error: null,
        attempts: row.attempts + 1,
        updated: now,
      }),
    );
    return "posted";
  } catch (error) {
    if (await revokeIfUnauthorized(ctx, connection, error)) return "stop";
    if (!(error instanceof BotApiError)) throw error;
    const attempts = row.attempts + 1;
    const retry = async (at: Date, message: string) => {
      await ctx.batcher.run(() =>
        updatePost(ctx.db, row.id, { attempts, nextAttemptAt: at, error: message, updated: now }),
      );
      logger.info("Strike bot will try post {id} of connection {connection} again at {at}: {message}", {
        id: row.id,
        connection: connection.id,
        at: at.toISOString(),
        message,
      });
    };
    const fail = async (message: string) => {
      await ctx.batcher.run(() =>
        updatePost(ctx.db, row.id, { state: "failed", attempts, error: message, updated: now }),
      );
      logger.info("Strike bot post {id} of connection {connection} failed: {message}", {
        id: row.id,
        connection: connection.id,
        message,
      });
    };
    switch (error.kind) {
      case "rate-limited": {
        await retry(error.retryAt ?? new Date(now.getTime() + backoffMs(attempts)), error.message);
        hold(ctx, connection.id, error, now);
        return "stop";
      }
      case "server":
      case "timeout": {
        // No API answered at all: the server may no longer be one the bot can use; say so now rather than retry for 30 minutes.
        if (error.kind === "server" && error.status == null) {
          const probe = await probeServer(connection.origin, options);
          if (!probe.ok && probe.error.kind === "not-compatible") {
            await fail(`${probe.error.message} Connect an account on a server the bot can use.`);
            return "stop";
          }
        }
        await retry(new Date(now.getTime() + backoffMs(attempts)), error.message);
        return "stop";
      }
      case "not-found": {
        // "Record not found" for a new status: the server knows this post's key
        // from an earlier request whose answer was lost, and that request
        // scheduled it.  Still waiting there, it is taken as scheduled;
        // otherwise the server has published it (the key is only ours), so it
        // is not posted again.  On a server that schedules nothing, the key
        // can name no scheduled post: the bot cannot tell what happened.
        if (connection.app.scheduling === "no") {
          const host = new URL(connection.origin).host;
          const error = `${host} answered that it does not know this post, so this site cannot tell whether it went out. Look at your profile, and post it by hand if it is missing.`;
          await ctx.batcher.run(() =>
            updatePost(ctx.db, row.id, { state: "unconfirmed", attempts, error, updated: now }),
          );
          return "done";
        }
        if (await adoptScheduled(ctx, connection, token, row, now, options)) return "done";
        await ctx.batcher.run(() =>
          updatePost(ctx.db, row.id, {
            state: "posted",
            via: "server",
            url: connection.url,
            attempts,
            error: null,
            updated: now,
          }),
        );
        logger.info("Strike bot post {id} of connection {connection} was already published from an earlier request", {
          id: row.id,
          connection: connection.id,
        });
        return "done";
      }
      default:
        await fail(`${error.message} ${error.kind === "validation" ? WHAT_TO_DO.validation : ""}`.trim());
        return "done";
    }
  }
}

/** Marks the post scheduled when the server holds a status for its time and text (false when it does not, or cannot say). */
async function adoptScheduled(
  ctx: Ctx,
  connection: ConnectionWithApp,
  token: string,
  row: BotPost,
  now: Date,
  options: BotClientOptions,
): Promise<boolean> {
  let existing: ScheduledPost[];
  try {
    existing = await listScheduled(connection.origin, token, options);
  } catch (error) {
    if (error instanceof BotApiError) return false;
    throw error;
  }
  const claimed = new Set(
    listPosts(ctx.db, connection.id).flatMap((r) => (r.remoteId != null && r.id !== row.id ? [r.remoteId] : [])),
  );
  const there = findScheduled(existing, row, claimed);
  if (there == null) return false;
  await ctx.batcher.run(() =>
    updatePost(ctx.db, row.id, { state: "scheduled", via: "server", remoteId: there.id, error: null, updated: now }),
  );
  return true;
}

export interface BotPassResult {
  synced: number;
  posted: number;
}

/** Passes over one database, one after the other (see runBotPass). */
const passes = new WeakMap<object, Promise<unknown>>();

/**
 * One pass of the scheduler (see the module comment).  Passes over the same
 * database in this process run one after the other: a page that pokes the
 * bot while the timer's pass runs waits for it rather than racing it.
 */
export function runBotPass(ctx: Ctx): Promise<BotPassResult> {
  const previous = passes.get(ctx.db) ?? Promise.resolve();
  const pass = previous.then(
    () => onePass(ctx),
    () => onePass(ctx),
  );
  passes.set(ctx.db, pass);
  return pass;
}

async function onePass(ctx: Ctx): Promise<BotPassResult> {
  let synced = 0;
  for (const id of connectionsNeedingSync(ctx.db)) {
    if (held(ctx, id, nowOf(ctx))) continue;
    if (await syncConnection(ctx, id)) synced++;
  }
  for (const id of connectionsWithPassedScheduled(ctx.db, new Date(nowOf(ctx).getTime() - MINUTE)))
    await confirmScheduled(ctx, id, nowOf(ctx));
  let posted = 0;
  const stopped = new Set<number>();
  for (const row of duePosts(ctx.db, nowOf(ctx))) {
    if (stopped.has(row.connectionId) || held(ctx, row.connectionId, nowOf(ctx))) continue;
    const outcome = await postNow(ctx, row, nowOf(ctx));
    if (outcome === "stop") stopped.add(row.connectionId);
    else if (outcome === "posted") posted++;
  }
  return { synced, posted };
}

export interface BotScheduler {
  /** Runs a pass now (or right after the one in progress). */
  poke(): void;
  /** Resolves when no pass is running. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** Runs `runBotPass` every `intervalMs` (default 30 s), sooner when a post is due, and when poked. */
export function startBotScheduler(ctx: Ctx, options: { intervalMs?: number } = {}): BotScheduler {
  const intervalMs = options.intervalMs ?? 30_000;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;

  const arm = () => {
    if (timer != null) clearTimeout(timer);
    timer = null;
    if (stopped) return;
    const next = nextBotWake(ctx.db, MINUTE);
    // Something already due after a pass is held back (a rate limit, a retry of its connection): look again at the next interval, not in a tight loop.
    const ahead = next == null ? Infinity : next.getTime() - nowOf(ctx).getTime();
    const wait = ahead <= 0 ? intervalMs : Math.min(intervalMs, ahead + 20);
    timer = setTimeout(run, wait);
    timer.unref();
  };
  const run = (): void => {
    if (stopped) return;
    if (running != null) {
      again = true;
      return;
    }
    running = runBotPass(ctx)
      .then(() => undefined)
      .catch((error: unknown) => logger.error("Strike bot pass failed: {error}", { error }))
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          run();
        } else arm();
      });
  };
  run();
  return {
    poke: run,
    idle: async () => {
      while (running != null) await running;
    },
    stop: async () => {
      stopped = true;
      if (timer != null) clearTimeout(timer);
      while (running != null) await running;
    },
  };
}
