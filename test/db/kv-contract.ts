/**
 * The contract of Fedify's `KvStore`, as cases any store must pass: the
 * SQLite store runs them in kv.test.ts, Fedify's own `MemoryKvStore` runs
 * them too (so a case that fails there is a wrong case, not a finding), and the
 * PostgreSQL store runs them in kv-postgres.test.ts.
 *
 *   describeKvStoreContract("MyStore", async () => ({ store: new MyStore(), close: … }));
 *
 * A store whose clock can be moved (`advance`) has its TTLs checked to the
 * millisecond; other stores are checked against the real clock with margins
 * wide enough for a loaded machine.
 */
import { CircuitBreaker, type KvKey, type KvStore } from "@fedify/fedify";
import { Temporal } from "@js-temporal/polyfill";
import { afterEach, describe, expect, it } from "vitest";

/** Fedify's circuit breaker needs `cas`, so the contract requires it. */
export type KvStoreWithCas = KvStore & Required<Pick<KvStore, "cas">>;

export interface KvStoreUnderTest {
  readonly store: KvStoreWithCas;
  /** Moves the store's clock forward (stores with an injectable clock). */
  advance?(ms: number): void;
  close?(): Promise<void> | void;
}

type Duration = Parameters<KvStore["set"]>[2] extends infer O
  ? NonNullable<O> extends { ttl?: infer D }
    ? D
    : never
  : never;

function ttl(like: Temporal.DurationLike): Duration {
  return Temporal.Duration.from(like) as unknown as Duration;
}

async function entries(store: KvStore, prefix?: KvKey): Promise<[KvKey, unknown][]> {
  const out: [KvKey, unknown][] = [];
  for await (const entry of store.list(prefix)) {
    // A store may report a removed key with an undefined value (MemoryKvStore does): that is no entry.
    if (entry.value !== undefined) out.push([entry.key, entry.value]);
  }
  return out.sort(([a], [b]) => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
    return a.length - b.length;
  });
}

