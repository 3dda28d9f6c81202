/**
 * `npm run bench:scaling`: what `npm start` gets from more processes, and what
 * each process costs in memory (decisions 0022 and 0023).
 *
 * Baselines first, in the same run: a bare static Hono response (one
 * process), a bare Hono + better-sqlite3 insert (WAL, synchronous=FULL), and
 * — with /usr/sbin/nginx — nginx serving a static file over TLS.  Then, for
 * each WEB_CONCURRENCY in SCALING_WEB (default "1,2,<cores>", duplicates
 * dropped), undersign is started as `npm start` starts it (the node flags of
 * SCALING_NODE_FLAGS, default the ones `npm start` uses) and measured:
 *
 * - RSS of every process (primary, HTTP, worker) at idle, 5 s after start;
 * - page views GET /d/{slug} (SCALING_PAGE_CONNECTIONS, 32) straight to the
 *   app and, with nginx, through the shipped configuration (bench/nginx.ts);
 * - signings POST /api/declarations/{slug}/signatures (SCALING_SIGN_CONNECTIONS, 16);
 * - the highest RSS of every process while loaded.
 *
 * SCALING_FLAG_SWEEP (e.g. "default;--max-semi-space-size=16;--max-semi-space-size=8")
 * repeats the whole measurement at the largest WEB_CONCURRENCY for each set
 * of node flags instead ("default" = no flag).  SCALING_SECONDS (8) per load.
 * The report is printed and appended to bench/RESULTS.md (SCALING_RESULTS=off: not).
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { nginxInstalled, startNginx, writeNginxConfig, type RunningNginx } from "./nginx.ts";
import {
  envInt,
  freePort,
  installCleanupHandlers,
  processMemoryKb,
  processTree,
  sleep,
  startInsertBaseline,
  startServer,
  startStaticBaseline,
  stopServer,
  undersignEnv,
  type Server,
} from "./processes.ts";

const ROOT = join(import.meta.dirname, "..");
const SLUG = "digital-independence";
const SECONDS = envInt("SCALING_SECONDS", 8, 1, 600);
const PAGE_CONNECTIONS = envInt("SCALING_PAGE_CONNECTIONS", 32, 1, 1000);
const SIGN_CONNECTIONS = envInt("SCALING_SIGN_CONNECTIONS", 16, 1, 1000);
const CORES = availableParallelism();
const WEB = [
  ...new Set(
    (process.env.SCALING_WEB ?? `1,2,${CORES}`)
      .split(",")
      .map((s) => Number(s.trim()))
      .filter((n) => Number.isInteger(n) && n >= 1),
  ),
];

/** The node flags of `npm start` (package.json), so that the benchmark measures what a site owner runs. */
function startFlags(): string[] {
  const scripts = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> })
    .scripts;
  const start = scripts.start ?? "";
  return start
    .split(/\s+/)
    .filter((word) => word.startsWith("--") && word !== "--import")
    .filter((word) => word !== "tsx");
}

const DEFAULT_FLAGS =
  process.env.SCALING_NODE_FLAGS == null ? startFlags() : process.env.SCALING_NODE_FLAGS.split(/\s+/).filter(Boolean);
const SWEEP = process.env.SCALING_FLAG_SWEEP?.split(";").map((s) =>
  s.trim() === "default" ? [] : s.trim().split(/\s+/),
);

interface LoadResult {
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly non2xx: number;
}

