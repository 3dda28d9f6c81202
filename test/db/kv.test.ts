import { Temporal } from "@js-temporal/polyfill";
import { describe, expect, it } from "vitest";
import { SqliteKvStore } from "../../src/db/kv.ts";
import { createTestDb } from "../helpers/db.ts";

async function collect(iterable: AsyncIterable<{ key: readonly string[]; value: unknown }>) {
  const out: [readonly string[], unknown][] = [];
  for await (const entry of iterable) out.push([entry.key, entry.value]);
  return out.sort((a, b) => a[0].join("\u0000").localeCompare(b[0].join("\u0000")));
}

describe("SqliteKvStore", () => {
  it("gets, sets, overwrites and deletes JSON values", async () => {
    const kv = new SqliteKvStore(createTestDb());
    expect(await kv.get(["a"])).toBeUndefined();
    await kv.set(["a", "b"], { n: 1, s: "x" });
    expect(await kv.get(["a", "b"])).toEqual({ n: 1, s: "x" });
    await kv.set(["a", "b"], [1, 2]);
    expect(await kv.get(["a", "b"])).toEqual([1, 2]);
    await kv.delete(["a", "b"]);
    expect(await kv.get(["a", "b"])).toBeUndefined();
  });

  it("expires values after their TTL", async () => {
    let now = 1_000_000;
    const kv = new SqliteKvStore(createTestDb(), () => now);
    await kv.set(["t"], "v", { ttl: Temporal.Duration.from({ seconds: 10 }) });
    now += 9_999;
    expect(await kv.get(["t"])).toBe("v");
    now += 2;
    expect(await kv.get(["t"])).toBeUndefined();
    expect(await collect(kv.list())).toEqual([]);
    expect(kv.purgeExpired()).toBe(1);
  });

  it("compares and swaps atomically", async () => {
    const kv = new SqliteKvStore(createTestDb());
    expect(await kv.cas(["c"], undefined, 1)).toBe(true);
    expect(await kv.cas(["c"], undefined, 2)).toBe(false);
    expect(await kv.cas(["c"], 1, 3)).toBe(true);
    expect(await kv.get(["c"])).toBe(3);
  });

  it("lists by key prefix without matching a longer key segment", async () => {
    const kv = new SqliteKvStore(createTestDb());
    await kv.set(["a"], 0);
    await kv.set(["a", "x"], 1);
    await kv.set(["a", "y", "z"], 2);
    await kv.set(["ab", "x"], 3);
    await kv.set(["b"], 4);
    expect(await collect(kv.list(["a"]))).toEqual([
      [["a"], 0],
      [["a", "x"], 1],
      [["a", "y", "z"], 2],
    ]);
    expect((await collect(kv.list())).length).toBe(5);
  });

  it("writes nothing when a set would store what is stored already", async () => {
    const db = createTestDb();
    const kv = new SqliteKvStore(db);
    const changes = () => (db.$client.prepare("SELECT total_changes() AS n").get() as { n: number }).n;
    await kv.set(["spec", "https://a.example"], "draft-cavage-http-signatures-12");
    const before = changes();
    await kv.set(["spec", "https://a.example"], "draft-cavage-http-signatures-12");
    expect(changes()).toBe(before);
    await kv.set(["spec", "https://a.example"], "rfc9421");
    expect(changes()).toBe(before + 1);
    // With a TTL the expiry moves, so it is written.
    await kv.set(["spec", "https://a.example"], "rfc9421", { ttl: Temporal.Duration.from({ hours: 1 }) });
    expect(changes()).toBe(before + 2);
    expect(await kv.get(["spec", "https://a.example"])).toBe("rfc9421");
    // The same value without a TTL is written again: it no longer expires.
    await kv.set(["spec", "https://a.example"], "rfc9421");
    expect(changes()).toBe(before + 3);
    expect(db.$client.prepare("SELECT expires FROM kv").get()).toEqual({ expires: null });
    expect(db.$client.pragma("synchronous", { simple: true })).toBe(2);
  });

  it("keeps keys with quotes and commas apart", async () => {
    const kv = new SqliteKvStore(createTestDb());
    await kv.set(['a","b'], "one");
    await kv.set(["a", "b"], "two");
    expect(await kv.get(['a","b'])).toBe("one");
    expect(await collect(kv.list(["a"]))).toEqual([[["a", "b"], "two"]]);
  });
});
