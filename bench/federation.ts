/**
 * Federation benchmark: delivering one post to many followers (fan-out) and
 * taking many signed Likes (inbound), each next to the machine's RSA rates
 * and a bare HTTP round trip measured in the same run.
 *
 * Part of `npm run bench` (bench/run.ts), or alone:
 *
 *   node --import tsx bench/federation.ts
 *
 * 1. Baselines: RSA-2048 signing and verification (WebCrypto) in this
 *    process, one at a time, in one worker thread per core, and 16 in flight;
 *    bare HTTP POSTs to the farm over kept-alive connections and to each
 *    farm host on a new connection.
 * 2. Fan-out: BENCH_FANOUT_FOLLOWERS followers on BENCH_FANOUT_SERVERS farm
 *    hosts (bench/federation-farm.ts, a second process), each with a shared
 *    inbox, are written into undersign's database; undersign is started as
 *    a site owner would (`node --import tsx src/main.ts`, file database) and
 *    its publisher delivers a pending post (a signing digest, a Note) on
 *    start.  Timed from `ctx.sendActivity()` (bench/federation-trace.ts) to
 *    the farm's verified receipt at the last shared inbox; every inbox must
 *    get it exactly once.  Then, on the same running server, a second post is
 *    delivered by the publisher's next regular pass (it runs every minute):
 *    the warm figure.
 * 3. Inbound: BENCH_INBOUND_ACTORS farm actors send Likes of the Declaration's
 *    announcement to undersign's shared inbox, BENCH_INBOUND_CONCURRENCY at a
 *    time, each request with its own draft-cavage signature (signed before
 *    the timed run, in worker threads; undersign verifies every one).  First
 *    each actor's first Like (undersign fetches the actor and its key), then
 *    BENCH_INBOUND_SECONDS of further Likes from the same actors.  Checked
 *    afterwards: one signature per actor, and one reaction per actor (all
 *    Like the same post: the latest Like is kept), no activity id twice.
 *
 * When a goal is missed (or BENCH_PROFILE=on) the fan-out and the inbound run
 * are repeated on a server started with --cpu-prof, and summarised.
 *
 * Variables: BENCH_FANOUT_FOLLOWERS (10000), BENCH_FANOUT_SERVERS (1000),
 * BENCH_FANOUT_WARM (on: wait for the publisher's next pass, about a minute),
 * BENCH_INBOUND (on; off skips the inbound runs),
 * BENCH_INBOUND_SECONDS (10), BENCH_INBOUND_ACTORS (1000),
 * BENCH_INBOUND_CONCURRENCY (50), BENCH_INBOUND_POOL (pre-signed Likes for the
 * timed run; 1,500 per second of it — a faster server ends the run early),
 * BENCH_INBOUND_KEYS (8 RSA keys shared by the actors), BENCH_NOTE (a line
 * printed under the heading), BENCH_PROFILE, BENCH_TMPDIR, BENCH_KEEP,
 * BENCH_RESULTS.
 */
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { generateKeyPairSync } from "node:crypto";
import { Agent, request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { openDatabase } from "../src/db/client.ts";
import { createPost } from "../src/db/posts.ts";
import {
  presignLikes,
  webCryptoRate,
  workerRate,
  type LikeJob,
  type Rate,
  type SignedRequest,
} from "./federation-crypto.ts";
import { farmHost } from "./federation-hosts.ts";
import {
  freePort,
  HOST,
  installCleanupHandlers,
  killAll,
  machineBusyMs,
  processCpuMs,
  sleep,
  startServer,
  stopServer,
  undersignEnv,
  envInt,
  type Server,
} from "./processes.ts";
import { formatSummary, summariseProfile } from "./profile-summary.ts";
import { describeMachine, fmt, markdownTable, textTable, type Machine, type Table } from "./report.ts";

const ROOT = resolve(import.meta.dirname, "..");
const SLUG = "digital-independence";
const RESULTS_FILE = join(import.meta.dirname, "RESULTS.md");

function envSwitch(name: string, fallback: boolean): boolean {
  const raw = (process.env[name] ?? "").trim().toLowerCase();
  if (raw === "") return fallback;
  if (["on", "true", "1", "yes"].includes(raw)) return true;
  if (["off", "false", "0", "no"].includes(raw)) return false;
  throw new Error(`${name}: expected on or off, got "${raw}"`);
}

export const FEDERATION_SETTINGS = {
  followers: envInt("BENCH_FANOUT_FOLLOWERS", 10_000, 1, 1_000_000),
  servers: envInt("BENCH_FANOUT_SERVERS", 1_000, 1, 60_000),
  warm: envSwitch("BENCH_FANOUT_WARM", true),
  inbound: envSwitch("BENCH_INBOUND", true),
  inboundSeconds: envInt("BENCH_INBOUND_SECONDS", 10, 1, 600),
  inboundActors: envInt("BENCH_INBOUND_ACTORS", 1_000, 1, 1_000_000),
  inboundConcurrency: envInt("BENCH_INBOUND_CONCURRENCY", 50, 1, 1_000),
  inboundKeys: envInt("BENCH_INBOUND_KEYS", 8, 1, 1_000),
  inboundPool: 0,
};
FEDERATION_SETTINGS.inboundPool = envInt(
  "BENCH_INBOUND_POOL",
  FEDERATION_SETTINGS.inboundSeconds * 1_500,
  1,
  10_000_000,
);

export const FEDERATION_GOALS = { fanoutSeconds: 2, inboundRate: 1_000 };

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

// ---------------------------------------------------------------- results

export interface FanoutRun {
  label: string;
  /** `ctx.sendActivity()` began (monotonic ms). */
  t0: number;
  /** Handing over took this long: followers read, proof signed, fan-out message queued. */
  handoffMs: number;
  /** The fan-out task: from its start to all outbox messages queued. */
  fanoutTaskStartMs: number;
  fanoutTaskMs: number;
  /** Time after t0 until the share of inboxes had it. */
  toFirstMs: number;
  to50Ms: number;
  to90Ms: number;
  to99Ms: number;
  totalMs: number;
  expected: number;
  inboxes: number;
  duplicates: number;
  personalInboxPaths: number;
  /** Verification failures at the farm during this run, by reason. */
  failures: Record<string, number>;
  outboxTasks: number;
  outboxErrors: number;
  sendP50Ms: number;
  sendP99Ms: number;
  signs: number;
  signMeanMs: number;
  serverCpuPercent: number | null;
  /** Of which in the kernel (system time). */
  serverSystemCpuPercent: number | null;
  serverCpuMs: number | null;
  farmCpuPercent: number | null;
  /** The bench process and everything else on the machine meanwhile (% of one core). */
  driverCpuPercent: number | null;
  otherCpuPercent: number | null;
  keyFetches: number;
}

export interface InboundRun {
  label: string;
  requests: number;
  accepted: number;
  statuses: Record<string, number>;
  errors: number;
  seconds: number;
  rate: number;
  p50: number;
  p99: number;
  max: number;
  serverCpuPercent: number | null;
  serverSystemCpuPercent: number | null;
  serverCpuUsPerLike: number | null;
  farmCpuPercent: number | null;
  driverCpuPercent: number | null;
  otherCpuPercent: number | null;
  actorFetches: number;
  /** Monotonic ms. */
  startedAt: number;
  finishedAt: number;
  /** Age of the oldest signature Date sent, seconds (signed before the run). */
  oldestDateS: number;
  /** The pre-signed requests ran out before the time limit. */
  poolExhausted: boolean;
}

export interface Books {
  signatureCount: number;
  fediverseSignatures: number;
  distinctActorsAccepted: number;
  reactions: number;
  acceptedTotal: number;
  duplicateActivityUris: number;
}

export interface FederationResults {
  machine: Machine;
  started: Date;
  finished?: Date;
  settings: typeof FEDERATION_SETTINGS;
  sign1?: Rate;
  signThreads?: Rate & { threads: number };
  signInFlight?: Rate;
  verify1?: Rate;
  verifyThreads?: Rate & { threads: number };
  httpKeepAlive?: { rate: number; requests: number; p50: number; p99: number };
  httpHosts?: { rate: number; requests: number; ms: number; p50: number; p99: number };
  seedMs?: number;
  fanout: FanoutRun[];
  presign?: { requests: number; ms: number };
  inbound: InboundRun[];
  books?: Books;
  profiles: { kind: string; file: string; summary: string; note: string }[];
  notes: string[];
  /** BENCH_NOTE. */
  note?: string;
}

// ---------------------------------------------------------------- processes

function federationEnv(port: number, dataDir: string, traceFile: string): NodeJS.ProcessEnv {
  return undersignEnv(port, dataDir, {
    ORIGIN: `http://${HOST}:${port}`,
    FEDERATION_ALLOW_PRIVATE_ADDRESS: "true",
    PROCESS_QUEUE: "true",
    FEDERATION_TRACE_FILE: traceFile,
  });
}

async function startUndersign(
  name: string,
  port: number,
  dataDir: string,
  traceFile: string,
  nodeFlags: string[] = [],
): Promise<Server> {
  return startServer({
    name,
    args: [...nodeFlags, "--import", "tsx", "--import", "./bench/federation-trace.ts", "src/main.ts"],
    cwd: ROOT,
    env: federationEnv(port, dataDir, traceFile),
    port,
    readyPath: "/healthz",
  });
}

// ---------------------------------------------------------------- helpers

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

interface FarmStats {
  verified: number;
  failures: Record<string, number>;
  keyFetches: number;
  actorGets: number;
  activities: {
    id: string;
    inboxes: number;
    duplicates: number;
    personalInboxPaths: number;
    first: number;
    last: number;
    arrivals?: number[];
  }[];
}

async function farmStats(farm: Server, activity?: string): Promise<FarmStats> {
  const response = await fetch(
    `${farm.url}/_farm/stats${activity == null ? "" : `?activity=${encodeURIComponent(activity)}`}`,
  );
  return (await response.json()) as FarmStats;
}

/**
 * Samples every 50 ms the CPU time of some processes, of this one (the
 * driver) and of the whole machine, to cut out a window later.
 */
/** System (kernel) CPU time of a process in ms, from /proc/<pid>/stat; null when unreadable. */
function systemCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[12]) * 1000) / 100;
  } catch {
    return null;
  }
}

