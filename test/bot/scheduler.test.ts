/**
 * The strike bot's scheduler (src/bot/scheduler.ts): a saved plan becomes
 * scheduled statuses on the striker's server, or posts made by us at their
 * time, through every failure the Mastodon API has; against the stand-in
 * server on loopback, on a clock the test moves, with a real database.
 */
import { createHash, randomBytes } from "node:crypto";
import { configure, reset, type LogRecord } from "@logtape/logtape";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { BotContext } from "../../src/bot/connect.ts";
import { spreadOffsetMs } from "../../src/bot/plan.ts";
import { backoffMs, runBotPass, startBotScheduler } from "../../src/bot/scheduler.ts";
import { postStatus } from "../../src/bot/mastodon.ts";
import { getConnection, requestSyncAll, savePlan, setEnabled, updatePost } from "../../src/db/bot.ts";
import { insertMedia } from "../../src/db/media.ts";
import type { BotPost } from "../../src/db/schema.ts";
import { writeStrikeSettingsValue } from "../../src/db/strike.ts";
import { photo } from "../fixtures/images/index.ts";
import type { MastodonApiServer } from "../helpers/mastodon-api.ts";
import { addAccount, closeServers, connectAccount, dumpDb } from "./bot-context.ts";
import {
  DAY,
  DECLARATION_URL,
  HOUR,
  MIN,
  PLAN,
  postsOf,
  setup,
  slotIso,
  statusesPerSlot,
  statusPosts,
  walkThroughDay,
} from "./strike-setup.ts";

afterEach(closeServers);

/** The striker's own scheduled statuses (not the bot's), straight into the server's records. */
function seedOwnScheduled(server: MastodonApiServer, times: readonly Date[]): void {
  times.forEach((at, i) => {
    server.scheduled.push({
      id: String(900_000 + i),
      accountId: server.account.id,
      appId: null,
      scheduled_at: at,
      media_ids: [],
      params: {
        text: `own ${i}`,
        poll: null,
        media_ids: null,
        sensitive: null,
        spoiler_text: null,
        visibility: "public",
        idempotency: null,
        scheduled_at: null,
        language: "en",
        application_id: null,
        in_reply_to_id: null,
        with_rate_limit: false,
      },
    });
  });
}

