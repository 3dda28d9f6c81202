/**
 * Diffs under load (`npm run bench:diffs`): does the thread that serves pages
 * stay free while the worst diffs a site can be asked for are worked out?
 *
 * The real server (`node --import tsx src/main.ts`, a file database) gets a
 * Declaration whose 12 versions are the worst texts of the largest size a
 * Declaration can hold (200 KB; test/helpers/diff-texts.ts).  Then, in the
 * same run:
 *
 *  1. Baseline: `/healthz` asked every 10 ms for BENCH_DIFF_SECONDS, with no
 *     other load: its p50, p99 and max.
 *  2. Load: BENCH_DIFF_CLIENTS clients ask, back to back, for diffs of those
 *     versions — half `/d/{slug}/diff/{a}..{b}` over all 264 pairs and views
 *     (more than the 200 kept, so most are worked out again), half the copy
 *     editor's preview of the worst text (never kept) — while `/healthz` is
 *     asked as in 1.  Goal: p99 < 100 ms.
 *
 * `/healthz` is timed from a worker thread of this process, so the load
 * clients' own work (reading megabytes of HTML) does not delay its timing.
 * Also reported: what one worst diff costs in this process (CPU), the
 * answers the load got (200, or 503 when the diff pool's queue was full or a
 * job missed its deadline), and the server's CPU use (its diff workers
 * included).  Results are printed and appended to bench/RESULTS.md with the
 * date and the machine's 1-minute load average (the machine may be shared).
 *
 * The server's own event-loop delay in each phase comes from
 * bench/loop-delay.ts, preloaded into it.
 *
 * Variables: BENCH_DIFF_SECONDS (20), BENCH_DIFF_CLIENTS (8), BENCH_RESULTS
 * (off: do not write RESULTS.md), BENCH_KEEP (1 keeps the temp folder),
 * BENCH_DIFF_PROFILE (a folder: the server runs with --cpu-prof into it).
 */
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Worker } from "node:worker_threads";
import { createAccount, createSession, findAccountByUsername } from "../src/db/accounts.ts";
import { appendRevision, createDeclaration, getDeclarationBySlug } from "../src/db/declarations.ts";
import { MAX_DIFF_TEXT_BYTES, runDiffJob } from "../src/diff/index.ts";
import { openSiteDatabase } from "../src/setup.ts";
import { BODY_MAX_BYTES } from "../src/web/copies/copies.tsx";
import {
  interleaved,
  listItems,
  oneParagraph,
  shuffledParagraphs,
  tinyParagraphs,
} from "../test/helpers/diff-texts.ts";
import {
  envInt,
  freePort,
  installCleanupHandlers,
  killAll,
  processCpuMs,
  sleep,
  startServer,
  stopServer,
  undersignEnv,
} from "./processes.ts";
import { describeMachine, fmt, markdownTable, textTable, type Table } from "./report.ts";

const ROOT = resolve(import.meta.dirname, "..");
const RESULTS = join(import.meta.dirname, "RESULTS.md");
const SECONDS = envInt("BENCH_DIFF_SECONDS", 20, 2, 600);
const CLIENTS = envInt("BENCH_DIFF_CLIENTS", 8, 2, 200);
const PROBE_INTERVAL_MS = 10;
const SLUG = "worst-texts";
const GOAL_P99_MS = 100;

/** The 12 versions: the worst kinds of text, each at the largest size a Declaration holds. */
function versions(): string[] {
  const out: string[] = [];
  for (let seed = 1; seed <= 3; seed++) {
    const [a, b] = tinyParagraphs(BODY_MAX_BYTES, seed);
    out.push(a, b);
  }
  out.push(
    ...listItems(BODY_MAX_BYTES),
    ...interleaved(BODY_MAX_BYTES),
    ...oneParagraph(BODY_MAX_BYTES),
    shuffledParagraphs(BODY_MAX_BYTES)[0],
  );
  return out.slice(0, 12);
}

