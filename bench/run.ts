/**
 * undersign benchmark suite (not part of `npm test`).  `npm run bench`:
 *
 *  1. Baseline A: bare Hono + better-sqlite3 insert, WAL + synchronous=FULL
 *     (undersign's durability) and NORMAL (context).
 *  2. Baseline B: bare Hono static HTML.
 *  3. undersign signing through the JSON API and through the HTML form.
 *  4. Declaration page views alone and while signing runs.
 *  5. Page, API, keyset pages and CSV export with BENCH_SIGNATURES (1M)
 *     signatures against 0.
 *  6. Ratios against the goals; when a goal is missed (or BENCH_PROFILE=on)
 *     a --cpu-prof run of that load and its top self-time functions.
 *  7. Federation (bench/federation.ts): fan-out of one post to 10,000
 *     followers on 1,000 loopback servers and signed Likes to the inbox,
 *     against RSA and bare-HTTP baselines (BENCH_FEDERATION=off skips it;
 *     its own variables are listed there).
 *
 * Every server is a child process on 127.0.0.1; autocannon runs in this
 * process.  Results are printed and appended to bench/RESULTS.md.
 *
 * Variables: BENCH_SECONDS (10), BENCH_WARMUP (2), BENCH_CONNECTIONS (50),
 * BENCH_SIGNATURES (1000000), BENCH_PUBLIC_SHARE (1: every prefilled
 * signature shows its name; 0.01: one in a hundred), BENCH_PROFILE (auto|on|off), BENCH_TMPDIR (os
 * temp dir), BENCH_KEEP (1 keeps the temp folder), BENCH_RESULTS (off: do not
 * write RESULTS.md), BENCH_TIMEOUT_MINUTES (estimated from the above).
 */
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { measure, measureTogether, type LoadOptions, type Measurement } from "./load.ts";
import { prefillSignatures, type PrefillResult } from "./prefill.ts";
import {
  freePort,
  installCleanupHandlers,
  killAll,
  treeCpuMs,
  processMemoryKb,
  sleep,
  startServer,
  stopServer,
  undersignEnv,
  envInt,
  type Server,
} from "./processes.ts";
import { formatSummary, summariseProfile } from "./profile-summary.ts";
import { renderFederation, runFederationBench, type FederationResults } from "./federation.ts";
import { describeMachine, fmt, markdownTable, textTable, type Machine, type Table } from "./report.ts";

const ROOT = resolve(import.meta.dirname, "..");
const SLUG = "digital-independence";
const RESULTS = join(import.meta.dirname, "RESULTS.md");

const SECONDS = envInt("BENCH_SECONDS", 10, 1, 600);
const WARMUP = envInt("BENCH_WARMUP", 2, 0, 60);
const CONNECTIONS = envInt("BENCH_CONNECTIONS", 50, 2, 1000);
const SIGNATURES = envInt("BENCH_SIGNATURES", 1_000_000, 0, 50_000_000);
const PUBLIC_SHARE = Number(process.env.BENCH_PUBLIC_SHARE || "1");
if (!(PUBLIC_SHARE > 0 && PUBLIC_SHARE <= 1))
  throw new Error(`BENCH_PUBLIC_SHARE: expected a number in (0, 1], got "${process.env.BENCH_PUBLIC_SHARE}"`);
const PROFILE = (process.env.BENCH_PROFILE ?? "auto").toLowerCase();
if (!["auto", "on", "off"].includes(PROFILE))
  throw new Error(`BENCH_PROFILE: expected auto, on or off, got "${PROFILE}"`);
const FEDERATION = (process.env.BENCH_FEDERATION ?? "on").toLowerCase() !== "off";
const KEEP = process.env.BENCH_KEEP === "1";
const WRITE_RESULTS = (process.env.BENCH_RESULTS ?? "").toLowerCase() !== "off";
// About 20 timed runs, prefill at ≥ 5,000 rows/s, start-ups and a margin.
const TIMEOUT_MINUTES = envInt(
  "BENCH_TIMEOUT_MINUTES",
  Math.ceil((20 * (SECONDS + WARMUP + 5) + SIGNATURES / 5000 + 600 + (FEDERATION ? 360 : 0)) / 60),
  1,
  24 * 60,
);

const GOALS = { signingRatio: 0.7, signingP99: 50, pageRatio: 0.5, healthRatio: 0.6 };

const TMP = mkdtempSync(join(process.env.BENCH_TMPDIR || tmpdir(), "undersign-bench-"));
function cleanTmp(): void {
  if (!KEEP) rmSync(TMP, { recursive: true, force: true });
}

installCleanupHandlers((signal) => {
  process.stderr.write(`\nbench: ${signal}: stopped all servers.\n`);
  cleanTmp();
  process.exit(130);
});
const watchdog = setTimeout(() => {
  process.stderr.write(`\nbench: still running after ${TIMEOUT_MINUTES} minutes (BENCH_TIMEOUT_MINUTES); giving up.\n`);
  killAll();
  cleanTmp();
  process.exit(3);
}, TIMEOUT_MINUTES * 60_000);
watchdog.unref();

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
}

