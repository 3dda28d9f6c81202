/**
 * A Declaration page with the fediverse in it, in headless Chromium: a
 * fediverse signer (avatar through our proxy), responses (one behind a
 * content warning), the follow/sign form with its error and its redirect to
 * the visitor's server, and the owner's Hide button.  Screenshots at 390 px
 * and 1280 px, light and dark: test-results/fediverse-*.png.
 */
import { join } from "node:path";
import { Hono } from "hono";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { createAccount, hashPassword } from "../../src/db/accounts.ts";
import { addDeclaration } from "../helpers/app.ts";
import { haveChromium, RESULTS, useBrowser, watchPage } from "../helpers/browser.ts";
import { boost, fediverseSignature, follower, remoteActor, response } from "../helpers/fediverse-rows.ts";
import { addSignature } from "../helpers/forms.ts";
import { startServer } from "../helpers/server.ts";

describe.skipIf(!haveChromium)("the fediverse on a Declaration page", () => {
  const suite = useBrowser();

  /** A remote server with a WebFinger that offers a Like intent, and an avatar (drawn by the browser). */
  async function remoteServer(avatar: Buffer) {
    const app = new Hono();
    let origin = "";
    app.get("/avatar.png", (c) => c.body(new Uint8Array(avatar), 200, { "Content-Type": "image/png" }));
    app.get("/.well-known/webfinger", (c) =>
      c.body(
        JSON.stringify({
          subject: c.req.query("resource"),
          links: [{ rel: "https://w3id.org/fep/3b86/Like", template: `${origin}/like?object={object}` }],
        }),
        200,
        { "Content-Type": "application/jrd+json" },
      ),
    );
    const server = await startServer(app);
    origin = server.url;
    suite.later(server.close);
    return server.url;
  }

  async function drawAvatar(page: Page): Promise<Buffer> {
    await page.setViewportSize({ width: 96, height: 96 });
    await page.setContent(
      '<body style="margin:0"><div style="width:96px;height:96px;background:linear-gradient(135deg,#e0a826,#b3261e);display:grid;place-items:center;font:700 48px sans-serif;color:#fff">A</div></body>',
    );
    return page.screenshot({ clip: { x: 0, y: 0, width: 96, height: 96 } });
  }

  async function shots(page: Page, name: string) {
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
      await page.screenshot({ path: join(RESULTS, `fediverse-${name}-${width}.png`), fullPage: true });
    }
  }

  it("shows signers, responses and the follow/sign form, and sends a signer to their server", async () => {
    const scratch = await suite.browser.newPage();
    const remote = await remoteServer(await drawAvatar(scratch));
    await scratch.close();

    const t = await suite.site({ env: { FEDERATION_ALLOW_PRIVATE_ADDRESS: "true" } });
    const d = addDeclaration(t.db, {
      body: "## Our demands\n\nWe declare that social media should serve the people who use it.\n\n- Open protocols\n- No tracking\n",
    });
    await t.publisher.runOnce();
    const ada = remoteActor(t.db, "ada", {
      host: "social.example",
      name: "Ada Lovelace",
      iconUrl: `${remote}/avatar.png`,
    });
    const grace = remoteActor(t.db, "grace_hopper_with_a_rather_long_username", {
      host: "a-very-long-server-name.example",
      name: "Grace",
      iconUrl: null,
    });
    addSignature(t.db, d, { name: "Browser Signer", place: "Berlin" });
    fediverseSignature(t.db, d, ada);
    fediverseSignature(t.db, d, grace);
    follower(t.db, d, ada);
    boost(t.db, d, grace);
    response(
      t.db,
      d,
      ada,
      '<p>Signed, and shared with my followers. <a href="https://social.example/tags/SocialMediaStrike">#SocialMediaStrike</a></p>',
    );
    response(
      t.db,
      d,
      grace,
      "<p>A longer answer that was posted behind a content warning, so it stays folded until opened.</p>",
      {
        summary: "Thoughts on point 2",
      },
    );
    const owner = createAccount(t.db, {
      username: "owner",
      passwordHash: await hashPassword("correct horse battery"),
      role: "author",
    });
    if (owner.kind !== "created") throw new Error(owner.kind);
    t.db.$client.prepare("UPDATE declarations SET owner_id = (SELECT id FROM accounts WHERE username = 'owner')").run();

    const context = await suite.browser.newContext({ viewport: { width: 390, height: 844 } });
    try {
      const page = await context.newPage();
      const watch = await watchPage(context, page, t.origin);
      await page.goto(`${t.origin}/d/test-declaration`);
      expect(await page.locator("#fediverse-heading").textContent()).toBe("Follow and sign from the fediverse");
      expect(await page.locator(".fedi-counts").textContent()).toBe("1 follower1 boost");
      const signer = page.locator(".signatures .fedi-signer").first();
      expect(await signer.textContent()).toContain(
        "@grace_hopper_with_a_rather_long_username@a-very-long-server-name.example",
      );
      const avatars = page.locator("img.avatar");
      expect(await avatars.count()).toBeGreaterThanOrEqual(4);
      // Every avatar loads (the proxied one and the default ones), all from our origin.  They load lazily.
      for (let i = 0; i < (await avatars.count()); i++) await avatars.nth(i).scrollIntoViewIfNeeded();
      await page.waitForFunction(() =>
        [...document.querySelectorAll<HTMLImageElement>("img.avatar")].every((i) => i.complete && i.naturalWidth > 0),
      );
      expect(await page.locator(".content-warning summary").textContent()).toBe("Thoughts on point 2");
      await page.locator(".content-warning summary").click();
      await shots(page, "declaration");
      await page.emulateMedia({ colorScheme: "dark" });
      await shots(page, "declaration-dark");
      await page.emulateMedia({ colorScheme: "light" });

      // A handle without a server: the form comes back naming the field.
      await page.setViewportSize({ width: 390, height: 844 });
      await page.locator("#interact-account").fill("ada");
      await page.getByRole("button", { name: "Sign from your server" }).click();
      await page.waitForURL(`${t.origin}/d/test-declaration/interact`);
      expect(await page.locator("#account-error").textContent()).toContain("has no server");
      expect(await page.locator("#interact-account").inputValue()).toBe("ada");
      await shots(page, "interact-error");

      // A profile URL: we look it up and send the browser to the Like intent on that server.
      await page.locator("#interact-account").fill(`${remote}/users/ada`);
      const leaving = page.waitForRequest((r) => r.url().startsWith(`${remote}/like?`));
      await page.getByRole("button", { name: "Sign from your server" }).click();
      const request = await leaving;
      const note = t.db.$client.prepare("SELECT uuid FROM fed_posts WHERE key = 'announcement'").get() as {
        uuid: string;
      };
      expect(request.url()).toBe(`${remote}/like?object=${encodeURIComponent(`${t.origin}/ap/notes/${note.uuid}`)}`);

      expect(await watch.cspViolations()).toEqual([]);
      expect(watch.pageErrors).toEqual([]);
      // The 400 of the form that came back with its error is expected; the leaving request is aborted by the watcher.
      expect(watch.consoleMessages.filter((m) => !m.includes(remote) && !m.includes("status of 400"))).toEqual([]);
      expect(watch.foreign.every((url) => url.startsWith(`${remote}/like?`))).toBe(true);

      // The owner sees Hide buttons.
      await page.goto(`${t.origin}/login?next=${encodeURIComponent("/d/test-declaration")}`);
      await page.locator("#login-username").fill("owner");
      await page.locator("#login-password").fill("correct horse battery");
      await page.getByRole("button", { name: "Log in" }).click();
      await page.waitForURL(`${t.origin}/d/test-declaration`);
      await page.locator(".response").first().getByRole("button", { name: /^Hide/ }).click();
      await page.waitForURL(/\/d\/test-declaration#response-\d+$/);
      expect(await page.locator(".hidden-response .hidden-note").count()).toBe(1);
      await shots(page, "owner");
    } finally {
      await context.close();
    }
  }, 90_000);
});
