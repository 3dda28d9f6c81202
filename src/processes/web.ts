/**
 * An HTTP process of the cluster (WEB_CONCURRENCY > 1): it serves pages, the
 * inbox's door and the API on the shared port.  Inbox activities that pass
 * the door's cheap checks go to the queue through the primary; a worker
 * process verifies and handles them (decision 0033).  It sends signatures to the primary,
 * the one writer (writer.ts; decision 0022), asks the primary's signing
 * limits (shared-limits.ts), writes the rest with its own group commit, and queues deliveries, but delivers nothing:
 * the worker processes do, and run the publisher and the strike bot's
 * scheduler, which this process pokes through the primary.
 */
import { createApp } from "../app.tsx";
import type { Config } from "../config.ts";
import { openDatabase } from "../db/client.ts";
import { SqliteKvStore } from "../db/kv.ts";
import { createFederationRuntime } from "../federation/index.ts";
import { createBot, createSiteServices, databasePath } from "../setup.ts";
import { drainOnSignal, listen } from "./http.ts";
import { relayedPublisher, sendPoke } from "./messages.ts";
import { remoteLimiters } from "./shared-limits.ts";
import { remoteWrites } from "./writer.ts";
import { SIGNING_LIMITER_NAMES, type SigningLimiters } from "../services/signing.ts";

export async function runWebProcess(config: Config): Promise<void> {
  // The primary migrated the database before forking.
  const db = openDatabase(databasePath(config));
  const kv = new SqliteKvStore(db);
  // Signatures are written by the primary, the one writer (writer.ts); so are
  // inbox activities, into the queue, for the worker processes (decision 0033).
  const writes = remoteWrites();
  // The signing's rate limits and duplicate window are the primary's one copy
  // (shared-limits.ts), so a client spread over the processes gets its allowance once.
  const limiters = remoteLimiters<SigningLimiters>(SIGNING_LIMITER_NAMES);
  const services = createSiteServices(db, config, { writes, limiters });
  const runtime = await createFederationRuntime({ db, batcher: services.batcher, config, kv });
  const bot = createBot(db, services.batcher, config, { run: false });
  const app = createApp({
    db,
    config,
    federation: runtime.federation,
    publisher: relayedPublisher(),
    ...services,
    bot: bot.web == null ? null : { ...bot.web, poke: () => sendPoke("bot") },
    enqueueInbound: writes.inbound,
  });
  // The diff threads start with the first comparison asked for, not now: one
  // warm thread per HTTP process would cost every process its memory at idle.
  // The signing limits are the primary's, which sweeps them (shared-limits.ts).
  const server = listen(app.fetch, config);
  drainOnSignal(
    server,
    () => {},
    () => db.$client.close(),
  );
}
