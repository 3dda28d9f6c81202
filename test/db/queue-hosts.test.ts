/**
 * The queue's per-server limits: at most a share of the slots for one
 * server's messages (across processes), and the circuit breaker that holds a
 * failing server's messages and releases them all when it answers again.
 */
import { join } from "node:path";
import { Temporal } from "@js-temporal/polyfill";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../src/db/client.ts";
import { SqliteMessageQueue, type SqliteMessageQueueOptions } from "../../src/db/queue.ts";
import { createTestDb } from "../helpers/db.ts";
import { removeTempDirs, tempDir } from "../helpers/process.ts";

const handles: Db[] = [];
const controllers: AbortController[] = [];
afterEach(() => {
  for (const controller of controllers.splice(0)) controller.abort();
});
afterAll(() => {
  for (const db of handles.splice(0)) db.$client.close();
  removeTempDirs();
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
async function until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error("timed out waiting");
    await sleep(5);
  }
}

function listen(queue: SqliteMessageQueue, handler: (message: any) => Promise<void> | void) {
  const controller = new AbortController();
  controllers.push(controller);
  return queue.listen(handler, { signal: controller.signal });
}

function gate() {
  let release!: () => void;
  const opened = new Promise<void>((r) => (release = r));
  return { opened, release };
}

const fast: SqliteMessageQueueOptions = { pollIntervalMs: 20 };

describe("SqliteMessageQueue: one server's share of the slots", () => {
  it("leases at most perHostConcurrency messages of one server; the others' messages are not held up", async () => {
    const queue = new SqliteMessageQueue(createTestDb(), { ...fast, concurrency: 16, perHostConcurrency: 4 });
    for (let i = 0; i < 20; i++) await queue.enqueue(`tarpit-${i}`, { host: "tarpit.example" });
    await queue.enqueue("follower", { host: "good.example" });
    await queue.enqueue("local-work");
    const hang = gate();
    const running = new Set<string>();
    let mostAtOnce = 0;
    const done: string[] = [];
    void listen(queue, async (message: string) => {
      running.add(message);
      mostAtOnce = Math.max(mostAtOnce, [...running].filter((m) => m.startsWith("tarpit")).length);
      if (message.startsWith("tarpit")) await hang.opened;
      running.delete(message);
      done.push(message);
    });
    await until(() => done.includes("follower") && done.includes("local-work"));
    expect([...running].filter((m) => m.startsWith("tarpit"))).toHaveLength(4);
    hang.release();
    await until(() => done.length === 22);
    expect(mostAtOnce).toBe(4);
  });

  it("holds to the share across processes sharing the database", async () => {
    const path = join(tempDir("queue-hosts"), "undersign.sqlite");
    handles.push(createTestDb(path));
    const open = () => {
      const db = openDatabase(path);
      handles.push(db);
      return db;
    };
    const first = new SqliteMessageQueue(open(), { ...fast, perHostConcurrency: 3 });
    const second = new SqliteMessageQueue(open(), { ...fast, perHostConcurrency: 3 });
    await first.enqueueMany(Array.from({ length: 12 }, (_, i) => i), { host: "slow.example" });
    const hang = gate();
    let running = 0;
    let mostAtOnce = 0;
    let handled = 0;
    const handler = async () => {
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      await hang.opened;
      running--;
      handled++;
    };
    void listen(first, handler);
    void listen(second, handler);
    await until(() => running === 3);
    await sleep(150);
    expect(running).toBe(3);
    hang.release();
    await until(() => handled === 12);
    expect(mostAtOnce).toBe(3);
  });
});

