import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { setRegistrationMode, type RegistrationMode } from "../../src/db/accounts.ts";
import type { Db } from "../../src/db/client.ts";
import { declarations, revisions } from "../../src/db/schema.ts";
import { parseDeclarationFile } from "../../src/declaration-files.ts";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { getAs, loggedIn } from "../helpers/accounts.ts";
import { csrfFrom, inputValue, pageText, postForm, tags, textareaText } from "../helpers/forms.ts";

type App = Awaited<ReturnType<typeof createTestApp>>;

const SOURCE_BODY = "## First\n\nWe declare that tests are good.\n\n## Second\n\nEvery test deserves a name.\n";
const COPY_BODY = "## First\n\nWe declare that tests are great.\n\n## Second\n\nEvery test deserves a name.\n";

async function setup(mode?: RegistrationMode): Promise<App> {
  const t = await createTestApp();
  if (mode != null) setRegistrationMode(t.db, mode);
  addDeclaration(t.db, { body: SOURCE_BODY });
  return t;
}

function copyFields(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const all: Record<string, string | undefined> = {
    v: "1",
    title: "Tests Are Great",
    summary: "My copy.",
    slug: "tests-are-great",
    body: COPY_BODY,
    action: "publish",
    ...overrides,
  };
  return Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
}

function fieldError(html: string, field: string): string | undefined {
  const m = new RegExp(`<p class="field-error" id="${field}-error">([\\s\\S]*?)</p>`).exec(html);
  return m == null ? undefined : pageText(m[1]!);
}

function declarationCount(db: Db): number {
  return db.select({ n: sql<number>`count(*)` }).from(declarations).get()!.n;
}
function revisionCount(db: Db): number {
  return db.select({ n: sql<number>`count(*)` }).from(revisions).get()!.n;
}

