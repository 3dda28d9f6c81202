/**
 * The strike-day rehearsal (issue 9; not part of `npm test`).  `npm run rehearsal`:
 *
 * 1. Baselines in the same run: a bare static Hono response
 *    (bench/baseline-static.ts), a bare Hono + better-sqlite3 insert with
 *    undersign's durability on the same file system as the site's database
 *    (bench/baseline-insert.ts), and RSA-2048 signing and verification rates.
 * 2. undersign is started as a site owner would (`node --import tsx
 *    src/main.ts`, the file database, the settings of bench/processes.ts
 *    `undersignEnv`: proof of work and rate limits off, LOG_LEVEL=warning),
 *    with REHEARSAL_FOLLOWERS followers on REHEARSAL_SERVERS inbox servers of
 *    the farm (bench/federation-farm.ts, a second process; it verifies each
 *    delivery's signature and counts receipts per inbox) and an admin account
 *    made with `npm run admin -- create`.
 * 3. For REHEARSAL_SECONDS, at once, from other processes on loopback:
 *    page views of /d/{slug}, the count API (/api/declarations/{slug} and
 *    /api/strike), browser signings (the form POST with its CSRF cookie and
 *    token, each with a name of its own) — autocannon in this process —;
 *    signed Likes, boosts and replies from accounts on the farm's servers, and
 *    hostile requests (bench/rehearsal-fleet.ts, a third process); and strike
 *    notices posted by the site owner on /admin/strike, each delivered to every
 *    follower's shared inbox.
 * 4. Faults (REHEARSAL_FAULTS, a list, default all): `kill` — SIGKILL of the
 *    server at 30 % of the run, or later while the first notice is being
 *    delivered (once 5 % of its inboxes have it), and a restart on the
 *    same data; `disk` — the database is on an ext4 file system of its own (a
 *    loop device; needs root), its write-ahead log checkpointed and emptied,
 *    then filled to REHEARSAL_DISK_RESERVE_KB free at 55 % of the run (or
 *    once the restarted server answers) for 15 % of it,
 *    then freed; the second notice comes after that; `remote` — some inbox servers answer slowly
 *    (REHEARSAL_SLOW_MS), with 500, or with 410 Gone; `hostile` — garbage,
 *    deep JSON, forged and spoofed signatures and huge bodies all along, and
 *    a burst of 40 huge bodies at 45 %.
 * 5. The books, after the server stopped: every acknowledged signing present
 *    exactly once, the counter equal to a recount (`npm run check-counts`),
 *    every accepted boost and reply stored once and one reaction per liking account, every inbox given each notice once,
 *    the followers on gone servers dropped, `PRAGMA integrity_check`.
 *
 * Reported: throughput and p50/p99 per kind, errors, queue depth, RSS and CPU
 * over time, the faults' outcomes, the books, ratios against the goals; the
 * report is printed and appended to bench/RESULTS.md.
 *
 * Variables: REHEARSAL_SECONDS (60), REHEARSAL_FOLLOWERS (10000),
 * REHEARSAL_SERVERS (1000), REHEARSAL_NOTICES (2), REHEARSAL_PAGE_CONNECTIONS
 * (24), REHEARSAL_API_CONNECTIONS (8), REHEARSAL_SIGN_CONNECTIONS (16),
 * REHEARSAL_INBOUND_CONCURRENCY (16), REHEARSAL_INBOUND_ACTORS (500),
 * REHEARSAL_INBOUND_POOL (400 per second of the run), REHEARSAL_FAULTS
 * (kill,disk,remote,hostile; "none"), REHEARSAL_SLOW_MS (3000),
 * REHEARSAL_FAULTY_HOSTS (5 of each kind), REHEARSAL_HUGE_MB (16),
 * REHEARSAL_DISK_MB (1024), REHEARSAL_DISK_RESERVE_KB (16),
 * REHEARSAL_DRAIN_SECONDS (180: how long to wait for deliveries after the
 * load), REHEARSAL_BASELINES (on), REHEARSAL_BASELINE_SECONDS (5),
 * REHEARSAL_PROFILE (off; on: the server runs with --cpu-prof, and the
 * restarted server's profile is summarised), REHEARSAL_NODE_FLAGS (extra
 * flags for the server's node, e.g. --max-semi-space-size=16), REHEARSAL_RESULTS (off: do not
 * append to RESULTS.md), REHEARSAL_NOTE (a line under the heading),
 * BENCH_TMPDIR, BENCH_KEEP.
 */
