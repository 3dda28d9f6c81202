/**
 * What we serve, as other servers read it: every ActivityPub document
 * reachable from a Declaration's actor names the Public address in full
 * (Pleroma up to 2.7 and snac read `as:Public` as "not public"); Articles
 * carry no summary (a content warning on Misskey, Pleroma, Akkoma and snac),
 * their language, absolute links and a quote policy; the pinned announcement
 * carries the text's opening words; WebFinger finds actors without logging
 * errors.
 */
import { configure, reset, type LogRecord } from "@logtape/logtape";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendRevision, getDeclarationBySlug, setDeclarationStatus } from "../../src/db/declarations.ts";
import { getPost } from "../../src/db/posts.ts";
import { authorizeQuote } from "../../src/db/quotes.ts";
import { OPENING_MAX } from "../../src/federation/objects.ts";
import { postNoticesNow } from "../../src/federation/notices.ts";
import { createDuePosts } from "../../src/federation/publish.ts";
import { addDeclaration, createTestApp, TEST_ORIGIN } from "../helpers/app.ts";
import { fediverseSignature, remoteActor } from "../helpers/fediverse-rows.ts";
import { mastodonView, misskeyView, plainText, pleromaView, PUBLIC, snacView } from "../helpers/peer-views.ts";

type Json = Record<string, unknown>;
const AP = { headers: { accept: "application/activity+json" } };
const HOUR = 60 * 60 * 1000;

const BODY = [
  "## Preamble",
  "",
  "A few companies now stand between most people and most of the people they talk to. They decide who sees what we write, keep what we share for as long as it earns them money, and lock our friendships inside walls that we cannot carry anywhere else. We did not agree to this.",
  "",
  "The internet was not built this way. Read [the FAQ](/faq), our [other page](other) and [this part](#part); see ![a raised fist](/media/0b5c9a2e-1111-4c39-9a64-0e2b7c1d3f58.png).",
  "",
  "## What we declare",
  "",
  "Everything else, at length.",
  "",
].join("\n");

let t: Awaited<ReturnType<typeof createTestApp>>;
const documents = new Map<string, Json>();

async function get(url: string): Promise<{ status: number; type: string | null; json: Json | null }> {
  const response = await t.app.request(new URL(url).pathname + new URL(url).search, AP);
  const type = response.headers.get("content-type");
  return { status: response.status, type, json: /json/.test(type ?? "") ? ((await response.json()) as Json) : null };
}

/** Every URL on our origin found in a document (ids, collection pages, objects, revision pages). */
function ourUrls(value: unknown, out: Set<string>): void {
  if (typeof value === "string") {
    if (value.startsWith(`${TEST_ORIGIN}/`) && !/\/(static|media|tags)\//.test(value)) out.add(value);
  } else if (Array.isArray(value)) {
    for (const v of value) ourUrls(v, out);
  } else if (value != null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) if (k !== "@context") ourUrls(v, out);
  }
}

/** Follows every link from the actor and keeps each ActivityPub document found. */
async function crawl(start: string, limit = 200): Promise<void> {
  const queue = [start];
  const seen = new Set<string>();
  while (queue.length > 0 && seen.size < limit) {
    const url = queue.shift()!;
    if (seen.has(url)) continue;
    seen.add(url);
    const { status, type, json } = await get(url);
    if (status !== 200 || json == null || !/activity\+json|ld\+json/.test(type ?? "")) continue;
    documents.set(url, json);
    const found = new Set<string>();
    ourUrls(json, found);
    for (const next of found) if (!seen.has(next)) queue.push(next);
  }
}

/** Every (property, value) pair in a document where a Public address may stand. */
function addressValues(value: unknown, key: string | null, out: { key: string; value: unknown }[]): void {
  const keys = new Set(["to", "cc", "bto", "bcc", "audience", "automaticApproval", "manualApproval"]);
  if (Array.isArray(value)) {
    for (const v of value) addressValues(v, key, out);
  } else if (value != null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) if (k !== "@context") addressValues(v, k, out);
  } else if (key != null && keys.has(key)) out.push({ key, value });
}