describe("scheduling on the server", () => {
  it("schedules each future post at its slot plus the spread, with its text, visibility, language, warning and image", async () => {
    const png = await photo(16, 8, "png");
    const t = await setup();
    const image = t.db.transaction((tx) =>
      insertMedia(tx, {
        mime: "image/png",
        width: 16,
        height: 8,
        sha256: createHash("sha256").update(png).digest("hex"),
        data: png,
        alt: "Gallery words",
        title: "",
        gallery: true,
        createdBy: null,
        created: new Date(),
      }),
    ).media;
    await t.ctx.batcher.run(() =>
      savePlan(
        t.db,
        t.connection.id,
        { ...PLAN, mediaId: image.id, mediaAlt: "A raised fist on red" },
        true,
        t.server.clock.now(),
      ),
    );

    expect(await runBotPass(t.ctx)).toEqual({ synced: 1, posted: 0 });

    const offset = spreadOffsetMs(t.connection.id);
    const posts = postsOf(t);
    expect(posts.map((p) => p.slotAt.toISOString())).toEqual([0, 3, 6, 9, 12, 15, 18, 21].map(slotIso));
    expect(
      posts.every(
        (p) => p.state === "scheduled" && p.via === "server" && p.postAt.getTime() === p.slotAt.getTime() + offset,
      ),
    ).toBe(true);
    expect(posts[0]!.text).toBe(`A ${DECLARATION_URL} #SocialMediaStrike`);
    expect(posts[1]!.text).toBe(`B 21 hours left ${DECLARATION_URL} #SocialMediaStrike`);

    const scheduled = [...t.server.scheduled].sort((a, b) => a.scheduled_at.getTime() - b.scheduled_at.getTime());
    expect(scheduled.map((s) => s.scheduled_at.getTime())).toEqual(posts.map((p) => p.slotAt.getTime() + offset));
    expect(scheduled.map((s) => s.id)).toEqual(posts.map((p) => p.remoteId));
    scheduled.forEach((s, i) => {
      expect(s.params).toMatchObject({
        text: posts[i]!.text,
        visibility: "unlisted",
        language: "de",
        spoiler_text: "Strike",
        idempotency: posts[i]!.idempotencyKey,
      });
      expect(s.media_ids).toHaveLength(1);
      expect(t.server.media.find((m) => m.id === s.media_ids[0])).toMatchObject({
        description: "A raised fist on red",
        contentType: "image/png",
        width: 16,
        height: 8,
      });
    });
    const keys = statusPosts(t.server).map((r) => r.idempotencyKey);
    expect(keys).toEqual(posts.map((p) => p.idempotencyKey));
    expect(getConnection(t.db, t.connection.id)!.needsSync).toBe(false);

    // A second pass has nothing to do.
    const before = t.server.requests.length;
    expect(await runBotPass(t.ctx)).toEqual({ synced: 0, posted: 0 });
    expect(t.server.requests.length).toBe(before);
  });

  it("keeps within 25 a day, counting the striker's own scheduled statuses, and posts the rest itself at their time", async () => {
    const t = await setup({ plan: { cadence: { kind: "every", hours: 1 } } });
    seedOwnScheduled(
      t.server,
      Array.from({ length: 20 }, (_, i) => new Date(Date.parse(slotIso(0)) + i * 7 * MIN + 30_000)),
    );
    await runBotPass(t.ctx);
    const posts = postsOf(t);
    expect(posts).toHaveLength(24);
    expect(posts.slice(0, 5).every((p) => p.state === "scheduled" && p.via === "server")).toBe(true);
    expect(posts.slice(5).every((p) => p.state === "planned" && p.via === "site")).toBe(true);
    // It counted: no request was refused.
    expect(statusPosts(t.server)).toHaveLength(5);
    expect(t.server.requests.filter((r) => r.status === 422)).toHaveLength(0);

    await walkThroughDay(t);
    const done = postsOf(t);
    expect(done.map((p) => p.state)).toEqual(Array(24).fill("posted"));
    expect(done[0]!.url).toBe(`${t.server.url}/@striker`);
    const own = t.server.statuses.filter((s) => s.idempotency?.startsWith("undersign-strike-bot:"));
    expect(own).toHaveLength(24);
    const perSlot = statusesPerSlot(t.server);
    expect(perSlot.none).toBe(20); // the striker's own, published at their time
    expect(
      Object.entries(perSlot)
        .filter(([slot]) => slot !== "none")
        .map(([, n]) => n),
    ).toEqual(Array(24).fill(1));
    expect(done[10]!.url).toBe(
      `${t.server.url}/@striker/${t.server.statuses.find((s) => s.idempotency === done[10]!.idempotencyKey)!.id}`,
    );
    // Site posts went out at their time, not scheduled.
    const site = t.server.statuses.find((s) => s.idempotency === done[10]!.idempotencyKey)!;
    expect(site.created_at.getTime()).toBe(done[10]!.postAt.getTime());
    expect(site.scheduledStatusId).toBeNull();
  });

  it("keeps within 300 in all", async () => {
    const t = await setup({ plan: { cadence: { kind: "every", hours: 1 } } });
    // 295 of the striker's own, 25 a day from July 10.
    seedOwnScheduled(
      t.server,
      Array.from(
        { length: 295 },
        (_, i) => new Date(Date.parse("2030-07-10T00:00:00Z") + Math.floor(i / 25) * 24 * HOUR + (i % 25) * 50 * MIN),
      ),
    );
    await runBotPass(t.ctx);
    const posts = postsOf(t);
    expect(posts.filter((p) => p.state === "scheduled")).toHaveLength(5);
    expect(posts.filter((p) => p.state === "planned" && p.via === "site")).toHaveLength(19);
    expect(t.server.requests.filter((r) => r.status === 422)).toHaveLength(0);
    expect(t.server.scheduled).toHaveLength(300);
  });

  it("posts itself what the server refuses to schedule (a smaller limit of its own)", async () => {
    const t = await setup({ server: { scheduled: { dailyLimit: 3 } }, plan: { cadence: { kind: "every", hours: 2 } } });
    await runBotPass(t.ctx);
    const posts = postsOf(t);
    expect(posts.map((p) => p.state)).toEqual([...Array(3).fill("scheduled"), ...Array(9).fill("planned")]);
    expect(posts.slice(3).every((p) => p.via === "site")).toBe(true);
    expect(t.server.requests.filter((r) => r.status === 422)).toHaveLength(9);
    await walkThroughDay(t);
    expect(postsOf(t).map((p) => p.state)).toEqual(Array(12).fill("posted"));
    expect(Object.values(statusesPerSlot(t.server))).toEqual(Array(12).fill(1));
  });

  it("posts itself what is due within 10 minutes", async () => {
    const t = await setup({ now: "2030-07-04T00:55:00.000Z", plan: { cadence: { kind: "every", hours: 1 } } });
    const offset = spreadOffsetMs(t.connection.id);
    expect(offset).toBeLessThan(5 * MIN);
    await runBotPass(t.ctx);
    const posts = postsOf(t);
    // The slot at 00:00 has passed; 01:00 is due within 10 minutes.
    expect(posts[0]!.slotAt.toISOString()).toBe(slotIso(1));
    expect(posts[0]).toMatchObject({ state: "planned", via: null });
    expect(posts.slice(1).every((p) => p.state === "scheduled")).toBe(true);
    expect(t.server.scheduled).toHaveLength(22);

    t.server.clock.set(posts[0]!.postAt.getTime() - 1_000);
    expect(await runBotPass(t.ctx)).toEqual({ synced: 0, posted: 0 });
    t.server.clock.set(posts[0]!.postAt);
    expect(await runBotPass(t.ctx)).toEqual({ synced: 0, posted: 1 });
    const status = t.server.statuses[0]!;
    expect(t.server.statuses).toHaveLength(1);
    expect(status).toMatchObject({
      text: posts[0]!.text,
      visibility: "unlisted",
      language: "de",
      spoiler_text: "Strike",
      idempotency: posts[0]!.idempotencyKey,
    });
    expect(postsOf(t)[0]).toMatchObject({
      state: "posted",
      via: "site",
      remoteId: status.id,
      url: `${t.server.url}/@striker/${status.id}`,
      attempts: 1,
    });
    expect(statusPosts(t.server).at(-1)!.body.scheduled_at ?? null).toBeNull();
  });

  it("confirms server-scheduled posts once the server has published them", async () => {
    const t = await setup();
    await runBotPass(t.ctx);
    const first = postsOf(t)[0]!;
    t.server.clock.set(first.postAt.getTime() + 30_000);
    await runBotPass(t.ctx);
    expect(postsOf(t)[0]!.state).toBe("scheduled");
    t.server.clock.set(first.postAt.getTime() + 61_000);
    await runBotPass(t.ctx);
    const [done, next] = postsOf(t);
    expect(done).toMatchObject({ state: "posted", via: "server", url: `${t.server.url}/@striker` });
    expect(next!.state).toBe("scheduled");
    expect(t.server.statuses).toHaveLength(1);
    expect(t.server.statuses[0]).toMatchObject({ text: first.text, scheduledStatusId: first.remoteId });
  });
});

