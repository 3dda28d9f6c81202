/**
 * A background process: delivers the queue (fan-out to followers' inboxes and
 * every other delivery; unless PROCESS_QUEUE=false), runs the publisher (posts,
 * strike notices, digests, profile updates) and, where it delivers, the strike
 * bot's scheduler.  Several may run on one database: a queued message is
 * leased to one process at a time, a notice's key is unique per slot, and the
 * bot claims each slot's post in the database.
 *
 * Used by the cluster (a worker process of `npm start`) and by
 * `npm run worker` (a process the site owner starts beside a web process that
 * runs with PROCESS_QUEUE=false).
 */
import { getLogger } from "@logtape/logtape";
import type { Config } from "../config.ts";
import { WriteBatcher } from "../db/batch.ts";
import { openDatabase } from "../db/client.ts";
import { SqliteKvStore } from "../db/kv.ts";
import { createFederationRuntime } from "../federation/index.ts";
import { APP } from "../logging.ts";
import { createBot, databasePath } from "../setup.ts";
import { drainOnSignal, WORKER_DRAIN_MS } from "./http.ts";
import { isPoke } from "./messages.ts";
import { startHourlySweeps } from "./startup.ts";

const logger = getLogger([APP, "worker"]);

export interface WorkerOptions {
  /** Deliver the queue (and run the bot's scheduler). */
  readonly deliver: boolean;
  /** Run the publisher. */
  readonly publish: boolean;
}

export async function runWorkerProcess(config: Config, options: WorkerOptions): Promise<void> {
  const db = openDatabase(databasePath(config));
  const kv = new SqliteKvStore(db);
  startHourlySweeps(db, kv);
  const batcher = new WriteBatcher(db);
  const runtime = await createFederationRuntime({ db, batcher, config, kv });
  const publisher = options.publish ? runtime.startPublisher() : null;
  void publisher?.runOnce();
  const bot = createBot(db, batcher, config, { run: options.deliver });
  const stop = new AbortController();
  let delivered: Promise<void> = Promise.resolve();
  if (options.deliver) {
    logger.info("Delivering queued activities from {path}", { path: databasePath(config) });
    delivered = runtime.processQueue(stop.signal);
  }
  process.on("message", (message) => {
    if (!isPoke(message)) return;
    if (message.target === "publisher") publisher?.notify();
    else bot.scheduler?.poke();
  });
  drainOnSignal(
    null,
    async () => {
      logger.info("Finishing the deliveries in progress");
      publisher?.stop();
      stop.abort();
      await Promise.all([delivered, bot.scheduler?.stop()]);
    },
    () => {
      db.$client.close();
      logger.info("Worker stopped");
    },
    WORKER_DRAIN_MS,
  );
}
