/**
 * The delivery queue: our SQLite queue (src/db/queue.ts) told which server
 * each of Fedify's deliveries goes to and how it went, so that one server
 * gets only a share of the slots and a server that is down has its
 * deliveries held, then released all at once when it answers again
 * (decision 0010).  Fedify's own circuit breaker is off: ours counts failed
 * deliveries rather than attempts, holds messages in place rather than
 * re-enqueueing them every second, and knows at once when a server is back.
 *
 * Each handler runs in an outgoing scope (outgoing.ts): its requests get the
 * delivery limits, and their outcomes decide whether the server answered.
 *
 * The same queue carries the inbox activities that the cluster's HTTP
 * processes take in (inbound-queue.ts, decision 0033): those are handed to
 * the inbound handler rather than to Fedify, and share the slots under their
 * sending server's own key (`inbound:<host>`), apart from deliveries.
 */
import type { Db } from "../db/client.ts";
import { SqliteMessageQueue, type HostOutcome, type SqliteMessageQueueOptions } from "../db/queue.ts";
import { inboundShareKey, isInboundMessage, type InboundMessage } from "./inbound-message.ts";
import { DEFAULT_REQUEST_LIMITS, withOutgoing, type RequestLimits, type RequestOutcome } from "./outgoing.ts";

/** The fields of Fedify 2.3's outbox message that we read. */
interface OutboxMessage {
  readonly type: "outbox";
  /** Random per delivery, the same for each of its retries. */
  readonly id: string;
  readonly inbox: string;
}

function isOutboxMessage(message: unknown): message is OutboxMessage {
  if (message == null || typeof message !== "object") return false;
  const m = message as Record<string, unknown>;
  return m.type === "outbox" && typeof m.id === "string" && typeof m.inbox === "string" && URL.canParse(m.inbox);
}

/** The server (`host:port`) a queued message delivers to; null for other work (fan-outs). */
export function deliveryHost(message: unknown): string | null {
  return isOutboxMessage(message) ? new URL(message.inbox).host : null;
}

/** Who handles queued inbox activities (inbound-queue.ts); set once the federation is built. */
export interface InboundHolder {
  handle: ((message: InboundMessage) => Promise<void>) | null;
}

export interface DeliveryQueueOptions extends Omit<SqliteMessageQueueOptions, "hostOf" | "around"> {
  /** Connect and total timeouts of each delivery request. */
  readonly limits?: RequestLimits;
  /** Handles the queue's inbox activities; without one, they fail and wait for a process that has it. */
  readonly inbound?: InboundHolder;
}

/** Runs one queued message in an outgoing scope and says how its delivery went. */
async function deliver(
  message: unknown,
  handle: () => Promise<void>,
  limits: RequestLimits,
  inbound: InboundHolder | undefined,
): Promise<HostOutcome | undefined> {
  if (isInboundMessage(message)) {
    // Not Fedify's message: an inbox POST queued by an HTTP process (inbound-queue.ts).
    const handleInbound = inbound?.handle;
    if (handleInbound == null) throw new Error("This process cannot handle queued inbox activities");
    await withOutgoing({ limits }, () => handleInbound(message));
    return;
  }
  if (!isOutboxMessage(message)) {
    await withOutgoing({ limits }, handle);
    return;
  }
  const host = new URL(message.inbox).host;
  let last: RequestOutcome | undefined;
  // The last answer (or silence) of the inbox's server decides.
  await withOutgoing(
    {
      limits,
      observe: (outcome) => {
        if (outcome.url.host === host) last = outcome;
      },
    },
    handle,
  );
  // No request: Fedify dropped the message without sending (nothing learnt).
  if (last === undefined) return;
  const outcome: RequestOutcome = last;
  return { host, deliveryKey: message.id, answered: outcome.status != null && outcome.status < 500 };
}

/** The persistent queue for Fedify's outbox and fan-out work, with per-server limits. */
export function createDeliveryQueue(db: Db, options: DeliveryQueueOptions = {}): SqliteMessageQueue {
  const { limits = DEFAULT_REQUEST_LIMITS, inbound, ...queueOptions } = options;
  return new SqliteMessageQueue(db, {
    ...queueOptions,
    hostOf: (message) => deliveryHost(message) ?? inboundShareKey(message),
    around: (message, handle) => deliver(message, handle, limits, inbound),
  });
}
