/**
 * The strike bot's scheduler: turns each striker's plan into posts on their
 * own Mastodon-API account.
 *
 * One pass (`runBotPass`):
 *  1. **Reconcile** the connections whose plan changed (`needs_sync`): future
 *     posts that no longer match the plan are cancelled (on the server too,
 *     when it held them scheduled), new ones are planned.
 *  2. **Schedule on the server** what can be: a scheduled status
 *     (`scheduled_at`) at least 10 minutes ahead, within Mastodon's limits
 *     (25 per UTC day, 300 in all, counting what the account already has
 *     scheduled), so the post goes out even if this site is down.  Beyond the
 *     limits, or when the server refuses, the post stays with us.
 *  3. **Confirm** server-scheduled posts whose time has passed: once the
 *     server no longer lists them, they were published.
 *  4. **Post** what stays with us when its time comes.
 *
 * Every request carries the row's Idempotency-Key (striker, strike, slot and
 * a fingerprint of the text, plus a nonce renewed only when a post is
 * deliberately made again), so a retry after a timeout or a crash never posts
 * twice.  Failures: 401 stops the bot and tells the striker; 422 fails the
 * post with the server's words; 429 waits for the time the server names;
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
  insertPost,
  listPosts,
  markRevoked,
  markSynced,
  nextBotWake,
  updatePost,
  type ConnectionWithApp,
} from "../db/bot.ts";
import { getPublishedDeclaration } from "../db/declarations.ts";
import { getMediaById, getMediaData } from "../db/media.ts";
import type { BotPost } from "../db/schema.ts";
import { currentStrikeSettings } from "../federation/index.ts";
import { clientOptions, connectionToken, nowOf, type BotContext } from "./connect.ts";
import { BotApiError, cancelScheduled, listScheduled, postStatus, uploadMedia } from "./mastodon.ts";
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
function desiredPosts(ctx: Ctx, connection: ConnectionWithApp, now: Date): { plan: BotPlan | null; posts: PlannedPost[] } {
  const plan = parseStoredPlan(connection.plan);
  if (plan == null || !connection.enabled || connection.status !== "active") return { plan, posts: [] };
  const declaration = getPublishedDeclaration(ctx.db, plan.declaration);
  if (declaration == null) return { plan, posts: [] };
  const strike = currentStrikeSettings(ctx.db, now);
  return { plan, posts: plannedPosts(plan, connection.id, { strike, declaration, origin: ctx.origin }) };
}

/** A BotApiError that means "stop this connection"; anything else is rethrown by the caller's rules. */
async function revokeIfUnauthorized(ctx: Ctx, connection: ConnectionWithApp, error: unknown): Promise<boolean> {
  if (!(error instanceof BotApiError) || error.kind !== "unauthorized" || error.status !== 401) return false;
  await ctx.batcher.run(() => markRevoked(ctx.db, connection.id, error.message, nowOf(ctx)));
  logger.warn("Strike bot stopped for connection {id}: the server answered 401", { id: connection.id });
  return true;
}

