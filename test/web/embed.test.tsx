/**
 * Embeds for other websites: the frameable counter page, the badge, the
 * strike banner script and /api/strike (all cross-origin), and the /embed
 * page of snippets — while every other page still refuses to be framed.
 */
import { readFileSync } from "node:fs";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { withBannerTexts } from "../../src/i18n/banner.ts";
import { setDeclarationStatus } from "../../src/db/declarations.ts";
import { declarations } from "../../src/db/schema.ts";
import { writeStrikeSettingsValue } from "../../src/db/strike.ts";
import { addDeclaration, createTestApp, TEST_ORIGIN } from "../helpers/app.ts";
import { decodeHtml } from "../helpers/forms.ts";

const HOSTILE = `<script>alert("x")</script> & Co's "Declaration"`;

describe("the embeddable counter /embed/d/{slug}", () => {
  it("shows the title, the count and a Sign button that opens the form in a new tab", async () => {
    const { app, db } = await createTestApp();
    addDeclaration(db);
    db.update(declarations).set({ signatureCount: 1234 }).run();
    const res = await app.request("/embed/d/test-declaration");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(
      '<a href="/d/test-declaration" target="_blank" rel="noopener" title="Test Declaration">Test Declaration</a>',
    );
    expect(html).toContain('<strong data-count-people="true">1,234 people have</strong> signed.');
    expect(html).toContain(
      '<a class="embed-sign" href="/d/test-declaration/sign" target="_blank" rel="noopener">Sign</a>',
    );
    expect(html).toMatch(/<link rel="stylesheet" href="\/static\/embed\.css\?v=[0-9a-f]{12}"/);
    expect(html).not.toContain("site-header");
    expect(res.headers.get("cache-control")).toBe("public, max-age=60, s-maxage=60, stale-while-revalidate=10");
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  it("may be framed by any site, while every other page may not", async () => {
    const { app, db } = await createTestApp();
    addDeclaration(db);
    const embed = await app.request("/embed/d/test-declaration");
    const csp = embed.headers.get("content-security-policy")!;
    expect(csp).toContain("frame-ancestors *");
    expect(csp).not.toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(embed.headers.get("x-frame-options")).toBe("ALLOWALL");
    for (const path of ["/d/test-declaration", "/embed", "/", "/d/test-declaration/sign"]) {
      const res = await app.request(path);
      expect(res.headers.get("x-frame-options"), path).toBe("DENY");
      expect(res.headers.get("content-security-policy"), path).toContain("frame-ancestors 'none'");
    }
    const missing = await app.request("/embed/d/nothing");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-security-policy")).toContain("frame-ancestors *");
    expect(await missing.text()).toContain("There is no Declaration “nothing”");
  });

  it("escapes a hostile title, offers no button once withdrawn, and hides drafts", async () => {
    const { app, db } = await createTestApp();
    const d = addDeclaration(db, { title: HOSTILE });
    addDeclaration(db, { slug: "secret", status: "draft" });
    const html = await (await app.request("/embed/d/test-declaration")).text();
    expect(html).not.toContain("<script>alert");
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co&#39;s");
    db.transaction((tx) => setDeclarationStatus(tx, d.id, "withdrawn", null));
    const withdrawn = await (await app.request("/embed/d/test-declaration")).text();
    expect(withdrawn).toContain("This Declaration was withdrawn and can no longer be signed.");
    expect(withdrawn).not.toContain("embed-sign");
    expect((await app.request("/embed/d/secret")).status).toBe(404);
  });
});

describe("the badge /d/{slug}/badge.svg", () => {
  it("shows the live count, is cached for a minute and may be loaded by other sites", async () => {
    const { app, db } = await createTestApp();
    addDeclaration(db);
    db.update(declarations).set({ signatureCount: 1234 }).run();
    const res = await app.request("/d/test-declaration/badge.svg");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/svg+xml; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("public, max-age=60, s-maxage=60, stale-while-revalidate=10");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
    const svg = await res.text();
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="20"/);
    expect(svg).toContain(">signatures</text>");
    expect(svg).toContain(">1,234</text>");
    expect(svg).toContain("<title>Test Declaration: 1,234 signatures</title>");
    db.update(declarations).set({ signatureCount: 1 }).where(eq(declarations.slug, "test-declaration")).run();
    expect(await (await app.request("/d/test-declaration/badge.svg")).text()).toContain(">signature</text>");
  });

  it("escapes a hostile title, and is a 404 for drafts and unknown Declarations", async () => {
    const { app, db } = await createTestApp();
    addDeclaration(db, { title: HOSTILE });
    addDeclaration(db, { slug: "secret", status: "draft" });
    const svg = await (await app.request("/d/test-declaration/badge.svg")).text();
    expect(svg).not.toContain("<script");
    expect(svg).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co&apos;s");
    const missing = await app.request("/d/secret/badge.svg");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("access-control-allow-origin")).toBe("*");
    expect((await app.request("/d/nope/badge.svg")).status).toBe(404);
  });
});

