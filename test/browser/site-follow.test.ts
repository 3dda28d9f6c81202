/**
 * The site account's follow block in headless Chromium: on the home page the
 * handle is copied with one click, and the follow form (a GET, without
 * JavaScript) comes back with the field named when the account is not one.
 * Screenshot: test-results/site-follow-390.png.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { haveChromium, RESULTS, useBrowser, watchPage } from "../helpers/browser.ts";

describe.skipIf(!haveChromium)("following the site in a browser", () => {
  const suite = useBrowser();

  it("copies the handle, and the form names the field it refuses", async () => {
    const t = await suite.site({ instanceName: "Digital Independence" });
    const context = await suite.browser.newContext({ viewport: { width: 390, height: 844 } });
    try {
      await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: t.origin });
      const page = await context.newPage();
      const watch = await watchPage(context, page, t.origin);
      await page.goto(`${t.origin}/`);
      const block = page.locator("#follow-site");
      await block.scrollIntoViewIfNeeded();
      const handle = `@digital-independence@${new URL(t.origin).host}`;
      expect(await block.getByLabel("The site’s handle").inputValue()).toBe(handle);
      await block.getByRole("button", { name: "Copy the handle" }).click();
      await expect.poll(() => block.getByRole("status").textContent()).toBe("Handle copied.");
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(handle);
      await block.screenshot({ path: join(RESULTS, "site-follow-390.png") });

      await block.getByLabel("Your fediverse account").fill("not an account");
      await block.getByRole("button", { name: "Follow from your server" }).click();
      await page.waitForURL(/\/follow\?account=/);
      const field = page.getByLabel("Your fediverse account");
      expect(await field.inputValue()).toBe("not an account");
      expect(await field.getAttribute("aria-invalid")).toBe("true");
      expect(watch.foreign).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
