/**
 * What we send, received by a real server on another loopback port (the
 * stand-in of test/helpers/fediverse.ts): the Public address in full, what a
 * follower on Mastodon, Misskey, Pleroma and snac sees of a Declaration and of
 * a new version (the pinned announcement follows the text, and favouriting it
 * signs that version), quotes approved with a stamp (FEP-044f), the actor's
 * profile sent again when it changed (at most hourly), and a reply to the
 * pinned post from a server that addresses replies the way snac does.
 */
import { MemoryKvStore } from "@fedify/fedify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendRevision, getDeclarationBySlug, setDeclarationStatus } from "../../src/db/declarations.ts";
import { getPost } from "../../src/db/posts.ts";
import { createFederationRuntime } from "../../src/federation/index.ts";
import { sendProfileUpdates } from "../../src/federation/profile-updates.ts";
import { startFediverseServer, type FediverseServer, type ReceivedActivity } from "../helpers/fediverse.ts";
import { mastodon } from "../helpers/fediverse-shapes.ts";
import { addDeclaration, startInstance, type TestInstance } from "../helpers/instance.ts";
import { mastodonView, misskeyView, plainText, pleromaView, PUBLIC, snacView } from "../helpers/peer-views.ts";

type Json = Record<string, unknown>;
const AP = { accept: "application/activity+json" };
const MINUTE = 60 * 1000;

const OPENING = "A few companies now stand between most people and most of the people they talk to.";
const BODY = `## Preamble\n\n${OPENING} They decide who sees what we write.\n\nThe internet was not built this way.\n\n## What we declare\n\nThe rest of the text.\n`;

let site: TestInstance;
let remote: FediverseServer;
let actorUri: string;

const fromSite = (a: ReceivedActivity) => a.actor?.startsWith(site.origin) === true;
const objectOf = (a: ReceivedActivity) => a.json.object as Json;

