/**
 * The site account, end to end: undersign and a stand-in for a Mastodon
 * user's server, both real, on two loopback ports.  Finding the account by its
 * handle and by the site's address, following with a signed Accept and
 * unfollowing, what it posts for each event (a new Declaration, a copy here
 * and elsewhere, version notes, the strike's announcement, countdown and
 * notices), a follower of both the site and a Declaration getting each notice
 * once, favourites of its posts signing nothing, and an account on a server
 * that answers only signed fetches following it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCopy } from "../../src/db/copies.ts";
import { createAccount, findAccountByUsername } from "../../src/db/accounts.ts";
import { appendRevision, getDeclarationBySlug } from "../../src/db/declarations.ts";
import { createPost, getPost } from "../../src/db/posts.ts";
import { upsertRemoteCopy } from "../../src/db/remote-copies.ts";
import { countSiteFollowers, listSiteFollowerRecipients, siteFollowersByServer } from "../../src/db/site-account.ts";
import { writeStrikeSettingsValue } from "../../src/db/strike.ts";
import { createDueNotices, postNoticesNow } from "../../src/federation/notices.ts";
import { deliverPending } from "../../src/federation/publish.ts";
import { buildActor } from "../../src/federation/actors.ts";
import { createDueSitePosts, deliverSitePosts, sendSiteProfileUpdate } from "../../src/federation/site-account.ts";
import { startActorServer, type ActorServer } from "../helpers/actor-server.ts";
import { mastodon } from "../helpers/fediverse-shapes.ts";
import { MISSKEY_TEXT_MAX, mastodonView, misskeyView, pleromaView, snacView } from "../helpers/peer-views.ts";
import { startFediverseServer, type FediverseServer, type ReceivedActivity } from "../helpers/fediverse.ts";
import { addDeclaration, publishDeclaration, startInstance, type TestInstance } from "../helpers/instance.ts";

const AP = { accept: "application/activity+json" };

let site: TestInstance;
let remote: FediverseServer;
let siteActor: string;

async function getJson(url: string): Promise<Record<string, any>> {
  const response = await fetch(url, { headers: AP });
  expect(response.status, url).toBe(200);
  return (await response.json()) as Record<string, any>;
}

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** What the site account delivered (to the stand-in's inboxes). */
function fromSite(): ReceivedActivity[] {
  return remote.received.filter((a) => a.actor === siteActor);
}

/** The Notes the site account created, by content. */
function siteNotes(): { id: string; content: string; json: Record<string, any> }[] {
  return fromSite()
    .filter((a) => a.type === "Create")
    .map((a) => {
      const note = a.json.object as Record<string, any>;
      return { id: note.id as string, content: note.content as string, json: note };
    });
}

/** Creates and delivers what is due, then waits for the deliveries. */
async function publish(): Promise<void> {
  await site.publish();
  await site.drain();
}

/**
 * A Mastodon home feed, as Mastodon builds it (FeedManager): the statuses
 * of the accounts the user follows, and their boosts, except a boost of a
 * status already in the feed.  Returns the statuses the user sees, in order.
 */
function homeFeed(user: string): string[] {
  const seen: string[] = [];
  for (const a of remote.received) {
    if (a.actor == null || !remote.followingAccepted(user, a.actor)) continue;
    const object = a.type === "Create" ? ((a.json.object as Record<string, any>).id as string) : null;
    const boosted = a.type === "Announce" ? (a.json.object as string) : null;
    const status = object ?? boosted;
    if (status == null || seen.includes(status)) continue;
    seen.push(status);
  }
  return seen;
}

beforeAll(async () => {
  site = await startInstance({ instanceName: "Digital Independence" });
  siteActor = `${site.origin}/d/site_account`;
  // The site account begins with the first pass: what came before it is not posted.
  addDeclaration(site.db, { slug: "before", title: "Before the account" });
  await publish();
  remote = await startFediverseServer({ users: ["alice", "bob", "carol"], autoAccept: true });
}, 60_000);

afterAll(async () => {
  await remote?.close();
  await site?.close();
});

