/**
 * The strike bot without an account here, in headless Chromium: a visitor
 * signs in with their Mastodon-API account (off to the server on loopback and
 * back), comes back in a new tab, and signs out; and /bot on a site without
 * the bot, as a visitor and as the site's owner.  Screenshots at 390 and
 * 1280 px in test-results/.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createAccount, hashPassword } from "../../src/db/accounts.ts";
import { addDeclaration } from "../helpers/app.ts";
import { haveChromium, RESULTS, useBrowser, watchPage } from "../helpers/browser.ts";
import { startMastodonApi } from "../helpers/mastodon-api.ts";

describe.skipIf(!haveChromium)("signing in to the strike bot in a browser", () => {
  const suite = useBrowser();

  for (const [width, height] of [
    [390, 844],
    [1280, 900],
  ] as const) {
    it(`signs in with a fediverse account, comes back, and signs out (${width} px)`, async () => {
      const t = await suite.site({
        env: { BOT_TOKEN_KEY: randomBytes(32).toString("hex"), FEDERATION_ALLOW_PRIVATE_ADDRESS: "true" },
      });
      addDeclaration(t.db, { slug: "digital-independence", title: "Declaration of Digital Independence" });
      const mastodon = await startMastodonApi({ account: { username: "ada", display_name: "Ada Striker" } });
      suite.later(() => mastodon.close());
      const context = await suite.browser.newContext({ viewport: { width, height } });
      try {
        const page = await context.newPage();
        // The address with a mistake is answered 422 on purpose.
        const expected422 = (text: string, url: string) =>
          text.includes("status of 422") && url.endsWith("/bot/connect");
        const watch = await watchPage(context, page, t.origin, expected422, [mastodon.url]);
        await page.goto(`${t.origin}/bot`);
        expect(await page.getByRole("heading", { level: 2, name: "Sign in with your fediverse account" }).count()).toBe(
          1,
        );
        await page.screenshot({ path: join(RESULTS, `bot-signed-out-${width}.png`), fullPage: true });

        // A mistake first: named, the input kept, focus can reach it.
        await page.locator("#bot-server").fill("not a server");
        await page.getByRole("button", { name: "Sign in" }).click();
        await expect.poll(() => page.getByRole("alert").textContent()).toContain("not a server address");
        expect(await page.locator("#bot-server").inputValue()).toBe("not a server");

        await page.locator("#bot-server").fill(mastodon.url);
        await page.getByRole("button", { name: "Sign in" }).click();
        await page.waitForURL(/\/bot\/\d+\?done=signed-in$/);
        expect(watch.requests.some((u) => u.startsWith(`${mastodon.url}/oauth/authorize?`))).toBe(true);
        expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe(`Ada Striker @ada@${mastodon.host}`);
        expect(await page.getByRole("status").textContent()).toContain("signed in with your fediverse account");
        const botPath = new URL(page.url()).pathname;
        await page.screenshot({ path: join(RESULTS, `bot-identity-plan-${width}.png`), fullPage: true });

        // Later, in a new tab: still signed in.
        const later = await context.newPage();
        await later.goto(`${t.origin}/bot`);
        expect(await later.locator(".bot-identity").textContent()).toContain(`Signed in as @ada@${mastodon.host}`);
        await later.screenshot({ path: join(RESULTS, `bot-signed-in-${width}.png`), fullPage: true });
        await later.locator(".bot-connections a").first().click();
        await later.waitForURL(`${t.origin}${botPath}`);

        await later.goto(`${t.origin}/bot`);
        await later.getByRole("button", { name: "Sign out" }).click();
        await later.waitForURL(`${t.origin}/bot?done=signed-out`);
        expect(await later.getByRole("status").textContent()).toContain("You are signed out");
        await later.goto(`${t.origin}${botPath}`);
        expect(new URL(later.url()).pathname).toBe("/bot");

        expect(watch.pageErrors).toEqual([]);
        expect(watch.consoleMessages).toEqual([]);
        expect(watch.foreign).toEqual([]);
        expect(await watch.cspViolations()).toEqual([]);
      } finally {
        await context.close();
      }
    });

    it(`says plainly that the bot is not available, with the setup only for the owner (${width} px)`, async () => {
      const t = await suite.site();
      createAccount(t.db, {
        username: "owner",
        passwordHash: await hashPassword("correct horse battery"),
        role: "admin",
      });
      const context = await suite.browser.newContext({ viewport: { width, height } });
      try {
        const page = await context.newPage();
        const notAvailable = (text: string) => text.includes("status of 503");
        const watch = await watchPage(context, page, t.origin, notAvailable);
        await page.goto(`${t.origin}/bot`);
        const visitor = await page.locator("main").textContent();
        expect(visitor).toContain("The strike bot is not available on this site");
        expect(visitor).not.toContain("BOT_TOKEN_KEY");
        await page.screenshot({ path: join(RESULTS, `bot-unavailable-visitor-${width}.png`), fullPage: true });

        await page.goto(`${t.origin}/login?next=/bot`);
        await page.locator("#login-username").fill("owner");
        await page.locator("#login-password").fill("correct horse battery");
        await page.getByRole("button", { name: "Log in" }).click();
        await page.waitForURL(`${t.origin}/bot`);
        const owner = await page.locator("main").textContent();
        expect(owner).toContain("BOT_TOKEN_KEY");
        expect(owner).toContain("openssl rand -hex 32");
        await page.screenshot({ path: join(RESULTS, `bot-unavailable-owner-${width}.png`), fullPage: true });
        expect(watch.pageErrors).toEqual([]);
        expect(watch.foreign).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }
});