async function getJson(url: string): Promise<Json> {
  const response = await fetch(url, { headers: AP });
  expect(response.status, url).toBe(200);
  return (await response.json()) as Json;
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Follows `slug` as `user` and waits for the Accept. */
async function follow(user: string, slug: string): Promise<void> {
  const target = `${site.origin}/d/${slug}`;
  await remote.follow(user, target);
  await until(() => remote.followingAccepted(user, target), `${user}'s follow of ${slug} to be accepted`);
}

function noteUri(slug: string, key = "announcement"): string {
  const d = getDeclarationBySlug(site.db, slug)!;
  return `${site.origin}/ap/notes/${getPost(site.db, d.id, key)!.uuid}`;
}

beforeAll(async () => {
  site = await startInstance();
  remote = await startFediverseServer({ users: ["alice", "bob", "quinn", "sam"] });
  addDeclaration(site.db, {
    slug: "rights",
    title: "Digital Rights",
    summary: "Everyone has the right to private communication.",
    body: BODY,
    language: "en",
  });
  actorUri = `${site.origin}/d/rights`;
  await follow("alice", "rights");
  await site.publish();
  await site.drain();
}, 60_000);

afterAll(async () => {
  await remote?.close();
  await site?.close();
});

describe("what a follower's server receives when a Declaration is published", () => {
  let article: ReceivedActivity;
  let announcement: ReceivedActivity;

  beforeAll(async () => {
    article = await remote.waitFor((a) => fromSite(a) && a.type === "Create" && objectOf(a).type === "Article");
    announcement = await remote.waitFor((a) => fromSite(a) && a.type === "Create" && objectOf(a).type === "Note");
  });

  it("names the Public address in full in the activity and in its object", () => {
    for (const received of [article, announcement]) {
      expect(received.json.to).toBe(PUBLIC);
      expect(objectOf(received).to).toBe(PUBLIC);
      expect(
        JSON.stringify([received.json.to, received.json.cc, objectOf(received).to, objectOf(received).cc]),
      ).not.toContain("as:Public");
      expect(snacView(objectOf(received)).public).toBe(true);
      expect(pleromaView(objectOf(received)).visibility).toBe("public");
    }
  });

  it("Mastodon: the Article as its title and link, the announcement with the text's opening words", () => {
    expect(plainText(mastodonView(objectOf(article)).html)).toBe(`Digital Rights\n\n${site.origin}/d/rights/v/1`);
    const note = mastodonView(objectOf(announcement));
    expect(note.spoilerText).toBe("");
    expect(plainText(note.html)).toContain(OPENING);
    expect(plainText(note.html)).toContain("Everyone has the right to private communication.");
    expect(note.language).toBe("en");
    expect(note.quotable).toBe(true);
  });

  it("Misskey, Pleroma, Akkoma and snac: the whole text, with no content warning", () => {
    const json = objectOf(article);
    expect(misskeyView(json)).toMatchObject({ cw: null, stored: true });
    expect(misskeyView(json).text).toContain("The rest of the text.");
    for (const flavour of ["pleroma", "akkoma"] as const) {
      expect(pleromaView(json, flavour).spoilerText).toBe("");
      expect(plainText(pleromaView(json, flavour).content)).toContain("The rest of the text.");
    }
    expect(snacView(json).hiddenBehind).toBeNull();
    expect(misskeyView(objectOf(announcement)).cw).toBeNull();
  });
});

describe("a new version", () => {
  it("updates the Article and the pinned announcement (its opening changed), and a favourite of the announcement signs that version", async () => {
    const d = getDeclarationBySlug(site.db, "rights")!;
    const changed = BODY.replace("They decide who sees what we write.", "They decide what we may read.");
    site.db.transaction((tx) =>
      appendRevision(tx, d, {
        title: d.title,
        summary: d.summary,
        body: changed,
        changeSummary: "Sharper",
        origin: "site",
      }),
    );
    await site.publish();
    await site.drain();
    const updateArticle = await remote.waitFor(
      (a) => fromSite(a) && a.type === "Update" && objectOf(a).type === "Article",
    );
    expect(mastodonView(objectOf(updateArticle)).edited).toBe(true);
    const updateNote = await remote.waitFor((a) => fromSite(a) && a.type === "Update" && objectOf(a).type === "Note");
    expect(objectOf(updateNote).id).toBe(noteUri("rights"));
    expect(plainText(String(objectOf(updateNote).content))).toContain("They decide what we may read.");
    expect(objectOf(updateNote).updated).toBeDefined();
    expect(updateNote.json.to).toBe(PUBLIC);

    await remote.like("bob", noteUri("rights"));
    const signed = site.db.$client
      .prepare("SELECT s.revision FROM signatures s JOIN remote_actors a ON a.id = s.remote_actor_id WHERE a.uri = ?")
      .get(remote.actorUri("bob")) as { revision: number };
    expect(signed.revision).toBe(2);
    // The favourite went to the announcement as it reads now.
    expect(String((await getJson(noteUri("rights"))).content)).toContain("They decide what we may read.");
  });

  it("leaves the announcement alone when only later parts of the text changed", async () => {
    const d = getDeclarationBySlug(site.db, "rights")!;
    const before = remote.received.filter(
      (a) => fromSite(a) && a.type === "Update" && objectOf(a).type === "Note",
    ).length;
    const text = site.db.$client
      .prepare("SELECT body FROM revisions WHERE declaration_id = ? ORDER BY number DESC LIMIT 1")
      .get(d.id) as { body: string };
    site.db.transaction((tx) =>
      appendRevision(tx, d, {
        title: d.title,
        summary: d.summary,
        body: text.body.replace("The rest of the text.", "The rest, rewritten."),
        changeSummary: "End",
        origin: "site",
      }),
    );
    await site.publish();
    await site.drain();
    await remote.waitFor(
      (a) =>
        fromSite(a) &&
        a.type === "Update" &&
        objectOf(a).type === "Article" &&
        String(objectOf(a).content).includes("rewritten"),
    );
    await remote.waitFor(
      (a) => fromSite(a) && a.type === "Create" && String(objectOf(a).content).includes("Version 3"),
    );
    expect(
      remote.received.filter((a) => fromSite(a) && a.type === "Update" && objectOf(a).type === "Note"),
    ).toHaveLength(before);
  });
});

describe("quotes (FEP-044f, as Mastodon 4.5 asks)", () => {
  const quoteRequest = (instrument: string, object: string, n: number, inline = false): Json =>
    mastodon.quoteRequest(remote.actorUri("quinn"), object, instrument, {
      id: `${remote.actorUri("quinn")}/quote_requests/${n}`,
      inline,
    });

  it("answers a QuoteRequest with an Accept whose result is a stamp every server can fetch", async () => {
    const instrument = `${remote.actorUri("quinn")}/statuses/501`;
    const response = await remote.postSigned({
      inbox: `${site.origin}/inbox`,
      json: quoteRequest(instrument, noteUri("rights"), 1),
      user: "quinn",
    });
    expect(response.status).toBe(202);
    await site.drain();
    const accept = await remote.waitFor(
      (a) => fromSite(a) && a.type === "Accept" && objectOf(a)?.id === `${remote.actorUri("quinn")}/quote_requests/1`,
    );
    expect(accept.actor).toBe(actorUri);
    expect(objectOf(accept)).toMatchObject({
      type: "QuoteRequest",
      actor: remote.actorUri("quinn"),
      object: noteUri("rights"),
      instrument,
    });
    const result = String(accept.json.result);
    expect(new URL(result).origin).toBe(site.origin);
    // What Mastodon's VerifyQuoteService checks: the type, the author, both posts.
    const stamp = await getJson(result);
    expect(stamp).toMatchObject({
      id: result,
      type: "QuoteAuthorization",
      attributedTo: actorUri,
      interactingObject: instrument,
      interactionTarget: noteUri("rights"),
    });

    // A repeated request (a retry, here with the quoting post inlined) gets the same stamp.
    await remote.postSigned({
      inbox: `${site.origin}/inbox`,
      json: quoteRequest(instrument, noteUri("rights"), 2, true),
      user: "quinn",
    });
    await site.drain();
    const again = await remote.waitFor(
      (a) => fromSite(a) && a.type === "Accept" && objectOf(a)?.id === `${remote.actorUri("quinn")}/quote_requests/2`,
    );
    expect(again.json.result).toBe(result);
  });

  it("gives no stamp for a post on another server, or for what is not ours", async () => {
    const accepts = () =>
      remote.received.filter((a) => fromSite(a) && a.type === "Accept" && objectOf(a)?.type === "QuoteRequest").length;
    const before = accepts();
    const elsewhere = await remote.postSigned({
      inbox: `${site.origin}/inbox`,
      json: quoteRequest("https://other.example/statuses/1", noteUri("rights"), 3),
      user: "quinn",
    });
    expect(elsewhere.status).toBe(202);
    const notOurs = await remote.postSigned({
      inbox: `${site.origin}/inbox`,
      json: quoteRequest(
        `${remote.actorUri("quinn")}/statuses/9`,
        `${site.origin}/ap/notes/00000000-0000-4000-8000-000000000000`,
        4,
      ),
      user: "quinn",
    });
    expect(notOurs.status).toBe(202);
    await site.drain();
    expect(accepts()).toBe(before);
    expect(site.db.$client.prepare("SELECT count(*) AS n FROM fed_quote_authorizations").get()).toEqual({ n: 1 });
  });

  it("rejects a quote of a withdrawn Declaration's post", async () => {
    const d = addDeclaration(site.db, { slug: "gone", title: "Gone" });
    await site.publish();
    const note = noteUri("gone");
    site.db.transaction((tx) => setDeclarationStatus(tx, d.id, "withdrawn", null, new Date()));
    await remote.postSigned({
      inbox: `${site.origin}/inbox`,
      json: quoteRequest(`${remote.actorUri("quinn")}/statuses/777`, note, 5),
      user: "quinn",
    });
    await site.drain();
    const reject = await remote.waitFor(
      (a) => fromSite(a) && a.type === "Reject" && objectOf(a)?.id === `${remote.actorUri("quinn")}/quote_requests/5`,
    );
    expect(reject.actor).toBe(`${site.origin}/d/gone`);
  });
});

describe("profile updates", () => {
  const profileUpdates = (slug: string) =>
    remote.received.filter(
      (a) =>
        fromSite(a) &&
        a.type === "Update" &&
        objectOf(a).type === "Service" &&
        objectOf(a).id === `${site.origin}/d/${slug}`,
    );
  const signaturesField = (a: ReceivedActivity) =>
    (objectOf(a).attachment as Json[]).find((f) => f.name === "Signatures")!.value;
  const setCount = (n: number) =>
    site.db.$client.prepare("UPDATE declarations SET signature_count = ? WHERE slug = 'profile'").run(n);

  it("sends an Update of the actor when its fields changed, at most once an hour, with the latest values, across restarts", async () => {
    const d = addDeclaration(site.db, { slug: "profile", title: "Profile" });
    await follow("sam", "profile");
    const t0 = Date.now() + 5 * 60 * MINUTE;
    const send = async (at: number, runtime = site.runtime) => {
      await sendProfileUpdates(runtime.federation, runtime.data, new URL(site.origin), new Date(at));
      await site.drain();
    };
    const recorded = () =>
      site.db.$client.prepare("SELECT fingerprint, sent FROM actor_profiles WHERE declaration_id = ?").get(d.id) as
        | { fingerprint: string; sent: number | null }
        | undefined;

    // First sight: the followers fetched this profile when they followed.
    await send(t0);
    expect(recorded()).toMatchObject({ sent: null });
    expect(profileUpdates("profile")).toHaveLength(0);
    setCount(1);
    await send(t0 + MINUTE);
    await until(() => profileUpdates("profile").length === 1, "the first profile Update");
    const first = profileUpdates("profile")[0]!;
    expect(signaturesField(first)).toBe("1");
    expect(first.json.to).toBe(PUBLIC);
    expect(recorded()!.sent).toBe(t0 + MINUTE);

    // Within the hour: nothing, whatever changes.
    setCount(2);
    await send(t0 + 10 * MINUTE);
    setCount(3);
    // A restarted process (a new runtime on the same database) keeps the rule.
    const restarted = await createFederationRuntime({
      db: site.db,
      batcher: site.batcher,
      config: site.config,
      kv: new MemoryKvStore(),
      queue: null,
    });
    await send(t0 + 30 * MINUTE, restarted);
    expect(recorded()!.sent).toBe(t0 + MINUTE);
    expect(profileUpdates("profile")).toHaveLength(1);
    // After the hour: one Update, with the values as they are then.
    await send(t0 + 62 * MINUTE);
    await until(() => profileUpdates("profile").length === 2, "the second profile Update");
    expect(signaturesField(profileUpdates("profile")[1]!)).toBe("3");
    // Nothing changed since: nothing sent.
    await send(t0 + 200 * MINUTE);
    expect(recorded()!.sent).toBe(t0 + 62 * MINUTE);
    expect(profileUpdates("profile")).toHaveLength(2);
  });
});

describe("a reply to the pinned announcement from a server that addresses replies like snac", () => {
  /**
   * snac's `msg_note`: a reply is addressed to the parent's author, and to
   * the Public address only if the parent, as fetched, is public
   * (`is_msg_public`: the full address in its `to` or `cc`).
   */
  async function snacReply(
    user: string,
    parentUri: string,
    html: string,
    n: number,
    shape: "snac" | "activity-only" | "bare-public" | "private" = "snac",
  ): Promise<number> {
    const parent = await getJson(parentUri);
    const author = String(parent.attributedTo);
    const me = remote.actorUri(user);
    const id = `${me}/p/${n}`;
    const to = snacView(parent).public && shape !== "private" ? [PUBLIC, author] : [author];
    const note: Json = {
      id,
      type: "Note",
      attributedTo: me,
      content: html,
      inReplyTo: parentUri,
      published: new Date().toISOString(),
    };
    if (shape === "snac" || shape === "private") Object.assign(note, { to, cc: [] });
    if (shape === "bare-public") Object.assign(note, { to: ["Public", author], cc: [] });
    const create = {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${id}/create`,
      type: "Create",
      actor: me,
      to,
      cc: [],
      object: note,
    };
    const response = await remote.postSigned({ inbox: `${site.origin}/d/rights/inbox`, json: create, user });
    return response.status;
  }

  const page = async () => (await fetch(`${site.origin}/d/rights`)).text();

  it("is public, because the pinned post says it is, and shows as a response", async () => {
    expect(await snacReply("sam", noteUri("rights"), "<p>Signed from snac.</p>", 1)).toBe(202);
    expect(await page()).toContain("Signed from snac.");
  });

  it("is shown when only the activity carries the addressing, or when it says Public in short", async () => {
    expect(await snacReply("sam", noteUri("rights"), "<p>Addressed on the activity.</p>", 2, "activity-only")).toBe(
      202,
    );
    expect(await snacReply("sam", noteUri("rights"), "<p>Addressed as Public.</p>", 3, "bare-public")).toBe(202);
    const html = await page();
    expect(html).toContain("Addressed on the activity.");
    expect(html).toContain("Addressed as Public.");
  });

  it("is not shown when it is addressed to the author only (what snac did while our posts said as:Public)", async () => {
    expect(await snacReply("sam", noteUri("rights"), "<p>Only for you.</p>", 4, "private")).toBe(202);
    expect(await page()).not.toContain("Only for you.");
  });
});