describe("making a copy", () => {
  it("the Declaration page links to the copy page, on old revisions too", async () => {
    const t = await setup();
    const html = await (await getAs(t, "/d/test-declaration")).text();
    expect(tags(html, "a").map((a) => a.href)).toContain("/d/test-declaration/copy?v=1");
    const old = await (await getAs(t, "/d/test-declaration/v/1")).text();
    expect(tags(old, "a").map((a) => a.href)).toContain("/d/test-declaration/copy?v=1");
  });

  it("logged out: explains and links to log in and register when registration is open", async () => {
    const t = await setup("open");
    const res = await getAs(t, "/d/test-declaration/copy?v=1");
    expect(res.status).toBe(200);
    const html = await res.text();
    const links = tags(html, "a").map((a) => a.href);
    expect(links).toContain("/login?next=%2Fd%2Ftest-declaration%2Fcopy%3Fv%3D1");
    expect(links).toContain("/register?next=%2Fd%2Ftest-declaration%2Fcopy%3Fv%3D1");
    expect(inputValue(html, "title")).toBeUndefined();
    expect(pageText(html)).not.toContain("Registration is closed");
  });

  it("logged out with registration closed: says so, no register link, and a POST stores nothing", async () => {
    const t = await setup();
    const html = await (await getAs(t, "/d/test-declaration/copy?v=1")).text();
    expect(pageText(html)).toContain("Registration is closed on this site");
    expect(tags(html, "a").map((a) => a.href)).not.toContain("/register");
    const pair = await csrfFrom(t.app, "/login");
    const res = await postForm(t.app, "/d/test-declaration/copy", copyFields(), { csrf: pair });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toMatch(/^\/login\?next=/);
    expect(declarationCount(t.db)).toBe(1);
  });

  it("the whole journey: editor, preview with diff and changes, note kept, publish, provenance, Proposed Changes, .md export", async () => {
    const t = await setup();
    const ada = await loggedIn(t, "ada");
    const editor = await (await getAs(t, "/d/test-declaration/copy?v=1", ada)).text();
    expect(inputValue(editor, "title")).toBe("Test Declaration");
    expect(textareaText(editor, "summary")).toBe("A Declaration for tests.");
    expect(textareaText(editor, "body")).toBe(SOURCE_BODY);
    expect(inputValue(editor, "slug")).toBe("");
    expect(inputValue(editor, "v")).toBe("1");
    expect(tags(editor, "script")).toEqual([]);

    const preview = await postForm(t.app, "/d/test-declaration/copy", copyFields({ action: "preview" }), { csrf: ada });
    expect(preview.status).toBe(200);
    const p1 = await preview.text();
    expect(p1).toContain('<div class="diff diff-inline">');
    expect(p1).toMatch(/<del[^>]*>good<\/del>/);
    expect(p1).toMatch(/<ins[^>]*>great<\/ins>/);
    // The same changes side by side, one click away.
    expect(p1).toContain('<details class="editor-side"><summary>Side by side</summary>');
    expect(p1).toContain('<table class="diff-side"');
    expect(p1).toContain("<h2>First</h2>");
    const noteInputs = tags(p1, "input").filter((i) => i.name?.startsWith("note-"));
    expect(noteInputs).toHaveLength(1);
    const noteName = noteInputs[0]!.name!;
    expect(textareaText(p1, "body")).toBe(COPY_BODY);
    expect(declarationCount(t.db)).toBe(1);

    const p2 = await (
      await postForm(
        t.app,
        "/d/test-declaration/copy",
        copyFields({ action: "preview", [noteName]: "Good is not enough." }),
        { csrf: ada },
      )
    ).text();
    expect(inputValue(p2, noteName)).toBe("Good is not enough.");

    const res = await postForm(t.app, "/d/test-declaration/copy", copyFields({ [noteName]: "Good is not enough." }), {
      csrf: ada,
    });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/d/tests-are-great");
    const row = t.db.select().from(declarations).where(eq(declarations.slug, "tests-are-great")).get()!;
    expect(row).toMatchObject({
      sourceRevision: 1,
      sourceUrl: "https://undersign.test/d/test-declaration/v/1",
      sourceTitle: "Test Declaration",
    });

    const pageHtml = await (await getAs(t, "/d/tests-are-great")).text();
    const text = pageText(pageHtml);
    expect(text).toContain("Copy of Test Declaration , version 1.");
    expect(tags(pageHtml, "a").map((a) => a.href)).toContain("https://undersign.test/d/test-declaration/v/1");
    expect(text).toContain("Proposed Changes");
    expect(text).toContain("Changed: “We declare that tests are good.” → “We declare that tests are great.”");
    expect(text).toContain("Note: Good is not enough.");

    const md = await (await getAs(t, "/d/tests-are-great.md")).text();
    expect(md).toContain("source: https://undersign.test/d/test-declaration/v/1\n");
    expect(md).toContain("source_version: 1\n");
    expect(md).toContain("## Proposed Changes");
    expect(md).toContain("*Note:* Good is not enough.");
    // The export can be dropped into another site's declarations/ folder.
    expect(parseDeclarationFile("tests-are-great.md", Buffer.from(md))).toMatchObject({
      slug: "tests-are-great",
      title: "Tests Are Great",
    });
  });

  it("derives the slug from the title when left empty", async () => {
    const t = await setup();
    const ada = await loggedIn(t, "ada");
    const res = await postForm(t.app, "/d/test-declaration/copy", copyFields({ slug: "", title: "Déclaration Nº 2" }), {
      csrf: ada,
    });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/d/declaration-no-2");
  });

  const bad: Array<[string, Record<string, string>, number, string]> = [
    ["an empty title", { title: "  " }, 400, "title"],
    ["a body over 200 KB", { body: "x".repeat(200 * 1024 + 1) }, 400, "body"],
    ["an empty body", { body: "\n\n" }, 400, "body"],
    ["a summary over 1000 characters", { summary: "s".repeat(1001) }, 400, "summary"],
    ["a taken slug", { slug: "test-declaration" }, 409, "slug"],
    ["a reserved slug", { slug: "admin" }, 400, "slug"],
    ["an invalid slug", { slug: "Not A Slug!" }, 400, "slug"],
  ];
  for (const [what, overrides, status, field] of bad) {
    it(`refuses ${what}, keeps the author's text and stores nothing`, async () => {
      const t = await setup();
      const ada = await loggedIn(t, "ada");
      const fields = copyFields(overrides);
      const res = await postForm(t.app, "/d/test-declaration/copy", fields, { csrf: ada });
      expect(res.status).toBe(status);
      const html = await res.text();
      expect(fieldError(html, field)).toBeTruthy();
      expect(textareaText(html, "body")).toBe(fields.body);
      expect(inputValue(html, "title")).toBe(fields.title);
      expect(inputValue(html, "slug")).toBe(fields.slug);
      expect(declarationCount(t.db)).toBe(1);
      expect(revisionCount(t.db)).toBe(1);
    });
  }

  it("refuses a forged form without a CSRF token, keeping the text", async () => {
    const t = await setup();
    const ada = await loggedIn(t, "ada");
    const res = await postForm(t.app, "/d/test-declaration/copy", { ...copyFields(), csrf: "forged" }, { csrf: ada });
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(pageText(html)).toContain("This form expired or was not sent from this site.");
    expect(textareaText(html, "body")).toBe(COPY_BODY);
    expect(declarationCount(t.db)).toBe(1);
  });

  it("answers 404 for an unknown source revision or Declaration, and stores nothing", async () => {
    const t = await setup();
    const ada = await loggedIn(t, "ada");
    expect((await getAs(t, "/d/test-declaration/copy?v=7", ada)).status).toBe(404);
    expect((await getAs(t, "/d/test-declaration/copy?v=x", ada)).status).toBe(404);
    expect((await getAs(t, "/d/nothing-here/copy", ada)).status).toBe(404);
    expect((await postForm(t.app, "/d/test-declaration/copy", copyFields({ v: "7" }), { csrf: ada })).status).toBe(404);
    expect(declarationCount(t.db)).toBe(1);
  });

  it("reads ?v= as a version number: empty for the latest, anything else not found, named in the message", async () => {
    const t = await setup();
    const ada = await loggedIn(t, "ada");
    for (const v of ["", "1"]) {
      const res = await getAs(t, `/d/test-declaration/copy?v=${v}`, ada);
      expect(res.status, v).toBe(200);
      expect(textareaText(await res.text(), "body"), v).toContain("We declare that tests are good.");
    }
    for (const v of ["0", "01", " 1", "1.0", "-1", "9999999999"]) {
      const res = await getAs(t, `/d/test-declaration/copy?v=${encodeURIComponent(v)}`, ada);
      expect(res.status, v).toBe(404);
      expect(pageText(await res.text()), v).toContain(`has no version “${v}”`);
    }
  });

  it("a button other than Publish or Save as draft (or none) previews and stores nothing", async () => {
    const t = await setup();
    const ada = await loggedIn(t, "ada");
    for (const action of ["preview", "PUBLISH", "delete", "", undefined]) {
      const res = await postForm(t.app, "/d/test-declaration/copy", copyFields({ action }), { csrf: ada });
      expect(res.status, String(action)).toBe(200);
      expect(textareaText(await res.text(), "body"), String(action)).toBe(COPY_BODY);
    }
    expect(declarationCount(t.db)).toBe(1);
  });
});

