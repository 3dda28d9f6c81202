/**
 * The strike bot on servers that speak the Mastodon API with fewer
 * features (src/bot/capability.ts): one that publishes at once what it is
 * asked to schedule, one without a list of scheduled statuses, one whose list
 * is always empty, one whose cancel answers 404.  End to end through the real
 * scheduler, against the stand-in server in each of its modes, on a clock the
 * test moves: what the bot does there, what it learns, and that it never
 * calls a post made or cancelled that was not.
 */
import { afterEach, describe, expect, it } from "vitest";
import { disconnect } from "../../src/bot/connect.ts";
import { runBotPass } from "../../src/bot/scheduler.ts";
import { getConnection, savePlan, setEnabled } from "../../src/db/bot.ts";
import { SCHEDULING_MODES, type MastodonApiServer } from "../helpers/mastodon-api.ts";
import { addAccount, closeServers, connectAccount } from "./bot-context.ts";
import { PLAN, postsOf, setup, statusesPerSlot, statusPosts, walkThroughDay, type Setup } from "./strike-setup.ts";

afterEach(closeServers);

const scheduledRequests = (server: MastodonApiServer) =>
  statusPosts(server).filter((r) => r.body.scheduled_at != null && r.body.scheduled_at !== "");
const appOf = (t: Setup) => getConnection(t.db, t.connection.id)!.app;
const stem = (key: string) => key.slice(0, key.lastIndexOf(":"));

/** Every slot posted once, at its time, by this site (none scheduled on the server). */
function expectPostedBySiteAtTheirTimes(t: Setup): void {
  const posts = postsOf(t);
  expect(posts.map((p) => [p.state, p.via])).toEqual(posts.map(() => ["posted", "site"]));
  expect(Object.values(statusesPerSlot(t.server))).toEqual(posts.map(() => 1));
  for (const p of posts) {
    const status = t.server.statuses.find((s) => s.idempotency === p.idempotencyKey)!;
    expect(status.created_at.getTime()).toBe(p.postAt.getTime());
    expect(p.url).toBe(`${t.server.url}/@striker/${status.id}`);
  }
}

