/**
 * What a striker's server really does with scheduled statuses, learnt from
 * its answers rather than assumed from its claim to speak the Mastodon API.
 *
 * Mastodon holds a post sent with `scheduled_at` and answers with a
 * ScheduledStatus (`scheduled_at` echoed), lists it (GET
 * /api/v1/scheduled_statuses) and cancels it (DELETE
 * /api/v1/scheduled_statuses/:id).  Other servers that speak the same API
 * may publish such a post at once (answering with a Status), list nothing
 * (404, or `[]` while holding posts), or answer 404 to a cancel while still
 * holding the post.  The bot hands posts to a server only while it can see
 * and cancel them there; the first time, it checks (src/bot/scheduler.ts),
 * and what it learns is stored per server (`bot_apps.scheduling`):
 *
 *  - `posts-at-once`: asked to schedule, the server published the post;
 *  - `not-listed`: the server does not list what it holds scheduled;
 *  - `cannot-cancel`: a cancel answered 404 while the list still showed it;
 *  - `refused`: the server answered 501 Not Implemented to `scheduled_at`.
 *
 * From then on this site posts at their time for every striker on that
 * server.  Nothing is ever recorded as posted or cancelled that was not
 * seen to be.
 */
import { getLogger } from "@logtape/logtape";
import { setServerScheduling, type ConnectionWithApp } from "../db/bot.ts";
import type { BotAppRow } from "../db/schema.ts";
import type { BotContext } from "./connect.ts";
import { BotApiError, cancelScheduled, listScheduled, type BotClientOptions } from "./mastodon.ts";

const logger = getLogger(["undersign", "bot"]);

export type SchedulingReason = NonNullable<BotAppRow["schedulingReason"]>;
export type ServerSupport = "yes" | "no" | "unknown";

export function serverSupport(app: Pick<BotAppRow, "scheduling">): ServerSupport {
  return app.scheduling ?? "unknown";
}

/** Whether the server's list of scheduled statuses shows what it holds (so a post missing from it is no longer held). */
export function listIsTrusted(app: Pick<BotAppRow, "scheduling" | "schedulingReason">): boolean {
  return !(app.scheduling === "no" && app.schedulingReason === "not-listed");
}

/** Stores what the bot learnt about the server (for every striker there). */
export async function learnScheduling(
  ctx: Pick<BotContext, "db" | "batcher">,
  connection: ConnectionWithApp,
  reason: SchedulingReason | null,
  now: Date,
): Promise<void> {
  const learnt =
    reason == null ? ({ scheduling: "yes", reason: null } as const) : ({ scheduling: "no", reason } as const);
  if (connection.app.scheduling === learnt.scheduling && connection.app.schedulingReason === learnt.reason) return;
  await ctx.batcher.run(() => setServerScheduling(ctx.db, connection.appId, learnt, now));
  const host = new URL(connection.origin).host;
  if (reason == null) logger.info("Strike bot: {host} holds scheduled statuses", { host });
  else
    logger.warn(
      "Strike bot: {host} does not hold scheduled statuses the bot can use ({reason}); this site posts at their time",
      { host, reason },
    );
}

/**
 * What is true after asking the server to cancel a scheduled status:
 *  - `cancelled`: the server said it cancelled it;
 *  - `gone`: it answered 404 and its list no longer shows it (published or
 *    cancelled before: it will not go out later);
 *  - `still-scheduled`: it answered 404 but still lists it (it cannot cancel);
 *  - `unknown`: it answered 404 and does not list its scheduled statuses.
 */
export type CancelOutcome = "cancelled" | "gone" | "still-scheduled" | "unknown";

/**
 * Cancels a status the server holds scheduled, and checks a 404 against the
 * server's list.  Learns `cannot-cancel` or `not-listed` on the way.
 * Failures other than 404 (5xx, timeouts, 401) are thrown.
 */
export async function cancelOnServer(
  ctx: Pick<BotContext, "db" | "batcher">,
  connection: ConnectionWithApp,
  token: string,
  id: string,
  options: BotClientOptions,
  now: Date,
): Promise<CancelOutcome> {
  if (await cancelScheduled(connection.origin, token, id, options)) return "cancelled";
  if (!listIsTrusted(connection.app)) return "unknown";
  let listed: boolean;
  try {
    listed = (await listScheduled(connection.origin, token, options)).some((s) => s.id === id);
  } catch (error) {
    if (!(error instanceof BotApiError) || error.kind !== "not-found") throw error;
    await learnScheduling(ctx, connection, "not-listed", now);
    return "unknown";
  }
  if (!listed) return "gone";
  await learnScheduling(ctx, connection, "cannot-cancel", now);
  return "still-scheduled";
}

/** For the striker: a post the server would not cancel, or whose cancelling could not be confirmed. */
export function notCancelledWords(outcome: "still-scheduled" | "unknown", host: string): string {
  return outcome === "still-scheduled"
    ? `${host} would not cancel this scheduled post (it answered that it does not know it, yet still lists it), so it will be posted at its time unless you delete it among your scheduled posts there (an app that shows them, such as Tusky, can).`
    : `${host} would not cancel this post and does not show its scheduled posts, so this site cannot tell whether it will still be posted. Look at your profile at its time, and delete it there if it appears.`;
}
