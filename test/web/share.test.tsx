/**
 * Sharing: the share block and the Open Graph / Twitter card tags on a
 * Declaration's page, "Share on Mastodon" without JavaScript
 * (/share/mastodon), the QR code and the generated preview images.
 */
import QRCode from "qrcode";
import sharp from "sharp";
import { describe, expect, it, vi } from "vitest";
import { eq } from "drizzle-orm";
import { declarations } from "../../src/db/schema.ts";
import { writeStrikeSettingsValue } from "../../src/db/strike.ts";
import { countBucket, previewSvg, wrapText } from "../../src/web/sharing/preview-images.ts";
import { QR_OPTIONS } from "../../src/web/sharing/qr.ts";
import { serverName, strikeMeta } from "../../src/web/sharing/share.tsx";
import { COUNT_REFRESH_MS } from "../../src/web/declarations/pages.tsx";
import { defaultStrikeSettings } from "../../src/strike/settings.ts";
import { addDeclaration, createTestApp, TEST_ORIGIN } from "../helpers/app.ts";
import { decodeHtml, pageText, tags } from "../helpers/forms.ts";

const HOSTILE = `<script>alert("x")</script> & Co's "Declaration"`;

/** The content of `<meta property|name="key">` in a page. */
function metaContent(html: string, key: string): string | undefined {
  const m = new RegExp(
    `<meta (?:property|name)="${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}" content="([^"]*)"`,
  ).exec(html);
  return m == null ? undefined : decodeHtml(m[1]!);
}

describe("the share block and meta tags of a Declaration", () => {
  it("offers the link, Share on Mastodon, a QR code, the feed and the embeds", async () => {
    const { app, db } = await createTestApp();
    addDeclaration(db);
    const res = await app.request("/d/test-declaration");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<section class="share" id="share" aria-labelledby="share-heading">');
    expect(html).toContain(`value="${TEST_ORIGIN}/d/test-declaration" data-share-url`);
    expect(html).toMatch(/<form class="share-mastodon" method="get" action="\/share\/mastodon"/);
    const text = decodeHtml(/<input type="hidden" name="text" value="([^"]*)"/.exec(html)![1]!);
    expect(text).toBe(
      `Test Declaration\n\nRead it and sign it: ${TEST_ORIGIN}/d/test-declaration\n\n#SocialMediaStrike`,
    );
    expect(html).toContain('<img src="/d/test-declaration/qr.svg"');
    expect(html).toContain('<link rel="alternate" href="/d/test-declaration/feed.atom" type="application/atom+xml"');
    expect(html).toContain('href="/embed?d=test-declaration"');
    expect(html).toMatch(/<script type="module" src="\/static\/share\.js\?v=[0-9a-f]{12}">/);
    // The no-JavaScript form goes on to the visitor's server.
    expect(res.headers.get("content-security-policy")).toContain("form-action 'self' https:");
  });

  it("has Open Graph and Twitter card tags with a preview image that changes with the count", async () => {
    const { app, db } = await createTestApp({ instanceName: "Strike Site" });
    addDeclaration(db);
    const html = await (await app.request("/d/test-declaration")).text();
    expect(metaContent(html, "og:title")).toBe("Test Declaration");
    expect(metaContent(html, "og:type")).toBe("article");
    expect(metaContent(html, "og:site_name")).toBe("Strike Site");
    expect(metaContent(html, "og:description")).toBe("A Declaration for tests.");
    expect(metaContent(html, "og:url")).toBe(`${TEST_ORIGIN}/d/test-declaration`);
    expect(metaContent(html, "og:image")).toBe(`${TEST_ORIGIN}/d/test-declaration/preview.png?v=1-0`);
    expect(metaContent(html, "og:image:width")).toBe("1200");
    expect(metaContent(html, "og:image:height")).toBe("630");
    expect(metaContent(html, "og:image:alt")).toBe("Test Declaration: 0 signatures, on Strike Site");
    expect(metaContent(html, "twitter:card")).toBe("summary_large_image");
    expect(metaContent(html, "twitter:image")).toBe(metaContent(html, "og:image"));

    db.update(declarations).set({ signatureCount: 1234 }).run();
    // The kept page refreshes a changed count at most once every COUNT_REFRESH_MS.
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + COUNT_REFRESH_MS);
      const after = await (await app.request("/d/test-declaration")).text();
      expect(metaContent(after, "og:image")).toBe(`${TEST_ORIGIN}/d/test-declaration/preview.png?v=1-1200`);
    } finally {
      vi.useRealTimers();
    }
  });

  it("escapes a hostile title in the meta tags and the share text", async () => {
    const { app, db } = await createTestApp();
    addDeclaration(db, { title: HOSTILE, summary: "" });
    const html = await (await app.request("/d/test-declaration")).text();
    expect(html).not.toContain("<script>alert");
    expect(metaContent(html, "og:title")).toBe(HOSTILE);
    expect(metaContent(html, "twitter:title")).toBe(HOSTILE);
    expect(metaContent(html, "og:description")).toBe("A Declaration with 0 signatures. Read it and sign it.");
  });

  it("is not shown on a draft, which has no card tags either", async () => {
    const { app, db } = await createTestApp();
    addDeclaration(db, { status: "draft" });
    expect((await app.request("/d/test-declaration")).status).toBe(404);
  });

  it("gives the strike page's tags from strikeMeta", () => {
    const settings = { ...defaultStrikeSettings(new Date("2026-05-01T00:00:00Z")) };
    const tags = strikeMeta(new URL(TEST_ORIGIN), "Strike Site", settings);
    const get = (key: string) => tags.find((t) => ("property" in t ? t.property : t.name) === key)?.content;
    expect(get("og:title")).toBe("Social Media Strike, 4–5 July 2026");
    expect(get("og:url")).toBe(`${TEST_ORIGIN}/strike`);
    expect(get("og:image")).toMatch(new RegExp(`^${TEST_ORIGIN}/strike/preview\\.png\\?v=[0-9a-f]{12}$`));
    expect(get("twitter:card")).toBe("summary_large_image");
    expect(get("og:description")).toContain("#SocialMediaStrike");
  });
});

