/**
 * The site owner's moderation on the web, and how copies are told from the
 * original: `/` marks and groups them, a copy's page says whose copy of what
 * it is, an identical copy is not published, and the owner lists,
 * unpublishes, hides and deletes any Declaration or copy with a reason its
 * author is shown — allowed to admins only.
 */
import { describe, expect, it } from "vitest";
import { createAccount, createSession, findAccountByUsername } from "../../src/db/accounts.ts";
import type { Db } from "../../src/db/client.ts";
import { getDeclarationBySlug } from "../../src/db/declarations.ts";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { getAs, loggedIn } from "../helpers/accounts.ts";
import {
  checkedRadio,
  csrfFrom,
  type CsrfPair,
  inputValue,
  pageText,
  postForm,
  signForm,
  statusNotices,
  tags,
  textareaText,
} from "../helpers/forms.ts";

type App = Awaited<ReturnType<typeof createTestApp>>;

const SOURCE_BODY = "## First\n\nWe declare that tests are good.\n\n## Second\n\nEvery test deserves a name.\n";
const COPY_BODY = "## First\n\nWe declare that tests are great and fast.\n\n## Second\n\nEvery test deserves a name.\n";

async function admin(t: App, username = "boss"): Promise<CsrfPair> {
  if (findAccountByUsername(t.db, username) == null) {
    const outcome = createAccount(t.db, { username, passwordHash: "unused", role: "admin" });
    if (outcome.kind !== "created") throw new Error(outcome.kind);
  }
  const { token } = createSession(t.db, findAccountByUsername(t.db, username)!.id);
  const pair = await csrfFrom(t.app, "/login");
  return { cookie: `${pair.cookie}; __Host-session=${token}`, csrf: pair.csrf };
}

async function setup(): Promise<App> {
  const t = await createTestApp();
  addDeclaration(t.db, { body: SOURCE_BODY });
  return t;
}

/** Alice publishes a copy through the editor; returns her browser. */
async function aliceCopies(t: App, slug = "tests-are-great", body = COPY_BODY): Promise<CsrfPair> {
  const alice = await loggedIn(t, "alice");
  const res = await postForm(
    t.app,
    "/d/test-declaration/copy",
    { v: "1", title: "Tests Are Great", summary: "", slug, body, action: "publish" },
    { csrf: alice },
  );
  expect(res.status, await res.clone().text()).toBe(303);
  return alice;
}

function fieldError(html: string, field: string): string | undefined {
  const m = new RegExp(`<p class="field-error" id="${field}-error">([\\s\\S]*?)</p>`).exec(html);
  return m == null ? undefined : pageText(m[1]!);
}

/** The page's text with the spaces `pageText` leaves before punctuation (at tag ends) removed. */
const prose = (html: string) => pageText(html).replace(/ ([,.)])/g, "$1");

const count = (db: Db, sql: string, ...params: unknown[]) =>
  (db.$client.prepare(sql).get(...params) as { n: number }).n;

describe("copies are told from the original", () => {
  it("/ lists the site's own Declaration first, marked, with its copies under it naming author and words changed", async () => {
    const t = await setup();
    await aliceCopies(t);
    const html = await (await getAs(t, "/")).text();
    const text = pageText(html);
    expect(text).toContain("This site’s Declarations");
    expect(text.indexOf("Test Declaration")).toBeLessThan(text.indexOf("Tests Are Great"));
    expect(text).toContain("This site’s Declaration");
    // Grouped under its source: the copy's line names its author and how many words differ.
    expect(html).toMatch(
      /<li class="copies-group">[\s\S]*Tests Are Great[\s\S]*by <strong>alice<\/strong> · 4 words differ/,
    );
    expect(text).toContain("1 copy of “Test Declaration” with proposed changes");
  });

  it("a copy whose source is not listed goes in its own section and says what it copies", async () => {
    const t = await setup();
    await aliceCopies(t);
    const boss = await admin(t);
    await postForm(t.app, "/admin/declarations/test-declaration", { action: "hide", reason: "Old" }, { csrf: boss });
    const text = pageText(await (await getAs(t, "/")).text());
    expect(text).toContain("Copies");
    expect(text).toMatch(/Copy of Test Declaration \(version 1\) by alice · 4 words differ/);
  });

  it("a copy's page says “Copy of … by …” above its title", async () => {
    const t = await setup();
    await aliceCopies(t);
    const html = await (await getAs(t, "/d/tests-are-great")).text();
    const banner = /<p class="provenance copy-banner">([\s\S]*?)<\/p>/.exec(html)?.[1];
    expect(prose(banner ?? "")).toMatch(/^Copy of Test Declaration, version 1, by alice\./);
    expect(html.indexOf("copy-banner")).toBeLessThan(html.indexOf('id="declaration-title"'));
  });
});