describe("finding the site account", () => {
  it("by its handle, from INSTANCE_NAME: a bot Service with the owner's introduction, images and links", async () => {
    const actor = await remote.lookup("alice", `digital-independence@${site.host}`);
    expect(actor.id?.href).toBe(siteActor);
    expect(actor.constructor.name).toBe("Service");
    const json = await getJson(siteActor);
    expect(json.preferredUsername).toBe("digital-independence");
    expect(json.name).toBe("Digital Independence");
    expect(json.summary).toContain("Digital Independence hosts Declarations");
    expect(json.summary).toContain("signs nothing");
    expect(json.url).toBe(`${site.origin}/`);
    expect(json.icon.url).toBe(`${site.origin}/static/avatar.png`);
    expect(json.image.url).toBe(`${site.origin}/static/header.png`);
    expect(json.manuallyApprovesFollowers).toBe(false);
    expect(json.publicKey.id).toBe(`${siteActor}#main-key`);
    expect(Array.isArray(json.attachment)).toBe(true);
    expect(json.attachment.map((f: { name: string }) => f.name)).toEqual(["Site", "Strike", "FAQ"]);
    expect(json.attachment[1].value).toContain(`${site.origin}/strike`);
    const followers = await getJson(json.followers);
    expect(followers.first).toBe(`${json.followers}?cursor=0`);
    expect((await getJson(json.outbox)).totalItems).toBe(0);
    // Its own keys, not the instance actor's.
    const instance = await getJson(`${site.origin}/d/instance`);
    expect(instance.publicKey.publicKeyPem).not.toBe(json.publicKey.publicKeyPem);
  });

  it("by the site's address: `/` and `/strike` asked for ActivityPub lead to the account", async () => {
    for (const path of ["/", "/strike"]) {
      const response = await fetch(`${site.origin}${path}`, { headers: AP, redirect: "manual" });
      expect(response.status).toBe(302);
      expect(response.headers.get("location")).toBe(siteActor);
      expect(response.headers.get("vary")).toContain("Accept");
    }
    // A browser still gets the page.
    expect((await fetch(`${site.origin}/`)).headers.get("content-type")).toContain("text/html");
    const actor = await remote.lookup("bob", `${site.origin}/`);
    expect(actor.id?.href).toBe(siteActor);
    // WebFinger of the address names the account too.
    const finger = await fetch(
      `${site.origin}/.well-known/webfinger?resource=${encodeURIComponent(`${site.origin}/`)}`,
    );
    expect(((await finger.json()) as { links: { rel: string; href?: string }[] }).links[0]!.href).toBe(siteActor);
  });

  it("the instance actor still refuses followers", async () => {
    await remote.follow("carol", `${site.origin}/d/instance`);
    await remote.waitFor((a) => a.type === "Reject" && a.actor === `${site.origin}/d/instance`);
    expect(remote.followingAccepted("carol", `${site.origin}/d/instance`)).toBe(false);
  });
});

describe("following the site account", () => {
  it("gets a signed Accept, and the follow is stored", async () => {
    await remote.follow("alice", siteActor);
    await until(() => remote.followingAccepted("alice", siteActor), "alice's Accept");
    await remote.follow("bob", siteActor);
    await until(() => remote.followingAccepted("bob", siteActor), "bob's Accept");
    expect(countSiteFollowers(site.db)).toBe(2);
    expect(siteFollowersByServer(site.db)).toEqual([{ host: remote.host.split(":")[0], followers: 2 }]);
    expect((await getJson(`${siteActor}/followers`)).totalItems).toBe(2);
    // Following the site is not following a Declaration.
    expect(site.db.$client.prepare("SELECT count(*) AS n FROM followers").get()).toEqual({ n: 0 });
  });

  it("posts nothing about what happened before the account began", async () => {
    expect(siteNotes().some((n) => n.content.includes("Before the account"))).toBe(false);
  });
});

