/** `/memes`: the gallery of shareable images. */
import { describe, expect, it } from "vitest";
import { insertMedia } from "../../src/db/media.ts";
import type { Db } from "../../src/db/client.ts";
import { processImage } from "../../src/images.ts";
import { createTestApp } from "../helpers/app.ts";
import { pageText, tags } from "../helpers/forms.ts";
import { photo } from "../fixtures/images/index.ts";

async function addImage(db: Db, size: number, fields: { alt: string; title?: string; gallery: boolean }) {
  const processed = await processImage(await photo(size, size, "png"));
  if (!processed.ok) throw new Error(processed.rejection.message);
  const outcome = insertMedia(db, { ...processed.image, title: "", createdBy: null, created: new Date(), ...fields });
  return outcome.media;
}

describe("/memes", () => {
  it("says so, kindly, when there are no images", async () => {
    const t = await createTestApp();
    const res = await t.app.request("/memes");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(pageText(html)).toContain("There are no images here yet. Please come back soon.");
    expect(tags(html, "script")).toEqual([]);
  });

  it("is linked from every page's footer", async () => {
    const t = await createTestApp();
    const html = await (await t.app.request("/memes")).text();
    const footer = /<footer class="site-footer">[\s\S]*?<\/footer>/.exec(html)![0];
    expect(tags(footer, "a").map((a) => a.href)).toContain("/memes");
  });

  it("shows the gallery's images, newest first, each with its description, a download and its link", async () => {
    const t = await createTestApp();
    const older = await addImage(t.db, 30, {
      alt: "A phone, switched off, on a picnic blanket.",
      title: "Off for the day",
      gallery: true,
    });
    await addImage(t.db, 31, { alt: "Not for the gallery", gallery: false });
    const newer = await addImage(t.db, 32, { alt: "Handwritten sign: I am on strike.", gallery: true });

    const html = await (await t.app.request("/memes")).text();
    const text = pageText(html);
    expect(text).not.toContain("Not for the gallery");
    const images = tags(html, "img").filter((i) => i.src?.startsWith("/media/"));
    expect(images.map((i) => i.src)).toEqual([`/media/${newer.uuid}.png`, `/media/${older.uuid}.png`]);
    expect(images[1]).toMatchObject({
      alt: "A phone, switched off, on a picnic blanket.",
      width: "30",
      height: "30",
      loading: "lazy",
    });
    expect(text).toContain("Off for the day Description (alt text) A phone, switched off, on a picnic blanket.");

    const links = tags(html, "a");
    expect(links.find((a) => a.href === `/media/${older.uuid}.png?download=1`)).toHaveProperty("download");
    expect(text).toContain(`Link: https://undersign.test/media/${older.uuid}.png`);

    const buttons = tags(html, "button");
    expect(buttons.find((b) => b["data-copy-from"] === `meme-${older.uuid}-alt`)).toHaveProperty("hidden");
    expect(
      buttons.find((b) => b["data-copy-text"] === `https://undersign.test/media/${older.uuid}.png`),
    ).toHaveProperty("hidden");
    expect(buttons.find((b) => b["data-share-url"] === `https://undersign.test/media/${older.uuid}.png`)).toMatchObject(
      {
        "data-share-title": "Off for the day",
        "data-share-text": "A phone, switched off, on a picnic blanket.",
      },
    );
    expect(html).toContain(`id="meme-${older.uuid}-alt">A phone, switched off, on a picnic blanket.</p>`);
    expect(tags(html, "script").map((s) => s.src)).toEqual([
      expect.stringMatching(/^\/static\/memes\.js\?v=[0-9a-f]{12}$/),
    ]);
  });

  it("escapes descriptions and titles", async () => {
    const t = await createTestApp();
    await addImage(t.db, 33, { alt: '<script>alert("x")</script>', title: "<b>bold</b>", gallery: true });
    const html = await (await t.app.request("/memes")).text();
    expect(html).not.toContain('<script>alert("x")</script>');
    expect(html).not.toContain("<b>bold</b>");
    expect(pageText(html)).toContain('<script>alert("x")</script>');
  });
});