describe("an identical copy is not published", () => {
  it("is refused with the error on the text, everything typed kept, nothing stored — whitespace changes are not changes", async () => {
    const t = await setup();
    const alice = await loggedIn(t, "alice");
    for (const body of [
      SOURCE_BODY,
      `\n${SOURCE_BODY.replace("are good.", "are good.   ").replace(/\n\n/g, "\n\n\n")}  \n`,
    ]) {
      const res = await postForm(
        t.app,
        "/d/test-declaration/copy",
        { v: "1", title: "My Same Text", summary: "Mine", slug: "same-text", body, action: "publish" },
        { csrf: alice },
      );
      expect(res.status).toBe(400);
      const html = await res.text();
      expect(fieldError(html, "body")).toContain("Your text is the same as version 1 of “Test Declaration”");
      expect(inputValue(html, "title")).toBe("My Same Text");
      expect(inputValue(html, "slug")).toBe("same-text");
      expect(textareaText(html, "body")).toBe(body);
      expect(count(t.db, "SELECT count(*) AS n FROM declarations")).toBe(1);
    }
  });

  it("a draft may start identical, but publishing it, or saving a published copy back to the source's text, is refused", async () => {
    const t = await setup();
    const alice = await loggedIn(t, "alice");
    const draft = await postForm(
      t.app,
      "/d/test-declaration/copy",
      { v: "1", title: "Draft", summary: "", slug: "draft-copy", body: SOURCE_BODY, action: "draft" },
      { csrf: alice },
    );
    expect(draft.status).toBe(303);
    const publish = await postForm(t.app, "/d/draft-copy/publish", {}, { csrf: alice });
    expect(publish.status).toBe(409);
    expect(pageText(await publish.text())).toContain("Your text is the same as version 1");
    expect(getDeclarationBySlug(t.db, "draft-copy")!.status).toBe("draft");
    const viaEditor = await postForm(
      t.app,
      "/d/draft-copy/edit",
      { base: "1", title: "Draft", summary: "", body: SOURCE_BODY, changeSummary: "", action: "publish" },
      { csrf: alice },
    );
    expect(viaEditor.status).toBe(400);
    expect(fieldError(await viaEditor.text(), "body")).toContain("the same as version 1");

    await aliceCopies(t);
    const back = await postForm(
      t.app,
      "/d/tests-are-great/edit",
      { base: "1", title: "Tests Are Great", summary: "", body: SOURCE_BODY, changeSummary: "", action: "save" },
      { csrf: alice },
    );
    expect(back.status).toBe(400);
    expect(getDeclarationBySlug(t.db, "tests-are-great")!.revision).toBe(1);
  });

  it("stores the words changed when saved, and updates them with each version", async () => {
    const t = await setup();
    const alice = await aliceCopies(t);
    // "good." → "great and fast.": one word removed, three added.
    expect(getDeclarationBySlug(t.db, "tests-are-great")!.wordsChanged).toBe(4);
    const res = await postForm(
      t.app,
      "/d/tests-are-great/edit",
      {
        base: "1",
        title: "Tests Are Great",
        summary: "",
        body: COPY_BODY.replace("deserves a name", "deserves a good name"),
        changeSummary: "",
        action: "save",
      },
      { csrf: alice },
    );
    expect(res.status).toBe(303);
    expect(getDeclarationBySlug(t.db, "tests-are-great")!.wordsChanged).toBe(5);
  });
});

