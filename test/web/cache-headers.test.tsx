import { describe, expect, it } from "vitest";
import { appendRevision, getDeclarationBySlug } from "../../src/db/declarations.ts";
import { saveSitePage } from "../../src/db/site-pages.ts";
import { loggedIn } from "../helpers/accounts.ts";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { addSignature } from "../helpers/forms.ts";

/** Every page and document anyone may be served, as an anonymous visitor asks for it. */
const PUBLIC_PATHS = [
  "/",
  "/d/test-declaration",
  "/d/test-declaration/v/1",
  "/d/test-declaration/v/2",
  "/d/test-declaration/history",
  "/d/test-declaration/copies",
  "/d/test-declaration/diff/1..2",
  "/d/test-declaration/sign",
  "/d/test-declaration/signatures",
  "/d/test-declaration/interact",
  "/d/test-declaration/stats",
  "/d/test-declaration.md",
  "/strike",
  "/faq",
  "/resources",
  "/memes",
  "/stats",
  "/privacy",
  "/tags/SocialMediaStrike",
  "/embed/d/test-declaration",
  "/embed/strike-banner.js",
  "/d/test-declaration/badge.svg",
  "/d/test-declaration/feed.atom",
  "/api/declarations",
  "/api/declarations/test-declaration",
  "/api/stats",
  "/api/strike",
];

async function site() {
  const t = await createTestApp();
  const declaration = addDeclaration(t.db);
  t.db.transaction((tx) =>
    appendRevision(tx, declaration, {
      title: "Test Declaration",
      summary: "",
      body: "## First\n\nWe declare that tests are great.\n",
      changeSummary: "Better",
      origin: "site",
    }),
  );
  addSignature(t.db, getDeclarationBySlug(t.db, "test-declaration")!, { name: "Ada Lovelace" });
  saveSitePage(t.db, { slug: "faq", title: "Questions", body: "## Why?\n\nBecause.\n", accountId: null });
  saveSitePage(t.db, {
    slug: "resources",
    title: "Resources",
    body: "- [Mastodon](https://joinmastodon.org)\n",
    accountId: null,
  });
  return t;
}

describe("pages a shared cache may serve", () => {
  it("answers every public page anonymously with no cookie, a shared Cache-Control, a strong ETag and 304", async () => {
    const t = await site();
    for (const path of PUBLIC_PATHS) {
      const res = await t.app.request(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.getSetCookie(), path).toEqual([]);
      const cacheControl = res.headers.get("cache-control") ?? "";
      expect(cacheControl, path).toMatch(/^public\b/);
      expect(cacheControl, path).toMatch(/\bs-maxage=\d+\b/);
      expect(cacheControl, path).toMatch(/\bstale-while-revalidate=\d+\b/);
      expect(res.headers.get("vary") ?? "", path).toMatch(/\bAccept\b/);
      const etag = res.headers.get("etag");
      expect(etag, path).toMatch(/^"[^"]+"$/);
      const body = await res.text();
      // Nothing per visitor: no CSRF token in any form.
      expect(body, path).not.toMatch(/name="csrf" value="[^"]/);

      // The same bytes and ETag for the next visitor.
      const again = await t.app.request(path);
      expect(again.headers.get("etag"), path).toBe(etag);
      expect(await again.text(), path).toBe(body);

      const notModified = await t.app.request(path, { headers: { "If-None-Match": etag! } });
      expect(notModified.status, path).toBe(304);
      expect(await notModified.text(), path).toBe("");
      expect(notModified.headers.get("etag"), path).toBe(etag);
      expect(notModified.headers.get("cache-control"), path).toBe(cacheControl);
      expect(notModified.headers.getSetCookie(), path).toEqual([]);

      const listed = await t.app.request(path, { headers: { "If-None-Match": `"other", W/${etag}` } });
      expect(listed.status, `${path} with a list`).toBe(304);
      const changed = await t.app.request(path, { headers: { "If-None-Match": '"something-else"' } });
      expect(changed.status, `${path} with another ETag`).toBe(200);
    }
  });

  it("keeps the security headers on a kept page and on a 304", async () => {
    const t = await site();
    const first = await t.app.request("/d/test-declaration");
    const kept = await t.app.request("/d/test-declaration");
    const notModified = await t.app.request("/d/test-declaration", {
      headers: { "If-None-Match": first.headers.get("etag")! },
    });
    for (const res of [first, kept, notModified]) {
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("referrer-policy")).toBe("same-origin");
      // The follow/sign form may lead to the visitor's own server.
      expect(res.headers.get("content-security-policy")).toContain("form-action 'self' https:;");
    }
    expect(first.headers.get("content-type")).toBe("text/html; charset=UTF-8");
    expect(await kept.text()).toBe(await first.text());
  });

  it("gives a logged-in visitor private pages with their own token", async () => {
    const t = await site();
    const ada = await loggedIn(t, "ada");
    for (const path of ["/", "/d/test-declaration", "/d/test-declaration/sign", "/strike", "/faq", "/stats"]) {
      const res = await t.app.request(path, { headers: { Cookie: ada.cookie } });
      expect(res.status, path).toBe(200);
      const cacheControl = res.headers.get("cache-control") ?? "";
      expect(cacheControl, path).toMatch(/\bprivate\b|\bno-store\b/);
      expect(cacheControl, path).not.toMatch(/\bpublic\b|s-maxage/);
    }
    const page = await (await t.app.request("/d/test-declaration", { headers: { Cookie: ada.cookie } })).text();
    expect(page).toContain(`name="csrf" value="${ada.csrf}"`);
  });

  it("leaves pages that set their own rule alone: no-store stays, immutable assets keep their year", async () => {
    const t = await site();
    const healthz = await t.app.request("/healthz");
    expect(healthz.headers.get("cache-control")).toBe("no-store");
    expect(healthz.headers.get("x-frame-options")).toBe("DENY");
    const html = await (await t.app.request("/")).text();
    const css = /href="(\/static\/style\.css\?v=[0-9a-f]+)"/.exec(html)![1]!;
    expect((await t.app.request(css)).headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const login = await t.app.request("/login");
    expect(login.headers.get("cache-control")).toBe("no-store");
    expect(login.headers.getSetCookie().length).toBe(1);
  });

  it("never offers a page that sets a cookie to a shared cache", async () => {
    const t = await site();
    // A stale session cookie is cleared: that answer is for this browser only.
    const res = await t.app.request("/", { headers: { Cookie: `__Host-session=${"A".repeat(43)}` } });
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie().join()).toContain("__Host-session=;");
    expect(res.headers.get("cache-control")).toMatch(/^private\b/);
  });
});
