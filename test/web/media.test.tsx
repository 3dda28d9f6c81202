/** `/admin/media` (upload, edit, delete) and serving `/media/{uuid}.{ext}`. */
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { createAccount } from "../../src/db/accounts.ts";
import { getMediaById, getMediaData } from "../../src/db/media.ts";
import { media, mediaBlobs, type Media } from "../../src/db/schema.ts";
import { writeStrikeSettingsValue } from "../../src/db/strike.ts";
import { MAX_UPLOAD_BYTES } from "../../src/images.ts";
import { createTestApp } from "../helpers/app.ts";
import { getAs, loggedIn } from "../helpers/accounts.ts";
import { pageText, postForm, statusNotices, tags, textareaText, type CsrfPair } from "../helpers/forms.ts";
import { jpegWithGps, photo, pngBomb, SVG_PLAIN, SVG_WITH_SCRIPT, HTML, PDF } from "../fixtures/images/index.ts";

const PAGE = "/admin/media";

async function setup() {
  const t = await createTestApp();
  createAccount(t.db, { username: "boss", passwordHash: "unused", role: "admin" });
  const boss = await loggedIn(t, "boss");
  return { t, boss };
}
type T = Awaited<ReturnType<typeof setup>>["t"];

interface UploadFields {
  alt?: string;
  title?: string;
  gallery?: boolean;
  file?: { data: Uint8Array; name: string; type?: string } | null;
}

/** Posts the upload form as a browser does (multipart, fields in the form's order). */
async function upload(t: T, who: CsrfPair | null, fields: UploadFields, headers: Record<string, string> = {}) {
  const form = new FormData();
  if (who != null) form.append("csrf", who.csrf);
  form.append("alt", fields.alt ?? "A raised fist over a phone with a crossed-out feed.");
  form.append("title", fields.title ?? "Strike day");
  if (fields.gallery !== false) form.append("gallery", "1");
  const file = fields.file === undefined ? null : fields.file;
  if (file != null)
    form.append(
      "file",
      new Blob([file.data as Uint8Array<ArrayBuffer>], { type: file.type ?? "image/jpeg" }),
      file.name,
    );
  else form.append("file", new Blob([], { type: "application/octet-stream" }), "");
  // Encoded up front, as a browser sends it (and so the server may stop reading it half way).
  const encoded = new Response(form);
  const body = new Uint8Array(await encoded.arrayBuffer());
  const type = encoded.headers.get("content-type")!;
  return t.app.request(PAGE, {
    method: "POST",
    body,
    headers: { "Content-Type": type, ...(who != null ? { Cookie: who.cookie } : {}), ...headers },
  });
}

function rows(t: T): Media[] {
  return t.db.select().from(media).all();
}

function blobCount(t: T): number {
  return t.db.select().from(mediaBlobs).all().length;
}

async function uploaded(t: T, who: CsrfPair, fields: UploadFields): Promise<Media> {
  const res = await upload(t, who, fields);
  expect(res.status, pageText(await res.clone().text())).toBe(303);
  const id = Number(/[?&]id=(\d+)/.exec(res.headers.get("location")!)![1]);
  return getMediaById(t.db, id)!;
}

describe("/admin/media access", () => {
  it("is for admins only: login for nobody, 403 for authors; /admin links to it", async () => {
    const { t, boss } = await setup();
    const anonymous = await t.app.request(PAGE);
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get("location")).toBe(`/login?next=${PAGE}`);
    const author = await loggedIn(t, "author");
    expect((await getAs(t, PAGE, author)).status).toBe(403);
    expect((await upload(t, author, { file: { data: await photo(20, 20), name: "a.jpg" } })).status).toBe(403);
    expect(rows(t)).toEqual([]);
    const admin = await getAs(t, "/admin", boss);
    expect(tags(await admin.text(), "a").map((a) => a.href)).toContain(PAGE);
    const page = await getAs(t, PAGE, boss);
    expect(page.status).toBe(200);
    expect(page.headers.get("cache-control")).toBe("no-store");
    const html = await page.text();
    expect(tags(html, "form").find((f) => f.action === PAGE)?.enctype).toBe("multipart/form-data");
    expect(pageText(html)).toContain("No images yet.");
  });

  it("refuses an upload without a valid CSRF token or from another site (403), storing nothing", async () => {
    const { t, boss } = await setup();
    const file = { data: await photo(20, 20), name: "a.jpg" };
    expect((await upload(t, { cookie: boss.cookie, csrf: "forged" }, { file })).status).toBe(403);
    expect((await upload(t, { cookie: boss.cookie, csrf: "" }, { file })).status).toBe(403);
    expect((await upload(t, boss, { file }, { Origin: "https://evil.example" })).status).toBe(403);
    expect(rows(t)).toEqual([]);
    expect(blobCount(t)).toBe(0);
  });
});

