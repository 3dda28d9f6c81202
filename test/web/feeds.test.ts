/**
 * The Atom feed of a Declaration's posts: every kind of post, newest first,
 * well-formed XML with every text escaped (a hostile title and a notice with
 * markup in it), and the usual 404s.
 */
import { describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { appendRevision, getDeclarationBySlug, setDeclarationStatus } from "../../src/db/declarations.ts";
import { createPost } from "../../src/db/posts.ts";
import { fedPosts, media } from "../../src/db/schema.ts";
import { eq } from "drizzle-orm";
import type { Db } from "../../src/db/client.ts";
import { addDeclaration, createTestApp, TEST_ORIGIN } from "../helpers/app.ts";

const HOSTILE = `<script>alert("x")</script> & Co's "Declaration"`;

/** Decodes the five XML entities and numeric references. */
function unescapeXml(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}

/**
 * A small well-formedness check: one root, every tag closed in order, no raw
 * "<" in text, "&" only in entities, attributes quoted.  Returns the element
 * names in document order.
 */
function checkWellFormed(xml: string): string[] {
  const body = xml.replace(/^<\?xml [^?]*\?>\s*/, "");
  const stack: string[] = [];
  const names: string[] = [];
  let rootClosed = false;
  const token = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let at = 0;
  for (m = token.exec(body); m != null; m = token.exec(body)) {
    at = token.lastIndex;
    if (m[5] != null) {
      if (stack.length === 0 && m[5].trim() !== "") throw new Error(`Text outside the root: ${m[5].slice(0, 40)}`);
      if (/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);)/i.test(m[5]))
        throw new Error(`Bare & in ${m[5].slice(0, 60)}`);
      continue;
    }
    if (rootClosed) throw new Error("A second root element");
    const [, closing, name, attrs, selfClosing] = m;
    if (/&(?!(?:amp|lt|gt|quot|apos|#\d+);)/.test(attrs!)) throw new Error(`Bare & in attributes of ${name}`);
    if (closing) {
      if (stack.pop() !== name) throw new Error(`Unbalanced </${name}>`);
    } else {
      names.push(name!);
      if (!selfClosing) stack.push(name!);
    }
    if (stack.length === 0) rootClosed = true;
  }
  if (at !== body.length) throw new Error(`Not XML at: ${body.slice(at, at + 60)}`);
  if (stack.length > 0 || !rootClosed) throw new Error("Unclosed elements");
  return names;
}

function addPosts(db: Db) {
  const d = getDeclarationBySlug(db, "test-declaration")!;
  db.transaction((tx) => {
    appendRevision(tx, d, {
      title: HOSTILE,
      summary: "Now & then",
      body: "## Two\n\nText <b>bold</b> & more.\n",
      changeSummary: "A <i>better</i> text",
      origin: "site",
      now: new Date("2026-03-02T00:00:00Z"),
    });
  });
  const at = (iso: string) => new Date(iso);
  db.transaction((tx) => {
    createPost(tx, {
      declarationId: d.id,
      kind: "article",
      key: "article",
      revision: 2,
      now: at("2026-03-01T10:00:00Z"),
    });
    createPost(tx, {
      declarationId: d.id,
      kind: "announcement",
      key: "announcement",
      revision: 1,
      now: at("2026-03-01T10:00:01Z"),
    });
    createPost(tx, {
      declarationId: d.id,
      kind: "version",
      key: "version:2",
      revision: 2,
      now: at("2026-03-02T10:00:00Z"),
    });
    createPost(tx, {
      declarationId: d.id,
      kind: "digest",
      key: "digest:1",
      revision: 2,
      signatureCount: 12,
      delta: 3,
      now: at("2026-03-02T13:00:00Z"),
    });
    tx.insert(fedPosts)
      .values({
        uuid: randomUUID(),
        declarationId: d.id,
        kind: "notice",
        key: "notice:2026-07-04T10:00:00.000Z",
        revision: 2,
        content: "On strike <today> & tomorrow.\n\nSign: https://undersign.test/d/test-declaration #SocialMediaStrike",
        slot: at("2026-07-04T10:00:00Z"),
        published: at("2026-07-04T10:00:05Z"),
      })
      .run();
  });
  return d;
}

describe("the Atom feed of a Declaration", () => {
  it("carries a notice's images as enclosures and in its content, with their alt text escaped", async () => {
    const { app, db } = await createTestApp();
    addDeclaration(db);
    const d = addPosts(db);
    const uuid = randomUUID();
    const row = db
      .insert(media)
      .values({
        uuid,
        mime: "image/png",
        width: 10,
        height: 10,
        bytes: 100,
        sha256: "a".repeat(64),
        alt: 'A "strike" <poster> & more',
        created: new Date(),
      })
      .returning()
      .get();
    db.update(fedPosts)
      .set({ mediaIds: [row.id] })
      .where(eq(fedPosts.kind, "notice"))
      .run();
    const xml = await (await app.request(`/d/${d.slug}/feed.atom`)).text();
    checkWellFormed(xml);
    expect(xml).toContain(
      `<link rel="enclosure" type="image/png" href="${TEST_ORIGIN}/media/${uuid}.png" title="A &quot;strike&quot; &lt;poster&gt; &amp; more"/>`,
    );
    const notice = unescapeXml(/<entry>[\s\S]*?<content type="html">([\s\S]*?)<\/content>/.exec(xml)![1]!);
    expect(notice).toContain(
      `<img src="${TEST_ORIGIN}/media/${uuid}.png" alt="A &quot;strike&quot; &lt;poster&gt; &amp; more">`,
    );
  });

  it("lists every kind of post, newest first, as well-formed Atom", async () => {
    const { app, db } = await createTestApp({ instanceName: "Strike & Co" });
    addDeclaration(db);
    addPosts(db);
    const res = await app.request("/d/test-declaration/feed.atom");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/atom+xml; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("public, max-age=300, s-maxage=300, stale-while-revalidate=10");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    const xml = await res.text();
    expect(
      xml.startsWith(
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">',
      ),
    ).toBe(true);
    const names = checkWellFormed(xml);
    expect(names.filter((n) => n === "entry")).toHaveLength(5);
    expect(xml).toContain(
      `<link rel="self" type="application/atom+xml" href="${TEST_ORIGIN}/d/test-declaration/feed.atom"/>`,
    );
    expect(xml).toContain("<author><name>Strike &amp; Co</name>");

    const entries = [...xml.matchAll(/<entry>([\s\S]*?)<\/entry>/g)].map((m) => m[1]!);
    const field = (entry: string, tag: string) =>
      unescapeXml(new RegExp(`<${tag}[^>]*>([\\s\\S]*?)</${tag}>`).exec(entry)![1]!);
    // Newest first: the notice, the digest, the version note, the announcement, the Article.
    expect(entries.map((e) => field(e, "title"))).toEqual([
      "Strike notice: On strike <today> & tomorrow.",
      "3 people signed in the last 27 hours",
      `Version 2 of ${HOSTILE}`,
      // The announcement was about version 1, which had the old title.
      "Test Declaration: published",
      HOSTILE,
    ]);
    expect(entries.map((e) => field(e, "id"))).toEqual([
      expect.stringMatching(new RegExp(`^${TEST_ORIGIN}/ap/notes/[0-9a-f-]{36}$`)),
      expect.stringMatching(/\/ap\/notes\//),
      expect.stringMatching(/\/ap\/notes\//),
      expect.stringMatching(/\/ap\/notes\//),
      expect.stringMatching(/\/ap\/articles\//),
    ]);
    // Content is HTML escaped once: the notice's text is itself escaped inside that HTML.
    const notice = field(entries[0]!, "content");
    expect(notice).toContain("<p>On strike &lt;today&gt; &amp; tomorrow.</p>");
    expect(notice).toContain(`<a href="${TEST_ORIGIN}/d/test-declaration">`);
    const version = field(entries[2]!, "content");
    expect(version).toContain("&lt;script&gt;");
    expect(version).toContain("A &lt;i&gt;better&lt;/i&gt; text");
    expect(version).toContain(`${TEST_ORIGIN}/d/test-declaration/diff/1..2`);
    const article = field(entries[4]!, "content");
    expect(article).toContain("<h2>Two</h2>");
    expect(article).not.toContain("<script");
    expect(xml).not.toContain("<script");
    expect(field(entries[4]!, "published")).toBe("2026-03-01T10:00:00.000Z");
    expect(xml).toMatch(
      /<link rel="alternate" type="text\/html" href="https:\/\/undersign\.test\/d\/test-declaration\/v\/2"\/>/,
    );
  });

  it("is an empty but valid feed before anything was posted", async () => {
    const { app, db } = await createTestApp();
    addDeclaration(db, { title: HOSTILE });
    const xml = await (await app.request("/d/test-declaration/feed.atom")).text();
    expect(checkWellFormed(xml)).not.toContain("entry");
    expect(xml).toContain(
      "<title>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co&apos;s &quot;Declaration&quot;</title>",
    );
  });

  it("keeps XML valid when a text holds characters XML forbids", async () => {
    const { app, db } = await createTestApp();
    addDeclaration(db, { title: "Bell\u0007 and \uFFFF" });
    const xml = await (await app.request("/d/test-declaration/feed.atom")).text();
    expect(xml).toContain("<title>Bell\uFFFD and \uFFFD</title>");
  });

  it("stays for a withdrawn Declaration, and is a 404 for a draft or an unknown one", async () => {
    const { app, db } = await createTestApp();
    const d = addDeclaration(db);
    addDeclaration(db, { slug: "secret", status: "draft" });
    db.transaction((tx) => setDeclarationStatus(tx, d.id, "withdrawn", null));
    expect((await app.request("/d/test-declaration/feed.atom")).status).toBe(200);
    expect((await app.request("/d/secret/feed.atom")).status).toBe(404);
    expect((await app.request("/d/nothing/feed.atom")).status).toBe(404);
  });
});
