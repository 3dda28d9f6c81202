/**
 * Child processes of the benchmark: every server is spawned with
 * `child_process.spawn`, listens on 127.0.0.1 only, is waited for by polling
 * an HTTP URL, and is always killed — when a phase ends, on an error, on
 * SIGINT/SIGTERM and when the driver exits.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

export const HOST = "127.0.0.1";

const ROOT_DIR = join(import.meta.dirname, "..");

/** A whole number from the environment (a benchmark size), or `fallback` when unset. */
export function envInt(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw == null || raw.trim() === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`${name}: expected a whole number from ${min} to ${max}, got "${raw}"`);
  return n;
}

/**
 * The environment of an undersign server under benchmark: production-like
 * settings with the abuse checks off.  Blank values override a developer's
 * .env (the app treats blank as unset).  `extra` adds or replaces variables.
 */
export function undersignEnv(port: number, dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PORT: String(port),
    HOST,
    ORIGIN: "",
    DATA_DIR: dataDir,
    DECLARATIONS_DIR: join(ROOT_DIR, "declarations"),
    INSTANCE_NAME: "",
    TRUST_PROXY: "false",
    SIGNATURE_CONFIRMATION: "none",
    SMTP_URL: "",
    MAIL_FROM: "",
    PROOF_OF_WORK: "off",
    RATE_LIMIT_PER_DECLARATION: "off",
    RATE_LIMIT_PER_CLIENT: "off",
    DUPLICATE_WINDOW: "0s",
    // The benchmarks measure throughput from a few loopback "servers": the
    // per-server inbox budget and the hold on new signers per server are off.
    INBOX_LIMIT_PER_SERVER: "off",
    FEDIVERSE_SIGNERS_PER_SERVER: "off",
    LOG_LEVEL: "warning",
    ...extra,
  };
}

export interface Server {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly url: string;
  /** The last lines the process wrote (stdout and stderr together). */
  output(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();

/** Kills every child that is still running (SIGKILL; synchronous, safe in an exit handler). */
export function killAll(): void {
  for (const child of running) {
    if (child.exitCode == null && child.signalCode == null) {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }
  running.clear();
}

let handlersInstalled = false;

/** Makes sure no child outlives the driver, whatever way it ends. */
export function installCleanupHandlers(onSignal: (signal: NodeJS.Signals) => void): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      killAll();
      onSignal(signal);
    });
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      if (address == null || typeof address === "string") {
        server.close();
        reject(new Error("could not get a free port"));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

export interface StartOptions {
  name: string;
  /** Arguments after `node`, e.g. ["--import", "tsx", "src/main.ts"]. */
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  port: number;
  /** Path polled until it answers 200 (e.g. "/healthz"). */
  readyPath: string;
  readyTimeoutMs?: number;
}

export async function startServer(options: StartOptions): Promise<Server> {
  const child = spawn(process.execPath, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let tail = "";
  const keep = (chunk: string) => {
    tail = (tail + chunk).slice(-8000);
  };
  child.stdout!.setEncoding("utf8").on("data", keep);
  child.stderr!.setEncoding("utf8").on("data", keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("close", (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  child.on("error", (error) => keep(`\n[spawn error] ${error.message}\n`));
  const url = `http://${HOST}:${options.port}`;
  const server: Server = { name: options.name, child, pid: child.pid ?? -1, url, output: () => tail, exited };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));
  for (;;) {
    if (exitedEarly) throw new Error(`${options.name} exited before it was ready:\n${tail}`);
    try {
      const response = await fetch(url + options.readyPath, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.ok) return server;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stopServer(server);
      throw new Error(
        `${options.name} did not answer ${options.readyPath} within ${(options.readyTimeoutMs ?? 60_000) / 1000} s:\n${tail}`,
      );
    }
    await sleep(100);
  }
}

/** SIGTERM, then SIGKILL if the process has not exited after `graceMs`. */
export async function stopServer(server: Server, graceMs = 8000): Promise<void> {
  const { child } = server;
  if (child.exitCode != null || child.signalCode != null) {
    running.delete(child);
    return;
  }
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await server.exited;
  clearTimeout(timer);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** CPU time (user + system) of a process in ms, from /proc/<pid>/stat; null when unreadable. */
export function processCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces) start after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

// USER_HZ is 100 on every Linux architecture Node supports.
const CLOCK_TICKS = 100;

/** A field of /proc/<pid>/status in kB (VmRSS, VmHWM, …); null when unreadable. */
export function processMemoryKb(pid: number, field: "VmRSS" | "VmHWM"): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    return match == null ? null : Number(match[1]);
  } catch {
    return null;
  }
}

/** CPU time (ms) the whole machine spent busy (all cores, everything but idle and iowait), from /proc/stat. */
export function machineBusyMs(): number | null {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!;
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    return (
      (((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 1000) / CLOCK_TICKS
    );
  } catch {
    return null;
  }
}

/** `root` and every process below it (children of children too), from /proc. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // Gone meanwhile.
    }
  }
  const out: number[] = [];
  const visit = (pid: number) => {
    out.push(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(root);
  return out;
}

/**
 * The largest VmRSS or VmHWM (kB) of any process of `root`'s tree: with
 * several processes (npm start's cluster) the figure per process.
 */
export function largestMemoryKb(root: number, field: "VmRSS" | "VmHWM"): number | null {
  const values = processTree(root)
    .map((pid) => processMemoryKb(pid, field))
    .filter((kb): kb is number => kb != null);
  return values.length === 0 ? null : Math.max(...values);
}

/** CPU time (ms) of `root` and the processes below it (a child that exited no longer counts). */
export function treeCpuMs(root: number): number | null {
  const values = processTree(root)
    .map((pid) => processCpuMs(pid))
    .filter((ms): ms is number => ms != null);
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0);
}

/** Baseline: a bare static Hono response (bench/baseline-static.ts), on a free port. */
export async function startStaticBaseline(): Promise<Server> {
  const port = await freePort();
  return startServer({
    name: "baseline static",
    args: ["--import", "tsx", "bench/baseline-static.ts"],
    cwd: ROOT_DIR,
    env: { ...process.env, PORT: String(port) },
    port,
    readyPath: "/",
  });
}

/** Baseline: a bare Hono + better-sqlite3 insert (bench/baseline-insert.ts, synchronous=FULL) on `dbPath`. */
export async function startInsertBaseline(dbPath: string): Promise<Server> {
  const port = await freePort();
  return startServer({
    name: "baseline insert",
    args: ["--import", "tsx", "bench/baseline-insert.ts"],
    cwd: ROOT_DIR,
    env: { ...process.env, PORT: String(port), BASELINE_DB: dbPath, BASELINE_SYNC: "FULL" },
    port,
    readyPath: "/healthz",
  });
}