beforeAll(async () => {
  t = await createTestApp();
  const d = addDeclaration(t.db, {
    slug: "digital-rights",
    title: "Digital Rights",
    summary: "Everyone has the right to private communication.",
    body: BODY,
    language: "de",
  });
  await t.publisher.runOnce();
  // A second version (the announcement follows it), a digest and a strike notice.
  t.db.transaction((tx) =>
    appendRevision(tx, d, {
      title: "Digital Rights",
      summary: d.summary,
      body: BODY.replace("We did not agree to this.", "We never agreed to this."),
      changeSummary: "Wording",
      origin: "site",
    }),
  );
  await t.publisher.runOnce();
  fediverseSignature(t.db, getDeclarationBySlug(t.db, "digital-rights")!, remoteActor(t.db, "ann"));
  await createDuePosts(t.runtime.data, new Date(Date.now() + 2 * HOUR));
  await postNoticesNow(t.runtime.data, new URL(TEST_ORIGIN), ["digital-rights"], new Date());
  await t.publisher.runOnce();
  // A quote stamp given to a post elsewhere.
  const announcement = getPost(t.db, d.id, "announcement")!;
  const stamp = t.db.transaction((tx) =>
    authorizeQuote(tx, {
      declarationId: d.id,
      postId: announcement.id,
      interactingObject: "https://social.example/users/q/statuses/1",
      actorUri: "https://social.example/users/q",
      requestUri: null,
      now: new Date(),
    }),
  );
  await crawl(`${TEST_ORIGIN}/d/digital-rights`);
  await crawl(`${TEST_ORIGIN}/d/instance`);
  await crawl(`${TEST_ORIGIN}/ap/quote-authorizations/${stamp.uuid}`);
}, 60_000);

afterAll(async () => {
  await reset();
});

describe("the Public address", () => {
  it("is written in full in every document reachable from the actor, wherever an address may stand", () => {
    const types = new Set([...documents.values()].map((d) => String(d.type)));
    // The crawl reached every kind of document we serve.
    for (const type of [
      "Service",
      "Application",
      "OrderedCollection",
      "OrderedCollectionPage",
      "Article",
      "Note",
      "Create",
      "Update",
      "QuoteAuthorization",
    ]) {
      expect(types, type).toContain(type);
    }
    expect([...documents.keys()].some((u) => /\/d\/digital-rights\/v\/2$/.test(u))).toBe(true);
    for (const [url, json] of documents) {
      const values: { key: string; value: unknown }[] = [];
      addressValues(json, null, values);
      for (const { key, value } of values) {
        expect(value === "as:Public" || value === "Public", `${key} in ${url}`).toBe(false);
      }
      expect(JSON.stringify(json), url).not.toMatch(/"(as:)?Public"/);
    }
  });

  it("addresses every post and activity to Public, so Pleroma 2.7 and snac see them as public", () => {
    const posts = [...documents.values()].filter((d) =>
      ["Article", "Note", "Create", "Update"].includes(String(d.type)),
    );
    expect(posts.length).toBeGreaterThanOrEqual(8);
    for (const json of posts) {
      expect(json.to, String(json.id)).toBe(PUBLIC);
      expect(pleromaView(json).visibility, String(json.id)).toBe("public");
      expect(snacView(json).public, String(json.id)).toBe(true);
    }
  });

  it("is in full on the pinned post that Mastodon, Pleroma and snac fetch from the featured collection", async () => {
    const featured = (await get(`${TEST_ORIGIN}/d/digital-rights/featured`)).json!;
    const note = (featured.orderedItems as Json[])[0]!;
    expect(note.to).toBe(PUBLIC);
    expect(snacView(note).public).toBe(true);
  });
});