describe("Share on Mastodon without JavaScript", () => {
  const text = "Sign it: https://undersign.test/d/x #SocialMediaStrike";
  const q = (server: string, t = text) =>
    `/share/mastodon?server=${encodeURIComponent(server)}&text=${encodeURIComponent(t)}`;

  it("shows where the share goes and links to the server's share page with the text prefilled, without redirecting", async () => {
    const { app } = await createTestApp();
    for (const typed of [
      "mastodon.social",
      " https://Mastodon.Social/ ",
      "@ada@mastodon.social",
      "ada@mastodon.social",
    ]) {
      const res = await app.request(q(typed));
      expect(res.status, typed).toBe(200);
      expect(res.headers.get("location")).toBeNull();
      expect(res.headers.get("cache-control")).toBe("no-store");
      const html = await res.text();
      expect(pageText(html)).toContain("Share on mastodon.social");
      expect(pageText(html)).toContain("Continue to mastodon.social");
      expect(tags(html, "a").map((a) => a.href)).toContain(
        `https://mastodon.social/share?text=${encodeURIComponent(text)}`,
      );
      expect(pageText(html)).toContain(text);
    }
  });

  it("is no open redirect: a link made by anyone to any host only shows that host, for the visitor to follow or not", async () => {
    const { app } = await createTestApp();
    for (const host of ["evil.example", "phish.example.com"]) {
      const res = await app.request(q(host, "Log in again at evil.example"));
      expect(res.status).toBe(200);
      expect(res.headers.get("location")).toBeNull();
      expect(pageText(await res.text())).toContain(`Continue to ${host}`);
    }
  });

  it("asks for the server when none was typed, keeping the text", async () => {
    const { app } = await createTestApp();
    const res = await app.request(q(""));
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain(
      '<a href="#share-server">Your Mastodon server</a>: Type the name of your Mastodon server, like mastodon.social.',
    );
    expect(decodeHtml(/<input type="hidden" name="text" value="([^"]*)"/.exec(html)![1]!)).toBe(text);
    expect(html).toContain('aria-invalid="true"');
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("refuses anything but a host name, and keeps what was typed", async () => {
    const { app } = await createTestApp();
    for (const typed of [
      "javascript:alert(1)",
      "evil.example/path?x=1",
      "localhost",
      "mastodon.social:8080",
      "a b.social",
      "<b>x</b>.social",
      "http://",
    ]) {
      const res = await app.request(q(typed));
      expect(res.status, typed).toBe(400);
      const html = await res.text();
      expect(html).toContain("That is not a server name: type only its name, like mastodon.social.");
      expect(decodeHtml(/id="share-server" name="server" type="text" value="([^"]*)"/.exec(html)![1]!)).toBe(typed);
      expect(html).not.toContain("<b>x</b>");
    }
  });

  it("refuses an empty share text", async () => {
    const { app } = await createTestApp();
    const res = await app.request(q("mastodon.social", "  "));
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("There is nothing to share");
  });

  it("has the same host rule as the browser script", () => {
    expect(serverName("xn--bcher-kva.example")).toBe("xn--bcher-kva.example");
    expect(serverName("a.b.c.social")).toBe("a.b.c.social");
    expect(serverName("-bad.social")).toBeNull();
    expect(serverName(`${"x".repeat(64)}.social`)).toBeNull();
    expect(serverName("127.0.0.1")).toBeNull();
  });
});

describe("the QR code", () => {
  it("is an SVG of the Declaration's address, cacheable", async () => {
    const { app, db } = await createTestApp();
    addDeclaration(db);
    const res = await app.request("/d/test-declaration/qr.svg");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/svg+xml; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("public, max-age=86400, s-maxage=86400, stale-while-revalidate=10");
    const svg = await res.text();
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).toMatch(/<path [^>]*d="M/);
    const url = `${TEST_ORIGIN}/d/test-declaration`;
    // No decoder here: the library's own rendering of the same input is identical, and its segments hold the URL.
    expect(svg).toBe(await QRCode.toString(url, QR_OPTIONS));
    const segments = QRCode.create(url, { errorCorrectionLevel: "M" }).segments as unknown as { data: Uint8Array }[];
    expect(Buffer.concat(segments.map((s) => Buffer.from(s.data))).toString()).toBe(url);
  });

  it("is a 404 for an unknown Declaration or a draft", async () => {
    const { app, db } = await createTestApp();
    addDeclaration(db, { slug: "secret", status: "draft" });
    expect((await app.request("/d/nothing-here/qr.svg")).status).toBe(404);
    expect((await app.request("/d/secret/qr.svg")).status).toBe(404);
  });
});

describe("preview images", () => {
  it("are 1200×630 PNGs, cached with an ETag, and served cross-origin", async () => {
    const { app, db } = await createTestApp();
    addDeclaration(db);
    const res = await app.request("/d/test-declaration/preview.png");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("cache-control")).toBe("public, max-age=3600, s-maxage=3600, stale-while-revalidate=10");
    expect(res.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["png", 1200, 630]);
    const etag = res.headers.get("etag")!;
    expect(etag).toMatch(/^"d-\d+-1-0"$/);
    const again = await app.request("/d/test-declaration/preview.png", { headers: { "If-None-Match": etag } });
    expect(again.status).toBe(304);
    db.update(declarations).set({ signatureCount: 5 }).where(eq(declarations.slug, "test-declaration")).run();
    const changed = await app.request("/d/test-declaration/preview.png", { headers: { "If-None-Match": etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).toMatch(/-1-5"$/);
  });

  it("render a hostile title safely (escaped in the SVG)", async () => {
    const svg = previewSvg({
      kicker: "Declaration",
      title: HOSTILE,
      big: "1",
      bigLabel: "signature",
      footer: "A & B <site>",
    });
    expect(svg).not.toContain("<script>");
    expect(svg).toContain("&lt;script&gt;");
    expect(svg).toContain("A &amp; B &lt;site&gt;");
    const { app, db } = await createTestApp();
    addDeclaration(db, { title: HOSTILE });
    const res = await app.request("/d/test-declaration/preview.png");
    expect(res.status).toBe(200);
    expect((await sharp(Buffer.from(await res.arrayBuffer())).metadata()).width).toBe(1200);
  });

  it("has one for the strike, from its settings", async () => {
    const { app, db } = await createTestApp();
    writeStrikeSettingsValue(db, { name: "Strike & <Friends>", days: ["2027-07-04"] });
    const res = await app.request("/strike/preview.png");
    expect(res.status).toBe(200);
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([1200, 630]);
    expect(res.headers.get("etag")).toMatch(/^"strike-[0-9a-f]{12}"$/);
  });

  it("are a 404 for unknown Declarations and drafts", async () => {
    const { app, db } = await createTestApp();
    addDeclaration(db, { slug: "secret", status: "draft" });
    expect((await app.request("/d/secret/preview.png")).status).toBe(404);
    expect((await app.request("/d/nope/preview.png")).status).toBe(404);
  });

  it("round the count into buckets and wrap long titles", () => {
    expect([0, 1, 99, 100, 123, 999, 1234, 98_765, 1_234_567].map(countBucket)).toEqual([
      0, 1, 99, 100, 120, 990, 1200, 98_000, 1_200_000,
    ]);
    expect(wrapText("one two three four five six", 9, 2)).toEqual(["one two", "three…"]);
    expect(wrapText("short", 20, 3)).toEqual(["short"]);
    expect(wrapText("Supercalifragilistic", 8, 3)).toEqual(["Superca…"]);
  });
});