/** Per-connection pause after a rate limit or a failing server (in memory: a restart tries at once). */
const holdUntil = new WeakMap<object, Map<number, number>>();
function holds(ctx: Ctx): Map<number, number> {
  let map = holdUntil.get(ctx.db);
  if (map == null) holdUntil.set(ctx.db, (map = new Map()));
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

async function uploadFor(ctx: Ctx, connection: ConnectionWithApp, token: string, post: Pick<BotPost, "mediaId" | "mediaAlt">): Promise<string[]> {
  if (post.mediaId == null) return [];
  const media = getMediaById(ctx.db, post.mediaId);
  const bytes = getMediaData(ctx.db, post.mediaId);
  // The image was deleted from the gallery since: post without it.
  if (media == null || bytes == null) return [];
  const uploaded = await uploadMedia(connection.origin, token, bytes, media.mime, post.mediaAlt || media.alt, clientOptions(ctx));
  return [uploaded.id];
}

/** Step 1 and 2 for one connection.  Returns false when it must be tried again later. */
async function syncConnection(ctx: Ctx, id: number): Promise<boolean> {
  const connection = getConnection(ctx.db, id);
  if (connection == null) return true;
  const seen = connection.updated;
  const now = nowOf(ctx);
  const token = connectionToken(ctx, connection);
  if (token == null || connection.status !== "active") {
    await ctx.batcher.run(() => markSynced(ctx.db, id, seen));
    return true;
  }
  const desired = desiredPosts(ctx, connection, now).posts.filter((p) => p.postAt.getTime() > now.getTime());
  const bySlot = new Map(desired.map((p) => [p.slotAt.getTime(), p]));
  const rows = listPosts(ctx.db, id);
  const rowBySlot = new Map(rows.map((r) => [r.slotAt.getTime(), r]));

  try {
    // 1. Future posts that changed or are no longer wanted.
    for (const row of rows) {
      if (row.postAt.getTime() <= now.getTime()) continue;
      const want = bySlot.get(row.slotAt.getTime());
      const live = row.state === "planned" || row.state === "scheduled";
      if (live && want != null && matches(row, want)) continue;
      if (!live && want == null) continue;
      if (row.state === "scheduled" && row.remoteId != null) await cancelScheduled(connection.origin, token, row.remoteId, clientOptions(ctx));
      const patch =
        want == null
          ? { state: "cancelled" as const, remoteId: null, error: null, updated: now }
          : { ...fieldsOf(want), state: "planned" as const, via: null, remoteId: null, url: null, error: null, attempts: 0, nextAttemptAt: now, updated: now };
      await ctx.batcher.run(() => updatePost(ctx.db, row.id, patch));
    }
    // New slots.
    const fresh = desired.filter((p) => !rowBySlot.has(p.slotAt.getTime()));
    if (fresh.length > 0) {
      await ctx.batcher.run(() => {
        for (const p of fresh) insertPost(ctx.db, { connectionId: id, ...fieldsOf(p), state: "planned", via: null, remoteId: null, url: null, error: null, attempts: 0, nextAttemptAt: now, updated: now });
      });
    }
    // 2. Hand what can be to the server's own scheduler.
    await scheduleOnServer(ctx, connection, token, now);
  } catch (error) {
    if (await revokeIfUnauthorized(ctx, connection, error)) return true;
    if (error instanceof BotApiError && error.kind !== "not-compatible") {
      hold(ctx, id, error, now);
      logger.warn("Strike bot could not sync connection {id}: {message}", { id, message: error.message });
      return false;
    }
    throw error;
  }
  await ctx.batcher.run(() => markSynced(ctx.db, id, seen));
  return true;
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

async function scheduleOnServer(ctx: Ctx, connection: ConnectionWithApp, token: string, now: Date): Promise<void> {
  const candidates = listPosts(ctx.db, connection.id).filter((r) => r.state === "planned" && r.via !== "site" && r.postAt.getTime() >= now.getTime() + SERVER_MIN_AHEAD_MS);
  if (candidates.length === 0) return;
  const existing = await listScheduled(connection.origin, token, clientOptions(ctx));
  const perDay = new Map<string, number>();
  for (const s of existing) perDay.set(utcDay(s.scheduledAt), (perDay.get(utcDay(s.scheduledAt)) ?? 0) + 1);
  let total = existing.length;
  for (const row of candidates) {
    const day = utcDay(row.postAt);
    if ((perDay.get(day) ?? 0) >= SERVER_DAILY_LIMIT || total >= SERVER_TOTAL_LIMIT) {
      await ctx.batcher.run(() => updatePost(ctx.db, row.id, { via: "site", updated: now }));
      continue;
    }
    try {
      const mediaIds = await uploadFor(ctx, connection, token, row);
      const result = await postStatus(
        connection.origin,
        token,
        { status: row.text, visibility: row.visibility as "public", language: row.language, spoilerText: row.spoilerText, mediaIds, scheduledAt: row.postAt, idempotencyKey: row.idempotencyKey },
        clientOptions(ctx),
      );
      const patch =
        result.kind === "scheduled"
          ? { state: "scheduled" as const, via: "server" as const, remoteId: result.id, error: null, updated: now }
          : { state: "posted" as const, via: "site" as const, remoteId: result.id, url: result.url, error: null, updated: now };
      await ctx.batcher.run(() => updatePost(ctx.db, row.id, patch));
      perDay.set(day, (perDay.get(day) ?? 0) + 1);
      total++;
    } catch (error) {
      // The server would not take it scheduled (its limits, a rule of its own): we post it at its time.
      if (error instanceof BotApiError && (error.kind === "validation" || error.kind === "not-found")) {
        await ctx.batcher.run(() => updatePost(ctx.db, row.id, { via: "site", updated: now }));
        continue;
      }
      throw error;
    }
  }
}

/** Step 3: server-scheduled posts whose time has passed and the server no longer lists were published. */
async function confirmScheduled(ctx: Ctx, id: number, now: Date): Promise<void> {
  const connection = getConnection(ctx.db, id);
  if (connection == null || held(ctx, id, now)) return;
  const token = connectionToken(ctx, connection);
  if (token == null) return;
  const passed = listPosts(ctx.db, id).filter((r) => r.state === "scheduled" && r.postAt.getTime() <= now.getTime() - MINUTE);
  if (passed.length === 0) return;
  let listed: Set<string>;
  try {
    listed = new Set((await listScheduled(connection.origin, token, clientOptions(ctx))).map((s) => s.id));
  } catch (error) {
    if (await revokeIfUnauthorized(ctx, connection, error)) return;
    if (error instanceof BotApiError) return hold(ctx, id, error, now);
    throw error;
  }
  await ctx.batcher.run(() => {
    for (const row of passed) {
      if (!listed.has(row.remoteId ?? "")) updatePost(ctx.db, row.id, { state: "posted", url: connection.url, error: null, updated: now });
      else if (now.getTime() - row.postAt.getTime() > LATE_MS && row.error == null) {
        updatePost(ctx.db, row.id, { error: `${new URL(connection.origin).host} has not published it yet; it was due at ${row.postAt.toISOString()}.`, updated: now });
      }
    }
  });
}

/** The text to post now: the plan's, with today's numbers, when the plan still makes this post. */
function freshText(ctx: Ctx, connection: ConnectionWithApp, row: BotPost, now: Date): string {
  const wanted = desiredPosts(ctx, connection, now).posts.find((p) => p.slotAt.getTime() === row.slotAt.getTime());
  return wanted != null && matches(row, wanted) ? wanted.text : row.text;
}

/** Step 4: one post made by us at its time. */
async function postNow(ctx: Ctx, row: BotPost, now: Date): Promise<"done" | "stop"> {
  const connection = getConnection(ctx.db, row.connectionId);
  if (connection == null) return "done";
  const token = connectionToken(ctx, connection);
  if (token == null) return "stop";
  if (now.getTime() - row.postAt.getTime() > LATE_MS) {
    const error = `Not posted: this site could not post it within 30 minutes of ${row.postAt.toISOString()}. ${WHAT_TO_DO.late}`;
    await ctx.batcher.run(() => updatePost(ctx.db, row.id, { state: "failed", error: row.error == null ? error : `${row.error} ${WHAT_TO_DO.server}`, updated: now }));
    return "done";
  }
  const text = freshText(ctx, connection, row, now);
  try {
    const mediaIds = await uploadFor(ctx, connection, token, row);
    const result = await postStatus(
      connection.origin,
      token,
      { status: text, visibility: row.visibility as "public", language: row.language, spoilerText: row.spoilerText, mediaIds, idempotencyKey: row.idempotencyKey },
      clientOptions(ctx),
    );
    const url = result.kind === "posted" ? result.url : connection.url;
    await ctx.batcher.run(() => updatePost(ctx.db, row.id, { state: "posted", via: "site", remoteId: result.id, url, text, error: null, attempts: row.attempts + 1, updated: now }));
    return "done";
  } catch (error) {
    if (await revokeIfUnauthorized(ctx, connection, error)) return "stop";
    if (!(error instanceof BotApiError)) throw error;
    const attempts = row.attempts + 1;
    switch (error.kind) {
      case "rate-limited": {
        const retryAt = error.retryAt ?? new Date(now.getTime() + backoffMs(attempts));
        await ctx.batcher.run(() => updatePost(ctx.db, row.id, { attempts, nextAttemptAt: retryAt, error: error.message, updated: now }));
        hold(ctx, connection.id, error, now);
        return "stop";
      }
      case "server":
      case "timeout":
        await ctx.batcher.run(() => updatePost(ctx.db, row.id, { attempts, nextAttemptAt: new Date(now.getTime() + backoffMs(attempts)), error: error.message, updated: now }));
        return "stop";
      default:
        await ctx.batcher.run(() => updatePost(ctx.db, row.id, { state: "failed", attempts, error: `${error.message} ${error.kind === "validation" ? WHAT_TO_DO.validation : ""}`.trim(), updated: now }));
        return "done";
    }
  }
}

export interface BotPassResult {
  synced: number;
  posted: number;
}

/** One pass of the scheduler (see the module comment). */
export async function runBotPass(ctx: Ctx): Promise<BotPassResult> {
  let synced = 0;
  for (const id of connectionsNeedingSync(ctx.db)) {
    if (held(ctx, id, nowOf(ctx))) continue;
    if (await syncConnection(ctx, id)) synced++;
  }
  for (const id of connectionsWithPassedScheduled(ctx.db, new Date(nowOf(ctx).getTime() - MINUTE))) await confirmScheduled(ctx, id, nowOf(ctx));
  let posted = 0;
  const stopped = new Set<number>();
  for (const row of duePosts(ctx.db, nowOf(ctx))) {
    if (stopped.has(row.connectionId) || held(ctx, row.connectionId, nowOf(ctx))) continue;
    const before = row.state;
    if ((await postNow(ctx, row, nowOf(ctx))) === "stop") stopped.add(row.connectionId);
    else if (before === "planned") posted++;
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
    const next = nextBotWake(ctx.db);
    const wait = next == null ? intervalMs : Math.min(intervalMs, Math.max(0, next.getTime() - nowOf(ctx).getTime()) + 20);
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