async function load(url: string, request: autocannon.Request, connections: number): Promise<LoadResult> {
  const result = await autocannon({ url, connections, duration: SECONDS, requests: [request], timeout: 20 });
  return {
    perSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

/** The pids of `root` and its descendants, with each process's role (from its environment). */
function processRoles(root: number): { pid: number; role: string }[] {
  return processTree(root).map((pid) => {
    let role = pid === root ? "primary" : "child";
    try {
      const env = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
      const r = env.find((e) => e.startsWith("UNDERSIGN_PROCESS_ROLE="))?.split("=")[1];
      const i = env.find((e) => e.startsWith("UNDERSIGN_PROCESS_INDEX="))?.split("=")[1];
      if (r != null) role = `${r}.${i}`;
    } catch {
      // Not readable.
    }
    return { pid, role };
  });
}

/** Samples the RSS (MB) of every process of the tree until stopped; keeps each role's highest. */
function rssSampler(root: number) {
  const peak = new Map<string, number>();
  const sample = () => {
    for (const { pid, role } of processRoles(root)) {
      const kb = processMemoryKb(pid, "VmRSS");
      if (kb != null && role !== "child") peak.set(role, Math.max(peak.get(role) ?? 0, Math.round(kb / 1024)));
    }
  };
  sample();
  const timer = setInterval(sample, 500);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

const formatRss = (rss: Map<string, number>) =>
  [...rss.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([role, mb]) => `${role} ${mb}`)
    .join(", ");

interface Row {
  label: string;
  web: number;
  flags: string;
  idle: Map<string, number>;
  loaded: Map<string, number>;
  pages: LoadResult;
  pagesNginx: LoadResult | null;
  signings: LoadResult;
}

async function measureSite(
  web: number,
  flags: string[],
  dir: string,
  nginxStatic: { port: number } | null,
): Promise<Row> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(dir, `site-${web}-`));
  const site: Server = await startServer({
    name: `undersign WEB_CONCURRENCY=${web}`,
    args: [...flags, "--import", "tsx", "src/main.ts"],
    cwd: ROOT,
    env: undersignEnv(port, dataDir, { WEB_CONCURRENCY: String(web), NODE_ENV: "production", TRUST_PROXY: "loopback" }),
    port,
    readyPath: "/healthz",
    readyTimeoutMs: 180_000,
  });
  let nginx: RunningNginx | null = null;
  try {
    // Every process up (the primary, the HTTP processes, the worker), then idle.
    const expected = web === 1 ? 1 : web + 2;
    const deadline = Date.now() + 180_000;
    while (processRoles(site.pid).filter((p) => p.role !== "child").length < expected && Date.now() < deadline)
      await sleep(200);
    await sleep(5000);
    const idle = rssSampler(site.pid).stop();
    const sampler = rssSampler(site.pid);
    const pages = await load(site.url, { method: "GET", path: `/d/${SLUG}` }, PAGE_CONNECTIONS);
    let pagesNginx: LoadResult | null = null;
    if (nginxStatic != null) {
      const ports = { app: port, https: await freePort(), http: await freePort(), static: await freePort() };
      nginx = await startNginx(writeNginxConfig(mkdtempSync(join(dir, "nginx-")), ports), ports.https);
      pagesNginx = await load(
        `https://127.0.0.1:${ports.https}`,
        { method: "GET", path: `/d/${SLUG}` },
        PAGE_CONNECTIONS,
      );
    }
    const signings = await load(
      site.url,
      {
        method: "POST",
        path: `/api/declarations/${SLUG}/signatures`,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "Scaling Signer", public: true }),
      },
      SIGN_CONNECTIONS,
    );
    const loaded = sampler.stop();
    return {
      label: `undersign, WEB_CONCURRENCY=${web}`,
      web,
      flags: flags.join(" ") || "(none)",
      idle,
      loaded,
      pages,
      pagesNginx,
      signings,
    };
  } finally {
    await nginx?.stop();
    await stopServer(site, 15_000);
  }
}

