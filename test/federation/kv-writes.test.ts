/**
 * Fedify's key–value writes through the group commit (src/federation/kv-writes.ts):
 * while another connection (another process) holds the write lock, a write
 * does not block the event loop, and it is stored once the lock is free.
 * Without it, the store's own write waits in SQLite's busy handler.
 */
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { WriteBatcher } from "../../src/db/batch.ts";
import { SqliteKvStore } from "../../src/db/kv.ts";
import { batchedKvWrites } from "../../src/federation/kv-writes.ts";
import { removeTempDirs, tempDir } from "../helpers/process.ts";
import { openSiteDatabase } from "../../src/setup.ts";

afterAll(removeTempDirs);

function holdLock(file: string, ms: number): Promise<void> {
  const other = new Database(file);
  other.exec("BEGIN IMMEDIATE");
  return new Promise((resolve) =>
    setTimeout(() => {
      other.exec("COMMIT");
      other.close();
      resolve();
    }, ms),
  );
}

/** How late a 10 ms timer fires while `work` runs: the event loop's stall. */
async function stallWhile(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  const late = new Promise<number>((resolve) => setTimeout(() => resolve(performance.now() - start - 10), 10));
  await work();
  return late;
}

describe("Fedify's key–value writes through the group commit", () => {
  it("do not block the event loop while another process holds the write lock, and are stored after", async () => {
    const dataDir = tempDir("kv-writes");
    const db = openSiteDatabase({ dataDir });
    const file = join(dataDir, "undersign.sqlite");
    const kv = batchedKvWrites(new SqliteKvStore(db), new WriteBatcher(db));
    const released = holdLock(file, 600);
    let stored = false;
    const stall = await stallWhile(async () => {
      const write = kv.set(["_fedify", "doc", "https://x.example/key"], { a: 1 }).then(() => (stored = true));
      await new Promise((r) => setTimeout(r, 50));
      expect(stored).toBe(false);
      await released;
      await write;
    });
    expect(stall).toBeLessThan(300);
    expect(stored).toBe(true);
    expect(await kv.get(["_fedify", "doc", "https://x.example/key"])).toEqual({ a: 1 });
    await kv.delete(["_fedify", "doc", "https://x.example/key"]);
    expect(await kv.get(["_fedify", "doc", "https://x.example/key"])).toBeUndefined();
    db.$client.close();
  });

  it("the store on its own waits for the lock with the event loop blocked (what this replaces)", async () => {
    const dataDir = tempDir("kv-writes-plain");
    const db = openSiteDatabase({ dataDir });
    const file = join(dataDir, "undersign.sqlite");
    db.$client.pragma("busy_timeout = 1000");
    const kv = new SqliteKvStore(db);
    const released = holdLock(file, 600);
    const stall = await stallWhile(async () => {
      await new Promise((r) => setTimeout(r, 0));
      // The lock's holder cannot let go while this waits: SQLite gives up after busy_timeout.
      await expect(kv.set(["_fedify", "doc", "k"], 1)).rejects.toThrow(/locked/);
      await released;
    });
    expect(stall).toBeGreaterThan(300);
    db.$client.close();
  });
});