describe("SqliteMessageQueue: the circuit breaker per server", () => {
  it("counts a delivery's retries once: one failing delivery does not hold the server", () => {
    const queue = new SqliteMessageQueue(createTestDb(), { hostCircuit: { failureThreshold: 3 } });
    for (let attempt = 0; attempt < 10; attempt++) queue.hostFailed("peer.example", "delivery-1");
    expect(queue.hostState("peer.example")).toMatchObject({ heldUntil: null, failures: [["delivery-1", expect.any(Number)]] });
    queue.hostFailed("peer.example", "delivery-2");
    expect(queue.hostState("peer.example")?.heldUntil).toBeNull();
    queue.hostFailed("peer.example", "delivery-3");
    expect(queue.hostState("peer.example")?.heldUntil).toBeGreaterThan(Date.now());
    expect(queue.hostState("other.example")).toBeUndefined();
  });

  it("holds a failing server's messages, probes with one, doubles the hold after a failed probe, and releases all at its first answer", async () => {
    const db = createTestDb();
    const queue = new SqliteMessageQueue(db, { ...fast, hostCircuit: { failureThreshold: 2, firstHoldMs: 300, maxHoldMs: 60_000 } });
    queue.hostFailed("down.example", "a");
    queue.hostFailed("down.example", "b");
    const firstHold = queue.hostState("down.example")!;
    expect(firstHold.holdMs).toBe(300);
    // Waiting messages: one due now, one whose retry delay is an hour away.
    await queue.enqueueMany(["m1", "m2", "m3"], { host: "down.example" });
    await queue.enqueue("m4", { host: "down.example", delay: Temporal.Duration.from({ hours: 1 }) });
    await queue.enqueue("elsewhere", { host: "up.example" });
    const handled: [string, number][] = [];
    let failProbes = true;
    let probesRunning = 0;
    let mostProbesAtOnce = 0;
    void listen(queue, async (message: string) => {
      handled.push([message, Date.now()]);
      if (!message.startsWith("m")) return;
      if (failProbes) {
        probesRunning++;
        mostProbesAtOnce = Math.max(mostProbesAtOnce, probesRunning);
        await sleep(30);
        probesRunning--;
        queue.hostFailed("down.example", message);
      } else {
        queue.hostAnswered("down.example");
      }
    });
    await until(() => handled.some(([m]) => m === "elsewhere"));
    expect(handled.filter(([m]) => m.startsWith("m"))).toEqual([]);
    // The hold ends: one probe at a time, and a failed one doubles the hold.
    await until(() => handled.some(([m]) => m.startsWith("m")));
    expect(handled.find(([m]) => m.startsWith("m"))![1]).toBeGreaterThanOrEqual(firstHold.heldUntil!);
    await until(() => queue.hostState("down.example")?.holdMs === 600);
    expect(mostProbesAtOnce).toBe(1);
    const probes = handled.filter(([m]) => m.startsWith("m")).length;
    await sleep(100);
    expect(handled.filter(([m]) => m.startsWith("m")).length).toBe(probes);
    // The server is back: the next probe succeeds and the rest follow at once, the delayed one too.
    failProbes = false;
    await until(() => ["m1", "m2", "m3", "m4"].every((m) => handled.some(([h]) => h === m)));
    expect(queue.hostState("down.example")).toBeUndefined();
    expect(db.$client.prepare("SELECT count(*) AS n FROM queue_messages").get()).toEqual({ n: 0 });
  });

  it("makes a held server's waiting messages due the moment it answers", async () => {
    const db = createTestDb();
    const queue = new SqliteMessageQueue(db, { ...fast, hostCircuit: { failureThreshold: 1, firstHoldMs: 60 * 60_000 } });
    queue.hostFailed("back.example", "x");
    await queue.enqueue("held", { host: "back.example" });
    await queue.enqueue("retry later", { host: "back.example", delay: Temporal.Duration.from({ hours: 2 }) });
    const handled: string[] = [];
    void listen(queue, (message: string) => void handled.push(message));
    await sleep(150);
    expect(handled).toEqual([]);
    queue.hostAnswered("back.example");
    await until(() => handled.length === 2);
    expect(handled.sort()).toEqual(["held", "retry later"]);
  });

  it("stops holding a server that has failed for longer than giveUpAfterMs", () => {
    let now = 1_000_000;
    const realNow = Date.now;
    Date.now = () => now;
    try {
      const queue = new SqliteMessageQueue(createTestDb(), { hostCircuit: { failureThreshold: 1, firstHoldMs: 1000, giveUpAfterMs: 10_000 } });
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

  it("refuses nonsense limits", () => {
    expect(() => new SqliteMessageQueue(createTestDb(), { perHostConcurrency: 0 })).toThrow(/perHostConcurrency/);
    expect(() => new SqliteMessageQueue(createTestDb(), { hostCircuit: { firstHoldMs: -1 } })).toThrow(/firstHoldMs/);
    expect(() => new SqliteMessageQueue(createTestDb(), { hostCircuit: { failureThreshold: 1.5 } })).toThrow(/failureThreshold/);
  });
});