function describe(m: Measurement): string {
  const extra =
    m.unexpected > 0 || m.errors > 0
      ? ` (unexpected ${m.unexpected}, errors ${m.errors}: ${JSON.stringify(m.statuses)})`
      : "";
  return `${m.label}: ${fmt.int(m.rps)} req/s, p50 ${fmt.ms(m.p50)} ms, p99 ${fmt.ms(m.p99)} ms, max ${fmt.ms(m.max)} ms (open connections: p99 ${fmt.ms(m.p99Open)}, max ${fmt.ms(m.maxOpen)}), server CPU ${fmt.pct(m.serverCpu)}, driver CPU ${fmt.pct(m.driverCpu)}, other CPU ${fmt.pct(m.otherCpu)}${extra}`;
}

/** Warns (with the server's last lines) when requests failed or got an unexpected status. */
function reportFailures(options: LoadOptions, m: Measurement): void {
  if (m.unexpected === 0 && m.errors === 0) return;
  const tail = (options.serverOutput?.() ?? "").trimEnd().split("\n").slice(-15).join("\n");
  log(
    `WARNING: ${m.label}: ${m.unexpected} unexpected statuses ${JSON.stringify(m.statuses)}, ${m.errors} errors${tail ? `; server output:\n${tail}` : ""}`,
  );
}

/** A warm-up at the same load (discarded), then the timed run. */
async function run(options: LoadOptions, onResult?: (m: Measurement) => void): Promise<Measurement> {
  if (WARMUP > 0) {
    const warm = await measure({ ...options, label: `${options.label} (warm-up)`, seconds: WARMUP });
    onResult?.(warm);
    await sleep(300);
  }
  const m = await measure(options);
  onResult?.(m);
  log(describe(m));
  reportFailures(options, m);
  await sleep(300);
  return m;
}

async function runTogether(runs: LoadOptions[], onResult?: (m: Measurement) => void): Promise<Measurement[]> {
  if (WARMUP > 0) {
    const warm = await measureTogether(runs.map((r) => ({ ...r, label: `${r.label} (warm-up)`, seconds: WARMUP })));
    for (const m of warm) onResult?.(m);
    await sleep(300);
  }
  const ms = await measureTogether(runs);
  ms.forEach((m, i) => {
    onResult?.(m);
    log(describe(m));
    reportFailures(runs[i]!, m);
  });
  await sleep(300);
  return ms;
}

// ---------------------------------------------------------------- servers

async function startUndersign(name: string, dataDir: string, nodeFlags: string[] = []): Promise<Server> {
  const port = await freePort();
  const server = await startServer({
    name,
    args: [...nodeFlags, "--import", "tsx", "src/main.ts"],
    cwd: ROOT,
    env: undersignEnv(port, dataDir),
    port,
    readyPath: "/healthz",
  });
  log(`started ${name} (pid ${server.pid}) at ${server.url}`);
  return server;
}

async function startBaseline(
  name: string,
  script: string,
  env: Record<string, string>,
  readyPath: string,
): Promise<Server> {
  const port = await freePort();
  const server = await startServer({
    name,
    args: ["--import", "tsx", join("bench", script)],
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port) },
    port,
    readyPath,
  });
  log(`started ${name} (pid ${server.pid}) at ${server.url}`);
  return server;
}

async function stop(server: Server): Promise<void> {
  await stopServer(server);
  log(`stopped ${server.name}`);
}

// ---------------------------------------------------------------- requests

const runTag = Date.now().toString(36);
let sequence = 0;

/** A JSON signature with a name no other request uses. */
function jsonSignature(): string {
  sequence++;
  return JSON.stringify({ name: `Bench Signer ${runTag}-${sequence}`, place: "Loopback", public: true });
}

function signingJsonLoad(server: Server, label: string, connections = CONNECTIONS): LoadOptions {
  return {
    label,
    url: server.url,
    path: `/api/declarations/${SLUG}/signatures`,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: jsonSignature,
    expect: [201],
    connections,
    seconds: SECONDS,
    serverPid: server.pid,
    serverOutput: server.output,
  };
}

function getLoad(server: Server, label: string, path: string, connections = CONNECTIONS): LoadOptions {
  return {
    label,
    url: server.url,
    path,
    expect: [200],
    connections,
    seconds: SECONDS,
    serverPid: server.pid,
    serverOutput: server.output,
  };
}

/**
 * What a browser posts the signing form with: the form's fields (its CSRF
 * field is empty on this page anyone may be served) and the Origin and
 * Sec-Fetch-Site headers that prove the post comes from the site itself.
 */
