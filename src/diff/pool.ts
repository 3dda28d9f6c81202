/**
 * Diffs off the thread that serves pages: a small pool of worker threads
 * (node:worker_threads), each running one job at a time (src/diff/worker.ts).
 *
 * - Sizes are checked before a job is queued (`DiffTooLargeError`).
 * - The queue is bounded: a job that finds it full is refused at once
 *   (`DiffBusyError`), so a flood of requests cannot pile up work.
 * - Every job has a deadline from the moment it is asked for.  A job still
 *   queued then is dropped; a job still running has its worker terminated (and
 *   a new one started), so runaway work never accumulates.  Either way the
 *   caller gets `DiffDeadlineError`.
 * - A worker that dies (an error, running out of its memory limit) fails its
 *   job with `DiffWorkerError` and is replaced when the next job comes (not at
 *   once: a worker that cannot start must not be restarted in a loop).
 * - On Linux each worker thread lowers its own CPU priority (src/diff/worker.ts),
 *   so on a busy machine the thread that serves pages goes first.
 *
 * Workers load TypeScript the way the process does: under `tsx` (or
 * `node --import tsx`) they inherit its loader through `execArgv`; anywhere
 * else (vitest, plain node) `--import tsx` is added.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { DiffLimits } from "./declarations.ts";
import { jobTexts, type DiffJob, type OutcomeOf } from "./jobs.ts";
import { checkDiffInputs, DiffTooLargeError } from "./limits.ts";
import type { WorkerReply, WorkerRequest } from "./worker.ts";

export interface DiffPoolOptions {
  /** Worker threads (default: one less than the cores, 1 to 4). */
  readonly size?: number;
  /** Milliseconds from asking to answer, queueing included (default 10 s). */
  readonly deadlineMs?: number;
  /** Jobs that may wait for a worker (default 8 per worker). */
  readonly maxQueue?: number;
  /** Work limits of each diff (default `DEFAULT_DIFF_LIMITS`). */
  readonly limits?: DiffLimits;
  /** Heap limit of each worker in MB (default 256: the worst job within the limits needs under 128). */
  readonly maxMemoryMb?: number;
}

export const DEFAULT_DIFF_DEADLINE_MS = 10_000;

/** Too many diffs are waiting: try again shortly. */
export class DiffBusyError extends Error {
  constructor() {
    super("Too many comparisons are being worked out right now.");
    this.name = "DiffBusyError";
  }
}

/** The diff was not ready within its deadline (it waited or ran too long) and was abandoned. */
export class DiffDeadlineError extends Error {
  readonly deadlineMs: number;

  constructor(deadlineMs: number) {
    super(
      `The comparison was not ready within ${deadlineMs >= 1000 ? `${Math.round(deadlineMs / 1000)} seconds` : `${deadlineMs} ms`}.`,
    );
    this.name = "DiffDeadlineError";
    this.deadlineMs = deadlineMs;
  }
}

/** The worker running the diff failed (it is replaced). */
export class DiffWorkerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DiffWorkerError";
  }
}

/** Whether `error` is one a diff can end with for reasons other than a bug: too large, busy, too slow, worker lost. */
export function isDiffRefusal(
  error: unknown,
): error is DiffTooLargeError | DiffBusyError | DiffDeadlineError | DiffWorkerError {
  return (
    error instanceof DiffTooLargeError ||
    error instanceof DiffBusyError ||
    error instanceof DiffDeadlineError ||
    error instanceof DiffWorkerError
  );
}

interface Task {
  readonly id: number;
  readonly job: DiffJob;
  readonly deadlineMs: number;
  readonly resolve: (outcome: unknown) => void;
  readonly reject: (error: Error) => void;
  timer: NodeJS.Timeout | null;
  slot: Slot | null;
  settled: boolean;
}

interface Slot {
  readonly worker: Worker;
  task: Task | null;
}

const WORKER_URL = new URL("./worker.ts", import.meta.url);

/** The parent's `execArgv`, plus `--import tsx` unless tsx is loaded already. */
function workerExecArgv(): string[] {
  // Heap sizes are the process's (`npm start` caps the young generation) and a
  // worker refuses them (ERR_WORKER_INVALID_EXEC_ARGV): its own are `resourceLimits`.
  const inherited = process.execArgv.filter((arg) => !/^--max-(semi|old)-space-size(=|$)/.test(arg));
  return inherited.some((arg) => /(^|[/\\])tsx([/\\]|$)/.test(arg))
    ? [...inherited]
    : [...inherited, "--import", "tsx"];
}

export class DiffPool {
  readonly size: number;
  readonly deadlineMs: number;
  readonly maxQueue: number;
  readonly #limits: DiffLimits | undefined;
  readonly #maxMemoryMb: number;
  readonly #slots = new Set<Slot>();
  readonly #queue: Task[] = [];
  #nextId = 1;
  #closed = false;
  /** Jobs accepted (past the size check and the queue limit), for tests and the benchmark. */
  submitted = 0;
  /** Workers terminated for missing a deadline or lost to an error (for tests and the benchmark). */
  replaced = 0;

  constructor(options: DiffPoolOptions = {}) {
    this.size = Math.max(1, Math.floor(options.size ?? Math.min(4, Math.max(1, availableParallelism() - 1))));
    this.deadlineMs = options.deadlineMs ?? DEFAULT_DIFF_DEADLINE_MS;
    this.maxQueue = Math.max(0, Math.floor(options.maxQueue ?? 8 * this.size));
    this.#limits = options.limits;
    this.#maxMemoryMb = options.maxMemoryMb ?? 256;
  }

