/**
 * `npm run bench:writers`: how several processes should write to one SQLite
 * database in WAL mode (decision 0022).  SQLite lets one writer at a time in;
 * the question is who waits, and where:
 *
 * - `wait`: every process writes with its own group commit (src/db/batch.ts,
 *   the database opened by src/db/client.ts: WAL, synchronous=FULL,
 *   busy_timeout), and a process that finds the write lock taken waits in
 *   SQLite's busy handler, which blocks its event loop.
 * - `own`: the same, but the group commit yields when the lock is taken and
 *   tries again a few milliseconds later (WriteBatcher's default).
 * - `ipc`: one writer process owns the group commit; the other processes send
 *   it each write over the IPC channel (as the cluster's primary or a writer
 *   process would) and wait for its answer.
 *
 * Each of P client processes runs C concurrent loops, each loop one write at
 * a time (a signature-like insert with a unique token and a counter update,
 * one transaction per batch), for SECONDS.  Measured: writes/s, write
 * latency p50/p99 as the client sees it, and the clients' event-loop delay
 * p99 (how long a page request would have waited behind a blocked loop).
 * The baseline is P=1 with its own group commit (`wait`), in the same run.
 *
 * Variables: WRITERS_SECONDS (5), WRITERS_LOOPS (16, loops per process),
 * WRITERS_PROCESSES ("1,2,4"), BENCH_TMPDIR.
 */
