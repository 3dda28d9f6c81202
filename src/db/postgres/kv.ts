/**
 * Fedify's key–value store on PostgreSQL, shared by every process on every
 * machine: the same contract as the SQLite store (src/db/kv.ts, whose
 * comment lists it), checked by the same cases (test/db/kv-contract.ts).
 *
 * - Keys are stored JSON-encoded, as on SQLite; a prefix matches the key
 *   equal to it and the keys that continue it segment by segment.
 * - Values are stored as JSON text, not `jsonb`: `jsonb` refuses the
 *   character U+0000, which a JSON string may hold.
 * - `cas` locks the row (`SELECT … FOR UPDATE`) and compares the stored value
 *   with the expected one structurally in JavaScript; when the key is absent
 *   it inserts with `ON CONFLICT DO NOTHING`, so two processes racing to
 *   create a key cannot both win.
 * - TTLs are measured on this process's clock (injectable, for tests), as on
 *   SQLite: what Fedify keeps with a TTL is a cache, for which a few seconds
 *   of clock difference between machines is harmless.
 * - A `set` that would store what is stored already (same value, no
 *   expiry) changes no row.
 */
import type pg from "pg";
import { encodeKey, jsonEqual, type KvEntry, type KvKey, type KvTtl } from "../kv.ts";
import { inTransaction } from "./client.ts";

const LIVE = "(expires IS NULL OR expires > $2)";

function expiry(ttl: KvTtl | undefined, now: number): number | null {
  return ttl == null ? null : now + ttl.total("millisecond");
}

export class PostgresKvStore {
  readonly #pool: pg.Pool;
  readonly #now: () => number;

  constructor(pool: pg.Pool, now: () => number = Date.now) {
    this.#pool = pool;
    this.#now = now;
  }

  async get<T = unknown>(key: KvKey): Promise<T | undefined> {
    const { rows } = await this.#pool.query<{ value: string }>(`SELECT value FROM kv WHERE key = $1 AND ${LIVE}`, [
      encodeKey(key),
      this.#now(),
    ]);
    return rows.length === 0 ? undefined : (JSON.parse(rows[0]!.value) as T);
  }

  async set(key: KvKey, value: unknown, options?: { ttl?: KvTtl }): Promise<void> {
    const json = JSON.stringify(value);
    if (json === undefined) return this.delete(key);
    const now = this.#now();
    const expires = expiry(options?.ttl, now);
    // Already stored as it is, for good: the WHERE leaves the row alone.
    await this.#pool.query(
      `INSERT INTO kv (key, value, expires) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires
       WHERE kv.value IS DISTINCT FROM excluded.value OR kv.expires IS DISTINCT FROM excluded.expires`,
      [encodeKey(key), json, expires],
    );
  }

  async delete(key: KvKey): Promise<void> {
    await this.#pool.query(`DELETE FROM kv WHERE key = $1`, [encodeKey(key)]);
  }

  /**
   * Atomically replaces the value when the stored one equals `expected`
   * structurally (`undefined` = absent or expired); a `next` of `undefined`
   * removes the key.
   */
  async cas(key: KvKey, expected: unknown, next: unknown, options?: { ttl?: KvTtl }): Promise<boolean> {
    const now = this.#now();
    const encoded = encodeKey(key);
    const expectedJson = JSON.stringify(expected);
    const expectedValue = expectedJson === undefined ? undefined : JSON.parse(expectedJson);
    const nextJson = JSON.stringify(next);
    const expires = expiry(options?.ttl, now);
    return inTransaction(this.#pool, async (client) => {
      const { rows } = await client.query<{ value: string; live: boolean }>(
        `SELECT value, ${LIVE} AS live FROM kv WHERE key = $1 FOR UPDATE`,
        [encoded, now],
      );
      const current = rows[0]?.live ? rows[0].value : undefined;
      if (current === undefined ? expectedValue !== undefined : !jsonEqual(JSON.parse(current), expectedValue)) {
        return false;
      }
      if (rows.length > 0) {
        // Locked: nobody else changes it before this transaction ends.
        if (nextJson === undefined) await client.query(`DELETE FROM kv WHERE key = $1`, [encoded]);
        else await client.query(`UPDATE kv SET value = $2, expires = $3 WHERE key = $1`, [encoded, nextJson, expires]);
        return true;
      }
      if (nextJson === undefined) return true;
      // Absent: another process may be creating it this very moment; only one insert wins.
      const inserted = await client.query(
        `INSERT INTO kv (key, value, expires) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING`,
        [encoded, nextJson, expires],
      );
      return inserted.rowCount === 1;
    });
  }

  async *list(prefix?: readonly string[]): AsyncIterable<KvEntry> {
    const now = this.#now();
    const { rows } =
      prefix == null || prefix.length === 0
        ? await this.#pool.query<{ key: string; value: string }>(
            `SELECT key, value FROM kv WHERE expires IS NULL OR expires > $1`,
            [now],
          )
        : // The key itself, or one whose encoding continues the prefix's (minus its "]") with a ",".
          await this.#pool.query<{ key: string; value: string }>(
            `SELECT key, value FROM kv WHERE (key = $1 OR starts_with(key, $3)) AND ${LIVE}`,
            [encodeKey(prefix), now, `${encodeKey(prefix).slice(0, -1)},`],
          );
    for (const row of rows) yield { key: JSON.parse(row.key) as KvKey, value: JSON.parse(row.value) };
  }

  /** Deletes expired entries; returns how many. */
  async purgeExpired(): Promise<number> {
    const result = await this.#pool.query(`DELETE FROM kv WHERE expires <= $1`, [this.#now()]);
    return result.rowCount ?? 0;
  }
}