function cpuSampler(pids: number[]) {
  const samples: { t: number; cpu: (number | null)[] }[] = [];
  const self = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  // Index pids.length is this process, pids.length + 1 the machine, pids.length + 2 the first process's system time.
  const take = () =>
    samples.push({
      t: nowMs(),
      cpu: [...pids.map((pid) => processCpuMs(pid)), self(), machineBusyMs(), systemCpuMs(pids[0]!)],
    });
  take();
  const timer = setInterval(take, 50);
  const between = (index: number, from: number, to: number): { cpuMs: number; wallMs: number } | null => {
    const before = [...samples].reverse().find((s) => s.t <= from) ?? samples[0];
    const after = samples.find((s) => s.t >= to) ?? samples[samples.length - 1];
    const a = before?.cpu[index];
    const b = after?.cpu[index];
    if (before == null || after == null || a == null || b == null || after.t <= before.t) return null;
    return { cpuMs: b - a, wallMs: after.t - before.t };
  };
  return {
    stop() {
      clearInterval(timer);
      take();
    },
    /** CPU ms of process `index` between the last sample at or before `from` and the first at or after `to`. */
    between,
    /** % of one core: each process, then the driver, then everything else on the machine, and the first process's system time. */
    percents(
      from: number,
      to: number,
    ): { processes: (number | null)[]; driver: number | null; other: number | null; firstSystem: number | null } {
      const pct = (w: { cpuMs: number; wallMs: number } | null) => (w == null ? null : (w.cpuMs / w.wallMs) * 100);
      const processes = pids.map((_, i) => pct(between(i, from, to)));
      const driver = pct(between(pids.length, from, to));
      const machine = pct(between(pids.length + 1, from, to));
      const known = [...processes, driver];
      const other =
        machine == null || known.some((x) => x == null)
          ? null
          : Math.max(0, machine - known.reduce((a: number, b) => a + (b ?? 0), 0));
      return { processes, driver, other, firstSystem: pct(between(pids.length + 2, from, to)) };
    },
  };
}

interface TraceSpan {
  name: string;
  kind: string;
  start: number;
  end: number;
  activity?: string;
  error?: boolean;
}

function readTrace(file: string): TraceSpan[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as TraceSpan);
}

// ---------------------------------------------------------------- baselines

