/**
 * An author's journey in headless Chromium: log in through the real form,
 * make a copy of a Declaration, edit it, preview (rendered text, word-level
 * diff, Proposed Changes with a note), publish, read the copy with its
 * provenance and notes, edit it again, and unpublish it.  Screenshots at
 * 390 px and 1280 px, light and dark: test-results/copy-*.png.
 */
import { join } from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { createAccount, hashPassword } from "../../src/db/accounts.ts";
import { addDeclaration } from "../helpers/app.ts";
import { haveChromium, RESULTS, useBrowser, watchPage } from "../helpers/browser.ts";

const SOURCE_BODY =
  "## First\n\nWe declare that tests are good and that every release deserves them.\n\n## Second\n\nEvery test deserves a name that says what it checks.\n";

describe.skipIf(!haveChromium)("copying in a browser", () => {
  const suite = useBrowser();

  /** A site whose ORIGIN is the address the browser uses (forms check Origin). */
  async function site() {
    const t = await suite.site();
    addDeclaration(t.db, { body: SOURCE_BODY });
    const outcome = createAccount(t.db, {
      username: "alice",
      passwordHash: await hashPassword("correct horse battery"),
      role: "author",
    });
    if (outcome.kind !== "created") throw new Error(outcome.kind);
    return t;
  }

  async function shots(page: Page, name: string) {
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
      await page.screenshot({ path: join(RESULTS, `copy-${name}-${width}.png`), fullPage: true });
    }
  }

  it("logs in, copies, previews the diff, notes a change, publishes, edits and unpublishes", async () => {
    const t = await site();
    const context = await suite.browser.newContext({ viewport: { width: 390, height: 844 } });
    try {
      const page = await context.newPage();
      const watch = await watchPage(context, page, t.origin);

      await page.goto(`${t.origin}/login?next=${encodeURIComponent("/d/test-declaration")}`);
      await page.locator("#login-username").fill("alice");
      await page.locator("#login-password").fill("correct horse battery");
      await page.getByRole("button", { name: "Log in" }).click();
      await page.waitForURL(`${t.origin}/d/test-declaration`);

      await page.getByRole("link", { name: "Make your own copy" }).click();
      await page.waitForURL(/\/d\/test-declaration\/copy\?v=1$/);
      expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Make your own copy");
      await page.locator("#editor-title").fill("Tests Are Great");
      await page.locator("#editor-slug").fill("tests-are-great");
      const body = await page.locator("#editor-body").inputValue();
      await page
        .locator("#editor-body")
        .fill(
          body.replace("tests are good", "tests are great").replace(/\n*$/, "\n\nA new paragraph about reviews.\n"),
        );
      await page.getByRole("button", { name: "Preview" }).click();
      await page.waitForLoadState();

      expect(await page.locator(".editor-preview .prose").textContent()).toContain("A new paragraph about reviews.");
      expect(await page.locator(".editor-diff ins.diff-ins").first().textContent()).toContain("great");
      expect(await page.locator(".editor-diff del.diff-del").first().textContent()).toContain("good");
      const changes = page.locator("ol.proposed-changes > li");
      expect(await changes.count()).toBe(2);
      await changes.first().locator("input").fill("Great is stronger than good.");
      expect(await watch.cspViolations()).toEqual([]);
      await shots(page, "preview");
      await page.emulateMedia({ colorScheme: "dark" });
      await shots(page, "preview-dark");
      await page.emulateMedia({ colorScheme: "light" });

      await page.getByRole("button", { name: "Publish your copy" }).click();
      await page.waitForURL(`${t.origin}/d/tests-are-great`);
      expect(await page.locator(".provenance").textContent()).toBe(
        "Copy of Test Declaration, version 1, by alice. Its text is not the original: it proposes changes, listed under “Proposed Changes”.",
      );
      const proposed = await page.locator(".proposed-changes-section").textContent();
      expect(proposed).toContain("Great is stronger than good.");
      expect(proposed).toContain("A new paragraph about reviews.");
      await shots(page, "published");

      await page.goto(`${t.origin}/d/tests-are-great/edit`);
      const edited = (await page.locator("#editor-body").inputValue()).replace(
        "deserves a name",
        "deserves a clear name",
      );
      await page.locator("#editor-body").fill(edited);
      await page.locator("#editor-changeSummary").fill("Clearer names.");
      await page.getByRole("button", { name: "Preview" }).click();
      await page.waitForLoadState();
      expect(await page.locator(".editor-diff ins.diff-ins").first().textContent()).toContain("clear");
      await shots(page, "edit");
      await page.getByRole("button", { name: "Save a new version" }).click();
      await page.waitForURL(`${t.origin}/d/tests-are-great`);
      expect(await page.locator(".meta").textContent()).toContain("Version 2");
      expect(await page.locator(".prose").first().textContent()).toContain("deserves a clear name");

      await page.goto(`${t.origin}/d/tests-are-great/edit`);
      expect(await page.locator("#unpublish-warning").textContent()).toContain("stops new signatures");
      await page.getByRole("button", { name: "Unpublish" }).click();
      await page.waitForURL(`${t.origin}/d/tests-are-great`);
      expect(await page.locator(".withdrawn-notice").textContent()).toMatch(
        /This Declaration was withdrawn by alice on /,
      );
      expect(await page.locator("#sign").count()).toBe(0);
      await shots(page, "withdrawn");
      await page.emulateMedia({ colorScheme: "dark" });
      await shots(page, "withdrawn-dark");

      await page.goto(`${t.origin}/`);
      expect(await page.content()).not.toContain("Tests Are Great");

      expect(watch.pageErrors).toEqual([]);
      expect(watch.consoleMessages).toEqual([]);
      expect(watch.foreign).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);

  it("saves a draft that only its author sees, then publishes it", async () => {
    const t = await site();
    const context = await suite.browser.newContext({ viewport: { width: 390, height: 844 } });
    try {
      const page = await context.newPage();
      await page.goto(`${t.origin}/login?next=${encodeURIComponent("/d/test-declaration/copy?v=1")}`);
      await page.locator("#login-username").fill("alice");
      await page.locator("#login-password").fill("correct horse battery");
      await page.getByRole("button", { name: "Log in" }).click();
      await page.waitForURL(/\/d\/test-declaration\/copy\?v=1$/);
      await page.locator("#editor-title").fill("My Draft");
      await page.locator("#editor-slug").fill("my-draft");
      // A published copy must change something in the text (a draft could stay identical).
      const text = await page.locator("#editor-body").inputValue();
      await page.locator("#editor-body").fill(`${text.trimEnd()}\n\nOur own addition.\n`);
      await page.getByRole("button", { name: "Save as draft" }).click();
      await page.waitForURL(`${t.origin}/d/my-draft`);
      expect(await page.locator(".draft-notice h2").textContent()).toBe("Draft — only you can see this");
      await shots(page, "draft");

      const stranger = await suite.browser.newContext();
      try {
        const res = await (await stranger.newPage()).goto(`${t.origin}/d/my-draft`);
        expect(res?.status()).toBe(404);
      } finally {
        await stranger.close();
      }

      await page.locator(".draft-notice").getByRole("button", { name: "Publish" }).click();
      await page.waitForURL(`${t.origin}/d/my-draft`);
      expect(await page.locator(".draft-notice").count()).toBe(0);
      expect(await page.locator("#sign").count()).toBe(1);
    } finally {
      await context.close();
    }
  }, 60_000);
});
