/**
 * The PostgreSQL queue against the contract every queue passes
 * (queue-contract.ts), each case in a database of its own on a throwaway
 * cluster, every queue on a pool of its own (a process of its own, as far as
 * the server can tell); then what only a server shows: a restart of
 * PostgreSQL under a listening queue.
 */
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createPgPool } from "../../src/db/postgres/client.ts";
import { runPostgresMigrations } from "../../src/db/postgres/migrate.ts";
import { PostgresMessageQueue } from "../../src/db/postgres/queue.ts";
import { ROOT } from "../helpers/process.ts";
import { describePostgres, startPostgres, type PostgresCluster } from "../helpers/postgres.ts";
import { describeMessageQueueContract, type QueueRow } from "./queue-contract.ts";
import { join } from "node:path";

describePostgres("PostgresMessageQueue", () => {
  let cluster: PostgresCluster;
  let template: string;

  beforeAll(async () => {
    cluster = await startPostgres();
    // Migrated once; each case's database is a copy of it.
    template = "queue_template";
    await runPostgresMigrations(await cluster.createDatabase(template));
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  let counter = 0;
  describeMessageQueueContract("PostgresMessageQueue", async () => {
    const name = `queue_${++counter}`;
    const admin = new pg.Client({ connectionString: cluster.url() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    await admin.end();
    const url = cluster.url(name);
    const pools: pg.Pool[] = [];
    const pool = () => {
      const opened = createPgPool(url, { max: 4 });
      pools.push(opened);
      return opened;
    };
    const own = pool();
    return {
      open: (options) => new PostgresMessageQueue(pool(), options),
      async rows() {
        const { rows } = await own.query(
          "SELECT id, message, ordering_key, available_at, lease_until, lease_owner, attempts FROM queue_messages ORDER BY id",
        );
        return rows.map(
          (r): QueueRow => ({
            ...r,
            id: Number(r.id),
            available_at: Number(r.available_at),
            lease_until: r.lease_until == null ? null : Number(r.lease_until),
          }),
        );
      },
      async refuse(json) {
        await own.query(`CREATE FUNCTION refuse_message() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN
            IF NEW.message = ${pg.escapeLiteral(json)} THEN RAISE EXCEPTION 'refused: %', NEW.message; END IF;
            RETURN NEW;
          END $$`);
        await own.query(
          "CREATE TRIGGER refuse_message BEFORE INSERT ON queue_messages FOR EACH ROW EXECUTE FUNCTION refuse_message()",
        );
      },
      crashChild: (leaseMs) => [join(ROOT, "test", "db", "queue-crash-child.ts"), "postgres", url, String(leaseMs)],
      async close() {
        await Promise.all(pools.map((p) => p.end()));
      },
    };
  });

  it("keeps handling after PostgreSQL restarts under a listening queue, and misses no message", async () => {
    const url = await cluster.createDatabase("queue_restart");
    await runPostgresMigrations(url);
    const pool = createPgPool(url, { max: 4 });
    const queue = new PostgresMessageQueue(pool, { pollIntervalMs: 50 });
    const received: number[] = [];
    const controller = new AbortController();
    const done = queue.listen((n: number) => void received.push(n), { signal: controller.signal });
    try {
      await queue.enqueue(1);
      await until(() => received.includes(1));
      // Every connection of the database is cut, the LISTEN one too (what a restart does to clients).
      const admin = new pg.Client({ connectionString: cluster.url() });
      await admin.connect();
      await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'queue_restart' AND pid <> pg_backend_pid()",
      );
      await admin.end();
      // Enqueued from elsewhere while the listener has no connection.
      const other = createPgPool(url, { max: 1 });
      await new PostgresMessageQueue(other).enqueueMany([2, 3]);
      await other.end();
      await until(() => received.includes(2) && received.includes(3));
      await queue.enqueue(4);
      await until(() => received.includes(4));
      expect(received.sort()).toEqual([1, 2, 3, 4]);
    } finally {
      controller.abort();
      await done;
      await pool.end();
    }
  });
});

async function until(predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
}