describe("changing the plan", () => {
  it("cancels the server's statuses that no longer fit and schedules the new ones; pausing cancels all; resuming schedules again", async () => {
    const t = await setup();
    await runBotPass(t.ctx);
    const before = postsOf(t);
    const deletes = () => t.server.requests.filter((r) => r.method === "DELETE").map((r) => r.path.split("/").at(-1));

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
    // Slots 1, 3, 5, 7 used the second template.
    expect(deletes()).toEqual([1, 3, 5, 7].map((i) => before[i]!.remoteId));
    expect(after.every((p) => p.state === "scheduled")).toBe(true);
    expect(after.filter((_, i) => i % 2 === 0).map((p) => p.remoteId)).toEqual(
      before.filter((_, i) => i % 2 === 0).map((p) => p.remoteId),
    );
    expect(after[1]!.text).toBe(`C ${DECLARATION_URL} #SocialMediaStrike`);
    expect(after[1]!.idempotencyKey).not.toBe(before[1]!.idempotencyKey);
    expect(t.server.scheduled.map((s) => s.params.text).sort()).toEqual(after.map((p) => p.text).sort());

    t.server.clock.advance(MIN);
    await t.ctx.batcher.run(() => setEnabled(t.db, t.connection.id, false, t.server.clock.now()));
    await runBotPass(t.ctx);
    expect(t.server.scheduled).toHaveLength(0);
    expect(deletes()).toHaveLength(12);
    expect(postsOf(t).map((p) => p.state)).toEqual(Array(8).fill("cancelled"));

    t.server.clock.advance(MIN);
    await t.ctx.batcher.run(() => setEnabled(t.db, t.connection.id, true, t.server.clock.now()));
    await runBotPass(t.ctx);
    const resumed = postsOf(t);
    expect(resumed.map((p) => p.state)).toEqual(Array(8).fill("scheduled"));
    expect(t.server.scheduled).toHaveLength(8);
    resumed.forEach((p, i) => {
      expect(p.idempotencyKey).not.toBe(after[i]!.idempotencyKey);
    });
    expect(t.server.requests.filter((r) => r.status === 404)).toHaveLength(0);
  });

  it("does not post a due post whose slot the striker removed after its time", async () => {
    const t = await setup({ server: { scheduled: { dailyLimit: 0 } } });
    await runBotPass(t.ctx);
    const first = postsOf(t)[0]!;
    t.server.fail("POST /api/v1/statuses", { status: 503, body: { error: "busy" } });
    t.server.clock.set(first.postAt);
    await runBotPass(t.ctx);
    expect(postsOf(t)[0]).toMatchObject({ state: "planned", attempts: 1 });
    await t.ctx.batcher.run(() =>
      savePlan(
        t.db,
        t.connection.id,
        { ...PLAN, cadence: { kind: "times", times: ["12:00"] } },
        true,
        t.server.clock.now(),
      ),
    );
    t.server.clock.set(first.postAt.getTime() + backoffMs(1));
    await runBotPass(t.ctx);
    expect(postsOf(t)[0]!.state).toBe("cancelled");
    expect(t.server.statuses).toHaveLength(0);
  });
});

