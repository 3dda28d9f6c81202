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
  tally: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class WriteBatcher {
  readonly #db: Db;
  readonly #maxBatch: number;
  #queue: Job[] = [];
  #scheduled = false;
  #generation = 0;
  #contentGeneration = 0;

  constructor(db: Db, options: { maxBatch?: number } = {}) {
    this.#db = db;
    this.#maxBatch = options.maxBatch ?? 500;
  }

  /**
   * Runs `write` (synchronous; it must not await) inside the next group
   * transaction and resolves with its result after the commit.
   */
  run<T>(write: () => T): Promise<T> {
    return this.#enqueue(write, false);
  }

  /**
   * Like `run`, for a write that only adds to counts and lists of signers (a
   * new signature): it moves `generation` but not `contentGeneration`.
   */
  tally<T>(write: () => T): Promise<T> {
    return this.#enqueue(write, true);
  }

  #enqueue<T>(write: () => T, tally: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({
        run: write,
        tally,
        resolve: resolve as (value: unknown) => void,
        reject,
      });
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

  /**
   * Goes up with every committed batch that holds a write other than a tally
   * (`tally(write)`: a new signature, which changes counts and
   * lists of signers but no text, status or response).  Pages that may show
   * counts a second late are kept while only tallies were written.
   */
  get contentGeneration(): number {
    return this.#contentGeneration;
  }

  /** Number of writes waiting for the next commit. */
  get pending(): number {
    return this.#queue.length;
  }

  #flush(): void {
    const batch = this.#queue.splice(0, this.#maxBatch);
    if (this.#queue.length > 0) setImmediate(() => this.#flush());
    else this.#scheduled = false;
    if (batch.length === 0) return;

    const client = this.#db.$client;
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      client
        .transaction(() => {
          for (const job of batch) {
            try {
              // A nested better-sqlite3 transaction is a savepoint.
              outcomes.push({ ok: true, value: client.transaction(job.run)() });
            } catch (error) {
              outcomes.push({ ok: false, error });
            }
          }
        })
        .immediate();
    } catch (commitError) {
      // The commit itself failed (disk full, I/O error): nothing was written.
      for (const job of batch) job.reject(commitError);
      return;
    }
    this.#generation++;
    if (batch.some((job) => !job.tally)) this.#contentGeneration++;
    batch.forEach((job, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) job.resolve(outcome.value);
      else job.reject(outcome.error);
    });
  }
}
