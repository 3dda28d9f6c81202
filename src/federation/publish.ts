/**
 * What Declarations' actors post by themselves, and its delivery: an Article
 * and a pinned announcement when a Declaration is published, an `Update` of
 * the Article and of the announcement (which carries the text's opening
 * words) and a "version N" Note for each new revision, a digest of new
 * signatures at most once an hour, and an `Update` of the actor's profile when
 * it changed, at most once an hour (profile-updates.ts).  Then what the site
 * account posts about them, and about the strike (site-account.ts).
 *
 * The database decides what is due (so a restart, or a revision imported
 * from a file, is caught up on the next pass) and each post is created once:
 * its key is unique per Declaration.  Posts and their activities are written
 * first; delivery follows and marks each activity once it is in the queue,
 * so nothing is lost if the process stops in between (it is sent on the next
 * pass; receivers de-duplicate by the stable activity id).
 */
import type { Federation } from "@fedify/fedify";
import { getLogger } from "@logtape/logtape";
import { getDeclarationById, getRevision } from "../db/declarations.ts";
import { removeFollowersByActorUris } from "../db/fediverse.ts";
import {
  createPost,
  declarationsDueForDigest,
  declarationsToPublish,
  getPost,
  listUndelivered,
  markDelivered,
  revisePost,
} from "../db/posts.ts";
import { builder, type FedData } from "./builder.ts";
import { notifySource, refreshStaleRemoteLinks } from "./copies.ts";
import { recheckSigners } from "./recheck.ts";
import { createDueNotices, nextNoticeAt } from "./notices.ts";
import { announcementDiffers, buildActivity, postUri } from "./objects.ts";
import { PROFILE_UPDATE_INTERVAL_MS, sendProfileUpdates } from "./profile-updates.ts";
import { createDueSitePosts, deliverSitePosts } from "./site-account.ts";

const logger = getLogger(["undersign", "federation", "publish"]);

export const DIGEST_INTERVAL_MS = 60 * 60 * 1000;

// Followers whose inbox answers 404 or 410 are gone: stop delivering to them.
// (A server that was merely down for long keeps its followers: they still
// think they follow.  Fedify's circuit breaker, whose expiry is the other
// reason, is off: the delivery queue holds servers that are down.)
builder.setOutboxPermanentFailureHandler(async (ctx, { inbox, statusCode, actorIds, reason }) => {
  if (reason !== "http") {
    logger.warn("Gave up delivering to {inbox} after its server was unreachable for days", { inbox: inbox.href });
    return;
  }
  const removed = await ctx.data.batcher.run(() =>
    removeFollowersByActorUris(
      ctx.data.db,
      actorIds.map((u) => u.href),
    ),
  );
  logger.info("Delivery to {inbox} failed for good ({reason} {status}); dropped {removed} follows", {
    inbox: inbox.href,
    reason,
    status: statusCode,
    removed,
  });
});

/** Creates the posts that are due.  Returns how many were created. */
export async function createDuePosts(data: FedData, now: Date, digestIntervalMs = DIGEST_INTERVAL_MS): Promise<number> {
  const { db, batcher } = data;
  let created = 0;
  for (const work of declarationsToPublish(db)) {
    created += await batcher.run(() => {
      if (work.articleId == null) {
        const article = createPost(db, {
          declarationId: work.id,
          kind: "article",
          key: "article",
          revision: work.revision,
          signatureCount: work.signatureCount,
          now,
        });
        const announcement = createPost(db, {
          declarationId: work.id,
          kind: "announcement",
          key: "announcement",
          revision: work.revision,
          now,
        });
        return (article ? 1 : 0) + (announcement ? 1 : 0);
      }
      const revised = revisePost(db, work.articleId, work.revision, now);
      if (revised == null) return 0;
      // The pinned announcement quotes the text's opening: when that reads
      // differently now, it follows the Article to the new revision (an edit,
      // where servers show edits).
      const announcement = getPost(db, work.id, "announcement");
      const before = announcement == null ? undefined : getRevision(db, work.id, announcement.revision);
      const after = getRevision(db, work.id, work.revision);
      const pinned =
        announcement != null && before != null && after != null && announcementDiffers(db, before, after)
          ? revisePost(db, announcement.id, work.revision, now)
          : undefined;
      const note = createPost(db, {
        declarationId: work.id,
        kind: "version",
        key: `version:${work.revision}`,
        revision: work.revision,
        now,
      });
      return 1 + (pinned ? 1 : 0) + (note ? 1 : 0);
    });
  }
  for (const work of declarationsDueForDigest(db, now, digestIntervalMs)) {
    // One digest per hour and Declaration, whoever gets there first.
    const hour = Math.floor(now.getTime() / DIGEST_INTERVAL_MS);
    const post = await batcher.run(() =>
      createPost(db, {
        declarationId: work.id,
        kind: "digest",
        key: `digest:${hour}`,
        revision: work.revision,
        signatureCount: work.signatureCount,
        delta: work.delta,
        now,
      }),
    );
    if (post != null) created++;
  }
  return created;
}