describe("uploading", () => {
  it("stores a re-encoded image without its metadata and lists it", async () => {
    const { t, boss } = await setup();
    const input = await jpegWithGps(300, 200);
    const res = await upload(t, boss, {
      file: { data: input, name: "holiday.jpg" },
      alt: "  Three people holding a banner.\r\nIt says: strike!  ",
    });
    expect(res.status).toBe(303);
    const row = rows(t)[0]!;
    expect(res.headers.get("location")).toBe(`${PAGE}?done=uploaded&id=${row.id}#media-${row.id}`);
    expect(row).toMatchObject({
      mime: "image/jpeg",
      width: 300,
      height: 200,
      alt: "Three people holding a banner.\nIt says: strike!",
      title: "Strike day",
      gallery: true,
    });
    const data = getMediaData(t.db, row.id)!;
    expect(row.bytes).toBe(data.byteLength);
    expect((await sharp(data).metadata()).exif).toBeUndefined();
    expect(data.includes("SecretCam")).toBe(false);

    const html = await (await getAs(t, `${PAGE}?done=uploaded&id=${row.id}`, boss)).text();
    expect(pageText(html)).toContain("The image is uploaded.");
    expect(statusNotices(html)).toEqual(["notice success"]);
    const img = tags(html, "img").find((i) => i.src === `/media/${row.uuid}.jpg`);
    // Described once, as text beside the thumbnail.
    expect(img).toMatchObject({ alt: "", width: "300", height: "200" });
    expect(html).toContain('<p class="media-alt">Three people holding a banner.\nIt says: strike!</p>');
    // The upload form starts empty again; the image's own edit form holds its description.
    expect(textareaText(html, "alt")).toBe("");
    expect(tags(html, "textarea").find((a) => a.id === `media-${row.id}-alt`)).toBeDefined();
  });

  it("stores the same image once and says so", async () => {
    const { t, boss } = await setup();
    const data = await photo(40, 30);
    const first = await uploaded(t, boss, { file: { data, name: "a.jpg" }, alt: "First description" });
    const res = await upload(t, boss, {
      file: { data, name: "copy-of-a.jpg" },
      alt: "Second description",
      gallery: false,
    });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`${PAGE}?done=existing&id=${first.id}#media-${first.id}`);
    expect(rows(t)).toHaveLength(1);
    expect(rows(t)[0]).toMatchObject({ alt: "First description", gallery: true });
    const existing = await (await getAs(t, `${PAGE}?done=existing`, boss)).text();
    expect(pageText(existing)).toContain("This image was uploaded before");
    // Nothing new was uploaded: a plain note, not a success.
    expect(statusNotices(existing)).toEqual(["notice"]);
  });

  it.each([
    [
      "not an image",
      () => Buffer.from("just some text"),
      415,
      "This file is not an image we accept (PNG, JPEG, WebP or GIF).",
    ],
    ["an HTML page named .png", () => HTML, 415, "This file is not an image we accept (PNG, JPEG, WebP or GIF)."],
    ["a PDF", () => PDF, 415, "This file is not an image we accept (PNG, JPEG, WebP or GIF)."],
    ["an SVG with a script", () => SVG_WITH_SCRIPT, 415, "SVG images are not accepted: they can contain scripts."],
    ["an SVG without a script", () => SVG_PLAIN, 415, "SVG images are not accepted: they can contain scripts."],
    [
      "a truncated JPEG",
      async () => (await photo(300, 200)).subarray(0, 1500),
      400,
      "This image is damaged or incomplete",
    ],
    [
      "a decompression bomb",
      () => pngBomb(20000),
      413,
      "This image is 20000 × 20000 pixels; images may have at most 40 megapixels.",
    ],
    ["an empty file", () => Buffer.alloc(0), 400, "This file is empty."],
  ])("refuses %s (%i), naming the field, keeping the text, storing nothing", async (_name, make, status, message) => {
    const { t, boss } = await setup();
    const res = await upload(t, boss, {
      file: { data: await make(), name: "meme.png", type: "image/png" },
      alt: "My description",
      title: "My title",
      gallery: false,
    });
    expect(res.status).toBe(status);
    const html = await res.text();
    const text = pageText(html);
    expect(text).toContain("Please check this field: Image file : ");
    expect(text).toContain(message);
    expect(text).toContain("Please choose the file again");
    expect(textareaText(html, "alt")).toBe("My description");
    expect(tags(html, "input").find((i) => i.id === "upload-title")?.value).toBe("My title");
    expect(tags(html, "input").find((i) => i.id === "upload-file")?.["aria-invalid"]).toBe("true");
    expect("checked" in tags(html, "input").find((i) => i.name === "gallery")!).toBe(false);
    expect(rows(t)).toEqual([]);
    expect(blobCount(t)).toBe(0);
  });

  it("refuses a file over 10 MB while reading it (413), keeping the text sent before it", async () => {
    const { t, boss } = await setup();
    const big = Buffer.alloc(MAX_UPLOAD_BYTES + 100 * 1024, 1);
    big.set([0xff, 0xd8, 0xff]);
    const res = await upload(t, boss, {
      file: { data: big, name: "huge.jpg" },
      alt: "Kept description",
      title: "Kept title",
    });
    expect(res.status).toBe(413);
    const html = await res.text();
    expect(pageText(html)).toContain("Image file : The file is larger than 10 MB. Please choose a smaller image.");
    expect(textareaText(html, "alt")).toBe("Kept description");
    expect(tags(html, "input").find((i) => i.id === "upload-title")?.value).toBe("Kept title");
    expect(rows(t)).toEqual([]);
  });

  it("requires a description and a file, and a title of at most 200 characters (400)", async () => {
    const { t, boss } = await setup();
    const file = { data: await photo(20, 20), name: "a.jpg" };
    let res = await upload(t, boss, { file, alt: "   ", title: "Kept" });
    expect(res.status).toBe(400);
    let html = await res.text();
    expect(pageText(html)).toContain(
      "Description (alt text) : Please describe the image for people who cannot see it.",
    );
    expect(pageText(html)).toContain("Please choose the file again");
    expect(tags(html, "input").find((i) => i.id === "upload-title")?.value).toBe("Kept");
    expect(tags(html, "textarea").find((a) => a.id === "upload-alt")?.["aria-invalid"]).toBe("true");

    res = await upload(t, boss, { file: null, alt: "Has alt" });
    expect(res.status).toBe(400);
    html = await res.text();
    expect(pageText(html)).toContain("Image file : Please choose an image to upload.");
    expect(textareaText(html, "alt")).toBe("Has alt");

    res = await upload(t, boss, { file, alt: "x".repeat(1501), title: "t".repeat(201) });
    expect(res.status).toBe(400);
    const text = pageText(await res.text());
    expect(text).toContain("Please check these fields:");
    expect(text).toContain("The description is 1501 characters long; at most 1500 are allowed.");
    expect(text).toContain("Title : The title is 201 characters long; at most 200 are allowed.");
    expect(rows(t)).toEqual([]);
  });

  it("refuses a form that is not multipart (415)", async () => {
    const { t, boss } = await setup();
    const res = await postForm(t.app, PAGE, { alt: "x" }, { csrf: boss });
    expect(res.status).toBe(415);
    expect(pageText(await res.text())).toContain("The form must be sent as multipart/form-data.");
    expect(rows(t)).toEqual([]);
  });
});

