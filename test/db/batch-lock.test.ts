/**
 * The group commit when another connection (another process, in production)
 * holds SQLite's write lock: it gives the event loop back and tries again,
 * gathering the writes that arrive meanwhile, instead of blocking in SQLite's
 * busy handler; after the connection's busy_timeout it fails as before
 * (decision 0022).
 */
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { WriteBatcher } from "../../src/db/batch.ts";
import { openDatabase } from "../../src/db/client.ts";
import { removeTempDirs, tempDir } from "../helpers/process.ts";

afterAll(removeTempDirs);

function twoConnections() {
  const path = join(tempDir("batch-lock"), "lock.sqlite");
  const holder = openDatabase(path);
  holder.$client.exec("CREATE TABLE t (x INTEGER NOT NULL)");
  const writer = openDatabase(path);
  return { holder, writer };
}

describe("WriteBatcher while another connection holds the write lock", () => {
  it("keeps the event loop turning, then commits every waiting write in one batch once the lock is free", async () => {
    const { holder, writer } = twoConnections();
    const batcher = new WriteBatcher(writer);
    const insert = writer.$client.prepare("INSERT INTO t (x) VALUES (?)");
    holder.$client.exec("BEGIN IMMEDIATE");
    const first = batcher.run(() => insert.run(1).changes);
    // Timers fire while the write waits: the loop is not blocked in the busy handler.
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    await new Promise((r) => setTimeout(r, 200));
    const second = batcher.run(() => insert.run(2).changes);
    expect(batcher.pending).toBe(2);
    holder.$client.exec("COMMIT");
    const generation = batcher.generation;
    await expect(Promise.all([first, second])).resolves.toEqual([1, 1]);
    clearInterval(ticker);
    expect(ticks).toBeGreaterThanOrEqual(5);
    // One transaction for both.
    expect(batcher.generation).toBe(generation + 1);
    expect(holder.$client.prepare("SELECT x FROM t ORDER BY x").pluck().all()).toEqual([1, 2]);
    holder.$client.close();
    writer.$client.close();
  });

  it("fails with SQLITE_BUSY, writing nothing, when the lock is not had within busy_timeout", async () => {
    const { holder, writer } = twoConnections();
    writer.$client.pragma("busy_timeout = 300");
    const batcher = new WriteBatcher(writer);
    holder.$client.exec("BEGIN IMMEDIATE");
    const write = batcher.run(() => writer.$client.prepare("INSERT INTO t (x) VALUES (3)").run());
    await expect(write).rejects.toMatchObject({ code: "SQLITE_BUSY" });
    holder.$client.exec("COMMIT");
    expect(holder.$client.prepare("SELECT count(*) FROM t").pluck().get()).toBe(0);
    // And it writes again once the lock is free.
    await expect(batcher.run(() => writer.$client.prepare("INSERT INTO t (x) VALUES (4)").run().changes)).resolves.toBe(
      1,
    );
    holder.$client.close();
    writer.$client.close();
  });
});
