/**
 * The signer's whole journey in headless Chromium: read, sign through the
 * real form (with the real proof-of-work widget), see the count move and the
 * name listed, open the private page, withdraw, and find nothing of theirs
 * left.  A second run signs with JavaScript switched off and the proof of
 * work disabled, as a site owner may choose.  Screenshots: test-results/.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { addDeclaration } from "../helpers/app.ts";
import { haveChromium, RESULTS, useBrowser, watchPage } from "../helpers/browser.ts";

const SLUG = "test-declaration";

describe.skipIf(!haveChromium)("signing in a browser", () => {
  const suite = useBrowser();

  async function site(env: Record<string, string>) {
    const t = await suite.site({ env });
    addDeclaration(t.db);
    return t;
  }

  it("signs with the proof of work, shows the count and the name, and withdraws completely", async () => {
    const t = await site({ PROOF_OF_WORK: "on", PROOF_OF_WORK_DIFFICULTY: "20000" });
    const context = await suite.browser.newContext({ viewport: { width: 390, height: 844 } });
    try {
      const page = await context.newPage();
      const watch = await watchPage(context, page, t.origin);
      await page.goto(`${t.origin}/d/${SLUG}`);
      await expect.poll(() => page.locator(".big-count").textContent()).toContain("0 people have");

      await page.locator("#sign-name").fill("Ada Lovelace");
      await page.locator("#sign-place").fill("London");
      await page.locator("#sign-comment").fill("For the open web.");
      await page.getByLabel(/Show my name/).check();
      const verified = () =>
        page.evaluate(() =>
          (document.querySelector("altcha-widget") as unknown as { getState?: () => string } | null)?.getState?.(),
        );
      await expect.poll(verified, { timeout: 30_000 }).toBe("verified");
      expect(await watch.cspViolations()).toEqual([]);
      await page.screenshot({ path: join(RESULTS, "signing-form-390.png"), fullPage: true });

      await page.getByRole("button", { name: "Sign this Declaration" }).click();
      await page.waitForURL(/\/s\/[A-Za-z0-9_-]{43}\?signed=1$/);
      await expect.poll(() => page.locator(".success").first().textContent()).toContain("Thank you for signing");
      const privateUrl = page.url().replace("?signed=1", "");
      expect(await page.locator("dl.stored").textContent()).toContain("Ada Lovelace");
      await page.screenshot({ path: join(RESULTS, "signing-private-390.png"), fullPage: true });

      await page.goto(`${t.origin}/d/${SLUG}`);
      expect(await page.locator(".big-count").textContent()).toContain("1 person has");
      expect(await page.locator("ol.signatures").textContent()).toContain("Ada Lovelace");

      await page.goto(privateUrl);
      await page.getByRole("link", { name: "Withdraw my signature…" }).click();
      await page.waitForURL(`${privateUrl}/withdraw`);
      await page.getByRole("button", { name: "Yes, withdraw my signature" }).click();
      await page.waitForURL(privateUrl);
      await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Signature withdrawn");
      await page.screenshot({ path: join(RESULTS, "signing-withdrawn-390.png"), fullPage: true });

      await page.goto(`${t.origin}/d/${SLUG}`);
      expect(await page.locator(".big-count").textContent()).toContain("0 people have");
      expect(await page.content()).not.toContain("Ada Lovelace");
      const rows = t.db.$client.prepare("SELECT name, place, comment, website, email, status FROM signatures").all();
      expect(rows).toEqual([
        { name: null, place: null, comment: null, website: null, email: null, status: "withdrawn" },
      ]);

      expect(watch.pageErrors).toEqual([]);
      expect(watch.consoleMessages).toEqual([]);
      expect(watch.foreign).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);

  it("signs without JavaScript when the proof of work is off, and shows errors next to the fields", async () => {
    const t = await site({ PROOF_OF_WORK: "off" });
    const context = await suite.browser.newContext({
      viewport: { width: 1280, height: 900 },
      javaScriptEnabled: false,
    });
    try {
      const page = await context.newPage();
      const watch = await watchPage(context, page, t.origin);
      await page.goto(`${t.origin}/d/${SLUG}/sign`);
      await page.locator("#sign-website").fill("javascript:alert(1)");
      await page.locator("#sign-comment").fill("Kept after the error.");
      await page.getByRole("button", { name: "Sign this Declaration" }).click();
      await page.waitForLoadState();
      expect(await page.locator(".form-errors").textContent()).toContain("Please enter your name.");
      expect(await page.locator("#name-error").textContent()).toBe("Please enter your name.");
      expect(await page.locator("#sign-comment").inputValue()).toBe("Kept after the error.");
      await page.screenshot({ path: join(RESULTS, "signing-errors-1280.png"), fullPage: true });

      await page.locator("#sign-name").fill("Grace Hopper");
      await page.locator("#sign-website").fill("");
      await page.getByLabel(/Count me only/).check();
      await page.getByRole("button", { name: "Sign this Declaration" }).click();
      await page.waitForURL(/\/s\/[A-Za-z0-9_-]{43}\?signed=1$/);
      expect(await page.locator("dl.stored").textContent()).toContain("no, counted only");

      await page.goto(`${t.origin}/d/${SLUG}`);
      expect(await page.locator(".big-count").textContent()).toContain("1 person has");
      expect(await page.content()).not.toContain("Grace Hopper");
      expect(watch.foreign).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it("keeps the count current on an open page (progressive enhancement)", async () => {
    const t = await site({ PROOF_OF_WORK: "off" });
    const context = await suite.browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      const watch = await watchPage(context, page, t.origin);
      await page.goto(`${t.origin}/d/${SLUG}`);
      expect(await page.locator("[data-count-people]").textContent()).toBe("0 people have");
      const res = await fetch(`${t.origin}/api/declarations/${SLUG}/signatures`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "Someone Elsewhere", public: true }),
      });
      expect(res.status).toBe(201);
      // The script refreshes every 15 s and whenever the tab becomes visible again.
      await page.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
      await expect.poll(() => page.locator("[data-count-people]").textContent()).toBe("1 person has");
      expect(await page.locator("[data-count-signatures]").allTextContents()).toEqual(["1 signature", "1 signature"]);
      expect(await watch.cspViolations()).toEqual([]);
      expect(watch.consoleMessages).toEqual([]);
      expect(watch.foreign).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