async function fetchCsrf(server: Server): Promise<{ cookie: string; token: string; revision: string }> {
  const response = await fetch(`${server.url}/d/${SLUG}/sign`);
  const html = await response.text();
  const cookie = response.headers
    .getSetCookie()
    .map((c) => c.split(";")[0]!)
    .find((c) => /^(__Host-)?csrf=/.test(c));
  const input = /<input[^>]*name="csrf"[^>]*>/.exec(html)?.[0];
  const token = input && /value="([^"]*)"/.exec(input)?.[1];
  const revisionInput = /<input[^>]*name="revision"[^>]*>/.exec(html)?.[0];
  const revision = (revisionInput && /value="(\d+)"/.exec(revisionInput)?.[1]) ?? "1";
  if (response.status !== 200 || token == null) {
    throw new Error(`Could not read the signing form of /d/${SLUG}/sign (status ${response.status})`);
  }
  return { cookie: cookie ?? "", token, revision };
}

function signingFormLoad(
  server: Server,
  label: string,
  csrf: { cookie: string; token: string; revision: string },
): LoadOptions {
  return {
    label,
    url: server.url,
    path: `/d/${SLUG}/sign`,
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      ...(csrf.cookie === "" ? {} : { cookie: csrf.cookie }),
      // The site's origin is http://localhost:<port> (ORIGIN unset), the bench reaches it at 127.0.0.1.
      origin: server.url.replace("127.0.0.1", "localhost"),
      "sec-fetch-site": "same-origin",
    },
    body: () => {
      sequence++;
      return new URLSearchParams({
        csrf: csrf.token,
        revision: csrf.revision,
        name: `Bench Form ${runTag}-${sequence}`,
        place: "Loopback",
        visibility: "public",
        phone: "",
      }).toString();
    },
    expect: [303],
    connections: CONNECTIONS,
    seconds: SECONDS,
    serverPid: server.pid,
    serverOutput: server.output,
  };
}

// ---------------------------------------------------------------- phases

interface Results {
  machine: Machine;
  started: Date;
  finished?: Date;
  staticPage?: Measurement;
  staticPage8k?: Measurement;
  insertFull?: Measurement;
  insertNormal?: Measurement;
  health?: Measurement;
  page0?: Measurement;
  api0?: Measurement;
  signJson?: Measurement;
  signForm?: Measurement;
  concurrentSign?: Measurement;
  concurrentPage?: Measurement;
  pageAfterSigning?: Measurement;
  /** `unanswered`: requests autocannon abandoned in flight when runs stopped (at most one per connection and run). */
  integrity?: { acknowledged: number; counter: number; rows: number; unansweredBound: number };
  prefill?: PrefillResult;
  page1M?: Measurement;
  api1M?: Measurement;
  listFirst1M?: Measurement;
  listDeep1M?: Measurement;
  deepBefore?: number;
  csv?: {
    seconds: number;
    firstByteMs: number;
    bytes: number;
    rows: number;
    status: number;
    serverCpu: number | null;
    hwmBeforeKb: number | null;
    hwmAfterKb: number | null;
    rssBeforeKb: number | null;
    peakRssKb: number | null;
  };
  profiles: { kind: string; measurement: Measurement; file: string; summary: string }[];
  federation?: FederationResults;
}

async function baselines(results: Results): Promise<void> {
  const staticServer = await startBaseline("baseline B (static)", "baseline-static.ts", {}, "/");
  try {
    results.staticPage = await run(getLoad(staticServer, "Baseline B: static Hono GET / (small page)", "/"));
    results.staticPage8k = await run(
      getLoad(staticServer, "Baseline B': static Hono GET /8k (8 KB page, context)", "/8k"),
    );
  } finally {
    await stop(staticServer);
  }
  for (const sync of ["FULL", "NORMAL"] as const) {
    const server = await startBaseline(
      `baseline A (insert, ${sync})`,
      "baseline-insert.ts",
      { BASELINE_DB: join(TMP, `baseline-${sync.toLowerCase()}.sqlite`), BASELINE_SYNC: sync },
      "/healthz",
    );
    try {
      const m = await run({
        label: `Baseline A: bare insert, synchronous=${sync}`,
        url: server.url,
        path: "/",
        method: "POST",
        headers: { "content-type": "application/json" },
        body: jsonSignature,
        expect: [201],
        connections: CONNECTIONS,
        seconds: SECONDS,
        serverPid: server.pid,
        serverOutput: server.output,
      });
      if (sync === "FULL") results.insertFull = m;
      else results.insertNormal = m;
    } finally {
      await stop(server);
    }
  }
}

