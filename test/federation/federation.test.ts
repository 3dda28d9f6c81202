/**
 * undersign and a stand-in for a Mastodon user's server, both real, on two
 * loopback ports: discovery by handle, follow with a signed Accept, posts
 * delivered, favourite to sign and unfavourite to withdraw, boosts, replies,
 * profile updates, account deletion, reports and unfollowing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDeclarationBySlug } from "../../src/db/declarations.ts";
import { appendRevision } from "../../src/db/declarations.ts";
import { getPost } from "../../src/db/posts.ts";
import { startFediverseServer, type FediverseServer } from "../helpers/fediverse.ts";
import { addDeclaration, startInstance, type TestInstance } from "../helpers/instance.ts";

const AP = { accept: "application/activity+json" };

let site: TestInstance;
let remote: FediverseServer;
let actorUri: string;
let noteUri: string;
let articleUri: string;

function declaration() {
  return getDeclarationBySlug(site.db, "digital-rights")!;
}

async function getJson(url: string): Promise<Record<string, any>> {
  const response = await fetch(url, { headers: AP });
  expect(response.status, url).toBe(200);
  return (await response.json()) as Record<string, any>;
}

async function pageText(): Promise<string> {
  const response = await fetch(`${site.origin}/d/digital-rights`);
  expect(response.status).toBe(200);
  return response.text();
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  site = await startInstance();
  addDeclaration(site.db, {
    slug: "digital-rights",
    title: "Digital Rights",
    hashtags: ["SocialMediaStrike", "DigitalRights"],
  });
  await site.publish();
  remote = await startFediverseServer({ users: ["alice", "bob", "carol"] });
  const d = declaration();
  actorUri = `${site.origin}/d/digital-rights`;
  noteUri = `${site.origin}/ap/notes/${getPost(site.db, d.id, "announcement")!.uuid}`;
  articleUri = `${site.origin}/ap/articles/${getPost(site.db, d.id, "article")!.uuid}`;
}, 60_000);

afterAll(async () => {
  await remote?.close();
  await site?.close();
});

describe("a Mastodon-like server and an undersign Declaration", () => {
  it("finds the Declaration by its handle", async () => {
    const actor = await remote.lookup("alice", `digital-rights@${site.host}`);
    expect(actor.id?.href).toBe(actorUri);
    expect(actor.constructor.name).toBe("Service");
    const json = await getJson(actorUri);
    expect(json.preferredUsername).toBe("digital-rights");
    expect(json.url).toBe(actorUri);
    expect(json.publicKey.id).toBe(`${actorUri}#main-key`);
    expect(Array.isArray(json.publicKey)).toBe(false);
    expect(json.assertionMethod).toHaveLength(2);
    expect(json.endpoints.sharedInbox).toBe(`${site.origin}/inbox`);
    expect(Array.isArray(json.attachment) && json.attachment.length >= 2).toBe(true);
    expect(json.icon.url).toBe(`${site.origin}/static/avatar.png`);
    expect(json.image.url).toBe(`${site.origin}/static/header.png`);
    const followers = await getJson(json.followers);
    expect(followers.first).toBe(`${json.followers}?cursor=0`);
  });

  it("keeps the actor's keys across restarts of the key cache (stored once)", async () => {
    const before = (await getJson(actorUri)).publicKey.publicKeyPem;
    const row = site.db.$client
      .prepare("SELECT rsa_public FROM actor_keys WHERE identifier = 'digital-rights'")
      .get() as { rsa_public: string };
    expect(row.rsa_public).toContain('"kty":"RSA"');
    expect((await getJson(actorUri)).publicKey.publicKeyPem).toBe(before);
  });

  it("accepts a follow with a signed Accept and lists the follower", async () => {
    await remote.follow("alice", actorUri);
    const accept = await remote.waitFor((a) => a.type === "Accept" && a.recipient === "alice");
    expect(accept.actor).toBe(actorUri);
    await until(() => remote.followingAccepted("alice", actorUri), "the Accept to be matched with the Follow");
    const page = await getJson(`${actorUri}/followers?cursor=0`);
    expect(page.orderedItems).toEqual([remote.actorUri("alice")]);
    expect((await getJson(`${actorUri}/followers`)).totalItems).toBe(1);
  });

  it("delivers a new version to its followers: Update of the Article and a version Note", async () => {
    const d = declaration();
    site.db.transaction((tx) => {
      const n = appendRevision(tx, d, {
        title: d.title,
        summary: d.summary,
        body: "## First\n\nWe declare that tests are very good.\n",
        changeSummary: "Stronger wording",
        origin: "site",
      });
      void n;
    });
    await site.publish();
    const update = await remote.waitFor((a) => a.type === "Update");
    expect((update.json.object as Record<string, unknown>).type).toBe("Article");
    const create = await remote.waitFor((a) => a.type === "Create" && JSON.stringify(a.json).includes("Version 2"));
    const note = create.json.object as Record<string, any>;
    expect(note.type).toBe("Note");
    expect(note.content).toContain("/d/digital-rights/diff/1..2");
    expect(note.content).toContain("Favourite this post to sign");
    expect(note.content).toContain('rel="tag"');
    expect(JSON.stringify(create.json).length).toBeLessThan(64 * 1024);
    // Delivered once, to the shared inbox.
    expect(remote.received.filter((a) => a.type === "Create")).toHaveLength(1);
    expect(create.recipient).toBeNull();
  });

  it("signs the Declaration when a post is favourited, and withdraws when unfavourited", async () => {
    const before = declaration().signatureCount;
    await remote.like("alice", noteUri);
    expect(declaration().signatureCount).toBe(before + 1);
    const html = await pageText();
    expect(html).toContain("alice@");
    const row = site.db.$client
      .prepare("SELECT kind, status, revision FROM signatures WHERE remote_actor_id IS NOT NULL")
      .get() as { kind: string; status: string; revision: number };
    expect(row).toEqual({ kind: "fediverse", status: "confirmed", revision: 2 });

    // A second favourite (of the Article) does not count twice; undoing one keeps the signature.
    await remote.like("alice", articleUri);
    expect(declaration().signatureCount).toBe(before + 1);
    await remote.unlike("alice", articleUri);
    expect(declaration().signatureCount).toBe(before + 1);
    await remote.unlike("alice", noteUri);
    expect(declaration().signatureCount).toBe(before);
    expect(await pageText()).not.toContain(`alice@${remote.host}`);
  });

  it("counts a signing emoji reaction as a signature too, and keeps others as reactions only", async () => {
    const before = declaration().signatureCount;
    await remote.react("bob", noteUri, "✍️");
    expect(declaration().signatureCount).toBe(before + 1);
    await remote.unreact("bob", noteUri, "✍️");
    expect(declaration().signatureCount).toBe(before);
    await remote.react("bob", noteUri, "🔥");
    expect(declaration().signatureCount).toBe(before);
    await remote.unreact("bob", noteUri, "🔥");
    expect(declaration().signatureCount).toBe(before);
  });

  it("counts boosts", async () => {
    const boosts = () => (site.db.$client.prepare("SELECT count(*) AS n FROM fed_boosts").get() as { n: number }).n;
    await remote.announce("alice", noteUri);
    expect(boosts()).toBe(1);
    await remote.unannounce("alice", noteUri);
    expect(boosts()).toBe(0);
  });

  it("shows a reply as a response, mirrors its edit and deletion", async () => {
    const reply = await remote.reply(
      "carol",
      noteUri,
      '<p>I signed! <script>alert(1)</script><a href="javascript:x">x</a></p>',
      { mention: actorUri },
    );
    let html = await pageText();
    expect(html).toContain("I signed!");
    expect(html).not.toContain("<script>alert(1)");
    expect(html).not.toContain("javascript:x");
    await remote.updateReply(reply, "<p>I signed, and so did my friends.</p>");
    html = await pageText();
    expect(html).toContain("so did my friends");
    await remote.deleteReply(reply);
    expect(await pageText()).not.toContain("so did my friends");
  });

  it("refreshes a signer's name when their profile changes", async () => {
    await remote.like("carol", noteUri);
    await remote.updateProfile("carol", { name: "Carol Newname" });
    expect(await pageText()).toContain("Carol Newname");
  });

  it("removes the signatures and responses of a deleted account", async () => {
    await remote.like("bob", noteUri);
    await remote.reply("bob", noteUri, "<p>Bob was here</p>", { mention: actorUri });
    const before = declaration().signatureCount;
    await remote.deleteAccount("bob");
    expect(declaration().signatureCount).toBe(before - 1);
    expect(await pageText()).not.toContain("Bob was here");
  });

  it("keeps reports for the site owner", async () => {
    await remote.flag(null, actorUri, [noteUri], "Spam?");
    const row = site.db.$client.prepare("SELECT content, object_uris FROM fed_reports").get() as {
      content: string;
      object_uris: string;
    };
    expect(row.content).toBe("Spam?");
    expect(JSON.parse(row.object_uris)).toContain(noteUri);
  });

  it("removes an unfollower from the followers collection", async () => {
    await remote.unfollow("alice", actorUri);
    expect((await getJson(`${actorUri}/followers?cursor=0`)).orderedItems ?? []).toEqual([]);
  });

  it("left nothing in the delivery queue", async () => {
    await site.drain();
  });
});
