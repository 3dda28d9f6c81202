/**
 * Languages in headless Chromium: the footer's switcher remembers a choice
 * (German stays German from page to page), and Arabic pages — an error page,
 * the translations of a Declaration, the translation form with its errors —
 * are laid out right to left without spilling sideways at 390 px or 1280 px.
 * Screenshots: test-results/languages-*.png.
 */
import { join } from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { createAccount, findAccountByUsername, hashPassword } from "../../src/db/accounts.ts";
import { getDeclarationBySlug } from "../../src/db/declarations.ts";
import { createTranslation } from "../../src/db/translations.ts";
import { addDeclaration } from "../helpers/app.ts";
import { haveChromium, RESULTS, useBrowser, watchPage } from "../helpers/browser.ts";

/** How far the page is wider than the window (0: nothing spills sideways). */
function overflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

describe.skipIf(!haveChromium)("languages in the browser", () => {
  const suite = useBrowser();

  it("the switcher's choice holds across pages, without JavaScript", async () => {
    const t = await suite.site();
    addDeclaration(t.db);
    const context = await suite.browser.newContext({ javaScriptEnabled: false, locale: "en-US" });
    try {
      const page = await context.newPage();
      const watch = await watchPage(context, page, t.origin);
      await page.goto(`${t.origin}/d/test-declaration/translations`);
      expect(await page.getAttribute("html", "lang")).toBe("en");
      await page.getByRole("link", { name: "Deutsch" }).click();
      await page.waitForURL(`${t.origin}/d/test-declaration/translations`);
      expect(await page.getAttribute("html", "lang")).toBe("de");
      await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe(
        "Übersetzungen von „Test Declaration“",
      );
      await page.goto(`${t.origin}/no-such-page`);
      await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Nicht gefunden");
      const cookies = await context.cookies();
      expect(cookies.map((c) => [c.name, c.value, c.sameSite])).toEqual([["lang", "de", "Lax"]]);
      expect(watch.foreign).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("lays Arabic pages out right to left at a phone's width and a desktop's", async () => {
    const t = await suite.site();
    addDeclaration(t.db);
    createAccount(t.db, { username: "ada", passwordHash: await hashPassword("correct horse battery"), role: "author" });
    const original = getDeclarationBySlug(t.db, "test-declaration")!;
    await t.batcher.run(() =>
      createTranslation(t.db, {
        original,
        originalRevision: 1,
        language: "ar",
        slug: "test-declaration-ar",
        title: "إعلان للاختبار",
        summary: "",
        body: "## أولًا\n\nنعلن أن الاختبارات جيدة.\n",
        ownerId: findAccountByUsername(t.db, "ada")!.id,
        status: "published",
      }),
    );
    const context = await suite.browser.newContext({ locale: "ar" });
    try {
      const page = await context.newPage();
      const watch = await watchPage(context, page, t.origin);
      await page.goto(`${t.origin}/login?next=${encodeURIComponent("/d/test-declaration/translations/new")}`);
      await page.locator("#login-username").fill("ada");
      await page.locator("#login-password").fill("correct horse battery");
      await page.getByRole("button", { name: "Log in" }).click();
      await page.waitForURL(`${t.origin}/d/test-declaration/translations/new`);
      for (const width of [390, 1280]) {
        await page.setViewportSize({ width, height: 900 });
        for (const [name, path] of [
          ["error", "/no-such-page"],
          ["translations", "/d/test-declaration/translations"],
          ["translation", "/d/test-declaration-ar"],
        ] as const) {
          await page.goto(`${t.origin}${path}`);
          // The translation's page is still English around its text; the text itself reads right to left.
          if (name === "translation") expect(await page.getAttribute("article.declaration", "dir")).toBe("rtl");
          else expect(await page.getAttribute("html", "dir"), name).toBe("rtl");
          expect(await overflow(page), `${name} at ${width}`).toBeLessThanOrEqual(0);
          await page.screenshot({ path: join(RESULTS, `languages-${name}-ar-${width}.png`), fullPage: true });
        }
        // The form refuses an unknown language, in Arabic, keeping the text.
        await page.goto(`${t.origin}/d/test-declaration/translations/new`);
        await page.locator("#translation-language").fill("klingon");
        await page.locator("#translation-title").fill("عنوان");
        await page.locator("button[value=publish]").click();
        await expect(page.locator(".form-errors").textContent()).resolves.toContain("اللغة: أدخل رمز لغة");
        expect(await page.locator("#translation-title").inputValue()).toBe("عنوان");
        expect(await page.getAttribute("html", "dir")).toBe("rtl");
        expect(await overflow(page), `form at ${width}`).toBeLessThanOrEqual(0);
        await page.screenshot({ path: join(RESULTS, `languages-form-ar-${width}.png`), fullPage: true });
      }
      expect(watch.foreign).toEqual([]);
      expect(watch.pageErrors).toEqual([]);
      expect(await watch.cspViolations()).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