/** Hands every activity not yet queued to Fedify for delivery to the followers. */
export async function deliverPending(federation: Federation<FedData>, data: FedData, origin: URL): Promise<number> {
  const ctx = federation.createContext(origin, data);
  let sent = 0;
  for (;;) {
    const batch = listUndelivered(data.db, 50);
    if (batch.length === 0) return sent;
    for (const entry of batch) {
      const declaration = getDeclarationById(data.db, entry.activity.declarationId);
      if (declaration != null && declaration.status !== "draft") {
        const activity = await buildActivity(ctx, declaration, entry, { embed: "when-small" });
        if (activity != null) {
          await ctx.sendActivity({ identifier: declaration.slug }, "followers", activity, {
            preferSharedInbox: true,
            // FEP-8fcf's header costs one SHA-256 per follower, each awaited in
            // turn (Fedify 2.3); under load every await waits a full turn of the
            // event loop, and a notice to 10,000 followers was not queued for
            // half a minute (npm run rehearsal).  Strike notices are frequent
            // and public, so they go without it; Mastodon sends it only with
            // posts that are not public.
            syncCollection: entry.post.kind !== "notice",
            orderingKey: postUri(ctx, entry.post).href,
          });
          // A Copy of a Declaration elsewhere tells its source too.
          await notifySource(ctx, declaration, entry.post.kind, activity);
          sent++;
        }
      }
      await data.batcher.run(() => markDelivered(data.db, entry.activity.id, new Date()));
    }
  }
}

export interface Publisher {
  /** Creates due posts and delivers them; resolves when done. */
  runOnce(): Promise<void>;
  /** Asks for a pass soon (after a Declaration was published or revised). */
  notify(): void;
  stop(): void;
}

/**
 * Runs a pass every `intervalMs` (and soon after `notify()`); passes never
 * overlap.  During the strike, a pass also runs as each notice slot starts,
 * so notices are not up to a minute late.
 */
export function startPublisher(
  federation: Federation<FedData>,
  data: FedData,
  options: {
    origin: URL;
    intervalMs?: number;
    digestIntervalMs?: number;
    profileIntervalMs?: number;
    now?: () => Date;
  },
): Publisher {
  const intervalMs = options.intervalMs ?? 60_000;
  const now = options.now ?? (() => new Date());
  let running: Promise<void> | null = null;
  let refreshing: Promise<void> | null = null;
  let rechecking: Promise<void> | null = null;
  // The first check of signers' accounts ten minutes after start (a restart loop must not hammer other servers).
  let lastRecheck = now().getTime() + 9 * 60_000;
  let again = false;
  let stopped = false;

  let slotTimer: NodeJS.Timeout | null = null;
  /** Wakes up for the next notice slot when it starts before the next regular pass. */
  const scheduleSlot = () => {
    if (slotTimer != null) clearTimeout(slotTimer);
    slotTimer = null;
    const next = nextNoticeAt(data.db, now());
    if (stopped || next == null) return;
    const wait = next.getTime() - now().getTime();
    if (wait > intervalMs) return;
    slotTimer = setTimeout(() => {
      slotTimer = null;
      void runOnce();
    }, Math.max(0, wait) + 20);
    slotTimer.unref();
  };
  const pass = async () => {
    await createDuePosts(data, now(), options.digestIntervalMs);
    await createDueNotices(data, now(), options.origin);
    // The site account's posts and boosts follow the Declarations' posts they are about.
    await createDueSitePosts(federation.createContext(options.origin, data), now());
    await deliverPending(federation, data, options.origin);
    await deliverSitePosts(federation, data, options.origin);
    await sendProfileUpdates(
      federation,
      data,
      options.origin,
      now(),
      options.profileIntervalMs ?? PROFILE_UPDATE_INTERVAL_MS,
    );
    // Copies elsewhere and remote sources not heard of for a while are checked
    // again, beside the passes (a slow site must not hold up our posts).
    if (refreshing == null && !stopped) {
      refreshing = refreshStaleRemoteLinks(data, options.origin, now())
        .catch((error: unknown) => logger.warn("Checking copies and sources elsewhere failed: {error}", { error }))
        .then(() => {
          refreshing = null;
        });
    }
    // Signers whose account may be gone, a few at a time, at most once a minute (recheck.ts).
    if (rechecking == null && !stopped && now().getTime() - lastRecheck >= 60_000) {
      lastRecheck = now().getTime();
      rechecking = recheckSigners(data, now())
        .then(() => undefined)
        .catch((error: unknown) => logger.warn("Checking signers' accounts failed: {error}", { error }))
        .then(() => {
          rechecking = null;
        });
    }
  };
  const runOnce = (): Promise<void> => {
    if (running != null) {
      again = true;
      return running;
    }
    running = pass()
      .catch((error: unknown) => logger.error("Publishing failed: {error}", { error }))
      .finally(() => {
        running = null;
        try {
          scheduleSlot();
        } catch (error) {
          logger.error("Could not schedule the next notice: {error}", { error });
        }
        if (again && !stopped) {
          again = false;
          void runOnce();
        }
      });
    return running;
  };
  const timer = setInterval(() => void runOnce(), intervalMs);
  timer.unref();
  let soon: NodeJS.Timeout | null = null;
  return {
    runOnce,
    notify() {
      if (stopped || soon != null) return;
      soon = setTimeout(() => {
        soon = null;
        void runOnce();
      }, 50);
      soon.unref();
    },
    stop() {
      stopped = true;
      clearInterval(timer);
      if (slotTimer != null) clearTimeout(slotTimer);
      if (soon != null) clearTimeout(soon);
    },
  };
}