import { fork, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { WriteBatcher } from "../src/db/batch.ts";
import { openDatabase, type Db } from "../src/db/client.ts";
import { envInt } from "./processes.ts";

type Mode = "own" | "wait" | "ipc";

interface ClientResult {
  readonly writes: number;
  readonly latenciesMs: number[];
  readonly loopDelayP99Ms: number;
}

interface Row {
  mode: Mode;
  processes: number;
  writesPerSecond: number;
  p50: number;
  p99: number;
  loopP99: number;
}

const SECONDS = envInt("WRITERS_SECONDS", 5, 1, 600);
const LOOPS = envInt("WRITERS_LOOPS", 16, 1, 1000);
const PROCESS_COUNTS = (process.env.WRITERS_PROCESSES ?? "1,2,4").split(",").map((n) => Number(n.trim()));
const HERE = import.meta.filename;

const WRITER_NAMES: Record<Mode, string> = {
  wait: "own group commit, waiting for the lock",
  own: "own group commit, yielding while locked",
  ipc: "one writer over IPC",
};

function prepareSchema(path: string): void {
  const db = openDatabase(path);
  db.$client.exec(`
    CREATE TABLE IF NOT EXISTS counters (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS writes (id INTEGER PRIMARY KEY, counter_id INTEGER NOT NULL, name TEXT NOT NULL,
      token TEXT NOT NULL UNIQUE, created INTEGER NOT NULL);
    INSERT OR IGNORE INTO counters (id, n) VALUES (1, 0);`);
  db.$client.close();
}

function writer(db: Db) {
  const insert = db.$client.prepare("INSERT INTO writes (counter_id, name, token, created) VALUES (1, ?, ?, ?)");
  const bump = db.$client.prepare("UPDATE counters SET n = n + 1 WHERE id = 1");
  return (name: string) => {
    insert.run(name, randomUUID(), Date.now());
    bump.run();
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs LOOPS loops of `write` for SECONDS; measures each write and the event loop. */
async function clientLoops(write: (name: string) => Promise<unknown>): Promise<ClientResult> {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const latenciesMs: number[] = [];
  const end = Date.now() + SECONDS * 1000;
  let n = 0;
  await Promise.all(
    Array.from({ length: LOOPS }, async () => {
      while (Date.now() < end) {
        const started = performance.now();
        await write(`writer ${process.pid} ${n++}`);
        latenciesMs.push(performance.now() - started);
      }
    }),
  );
  delay.disable();
  return { writes: latenciesMs.length, latenciesMs, loopDelayP99Ms: delay.percentile(99) / 1e6 };
}

// --- child roles --------------------------------------------------------------

async function ownRole(path: string, whenLocked: "wait" | "yield"): Promise<void> {
  const db = openDatabase(path);
  const batcher = new WriteBatcher(db, { whenLocked });
  const write = writer(db);
  await waitForGo();
  const result = await clientLoops((name) => batcher.run(() => write(name)));
  db.$client.close();
  await sendToParent({ result });
}

async function ipcClientRole(): Promise<void> {
  const waiting = new Map<number, () => void>();
  let next = 0;
  process.on("message", (message: { done?: number }) => {
    if (message.done != null) {
      waiting.get(message.done)?.();
      waiting.delete(message.done);
    }
  });
  await waitForGo();
  const result = await clientLoops(
    (name) =>
      new Promise<void>((resolve) => {
        const id = next++;
        waiting.set(id, resolve);
        process.send!({ write: id, name });
      }),
  );
  await sendToParent({ result });
}

/** The writer: forks the clients, applies their writes with one group commit, reports their results. */
async function ipcWriterRole(path: string, clients: number): Promise<void> {
  const db = openDatabase(path);
  const batcher = new WriteBatcher(db);
  const write = writer(db);
  const children = Array.from({ length: clients }, () => forkRole(["ipc-client"]));
  const results = children.map(
    (child) =>
      new Promise<ClientResult>((resolve) => {
        child.on("message", (message: { write?: number; name?: string; result?: ClientResult; ready?: true }) => {
          if (message.result != null) resolve(message.result);
          else if (message.write != null) {
            const id = message.write;
            void batcher.run(() => write(message.name!)).then(() => child.send({ done: id }));
          }
        });
      }),
  );
  await Promise.all(children.map(ready));
  for (const child of children) child.send({ go: true });
  const all = await Promise.all(results);
  db.$client.close();
  await sendToParent({ results: all });
}

function sendToParent(message: object): Promise<void> {
  return new Promise((resolve) => process.send!(message, undefined, {}, () => resolve()));
}

/** Resolves at the first message from `from` that has `key` set. */
function messageWith(from: NodeJS.Process | ChildProcess, key: "go" | "ready"): Promise<void> {
  return new Promise((resolve) => {
    const listener = (message: Record<string, unknown>) => {
      if (message[key]) {
        from.off("message", listener);
        resolve();
      }
    };
    from.on("message", listener);
  });
}

function waitForGo(): Promise<void> {
  process.send!({ ready: true });
  return messageWith(process, "go");
}

function forkRole(args: string[]): ChildProcess {
  return fork(HERE, args, { execArgv: ["--import", "tsx"], stdio: "inherit" });
}

function ready(child: ChildProcess): Promise<void> {
  return messageWith(child, "ready");
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode != null ? resolve() : child.once("exit", () => resolve())));
}

// --- driver -------------------------------------------------------------------

async function measure(mode: Mode, processes: number, path: string): Promise<Row> {
  let results: ClientResult[];
  if (mode !== "ipc") {
    const children = Array.from({ length: processes }, () => forkRole([mode, path]));
    const collected = children.map(
      (child) =>
        new Promise<ClientResult>((resolve) =>
          child.on("message", (m: { result?: ClientResult }) => m.result && resolve(m.result)),
        ),
    );
    await Promise.all(children.map(ready));
    for (const child of children) child.send({ go: true });
    results = await Promise.all(collected);
    await Promise.all(children.map(exited));
  } else {
    const writerProcess = forkRole(["ipc-writer", path, String(processes)]);
    results = await new Promise<ClientResult[]>((resolve) =>
      writerProcess.on("message", (m: { results?: ClientResult[] }) => m.results && resolve(m.results)),
    );
    await exited(writerProcess);
  }
  const latencies = results.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  return {
    mode,
    processes,
    writesPerSecond: Math.round(latencies.length / SECONDS),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    loopP99: Math.max(...results.map((r) => r.loopDelayP99Ms)),
  };
}

async function driver(): Promise<void> {
  const dir = mkdtempSync(join(process.env.BENCH_TMPDIR || tmpdir(), "undersign-writers-"));
  const rows: Row[] = [];
  try {
    const load = loadavg()[0]!.toFixed(2);
    for (const processes of PROCESS_COUNTS) {
      for (const mode of ["wait", "own", "ipc"] as const) {
        const path = join(dir, `${mode}-${processes}.sqlite`);
        prepareSchema(path);
        const row = await measure(mode, processes, path);
        rows.push(row);
        process.stdout.write(
          `${mode.padEnd(5)} ${String(processes).padStart(2)} processes: ${row.writesPerSecond} writes/s, p50 ${row.p50.toFixed(1)} ms, p99 ${row.p99.toFixed(1)} ms, event-loop delay p99 ${row.loopP99.toFixed(1)} ms\n`,
        );
      }
    }
    const baseline = rows.find((r) => r.mode === "wait" && r.processes === 1)?.writesPerSecond ?? 0;
    process.stdout.write(
      `\n| writers | processes | writes/s | × one process | p50 ms | p99 ms | event-loop delay p99 ms |\n| --- | --- | --- | --- | --- | --- | --- |\n`,
    );
    for (const r of rows) {
      process.stdout.write(
        `| ${WRITER_NAMES[r.mode]} | ${r.processes} | ${r.writesPerSecond} | ${baseline > 0 ? (r.writesPerSecond / baseline).toFixed(2) : "–"} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.loopP99.toFixed(1)} |\n`,
      );
    }
    process.stdout.write(
      `\n${SECONDS} s each, ${LOOPS} loops per process, 1-minute load average at the start ${load}, at the end ${loadavg()[0]!.toFixed(2)}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const [role, ...args] = process.argv.slice(2);
if (role === "own") await ownRole(args[0]!, "yield");
else if (role === "wait") await ownRole(args[0]!, "wait");
else if (role === "ipc-client") await ipcClientRole();
else if (role === "ipc-writer") await ipcWriterRole(args[0]!, Number(args[1]));
else await driver();
if (role != null) process.exit(0);
