/**
 * The strike-day rehearsal's report (bench/rehearsal.ts): the same tables for
 * the console and for bench/RESULTS.md.
 */
import type { Rate } from "./federation-crypto.ts";
import type { Measurement } from "./load.ts";
import type { FleetResult } from "./rehearsal-fleet.ts";
import { fmt, type Machine, type Table } from "./report.ts";

export const GOALS = {
  signingsPerS: 5_000,
  pagesPerS: 10_000,
  inboundPerS: 1_000,
  fanoutMs: 2_000,
  pageP99Ms: 100,
  rssMb: 300,
};

export interface KindStats {
  kind: string;
  connections: number;
  seconds: number;
  ok: number;
  other: number;
  errors: number;
  p50: number;
  p99: number;
  max: number;
  statuses: Record<string, number>;
  /** OK answers per second over the whole load. */
  rps: number;
  /** Before the first notice and before any fault. */
  steady: { from: number; seconds: number; rps: number; p50: number; p99: number };
  perSecondOk: number[];
  /** Other statuses and connection errors per second. */
  perSecondBad: number[];
  p99By5s: number[];
}

export interface NoticeRun {
  index: number;
  /** Seconds after the start of the load: posted, answered. */
  atS: number;
  ackS: number;
  status: number;
  location: string | null;
  uuid: string | null;
  /** Monotonic ms of the answer (fan-out times count from it). */
  t0Mono: number;
  expected?: number;
  reached?: number;
  duplicates?: number;
  duplicateHosts?: string[];
  toFirstMs?: number;
  to50Ms?: number;
  to99Ms?: number;
  toAllMs?: number;
  firstToLastMs?: number;
  crossedKill?: boolean;
  /** How long the owner's steps took: logging in, the admin page, the post itself (ms). */
  steps?: { login: number; page: number; post: number };
}

export interface Sample {
  t: number;
  queue: { total: number; leased: number; delayed: number } | null;
  rssKb: number | null;
  hwmKb: number | null;
  serverCpu: number | null;
  farmCpu: number | null;
  fleetCpu: number | null;
  driverCpu: number | null;
  machineCpu: number | null;
}

interface Stored {
  accepted: number;
  missing: number;
  double: number;
}

export interface Books {
  ackedSignings: number;
  storedSignings: number;
  lost: number;
  lostExamples: string[];
  doubled: number;
  unacknowledgedStored: number;
  unansweredBound: number;
  counter: number;
  recount: number;
  fediverseSignatures: number;
  distinctLikeActors: number;
  likes: Stored;
  boosts: Stored;
  replies: Stored;
  followersBefore: number;
  followersAfter: number;
  noticePosts: number;
  integrity: string;
  checkCounts: { code: number | null; output: string };
}

export interface RehearsalResults {
  settings: Record<string, unknown> & {
    seconds: number;
    followers: number;
    servers: number;
    faults: string[];
    slowMs: number;
    hugeMb: number;
    notices: number;
  };
  machine: Machine;
  started: Date;
  finished?: Date;
  loadBefore: number[];
  loadAfter?: number[];
  note?: string;
  disk?: { note: string; mounted: boolean };
  baselineStatic?: Measurement;
  baselineInsert?: Measurement;
  rsa?: { sign1: Rate; signThreads: Rate & { threads: number }; verify1: Rate };
  kinds: KindStats[];
  fleet?: FleetResult;
  notices: NoticeRun[];
  samples: Sample[];
  events: { t: number; what: string }[];
  remote?: { slow: string[]; error: string[]; gone: string[]; slowMs: number };
  remoteLog?: { host: string; kind: string; posts: { t: number; status: number; notice: number | null }[] }[];
  kill?: { atS: number; downtimeMs: number; hwmBeforeKillKb: number | null; restartedAtMono: number };
  burst?: { atS: number; rssBeforeKb: number | null };
  diskFull?: { fullAtS: number; fillerBytes: number; leftBytes: number; freedAtS: number | null; checkpoint?: string };
  hwmKb?: number;
  books?: Books;
  logLines?: { total: number; byLevel: Record<string, number>; disk: string[]; errors: string[] };
  profile?: { file: string; window: string; summary: string; served: number };
  notes: string[];
}

