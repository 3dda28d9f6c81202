/**
 * The strike banner on somebody else's website, in headless Chromium: a host
 * page on another loopback origin (with a strict Content-Security-Policy of
 * its own) includes our script and frames our counter.  On an ordinary day a
 * small banner that can be closed; during the strike window a full-page
 * notice that is closed once a day; texts in the visitor's language.
 * Screenshots: test-results/banner-*.png.
 */
import { join } from "node:path";
import { Hono } from "hono";
import type { BrowserContext, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { writeStrikeSettingsValue } from "../../src/db/strike.ts";
import { addDeclaration } from "../helpers/app.ts";
import { haveChromium, RESULTS, useBrowser } from "../helpers/browser.ts";
import { startServer } from "../helpers/server.ts";

const DAY = 86_400_000;
const isoDay = (offsetDays: number) => new Date(Date.now() + offsetDays * DAY).toISOString().slice(0, 10);

/** A blog on another origin that includes the banner and the counter, under a strict CSP. */
function hostApp(site: string) {
  const host = new Hono();
  host.get("/", (c) => {
    c.header(
      "Content-Security-Policy",
      `default-src 'self'; script-src 'self' ${site}; connect-src 'self' ${site}; frame-src ${site}; img-src 'self' ${site}; style-src 'self'`,
    );
    return c.html(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>A blog</title></head>
<body><h1>A blog about gardening</h1>
<p>Tomatoes like the sun. Beans climb. This page stands for any website that includes the strike banner.</p>
<p><a href="/other">Another page</a></p>
<iframe src="${site}/embed/d/test-declaration" title="Test Declaration: count and sign" width="320" height="200"></iframe>
<p>${"Words about soil and water. ".repeat(40)}</p>
<script src="${site}/embed/strike-banner.js" async></script>
</body></html>`);
  });
  return host;
}

describe.skipIf(!haveChromium)("the strike banner on another website", () => {
  const suite = useBrowser();

  async function setup(days: string[]) {
    const t = await suite.site();
    addDeclaration(t.db);
    writeStrikeSettingsValue(t.db, { days, timeZone: "UTC" });
    const host = await startServer(hostApp(t.origin));
    suite.later(host.close);
    return { site: t.origin, host: host.url };
  }

  /** A page that may reach only the two loopback origins; everything else is recorded and aborted. */
  async function open(context: BrowserContext, allowed: string[]) {
    const foreign: string[] = [];
    const requests: string[] = [];
    const problems: string[] = [];
    await context.route("**/*", async (route) => {
      const url = route.request().url();
      requests.push(url);
      if (allowed.includes(new URL(url).origin)) await route.continue();
      else {
        foreign.push(url);
        await route.abort();
      }
    });
    const page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(String(e)));
    await page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (e) =>
        console.error(`CSP ${e.violatedDirective} ${e.blockedURI}`),
      );
    });
    return { page, foreign, requests, problems };
  }

  const banner = (page: Page) => page.locator('[data-undersign-strike="banner"]');
  const overlay = (page: Page) => page.locator('[data-undersign-strike="overlay"]');

  it("shows a small banner before the strike, which can be closed for the day", async () => {
    const { site, host } = await setup([isoDay(30), isoDay(31)]);
    for (const width of [390, 1280]) {
      const context = await suite.browser.newContext({ viewport: { width, height: 800 }, locale: "en-GB" });
      try {
        const { page, foreign, requests, problems } = await open(context, [site, host]);
        await page.goto(host);
        await expect.poll(() => banner(page).count()).toBe(1);
        expect(await banner(page).getAttribute("role")).toBe("region");
        expect(await banner(page).textContent()).toContain("Social Media Strike: ");
        const link = banner(page).getByRole("link", { name: "Join the strike →" });
        expect(await link.getAttribute("href")).toBe(`${site}/strike`);
        expect(await link.getAttribute("target")).toBe("_blank");
        // The counter frame loads from our site inside the blog.
        expect(await page.frameLocator("iframe").getByRole("link", { name: "Sign" }).getAttribute("href")).toBe(
          "/d/test-declaration/sign",
        );
        expect(await page.isVisible('[data-undersign-strike="overlay"]')).toBe(false);
        await page.screenshot({ path: join(RESULTS, `banner-ordinary-${width}.png`) });

        await banner(page).getByRole("button", { name: "Hide the strike banner" }).click();
        expect(await banner(page).count()).toBe(0);
        await page.reload();
        await page.waitForLoadState("networkidle");
        expect(await banner(page).count()).toBe(0);

        // Only our two origins; no cookies anywhere; the API is asked without credentials or referrer.
        expect(foreign).toEqual([]);
        expect(requests.filter((r) => r.startsWith(site)).map((r) => new URL(r).pathname)).toEqual(
          expect.arrayContaining(["/embed/strike-banner.js", "/api/strike", "/embed/d/test-declaration"]),
        );
        expect(await context.cookies()).toEqual([]);
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    }
  }, 90_000);

  it("shows a full-page notice during the strike, closed once for the day", async () => {
    const { site, host } = await setup([isoDay(-1), isoDay(0), isoDay(1)]);
    for (const width of [390, 1280]) {
      const context = await suite.browser.newContext({ viewport: { width, height: 800 }, locale: "en-US" });
      try {
        const { page, foreign, problems } = await open(context, [site, host]);
        await page.goto(host);
        const dialog = page.getByRole("dialog", { name: "Social Media Strike" });
        await expect.poll(() => dialog.count()).toBe(1);
        expect(await dialog.getAttribute("aria-modal")).toBe("true");
        expect(await dialog.textContent()).toContain("Today we are on strike from big social media.");
        expect(await dialog.textContent()).toContain("#SocialMediaStrike");
        expect(await page.evaluate(() => document.activeElement?.getAttribute("role"))).toBe("dialog");
        expect(await dialog.getByRole("link", { name: "Why we strike, and how to join" }).getAttribute("href")).toBe(
          `${site}/strike`,
        );
        expect(await banner(page).count()).toBe(0);
        await page.screenshot({ path: join(RESULTS, `banner-overlay-${width}.png`) });

        // Tab stays inside the notice.
        await page.keyboard.press("Tab");
        await page.keyboard.press("Tab");
        await page.keyboard.press("Tab");
        expect(await page.evaluate(() => document.activeElement?.closest('[role="dialog"]') != null)).toBe(true);

        await dialog.getByRole("button", { name: "Continue to this site" }).click();
        expect(await overlay(page).count()).toBe(0);
        expect(await page.evaluate(() => document.documentElement.style.overflow)).toBe("");
        await page.reload();
        await page.waitForLoadState("networkidle");
        expect(await overlay(page).count()).toBe(0);
        expect(foreign).toEqual([]);
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    }

    // A visitor who has not closed it today sees it again; Escape closes it too.
    const context = await suite.browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const { page } = await open(context, [site, host]);
      await page.goto(host);
      await expect.poll(() => overlay(page).count()).toBe(1);
      await page.keyboard.press("Escape");
      expect(await overlay(page).count()).toBe(0);
      const stored = await page.evaluate((key) => localStorage.getItem(key), `undersign-strike-banner:${site}`);
      expect(JSON.parse(stored!)).toEqual({ overlay: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
    } finally {
      await context.close();
    }
  }, 90_000);

  it("speaks German and French to visitors who read them, English to others", async () => {
    const { site, host } = await setup([isoDay(-1), isoDay(0), isoDay(1)]);
    const cases = [
      {
        locale: "de-DE",
        today: "Heute streiken wir gegen die großen sozialen Medien.",
        button: "Weiter zu dieser Website",
      },
      {
        locale: "fr-FR",
        today: "Aujourd’hui, nous faisons grève contre les grands réseaux sociaux.",
        button: "Continuer vers ce site",
      },
      { locale: "ja-JP", today: "Today we are on strike from big social media.", button: "Continue to this site" },
    ];
    for (const c of cases) {
      const context = await suite.browser.newContext({ viewport: { width: 390, height: 800 }, locale: c.locale });
      try {
        const { page, problems } = await open(context, [site, host]);
        await page.goto(host);
        const dialog = page.getByRole("dialog");
        await expect.poll(() => dialog.count()).toBe(1);
        expect(await dialog.textContent(), c.locale).toContain(c.today);
        expect(await dialog.getByRole("button").textContent()).toBe(c.button);
        if (c.locale === "de-DE") await page.screenshot({ path: join(RESULTS, "banner-overlay-de-390.png") });
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    }
  }, 90_000);

  it("shows nothing once the strike is over", async () => {
    const { site, host } = await setup([isoDay(-3), isoDay(-2)]);
    const context = await suite.browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const { page, requests } = await open(context, [site, host]);
      await page.goto(host);
      await expect.poll(() => requests.some((r) => r === `${site}/api/strike`)).toBe(true);
      await page.waitForLoadState("networkidle");
      expect(await banner(page).count()).toBe(0);
      expect(await overlay(page).count()).toBe(0);
    } finally {
      await context.close();
    }
  }, 60_000);
});