async function signingAndPages(results: Results): Promise<void> {
  const dataDir = join(TMP, "data-fresh");
  const server = await startUndersign("undersign (fresh database)", dataDir);
  let acknowledged = 0;
  let unansweredBound = 0;
  const countSigned = (m: Measurement) => {
    acknowledged += m.ok;
    unansweredBound += m.connections;
  };
  try {
    results.health = await run(getLoad(server, "undersign GET /healthz (middleware floor)", "/healthz"));
    results.page0 = await run(getLoad(server, "undersign GET /d/:slug (0 signatures)", `/d/${SLUG}`));
    results.api0 = await run(
      getLoad(server, "undersign GET /api/declarations/:slug (0 signatures)", `/api/declarations/${SLUG}`),
    );
    results.signJson = await run(signingJsonLoad(server, "undersign POST /api/…/signatures (JSON)"), countSigned);
    const csrf = await fetchCsrf(server);
    results.signForm = await run(
      signingFormLoad(server, "undersign POST /d/:slug/sign (form, 303)", csrf),
      countSigned,
    );
    const half = Math.max(1, Math.floor(CONNECTIONS / 2));
    const [sign, page] = await runTogether(
      [
        signingJsonLoad(server, `undersign JSON signing, concurrent with page views`, half),
        getLoad(server, `undersign GET /d/:slug, concurrent with signing`, `/d/${SLUG}`, CONNECTIONS - half),
      ],
      (m) => {
        if (m.method === "POST") countSigned(m);
      },
    );
    results.concurrentSign = sign;
    results.concurrentPage = page;
    results.pageAfterSigning = await run(
      getLoad(server, "undersign GET /d/:slug alone (after signing runs)", `/d/${SLUG}`),
    );
    const api = (await (await fetch(`${server.url}/api/declarations/${SLUG}`)).json()) as { signatureCount: number };
    results.integrity = { acknowledged, counter: api.signatureCount, rows: -1, unansweredBound };
  } finally {
    await stop(server);
  }
  const db = new Database(join(dataDir, "undersign.sqlite"), { readonly: true });
  try {
    const rows = (db.prepare("SELECT count(*) AS n FROM signatures WHERE status = 'confirmed'").get() as { n: number })
      .n;
    if (results.integrity != null) results.integrity.rows = rows;
  } finally {
    db.close();
  }
  rmSync(dataDir, { recursive: true, force: true });
}

async function manySignatures(results: Results): Promise<void> {
  const dataDir = join(TMP, "data-prefilled");
  // The server creates the schema and imports the shipped Declaration, then stops.
  await stop(await startUndersign("undersign (migrate + import)", dataDir));
  log(`prefilling ${fmt.int(SIGNATURES)} confirmed signatures …`);
  results.prefill = prefillSignatures(join(dataDir, "undersign.sqlite"), SLUG, SIGNATURES, PUBLIC_SHARE);
  log(`prefilled in ${results.prefill.seconds.toFixed(1)} s (${fmt.mb(results.prefill.fileBytes)} database)`);

  const server = await startUndersign(`undersign (${fmt.int(SIGNATURES)} signatures)`, dataDir);
  try {
    const n = fmt.int(SIGNATURES);
    results.page1M = await run(getLoad(server, `undersign GET /d/:slug (${n} signatures)`, `/d/${SLUG}`));
    results.api1M = await run(
      getLoad(server, `undersign GET /api/declarations/:slug (${n} signatures)`, `/api/declarations/${SLUG}`),
    );
    results.listFirst1M = await run(
      getLoad(server, `undersign GET /d/:slug/signatures, first page (${n})`, `/d/${SLUG}/signatures`),
    );
    // The last page of the keyset list: just above the 60 oldest public signatures.
    results.deepBefore = results.prefill.deepBefore;
    results.listDeep1M = await run(
      getLoad(
        server,
        `undersign GET /d/:slug/signatures?before=${results.deepBefore} (last page)`,
        `/d/${SLUG}/signatures?before=${results.deepBefore}`,
      ),
    );
    results.csv = await csvExport(server);
  } finally {
    await stop(server);
  }
  rmSync(dataDir, { recursive: true, force: true });
}

async function csvExport(server: Server): Promise<NonNullable<Results["csv"]>> {
  log("downloading the CSV export …");
  const hwmBeforeKb = processMemoryKb(server.pid, "VmHWM");
  const rssBeforeKb = processMemoryKb(server.pid, "VmRSS");
  let peakRssKb = rssBeforeKb;
  const sampler = setInterval(() => {
    const rss = processMemoryKb(server.pid, "VmRSS");
    if (rss != null && (peakRssKb == null || rss > peakRssKb)) peakRssKb = rss;
  }, 25);
  const cpuBefore = treeCpuMs(server.pid);
  const started = performance.now();
  let firstByteMs = 0;
  let bytes = 0;
  let newlines = 0;
  let status = 0;
  try {
    const response = await fetch(`${server.url}/d/${SLUG}/signatures.csv`, {
      signal: AbortSignal.timeout(15 * 60_000),
    });
    status = response.status;
    const reader = response.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (firstByteMs === 0) firstByteMs = performance.now() - started;
      bytes += value.byteLength;
      for (let i = value.indexOf(10); i >= 0; i = value.indexOf(10, i + 1)) newlines++;
    }
  } finally {
    clearInterval(sampler);
  }
  const elapsed = performance.now() - started;
  const cpuAfter = treeCpuMs(server.pid);
  const result = {
    seconds: elapsed / 1000,
    firstByteMs,
    bytes,
    rows: Math.max(0, newlines - 1),
    status,
    serverCpu: cpuBefore != null && cpuAfter != null ? ((cpuAfter - cpuBefore) / elapsed) * 100 : null,
    hwmBeforeKb,
    hwmAfterKb: processMemoryKb(server.pid, "VmHWM"),
    rssBeforeKb,
    peakRssKb,
  };
  log(
    `CSV: ${fmt.int(result.rows)} rows, ${fmt.mb(bytes)} in ${result.seconds.toFixed(1)} s; VmHWM ${fmt.kbAsMb(result.hwmBeforeKb)} → ${fmt.kbAsMb(result.hwmAfterKb)}`,
  );
  return result;
}

