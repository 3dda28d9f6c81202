/**
 * Images in headless Chromium: the site owner uploads through /admin/media
 * (a refused SVG and a file over the limit come back with the text kept), and
 * a visitor uses the memes gallery (copy the description, download; without
 * JavaScript the description is plain text).  Screenshots at 390 px and
 * 1280 px, light and dark: test-results/media-*.png and memes-*.png.
 */
import { join } from "node:path";
import type { Page } from "playwright-core";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { createAccount, hashPassword } from "../../src/db/accounts.ts";
import { listMedia } from "../../src/db/media.ts";
import { MAX_UPLOAD_BYTES } from "../../src/images.ts";
import { jpegWithGps, poster, SVG_WITH_SCRIPT } from "../fixtures/images/index.ts";
import { haveChromium, RESULTS, useBrowser, watchPage } from "../helpers/browser.ts";

describe.skipIf(!haveChromium)("images and the memes gallery", () => {
  const suite = useBrowser();

  async function shots(page: Page, name: string) {
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
      await page.screenshot({ path: join(RESULTS, `${name}-${width}.png`), fullPage: true });
    }
  }

  async function allImagesLoaded(page: Page): Promise<boolean> {
    await page.waitForFunction(() => [...document.images].every((i) => i.complete));
    return page.evaluate(() => [...document.images].every((i) => i.naturalWidth > 0));
  }

  it("uploads images as the site owner, refusing an SVG and a file over 10 MB with the text kept", async () => {
    const t = await suite.site();
    createAccount(t.db, { username: "boss", passwordHash: await hashPassword("correct horse battery"), role: "admin" });
    const context = await suite.browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      const watch = await watchPage(context, page, t.origin);
      await page.goto(`${t.origin}/login?next=${encodeURIComponent("/admin/media")}`);
      await page.locator("#login-username").fill("boss");
      await page.locator("#login-password").fill("correct horse battery");
      await page.getByRole("button", { name: "Log in" }).click();
      await page.waitForURL(`${t.origin}/admin/media`);
      await shots(page, "media-admin-empty");

      // An SVG, even named .png, is refused; the description and title stay.
      await page.locator("#upload-alt").fill("A banner that says: on strike.");
      await page.locator("#upload-title").fill("Banner");
      await page
        .locator("#upload-file")
        .setInputFiles({ name: "banner.png", mimeType: "image/png", buffer: SVG_WITH_SCRIPT });
      await page.getByRole("button", { name: "Upload" }).click();
      await page.waitForLoadState();
      expect(await page.locator(".form-errors").textContent()).toContain(
        "SVG images are not accepted: they can contain scripts.",
      );
      expect(await page.locator("#upload-alt").inputValue()).toBe("A banner that says: on strike.");
      expect(await page.locator("#upload-title").inputValue()).toBe("Banner");
      expect(await page.locator("#upload-file-hint").textContent()).toContain("Please choose the file again");
      await shots(page, "media-admin-error");

      // Over 10 MB: the server stops reading, and the browser shows its answer.
      const huge = Buffer.alloc(MAX_UPLOAD_BYTES + 512 * 1024, 7);
      huge.set([0xff, 0xd8, 0xff]);
      await page.locator("#upload-file").setInputFiles({ name: "huge.jpg", mimeType: "image/jpeg", buffer: huge });
      await page.getByRole("button", { name: "Upload" }).click();
      await page.waitForLoadState();
      expect(await page.locator(".form-errors").textContent()).toContain("The file is larger than 10 MB.");
      expect(await page.locator("#upload-alt").inputValue()).toBe("A banner that says: on strike.");
      expect(listMedia(t.db)).toEqual([]);

      // Two good ones: a poster and a photo with GPS data (the stored copy has none).
      await page
        .locator("#upload-file")
        .setInputFiles({ name: "banner.png", mimeType: "image/png", buffer: await poster("ON STRIKE", "#1d4e89") });
      await page.getByRole("button", { name: "Upload" }).click();
      await page.waitForURL(/\/admin\/media\?done=uploaded&id=\d+#media-\d+$/);
      expect(await page.getByRole("status").first().textContent()).toBe("The image is uploaded.");
      await page.locator("#upload-alt").fill("A photo of a sunny park with people reading, phones away.");
      await page.locator("#upload-title").fill("");
      await page
        .locator("#upload-file")
        .setInputFiles({ name: "park.jpg", mimeType: "image/jpeg", buffer: await jpegWithGps(900, 600) });
      await page.getByRole("button", { name: "Upload" }).click();
      await page.waitForURL(/done=uploaded/);
      const stored = listMedia(t.db);
      expect(stored.map((m) => [m.mime, m.width, m.height, m.title, m.gallery])).toEqual([
        ["image/jpeg", 900, 600, "", true],
        ["image/png", 1200, 675, "Banner", true],
      ]);
      expect(await allImagesLoaded(page)).toBe(true);
      const served = Buffer.from(await (await page.request.get(`${t.origin}/media/${stored[0]!.uuid}.jpg`)).body());
      expect((await sharp(served).metadata()).exif).toBeUndefined();

      // Edit: open the details, change the title, save.
      await page.locator(`#media-${stored[0]!.id} summary`).click();
      await page.locator(`#media-${stored[0]!.id}-title`).fill("Reading in the park");
      await page.locator(`#media-${stored[0]!.id}`).getByRole("button", { name: "Save" }).click();
      await page.waitForURL(/done=saved/);
      expect(listMedia(t.db)[0]!.title).toBe("Reading in the park");
      await shots(page, "media-admin");

      // Delete: confirmation page, then gone.
      await page
        .locator(`#media-${stored[1]!.id}`)
        .getByRole("link", { name: /Delete/ })
        .click();
      await page.waitForURL(/\/delete$/);
      await shots(page, "media-admin-delete");
      await page.getByRole("button", { name: "Delete the image" }).click();
      await page.waitForURL(/done=deleted/);
      expect(listMedia(t.db).map((m) => m.id)).toEqual([stored[0]!.id]);

      expect(watch.foreign).toEqual([]);
      expect(watch.pageErrors).toEqual([]);
      expect(watch.consoleMessages.filter((m) => !m.includes("413") && !m.includes("415"))).toEqual([]);
      expect(await watch.cspViolations()).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("shows the gallery: copy a description, download, and plain text without JavaScript", async () => {
    const t = await suite.site();
    createAccount(t.db, { username: "boss", passwordHash: await hashPassword("correct horse battery"), role: "admin" });
    const { insertMedia } = await import("../../src/db/media.ts");
    const { processImage } = await import("../../src/images.ts");
    const add = async (data: Buffer, alt: string, title: string) => {
      const p = await processImage(data);
      if (!p.ok) throw new Error(p.rejection.message);
      return insertMedia(t.db, { ...p.image, alt, title, gallery: true, createdBy: null, created: new Date() }).media;
    };
    await add(await poster("JULY 4–5", "#b3261e"), "Red poster: July 4–5, #SocialMediaStrike.", "The dates");
    await add(await poster("SIGN IT", "#2e7d46", 800, 800), "Green square poster: Sign it. #SocialMediaStrike.", "");
    const third = await add(
      await poster("OWN YOUR DATA", "#1d4e89", 1080, 1350),
      "Blue portrait poster with the words Own your data in capitals, and the hashtag SocialMediaStrike underneath.",
      "Own your data",
    );

    const context = await suite.browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: t.origin });
    try {
      const page = await context.newPage();
      const watch = await watchPage(context, page, t.origin);
      await page.goto(`${t.origin}/memes`);
      expect(await allImagesLoaded(page)).toBe(true);
      expect(await page.locator(".meme").count()).toBe(3);
      const card = page.locator(`#meme-${third.uuid}`);
      const copy = card.getByRole("button", { name: /Copy description/ });
      await copy.click();
      await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(third.alt);
      expect(await card.getByRole("status").textContent()).toBe("Description copied.");
      await card.getByRole("button", { name: /Copy link/ }).click();
      await expect
        .poll(() => page.evaluate(() => navigator.clipboard.readText()))
        .toBe(`${t.origin}/media/${third.uuid}.png`);
      // "Share…" is there exactly when the browser can share.
      const canShare = await page.evaluate(() => typeof navigator.share === "function");
      expect(await card.getByRole("button", { name: /Share/ }).isVisible()).toBe(canShare);

      const download = page.waitForEvent("download");
      await card.getByRole("link", { name: /Download/ }).click();
      expect((await download).suggestedFilename()).toBe("own-your-data.png");

      await card.locator("summary").click();
      await shots(page, "memes");
      expect(watch.foreign).toEqual([]);
      expect(watch.pageErrors).toEqual([]);
      expect(watch.consoleMessages).toEqual([]);
      expect(await watch.cspViolations()).toEqual([]);
    } finally {
      await context.close();
    }

    const dark = await suite.browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: "dark" });
    try {
      const page = await dark.newPage();
      await page.goto(`${t.origin}/memes`);
      expect(await allImagesLoaded(page)).toBe(true);
      await shots(page, "memes-dark");
    } finally {
      await dark.close();
    }

    const noScript = await suite.browser.newContext({
      viewport: { width: 390, height: 844 },
      javaScriptEnabled: false,
    });
    try {
      const page = await noScript.newPage();
      await page.goto(`${t.origin}/memes`);
      const card = page.locator(`#meme-${third.uuid}`);
      expect(await card.getByRole("button").count()).toBe(0);
      await card.locator("summary").click();
      expect(await card.locator(".meme-alt p").isVisible()).toBe(true);
      expect(await card.locator(".meme-link").textContent()).toBe(`Link: ${t.origin}/media/${third.uuid}.png`);
      // Lazy images load as they come into view.
      await page.locator(".meme img").last().scrollIntoViewIfNeeded();
      await page.waitForLoadState("networkidle");
      await page.screenshot({ path: join(RESULTS, "memes-nojs-390.png"), fullPage: true });
    } finally {
      await noScript.close();
    }
  });

  it("says so when the gallery is empty", async () => {
    const t = await suite.site();
    const page = await suite.browser.newPage();
    try {
      await page.goto(`${t.origin}/memes`);
      expect(await page.locator(".empty").textContent()).toBe("There are no images here yet. Please come back soon.");
      await shots(page, "memes-empty");
    } finally {
      await page.close();
    }
  });
});
