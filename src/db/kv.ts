/**
 * A persistent key–value store over our SQLite database, in the shape of
 * Fedify's `KvStore` (declared structurally here, so that db/ does not depend
 * on Fedify), held to the letter of its contract; `test/db/kv-contract.ts`
 * runs the same cases against this store and against Fedify's
 * `MemoryKvStore`.
 *
 * - Keys are arrays of strings, stored JSON-encoded.  A prefix matches the
 *   key equal to it and every longer key that continues it segment by
 *   segment (`["a"]` matches `["a"]` and `["a", "b"]`, not `["ab"]`).
 * - Values are JSON.  Storing `undefined` (by `set` or `cas`) removes the
 *   key: it reads back as absent, as Fedify's circuit breaker expects when
 *   it closes a circuit with `cas(key, state, undefined)`.
 * - `cas` compares the stored value with the expected one structurally, as
 *   `MemoryKvStore` does (es-toolkit's `isEqual`): the order of an object's
 *   keys does not matter, the order of an array's items does.  Fedify reads a
 *   state, rebuilds it with its keys in another order, and passes that back
 *   as the expected value.
 * - A TTL makes the entry absent once it has passed (for `get`, `list` and
 *   `cas` alike); a write without a TTL makes the entry permanent again.
 *
 * Fedify reads and writes it on every delivery and every received activity
 * (key and document caches, the signature spec that worked per server, the
 * circuit breaker), so the single-key operations use statements prepared
 * once, and a `set` that would store what is stored already (same value, no
 * expiry) writes nothing.  What Fedify keeps here can be lost without harm (it
 * is fetched or learnt again), so writes commit without waiting for the disk
 * (`commitRelaxed`): a fan-out to a thousand new servers would otherwise wait
 * for a thousand disk flushes.
 */
import { lt } from "drizzle-orm";
import { commitRelaxed, type Db } from "./client.ts";
import { kv } from "./schema.ts";

/** A non-empty key path, as Fedify's `KvKey`. */
export type KvKey = readonly [string, ...string[]];
type Key = KvKey;

export interface KvEntry {
  readonly key: Key;
  readonly value: unknown;
}

/** A duration, as a `Temporal.Duration`: only its length in milliseconds is used. */
export interface KvTtl {
  total(unit: "millisecond"): number;
}

/** A key as stored: its segments JSON-encoded (shared with the PostgreSQL store). */
export function encodeKey(key: readonly string[]): string {
  return JSON.stringify(key);
}
const encode = encodeKey;

/** The value as it will read back: what JSON keeps of it (`undefined` stays `undefined`). */
function asStored(value: unknown): string | undefined {
  return JSON.stringify(value);
}

function ttlToExpiry(ttl: KvTtl | undefined, now: number): number | null {
  return ttl == null ? null : now + ttl.total("millisecond");
}

/**
 * Structural equality of two JSON values: objects by their keys in any
 * order, arrays item by item.  Both sides are values JSON produced, so there
 * are no `undefined`s, functions, dates or cycles to consider.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((item, i) => jsonEqual(item, other[i]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  return (
    keys.length === Object.keys(right).length &&
    keys.every((k) => Object.hasOwn(right, k) && jsonEqual(left[k], right[k]))
  );
}

export class SqliteKvStore {
  readonly #db: Db;
  readonly #now: () => number;
  readonly #statements: ReturnType<typeof prepare>;

  constructor(db: Db, now: () => number = Date.now) {
    this.#db = db;
    this.#now = now;
    this.#statements = prepare(db.$client);
  }

  async get<T = unknown>(key: Key): Promise<T | undefined> {
    const row = this.#statements.get.get({ key: encode(key), now: this.#now() }) as { value: string } | undefined;
    return row == null ? undefined : (JSON.parse(row.value) as T);
  }

  async set(key: Key, value: unknown, options?: { ttl?: KvTtl }): Promise<void> {
    const now = this.#now();
    const encoded = encode(key);
    const json = asStored(value);
    if (json === undefined) {
      await this.delete(key);
      return;
    }
    const expires = ttlToExpiry(options?.ttl, now);
    if (expires == null) {
      // Already stored as it is, for good: nothing to write.
      const current = this.#statements.get.get({ key: encoded, now }) as
        | { value: string; expires: number | null }
        | undefined;
      if (current != null && current.expires == null && current.value === json) return;
    }
    commitRelaxed(this.#db.$client, () => this.#statements.upsert.run({ key: encoded, value: json, expires }));
  }

  async delete(key: Key): Promise<void> {
    commitRelaxed(this.#db.$client, () => this.#statements.delete.run({ key: encode(key) }));
  }

  /**
   * Atomically replaces the value when the stored one equals `expected`
   * structurally (`undefined` = absent or expired); a `next` of `undefined`
   * removes the key.
   */
  async cas(key: Key, expected: unknown, next: unknown, options?: { ttl?: KvTtl }): Promise<boolean> {
    const now = this.#now();
    const encoded = encode(key);
    const expectedJson = asStored(expected);
    const expectedValue = expectedJson === undefined ? undefined : JSON.parse(expectedJson);
    const nextJson = asStored(next);
    const client = this.#db.$client;
    return commitRelaxed(client, () =>
      client
        .transaction(() => {
          const row = this.#statements.get.get({ key: encoded, now }) as { value: string } | undefined;
          if (
            row == null
              ? expectedValue !== undefined
              : expectedValue === undefined || !jsonEqual(JSON.parse(row.value), expectedValue)
          ) {
            return false;
          }
          if (nextJson === undefined) this.#statements.delete.run({ key: encoded });
          else this.#statements.upsert.run({ key: encoded, value: nextJson, expires: ttlToExpiry(options?.ttl, now) });
          return true;
        })
        .immediate(),
    );
  }

  async *list(prefix?: readonly string[]): AsyncIterable<KvEntry> {
    const now = this.#now();
    const rows = (
      prefix == null || prefix.length === 0
        ? this.#statements.listAll.all({ now })
        : // The key itself, or one that continues it with another segment: its
          // encoding starts with the prefix's, minus the "]", plus ",".
          // Compared as a range (BINARY collation is byte order), not with
          // substr(), which counts characters where JavaScript counts UTF-16
          // units.
          this.#statements.listPrefix.all({
            now,
            exact: encode(prefix),
            from: `${encode(prefix).slice(0, -1)},`,
            to: `${encode(prefix).slice(0, -1)}-`,
          })
    ) as { key: string; value: string }[];
    for (const row of rows) yield { key: JSON.parse(row.key) as Key, value: JSON.parse(row.value) };
  }

  /** Deletes expired entries; returns how many. */
  purgeExpired(): number {
    return this.#db.delete(kv).where(lt(kv.expires, this.#now())).run().changes;
  }
}

function prepare(client: Db["$client"]) {
  const live = "(expires IS NULL OR expires > @now)";
  return {
    get: client.prepare(`SELECT value, expires FROM kv WHERE key = @key AND ${live}`),
    upsert: client.prepare(
      `INSERT INTO kv (key, value, expires) VALUES (@key, @value, @expires)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires`,
    ),
    delete: client.prepare(`DELETE FROM kv WHERE key = @key`),
    listAll: client.prepare(`SELECT key, value FROM kv WHERE ${live}`),
    listPrefix: client.prepare(
      `SELECT key, value FROM kv WHERE (key = @exact OR (key >= @from AND key < @to)) AND ${live}`,
    ),
  };
}
