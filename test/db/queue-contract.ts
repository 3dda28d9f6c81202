/**
 * What undersign's message queue guarantees, as cases any implementation
 * must pass: the SQLite queue runs them in queue.test.ts, the PostgreSQL
 * queue in queue-postgres.test.ts.  Fedify's own conformance test is the
 * first case; the others add what our deliveries rely on: at-least-once
 * with the same message on every attempt, leases that a killed process's
 * messages outlive, renewals, delays, ordering keys, wake-ups without
 * polling, a server's share of the slots and its circuit breaker, each
 * across several connections to one store (separate processes, as far as
 * the database can tell).
 *
 *   describeMessageQueueContract("MyQueue", async () => ({ open, rows, refuse, crashChild, close }));
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { MessageQueue } from "@fedify/fedify";
import { testMessageQueue } from "@fedify/testing";
import { Temporal } from "@js-temporal/polyfill";
import { afterEach, describe, expect, it } from "vitest";
import type { HostState } from "../../src/db/queue-hosts.ts";
import type { EnqueueOptions, ListenOptions, MessageQueueOptions, QueueDepth } from "../../src/db/queue.ts";
import { ROOT } from "../helpers/process.ts";

/** A queue as the contract drives it: Fedify's interface plus our per-server hooks, sync or async. */
export interface QueueUnderTest {
  enqueue(message: unknown, options?: EnqueueOptions): Promise<void>;
  enqueueMany(messages: readonly unknown[], options?: EnqueueOptions): Promise<void>;
  listen(handler: (message: any) => Promise<void> | void, options?: ListenOptions): Promise<void>;
  getDepth(): Promise<QueueDepth>;
  hostFailed(host: string, deliveryKey: string): void | Promise<void>;
  hostAnswered(host: string): void | Promise<void>;
  hostState(host: string): HostState | undefined | Promise<HostState | undefined>;
}

export interface QueueRow {
  id: number;
  message: string;
  ordering_key: string | null;
  available_at: number;
  lease_until: number | null;
  lease_owner: string | null;
  attempts: number;
}

/** One empty store of messages, and ways to reach it. */
export interface QueueStoreUnderTest {
  /** A queue on a connection (or handle) of its own. */
  open(options?: MessageQueueOptions): QueueUnderTest;
  /** Every row of `queue_messages`, by id. */
  rows(): Promise<QueueRow[]>;
  /** From now on the store refuses to insert a message whose JSON is `json` (a database error). */
  refuse(json: string): Promise<void>;
  /** `node` arguments of a process that claims one message of this store with `leaseMs`, prints `claimed <json>` and hangs. */
  crashChild(leaseMs: number): string[];
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function until(predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!(await predicate())) {
    if (Date.now() - started > timeoutMs) throw new Error("timed out waiting");
    await sleep(5);
  }
}

/** Resolves when `release()` is called. */
function gate() {
  let release!: () => void;
  const opened = new Promise<void>((r) => (release = r));
  return { opened, release };
}

const fast: MessageQueueOptions = { pollIntervalMs: 20 };

