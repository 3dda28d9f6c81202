/**
 * Throughput of the PostgreSQL message queue (src/db/postgres/queue.ts)
 * against the SQLite queue (src/db/queue.ts), measured in the same run on
 * the same machine:
 *
 *   npm run bench:queue
 *
 * Both stores flush commits to disk (SQLite `synchronous = FULL`; a
 * throwaway PostgreSQL 15 cluster with fsync on, on a Unix socket), both in
 * the same temporary folder.  Messages are shaped like deliveries: each
 * names one of BENCH_QUEUE_HOSTS (50) servers, so claims go through the
 * per-server share.  Phases, for each store:
 *
 * - fan-out enqueue: BENCH_QUEUE_MESSAGES (5,000) enqueues in one turn, as
 *   Fedify's fan-out makes them (one commit per turn on both stores);
 * - single enqueues: BENCH_QUEUE_SINGLE (500) enqueues one after another,
 *   each awaited (one commit each);
 * - processing by one listener (16 handlers, no-op), then by two listeners
 *   on separate connections (handles), each BENCH_QUEUE_MESSAGES messages,
 *   timed until every row is gone.
 *
 * Results are printed and appended to bench/RESULTS.md (BENCH_RESULTS=off:
 * not written), with the 1-minute load average.
 */
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { openDatabase, type Db } from "../src/db/client.ts";
import { runMigrations } from "../src/db/migrate.ts";
import { createPgPool } from "../src/db/postgres/client.ts";
import { runPostgresMigrations } from "../src/db/postgres/migrate.ts";
import { PostgresMessageQueue } from "../src/db/postgres/queue.ts";
import { SqliteMessageQueue, type MessageQueueOptions } from "../src/db/queue.ts";
import { MIGRATIONS_DIR } from "../src/setup.ts";
import { NO_POSTGRES_REASON, postgresAvailable, startPostgres } from "../test/helpers/postgres.ts";
import { envInt } from "./processes.ts";
import { describeMachine, fmt, markdownTable, textTable, type Table } from "./report.ts";

const ROOT = resolve(import.meta.dirname, "..");
const MESSAGES = envInt("BENCH_QUEUE_MESSAGES", 5_000, 100, 1_000_000);
const SINGLE = envInt("BENCH_QUEUE_SINGLE", 500, 10, 100_000);
const HOSTS = envInt("BENCH_QUEUE_HOSTS", 50, 1, 10_000);
const WRITE_RESULTS = (process.env.BENCH_RESULTS ?? "").toLowerCase() !== "off";

if (!postgresAvailable) {
  process.stderr.write(`${NO_POSTGRES_REASON}\n`);
  process.exit(1);
}

interface Queue {
  enqueue(message: unknown, options?: { host?: string }): Promise<void>;
  listen(handler: (message: unknown) => void, options: { signal: AbortSignal }): Promise<void>;
}

interface Store {
  name: string;
  /** A queue on a connection (handle) of its own. */
  open(options: MessageQueueOptions): Queue;
  count(): Promise<number>;
  clear(): Promise<void>;
  close(): Promise<void>;
}

const options: MessageQueueOptions = { pollIntervalMs: 100, concurrency: 16, perHostConcurrency: 4 };

function delivery(i: number) {
  return {
    message: { type: "outbox", id: `delivery-${i}`, inbox: `https://host${i % HOSTS}.example/inbox`, n: i },
    host: `host${i % HOSTS}.example`,
  };
}