import { nginxInstalled, startNginx, writeNginxConfig, type RunningNginx } from "./nginx.ts";
import { execFileSync, spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import {
  appendFileSync,
  copyFileSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import autocannon from "autocannon";
import Database from "better-sqlite3";
import { webCryptoRate, workerRate } from "./federation-crypto.ts";
import { farmHost } from "./federation-hosts.ts";
import { measure } from "./load.ts";
import {
  envInt,
  freePort,
  HOST,
  installCleanupHandlers,
  killAll,
  machineBusyMs,
  processCpuMs,
  largestMemoryKb,
  treeCpuMs,
  sleep,
  startInsertBaseline,
  startServer,
  startStaticBaseline,
  stopServer,
  undersignEnv,
  type Server,
} from "./processes.ts";
import { formatSummary, summariseProfile } from "./profile-summary.ts";
import type { FleetConfig, FleetResult } from "./rehearsal-fleet.ts";
import {
  renderRehearsal,
  type Books,
  type KindStats,
  type NoticeRun,
  type RehearsalResults,
  type Sample,
} from "./rehearsal-report.ts";
import { checkCounts, createAdmin, postNotice, signingForm } from "./rehearsal-site.ts";
import { describeMachine, markdownTable, textTable } from "./report.ts";

const ROOT = resolve(import.meta.dirname, "..");
const SLUG = "digital-independence";
const RESULTS_FILE = join(import.meta.dirname, "RESULTS.md");
const ADMIN = { username: "rehearsal", password: "rehearsal-password-2026" };

const SECONDS = envInt("REHEARSAL_SECONDS", 60, 5, 3600);
const S = {
  seconds: SECONDS,
  followers: envInt("REHEARSAL_FOLLOWERS", 10_000, 1, 1_000_000),
  servers: envInt("REHEARSAL_SERVERS", 1_000, 1, 60_000),
  notices: envInt("REHEARSAL_NOTICES", 2, 0, 20),
  pageConnections: envInt("REHEARSAL_PAGE_CONNECTIONS", 24, 0, 1000),
  apiConnections: envInt("REHEARSAL_API_CONNECTIONS", 8, 0, 1000),
  signConnections: envInt("REHEARSAL_SIGN_CONNECTIONS", 16, 0, 1000),
  inboundConcurrency: envInt("REHEARSAL_INBOUND_CONCURRENCY", 16, 0, 1000),
  inboundActors: envInt("REHEARSAL_INBOUND_ACTORS", 500, 1, 1_000_000),
  inboundPool: envInt("REHEARSAL_INBOUND_POOL", 400 * SECONDS, 0, 10_000_000),
  slowMs: envInt("REHEARSAL_SLOW_MS", 3000, 0, 120_000),
  faultyHosts: envInt("REHEARSAL_FAULTY_HOSTS", 5, 0, 1000),
  hugeMb: envInt("REHEARSAL_HUGE_MB", 16, 1, 1024),
  diskMb: envInt("REHEARSAL_DISK_MB", 1024, 64, 100_000),
  diskReserveKb: envInt("REHEARSAL_DISK_RESERVE_KB", 16, 0, 1_000_000),
  drainSeconds: envInt("REHEARSAL_DRAIN_SECONDS", 180, 0, 3600),
  baselineSeconds: envInt("REHEARSAL_BASELINE_SECONDS", 5, 1, 600),
  faults: (process.env.REHEARSAL_FAULTS ?? "kill,disk,remote,hostile")
    .split(",")
    .map((f) => f.trim().toLowerCase())
    .filter((f) => f !== "" && f !== "none"),
  baselines: (process.env.REHEARSAL_BASELINES ?? "on").toLowerCase() !== "off",
  profile: (process.env.REHEARSAL_PROFILE ?? "off").toLowerCase() === "on",
  /** Extra flags for the server's `node` (e.g. --max-semi-space-size=16). */
  nodeFlags: (process.env.REHEARSAL_NODE_FLAGS ?? "").split(/\s+/).filter((f) => f !== ""),
  /** `nginx`: page views go through the shipped nginx configuration (bench/nginx.ts). */
  proxy: (process.env.REHEARSAL_PROXY ?? "none").toLowerCase() === "nginx" ? ("nginx" as const) : ("none" as const),
};
for (const f of S.faults)
  if (!["kill", "disk", "remote", "hostile"].includes(f))
    throw new Error(`REHEARSAL_FAULTS: unknown fault "${f}" (kill, disk, remote, hostile or none)`);
const fault = (name: string) => S.faults.includes(name);
/** When things happen, as shares of the run. */
const AT = { kill: 0.3, burst: 0.45, diskFull: 0.55, diskFree: 0.7 };
const noticeAt = (i: number) => (S.notices <= 1 ? 0.1 : 0.1 + (i * 0.65) / (S.notices - 1));

const TMP = mkdtempSync(join(process.env.BENCH_TMPDIR || tmpdir(), "undersign-rehearsal-"));
const KEEP = process.env.BENCH_KEEP === "1";
let mountPoint: string | null = null;

function unmount(): void {
  if (mountPoint == null) return;
  try {
    execFileSync("umount", [mountPoint], { stdio: "ignore" });
  } catch {
    try {
      execFileSync("umount", ["-l", mountPoint], { stdio: "ignore" });
    } catch {
      // Left for the operator; reported by the caller.
    }
  }
  mountPoint = null;
}

function cleanUp(): void {
  killAll();
  unmount();
  if (!KEEP) rmSync(TMP, { recursive: true, force: true });
}

installCleanupHandlers((signal) => {
  process.stderr.write(`\nrehearsal: ${signal}: stopped every process.\n`);
  cleanUp();
  process.exit(130);
});
const watchdog = setTimeout(
  () => {
    process.stderr.write("\nrehearsal: still running after its time limit; giving up.\n");
    cleanUp();
    process.exit(3);
  },
  (SECONDS + S.drainSeconds + 15 * 60) * 1000,
);
watchdog.unref();

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
function log(line: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
}

// ---------------------------------------------------------------- the data's file system

/**
 * A file system of its own for the database (ext4 on a loop device in TMP),
 * so that "disk full" is the real ENOSPC.  Null when it cannot be mounted.
 */
function mountDataDisk(): { dir: string; note: string } | null {
  if (!fault("disk")) return null;
  if (process.getuid?.() !== 0) return { dir: "", note: "not root: cannot mount a file system of its own" };
  const image = join(TMP, "disk.img");
  const dir = join(TMP, "disk");
  try {
    mkdirSync(dir, { recursive: true });
    execFileSync("truncate", ["-s", `${S.diskMb}M`, image]);
    // -m 0: no blocks kept back for root (the server runs as root here).
    execFileSync("mkfs.ext4", ["-q", "-F", "-m", "0", image], { stdio: "ignore" });
    execFileSync("mount", ["-o", "loop", image, dir]);
    mountPoint = dir;
    return { dir, note: `ext4 (mkfs -m 0) of ${S.diskMb} MiB on a loop device backed by ${image}` };
  } catch (error) {
    return {
      dir: "",
      note: `could not mount a loop file system: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`,
    };
  }
}

function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

// ---------------------------------------------------------------- the server

let current: Server;
let serverLog: ReturnType<typeof createWriteStream>;
const serverPids: number[] = [];

function siteEnv(port: number, dataDir: string): NodeJS.ProcessEnv {
  return undersignEnv(port, dataDir, {
    NODE_ENV: "production",
    ORIGIN: `http://${HOST}:${port}`,
    FEDERATION_ALLOW_PRIVATE_ADDRESS: "true",
    PROCESS_QUEUE: "true",
  });
}

async function startSite(name: string, port: number, dataDir: string, profileDir?: string): Promise<Server> {
  const flags = [...S.nodeFlags, ...(profileDir == null ? [] : ["--cpu-prof", "--cpu-prof-dir", profileDir])];
  const server = await startServer({
    name,
    args: [...flags, "--import", "tsx", "src/main.ts"],
    cwd: ROOT,
    env: siteEnv(port, dataDir),
    port,
    readyPath: "/healthz",
  });
  const tag = `--- ${name} (pid ${server.pid}) ---\n`;
  serverLog?.write(tag);
  server.child.stdout!.on("data", (d: string) => serverLog?.write(d));
  server.child.stderr!.on("data", (d: string) => serverLog?.write(d));
  serverPids.push(server.pid);
  return server;
}

// ---------------------------------------------------------------- load recording

class Recorder {
  t = new Float64Array(1 << 16);
  ms = new Float64Array(1 << 16);
  status = new Uint16Array(1 << 16);
  n = 0;
  errors: number[] = [];

  add(t: number, ms: number, status: number): void {
    if (this.n === this.t.length) {
      const grow = <T extends Float64Array | Uint16Array>(a: T, make: (n: number) => T) => {
        const b = make(a.length * 2);
        b.set(a);
        return b;
      };
      this.t = grow(this.t, (n) => new Float64Array(n));
      this.ms = grow(this.ms, (n) => new Float64Array(n));
      this.status = grow(this.status, (n) => new Uint16Array(n));
    }
    this.t[this.n] = t;
    this.ms[this.n] = ms;
    this.status[this.n] = status;
    this.n++;
  }

  error(t: number): void {
    this.errors.push(t);
  }
}

function percentile(sorted: ArrayLike<number>, p: number): number {
  return sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Statistics of a recorder's responses with t in [from, to) seconds. */
function stats(
  rec: Recorder,
  ok: readonly number[],
  from: number,
  to: number,
): {
  ok: number;
  other: number;
  errors: number;
  p50: number;
  p99: number;
  max: number;
  statuses: Record<string, number>;
} {
  const lat: number[] = [];
  const statuses: Record<string, number> = {};
  let good = 0;
  for (let i = 0; i < rec.n; i++) {
    const t = rec.t[i]!;
    if (t < from * 1000 || t >= to * 1000) continue;
    lat.push(rec.ms[i]!);
    const s = rec.status[i]!;
    statuses[s] = (statuses[s] ?? 0) + 1;
    if (ok.includes(s)) good++;
  }
  lat.sort((a, b) => a - b);
  const errors = rec.errors.filter((t) => t >= from * 1000 && t < to * 1000).length;
  return {
    ok: good,
    other: lat.length - good,
    errors,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    max: lat[lat.length - 1] ?? Number.NaN,
    statuses,
  };
}

/**
 * One kind of browser load (autocannon, `connections` at a time).  It can be
 * stopped and started again (around the server's restart: a browser's
 * reconnect loop against a closed port would only burn the CPU the restarting
 * server needs); every answer goes to the same recorder.
 */
class Load {
  readonly rec = new Recorder();
  #instance: autocannon.Instance | null = null;
  #done: Promise<unknown> = Promise.resolve();

  constructor(
    readonly kind: string,
    readonly url: string,
    readonly connections: number,
    readonly requests: autocannon.Request[],
    readonly ok: readonly number[],
    readonly t0: () => number,
  ) {}

  start(seconds: number): void {
    if (this.connections === 0 || seconds < 1) return;
    const instance = autocannon({
      url: this.url,
      connections: this.connections,
      duration: seconds,
      timeout: 30,
      requests: this.requests,
    });
    instance.on("response", (_client: unknown, status: number, _bytes: number, responseTime: number) =>
      this.rec.add(nowMs() - this.t0(), responseTime, status),
    );
    instance.on("reqError", () => this.rec.error(nowMs() - this.t0()));
    this.#instance = instance;
    // The instance is a thenable: this settles with the run's result.
    this.#done = Promise.resolve(instance);
  }

  async stop(): Promise<void> {
    this.#instance?.stop();
    await this.#done;
  }

  get done(): Promise<unknown> {
    return this.#done;
  }
}

// ---------------------------------------------------------------- farm

interface FarmActivity {
  id: string;
  inboxes: number;
  duplicates: number;
  duplicateHosts: string[];
  first: number;
  last: number;
  arrivals: number[];
}

async function farmGet<T>(farm: Server, path: string): Promise<T> {
  const response = await fetch(`${farm.url}${path}`, { signal: AbortSignal.timeout(30_000) });
  return (await response.json()) as T;
}

async function farmActivity(farm: Server, uuid: string): Promise<FarmActivity | null> {
  const stats = await farmGet<{ activities: FarmActivity[] }>(
    farm,
    `/_farm/stats?activity=${encodeURIComponent(uuid)}`,
  );
  return stats.activities.find((a) => a.id.includes(uuid)) ?? null;
}

// ---------------------------------------------------------------- main

async function main(): Promise<RehearsalResults> {
  const started = new Date();
  const r: RehearsalResults = {
    settings: { ...S, at: AT },
    machine: describeMachine(TMP),
    started,
    loadBefore: loadavg(),
    kinds: [],
    notices: [],
    samples: [],
    events: [],
    notes: [],
    ...(process.env.REHEARSAL_NOTE ? { note: process.env.REHEARSAL_NOTE } : {}),
  };
  log(
    `rehearsal: ${SECONDS} s, faults: ${S.faults.join(", ") || "none"}; load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}; temp folder ${TMP}`,
  );

  const disk = mountDataDisk();
  const dataRoot = disk?.dir ? disk.dir : TMP;
  r.disk = { note: disk?.note ?? "fault not chosen: the database is in the temp folder", mounted: mountPoint != null };
  const dataDir = join(dataRoot, "data");
  const dbFile = join(dataDir, "undersign.sqlite");
  log(`database in ${dataDir} (${r.disk.note})`);

  // ---- baselines
  if (S.baselines) {
    const staticServer = await startStaticBaseline();
    try {
      r.baselineStatic = await measure({
        label: "Baseline: static Hono GET / (50 connections)",
        url: staticServer.url,
        path: "/",
        expect: [200],
        connections: 50,
        seconds: S.baselineSeconds,
        serverPid: staticServer.pid,
      });
    } finally {
      await stopServer(staticServer);
    }
    const insertServer = await startInsertBaseline(join(dataRoot, "baseline.sqlite"));
    let seq = 0;
    try {
      r.baselineInsert = await measure({
        label: "Baseline: bare Hono + better-sqlite3 insert, WAL, synchronous=FULL (50 connections)",
        url: insertServer.url,
        path: "/",
        method: "POST",
        headers: { "content-type": "application/json" },
        body: () => JSON.stringify({ name: `Baseline ${++seq}` }),
        expect: [201],
        connections: 50,
        seconds: S.baselineSeconds,
        serverPid: insertServer.pid,
      });
    } finally {
      await stopServer(insertServer);
      rmSync(join(dataRoot, "baseline.sqlite"), { force: true });
      rmSync(join(dataRoot, "baseline.sqlite-wal"), { force: true });
      rmSync(join(dataRoot, "baseline.sqlite-shm"), { force: true });
    }
    r.rsa = {
      sign1: await webCryptoRate("sign", 1500),
      signThreads: await workerRate("sign", 1500),
      verify1: await webCryptoRate("verify", 1000),
    };
    log(
      `baselines: static ${Math.round(r.baselineStatic.rps)}/s, insert ${Math.round(r.baselineInsert.rps)}/s, RSA sign ${Math.round(r.rsa.sign1.rate)}/s (${Math.round(r.rsa.signThreads.rate)}/s in ${r.rsa.signThreads.threads} threads), verify ${Math.round(r.rsa.verify1.rate)}/s`,
    );
  }

  // ---- keys of the fleet's accounts (the farm serves the public halves)
  const keyPairs = Array.from({ length: 8 }, () =>
    generateKeyPairSync("rsa", {
      modulusLength: 2048,
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
    }),
  );
  const publicKeysFile = join(TMP, "farm-keys.json");
  const privateKeysFile = join(TMP, "fleet-keys.json");
  writeFileSync(publicKeysFile, JSON.stringify(keyPairs.map((k) => k.publicKey)));
  writeFileSync(privateKeysFile, JSON.stringify(keyPairs.map((k) => k.privateKey)));

  // ---- faulty inbox servers: spread over the farm, never host 0
  const pick = (offset: number) =>
    Array.from({ length: S.faultyHosts }, (_, i) => (1 + offset + i * 97) % S.servers).filter((h) => h !== 0);
  const faults = fault("remote")
    ? { slow: pick(0), slowMs: S.slowMs, error: pick(31), gone: pick(62) }
    : { slow: [], slowMs: 0, error: [], gone: [] };
  r.remote = {
    slow: faults.slow.map(farmHost),
    error: faults.error.map(farmHost),
    gone: faults.gone.map(farmHost),
    slowMs: S.slowMs,
  };

  const farmPort = await freePort();
  const farm = await startServer({
    name: "inbox farm",
    args: ["--import", "tsx", "bench/federation-farm.ts"],
    cwd: ROOT,
    env: {
      ...process.env,
      FARM_PORT: String(farmPort),
      FARM_SERVERS: String(S.servers),
      FARM_KEYS_FILE: publicKeysFile,
      FARM_FAULTS: JSON.stringify(faults),
    },
    port: farmPort,
    readyPath: "/_farm/ready",
  });
  log(`inbox farm (pid ${farm.pid}): ${S.servers} servers on port ${farmPort}`);

  // ---- the site: first start (migrations, the shipped Declaration, its first posts), the owner, the followers
  const port = await freePort();
  const base = `http://${HOST}:${port}`;
  serverLog = createWriteStream(join(TMP, "server.log"));
  const first = await startSite("undersign (first start)", port, dataDir);
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const db = new Database(dbFile, { readonly: true });
      const row = db
        .prepare(
          "SELECT (SELECT count(*) FROM fed_posts) AS posts, (SELECT count(*) FROM fed_activities WHERE delivered IS NULL) AS pending",
        )
        .get() as { posts: number; pending: number };
      db.close();
      if (row.posts >= 2 && row.pending === 0) break;
      if (Date.now() > deadline)
        throw new Error(`the first start did not publish the Declaration's posts:\n${first.output()}`);
      await sleep(100);
    }
  } finally {
    await stopServer(first);
  }
  await createAdmin(ROOT, siteEnv(port, dataDir), ADMIN.username, ADMIN.password);
  const seedStarted = performance.now();
  const announcementUri = seedFollowers(dbFile, farmPort, base);
  log(
    `seeded ${S.followers} followers on ${S.servers} inbox servers in ${Math.round(performance.now() - seedStarted)} ms; admin "${ADMIN.username}" created`,
  );

  // ---- the fleet (signs its activities first)
  const fleetConfig: FleetConfig = {
    port,
    host: `${HOST}:${port}`,
    object: announcementUri,
    farmPort,
    servers: S.servers,
    keysFile: privateKeysFile,
    actors: S.inboundActors,
    pool: S.inboundConcurrency === 0 ? 0 : S.inboundPool,
    concurrency: S.inboundConcurrency,
    hostileEveryMs: fault("hostile") ? 200 : 0,
    hugeBytes: S.hugeMb * 1024 * 1024,
  };
  const fleet = spawn(process.execPath, ["--import", "tsx", "bench/rehearsal-fleet.ts"], {
    cwd: ROOT,
    env: { ...process.env, FLEET_CONFIG: JSON.stringify(fleetConfig) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const fleetMessages: { type: string; [k: string]: unknown }[] = [];
  const fleetWaiters: (() => void)[] = [];
  fleet.on("message", (m: { type: string }) => {
    fleetMessages.push(m);
    for (const w of fleetWaiters.splice(0)) w();
  });
  const fleetMessage = async (type: string, timeoutMs: number): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = fleetMessages.find((x) => x.type === type);
      if (m != null) return m;
      if (fleet.exitCode != null) throw new Error(`the fleet exited (${fleet.exitCode}) before "${type}"`);
      if (Date.now() > deadline) throw new Error(`the fleet did not answer "${type}" within ${timeoutMs / 1000} s`);
      await new Promise<void>((res) => {
        fleetWaiters.push(res);
        setTimeout(res, 500);
      });
    }
  };
  log(`fleet (pid ${fleet.pid}): signing ${fleetConfig.pool} activities from ${S.inboundActors} accounts …`);
  const ready = await fleetMessage("ready", 10 * 60_000);
  log(`fleet signed ${ready.requests} activities in ${Math.round(ready.ms as number)} ms`);

  // ---- the site, for the rehearsal
  const profileDir = S.profile ? join(TMP, "profile") : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  current = await startSite("undersign", port, dataDir, profileDir);
  log(`undersign (pid ${current.pid}) at ${base}`);
  // ---- nginx in front (REHEARSAL_PROXY=nginx), and its static-file baseline, in this run
  let nginx: RunningNginx | null = null;
  let pageBase = base;
  let nginxStatic: Awaited<ReturnType<typeof measure>> | null = null;
  if (S.proxy === "nginx") {
    if (!nginxInstalled())
      throw new Error("REHEARSAL_PROXY=nginx: /usr/sbin/nginx is not installed (apt-get install nginx-light)");
    const ports = { app: port, https: await freePort(), http: await freePort(), static: await freePort() };
    const nginxDir = join(TMP, "nginx");
    nginx = await startNginx(writeNginxConfig(nginxDir, ports), ports.https);
    pageBase = `https://${HOST}:${ports.https}`;
    nginxStatic = await measure({
      label: "Baseline: nginx serving a static file over TLS (50 connections)",
      url: `https://${HOST}:${ports.static}`,
      path: "/",
      expect: [200],
      connections: 50,
      seconds: S.baselineSeconds,
      serverPid: nginx.child.pid!,
    });
    log(`nginx (pid ${nginx.child.pid}) at ${pageBase}: static-file baseline ${Math.round(nginxStatic.rps)}/s`);
  }
  const csrf = await signingForm(base, SLUG);

  // ---- samplers
  const reader = new Database(dbFile, { readonly: true, fileMustExist: true });
  const depth = reader.prepare(
    `SELECT count(*) AS total,
            coalesce(sum(lease_until IS NOT NULL AND lease_until > @now), 0) AS leased,
            coalesce(sum(available_at > @now AND (lease_until IS NULL OR lease_until <= @now)), 0) AS delayed
       FROM queue_messages`,
  );
  let t0 = nowMs();
  const since = () => nowMs() - t0;
  let lastCpu: {
    t: number;
    server: number | null;
    farm: number | null;
    fleet: number | null;
    driver: number;
    machine: number | null;
    pid: number;
  } | null = null;
  const takeSample = () => {
    const t = nowMs();
    const pid = current.pid;
    const cpu = {
      t,
      server: treeCpuMs(pid),
      farm: processCpuMs(farm.pid),
      fleet: fleet.pid == null ? null : processCpuMs(fleet.pid),
      driver: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
      machine: machineBusyMs(),
      pid,
    };
    let queue: Sample["queue"] = null;
    try {
      queue = depth.get({ now: Date.now() }) as Sample["queue"];
    } catch (error) {
      queue = null;
      r.notes.push(`A queue sample failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    const pct = (a: number | null | undefined, b: number | null | undefined) =>
      a == null || b == null || lastCpu == null ? null : ((b - a) / (t - lastCpu.t)) * 100;
    const sample: Sample = {
      t: (t - t0) / 1000,
      queue,
      rssKb: largestMemoryKb(pid, "VmRSS"),
      hwmKb: largestMemoryKb(pid, "VmHWM"),
      serverCpu: lastCpu?.pid === pid ? pct(lastCpu.server, cpu.server) : null,
      farmCpu: pct(lastCpu?.farm, cpu.farm),
      fleetCpu: pct(lastCpu?.fleet, cpu.fleet),
      driverCpu: pct(lastCpu?.driver, cpu.driver),
      machineCpu: pct(lastCpu?.machine, cpu.machine),
    };
    lastCpu = cpu;
    r.samples.push(sample);
  };

  // ---- the rehearsal
  const runTag = Date.now().toString(36);
  let sequence = 0;
  const acked: string[] = [];
  const event = (what: string) => {
    r.events.push({ t: since() / 1000, what });
    log(`[${(since() / 1000).toFixed(1)} s] ${what}`);
  };
  t0 = nowMs();
  takeSample();
  const sampler = setInterval(takeSample, 1000);
  fleet.send({ type: "start" });
  const cannons: Load[] = [
    new Load(
      S.proxy === "nginx" ? "Page views GET /d/{slug} through nginx" : "Page views GET /d/{slug}",
      pageBase,
      S.pageConnections,
      [{ method: "GET", path: `/d/${SLUG}` }],
      [200],
      () => t0,
    ),
    new Load(
      "Count API GET /api/declarations/{slug} + /api/strike",
      base,
      S.apiConnections,
      [
        { method: "GET", path: `/api/declarations/${SLUG}` },
        { method: "GET", path: "/api/strike" },
      ],
      [200],
      () => t0,
    ),
    new Load(
      "Browser signings POST /d/{slug}/sign (form, CSRF)",
      base,
      S.signConnections,
      [
        {
          method: "POST",
          path: `/d/${SLUG}/sign`,
          headers: { "content-type": "application/x-www-form-urlencoded", cookie: csrf.cookie, origin: base },
          setupRequest: (req, context) => {
            const name = `Rehearsal ${runTag}-${++sequence}`;
            context.name = name;
            return {
              ...req,
              body: new URLSearchParams({
                csrf: csrf.token,
                revision: csrf.revision,
                name,
                place: "Loopback",
                visibility: "public",
                phone: "",
              }).toString(),
            };
          },
          onResponse: (status, _body, context) => {
            if (status === 303) acked.push(context.name as string);
          },
        },
      ],
      [303],
      () => t0,
    ),
  ];
  for (const c of cannons) c.start(SECONDS);

  // Scheduled: notices, faults.
  const tasks: Promise<unknown>[] = [];
  const at = (share: number, fn: () => Promise<unknown>) =>
    tasks.push(
      (async () => {
        await sleep(Math.max(0, share * SECONDS * 1000 - since()));
        await fn();
      })().catch((error: unknown) => {
        event(`FAILED: ${error instanceof Error ? error.message : String(error)}`);
      }),
    );
  // The faults follow one another: the restart, then the full disk, then the second notice.
  let restarting: Promise<void> | null = null;
  let restarted!: () => void;
  const restartDone = new Promise<void>((res) => (restarted = res));
  if (!fault("kill")) restarted();
  let freed!: () => void;
  const diskDone = new Promise<void>((res) => (freed = res));
  if (!(fault("disk") && mountPoint != null)) freed();

  for (let i = 0; i < S.notices; i++) {
    at(noticeAt(i), async () => {
      // The owner posts after the site is back and has room again.
      if (i > 0) await Promise.all([restartDone, diskDone]);
      event(`notice ${i + 1}: the owner posts it on /admin/strike`);
      const sent = since();
      const answer = await postNotice(base, ADMIN.username, ADMIN.password, SLUG);
      const ack = since();
      const row = reader
        .prepare(
          "SELECT a.uuid AS uuid FROM fed_activities a JOIN fed_posts p ON p.id = a.post_id WHERE p.kind = 'notice' ORDER BY a.id DESC LIMIT 1",
        )
        .get() as { uuid: string } | undefined;
      event(
        `notice ${i + 1}: answered ${answer.status} ${answer.location ?? ""} after ${Math.round(ack - sent)} ms ` +
          `(log in ${Math.round(answer.steps.login)} ms, admin page ${Math.round(answer.steps.page)} ms, posting ${Math.round(answer.steps.post)} ms; activity ${row?.uuid ?? "?"})`,
      );
      r.notices.push({
        index: i + 1,
        atS: sent / 1000,
        ackS: ack / 1000,
        status: answer.status,
        location: answer.location,
        uuid: row?.uuid ?? null,
        t0Mono: t0 + ack,
        steps: answer.steps,
      } as NoticeRun);
    });
  }
  if (fault("kill")) {
    at(AT.kill, async () => {
      // Mid-delivery: the first notice answered and 5 % of its inboxes reached (not later than 45 % of the run).
      const deadline = t0 + SECONDS * 450;
      while (S.notices > 0 && nowMs() < deadline) {
        const n = r.notices.find((x) => x.index === 1);
        if (n?.uuid != null && ((await farmActivity(farm, n.uuid))?.inboxes ?? 0) >= S.servers / 20) break;
        await sleep(100);
      }
      let release!: () => void;
      restarting = new Promise((res) => (release = res));
      const before = { pid: current.pid, hwmKb: largestMemoryKb(current.pid, "VmHWM") };
      event(`SIGKILL to the server (pid ${before.pid}); the browsers' load pauses until it answers again`);
      const killedAt = since();
      process.kill(current.pid, "SIGKILL");
      const stopped = Promise.all(cannons.map((c) => c.stop()));
      await current.exited;
      current = await startSite("undersign (restarted)", port, dataDir, profileDir);
      const upAt = since();
      await stopped;
      for (const c of cannons) c.start(SECONDS - since() / 1000);
      r.kill = {
        atS: killedAt / 1000,
        downtimeMs: upAt - killedAt,
        hwmBeforeKillKb: before.hwmKb,
        restartedAtMono: t0 + upAt,
      };
      event(`restarted on the same data (pid ${current.pid}) after ${Math.round(upAt - killedAt)} ms`);
      release();
      restarting = null;
      restarted();
    });
  }
  if (fault("hostile")) {
    at(AT.burst, async () => {
      await restartDone;
      const rss = largestMemoryKb(current.pid, "VmRSS");
      event(
        `hostile burst: 40 bodies of ${S.hugeMb} MiB at once (server RSS ${rss == null ? "?" : Math.round(rss / 1024)} MB)`,
      );
      r.burst = { atS: since() / 1000, rssBeforeKb: rss };
      fleet.send({ type: "burst" });
    });
  }
  if (fault("disk") && mountPoint != null) {
    const filler = join(mountPoint, "filler");
    at(AT.diskFull, async () => {
      try {
        await restartDone;
        // The write-ahead log is emptied first (as after a checkpoint): otherwise SQLite goes on
        // writing into the log's old space and the database's free pages, and nothing fails.
        let checkpoint = "not run";
        try {
          const writer = new Database(dbFile, { fileMustExist: true, timeout: 5000 });
          checkpoint = JSON.stringify(writer.pragma("wal_checkpoint(TRUNCATE)"));
          writer.close();
        } catch (error) {
          checkpoint = `failed: ${error instanceof Error ? error.message : String(error)}`;
        }
        // ext4 needs a few blocks of its own for a large file, and the server writes meanwhile:
        // fill in steps, each a little smaller when the file system refuses it.
        let filled = 0;
        for (let part = 0; part < 4; part++) {
          let size = freeBytes(mountPoint!) - S.diskReserveKb * 1024;
          for (let attempt = 0; size > 0 && attempt < 40; attempt++, size -= 1024 * 1024) {
            try {
              execFileSync("fallocate", ["-l", String(size), `${filler}-${part}`], { stdio: "ignore" });
              filled += size;
              break;
            } catch {
              // Too large by a few blocks: try 1 MiB less.
            }
          }
          if (freeBytes(mountPoint!) <= S.diskReserveKb * 1024 + 64 * 1024) break;
        }
        const left = freeBytes(mountPoint!);
        const fullAt = since();
        event(
          `disk nearly full: ${Math.round(filled / 1048576)} MiB filler, ${Math.round(left / 1024)} KiB left (WAL checkpoint first: ${checkpoint})`,
        );
        r.diskFull = { fullAtS: fullAt / 1000, fillerBytes: filled, leftBytes: left, freedAtS: null, checkpoint };
        // As long as planned (15 % of the run), from when it began.
        await sleep((AT.diskFree - AT.diskFull) * SECONDS * 1000);
      } finally {
        for (let part = 0; part < 4; part++) rmSync(`${filler}-${part}`, { force: true });
        event(`disk space back: ${Math.round(freeBytes(mountPoint!) / 1048576)} MiB free`);
        if (r.diskFull) r.diskFull.freedAtS = since() / 1000;
        freed();
      }
    });
  }

  await sleep(Math.max(0, SECONDS * 1000 - since()));
  while (restarting != null) await restarting;
  await Promise.all(cannons.map((c) => c.done));
  const loadEnd = since();
  event("load stopped");
  fleet.send({ type: "stop" });
  const fleetResult = (await fleetMessage("result", 120_000)).result as FleetResult;
  const tasksDone = await Promise.race([Promise.all(tasks).then(() => true), sleep(180_000).then(() => false)]);
  if (!tasksDone)
    r.notes.push(
      "A scheduled step (a notice or a fault) had not finished 3 minutes after the load stopped; the report goes on without it.",
    );

  // ---- wait for the notices to reach every inbox that can take them, and
  // (in the cluster) for the inbox activities taken in to be handled
  const healthy = S.servers - faults.error.length - faults.gone.length;
  const drainDeadline = nowMs() + S.drainSeconds * 1000;
  const inboundLeft = reader.prepare(
    `SELECT count(*) AS n FROM queue_messages WHERE message LIKE '%"type":"undersign.inbound"%'`,
  );
  let inboundEmptyAtMs: number | null = null;
  for (;;) {
    let all = true;
    if (inboundEmptyAtMs == null) {
      if ((inboundLeft.get() as { n: number }).n === 0) inboundEmptyAtMs = since();
      else all = false;
    }
    for (const n of r.notices) {
      if (n.uuid == null) continue;
      const a = await farmActivity(farm, n.uuid);
      if ((a?.inboxes ?? 0) < healthy) all = false;
    }
    if (all || nowMs() > drainDeadline) break;
    await sleep(500);
  }
  // Late duplicates would arrive now.
  await sleep(2000);
  event("deliveries drained");
  if (inboundEmptyAtMs != null && inboundEmptyAtMs > loadEnd + 1000)
    r.notes.push(
      `Inbox activities queued by the HTTP processes were all handled ${((inboundEmptyAtMs - loadEnd) / 1000).toFixed(1)} s after the load stopped (at ${(inboundEmptyAtMs / 1000).toFixed(1)} s).`,
    );
  else if (inboundEmptyAtMs != null)
    r.notes.push("Inbox activities queued by the HTTP processes: none left waiting when the load stopped.");
  else r.notes.push("Inbox activities queued by the HTTP processes were still waiting at the drain deadline.");
  clearInterval(sampler);
  takeSample();

  // ---- stop the server (writes the profile)
  const hwmFinalKb = largestMemoryKb(current.pid, "VmHWM");
  const stopMark = nowMs();
  await stopServer(current);
  await nginx?.stop();
  reader.close();
  r.hwmKb = Math.max(hwmFinalKb ?? 0, r.kill?.hwmBeforeKillKb ?? 0);

  // ---- kinds
  for (const c of cannons) {
    const all = stats(c.rec, c.ok, 0, loadEnd / 1000 + 60);
    // Steady: after the first two seconds (connections opening, code warming up), before the first notice or fault.
    const steadyEnd = Math.min(
      r.notices[0]?.atS ?? SECONDS,
      r.kill?.atS ?? SECONDS,
      r.burst?.atS ?? SECONDS,
      r.diskFull?.fullAtS ?? SECONDS,
    );
    const steady = stats(c.rec, c.ok, 2, steadyEnd);
    r.kinds.push({
      kind: c.kind,
      connections: c.connections,
      seconds: loadEnd / 1000,
      ...all,
      rps: all.ok / (loadEnd / 1000),
      steady: {
        from: 2,
        seconds: steadyEnd,
        rps: steady.ok / Math.max(0.001, steadyEnd - 2),
        p50: steady.p50,
        p99: steady.p99,
      },
      perSecondOk: perSecond(c.rec, c.ok, loadEnd / 1000),
      perSecondBad: perSecond(c.rec, null, loadEnd / 1000, c.ok),
      p99By5s: p99By(c.rec, 5, loadEnd / 1000),
    } satisfies KindStats);
  }
  r.fleet = fleetResult;
  if (nginxStatic != null) {
    const pages = r.kinds[0]!;
    r.notes.unshift(
      `Through nginx (deploy/nginx/undersign.conf, REHEARSAL_PROXY=nginx): page views ${Math.round(pages.steady.rps)}/s steady = ${(pages.steady.rps / nginxStatic.rps).toFixed(2)} × nginx serving a static file over TLS in this run (${Math.round(nginxStatic.rps)}/s, p99 ${nginxStatic.p99} ms).`,
    );
  }

  // ---- the notices at the farm
  for (const n of r.notices) {
    if (n.uuid == null) continue;
    const a = await farmActivity(farm, n.uuid);
    const arrivals = [...(a?.arrivals ?? [])].sort((x, y) => x - y);
    n.expected = healthy;
    n.reached = a?.inboxes ?? 0;
    n.duplicates = a?.duplicates ?? 0;
    n.duplicateHosts = a?.duplicateHosts ?? [];
    n.toFirstMs = arrivals.length ? arrivals[0]! - n.t0Mono : Number.NaN;
    n.to50Ms = arrivals.length ? percentile(arrivals, 50) - n.t0Mono : Number.NaN;
    n.to99Ms = arrivals.length ? percentile(arrivals, 99) - n.t0Mono : Number.NaN;
    n.toAllMs = arrivals.length ? arrivals[arrivals.length - 1]! - n.t0Mono : Number.NaN;
    n.firstToLastMs = arrivals.length ? arrivals[arrivals.length - 1]! - arrivals[0]! : Number.NaN;
    n.crossedKill =
      r.kill != null &&
      n.t0Mono < r.kill.restartedAtMono &&
      (a?.last ?? 0) > r.kill.restartedAtMono - r.kill.downtimeMs;
  }
  const farmFaults = await farmGet<{ hosts: { host: string; kind: string; posts: [number, number, string][] }[] }>(
    farm,
    "/_farm/faults",
  );
  r.remoteLog = farmFaults.hosts.map((h) => ({
    host: h.host,
    kind: h.kind,
    posts: h.posts.map(([t, status, id]) => ({
      t: (t - t0) / 1000,
      status,
      notice: r.notices.find((n) => n.uuid != null && id.includes(n.uuid))?.index ?? null,
    })),
  }));
  await stopServer(farm);
  fleet.kill("SIGKILL");

  // ---- the books
  r.books = await books(dbFile, port, dataDir, runTag, acked, fleetResult, S.signConnections);
  r.logLines = countLogLines(join(TMP, "server.log"));

  // ---- profiles: one per process of the server (the cluster's processes each write their own)
  if (profileDir != null) {
    const files = readdirSync(profileDir)
      .filter((f) => f.endsWith(".cpuprofile"))
      .map((f) => ({ f, size: statSync(join(profileDir, f)).size }))
      .sort((x, y) => y.size - x.size);
    if (files.length === 0) r.notes.push("The profiled server wrote no .cpuprofile.");
    else {
      const keptDir = join(tmpdir(), "undersign-bench-profiles");
      mkdirSync(keptDir, { recursive: true });
      // Which process wrote each (a file is named CPU.<date>.<time>.<pid>.…; the log names pids).
      const names = new Map<number, string>();
      for (const m of readFileSync(join(TMP, "server.log"), "utf8").matchAll(
        / ((?:web|worker)\.\d+|primary|main)\[(\d+)\] /g,
      ))
        names.set(Number(m[2]), m[1]!);
      const from = r.kill?.restartedAtMono ?? t0;
      const to = Math.min(stopMark, t0 + loadEnd);
      const served = r.kinds.reduce((sum, k) => sum + k.ok + k.other, 0);
      const summaries: string[] = [];
      const kept: string[] = [];
      for (const { f } of files.slice(0, 5)) {
        const pid = Number(f.split(".")[3]);
        const name = names.get(pid) ?? `pid ${pid}`;
        const keptFile = join(keptDir, `${started.toISOString().replace(/[:.]/g, "-")}-rehearsal-${name}.cpuprofile`);
        copyFileSync(join(profileDir, f), keptFile);
        kept.push(keptFile);
        summaries.push(
          `#### ${name}\n\n${formatSummary(summariseProfile(keptFile, 12, { fromUs: Math.floor(from * 1000), toUs: Math.ceil(to * 1000) }), 12)}`,
        );
      }
      r.profile = {
        file: kept.join("`, `"),
        window: `from ${((from - t0) / 1000).toFixed(1)} s to ${((to - t0) / 1000).toFixed(1)} s of the run (the ${r.kill == null ? "" : "restarted "}server's processes, under the mixed load, largest profiles first)`,
        summary: summaries.join("\n\n"),
        served,
      };
    }
  }
  r.finished = new Date();
  r.loadAfter = loadavg();
  return r;
}

function perSecond(rec: Recorder, ok: readonly number[] | null, seconds: number, notOk?: readonly number[]): number[] {
  const out = Array.from({ length: Math.ceil(seconds) }, () => 0);
  for (let i = 0; i < rec.n; i++) {
    const s = Math.floor(rec.t[i]! / 1000);
    if (s >= out.length) continue;
    const status = rec.status[i]!;
    if (ok != null ? ok.includes(status) : !notOk!.includes(status)) out[s]!++;
  }
  if (ok == null) for (const t of rec.errors) if (Math.floor(t / 1000) < out.length) out[Math.floor(t / 1000)]!++;
  return out;
}

function p99By(rec: Recorder, step: number, seconds: number): number[] {
  const buckets: number[][] = Array.from({ length: Math.ceil(seconds / step) }, () => []);
  for (let i = 0; i < rec.n; i++) {
    const b = Math.floor(rec.t[i]! / 1000 / step);
    if (b < buckets.length) buckets[b]!.push(rec.ms[i]!);
  }
  return buckets.map((b) =>
    percentile(
      b.sort((x, y) => x - y),
      99,
    ),
  );
}

/** Writes the followers (remote accounts on the farm's servers); returns the announcement Note's id. */
function seedFollowers(file: string, farmPort: number, base: string): string {
  const db = new Database(file);
  try {
    db.pragma("journal_mode = WAL");
    const declarationId = (db.prepare("SELECT id FROM declarations WHERE slug = ?").get(SLUG) as { id: number }).id;
    const announcement = db
      .prepare("SELECT uuid FROM fed_posts WHERE declaration_id = ? AND kind = 'announcement'")
      .get(declarationId) as { uuid: string };
    const now = Date.now();
    const insertActor = db.prepare(
      `INSERT INTO remote_actors (uri, handle, name, url, icon_url, inbox, shared_inbox, host, updated)
       VALUES (@uri, @handle, @name, @uri, NULL, @inbox, @sharedInbox, @host, @now)`,
    );
    const insertFollower = db.prepare(
      "INSERT INTO followers (declaration_id, actor_id, follow_uri, created) VALUES (?, ?, ?, ?)",
    );
    db.transaction(() => {
      for (let k = 0; k < S.followers; k++) {
        const host = farmHost(k % S.servers);
        const uri = `http://${host}:${farmPort}/users/f${k}`;
        const { lastInsertRowid } = insertActor.run({
          uri,
          handle: `f${k}@${host}`,
          name: `Follower ${k}`,
          inbox: `${uri}/inbox`,
          sharedInbox: `http://${host}:${farmPort}/inbox`,
          host,
          now,
        });
        insertFollower.run(declarationId, lastInsertRowid, `${uri}#follows/${k}`, now);
      }
    })();
    db.pragma("wal_checkpoint(TRUNCATE)");
    return `${base}/ap/notes/${announcement.uuid}`;
  } finally {
    db.close();
  }
}

async function books(
  file: string,
  port: number,
  dataDir: string,
  runTag: string,
  acked: string[],
  fleet: FleetResult,
  signConnections: number,
): Promise<Books> {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db
      .prepare("SELECT name, count(*) AS n FROM signatures WHERE name LIKE ? AND status = 'confirmed' GROUP BY name")
      .all(`Rehearsal ${runTag}-%`) as { name: string; n: number }[];
    const stored = new Map(rows.map((x) => [x.name, x.n]));
    const ackedSet = new Set(acked);
    const lost = acked.filter((n) => !stored.has(n));
    const doubled = rows.filter((x) => x.n > 1);
    const unacknowledged = rows.filter((x) => !ackedSet.has(x.name)).length;
    const declaration = db
      .prepare("SELECT id, signature_count AS counter FROM declarations WHERE slug = ?")
      .get(SLUG) as { id: number; counter: number };
    const recount = (
      db
        .prepare("SELECT count(*) AS n FROM signatures WHERE declaration_id = ? AND status = 'confirmed'")
        .get(declaration.id) as { n: number }
    ).n;
    const fediverse = (
      db
        .prepare(
          "SELECT count(*) AS n FROM signatures WHERE declaration_id = ? AND status = 'confirmed' AND kind = 'fediverse'",
        )
        .get(declaration.id) as { n: number }
    ).n;
    const count = (sql: string, ids: string[]) => {
      const stmt = db.prepare(sql);
      let missing = 0;
      let double = 0;
      for (const id of ids) {
        const n = (stmt.get(id) as { n: number }).n;
        if (n === 0) missing++;
        else if (n > 1) double++;
      }
      return { accepted: ids.length, missing, double };
    };
    const likeActors = new Set(fleet.acceptedIds.Like?.map((id) => id.split("#")[0]!) ?? []);
    const followers = (
      db.prepare("SELECT count(*) AS n FROM followers WHERE declaration_id = ?").get(declaration.id) as { n: number }
    ).n;
    const noticePosts = (db.prepare("SELECT count(*) AS n FROM fed_posts WHERE kind = 'notice'").get() as { n: number })
      .n;
    const integrity = (db.prepare("PRAGMA integrity_check").all() as { integrity_check: string }[])
      .map((x) => x.integrity_check)
      .join("; ");
    // One reaction per account and post (every Like of the fleet is of the same post): each liking account has one row.
    const likes = count(
      "SELECT count(*) AS n FROM fed_reactions r JOIN remote_actors a ON a.id = r.actor_id WHERE a.uri = ?",
      [...likeActors],
    );
    const boosts = count(
      "SELECT count(*) AS n FROM fed_boosts WHERE activity_uri = ?",
      fleet.acceptedIds.Announce ?? [],
    );
    const replies = count(
      "SELECT count(*) AS n FROM fed_responses WHERE uri = ?",
      (fleet.acceptedIds.Create ?? []).map((id) => id.replace(/\/activity$/, "")),
    );
    db.close();
    const check = await checkCounts(ROOT, siteEnv(port, dataDir));
    return {
      ackedSignings: acked.length,
      storedSignings: rows.length,
      lost: lost.length,
      lostExamples: lost.slice(0, 5),
      doubled: doubled.length,
      unacknowledgedStored: unacknowledged,
      unansweredBound: signConnections * 2,
      counter: declaration.counter,
      recount,
      fediverseSignatures: fediverse,
      distinctLikeActors: likeActors.size,
      likes,
      boosts,
      replies,
      followersAfter: followers,
      followersBefore: S.followers,
      noticePosts,
      integrity,
      checkCounts: check,
    };
  } finally {
    if (db.open) db.close();
  }
}

function countLogLines(file: string): {
  total: number;
  byLevel: Record<string, number>;
  disk: string[];
  errors: string[];
} {
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const byLevel: Record<string, number> = {};
  for (const l of lines) {
    const level = /\[(ERR|WRN|FTL|INF|DBG)\]|\b(ERROR|WARN|WARNING|FATAL)\b/.exec(l)?.[0] ?? "other";
    byLevel[level] = (byLevel[level] ?? 0) + 1;
  }
  // One example and the number of each kind of log line about the full disk.
  const kinds = new Map<string, { n: number; example: string }>();
  for (const l of lines) {
    if (!/^\d{4}-\d\d-\d\d .*(disk is full|disk or disk|SQLITE_FULL|ENOSPC|database or disk is full)/.test(l)) continue;
    const kind = l
      .replace(/^\S+ \S+ \S+ /, "")
      .replace(/\d+ write\(s\)/, "N write(s)")
      .replace(/(the latest was) .*$/, "$1 …")
      .replace(/activity \S+/, "activity …")
      .slice(0, 160);
    const k = kinds.get(kind) ?? { n: 0, example: l };
    k.n++;
    kinds.set(kind, k);
  }
  const disk = [...kinds.values()].map((k) => `${k.n}× ${k.example.slice(0, 260)}`);
  const errors = lines.filter((l) => /ERR|FTL|error/i.test(l) && !/disk|SQLITE_FULL|ENOSPC/i.test(l));
  return {
    total: lines.length,
    byLevel,
    disk: disk.slice(0, 6),
    errors: [...new Set(errors.map((l) => l.slice(0, 300)))].slice(0, 12),
  };
}

// ---------------------------------------------------------------- run

let exitCode = 0;
try {
  const r = await main();
  const md = (level: number, t: string) => `${"#".repeat(level)} ${t}`;
  const text = (level: number, t: string) =>
    level <= 2 ? `\n=== ${t} ===` : level === 3 ? `\n--- ${t} ---` : `-- ${t}`;
  process.stdout.write(renderRehearsal(r, textTable, text));
  if ((process.env.REHEARSAL_RESULTS ?? "").toLowerCase() !== "off") {
    appendFileSync(RESULTS_FILE, `\n${renderRehearsal(r, markdownTable, md)}`);
    log(`appended the report to ${RESULTS_FILE}`);
  }
  if (KEEP) log(`kept ${TMP} (server.log there)`);
} catch (error) {
  process.stderr.write(
    `\nrehearsal failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  exitCode = 1;
} finally {
  clearTimeout(watchdog);
  cleanUp();
}
process.exit(exitCode);
