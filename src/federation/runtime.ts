/**
 * Builds the running federation from the registrations: the key–value store
 * and the persistent queue in our database, the canonical origin, and the
 * settings other servers need from us.  Shared by the web process, the
 * worker and the tests.
 */
import type { Federation, KvStore, MessageQueue } from "@fedify/fedify";
import type { Config } from "../config.ts";
import type { WriteBatcher } from "../db/batch.ts";
import type { Db } from "../db/client.ts";
import { SqliteKvStore } from "../db/kv.ts";
import { SqliteMessageQueue } from "../db/queue.ts";
import { builder, type FedData } from "./builder.ts";
import { startPublisher, type Publisher } from "./publish.ts";

export interface FederationRuntimeOptions {
  db: Db;
  batcher: WriteBatcher;
  config: Pick<Config, "origin" | "instanceName" | "federation">;
  /** Defaults to the persistent store in `db`. */
  kv?: KvStore;
  /**
   * Defaults to the persistent queue in `db`.  `null` delivers at once,
   * inside the call that sends (tests that want deliveries to have happened
   * when a request returns).
   */
  queue?: MessageQueue | null;
  /** How often the publisher looks for due posts (default every minute). */
  publishIntervalMs?: number;
  digestIntervalMs?: number;
}

export interface FederationRuntime {
  readonly federation: Federation<FedData>;
  readonly data: FedData;
  readonly queue: MessageQueue | null;
  /** Web process only: creates and delivers the Declarations' posts. */
  startPublisher(): Publisher;
  /** Handles queued deliveries until `signal` aborts. */
  processQueue(signal: AbortSignal): Promise<void>;
}

export async function createFederationRuntime(options: FederationRuntimeOptions): Promise<FederationRuntime> {
  const { db, batcher, config } = options;
  const kv = options.kv ?? new SqliteKvStore(db);
  const queue = options.queue === undefined ? new SqliteMessageQueue(db) : options.queue;
  const federation = await builder.build({
    kv,
    // Outgoing work only: inbox activities are handled while the sender
    // waits, so an answered activity is already stored (and a failure makes
    // the sender retry).
    ...(queue == null ? {} : { queue: { outbox: queue, fanout: queue } }),
    manuallyStartQueue: true,
    origin: config.origin.href,
    // Mastodon before 4.5, Misskey, Pleroma and Akkoma verify only draft-cavage
    // signatures; some answer 202 and drop what they cannot verify.
    firstKnock: "draft-cavage-http-signatures-12",
    allowPrivateAddress: config.federation.allowPrivateAddress,
  });
  const data: FedData = { db, batcher, instanceName: config.instanceName, allowPrivateAddress: config.federation.allowPrivateAddress };
  return {
    federation,
    data,
    queue,
    startPublisher: () =>
      startPublisher(federation, data, {
        origin: config.origin,
        ...(options.publishIntervalMs == null ? {} : { intervalMs: options.publishIntervalMs }),
        ...(options.digestIntervalMs == null ? {} : { digestIntervalMs: options.digestIntervalMs }),
      }),
    processQueue: (signal) => federation.startQueue(data, { signal }),
  };
}