const pass = (ok: boolean) => (ok ? "met" : "MISSED");
const ms = (n: number | undefined) => (n == null || !Number.isFinite(n) ? "n/a" : fmt.ms(n));
const statusList = (statuses: Record<string, number>, except: readonly string[] = []) =>
  Object.entries(statuses)
    .filter(([s]) => !except.includes(s))
    .map(([s, n]) => `${s === "0" ? "conn. failed" : s}×${n}`)
    .join(" ") || "0";

function maxOf(values: (number | null | undefined)[]): number | null {
  const v = values.filter((x): x is number => x != null && Number.isFinite(x));
  return v.length === 0 ? null : Math.max(...v);
}

function meanOf(values: (number | null | undefined)[]): number | null {
  const v = values.filter((x): x is number => x != null && Number.isFinite(x));
  return v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length;
}

function inboundRate(r: RehearsalResults): { accepted: number; rate: number } {
  const f = r.fleet;
  if (f == null) return { accepted: 0, rate: 0 };
  const accepted = Object.values(f.kinds).reduce((a, k) => a + k.accepted, 0);
  return { accepted, rate: f.seconds > 0 ? accepted / f.seconds : 0 };
}

/** The notice that neither crossed the restart nor was posted while the disk was full: the clean fan-out figure. */
function cleanNotice(r: RehearsalResults): NoticeRun | undefined {
  return r.notices.find((n) => !n.crossedKill && n.status === 303) ?? r.notices.find((n) => n.status === 303);
}