describe("editing a copy", () => {
  async function withCopy() {
    const t = await setup();
    const ada = await loggedIn(t, "ada");
    const res = await postForm(t.app, "/d/test-declaration/copy", copyFields(), { csrf: ada });
    expect(res.status).toBe(303);
    return { t, ada };
  }

  function editFields(overrides: Record<string, string> = {}) {
    return {
      base: "1",
      title: "Tests Are Great",
      summary: "My copy.",
      body: `${COPY_BODY}\nOne more paragraph.\n`,
      changeSummary: "Added a paragraph",
      action: "save",
      ...overrides,
    };
  }

  it("the owner edits: each save a new revision", async () => {
    const { t, ada } = await withCopy();
    const form = await (await getAs(t, "/d/tests-are-great/edit", ada)).text();
    expect(inputValue(form, "base")).toBe("1");
    expect(textareaText(form, "body")).toBe(COPY_BODY);
    const res = await postForm(t.app, "/d/tests-are-great/edit", editFields(), { csrf: ada });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/d/tests-are-great");
    const account = await (await getAs(t, "/account", ada)).text();
    expect(tags(account, "a").map((a) => a.href)).toContain("/d/tests-are-great/edit");
    const html = await (await getAs(t, "/d/tests-are-great")).text();
    expect(pageText(html)).toContain("One more paragraph.");
    expect(pageText(html)).toContain("Version 2");
  });

  it("another user gets 403, a logged-out visitor is sent to log in, and nothing is saved", async () => {
    const { t } = await withCopy();
    const bob = await loggedIn(t, "bob");
    expect((await getAs(t, "/d/tests-are-great/edit", bob)).status).toBe(403);
    expect((await postForm(t.app, "/d/tests-are-great/edit", editFields(), { csrf: bob })).status).toBe(403);
    const out = await getAs(t, "/d/tests-are-great/edit");
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toBe("/login?next=%2Fd%2Ftests-are-great%2Fedit");
    // Declarations without an owner (shipped files) cannot be edited by anyone.
    expect((await getAs(t, "/d/test-declaration/edit", bob)).status).toBe(403);
    expect(revisionCount(t.db)).toBe(2);
  });

  it("a save based on an older revision is refused with 409, the diff of what changed meanwhile and the text kept", async () => {
    const { t, ada } = await withCopy();
    expect(
      (
        await postForm(t.app, "/d/tests-are-great/edit", editFields({ body: `${COPY_BODY}\nMeanwhile paragraph.\n` }), {
          csrf: ada,
        })
      ).status,
    ).toBe(303);
    const mine = `${COPY_BODY}\nMy stale paragraph.\n`;
    const res = await postForm(t.app, "/d/tests-are-great/edit", editFields({ body: mine }), { csrf: ada });
    expect(res.status).toBe(409);
    const html = await res.text();
    expect(pageText(html)).toContain("Version 2 was saved while you were editing");
    expect(html).toMatch(/<ins[^>]*>Meanwhile paragraph\.<\/ins>/);
    expect(textareaText(html, "body")).toBe(mine);
    expect(inputValue(html, "base")).toBe("2");
    expect(revisionCount(t.db)).toBe(3);
    // Saving again, now knowingly based on version 2, works.
    expect(
      (await postForm(t.app, "/d/tests-are-great/edit", editFields({ base: "2", body: mine }), { csrf: ada })).status,
    ).toBe(303);
    expect(revisionCount(t.db)).toBe(4);
  });

  it("edit validation keeps the text and saves nothing", async () => {
    const { t, ada } = await withCopy();
    const res = await postForm(t.app, "/d/tests-are-great/edit", editFields({ title: "" }), { csrf: ada });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(fieldError(html, "title")).toBeTruthy();
    expect(textareaText(html, "body")).toBe(editFields().body);
    const forged = await postForm(t.app, "/d/tests-are-great/edit", { ...editFields(), csrf: "forged" }, { csrf: ada });
    expect(forged.status).toBe(403);
    expect(revisionCount(t.db)).toBe(2);
  });

  it("a base that is not a version of this copy is refused with 400, the text kept, nothing saved", async () => {
    const { t, ada } = await withCopy();
    const fields = editFields();
    const { base: _, ...withoutBase } = fields;
    const forms: [string, Record<string, string>][] = [
      ["none", withoutBase],
      ...["", "abc", "0", "01", "7"].map((base): [string, Record<string, string>] => [base, { ...fields, base }]),
    ];
    for (const [base, form] of forms) {
      const res = await postForm(t.app, "/d/tests-are-great/edit", form, { csrf: ada });
      expect(res.status, base).toBe(400);
      const html = await res.text();
      expect(pageText(html), base).toContain("The version you edited was not found; your text is kept below.");
      expect(textareaText(html, "body"), base).toBe(fields.body);
    }
    // An unknown button previews: nothing saved either.
    const preview = await postForm(t.app, "/d/tests-are-great/edit", editFields({ action: "remove" }), { csrf: ada });
    expect(preview.status).toBe(200);
    // Publishing a copy that is already published is not a save: it previews.
    expect(
      (await postForm(t.app, "/d/tests-are-great/edit", editFields({ action: "publish" }), { csrf: ada })).status,
    ).toBe(200);
    expect(revisionCount(t.db)).toBe(2);
  });
});