async function main(): Promise<void> {
  installCleanupHandlers(() => process.exit(130));
  const dir = mkdtempSync(join(process.env.BENCH_TMPDIR || tmpdir(), "undersign-scaling-"));
  const startLoad = loadavg()[0]!;
  const lines: string[] = [];
  const say = (line: string) => {
    lines.push(line);
    process.stdout.write(`${line}\n`);
  };
  try {
    // ---- baselines
    const staticServer = await startStaticBaseline();
    const baseStatic = await load(staticServer.url, { method: "GET", path: "/" }, PAGE_CONNECTIONS).finally(() =>
      stopServer(staticServer),
    );
    const insertServer = await startInsertBaseline(join(dir, "baseline.sqlite"));
    const baseInsert = await load(
      insertServer.url,
      { method: "POST", path: "/", headers: { "content-type": "application/json" }, body: '{"name":"x"}' },
      SIGN_CONNECTIONS,
    ).finally(() => stopServer(insertServer));
    let baseNginx: LoadResult | null = null;
    if (nginxInstalled()) {
      const ports = {
        app: await freePort(),
        https: await freePort(),
        http: await freePort(),
        static: await freePort(),
      };
      const nginx = await startNginx(writeNginxConfig(mkdtempSync(join(dir, "nginx-")), ports), ports.static);
      baseNginx = await load(
        `https://127.0.0.1:${ports.static}`,
        { method: "GET", path: "/" },
        PAGE_CONNECTIONS,
      ).finally(() => nginx.stop());
    }

    // ---- undersign
    const rows: Row[] = [];
    const runs: { web: number; flags: string[] }[] =
      SWEEP == null
        ? WEB.map((web) => ({ web, flags: DEFAULT_FLAGS }))
        : SWEEP.map((flags) => ({ web: Math.max(...WEB), flags }));
    for (const run of runs) {
      const row = await measureSite(run.web, run.flags, dir, baseNginx == null ? null : { port: 0 });
      rows.push(row);
      process.stdout.write(
        `WEB_CONCURRENCY=${row.web} flags ${row.flags}: pages ${row.pages.perSecond}/s${row.pagesNginx ? `, via nginx ${row.pagesNginx.perSecond}/s` : ""}, signings ${row.signings.perSecond}/s; RSS idle ${formatRss(row.idle)}; loaded ${formatRss(row.loaded)}\n`,
      );
    }

    // ---- report
    const endLoad = loadavg()[0]!;
    say(
      `\n## ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC — processes and memory (\`npm run bench:scaling\`)\n`,
    );
    say(
      `${CORES} cores available; 1-minute load average ${startLoad.toFixed(2)} at the start, ${endLoad.toFixed(2)} at the end (a shared, busy machine: the figures are for comparison within this run). ${SECONDS} s per load; ${PAGE_CONNECTIONS} connections for pages, ${SIGN_CONNECTIONS} for signings.\n`,
    );
    say(
      `Baselines: static Hono ${baseStatic.perSecond}/s (p99 ${baseStatic.p99} ms); bare insert ${baseInsert.perSecond}/s (p99 ${baseInsert.p99} ms)${baseNginx ? `; nginx static file over TLS ${baseNginx.perSecond}/s (p99 ${baseNginx.p99} ms)` : ""}.\n`,
    );
    say(
      "| run | node flags | pages/s (p99 ms) | × static Hono | via nginx/s (p99 ms) | × nginx static | signings/s (p99 ms) | × bare insert | RSS MB idle | RSS MB loaded (peak) |",
    );
    say("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const r of rows) {
      say(
        `| ${r.label} | ${r.flags} | ${r.pages.perSecond} (${r.pages.p99}) | ${(r.pages.perSecond / baseStatic.perSecond).toFixed(2)} | ${r.pagesNginx ? `${r.pagesNginx.perSecond} (${r.pagesNginx.p99})` : "–"} | ${r.pagesNginx && baseNginx ? (r.pagesNginx.perSecond / baseNginx.perSecond).toFixed(2) : "–"} | ${r.signings.perSecond} (${r.signings.p99}) | ${(r.signings.perSecond / baseInsert.perSecond).toFixed(2)} | ${formatRss(r.idle)} | ${formatRss(r.loaded)} |`,
      );
    }
    const failed = rows.flatMap((r) =>
      [r.pages, r.signings, ...(r.pagesNginx ? [r.pagesNginx] : [])].filter((l) => l.errors > 0 || l.non2xx > 0),
    );
    say(
      failed.length === 0
        ? "\nEvery request answered 2xx."
        : `\n${failed.length} loads had errors or non-2xx answers (see the printed lines).`,
    );
    if ((process.env.SCALING_RESULTS ?? "").toLowerCase() !== "off")
      appendFileSync(join(ROOT, "bench", "RESULTS.md"), `${lines.join("\n")}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