export function renderRehearsal(
  r: RehearsalResults,
  table: (t: Table) => string,
  heading: (level: number, text: string) => string,
): string {
  const out: string[] = [];
  const m = r.machine;
  const s = r.settings;
  out.push(
    heading(
      2,
      `${r.started.toISOString().slice(0, 16).replace("T", " ")} UTC — strike-day rehearsal (\`npm run rehearsal\`)`,
    ),
  );
  if (r.note) out.push(r.note);
  out.push(
    [
      `Machine: ${m.cpus} CPUs (nproc), ${m.cpuModel}, ${m.memory} RAM, ${m.os}; temp files on ${m.tmpFilesystem}.`,
      `Code: undersign ${m.revision}. Software: Node ${m.node}, SQLite ${m.sqlite} (better-sqlite3 ${m.betterSqlite3}), autocannon ${m.autocannon}.`,
      `Load average (1, 5, 15 min) before: ${r.loadBefore.map((x) => x.toFixed(2)).join(", ")}${r.loadAfter ? `; after: ${r.loadAfter.map((x) => x.toFixed(2)).join(", ")}` : ""}.`,
      `Settings: REHEARSAL_SECONDS=${s.seconds}, ${fmt.int(s.followers)} followers on ${fmt.int(s.servers)} inbox servers, ${s.notices} notices, ` +
        `connections: pages ${String(s.pageConnections)}, count API ${String(s.apiConnections)}, signings ${String(s.signConnections)}; ` +
        `inbound ${String(s.inboundConcurrency)} at a time from ${String(s.inboundActors)} accounts; faults: ${s.faults.join(", ") || "none"}. ` +
        `Database: ${r.disk?.note ?? "temp folder"}.`,
      `undersign runs as \`node ${(r.settings.nodeFlags as string[] | undefined)?.length ? `${(r.settings.nodeFlags as string[]).join(" ")} ` : ""}--import tsx src/main.ts\` (file database, WAL, synchronous=FULL, group commit, PROCESS_QUEUE=true so this process also delivers, ` +
        `LOG_LEVEL=warning, proof of work and rate limits off, FEDERATION_ALLOW_PRIVATE_ADDRESS=true for loopback). ` +
        `Load: autocannon in the rehearsal process; the fleet (bench/rehearsal-fleet.ts) and the inbox farm (bench/federation-farm.ts) are processes of their own; all share the machine's ${m.cpus} cores with the server.`,
    ].join("\n"),
  );

  // ---- baselines
  if (r.baselineStatic || r.baselineInsert || r.rsa) {
    out.push(heading(3, "Baselines (same run, before the rehearsal)"));
    const rows: string[][] = [];
    if (r.baselineStatic)
      rows.push([
        r.baselineStatic.label,
        `${fmt.int(r.baselineStatic.rps)}/s`,
        `p50 ${ms(r.baselineStatic.p50)} ms, p99 ${ms(r.baselineStatic.p99)} ms`,
      ]);
    if (r.baselineInsert)
      rows.push([
        r.baselineInsert.label,
        `${fmt.int(r.baselineInsert.rps)}/s`,
        `p50 ${ms(r.baselineInsert.p50)} ms, p99 ${ms(r.baselineInsert.p99)} ms; on the database's file system`,
      ]);
    if (r.rsa) {
      rows.push([
        "RSA-2048 sign (WebCrypto), one at a time",
        `${fmt.int(r.rsa.sign1.rate)}/s`,
        `${ms(1000 / r.rsa.sign1.rate)} ms each`,
      ]);
      rows.push([
        `RSA-2048 sign, ${r.rsa.signThreads.threads} worker threads`,
        `${fmt.int(r.rsa.signThreads.rate)}/s`,
        "all cores",
      ]);
      rows.push(["RSA-2048 verify, one at a time", `${fmt.int(r.rsa.verify1.rate)}/s`, ""]);
    }
    out.push(table({ headers: ["Baseline", "Rate", "Note"], align: ["l", "r", "l"], rows }));
  }

  // ---- throughput
  out.push(heading(3, "Throughput and latency under the mixed load"));
  out.push(
    `"Steady" is the start of the run, from ${r.kinds[0]?.steady.from ?? 2} s (connections opened, code warm) to the first notice or fault (${ms(r.kinds[0]?.steady.seconds)} s); "whole run" includes the fan-outs, the restart and the full disk. ` +
      `Latency is autocannon's per answered request; connection failures (the restart) are counted as errors, not in the latency.`,
  );
  out.push(
    table({
      headers: [
        "Kind",
        "Conns",
        "OK",
        "OK/s whole run",
        "OK/s steady",
        "p50 ms",
        "p99 ms",
        "max ms",
        "steady p99 ms",
        "Other statuses",
        "Conn. errors",
      ],
      align: ["l", "r", "r", "r", "r", "r", "r", "r", "r", "l", "r"],
      rows: r.kinds.map((k) => [
        k.kind,
        String(k.connections),
        fmt.int(k.ok),
        fmt.int(k.rps),
        fmt.int(k.steady.rps),
        ms(k.p50),
        ms(k.p99),
        ms(k.max),
        ms(k.steady.p99),
        statusList(k.statuses, ["200", "303"]),
        fmt.int(k.errors),
      ]),
    }),
  );
  if (r.fleet) {
    const f = r.fleet;
    out.push(
      `Inbound from the fleet: ${fmt.int(f.presign.requests)} activities signed beforehand in ${fmt.int(f.presign.ms)} ms (draft-cavage, RSA-2048; 8 key pairs over the accounts, each its own key id); ` +
        `undersign fetches each account and key from the farm once and verifies every request. A refused or failed attempt is sent again like a real server would (connection failures and 5xx; 4xx is final).` +
        (f.poolExhaustedAtS != null ? ` The signed pool ran out after ${f.poolExhaustedAtS.toFixed(1)} s.` : ""),
    );
    out.push(
      table({
        headers: [
          "Inbound",
          "Sent",
          "Accepted (202)",
          "Accepted/s",
          "Attempts",
          "p50 ms",
          "p99 ms",
          "max ms",
          "Answers other than 202",
          "Given up",
        ],
        align: ["l", "r", "r", "r", "r", "r", "r", "r", "l", "r"],
        rows: Object.entries(f.kinds).map(([kind, k]) => [
          kind === "Create" ? "Create (public reply)" : kind === "Announce" ? "Announce (boost)" : kind,
          fmt.int(k.sent),
          fmt.int(k.accepted),
          fmt.int(k.accepted / f.seconds),
          fmt.int(k.attempts),
          ms(k.p50),
          ms(k.p99),
          ms(k.max),
          statusList(k.statuses, ["202"]),
          fmt.int(k.givenUp),
        ]),
      }),
    );
  }

  // ---- notices
  if (r.notices.length > 0) {
    out.push(
      heading(3, `Strike notices: fan-out to ${fmt.int(s.followers)} followers on ${fmt.int(s.servers)} inbox servers`),
    );
    out.push(
      "Each notice is posted by the site owner on /admin/strike (log in, form with CSRF); times count from the 303 answer (the notice committed) to the farm's verified receipt at the shared inboxes. " +
        `"Expected" leaves out the servers that answer 500 or 410.`,
    );
    out.push(
      table({
        headers: [
          "Notice",
          "Posted at",
          "Answer",
          "Log in / admin page / post ms",
          "Inboxes / expected",
          "Duplicates",
          "First ms",
          "50 % ms",
          "99 % ms",
          "All ms",
          "Across the restart",
        ],
        align: ["l", "r", "l", "r", "r", "r", "r", "r", "r", "r", "l"],
        rows: r.notices.map((n) => [
          `#${n.index}`,
          `${n.atS.toFixed(1)} s`,
          String(n.status),
          n.steps
            ? `${fmt.int(n.steps.login)} / ${fmt.int(n.steps.page)} / ${fmt.int(n.steps.post)}`
            : fmt.int((n.ackS - n.atS) * 1000),
          `${fmt.int(n.reached ?? 0)} / ${fmt.int(n.expected ?? 0)}`,
          `${n.duplicates ?? 0}${n.duplicateHosts && n.duplicateHosts.length > 0 ? ` (${n.duplicateHosts.slice(0, 4).join(", ")}${n.duplicateHosts.length > 4 ? ", …" : ""})` : ""}`,
          ms(n.toFirstMs),
          ms(n.to50Ms),
          ms(n.to99Ms),
          ms(n.toAllMs),
          n.crossedKill ? "yes" : "no",
        ]),
      }),
    );
  }

  // ---- timeline
  out.push(heading(3, "Over time (5-second steps)"));
  out.push(
    `Requests per second answered as expected in each step; "bad" = other statuses and connection errors of the signings; queue = rows of \`queue_messages\` (sampled each second: largest; leased / delayed in brackets); RSS and CPU of the server process (CPU in % of one core, mean of the step; the machine has ${m.cpus * 100} %).`,
  );
  const steps = Math.ceil(s.seconds / 5);
  const kindAt = (i: number) => r.kinds[i];
  const sum = (a: number[] | undefined, from: number, to: number) =>
    (a ?? []).slice(from, to).reduce((x, y) => x + y, 0);
  const timelineRows: string[][] = [];
  const lastSample = r.samples[r.samples.length - 1]?.t ?? s.seconds;
  const totalSteps = Math.max(steps, Math.ceil(lastSample / 5));
  for (let i = 0; i < totalSteps; i++) {
    const from = i * 5;
    const to = from + 5;
    const inLoad = from < s.seconds;
    const span = Math.min(to, s.seconds) - from;
    const samples = r.samples.filter((x) => x.t >= from && x.t < to);
    const events = r.events
      .filter((e) => e.t >= from && e.t < to)
      .map((e) => e.what.replace(/ \(activity [^)]*\)/, ""));
    const q = samples.filter((x) => x.queue != null);
    const qMax = q.reduce<Sample | null>(
      (best, x) => (best == null || x.queue!.total > best.queue!.total ? x : best),
      null,
    );
    timelineRows.push([
      `${from}–${to} s`,
      inLoad ? fmt.int(sum(kindAt(0)?.perSecondOk, from, to) / span) : "",
      inLoad ? fmt.int(sum(kindAt(1)?.perSecondOk, from, to) / span) : "",
      inLoad ? fmt.int(sum(kindAt(2)?.perSecondOk, from, to) / span) : "",
      inLoad ? fmt.int(sum(kindAt(2)?.perSecondBad, from, to)) : "",
      inLoad ? fmt.int(sum(r.fleet?.perSecond, from, to) / span) : "",
      inLoad ? ms(kindAt(0)?.p99By5s[i]) : "",
      qMax?.queue == null
        ? "n/a"
        : `${fmt.int(qMax.queue.total)} (${fmt.int(qMax.queue.leased)} / ${fmt.int(qMax.queue.delayed)})`,
      fmt.kbAsMb(maxOf(samples.map((x) => x.rssKb))),
      fmt.pct(meanOf(samples.map((x) => x.serverCpu))),
      fmt.pct(meanOf(samples.map((x) => x.machineCpu))),
      events.join("; "),
    ]);
  }
  out.push(
    table({
      headers: [
        "Time",
        "Pages/s",
        "API/s",
        "Signings/s",
        "Signings bad",
        "Inbound/s",
        "Page p99 ms",
        "Queue (leased / delayed)",
        "RSS",
        "Server CPU",
        "Machine CPU",
        "Events",
      ],
      align: ["l", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "l"],
      rows: timelineRows,
    }),
  );
  const cpus = r.samples.map((x) => x.serverCpu);
  const queueMax = maxOf(r.samples.map((x) => x.queue?.total));
  out.push(
    `Server: RSS when the load began ${fmt.kbAsMb(r.samples[0]?.rssKb ?? null)}; peak RSS (VmHWM, the larger of the killed and the restarted process) ${fmt.kbAsMb(r.hwmKb ?? null)}; largest sampled RSS ${fmt.kbAsMb(maxOf(r.samples.map((x) => x.rssKb)))}; ` +
      `CPU mean ${fmt.pct(meanOf(cpus))}, highest second ${fmt.pct(maxOf(cpus))} of one core. ` +
      `Other processes, mean: farm ${fmt.pct(meanOf(r.samples.map((x) => x.farmCpu)))}, fleet ${fmt.pct(meanOf(r.samples.map((x) => x.fleetCpu)))}, autocannon and sampling ${fmt.pct(meanOf(r.samples.map((x) => x.driverCpu)))}; whole machine ${fmt.pct(meanOf(r.samples.map((x) => x.machineCpu)))} of ${m.cpus * 100} %. ` +
      `Queue: at most ${queueMax == null ? "n/a" : fmt.int(queueMax)} messages.`,
  );

  // ---- faults
  out.push(heading(3, "Faults"));
  const faults: string[] = [];
  if (r.kill) {
    faults.push(
      `**SIGKILL and restart** at ${r.kill.atS.toFixed(1)} s: the server was back (answering /healthz) after ${fmt.int(r.kill.downtimeMs)} ms on the same database. ` +
        `Deliveries resumed from the queue (see the notices' "Across the restart" and duplicates; what the dead process held waits for its lease to run out). ` +
        `The browsers' load paused from the kill until the server answered again; the requests in flight at the kill got no answer (the fleet sends its activities again).`,
    );
  }
  if (r.diskFull) {
    const d = r.diskFull;
    const sign = r.kinds[2];
    const from = Math.floor(d.fullAtS);
    const to = Math.ceil(d.freedAtS ?? s.seconds);
    faults.push(
      `**Disk nearly full** from ${d.fullAtS.toFixed(1)} s to ${d.freedAtS == null ? "the end" : `${d.freedAtS.toFixed(1)} s`}: the write-ahead log was checkpointed and truncated (${d.checkpoint ?? "?"}; [busy, log frames, checkpointed]), then a ${fmt.mb(d.fillerBytes)} file left ${fmt.int(d.leftBytes / 1024)} KiB free on the database's own file system. ` +
        `Signings in that window: ${fmt.int((sign?.perSecondOk ?? []).slice(from, to).reduce((a, b) => a + b, 0))} acknowledged, ${fmt.int((sign?.perSecondBad ?? []).slice(from, to).reduce((a, b) => a + b, 0))} refused or failed; ` +
        `page views meanwhile ${fmt.int((r.kinds[0]?.perSecondOk ?? []).slice(from, to).reduce((a, b) => a + b, 0) / Math.max(1, to - from))}/s. ` +
        `Server log lines about it: ${r.logLines?.disk.length ? r.logLines.disk.map((l) => `\`${l.slice(0, 240).replace(/`/g, "'")}\``).join("; ") : "none"}.`,
    );
  } else if (r.settings.faults.includes("disk")) {
    faults.push(`**Disk nearly full**: not simulated — ${r.disk?.note ?? "no file system of its own"}.`);
  }
  if (r.remote && r.remote.slow.length + r.remote.error.length + r.remote.gone.length > 0) {
    const log = r.remoteLog ?? [];
    const describe = (kind: string) =>
      log
        .filter((h) => h.kind === kind)
        .map(
          (h) =>
            `${h.host}: ${h.posts.length === 0 ? "no attempt" : h.posts.map((p) => `${p.t.toFixed(1)} s→${p.status}${p.notice != null ? ` (#${p.notice})` : ""}`).join(", ")}`,
        )
        .join("; ");
    // Fedify knocks twice on a refusal (draft-cavage, then RFC 9421): POSTs less than a second apart are one attempt.
    const gaps = log
      .filter((h) => h.kind === "error")
      .flatMap((h) => {
        const byNotice = new Map<number | null, number[]>();
        for (const p of h.posts) {
          const ts = byNotice.get(p.notice) ?? [];
          if (ts.length === 0 || p.t - ts[ts.length - 1]! >= 1) ts.push(p.t);
          byNotice.set(p.notice, ts);
        }
        return [...byNotice.values()].map((ts) => ts.slice(1).map((t, i) => t - ts[i]!));
      })
      .filter((g) => g.length > 0);
    const b = r.books;
    faults.push(
      `**Faulty inbox servers**: ${r.remote.slow.length} slow (answer after ${fmt.int(r.remote.slowMs)} ms), ${r.remote.error.length} answering 500, ${r.remote.gone.length} answering 410 Gone. ` +
        `Slow: ${describe("slow") || "none"}. 500: ${describe("error") || "none"}. 410: ${describe("gone") || "none"}. ` +
        (gaps.length > 0
          ? `Seconds between attempts to a 500 server (each attempt is two POSTs, Fedify's double knock), per notice: ${gaps
              .slice(0, 3)
              .map((g) => g.map((x) => x.toFixed(1)).join(" → "))
              .join("; ")}. `
          : "") +
        (b
          ? `Followers: ${fmt.int(b.followersBefore)} before, ${fmt.int(b.followersAfter)} after (${fmt.int(b.followersBefore - b.followersAfter)} dropped; the 410 servers had ${fmt.int((r.remote.gone.length * b.followersBefore) / s.servers)}).`
          : ""),
    );
  }
  if (r.fleet && Object.keys(r.fleet.hostile).length > 0) {
    const rows = Object.entries(r.fleet.hostile).map(([kind, statuses]) => `${kind}: ${statusList(statuses)}`);
    faults.push(
      `**Hostile servers** (one request every 200 ms all along${r.burst ? `, and at ${r.burst.atS.toFixed(1)} s a burst of 40 ${s.hugeMb} MiB bodies at once; RSS before it ${fmt.kbAsMb(r.burst.rssBeforeKb)}` : ""}): ` +
        `${rows.join("; ")}. Answers 5xx: ${r.fleet.hostile5xx}. ("error EPIPE/ECONNRESET" means the server answered and closed the connection before the whole body was sent.)`,
    );
  }
  out.push(faults.length === 0 ? "No fault was chosen (REHEARSAL_FAULTS=none)." : faults.join("\n\n"));

  // ---- books
  if (r.books) {
    const b = r.books;
    const ok = (x: boolean) => (x ? "ok" : "FAILED");
    const fedOk = b.fediverseSignatures === b.distinctLikeActors;
    out.push(heading(3, "The books"));
    out.push(
      table({
        headers: ["Check", "Figures", "Result"],
        align: ["l", "l", "l"],
        rows: [
          [
            "Every acknowledged (303) signing stored exactly once",
            `${fmt.int(b.ackedSignings)} acknowledged; missing ${b.lost}${b.lostExamples.length ? ` (${b.lostExamples.join(", ")})` : ""}; stored twice ${b.doubled}`,
            ok(b.lost === 0 && b.doubled === 0),
          ],
          [
            "Stored but not acknowledged (answer lost: killed in flight, or the load stopped)",
            `${fmt.int(b.unacknowledgedStored)} (at most ~${b.unansweredBound} expected)`,
            ok(b.unacknowledgedStored <= b.unansweredBound),
          ],
          [
            "Counter = recount of confirmed signatures",
            `${fmt.int(b.counter)} = ${fmt.int(b.recount)}`,
            ok(b.counter === b.recount),
          ],
          [
            "`npm run check-counts`",
            `exit ${b.checkCounts.code}: ${b.checkCounts.output
              .split("\n")
              .slice(-2)
              .join(" ")
              .replace(/\/tmp\/\S+/g, "…")}`,
            ok(b.checkCounts.code === 0),
          ],
          [
            "Fediverse signatures = accounts with an accepted Like",
            `${fmt.int(b.fediverseSignatures)} = ${fmt.int(b.distinctLikeActors)}`,
            ok(fedOk),
          ],
          [
            "Accounts with an accepted Like: one reaction each",
            `${fmt.int(b.likes.accepted)}; missing ${b.likes.missing}, twice ${b.likes.double}`,
            ok(b.likes.missing === 0 && b.likes.double === 0),
          ],
          [
            "Accepted boosts stored once",
            `${fmt.int(b.boosts.accepted)}; missing ${b.boosts.missing}, twice ${b.boosts.double}`,
            ok(b.boosts.missing === 0 && b.boosts.double === 0),
          ],
          [
            "Accepted replies stored once",
            `${fmt.int(b.replies.accepted)}; missing ${b.replies.missing}, twice ${b.replies.double}`,
            ok(b.replies.missing === 0 && b.replies.double === 0),
          ],
          [
            "Notices: one post each",
            `${b.noticePosts} notice posts for ${r.notices.filter((n) => n.status === 303).length} acknowledged`,
            ok(b.noticePosts === r.notices.filter((n) => n.status === 303).length),
          ],
          ...r.notices.map((n) => [
            `Notice #${n.index} at every expected inbox, once`,
            `${fmt.int(n.reached ?? 0)} / ${fmt.int(n.expected ?? 0)} inboxes; ${n.duplicates ?? 0} received it twice`,
            (n.reached ?? 0) === (n.expected ?? -1) && (n.duplicates ?? 0) === 0
              ? "ok"
              : (n.reached ?? 0) === (n.expected ?? -1)
                ? "all reached; duplicates (same activity id)"
                : "FAILED",
          ]),
          ["`PRAGMA integrity_check` after the run", b.integrity, ok(b.integrity === "ok")],
        ],
      }),
    );
  }

  // ---- goals
  out.push(heading(3, "Goals"));
  const pages = r.kinds[0];
  const signing = r.kinds[2];
  const inbound = inboundRate(r);
  const clean = cleanNotice(r);
  const hwmMb = r.hwmKb == null ? Number.NaN : r.hwmKb / 1024;
  const ratio = (a: number | undefined, b: number | undefined) =>
    a == null || b == null || !(b > 0) ? "n/a" : fmt.ratio(a / b);
  const booksOk =
    r.books != null &&
    r.books.lost === 0 &&
    r.books.doubled === 0 &&
    r.books.counter === r.books.recount &&
    r.books.checkCounts.code === 0;
  out.push(
    table({
      headers: ["Goal", "Target", "Whole run", "Steady", "Baseline (same run)", "Ratio to baseline", "Result"],
      align: ["l", "r", "r", "r", "r", "r", "l"],
      rows: [
        [
          "Signatures/s (browser form)",
          `≥ ${fmt.int(GOALS.signingsPerS)}`,
          fmt.int(signing?.rps ?? 0),
          fmt.int(signing?.steady.rps ?? 0),
          r.baselineInsert ? `insert ${fmt.int(r.baselineInsert.rps)}/s` : "n/a",
          ratio(signing?.steady.rps, r.baselineInsert?.rps),
          pass((signing?.rps ?? 0) >= GOALS.signingsPerS),
        ],
        [
          "Page views/s (/d/{slug})",
          `≥ ${fmt.int(GOALS.pagesPerS)}`,
          fmt.int(pages?.rps ?? 0),
          fmt.int(pages?.steady.rps ?? 0),
          r.baselineStatic ? `static ${fmt.int(r.baselineStatic.rps)}/s` : "n/a",
          ratio(pages?.steady.rps, r.baselineStatic?.rps),
          pass((pages?.rps ?? 0) >= GOALS.pagesPerS),
        ],
        [
          "Verified inbound activities/s",
          `≥ ${fmt.int(GOALS.inboundPerS)}`,
          fmt.int(inbound.rate),
          "",
          r.rsa ? `RSA verify ${fmt.int(r.rsa.verify1.rate)}/s` : "n/a",
          ratio(inbound.rate, r.rsa?.verify1.rate),
          pass(inbound.rate >= GOALS.inboundPerS),
        ],
        [
          `Fan-out of ${fmt.int(s.servers)} inboxes${clean ? ` (notice #${clean.index})` : ""}`,
          `< ${fmt.int(GOALS.fanoutMs)} ms`,
          clean ? `${ms(clean.toAllMs)} ms (99 %: ${ms(clean.to99Ms)} ms)` : "n/a",
          "",
          r.rsa && clean?.expected
            ? `signing floor ${fmt.int((clean.expected / r.rsa.signThreads.rate) * 1000)} ms`
            : "n/a",
          r.rsa && clean?.expected && clean.toAllMs
            ? fmt.ratio(clean.toAllMs / ((clean.expected / r.rsa.signThreads.rate) * 1000))
            : "n/a",
          pass(clean != null && (clean.toAllMs ?? Infinity) < GOALS.fanoutMs),
        ],
        [
          "Page p99 under the mixed load",
          `< ${GOALS.pageP99Ms} ms`,
          `${ms(pages?.p99)} ms`,
          `${ms(pages?.steady.p99)} ms`,
          r.baselineStatic ? `static p99 ${ms(r.baselineStatic.p99)} ms (alone)` : "n/a",
          "",
          pass((pages?.p99 ?? Infinity) < GOALS.pageP99Ms),
        ],
        [
          "Server RSS (peak)",
          `< ${GOALS.rssMb} MB`,
          `${Number.isFinite(hwmMb) ? hwmMb.toFixed(0) : "n/a"} MB`,
          "",
          "",
          "",
          pass(hwmMb < GOALS.rssMb),
        ],
        [
          "Lost or double-counted signatures",
          "0",
          r.books
            ? `${r.books.lost} lost, ${r.books.doubled} double, counter ${r.books.counter === r.books.recount ? "=" : "≠"} recount`
            : "n/a",
          "",
          "",
          "",
          pass(booksOk),
        ],
      ],
    }),
  );

  // ---- profile
  if (r.profile) {
    out.push(heading(3, "Profile of the server under the mixed load"));
    out.push(
      `\`node --cpu-prof\` on each process of the server, ${r.profile.window}; profiles kept at \`${r.profile.file}\`.`,
    );
    out.push(r.profile.summary);
  }
  if (r.logLines && r.logLines.errors.length > 0) {
    out.push(
      `Other error lines in the server's log (first of each): ${r.logLines.errors.map((l) => `\`${l.slice(0, 200).replace(/`/g, "'")}\``).join("; ")}`,
    );
  }
  for (const note of r.notes.slice(0, 10)) out.push(note);
  return `${out.join("\n\n")}\n`;
}