/** The site's database, made before the server starts: the Declaration and an author with a session. */
function seed(dataDir: string, texts: readonly string[]): { session: string } {
  const db = openSiteDatabase({ dataDir });
  try {
    const d = createDeclaration(db, {
      slug: SLUG,
      title: "The worst texts",
      summary: "",
      license: "",
      hashtags: [],
      language: "en",
      body: texts[0]!,
      origin: "site",
    });
    for (const body of texts.slice(1)) {
      const latest = getDeclarationBySlug(db, SLUG)!;
      db.transaction((tx) =>
        appendRevision(tx, latest, { title: d.title, summary: "", body, changeSummary: "", origin: "site" }),
      );
    }
    createAccount(db, { username: "bench", passwordHash: "unused", role: "author" });
    const { token } = createSession(db, findAccountByUsername(db, "bench")!.id);
    // The server's origin is http://localhost:…: its cookies have no __Host- prefix (src/web/session.ts).
    return { session: `session=${token}` };
  } finally {
    db.$client.close();
  }
}

interface Probe {
  samples: number;
  failed: number;
  p50: number;
  p99: number;
  max: number;
}

/** Plain JavaScript for the probe's worker thread: GET /healthz every PROBE_INTERVAL_MS, each timed. */
const PROBE_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
(async () => {
  const { url, seconds, intervalMs } = workerData;
  const times = [];
  let failed = 0;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    const start = performance.now();
    try {
      const res = await fetch(url + "/healthz", { signal: AbortSignal.timeout(30000) });
      await res.text();
      if (res.status !== 200) failed++;
    } catch {
      failed++;
    }
    times.push(performance.now() - start);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  parentPort.postMessage({ times, failed });
})();
`;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function probeHealthz(url: string, seconds: number): Promise<Probe> {
  const worker = new Worker(PROBE_SOURCE, { eval: true, workerData: { url, seconds, intervalMs: PROBE_INTERVAL_MS } });
  const { times, failed } = await new Promise<{ times: number[]; failed: number }>((resolveProbe, reject) => {
    worker.once("message", resolveProbe);
    worker.once("error", reject);
  });
  await worker.terminate();
  const sorted = [...times].sort((a, b) => a - b);
  return {
    samples: sorted.length,
    failed,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
  };
}

interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
  samples: number;
}

/** The server's event-loop delay since the previous call (bench/loop-delay.ts answers SIGUSR2 on its output). */
async function loopDelay(server: {
  pid: number;
  child: { kill: (signal: NodeJS.Signals) => boolean };
  output: () => string;
}): Promise<LoopDelay | null> {
  const before = server.output().split("loop-delay ").length;
  server.child.kill("SIGUSR2");
  for (let i = 0; i < 100; i++) {
    const parts = server.output().split("loop-delay ");
    if (parts.length > before) return JSON.parse(parts[parts.length - 1]!.split("\n")[0]!) as LoopDelay;
    await sleep(20);
  }
  return null;
}

interface LoadCounts {
  requests: number;
  statuses: Record<string, number>;
  times: number[];
}

/** Clients asking back to back until `stop`: diffs of version pairs, and copy-editor previews. */
function startLoad(url: string, count: number, texts: readonly string[], auth: { cookie: string; csrf: string }) {
  const counts = {
    diff: { requests: 0, statuses: {}, times: [] } as LoadCounts,
    preview: { requests: 0, statuses: {}, times: [] } as LoadCounts,
  };
  const pairs: string[] = [];
  for (let a = 1; a <= texts.length; a++)
    for (let b = 1; b <= texts.length; b++)
      if (a !== b) for (const view of ["inline", "side"]) pairs.push(`/d/${SLUG}/diff/${a}..${b}?view=${view}`);
  let stopped = false;
  const record = (into: LoadCounts, status: string, start: number) => {
    into.requests++;
    into.statuses[status] = (into.statuses[status] ?? 0) + 1;
    into.times.push(performance.now() - start);
  };
  const client = async (i: number) => {
    const preview = i % 2 === 1;
    for (let n = 0; !stopped; n++) {
      const start = performance.now();
      try {
        const res = preview
          ? await fetch(`${url}/d/${SLUG}/copy`, {
              method: "POST",
              headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: auth.cookie },
              body: new URLSearchParams({
                csrf: auth.csrf,
                v: "1",
                title: "Mine",
                slug: "",
                summary: "",
                body: texts[(i + n) % texts.length]!,
                action: "preview",
              }).toString(),
              redirect: "manual",
              signal: AbortSignal.timeout(60_000),
            })
          : await fetch(url + pairs[(i * 37 + n * 7) % pairs.length]!, {
              redirect: "manual",
              signal: AbortSignal.timeout(60_000),
            });
        await res.arrayBuffer();
        record(preview ? counts.preview : counts.diff, String(res.status), start);
      } catch {
        record(preview ? counts.preview : counts.diff, "error", start);
      }
    }
  };
  const running = Promise.all(Array.from({ length: count }, (_, i) => client(i)));
  return {
    counts,
    stop: async () => {
      stopped = true;
      await running;
    },
  };
}

function statusText(counts: LoadCounts): string {
  return Object.entries(counts.statuses)
    .sort()
    .map(([status, n]) => `${n} × ${status}`)
    .join(", ");
}

function medianOf(times: readonly number[]): number {
  return percentile(
    [...times].sort((a, b) => a - b),
    50,
  );
}

async function main() {
  installCleanupHandlers(() => killAll());
  const tmp = mkdtempSync(join(tmpdir(), "undersign-diff-bench-"));
  const machine = describeMachine(tmp);
  const loadStart = loadavg()[0]!;
  const startedAt = new Date();
  const texts = versions();

  // What one worst diff costs here, with its budgets (the server does the same in a worker).
  const before = process.cpuUsage();
  const outcome = runDiffJob({ kind: "render", before: texts[0]!, after: texts[1]!, views: ["inline"] });
  const used = process.cpuUsage(before);
  const oneDiffMs = (used.user + used.system) / 1000;

  const { session } = seed(tmp, texts);
  const port = await freePort();
  const server = await startServer({
    name: "undersign",
    args: [
      ...(process.env.BENCH_DIFF_PROFILE
        ? ["--cpu-prof", `--cpu-prof-dir=${resolve(process.env.BENCH_DIFF_PROFILE)}`]
        : []),
      "--import",
      "tsx",
      "--import",
      "./bench/loop-delay.ts",
      "src/main.ts",
    ],
    cwd: ROOT,
    env: undersignEnv(port, tmp, { PROCESS_QUEUE: "false" }),
    port,
    readyPath: "/healthz",
  });
  try {
    // The form's CSRF cookie and token, for the previews.
    const login = await fetch(`${server.url}/login`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(await login.text())?.[1];
    const csrfCookie = login.headers
      .getSetCookie()
      .map((c) => c.split(";")[0]!)
      .find((c) => c.includes("csrf="));
    if (csrf == null || csrfCookie == null) throw new Error("no CSRF token on /login");
    const check = await fetch(`${server.url}/d/${SLUG}/copy`, {
      headers: { Cookie: `${csrfCookie}; ${session}` },
      redirect: "manual",
    });
    await check.arrayBuffer();
    if (check.status !== 200)
      throw new Error(`the author's session was not accepted (GET /d/${SLUG}/copy answered ${check.status})`);
    // One diff first, so the pool's worker is running before anything is timed.
    await (await fetch(`${server.url}/d/${SLUG}/diff/11..12`)).arrayBuffer();

    console.log(`Baseline: /healthz every ${PROBE_INTERVAL_MS} ms for ${SECONDS} s, no other load…`);
    await loopDelay(server);
    const baseline = await probeHealthz(server.url, SECONDS);
    const baselineDelay = await loopDelay(server);

    console.log(`Load: ${CLIENTS} clients asking for the worst diffs, /healthz as before…`);
    const load = startLoad(server.url, CLIENTS, texts, { cookie: `${csrfCookie}; ${session}`, csrf });
    await sleep(2000);
    await loopDelay(server);
    const cpuBefore = processCpuMs(server.pid);
    const underLoad = await probeHealthz(server.url, SECONDS);
    const cpuAfter = processCpuMs(server.pid);
    const loadDelay = await loopDelay(server);
    await load.stop();
    const serverCpu = cpuBefore == null || cpuAfter == null ? null : ((cpuAfter - cpuBefore) / (SECONDS * 1000)) * 100;
    const loadEnd = loadavg()[0]!;

    const ratio = underLoad.p99 / baseline.p99;
    const met = underLoad.p99 < GOAL_P99_MS && underLoad.failed === 0;
    const delay = (d: LoopDelay | null) => (d == null ? "n/a" : `${fmt.ms(d.p99)} / ${fmt.ms(d.max)}`);
    const table: Table = {
      headers: ["/healthz", "samples", "failed", "p50 ms", "p99 ms", "max ms", "server event-loop delay p99 / max ms"],
      align: ["l", "r", "r", "r", "r", "r", "r"],
      rows: [
        [
          "baseline (no other load)",
          fmt.int(baseline.samples),
          fmt.int(baseline.failed),
          fmt.ms(baseline.p50),
          fmt.ms(baseline.p99),
          fmt.ms(baseline.max),
          delay(baselineDelay),
        ],
        [
          `while ${CLIENTS} clients ask for the worst diffs`,
          fmt.int(underLoad.samples),
          fmt.int(underLoad.failed),
          fmt.ms(underLoad.p50),
          fmt.ms(underLoad.p99),
          fmt.ms(underLoad.max),
          delay(loadDelay),
        ],
      ],
    };
    const loadTable: Table = {
      headers: ["diff load", "answers", "median ms"],
      align: ["l", "l", "r"],
      rows: [
        [
          `GET /d/{slug}/diff/{a}..{b} (${CLIENTS / 2} clients)`,
          statusText(load.counts.diff),
          fmt.ms(medianOf(load.counts.diff.times)),
        ],
        [
          `POST /d/{slug}/copy preview (${CLIENTS / 2} clients)`,
          statusText(load.counts.preview),
          fmt.ms(medianOf(load.counts.preview.times)),
        ],
      ],
    };
    const verdict = `/healthz p99 under load ${fmt.ms(underLoad.p99)} ms against ${fmt.ms(baseline.p99)} ms without (ratio ${fmt.ratio(ratio)}); goal p99 < ${GOAL_P99_MS} ms — ${met ? "met" : "missed"}.`;
    console.log(`\n${textTable(table)}\n\n${textTable(loadTable)}\n\n${verdict}`);
    console.log(
      `One worst diff (render job, 200 KB each side, coarse: ${outcome.summary.coarse}) costs ${fmt.ms(oneDiffMs)} ms of CPU; server CPU under load ${fmt.pct(serverCpu)} of a core.`,
    );

    if (process.env.BENCH_RESULTS !== "off") {
      appendFileSync(
        RESULTS,
        [
          "",
          `## Diffs under load (bench/diff-load.ts), ${startedAt.toISOString().slice(0, 16).replace("T", " ")} UTC`,
          "",
          `Machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memory}, ${machine.os}, Node ${machine.node}; revision ${machine.revision}. ` +
            `1-minute load average ${loadStart.toFixed(2)} at the start and ${loadEnd.toFixed(2)} at the end (the machine is shared).`,
          "",
          `The real server (\`node --import tsx src/main.ts\`, file database, default diff pool: one worker per core but one, 1 to 4; deadline 10 s; queue 8 per worker). ` +
            `A Declaration with 12 versions, each a worst kind of text at the largest size a Declaration holds (${BODY_MAX_BYTES / 1024} KB; the diff limit is ${MAX_DIFF_TEXT_BYTES / 1024} KB). ` +
            `\`/healthz\` asked every ${PROBE_INTERVAL_MS} ms for ${SECONDS} s from a worker thread of the driver, first alone, then while ${CLIENTS} clients asked back to back for diffs ` +
            `(half \`/d/{slug}/diff/{a}..{b}\` over all 264 pairs and views, more than the 200 kept; half the copy editor's preview of a worst text, never kept).`,
          "",
          markdownTable(table),
          "",
          markdownTable(loadTable),
          "",
          `**${verdict}** One worst diff (a render job, 200 KB each side, coarse: ${outcome.summary.coarse}) costs ${fmt.ms(oneDiffMs)} ms of CPU with its budgets; ` +
            `before the budgets the same kind of pair took ~19 s at 77 KB and ~220 s at 200 KB, on the thread that serves pages. ` +
            `Server CPU during the load: ${fmt.pct(serverCpu)} of a core (its diff worker included). ` +
            `A 503 is a diff refused at once because the pool's queue was full, or stopped at its deadline: the page says so and asks to try again (Retry-After).`,
          "",
        ].join("\n"),
      );
      console.log(`Appended to ${RESULTS}`);
    }
  } finally {
    await stopServer(server);
    if (process.env.BENCH_KEEP !== "1") rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
