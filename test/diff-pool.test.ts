/**
 * The diff pool (src/diff/pool.ts): diffs run in worker threads, so the
 * thread that serves pages stays free; sizes are refused before any work; the
 * queue is bounded; a job past its deadline has its worker terminated and
 * replaced; a worker that dies fails its job and is replaced.  Ordering and
 * outcomes are asserted, never durations.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  COARSE_NOTE,
  DiffBusyError,
  DiffDeadlineError,
  DiffPool,
  DiffTooLargeError,
  DiffWorkerError,
  MAX_DIFF_TEXT_BYTES,
  runDiffJob,
} from "../src/diff/index.ts";
import { listItems, tinyParagraphs } from "./helpers/diff-texts.ts";

const pools: DiffPool[] = [];
function pool(options: ConstructorParameters<typeof DiffPool>[0] = {}): DiffPool {
  // A long deadline by default: the machine running the tests may be busy.
  const p = new DiffPool({ deadlineMs: 120_000, ...options });
  pools.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

/** No limits at all: the unbounded diff of the worst pairs, which takes minutes. */
const UNBOUNDED = {
  alignment: Number.MAX_SAFE_INTEGER,
  pairing: Number.MAX_SAFE_INTEGER,
  moves: Number.MAX_SAFE_INTEGER,
  words: Number.MAX_SAFE_INTEGER,
};

/** How many times the event loop of this thread turned (a zero-delay timer fired) before `work` settled. */
async function turnsDuring(work: Promise<unknown>): Promise<number> {
  let settled = false;
  void work.then(
    () => (settled = true),
    () => (settled = true),
  );
  let turns = 0;
  while (!settled) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (!settled) turns++;
  }
  return turns;
}

describe("the diff pool", () => {
  it("gives the same outcome as the diff in this thread", async () => {
    const p = pool({ size: 1 });
    const job = {
      kind: "render",
      before: "# A\n\nOne two three.\n\nKept.",
      after: "# A\n\nOne four three.\n\nKept.",
      views: ["inline", "side"],
      words: { title: ["Old title", "New title"] },
    } as const;
    expect(await p.run(job)).toEqual(runDiffJob(job));
    expect(p.submitted).toBe(1);
  });

  it("works out the worst pair within the size limit in a worker, coarsely and correctly, while this thread keeps turning", async () => {
    const p = pool({ size: 1 });
    const [before, after] = tinyParagraphs(MAX_DIFF_TEXT_BYTES);
    const job = p.run({ kind: "render", before, after, views: ["inline"] });
    const turns = await turnsDuring(job);
    const outcome = await job;
    expect(outcome.summary.coarse).toBe(true);
    expect(outcome.html.inline).toContain(COARSE_NOTE);
    // The same texts diffed here give the same figures (the worker is not a different algorithm).
    expect(outcome.summary).toEqual(runDiffJob({ kind: "summary", before, after }));
    // A diff in this thread would have let no timer fire until it was done.
    expect(turns).toBeGreaterThan(10);
  }, 180_000);

  it("refuses a text over the size limit before any work: no worker is started", async () => {
    const p = pool();
    const big = "x".repeat(MAX_DIFF_TEXT_BYTES + 1);
    const refused = await p.run({ kind: "editor", body: big, source: "a" }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DiffTooLargeError);
    expect((refused as DiffTooLargeError).field).toBe("body");
    expect(p.load).toEqual({ workers: 0, running: 0, queued: 0 });
    expect(p.submitted).toBe(0);
  });

  it("stops a job past its deadline: its worker is terminated and replaced, and later jobs run", async () => {
    const p = pool({ size: 1, limits: UNBOUNDED });
    const [before, after] = listItems(MAX_DIFF_TEXT_BYTES);
    const late = await p.run({ kind: "summary", before, after }, { deadlineMs: 500 }).catch((error: unknown) => error);
    expect(late).toBeInstanceOf(DiffDeadlineError);
    expect(p.replaced).toBe(1);
    // A new worker is already starting, with nothing to do.
    expect(p.load).toEqual({ workers: 1, running: 0, queued: 0 });
    const next = await p.run({ kind: "summary", before: "One two.", after: "One three." });
    expect(next.wordsChanged).toBe(2);
    expect(p.load.workers).toBe(1);
  });

  it("refuses at once when its queue is full", async () => {
    const p = pool({ size: 1, maxQueue: 1 });
    const job = { kind: "summary", before: "a b", after: "a c" } as const;
    const running = p.run(job);
    const queued = p.run(job);
    const refused = await p.run(job).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DiffBusyError);
    expect((await running).wordsChanged).toBe(2);
    expect((await queued).wordsChanged).toBe(2);
    expect(p.submitted).toBe(2);
  });

  it("a job waiting in the queue past its deadline is dropped without being run", async () => {
    const p = pool({ size: 1, limits: UNBOUNDED });
    const [before, after] = listItems(MAX_DIFF_TEXT_BYTES);
    const blocker = p.run({ kind: "summary", before, after }, { deadlineMs: 3_000 }).catch((error: unknown) => error);
    const waiting = await p
      .run({ kind: "summary", before: "a", after: "b" }, { deadlineMs: 1_000 })
      .catch((error: unknown) => error);
    expect(waiting).toBeInstanceOf(DiffDeadlineError);
    expect(await blocker).toBeInstanceOf(DiffDeadlineError);
    expect(p.replaced).toBe(1);
  });

  it("a worker that runs out of memory fails its job, and is replaced", async () => {
    // 18 MB: enough to load a worker (about 12 are needed), far too little for an unbounded diff of the worst pair.
    const p = pool({ size: 1, limits: UNBOUNDED, maxMemoryMb: 18 });
    expect((await p.run({ kind: "summary", before: "a", after: "b" })).wordsChanged).toBe(2);
    const [before, after] = tinyParagraphs(MAX_DIFF_TEXT_BYTES);
    const lost = await p
      .run({ kind: "render", before, after, views: ["inline", "side"] })
      .catch((error: unknown) => error);
    expect(lost).toBeInstanceOf(DiffWorkerError);
    expect(p.replaced).toBe(1);
    expect((await p.run({ kind: "summary", before: "a", after: "b" })).wordsChanged).toBe(2);
    // The worker runs at a low priority: on a busy machine it reaches its limit late.
  }, 180_000);

  it("close() fails the jobs running and waiting", async () => {
    const p = pool({ size: 1, limits: UNBOUNDED });
    const [before, after] = listItems(MAX_DIFF_TEXT_BYTES);
    const running = p.run({ kind: "summary", before, after }).catch((error: unknown) => error);
    const waiting = p.run({ kind: "summary", before: "a", after: "b" }).catch((error: unknown) => error);
    await p.close();
    expect(await running).toBeInstanceOf(DiffWorkerError);
    expect(await waiting).toBeInstanceOf(DiffWorkerError);
    expect(await p.run({ kind: "summary", before: "a", after: "b" }).catch((error: unknown) => error)).toBeInstanceOf(
      DiffWorkerError,
    );
  });
});