describe("a server that publishes at once what it is asked to schedule", () => {
  it("deletes the early post, learns it, and posts every notice from this site at its time", async () => {
    const t = await setup({ server: { scheduling: SCHEDULING_MODES.postsImmediately } });
    await runBotPass(t.ctx);

    // One request with scheduled_at: its answer was a Status, published at once, and deleted straight away.
    expect(scheduledRequests(t.server)).toHaveLength(1);
    expect(t.server.statuses).toHaveLength(0);
    expect(t.server.deleted).toHaveLength(1);
    const early = t.server.deleted[0]!;
    const posts = postsOf(t);
    expect(early.text).toBe(posts[0]!.text);
    // Nothing is shown as posted; every post waits for its time, here.
    expect(posts.map((p) => [p.state, p.via])).toEqual(posts.map(() => ["planned", "site"]));
    // The early post's key named a status now deleted: the post at its time has a new one.
    expect(posts[0]!.idempotencyKey).not.toBe(early.idempotency);
    expect(stem(posts[0]!.idempotencyKey)).toBe(stem(early.idempotency!));
    expect(appOf(t)).toMatchObject({ scheduling: "no", schedulingReason: "posts-at-once" });

    await walkThroughDay(t);
    expectPostedBySiteAtTheirTimes(t);
    expect(scheduledRequests(t.server)).toHaveLength(1);
    expect(t.server.deleted).toHaveLength(1);
  });

  it("schedules nothing there for the next striker on that server", async () => {
    const t = await setup({ server: { scheduling: SCHEDULING_MODES.postsImmediately } });
    await runBotPass(t.ctx);
    t.server.addAccount({ username: "bea_remote" });
    t.server.authorization.username = "bea_remote";
    const bea = await connectAccount(t.ctx, addAccount(t.db, "bea"), t.server);
    await t.ctx.batcher.run(() => savePlan(t.db, bea.id, PLAN, true, t.server.clock.now()));
    await runBotPass(t.ctx);
    expect(scheduledRequests(t.server)).toHaveLength(1);
    expect(t.server.statuses).toHaveLength(0);
  });

  it("asks again once the server runs another version", async () => {
    const t = await setup({ server: { scheduling: SCHEDULING_MODES.postsImmediately } });
    await runBotPass(t.ctx);
    expect(appOf(t).scheduling).toBe("no");
    // The server is upgraded to one that holds scheduled statuses; the next striker to connect sees the new version.
    t.server.options.version = "4.4.0";
    t.server.scheduling = { ...SCHEDULING_MODES.mastodon };
    t.server.addAccount({ username: "bea_remote" });
    t.server.authorization.username = "bea_remote";
    const bea = await connectAccount(t.ctx, addAccount(t.db, "bea"), t.server);
    expect(appOf(t)).toMatchObject({ version: "4.4.0", scheduling: null, schedulingReason: null });
    await t.ctx.batcher.run(() => savePlan(t.db, bea.id, PLAN, true, t.server.clock.now()));
    await runBotPass(t.ctx);
    expect(t.server.scheduled).toHaveLength(8);
    expect(appOf(t).scheduling).toBe("yes");
  });

  it("says the early post is out, and never posts that slot again, when the server will not delete it", async () => {
    const t = await setup({ server: { scheduling: SCHEDULING_MODES.postsImmediately } });
    t.server.fail((r) => r.method === "DELETE" && r.path.startsWith("/api/v1/statuses/"), {
      status: 403,
      body: { error: "This action is not allowed" },
    });
    await runBotPass(t.ctx);
    const [first, ...rest] = postsOf(t);
    const early = t.server.statuses[0]!;
    expect(t.server.statuses).toHaveLength(1);
    expect(first).toMatchObject({
      state: "posted",
      via: "site",
      remoteId: early.id,
      url: `${t.server.url}/@striker/${early.id}`,
    });
    expect(first!.error).toBe(
      `${t.server.host} published this at once (${early.created_at.toISOString()}) when the bot asked it to schedule it for its time, and the bot could not delete it (${t.server.host} does not allow the strike bot to do this with your account (${t.server.host} says: This action is not allowed)). Delete it there if it should not stay; it is not posted again.`,
    );
    expect(rest.every((p) => p.state === "planned" && p.via === "site")).toBe(true);

    await walkThroughDay(t);
    expect(Object.values(statusesPerSlot(t.server))).toEqual(Array(8).fill(1));
    expect(postsOf(t).every((p) => p.state === "posted")).toBe(true);
    expect(scheduledRequests(t.server)).toHaveLength(1);
  });

  it("asks nothing early of it when it also has no list of scheduled statuses", async () => {
    const t = await setup({ server: { scheduling: { ...SCHEDULING_MODES.postsImmediately, list: "missing" } } });
    await runBotPass(t.ctx);
    expect(scheduledRequests(t.server)).toHaveLength(0);
    expect(t.server.statuses).toHaveLength(0);
    expect(appOf(t)).toMatchObject({ scheduling: "no", schedulingReason: "not-listed" });
    await walkThroughDay(t);
    expectPostedBySiteAtTheirTimes(t);
  });
});

describe("a server without a list of scheduled statuses (404)", () => {
  it("schedules nothing there, and posts every notice from this site at its time", async () => {
    const t = await setup({ server: { scheduling: SCHEDULING_MODES.noList } });
    await runBotPass(t.ctx);
    expect(scheduledRequests(t.server)).toHaveLength(0);
    expect(t.server.scheduled).toHaveLength(0);
    expect(postsOf(t).every((p) => p.state === "planned" && p.via === "site")).toBe(true);
    expect(appOf(t)).toMatchObject({ scheduling: "no", schedulingReason: "not-listed" });
    expect(getConnection(t.db, t.connection.id)!.needsSync).toBe(false);
    await walkThroughDay(t);
    expectPostedBySiteAtTheirTimes(t);
  });
});

