/**
 * (Over 400 lines: one contract (Fedify's MessageQueue) with its leases and breaker.)
 *
 * Fedify's message queue over our SQLite database, in the shape of Fedify's
 * `MessageQueue` (declared structurally here, so that db/ does not depend on
 * Fedify).  See docs/decisions/0007-message-queue.md.
 *
 * A message is leased, not removed, while it is handled: a claim sets
 * `lease_until` and `lease_owner`, the handler's success deletes the row (in
 * the transaction of the next claim, so a busy queue commits once per round
 * of claims rather than twice per message), and a process that dies
 * mid-handler leaves a lease that expires, after which any listener takes the
 * message again (at-least-once).  Leases of running handlers are renewed, so
 * a slow handler keeps its message.  Only enqueues wait for the disk; claims,
 * renewals and deletions commit without (see `commitRelaxed`): losing one in
 * a power cut means a message is handled again, which at-least-once allows.
 *
 * Every statement is synchronous and none is held across an `await`, so the
 * queue shares the connection with the group commit (src/db/batch.ts).
 *
 * Messages may name the server they are for (`host`, an enqueue option).  At
 * most `perHostConcurrency` messages of one server are leased at once, across
 * processes, so one slow or hanging server cannot take every slot; and the
 * caller reports how each delivery went (`hostFailed`, `hostAnswered`), which
 * holds a server's messages while it is down and hands them all out again as
 * soon as it answers (queue-hosts.ts; decision 0010).
 */
import { resolve } from "node:path";
import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import { commitRelaxed, type Db } from "./client.ts";
import { HostCircuit, type HostCircuitPolicy } from "./queue-hosts.ts";
import { chooseWithinShares, handleLeased, listenLoop, type ClaimedRow } from "./queue-loop.ts";

export type { HostCircuitPolicy } from "./queue-hosts.ts";

/** Anything with `total("millisecond")`, such as a `Temporal.Duration`. */
export interface DurationLike {
  total(unit: "millisecond"): number;
}

export interface EnqueueOptions {
  /** Handle no earlier than this from now. */
  readonly delay?: DurationLike;
  /** Messages sharing a key are handled one at a time, in enqueue order. */
  readonly orderingKey?: string;
  /** The server the message is for (deliveries): see `perHostConcurrency` and `hostFailed`. */
  readonly host?: string | null;
}

export interface ListenOptions {
  /** Stops claiming when aborted; `listen` resolves once running handlers finish. */
  signal?: AbortSignal;
}

/** Messages waiting (not held by a live lease), as Fedify's `MessageQueueDepth`. */
export interface QueueDepth {
  readonly queued: number;
  /** Due now (some may still wait behind an earlier message with their ordering key). */
  readonly ready: number;
  /** Delayed, or backing off after a failed handler. */
  readonly delayed: number;
}

/**
 * The options of a delivery queue, on SQLite (this file) and on PostgreSQL
 * (src/db/postgres/queue.ts) alike.
 */
export interface MessageQueueOptions {
  /** How often listeners look for work enqueued by other processes or whose lease expired. Default 1000. */
  readonly pollIntervalMs?: number;
  /**
   * How long a claim holds a message; renewed every third of it while the
   * handler runs.  Default 20 000: after a crash, the messages the dead
   * process held wait this long before another listener takes them.
   */
  readonly leaseMs?: number;
  /** Handlers running at once per `listen` call. Default 16. */
  readonly concurrency?: number;
  /**
   * Messages of one `host` leased at once, across every listener and
   * process.  Default 4: a server that never answers holds at most a quarter
   * of one process's slots.
   */
  readonly perHostConcurrency?: number;
  /** When a failing server's messages are held, and for how long (queue-hosts.ts). */
  readonly hostCircuit?: Partial<HostCircuitPolicy>;
  /** The server a message is for, when its enqueue does not say (`EnqueueOptions.host`). */
  readonly hostOf?: (message: unknown) => string | null;
  /**
   * Runs each handler (`handle`) and says how the delivery went, if it was
   * one: the queue then reports the server as answered or failed.
   */
  readonly around?: (message: unknown, handle: () => Promise<void>) => Promise<HostOutcome | undefined>;
}

/** How a delivery went, as `around` reports it. */
export interface HostOutcome {
  readonly host: string;
  /** The same for every retry of the delivery. */
  readonly deliveryKey: string;
  /** The server answered (any status but a 5xx); otherwise it failed or did not answer. */
  readonly answered: boolean;
}

export type SqliteMessageQueueOptions = MessageQueueOptions;