/** A signing or page-view run against a server started with --cpu-prof. */
async function profileRun(results: Results, kind: "signing" | "page" | "floor"): Promise<void> {
  const profileDir = join(TMP, `profile-${kind}`);
  mkdirSync(profileDir, { recursive: true });
  const server = await startUndersign(`undersign --cpu-prof (${kind})`, join(TMP, `data-profile-${kind}`), [
    "--cpu-prof",
    "--cpu-prof-dir",
    profileDir,
  ]);
  let measurement: Measurement;
  let window: { fromUs: number; toUs: number };
  try {
    const load =
      kind === "signing"
        ? signingJsonLoad(server, "profiled: undersign JSON signing")
        : kind === "page"
          ? getLoad(server, "profiled: undersign GET /d/:slug", `/d/${SLUG}`)
          : getLoad(server, "profiled: undersign GET /healthz", "/healthz");
    if (WARMUP > 0) await measure({ ...load, seconds: WARMUP });
    await sleep(300);
    // Only the timed run goes into the summary, not the start-up and warm-up.
    const fromUs = Number(process.hrtime.bigint() / 1000n);
    measurement = await measure(load);
    window = { fromUs, toUs: Number(process.hrtime.bigint() / 1000n) };
    log(describe(measurement));
  } finally {
    // SIGTERM lets main.ts close and exit, which writes the profile.
    await stop(server);
  }
  const file = readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"));
  if (file == null) {
    log(`no .cpuprofile was written for the ${kind} run`);
    return;
  }
  const keptDir = join(tmpdir(), "undersign-bench-profiles");
  mkdirSync(keptDir, { recursive: true });
  const kept = join(keptDir, `${results.started.toISOString().replace(/[:.]/g, "-")}-${kind}.cpuprofile`);
  copyFileSync(join(profileDir, file), kept);
  const summary = formatSummary(summariseProfile(kept, 25, window), 25, measurement.ok + measurement.unexpected);
  results.profiles.push({ kind, measurement, file: kept, summary });
  log(`profile of the ${kind} run: ${kept}`);
}

// ---------------------------------------------------------------- report

function ratio(a: Measurement | undefined, b: Measurement | undefined): number {
  return a != null && b != null && b.rps > 0 ? a.rps / b.rps : Number.NaN;
}

function signingGoalMet(r: Results): boolean {
  return ratio(r.signJson, r.insertFull) >= GOALS.signingRatio && (r.signJson?.p99 ?? Infinity) < GOALS.signingP99;
}

/** Server CPU time per request of `b` over that of `a`: the throughput ratio a server alone on its core would reach. */
function cpuRatio(a: Measurement | undefined, b: Measurement | undefined): number {
  const perRequest = (m: Measurement | undefined) =>
    m?.serverCpu == null || m.serverRps === 0 ? Number.NaN : m.serverCpu / m.serverRps;
  return perRequest(b) / perRequest(a);
}

function pageGoalMet(r: Results): boolean {
  return ratio(r.page0, r.staticPage) >= GOALS.pageRatio;
}

