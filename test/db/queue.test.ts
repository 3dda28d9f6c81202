import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import type { MessageQueue } from "@fedify/fedify";
import { testMessageQueue } from "@fedify/testing";
import { Temporal } from "@js-temporal/polyfill";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../src/db/client.ts";
import { SqliteMessageQueue, type SqliteMessageQueueOptions } from "../../src/db/queue.ts";
import { createTestDb } from "../helpers/db.ts";
import { ROOT, removeTempDirs, tempDir } from "../helpers/process.ts";

const handles: Db[] = [];
const controllers: AbortController[] = [];
let child: ChildProcess | undefined;

afterEach(async () => {
  for (const controller of controllers.splice(0)) controller.abort();
  if (child != null && child.exitCode == null && child.signalCode == null) {
    const exited = new Promise((r) => child!.once("close", r));
    child.kill("SIGKILL");
    await exited;
  }
  child = undefined;
});

afterAll(() => {
  for (const db of handles.splice(0)) db.$client.close();
  removeTempDirs();
});

/** A migrated database file and a function opening further handles on it. */
function databaseFile(): { path: string; db: Db; open: () => Db } {
  const path = join(tempDir("queue"), "undersign.sqlite");
  const db = createTestDb(path);
  handles.push(db);
  const open = () => {
    const other = openDatabase(path);
    handles.push(other);
    return other;
  };
  return { path, db, open };
}

function listenUntilAborted(queue: SqliteMessageQueue, handler: (message: any) => Promise<void> | void) {
  const controller = new AbortController();
  controllers.push(controller);
  const done = queue.listen(handler, { signal: controller.signal });
  return { controller, done };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error("timed out waiting");
    await sleep(5);
  }
}

function rows(db: Db) {
  return db.$client
    .prepare(
      "SELECT id, message, ordering_key, available_at, lease_until, lease_owner, attempts FROM queue_messages ORDER BY id",
    )
    .all() as {
    id: number;
    message: string;
    ordering_key: string | null;
    available_at: number;
    lease_until: number | null;
    lease_owner: string | null;
    attempts: number;
  }[];
}

/** Resolves when `release()` is called. */
function gate() {
  let release!: () => void;
  const opened = new Promise<void>((r) => (release = r));
  return { opened, release };
}

const fast: SqliteMessageQueueOptions = { pollIntervalMs: 20 };

