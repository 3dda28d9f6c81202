/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): top functions by self
 * time, self time per package / source file, and inclusive time ("on the
 * stack") for undersign's own functions and for each package.
 *
 *   node --import tsx bench/profile-summary.ts path/to/file.cpuprofile [top] [from-µs to-µs]
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Row {
  name: string;
  ms: number;
  percent: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  samples: number;
  /** Share of the time the thread was busy (not "(idle)"). */
  busyPercent: number;
  topSelf: Row[];
  selfByGroup: Row[];
  inclusiveByGroup: Row[];
  inclusiveOwnCode: Row[];
}

const ROOT = resolve(import.meta.dirname, "..");

function shortUrl(url: string): string {
  let path = url.startsWith("file://") ? decodeURIComponent(url.slice("file://".length)) : url;
  if (path.startsWith(`${ROOT}/`)) path = path.slice(ROOT.length + 1);
  return path;
}

/** Which package or part of undersign a frame belongs to. */
export function groupOf(frame: CallFrame): string {
  const name = frame.functionName;
  if (name === "(idle)" || name === "(program)" || name === "(garbage collector)" || name === "(root)") return name;
  const url = shortUrl(frame.url);
  if (url === "") return "(native / V8 builtins)";
  if (url.startsWith("node:")) return "node: internals";
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const parts = url.slice(nm + "node_modules/".length).split("/");
    return parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (url.startsWith("src/")) return url;
  return url;
}

function frameKey(frame: CallFrame): string {
  const url = shortUrl(frame.url);
  const name = frame.functionName === "" ? "(anonymous)" : frame.functionName;
  return url === "" ? name : `${name} ${url}:${frame.lineNumber + 1}`;
}

function top(map: Map<string, number>, total: number, n: number): Row[] {
  return [...map.entries()]
    .filter(([, us]) => us >= 500)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => ({ name, ms: us / 1000, percent: (us / total) * 100 }));
}

/**
 * `window` limits the summary to samples taken between two CLOCK_MONOTONIC
 * times in µs (`process.hrtime.bigint() / 1000n` in any process on the same
 * machine: V8 stamps samples with the same clock), e.g. only the timed load
 * and not the start-up.
 */
export function summariseProfile(file: string, n = 25, window?: { fromUs: number; toUs: number }): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) byId.set(node.id, node);
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  // Each sample lasts until the next one; samples outside the window count 0.
  const durations: number[] = [];
  let at = profile.startTime;
  let counted = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    const next = profile.timeDeltas[i + 1];
    const inside = window == null || (at >= window.fromUs && at <= window.toUs);
    if (inside) counted++;
    durations.push(inside && next != null && next > 0 ? next : 0);
  }
  const total = durations.reduce((a, b) => a + b, 0) || 1;

  const self = new Map<string, number>();
  const selfGroup = new Map<string, number>();
  const inclusiveGroup = new Map<string, number>();
  const inclusiveOwn = new Map<string, number>();
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const us = durations[i]!;
    const node = byId.get(id);
    if (node == null) return;
    if (node.callFrame.functionName === "(idle)") idle += us;
    const key = frameKey(node.callFrame);
    self.set(key, (self.get(key) ?? 0) + us);
    const group = groupOf(node.callFrame);
    selfGroup.set(group, (selfGroup.get(group) ?? 0) + us);
    const seenGroups = new Set<string>();
    const seenOwn = new Set<string>();
    for (let cur: number | undefined = id; cur != null; cur = parent.get(cur)) {
      const frame = byId.get(cur)!.callFrame;
      const g = groupOf(frame);
      if (g.startsWith("(")) continue;
      seenGroups.add(g);
      if (g.startsWith("src/")) seenOwn.add(frameKey(frame));
    }
    for (const g of seenGroups) inclusiveGroup.set(g, (inclusiveGroup.get(g) ?? 0) + us);
    for (const k of seenOwn) inclusiveOwn.set(k, (inclusiveOwn.get(k) ?? 0) + us);
  });

  return {
    file,
    totalMs: total / 1000,
    samples: counted,
    busyPercent: ((total - idle) / total) * 100,
    topSelf: top(self, total, n),
    selfByGroup: top(selfGroup, total, n),
    inclusiveByGroup: top(inclusiveGroup, total, n),
    inclusiveOwnCode: top(inclusiveOwn, total, n),
  };
}

function table(title: string, rows: Row[], requests?: number): string[] {
  const perRequest = requests != null && requests > 0;
  return [
    `| ${title} | ms | % |${perRequest ? " µs/request |" : ""}`,
    `|---|---:|---:|${perRequest ? "---:|" : ""}`,
    ...rows.map(
      (r) =>
        `| \`${r.name.replace(/\|/g, "\\|")}\` | ${r.ms.toFixed(0)} | ${r.percent.toFixed(1)} |${perRequest ? ` ${((r.ms * 1000) / requests).toFixed(0)} |` : ""}`,
    ),
    "",
  ];
}

/** Markdown tables of a summary; with `requests` (served in the profiled window) also µs per request. */
export function formatSummary(summary: ProfileSummary, n = 25, requests?: number): string {
  const busyMs = (summary.totalMs * summary.busyPercent) / 100;
  return [
    `Profile: ${summary.samples} samples over ${(summary.totalMs / 1000).toFixed(1)} s; the main thread was busy ${summary.busyPercent.toFixed(1)} % of the time` +
      (requests != null && requests > 0
        ? `, ${((busyMs * 1000) / requests).toFixed(0)} µs per request (${requests} requests).`
        : "."),
    "",
    ...table(`Top ${n} functions by self time`, summary.topSelf.slice(0, n), requests),
    ...table("Self time by package / file", summary.selfByGroup.slice(0, 15), requests),
    ...table("Inclusive time by package / file (on the stack)", summary.inclusiveByGroup.slice(0, 15), requests),
    ...table("Inclusive time of undersign functions (src/)", summary.inclusiveOwnCode.slice(0, 15), requests),
  ].join("\n");
}

if (import.meta.main) {
  const [file, count = "25", from, to] = process.argv.slice(2);
  if (file == null) {
    process.stderr.write("usage: node --import tsx bench/profile-summary.ts <file.cpuprofile> [top]\n");
    process.exit(2);
  }
  const window = from != null && to != null ? { fromUs: Number(from), toUs: Number(to) } : undefined;
  process.stdout.write(`${formatSummary(summariseProfile(file, Number(count), window), Number(count))}\n`);
}