describe("when the site owner changes the strike", () => {
  it("cancels the posts of a day that is no longer a strike day, and follows a new hashtag", async () => {
    const t = await setup({ plan: { days: [DAY, "2030-07-05"] } });
    await runBotPass(t.ctx);
    expect(t.server.scheduled).toHaveLength(16);
    writeStrikeSettingsValue(t.db, {
      name: "Social Media Strike",
      hashtags: ["FediStrike"],
      days: [DAY],
      timeZone: "UTC",
      cadenceMinutes: 60,
      declarations: [],
      templates: [{ text: "Site notice {declaration_url}", mediaIds: [] }],
      paused: false,
    });
    await t.ctx.batcher.run(() => requestSyncAll(t.db));
    await runBotPass(t.ctx);
    const live = postsOf(t).filter((p) => p.state === "scheduled");
    expect(live).toHaveLength(8);
    expect(live.every((p) => p.slotAt.toISOString().startsWith(DAY))).toBe(true);
    expect(live.every((p) => p.text.endsWith("#FediStrike"))).toBe(true);
    expect(t.server.scheduled.map((s) => s.params.text).sort()).toEqual(live.map((p) => p.text).sort());
  });
});

describe("idempotency", () => {
  it("schedules each slot once when two passes run at once", async () => {
    const t = await setup();
    const results = await Promise.all([runBotPass(t.ctx), runBotPass(t.ctx), runBotPass({ ...t.ctx })]);
    expect(t.server.scheduled).toHaveLength(8);
    expect(new Set(t.server.scheduled.map((s) => s.scheduled_at.getTime())).size).toBe(8);
    expect(postsOf(t)).toHaveLength(8);
    expect(
      postsOf(t)
        .map((p) => p.remoteId)
        .sort(),
    ).toEqual(t.server.scheduled.map((s) => s.id).sort());
    // In one process they ran one after the other: the later ones had nothing to do.
    expect(results.reduce((n, r) => n + r.synced, 0)).toBe(1);
  });

  it("posts each slot once when passes race at its time, or one is retried after a timeout", async () => {
    const t = await setup({ server: { scheduled: { dailyLimit: 0 } } });
    await runBotPass(t.ctx);
    const [first, second] = postsOf(t);
    expect(first).toMatchObject({ state: "planned", via: "site" });

    t.server.clock.set(first!.postAt);
    await Promise.all([runBotPass(t.ctx), runBotPass(t.ctx)]);
    expect(t.server.statuses).toHaveLength(1);

    // The server takes the post but answers too late (only this pass runs with a short timeout).
    t.server.clock.set(second!.postAt);
    t.server.fail("POST /api/v1/statuses", { delayMs: 400 });
    await runBotPass({ ...t.ctx, client: { ...t.ctx.client, timeoutMs: 150 } });
    const waiting = postsOf(t)[1]!;
    expect(waiting).toMatchObject({ state: "planned", attempts: 1 });
    expect(waiting.error).toContain("did not answer within 0.2 seconds");
    expect(waiting.nextAttemptAt.getTime()).toBe(second!.postAt.getTime() + backoffMs(1));
    await vi.waitFor(() => expect(t.server.statuses).toHaveLength(2), { timeout: 2_000 });
    t.server.clock.set(waiting.nextAttemptAt);
    await runBotPass(t.ctx);
    expect(postsOf(t)[1]).toMatchObject({ state: "posted", remoteId: t.server.statuses[1]!.id });
    expect(t.server.statuses).toHaveLength(2);
    expect(statusesPerSlot(t.server)).toEqual({ [slotIso(0)]: 1, [slotIso(3)]: 1 });
    // Every request to post carried its key.
    expect(
      statusPosts(t.server).every((r) => r.idempotencyKey?.startsWith(`undersign-strike-bot:${t.connection.id}:`)),
    ).toBe(true);
  });

  it("takes a status the server already holds for the slot instead of scheduling it twice", async () => {
    const t = await setup();
    // The first pass schedules, but its answer is lost (a timeout), and the server forgets the key (an hour later).
    t.server.fail("POST /api/v1/statuses", { delayMs: 400 });
    await runBotPass({ ...t.ctx, client: { timeoutMs: 150 } });
    await vi.waitFor(() => expect(t.server.scheduled).toHaveLength(1), { timeout: 2_000 });
    const lost = t.server.scheduled[0]!;
    expect(postsOf(t)[0]!.state).toBe("planned");
    t.server.clock.advance(2 * HOUR);
    await runBotPass(t.ctx);
    expect(t.server.scheduled).toHaveLength(8);
    expect(new Set(t.server.scheduled.map((s) => s.scheduled_at.getTime())).size).toBe(8);
    expect(postsOf(t)[0]).toMatchObject({ state: "scheduled", via: "server", remoteId: lost.id });
  });
});

