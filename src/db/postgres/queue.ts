/**
 * Fedify's message queue on PostgreSQL, shared by every process on every
 * machine: the design of the SQLite queue (src/db/queue.ts, decision 0007)
 * on a server that many connections write at once.  See
 * docs/decisions/0025-postgresql-queue.md for why it is ours and not a queue
 * engine's.
 *
 * - A message is leased, not removed, while it is handled: a claim sets
 *   `lease_until` and `lease_owner` and counts the attempt; the handler's
 *   success deletes the row (in the transaction of the next claim); a
 *   process that dies mid-handler leaves a lease that runs out, after which
 *   any listener takes the message again (at-least-once: Fedify's message,
 *   and so the activity's id, is the same on every attempt).  Running
 *   handlers renew their leases.  Times are the database's clock, the one
 *   clock every machine shares.
 * - Claims take candidates with `SELECT … FOR UPDATE SKIP LOCKED`, so
 *   listeners on many connections claim side by side without waiting for
 *   each other or taking the same message.
 * - A message is claimable when it is due, not under a live lease, the
 *   first of its ordering key, and of a server that is neither held
 *   (queue_hosts) nor at its share of leases (`perHostConcurrency`, across
 *   every process).  To keep the share exact, a claim that found messages of
 *   a server takes a transaction-level advisory lock for that server (in
 *   sorted order: no deadlock) and counts its leases after taking it; claims
 *   for different servers do not wait for each other.
 * - Enqueues and a server's release `NOTIFY` the queue's channel in the
 *   transaction that commits them; each listener `LISTEN`s on a connection
 *   of its own and claims at once.  A poll (`pollIntervalMs`) finds what no
 *   notification announces: expired leases, and (sooner, if one is due
 *   first) delayed messages.  If the LISTEN connection breaks, polling goes
 *   on and the listener connects again at its next round.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import type { HostState } from "../queue-hosts.ts";
import {
  delayMs,
  positiveOption,
  type EnqueueOptions,
  type HostOutcome,
  type ListenOptions,
  type MessageQueueOptions,
  type QueueDepth,
} from "../queue.ts";
import { chooseWithinShares, handleLeased, listenLoop, type Claim, type ClaimedRow } from "../queue-loop.ts";
import { DB_NOW_MS } from "./client.ts";
import { PostgresHostCircuit } from "./queue-hosts.ts";

export interface PostgresMessageQueueOptions extends MessageQueueOptions {
  /** The channel of LISTEN/NOTIFY. Default `undersign_queue` (channels are per database). */
  readonly channel?: string;
}

interface PendingEnqueue {
  message: string;
  options: EnqueueOptions | undefined;
  host: string | null;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Namespace of the queue's advisory locks per server (the first key of the two-key form). */
const HOST_LOCK = 0x71686f73; // "qhos"

/** Inserts rows given as parallel arrays, in their order, and notifies listeners when they commit. */
const INSERT = `
  WITH clock AS (SELECT ${DB_NOW_MS} AS now),
  inserted AS (
    INSERT INTO queue_messages (message, ordering_key, available_at, attempts, created, host)
    SELECT m.message, m.ordering_key, clock.now + m.delay, 0, clock.now, m.host
      FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[]) WITH ORDINALITY
             AS m(message, ordering_key, delay, host, n), clock
     ORDER BY m.n
    RETURNING 1)
  SELECT pg_notify($5, '') FROM (SELECT count(*) FROM inserted) AS done`;

export class PostgresMessageQueue {
  /** Failed handlers are retried by Fedify's own policy; a thrown handler is released with a backoff. */
  readonly nativeRetrial = false;

  readonly #pool: pg.Pool;
  readonly #channel: string;
  readonly #owner = randomUUID();
  readonly #pollIntervalMs: number;
  readonly #leaseMs: number;
  readonly #concurrency: number;
  readonly #perHost: number;
  readonly #hosts: PostgresHostCircuit;
  readonly #hostOf?: (message: unknown) => string | null;
  readonly #around?: (message: unknown, handle: () => Promise<void>) => Promise<HostOutcome | undefined>;
  /** Ids of messages whose handlers are running here. */
  readonly #active = new Set<number>();
  /** Ids of messages handled successfully, deleted with the next claim. */
  readonly #unacked = new Set<number>();
  #enqueued: PendingEnqueue[] = [];