describe("who may moderate", () => {
  it("anonymous visitors are sent to log in, authors (the copy's own too) get 403, the admin gets the page", async () => {
    const t = await setup();
    const alice = await aliceCopies(t);
    const bob = await loggedIn(t, "bob");
    for (const path of ["/admin/declarations", "/admin/declarations/tests-are-great"]) {
      const anonymous = await getAs(t, path);
      expect(anonymous.status).toBe(303);
      expect(anonymous.headers.get("location")).toMatch(/^\/login\?next=/);
      expect((await getAs(t, path, alice)).status).toBe(403);
      expect((await getAs(t, path, bob)).status).toBe(403);
    }
    const boss = await admin(t);
    const page = await getAs(t, "/admin/declarations", boss);
    expect(page.status).toBe(200);
    expect(page.headers.get("cache-control")).toContain("no-store");
    const text = pageText(await page.text());
    expect(text).toContain("Test Declaration");
    expect(text).toContain("Tests Are Great");

    const form = { action: "unpublish", reason: "Spam" };
    expect((await postForm(t.app, "/admin/declarations/tests-are-great", form, { csrf: alice })).status).toBe(403);
    expect((await postForm(t.app, "/admin/declarations/tests-are-great", form, { csrf: bob })).status).toBe(403);
    const anonymous = await postForm(t.app, "/admin/declarations/tests-are-great", form, { csrf: null });
    expect(anonymous.status).toBe(303);
    const forged = await postForm(t.app, "/admin/declarations/tests-are-great", form, {
      csrf: { cookie: boss.cookie, csrf: "forged" },
      headers: { "Sec-Fetch-Site": "cross-site" },
    });
    expect(forged.status).toBe(403);
    expect(getDeclarationBySlug(t.db, "tests-are-great")!.status).toBe("published");
  });

  it("the admin opening a copy's editor is taken to its moderation page; another author still gets 403", async () => {
    const t = await setup();
    await aliceCopies(t);
    const boss = await admin(t);
    const res = await getAs(t, "/d/tests-are-great/edit", boss);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/admin/declarations/tests-are-great");
    expect((await getAs(t, "/d/tests-are-great/edit", await loggedIn(t, "bob"))).status).toBe(403);
  });

  it("a reason is required to unpublish, hide or delete; a bad action is refused; nothing changes", async () => {
    const t = await setup();
    await aliceCopies(t);
    const boss = await admin(t);
    for (const action of ["unpublish", "hide", "delete"]) {
      const res = await postForm(
        t.app,
        "/admin/declarations/tests-are-great",
        { action, reason: "  " },
        { csrf: boss },
      );
      expect(res.status).toBe(400);
      const html = await res.text();
      expect(fieldError(html, "reason")).toBe("Please give a reason: the author is shown it.");
      expect(checkedRadio(html, "action")).toBe(action);
    }
    const bad = await postForm(
      t.app,
      "/admin/declarations/tests-are-great",
      { action: "burn", reason: "x" },
      { csrf: boss },
    );
    expect(bad.status).toBe(400);
    expect(fieldError(await bad.text(), "action")).toBe("Please choose what to do.");
    const long = await postForm(
      t.app,
      "/admin/declarations/tests-are-great",
      { action: "hide", reason: "x".repeat(1001) },
      { csrf: boss },
    );
    expect(long.status).toBe(400);
    expect(textareaText(await long.text(), "reason")).toBe("x".repeat(1001));
    const d = getDeclarationBySlug(t.db, "tests-are-great")!;
    expect([d.status, d.hidden]).toEqual(["published", false]);
    expect(count(t.db, "SELECT count(*) AS n FROM moderation_actions")).toBe(0);
  });
});