export function describeMessageQueueContract(name: string, fresh: () => Promise<QueueStoreUnderTest>): void {
  describe(`MessageQueue contract: ${name}`, () => {
    const listening: { controller: AbortController; done: Promise<void> }[] = [];
    const stores: QueueStoreUnderTest[] = [];
    let child: ChildProcess | undefined;

    async function store(): Promise<QueueStoreUnderTest> {
      const opened = await fresh();
      stores.push(opened);
      return opened;
    }

    function listen(queue: QueueUnderTest, handler: (message: any) => Promise<void> | void) {
      const controller = new AbortController();
      const done = queue.listen(handler, { signal: controller.signal });
      listening.push({ controller, done });
      return { controller, done };
    }

    afterEach(async () => {
      for (const { controller } of listening) controller.abort();
      // Listeners end once their running handlers do; every case releases its handlers.
      await Promise.race([Promise.all(listening.splice(0).map((l) => l.done)), sleep(10_000)]);
      if (child != null && child.exitCode == null && child.signalCode == null) {
        const exited = new Promise((r) => child!.once("close", r));
        child.kill("SIGKILL");
        await exited;
      }
      child = undefined;
      for (const s of stores.splice(0)) await s.close();
    });

    it("passes Fedify's conformance test on separate connections", async () => {
      const s = await store();
      await testMessageQueue(
        () => s.open({ pollIntervalMs: 50 }) as unknown as MessageQueue,
        ({ controller }) => controller.abort(),
        { testOrderingKey: true },
      );
    }, 60_000);

    it("respects the delay", async () => {
      const s = await store();
      const queue = s.open(fast);
      const received: [string, number][] = [];
      listen(queue, (message: string) => void received.push([message, Date.now()]));
      const started = Date.now();
      await queue.enqueue("later", { delay: Temporal.Duration.from({ milliseconds: 300 }) });
      await queue.enqueue("now");
      await until(() => received.length === 2);
      expect(received.map(([m]) => m)).toEqual(["now", "later"]);
      expect(received[1]![1] - started).toBeGreaterThanOrEqual(300);
      await until(async () => (await queue.getDepth()).queued === 0);
    });

    it("reports depth: ready, delayed, and not what is being handled", async () => {
      const s = await store();
      const queue = s.open(fast);
      await queue.enqueue("a");
      await queue.enqueue("b");
      await queue.enqueueMany(["c", "d", "e"], { delay: Temporal.Duration.from({ hours: 1 }) });
      expect(await queue.getDepth()).toEqual({ queued: 5, ready: 2, delayed: 3 });
      const held = gate();
      const started: string[] = [];
      listen(queue, async (message: string) => {
        started.push(message);
        await held.opened;
      });
      await until(() => started.length === 2);
      expect(await queue.getDepth()).toEqual({ queued: 3, ready: 0, delayed: 3 });
      held.release();
      await until(async () => (await s.rows()).length === 3);
      expect(await queue.getDepth()).toEqual({ queued: 3, ready: 0, delayed: 3 });
    });

    it("commits the messages enqueued in one turn, in order", async () => {
      const s = await store();
      const queue = s.open(fast);
      // As Fedify's fan-out does: one enqueue per inbox, all awaited together.
      await Promise.all(Array.from({ length: 100 }, (_, i) => queue.enqueue({ n: i }, { orderingKey: `k${i % 7}` })));
      await queue.enqueue({ n: 100 });
      expect((await s.rows()).map((r) => JSON.parse(r.message).n)).toEqual(Array.from({ length: 101 }, (_, i) => i));
    });

    it("enqueues many messages atomically: all or none", async () => {
      const s = await store();
      const queue = s.open(fast);
      await s.refuse('"boom"');
      await expect(queue.enqueueMany(["one", "two", "boom", "four"])).rejects.toThrow(/boom/);
      expect(await s.rows()).toEqual([]);
      // One turn's enqueues share a commit: the refused one fails them all, and says so to each.
      const results = await Promise.allSettled([queue.enqueue("x"), queue.enqueue("boom")]);
      expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
      expect(await s.rows()).toEqual([]);

      await queue.enqueueMany(["one", { two: 2 }, ["three"], null]);
      const received: unknown[] = [];
      listen(queue, (message) => void received.push(message));
      await until(() => received.length === 4);
      expect(received).toEqual(expect.arrayContaining(["one", { two: 2 }, ["three"], null]));
      await until(async () => (await s.rows()).length === 0);
    });

    it("keeps the order within an ordering key and runs different keys in parallel", async () => {
      const s = await store();
      const queue = s.open(fast);
      for (let i = 1; i <= 5; i++) {
        await queue.enqueue({ key: "a", n: i }, { orderingKey: "a" });
        await queue.enqueue({ key: "b", n: i }, { orderingKey: "b" });
      }
      const order: Record<string, number[]> = { a: [], b: [] };
      const activePerKey: Record<string, number> = { a: 0, b: 0 };
      let maxPerKey = 0;
      let active = 0;
      let maxActive = 0;
      listen(queue, async ({ key, n }: { key: string; n: number }) => {
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

    it("keeps the order within an ordering key across two listeners on separate connections", async () => {
      const s = await store();
      const first = s.open(fast);
      const second = s.open(fast);
      for (let i = 1; i <= 10; i++) await (i % 2 ? first : second).enqueue(i, { orderingKey: "one" });
      const order: number[] = [];
      let active = 0;
      let maxActive = 0;
      const handler = async (n: number) => {
        active++;
        maxActive = Math.max(maxActive, active);
        await sleep(5);
        order.push(n);
        active--;
      };
      listen(first, handler);
      listen(second, handler);
      await until(() => order.length === 10);
      expect(order).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(maxActive).toBe(1);
    });

    it("keeps a later message of a key waiting behind a delayed earlier one", async () => {
      const s = await store();
      const queue = s.open(fast);
      await queue.enqueue("first", { orderingKey: "k", delay: Temporal.Duration.from({ milliseconds: 200 }) });
      await queue.enqueue("second", { orderingKey: "k" });
      await queue.enqueue("free");
      const received: string[] = [];
      listen(queue, (message: string) => void received.push(message));
      await until(() => received.length === 3);
      expect(received).toEqual(["free", "first", "second"]);
    });

    it("runs at most `concurrency` handlers at once", async () => {
      const s = await store();
      const queue = s.open({ ...fast, concurrency: 3 });
      await queue.enqueueMany(Array.from({ length: 20 }, (_, i) => i));
      let active = 0;
      let maxActive = 0;
      let handled = 0;
      listen(queue, async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await sleep(5);
        active--;
        handled++;
      });
      await until(() => handled === 20);
      expect(maxActive).toBe(3);
    });

    it("releases a message whose handler throws with a backoff, the same message, and keeps listening", async () => {
      const s = await store();
      const queue = s.open(fast);
      const received: unknown[] = [];
      listen(queue, (message: { id: string } | string) => {
        received.push(message);
        if (typeof message !== "string") throw new Error("unexpected");
      });
      const before = Date.now();
      const activity = { id: "https://site.example/ap/activities/1", type: "Create" };
      await queue.enqueue(activity);
      await until(async () => received.length === 1 && (await s.rows())[0]?.lease_until === null);
      const [row] = await s.rows();
      expect(row).toMatchObject({ attempts: 1, lease_owner: null });
      // The same message, and so the same activity id, when it is tried again.
      expect(JSON.parse(row!.message)).toEqual(activity);
      expect(row!.available_at).toBeGreaterThanOrEqual(before + 2_000);
      expect(await queue.getDepth()).toEqual({ queued: 1, ready: 0, delayed: 1 });
      await queue.enqueue("good");
      await until(() => received.includes("good"));
      expect(received).toEqual([activity, "good"]);
    });

    it("hands each message to exactly one of two listeners on separate connections, and both get work", async () => {
      const s = await store();
      const first = s.open(fast);
      const second = s.open(fast);
      const counts = new Map<number, number>();
      const perQueue = [0, 0];
      const handler = (which: number) => async (n: number) => {
        counts.set(n, (counts.get(n) ?? 0) + 1);
        perQueue[which]!++;
        await sleep(Math.random() * 4);
      };
      const a = listen(first, handler(0));
      const b = listen(second, handler(1));
      for (let i = 0; i < 500; i += 50) {
        const batch = Array.from({ length: 50 }, (_, j) => i + j);
        await (i % 100 === 0 ? first : second).enqueueMany(batch);
      }
      await until(() => perQueue[0]! + perQueue[1]! >= 500, 20_000);
      await until(async () => (await first.getDepth()).queued === 0 && (await s.rows()).length === 0);
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
      const s = await store();
      const leaseMs = 300;
      await s.open().enqueue({ job: "survives" });

      child = spawn(process.execPath, ["--import", "tsx", ...s.crashChild(leaseMs)], {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout!.on("data", (chunk) => (stdout += chunk));
      child.stderr!.on("data", (chunk) => (stderr += chunk));
      await until(() => stdout.includes("claimed"), 20_000).catch((error) => {
        throw new Error(`${error}\nchild stderr: ${stderr}`);
      });
      expect(stdout).toBe('claimed {"job":"survives"}\n');
      const exited = new Promise((r) => child!.once("close", r));
      child.kill("SIGKILL");
      await exited;

      const [held] = await s.rows();
      expect(held).toMatchObject({ attempts: 1 });
      expect(held!.lease_owner).not.toBeNull();
      const killedAt = Date.now();

      const received: unknown[] = [];
      const receivedAt: number[] = [];
      listen(s.open({ pollIntervalMs: 10, leaseMs }), (message) => {
        received.push(message);
        receivedAt.push(Date.now());
      });
      await until(() => received.length === 1);
      expect(received).toEqual([{ job: "survives" }]);
      // Not before the dead process's lease ran out.
      expect(receivedAt[0]!).toBeGreaterThanOrEqual(held!.lease_until!);
      expect(receivedAt[0]! - killedAt).toBeLessThan(leaseMs + 5_000);
      await until(async () => (await s.rows()).length === 0);
    }, 40_000);

    it("renews the lease of a slow handler, so no other listener takes its message", async () => {
      const s = await store();
      const leaseMs = 150;
      const slow = s.open({ pollIntervalMs: 10, leaseMs });
      const other = s.open({ pollIntervalMs: 10, leaseMs });
      const handledBy: string[] = [];
      let finished = false;
      listen(slow, async () => {
        handledBy.push("slow");
        await sleep(leaseMs * 6);
        finished = true;
      });
      await slow.enqueue("long job");
      await until(() => handledBy.length === 1);
      listen(other, () => void handledBy.push("other"));
      await until(() => finished);
      await until(async () => (await s.rows()).length === 0);
      await sleep(50);
      expect(handledBy).toEqual(["slow"]);
    });

    it("on abort, stops claiming and resolves after the running handlers finish", async () => {
      const s = await store();
      const queue = s.open({ ...fast, concurrency: 2 });
      await queue.enqueueMany(["1", "2", "3", "4", "5"]);
      const held = gate();
      const started: string[] = [];
      const finished: string[] = [];
      const { controller, done } = listen(queue, async (message: string) => {
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
      expect((await s.rows()).map((r) => [r.message, r.lease_until, r.attempts])).toEqual([
        ['"3"', null, 0],
        ['"4"', null, 0],
        ['"5"', null, 0],
      ]);
    });

    it("returns at once from listen with an aborted signal", async () => {
      const s = await store();
      const queue = s.open(fast);
      await queue.enqueue("x");
      const handler = () => {
        throw new Error("must not run");
      };
      await queue.listen(handler, { signal: AbortSignal.abort() });
      expect((await queue.getDepth()).queued).toBe(1);
    });

    describe("wake-ups without polling", () => {
      const slow: MessageQueueOptions = { pollIntervalMs: 60_000 };

      it("wakes a listener at once for a message enqueued on another connection", async () => {
        const s = await store();
        const listener = s.open(slow);
        const producer = s.open(slow);
        const received: string[] = [];
        listen(listener, (message: string) => void received.push(message));
        // Let the listener reach its (minute-long) wait first.
        await sleep(200);
        for (const message of ["one", "two", "three"]) {
          await producer.enqueue(message);
          await until(() => received.includes(message));
        }
        expect(received).toEqual(["one", "two", "three"]);
      });

      it("wakes a listener when a delayed message becomes due", async () => {
        const s = await store();
        const queue = s.open(slow);
        const received: string[] = [];
        listen(queue, (message: string) => void received.push(message));
        await sleep(200);
        await queue.enqueue("soon", { delay: Temporal.Duration.from({ milliseconds: 300 }) });
        await until(() => received.length === 1);
        expect(received).toEqual(["soon"]);
      });

      it("wakes a listener when a held server answers on another connection", async () => {
        const s = await store();
        const listener = s.open({ ...slow, hostCircuit: { failureThreshold: 1, firstHoldMs: 60 * 60_000 } });
        const reporter = s.open({ ...slow, hostCircuit: { failureThreshold: 1, firstHoldMs: 60 * 60_000 } });
        await reporter.hostFailed("back.example", "x");
        await reporter.enqueue("held", { host: "back.example" });
        const received: string[] = [];
        listen(listener, (message: string) => void received.push(message));
        await sleep(200);
        expect(received).toEqual([]);
        await reporter.hostAnswered("back.example");
        await until(() => received.length === 1);
      });
    });

    describe("one server's share of the slots", () => {
      it("leases at most perHostConcurrency messages of one server; the others' messages are not held up", async () => {
        const s = await store();
        const queue = s.open({ ...fast, concurrency: 16, perHostConcurrency: 4 });
        for (let i = 0; i < 20; i++) await queue.enqueue(`tarpit-${i}`, { host: "tarpit.example" });
        await queue.enqueue("follower", { host: "good.example" });
        await queue.enqueue("local-work");
        const hang = gate();
        const running = new Set<string>();
        let mostAtOnce = 0;
        const done: string[] = [];
        listen(queue, async (message: string) => {
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

      it("holds to the share across three connections claiming at once", async () => {
        const s = await store();
        const queues = [0, 1, 2].map(() => s.open({ ...fast, perHostConcurrency: 3 }));
        await queues[0]!.enqueueMany(
          Array.from({ length: 24 }, (_, i) => i),
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
        for (const queue of queues) listen(queue, handler);
        await until(() => running === 3);
        await sleep(200);
        expect(running).toBe(3);
        hang.release();
        await until(() => handled === 24);
        expect(mostAtOnce).toBe(3);
      });
    });

    describe("the circuit breaker per server", () => {
      it("counts a delivery's retries once: one failing delivery does not hold the server", async () => {
        const s = await store();
        const queue = s.open({ hostCircuit: { failureThreshold: 3 } });
        for (let attempt = 0; attempt < 10; attempt++) await queue.hostFailed("peer.example", "delivery-1");
        expect(await queue.hostState("peer.example")).toMatchObject({
          heldUntil: null,
          failures: [["delivery-1", expect.any(Number)]],
        });
        await queue.hostFailed("peer.example", "delivery-2");
        expect((await queue.hostState("peer.example"))?.heldUntil).toBeNull();
        // Reported by another process: the same server, the same count.
        await s.open({ hostCircuit: { failureThreshold: 3 } }).hostFailed("peer.example", "delivery-3");
        expect((await queue.hostState("peer.example"))?.heldUntil).toBeGreaterThan(Date.now() - 1_000);
        expect(await queue.hostState("other.example")).toBeUndefined();
      });

      it("loses no failure when several connections report at once", async () => {
        const s = await store();
        const queues = [0, 1, 2, 3].map(() => s.open({ hostCircuit: { failureThreshold: 50 } }));
        await Promise.all(Array.from({ length: 20 }, (_, i) => queues[i % 4]!.hostFailed("busy.example", `d${i}`)));
        expect((await queues[0]!.hostState("busy.example"))?.failures).toHaveLength(20);
      });

      it("holds a failing server's messages, probes with one, doubles the hold after a failed probe, and releases all at its first answer", async () => {
        const s = await store();
        const queue = s.open({
          ...fast,
          hostCircuit: { failureThreshold: 2, firstHoldMs: 300, maxHoldMs: 60_000 },
        });
        await queue.hostFailed("down.example", "a");
        await queue.hostFailed("down.example", "b");
        const firstHold = (await queue.hostState("down.example"))!;
        expect(firstHold.holdMs).toBe(300);
        // Waiting messages: one due now, one whose retry delay is an hour away.
        await queue.enqueueMany(["m1", "m2", "m3"], { host: "down.example" });
        await queue.enqueue("m4", { host: "down.example", delay: Temporal.Duration.from({ hours: 1 }) });
        await queue.enqueue("elsewhere", { host: "up.example" });
        const handled: [string, number][] = [];
        let failProbes = true;
        let probesRunning = 0;
        let mostProbesAtOnce = 0;
        listen(queue, async (message: string) => {
          handled.push([message, Date.now()]);
          if (!message.startsWith("m")) return;
          if (failProbes) {
            probesRunning++;
            mostProbesAtOnce = Math.max(mostProbesAtOnce, probesRunning);
            await sleep(30);
            probesRunning--;
            await queue.hostFailed("down.example", message);
          } else {
            await queue.hostAnswered("down.example");
          }
        });
        await until(() => handled.some(([m]) => m === "elsewhere"));
        expect(handled.filter(([m]) => m.startsWith("m"))).toEqual([]);
        // The hold ends: one probe at a time, and a failed one doubles the hold.
        await until(() => handled.some(([m]) => m.startsWith("m")));
        expect(handled.find(([m]) => m.startsWith("m"))![1]).toBeGreaterThanOrEqual(firstHold.heldUntil!);
        await until(async () => (await queue.hostState("down.example"))?.holdMs === 600);
        expect(mostProbesAtOnce).toBe(1);
        const probes = handled.filter(([m]) => m.startsWith("m")).length;
        await sleep(100);
        expect(handled.filter(([m]) => m.startsWith("m")).length).toBe(probes);
        // The server is back: the next probe succeeds and the rest follow at once, the delayed one too.
        failProbes = false;
        await until(() => ["m1", "m2", "m3", "m4"].every((m) => handled.some(([h]) => h === m)));
        expect(await queue.hostState("down.example")).toBeUndefined();
        // A message is recorded as handled when its handler starts; its row goes once the handler has returned.
        await until(async () => (await s.rows()).length === 0);
      });

      it("makes a held server's waiting messages due the moment it answers", async () => {
        const s = await store();
        const queue = s.open({ ...fast, hostCircuit: { failureThreshold: 1, firstHoldMs: 60 * 60_000 } });
        await queue.hostFailed("back.example", "x");
        await queue.enqueue("held", { host: "back.example" });
        await queue.enqueue("retry later", { host: "back.example", delay: Temporal.Duration.from({ hours: 2 }) });
        const handled: string[] = [];
        listen(queue, (message: string) => void handled.push(message));
        await sleep(150);
        expect(handled).toEqual([]);
        await queue.hostAnswered("back.example");
        await until(() => handled.length === 2);
        expect(handled.sort()).toEqual(["held", "retry later"]);
      });

      it("refuses nonsense limits", async () => {
        const s = await store();
        expect(() => s.open({ perHostConcurrency: 0 })).toThrow(/perHostConcurrency/);
        expect(() => s.open({ concurrency: 2.5 })).toThrow(/concurrency/);
        expect(() => s.open({ hostCircuit: { firstHoldMs: -1 } })).toThrow(/firstHoldMs/);
        expect(() => s.open({ hostCircuit: { failureThreshold: 1.5 } })).toThrow(/failureThreshold/);
      });
    });
  });
}