describe("what the site account posts", () => {
  it("a new Declaration: a Note with its words, a link, its handle, hashtags, and that favouriting it signs nothing", async () => {
    await publishDeclaration(site, "rights", "Digital Rights");
    await site.drain();
    await until(() => siteNotes().some((n) => n.content.includes("Digital Rights")), "the site's Note");
    const note = siteNotes().find((n) => n.content.includes("Digital Rights"))!;
    expect(note.content).toContain("New Declaration on Digital Independence");
    expect(note.content).toContain(`${site.origin}/d/rights`);
    expect(note.content).toContain("Favouriting this post signs nothing");
    expect(note.content).toContain("favourite the Declaration’s own post");
    expect(note.content).toContain('class="mention hashtag"');
    const tags = [note.json.tag].flat() as { type: string; name: string; href: string }[];
    expect(tags).toContainEqual(expect.objectContaining({ type: "Hashtag", name: "#SocialMediaStrike" }));
    expect(tags).toContainEqual(
      expect.objectContaining({ type: "Mention", href: `${site.origin}/d/rights`, name: `@rights@${site.host}` }),
    );
    expect(note.json.attributedTo).toBe(siteActor);
    expect(note.json.url).toBe(`${site.origin}/d/rights`);
    // The Note and its Create can be fetched at their ids.
    expect((await getJson(note.id)).content).toBe(note.content);
    const create = fromSite().find((a) => a.type === "Create" && (a.json.object as { id: string }).id === note.id)!;
    expect((await getJson(create.id!)).type).toBe("Create");
    // Once: another pass posts nothing new.
    const before = fromSite().length;
    await publish();
    expect(fromSite().length).toBe(before);
  });

  it("a new version: a boost of the Declaration's version note", async () => {
    const d = getDeclarationBySlug(site.db, "rights")!;
    site.db.transaction((tx) =>
      appendRevision(tx, d, {
        title: "Digital Rights",
        summary: d.summary,
        body: "## New\n\nMore.\n",
        changeSummary: "More.",
        origin: "site",
      }),
    );
    await publish();
    const version = getPost(site.db, d.id, "version:2")!;
    const noteUri = `${site.origin}/ap/notes/${version.uuid}`;
    await until(() => fromSite().some((a) => a.type === "Announce" && a.object === noteUri), "the boost");
    const boost = fromSite().find((a) => a.type === "Announce" && a.object === noteUri)!;
    expect(boost.json.cc).toContain(`${site.origin}/d/rights`);
    expect((await getJson(boost.id!)).type).toBe("Announce");
  });

  it("a signing digest: a boost of it", async () => {
    const d = getDeclarationBySlug(site.db, "rights")!;
    const digest = site.db.transaction((tx) =>
      createPost(tx, {
        declarationId: d.id,
        kind: "digest",
        key: "digest:test",
        revision: 2,
        delta: 1,
        now: new Date(),
      }),
    )!;
    await publish();
    const noteUri = `${site.origin}/ap/notes/${digest.post.uuid}`;
    await until(() => fromSite().some((a) => a.type === "Announce" && a.object === noteUri), "the digest's boost");
  });

  it("a copy of one of ours made here", async () => {
    const source = getDeclarationBySlug(site.db, "rights")!;
    createAccount(site.db, { username: "author", passwordHash: "unused", role: "author" });
    const outcome = site.db.transaction((tx) =>
      createCopy(tx, {
        source,
        sourceRevision: { number: 2, title: "Digital Rights" },
        sourceUrl: `${site.origin}/d/rights/v/2`,
        ownerId: findAccountByUsername(site.db, "author")!.id,
        slug: "rights-local",
        title: "Digital Rights, locally",
        summary: "Ours.",
        body: "## New\n\nMore, here.\n",
        notes: {},
      }),
    );
    expect(outcome.kind).toBe("created");
    await publish();
    await until(() => siteNotes().some((n) => n.content.includes("Digital Rights, locally")), "the copy's Note");
    const note = siteNotes().find((n) => n.content.includes("Digital Rights, locally"))!;
    expect(note.content).toContain("New copy on Digital Independence");
    expect(note.content).toContain("a copy of <strong>Digital Rights</strong>");
    expect(note.content).toContain("signs nothing");
  });

  it("a copy of one of ours on another site that told us", async () => {
    const ours = getDeclarationBySlug(site.db, "rights")!;
    site.db.transaction((tx) =>
      upsertRemoteCopy(
        tx,
        {
          declarationId: ours.id,
          actorIri: "https://elsewhere.example/d/rechte",
          articleIri: "https://elsewhere.example/ap/articles/1",
          url: "https://elsewhere.example/d/rechte",
          host: "elsewhere.example",
          title: "Digitale Rechte",
          sourceRevision: 2,
          revision: 1,
          revisionUrl: "https://elsewhere.example/d/rechte/v/1",
          wordsChanged: 12,
          signatureCount: null,
        },
        new Date(),
      ),
    );
    await publish();
    await until(() => siteNotes().some((n) => n.content.includes("Digitale Rechte")), "the remote copy's Note");
    const note = siteNotes().find((n) => n.content.includes("Digitale Rechte"))!;
    expect(note.content).toContain(
      "on elsewhere.example is a new copy of our Declaration <strong>Digital Rights</strong>",
    );
    expect(note.content).toContain("https://elsewhere.example/d/rechte");
    expect(note.content).toContain("signs nothing");
  });
});

