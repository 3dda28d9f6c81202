/**
 * The PostgreSQL key–value store against the same contract as the SQLite one
 * (kv-contract.ts), on a throwaway cluster, plus what only a shared server
 * shows: processes on separate connections racing on one key.
 */
import { Temporal } from "@js-temporal/polyfill";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgPool } from "../../src/db/postgres/client.ts";
import { PostgresKvStore } from "../../src/db/postgres/kv.ts";
import { runPostgresMigrations } from "../../src/db/postgres/migrate.ts";
import { describePostgres, startPostgres, type PostgresCluster } from "../helpers/postgres.ts";
import { describeKvStoreContract } from "./kv-contract.ts";

describePostgres("PostgresKvStore", () => {
  let cluster: PostgresCluster;
  let url: string;
  const pools: pg.Pool[] = [];
  const pool = () => {
    const opened = createPgPool(url, { max: 4 });
    pools.push(opened);
    return opened;
  };

  beforeAll(async () => {
    cluster = await startPostgres();
    url = await cluster.createDatabase();
    await runPostgresMigrations(url);
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await cluster?.stop();
  });

  /** A store on an empty table (the cases run one after another). */
  async function emptied(now?: () => number) {
    const opened = pool();
    await opened.query("TRUNCATE kv");
    return new PostgresKvStore(opened, now);
  }

  describeKvStoreContract("PostgresKvStore", async () => {
    let now = Date.parse("2026-07-04T10:00:00Z");
    return {
      store: await emptied(() => now),
      advance: (ms) => {
        now += ms;
      },
    };
  });

  describeKvStoreContract("PostgresKvStore on the real clock", async () => ({ store: await emptied() }));

  describe("shared by several processes", () => {
    it("lets exactly one of many connections create an absent key with cas", async () => {
      await emptied();
      const stores = Array.from({ length: 8 }, () => new PostgresKvStore(pool()));
      const results = await Promise.all(stores.map((store, i) => store.cas(["lease", "scheduler"], undefined, i)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect(await stores[0]!.get(["lease", "scheduler"])).toBe(winner);
    });

    it("loses no increment when connections of separate pools race", async () => {
      await emptied();
      const stores = Array.from({ length: 4 }, () => new PostgresKvStore(pool()));
      await stores[0]!.set(["counter"], 0);
      const increment = async (store: PostgresKvStore) => {
        for (;;) {
          const current = (await store.get<number>(["counter"]))!;
          if (await store.cas(["counter"], current, current + 1)) return;
        }
      };
      await Promise.all(Array.from({ length: 40 }, (_, i) => increment(stores[i % 4]!)));
      expect(await stores[3]!.get(["counter"])).toBe(40);
    });

    it("changes no row when a set stores what is stored already, and purges expired entries", async () => {
      let now = 1_000_000;
      const store = await emptied(() => now);
      const opened = pool();
      const xmin = async () =>
        (await opened.query<{ xmin: string }>(`SELECT xmin::text FROM kv WHERE key = '["spec"]'`)).rows[0]?.xmin;
      await store.set(["spec"], "rfc9421");
      const before = await xmin();
      await store.set(["spec"], "rfc9421");
      expect(await xmin()).toBe(before);
      await store.set(["spec"], "draft-cavage-http-signatures-12");
      expect(await xmin()).not.toBe(before);
      await store.set(["t"], "v", { ttl: Temporal.Duration.from({ seconds: 1 }) });
      now += 1_001;
      expect(await store.purgeExpired()).toBe(1);
      expect(await store.get(["spec"])).toBe("draft-cavage-http-signatures-12");
    });
  });
});
