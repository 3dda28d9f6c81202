/**
 * Waiting for the processes of `npm start` with several processes (the
 * cluster), as the tests of test/processes/ see them through the log.
 */
import type { RunningApp } from "./process.ts";

/** Several processes start slowly on a busy machine. */
export const READY_MS = 150_000;

type Role = "web" | "worker";

/** The processes the log names, by `role.index`, with their latest pid. */
export function processesIn(output: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const match of output.matchAll(/ (web|worker)\.(\d+)\[(\d+)\] /g))
    found.set(`${match[1]}.${match[2]}`, Number(match[3]));
  return found;
}

export function log(app: RunningApp): string {
  const { stdout, stderr } = app.output();
  return stdout + stderr;
}

export async function until<T>(
  what: string,
  app: RunningApp,
  probe: () => T | undefined | null | false,
  ms = READY_MS,
) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value != null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${log(app)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until each HTTP process listens and each worker delivers; returns their pids. */
export async function ready(app: RunningApp, web: number, workers = 1): Promise<Map<string, number>> {
  return until("every process to start", app, () => {
    const text = log(app);
    const pids = new Map<string, number>();
    const wanted: [Role, number, RegExp][] = [
      ["web", web, /undersign is serving/],
      ["worker", workers, /Delivering queued activities/],
    ];
    for (const [role, count, line] of wanted) {
      for (let i = 1; i <= count; i++) {
        const lines = text.split("\n").filter((l) => l.includes(` ${role}.${i}[`) && line.test(l));
        const last = lines.at(-1);
        if (last == null) return null;
        pids.set(`${role}.${i}`, Number(/\[(\d+)\]/.exec(last.slice(last.indexOf(` ${role}.${i}[`)))![1]));
      }
    }
    return pids;
  });
}