  constructor(pool: pg.Pool, options: PostgresMessageQueueOptions = {}) {
    this.#pool = pool;
    this.#channel = options.channel ?? "undersign_queue";
    this.#pollIntervalMs = positiveOption("pollIntervalMs", options.pollIntervalMs, 1000);
    this.#leaseMs = positiveOption("leaseMs", options.leaseMs, 20_000);
    this.#concurrency = positiveOption("concurrency", options.concurrency, 16, true);
    this.#perHost = positiveOption("perHostConcurrency", options.perHostConcurrency, 4, true);
    this.#hosts = new PostgresHostCircuit(pool, options.hostCircuit ?? {}, this.#channel);
    this.#hostOf = options.hostOf;
    this.#around = options.around;
  }

  /** A delivery to `host` failed without an answer (see SqliteMessageQueue.hostFailed). */
  hostFailed(host: string, deliveryKey: string): Promise<void> {
    return this.#hosts.failed(host, deliveryKey);
  }

  /** The server answered a delivery: it is up, and its held messages are due at once. */
  hostAnswered(host: string): Promise<void> {
    return this.#hosts.answered(host);
  }

  /** What the queue remembers of a failing server (undefined when none). */
  hostState(host: string): Promise<HostState | undefined> {
    return this.#hosts.state(host);
  }

  /**
   * Resolves once the message is committed.  Messages enqueued in the same
   * turn of the event loop share one statement (a fan-out enqueues one
   * delivery per inbox at once), so they cost one commit, not one each.
   */
  enqueue(message: unknown, options?: EnqueueOptions): Promise<void> {
    let entry: PendingEnqueue;
    const committed = new Promise<void>((resolve, reject) => {
      entry = {
        message: JSON.stringify(message) ?? "null",
        options,
        host: options?.host ?? this.#hostOf?.(message) ?? null,
        resolve,
        reject,
      };
    });
    if (this.#enqueued.push(entry!) === 1) queueMicrotask(() => void this.#commitEnqueued());
    return committed;
  }

  async #commitEnqueued(): Promise<void> {
    const batch = this.#enqueued;
    this.#enqueued = [];
    try {
      await this.#insert(batch);
    } catch (error) {
      for (const entry of batch) entry.reject(error);
      return;
    }
    for (const entry of batch) entry.resolve();
  }

  /** Enqueues all messages in one statement: all or none. */
  async enqueueMany(messages: readonly unknown[], options?: EnqueueOptions): Promise<void> {
    if (messages.length === 0) return;
    await this.#insert(
      messages.map((message) => ({
        message: JSON.stringify(message) ?? "null",
        options,
        host: options?.host ?? this.#hostOf?.(message) ?? null,
      })),
    );
  }