describe("keys the server already knows", () => {
  it("renews the key when the server answers Record not found while scheduling, and posts at its time", async () => {
    const t = await setup();
    t.server.fail("POST /api/v1/statuses", { status: 404 });
    await runBotPass(t.ctx);
    const first = postsOf(t)[0]!;
    expect(first).toMatchObject({ state: "planned", via: "site" });
    expect(
      postsOf(t)
        .slice(1)
        .every((p) => p.state === "scheduled"),
    ).toBe(true);
    const refusedKey = statusPosts(t.server)[0]!.idempotencyKey!;
    const stem = (key: string) => key.slice(0, key.lastIndexOf(":"));
    expect(first.idempotencyKey).not.toBe(refusedKey);
    expect(stem(first.idempotencyKey)).toBe(stem(refusedKey));
    t.server.clock.set(first.postAt);
    await runBotPass(t.ctx);
    expect(postsOf(t)[0]).toMatchObject({ state: "posted", via: "site" });
    expect(t.server.statuses.map((s) => s.idempotency)).toEqual([first.idempotencyKey]);
  });

  it("does not post again what an earlier request with a lost answer scheduled", async () => {
    const t = await setup({ now: "2030-07-04T00:55:00.000Z", plan: { cadence: { kind: "every", hours: 1 } } });
    await runBotPass(t.ctx);
    const first = postsOf(t)[0]!;
    expect(first).toMatchObject({ state: "planned", via: null });
    // What a request whose answer never came back did on the server: scheduled with this post's key.
    await postStatus(
      t.server.url,
      t.token,
      { status: first.text, visibility: "unlisted", scheduledAt: first.postAt, idempotencyKey: first.idempotencyKey },
      { allowHttp: true, allowPrivateAddress: true, now: () => t.server.clock.now() },
    );
    t.server.clock.set(first.postAt);
    await runBotPass(t.ctx);
    expect(postsOf(t)[0]).toMatchObject({ state: "posted", via: "server", url: `${t.server.url}/@striker` });
    expect(t.server.statuses).toHaveLength(1);
    expect(t.server.statuses[0]!.idempotency).toBe(first.idempotencyKey);
  });

  it("never makes again a post that went out, whatever the plan says later", async () => {
    const t = await setup({ server: { scheduled: { dailyLimit: 0 } } });
    await runBotPass(t.ctx);
    const second = postsOf(t)[1]!;
    await t.ctx.batcher.run(() =>
      updatePost(t.db, second.id, {
        state: "posted",
        url: "https://example.test/early",
        updated: t.server.clock.now(),
      }),
    );
    await t.ctx.batcher.run(() =>
      savePlan(t.db, t.connection.id, { ...PLAN, templates: ["Other {declaration_url}"] }, true, t.server.clock.now()),
    );
    await runBotPass(t.ctx);
    expect(postsOf(t)[1]).toMatchObject({
      state: "posted",
      text: second.text,
      idempotencyKey: second.idempotencyKey,
      url: "https://example.test/early",
    });
    expect(postsOf(t)[2]!.text).toBe(`Other ${DECLARATION_URL} #SocialMediaStrike`);
  });

  it("leaves a connection alone while its token does not open (BOT_TOKEN_KEY changed), keeping the token for the right key", async () => {
    const t = await setup();
    const sent = t.server.requests.length;
    const sealed = getConnection(t.db, t.connection.id)!.tokenSealed;
    expect(await runBotPass({ ...t.ctx, key: randomBytes(32) })).toEqual({ synced: 0, posted: 0 });
    expect(getConnection(t.db, t.connection.id)).toMatchObject({
      status: "active",
      tokenSealed: sealed,
      needsSync: true,
    });
    expect(t.server.requests.length).toBe(sent);
    // Held for a while, then the right key works again.
    t.server.clock.advance(10 * MIN);
    expect(await runBotPass(t.ctx)).toEqual({ synced: 1, posted: 0 });
    expect(t.server.scheduled).toHaveLength(8);
  });
});

