/**
 * The strike bot in headless Chromium, the whole journey: log in, connect a
 * Mastodon account (the browser goes to the Mastodon-API server on loopback,
 * which approves and sends it back), specify the plan in the striker's own
 * time zone, see a field error with the input kept, preview every post, save,
 * and see the posts scheduled on the server.  Screenshots at 390 and 1280 px
 * in test-results/.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runBotPass } from "../../src/bot/scheduler.ts";
import { createAccount, hashPassword } from "../../src/db/accounts.ts";
import { insertMedia } from "../../src/db/media.ts";
import { processImage } from "../../src/images.ts";
import { poster } from "../fixtures/images/index.ts";
import { addDeclaration } from "../helpers/app.ts";
import { haveChromium, RESULTS, useBrowser, watchPage } from "../helpers/browser.ts";
import { startMastodonApi } from "../helpers/mastodon-api.ts";

describe.skipIf(!haveChromium)("the strike bot in a browser", () => {
  const suite = useBrowser();

  for (const [width, height, zone] of [
    [390, 844, "Europe/Berlin"],
    [1280, 900, "America/New_York"],
  ] as const) {
    it(`connects, specifies, previews and saves a plan (${width} px, ${zone})`, async () => {
      const t = await suite.site({
        env: { BOT_TOKEN_KEY: randomBytes(32).toString("hex"), FEDERATION_ALLOW_PRIVATE_ADDRESS: "true" },
      });
      addDeclaration(t.db, { slug: "digital-independence", title: "Declaration of Digital Independence" });
      const outcome = createAccount(t.db, {
        username: "ada",
        passwordHash: await hashPassword("correct horse battery"),
        role: "author",
      });
      expect(outcome.kind).toBe("created");
      const image = await processImage(await poster("JULY 4–5", "#b3261e"));
      if (!image.ok) throw new Error(image.rejection.message);
      insertMedia(t.db, {
        ...image.image,
        alt: "Red poster: July 4–5, #SocialMediaStrike.",
        title: "The dates",
        gallery: true,
        createdBy: null,
        created: new Date(),
      });
      const mastodon = await startMastodonApi({ account: { username: "ada", display_name: "Ada Striker" } });
      suite.later(() => mastodon.close());

      const context = await suite.browser.newContext({ viewport: { width, height }, timezoneId: zone });
      try {
        const page = await context.newPage();
        // The plan with a mistake is answered 400 on purpose.
        const expected400 = (text: string, url: string) => text.includes("status of 400") && url.endsWith("/plan");
        const watch = await watchPage(context, page, t.origin, expected400, [mastodon.url]);
        await page.goto(`${t.origin}/bot`);
        expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Strike bot");
        await page.locator("main").getByRole("link", { name: "Log in", exact: true }).click();
        await page.locator("#login-username").fill("ada");
        await page.locator("#login-password").fill("correct horse battery");
        await page.getByRole("button", { name: "Log in" }).click();
        await page.waitForURL(`${t.origin}/bot`);
        await page.screenshot({ path: join(RESULTS, `bot-home-${width}.png`), fullPage: true });

        // Connect: off to the server's authorization page and back.
        await page.locator("#bot-server").fill(mastodon.url);
        await page.getByRole("button", { name: "Connect" }).click();
        await page.waitForURL(/\/bot\/\d+\?done=connected$/);
        expect(watch.requests.some((u) => u.startsWith(`${mastodon.url}/oauth/authorize?`))).toBe(true);
        expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe(`Ada Striker @ada@${mastodon.host}`);
        expect(await page.getByRole("status").textContent()).toContain("Your account is connected");

        // Specify: the striker's own zone, every 3 hours, an edited notice with a mistake first.
        await page.getByRole("button", { name: "Use it" }).click();
        expect(await page.locator("#bot-timeZone").inputValue()).toBe(zone);
        await page.locator("#bot-cadence").selectOption("3");
        await page.locator("#bot-template-1").fill("I am on strike today {oops} {declaration_url}");
        await page.getByLabel("Followers only").check();
        await page.locator("#bot-spoilerText").fill("Social Media Strike");
        await page.getByLabel("The dates").check();
        await page.getByRole("button", { name: "Preview every post" }).click();
        const alert = page.getByRole("alert");
        await expect.poll(() => alert.textContent()).toContain("There is no placeholder {oops}");
        expect(await page.locator("#bot-template-1").inputValue()).toBe(
          "I am on strike today {oops} {declaration_url}",
        );
        expect(await page.locator("#bot-timeZone").inputValue()).toBe(zone);
        expect(await page.locator("#bot-cadence").inputValue()).toBe("3");
        await page.locator(".bot-plan").screenshot({ path: join(RESULTS, `bot-plan-error-${width}.png`) });

        // Preview: two days, every 3 hours from local midnight.
        await page.locator("#bot-template-1").fill("I am on strike today: {hours_left} hours to go. {declaration_url}");
        await page.getByRole("button", { name: "Preview every post" }).click();
        await expect.poll(() => page.locator("#bot-preview-title").textContent()).toBe("Preview: 16 posts");
        const times = await page.locator(".bot-preview .bot-post-time time").allTextContents();
        expect(times).toHaveLength(16);
        expect(times[0]).toMatch(/^Sun, Jul 4, 00:0\d$/);
        expect(times[1]).toMatch(/^Sun, Jul 4, 03:0\d$/);
        const first = await page.locator(".bot-preview .bot-post-text").first().textContent();
        expect(first).toBe(
          `I am on strike today: 48 hours to go. ${t.origin}/d/digital-independence #SocialMediaStrike`,
        );
        expect(await page.locator(".bot-preview .hint").textContent()).toContain(
          `Followers only; behind the content warning “Social Media Strike”; with the image below`,
        );
        // Left empty, the image's description is the gallery's.
        expect(await page.locator(".bot-preview-image").getAttribute("alt")).toBe(
          "Red poster: July 4–5, #SocialMediaStrike.",
        );
        expect(
          await page
            .locator(".bot-preview-image")
            .evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0),
        ).toBe(true);
        await page.screenshot({ path: join(RESULTS, `bot-preview-${width}.png`), fullPage: true });

        // Save: the server holds the posts scheduled.
        await page.getByRole("button", { name: "Save and start the bot" }).click();
        await page.waitForURL(/\/bot\/\d+\?done=saved$/);
        await runBotPass(t.bot!.context);
        expect(mastodon.scheduled).toHaveLength(16);
        expect(
          mastodon.scheduled.every(
            (s) => s.params.visibility === "private" && s.params.spoiler_text === "Social Media Strike",
          ),
        ).toBe(true);
        // Each scheduled post carries its own upload of the image, with the description.
        expect(mastodon.scheduled.every((s) => s.media_ids.length === 1)).toBe(true);
        expect(
          mastodon.media.filter((m) => m.description === "Red poster: July 4–5, #SocialMediaStrike."),
        ).toHaveLength(16);
        await page.reload();
        expect(await page.locator(".bot-post-states .bot-state-scheduled").count()).toBe(16);
        expect(await page.getByRole("region", { name: `What ${mastodon.host} supports` }).textContent()).toContain(
          "Scheduled posts: yes.",
        );
        await page.screenshot({ path: join(RESULTS, `bot-saved-${width}.png`), fullPage: true });

        expect(watch.pageErrors).toEqual([]);
        expect(watch.consoleMessages).toEqual([]);
        expect(watch.foreign).toEqual([]);
        expect(await watch.cspViolations()).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }
});
