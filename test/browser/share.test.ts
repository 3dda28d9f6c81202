/**
 * Sharing in headless Chromium: the share block on a Declaration's page
 * ("Share on Mastodon" asks for the server once and remembers it; the share
 * page's URL is checked, never loaded), "Copy link", the QR code, the Atom
 * feed parsed by the browser's own XML parser, and the /embed page with its
 * live previews.  Screenshots: test-results/share-*.png, embed-*.png.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { getDeclarationBySlug } from "../../src/db/declarations.ts";
import { createPost } from "../../src/db/posts.ts";
import { writeStrikeSettingsValue } from "../../src/db/strike.ts";
import { addDeclaration } from "../helpers/app.ts";
import { haveChromium, RESULTS, useBrowser, watchPage } from "../helpers/browser.ts";

const SLUG = "test-declaration";

describe.skipIf(!haveChromium)("sharing in a browser", () => {
  const suite = useBrowser();

  async function site() {
    const t = await suite.site();
    addDeclaration(t.db, { title: `Declaration of <Digital> Independence & "Friends"` });
    // Far from now, so the banner on /embed stays a small banner.
    const day = new Date(Date.now() + 40 * 86_400_000).toISOString().slice(0, 10);
    writeStrikeSettingsValue(t.db, { days: [day] });
    return t;
  }

  it("asks for the Mastodon server once, remembers it, and opens its share page", async () => {
    const t = await site();
    const context = await suite.browser.newContext({ viewport: { width: 390, height: 844 } });
    try {
      const page = await context.newPage();
      const watch = await watchPage(context, page, t.origin);
      await page.goto(`${t.origin}/d/${SLUG}`);
      const share = page.locator("#share");
      await share.scrollIntoViewIfNeeded();
      expect(await share.getByRole("heading", { level: 2 }).textContent()).toBe("Share this Declaration");
      await share.screenshot({ path: join(RESULTS, "share-block-390.png") });

      // A wrong name: the field says so, nothing opens.
      const field = share.getByLabel("Your Mastodon server");
      await field.fill("not a server!");
      await share.getByRole("button", { name: "Share on Mastodon" }).click();
      expect(await share.locator("#share-server-error").textContent()).toBe(
        "That is not a server name: type only its name, like mastodon.social.",
      );
      expect(await field.getAttribute("aria-invalid")).toBe("true");
      await share.screenshot({ path: join(RESULTS, "share-block-error-390.png") });
      expect(watch.foreign).toEqual([]);

      // A good one: the share page opens in a new tab with the text prefilled (the request is caught here).
      await field.fill("https://Mastodon.Example/");
      const popup = context.waitForEvent("page");
      await share.getByRole("button", { name: "Share on Mastodon" }).click();
      const firstTab = await popup;
      const text = `Declaration of <Digital> Independence & "Friends"\n\nRead it and sign it: ${t.origin}/d/${SLUG}\n\n#SocialMediaStrike`;
      const expected = `https://mastodon.example/share?text=${encodeURIComponent(text)}`;
      await expect.poll(() => watch.foreign).toContain(expected);
      expect(
        new URL(watch.foreign.find((u) => u.startsWith("https://mastodon.example/"))!).searchParams.get("text"),
      ).toBe(text);
      expect(await page.evaluate(() => localStorage.getItem("undersign:mastodon-server"))).toBe("mastodon.example");

      // Next time it is not asked again.  (The first tab is closed, so no late request of its own is counted below.)
      await firstTab.close();
      await page.reload();
      await share.scrollIntoViewIfNeeded();
      expect(await field.isVisible()).toBe(false);
      expect(await share.locator("[data-server-remembered]").textContent()).toContain("on mastodon.example");
      await share.screenshot({ path: join(RESULTS, "share-block-remembered-390.png") });
      const before = watch.foreign.length;
      const second = context.waitForEvent("page");
      await share.getByRole("button", { name: "Share on Mastodon" }).click();
      await second;
      expect(context.pages()).toHaveLength(2); // this page and one new tab
      await expect.poll(() => watch.foreign.slice(before)).toContain(expected);
      // The browser may repeat the tab's request under load; every request it made is the share page.
      expect(new Set(watch.foreign.slice(before))).toEqual(new Set([expected]));

      // "Change server" asks again, with the old name ready to edit.
      await share.getByRole("button", { name: "Change server" }).click();
      expect(await field.isVisible()).toBe(true);
      expect(await field.inputValue()).toBe("mastodon.example");
      expect(await page.evaluate(() => localStorage.getItem("undersign:mastodon-server"))).toBeNull();

      expect(watch.foreign.every((u) => u.startsWith("https://mastodon.example/share?"))).toBe(true);
      expect(await watch.cspViolations()).toEqual([]);
      expect(watch.pageErrors).toEqual([]);
      expect(watch.consoleMessages.filter((m) => !m.includes("mastodon.example"))).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it("copies the link, shows the QR code, and the feed parses as XML", async () => {
    const t = await site();
    const d = getDeclarationBySlug(t.db, SLUG)!;
    t.db.transaction((tx) =>
      createPost(tx, { declarationId: d.id, kind: "announcement", key: "announcement", revision: 1, now: new Date() }),
    );
    const context = await suite.browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: t.origin });
      const page = await context.newPage();
      const watch = await watchPage(context, page, t.origin);
      await page.goto(`${t.origin}/d/${SLUG}`);
      const share = page.locator("#share");
      await share.getByRole("button", { name: "Copy link" }).click();
      await expect.poll(() => share.getByRole("status").textContent()).toBe("Link copied.");
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`${t.origin}/d/${SLUG}`);

      await share.getByText("QR code", { exact: true }).click();
      const qr = share.getByRole("img", { name: `QR code of the link ${t.origin}/d/${SLUG}` });
      await expect.poll(() => qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
      await share.scrollIntoViewIfNeeded();
      await share.screenshot({ path: join(RESULTS, "share-block-1280.png") });

      const feed = await page.evaluate(async (url) => {
        const xml = await (await fetch(url)).text();
        const doc = new DOMParser().parseFromString(xml, "application/xml");
        return {
          error: doc.querySelector("parsererror")?.textContent ?? null,
          root: doc.documentElement.namespaceURI,
          title: doc.querySelector("feed > title")?.textContent,
          entries: doc.querySelectorAll("entry").length,
        };
      }, `/d/${SLUG}/feed.atom`);
      expect(feed).toEqual({
        error: null,
        root: "http://www.w3.org/2005/Atom",
        title: `Declaration of <Digital> Independence & "Friends"`,
        entries: 1,
      });
      expect(await page.locator('link[rel="alternate"][type="application/atom+xml"]').getAttribute("href")).toBe(
        `/d/${SLUG}/feed.atom`,
      );
      expect(await page.locator('meta[property="og:image"]').getAttribute("content")).toBe(
        `${t.origin}/d/${SLUG}/preview.png?v=1-0`,
      );
      expect(watch.foreign).toEqual([]);
      expect(watch.pageErrors).toEqual([]);
      expect(await watch.cspViolations()).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it("shows the /embed page with a working counter frame, badge and banner", async () => {
    const t = await site();
    for (const width of [390, 1280]) {
      const context = await suite.browser.newContext({
        viewport: { width, height: 900 },
        colorScheme: width === 390 ? "light" : "dark",
      });
      try {
        const page = await context.newPage();
        const watch = await watchPage(context, page, t.origin);
        await page.goto(`${t.origin}/embed`);
        const frame = page.frameLocator("iframe.embed-preview");
        expect(await frame.getByRole("link", { name: "Sign" }).getAttribute("target")).toBe("_blank");
        expect(await frame.locator("[data-count-people]").textContent()).toBe("0 people have");
        const badge = page.getByRole("img", { name: /^Signatures of Declaration of/ }).last();
        await expect
          .poll(() => badge.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0))
          .toBe(true);
        await expect.poll(() => page.locator('[data-undersign-strike="banner"]').count()).toBe(1);
        await page.screenshot({ path: join(RESULTS, `embed-page-${width}.png`), fullPage: true });

        // The counter page itself, as a site frames it.
        await page.setViewportSize({ width: 320, height: 200 });
        await page.goto(`${t.origin}/embed/d/${SLUG}`);
        await page.screenshot({ path: join(RESULTS, `embed-counter-${width === 390 ? "light" : "dark"}.png`) });
        expect(watch.foreign).toEqual([]);
        expect(watch.pageErrors).toEqual([]);
        expect(await watch.cspViolations()).toEqual([]);
        expect(watch.consoleMessages).toEqual([]);
      } finally {
        await context.close();
      }
    }
  }, 60_000);
});
