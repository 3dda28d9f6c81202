/**
 * The strike page in headless Chromium: the countdown ticks, the visitor's own
 * time is shown, a pledge goes through the real form, and the FAQ and
 * resources pages render.  Screenshots at 390 and 1280 px: test-results/.
 */
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { createAccount, createSession, findAccountByUsername } from "../../src/db/accounts.ts";
import { fedPosts } from "../../src/db/schema.ts";
import { writeStrikeSettingsValue } from "../../src/db/strike.ts";
import { importShippedPages } from "../../src/setup.ts";
import { addDeclaration } from "../helpers/app.ts";
import { haveChromium, RESULTS, useBrowser, watchPage } from "../helpers/browser.ts";

describe.skipIf(!haveChromium)("the strike page in a browser", () => {
  const suite = useBrowser();

  async function site() {
    const t = await suite.site();
    const declaration = addDeclaration(t.db, {
      slug: "digital-independence",
      title: "Declaration of Digital Independence",
    });
    importShippedPages(t.db, { pagesDir: resolve(import.meta.dirname, "..", "..", "pages") });
    return { ...t, declarationId: declaration.id };
  }

  it("ticks the countdown, shows the visitor's time, and takes a pledge", async () => {
    const t = await site();
    const context = await suite.browser.newContext({
      viewport: { width: 390, height: 844 },
      timezoneId: "America/New_York",
    });
    try {
      const page = await context.newPage();
      const watch = await watchPage(context, page, t.origin);
      await page.goto(`${t.origin}/strike`);
      const countdown = page.locator("[data-countdown]");
      const first = await countdown.textContent();
      expect(first).toMatch(/^Starts in \d+ days?, .*seconds?$/);
      await expect.poll(() => countdown.textContent(), { timeout: 5000 }).not.toBe(first);
      const local = page.locator("[data-local-window]");
      await expect.poll(() => local.isVisible()).toBe(true);
      // The strike's UTC midnights, in New York summer time.
      expect(await local.textContent()).toMatch(
        /^In your time \(America\/New York\): from \w+, July 3 at 20:00 to \w+, July 5 at 20:00\.$/,
      );
      await page.screenshot({ path: join(RESULTS, "strike-390.png"), fullPage: true });

      await page.getByLabel("Both days").check();
      await page.locator("#pledge-name").fill("Ada Lovelace");
      await page.getByRole("button", { name: "Pledge to strike" }).click();
      await page.waitForURL(/\/strike\?pledged=1#pledge$/);
      await expect
        .poll(() => page.locator(".pledge-section [role=status]").textContent())
        .toContain("your pledge is counted");
      expect(await page.locator(".pledge-section .big-count").textContent()).toContain("1 person has pledged");
      expect(await page.locator(".public-pledges").textContent()).toContain("Ada Lovelace");
      await page.screenshot({ path: join(RESULTS, "strike-pledged-390.png"), fullPage: true });

      expect(watch.pageErrors).toEqual([]);
      expect(watch.consoleMessages).toEqual([]);
      expect(watch.foreign).toEqual([]);
      expect(await watch.cspViolations()).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("shows a field error for a pledge without a day, keeping the name", async () => {
    const t = await site();
    const context = await suite.browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      await page.goto(`${t.origin}/strike`);
      await page.screenshot({ path: join(RESULTS, "strike-1280.png"), fullPage: true });
      await page.locator("#pledge-name").fill("Grace Hopper");
      await page.getByRole("button", { name: "Pledge to strike" }).click();
      await expect
        .poll(() => page.getByRole("alert").textContent())
        .toContain("Please choose at least one strike day.");
      expect(await page.locator("#pledge-name").inputValue()).toBe("Grace Hopper");
      await page.locator(".pledge-form").screenshot({ path: join(RESULTS, "strike-pledge-error-1280.png") });
    } finally {
      await context.close();
    }
  });

  it("during the strike: counts down to the end (dark mode)", async () => {
    const t = await site();
    const today = new Date().toISOString().slice(0, 10);
    writeStrikeSettingsValue(t.db, { days: [today], timeZone: "UTC" });
    for (const hour of [0, 1]) {
      const published = new Date(`${today}T0${hour}:00:00Z`);
      t.db
        .insert(fedPosts)
        .values({
          uuid: randomUUID(),
          declarationId: t.declarationId,
          kind: "notice",
          key: `notice:${published.toISOString()}`,
          revision: 1,
          slot: published,
          published,
          content: `Today I am on strike from big social media (notice ${hour}). Sign with me: ${t.origin}/d/digital-independence #SocialMediaStrike`,
        })
        .run();
    }
    const context = await suite.browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: "dark" });
    try {
      const page = await context.newPage();
      await page.goto(`${t.origin}/strike`);
      await expect.poll(() => page.locator("[data-countdown]").textContent()).toMatch(/^On now: ends in /);
      expect(await page.locator(".strike-notices li").count()).toBe(2);
      expect(await page.locator(".strike-notices li").first().textContent()).toContain("(notice 1)");
      await page.screenshot({ path: join(RESULTS, "strike-during-dark-390.png"), fullPage: true });
    } finally {
      await context.close();
    }
  });

  it("works without JavaScript: the server's countdown stays", async () => {
    const t = await site();
    const context = await suite.browser.newContext({ viewport: { width: 390, height: 844 }, javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      await page.goto(`${t.origin}/strike`);
      expect(await page.locator("[data-countdown]").textContent()).toMatch(/^Starts in \d+ days?(, \d+ hours?)?$/);
      expect(await page.locator("[data-local-window]").isVisible()).toBe(false);
    } finally {
      await context.close();
    }
  });

  it("renders the FAQ and resources pages", async () => {
    const t = await site();
    for (const width of [390, 1280]) {
      const context = await suite.browser.newContext({ viewport: { width, height: 900 } });
      try {
        const page = await context.newPage();
        for (const slug of ["faq", "resources"]) {
          await page.goto(`${t.origin}/${slug}`);
          expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe(
            slug === "faq" ? "Questions and answers" : "Resources",
          );
          await page.screenshot({ path: join(RESULTS, `${slug}-${width}.png`), fullPage: true });
        }
      } finally {
        await context.close();
      }
    }
  });

  it("lets the site owner edit the FAQ with a preview", async () => {
    const t = await site();
    createAccount(t.db, { username: "owner", passwordHash: "unused", role: "admin" });
    const { token } = createSession(t.db, findAccountByUsername(t.db, "owner")!.id);
    for (const width of [390, 1280]) {
      const context = await suite.browser.newContext({ viewport: { width, height: 900 } });
      try {
        await context.addCookies([{ name: "session", value: token, url: t.origin }]);
        const page = await context.newPage();
        const watch = await watchPage(context, page, t.origin);
        await page.goto(`${t.origin}/admin/pages/faq`);
        await page.locator("#page-title").fill("Questions and answers about the strike");
        await page.getByRole("button", { name: "Preview" }).click();
        await expect
          .poll(() => page.locator(".editor-preview h1").textContent())
          .toBe("Questions and answers about the strike");
        await page.screenshot({ path: join(RESULTS, `page-editor-preview-${width}.png`), fullPage: true });
        expect(watch.consoleMessages).toEqual([]);
        expect(await watch.cspViolations()).toEqual([]);
      } finally {
        await context.close();
      }
    }
  });
});
