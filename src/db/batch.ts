/**
 * Group commit.  Writes that arrive while the event loop is busy are applied
 * together in ONE transaction (each in its own savepoint, so one failing write
 * does not undo the others), and every caller's promise settles only after
 * that transaction committed.  With `synchronous=FULL` a commit costs one
 * fsync; sharing it among a batch keeps every acknowledged write durable
 * without paying an fsync per request (docs/decisions/0006).
 */
import type { Db } from "./client.ts";

interface Job {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** First wait after the write lock was found taken; doubles up to MAX_RETRY_MS. */
const FIRST_RETRY_MS = 1;
const MAX_RETRY_MS = 16;

export interface WriteBatcherOptions {
  readonly maxBatch?: number;
  /**
   * When another process holds the write lock: `wait` waits in SQLite's busy
   * handler (the connection's busy_timeout), which blocks this process's event
   * loop; `yield` (the default) gives the event loop back and tries again
   * after a few milliseconds, meanwhile gathering more writes into the batch
   * (decision 0022).  Writes still fail with SQLITE_BUSY after the
   * connection's busy_timeout.
   */
  readonly whenLocked?: "wait" | "yield";
}

export class WriteBatcher {
  readonly #db: Db;
  readonly #maxBatch: number;
  readonly #yieldWhenLocked: boolean;
  #queue: Job[] = [];
  #scheduled = false;
  #generation = 0;
  /** While the write lock is taken by another process: when the first try failed, and the next wait. */
  #lockedSince: number | null = null;
  #retryMs = FIRST_RETRY_MS;
  #busyTimeoutMs: number | null = null;

  constructor(db: Db, options: WriteBatcherOptions = {}) {
    this.#db = db;
    this.#maxBatch = options.maxBatch ?? 500;
    this.#yieldWhenLocked = (options.whenLocked ?? "yield") === "yield";
  }

  /**
   * Runs `write` (synchronous; it must not await) inside the next group
   * transaction and resolves with its result after the commit.
   */
  run<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ run: write, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  /** Goes up with every committed batch: anything cached from the database before is stale. */
  get generation(): number {
    return this.#generation;
  }

  /** Number of writes waiting for the next commit. */
  get pending(): number {
    return this.#queue.length;
  }

  #flush(): void {
    if (this.#queue.length === 0) {
      this.#scheduled = false;
      return;
    }
    const client = this.#db.$client;
    // Inside a caller's transaction the batch is a savepoint of it.
    const outer = !client.inTransaction;
    if (outer) {
      try {
        if (!this.#begin(client)) return;
      } catch (error) {
        // The lock was not had within busy_timeout, or the disk failed: nothing was written.
        for (const job of this.#queue.splice(0, this.#maxBatch)) job.reject(error);
        this.#next();
        return;
      }
    }
    const batch = this.#queue.splice(0, this.#maxBatch);
    this.#next();

    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      for (const job of batch) {
        try {
          // A nested better-sqlite3 transaction is a savepoint.
          outcomes.push({ ok: true, value: client.transaction(job.run)() });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
      if (outer) client.exec("COMMIT");
    } catch (commitError) {
      // The commit itself failed (disk full, I/O error): nothing was written.
      if (outer && client.inTransaction) client.exec("ROLLBACK");
      for (const job of batch) job.reject(commitError);
      return;
    }
    this.#generation++;
    batch.forEach((job, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) job.resolve(outcome.value);
      else job.reject(outcome.error);
    });
  }

  #next(): void {
    if (this.#queue.length > 0) setImmediate(() => this.#flush());
    else this.#scheduled = false;
  }

  /**
   * Begins the batch's transaction with the write lock.  Yielding: tries
   * without waiting, and when another process holds the lock, schedules
   * another flush a few milliseconds later and returns false; once the
   * connection's busy_timeout has passed since the first try, waits in
   * SQLite's busy handler as `wait` does (and throws SQLITE_BUSY if the lock
   * still is not had).
   */
  #begin(client: Db["$client"]): boolean {
    if (!this.#yieldWhenLocked) {
      client.exec("BEGIN IMMEDIATE");
      return true;
    }
    this.#busyTimeoutMs ??= client.pragma("busy_timeout", { simple: true }) as number;
    const waited = this.#lockedSince == null ? 0 : Date.now() - this.#lockedSince;
    if (waited < this.#busyTimeoutMs) {
      client.pragma("busy_timeout = 0");
      try {
        client.exec("BEGIN IMMEDIATE");
      } catch (error) {
        if ((error as { code?: string }).code !== "SQLITE_BUSY") throw error;
        this.#lockedSince ??= Date.now();
        setTimeout(() => this.#flush(), this.#retryMs);
        this.#retryMs = Math.min(MAX_RETRY_MS, this.#retryMs * 2);
        return false;
      } finally {
        client.pragma(`busy_timeout = ${this.#busyTimeoutMs}`);
      }
    } else {
      try {
        client.exec("BEGIN IMMEDIATE");
      } finally {
        this.#lockedSince = null;
        this.#retryMs = FIRST_RETRY_MS;
      }
      return true;
    }
    this.#lockedSince = null;
    this.#retryMs = FIRST_RETRY_MS;
    return true;
  }
}
