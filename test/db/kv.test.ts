import { MemoryKvStore } from "@fedify/fedify";
import { Temporal } from "@js-temporal/polyfill";
import { describe, expect, it } from "vitest";
import { jsonEqual, SqliteKvStore } from "../../src/db/kv.ts";
import { createTestDb } from "../helpers/db.ts";
import { tempDir } from "../helpers/process.ts";
import { describeKvStoreContract } from "./kv-contract.ts";

describeKvStoreContract("SqliteKvStore", () => {
  let now = Date.parse("2026-07-04T10:00:00Z");
  const db = createTestDb();
  return {
    store: new SqliteKvStore(db, () => now),
    advance: (ms) => {
      now += ms;
    },
    close: () => void db.$client.close(),
  };
});

describeKvStoreContract("SqliteKvStore on the real clock", () => {
  const db = createTestDb();
  return { store: new SqliteKvStore(db), close: () => void db.$client.close() };
});

// The control: Fedify's own store passes the same cases, so the cases say what Fedify expects.
describeKvStoreContract("MemoryKvStore (Fedify's, the control)", () => ({ store: new MemoryKvStore() }));

async function collect(iterable: AsyncIterable<{ key: readonly string[]; value: unknown }>) {
  const out: [readonly string[], unknown][] = [];
  for await (const entry of iterable) out.push([entry.key, entry.value]);
  return out;
}

describe("SqliteKvStore", () => {
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

  it("keeps what it stored for another handle on the same file, and a cas there sees it", async () => {
    const path = `${tempDir("kv")}/kv.sqlite`;
    const first = createTestDb(path);
    await new SqliteKvStore(first).set(["_fedify", "circuit", "a.example"], {
      state: "open",
      failures: ["x"],
      opened: "y",
    });
    const second = createTestDb(path);
    const other = new SqliteKvStore(second);
    expect(
      await other.cas(["_fedify", "circuit", "a.example"], { opened: "y", failures: ["x"], state: "open" }, undefined),
    ).toBe(true);
    expect(await new SqliteKvStore(first).get(["_fedify", "circuit", "a.example"])).toBeUndefined();
    first.$client.close();
    second.$client.close();
  });

  it("compares JSON values structurally (jsonEqual)", () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2, d: null }] }, { b: [1, { d: null, c: 2 }], a: 1 })).toBe(true);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(jsonEqual({ a: 1, b: 2 }, { a: 1, c: 2 })).toBe(false);
    expect(jsonEqual([], {})).toBe(false);
    expect(jsonEqual(null, {})).toBe(false);
    expect(jsonEqual("1", 1)).toBe(false);
    expect(jsonEqual(0, -0)).toBe(true);
  });
});
