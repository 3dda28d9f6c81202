/**
 * Fedify's key–value writes through the process's group commit.  Fedify
 * writes its caches on every received activity and many deliveries (keys,
 * fetched documents, the signature format per server).  Written on their own,
 * each write takes SQLite's write lock, and when another process holds it
 * (the primary's commit of a batch of signatures, with its fsync) the write
 * waits in SQLite's busy handler with this process's event loop blocked: in
 * the cluster's worker process that was a fifth of its time under the mixed
 * rehearsal (bench/RESULTS.md, 2026-12-07 23:28, profile of worker.1).
 * Through the batcher (db/batch.ts), a write joins the process's next group
 * commit, which yields while the lock is taken.  Reads and `cas` go to the
 * store directly.
 */
import type { KvKey, KvStore, KvStoreSetOptions } from "@fedify/fedify";
import type { WriteBatcher } from "../db/batch.ts";

export function batchedKvWrites(store: KvStore, batcher: Pick<WriteBatcher, "run">): KvStore {
  // The store's write runs inside the batch (its SQL at once, in a savepoint);
  // its own promise says whether it succeeded, and settles after the commit.
  const through = async (write: () => Promise<void>): Promise<void> => {
    let written: Promise<void> = Promise.resolve();
    await batcher.run(() => {
      written = write();
      written.catch(() => {});
    });
    await written;
  };
  const batched: KvStore = {
    get: (key) => store.get(key),
    set: (key: KvKey, value: unknown, options?: KvStoreSetOptions) => through(() => store.set(key, value, options)),
    delete: (key) => through(() => store.delete(key)),
    list: (prefix) => store.list(prefix),
  };
  if (store.cas != null) batched.cas = store.cas.bind(store);
  return batched;
}