describe("the strike banner script and /api/strike", () => {
  it("serves the script to any site, with an ETag", async () => {
    const { app } = await createTestApp();
    const res = await app.request("/embed/strike-banner.js");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
    expect(res.headers.get("cache-control")).toBe("public, max-age=3600, s-maxage=3600, stale-while-revalidate=10");
    const script = await res.text();
    expect(script).toBe(withBannerTexts(readFileSync("src/web/static/banner.js", "utf8")));
    // Built with textContent and element.style only; no cookies.
    expect(script).not.toMatch(
      /innerHTML|outerHTML|insertAdjacentHTML|document\.write|document\.cookie|setAttribute\("style"/,
    );
    const again = await app.request("/embed/strike-banner.js", {
      headers: { "If-None-Match": res.headers.get("etag")! },
    });
    expect(again.status).toBe(304);
  });

  it("gives the strike's name, days and window with CORS for every origin", async () => {
    const { app } = await createTestApp();
    const res = await app.request("/api/strike", { headers: { Origin: "https://blog.example" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
    expect(res.headers.get("cache-control")).toBe("public, max-age=60, s-maxage=60, stale-while-revalidate=10");
    const body = (await res.json()) as Record<string, unknown>;
    const year = Number((body.days as string[])[0]!.slice(0, 4));
    expect(body).toEqual({
      name: "Social Media Strike",
      hashtags: ["SocialMediaStrike"],
      days: [`${year}-07-04`, `${year}-07-05`],
      timeZone: "UTC",
      start: `${year}-07-04T00:00:00.000Z`,
      end: `${year}-07-06T00:00:00.000Z`,
      status: expect.stringMatching(/^(upcoming|on)$/),
      url: `${TEST_ORIGIN}/strike`,
    });
  });

  it("counts the days in the strike's time zone and says whether it is on", async () => {
    const { app, db } = await createTestApp();
    writeStrikeSettingsValue(db, {
      name: "Streik",
      days: ["2020-03-28", "2020-03-29"],
      timeZone: "Europe/Berlin",
      hashtags: ["SocialMediaStrike", "Streik"],
    });
    const body = (await (await app.request("/api/strike")).json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      name: "Streik",
      hashtags: ["SocialMediaStrike", "Streik"],
      timeZone: "Europe/Berlin",
      // Midnight in winter time, and the next midnight after the change to summer time.
      start: "2020-03-27T23:00:00.000Z",
      end: "2020-03-29T22:00:00.000Z",
      status: "over",
    });
    const now = Date.now();
    const day = (offset: number) => new Date(now + offset * 86_400_000).toISOString().slice(0, 10);
    writeStrikeSettingsValue(db, { days: [day(-1), day(0), day(1)], timeZone: "UTC" });
    expect(((await (await app.request("/api/strike")).json()) as { status: string }).status).toBe("on");
  });
});

describe("the /embed page", () => {
  it("shows the iframe, badge and banner snippets with live previews", async () => {
    const { app, db } = await createTestApp();
    addDeclaration(db);
    addDeclaration(db, { slug: "second", title: "Second Declaration" });
    const res = await app.request("/embed?d=test-declaration");
    expect(res.status).toBe(200);
    const html = decodeHtml(await res.text());
    expect(html).toContain(
      `<iframe src="${TEST_ORIGIN}/embed/d/test-declaration" title="Test Declaration: count and sign" width="320" height="200" style="border:0" loading="lazy"></iframe>`,
    );
    expect(html).toContain(
      `<img src="${TEST_ORIGIN}/d/test-declaration/badge.svg" alt="Signatures of Test Declaration" height="20">`,
    );
    expect(html).toContain(
      `[![Signatures](${TEST_ORIGIN}/d/test-declaration/badge.svg)](${TEST_ORIGIN}/d/test-declaration)`,
    );
    expect(html).toContain(`<script src="${TEST_ORIGIN}/embed/strike-banner.js" async></script>`);
    // Live previews from this site.
    expect(html).toContain('<iframe class="embed-preview" src="/embed/d/test-declaration"');
    expect(html).toContain('<img src="/d/test-declaration/badge.svg"');
    expect(html).toContain('<script src="/embed/strike-banner.js" async=""></script>');
    expect(html).toContain('<option value="second">Second Declaration</option>');
    expect(html).toContain('<option value="test-declaration" selected="">Test Declaration</option>');
  });

  it("escapes a hostile title inside the snippets", async () => {
    const { app, db } = await createTestApp();
    addDeclaration(db, { title: HOSTILE });
    const raw = await (await app.request("/embed")).text();
    expect(raw).not.toContain("<script>alert");
    // Shown as text: the snippet's attribute is escaped, and the page escapes that again.
    expect(decodeHtml(raw)).toContain(
      'title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co\'s &quot;Declaration&quot;: count and sign"',
    );
  });

  it("is a 404 for an unknown Declaration or a draft, and shows only the banner when there is none", async () => {
    const { app, db } = await createTestApp();
    expect((await app.request("/embed?d=nothing")).status).toBe(404);
    addDeclaration(db, { slug: "secret", status: "draft" });
    expect((await app.request("/embed?d=secret")).status).toBe(404);
    const html = await (await app.request("/embed")).text();
    expect(html).not.toContain("embed-counter");
    expect(html).toContain("The strike banner");
  });
});