  async #insert(rows: readonly Pick<PendingEnqueue, "message" | "options" | "host">[]): Promise<void> {
    await this.#pool.query(INSERT, [
      rows.map((r) => r.message),
      rows.map((r) => r.options?.orderingKey ?? null),
      rows.map((r) => delayMs(r.options)),
      rows.map((r) => r.host),
      this.#channel,
    ]);
  }

  /** Messages waiting, for metrics; leased messages are not counted. */
  async getDepth(): Promise<QueueDepth> {
    const { rows } = await this.#pool.query<{ queued: number; ready: number }>(
      `WITH clock AS (SELECT ${DB_NOW_MS} AS now)
       SELECT count(*)::int AS queued, count(*) FILTER (WHERE available_at <= clock.now)::int AS ready
         FROM queue_messages, clock WHERE lease_until IS NULL OR lease_until < clock.now`,
    );
    const { queued, ready } = rows[0]!;
    return { queued, ready, delayed: queued - ready };
  }

  /**
   * Handles messages until `options.signal` aborts, up to `concurrency` at a
   * time.  Never rejects; resolves after the abort once the handlers already
   * running have finished.  Without a signal it never resolves.
   */
  // biome-ignore lint/suspicious/noExplicitAny: Fedify's MessageQueue contract types messages as any
  async listen(handler: (message: any) => Promise<void> | void, options: ListenOptions = {}): Promise<void> {
    if (options.signal?.aborted) return;
    let poke: () => void = () => {};
    let listener: pg.Client | null = null;
    const connectListener = async () => {
      const client = new pg.Client({ ...this.#pool.options, application_name: "undersign queue listener" });
      client.on("notification", () => poke());
      client.on("error", () => {
        // The connection broke: poll, and connect again at the next round.
        if (listener === client) listener = null;
        void client.end().catch(() => {});
      });
      await client.connect();
      await client.query(`LISTEN ${pg.escapeIdentifier(this.#channel)}`);
      return client;
    };
    try {
      await listenLoop(
        {
          pollIntervalMs: this.#pollIntervalMs,
          concurrency: this.#concurrency,
          pendingAcks: () => this.#unacked.size,
          ackAndClaim: (limit) => this.#ackAndClaim(limit),
          handle: (claimed) => this.#handle(claimed, handler),
          subscribe: (wake) => {
            poke = wake;
            return () => {
              poke = () => {};
            };
          },
          beforeRound: async () => {
            if (listener != null) return;
            // Anything enqueued while there was no LISTEN connection is found by the next claim.
            listener = await connectListener().catch(() => null);
          },
        },
        options.signal,
      );
    } finally {
      const closing = listener as pg.Client | null;
      listener = null;
      await closing?.end().catch(() => {});
    }
  }

  /**
   * In one transaction: deletes the messages whose handlers succeeded and
   * leases up to `limit` claimable messages to this instance, oldest first.
   * Also says in how many milliseconds the next delayed message (or the end
   * of a server's hold) is due.
   *
   * Neither needs the disk (`synchronous_commit = off`, as the SQLite queue's
   * relaxed commits): a lease lost in a crash of the server only makes the
   * message claimable again, and a lost deletion hands it out again
   * (at-least-once).  Statements that take no parameters but ids and this
   * queue's owner id share a round trip.
   */
  async #ackAndClaim(limit: number): Promise<Claim> {
    const acks = [...this.#unacked];
    if (acks.length === 0 && limit === 0) return { claimed: [], nextDueIn: null };
    const owner = pg.escapeLiteral(this.#owner);
    const client = await this.#pool.connect();
    let result: { claimed: ClaimedRow[]; nextDueIn: number | null };
    let failure: Error | undefined;
    try {
      const acknowledge =
        acks.length === 0
          ? ""
          : `DELETE FROM queue_messages WHERE id = ANY('{${acks.join(",")}}'::bigint[]) AND lease_owner = ${owner};`;
      if (limit === 0) {
        await client.query(`BEGIN; SET LOCAL synchronous_commit = off; ${acknowledge} COMMIT`);
        result = { claimed: [], nextDueIn: null };
      } else {
        // With the acknowledgements, in one round trip: the clock, the held
        // servers (cap 0) and those probed one at a time (cap 1), and the next due time.
        const results = (await client.query(
          `BEGIN; SET LOCAL synchronous_commit = off; ${acknowledge}
           WITH clock AS (SELECT ${DB_NOW_MS} AS now)
           SELECT clock.now,
                  (SELECT coalesce(json_agg(json_build_array(host, CASE WHEN held_until > clock.now THEN 0 ELSE 1 END)), '[]')
                     FROM queue_hosts WHERE held_until IS NOT NULL) AS caps,
                  least((SELECT min(available_at) FROM queue_messages WHERE available_at > clock.now),
                        (SELECT min(held_until) FROM queue_hosts WHERE held_until > clock.now)) AS next
             FROM clock`,
        )) as unknown as pg.QueryResult<{ now: string; caps: [string, number][]; next: string | null }>[];
        const rows = results.at(-1)!.rows;
        const now = Number(rows[0]!.now);
        const chosen = await this.#choose(client, limit, now, new Map(rows[0]!.caps));
        let claimed: ClaimedRow[] = [];
        if (chosen.length === 0) {
          await client.query("COMMIT");
        } else {
          const results = (await client.query(
            `UPDATE queue_messages SET lease_until = ${now + this.#leaseMs}, lease_owner = ${owner}, attempts = attempts + 1
              WHERE id = ANY('{${chosen.join(",")}}'::bigint[])
              RETURNING id, message, attempts; COMMIT`,
          )) as unknown as pg.QueryResult<{ id: string; message: string; attempts: number }>[];
          claimed = results[0]!.rows.map((r) => ({ id: Number(r.id), message: r.message, attempts: r.attempts }));
        }
        result = { claimed, nextDueIn: rows[0]!.next == null ? null : Number(rows[0]!.next) - now };
      }
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      failure = error instanceof Error ? error : new Error(String(error));
      throw error;
    } finally {
      // A connection that failed is closed rather than handed out again (it may be broken).
      client.release(failure);
    }
    for (const id of acks) this.#unacked.delete(id);
    result.claimed.sort((a, b) => a.id - b.id);
    // Ours already: a handler still running whose lease ran out (renewals
    // failed), which this claim just renewed.  Do not hand it out a second time.
    return { ...result, claimed: result.claimed.filter((row) => !this.#active.has(row.id)) };
  }

  /**
   * The ids of up to `limit` claimable messages, locked by this transaction:
   * due, not under a live lease, first of its ordering key, of a server
   * neither held nor at its share (`caps`: 0 held, 1 probed).
   */
  async #choose(client: pg.PoolClient, limit: number, now: number, caps: Map<string, number>): Promise<number[]> {
    const held = [...caps].filter(([, cap]) => cap === 0).map(([host]) => host);
    // Locked, skipping what other claims hold locked.
    const { rows: candidates } = await client.query<{ id: string; host: string | null }>(
      `SELECT q.id, q.host FROM queue_messages q
        WHERE q.available_at <= $1
          AND (q.lease_until IS NULL OR q.lease_until < $1)
          AND (q.ordering_key IS NULL OR NOT EXISTS (
                SELECT 1 FROM queue_messages p WHERE p.ordering_key = q.ordering_key AND p.id < q.id))
          AND (q.host IS NULL OR q.host <> ALL($2::text[]))
        ORDER BY q.available_at, q.id
        LIMIT $3
        FOR UPDATE OF q SKIP LOCKED`,
      [now, held, limit * this.#perHost],
    );
    if (candidates.length === 0) return [];
    const hosts = [...new Set(candidates.map((c) => c.host).filter((h): h is string => h != null))].sort();
    const busy = new Map<string, number>();
    if (hosts.length > 0) {
      // One claim at a time per server, so that the count below stays true until this commits.
      await client.query(
        `SELECT pg_advisory_xact_lock($1, hashtext(h)) FROM unnest($2::text[]) WITH ORDINALITY AS u(h, n)`,
        [HOST_LOCK, hosts],
      );
      // A statement of its own: its snapshot sees what the lock's previous holder committed.
      const { rows } = await client.query<{ host: string; n: number }>(
        `SELECT host, count(*)::int AS n FROM queue_messages
          WHERE host = ANY($1::text[]) AND lease_until IS NOT NULL AND lease_until >= $2 GROUP BY host`,
        [hosts, now],
      );
      for (const r of rows) busy.set(r.host, r.n);
    }
    return chooseWithinShares(
      candidates.map((c) => ({ id: Number(c.id), host: c.host })),
      busy,
      (host) => caps.get(host) ?? this.#perHost,
      limit,
    );
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
        this.#pool.query(
          `UPDATE queue_messages SET lease_until = ${DB_NOW_MS} + $3 WHERE id = $1 AND lease_owner = $2`,
          [id, owner, this.#leaseMs],
        ),
      report: (outcome) =>
        outcome.answered ? this.#hosts.answered(outcome.host) : this.#hosts.failed(outcome.host, outcome.deliveryKey),
      // Deleted with the next claim (#ackAndClaim).
      succeeded: () => void this.#unacked.add(id),
      release: (backoff) =>
        this.#pool.query(
          `UPDATE queue_messages SET available_at = ${DB_NOW_MS} + $3, lease_until = NULL, lease_owner = NULL
            WHERE id = $1 AND lease_owner = $2`,
          [id, owner, backoff],
        ),
    });
  }
}