describe("a server whose list is always empty", () => {
  it("cancels the post it could not see there, and posts every notice from this site at its time", async () => {
    const t = await setup({ server: { scheduling: SCHEDULING_MODES.listEmpty } });
    await runBotPass(t.ctx);
    // The first post was held there, not listed, and cancelled at once; nothing more was handed to it.
    expect(scheduledRequests(t.server)).toHaveLength(1);
    expect(
      t.server.requests.filter(
        (r) => r.method === "DELETE" && r.path.startsWith("/api/v1/scheduled_statuses/") && r.status === 200,
      ),
    ).toHaveLength(1);
    expect(t.server.scheduled).toHaveLength(0);
    const posts = postsOf(t);
    expect(posts.map((p) => [p.state, p.via, p.remoteId])).toEqual(posts.map(() => ["planned", "site", null]));
    expect(posts[0]!.idempotencyKey).not.toBe(scheduledRequests(t.server)[0]!.idempotencyKey);
    expect(appOf(t)).toMatchObject({ scheduling: "no", schedulingReason: "not-listed" });
    await walkThroughDay(t);
    expectPostedBySiteAtTheirTimes(t);
  });

  it("leaves to the server, unconfirmed, a post it will not cancel either, and never posts that slot itself", async () => {
    const t = await setup({ server: { scheduling: { create: "schedule", list: "empty", cancel: "missing" } } });
    await runBotPass(t.ctx);
    const [first, ...rest] = postsOf(t);
    expect(t.server.scheduled).toHaveLength(1);
    expect(first).toMatchObject({ state: "unconfirmed", remoteId: t.server.scheduled[0]!.id });
    expect(first!.error).toBe(
      `${t.server.host} would not cancel this post and does not show its scheduled posts, so this site cannot tell whether it will still be posted. Look at your profile at its time, and delete it there if it appears.`,
    );
    expect(rest.every((p) => p.state === "planned" && p.via === "site")).toBe(true);

    // Disconnecting before its time names it: the server may still publish it.
    const before = await disconnect({ ...t.ctx }, getConnection(t.db, t.connection.id)!);
    expect(before.notCancelled).toEqual([{ postAt: first!.postAt, text: first!.text, reason: first!.error }]);
    expect(before.cancelled).toBe(0);
  });

  it("says it cannot confirm a post it scheduled there, once its time has passed (the server published it unseen)", async () => {
    const t = await setup({ server: { scheduling: { create: "schedule", list: "empty", cancel: "missing" } } });
    await runBotPass(t.ctx);
    await walkThroughDay(t);
    const [first, ...rest] = postsOf(t);
    // The server published it at its time; this site did not post that slot again, and does not claim it was posted.
    expect(statusesPerSlot(t.server)).toEqual(Object.fromEntries(postsOf(t).map((p) => [p.slotAt.toISOString(), 1])));
    expect(first!.state).toBe("unconfirmed");
    expect(rest.every((p) => p.state === "posted" && p.via === "site")).toBe(true);
  });
});