async function baselines(r: FederationResults, farm: Server, log: (s: string) => void): Promise<void> {
  log("federation baselines: RSA-2048 signing and verification …");
  r.sign1 = await webCryptoRate("sign", 1500);
  r.signThreads = await workerRate("sign", 1500);
  r.signInFlight = await webCryptoRate("sign", 1500, 16);
  r.verify1 = await webCryptoRate("verify", 1000);
  r.verifyThreads = await workerRate("verify", 1000);
  log(
    `RSA-2048 sign: ${fmt.int(r.sign1.rate)}/s one at a time, ${fmt.int(r.signThreads.rate)}/s in ${r.signThreads.threads} threads, ` +
      `${fmt.int(r.signInFlight.rate)}/s with 16 in flight; verify: ${fmt.int(r.verify1.rate)}/s, ${fmt.int(r.verifyThreads.rate)}/s in ${r.verifyThreads.threads} threads`,
  );

  // A body of about the size of the fan-out's Create activity.
  const body = JSON.stringify({ type: "Create", padding: "x".repeat(1500) });
  const post = async (url: string) => {
    const started = performance.now();
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/activity+json" },
      body,
    });
    await response.arrayBuffer();
    if (response.status !== 202) throw new Error(`farm answered ${response.status}`);
    return performance.now() - started;
  };
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + 2000;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (performance.now() < deadline) latencies.push(await post(`${farm.url}/_farm/null`));
    }),
  );
  const elapsed = performance.now() - started;
  latencies.sort((a, b) => a - b);
  r.httpKeepAlive = {
    rate: (latencies.length / elapsed) * 1000,
    requests: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };

  const farmPort = new URL(farm.url).port;
  const hostLatencies: number[] = [];
  let next = 0;
  const hostsStarted = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let i = next++; i < FEDERATION_SETTINGS.servers; i = next++)
        hostLatencies.push(await post(`http://${farmHost(i)}:${farmPort}/_farm/null`));
    }),
  );
  const hostsMs = performance.now() - hostsStarted;
  hostLatencies.sort((a, b) => a - b);
  r.httpHosts = {
    rate: (hostLatencies.length / hostsMs) * 1000,
    requests: hostLatencies.length,
    ms: hostsMs,
    p50: percentile(hostLatencies, 50),
    p99: percentile(hostLatencies, 99),
  };
  log(
    `bare POST to the farm: ${fmt.int(r.httpKeepAlive.rate)}/s kept alive (16 at a time); ` +
      `${fmt.int(r.httpHosts.requests)} hosts on new connections in ${fmt.int(r.httpHosts.ms)} ms (${fmt.int(r.httpHosts.rate)}/s)`,
  );
}

// ---------------------------------------------------------------- seeding

interface Seeded {
  dataDir: string;
  /** A copy of the database with the followers and no pending post (for the profiled run). */
  pristineDb: string;
  declarationId: number;
  announcementUri: (origin: string) => string;
}

function dbFile(dataDir: string): string {
  return join(dataDir, "undersign.sqlite");
}

