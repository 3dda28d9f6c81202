/** Image processing (src/media.ts): what is accepted, what comes out, and every refusal. */
import { randomBytes } from "node:crypto";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import {
  checkAlt,
  checkTitle,
  downloadName,
  looksLikeSvg,
  MAX_UPLOAD_BYTES,
  mimeForExtension,
  processImage,
  sniffImageType,
  type ProcessedImage,
} from "../src/images.ts";
import {
  animatedGif,
  HTML,
  jpegWithGps,
  PDF,
  photo,
  pngBomb,
  sidewaysJpeg,
  SVG_PLAIN,
  SVG_WITH_SCRIPT,
  transparentPng,
} from "./fixtures/images/index.ts";

async function accepted(input: Uint8Array): Promise<ProcessedImage> {
  const result = await processImage(input);
  if (!result.ok) throw new Error(`refused: ${result.rejection.message}`);
  return result.image;
}

async function refused(input: Uint8Array) {
  const result = await processImage(input);
  if (result.ok) throw new Error("accepted");
  return result.rejection;
}

const NOT_ACCEPTED = "This file is not an image we accept (PNG, JPEG, WebP or GIF).";

describe("processImage", () => {
  it("removes EXIF, GPS and every other metadata from a JPEG", async () => {
    const input = await jpegWithGps();
    const before = await sharp(input).metadata();
    expect(before.exif?.byteLength).toBeGreaterThan(100);
    expect(input.includes("SecretCam")).toBe(true);

    const image = await accepted(input);
    expect(image.mime).toBe("image/jpeg");
    const after = await sharp(image.data).metadata();
    expect(after.exif).toBeUndefined();
    expect(after.xmp).toBeUndefined();
    expect(after.iptc).toBeUndefined();
    expect(after.icc).toBeUndefined();
    expect(after.orientation).toBeUndefined();
    for (const secret of ["SecretCam", "Spy 3000", "home address", "Exif", "GPS"])
      expect(image.data.includes(secret), secret).toBe(false);
    expect([image.width, image.height]).toEqual([120, 80]);
  });

  it("turns an image upright by its EXIF orientation before dropping it", async () => {
    const input = await sidewaysJpeg(200, 100);
    expect((await sharp(input).metadata()).orientation).toBe(6);
    const image = await accepted(input);
    expect([image.width, image.height]).toEqual([100, 200]);
    const after = await sharp(image.data).metadata();
    expect([after.width, after.height, after.orientation]).toEqual([100, 200, undefined]);
  });

  it("fits large images in 2048 × 2048 and never enlarges small ones", async () => {
    const wide = await accepted(await photo(3000, 1000, "png"));
    expect([wide.width, wide.height]).toEqual([2048, 683]);
    const tall = await accepted(await photo(500, 2600, "webp"));
    expect([tall.width, tall.height]).toEqual([394, 2048]);
    const small = await accepted(await photo(30, 20));
    expect([small.width, small.height]).toEqual([30, 20]);
    const meta = await sharp(wide.data).metadata();
    expect([meta.width, meta.height]).toEqual([2048, 683]);
  });

  it("keeps the format: PNG with transparency, WebP, animated GIF with all its frames", async () => {
    const png = await accepted(await transparentPng());
    expect(png.mime).toBe("image/png");
    expect((await sharp(png.data).metadata()).hasAlpha).toBe(true);

    const webp = await accepted(await photo(64, 48, "webp"));
    expect(webp.mime).toBe("image/webp");
    expect((await sharp(webp.data).metadata()).format).toBe("webp");

    const gif = await accepted(await animatedGif(3, 40, 30));
    expect(gif.mime).toBe("image/gif");
    expect([gif.width, gif.height]).toEqual([40, 30]);
    const meta = await sharp(gif.data, { animated: true }).metadata();
    expect(meta.pages).toBe(3);
    expect(meta.pageHeight).toBe(30);
  });

  it("stores a large opaque PNG (a photo saved as PNG) as a JPEG", async () => {
    // Noise does not compress: the re-encoded PNG stays over 2 MB.
    const raw = randomBytes(1200 * 1000 * 3);
    const input = await sharp(raw, { raw: { width: 1200, height: 1000, channels: 3 } })
      .png()
      .toBuffer();
    const image = await accepted(input);
    expect(image.mime).toBe("image/jpeg");
    expect((await sharp(image.data).metadata()).format).toBe("jpeg");
  });

  it("gives the same bytes and hash for the same upload", async () => {
    const input = await photo(50, 40);
    const a = await accepted(input);
    const b = await accepted(Buffer.from(input));
    expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(b.sha256).toBe(a.sha256);
  });

  it.each([
    ["SVG with a script", SVG_WITH_SCRIPT, "svg", "SVG images are not accepted: they can contain scripts."],
    ["SVG without a script", SVG_PLAIN, "svg", "SVG images are not accepted: they can contain scripts."],
    ["HTML", HTML, "not_image", NOT_ACCEPTED],
    ["PDF", PDF, "not_image", NOT_ACCEPTED],
    ["plain text", Buffer.from("hello, this is not an image"), "not_image", NOT_ACCEPTED],
    ["nothing", Buffer.alloc(0), "not_image", NOT_ACCEPTED],
  ])("refuses %s (415)", async (_name, input, code, message) => {
    const rejection = await refused(input);
    expect(rejection.code).toBe(code);
    expect(rejection.status).toBe(415);
    expect(rejection.message).toContain(message);
  });

  it("refuses AVIF and TIFF by their content, whatever the file is called", async () => {
    const avif = await sharp(await photo(40, 40))
      .avif()
      .toBuffer();
    const tiff = await sharp(await photo(40, 40))
      .tiff()
      .toBuffer();
    for (const input of [avif, tiff])
      expect(await refused(input)).toMatchObject({ code: "not_image", status: 415, message: NOT_ACCEPTED });
  });

  it("refuses a truncated JPEG and a PNG signature in front of garbage (400)", async () => {
    const jpeg = await photo(300, 200);
    expect(await refused(jpeg.subarray(0, Math.floor(jpeg.length / 2)))).toMatchObject({
      code: "damaged",
      status: 400,
    });
    const fake = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      Buffer.from("not really a png at all"),
    ]);
    const rejection = await refused(fake);
    expect(rejection.status).toBe(400);
    expect(rejection.message).toContain("damaged or incomplete");
  });

  it("refuses a decompression bomb from its header, quickly (413)", async () => {
    const bomb = pngBomb(20000);
    expect(bomb.byteLength).toBeLessThan(200 * 1024);
    const started = performance.now();
    const rejection = await refused(bomb);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(rejection).toMatchObject({ code: "too_many_pixels", status: 413 });
    expect(rejection.message).toBe(
      "This image is 20000 × 20000 pixels; images may have at most 40 megapixels. Please choose a smaller image.",
    );
  });

  it("counts every frame of an animation against the pixel limit", async () => {
    // 300 frames of 400 × 400 = 48 megapixels (alternating, so the encoder cannot merge them).
    const black = await sharp({ create: { width: 400, height: 400, channels: 3, background: "#000" } })
      .png()
      .toBuffer();
    const white = await sharp({ create: { width: 400, height: 400, channels: 3, background: "#fff" } })
      .png()
      .toBuffer();
    const gif = await sharp(
      Array.from({ length: 300 }, (_, i) => (i % 2 === 0 ? black : white)),
      { join: { animated: true } },
    )
      .gif({ effort: 1, colours: 2, dither: 0 })
      .toBuffer();
    expect(gif.byteLength).toBeLessThan(1024 * 1024);
    const rejection = await refused(gif);
    expect(rejection.code).toBe("too_many_pixels");
    expect(rejection.message).toContain("400 × 400 pixels in 300 frames");
  });

  it("refuses files over the byte limit, naming it (413)", async () => {
    const big = Buffer.alloc(MAX_UPLOAD_BYTES + 1);
    big.set([0xff, 0xd8, 0xff]);
    expect(await refused(big)).toMatchObject({
      code: "too_large",
      status: 413,
      message: "The file is larger than 10 MB. Please choose a smaller image.",
    });
  });
});

