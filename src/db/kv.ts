/**
 * A persistent key–value store over our SQLite database, in the shape of
 * Fedify's `KvStore` (declared structurally here, so that db/ does not depend
 * on Fedify).  Keys are arrays of strings, stored JSON-encoded; a prefix scan
 * uses the encoded form without its closing bracket.
 *
 * Fedify reads and writes it on every delivery and every received activity
 * (key and document caches, the signature spec that worked per server, the
 * circuit breaker), so the single-key operations use statements prepared
 * once, and a `set` that would store what is stored already (same value, no
 * expiry) writes nothing: Fedify remembers the spec a server accepted after
 * every delivery.  What Fedify keeps here can be lost without harm (it is
 * fetched or learnt again), so writes commit without waiting for the disk
 * (`commitRelaxed`): a fan-out to a thousand new servers would otherwise wait
 * for a thousand disk flushes.
 */
import { and, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import { commitRelaxed, type Db } from "./client.ts";
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

  async set(key: Key, value: unknown, options?: { ttl?: { total(unit: "millisecond"): number } }): Promise<void> {
    const now = this.#now();
    const encoded = encode(key);
    const json = JSON.stringify(value);
    const expires = ttlToExpiry(options?.ttl, now);
    if (expires == null) {
      // Already stored as it is, for good: nothing to write.
      const current = this.#statements.get.get({ key: encoded, now }) as { value: string; expires: number | null } | undefined;
      if (current != null && current.expires == null && current.value === json) return;
    }
    commitRelaxed(this.#db.$client, () => this.#statements.upsert.run({ key: encoded, value: json, expires }));
  }

  async delete(key: Key): Promise<void> {
    commitRelaxed(this.#db.$client, () => this.#statements.delete.run({ key: encode(key) }));
  }

  /** Atomically replaces the value when it equals `expected` (undefined = absent). */
  async cas(key: Key, expected: unknown, next: unknown, options?: { ttl?: { total(unit: "millisecond"): number } }): Promise<boolean> {
    const now = this.#now();
    const encoded = encode(key);
    const client = this.#db.$client;
    return commitRelaxed(client, () =>
      client.transaction(() => {
        const row = this.#statements.get.get({ key: encoded, now }) as { value: string } | undefined;
        const current = row == null ? undefined : JSON.parse(row.value);
        if (JSON.stringify(current) !== JSON.stringify(expected)) return false;
        this.#statements.upsert.run({ key: encoded, value: JSON.stringify(next), expires: ttlToExpiry(options?.ttl, now) });
        return true;
      }).immediate(),
    );
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

function prepare(client: Db["$client"]) {
  return {
    get: client.prepare(`SELECT value, expires FROM kv WHERE key = @key AND (expires IS NULL OR expires > @now)`),
    upsert: client.prepare(
      `INSERT INTO kv (key, value, expires) VALUES (@key, @value, @expires)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires`,
    ),
    delete: client.prepare(`DELETE FROM kv WHERE key = @key`),
  };
}
