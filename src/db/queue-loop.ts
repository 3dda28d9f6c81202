/**
 * What the SQLite queue (queue.ts) and the PostgreSQL queue
 * (postgres/queue.ts) do alike once a store can claim, renew, release and
 * acknowledge messages: the listening loop, the handling of one leased
 * message, and the choice of messages within each server's share.  The
 * stores differ only in how they do those few things.
 */
import type { HostOutcome } from "./queue.ts";

export interface ClaimedRow {
  id: number;
  message: string;
  attempts: number;
}

export interface Claim {
  readonly claimed: readonly ClaimedRow[];
  /** Milliseconds until the next delayed message (or the end of a server's hold) is due; null when none. */
  readonly nextDueIn: number | null;
}

export interface LoopStore {
  readonly pollIntervalMs: number;
  readonly concurrency: number;
  /** Handled messages not yet deleted (a claim deletes them, even one with nothing to claim). */
  pendingAcks(): number;
  /** Deletes the handled messages and leases up to `limit` more (none when 0). */
  ackAndClaim(limit: number): Claim | Promise<Claim>;
  /** Handles one leased message (see `handleLeased`). */
  handle(claimed: ClaimedRow): Promise<void>;
  /** Calls `poke` when there may be work (an enqueue, a server released); returns the unsubscribe. */
  subscribe(poke: () => void): () => void;
  /** Before each round, e.g. to (re)connect what delivers the wake-ups. */
  beforeRound?(): Promise<void>;
}

/**
 * Handles messages until `signal` aborts, up to `concurrency` at a time.
 * Never rejects; resolves after the abort once the handlers already running
 * have finished (and their messages are deleted).  Without a signal it never
 * resolves.
 */
export async function listenLoop(store: LoopStore, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return;
  const running = new Set<Promise<void>>();
  let poked = false;
  let wakeUp: (() => void) | null = null;
  const poke = () => {
    poked = true;
    const resolveWait = wakeUp;
    wakeUp = null;
    resolveWait?.();
  };
  const unsubscribe = store.subscribe(poke);
  signal?.addEventListener("abort", poke);
  try {
    while (!signal?.aborted) {
      await store.beforeRound?.();
      if (signal?.aborted) break;
      if (poked) {
        // Let the handlers that finish in this turn finish, so that their
        // deletions share the next claim's commit.
        await new Promise<void>((resolveTurn) => setImmediate(resolveTurn));
        if (signal?.aborted) break;
      }
      poked = false;
      let wait = store.pollIntervalMs;
      try {
        const free = store.concurrency - running.size;
        if (free > 0 || store.pendingAcks() > 0) {
          const { claimed, nextDueIn } = await store.ackAndClaim(Math.max(0, free));
          for (const row of claimed) {
            const task = store.handle(row).finally(() => {
              running.delete(task);
              poke();
            });
            running.add(task);
          }
          // A claim takes only a few of one server's messages; while it
          // found some and slots are left, look again at once.
          if (claimed.length > 0 && claimed.length < free) poked = true;
          // A delayed message due before the next poll wakes us on time.
          if (nextDueIn != null) wait = Math.min(wait, Math.max(0, nextDueIn) + 1);
        }
      } catch {
        // The store is busy (SQLITE_BUSY from another process) or
        // unreachable, or a deadlock was broken: try again at the next poll.
      }
      if (poked || signal?.aborted) continue;
      await new Promise<void>((resolveWait) => {
        const timer = setTimeout(() => {
          wakeUp = null;
          resolveWait();
        }, wait);
        wakeUp = () => {
          clearTimeout(timer);
          resolveWait();
        };
      });
    }
  } finally {
    unsubscribe();
    signal?.removeEventListener("abort", poke);
  }
  while (running.size > 0) await Promise.all(running);
  try {
    await store.ackAndClaim(0);
  } catch {
    // The leases run out and the messages are handled again (at-least-once).
  }
}

export interface LeasedMessage {
  readonly claimed: ClaimedRow;
  // biome-ignore lint/suspicious/noExplicitAny: Fedify's MessageQueue contract types messages as any
  readonly handler: (message: any) => Promise<void> | void;
  readonly around?: (message: unknown, handle: () => Promise<void>) => Promise<HostOutcome | undefined>;
  readonly leaseMs: number;
  /** Extends the lease (called every third of it while the handler runs); may fail. */
  renew(): unknown;
  /** Reports a delivery's outcome to the circuit breaker; may fail. */
  report(outcome: HostOutcome): unknown;
  /** The handler succeeded: delete the message (with the next claim). */
  succeeded(): void;
  /** The handler threw: hand the message out again after `backoffMs`; may fail. */
  release(backoffMs: number): unknown;
  /** Ids of the messages whose handlers are running in this process. */
  readonly active: Set<number>;
}

const MAX_BACKOFF_MS = 60 * 60 * 1000;

/** How long a message whose handler threw waits before it is handed out again. */
export function backoffMs(attempts: number): number {
  return Math.min(2 ** attempts * 1000, MAX_BACKOFF_MS);
}

/** Runs the handler of one leased message, renewing its lease, and settles the message. */
export async function handleLeased(leased: LeasedMessage): Promise<void> {
  const { claimed, handler, around } = leased;
  leased.active.add(claimed.id);
  const renewal = setInterval(
    () => {
      // A failed renewal is tried again at the next, well before the lease ends.
      void Promise.resolve()
        .then(() => leased.renew())
        .catch(() => {});
    },
    Math.max(1, Math.floor(leased.leaseMs / 3)),
  );
  let succeeded = false;
  let outcome: HostOutcome | undefined;
  try {
    const message: unknown = JSON.parse(claimed.message);
    if (around == null) await handler(message);
    else outcome = await around(message, async () => void (await handler(message)));
    succeeded = true;
  } catch {
    // Fedify catches and retries its own failures; a throw here is unexpected.
  } finally {
    clearInterval(renewal);
    leased.active.delete(claimed.id);
  }
  if (outcome) {
    try {
      await leased.report(outcome);
    } catch {
      // Busy or unreachable: the next delivery to that server reports it again.
    }
  }
  if (succeeded) {
    leased.succeeded();
    return;
  }
  try {
    await leased.release(backoffMs(claimed.attempts));
  } catch {
    // Busy or unreachable: the message keeps its lease until it expires and
    // is then retried like a crashed handler's.
  }
}

/**
 * The ids of up to `limit` candidates (in order) that fit their servers'
 * shares: `busy` leases held per server now, `capOf` a server's share.
 */
export function chooseWithinShares(
  candidates: readonly { id: number; host: string | null }[],
  busy: Map<string, number>,
  capOf: (host: string) => number,
  limit: number,
): number[] {
  const chosen: number[] = [];
  for (const { id, host } of candidates) {
    if (chosen.length === limit) break;
    if (host != null) {
      const leased = busy.get(host) ?? 0;
      if (leased >= capOf(host)) continue;
      busy.set(host, leased + 1);
    }
    chosen.push(id);
  }
  return chosen;
}