interface PendingEnqueue {
  row: ReturnType<typeof row>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Wake-up callbacks of the listeners in this process, per database file. */
const listeners = new Map<unknown, Set<() => void>>();

function channelOf(client: Database.Database): unknown {
  // In-memory and temporary databases are private to their handle.
  return client.memory || client.name === "" ? client : resolve(client.name);
}

/** Milliseconds of an enqueue's delay (0 when none, negative or not a number). */
export function delayMs(options: EnqueueOptions | undefined): number {
  return options?.delay == null ? 0 : Math.ceil(nonNegative(options.delay.total("millisecond")));
}

function nonNegative(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0;
}

/** `value`, or `fallback` when undefined; a RangeError naming the option when not a positive (integer) number. */
export function positiveOption(name: string, value: number | undefined, fallback: number, integer = false): number {
  if (value === undefined) return fallback;
  if (!(Number.isFinite(value) && value > 0) || (integer && !Number.isInteger(value))) {
    throw new RangeError(`${name} must be a positive ${integer ? "integer" : "number"}, got ${value}`);
  }
  return value;
}

export class SqliteMessageQueue {
  /** Failed handlers are retried by Fedify's own policy; a thrown handler is released with a backoff. */
  readonly nativeRetrial = false;

  readonly #client: Database.Database;
  readonly #channel: unknown;
  readonly #owner = randomUUID();
  readonly #pollIntervalMs: number;
  readonly #leaseMs: number;
  readonly #concurrency: number;
  readonly #perHost: number;
  readonly #hosts: HostCircuit;
  readonly #hostOf: ((message: unknown) => string | null) | undefined;
  readonly #around: SqliteMessageQueueOptions["around"];
  /** Ids handled right now by this instance (across its `listen` calls). */
  readonly #active = new Set<number>();
  /**
   * Ids whose handler succeeded, not deleted yet: they are deleted in the
   * transaction of the next claim (or kept here until one commits).
   */
  readonly #unacked = new Set<number>();
  /** Enqueued messages waiting for their commit (#commitEnqueued). */
  #enqueued: PendingEnqueue[] = [];
  readonly #statements: ReturnType<typeof prepare>;

  constructor(db: Db, options: SqliteMessageQueueOptions = {}) {
    this.#client = db.$client;
    this.#channel = channelOf(this.#client);
    this.#pollIntervalMs = positiveOption("pollIntervalMs", options.pollIntervalMs, 1000);
    this.#leaseMs = positiveOption("leaseMs", options.leaseMs, 20_000);
    this.#concurrency = positiveOption("concurrency", options.concurrency, 16, true);
    this.#perHost = positiveOption("perHostConcurrency", options.perHostConcurrency, 4, true);
    this.#statements = prepare(this.#client);
    this.#hosts = new HostCircuit(this.#client, options.hostCircuit ?? {}, () => wake(this.#channel));
    this.#hostOf = options.hostOf;
    this.#around = options.around;
  }

  /**
   * A delivery to `host` failed without an answer from the server (a 5xx, a
   * timeout, no connection).  `deliveryKey` names the delivery, the same for
   * each of its retries: the server's messages are held once enough distinct
   * deliveries failed within the window, and a failed probe holds them for
   * twice as long as before.
   */
  hostFailed(host: string, deliveryKey: string): void {
    this.#hosts.failed(host, deliveryKey);
  }

  /**
   * The server answered a delivery (any status but a 5xx): it is up.  Its
   * failures are forgotten, and if its messages were held, every one of them
   * is due at once.
   */
  hostAnswered(host: string): void {
    this.#hosts.answered(host);
  }

  /** What the queue remembers of a failing server (undefined when none). */
  hostState(host: string) {
    return this.#hosts.state(host);
  }

