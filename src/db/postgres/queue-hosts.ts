/**
 * The per-server circuit breaker of the message queue (src/db/queue-hosts.ts,
 * decision 0010) on PostgreSQL: the same rule (`afterFailure`), the same
 * `queue_hosts` rows, shared by every process on every machine.  A server's
 * row is locked while a failure is recorded, so two processes reporting at
 * once do not lose one of the failures; times are the database's clock.
 */
import type pg from "pg";
import { afterFailure, validPolicy, type HostCircuitPolicy, type HostState } from "../queue-hosts.ts";
import { DB_NOW_MS, inTransaction } from "./client.ts";

interface HostRow {
  host: string;
  failures: [string, number][];
  failing_since: string;
  held_until: string | null;
  hold_ms: string | null;
}

function fromRow(row: HostRow): HostState {
  return {
    host: row.host,
    failures: row.failures,
    failingSince: Number(row.failing_since),
    heldUntil: row.held_until == null ? null : Number(row.held_until),
    holdMs: row.hold_ms == null ? null : Number(row.hold_ms),
  };
}

const SELECT = `SELECT host, failures, failing_since, held_until, hold_ms FROM queue_hosts WHERE host = $1`;

export class PostgresHostCircuit {
  readonly #pool: pg.Pool;
  readonly #policy: HostCircuitPolicy;
  readonly #channel: string;

  /** `channel`: notified when a held server's messages become due. */
  constructor(pool: pg.Pool, policy: Partial<HostCircuitPolicy>, channel: string) {
    this.#pool = pool;
    this.#policy = validPolicy(policy);
    this.#channel = channel;
  }

  async state(host: string): Promise<HostState | undefined> {
    const { rows } = await this.#pool.query<HostRow>(SELECT, [host]);
    return rows.length === 0 ? undefined : fromRow(rows[0]!);
  }

  async failed(host: string, deliveryKey: string): Promise<void> {
    await inTransaction(this.#pool, async (client) => {
      const { rows: clock } = await client.query<{ now: string }>(`SELECT ${DB_NOW_MS} AS now`);
      const now = Number(clock[0]!.now);
      // The row exists from here on (a fresh one reads as no failures yet), so that it can be locked.
      await client.query(
        `INSERT INTO queue_hosts (host, failures, failing_since) VALUES ($1, '[]', $2) ON CONFLICT (host) DO NOTHING`,
        [host, now],
      );
      const { rows } = await client.query<HostRow>(`${SELECT} FOR UPDATE`, [host]);
      const next = afterFailure(fromRow(rows[0]!), host, deliveryKey, now, this.#policy);
      await client.query(
        `UPDATE queue_hosts SET failures = $2, failing_since = $3, held_until = $4, hold_ms = $5 WHERE host = $1`,
        [host, JSON.stringify(next.failures), next.failingSince, next.heldUntil, next.holdMs],
      );
    });
  }

  async answered(host: string): Promise<void> {
    // Most answers come from servers that never failed: a read, no write.
    const { rowCount } = await this.#pool.query(`SELECT 1 FROM queue_hosts WHERE host = $1`, [host]);
    if (rowCount === 0) return;
    await inTransaction(this.#pool, async (client) => {
      const { rows } = await client.query<{ held_until: string | null }>(
        `DELETE FROM queue_hosts WHERE host = $1 RETURNING held_until`,
        [host],
      );
      if (rows[0]?.held_until == null) return;
      // Its waiting messages are due now (their retry delays were waiting for it to come back).
      await client.query(
        `UPDATE queue_messages SET available_at = ${DB_NOW_MS}
          WHERE host = $1 AND available_at > ${DB_NOW_MS} AND (lease_until IS NULL OR lease_until < ${DB_NOW_MS})`,
        [host],
      );
      await client.query(`SELECT pg_notify($1, '')`, [this.#channel]);
    });
  }
}
