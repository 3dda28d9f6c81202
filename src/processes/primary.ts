/**
 * The primary process of `npm start` with WEB_CONCURRENCY > 1 (decision
 * 0022).  It does the start-up work once (migrations, shipped imports, the
 * site secret, sweeps), then forks the HTTP processes, which share the port
 * through node:cluster, and the worker processes (queue, publisher, strike
 * bot), and supervises them:
 *
 * - a process that dies is forked again (after 1 s, doubling up to 30 s while
 *   it keeps dying young);
 * - an HTTP process that exits with an error before it ever listened (the
 *   port is taken, the database cannot be opened) stops the whole site with
 *   exit code 1, as the single process does;
 * - SIGTERM or SIGINT is passed to every process, each drains (requests in
 *   progress, deliveries in progress), and the primary exits 0 when all have
 *   exited (those still running after STOP_MS are killed);
 * - a poke from an HTTP process (publish soon, the bot's settings changed) is
 *   passed to every worker process.
 *
 * The primary serves no HTTP itself; it keeps the one copy of the signing's
 * rate limits (shared-limits.ts) and is the one writer of signatures
 * (writer.ts): the HTTP processes send it each signing's transaction, and
 * each inbox activity they take in, which it stores in the queue for the
 * worker processes (decision 0033).
 */
import cluster, { type Worker } from "node:cluster";
import { getLogger } from "@logtape/logtape";
import type { Config } from "../config.ts";
import { APP } from "../logging.ts";
import { WORKER_DRAIN_MS } from "./http.ts";
import { isPoke } from "./messages.ts";
import { INDEX_VARIABLE, ROLE_VARIABLE, type ProcessPlan } from "./settings.ts";
import { prepareSite } from "./startup.ts";
import { serveLimiters } from "./shared-limits.ts";
import { serveWrites } from "./writer.ts";
import { makeSigningLimiters } from "../services/signing.ts";
import { createSiteServices } from "../setup.ts";
import { SqliteMessageQueue } from "../db/queue.ts";
import { inboundShareKey, type InboundMessage } from "../federation/inbound-message.ts";

const logger = getLogger([APP, "processes"]);

type Role = "web" | "worker";

const FIRST_RESTART_MS = 1000;
const MAX_RESTART_MS = 30_000;
/** A process that lived this long before dying starts again after FIRST_RESTART_MS. */
const HEALTHY_MS = 60_000;
/** Children still running this long after SIGTERM are killed. */
const STOP_MS = WORKER_DRAIN_MS + 2000;

interface Slot {
  readonly role: Role;
  readonly index: number;
  worker: Worker | null;
  startedAt: number;
  listened: boolean;
  restartMs: number;
}

export async function runPrimary(config: Config, plan: ProcessPlan): Promise<void> {
  const { db } = prepareSite(config);
  // The primary is the one writer of signatures for the HTTP processes (writer.ts).
  const { batcher, pow } = createSiteServices(db, config, { mailer: null });
  // Inbox activities taken in by the HTTP processes wait here for a worker (decision 0033).
  // Stored in the same group commit as the signatures (which yields while a
  // worker holds the write lock, rather than blocking this event loop); only
  // enqueued here: the worker processes' delivery queue handles them.
  const queue = new SqliteMessageQueue(db);
  const enqueue = async (message: InboundMessage) => {
    // (`enqueueMany` inserts at once, here in a savepoint of the batch; its promise says whether it did.)
    let inserted: Promise<void> = Promise.resolve();
    await batcher.run(() => {
      inserted = queue.enqueueMany([message], { host: inboundShareKey(message) });
      inserted.catch(() => {});
    });
    await inserted;
  };
  // The one copy of the signing's rate limits and duplicate window, for every HTTP process (shared-limits.ts).
  const signingLimiters = makeSigningLimiters(config);
  setInterval(() => {
    for (const limiter of Object.values(signingLimiters)) limiter.sweep();
  }, 60 * 1000).unref();
  cluster.setupPrimary({ serialization: "advanced" });

  const slots: Slot[] = [
    ...Array.from({ length: plan.web }, (_, i) => newSlot("web", i + 1)),
    // With PROCESS_QUEUE=false the worker processes only publish; `npm run worker` delivers.
    ...Array.from({ length: plan.workers }, (_, i) => newSlot("worker", i + 1)),
  ];
  let stopping = false;

  const fork = (slot: Slot) => {
    const worker = cluster.fork({ [ROLE_VARIABLE]: slot.role, [INDEX_VARIABLE]: String(slot.index) });
    slot.worker = worker;
    slot.startedAt = Date.now();
    slot.listened = false;
    worker.on("listening", () => (slot.listened = true));
    if (slot.role === "web") {
      serveWrites(worker, { db, batcher, pow, enqueue });
      serveLimiters(worker, signingLimiters);
    }
    worker.on("message", (message: unknown) => {
      if (!isPoke(message)) return;
      for (const other of slots) {
        if (other.role === "worker" && other.worker?.isConnected()) other.worker.send(message, undefined, () => {});
      }
    });
    worker.on("exit", (code, signal) => {
      slot.worker = null;
      if (stopping) return;
      const name = `${slot.role}.${slot.index}`;
      if (slot.role === "web" && !slot.listened && code !== 0 && signal == null) {
        logger.fatal("{name} exited with code {code} before it listened; stopping", { name, code });
        void stop(1);
        return;
      }
      if (Date.now() - slot.startedAt >= HEALTHY_MS) slot.restartMs = FIRST_RESTART_MS;
      logger.error("{name} (pid {pid}) exited ({reason}); starting it again in {delay} ms", {
        name,
        pid: worker.process.pid,
        reason: signal ?? `code ${code}`,
        delay: slot.restartMs,
      });
      const delay = slot.restartMs;
      slot.restartMs = Math.min(MAX_RESTART_MS, slot.restartMs * 2);
      setTimeout(() => {
        if (!stopping) fork(slot);
      }, delay);
    });
  };

  const stop = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    const running = slots.flatMap((slot) => (slot.worker == null || slot.worker.isDead() ? [] : [slot.worker]));
    const exited = running.map(
      (worker) => new Promise<void>((resolve) => worker.process.once("exit", () => resolve())),
    );
    for (const worker of running) worker.process.kill("SIGTERM");
    const timer = setTimeout(() => {
      for (const worker of running) if (!worker.isDead()) worker.process.kill("SIGKILL");
    }, STOP_MS);
    await Promise.all(exited);
    clearTimeout(timer);
    logger.info("Every process stopped");
    db.$client.close();
    process.exit(exitCode);
  };
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      logger.info("Received {signal}; stopping {count} processes", { signal, count: slots.length });
      void stop(0);
    });
  }

  logger.info("Starting {web} HTTP processes and {workers} worker processes", { ...plan });
  for (const slot of slots) fork(slot);
}

function newSlot(role: Role, index: number): Slot {
  return { role, index, worker: null, startedAt: 0, listened: false, restartMs: FIRST_RESTART_MS };
}