describe("SqliteMessageQueue", () => {
  it("is a Fedify MessageQueue", () => {
    const queue: MessageQueue = new SqliteMessageQueue(createTestDb());
    expect(queue.nativeRetrial).toBe(false);
    expect(typeof queue.enqueueMany).toBe("function");
    expect(typeof queue.getDepth).toBe("function");
  });

  it("passes Fedify's conformance test on a database file", async () => {
    const { open } = databaseFile();
    await testMessageQueue(
      () => new SqliteMessageQueue(open(), { pollIntervalMs: 50 }),
      ({ controller }) => controller.abort(),
      { testOrderingKey: true },
    );
  }, 60_000);

  it("respects the delay", async () => {
    const queue = new SqliteMessageQueue(createTestDb(), fast);
    const received: [string, number][] = [];
    listenUntilAborted(queue, (message: string) => void received.push([message, Date.now()]));
    const started = Date.now();
    await queue.enqueue("later", { delay: Temporal.Duration.from({ milliseconds: 300 }) });
    await queue.enqueue("now");
    await until(() => received.length === 2);
    expect(received.map(([m]) => m)).toEqual(["now", "later"]);
    expect(received[1]![1] - started).toBeGreaterThanOrEqual(300);
    expect(await queue.getDepth()).toEqual({ queued: 0, ready: 0, delayed: 0 });
  });

  it("reports depth: ready, delayed, and not what is being handled", async () => {
    const db = createTestDb();
    const queue = new SqliteMessageQueue(db, fast);
    await queue.enqueue("a");
    await queue.enqueue("b");
    await queue.enqueueMany(["c", "d", "e"], { delay: Temporal.Duration.from({ hours: 1 }) });
    expect(queue.depth()).toEqual({ queued: 5, ready: 2, delayed: 3 });
    const held = gate();
    const started: string[] = [];
    listenUntilAborted(queue, async (message: string) => {
      started.push(message);
      await held.opened;
    });
    await until(() => started.length === 2);
    expect(await queue.getDepth()).toEqual({ queued: 3, ready: 0, delayed: 3 });
    held.release();
    await until(() => queue.depth().queued === 3 && rows(db).length === 3);
  });

  it("commits the messages enqueued in one turn together, in order", async () => {
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
      // As Fedify's fan-out does: one enqueue per inbox, all awaited together.
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

  it("enqueues many messages atomically", async () => {
    const db = createTestDb();
    const queue = new SqliteMessageQueue(db, fast);
    db.$client.exec(`CREATE TEMP TRIGGER refuse_boom BEFORE INSERT ON queue_messages
      WHEN NEW.message = '"boom"' BEGIN SELECT RAISE(ABORT, 'boom'); END`);
    await expect(queue.enqueueMany(["one", "two", "boom", "four"])).rejects.toThrow(/boom/);
    expect(rows(db)).toEqual([]);

    await queue.enqueueMany(["one", { two: 2 }, ["three"], null]);
    const received: unknown[] = [];
    listenUntilAborted(queue, (message) => void received.push(message));
    await until(() => received.length === 4);
    expect(received).toEqual(expect.arrayContaining(["one", { two: 2 }, ["three"], null]));
    await until(() => rows(db).length === 0);
  });

  it("keeps the order within an ordering key and runs different keys in parallel", async () => {
    const queue = new SqliteMessageQueue(createTestDb(), fast);
    for (let i = 1; i <= 5; i++) {
      await queue.enqueue({ key: "a", n: i }, { orderingKey: "a" });
      await queue.enqueue({ key: "b", n: i }, { orderingKey: "b" });
    }
    const order: Record<string, number[]> = { a: [], b: [] };
    const activePerKey: Record<string, number> = { a: 0, b: 0 };
    let maxPerKey = 0;
    let active = 0;
    let maxActive = 0;
    listenUntilAborted(queue, async ({ key, n }: { key: string; n: number }) => {
      active++;
      activePerKey[key]!++;
      maxActive = Math.max(maxActive, active);
      maxPerKey = Math.max(maxPerKey, activePerKey[key]!);
      await sleep(15);
      order[key]!.push(n);
      activePerKey[key]!--;
      active--;
    });
    await until(() => order.a!.length === 5 && order.b!.length === 5);
    expect(order).toEqual({ a: [1, 2, 3, 4, 5], b: [1, 2, 3, 4, 5] });
    expect(maxPerKey).toBe(1);
    expect(maxActive).toBe(2);
  });

  it("keeps a later message of a key waiting behind a delayed earlier one", async () => {
    const queue = new SqliteMessageQueue(createTestDb(), fast);
    await queue.enqueue("first", { orderingKey: "k", delay: Temporal.Duration.from({ milliseconds: 200 }) });
    await queue.enqueue("second", { orderingKey: "k" });
    await queue.enqueue("free");
    const received: string[] = [];
    listenUntilAborted(queue, (message: string) => void received.push(message));
    await until(() => received.length === 3);
    expect(received).toEqual(["free", "first", "second"]);
  });

  it("runs at most `concurrency` handlers at once", async () => {
    const queue = new SqliteMessageQueue(createTestDb(), { ...fast, concurrency: 3 });
    await queue.enqueueMany(Array.from({ length: 20 }, (_, i) => i));
    let active = 0;
    let maxActive = 0;
    let handled = 0;
    listenUntilAborted(queue, async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await sleep(5);
      active--;
      handled++;
    });
    await until(() => handled === 20);
    expect(maxActive).toBe(3);
  });

  it("releases a message whose handler throws with a backoff, and keeps listening", async () => {
    const db = createTestDb();
    const queue = new SqliteMessageQueue(db, fast);
    const received: string[] = [];
    listenUntilAborted(queue, (message: string) => {
      received.push(message);
      if (message === "bad") throw new Error("unexpected");
    });
    const before = Date.now();
    await queue.enqueue("bad");
    await until(() => received.includes("bad") && rows(db)[0]?.lease_until === null);
    const [row] = rows(db);
    expect(row).toMatchObject({ message: '"bad"', attempts: 1, lease_owner: null });
    expect(row!.available_at).toBeGreaterThanOrEqual(before + 2_000);
    expect(queue.depth()).toEqual({ queued: 1, ready: 0, delayed: 1 });
    await queue.enqueue("good");
    await until(() => received.includes("good"));
    expect(received).toEqual(["bad", "good"]);
  });

  it("hands each message to exactly one of two listeners on two handles of one file", async () => {
    const { db, open } = databaseFile();
    const first = new SqliteMessageQueue(open(), fast);
    const second = new SqliteMessageQueue(open(), fast);
    const counts = new Map<number, number>();
    const perQueue = [0, 0];
    const handler = (which: number) => async (n: number) => {
      counts.set(n, (counts.get(n) ?? 0) + 1);
      perQueue[which]!++;
      await sleep(Math.random() * 2);
    };
    const a = listenUntilAborted(first, handler(0));
    const b = listenUntilAborted(second, handler(1));
    for (let i = 0; i < 500; i += 50) {
      const batch = Array.from({ length: 50 }, (_, j) => i + j);
      await (i % 100 === 0 ? first : second).enqueueMany(batch);
    }
    await until(() => perQueue[0]! + perQueue[1]! >= 500, 15_000);
    await until(() => first.depth().queued === 0 && rows(db).length === 0);
    a.controller.abort();
    b.controller.abort();
    await Promise.all([a.done, b.done]);
    expect(counts.size).toBe(500);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    expect(perQueue[0]! + perQueue[1]!).toBe(500);
    expect(perQueue[0]).toBeGreaterThan(0);
    expect(perQueue[1]).toBeGreaterThan(0);
  });

  it("hands a message held by a killed process to another listener once its lease expires", async () => {
    const { path, db } = databaseFile();
    const leaseMs = 300;
    await new SqliteMessageQueue(db).enqueue({ job: "survives" });

    child = spawn(
      process.execPath,
      ["--import", "tsx", join(ROOT, "test", "fixtures", "queue-crash-child.ts"), path, String(leaseMs)],
      {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk) => (stdout += chunk));
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    await until(() => stdout.includes("claimed"), 15_000).catch((error) => {
      throw new Error(`${error}\nchild stderr: ${stderr}`);
    });
    expect(stdout).toBe('claimed {"job":"survives"}\n');
    const exited = new Promise((r) => child!.once("close", r));
    child.kill("SIGKILL");
    await exited;

    const [held] = rows(db);
    expect(held).toMatchObject({ attempts: 1 });
    expect(held!.lease_owner).not.toBeNull();
    const killedAt = Date.now();

    const received: unknown[] = [];
    const receivedAt: number[] = [];
    listenUntilAborted(new SqliteMessageQueue(db, { pollIntervalMs: 10, leaseMs }), (message) => {
      received.push(message);
      receivedAt.push(Date.now());
    });
    await until(() => received.length === 1);
    expect(received).toEqual([{ job: "survives" }]);
    // Not before the dead process's lease ran out.
    expect(receivedAt[0]!).toBeGreaterThanOrEqual(held!.lease_until!);
    expect(receivedAt[0]! - killedAt).toBeLessThan(leaseMs + 1_000);
    await until(() => rows(db).length === 0);
  }, 30_000);

  it("renews the lease of a slow handler, so no other listener takes its message", async () => {
    const { db, open } = databaseFile();
    const leaseMs = 150;
    const slow = new SqliteMessageQueue(open(), { pollIntervalMs: 10, leaseMs });
    const other = new SqliteMessageQueue(open(), { pollIntervalMs: 10, leaseMs });
    const handledBy: string[] = [];
    let finished = false;
    listenUntilAborted(slow, async () => {
      handledBy.push("slow");
      await sleep(leaseMs * 6);
      finished = true;
    });
    await slow.enqueue("long job");
    await until(() => handledBy.length === 1);
    listenUntilAborted(other, () => void handledBy.push("other"));
    await until(() => finished);
    await until(() => rows(db).length === 0);
    await sleep(50);
    expect(handledBy).toEqual(["slow"]);
  });

  it("on abort, stops claiming and resolves after the running handlers finish", async () => {
    const db = createTestDb();
    const queue = new SqliteMessageQueue(db, { ...fast, concurrency: 2 });
    await queue.enqueueMany(["1", "2", "3", "4", "5"]);
    const held = gate();
    const started: string[] = [];
    const finished: string[] = [];
    const { controller, done } = listenUntilAborted(queue, async (message: string) => {
      started.push(message);
      await held.opened;
      finished.push(message);
    });
    await until(() => started.length === 2);
    controller.abort();
    let resolved = false;
    void done.then(() => (resolved = true));
    await sleep(60);
    expect(resolved).toBe(false);
    held.release();
    await done;
    expect(started).toEqual(["1", "2"]);
    expect(finished).toEqual(["1", "2"]);
    await sleep(60);
    expect(started).toEqual(["1", "2"]);
    expect(rows(db).map((r) => [r.message, r.lease_until, r.attempts])).toEqual([
      ['"3"', null, 0],
      ['"4"', null, 0],
      ['"5"', null, 0],
    ]);
  });

  it("returns at once from listen with an aborted signal", async () => {
    const queue = new SqliteMessageQueue(createTestDb(), fast);
    await queue.enqueue("x");
    const handler = () => {
      throw new Error("must not run");
    };
    await queue.listen(handler, { signal: AbortSignal.abort() });
    expect(queue.depth().queued).toBe(1);
  });
});

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
    void listenUntilAborted(queue, async (message: string) => {
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
    const { open } = databaseFile();
    const first = new SqliteMessageQueue(open(), { ...fast, perHostConcurrency: 3 });
    const second = new SqliteMessageQueue(open(), { ...fast, perHostConcurrency: 3 });
    await first.enqueueMany(
      Array.from({ length: 12 }, (_, i) => i),
      { host: "slow.example" },
    );
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
    void listenUntilAborted(first, handler);
    void listenUntilAborted(second, handler);
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
    expect(queue.hostState("peer.example")).toMatchObject({
      heldUntil: null,
      failures: [["delivery-1", expect.any(Number)]],
    });
    queue.hostFailed("peer.example", "delivery-2");
    expect(queue.hostState("peer.example")?.heldUntil).toBeNull();
    queue.hostFailed("peer.example", "delivery-3");
    expect(queue.hostState("peer.example")?.heldUntil).toBeGreaterThan(Date.now());
    expect(queue.hostState("other.example")).toBeUndefined();
  });

  it("holds a failing server's messages, probes with one, doubles the hold after a failed probe, and releases all at its first answer", async () => {
    const db = createTestDb();
    const queue = new SqliteMessageQueue(db, {
      ...fast,
      hostCircuit: { failureThreshold: 2, firstHoldMs: 300, maxHoldMs: 60_000 },
    });
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
    void listenUntilAborted(queue, async (message: string) => {
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
    // A message is recorded as handled when its handler starts; its row goes once the handler has returned.
    await until(() => (db.$client.prepare("SELECT count(*) AS n FROM queue_messages").get() as { n: number }).n === 0);
  });

  it("makes a held server's waiting messages due the moment it answers", async () => {
    const db = createTestDb();
    const queue = new SqliteMessageQueue(db, {
      ...fast,
      hostCircuit: { failureThreshold: 1, firstHoldMs: 60 * 60_000 },
    });
    queue.hostFailed("back.example", "x");
    await queue.enqueue("held", { host: "back.example" });
    await queue.enqueue("retry later", { host: "back.example", delay: Temporal.Duration.from({ hours: 2 }) });
    const handled: string[] = [];
    void listenUntilAborted(queue, (message: string) => void handled.push(message));
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

  it("refuses nonsense limits", () => {
    expect(() => new SqliteMessageQueue(createTestDb(), { perHostConcurrency: 0 })).toThrow(/perHostConcurrency/);
    expect(() => new SqliteMessageQueue(createTestDb(), { hostCircuit: { firstHoldMs: -1 } })).toThrow(/firstHoldMs/);
    expect(() => new SqliteMessageQueue(createTestDb(), { hostCircuit: { failureThreshold: 1.5 } })).toThrow(
      /failureThreshold/,
    );
  });
});