describe("the owner's actions, with the reason shown to the author", () => {
  it("hide: off /, the page stays (and can be signed), the author reads why in the editor and on their account", async () => {
    const t = await setup();
    const alice = await aliceCopies(t);
    const boss = await admin(t);
    const res = await postForm(
      t.app,
      "/admin/declarations/tests-are-great",
      { action: "hide", reason: "Too close to the original" },
      { csrf: boss },
    );
    expect(res.status).toBe(303);
    expect(pageText(await (await getAs(t, "/")).text())).not.toContain("Tests Are Great");
    expect((await getAs(t, "/d/tests-are-great")).status).toBe(200);
    const signed = await signForm(t.app, { name: "Ada" }, { slug: "tests-are-great" });
    expect(signed.status).toBe(303);
    const editor = pageText(await (await getAs(t, "/d/tests-are-great/edit", alice)).text());
    expect(editor).toContain("Left off the list on the home page by the site’s owner: “Too close to the original”.");
    const account = pageText(await (await getAs(t, "/account", alice)).text());
    expect(account).toContain("Left off the list on the home page by the site’s owner: “Too close to the original”.");

    // Shown again: back on /, the note is gone.
    await postForm(t.app, "/admin/declarations/tests-are-great", { action: "show", reason: "" }, { csrf: boss });
    expect(pageText(await (await getAs(t, "/")).text())).toContain("Tests Are Great");
    expect(pageText(await (await getAs(t, "/account", alice)).text())).not.toContain("Left off the list");
  });

  it("unpublish: withdrawn, its author sees the reason and cannot publish it again; the owner can", async () => {
    const t = await setup();
    const alice = await aliceCopies(t);
    const boss = await admin(t);
    await postForm(
      t.app,
      "/admin/declarations/tests-are-great",
      { action: "unpublish", reason: "Misleading title" },
      { csrf: boss },
    );
    expect(getDeclarationBySlug(t.db, "tests-are-great")!.status).toBe("withdrawn");
    const ownPage = pageText(await (await getAs(t, "/d/tests-are-great", alice)).text());
    expect(ownPage).toContain("Unpublished by the site’s owner");
    expect(ownPage).toContain("Their reason: Misleading title");
    expect(ownPage).toContain("withdrawn by the site’s owner");
    const visitor = pageText(await (await getAs(t, "/d/tests-are-great")).text());
    expect(visitor).not.toContain("Misleading title");
    expect(pageText(await (await getAs(t, "/d/tests-are-great/edit", alice)).text())).toContain(
      "Unpublished by the site’s owner: “Misleading title”.",
    );
    expect(pageText(await (await getAs(t, "/account", alice)).text())).toContain("Misleading title");
    const again = await postForm(t.app, "/d/tests-are-great/publish", {}, { csrf: alice });
    expect(again.status).toBe(409);
    expect(pageText(await again.text())).toContain("only they can publish it again");
    expect(getDeclarationBySlug(t.db, "tests-are-great")!.status).toBe("withdrawn");
    await postForm(t.app, "/admin/declarations/tests-are-great", { action: "publish", reason: "" }, { csrf: boss });
    expect(getDeclarationBySlug(t.db, "tests-are-great")!.status).toBe("published");
  });

  it("delete: the copy, its versions and signatures go in one write; the author's account says why; the address is not given out again", async () => {
    const t = await setup();
    const alice = await aliceCopies(t);
    expect((await signForm(t.app, { name: "Ada" }, { slug: "tests-are-great" })).status).toBe(303);
    const id = getDeclarationBySlug(t.db, "tests-are-great")!.id;
    const boss = await admin(t);
    const res = await postForm(
      t.app,
      "/admin/declarations/tests-are-great",
      { action: "delete", reason: "Copied spam" },
      { csrf: boss },
    );
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/admin/declarations?done=delete");
    expect(getDeclarationBySlug(t.db, "tests-are-great")).toBeUndefined();
    for (const table of ["revisions", "signatures", "fed_posts"])
      expect(count(t.db, `SELECT count(*) AS n FROM ${table} WHERE declaration_id = ?`, id), table).toBe(0);
    expect((await getAs(t, "/d/tests-are-great")).status).toBe(404);
    expect(getDeclarationBySlug(t.db, "test-declaration")).toBeDefined();
    const account = pageText(await (await getAs(t, "/account", alice)).text());
    expect(account).toContain("Deleted by the site’s owner");
    expect(account).toContain("Deleted by the site’s owner: “Copied spam”.");
    const retry = await postForm(
      t.app,
      "/d/test-declaration/copy",
      { v: "1", title: "Tests Are Great", summary: "", slug: "tests-are-great", body: COPY_BODY, action: "publish" },
      { csrf: alice },
    );
    expect(retry.status).toBe(409);
  });

  it("the site's own Declaration can be moderated too, and its copies keep saying what they copy", async () => {
    const t = await setup();
    await aliceCopies(t);
    const boss = await admin(t);
    await postForm(
      t.app,
      "/admin/declarations/test-declaration",
      { action: "delete", reason: "Replaced" },
      { csrf: boss },
    );
    expect(getDeclarationBySlug(t.db, "test-declaration")).toBeUndefined();
    const text = pageText(await (await getAs(t, "/")).text());
    expect(text).toMatch(/Copy of Test Declaration \(version 1\) by alice/);
  });
});

