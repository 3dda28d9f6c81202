/**
 * A circuit breaker per remote server, for the message queue (decision
 * 0010).  The caller reports each delivery's outcome; this file keeps the
 * `queue_hosts` rows the queue's claim reads:
 *
 * - A delivery that failed without an answer (5xx, timeout, no connection)
 *   adds its key to the server's failures.  Failures are counted per
 *   delivery, not per attempt: the retries of one delivery count once, so one
 *   activity a server keeps refusing with a 500 cannot hold every other.
 * - When `failureThreshold` distinct deliveries failed within
 *   `failureWindowMs`, the server's messages are held for `firstHoldMs`.
 *   When the hold ends, one message goes out as a probe; if it fails, the
 *   next hold is twice as long, up to `maxHoldMs`.
 * - Any answer from the server (a 2xx, or a 4xx, which the server sent and so
 *   is up) deletes its row, and if its messages were held, makes them all due
 *   at once: a peer back from an outage gets what waited for it right away,
 *   not when each message's retry delay runs out.
 * - After `giveUpAfterMs` of failing without a single answer, the server is
 *   no longer held: its messages fail and run out of retries as usual.
 *
 * The state can be lost in a power cut without harm (a server is learnt
 * again to be down), so writes commit without waiting for the disk.
 */
import type Database from "better-sqlite3";
import { commitRelaxed } from "./client.ts";

export interface HostCircuitPolicy {
  /** Distinct failed deliveries, within the window, that hold a server. Default 3. */
  readonly failureThreshold: number;
  /** Default 10 minutes. */
  readonly failureWindowMs: number;
  /** The first hold. Default 15 seconds. */
  readonly firstHoldMs: number;
  /** The longest hold, reached by doubling after each failed probe. Default 5 minutes. */
  readonly maxHoldMs: number;
  /** After this long failing without an answer, stop holding the server. Default 7 days. */
  readonly giveUpAfterMs: number;
}

export const DEFAULT_HOST_CIRCUIT: HostCircuitPolicy = {
  failureThreshold: 3,
  failureWindowMs: 10 * 60_000,
  firstHoldMs: 15_000,
  maxHoldMs: 5 * 60_000,
  giveUpAfterMs: 7 * 24 * 60 * 60_000,
};

/** Failures remembered per server at most (the threshold is far below). */
const MAX_FAILURES = 100;

export interface HostState {
  readonly host: string;
  readonly failures: readonly (readonly [string, number])[];
  readonly failingSince: number;
  readonly heldUntil: number | null;
  readonly holdMs: number | null;
}

interface HostRow {
  host: string;
  failures: string;
  failing_since: number;
  held_until: number | null;
  hold_ms: number | null;
}

function fromRow(row: HostRow): HostState {
  return {
    host: row.host,
    failures: JSON.parse(row.failures) as [string, number][],
    failingSince: row.failing_since,
    heldUntil: row.held_until,
    holdMs: row.hold_ms,
  };
}

export function validPolicy(policy: Partial<HostCircuitPolicy>): HostCircuitPolicy {
  const merged = { ...DEFAULT_HOST_CIRCUIT, ...policy };
  for (const [name, value] of Object.entries(merged)) {
    if (!(Number.isFinite(value) && value > 0))
      throw new RangeError(`hostCircuit.${name} must be a positive number, got ${value}`);
  }
  if (!Number.isInteger(merged.failureThreshold))
    throw new RangeError(`hostCircuit.failureThreshold must be an integer, got ${merged.failureThreshold}`);
  return merged;
}

/**
 * A server's state after a delivery to it failed at `now`, from its state
 * before (undefined when it had none): the rule of this file's comment, for
 * SQLite and PostgreSQL alike.
 */
export function afterFailure(
  before: HostState | undefined,
  host: string,
  deliveryKey: string,
  now: number,
  policy: HostCircuitPolicy,
): HostState {
  const failures = (before?.failures ?? [])
    .filter(([key, at]) => key !== deliveryKey && at > now - policy.failureWindowMs)
    .concat([[deliveryKey, now]])
    .slice(-MAX_FAILURES);
  const failingSince = before?.failingSince ?? now;
  let heldUntil = before?.heldUntil ?? null;
  let holdMs = before?.holdMs ?? null;
  if (now - failingSince > policy.giveUpAfterMs) {
    heldUntil = null;
  } else if (heldUntil != null) {
    // Held already: a failure after the hold ended is a failed probe.
    if (heldUntil <= now) {
      holdMs = Math.min((holdMs ?? policy.firstHoldMs) * 2, policy.maxHoldMs);
      heldUntil = now + holdMs;
    }
  } else if (failures.length >= policy.failureThreshold) {
    holdMs = policy.firstHoldMs;
    heldUntil = now + holdMs;
  }
  return { host, failures, failingSince, heldUntil, holdMs };
}

export class HostCircuit {
  readonly #client: Database.Database;
  readonly #policy: HostCircuitPolicy;
  readonly #onRelease: () => void;
  readonly #now: () => number;
  readonly #statements: ReturnType<typeof prepare>;

  constructor(
    client: Database.Database,
    policy: Partial<HostCircuitPolicy>,
    onRelease: () => void,
    now: () => number = Date.now,
  ) {
    this.#client = client;
    this.#policy = validPolicy(policy);
    this.#onRelease = onRelease;
    this.#now = now;
    this.#statements = prepare(client);
  }

  state(host: string): HostState | undefined {
    const row = this.#statements.get.get({ host }) as HostRow | undefined;
    return row == null ? undefined : fromRow(row);
  }

  failed(host: string, deliveryKey: string): void {
    commitRelaxed(this.#client, () =>
      this.#client
        .transaction(() => {
          const next = afterFailure(this.state(host), host, deliveryKey, this.#now(), this.#policy);
          this.#statements.upsert.run({ ...next, failures: JSON.stringify(next.failures) });
        })
        .immediate(),
    );
  }

  answered(host: string): void {
    // Most answers come from servers that never failed: a read, no write.
    if (this.#statements.exists.get({ host }) == null) return;
    const released = commitRelaxed(this.#client, () =>
      this.#client
        .transaction(() => {
          const row = this.#statements.remove.get({ host }) as { held_until: number | null } | undefined;
          if (row?.held_until == null) return false;
          this.#statements.release.run({ host, now: this.#now() });
          return true;
        })
        .immediate(),
    );
    if (released) this.#onRelease();
  }
}

function prepare(client: Database.Database) {
  return {
    get: client.prepare(
      `SELECT host, failures, failing_since, held_until, hold_ms FROM queue_hosts WHERE host = @host`,
    ),
    exists: client.prepare(`SELECT 1 FROM queue_hosts WHERE host = @host`),
    upsert: client.prepare(
      `INSERT INTO queue_hosts (host, failures, failing_since, held_until, hold_ms)
       VALUES (@host, @failures, @failingSince, @heldUntil, @holdMs)
       ON CONFLICT (host) DO UPDATE SET failures = excluded.failures, failing_since = excluded.failing_since,
         held_until = excluded.held_until, hold_ms = excluded.hold_ms`,
    ),
    remove: client.prepare(`DELETE FROM queue_hosts WHERE host = @host RETURNING held_until`),
    // Waiting messages of a server that answered again: due now (their retry
    // delays were waiting for it to come back).
    release: client.prepare(
      `UPDATE queue_messages SET available_at = @now WHERE host = @host AND available_at > @now AND (lease_until IS NULL OR lease_until < @now)`,
    ),
  };
}