/** Creates the schema, the shipped Declaration and its first posts, then the followers. */
async function seed(tmp: string, port: number, farmPort: number, log: (s: string) => void): Promise<Seeded> {
  const dataDir = join(tmp, "fed-data");
  const started = performance.now();
  // The server migrates, imports the Declaration and publishes its Article and
  // announcement (to nobody yet), as on a site's first start.
  const first = await startUndersign("undersign (first start)", port, dataDir, join(tmp, "trace-first.jsonl"));
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const db = new Database(dbFile(dataDir), { readonly: true });
      const { posts, pending } = db
        .prepare(
          "SELECT (SELECT count(*) FROM fed_posts) AS posts, (SELECT count(*) FROM fed_activities WHERE delivered IS NULL) AS pending",
        )
        .get() as { posts: number; pending: number };
      db.close();
      if (posts >= 2 && pending === 0) break;
      if (Date.now() > deadline)
        throw new Error(`the first start did not publish the Declaration's posts:\n${first.output()}`);
      await sleep(100);
    }
  } finally {
    await stopServer(first);
  }

  const db = new Database(dbFile(dataDir));
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
    `INSERT INTO followers (declaration_id, actor_id, follow_uri, created) VALUES (?, ?, ?, ?)`,
  );
  db.transaction(() => {
    for (let k = 0; k < FEDERATION_SETTINGS.followers; k++) {
      const host = farmHost(k % FEDERATION_SETTINGS.servers);
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
  db.close();
  const pristineDb = join(tmp, "fed-followers.sqlite");
  copyFileSync(dbFile(dataDir), pristineDb);
  log(
    `seeded ${fmt.int(FEDERATION_SETTINGS.followers)} followers on ${fmt.int(FEDERATION_SETTINGS.servers)} farm hosts in ${fmt.int(performance.now() - started)} ms (first start included)`,
  );
  return { dataDir, pristineDb, declarationId, announcementUri: (origin) => `${origin}/ap/notes/${announcement.uuid}` };
}

/** Writes a pending digest post (a Note) and its Create activity; returns the activity's uuid. */
function addPendingPost(path: string, declarationId: number, key: string): string {
  const db = openDatabase(path);
  try {
    const created = db.transaction((tx) =>
      createPost(tx, {
        declarationId,
        kind: "digest",
        key,
        revision: 1,
        signatureCount: 10,
        delta: 10,
        now: new Date(),
      }),
    );
    if (created == null) throw new Error(`a post with key ${key} exists already`);
    return created.activity.uuid;
  } finally {
    db.$client.close();
  }
}

// ---------------------------------------------------------------- fan-out

async function awaitFanout(
  label: string,
  server: Server,
  farm: Server,
  activityUuid: string,
  traceFile: string,
  timeoutMs: number,
  log: (s: string) => void,
): Promise<FanoutRun> {
  const expected = FEDERATION_SETTINGS.servers;
  const before = await farmStats(farm);
  const sampler = cpuSampler([server.pid, farm.pid]);
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void server.exited.then(() => (exited = true));
  try {
    for (;;) {
      const stats = await farmStats(farm, activityUuid);
      const got = stats.activities[0]?.inboxes ?? 0;
      if (got >= expected) break;
      if (exited) throw new Error(`${server.name} exited during the fan-out:\n${server.output()}`);
      if (Date.now() > deadline) {
        log(`${label}: only ${got} of ${expected} inboxes after ${timeoutMs / 1000} s`);
        break;
      }
      await sleep(25);
    }
    // Late duplicates or retries would arrive now.
    await sleep(1500);
  } finally {
    sampler.stop();
  }
  const stats = await farmStats(farm, activityUuid);
  const delivery = stats.activities[0];
  const spans = readTrace(traceFile).filter(
    (s) => s.activity?.includes(activityUuid) || s.name === "http_signatures.sign",
  );
  const producer = spans.find((s) => s.name === "activitypub.fanout" && s.kind === "producer");
  if (producer == null) throw new Error(`${label}: no trace of ctx.sendActivity() for ${activityUuid} in ${traceFile}`);
  const consumer = spans.find((s) => s.name === "activitypub.fanout" && s.kind === "consumer");
  const t0 = producer.start;
  const arrivals = [...(delivery?.arrivals ?? [])].sort((a, b) => a - b);
  const last = arrivals[arrivals.length - 1] ?? Number.NaN;
  const at = (share: number) => (arrivals.length === 0 ? Number.NaN : percentile(arrivals, share) - t0);
  const outbox = spans.filter((s) => s.name === "activitypub.outbox");
  const sends = spans
    .filter((s) => s.name === "activitypub.send_activity")
    .map((s) => s.end - s.start)
    .sort((a, b) => a - b);
  const signs = spans.filter((s) => s.name === "http_signatures.sign" && s.start >= t0 && s.end <= last + 1);
  const failures: Record<string, number> = {};
  for (const [reason, n] of Object.entries(stats.failures)) {
    const delta = n - (before.failures[reason] ?? 0);
    if (delta > 0) failures[reason] = delta;
  }
  const serverCpu = sampler.between(0, t0, last);
  const percents = sampler.percents(t0, last);
  const run: FanoutRun = {
    label,
    t0,
    handoffMs: producer.end - producer.start,
    fanoutTaskStartMs: consumer == null ? Number.NaN : consumer.start - t0,
    fanoutTaskMs: consumer == null ? Number.NaN : consumer.end - consumer.start,
    toFirstMs: arrivals.length === 0 ? Number.NaN : arrivals[0]! - t0,
    to50Ms: at(50),
    to90Ms: at(90),
    to99Ms: at(99),
    totalMs: last - t0,
    expected,
    inboxes: delivery?.inboxes ?? 0,
    duplicates: delivery?.duplicates ?? 0,
    personalInboxPaths: delivery?.personalInboxPaths ?? 0,
    failures,
    outboxTasks: outbox.length,
    outboxErrors: outbox.filter((s) => s.error).length,
    sendP50Ms: percentile(sends, 50),
    sendP99Ms: percentile(sends, 99),
    signs: signs.length,
    signMeanMs: signs.length === 0 ? Number.NaN : signs.reduce((a, s) => a + s.end - s.start, 0) / signs.length,
    serverCpuPercent: serverCpu == null ? null : (serverCpu.cpuMs / serverCpu.wallMs) * 100,
    serverSystemCpuPercent: percents.firstSystem,
    serverCpuMs: serverCpu?.cpuMs ?? null,
    farmCpuPercent: percents.processes[1] ?? null,
    driverCpuPercent: percents.driver,
    otherCpuPercent: percents.other,
    keyFetches: stats.keyFetches - before.keyFetches,
  };
  log(
    `${label}: ${run.inboxes}/${expected} inboxes in ${fmt.ms(run.totalMs)} ms from ctx.sendActivity() ` +
      `(50 % at ${fmt.ms(run.to50Ms)} ms, first at ${fmt.ms(run.toFirstMs)} ms; hand-over ${fmt.ms(run.handoffMs)} ms, ` +
      `fan-out task ${fmt.ms(run.fanoutTaskMs)} ms), ${run.duplicates} duplicates, failures ${JSON.stringify(failures)}, ` +
      `server CPU ${fmt.pct(run.serverCpuPercent)}`,
  );
  return run;
}

// ---------------------------------------------------------------- inbound

interface Sent {
  status: number;
  ms: number;
  error?: string;
}

function sendSigned(agent: Agent, port: number, req: SignedRequest): Promise<Sent> {
  return new Promise((resolvePromise) => {
    const started = performance.now();
    const r = httpRequest({ host: HOST, port, path: "/inbox", method: "POST", headers: req.headers, agent }, (res) => {
      res.resume();
      res.on("end", () => resolvePromise({ status: res.statusCode ?? 0, ms: performance.now() - started }));
    });
    r.on("error", (error) => resolvePromise({ status: 0, ms: performance.now() - started, error: error.message }));
    r.end(req.body);
  });
}

async function inboundRun(
  label: string,
  server: Server,
  farm: Server,
  requests: readonly SignedRequest[],
  seconds: number | null,
  accepted: Set<string>,
  signedFrom: number,
  log: (s: string) => void,
): Promise<InboundRun> {
  const port = Number(new URL(server.url).port);
  const agent = new Agent({ keepAlive: true, maxSockets: FEDERATION_SETTINGS.inboundConcurrency });
  const farmBefore = await farmStats(farm);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let ok = 0;
  let firstError: string | undefined;
  let next = 0;
  const sampler = cpuSampler([server.pid, farm.pid]);
  const started = nowMs();
  const deadline = seconds == null ? Infinity : started + seconds * 1000;
  await Promise.all(
    Array.from({ length: FEDERATION_SETTINGS.inboundConcurrency }, async () => {
      for (let i = next++; i < requests.length && nowMs() < deadline; i = next++) {
        const result = await sendSigned(agent, port, requests[i]!);
        latencies.push(result.ms);
        if (result.error != null) {
          errors++;
          firstError ??= result.error;
        } else {
          statuses[result.status] = (statuses[result.status] ?? 0) + 1;
          if (result.status === 202) {
            ok++;
            accepted.add(requests[i]!.actor);
          }
        }
      }
    }),
  );
  const finished = nowMs();
  sampler.stop();
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const wallMs = finished - started;
  const serverCpu = sampler.between(0, started, finished);
  const percents = sampler.percents(started, finished);
  const farmAfter = await farmStats(farm);
  const run: InboundRun = {
    label,
    requests: latencies.length,
    accepted: ok,
    statuses,
    errors,
    seconds: wallMs / 1000,
    rate: (ok / wallMs) * 1000,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? Number.NaN,
    serverCpuPercent: serverCpu == null ? null : (serverCpu.cpuMs / serverCpu.wallMs) * 100,
    serverSystemCpuPercent: percents.firstSystem,
    serverCpuUsPerLike:
      serverCpu == null || latencies.length === 0 ? null : (serverCpu.cpuMs * 1000) / latencies.length,
    farmCpuPercent: percents.processes[1] ?? null,
    driverCpuPercent: percents.driver,
    otherCpuPercent: percents.other,
    actorFetches: farmAfter.actorGets - farmBefore.actorGets,
    startedAt: started,
    finishedAt: finished,
    oldestDateS: (Date.now() - signedFrom) / 1000,
    poolExhausted: seconds != null && latencies.length === requests.length && wallMs < seconds * 1000 - 50,
  };
  const unexpected = Object.entries(statuses).filter(([s]) => s !== "202");
  log(
    `${label} [${Math.floor(started * 1000)} ${Math.ceil(finished * 1000)} µs]: ${fmt.int(run.accepted)} of ${fmt.int(run.requests)} accepted in ${run.seconds.toFixed(1)} s = ${fmt.int(run.rate)} likes/s, ` +
      `p50 ${fmt.ms(run.p50)} ms, p99 ${fmt.ms(run.p99)} ms, server CPU ${fmt.pct(run.serverCpuPercent)}, ` +
      `${run.actorFetches} actor/key GETs at the farm` +
      (unexpected.length > 0 || errors > 0
        ? `; other statuses ${JSON.stringify(Object.fromEntries(unexpected))}, errors ${errors} (${firstError})`
        : ""),
  );
  if (unexpected.length > 0) log(`server output:\n${server.output().trimEnd().split("\n").slice(-10).join("\n")}`);
  return run;
}

interface InboundPlan {
  cold: SignedRequest[];
  warm: SignedRequest[];
  /** When signing began (Date.now()): no signature is older. */
  signedFrom: number;
}

async function planInbound(
  r: FederationResults,
  origin: string,
  object: string,
  farmPort: number,
  privateKeysPem: string[],
  log: (s: string) => void,
): Promise<InboundPlan> {
  const { inboundActors: n, inboundPool: pool, servers } = FEDERATION_SETTINGS;
  const actor = (i: number) => `http://${farmHost(i % servers)}:${farmPort}/users/liker${i}`;
  const jobs: LikeJob[] = [];
  for (let i = 0; i < n; i++) jobs.push({ actor: actor(i), key: i % privateKeysPem.length, seq: 0 });
  for (let j = 0; j < pool; j++)
    jobs.push({ actor: actor(j % n), key: (j % n) % privateKeysPem.length, seq: 1 + Math.floor(j / n) });
  log(`signing ${fmt.int(jobs.length)} Likes for the inbound runs (worker threads) …`);
  const signedFrom = Date.now();
  const { requests, ms } = await presignLikes(jobs, {
    privateKeysPem,
    object,
    host: new URL(origin).host,
    path: "/inbox",
  });
  r.presign = { requests: requests.length, ms };
  log(`signed ${fmt.int(requests.length)} requests in ${fmt.int(ms)} ms (${fmt.int((requests.length / ms) * 1000)}/s)`);
  return { cold: requests.slice(0, n), warm: requests.slice(n), signedFrom };
}

function checkBooks(dataDir: string, declarationId: number, accepted: Set<string>, acceptedTotal: number): Books {
  const db = new Database(dbFile(dataDir), { readonly: true });
  try {
    const get = (sql: string, ...params: unknown[]) => (db.prepare(sql).get(...params) as { n: number }).n;
    return {
      signatureCount: get("SELECT signature_count AS n FROM declarations WHERE id = ?", declarationId),
      fediverseSignatures: get(
        "SELECT count(*) AS n FROM signatures WHERE declaration_id = ? AND kind = 'fediverse' AND status = 'confirmed'",
        declarationId,
      ),
      distinctActorsAccepted: accepted.size,
      reactions: get("SELECT count(*) AS n FROM fed_reactions WHERE declaration_id = ?", declarationId),
      acceptedTotal,
      duplicateActivityUris: get("SELECT count(*) - count(DISTINCT activity_uri) AS n FROM fed_reactions"),
    };
  } finally {
    db.close();
  }
}

function booksOk(b: Books): boolean {
  // Every Like is of the same post: one reaction row per account and post.
  return (
    b.signatureCount === b.distinctActorsAccepted &&
    b.fediverseSignatures === b.distinctActorsAccepted &&
    b.reactions === b.distinctActorsAccepted &&
    b.duplicateActivityUris === 0
  );
}

// ---------------------------------------------------------------- profile

async function profileRun(
  r: FederationResults,
  tmp: string,
  seeded: Seeded,
  port: number,
  farm: Server,
  plan: InboundPlan | null,
  log: (s: string) => void,
): Promise<void> {
  const dataDir = join(tmp, "fed-data-profile");
  mkdirSync(dataDir, { recursive: true });
  copyFileSync(seeded.pristineDb, dbFile(dataDir));
  const uuid = addPendingPost(dbFile(dataDir), seeded.declarationId, "digest:bench-profiled");
  const profileDir = join(tmp, "fed-profile");
  mkdirSync(profileDir, { recursive: true });
  const traceFile = join(tmp, "trace-profile.jsonl");
  const server = await startUndersign("undersign --cpu-prof (federation)", port, dataDir, traceFile, [
    "--cpu-prof",
    "--cpu-prof-dir",
    profileDir,
  ]);
  let fan: FanoutRun;
  let inboundWindow: { fromUs: number; toUs: number; requests: number } | null = null;
  try {
    fan = await awaitFanout("profiled: fan-out (at start)", server, farm, uuid, traceFile, 120_000, log);
    if (plan != null) {
      const accepted = new Set<string>();
      await inboundRun(
        "profiled: inbound, first Like per actor",
        server,
        farm,
        plan.cold,
        null,
        accepted,
        plan.signedFrom,
        log,
      );
      const warm = await inboundRun(
        "profiled: inbound, further Likes",
        server,
        farm,
        plan.warm,
        FEDERATION_SETTINGS.inboundSeconds,
        accepted,
        plan.signedFrom,
        log,
      );
      inboundWindow = {
        fromUs: Math.floor(warm.startedAt * 1000),
        toUs: Math.ceil(warm.finishedAt * 1000),
        requests: warm.requests,
      };
    }
  } finally {
    await stopServer(server);
  }
  const file = readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"));
  if (file == null) {
    r.notes.push("The profiled server wrote no .cpuprofile.");
    return;
  }
  const keptDir = join(tmpdir(), "undersign-bench-profiles");
  mkdirSync(keptDir, { recursive: true });
  const kept = join(keptDir, `${r.started.toISOString().replace(/[:.]/g, "-")}-federation.cpuprofile`);
  copyFileSync(join(profileDir, file), kept);
  const fanWindow = { fromUs: Math.floor(fan.t0 * 1000), toUs: Math.ceil((fan.t0 + fan.totalMs) * 1000) };
  r.profiles.push({
    kind: "fan-out",
    file: kept,
    note: `Fan-out at start under --cpu-prof: ${fan.inboxes} inboxes in ${fmt.ms(fan.totalMs)} ms (the window below is that span).`,
    summary: formatSummary(summariseProfile(kept, 25, fanWindow), 25, fan.inboxes),
  });
  if (inboundWindow != null) {
    r.profiles.push({
      kind: "inbound",
      file: kept,
      note: `Further Likes (warm) under --cpu-prof, ${fmt.int(inboundWindow.requests)} requests.`,
      summary: formatSummary(summariseProfile(kept, 25, inboundWindow), 25, inboundWindow.requests),
    });
  }
  log(
    `federation profile: ${kept} (fan-out window ${fanWindow.fromUs} ${fanWindow.toUs}${inboundWindow == null ? "" : `, inbound window ${inboundWindow.fromUs} ${inboundWindow.toUs}`})`,
  );
}

// ---------------------------------------------------------------- main

export function fanoutGoalMet(run: FanoutRun | undefined): boolean {
  return (
    run != null &&
    run.inboxes === run.expected &&
    run.duplicates === 0 &&
    run.totalMs < FEDERATION_GOALS.fanoutSeconds * 1000
  );
}

export function inboundGoalMet(run: InboundRun | undefined): boolean {
  return run != null && run.rate >= FEDERATION_GOALS.inboundRate && run.errors === 0 && run.accepted === run.requests;
}

export async function runFederationBench(options: {
  tmp: string;
  log: (line: string) => void;
  profile?: string;
  machine?: Machine;
}): Promise<FederationResults> {
  const { tmp, log } = options;
  const profile = (options.profile ?? "auto").toLowerCase();
  const r: FederationResults = {
    machine: options.machine ?? describeMachine(tmp),
    started: new Date(),
    settings: FEDERATION_SETTINGS,
    fanout: [],
    inbound: [],
    profiles: [],
    notes: [],
    ...(process.env.BENCH_NOTE ? { note: process.env.BENCH_NOTE } : {}),
  };
  log(
    `federation: ${fmt.int(FEDERATION_SETTINGS.followers)} followers on ${fmt.int(FEDERATION_SETTINGS.servers)} hosts; ` +
      `inbound ${fmt.int(FEDERATION_SETTINGS.inboundActors)} actors, ${FEDERATION_SETTINGS.inboundSeconds} s, ${FEDERATION_SETTINGS.inboundConcurrency} at a time`,
  );

  // The likers' keys (the farm publishes the public halves).
  const keyPairs = Array.from({ length: FEDERATION_SETTINGS.inboundKeys }, () =>
    generateKeyPairSync("rsa", {
      modulusLength: 2048,
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
    }),
  );
  const keysFile = join(tmp, "farm-keys.json");
  writeFileSync(keysFile, JSON.stringify(keyPairs.map((k) => k.publicKey)));

  const farmPort = await freePort();
  const farm = await startServer({
    name: "inbox farm",
    args: ["--import", "tsx", "bench/federation-farm.ts"],
    cwd: ROOT,
    env: {
      ...process.env,
      FARM_PORT: String(farmPort),
      FARM_SERVERS: String(FEDERATION_SETTINGS.servers),
      FARM_KEYS_FILE: keysFile,
    },
    port: farmPort,
    readyPath: "/_farm/ready",
  });
  log(`started the inbox farm (pid ${farm.pid}): ${fmt.int(FEDERATION_SETTINGS.servers)} hosts on port ${farmPort}`);
  try {
    await baselines(r, farm, log);

    const port = await freePort();
    const origin = `http://${HOST}:${port}`;
    const seedStarted = performance.now();
    const seeded = await seed(tmp, port, farmPort, log);
    r.seedMs = performance.now() - seedStarted;
    const coldUuid = addPendingPost(dbFile(seeded.dataDir), seeded.declarationId, "digest:bench-cold");

    const traceFile = join(tmp, "trace.jsonl");
    const spawned = nowMs();
    const server = await startUndersign("undersign (fan-out)", port, seeded.dataDir, traceFile);
    log(`started undersign (pid ${server.pid}) at ${server.url}; it delivers the pending post on start`);
    let plan: InboundPlan | null = null;
    try {
      const cold = await awaitFanout("fan-out at start (cold)", server, farm, coldUuid, traceFile, 120_000, log);
      r.fanout.push(cold);

      // Inbound on the same server.
      if (FEDERATION_SETTINGS.inbound)
        plan = await planInbound(
          r,
          origin,
          seeded.announcementUri(origin),
          farmPort,
          keyPairs.map((k) => k.privateKey),
          log,
        );
      if (plan != null) {
        const accepted = new Set<string>();
        r.inbound.push(
          await inboundRun(
            "first Like of each actor (cold: actor and key fetched)",
            server,
            farm,
            plan.cold,
            null,
            accepted,
            plan.signedFrom,
            log,
          ),
        );
        r.inbound.push(
          await inboundRun(
            `further Likes, same actors (warm), up to ${FEDERATION_SETTINGS.inboundSeconds} s`,
            server,
            farm,
            plan.warm,
            FEDERATION_SETTINGS.inboundSeconds,
            accepted,
            plan.signedFrom,
            log,
          ),
        );
        r.books = checkBooks(
          seeded.dataDir,
          seeded.declarationId,
          accepted,
          r.inbound.reduce((a, run) => a + run.accepted, 0),
        );
        log(`books: ${JSON.stringify(r.books)} — ${booksOk(r.books) ? "consistent" : "INCONSISTENT"}`);
      }

      if (FEDERATION_SETTINGS.warm) {
        // The publisher passes once a minute after start; the second post waits for that pass.
        const warmUuid = addPendingPost(dbFile(seeded.dataDir), seeded.declarationId, "digest:bench-warm");
        const waitS = Math.max(0, (cold.t0 + 60_000 - nowMs()) / 1000);
        log(
          `waiting for the publisher's next pass (about ${waitS.toFixed(0)} s; started ${((nowMs() - spawned) / 1000).toFixed(0)} s ago) …`,
        );
        r.fanout.push(
          await awaitFanout("fan-out by the next pass (warm)", server, farm, warmUuid, traceFile, 150_000, log),
        );
      }
    } finally {
      await stopServer(server);
    }

    const missed =
      !r.fanout.every(fanoutGoalMet) ||
      !r.inbound.slice(-1).every(inboundGoalMet) ||
      (r.books != null && !booksOk(r.books));
    if (profile === "on" || (profile === "auto" && missed)) {
      await profileRun(r, tmp, seeded, port, farm, plan, log);
    }
  } finally {
    await stopServer(farm);
  }
  r.finished = new Date();
  return r;
}

// ---------------------------------------------------------------- report

function ratioText(a: number, b: number | undefined): string {
  return b == null || !(b > 0) ? "n/a" : fmt.ratio(a / b);
}

export function renderFederation(
  r: FederationResults,
  table: (t: Table) => string,
  heading: (level: number, text: string) => string,
  level = 3,
): string {
  const s = r.settings;
  const out: string[] = [];
  out.push(heading(level, "Federation: fan-out and inbound"));
  if (r.note) out.push(r.note);
  out.push(
    `Settings: BENCH_FANOUT_FOLLOWERS=${s.followers}, BENCH_FANOUT_SERVERS=${s.servers}, BENCH_FANOUT_WARM=${s.warm ? "on" : "off"}, ` +
      `BENCH_INBOUND=${s.inbound ? "on" : "off"}, BENCH_INBOUND_ACTORS=${s.inboundActors}, BENCH_INBOUND_SECONDS=${s.inboundSeconds}, BENCH_INBOUND_CONCURRENCY=${s.inboundConcurrency}, ` +
      `BENCH_INBOUND_POOL=${s.inboundPool}, BENCH_INBOUND_KEYS=${s.inboundKeys}. ` +
      `The inbox farm (bench/federation-farm.ts) is one Node process with one listener per host 127.1.x.y (distinct loopback addresses, one port); ` +
      `it checks every delivery's draft-cavage signature and Digest with node:crypto (the sender's key fetched once from undersign). ` +
      `undersign runs as \`node --import tsx src/main.ts\` (file database, synchronous=FULL, LOG_LEVEL=warning, FEDERATION_ALLOW_PRIVATE_ADDRESS=true) ` +
      `with bench/federation-trace.ts preloaded, a minimal OpenTelemetry tracer that records when Fedify's send steps start and end. ` +
      `Delivery uses undersign's defaults: \`sendActivity(…, "followers", …, { preferSharedInbox: true, syncCollection: true, orderingKey })\`, ` +
      `Fedify's fan-out and outbox queues on the SQLite queue (16 handlers at a time), first knock draft-cavage. ` +
      `Times are CLOCK_MONOTONIC, shared by the processes.`,
  );

  out.push(heading(level + 1, "Baselines (same run)"));
  const base: string[][] = [];
  if (r.sign1)
    base.push([
      "RSA-2048 sign, WebCrypto, one at a time (bench process)",
      `${fmt.int(r.sign1.rate)}/s`,
      `${fmt.ms(1000 / r.sign1.rate)} ms each`,
    ]);
  if (r.signThreads)
    base.push([
      `RSA-2048 sign, ${r.signThreads.threads} worker threads`,
      `${fmt.int(r.signThreads.rate)}/s`,
      "all cores",
    ]);
  if (r.signInFlight)
    base.push([
      "RSA-2048 sign, 16 in flight in one thread (libuv pool)",
      `${fmt.int(r.signInFlight.rate)}/s`,
      "what 16 concurrent deliveries get",
    ]);
  if (r.verify1)
    base.push([
      "RSA-2048 verify, WebCrypto, one at a time",
      `${fmt.int(r.verify1.rate)}/s`,
      `${fmt.ms((1000 / r.verify1.rate) * 1000)} µs each`,
    ]);
  if (r.verifyThreads)
    base.push([
      `RSA-2048 verify, ${r.verifyThreads.threads} worker threads`,
      `${fmt.int(r.verifyThreads.rate)}/s`,
      "all cores",
    ]);
  if (r.httpKeepAlive)
    base.push([
      "Bare POST (1.5 KB) to the farm, kept-alive, 16 at a time (fetch)",
      `${fmt.int(r.httpKeepAlive.rate)}/s`,
      `p50 ${fmt.ms(r.httpKeepAlive.p50)} ms, p99 ${fmt.ms(r.httpKeepAlive.p99)} ms`,
    ]);
  if (r.httpHosts)
    base.push([
      `Bare POST to each of ${fmt.int(r.httpHosts.requests)} farm hosts, new connection each, 16 at a time`,
      `${fmt.int(r.httpHosts.rate)}/s`,
      `${fmt.int(r.httpHosts.ms)} ms for all; p50 ${fmt.ms(r.httpHosts.p50)} ms, p99 ${fmt.ms(r.httpHosts.p99)} ms`,
    ]);
  out.push(table({ headers: ["Baseline", "Rate", "Note"], align: ["l", "r", "l"], rows: base }));

  const signRate = r.signThreads?.rate ?? r.sign1?.rate;
  if (r.fanout.length > 0) {
    out.push(
      heading(
        level + 1,
        `Fan-out: one Note to ${fmt.int(s.followers)} followers on ${fmt.int(s.servers)} shared inboxes`,
      ),
    );
    out.push(
      "Timed from the call of `ctx.sendActivity()` by the publisher to the farm's verified receipt at the last inbox. " +
        'Floor: one RSA signature per inbox; "signing floor" is the time all-core signing of that many signatures takes alone.',
    );
    const f = r.fanout;
    const rows: [string, (x: FanoutRun) => string][] = [
      ["Inboxes reached / expected", (x) => `${x.inboxes} / ${x.expected}`],
      ["Duplicates / misses", (x) => `${x.duplicates} / ${x.expected - x.inboxes}`],
      [
        "Verification failures at the farm",
        (x) => (Object.keys(x.failures).length === 0 ? "0" : JSON.stringify(x.failures)),
      ],
      ["Deliveries to personal inboxes", (x) => String(x.personalInboxPaths)],
      ["Total time (last inbox), ms", (x) => fmt.ms(x.totalMs)],
      ["Deliveries/s", (x) => fmt.int((x.inboxes / x.totalMs) * 1000)],
      ["Deliveries/s ÷ RSA signs/s (all cores)", (x) => ratioText((x.inboxes / x.totalMs) * 1000, r.signThreads?.rate)],
      ["Deliveries/s ÷ RSA signs/s (one at a time)", (x) => ratioText((x.inboxes / x.totalMs) * 1000, r.sign1?.rate)],
      ["Signing floor (all cores), ms", (x) => (signRate == null ? "n/a" : fmt.ms((x.expected / signRate) * 1000))],
      ["First inbox, ms", (x) => fmt.ms(x.toFirstMs)],
      ["50 % / 90 % / 99 % of inboxes, ms", (x) => `${fmt.ms(x.to50Ms)} / ${fmt.ms(x.to90Ms)} / ${fmt.ms(x.to99Ms)}`],
      ["Hand-over (`sendActivity`: followers, proof, fan-out message), ms", (x) => fmt.ms(x.handoffMs)],
      ["Fan-out task starts / lasts, ms", (x) => `${fmt.ms(x.fanoutTaskStartMs)} / ${fmt.ms(x.fanoutTaskMs)}`],
      ["Outbox tasks (errors)", (x) => `${x.outboxTasks} (${x.outboxErrors})`],
      ["HTTP send incl. signing p50 / p99, ms", (x) => `${fmt.ms(x.sendP50Ms)} / ${fmt.ms(x.sendP99Ms)}`],
      ["Signatures made / mean time each (incl. pool wait), ms", (x) => `${x.signs} / ${fmt.ms(x.signMeanMs)}`],
      [
        "Server CPU (% of one core; of which kernel) / CPU ms",
        (x) =>
          `${fmt.pct(x.serverCpuPercent)} (${fmt.pct(x.serverSystemCpuPercent)}) / ${x.serverCpuMs == null ? "n/a" : fmt.int(x.serverCpuMs)}`,
      ],
      [
        "Server CPU per delivered inbox, µs",
        (x) => (x.serverCpuMs == null || x.inboxes === 0 ? "n/a" : fmt.int((x.serverCpuMs * 1000) / x.inboxes)),
      ],
      [
        "Farm / bench process / rest of the machine CPU (% of one core)",
        (x) => `${fmt.pct(x.farmCpuPercent)} / ${fmt.pct(x.driverCpuPercent)} / ${fmt.pct(x.otherCpuPercent)}`,
      ],
      ["Key fetches by the farm", (x) => String(x.keyFetches)],
      [`Goal: all inboxes once, < ${FEDERATION_GOALS.fanoutSeconds} s`, (x) => (fanoutGoalMet(x) ? "met" : "MISSED")],
    ];
    out.push(
      table({
        headers: ["", ...f.map((x) => x.label)],
        align: ["l", ...f.map(() => "r" as const)],
        rows: rows.map(([name, fn]) => [name, ...f.map(fn)]),
      }),
    );
  }

  if (r.inbound.length > 0) {
    out.push(heading(level + 1, "Inbound: signed Likes to the shared inbox"));
    out.push(
      `Each request is a \`Like\` of the Declaration's announcement Note with its own activity id, Date, Digest and draft-cavage signature ` +
        `(RSA-2048, over (request-target) host date digest content-type). ` +
        (r.presign != null
          ? `All ${fmt.int(r.presign.requests)} requests were signed before the timed runs, in worker threads (${fmt.int(r.presign.ms)} ms); ` +
            `the oldest Date sent was ${Math.ceil(Math.max(...r.inbound.map((x) => x.oldestDateS)))} s old (Fedify accepts an hour). `
          : "") +
        `undersign verifies every signature; the Likes of a run are sent ${s.inboundConcurrency} at a time over kept-alive connections from the bench process. ` +
        `${fmt.int(s.inboundActors)} actors on the farm share ${s.inboundKeys} key pairs (each actor its own key id). ` +
        `"Actor/key GETs" counts the farm's actor documents served during the run (undersign's key and actor fetches).`,
    );
    out.push(
      table({
        headers: [
          "Run",
          "Requests",
          "202",
          "Other",
          "Errors",
          "Seconds",
          "Likes/s",
          "p50 ms",
          "p99 ms",
          "max ms",
          "Server CPU (kernel)",
          "Server µs/Like",
          "Farm CPU",
          "Driver CPU",
          "Other CPU",
          "Actor/key GETs",
          "÷ verify/s (1 thread)",
        ],
        align: ["l", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r"],
        rows: r.inbound.map((x) => [
          x.label,
          fmt.int(x.requests),
          fmt.int(x.accepted),
          Object.entries(x.statuses)
            .filter(([k]) => k !== "202")
            .map(([k, v]) => `${k}×${v}`)
            .join(" ") || "0",
          String(x.errors),
          x.seconds.toFixed(1),
          fmt.int(x.rate),
          fmt.ms(x.p50),
          fmt.ms(x.p99),
          fmt.ms(x.max),
          `${fmt.pct(x.serverCpuPercent)} (${fmt.pct(x.serverSystemCpuPercent)})`,
          x.serverCpuUsPerLike == null ? "n/a" : fmt.int(x.serverCpuUsPerLike),
          fmt.pct(x.farmCpuPercent),
          fmt.pct(x.driverCpuPercent),
          fmt.pct(x.otherCpuPercent),
          fmt.int(x.actorFetches),
          ratioText(x.rate, r.verify1?.rate),
        ]),
      }),
    );
    if (r.books != null) {
      const b = r.books;
      out.push(
        `Books after the inbound runs: signature count ${fmt.int(b.signatureCount)}, confirmed fediverse signatures ${fmt.int(b.fediverseSignatures)}, ` +
          `distinct actors with an accepted Like ${fmt.int(b.distinctActorsAccepted)}; stored Likes ${fmt.int(b.reactions)} for ${fmt.int(b.acceptedTotal)} accepted ` +
          `(duplicate activity ids: ${b.duplicateActivityUris}) — ${booksOk(b) ? "consistent: one signature and one reaction per actor" : "INCONSISTENT"}.`,
      );
    }
  }
  const warm = r.inbound[r.inbound.length - 1];
  out.push(heading(level + 1, "Goals"));
  out.push(
    table({
      headers: ["Goal", "Value", "Target", "Result"],
      align: ["l", "r", "l", "l"],
      rows: [
        ...r.fanout.map((x) => [
          `${x.label[0]!.toUpperCase()}${x.label.slice(1)}: all inboxes`,
          `${fmt.ms(x.totalMs)} ms`,
          `< ${FEDERATION_GOALS.fanoutSeconds * 1000} ms, each inbox once`,
          fanoutGoalMet(x) ? "met" : "MISSED",
        ]),
        ...(warm == null
          ? []
          : [
              [
                "Inbound likes/s (warm)",
                fmt.int(warm.rate),
                `≥ ${fmt.int(FEDERATION_GOALS.inboundRate)}/s`,
                inboundGoalMet(warm) ? "met" : "MISSED",
              ],
            ]),
      ],
    }),
  );
  for (const x of r.inbound) {
    if (x.poolExhausted)
      out.push(
        `"${x.label}" used up its ${fmt.int(x.requests)} pre-signed requests in ${x.seconds.toFixed(1)} s (raise BENCH_INBOUND_POOL for a full-length run).`,
      );
  }
  for (const note of r.notes) out.push(note);
  if (r.profiles.length > 0) {
    out.push(heading(level + 1, "Profiles"));
    for (const p of r.profiles) {
      out.push(heading(level + 2, `Profile: ${p.kind}`));
      out.push(`${p.note} Server started with \`node --cpu-prof\`; profile kept at \`${p.file}\`.`);
      out.push(p.summary);
    }
  }
  return `${out.join("\n\n")}\n`;
}

function machineLines(m: Machine): string {
  return (
    `Machine: ${m.cpus} CPUs (nproc), ${m.cpuModel}, ${m.memory} RAM, ${m.os}; temp files on ${m.tmpFilesystem}.\n` +
    `Code: undersign ${m.revision}.\n` +
    `Software: Node ${m.node}, SQLite ${m.sqlite} (better-sqlite3 ${m.betterSqlite3}).`
  );
}

// ---------------------------------------------------------------- standalone

if (import.meta.main) {
  const tmp = mkdtempSync(join(process.env.BENCH_TMPDIR || tmpdir(), "undersign-fedbench-"));
  const keep = process.env.BENCH_KEEP === "1";
  const clean = () => {
    if (!keep) rmSync(tmp, { recursive: true, force: true });
  };
  const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  installCleanupHandlers(() => {
    clean();
    process.exit(130);
  });
  const watchdog = setTimeout(() => {
    process.stderr.write("\nfederation bench: still running after 15 minutes; giving up.\n");
    killAll();
    clean();
    process.exit(3);
  }, 15 * 60_000);
  watchdog.unref();
  try {
    const r = await runFederationBench({ tmp, log, profile: process.env.BENCH_PROFILE ?? "auto" });
    const title = (h: (l: number, t: string) => string) =>
      h(2, `${r.started.toISOString().slice(0, 16).replace("T", " ")} UTC — federation`);
    const text = (level: number, t: string) =>
      level <= 2 ? `\n=== ${t} ===` : level === 3 ? `\n--- ${t} ---` : `-- ${t}`;
    process.stdout.write([title(text), machineLines(r.machine), renderFederation(r, textTable, text)].join("\n\n"));
    if ((process.env.BENCH_RESULTS ?? "").toLowerCase() !== "off") {
      const md = (level: number, t: string) => `${"#".repeat(level)} ${t}`;
      appendFileSync(
        RESULTS_FILE,
        `\n${[title(md), machineLines(r.machine), renderFederation(r, markdownTable, md)].join("\n\n")}`,
      );
      log(`appended the results to ${RESULTS_FILE}`);
    }
  } catch (error) {
    process.stderr.write(
      `\nfederation bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  } finally {
    killAll();
    clearTimeout(watchdog);
    clean();
  }
}