  /**
   * Resolves once the message is committed.  Messages enqueued in the same
   * turn of the event loop share one transaction (a fan-out enqueues one
   * delivery per inbox at once), so they cost one commit, not one each.
   */
  enqueue(message: unknown, options?: EnqueueOptions): Promise<void> {
    let entry: PendingEnqueue;
    const committed = new Promise<void>((resolve, reject) => {
      entry = { row: row(message, options, Date.now(), this.#hostOf), resolve, reject };
    });
    if (this.#enqueued.push(entry!) === 1) queueMicrotask(() => this.#commitEnqueued());
    return committed;
  }

  #commitEnqueued(): void {
    const batch = this.#enqueued;
    this.#enqueued = [];
    try {
      this.#client
        .transaction(() => {
          for (const entry of batch) this.#statements.insert.run(entry.row);
        })
        .immediate();
    } catch (error) {
      for (const entry of batch) entry.reject(error);
      return;
    }
    wake(this.#channel);
    for (const entry of batch) entry.resolve();
  }

  /** Enqueues all messages in one transaction: all or none. */
  async enqueueMany(messages: readonly unknown[], options?: EnqueueOptions): Promise<void> {
    if (messages.length === 0) return;
    const now = Date.now();
    const rows = messages.map((message) => row(message, options, now, this.#hostOf));
    this.#client
      .transaction(() => {
        for (const r of rows) this.#statements.insert.run(r);
      })
      .immediate();
    wake(this.#channel);
  }

  async getDepth(): Promise<QueueDepth> {
    return this.depth();
  }

  /** Messages waiting, for our own metrics; leased messages are not counted. */
  depth(): QueueDepth {
    const counts = this.#statements.depth.get({ now: Date.now() }) as { queued: number; ready: number };
    return { queued: counts.queued, ready: counts.ready, delayed: counts.queued - counts.ready };
  }

  /**
   * Handles messages until `options.signal` aborts, up to `concurrency` at a
   * time.  Never rejects; resolves after the abort once the handlers already
   * running have finished.  Without a signal it never resolves.
   */
  // biome-ignore lint/suspicious/noExplicitAny: Fedify's MessageQueue contract types messages as any
  listen(handler: (message: any) => Promise<void> | void, options: ListenOptions = {}): Promise<void> {
    return listenLoop(
      {
        pollIntervalMs: this.#pollIntervalMs,
        concurrency: this.#concurrency,
        pendingAcks: () => this.#unacked.size,
        ackAndClaim: (limit) => {
          const claimed = this.#ackAndClaim(limit);
          if (limit === 0) return { claimed, nextDueIn: null };
          const next = this.#statements.nextDue.get({ now: Date.now() }) as { next: number | null };
          return { claimed, nextDueIn: next.next == null ? null : next.next - Date.now() };
        },
        handle: (claimed) => this.#handle(claimed, handler),
        subscribe: (poke) => {
          let subscribers = listeners.get(this.#channel);
          if (subscribers === undefined) {
            subscribers = new Set();
            listeners.set(this.#channel, subscribers);
          }
          subscribers.add(poke);
          return () => {
            subscribers.delete(poke);
            if (subscribers.size === 0 && listeners.get(this.#channel) === subscribers) listeners.delete(this.#channel);
          };
        },
      },
      options.signal,
    );
  }

  /**
   * In one transaction: deletes the messages whose handlers succeeded and
   * leases up to `limit` claimable messages to this instance, oldest first.
   */
  #ackAndClaim(limit: number): ClaimedRow[] {
    const acks = [...this.#unacked];
    if (acks.length === 0 && limit === 0) return [];
    const now = Date.now();
    // Neither needs the disk: a lease lost in a power cut only makes the
    // message claimable again (its handler died with the process), and a lost
    // deletion hands the message out again (at-least-once).
    const rows = commitRelaxed(this.#client, () =>
      this.#client
        .transaction(() => {
          for (const id of acks) this.#statements.remove.run({ id, owner: this.#owner });
          return limit === 0 ? [] : this.#claim(limit, now);
        })
        .immediate(),
    );
    for (const id of acks) this.#unacked.delete(id);
    rows.sort((a, b) => a.id - b.id);
    return rows.filter((claimed) => {
      // Ours already: a handler still running whose lease ran out (renewals
      // failed), which this claim just renewed.  Do not hand it out a second time.
      return !this.#active.has(claimed.id);
    });
  }

  /**
   * Leases up to `limit` claimable messages, inside the caller's immediate
   * transaction (which holds the write lock from its first read to its last
   * write, so two listeners, in one process or several, never claim the same
   * message or together exceed a server's share).  Claimable: due, not under
   * a live lease, first of its ordering key, and of a server that is neither
   * held nor at its share of leases (`perHostConcurrency`; one while a probe
   * tests a server whose hold ended).
   */
  #claim(limit: number, now: number): ClaimedRow[] {
    const statements = this.#statements;
    const busy = new Map((statements.busy.all({ now }) as { host: string; n: number }[]).map((r) => [r.host, r.n]));
    const caps = new Map((statements.caps.all({ now }) as { host: string; cap: number }[]).map((r) => [r.host, r.cap]));
    const capOf = (host: string) => caps.get(host) ?? this.#perHost;
    const full = [...caps.keys(), ...busy.keys()].filter((host) => (busy.get(host) ?? 0) >= capOf(host));
    // Each server gets at most what is left of its share among the first
    // candidates; when that leaves slots free the listener claims again.
    const candidates = statements.candidates.all({ now, full: JSON.stringify(full), scan: limit * this.#perHost }) as {
      id: number;
      host: string | null;
    }[];
    const chosen = chooseWithinShares(candidates, busy, capOf, limit);
    if (chosen.length === 0) return [];
    return statements.lease.all({
      ids: JSON.stringify(chosen),
      leaseUntil: now + this.#leaseMs,
      owner: this.#owner,
    }) as ClaimedRow[];
  }

  // biome-ignore lint/suspicious/noExplicitAny: Fedify's MessageQueue contract types messages as any
  #handle(claimed: ClaimedRow, handler: (message: any) => Promise<void> | void): Promise<void> {
    const { id } = claimed;
    const owner = this.#owner;
    return handleLeased({
      claimed,
      handler,
      around: this.#around,
      leaseMs: this.#leaseMs,
      active: this.#active,
      renew: () =>
        commitRelaxed(this.#client, () =>
          this.#statements.renew.run({ id, owner, leaseUntil: Date.now() + this.#leaseMs }),
        ),
      report: (outcome) =>
        outcome.answered ? this.#hosts.answered(outcome.host) : this.#hosts.failed(outcome.host, outcome.deliveryKey),
      // Deleted with the next claim (#ackAndClaim).
      succeeded: () => void this.#unacked.add(id),
      release: (backoff) =>
        commitRelaxed(this.#client, () =>
          this.#statements.release.run({ id, owner, availableAt: Date.now() + backoff }),
        ),
    });
  }
}

function row(
  message: unknown,
  options: EnqueueOptions | undefined,
  now: number,
  hostOf?: (message: unknown) => string | null,
) {
  return {
    message: JSON.stringify(message) ?? "null",
    orderingKey: options?.orderingKey ?? null,
    availableAt: now + delayMs(options),
    created: now,
    host: options?.host ?? hostOf?.(message) ?? null,
  };
}

function wake(channel: unknown): void {
  const subscribers = listeners.get(channel);
  if (subscribers === undefined) return;
  // After this turn: an enqueue inside an enclosing transaction commits first.
  setImmediate(() => {
    for (const poke of subscribers) poke();
  });
}

function prepare(client: Database.Database) {
  return {
    insert: client.prepare(
      `INSERT INTO queue_messages (message, ordering_key, available_at, lease_until, lease_owner, attempts, created, host)
       VALUES (@message, @orderingKey, @availableAt, NULL, NULL, 0, @created, @host)`,
    ),
    // Leases held per server.
    busy: client.prepare(
      `SELECT host, count(*) AS n FROM queue_messages INDEXED BY queue_messages_leased_idx
        WHERE lease_until IS NOT NULL AND lease_until >= @now GROUP BY host HAVING host IS NOT NULL`,
    ),
    // Servers whose messages are held (0), or probed one at a time (1).
    caps: client.prepare(
      `SELECT host, CASE WHEN held_until > @now THEN 0 ELSE 1 END AS cap FROM queue_hosts WHERE held_until IS NOT NULL`,
    ),
    // Due, not under a live lease, first of its ordering key, not of a full server.
    candidates: client.prepare(
      `SELECT q.id, q.host FROM queue_messages q
        WHERE q.available_at <= @now
          AND (q.lease_until IS NULL OR q.lease_until < @now)
          AND (q.ordering_key IS NULL OR NOT EXISTS (
                SELECT 1 FROM queue_messages p WHERE p.ordering_key = q.ordering_key AND p.id < q.id))
          AND (q.host IS NULL OR q.host NOT IN (SELECT value FROM json_each(@full)))
        ORDER BY q.available_at, q.id
        LIMIT @scan`,
    ),
    lease: client.prepare(
      `UPDATE queue_messages SET lease_until = @leaseUntil, lease_owner = @owner, attempts = attempts + 1
        WHERE id IN (SELECT value FROM json_each(@ids))
        RETURNING id, message, attempts`,
    ),
    renew: client.prepare(
      `UPDATE queue_messages SET lease_until = @leaseUntil WHERE id = @id AND lease_owner = @owner`,
    ),
    remove: client.prepare(`DELETE FROM queue_messages WHERE id = @id AND lease_owner = @owner`),
    release: client.prepare(
      `UPDATE queue_messages SET available_at = @availableAt, lease_until = NULL, lease_owner = NULL
        WHERE id = @id AND lease_owner = @owner`,
    ),
    // The next delayed message, or the end of the next hold of a server.
    nextDue: client.prepare(
      `SELECT min(next) AS next FROM (
         SELECT min(available_at) AS next FROM queue_messages WHERE available_at > @now
         UNION ALL SELECT min(held_until) FROM queue_hosts WHERE held_until > @now)`,
    ),
    depth: client.prepare(
      `SELECT count(*) AS queued, coalesce(sum(available_at <= @now), 0) AS ready
         FROM queue_messages WHERE lease_until IS NULL OR lease_until < @now`,
    ),
  };
}
