/**
 * Browser smoke test: a Declaration whose Markdown tries to run script is
 * opened in Debian's headless Chromium (driven by playwright-core; no browser
 * download).  Nothing may run, nothing may be fetched from another origin, and
 * our own CSS and icon must load under our Content-Security-Policy.
 * Screenshots go to test-results/ for a person to look at.
 */
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { haveChromium, RESULTS, useBrowser, watchPage } from "../helpers/browser.ts";
import { startServer } from "../helpers/server.ts";
const SLUG = "hostile-markdown";
const TITLE = "A Declaration that tries to run script";

const HOSTILE_BODY = [
  "## Hostile content",
  "",
  "<script>window.__pwned = 1</script>",
  "",
  '<img src=x onerror="window.__pwned=2">',
  "",
  "Click [the javascript link](javascript:window.__pwned=3) to test links.",
  "",
  '<a href="javascript:window.__pwned=4" id="raw-link">A raw HTML javascript link</a>',
  "",
  '<svg onload="window.__pwned=5"><circle r="5"/></svg>',
  "",
  '<iframe src="javascript:parent.__pwned=6"></iframe>',
  "",
  '<p style="background:url(http://127.0.0.2:9/tracker.png)" onclick="window.__pwned=7">Styled paragraph</p>',
  "",
  "![remote image](http://127.0.0.2:9/remote.png)",
  "",
  "We declare that **Markdown** still renders: *emphasis*, lists and [a safe link](/).",
  "",
  "- one",
  "- two",
  "",
].join("\n");

describe.skipIf(!haveChromium)("browser smoke test", () => {
  const suite = useBrowser();
  let server: { url: string; close: () => Promise<void> } | undefined;

  beforeAll(async () => {
    const { app, db } = await createTestApp();
    addDeclaration(db, {
      slug: SLUG,
      title: TITLE,
      summary: "Its summary tries too: <script>window.__pwned = 8</script>",
      body: HOSTILE_BODY,
    });
    server = await startServer(app);
    suite.later(server.close);
  });

  it("shows the Declaration, runs none of its script, and loads only from its own origin", async () => {
    const origin = new URL(server!.url).origin;
    const context = await suite.browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();

      const failed: string[] = [];
      // `<img src=x>` survives sanitizing as a harmless relative image, /d/x,
      // which is a 404: the only error the browser may report.
      const expectedMissing = `${origin}/d/x`;
      page.on("response", (response) => {
        if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
      });
      const {
        requests,
        foreign,
        consoleMessages: consoleErrors,
        pageErrors,
      } = await watchPage(
        context,
        page,
        origin,
        (text, url) => text.startsWith("Failed to load resource") && url === expectedMissing,
      );

      const response = await page.goto(`${origin}/d/${SLUG}`, { waitUntil: "load" });
      expect(response?.status()).toBe(200);
      expect(response?.headers()["content-security-policy"]).toContain("script-src 'self'");

      const heading = page.getByRole("heading", { level: 1, name: TITLE });
      await expect.poll(() => heading.isVisible()).toBe(true);
      await expect.poll(() => page.getByText("Styled paragraph").isVisible()).toBe(true);
      expect(await page.locator(".prose strong").first().textContent()).toBe("Markdown");

      // The stylesheet applied: our own CSS was not blocked by our own CSP.
      const styled = await page.evaluate(
        () => document.styleSheets.length > 0 && document.styleSheets[0]!.cssRules.length > 0,
      );
      expect(styled).toBe(true);

      expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();

      // Clicking the links must not run anything either.
      await page.getByText("the javascript link").click();
      await page.getByText("A raw HTML javascript link").click();
      await page.getByText("Styled paragraph").click();
      await page.waitForTimeout(200);
      expect(page.url()).toBe(`${origin}/d/${SLUG}`);
      expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();

      // No script, event handler, iframe, svg or inline style survived.
      const leftovers = await page.evaluate(() => {
        const prose = document.querySelector(".prose")!;
        const handlers = [...prose.querySelectorAll("*")].filter((el) =>
          [...el.attributes].some((a) => a.name.startsWith("on") || a.name === "style"),
        );
        const badHrefs = [...prose.querySelectorAll("a[href]")].filter((a) =>
          /^\s*javascript:/i.test(a.getAttribute("href")!),
        );
        return {
          // Only our own enhancing scripts, served from /static/, may be on the page.
          scripts: [...document.querySelectorAll("script")].filter(
            (el) => !/^\/static\/[\w-]+\.js\?v=/.test(el.getAttribute("src") ?? ""),
          ).length,
          frames: prose.querySelectorAll("iframe, svg, object, embed").length,
          handlers: handlers.length,
          badHrefs: badHrefs.length,
        };
      });
      expect(leftovers).toEqual({ scripts: 0, frames: 0, handlers: 0, badHrefs: 0 });

      await page.screenshot({ path: join(RESULTS, "declaration-1280.png"), fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(100);
      await expect.poll(() => heading.isVisible()).toBe(true);
      await page.screenshot({ path: join(RESULTS, "declaration-390.png"), fullPage: true });

      expect(pageErrors).toEqual([]);
      expect(consoleErrors).toEqual([]);
      expect(failed).toEqual([`404 ${expectedMissing}`]);
      expect(foreign).toEqual([]);
      expect(requests.length).toBeGreaterThan(0);
      for (const url of requests) expect(new URL(url).origin, url).toBe(origin);
      // Our own assets were requested (and so allowed by our CSP).
      expect(requests.some((url) => new URL(url).pathname === "/static/style.css")).toBe(true);
    } finally {
      await context.close();
    }
  }, 60_000);
});