describe("the Article", () => {
  const article = () =>
    [...documents.values()].find((d) => d.type === "Article" && String(d.id).includes("/ap/articles/"))!;

  it("has no summary, so no server hides the text behind a content warning", () => {
    const json = article();
    expect(json.summary).toBeUndefined();
    expect(misskeyView(json).cw).toBeNull();
    expect(misskeyView(json).stored).toBe(true);
    expect(pleromaView(json).spoilerText).toBe("");
    expect(snacView(json).hiddenBehind).toBeNull();
    // Pleroma and snac show the title and the whole text; Misskey the text.
    expect(pleromaView(json).content).toContain("Digital Rights</a>");
    expect(plainText(pleromaView(json).content)).toContain("We never agreed to this.");
    expect(misskeyView(json).text).toContain("We never agreed to this.");
    expect(snacView(json).title).toBe("Digital Rights");
  });

  it("keeps the summary as its preview, which undersign copies read", () => {
    expect((article().preview as Json).content).toBe("<p>Everyone has the right to private communication.</p>");
  });

  it("is shown by Mastodon as its title and link (Articles' bodies are not shown there), in its language, quotable", () => {
    const view = mastodonView(article());
    expect(plainText(view.html)).toBe(`Digital Rights\n\n${TEST_ORIGIN}/d/digital-rights/v/2`);
    expect(view.spoilerText).toBe("");
    expect(view.language).toBe("de");
    expect(view.quotable).toBe(true);
    expect(view.edited).toBe(true);
    expect(article().nameMap).toEqual({ de: "Digital Rights" });
  });

  it("makes its links and images absolute, so they work on every server", () => {
    const content = String(article().content);
    expect(content).toContain(`href="${TEST_ORIGIN}/faq"`);
    expect(content).toContain(`href="${TEST_ORIGIN}/d/other"`);
    expect(content).toContain(`href="${TEST_ORIGIN}/d/digital-rights#part"`);
    expect(content).toContain(`src="${TEST_ORIGIN}/media/0b5c9a2e-1111-4c39-9a64-0e2b7c1d3f58.png"`);
    expect(content).not.toMatch(/(href|src)="(?!https?:|mailto:)/);
    // The Markdown source stays as written.
    expect(String((article().source as Json).content)).toContain("](/faq)");
    // So does each revision served at its own address.
    const revision = documents.get(`${TEST_ORIGIN}/d/digital-rights/v/1`)!;
    expect(String(revision.content)).toContain(`href="${TEST_ORIGIN}/faq"`);
    expect(revision.summary).toBeUndefined();
  });
});

describe("the pinned announcement", () => {
  const announcement = () => (documents.get(`${TEST_ORIGIN}/d/digital-rights/featured`)!.orderedItems as Json[])[0]!;

  it("carries the title, the summary and the opening words of the text, within Mastodon's 500 characters", () => {
    const view = mastodonView(announcement());
    const text = plainText(view.html);
    expect(view.spoilerText).toBe("");
    expect(text).toContain("Digital Rights");
    expect(text).toContain("Everyone has the right to private communication.");
    expect(text).toContain("A few companies now stand between most people");
    // The revised opening (version 2), not the first one.
    expect(text).toContain("We never agreed to this.");
    expect(text).toContain("Favourite this post to sign");
    expect(text).toContain(`Read the whole Declaration: ${TEST_ORIGIN}/d/digital-rights`);
    const opening = [
      ...String(announcement().content).matchAll(/<p>(?!<strong>|⭐|Read the whole|<a )([^<]*)<\/p>/g),
    ].map((m) => m[1]!);
    expect(opening.join("").length).toBeGreaterThan(100);
    expect([...opening.join("")].length).toBeLessThanOrEqual(OPENING_MAX);
    expect(misskeyView(announcement()).cw).toBeNull();
    expect(view.language).toBe("de");
    expect(view.edited).toBe(true);
  });

  it("every Note has its language and may be quoted", () => {
    const notes = [...documents.values()].filter((d) => d.type === "Note" && String(d.id).includes("/ap/notes/"));
    expect(notes.length).toBeGreaterThanOrEqual(4);
    for (const note of notes) {
      expect(Object.keys(note.contentMap as Json), String(note.id)).toEqual(["de"]);
      expect(mastodonView(note).quotable, String(note.id)).toBe(true);
    }
  });

  it('says "1 person" and "1 signature" in a digest of one', () => {
    const digest = [...documents.values()].find((d) => d.type === "Note" && String(d.content).includes("signed"))!;
    expect(plainText(String(digest.content))).toMatch(
      /^1 person signed Digital Rights in the last \d+ hours: 1 signature so far\./,
    );
  });
});

describe("a withdrawn Declaration", () => {
  it("lets no one but itself quote its posts", async () => {
    const d = addDeclaration(t.db, { slug: "withdrawn-one" });
    await t.publisher.runOnce();
    t.db.transaction((tx) => setDeclarationStatus(tx, d.id, "withdrawn", null, new Date()));
    const note = await get(`${TEST_ORIGIN}/ap/notes/${getPost(t.db, d.id, "announcement")!.uuid}`);
    expect(mastodonView(note.json!).quotable).toBe(false);
    expect(((note.json!.interactionPolicy as Json).canQuote as Json).automaticApproval).toBe(
      `${TEST_ORIGIN}/d/withdrawn-one`,
    );
  });
});

describe("WebFinger", () => {
  it("finds an actor by its handle in any case, and logs no error", async () => {
    const records: LogRecord[] = [];
    await configure({
      reset: true,
      sinks: { memory: (r) => records.push(r) },
      loggers: [
        { category: "fedify", lowestLevel: "debug", sinks: ["memory"] },
        { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
      ],
    });
    for (const handle of ["digital-rights", "Digital-Rights"]) {
      const response = await t.app.request(`/.well-known/webfinger?resource=acct:${handle}@undersign.test`);
      expect(response.status, handle).toBe(200);
      const json = (await response.json()) as { links: { rel: string; href?: string }[] };
      expect(json.links.find((l) => l.rel === "self")?.href).toBe(`${TEST_ORIGIN}/d/digital-rights`);
    }
    expect(records.filter((r) => r.level === "error" || r.level === "fatal").map((r) => r.message.join(""))).toEqual(
      [],
    );
    // A name that cannot be a slug names no one.
    expect((await t.app.request("/.well-known/webfinger?resource=acct:not_a_slug@undersign.test")).status).toBe(404);
  });
});