describe("failures", () => {
  /** Every post made by us (the server schedules none). */
  const sitePosts = (ctx?: Partial<BotContext>) =>
    setup({
      server: { scheduled: { dailyLimit: 0 } },
      plan: { cadence: { kind: "every", hours: 6 } },
      ...(ctx ? { ctx } : {}),
    });

  it("stops and tells the striker on 401, erasing the token and sending nothing more", async () => {
    const t = await sitePosts();
    await runBotPass(t.ctx);
    t.server.revokeAll();
    const [first, second] = postsOf(t);
    t.server.clock.set(first!.postAt);
    await runBotPass(t.ctx);
    const connection = getConnection(t.db, t.connection.id)!;
    expect(connection).toMatchObject({ status: "revoked", tokenSealed: null, enabled: false });
    expect(connection.statusReason).toContain("no longer accepts the strike bot's access to your account");
    expect(connection.statusReason).toContain("Connect your account again");
    expect(postsOf(t).map((p) => p.state)).toEqual(Array(4).fill("failed"));
    expect(postsOf(t)[1]!.error).toBe(connection.statusReason);
    const sent = t.server.requests.length;
    t.server.clock.set(second!.postAt);
    await runBotPass(t.ctx);
    t.server.clock.advance(HOUR);
    await runBotPass(t.ctx);
    expect(t.server.requests.length).toBe(sent);
  });

  it("stops on 401 while scheduling too", async () => {
    const t = await setup();
    t.server.revokeAll();
    await runBotPass(t.ctx);
    expect(getConnection(t.db, t.connection.id)).toMatchObject({
      status: "revoked",
      tokenSealed: null,
      needsSync: false,
    });
    expect(postsOf(t).map((p) => p.state)).toEqual(Array(8).fill("failed"));
  });

  it("tries scheduling again a minute after a server error, and after the time a 429 names", async () => {
    const t = await setup();
    t.server.fail("GET /api/v1/scheduled_statuses", { status: 503, body: { error: "Service Unavailable" } });
    expect(await runBotPass(t.ctx)).toEqual({ synced: 0, posted: 0 });
    expect(getConnection(t.db, t.connection.id)!.needsSync).toBe(true);
    expect(postsOf(t).map((p) => p.state)).toEqual(Array(8).fill("planned"));
    const sent = t.server.requests.length;
    t.server.clock.advance(59_000);
    await runBotPass(t.ctx);
    expect(t.server.requests.length).toBe(sent);

    t.server.fail("POST /api/v1/statuses", { status: 429, headers: { "Retry-After": "300" } });
    t.server.clock.advance(1_000);
    expect(await runBotPass(t.ctx)).toEqual({ synced: 0, posted: 0 });
    expect(t.server.scheduled).toHaveLength(0);
    t.server.clock.advance(299_000);
    await runBotPass(t.ctx);
    expect(t.server.scheduled).toHaveLength(0);
    t.server.clock.advance(1_000);
    expect(await runBotPass(t.ctx)).toEqual({ synced: 1, posted: 0 });
    expect(t.server.scheduled).toHaveLength(8);
    expect(getConnection(t.db, t.connection.id)!.needsSync).toBe(false);
  });

  it("fails a post the server refuses (422) with the server's words", async () => {
    const t = await sitePosts();
    await runBotPass(t.ctx);
    t.server.fail("POST /api/v1/statuses", {
      status: 422,
      body: { error: "Validation failed: Text character limit of 500 exceeded" },
    });
    const [first, second] = postsOf(t);
    t.server.clock.set(first!.postAt);
    await runBotPass(t.ctx);
    expect(postsOf(t)[0]!.state).toBe("failed");
    expect(postsOf(t)[0]!.error).toBe(
      `${t.server.host} refused this: Text character limit of 500 exceeded Edit the notice on the strike bot page (it may be too long, or the server's limits were reached).`,
    );
    t.server.clock.set(second!.postAt);
    await runBotPass(t.ctx);
    expect(postsOf(t)[1]!.state).toBe("posted");
  });

  it("waits for the time a 429 names, then posts", async () => {
    const t = await sitePosts();
    await runBotPass(t.ctx);
    const first = postsOf(t)[0]!;
    t.server.fail("POST /api/v1/statuses", { status: 429, headers: { "Retry-After": "120" } });
    t.server.clock.set(first.postAt);
    await runBotPass(t.ctx);
    const waiting = postsOf(t)[0]!;
    expect(waiting).toMatchObject({ state: "planned", attempts: 1 });
    expect(waiting.nextAttemptAt.getTime()).toBe(first.postAt.getTime() + 120_000);
    expect(waiting.error).toContain("asks the strike bot to slow down");
    const tries = statusPosts(t.server).length;
    t.server.clock.set(first.postAt.getTime() + 60_000);
    await runBotPass(t.ctx);
    expect(statusPosts(t.server)).toHaveLength(tries);
    t.server.clock.set(first.postAt.getTime() + 120_000);
    await runBotPass(t.ctx);
    expect(postsOf(t)[0]).toMatchObject({ state: "posted", attempts: 2, error: null });
    expect(t.server.statuses).toHaveLength(1);
  });

  it("retries a server error with backoff, then posts", async () => {
    const t = await sitePosts();
    await runBotPass(t.ctx);
    const first = postsOf(t)[0]!;
    t.server.fail("POST /api/v1/statuses", { status: 503, body: { error: "Service Unavailable" }, times: 2 });
    t.server.clock.set(first.postAt);
    await runBotPass(t.ctx);
    expect(postsOf(t)[0]).toMatchObject({
      state: "planned",
      attempts: 1,
      nextAttemptAt: new Date(first.postAt.getTime() + 30_000),
    });
    t.server.clock.advance(29_000);
    await runBotPass(t.ctx);
    expect(statusPosts(t.server).filter((r) => r.at.getTime() >= first.postAt.getTime())).toHaveLength(1);
    t.server.clock.advance(1_000);
    await runBotPass(t.ctx);
    expect(postsOf(t)[0]).toMatchObject({
      state: "planned",
      attempts: 2,
      nextAttemptAt: new Date(first.postAt.getTime() + 90_000),
    });
    t.server.clock.set(first.postAt.getTime() + 90_000);
    await runBotPass(t.ctx);
    expect(postsOf(t)[0]).toMatchObject({ state: "posted", attempts: 3 });
    expect(t.server.statuses).toHaveLength(1);
  });

  it("gives up on a post still failing 30 minutes after its time", async () => {
    const t = await sitePosts();
    await runBotPass(t.ctx);
    const first = postsOf(t)[0]!;
    t.server.fail("POST /api/v1/statuses", { status: 500, times: Infinity });
    t.server.clock.set(first.postAt);
    let post: BotPost = first;
    const attemptsAt: number[] = [];
    for (let i = 0; i < 20 && post.state === "planned"; i++) {
      t.server.clock.set(Math.max(post.nextAttemptAt.getTime(), post.postAt.getTime()));
      const before = statusPosts(t.server).length;
      await runBotPass(t.ctx);
      if (statusPosts(t.server).length > before)
        attemptsAt.push(t.server.clock.now().getTime() - first.postAt.getTime());
      post = postsOf(t)[0]!;
    }
    expect(attemptsAt).toEqual([0, 0.5, 1.5, 3.5, 7.5, 15.5, 25.5].map((m) => m * MIN));
    expect(post.state).toBe("failed");
    expect(post.error).toContain(`this site could not post it within 30 minutes of ${first.postAt.toISOString()}`);
    expect(post.error).toContain("The bot tried again until the post was too late.");
    expect(t.server.statuses).toHaveLength(0);
  });

  it("fails clearly when the server stops speaking the Mastodon API", async () => {
    const t = await sitePosts();
    await runBotPass(t.ctx);
    const first = postsOf(t)[0]!;
    t.server.mode = "not-mastodon";
    t.server.clock.set(first.postAt);
    await runBotPass(t.ctx);
    const post = postsOf(t)[0]!;
    expect(post).toMatchObject({ state: "failed", attempts: 1 });
    expect(post.error).toBe(
      `${t.server.host} does not offer the Mastodon API the strike bot posts through. It runs misskey 2024.11.0. The bot works with Mastodon and servers compatible with it. Connect an account on a server the bot can use.`,
    );
    expect(t.server.statuses).toHaveLength(0);
  });
});

