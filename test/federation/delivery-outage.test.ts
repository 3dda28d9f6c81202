/**
 * A peer that is down for half a minute gets everything once it is back,
 * through the real delivery queue (SQLite), the real key–value store and
 * the production retry policy and circuit breaker: posts made while it was
 * down, and the Accept of an account there that followed meanwhile, arrive
 * within two minutes of its return (in practice within the breaker's next
 * probe).  Fedify's own breaker, whose state could not close in the old
 * key–value store, held such a peer for 30 minutes and up to 7 days.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendRevision, getDeclarationBySlug } from "../../src/db/declarations.ts";
import { startFediverseServer, type FediverseServer, type ReceivedActivity } from "../helpers/fediverse.ts";
import { addDeclaration, startInstance, type TestInstance } from "../helpers/instance.ts";

let site: TestInstance;
let peer: FediverseServer;

async function until(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function queueRows(): number {
  return (site.db.$client.prepare("SELECT count(*) AS n FROM queue_messages").get() as { n: number }).n;
}

beforeAll(async () => {
  site = await startInstance();
  addDeclaration(site.db, { slug: "strike-now", title: "Strike Now" });
  await site.publish();
  peer = await startFediverseServer({ users: ["alice", "bob"] });
}, 60_000);

afterAll(async () => {
  await peer?.close();
  await site?.close();
});

function revise(body: string): Promise<unknown> {
  return site.batcher.run(() => {
    const d = getDeclarationBySlug(site.db, "strike-now")!;
    appendRevision(site.db, d, { title: d.title, summary: d.summary, body, changeSummary: "Revised", origin: "site" });
  });
}

describe("a peer that is down for 30 seconds", () => {
  it("gets the posts made while it was down within two minutes of its return, and later ones at once", async () => {
    const actor = `${site.origin}/d/strike-now`;
    await peer.follow("alice", `strike-now@${site.host}`);
    await until(() => peer.followingAccepted("alice", actor), "alice's Accept", 15_000);

    await peer.goDown();
    const wentDown = Date.now();
    // Two new versions: two Updates of the Article and two "version" notes are owed.
    await revise("## First\n\nWe declare it again, louder.\n");
    await site.publish();
    await revise("## First\n\nWe declare it a third time.\n");
    await site.publish();
    await until(() => site.queue.hostState(peer.host)?.heldUntil != null, "the peer to be held", 20_000);
    const held = queueRows();
    // Held in place: the queue does not churn (Fedify's breaker re-enqueued held messages every second).
    await new Promise((r) => setTimeout(r, 3_000));
    expect(queueRows()).toBe(held);

    await new Promise((r) => setTimeout(r, Math.max(0, 30_000 - (Date.now() - wentDown))));
    await peer.comeBack();
    const cameBack = Date.now();
    const owed = (a: ReceivedActivity) => a.receivedAt.getTime() >= cameBack;
    const ofArticle = (a: ReceivedActivity) =>
      String(typeof a.object === "string" ? a.object : (a.object as { id?: string } | null)?.id).includes(
        "/ap/articles/",
      );
    await until(
      () =>
        peer.received.filter((a) => owed(a) && a.type === "Update" && ofArticle(a)).length === 2 &&
        peer.received.filter((a) => owed(a) && a.type === "Create").length === 2,
      "the activities owed to the peer",
      150_000,
    );
    const arrivals = peer.received.filter(owed).map((a) => a.receivedAt.getTime() - cameBack);
    expect(Math.max(...arrivals)).toBeLessThan(120_000);
    await site.drain(30_000);
    expect(site.queue.hostState(peer.host)).toBeUndefined();

    // A new follower's Accept and the next post go out at once.
    const before = Date.now();
    await peer.follow("bob", `strike-now@${site.host}`);
    await until(() => peer.followingAccepted("bob", actor), "bob's Accept", 15_000);
    await revise("## First\n\nA fourth time.\n");
    await site.publish();
    await until(
      () => peer.received.some((a) => a.type === "Update" && a.receivedAt.getTime() >= before),
      "the next post",
      15_000,
    );
  }, 240_000);
});
