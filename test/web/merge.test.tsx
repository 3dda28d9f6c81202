/**
 * Taking in a source's new version (`/d/:slug/merge`) for a copy of a
 * Declaration on the same site: who may, what the page says when there is
 * nothing to take in, a clean merge, a conflict resolved either way, and
 * every refusal leaving the copy as it was.
 */
import { describe, expect, it } from "vitest";
import { createCopy } from "../../src/db/copies.ts";
import { appendRevision, getDeclarationBySlug } from "../../src/db/declarations.ts";
import { getAs, loggedIn } from "../helpers/accounts.ts";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { inputValue, pageText, postForm, statusNotices, textareaText } from "../helpers/forms.ts";

const V1 = "## One\n\nThe first paragraph.\n\n## Two\n\nThe second paragraph.\n";
const MINE = "## One\n\nThe first paragraph.\n\n## Two\n\nMy second paragraph.\n";
const V2_CLEAN = "## One\n\nThe first paragraph, improved.\n\n## Two\n\nThe second paragraph.\n";
const V2_CONFLICT = "## One\n\nThe first paragraph, improved.\n\n## Two\n\nTheir second paragraph.\n";

async function setup(v2: string | null) {
  const t = await createTestApp();
  const source = addDeclaration(t.db, { slug: "source", title: "Source", body: V1 });
  const ada = await loggedIn(t, "ada");
  const owner = t.db.$client.prepare("SELECT id FROM accounts WHERE username = 'ada'").get() as { id: number };
  t.db.transaction((tx) =>
    createCopy(tx, {
      source,
      sourceRevision: { number: 1, title: "Source" },
      sourceUrl: "https://undersign.test/d/source/v/1",
      ownerId: owner.id,
      slug: "mine",
      title: "Mine",
      summary: "",
      body: MINE,
      notes: {},
    }),
  );
  if (v2 != null)
    t.db.transaction((tx) =>
      appendRevision(tx, source, { title: "Source", summary: "", body: v2, changeSummary: "", origin: "site" }),
    );
  return { t, ada };
}

function copyRow(t: Awaited<ReturnType<typeof createTestApp>>) {
  return getDeclarationBySlug(t.db, "mine")!;
}