async function timed(work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

async function drained(store: Store): Promise<void> {
  while ((await store.count()) > 0) await new Promise((r) => setTimeout(r, 5));
}

async function processWith(store: Store, listeners: number): Promise<number> {
  const producer = store.open(options);
  await Promise.all(
    Array.from({ length: MESSAGES }, (_, i) => {
      const { message, host } = delivery(i);
      return producer.enqueue(message, { host });
    }),
  );
  const controllers = Array.from({ length: listeners }, () => new AbortController());
  let handled = 0;
  const ms = await timed(async () => {
    const done = controllers.map((controller) =>
      store.open(options).listen(() => void handled++, { signal: controller.signal }),
    );
    await drained(store);
    for (const controller of controllers) controller.abort();
    await Promise.all(done);
  });
  if (handled < MESSAGES) throw new Error(`${store.name}: handled ${handled} of ${MESSAGES}`);
  return ms;
}

async function measure(store: Store) {
  const queue = store.open(options);
  const fanOut = await timed(async () => {
    await Promise.all(
      Array.from({ length: MESSAGES }, (_, i) => {
        const { message, host } = delivery(i);
        return queue.enqueue(message, { host });
      }),
    );
  });
  await store.clear();
  const single = await timed(async () => {
    for (let i = 0; i < SINGLE; i++) {
      const { message, host } = delivery(i);
      await queue.enqueue(message, { host });
    }
  });
  await store.clear();
  const one = await processWith(store, 1);
  const two = await processWith(store, 2);
  return {
    fanOut: (MESSAGES / fanOut) * 1000,
    single: (SINGLE / single) * 1000,
    one: (MESSAGES / one) * 1000,
    two: (MESSAGES / two) * 1000,
  };
}

const tmp = mkdtempSync(join(tmpdir(), "undersign-queue-bench-"));
const machine = describeMachine(tmp);
const cluster = await startPostgres({ durable: true });
try {
  const sqlitePath = join(tmp, "undersign.sqlite");
  const first = openDatabase(sqlitePath);
  runMigrations(first, MIGRATIONS_DIR);
  const handles: Db[] = [first];
  const sqlite: Store = {
    name: "SQLite",
    open(queueOptions) {
      const handle = openDatabase(sqlitePath);
      handles.push(handle);
      return new SqliteMessageQueue(handle, queueOptions) as Queue;
    },
    count: async () => (first.$client.prepare("SELECT count(*) AS n FROM queue_messages").get() as { n: number }).n,
    clear: async () => void first.$client.exec("DELETE FROM queue_messages"),
    close: async () => {
      for (const handle of handles) handle.$client.close();
    },
  };

  const url = await cluster.createDatabase("bench");
  await runPostgresMigrations(url);
  const pools = [createPgPool(url)];
  const postgres: Store = {
    name: "PostgreSQL",
    open(queueOptions) {
      const pool = createPgPool(url);
      pools.push(pool);
      return new PostgresMessageQueue(pool, queueOptions) as Queue;
    },
    count: async () =>
      (await pools[0]!.query<{ n: number }>("SELECT count(*)::int AS n FROM queue_messages")).rows[0]!.n,
    clear: async () => void (await pools[0]!.query("DELETE FROM queue_messages")),
    close: async () => {
      await Promise.all(pools.map((pool) => pool.end()));
    },
  };

  const loadStart = loadavg()[0]!;
  // SQLite first, then PostgreSQL, then SQLite again: the machine is shared, so the baseline is taken twice.
  const sqliteBefore = await measure(sqlite);
  await sqlite.clear();
  const pg = await measure(postgres);
  const sqliteAfter = await measure(sqlite);
  const loadEnd = loadavg()[0]!;
  await sqlite.close();
  await postgres.close();

  const baseline = (key: keyof typeof pg) => (sqliteBefore[key] + sqliteAfter[key]) / 2;
  const phases: [keyof typeof pg, string][] = [
    ["fanOut", `enqueue, ${fmt.int(MESSAGES)} in one turn (fan-out)`],
    ["single", `enqueue, ${fmt.int(SINGLE)} one after another`],
    ["one", `process ${fmt.int(MESSAGES)}, 1 listener × 16 handlers`],
    ["two", `process ${fmt.int(MESSAGES)}, 2 listeners on separate connections`],
  ];
  const table: Table = {
    headers: ["Phase", "SQLite msg/s (run 1 / run 2)", "PostgreSQL msg/s", "PostgreSQL ÷ SQLite"],
    align: ["l", "r", "r", "r"],
    rows: phases.map(([key, label]) => [
      label,
      `${fmt.int(sqliteBefore[key])} / ${fmt.int(sqliteAfter[key])}`,
      fmt.int(pg[key]),
      fmt.ratio(pg[key] / baseline(key)),
    ]),
  };
  process.stdout.write(
    `\n${textTable(table)}\n\nload average (1 min): ${loadStart.toFixed(2)} → ${loadEnd.toFixed(2)}\n`,
  );
  if (WRITE_RESULTS) {
    const when = new Date().toISOString().slice(0, 16).replace("T", " ");
    appendFileSync(
      join(ROOT, "bench", "RESULTS.md"),
      `\n## Message queue: PostgreSQL against SQLite (${when} UTC)\n\n` +
        `\`npm run bench:queue\` at ${machine.revision}; ${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}, ` +
        `PostgreSQL 15 (throwaway cluster, fsync on, Unix socket) and SQLite ${machine.sqlite} (synchronous = FULL), both on ${machine.tmpFilesystem}. ` +
        `Deliveries to ${HOSTS} servers (at most 4 of one server leased at once); the SQLite baseline was run before and after PostgreSQL. ` +
        `1-minute load average: ${loadStart.toFixed(2)} at the start, ${loadEnd.toFixed(2)} at the end (the machine is shared).\n\n` +
        `${markdownTable(table)}\n`,
    );
  }
} finally {
  await cluster.stop();
  rmSync(tmp, { recursive: true, force: true });
}
