import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createAccount } from "../../src/db/accounts.ts";
import type { Db } from "../../src/db/client.ts";
import { getSitePage, importSitePage, saveSitePage, type SeedPage } from "../../src/db/site-pages.ts";
import { parsePageFile, readPagesFolder } from "../../src/site-page-files.ts";
import { importShippedPages } from "../../src/setup.ts";
import { createTestApp } from "../helpers/app.ts";
import { loggedIn } from "../helpers/accounts.ts";
import { createTestDb } from "../helpers/db.ts";
import { inputValue, pageText, postForm, statusNotices, textareaText } from "../helpers/forms.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempPages(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "undersign-pages-"));
  dirs.push(dir);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function page(overrides: Partial<SeedPage> = {}): SeedPage {
  return {
    path: "faq.md",
    sha256: "a".repeat(64),
    slug: "faq",
    title: "Questions",
    body: "## Why?\n\nBecause.\n",
    ...overrides,
  };
}

describe("pages/*.md files", () => {
  it("reads the title from the front matter and the slug from the file name", () => {
    const parsed = parsePageFile(
      "faq.md",
      Buffer.from("---\ntitle: Questions and answers\n---\n\n## Why?\n\nBecause.\n"),
    );
    expect(parsed).toMatchObject({ slug: "faq", title: "Questions and answers", body: "## Why?\n\nBecause.\n" });
    expect((parsed as SeedPage).sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ["blog.md", "---\ntitle: Blog\n---\nText", /this site has no page "blog"/],
    ["faq.md", "## No front matter", /no front matter/],
    ["faq.md", "---\nsummary: x\n---\nText", /title is missing/],
    ["faq.md", `---\ntitle: ${"T".repeat(201)}\n---\nText`, /at most 200 characters/],
    ["faq.md", "---\ntitle: [unclosed\n---\nText", /invalid front matter/],
    ["faq.md", "---\ntitle: Empty\n---\n\n  \n", /no text/],
    ["faq.md", `---\ntitle: Big\n---\n${"x".repeat(200 * 1024)}`, /limit is 204800/],
  ])("refuses %s with a reason (%#)", (name, text, reason) => {
    expect(parsePageFile(name, Buffer.from(text))).toMatchObject({ path: name, reason: expect.stringMatching(reason) });
  });

  it("the shipped pages/ folder parses without problems", () => {
    const folder = readPagesFolder(resolve(import.meta.dirname, "..", "..", "pages"));
    expect(folder.problems).toEqual([]);
    expect(folder.files.map((f) => f.slug)).toEqual(["faq", "resources"]);
    const resources = folder.files.find((f) => f.slug === "resources")!;
    expect(resources.body).toContain("https://joinmastodon.org/servers");
    expect(resources.body).toMatch(/\/faq|\/strike|fediverse/);
  });
});

describe("the pages import rule", () => {
  it("creates, leaves an unchanged file alone, and updates from a changed file", () => {
    const db = createTestDb();
    expect(importSitePage(db, page()).kind).toBe("created");
    expect(importSitePage(db, page()).kind).toBe("unchanged");
    expect(importSitePage(db, page({ sha256: "b".repeat(64), title: "New title", body: "New text.\n" })).kind).toBe(
      "updated",
    );
    expect(getSitePage(db, "faq")).toMatchObject({
      title: "New title",
      body: "New text.\n",
      editedOnSite: false,
      sourceFileSha256: "b".repeat(64),
    });
  });

  it("never overwrites a page edited on the site; the unchanged file still does nothing", () => {
    const db = createTestDb();
    importSitePage(db, page());
    saveSitePage(db, { slug: "faq", title: "Edited", body: "Edited text.\n", accountId: null });
    expect(importSitePage(db, page()).kind).toBe("unchanged");
    const outcome = importSitePage(db, page({ sha256: "c".repeat(64), body: "File text.\n" }));
    expect(outcome).toMatchObject({ kind: "skipped", reason: expect.stringContaining("edited on the site") });
    expect(getSitePage(db, "faq")).toMatchObject({ title: "Edited", body: "Edited text.\n", editedOnSite: true });
  });

  it("imports a folder at start, reporting bad files, and is idempotent", () => {
    const db = createTestDb();
    const dir = tempPages({
      "faq.md": "---\ntitle: FAQ\n---\nAsk.\n",
      "resources.md": "---\ntitle: Resources\n---\nLinks.\n",
      "other.md": "---\ntitle: X\n---\nY\n",
    });
    const first = importShippedPages(db, { pagesDir: dir });
    expect(first.map((o) => [o.kind, o.path])).toEqual([
      ["skipped", "other.md"],
      ["created", "faq.md"],
      ["created", "resources.md"],
    ]);
    expect(
      importShippedPages(db, { pagesDir: dir })
        .filter((o) => o.kind !== "unchanged")
        .map((o) => o.path),
    ).toEqual(["other.md"]);
    expect(importShippedPages(db, { pagesDir: join(dir, "missing") })).toEqual([]);
  });
});

async function appWithPages() {
  const t = await createTestApp();
  importShippedPages(t.db, { pagesDir: resolve(import.meta.dirname, "..", "..", "pages") });
  return t;
}

function makeAdmin(db: Db, username = "owner") {
  const outcome = createAccount(db, { username, passwordHash: "unused", role: "admin" });
  if (outcome.kind !== "created") throw new Error(outcome.kind);
}

describe("GET /faq and /resources", () => {
  it("renders the imported Markdown", async () => {
    const t = await appWithPages();
    const faq = await t.app.request("/faq");
    expect(faq.status).toBe(200);
    const html = await faq.text();
    expect(html).toContain('<h1 class="page-title">Questions and answers</h1>');
    expect(html).toContain("<h2>What is the Social Media Strike?</h2>");
    expect(html).not.toContain("Edit this page");
    const resources = await t.app.request("/resources");
    expect(resources.status).toBe(200);
    expect(await resources.text()).toContain(
      'href="https://joinmastodon.org/servers" rel="nofollow noopener noreferrer"',
    );
  });

  it("is 404 before the page exists, and sanitizes what an editor typed", async () => {
    const t = await createTestApp();
    expect((await t.app.request("/faq")).status).toBe(404);
    saveSitePage(t.db, {
      slug: "faq",
      title: "FAQ",
      body: 'Hello <script>alert(1)</script> <a href="javascript:alert(1)">x</a>\n',
      accountId: null,
    });
    const html = await (await t.app.request("/faq")).text();
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("javascript:");
  });
});

describe("the page editor /admin/pages/{slug}", () => {
  it("sends visitors to the login and refuses authors (403)", async () => {
    const t = await appWithPages();
    const anonymous = await t.app.request("/admin/pages/faq");
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get("location")).toBe("/login?next=/admin/pages/faq");
    const author = await loggedIn(t, "writer");
    expect((await t.app.request("/admin/pages/faq", { headers: { Cookie: author.cookie } })).status).toBe(403);
    expect((await t.app.request("/admin/pages", { headers: { Cookie: author.cookie } })).status).toBe(403);
    const post = await postForm(
      t.app,
      "/admin/pages/faq",
      { title: "Hacked", body: "Hacked", action: "save" },
      { csrf: author },
    );
    expect(post.status).toBe(403);
    expect(getSitePage(t.db, "faq")!.title).toBe("Questions and answers");
  });

  it("shows the page to the admin, previews, saves, and a changed file then leaves it alone", async () => {
    const t = await appWithPages();
    makeAdmin(t.db);
    const admin = await loggedIn(t, "owner");
    const list = await t.app.request("/admin/pages", { headers: { Cookie: admin.cookie } });
    expect(pageText(await list.text())).toContain("/faq — “Questions and answers”, from pages/faq.md");
    const form = await t.app.request("/admin/pages/faq", { headers: { Cookie: admin.cookie } });
    expect(form.status).toBe(200);
    const formHtml = await form.text();
    expect(inputValue(formHtml, "title")).toBe("Questions and answers");
    expect(textareaText(formHtml, "body")).toContain("## What is the Social Media Strike?");

    const preview = await postForm(
      t.app,
      "/admin/pages/faq",
      { title: "Our questions", body: "## New\n\nText.", action: "preview" },
      { csrf: admin },
    );
    expect(preview.status).toBe(200);
    const previewHtml = await preview.text();
    expect(previewHtml).toContain("<h2>New</h2>");
    expect(inputValue(previewHtml, "title")).toBe("Our questions");
    expect(getSitePage(t.db, "faq")!.title).toBe("Questions and answers");

    const save = await postForm(
      t.app,
      "/admin/pages/faq",
      { title: "Our questions", body: "## New\r\n\r\nText.", action: "save" },
      { csrf: admin },
    );
    expect(save.status).toBe(303);
    expect(save.headers.get("location")).toBe("/admin/pages/faq?saved=1");
    expect(
      statusNotices(
        await (await t.app.request("/admin/pages/faq?saved=1", { headers: { Cookie: admin.cookie } })).text(),
      ),
    ).toEqual(["notice success"]);
    expect(getSitePage(t.db, "faq")).toMatchObject({
      title: "Our questions",
      body: "## New\n\nText.",
      editedOnSite: true,
    });
    const shown = await t.app.request("/faq", { headers: { Cookie: admin.cookie } });
    const shownHtml = await shown.text();
    expect(shownHtml).toContain("<h2>New</h2>");
    expect(shownHtml).toContain('href="/admin/pages/faq"');

    const dir = tempPages({ "faq.md": "---\ntitle: From the file\n---\nFile.\n" });
    expect(importShippedPages(t.db, { pagesDir: dir })[0]).toMatchObject({ kind: "skipped" });
    expect(getSitePage(t.db, "faq")!.title).toBe("Our questions");
  });

  it("creates a page that has no file yet", async () => {
    const t = await createTestApp();
    makeAdmin(t.db);
    const admin = await loggedIn(t, "owner");
    const res = await postForm(
      t.app,
      "/admin/pages/resources",
      { title: "Links", body: "- one", action: "save" },
      { csrf: admin },
    );
    expect(res.status).toBe(303);
    expect((await t.app.request("/resources")).status).toBe(200);
  });

  it.each([
    [{ title: "", body: "Text" }, "Title : Please give the page a title."],
    [{ title: "T".repeat(201), body: "Text" }, "Title : The title is 201 characters long; the limit is 200."],
    [{ title: "Fine", body: "   " }, "Text (Markdown) : Please write the page's text."],
    [{ title: "Fine", body: "x".repeat(200 * 1024 + 1) }, "Text (Markdown) : The text is 201 KB; the limit is 200 KB."],
  ])("refuses %#: 400, names the field, keeps the input, saves nothing", async (fields, message) => {
    const t = await appWithPages();
    makeAdmin(t.db);
    const admin = await loggedIn(t, "owner");
    const res = await postForm(t.app, "/admin/pages/faq", { ...fields, action: "save" }, { csrf: admin });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(pageText(html)).toContain(message);
    expect(inputValue(html, "title")).toBe(fields.title);
    expect(textareaText(html, "body")).toBe(fields.body);
    expect(getSitePage(t.db, "faq")!.editedOnSite).toBe(false);
  });

  it("refuses an expired form (403) keeping the text, and unknown pages (404)", async () => {
    const t = await appWithPages();
    makeAdmin(t.db);
    const admin = await loggedIn(t, "owner");
    const res = await postForm(
      t.app,
      "/admin/pages/faq",
      { csrf: "forged", title: "Mine", body: "My text", action: "save" },
      { csrf: admin },
    );
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(pageText(html)).toContain("This form expired");
    expect(textareaText(html, "body")).toBe("My text");
    expect(getSitePage(t.db, "faq")!.title).toBe("Questions and answers");
    expect((await t.app.request("/admin/pages/blog", { headers: { Cookie: admin.cookie } })).status).toBe(404);
    expect(
      (await postForm(t.app, "/admin/pages/blog", { title: "x", body: "y", action: "save" }, { csrf: admin })).status,
    ).toBe(404);
  });
});