describe("serving /media/{uuid}.{ext}", () => {
  it("sends the bytes with their type, a year of caching, an ETag, nosniff and a CSP that runs nothing", async () => {
    const { t, boss } = await setup();
    const row = await uploaded(t, boss, { file: { data: await photo(64, 48, "png"), name: "x.png" } });
    const path = `/media/${row.uuid}.png`;
    const res = await t.app.request(path);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toBe("default-src 'none'");
    expect(res.headers.get("etag")).toBe(`"${row.sha256}"`);
    expect(res.headers.get("content-disposition")).toBeNull();
    expect(res.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.equals(getMediaData(t.db, row.id)!)).toBe(true);
    expect(res.headers.get("content-length")).toBe(String(body.byteLength));

    const head = await t.app.request(path, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toBe("image/png");
    expect((await head.arrayBuffer()).byteLength).toBe(0);

    const again = await t.app.request(path, { headers: { "If-None-Match": `"${row.sha256}"` } });
    expect(again.status).toBe(304);
    expect(again.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
  });

  it("offers a download named after the title", async () => {
    const { t, boss } = await setup();
    const row = await uploaded(t, boss, {
      file: { data: await photo(20, 20), name: "x.jpg" },
      title: "Strike Day — Poster",
    });
    const res = await t.app.request(`/media/${row.uuid}.jpg?download=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="strike-day-poster.jpg"');
  });

  it("answers 404 for an unknown uuid, a wrong extension or a malformed name", async () => {
    const { t, boss } = await setup();
    const row = await uploaded(t, boss, { file: { data: await photo(20, 20), name: "x.jpg" } });
    for (const path of [
      `/media/${row.uuid}.png`,
      `/media/${row.uuid}.jpeg`,
      `/media/${row.uuid}`,
      `/media/00000000-0000-4000-8000-000000000000.jpg`,
      `/media/${row.uuid.toUpperCase()}.jpg`,
      `/media/..%2Fsecret.jpg`,
    ]) {
      expect((await t.app.request(path)).status, path).toBe(404);
    }
  });
});

describe("editing and deleting", () => {
  it("changes the description, title and gallery flag", async () => {
    const { t, boss } = await setup();
    const row = await uploaded(t, boss, { file: { data: await photo(20, 20), name: "x.jpg" } });
    const res = await postForm(
      t.app,
      `${PAGE}/${row.id}`,
      { alt: " New description ", title: "New title" },
      { csrf: boss },
    );
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`${PAGE}?done=saved&id=${row.id}#media-${row.id}`);
    expect(getMediaById(t.db, row.id)).toMatchObject({ alt: "New description", title: "New title", gallery: false });
  });

  it("refuses a bad edit (400) keeping what was typed, changing nothing", async () => {
    const { t, boss } = await setup();
    const row = await uploaded(t, boss, { file: { data: await photo(20, 20), name: "x.jpg" }, alt: "Original" });
    const res = await postForm(
      t.app,
      `${PAGE}/${row.id}`,
      { alt: "", title: "Typed title", gallery: "1" },
      { csrf: boss },
    );
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(pageText(html)).toContain(
      "Description (alt text) : Please describe the image for people who cannot see it.",
    );
    expect(tags(html, "input").find((i) => i.id === `media-${row.id}-title`)?.value).toBe("Typed title");
    expect(tags(html, "details").find((d) => d.class === "media-edit")).toHaveProperty("open");
    expect(getMediaById(t.db, row.id)).toMatchObject({ alt: "Original", title: "Strike day" });
  });

  it("refuses edits and deletions without a token (403), by authors (403) or of unknown images (404)", async () => {
    const { t, boss } = await setup();
    const row = await uploaded(t, boss, { file: { data: await photo(20, 20), name: "x.jpg" } });
    const bad = { cookie: boss.cookie, csrf: "nope" };
    expect((await postForm(t.app, `${PAGE}/${row.id}`, { alt: "x" }, { csrf: bad })).status).toBe(403);
    expect((await postForm(t.app, `${PAGE}/${row.id}/delete`, {}, { csrf: bad })).status).toBe(403);
    const author = await loggedIn(t, "author");
    expect((await postForm(t.app, `${PAGE}/${row.id}`, { alt: "x" }, { csrf: author })).status).toBe(403);
    expect((await postForm(t.app, `${PAGE}/${row.id}/delete`, {}, { csrf: author })).status).toBe(403);
    expect((await getAs(t, `${PAGE}/${row.id}/delete`, author)).status).toBe(403);
    expect((await postForm(t.app, `${PAGE}/999/delete`, {}, { csrf: boss })).status).toBe(404);
    expect((await postForm(t.app, `${PAGE}/abc`, { alt: "x" }, { csrf: boss })).status).toBe(404);
    expect(getMediaById(t.db, row.id)?.alt).toBe("A raised fist over a phone with a crossed-out feed.");
  });

  it("deletes after a confirmation page; the image is gone", async () => {
    const { t, boss } = await setup();
    const row = await uploaded(t, boss, { file: { data: await photo(20, 20), name: "x.jpg" } });
    const confirm = await getAs(t, `${PAGE}/${row.id}/delete`, boss);
    expect(confirm.status).toBe(200);
    const html = await confirm.text();
    expect(pageText(html)).toContain("Delete this image?");
    expect(tags(html, "form").map((f) => f.action)).toContain(`${PAGE}/${row.id}/delete`);
    const res = await postForm(t.app, `${PAGE}/${row.id}/delete`, {}, { csrf: boss });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`${PAGE}?done=deleted`);
    expect(rows(t)).toEqual([]);
    expect(blobCount(t)).toBe(0);
    expect((await t.app.request(`/media/${row.uuid}.jpg`)).status).toBe(404);
  });

  it("keeps an image that a strike notice template posts (409)", async () => {
    const { t, boss } = await setup();
    const row = await uploaded(t, boss, { file: { data: await photo(20, 20), name: "x.jpg" } });
    writeStrikeSettingsValue(t.db, {
      templates: [
        { text: "Join {hashtags}", mediaIds: [] },
        { text: "Sign {declaration_url}", mediaIds: [row.id] },
      ],
    });
    const confirm = await (await getAs(t, `${PAGE}/${row.id}/delete`, boss)).text();
    expect(pageText(confirm)).toContain("This image is posted with notice template 2 of the strike.");
    expect(tags(confirm, "form").map((f) => f.action)).not.toContain(`${PAGE}/${row.id}/delete`);
    const res = await postForm(t.app, `${PAGE}/${row.id}/delete`, {}, { csrf: boss });
    expect(res.status).toBe(409);
    expect(pageText(await res.text())).toContain("Take it out of the strike settings first.");
    expect(rows(t)).toHaveLength(1);
  });
});