  /** Worker threads running now, and jobs running and waiting. */
  get load(): { workers: number; running: number; queued: number } {
    let running = 0;
    for (const slot of this.#slots) if (slot.task != null) running++;
    return { workers: this.#slots.size, running, queued: this.#queue.length };
  }

  /**
   * Runs `job` on a worker.  Rejects at once with `DiffTooLargeError` (a text
   * over the size limit) or `DiffBusyError` (the queue is full); later with
   * `DiffDeadlineError` or `DiffWorkerError`; with the job's own error
   * otherwise.  `deadlineMs` overrides the pool's deadline for this job.
   */
  run<J extends DiffJob>(job: J, options: { readonly deadlineMs?: number } = {}): Promise<OutcomeOf<J>> {
    try {
      checkDiffInputs(jobTexts(job));
    } catch (error) {
      return Promise.reject(error as Error);
    }
    if (this.#closed) return Promise.reject(new DiffWorkerError("The diff workers are shut down."));
    const idle = [...this.#slots].some((slot) => slot.task == null) || this.#slots.size < this.size;
    if (!idle && this.#queue.length >= this.maxQueue) return Promise.reject(new DiffBusyError());
    const deadlineMs = options.deadlineMs ?? this.deadlineMs;
    this.submitted++;
    return new Promise<OutcomeOf<J>>((resolve, reject) => {
      const task: Task = {
        id: this.#nextId++,
        job,
        deadlineMs,
        resolve: resolve as (outcome: unknown) => void,
        reject,
        timer: null,
        slot: null,
        settled: false,
      };
      task.timer = setTimeout(() => this.#missed(task), deadlineMs);
      this.#queue.push(task);
      this.#pump();
    });
  }

  /** Starts the workers now rather than on the first jobs (each takes a moment to load). */
  warm(): void {
    if (this.#closed) return;
    while (this.#slots.size < this.size) this.#spawn();
  }

  /** Terminates every worker; jobs waiting or running fail with `DiffWorkerError`. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const task of this.#queue.splice(0))
      this.#settle(task, new DiffWorkerError("The diff workers are shut down."));
    const slots = [...this.#slots];
    this.#slots.clear();
    for (const slot of slots)
      if (slot.task != null) this.#settle(slot.task, new DiffWorkerError("The diff workers are shut down."));
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      let slot = [...this.#slots].find((s) => s.task == null);
      if (slot == null && this.#slots.size < this.size) slot = this.#spawn();
      if (slot == null) return;
      const task = this.#queue.shift()!;
      slot.task = task;
      task.slot = slot;
      slot.worker.ref();
      slot.worker.postMessage({ id: task.id, job: task.job } satisfies WorkerRequest);
    }
  }

  #spawn(): Slot {
    const worker = new Worker(WORKER_URL, {
      execArgv: workerExecArgv(),
      workerData: { limits: this.#limits },
      resourceLimits: { maxOldGenerationSizeMb: this.#maxMemoryMb },
    });
    const slot: Slot = { worker, task: null };
    this.#slots.add(slot);
    worker.unref();
    worker.on("message", (reply: WorkerReply) => {
      const task = slot.task;
      if (task == null || task.id !== reply.id) return;
      slot.task = null;
      worker.unref();
      if (reply.ok) this.#settle(task, null, reply.outcome);
      else this.#settle(task, reviveError(reply.error));
      this.#pump();
    });
    const lost = (why: string) => {
      if (!this.#slots.delete(slot)) return;
      this.replaced++;
      if (slot.task != null) this.#settle(slot.task, new DiffWorkerError(`The diff worker stopped: ${why}`));
      slot.task = null;
      this.#pump();
    };
    worker.on("error", (error) => lost(error.message));
    worker.on("exit", (code) => lost(`exit code ${code}`));
    return slot;
  }

  #missed(task: Task): void {
    task.timer = null;
    const queued = this.#queue.indexOf(task);
    if (queued >= 0) this.#queue.splice(queued, 1);
    const slot = task.slot;
    if (slot != null && slot.task === task) {
      // Runaway work is stopped, not left to finish: the worker goes, and a new one starts at
      // once (a worker takes a moment to load; the next job should not wait for that).
      this.#slots.delete(slot);
      slot.task = null;
      this.replaced++;
      void slot.worker.terminate();
      if (!this.#closed) this.#spawn();
    }
    this.#settle(task, new DiffDeadlineError(task.deadlineMs));
    this.#pump();
  }

  #settle(task: Task, error: Error | null, outcome?: unknown): void {
    if (task.settled) return;
    task.settled = true;
    if (task.timer != null) clearTimeout(task.timer);
    task.timer = null;
    task.slot = null;
    if (error != null) task.reject(error);
    else task.resolve(outcome);
  }
}

function reviveError(error: Extract<WorkerReply, { ok: false }>["error"]): Error {
  if (error.name === "DiffTooLargeError" && error.field != null)
    return new DiffTooLargeError(error.field, error.bytes ?? 0, error.limit ?? 0);
  const revived = new Error(error.message);
  revived.name = error.name;
  return revived;
}

let shared: DiffPool | null = null;

/** The process's diff pool, started on first use (its workers on their first job). */
export function diffPool(): DiffPool {
  shared ??= new DiffPool();
  return shared;
}

/** Replaces the process's diff pool (closing the old one), e.g. to set its size or deadline; returns the new one. */
export function configureDiffPool(options: DiffPoolOptions): DiffPool {
  const old = shared;
  shared = new DiffPool(options);
  if (old != null) void old.close();
  return shared;
}
