/**
 * How many processes `npm start` runs (decision 0022):
 *
 * - WEB_CONCURRENCY: HTTP processes sharing the port (node:cluster).  Default:
 *   the number of cores this process may use (`os.availableParallelism()`).
 *   `1` runs the site as one process, exactly as before: pages, the queue
 *   (unless PROCESS_QUEUE=false), the publisher and the strike bot together.
 * - WORKER_PROCESSES: with more than one HTTP process, the processes that
 *   deliver the queue and run the publisher (strike notices, posts, digests)
 *   and the strike bot's scheduler.  Default 1.
 */
import { availableParallelism } from "node:os";

export interface ProcessPlan {
  /** HTTP processes; 1 means the single-process site. */
  readonly web: number;
  /** Background processes (only when `web` > 1). */
  readonly workers: number;
}

const MAX_PROCESSES = 256;

/** The environment variables that tell a forked process what it is (`web` or `worker`) and its number. */
export const ROLE_VARIABLE = "UNDERSIGN_PROCESS_ROLE";
export const INDEX_VARIABLE = "UNDERSIGN_PROCESS_INDEX";

function count(env: Record<string, string | undefined>, name: string, fallback: number, problems: string[]): number {
  const raw = env[name]?.trim();
  if (raw == null || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PROCESSES || !/^\d+$/.test(raw)) {
    problems.push(`${name}: expected a whole number of processes from 1 to ${MAX_PROCESSES}, got "${raw}"`);
    return fallback;
  }
  return n;
}

/** Reads the plan; `problems` lists every variable that was refused (each naming it). */
export function readProcessPlan(
  env: Record<string, string | undefined>,
  cores = availableParallelism(),
): { plan: ProcessPlan; problems: string[] } {
  const problems: string[] = [];
  const web = count(env, "WEB_CONCURRENCY", Math.max(1, cores), problems);
  const workers = count(env, "WORKER_PROCESSES", 1, problems);
  return { plan: { web, workers }, problems };
}