export function describeKvStoreContract(
  name: string,
  create: () => Promise<KvStoreUnderTest> | KvStoreUnderTest,
): void {
  describe(`KvStore contract: ${name}`, () => {
    const opened: KvStoreUnderTest[] = [];
    async function open(): Promise<KvStoreUnderTest> {
      const subject = await create();
      opened.push(subject);
      return subject;
    }
    /** Lets `ms` pass on the store's clock (or a little more on the real one). */
    async function pass(subject: KvStoreUnderTest, ms: number): Promise<void> {
      if (subject.advance != null) subject.advance(ms);
      else await new Promise((resolve) => setTimeout(resolve, ms + 20));
    }
    afterEach(async () => {
      for (const subject of opened.splice(0)) await subject.close?.();
    });

    it("gets undefined for a key never set", async () => {
      const { store } = await open();
      expect(await store.get(["never", "set"])).toBeUndefined();
    });

    it("stores JSON values and reads them back equal", async () => {
      const { store } = await open();
      const values: [KvKey, unknown][] = [
        [["v", "string"], "draft-cavage-http-signatures-12"],
        [["v", "empty"], ""],
        [["v", "number"], 42.5],
        [["v", "zero"], 0],
        [["v", "true"], true],
        [["v", "false"], false],
        [["v", "null"], null],
        [
          ["v", "array"],
          [1, "two", [3], { four: 4 }],
        ],
        [["v", "object"], { state: "open", failures: ["2026-07-04T00:00:00Z"], nested: { a: [null, true] } }],
        [["v", "unicode"], "Déclaration ✊🏽 \u0000 \u2028"],
      ];
      for (const [key, value] of values) await store.set(key, value);
      for (const [key, value] of values) expect(await store.get(key)).toEqual(value);
    });

    it("overwrites a value, and deletes (deleting a missing key is no error)", async () => {
      const { store } = await open();
      await store.set(["k"], { n: 1 });
      await store.set(["k"], [1, 2]);
      expect(await store.get(["k"])).toEqual([1, 2]);
      await store.delete(["k"]);
      expect(await store.get(["k"])).toBeUndefined();
      await store.delete(["k"]);
      await store.delete(["never", "set"]);
      expect(await entries(store)).toEqual([]);
    });

    it("keeps keys apart segment by segment, whatever characters they hold", async () => {
      const { store } = await open();
      const keys: KvKey[] = [
        ["a", "b"],
        ["a,b"],
        ['a","b'],
        ["a", "b", ""],
        ["a\\", "b"],
        ["😀", "x"],
        ["😀x"],
        ["https://a.example/inbox"],
        ["https://a.example", "inbox"],
      ];
      for (const [i, key] of keys.entries()) await store.set(key, i);
      for (const [i, key] of keys.entries()) expect(await store.get(key)).toBe(i);
      expect(await entries(store)).toHaveLength(keys.length);
    });

    it("treats storing undefined as removing the key", async () => {
      const { store } = await open();
      await store.set(["u"], "here");
      await store.set(["u"], undefined);
      expect(await store.get(["u"])).toBeUndefined();
      expect(await entries(store, ["u"])).toEqual([]);
    });

    describe("TTL", () => {
      it("makes an entry absent once its TTL has passed, for get, list and cas", async () => {
        const subject = await open();
        const { store } = subject;
        await store.set(["t", "short"], "gone soon", { ttl: ttl({ milliseconds: 5 }) });
        await store.set(["t", "long"], "stays", { ttl: ttl({ hours: 1 }) });
        await store.set(["t", "days"], "stays too", { ttl: ttl({ days: 7 }) });
        await store.set(["t", "forever"], "stays");
        await pass(subject, 10);
        expect(await store.get(["t", "short"])).toBeUndefined();
        expect(await store.get(["t", "long"])).toBe("stays");
        expect(await store.get(["t", "days"])).toBe("stays too");
        expect((await entries(store, ["t"])).map(([key]) => key[1])).toEqual(["days", "forever", "long"]);
        // An expired entry is absent for cas: the old value no longer matches, undefined does.
        expect(await store.cas(["t", "short"], "gone soon", "back")).toBe(false);
        expect(await store.cas(["t", "short"], undefined, "back")).toBe(true);
        expect(await store.get(["t", "short"])).toBe("back");
      });

      it("expires exactly when the TTL has passed (stores with a movable clock)", async (context) => {
        const subject = await open();
        if (subject.advance == null) return context.skip();
        await subject.store.set(["t"], "v", { ttl: ttl({ seconds: 10 }) });
        subject.advance(9_999);
        expect(await subject.store.get(["t"])).toBe("v");
        subject.advance(2);
        expect(await subject.store.get(["t"])).toBeUndefined();
      });

      it("a write without a TTL makes the entry permanent again; one with a TTL replaces the old expiry", async () => {
        const subject = await open();
        const { store } = subject;
        // Long enough, on the real clock, for the cas below to come before the expiry on a loaded machine.
        const life = subject.advance == null ? 1_000 : 5;
        await store.set(["p"], "first", { ttl: ttl({ milliseconds: life }) });
        await store.set(["p"], "second");
        await store.set(["q"], "first", { ttl: ttl({ milliseconds: life }) });
        expect(await store.cas(["q"], "first", "second")).toBe(true);
        await store.set(["r"], "first");
        await store.set(["r"], "second", { ttl: ttl({ milliseconds: life }) });
        await pass(subject, life + 5);
        expect(await store.get(["p"])).toBe("second");
        expect(await store.get(["q"])).toBe("second");
        expect(await store.get(["r"])).toBeUndefined();
      });

      it("gives a cas its TTL", async () => {
        const subject = await open();
        // Read back before it expires: on the real clock, a TTL a loaded machine cannot outrun.
        const life = subject.advance == null ? 1_000 : 5;
        expect(await subject.store.cas(["c"], undefined, "leased", { ttl: ttl({ milliseconds: life }) })).toBe(true);
        expect(await subject.store.get(["c"])).toBe("leased");
        await pass(subject, life + 5);
        expect(await subject.store.get(["c"])).toBeUndefined();
      });
    });

    describe("cas", () => {
      it("swaps only when the stored value is the expected one (undefined = absent)", async () => {
        const { store } = await open();
        expect(await store.cas(["c"], "something", 1)).toBe(false);
        expect(await store.get(["c"])).toBeUndefined();
        expect(await store.cas(["c"], undefined, 1)).toBe(true);
        expect(await store.cas(["c"], undefined, 2)).toBe(false);
        expect(await store.cas(["c"], 2, 3)).toBe(false);
        expect(await store.get(["c"])).toBe(1);
        expect(await store.cas(["c"], 1, 3)).toBe(true);
        expect(await store.get(["c"])).toBe(3);
      });

      it("compares structurally: key order does not matter, array order and types do", async () => {
        const { store } = await open();
        const stored = {
          state: "half-open",
          failures: ["2026-07-04T10:00:00Z", "2026-07-04T10:00:01Z"],
          opened: "2026-07-04T10:00:01Z",
          __v: 1,
          halfOpened: "2026-07-04T10:30:01Z",
        };
        await store.set(["s"], stored);
        // The same state rebuilt with its keys in another order (what Fedify's circuit breaker does).
        const reordered = {
          halfOpened: stored.halfOpened,
          opened: stored.opened,
          __v: 1,
          failures: [...stored.failures],
          state: "half-open",
        };
        expect(await store.cas(["s"], { ...reordered, failures: [...stored.failures].reverse() }, "no")).toBe(false);
        expect(await store.cas(["s"], { ...reordered, __v: "1" }, "no")).toBe(false);
        expect(await store.cas(["s"], { ...reordered, extra: null }, "no")).toBe(false);
        expect(await store.cas(["s"], { ...reordered, halfOpened: undefined }, "no")).toBe(false);
        expect(await store.cas(["s"], [stored], "no")).toBe(false);
        expect(await store.get(["s"])).toEqual(stored);
        expect(await store.cas(["s"], reordered, { state: "closed" })).toBe(true);
        expect(await store.get(["s"])).toEqual({ state: "closed" });
        // Nested objects too.
        await store.set(["n"], { a: { b: 1, c: [{ d: 1, e: 2 }] } });
        expect(await store.cas(["n"], { a: { c: [{ e: 2, d: 1 }], b: 1 } }, "swapped")).toBe(true);
        // null is a value, not absence.
        await store.set(["z"], null);
        expect(await store.cas(["z"], undefined, "x")).toBe(false);
        expect(await store.cas(["z"], null, "x")).toBe(true);
      });

      it("removes the key when swapping to undefined", async () => {
        const { store } = await open();
        await store.set(["circuit", "a.example"], { state: "open", failures: [] });
        expect(await store.cas(["circuit", "a.example"], { failures: [], state: "open" }, undefined)).toBe(true);
        expect(await store.get(["circuit", "a.example"])).toBeUndefined();
        expect(await entries(store, ["circuit"])).toEqual([]);
        // Absent now: a cas from undefined succeeds, one from the old value does not.
        expect(await store.cas(["circuit", "a.example"], { state: "open", failures: [] }, "x")).toBe(false);
        expect(await store.cas(["circuit", "a.example"], undefined, "x")).toBe(true);
        // Swapping an absent key to undefined is a successful no-op.
        expect(await store.cas(["circuit", "b.example"], undefined, undefined)).toBe(true);
        expect(await store.get(["circuit", "b.example"])).toBeUndefined();
      });

      it("is atomic: concurrent increments lose no update", async () => {
        const { store } = await open();
        await store.set(["counter"], 0);
        const increment = async () => {
          for (;;) {
            const current = (await store.get<number>(["counter"]))!;
            if (await store.cas(["counter"], current, current + 1)) return;
          }
        };
        await Promise.all(Array.from({ length: 25 }, increment));
        expect(await store.get(["counter"])).toBe(25);
      });
    });

    describe("list", () => {
      it("lists a prefix: the key itself and longer keys that continue it, not siblings that share characters", async () => {
        const { store } = await open();
        await store.set(["a"], 0);
        await store.set(["a", "x"], 1);
        await store.set(["a", "y", "z"], 2);
        await store.set(["ab", "x"], 3);
        await store.set(["a,x"], 4);
        await store.set(["b"], 5);
        await store.set(["😀"], 6);
        await store.set(["😀", "x"], 7);
        await store.set(["😀x"], 8);
        expect(await entries(store, ["a"])).toEqual([
          [["a"], 0],
          [["a", "x"], 1],
          [["a", "y", "z"], 2],
        ]);
        expect(await entries(store, ["a", "y"])).toEqual([[["a", "y", "z"], 2]]);
        expect(await entries(store, ["😀"])).toEqual([
          [["😀"], 6],
          [["😀", "x"], 7],
        ]);
        expect(await entries(store, ["nothing"])).toEqual([]);
        expect(await entries(store)).toHaveLength(9);
      });
    });

    it("carries Fedify's circuit breaker through open, half-open and closed", async () => {
      const subject = await open();
      let now = Temporal.Instant.from("2026-07-04T10:00:00Z");
      const breaker = new CircuitBreaker({
        kv: subject.store,
        prefix: ["_fedify", "circuit"],
        options: {
          failureThreshold: 3,
          failureWindow: { minutes: 1 },
          recoveryDelay: { seconds: 30 },
          releaseInterval: { seconds: 1 },
        },
        now: () => now as unknown as ReturnType<NonNullable<ConstructorParameters<typeof CircuitBreaker>[0]["now"]>>,
      });
      for (let i = 0; i < 3; i++) {
        await breaker.recordFailure("peer.example");
        now = now.add({ seconds: 1 });
      }
      expect((await breaker.getState("peer.example"))?.state).toBe("open");
      expect((await breaker.beforeSend("peer.example", {})).type).toBe("hold");
      now = now.add({ seconds: 30 });
      expect(await breaker.beforeSend("peer.example", {})).toMatchObject({ type: "send", probe: true });
      expect((await breaker.getState("peer.example"))?.state).toBe("half-open");
      // While the probe is out, the others wait a release interval.
      expect(await breaker.beforeSend("peer.example", {})).toMatchObject({ type: "hold", state: "half-open" });
      expect(await breaker.recordSuccess("peer.example")).toEqual({ previousState: "half-open", newState: "closed" });
      expect(await breaker.getState("peer.example")).toBeUndefined();
      expect(await breaker.beforeSend("peer.example", {})).toMatchObject({ type: "send", probe: false });
      // A failed probe opens it again.
      for (let i = 0; i < 3; i++) await breaker.recordFailure("peer.example");
      now = now.add({ seconds: 31 });
      expect(await breaker.beforeSend("peer.example", {})).toMatchObject({ type: "send", probe: true });
      expect(await breaker.recordFailure("peer.example")).toEqual({ previousState: "half-open", newState: "open" });
      await breaker.pendingSweep;
    });
  });
}
