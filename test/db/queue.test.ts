/**
 * The SQLite queue: the contract every queue passes (queue-contract.ts), on
 * database files opened by several handles, and what only SQLite has (one
 * transaction per turn's enqueues, relaxed commits, a clock that can be
 * moved).
 */
import { join } from "node:path";
import type { MessageQueue } from "@fedify/fedify";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../src/db/client.ts";
import { SqliteMessageQueue, type SqliteMessageQueueOptions } from "../../src/db/queue.ts";
import { createTestDb } from "../helpers/db.ts";
import { ROOT, removeTempDirs, tempDir } from "../helpers/process.ts";
import { describeMessageQueueContract, type QueueRow } from "./queue-contract.ts";

afterAll(() => removeTempDirs());

function rows(db: Db) {
  return db.$client
    .prepare(
      "SELECT id, message, ordering_key, available_at, lease_until, lease_owner, attempts FROM queue_messages ORDER BY id",
    )
    .all() as QueueRow[];
}

describeMessageQueueContract("SqliteMessageQueue", async () => {
  const path = join(tempDir("queue"), "undersign.sqlite");
  const db = createTestDb(path);
  const handles: Db[] = [db];
  return {
    open(options) {
      const handle = openDatabase(path);
      handles.push(handle);
      return new SqliteMessageQueue(handle, options);
    },
    rows: async () => rows(db),
    async refuse(json) {
      db.$client.exec(`CREATE TRIGGER refuse_message BEFORE INSERT ON queue_messages
        WHEN NEW.message = '${json.replaceAll("'", "''")}' BEGIN SELECT RAISE(ABORT, 'refused: ${json.replaceAll("'", "''")}'); END`);
    },
    crashChild: (leaseMs) => [join(ROOT, "test", "db", "queue-crash-child.ts"), "sqlite", path, String(leaseMs)],
    async close() {
      for (const handle of handles) handle.$client.close();
    },
  };
});

const fast: SqliteMessageQueueOptions = { pollIntervalMs: 20 };

describe("SqliteMessageQueue", () => {
  it("is a Fedify MessageQueue", () => {
    const queue: MessageQueue = new SqliteMessageQueue(createTestDb());
    expect(queue.nativeRetrial).toBe(false);
    expect(typeof queue.enqueueMany).toBe("function");
    expect(typeof queue.getDepth).toBe("function");
  });

  it("commits the messages enqueued in one turn in one transaction, without waiting for the disk", async () => {
    const db = createTestDb();
    const queue = new SqliteMessageQueue(db, fast);
    const client = db.$client;
    const transaction = client.transaction.bind(client);
    let transactions = 0;
    client.transaction = ((fn: (...args: unknown[]) => unknown) => {
      transactions++;
      return transaction(fn);
    }) as typeof client.transaction;
    try {
      await Promise.all(Array.from({ length: 100 }, (_, i) => queue.enqueue({ n: i }, { orderingKey: `k${i % 7}` })));
      expect(transactions).toBe(1);
      await queue.enqueue({ n: 100 });
      expect(transactions).toBe(2);
    } finally {
      client.transaction = transaction;
    }
    expect(rows(db).map((r) => JSON.parse(r.message).n)).toEqual(Array.from({ length: 101 }, (_, i) => i));
    expect(client.pragma("synchronous", { simple: true })).toBe(2);
  });
});

describe("SqliteMessageQueue: the circuit breaker per server", () => {
  it("stops holding a server that has failed for longer than giveUpAfterMs", () => {
    let now = 1_000_000;
    const realNow = Date.now;
    Date.now = () => now;
    try {
      const queue = new SqliteMessageQueue(createTestDb(), {
        hostCircuit: { failureThreshold: 1, firstHoldMs: 1000, giveUpAfterMs: 10_000 },
      });
      queue.hostFailed("gone.example", "a");
      expect(queue.hostState("gone.example")?.heldUntil).toBe(now + 1000);
      now += 5_000;
      queue.hostFailed("gone.example", "b");
      expect(queue.hostState("gone.example")?.heldUntil).toBe(now + 2000);
      now += 6_000;
      queue.hostFailed("gone.example", "c");
      expect(queue.hostState("gone.example")).toMatchObject({ heldUntil: null, failingSince: 1_000_000 });
    } finally {
      Date.now = realNow;
    }
  });

  it("writes nothing when a server that never failed answers", async () => {
    const db = createTestDb();
    const queue = new SqliteMessageQueue(db);
    const changes = () => (db.$client.prepare("SELECT total_changes() AS n").get() as { n: number }).n;
    const before = changes();
    for (let i = 0; i < 100; i++) queue.hostAnswered("fine.example");
    expect(changes()).toBe(before);
  });
});