describe("reports from visitors", () => {
  it("a visitor reports without an account; only the reason is kept; it lands in the queue and the owner resolves it", async () => {
    const t = await setup();
    await aliceCopies(t);
    const page = await getAs(t, "/d/tests-are-great/report");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(tags(html, "form").map((f) => f.action)).toContain("/d/tests-are-great/report");
    const pair = await csrfFrom(t.app, "/d/tests-are-great/report");
    const res = await postForm(
      t.app,
      "/d/tests-are-great/report",
      { reason: "This copy pretends to be the original." },
      { csrf: pair, headers: { "X-Forwarded-For": "203.0.113.9" } },
    );
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/d/tests-are-great/report?sent=1");
    expect(statusNotices(await (await t.app.request("/d/tests-are-great/report?sent=1")).text())).toEqual([
      "notice success",
    ]);
    expect(t.db.$client.prepare("SELECT * FROM visitor_reports").all()).toEqual([
      expect.objectContaining({ reason: "This copy pretends to be the original.", resolved: null }),
    ]);
    expect(JSON.stringify(t.db.$client.prepare("SELECT * FROM visitor_reports").all())).not.toContain("203.0.113");

    const boss = await admin(t);
    const queue = await (await getAs(t, "/admin/declarations", boss)).text();
    expect(pageText(queue)).toContain("A visitor reported Tests Are Great");
    expect(pageText(queue)).toContain("This copy pretends to be the original.");
    const id = (t.db.$client.prepare("SELECT id FROM visitor_reports").get() as { id: number }).id;
    expect(tags(queue, "form").map((f) => f.action)).toContain(`/admin/declarations/reports/visitor/${id}`);

    const missing = await postForm(
      t.app,
      `/admin/declarations/reports/visitor/${id}`,
      { resolution: "hide", reason: "" },
      { csrf: boss },
    );
    expect(missing.status).toBe(400);
    expect(fieldError(await missing.text(), `reason-visitor-${id}`)).toBe(
      "Please give a reason: the author is shown it.",
    );
    const done = await postForm(
      t.app,
      `/admin/declarations/reports/visitor/${id}`,
      { resolution: "hide", reason: "Reported as misleading" },
      { csrf: boss },
    );
    expect(done.status).toBe(303);
    expect(getDeclarationBySlug(t.db, "tests-are-great")!.hidden).toBe(true);
    expect(t.db.$client.prepare("SELECT resolution FROM visitor_reports").get()).toEqual({ resolution: "hidden" });
    const again = await postForm(
      t.app,
      `/admin/declarations/reports/visitor/${id}`,
      { resolution: "dismiss", reason: "" },
      { csrf: boss },
    );
    expect(again.status).toBe(404);
    const refused = await again.text();
    expect(pageText(refused)).toContain("That report does not exist or was resolved already.");
    expect(statusNotices(refused)).toEqual(["notice"]);
    expect(statusNotices(await (await getAs(t, "/admin/declarations?done=hide", boss)).text())).toEqual([
      "notice success",
    ]);
    expect(statusNotices(await (await getAs(t, "/admin/declarations?done=unchanged", boss)).text())).toEqual([
      "notice",
    ]);
    expect(
      (await postForm(t.app, "/admin/declarations/reports/other/1", { resolution: "dismiss" }, { csrf: boss })).status,
    ).toBe(404);
  });

  it("refuses bad input with the field named and the text kept; an expired form too", async () => {
    const t = await setup();
    const cases: [string, number, string][] = [
      ["", 400, "Please say what is wrong with this Declaration."],
      ["   \u200b ", 400, "Please say what is wrong with this Declaration."],
      ["spam", 400, "Please say a little more (at least 10 characters)."],
      ["x".repeat(2001), 400, "The reason is longer than 2000 characters."],
    ];
    for (const [reason, status, message] of cases) {
      const pair = await csrfFrom(t.app, "/d/test-declaration/report");
      const res = await postForm(t.app, "/d/test-declaration/report", { reason }, { csrf: pair });
      expect(res.status, reason).toBe(status);
      const html = await res.text();
      expect(fieldError(html, "reason")).toBe(message);
      expect(textareaText(html, "reason")).toBe(reason);
    }
    const expired = await postForm(
      t.app,
      "/d/test-declaration/report",
      { reason: "A perfectly fine reason." },
      { csrf: { cookie: "", csrf: "nope" }, headers: { "Sec-Fetch-Site": "cross-site" } },
    );
    expect(expired.status).toBe(403);
    expect(textareaText(await expired.text(), "reason")).toBe("A perfectly fine reason.");
    expect((await getAs(t, "/d/nothing-here/report")).status).toBe(404);
    expect(count(t.db, "SELECT count(*) AS n FROM visitor_reports")).toBe(0);
  });

  it("a draft cannot be reported (its address stays private)", async () => {
    const t = await setup();
    addDeclaration(t.db, { slug: "secret", title: "Secret", status: "draft" });
    expect((await getAs(t, "/d/secret/report")).status).toBe(404);
    const pair = await csrfFrom(t.app, "/d/test-declaration/report");
    expect((await postForm(t.app, "/d/secret/report", { reason: "Just looking around" }, { csrf: pair })).status).toBe(
      404,
    );
  });

  it("limits reports per client: the sixth within an hour is refused with Retry-After, the text kept", async () => {
    const t = await setup();
    const from = { "X-Forwarded-For": "198.51.100.7" };
    for (let i = 0; i < 5; i++) {
      const pair = await csrfFrom(t.app, "/d/test-declaration/report");
      const res = await postForm(
        t.app,
        "/d/test-declaration/report",
        { reason: `Report number ${i} here` },
        { csrf: pair, headers: from },
      );
      expect(res.status).toBe(303);
    }
    const pair = await csrfFrom(t.app, "/d/test-declaration/report");
    const res = await postForm(
      t.app,
      "/d/test-declaration/report",
      { reason: "One report too many" },
      { csrf: pair, headers: from },
    );
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(textareaText(await res.text(), "reason")).toBe("One report too many");
    expect(count(t.db, "SELECT count(*) AS n FROM visitor_reports")).toBe(5);
  });
});
