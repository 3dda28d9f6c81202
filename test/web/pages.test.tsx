import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { appendRevision, getDeclarationBySlug } from "../../src/db/declarations.ts";
import { declarations } from "../../src/db/schema.ts";
import { setResponseHidden } from "../../src/db/fediverse.ts";
import type { Db } from "../../src/db/client.ts";
import { COUNT_REFRESH_MS } from "../../src/web/declarations/pages.tsx";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { response, remoteActor } from "../helpers/fediverse-rows.ts";
import { addSignature, signForm, tokenFrom } from "../helpers/forms.ts";

async function withRevisions() {
  const t = await createTestApp();
  addDeclaration(t.db, { now: new Date("2026-03-01T12:00:00Z") });
  const d = getDeclarationBySlug(t.db, "test-declaration")!;
  t.db.transaction((tx) =>
    appendRevision(tx, d, {
      title: "Test Declaration, improved",
      summary: "Better.",
      body: "## Second\n\nWe declare it again.\n",
      changeSummary: "Made it better",
      origin: "site",
      now: new Date("2026-04-02T12:00:00Z"),
    }),
  );
  return t;
}

describe("home page", () => {
  it("lists Declarations with title, summary, signature count and update date", async () => {
    const { app, db } = await createTestApp();
    addDeclaration(db, { now: new Date("2026-03-01T12:00:00Z") });
    const res = await app.request("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toMatch(/^<!DOCTYPE html><html lang="en" dir="ltr">/);
    expect(html).toContain('<a href="/d/test-declaration">Test Declaration</a>');
    expect(html).toContain("A Declaration for tests.");
    expect(html).toContain("0 signatures");
    expect(html).toContain('<time datetime="2026-03-01T12:00:00.000Z">March 1, 2026</time>');
  });

  it("says so when there is nothing yet", async () => {
    const { app } = await createTestApp();
    expect(await (await app.request("/")).text()).toContain("No Declarations have been published here yet.");
  });

  it("hides drafts", async () => {
    const { app, db } = await createTestApp();
    addDeclaration(db);
    db.update(declarations).set({ status: "draft" }).run();
    expect(await (await app.request("/")).text()).not.toContain(`href="/d/test-declaration"`);
    expect((await app.request("/d/test-declaration")).status).toBe(404);
    expect((await app.request("/api/declarations/test-declaration")).status).toBe(404);
  });
});

describe("Declaration pages", () => {
  it("renders the latest revision with its metadata", async () => {
    const { app } = await withRevisions();
    const res = await app.request("/d/test-declaration");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<h1 id="declaration-title">Test Declaration, improved</h1>');
    expect(html).toContain("<h2>Second</h2>");
    expect(html).toContain("Version 2");
    expect(html).toContain("#SocialMediaStrike");
    expect(html).toContain('href="https://creativecommons.org/licenses/by-sa/4.0/"');
    expect(html).toContain('<link rel="canonical" href="https://undersign.test/d/test-declaration"/>');
    expect(html).not.toContain("You are reading version");
  });

  it("renders an earlier revision with a pointer to the latest", async () => {
    const { app } = await withRevisions();
    const html = await (await app.request("/d/test-declaration/v/1")).text();
    expect(html).toContain('<h1 id="declaration-title">Test Declaration</h1>');
    expect(html).toContain("<h2>First</h2>");
    expect(html).toContain("You are reading version 1 of 2");
    expect(html).toContain('<a href="/d/test-declaration">Read the latest version</a>');
  });

  it("lists the history newest first", async () => {
    const { app } = await withRevisions();
    const html = await (await app.request("/d/test-declaration/history")).text();
    const v2 = html.indexOf('href="/d/test-declaration/v/2"');
    const v1 = html.indexOf('href="/d/test-declaration/v/1"');
    expect(v2).toBeGreaterThan(0);
    expect(v1).toBeGreaterThan(v2);
    expect(html).toContain("Made it better");
  });

  it("serves the raw Markdown with front matter that the importer accepts", async () => {
    const { app } = await withRevisions();
    const res = await app.request("/d/test-declaration.md");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/markdown; charset=utf-8");
    const text = await res.text();
    expect(text).toMatch(/^---\ntitle: Test Declaration, improved\nslug: test-declaration\n/);
    expect(text).toContain("version: 2\nurl: https://undersign.test/d/test-declaration/v/2\n---\n\n## Second");
    const { parseDeclarationFile } = await import("../../src/declaration-files.ts");
    const parsed = parseDeclarationFile("export.md", Buffer.from(text));
    expect(parsed).toMatchObject({
      slug: "test-declaration",
      title: "Test Declaration, improved",
      body: "## Second\n\nWe declare it again.\n",
    });
  });

  it("renders Markdown safely", async () => {
    const { app, db } = await createTestApp();
    addDeclaration(db, { body: "Hi <script>alert(1)</script><img src=x onerror=alert(2)> [x](javascript:alert(3))\n" });
    const html = await (await app.request("/d/test-declaration")).text();
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("onerror");
    expect(html).not.toContain("javascript:");
  });

  it.each([
    ["/d/nope", "There is no Declaration “nope” here."],
    ["/d/nope/history", "There is no Declaration “nope” here."],
    ["/d/nope/v/1", "There is no Declaration “nope” here."],
    ["/d/nope.md", "There is no Declaration “nope” here."],
    ["/d/test-declaration/v/3", "has no version “3”. It has versions 1 to 2."],
    ["/d/test-declaration/v/0", "has no version “0”"],
    ["/d/test-declaration/v/abc", "has no version “abc”"],
    ["/d/test-declaration/v/99999999999999999999", "has no version"],
    ["/no/such/page", "There is no page at this address."],
  ])("answers %s with a 404 page", async (path, message) => {
    const { app } = await withRevisions();
    const res = await app.request(path);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain("<h1>Not found</h1>");
    expect(html).toContain(message.replace(/“/g, "“"));
  });

  it("answers unexpected errors with a 500 page without internals", async () => {
    const { app, db } = await createTestApp();
    db.$client.close();
    const res = await app.request("/");
    expect(res.status).toBe(500);
    const html = await res.text();
    expect(html).toContain("Something went wrong");
    expect(html).not.toMatch(/database|TypeError|at .*\.ts/);
  });
});

describe("security headers and assets", () => {
  it("sends a strict Content-Security-Policy and the usual headers", async () => {
    const { app } = await createTestApp();
    const res = await app.request("/");
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("referrer-policy")).toBe("same-origin");
  });

  it("makes no third-party requests: every loaded resource is our own", async () => {
    const { app, db } = await createTestApp();
    addDeclaration(db, { body: "![remote](https://tracker.example/pixel.png) ![local](/static/icon.svg)\n" });
    for (const path of ["/", "/d/test-declaration", "/d/test-declaration/history", "/nope"]) {
      const html = await (await app.request(path)).text();
      // Tags whose URLs the browser loads by itself (links people may follow are not requests).
      const loading = [
        ...html.matchAll(
          /<(?:script|img|iframe|source|video|audio|link rel="(?:stylesheet|icon|preload|modulepreload)")\b[^>]*>/g,
        ),
      ];
      expect(loading.length).toBeGreaterThan(0);
      for (const [tag] of loading) {
        for (const [, url] of tag.matchAll(/\b(?:src|href)="([^"]*)"/g))
          expect(url, `${path}: ${tag}`).toMatch(/^\/(?!\/)/);
      }
    }
  });

  it("serves versioned static assets with long caching", async () => {
    const { app } = await createTestApp();
    const html = await (await app.request("/")).text();
    const href = /href="(\/static\/style\.css\?v=[0-9a-f]+)"/.exec(html)?.[1];
    expect(href).toBeDefined();
    const res = await app.request(href!);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(res.headers.get("cache-control")).toContain("immutable");
    expect((await app.request("/static/nope.css")).status).toBe(404);
  });

  it("answers /healthz", async () => {
    const { app, db } = await createTestApp();
    const res = await app.request("/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
    db.$client.close();
    expect((await app.request("/healthz")).status).toBe(503);
  });
});

describe("the latest version's page, kept between writes", () => {
  /** Adds a signature in the batcher's next commit, as a tally (the signing flow's way) or as any other write. */
  function signatureWrite(db: Db, name: string) {
    return () => addSignature(db, getDeclarationBySlug(db, "test-declaration")!, { name });
  }

  it("gives every anonymous visitor the same page and no cookie, and shows every other committed change at once", async () => {
    const { app, db, batcher } = await createTestApp();
    addDeclaration(db);
    const first = await app.request("/d/test-declaration");
    const second = await app.request("/d/test-declaration");
    expect(first.headers.getSetCookie()).toEqual([]);
    expect(second.headers.get("etag")).toBe(first.headers.get("etag"));
    expect(await second.text()).toBe(await first.text());

    // A write that is not a signature's tally (here one made outside the signing flow) shows at once.
    await batcher.run(signatureWrite(db, "Newest Signer"));
    const after = await (await app.request("/d/test-declaration")).text();
    expect(after).toContain("Newest Signer");
    expect(after).toContain("1 person has");
  });

  describe("with signatures arriving", () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    async function keptSite() {
      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(new Date("2027-03-01T12:00:00Z"));
      const t = await createTestApp();
      addDeclaration(t.db);
      const page = async () => {
        const res = await t.app.request("/d/test-declaration");
        expect(res.status).toBe(200);
        return { etag: res.headers.get("etag"), html: await res.text() };
      };
      const tally = (name: string) => t.batcher.tally(signatureWrite(t.db, name));
      return { ...t, page, tally };
    }

    it("keeps the page while only signatures were committed, and shows the count within COUNT_REFRESH_MS", async () => {
      const t = await keptSite();
      const before = await t.page();
      expect(before.html).toContain("0 people have");
      // Signed through the form: the signing flow commits a tally.
      tokenFrom(await signForm(t.app, { name: "Grace Hopper" }));
      await t.tally("Ada Lovelace");
      // Within the interval the kept page is served as it was: not rendered again.
      vi.setSystemTime(Date.now() + COUNT_REFRESH_MS - 1);
      const during = await t.page();
      expect(during.etag).toBe(before.etag);
      expect(during.html).toBe(before.html);
      // At the interval the count and the latest signers are fresh.
      vi.setSystemTime(Date.now() + 1);
      const after = await t.page();
      expect(after.html).toContain("2 people have");
      expect(after.html).toContain("Grace Hopper");
      expect(after.etag).not.toBe(before.etag);
      // And then kept again until the next tally.
      vi.setSystemTime(Date.now() + 60_000);
      expect((await t.page()).etag).toBe(after.etag);
    });

    it("the signer's own confirmation page counts their signature at once", async () => {
      const t = await keptSite();
      await t.page();
      const res = await signForm(t.app, { name: "Grace Hopper" });
      const mine = await t.app.request(res.headers.get("location")!);
      expect(await mine.text()).toContain("You are the first signer.");
    });

    it.each([
      [
        "a new version",
        (db: Db) =>
          appendRevision(db, getDeclarationBySlug(db, "test-declaration")!, {
            title: "Test Declaration",
            summary: "",
            body: "## First\n\nWe declare that version two is here.\n",
            changeSummary: "Second",
            origin: "site",
          }),
        "version two is here",
      ],
      [
        "an edit of the title",
        (db: Db) =>
          db
            .update(declarations)
            .set({ title: "An Edited Title" })
            .where(eq(declarations.slug, "test-declaration"))
            .run(),
        "An Edited Title",
      ],
      [
        "a withdrawal by a moderator",
        (db: Db) =>
          db
            .update(declarations)
            .set({ status: "withdrawn", withdrawnAt: new Date() })
            .where(eq(declarations.slug, "test-declaration"))
            .run(),
        "Withdrawn",
      ],
    ])("drops the kept page at once for %s, even right after a tally", async (_, write, shown) => {
      const t = await keptSite();
      await t.page();
      await t.tally("Ada Lovelace");
      await t.page();
      await t.batcher.run(() => write(t.db));
      expect((await t.page()).html).toContain(shown);
    });

    it("drops it at once for a response hidden by a moderator, even right after a tally", async () => {
      const t = await keptSite();
      const d = getDeclarationBySlug(t.db, "test-declaration")!;
      const id = response(t.db, d, remoteActor(t.db, "bo"), "<p>Rude words here</p>");
      expect((await t.page()).html).toContain("Rude words here");
      await t.tally("Ada Lovelace");
      await t.page();
      await t.batcher.run(() => setResponseHidden(t.db, d.id, id, true));
      expect((await t.page()).html).not.toContain("Rude words here");
    });
  });
});
