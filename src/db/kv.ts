/**
 * A persistent key–value store over our SQLite database, in the shape of
 * Fedify's `KvStore` (declared structurally here, so that db/ does not depend
 * on Fedify).  Keys are arrays of strings, stored JSON-encoded; a prefix scan
 * uses the encoded form without its closing bracket.
 */
import { and, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { kv } from "./schema.ts";

/** A non-empty key path, as Fedify's `KvKey`. */
type Key = readonly [string, ...string[]];

export interface KvEntry {
  readonly key: Key;
  readonly value: unknown;
}

function encode(key: readonly string[]): string {
  return JSON.stringify(key);
}

function liveAt(now: number) {
  return or(isNull(kv.expires), gt(kv.expires, now));
}

function ttlToExpiry(ttl: { total(unit: "millisecond"): number } | undefined, now: number): number | null {
  return ttl == null ? null : now + ttl.total("millisecond");
}

export class SqliteKvStore {
  readonly #db: Db;
  readonly #now: () => number;

  constructor(db: Db, now: () => number = Date.now) {
    this.#db = db;
    this.#now = now;
  }

  async get<T = unknown>(key: Key): Promise<T | undefined> {
    const row = this.#db
      .select({ value: kv.value })
      .from(kv)
      .where(and(eq(kv.key, encode(key)), liveAt(this.#now())))
      .get();
    return row == null ? undefined : (JSON.parse(row.value) as T);
  }

  async set(key: Key, value: unknown, options?: { ttl?: { total(unit: "millisecond"): number } }): Promise<void> {
    const now = this.#now();
    const row = { key: encode(key), value: JSON.stringify(value), expires: ttlToExpiry(options?.ttl, now) };
    this.#db.insert(kv).values(row).onConflictDoUpdate({ target: kv.key, set: { value: row.value, expires: row.expires } }).run();
  }

  async delete(key: Key): Promise<void> {
    this.#db.delete(kv).where(eq(kv.key, encode(key))).run();
  }

  /** Atomically replaces the value when it equals `expected` (undefined = absent). */
  async cas(key: Key, expected: unknown, next: unknown, options?: { ttl?: { total(unit: "millisecond"): number } }): Promise<boolean> {
    const now = this.#now();
    const encoded = encode(key);
    return this.#db.transaction((tx) => {
      const row = tx.select({ value: kv.value }).from(kv).where(and(eq(kv.key, encoded), liveAt(now))).get();
      const current = row == null ? undefined : JSON.parse(row.value);
      if (JSON.stringify(current) !== JSON.stringify(expected)) return false;
      const value = JSON.stringify(next);
      const expires = ttlToExpiry(options?.ttl, now);
      tx.insert(kv).values({ key: encoded, value, expires }).onConflictDoUpdate({ target: kv.key, set: { value, expires } }).run();
      return true;
    }, { behavior: "immediate" });
  }

  async *list(prefix: readonly string[] = []): AsyncIterable<KvEntry> {
    const now = this.#now();
    const encodedPrefix = prefix.length === 0 ? "[" : encode(prefix).slice(0, -1);
    const rows = this.#db
      .select({ key: kv.key, value: kv.value })
      .from(kv)
      .where(
        and(
          liveAt(now),
          // An exact match, or a longer key that continues the prefix with ",".
          or(eq(kv.key, encode(prefix)), sql`substr(${kv.key}, 1, ${encodedPrefix.length + 1}) = ${encodedPrefix + (prefix.length === 0 ? '"' : ",")}`),
        ),
      )
      .all();
    for (const row of rows) yield { key: JSON.parse(row.key) as Key, value: JSON.parse(row.value) };
  }

  /** Deletes expired entries; returns how many. */
  purgeExpired(): number {
    return this.#db.delete(kv).where(lt(kv.expires, this.#now())).run().changes;
  }
}
