/**
 * Tables for the console (aligned text) and for bench/RESULTS.md (Markdown)
 * from the same rows, and the machine description printed with them.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, release, totalmem } from "node:os";
import Database from "better-sqlite3";

export interface Table {
  headers: string[];
  rows: string[][];
  /** "r" for right-aligned (numbers), "l" otherwise; one per column. */
  align: ("l" | "r")[];
}

export function markdownTable(table: Table): string {
  const cell = (s: string) => s.replace(/\|/g, "\\|");
  return [
    `| ${table.headers.map(cell).join(" | ")} |`,
    `|${table.align.map((a) => (a === "r" ? "---:" : "---")).join("|")}|`,
    ...table.rows.map((row) => `| ${row.map(cell).join(" | ")} |`),
  ].join("\n");
}

export function textTable(table: Table): string {
  const widths = table.headers.map((h, i) => Math.max(h.length, ...table.rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (table.align[i] === "r" ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(table.headers), widths.map((w) => "-".repeat(w)).join("  "), ...table.rows.map(line)].join("\n");
}

export const fmt = {
  int: (n: number) => Math.round(n).toLocaleString("en-US"),
  ms: (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1)),
  pct: (n: number | null) => (n == null ? "n/a" : `${n.toFixed(0)} %`),
  ratio: (n: number) => (Number.isFinite(n) ? n.toFixed(2) : "n/a"),
  mb: (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`,
  kbAsMb: (kb: number | null) => (kb == null ? "n/a" : `${(kb / 1024).toFixed(0)} MB`),
};

export interface Machine {
  cpus: number;
  cpuModel: string;
  memory: string;
  os: string;
  node: string;
  sqlite: string;
  betterSqlite3: string;
  autocannon: string;
  tmpFilesystem: string;
  /** The commit measured, and whether src/ had uncommitted changes. */
  revision: string;
}

function packageVersion(name: string): string {
  try {
    const url = new URL(`../node_modules/${name}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(url, "utf8")) as { version: string }).version;
  } catch {
    return "?";
  }
}

export function describeMachine(tmpDir: string): Machine {
  let cpuModel = "unknown";
  try {
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? cpuModel;
  } catch {
    // Not Linux.
  }
  let cpus = availableParallelism();
  try {
    cpus = Number(execFileSync("nproc", { encoding: "utf8" }).trim()) || cpus;
  } catch {
    // nproc missing: keep Node's count.
  }
  const db = new Database(":memory:");
  const sqlite = (db.prepare("SELECT sqlite_version() AS v").get() as { v: string }).v;
  db.close();
  let tmpFilesystem = "unknown";
  try {
    const df = execFileSync("df", ["-PT", tmpDir], { encoding: "utf8" }).trim().split("\n")[1]?.split(/\s+/);
    if (df != null) tmpFilesystem = `${df[1]} (${df[0]})`;
  } catch {
    // df missing.
  }
  let revision = "unknown";
  try {
    const root = new URL("..", import.meta.url).pathname;
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
    const dirty =
      execFileSync("git", ["status", "--porcelain", "--", "src", "migrations", "package.json"], {
        cwd: root,
        encoding: "utf8",
      }).trim() !== "";
    revision = dirty ? `${head} + uncommitted changes in src/, migrations/ or package.json` : head;
  } catch {
    // Not a git checkout.
  }
  return {
    revision,
    cpus,
    cpuModel,
    memory: `${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    os: `Linux ${release()}`,
    node: process.version,
    sqlite,
    betterSqlite3: packageVersion("better-sqlite3"),
    autocannon: packageVersion("autocannon"),
    tmpFilesystem,
  };
}