function measurementTable(list: (Measurement | undefined)[]): Table {
  const rows = list
    .filter((m): m is Measurement => m != null)
    .map((m) => [
      m.label,
      String(m.connections),
      fmt.int(m.rps),
      fmt.ms(m.p50),
      fmt.ms(m.p99),
      fmt.ms(m.max),
      fmt.ms(m.p99Open),
      fmt.ms(m.maxOpen),
      String(m.errors),
      m.unexpected === 0
        ? "0"
        : `${m.unexpected} (all: ${Object.entries(m.statuses)
            .map(([s, n]) => `${s}×${n}`)
            .join(" ")})`,
      fmt.pct(m.serverCpu),
      m.serverCpu == null || m.serverRps === 0 ? "n/a" : fmt.int(((m.serverCpu / 100) * 1e6) / m.serverRps),
      fmt.pct(m.driverCpu),
      fmt.pct(m.otherCpu),
    ]);
  return {
    headers: [
      "Scenario",
      "Conns",
      "OK req/s",
      "p50 ms",
      "p99 ms",
      "max ms",
      "p99 open",
      "max open",
      "Errors",
      "Other status",
      "Server CPU",
      "CPU µs/req",
      "Driver CPU",
      "Other CPU",
    ],
    align: ["l", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r"],
    rows,
  };
}

function goalsTable(r: Results): Table {
  const pass = (ok: boolean) => (ok ? "met" : "MISSED");
  const signRatio = ratio(r.signJson, r.insertFull);
  const formRatio = ratio(r.signForm, r.insertFull);
  const pageRatio = ratio(r.page0, r.staticPage);
  const rows: string[][] = [
    [
      "JSON signing / bare insert (FULL)",
      fmt.ratio(signRatio),
      `≥ ${GOALS.signingRatio}`,
      pass(signRatio >= GOALS.signingRatio),
    ],
    [
      "JSON signing p99",
      `${fmt.ms(r.signJson?.p99 ?? Number.NaN)} ms`,
      `< ${GOALS.signingP99} ms`,
      pass((r.signJson?.p99 ?? Infinity) < GOALS.signingP99),
    ],
    [
      "JSON signing p99 on open connections",
      `${fmt.ms(r.signJson?.p99Open ?? Number.NaN)} ms`,
      `< ${GOALS.signingP99} ms`,
      pass((r.signJson?.p99Open ?? Infinity) < GOALS.signingP99),
    ],
    [
      "Form signing / bare insert (FULL)",
      fmt.ratio(formRatio),
      `≥ ${GOALS.signingRatio}`,
      pass(formRatio >= GOALS.signingRatio),
    ],
    [
      "Form signing p99",
      `${fmt.ms(r.signForm?.p99 ?? Number.NaN)} ms`,
      `< ${GOALS.signingP99} ms`,
      pass((r.signForm?.p99 ?? Infinity) < GOALS.signingP99),
    ],
    [
      "Page view (0 signatures) / static",
      fmt.ratio(pageRatio),
      `≥ ${GOALS.pageRatio}`,
      pass(pageRatio >= GOALS.pageRatio),
    ],
    [
      "Page view after signing / static",
      fmt.ratio(ratio(r.pageAfterSigning, r.staticPage)),
      `≥ ${GOALS.pageRatio}`,
      pass(ratio(r.pageAfterSigning, r.staticPage) >= GOALS.pageRatio),
    ],
    [
      "/healthz / static",
      fmt.ratio(ratio(r.health, r.staticPage)),
      `≥ ${GOALS.healthRatio}`,
      pass(ratio(r.health, r.staticPage) >= GOALS.healthRatio),
    ],
    [
      "/healthz / static, by server CPU per request",
      fmt.ratio(cpuRatio(r.health, r.staticPage)),
      "(info: what a quiet machine would show)",
      "",
    ],
    [
      "Page view (0 signatures) / static, by server CPU per request",
      fmt.ratio(cpuRatio(r.page0, r.staticPage)),
      "(info: what a quiet machine would show)",
      "",
    ],
    [
      "Page view (0 signatures) / static 8 KB page",
      fmt.ratio(ratio(r.page0, r.staticPage8k)),
      "(info: same bytes on the wire)",
      "",
    ],
    ["Page view while signing / page alone", fmt.ratio(ratio(r.concurrentPage, r.pageAfterSigning)), "(info)", ""],
    [
      "Bare insert FULL / NORMAL",
      fmt.ratio(ratio(r.insertFull, r.insertNormal)),
      "(info: cost of fsync per commit)",
      "",
    ],
  ];
  return { headers: ["Ratio", "Value", "Goal", "Result"], align: ["l", "r", "l", "l"], rows };
}

function scalingTable(r: Results): Table {
  const cell = (m: Measurement | undefined, f: (m: Measurement) => string) => (m ? f(m) : "n/a");
  const mid = r.integrity != null ? `~${fmt.int(r.integrity.counter)}` : "after signing";
  const n = fmt.int(SIGNATURES);
  const row = (
    name: string,
    zero: Measurement | undefined,
    middle: Measurement | undefined,
    many: Measurement | undefined,
  ): string[] => [
    name,
    cell(zero, (m) => fmt.int(m.rps)),
    cell(middle, (m) => fmt.int(m.rps)),
    cell(many, (m) => fmt.int(m.rps)),
    fmt.ratio(ratio(many, zero)),
    middle ? fmt.ratio(ratio(many, middle)) : "",
    cell(zero, (m) => fmt.ms(m.p99)),
    cell(middle, (m) => fmt.ms(m.p99)),
    cell(many, (m) => fmt.ms(m.p99)),
  ];
  return {
    headers: [
      "Endpoint",
      "req/s at 0",
      `req/s at ${mid}`,
      `req/s at ${n}`,
      `${n} / 0`,
      `${n} / ${mid}`,
      "p99 ms at 0",
      `p99 at ${mid}`,
      `p99 at ${n}`,
    ],
    align: ["l", "r", "r", "r", "r", "r", "r", "r", "r"],
    rows: [
      row("GET /d/:slug", r.page0, r.pageAfterSigning, r.page1M),
      row("GET /api/declarations/:slug", r.api0, undefined, r.api1M),
    ],
  };
}

function keysetTable(r: Results): Table {
  const first = r.listFirst1M;
  const last = r.listDeep1M;
  return {
    headers: [
      `GET /d/:slug/signatures with ${fmt.int(SIGNATURES)} signatures`,
      "req/s",
      "p50 ms",
      "p99 ms",
      "CPU µs/req",
    ],
    align: ["l", "r", "r", "r", "r"],
    rows: [
      ["first page (newest 50)", first],
      [`last page (?before=${r.deepBefore})`, last],
    ].map(([name, m]) => {
      const x = m as Measurement | undefined;
      return [
        name as string,
        x ? fmt.int(x.rps) : "n/a",
        x ? fmt.ms(x.p50) : "n/a",
        x ? fmt.ms(x.p99) : "n/a",
        x?.serverCpu != null && x.serverRps > 0 ? fmt.int(((x.serverCpu / 100) * 1e6) / x.serverRps) : "n/a",
      ];
    }),
  };
}

function csvTable(r: Results): Table | null {
  const c = r.csv;
  if (c == null) return null;
  return {
    headers: ["CSV export", "Value"],
    align: ["l", "r"],
    rows: [
      ["HTTP status", String(c.status)],
      ["Rows", fmt.int(c.rows)],
      ["Size", fmt.mb(c.bytes)],
      ["Time to first byte", `${fmt.ms(c.firstByteMs)} ms`],
      ["Total time", `${c.seconds.toFixed(2)} s`],
      ["Rows per second", fmt.int(c.rows / c.seconds)],
      ["Server CPU during export", fmt.pct(c.serverCpu)],
      ["Server RSS before export", fmt.kbAsMb(c.rssBeforeKb)],
      ["Server peak RSS during export (sampled every 25 ms)", fmt.kbAsMb(c.peakRssKb)],
      ["Server VmHWM before → after export", `${fmt.kbAsMb(c.hwmBeforeKb)} → ${fmt.kbAsMb(c.hwmAfterKb)}`],
    ],
  };
}

function render(r: Results, table: (t: Table) => string, heading: (level: number, text: string) => string): string {
  const m = r.machine;
  const out: string[] = [];
  out.push(heading(2, `${r.started.toISOString().slice(0, 16).replace("T", " ")} UTC`));
  out.push(
    [
      `Machine: ${m.cpus} CPUs (nproc), ${m.cpuModel}, ${m.memory} RAM, ${m.os}; temp files on ${m.tmpFilesystem}.`,
      `Code: undersign ${m.revision}.`,
      `Software: Node ${m.node}, SQLite ${m.sqlite} (better-sqlite3 ${m.betterSqlite3}), autocannon ${m.autocannon}.`,
      `Settings: BENCH_SECONDS=${SECONDS} per run after a ${WARMUP} s warm-up, ${CONNECTIONS} connections, BENCH_SIGNATURES=${SIGNATURES}, BENCH_PUBLIC_SHARE=${PUBLIC_SHARE}; ` +
        `load generated by one autocannon process (the driver) on the same machine; servers are separate processes on 127.0.0.1. ` +
        `undersign runs as \`node --import tsx src/main.ts\` with PROOF_OF_WORK=off, rate limits off, DUPLICATE_WINDOW=0s, LOG_LEVEL=warning.`,
      `"Server CPU" is the CPU time of the server's processes (with several HTTP processes, all of them) during the run in % of one core (each process's main thread cannot use more than ~100 %); ` +
        `"CPU µs/req" is server CPU time per request (for concurrent runs: per request of both runs together); "Driver CPU" is the same for the autocannon process; "Other CPU" is what the rest of the machine used meanwhile (noise from other work on the machine). "OK req/s" counts only the expected status (200, 201 or 303). ` +
        `p50/p99/max are autocannon's, over every request; "p99 open"/"max open" leave out each connection's first request: ` +
        `a CPU-saturated Node server admits about one new connection per event-loop turn, so at the start of every run the first request ` +
        `of the last-admitted connections waits up to ~1.5 s (a bare node:http server that spends 1 ms per request shows the same), which dominates "max".`,
    ].join("\n"),
  );
  out.push(heading(3, "Throughput and latency"));
  out.push(
    table(
      measurementTable([
        r.insertFull,
        r.insertNormal,
        r.staticPage,
        r.staticPage8k,
        r.signJson,
        r.signForm,
        r.health,
        r.page0,
        r.api0,
        r.concurrentSign,
        r.concurrentPage,
        r.pageAfterSigning,
        r.page1M,
        r.api1M,
        r.listFirst1M,
        r.listDeep1M,
      ]),
    ),
  );
  out.push(heading(3, "Goals"));
  out.push(table(goalsTable(r)));
  if (r.integrity != null) {
    const i = r.integrity;
    const extra = i.counter - i.acknowledged;
    const ok = i.counter === i.rows && extra >= 0 && extra <= i.unansweredBound;
    out.push(
      `Integrity after the signing runs: counter ${fmt.int(i.counter)}, confirmed rows ${fmt.int(i.rows)}; ` +
        `${fmt.int(i.acknowledged)} signatures acknowledged to autocannon (201/303, warm-ups included) and ${fmt.int(extra)} more committed ` +
        `whose answers autocannon dropped when it stopped (at most ${i.unansweredBound}: one per connection and run) — ` +
        `${ok ? "consistent, no acknowledged signature lost" : "INCONSISTENT"}.`,
    );
  }
  out.push(heading(3, `Page time with ${fmt.int(SIGNATURES)} signatures`));
  if (r.prefill != null) {
    out.push(
      `Prefill: ${fmt.int(r.prefill.inserted)} confirmed signatures (${fmt.int(r.prefill.publicCount)} of them public) in ${r.prefill.seconds.toFixed(1)} s ` +
        `(${fmt.int(r.prefill.inserted / r.prefill.seconds)} rows/s), database ${fmt.mb(r.prefill.fileBytes)}, ` +
        `counter ${fmt.int(r.prefill.signatureCount)}; deep page: before=${r.deepBefore}.`,
    );
  }
  out.push(
    `The page shows the latest 10 public signers: none at 0, ten from the signing runs at ${r.integrity != null ? `~${fmt.int(r.integrity.counter)}` : "the middle column"} ` +
      `(measured on the first server, after the signing runs) and ten at ${fmt.int(SIGNATURES)}, so the middle column is the like-for-like comparison for the page.`,
  );
  out.push(table(scalingTable(r)));
  if (r.listFirst1M != null) out.push(table(keysetTable(r)));
  const csv = csvTable(r);
  if (csv != null) out.push(table(csv));
  out.push(heading(3, "What limits it"));
  if (r.profiles.length === 0) {
    out.push(
      PROFILE === "off"
        ? "Profiling was switched off (BENCH_PROFILE=off)."
        : "Every goal was met; no profile was taken (BENCH_PROFILE=on forces one).",
    );
  }
  for (const p of r.profiles) {
    out.push(heading(4, `Profile: ${p.measurement.label.replace(/^profiled: /, "")}`));
    out.push(
      `Server started with \`node --cpu-prof --import tsx src/main.ts\` (${fmt.int(p.measurement.rps)} req/s, p99 ${fmt.ms(p.measurement.p99)} ms ` +
        `while profiling, server CPU ${fmt.pct(p.measurement.serverCpu)}); profile kept at \`${p.file}\` ` +
        `(the tables cover the timed run only, not start-up or warm-up).`,
    );
    out.push(p.summary);
  }
  if (r.federation != null) out.push(renderFederation(r.federation, table, heading).trimEnd());
  return `${out.join("\n\n")}\n`;
}

const markdownHeading = (level: number, text: string) => `${"#".repeat(level)} ${text}`;
const textHeading = (level: number, text: string) =>
  level <= 2 ? `\n=== ${text} ===` : level === 3 ? `\n--- ${text} ---` : `-- ${text}`;

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const results: Results = { machine: describeMachine(TMP), started: new Date(), profiles: [] };
  log(
    `benchmark: ${SECONDS} s per run, ${WARMUP} s warm-up, ${CONNECTIONS} connections, ${fmt.int(SIGNATURES)} prefilled signatures; temp folder ${TMP}`,
  );
  await baselines(results);
  await signingAndPages(results);
  if (SIGNATURES > 0) await manySignatures(results);
  if (PROFILE === "on" || (PROFILE === "auto" && !signingGoalMet(results))) await profileRun(results, "signing");
  if (PROFILE === "on" || (PROFILE === "auto" && !pageGoalMet(results))) {
    await profileRun(results, "page");
    // What every request pays before its handler runs (middleware, Fedify, routing).
    await profileRun(results, "floor");
  }
  if (FEDERATION)
    results.federation = await runFederationBench({ tmp: TMP, log, profile: PROFILE, machine: results.machine });
  results.finished = new Date();

  process.stdout.write(render(results, textTable, textHeading));
  if (WRITE_RESULTS) {
    if (!existsSync(RESULTS)) {
      writeFileSync(
        RESULTS,
        "# undersign benchmark results\n\n" +
          "Written by `npm run bench` (bench/run.ts); each run appends a dated section. " +
          "Goals: JSON signing ≥ 0.7 × a bare Hono + better-sqlite3 insert with the same durability (WAL, synchronous=FULL) " +
          "and p99 < 50 ms; the Declaration page ≥ 0.5 × a bare static Hono response; page time independent of the number of signatures.\n",
      );
    }
    appendFileSync(RESULTS, `\n${render(results, markdownTable, markdownHeading)}`);
    log(`appended the results to ${RESULTS}`);
  }
}

try {
  await main();
} catch (error) {
  process.stderr.write(`\nbench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
} finally {
  killAll();
  clearTimeout(watchdog);
  cleanTmp();
}