describe("taking in the source's new version", () => {
  it("only the owner: logged out goes to log in, someone else gets 403", async () => {
    const { t } = await setup(V2_CLEAN);
    const anonymous = await getAs(t, "/d/mine/merge");
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get("location")).toBe("/login?next=%2Fd%2Fmine%2Fmerge");
    const bob = await loggedIn(t, "bob");
    expect((await getAs(t, "/d/mine/merge", bob)).status).toBe(403);
    expect(
      (await postForm(t.app, "/d/mine/merge", { base: "1", upstream: "2", action: "resolve" }, { csrf: bob })).status,
    ).toBe(403);
    expect(copyRow(t).revision).toBe(1);
  });

  it("says so when the copy is up to date, and the editor shows no notice", async () => {
    const { t, ada } = await setup(null);
    expect(pageText(await (await getAs(t, "/d/mine/merge", ada)).text())).toContain(
      "Your copy is up to date with version 1 of its source.",
    );
    expect((await getAs(t, "/d/mine/edit", ada)).status).toBe(200);
    expect(pageText(await (await getAs(t, "/d/mine/edit", ada)).text())).not.toContain("has a new version");
  });

  it("a clean merge: the notice on the editor, the source's change taken, the copy now points at version 2", async () => {
    const { t, ada } = await setup(V2_CLEAN);
    expect(pageText(await (await getAs(t, "/d/mine/edit", ada)).text())).toContain(
      "The source of this copy has a new version (2).",
    );
    expect(await (await getAs(t, "/account", ada)).text()).toContain(
      '<a href="/d/mine/merge">Its source has a new version</a>',
    );
    const mergeHtml = await (await getAs(t, "/d/mine/merge", ada)).text();
    expect(statusNotices(mergeHtml)).toEqual(["notice success"]);
    const page = pageText(mergeHtml);
    expect(page).toContain("The source’s changes apply cleanly to your copy.");
    const editor = await postForm(
      t.app,
      "/d/mine/merge",
      { base: "1", upstream: "2", action: "resolve" },
      { csrf: ada },
    );
    expect(editor.status).toBe(200);
    const html = await editor.text();
    const body = textareaText(html, "body")!;
    expect(body).toBe("## One\n\nThe first paragraph, improved.\n\n## Two\n\nMy second paragraph.\n");
    // Proposed Changes against version 2: only the owner's own change is left.
    expect(pageText(html)).toContain("My second paragraph");
    expect(pageText(html)).not.toContain("Added: “, improved”");
    const saved = await postForm(
      t.app,
      "/d/mine/merge",
      {
        base: "1",
        upstream: "2",
        step: "edit",
        title: "Mine",
        summary: "",
        body,
        changeSummary: inputValue(html, "changeSummary") ?? "",
        action: "save",
      },
      { csrf: ada },
    );
    expect(saved.status).toBe(303);
    expect(copyRow(t)).toMatchObject({
      revision: 2,
      sourceRevision: 2,
      sourceUrl: "https://undersign.test/d/source/v/2",
      sourceTitle: "Source",
    });
    const copyPage = pageText(await (await getAs(t, "/d/mine")).text());
    expect(copyPage).toMatch(/Copy of Source ?, version 2\./);
    expect(pageText(await (await getAs(t, "/d/mine/merge", ada)).text())).toContain("up to date with version 2");
    expect(await (await getAs(t, "/account", ada)).text()).not.toContain("Its source has a new version");
  });

  it("a conflict, resolved for the source's side", async () => {
    const { t, ada } = await setup(V2_CONFLICT);
    const page = pageText(await (await getAs(t, "/d/mine/merge", ada)).text());
    expect(page).toContain("1 conflict");
    const html = await (
      await postForm(
        t.app,
        "/d/mine/merge",
        { base: "1", upstream: "2", "choice-0": "theirs", action: "resolve" },
        { csrf: ada },
      )
    ).text();
    expect(textareaText(html, "body")).toBe(V2_CONFLICT);
  });

  it("refuses a stale version, an unknown base, an expired form and an empty text, writing nothing", async () => {
    const { t, ada } = await setup(V2_CONFLICT);
    // The form was for version 3, which does not exist: the merge page is shown again.
    const stale = await postForm(
      t.app,
      "/d/mine/merge",
      { base: "1", upstream: "3", step: "edit", title: "Mine", summary: "", body: "x", action: "save" },
      { csrf: ada },
    );
    expect(stale.status).toBe(200);
    expect(pageText(await stale.text())).toContain("Take in version 2 of the source");
    const badBase = await postForm(
      t.app,
      "/d/mine/merge",
      { base: "9", upstream: "2", step: "edit", title: "Mine", summary: "", body: "x", action: "save" },
      { csrf: ada },
    );
    expect(pageText(await badBase.text())).toContain("Take in version 2 of the source");
    const expired = await postForm(
      t.app,
      "/d/mine/merge",
      {
        csrf: "forged",
        base: "1",
        upstream: "2",
        step: "edit",
        title: "Mine",
        summary: "",
        body: MINE,
        action: "save",
      },
      { csrf: ada },
    );
    expect(expired.status).toBe(403);
    expect(textareaText(await expired.text(), "body")).toBe(MINE);
    const empty = await postForm(
      t.app,
      "/d/mine/merge",
      { base: "1", upstream: "2", step: "edit", title: "", summary: "", body: "   ", action: "save" },
      { csrf: ada },
    );
    expect(empty.status).toBe(400);
    const emptyHtml = await empty.text();
    expect(emptyHtml).toContain('id="title-error"');
    expect(emptyHtml).toContain('id="body-error"');
    expect(copyRow(t)).toMatchObject({ revision: 1, sourceRevision: 1 });
  });
});
