/**
 * Builds the running federation from the registrations: the key–value store
 * and the persistent queue in our database, the canonical origin, and the
 * settings other servers need from us.  Shared by the web process, the
 * worker and the tests.
 *
 * Outgoing requests (decision 0010): Fedify's requests get connect and total
 * timeouts and the double-knock rule (outgoing.ts, installed once per
 * process); the signature format it remembers per server is guarded
 * (signature-memory.ts); deliveries go through the delivery queue, whose
 * per-server share and circuit breaker replace Fedify's breaker.
 */
import { createExponentialBackoffPolicy, type Federation, type KvStore, type RetryPolicy } from "@fedify/fedify";
import { getLogger } from "@logtape/logtape";
import type { Config } from "../config.ts";
import { getDeclarationBySlug } from "../db/declarations.ts";
import { recordSiteHandle } from "../db/site-account.ts";
import type { WriteBatcher } from "../db/batch.ts";
import type { Db } from "../db/client.ts";
import { SqliteKvStore } from "../db/kv.ts";
import type { SqliteMessageQueue } from "../db/queue.ts";
import { builder, type FedData } from "./builder.ts";
import { createDeliveryQueue, type InboundHolder } from "./delivery.ts";
import { doorLoaders } from "./hono.ts";
import { createInboundHandler } from "./inbound-queue.ts";
import { batchedKvWrites } from "./kv-writes.ts";
import { installOutgoingFetch, onServerAnswered, type SignatureSpec } from "./outgoing.ts";
import { startPublisher, type Publisher } from "./publish.ts";
import { guardSignatureMemory } from "./signature-memory.ts";
import { duration } from "./time.ts";
import { siteHandleOf } from "./site-account.ts";

const logger = getLogger(["undersign", "federation"]);

/**
 * Mastodon before 4.5, Misskey, Pleroma and Akkoma verify only draft-cavage
 * signatures; some answer 202 and drop what they cannot verify.
 */
export const FIRST_KNOCK: SignatureSpec = "draft-cavage-http-signatures-12";

/**
 * Retries of one delivery: 1 s, doubling (with jitter), at most two hours
 * apart, 16 attempts — about ten hours.  Time a server spends held by the
 * circuit breaker costs no attempt.
 */
export const OUTBOX_RETRY_POLICY: RetryPolicy = createExponentialBackoffPolicy({
  maxAttempts: 16,
  maxDelay: duration({ hours: 2 }),
});

export interface FederationRuntimeOptions {
  db: Db;
  batcher: WriteBatcher;
  config: Pick<Config, "origin" | "instanceName" | "federation"> &
    Partial<Pick<Config, "siteHandle" | "siteIntroduction">>;
  /** Defaults to the persistent store in `db`. */
  kv?: KvStore;
  /**
   * Defaults to the delivery queue in `db` (`createDeliveryQueue`).  `null`
   * delivers at once, inside the call that sends (tests that want deliveries
   * to have happened when a request returns).
   */
  queue?: SqliteMessageQueue | null;
  /** Defaults to OUTBOX_RETRY_POLICY. */
  outboxRetryPolicy?: RetryPolicy;
  /** How often the publisher looks for due posts (default every minute). */
  publishIntervalMs?: number;
  digestIntervalMs?: number;
}

export interface FederationRuntime {
  readonly federation: Federation<FedData>;
  readonly data: FedData;
  readonly queue: SqliteMessageQueue | null;
  /** Web process only: creates and delivers the Declarations' posts. */
  startPublisher(): Publisher;
  /** Handles queued deliveries until `signal` aborts. */
  processQueue(signal: AbortSignal): Promise<void>;
}

export async function createFederationRuntime(options: FederationRuntimeOptions): Promise<FederationRuntime> {
  const { db, batcher, config } = options;
  installOutgoingFetch();
  // Fedify's cache writes join the group commit rather than wait for the lock (kv-writes.ts).
  const kv = guardSignatureMemory(batchedKvWrites(options.kv ?? new SqliteKvStore(db), batcher), {
    firstKnock: FIRST_KNOCK,
  });
  // Queued inbox activities (the cluster's HTTP processes queue them) are handled by whoever delivers.
  const inbound: InboundHolder = { handle: null };
  const queue = options.queue === undefined ? createDeliveryQueue(db, { inbound }) : options.queue;
  if (queue != null) {
    // A server that answers any request is up: deliveries held for it go now.
    const stop = onServerAnswered((host) => (db.$client.open ? queue.hostAnswered(host) : stop()));
  }
  const federation = await builder.build({
    kv,
    // Outgoing work only for Fedify: in the single process, inbox activities
    // are handled while the sender waits (a failure makes the sender retry);
    // in the cluster, the HTTP processes queue them in our own form
    // (inbound-queue.ts), which keeps what the door learnt.
    ...(queue == null ? {} : { queue: { outbox: queue, fanout: queue } }),
    // The inbox door judges a signature's date, against when the request
    // arrived (inbound.ts): an activity that waited in the queue is not refused
    // by Fedify's second look for being old by then.
    signatureTimeWindow: false,
    manuallyStartQueue: true,
    origin: config.origin.href,
    firstKnock: FIRST_KNOCK,
    // The delivery queue holds a failing server's deliveries (queue-hosts.ts).
    circuitBreaker: false,
    outboxRetryPolicy: options.outboxRetryPolicy ?? OUTBOX_RETRY_POLICY,
    allowPrivateAddress: config.federation.allowPrivateAddress,
  });
  const data: FedData = {
    db,
    batcher,
    instanceName: config.instanceName,
    ...(config.siteHandle == null ? {} : { siteHandle: config.siteHandle }),
    ...(config.siteIntroduction == null ? {} : { siteIntroduction: config.siteIntroduction }),
    allowPrivateAddress: config.federation.allowPrivateAddress,
    signersPerServer: config.federation.signersPerServer,
  };
  let loaders: ReturnType<typeof doorLoaders> | null = null;
  inbound.handle = createInboundHandler(
    federation,
    data,
    () => (loaders ??= doorLoaders(federation, config.origin, data)),
  );
  // No new Declaration may take the site account's handle; one that had it already keeps it (and its followers).
  const handle = siteHandleOf(data);
  db.transaction((tx) => recordSiteHandle(tx, handle));
  if (getDeclarationBySlug(db, handle) != null)
    logger.warn(
      "The Declaration {handle} has the site account's handle, and keeps it: choose another SITE_HANDLE so that the site account can be found",
      { handle },
    );
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