describe("spread", () => {
  it("gives two strikers different offsets within the first five minutes", async () => {
    const t = await setup({ plan: { cadence: { kind: "every", hours: 6 } } });
    const bea = addAccount(t.db, "bea");
    t.server.addAccount({ username: "bea_remote" });
    t.server.authorization.username = "bea_remote";
    const second = await connectAccount(t.ctx, bea, t.server);
    await t.ctx.batcher.run(() =>
      savePlan(t.db, second.id, { ...PLAN, cadence: { kind: "every", hours: 6 } }, true, t.server.clock.now()),
    );
    await runBotPass(t.ctx);
    const offsetsOf = (accountId: string) =>
      new Set(t.server.scheduled.filter((s) => s.accountId === accountId).map((s) => s.scheduled_at.getTime() % HOUR));
    const a = [...offsetsOf(t.server.account.id)];
    const b = [...offsetsOf(t.server.accounts[1]!.id)];
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(1);
    expect(a[0]).not.toBe(b[0]);
    for (const o of [a[0]!, b[0]!]) expect(o).toBeLessThan(5 * MIN);
    expect(t.server.scheduled).toHaveLength(8);
  });
});

describe("secrets", () => {
  it("never logs the token, and stores it nowhere but sealed", async () => {
    const records: LogRecord[] = [];
    await configure({
      reset: true,
      sinks: { capture: (record) => records.push(record) },
      loggers: [
        { category: ["undersign"], lowestLevel: "debug", sinks: ["capture"] },
        { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
      ],
    });
    try {
      const t = await setup({ server: { scheduled: { dailyLimit: 2 } } });
      await runBotPass(t.ctx);
      expect(dumpDb(t.db)).not.toContain(t.token);
      const [, , third, fourth] = postsOf(t);
      t.server.fail("POST /api/v1/statuses", { delayMs: 300 });
      t.server.clock.set(third!.postAt);
      // Only this pass runs with a short timeout, so that it times out (and a loaded machine does not).
      await runBotPass({ ...t.ctx, client: { ...t.ctx.client, timeoutMs: 150 } });
      t.server.fail("POST /api/v1/statuses", {
        status: 422,
        body: { error: `Validation failed: bad token ${t.token}` },
      });
      t.server.clock.set(fourth!.postAt);
      await runBotPass(t.ctx);
      expect(postsOf(t)[3]!.error).not.toContain(t.token);
      t.server.revokeAll();
      t.server.clock.advance(6 * HOUR);
      await runBotPass(t.ctx);
      expect(getConnection(t.db, t.connection.id)!.status).toBe("revoked");
      const logged = records
        .map((r) =>
          JSON.stringify({ message: r.message, properties: r.properties }, (_, v: unknown) =>
            v instanceof Error ? `${v.message} ${v.stack}` : v,
          ),
        )
        .join("\n");
      expect(logged).toContain("Strike bot connected");
      expect(logged).toContain("did not answer within 0.2 seconds");
      expect(logged).toContain("refused this: bad token [token ");
      expect(logged).toContain("the server answered 401");
      expect(logged).not.toContain(t.token);
      expect(dumpDb(t.db)).not.toContain(t.token);
    } finally {
      await reset();
    }
  });
});

describe("the scheduler", () => {
  it("runs passes on its own until stopped", async () => {
    const t = await setup();
    const scheduler = startBotScheduler(t.ctx, { intervalMs: 50 });
    await vi.waitFor(() => expect(t.server.scheduled).toHaveLength(8), { timeout: 5_000 });
    // A change is picked up by a later pass.
    await t.ctx.batcher.run(() =>
      setEnabled(t.db, t.connection.id, false, new Date(t.server.clock.now().getTime() + 1)),
    );
    t.server.clock.advance(1_000);
    await vi.waitFor(() => expect(t.server.scheduled).toHaveLength(0), { timeout: 5_000 });
    await scheduler.stop();
    const sent = t.server.requests.length;
    await t.ctx.batcher.run(() =>
      setEnabled(t.db, t.connection.id, true, new Date(t.server.clock.now().getTime() + 2)),
    );
    scheduler.poke();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(t.server.requests.length).toBe(sent);
    expect(getConnection(t.db, t.connection.id)!.needsSync).toBe(true);
  });
});
