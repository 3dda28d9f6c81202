/**
 * What Declarations post by themselves: once per thing even when passes run
 * twice or a process stops between writing and delivering; hourly digests
 * only when someone signed; followers whose inbox is gone (410) dropped; the
 * followers-synchronization header on posts but not on strike notices; and
 * no fetching from private addresses unless allowed.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { appendRevision, getDeclarationBySlug } from "../../src/db/declarations.ts";
import { upsertRemoteActor, addFollower } from "../../src/db/fediverse.ts";
import { addReaction } from "../../src/db/reactions.ts";
import { listPosts } from "../../src/db/posts.ts";
import { postNoticesNow } from "../../src/federation/notices.ts";
import { createDuePosts } from "../../src/federation/publish.ts";
import { startFediverseServer, type FediverseServer } from "../helpers/fediverse.ts";
import { mastodon } from "../helpers/fediverse-shapes.ts";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { startInstance, type TestInstance } from "../helpers/instance.ts";

const HOUR = 60 * 60 * 1000;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});
afterAll(async () => {
  while (closers.length > 0) await closers.pop()!();
});

function kinds(db: Parameters<typeof listPosts>[0], id: number) {
  return listPosts(db, id, ["article", "announcement", "version", "digest"])
    .map((p) => p.key)
    .sort();
}

describe("posts", () => {
  it("creates the Article and the announcement once, however many passes run", async () => {
    const t = await createTestApp();
    const d = addDeclaration(t.db);
    await Promise.all([t.publisher.runOnce(), t.publisher.runOnce(), createDuePosts(t.runtime.data, new Date())]);
    await t.publisher.runOnce();
    expect(kinds(t.db, d.id)).toEqual(["announcement", "article"]);
    const activities = t.db.$client
      .prepare("SELECT type, delivered IS NOT NULL AS delivered FROM fed_activities")
      .all();
    expect(activities).toEqual([
      { type: "Create", delivered: 1 },
      { type: "Create", delivered: 1 },
    ]);
  });

  it("a new revision makes an Update of the Article and of the announcement (its opening changed), and one version note", async () => {
    const t = await createTestApp();
    const d = addDeclaration(t.db);
    await t.publisher.runOnce();
    t.db.transaction((tx) =>
      appendRevision(tx, d, { title: d.title, summary: "", body: "Changed.\n", changeSummary: "", origin: "site" }),
    );
    await t.publisher.runOnce();
    await t.publisher.runOnce();
    expect(kinds(t.db, d.id)).toEqual(["announcement", "article", "version:2"]);
    expect(t.db.$client.prepare("SELECT type, revision FROM fed_activities ORDER BY id").all()).toEqual([
      { type: "Create", revision: 1 },
      { type: "Create", revision: 1 },
      { type: "Update", revision: 2 },
      { type: "Update", revision: 2 },
      { type: "Create", revision: 2 },
    ]);
  });

  it("drafts post nothing", async () => {
    const t = await createTestApp();
    const d = addDeclaration(t.db, { status: "draft" });
    await t.publisher.runOnce();
    expect(kinds(t.db, d.id)).toEqual([]);
  });

  it("activities written but not delivered (a stop in between) are delivered on the next pass", async () => {
    const t = await createTestApp();
    addDeclaration(t.db);
    await createDuePosts(t.runtime.data, new Date());
    expect(t.db.$client.prepare("SELECT count(*) AS n FROM fed_activities WHERE delivered IS NULL").get()).toEqual({
      n: 2,
    });
    await t.publisher.runOnce();
    expect(t.db.$client.prepare("SELECT count(*) AS n FROM fed_activities WHERE delivered IS NULL").get()).toEqual({
      n: 0,
    });
  });
});

describe("signing digests", () => {
  it("posts at most one per hour, only when people signed, saying how many", async () => {
    const t = await createTestApp();
    const d = addDeclaration(t.db);
    const start = new Date("2026-07-04T08:00:00Z");
    await createDuePosts(t.runtime.data, start);
    // Nobody signed: no digest an hour later.
    await createDuePosts(t.runtime.data, new Date(start.getTime() + HOUR));
    expect(kinds(t.db, d.id).filter((k) => k.startsWith("digest"))).toEqual([]);

    const signedAt = new Date(start.getTime() + HOUR + 60_000);
    t.db.transaction((tx) => {
      for (let i = 0; i < 3; i++) {
        const actor = upsertRemoteActor(
          tx,
          {
            uri: `https://m.example/users/u${i}`,
            handle: `u${i}@m.example`,
            name: null,
            url: `https://m.example/@u${i}`,
            iconUrl: null,
            inbox: `https://m.example/users/u${i}/inbox`,
            sharedInbox: null,
          },
          signedAt,
        );
        addReaction(tx, {
          declarationId: d.id,
          actorId: actor.id,
          activityUri: `https://m.example/users/u${i}#likes/1`,
          objectUri: "x",
          kind: "like",
          content: null,
          revision: 1,
          name: `u${i}`,
          website: "https://m.example",
          now: signedAt,
        });
      }
    });
    // Too soon after the previous post? The Article was posted at `start`; an hour has passed: due.
    await createDuePosts(t.runtime.data, new Date(start.getTime() + HOUR + 120_000));
    const digests = listPosts(t.db, d.id, ["digest"]);
    expect(digests).toHaveLength(1);
    expect(digests[0]).toMatchObject({ delta: 3, signatureCount: 3 });
    // Within the hour after that digest: nothing more, even with new signatures.
    await createDuePosts(t.runtime.data, new Date(start.getTime() + HOUR + 30 * 60_000));
    expect(listPosts(t.db, d.id, ["digest"])).toHaveLength(1);
    const note = await t.app.request(`/ap/notes/${digests[0]!.uuid}`, {
      headers: { accept: "application/activity+json" },
    });
    expect(((await note.json()) as { content: string }).content).toContain("3 people signed");
  });
});

describe("delivery", () => {
  it("sends the followers-synchronization header (FEP-8fcf) with posts but not with strike notices", async () => {
    const site: TestInstance = await startInstance();
    closers.push(() => site.close());
    const seen: { type: string; object: string; sync: boolean }[] = [];
    const inbox: Server = createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8").on("data", (d: string) => (body += d));
      req.on("end", () => {
        const json = JSON.parse(body) as { type: string; object: string | { id: string } };
        seen.push({
          type: json.type,
          object: typeof json.object === "string" ? json.object : json.object.id,
          sync: req.headers["collection-synchronization"] != null,
        });
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((r) => inbox.listen(0, "127.0.0.1", r));
    closers.push(() => new Promise((r) => inbox.close(() => r())));
    const remote = `http://127.0.0.1:${(inbox.address() as AddressInfo).port}`;
    const d = addDeclaration(site.db);
    site.db.transaction((tx) => {
      const actor = upsertRemoteActor(
        tx,
        {
          uri: `${remote}/users/fan`,
          handle: null,
          name: null,
          url: `${remote}/users/fan`,
          iconUrl: null,
          inbox: `${remote}/users/fan/inbox`,
          sharedInbox: null,
        },
        new Date(),
      );
      addFollower(tx, d.id, actor.id, null, new Date());
    });
    await site.publish();
    await site.drain(20_000);
    const [notice] = await postNoticesNow(site.runtime.data, new URL(site.origin), [d.slug], new Date());
    await site.publish();
    await site.drain(20_000);
    const noticeCreate = seen.filter((a) => a.object.endsWith(notice!.uuid));
    expect(noticeCreate).toEqual([{ type: "Create", object: expect.any(String), sync: false }]);
    const others = seen.filter((a) => !a.object.endsWith(notice!.uuid));
    expect(others.length).toBeGreaterThanOrEqual(2);
    expect(others.every((a) => a.sync)).toBe(true);
  }, 30_000);

  it("drops a follower whose inbox answers 410 Gone", async () => {
    const site: TestInstance = await startInstance();
    closers.push(() => site.close());
    let hits = 0;
    const gone: Server = createServer((req, res) => {
      hits++;
      req.resume();
      res.writeHead(410).end();
    });
    await new Promise<void>((r) => gone.listen(0, "127.0.0.1", r));
    closers.push(() => new Promise((r) => gone.close(() => r())));
    const goneOrigin = `http://127.0.0.1:${(gone.address() as AddressInfo).port}`;
    const d = addDeclaration(site.db);
    site.db.transaction((tx) => {
      const actor = upsertRemoteActor(
        tx,
        {
          uri: `${goneOrigin}/users/ghost`,
          handle: null,
          name: null,
          url: `${goneOrigin}/users/ghost`,
          iconUrl: null,
          inbox: `${goneOrigin}/users/ghost/inbox`,
          sharedInbox: null,
        },
        new Date(),
      );
      addFollower(tx, d.id, actor.id, null, new Date());
    });
    await site.publish();
    await site.drain(20_000);
    expect(hits).toBeGreaterThan(0);
    expect(site.db.$client.prepare("SELECT count(*) AS n FROM followers").get()).toEqual({ n: 0 });
  }, 30_000);

  it("refuses to fetch from private addresses unless allowed", async () => {
    const site = await startInstance({ env: { FEDERATION_ALLOW_PRIVATE_ADDRESS: "false" } });
    closers.push(() => site.close());
    const remote: FediverseServer = await startFediverseServer({ users: ["eve"] });
    closers.push(() => remote.close());
    const d = addDeclaration(site.db, { slug: "private" });
    await site.publish();
    // Verifying the signature needs eve's key from a loopback address: refused.
    const response = await remote.postSigned({
      inbox: `${site.origin}/inbox`,
      json: mastodon.like(remote.actorUri("eve"), `${site.origin}/d/private`),
      user: "eve",
    });
    expect(response.status).toBe(401);
    expect(getDeclarationBySlug(site.db, "private")!.signatureCount).toBe(0);
    expect(d.id).toBeGreaterThan(0);
  });
});

describe("activity size", () => {
  it("sends a large Article by reference so every activity stays under 64 KiB", async () => {
    const site = await startInstance();
    closers.push(() => site.close());
    const remote = await startFediverseServer({ users: ["reader"] });
    closers.push(() => remote.close());
    const paragraph = "We declare that every person may leave a platform and take their words with them. ".repeat(12);
    const d = addDeclaration(site.db, {
      slug: "long",
      body: Array.from({ length: 150 }, (_, i) => `## Article ${i + 1}\n\n${paragraph}\n`).join("\n"),
    });
    await site.publish();
    await remote.follow("reader", `${site.origin}/d/long`);
    await remote.waitFor((a) => a.type === "Accept");
    site.db.transaction((tx) =>
      appendRevision(tx, d, { title: d.title, summary: "", body: "Short now.\n", changeSummary: "", origin: "site" }),
    );
    // Revision 2 is short: embedded.  Make revision 3 long again: by reference.
    const d2 = getDeclarationBySlug(site.db, "long")!;
    await site.publish();
    const short = await remote.waitFor((a) => a.type === "Update");
    expect(typeof short.json.object).toBe("object");
    site.db.transaction((tx) =>
      appendRevision(tx, d2, {
        title: d.title,
        summary: "",
        body: `${paragraph}\n`.repeat(150),
        changeSummary: "",
        origin: "site",
      }),
    );
    await site.publish();
    const long = await remote.waitFor((a) => a.type === "Update" && typeof a.json.object === "string");
    expect(JSON.stringify(long.json).length).toBeLessThan(64 * 1024);
    // The reference resolves to the full Article, with its Markdown source.
    const article = (await (
      await fetch(long.json.object as string, { headers: { accept: "application/activity+json" } })
    ).json()) as Record<string, any>;
    expect(article.type).toBe("Article");
    expect(article.source.mediaType).toBe("text/markdown");
    expect(article.url).toBe(`${site.origin}/d/long/v/3`);
    for (const a of remote.received) expect(JSON.stringify(a.json).length, a.type).toBeLessThan(64 * 1024);
  }, 30_000);
});
