/**
 * The pages around signing in Chromium at 390 and 1280 px: a failed submit
 * puts the focus on the error summary; the page after signing offers its next
 * steps and asks before withdrawing; /embed shows the site's own Declaration
 * and a long title does not push the Sign button out of the frame.
 * Screenshots: test-results/signed-*.png, embed-*.png.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { addDeclaration } from "../helpers/app.ts";
import { haveChromium, RESULTS, useBrowser, watchPage } from "../helpers/browser.ts";

const LONG_TITLE =
  "A Declaration of Digital Independence for Everyone Who Posts, Reads and Shares on the Open Web, Now and Later";

describe.skipIf(!haveChromium)("the pages around signing", () => {
  const suite = useBrowser();

  for (const width of [390, 1280]) {
    it(`at ${width} px: error summary focused, next steps after signing, withdrawal confirmed`, async () => {
      const t = await suite.site({ env: { PROOF_OF_WORK: "off" } });
      addDeclaration(t.db, { title: LONG_TITLE });
      const context = await suite.browser.newContext({ viewport: { width, height: 900 } });
      try {
        const page = await context.newPage();
        const watch = await watchPage(context, page, t.origin);
        await page.goto(`${t.origin}/d/test-declaration/sign`);
        await page.locator("#sign-place").fill("Kept");
        await page.getByRole("button", { name: "Sign this Declaration" }).click();
        await page.waitForLoadState();
        await expect.poll(() => page.evaluate(() => document.activeElement?.className)).toBe("form-errors");
        expect(await page.locator("#sign-place").inputValue()).toBe("Kept");

        await page.locator("#sign-name").fill("Ada Lovelace");
        await page.getByRole("button", { name: "Sign this Declaration" }).click();
        await page.waitForURL(/\/s\/[A-Za-z0-9_-]{43}\?signed=1$/);
        const privateUrl = page.url().replace("?signed=1", "");
        await expect.poll(() => page.locator("[data-copy-target]").isVisible()).toBe(true);
        expect(await page.locator("#share").isVisible()).toBe(true);
        expect(await page.getByRole("link", { name: /Add the strike .* to your calendar/ }).isVisible()).toBe(true);
        await page.screenshot({ path: join(RESULTS, `signed-page-${width}.png`), fullPage: true });

        await page.getByRole("link", { name: "Withdraw my signature…" }).click();
        await page.waitForURL(`${privateUrl}/withdraw`);
        await page.screenshot({ path: join(RESULTS, `signed-withdraw-confirm-${width}.png`) });
        await page.getByRole("link", { name: "No, keep my signature" }).click();
        await page.waitForURL(privateUrl);
        expect(t.db.$client.prepare("SELECT status FROM signatures").get()).toEqual({ status: "confirmed" });
        expect(await watch.cspViolations()).toEqual([]);
        expect(watch.pageErrors).toEqual([]);
      } finally {
        await context.close();
      }
    }, 60_000);

    it(`at ${width} px: /embed keeps a long title's Sign button inside the frame`, async () => {
      const t = await suite.site({ env: { PROOF_OF_WORK: "off" } });
      addDeclaration(t.db, { title: LONG_TITLE, sourceFile: "declarations/own.md" });
      const context = await suite.browser.newContext({ viewport: { width, height: 900 } });
      try {
        const page = await context.newPage();
        await page.goto(`${t.origin}/embed`);
        const frame = page.frameLocator('iframe[src="/embed/d/test-declaration"]');
        const sign = frame.locator(".embed-sign");
        await expect.poll(() => sign.isVisible()).toBe(true);
        const frameBox = (await page.locator('iframe[src="/embed/d/test-declaration"]').boundingBox())!;
        const signBox = (await sign.boundingBox())!;
        expect(signBox.y + signBox.height).toBeLessThanOrEqual(frameBox.y + frameBox.height);
        await page.locator('iframe[src="/embed/d/test-declaration"]').scrollIntoViewIfNeeded();
        await page.screenshot({ path: join(RESULTS, `embed-${width}.png`) });
      } finally {
        await context.close();
      }
    }, 60_000);
  }
});