describe("a server whose cancel answers 404 while it still holds the post", () => {
  it("keeps, and says so, the posts a plan change could not cancel, and posts nothing twice", async () => {
    const t = await setup({ server: { scheduling: SCHEDULING_MODES.cancelMissing } });
    await runBotPass(t.ctx);
    const before = postsOf(t);
    expect(before.every((p) => p.state === "scheduled")).toBe(true);
    expect(appOf(t)).toMatchObject({ scheduling: "yes", schedulingReason: null });

    await t.ctx.batcher.run(() =>
      savePlan(
        t.db,
        t.connection.id,
        { ...PLAN, templates: ["A {declaration_url}", "C {declaration_url}"] },
        true,
        t.server.clock.now(),
      ),
    );
    await runBotPass(t.ctx);
    const after = postsOf(t);
    // Slots 1, 3, 5, 7 changed: the server would not cancel them, so they stay as they are there, said so.
    expect(t.server.scheduled).toHaveLength(8);
    for (const i of [1, 3, 5, 7]) {
      expect(after[i]).toMatchObject({
        state: "scheduled",
        text: before[i]!.text,
        remoteId: before[i]!.remoteId,
        idempotencyKey: before[i]!.idempotencyKey,
      });
      expect(after[i]!.error).toContain(
        `${t.server.host} would not cancel this scheduled post (it answered that it does not know it, yet still lists it), so it will be posted at its time`,
      );
    }
    expect(appOf(t)).toMatchObject({ scheduling: "no", schedulingReason: "cannot-cancel" });

    // The server publishes what it holds; this site posts nothing, and confirms each from the list.
    await walkThroughDay(t);
    expect(statusPosts(t.server).filter((r) => r.body.scheduled_at == null)).toHaveLength(0);
    expect(Object.values(statusesPerSlot(t.server))).toEqual(Array(8).fill(1));
    expect(postsOf(t).map((p) => p.state)).toEqual(Array(8).fill("posted"));
    expect(postsOf(t)[1]!.text).toBe(before[1]!.text);
  });

  it("keeps the posts a pause could not cancel as scheduled, and a disconnect names every one", async () => {
    const t = await setup({ server: { scheduling: SCHEDULING_MODES.cancelMissing } });
    await runBotPass(t.ctx);
    t.server.clock.advance(60_000);
    await t.ctx.batcher.run(() => setEnabled(t.db, t.connection.id, false, t.server.clock.now()));
    await runBotPass(t.ctx);
    expect(postsOf(t).map((p) => p.state)).toEqual(Array(8).fill("scheduled"));
    expect(t.server.scheduled).toHaveLength(8);

    const posts = postsOf(t);
    const result = await disconnect(t.ctx, getConnection(t.db, t.connection.id)!);
    expect(result).toMatchObject({ revoked: true, cancelled: 0, problem: null });
    expect(result.notCancelled.map((p) => [p.postAt, p.text])).toEqual(posts.map((p) => [p.postAt, p.text]));
    for (const p of result.notCancelled)
      expect(p.reason).toContain("will be posted at its time unless you delete it among your scheduled posts there");
    expect(t.server.scheduled).toHaveLength(8);
  });

  it("cancels what a cancel's 404 shows to be gone (published, or deleted there) and plans the slot again", async () => {
    const t = await setup();
    await runBotPass(t.ctx);
    const before = postsOf(t);
    // The striker deleted one of them in an app: the server no longer holds it.
    t.server.scheduled.splice(
      t.server.scheduled.findIndex((s) => s.id === before[1]!.remoteId),
      1,
    );
    await t.ctx.batcher.run(() =>
      savePlan(
        t.db,
        t.connection.id,
        { ...PLAN, templates: ["A {declaration_url}", "C {declaration_url}"] },
        true,
        t.server.clock.now(),
      ),
    );
    await runBotPass(t.ctx);
    const after = postsOf(t);
    expect(after.every((p) => p.state === "scheduled" && p.error == null)).toBe(true);
    expect(after[1]!.text).toMatch(/^C /);
    expect(t.server.scheduled.map((s) => s.params.text).sort()).toEqual(after.map((p) => p.text).sort());
    expect(appOf(t)).toMatchObject({ scheduling: "yes" });
  });
});

describe("a server whose list stops showing what it holds", () => {
  it("says a post whose time has passed is unconfirmed, never posted, and learns it", async () => {
    const t = await setup();
    await runBotPass(t.ctx);
    expect(appOf(t).scheduling).toBe("yes");
    t.server.scheduling.list = "empty";
    const first = postsOf(t)[0]!;
    t.server.clock.set(first.postAt.getTime() + 61_000);
    await runBotPass(t.ctx);
    const [done, ...rest] = postsOf(t);
    expect(done).toMatchObject({ state: "unconfirmed" });
    expect(done!.error).toBe(
      `Due at ${first.postAt.toISOString()}: ${t.server.host} does not show its scheduled posts, so this site cannot confirm that it went out. Look at your profile.`,
    );
    expect(rest.every((p) => p.state === "scheduled")).toBe(true);
    expect(appOf(t)).toMatchObject({ scheduling: "no", schedulingReason: "not-listed" });
  });
});

describe("a server that answers 501 to scheduled_at", () => {
  it("posts every notice from this site at its time", async () => {
    const t = await setup();
    t.server.fail((r) => r.method === "POST" && r.path === "/api/v1/statuses" && r.body.scheduled_at != null, {
      status: 501,
      body: { error: "scheduled statuses are not supported" },
      times: Infinity,
    });
    await runBotPass(t.ctx);
    expect(scheduledRequests(t.server)).toHaveLength(1);
    expect(appOf(t)).toMatchObject({ scheduling: "no", schedulingReason: "refused" });
    expect(postsOf(t).every((p) => p.state === "planned" && p.via === "site")).toBe(true);
    await walkThroughDay(t);
    expectPostedBySiteAtTheirTimes(t);
  });
});
