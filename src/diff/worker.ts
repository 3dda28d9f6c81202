/**
 * A diff worker thread (started by src/diff/pool.ts): runs one job at a time
 * and posts back its outcome, or the error as plain data.
 */
import { readlinkSync } from "node:fs";
import { getPriority, setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { DEFAULT_DIFF_LIMITS, type DiffLimits } from "./declarations.ts";
import { runDiffJob, type DiffJob } from "./jobs.ts";
import { DiffTooLargeError } from "./limits.ts";

export interface WorkerRequest {
  readonly id: number;
  readonly job: DiffJob;
}

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly outcome: unknown }
  | {
      readonly id: number;
      readonly ok: false;
      readonly error: {
        readonly name: string;
        readonly message: string;
        readonly field?: string;
        readonly bytes?: number;
        readonly limit?: number;
      };
    };

/**
 * On Linux, where a thread has a CPU priority of its own, this thread takes a
 * lower one (nice + 10): on a busy machine the thread that serves pages goes
 * first, and diffs take what is left.  Elsewhere (or if refused) the worker
 * keeps the process's priority.
 */
function yieldToPages(): void {
  try {
    const thread = Number(readlinkSync("/proc/thread-self").split("/").pop());
    if (Number.isInteger(thread) && thread > 0 && thread !== process.pid)
      setPriority(thread, Math.min(19, getPriority(thread) + 10));
  } catch {
    // Not Linux, or not allowed.
  }
}
yieldToPages();

const port = parentPort;
if (port == null) throw new Error("src/diff/worker.ts runs only as a worker thread");
const limits: DiffLimits = (workerData as { limits?: DiffLimits } | null)?.limits ?? DEFAULT_DIFF_LIMITS;

port.on("message", ({ id, job }: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    reply = { id, ok: true, outcome: runDiffJob(job, limits) };
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    reply = {
      id,
      ok: false,
      error: {
        name: e.name,
        message: e.message,
        ...(e instanceof DiffTooLargeError ? { field: e.field, bytes: e.bytes, limit: e.limit } : {}),
      },
    };
  }
  port.postMessage(reply);
});