describe("recognising types", () => {
  it("goes by the first bytes", async () => {
    expect(sniffImageType(await photo(8, 8, "png"))).toBe("image/png");
    expect(sniffImageType(await photo(8, 8, "jpeg"))).toBe("image/jpeg");
    expect(sniffImageType(await photo(8, 8, "webp"))).toBe("image/webp");
    expect(sniffImageType(await animatedGif(2))).toBe("image/gif");
    expect(sniffImageType(SVG_PLAIN)).toBeNull();
    expect(looksLikeSvg(Buffer.from("\ufeff  <!-- made by hand --><SVG xmlns='http://www.w3.org/2000/svg'/>"))).toBe(
      true,
    );
    expect(looksLikeSvg(HTML)).toBe(false);
  });

  it("maps URL extensions to types", () => {
    expect(mimeForExtension("jpg")).toBe("image/jpeg");
    expect(mimeForExtension("jpeg")).toBeNull();
    expect(mimeForExtension("svg")).toBeNull();
  });
});

describe("text fields", () => {
  it("requires alt text of 1–1500 characters", () => {
    expect(checkAlt("  \n ")).toEqual({
      ok: false,
      message: "Please describe the image for people who cannot see it.",
    });
    expect(checkAlt(" A cat.\r\nSecond line ")).toEqual({ ok: true, value: "A cat.\nSecond line" });
    expect(checkAlt("é".repeat(1500)).ok).toBe(true);
    expect(checkAlt("é".repeat(1501))).toEqual({
      ok: false,
      message: "The description is 1501 characters long; at most 1500 are allowed.",
    });
  });

  it("allows an optional title of at most 200 characters", () => {
    expect(checkTitle("")).toEqual({ ok: true, value: "" });
    expect(checkTitle("  Strike\n day ")).toEqual({ ok: true, value: "Strike day" });
    expect(checkTitle("x".repeat(201))).toEqual({
      ok: false,
      message: "The title is 201 characters long; at most 200 are allowed.",
    });
  });

  it("makes download names from titles", () => {
    expect(downloadName("Strike Day — Café 2!", "0123abcd-0000-4000-8000-000000000000", "image/png")).toBe(
      "strike-day-cafe-2.png",
    );
    expect(downloadName("✊✊", "0123abcd-0000-4000-8000-000000000000", "image/jpeg")).toBe("image-0123abcd.jpg");
  });
});