describe("how Mastodon, Misskey, Pleroma and snac show the site's posts", () => {
  it("every Note, as fetched at its id: public, its text shown, no content warning, under Misskey's limits", async () => {
    const notes = siteNotes();
    expect(notes.length).toBeGreaterThanOrEqual(3);
    for (const note of notes) {
      const json = await getJson(note.id);
      const mastodon = mastodonView(json);
      expect(mastodon.visibility).toBe("public");
      expect(mastodon.spoilerText).toBe("");
      expect(mastodon.html).toContain("<p>");
      const misskey = misskeyView(json);
      expect(misskey.cw).toBeNull();
      expect(misskey.stored).toBe(true);
      expect(misskey.text!.length).toBeLessThan(MISSKEY_TEXT_MAX);
      expect(pleromaView(json).visibility).toBe("public");
      expect(snacView(json).public).toBe(true);
      expect(snacView(json).hiddenBehind).toBeNull();
      // Well under Misskey's 64 KiB inbox limit, as delivered.
      const create = fromSite().find((a) => a.type === "Create" && (a.json.object as { id: string }).id === note.id)!;
      expect(Buffer.byteLength(JSON.stringify(create.json))).toBeLessThan(16 * 1024);
    }
  });

  it("in a browser, a site Note's id leads to its page", async () => {
    const note = siteNotes().find((n) => n.content.includes("New Declaration on Digital Independence"))!;
    const res = await fetch(note.id, { redirect: "manual" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/d/rights");
  });
});

describe("favouriting a site post", () => {
  it("signs nothing; favouriting the Declaration's own post signs", async () => {
    const note = siteNotes().find((n) => n.content.includes("New Declaration on Digital Independence"))!;
    const signatures = () => site.db.$client.prepare("SELECT count(*) AS n FROM signatures").get() as { n: number };
    const reactions = () => site.db.$client.prepare("SELECT count(*) AS n FROM fed_reactions").get() as { n: number };
    const before = { signatures: signatures(), reactions: reactions() };
    await remote.like("alice", note.id, { to: siteActor });
    await remote.react("bob", note.id, "⭐", { to: siteActor });
    expect({ signatures: signatures(), reactions: reactions() }).toEqual(before);
    expect(getDeclarationBySlug(site.db, "rights")!.signatureCount).toBe(0);
    // The Declaration's own announcement does sign.
    const d = getDeclarationBySlug(site.db, "rights")!;
    await remote.like("alice", `${site.origin}/ap/notes/${getPost(site.db, d.id, "announcement")!.uuid}`);
    expect(getDeclarationBySlug(site.db, "rights")!.signatureCount).toBe(1);
  });
});

describe("the strike's voice", () => {
  const DAY = Date.parse("2031-07-04T00:00:00Z");
  const at = (ms: number) => new Date(ms);
  const ctx = () => site.federation.createContext(new URL(site.origin), site.runtime.data);

  async function passAt(now: Date): Promise<void> {
    await createDueNotices(site.runtime.data, now, new URL(site.origin));
    await createDueSitePosts(ctx(), now);
    await deliverPending(site.federation, site.runtime.data, new URL(site.origin));
    await deliverSitePosts(site.federation, site.runtime.data, new URL(site.origin));
    await site.drain();
  }

  function strike(overrides: Record<string, unknown> = {}) {
    writeStrikeSettingsValue(site.db, {
      name: "Social Media Strike",
      hashtags: ["SocialMediaStrike"],
      days: ["2031-07-04", "2031-07-05"],
      timeZone: "UTC",
      cadenceMinutes: 60,
      declarations: [],
      templates: [{ text: "On strike. {declaration_url} {hashtags}", mediaIds: [] }],
      paused: false,
      countdown: ["week", "day", "start"],
      ...overrides,
    });
  }

  const strikeNotes = () => siteNotes().filter((n) => n.content.includes("Social Media Strike"));

  it("says nothing while the owner has not set the strike up", async () => {
    await passAt(at(DAY - 30 * 86_400_000));
    expect(strikeNotes()).toEqual([]);
  });

  it("announces the strike once, then counts down at the moments the owner chose", async () => {
    strike({ countdown: ["week", "start"] });
    await passAt(at(DAY - 30 * 86_400_000));
    await until(() => strikeNotes().length === 1, "the announcement");
    expect(strikeNotes()[0]!.content).toContain("is on July 4, 2031 and July 5, 2031 (UTC)");
    expect(strikeNotes()[0]!.content).toContain(`${site.origin}/strike`);
    expect(strikeNotes()[0]!.json.url).toBe(`${site.origin}/strike`);
    await passAt(at(DAY - 29 * 86_400_000));
    expect(strikeNotes()).toHaveLength(1);
    // A week before: posted (and once).
    await passAt(at(DAY - 7 * 86_400_000 + 60_000));
    await passAt(at(DAY - 7 * 86_400_000 + 120_000));
    await until(() => strikeNotes().length === 2, "the week's countdown");
    expect(strikeNotes()[1]!.content).toContain("starts in a week");
    // A day before: not chosen.
    await passAt(at(DAY - 86_400_000 + 60_000));
    expect(strikeNotes()).toHaveLength(2);
    // At the start.
    await passAt(at(DAY + 60_000));
    await until(() => strikeNotes().length === 3, "the start");
    expect(strikeNotes()[2]!.content).toContain("has begun");
  });

  it("boosts one notice per slot, so a follower of the site and a Declaration sees each notice once", async () => {
    await publishDeclaration(site, "second", "Second Declaration");
    await site.drain();
    strike({ declarations: ["rights", "second"], countdown: [] });
    // carol follows the site and the first Declaration; bob (already following the site) the second.
    await remote.follow("carol", siteActor);
    await remote.follow("carol", `${site.origin}/d/rights`);
    await remote.follow("bob", `${site.origin}/d/second`);
    await until(
      () =>
        remote.followingAccepted("carol", siteActor) &&
        remote.followingAccepted("carol", `${site.origin}/d/rights`) &&
        remote.followingAccepted("bob", `${site.origin}/d/second`),
      "the follows",
    );
    const notice = (slug: string, slot: number) =>
      `${site.origin}/ap/notes/${getPost(site.db, getDeclarationBySlug(site.db, slug)!.id, `notice:${at(slot).toISOString()}`)!.uuid}`;
    const createsBefore = siteNotes().length;
    for (const slot of [DAY + 2 * 3_600_000, DAY + 3 * 3_600_000]) {
      await passAt(at(slot + 60_000));
      await passAt(at(slot + 120_000));
      const first = notice("rights", slot);
      const second = notice("second", slot);
      await until(() => fromSite().some((a) => a.type === "Announce" && a.object === first), "the slot's boost");
      // One boost per slot, of the first Declaration's notice; no notice of the site's own.
      expect(
        fromSite().filter((a) => a.type === "Announce" && [first, second].includes(a.object as string)),
      ).toHaveLength(1);
      await until(() => homeFeed("bob").includes(second), "bob's notice");
      const carol = homeFeed("carol");
      const bob = homeFeed("bob");
      // carol follows both the site and the Declaration whose notice it boosts: that notice once.
      expect(carol.filter((s) => s === first)).toHaveLength(1);
      expect(carol.filter((s) => s === second)).toHaveLength(0);
      // bob follows the site and the other Declaration: each of the two notices once.
      expect(bob.filter((s) => s === first)).toHaveLength(1);
      expect(bob.filter((s) => s === second)).toHaveLength(1);
    }
    expect(siteNotes().length).toBe(createsBefore);
    // carol's server got the first Declaration's notice twice — its Create and the site's boost — and shows it once.
    const first = notice("rights", DAY + 2 * 3_600_000);
    expect(
      remote.received.filter(
        (a) =>
          (a.type === "Create" && (a.json.object as { id: string }).id === first) ||
          (a.type === "Announce" && a.object === first),
      ),
    ).toHaveLength(2);
  });

  it("boosts one of the notices the owner posts at once (Post a notice now)", async () => {
    const now = at(DAY + 5 * 3_600_000 + 17 * 60_000);
    const posts = await postNoticesNow(site.runtime.data, new URL(site.origin), ["second", "rights"], now);
    expect(posts).toHaveLength(2);
    await passAt(now);
    await passAt(at(now.getTime() + 60_000));
    const uris = posts.map((p) => `${site.origin}/ap/notes/${p.uuid}`);
    await until(() => fromSite().some((a) => a.type === "Announce" && uris.includes(a.object as string)), "the boost");
    const boosted = fromSite().filter((a) => a.type === "Announce" && uris.includes(a.object as string));
    expect(boosted).toHaveLength(1);
    // The first in the strike's order ("rights"), whatever order the owner's form gave.
    const rights = posts.find((p) => p.declarationId === getDeclarationBySlug(site.db, "rights")!.id)!;
    expect(boosted[0]!.object).toBe(`${site.origin}/ap/notes/${rights.uuid}`);
  });

  it("nothing while the strike is paused", async () => {
    strike({ paused: true, days: ["2032-07-04"], countdown: ["week", "day", "start"] });
    const before = fromSite().length;
    await passAt(at(Date.parse("2032-06-01T00:00:00Z")));
    await passAt(at(Date.parse("2032-07-04T00:01:00Z")));
    expect(fromSite().length).toBe(before);
  });
});

describe("the site account's profile", () => {
  it("is sent to its followers again when the owner changed it (an Update of the actor)", async () => {
    const data = { ...site.runtime.data, siteIntroduction: "We strike, in new words." };
    const origin = new URL(site.origin);
    expect(await sendSiteProfileUpdate(site.federation, data, origin, buildActor)).toBe(true);
    await site.drain();
    await until(
      () =>
        fromSite().some(
          (a) =>
            a.type === "Update" &&
            String((a.json.object as { summary?: string }).summary).includes("We strike, in new words."),
        ),
      "the profile Update",
    );
    // Once: the same profile is not sent again.
    expect(await sendSiteProfileUpdate(site.federation, data, origin, buildActor)).toBe(false);
  });
});

describe("unfollowing the site account", () => {
  it("removes the follow; the followers collection no longer lists it", async () => {
    const before = countSiteFollowers(site.db);
    await remote.unfollow("alice", siteActor);
    expect(countSiteFollowers(site.db)).toBe(before - 1);
    expect(listSiteFollowerRecipients(site.db).map((r) => r.uri)).not.toContain(remote.actorUri("alice"));
    expect((await getJson(`${siteActor}/followers`)).totalItems).toBe(before - 1);
  });
});

describe("an account whose server answers only signed fetches (secure mode)", () => {
  let home: ActorServer;
  beforeAll(async () => {
    home = await startActorServer();
  });
  afterAll(async () => {
    await home?.close();
  });

  async function followFrom(name: string, inbox: string) {
    const x = await home.addActor(name);
    home.setState(name, "signed-only");
    const follow = mastodon.follow(x.uri, siteActor);
    const response = await fetch(
      await home.signedPost({
        inbox,
        json: follow,
        keyId: x.keyId,
        privateKey: x.keys.privateKey,
      }),
    );
    expect(response.status).toBe(202);
    expect(listSiteFollowerRecipients(site.db).map((r) => r.uri)).toContain(x.uri);
    // The Accept went to its server.
    await until(() => home.hits(`/users/${name}/inbox`) + home.hits("/inbox") >= 1, "the Accept");
    return { signers: home.signers(`/users/${name}`), x, follow };
  }

  it("through the shared inbox: its actor is fetched signed by the instance actor only", async () => {
    const { signers, x, follow } = await followFrom("secure1", `${site.origin}/inbox`);
    expect(signers.length).toBeGreaterThanOrEqual(1);
    expect(new Set(signers)).toEqual(new Set([`${site.origin}/d/instance#main-key`]));
    // Unfollowing with an Undo that names only the Follow's id (as Pleroma and Akkoma send it).
    const undo = {
      "@context": follow["@context"],
      id: `${follow.id}/undo`,
      type: "Undo",
      actor: x.uri,
      object: follow.id,
    };
    const response = await fetch(
      await home.signedPost({
        inbox: `${site.origin}/inbox`,
        json: undo,
        keyId: x.keyId,
        privateKey: x.keys.privateKey,
      }),
    );
    expect(response.status).toBe(202);
    expect(listSiteFollowerRecipients(site.db).map((r) => r.uri)).not.toContain(x.uri);
  });

  it("through the account's own inbox: the door signs with the instance actor, Fedify with the recipient's own key", async () => {
    const { signers } = await followFrom("secure2", `${siteActor}/inbox`);
    expect(signers.length).toBeGreaterThanOrEqual(1);
    expect(signers[0]).toBe(`${site.origin}/d/instance#main-key`);
    for (const keyId of signers)
      expect([`${site.origin}/d/instance#main-key`, `${siteActor}#main-key`]).toContain(keyId);
  });
});
