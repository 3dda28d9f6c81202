/** Drafts (private to their owner until published) and unpublishing (withdrawn, readable, not signable). */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { findAccountByUsername } from "../../src/db/accounts.ts";
import { declarations } from "../../src/db/schema.ts";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { getAs, loggedIn } from "../helpers/accounts.ts";
import { csrfFrom, pageText, postForm, signForm, tags, tokenFrom } from "../helpers/forms.ts";

type App = Awaited<ReturnType<typeof createTestApp>>;

const SOURCE_BODY = "## First\n\nWe declare that tests are good.\n";
const COPY_BODY = "## First\n\nWe declare that tests are great.\n\nA new paragraph.\n";

function row(t: App, slug: string) {
  return t.db.select().from(declarations).where(eq(declarations.slug, slug)).get()!;
}

/** An app with a source Declaration and alice's Copy `mine`, published or as a draft. */
async function setup(action: "publish" | "draft") {
  const t = await createTestApp();
  addDeclaration(t.db, { body: SOURCE_BODY });
  const alice = await loggedIn(t, "alice");
  const bob = await loggedIn(t, "bob");
  const res = await postForm(
    t.app,
    "/d/test-declaration/copy",
    { v: "1", title: "Mine", summary: "", slug: "mine", body: COPY_BODY, action },
    { csrf: alice },
  );
  expect(res.status).toBe(303);
  expect(res.headers.get("location")).toBe("/d/mine");
  return { t, alice, bob };
}

describe("drafts", () => {
  it("“Save as draft” stores a draft that only its owner sees, with a notice and a Publish button", async () => {
    const { t, alice, bob } = await setup("draft");
    expect(row(t, "mine").status).toBe("draft");
    const own = await getAs(t, "/d/mine", alice);
    expect(own.status).toBe(200);
    expect(own.headers.get("cache-control")).toBe("no-store");
    const html = await own.text();
    expect(pageText(html)).toContain("Draft — only you can see this");
    expect(tags(html, "form").map((f) => f.action)).toContain("/d/mine/publish");
    expect(html).not.toContain('id="sign"');
    expect((await getAs(t, "/d/mine/edit", alice)).status).toBe(200);
    for (const who of [bob, undefined]) {
      for (const path of [
        "/d/mine",
        "/d/mine/edit",
        "/d/mine/v/1",
        "/d/mine/history",
        "/d/mine.md",
        "/d/mine/sign",
        "/d/mine/signatures",
      ]) {
        expect((await getAs(t, path, who)).status, `${path} as ${who == null ? "nobody" : "bob"}`).toBe(404);
      }
    }
  });

  it("is not listed, not in the API and not signable", async () => {
    const { t, alice } = await setup("draft");
    expect(pageText(await (await getAs(t, "/", alice)).text())).not.toContain("Mine");
    const list = (await (await getAs(t, "/api/declarations")).json()) as { declarations: { slug: string }[] };
    expect(list.declarations.map((d) => d.slug)).not.toContain("mine");
    expect((await getAs(t, "/api/declarations/mine")).status).toBe(404);
    const api = await t.app.request("/api/declarations/mine/signatures", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: "Ada" }),
    });
    expect(api.status).toBe(404);
    const csrf = await csrfFrom(t.app);
    expect((await signForm(t.app, {}, { slug: "mine", csrf })).status).toBe(404);
  });

  it("editing a draft keeps it a draft; Publish (from the editor or the notice) publishes it", async () => {
    const { t, alice, bob } = await setup("draft");
    const edit = await getAs(t, "/d/mine/edit", alice);
    const buttons = tags(await edit.text(), "button").map((b) => b.value);
    expect(buttons).toEqual(expect.arrayContaining(["preview", "save", "publish"]));
    const saved = await postForm(
      t.app,
      "/d/mine/edit",
      { base: "1", title: "Mine", summary: "", body: `${COPY_BODY}\nMore.\n`, changeSummary: "", action: "save" },
      { csrf: alice },
    );
    expect(saved.status).toBe(303);
    expect(row(t, "mine")).toMatchObject({ status: "draft", revision: 2 });
    const published = await postForm(
      t.app,
      "/d/mine/edit",
      {
        base: "2",
        title: "Mine",
        summary: "",
        body: `${COPY_BODY}\nMore again.\n`,
        changeSummary: "",
        action: "publish",
      },
      { csrf: alice },
    );
    expect(published.status).toBe(303);
    expect(row(t, "mine")).toMatchObject({ status: "published", revision: 3 });
    expect((await getAs(t, "/d/mine", bob)).status).toBe(200);
    expect(pageText(await (await getAs(t, "/")).text())).toContain("Mine");
  });

  it("the notice's Publish button publishes; only the owner, with a valid CSRF token", async () => {
    const { t, alice, bob } = await setup("draft");
    expect((await postForm(t.app, "/d/mine/publish", {}, { csrf: bob })).status).toBe(404);
    expect((await postForm(t.app, "/d/mine/publish", { csrf: "forged" }, { csrf: alice })).status).toBe(403);
    expect(row(t, "mine").status).toBe("draft");
    const res = await postForm(t.app, "/d/mine/publish", {}, { csrf: alice });
    expect(res.status).toBe(303);
    expect(row(t, "mine").status).toBe("published");
    const html = await (await getAs(t, "/d/mine")).text();
    expect(html).toContain('id="sign"');
  });

  it("the account page marks drafts", async () => {
    const { t, alice } = await setup("draft");
    expect(pageText(await (await getAs(t, "/account", alice)).text())).toMatch(/Mine \(version 1\s*, draft\)/);
  });
});

describe("unpublishing", () => {
  it("only the owner can unpublish, with a valid CSRF token; the editor explains it first", async () => {
    const { t, alice, bob } = await setup("publish");
    const edit = await (await getAs(t, "/d/mine/edit", alice)).text();
    expect(tags(edit, "form").map((f) => f.action)).toContain("/d/mine/unpublish");
    expect(pageText(edit)).toContain("Unpublishing takes this Declaration off the list and stops new signatures");
    expect((await postForm(t.app, "/d/mine/unpublish", {}, { csrf: bob })).status).toBe(403);
    expect((await postForm(t.app, "/d/mine/unpublish", {}, { csrf: null })).status).toBe(303); // logged out: to the login
    expect((await postForm(t.app, "/d/mine/unpublish", { csrf: "forged" }, { csrf: alice })).status).toBe(403);
    expect(row(t, "mine").status).toBe("published");
  });

  it("a withdrawn Declaration says who withdrew it, keeps its text, is unlisted and refuses signatures; private links keep working", async () => {
    const { t, alice, bob } = await setup("publish");
    const token = tokenFrom(await signForm(t.app, { name: "Grace Hopper" }, { slug: "mine" }));
    // The page is cached between writes: view it first so a stale copy would show.
    expect(await (await getAs(t, "/d/mine")).text()).toContain('id="sign"');

    const res = await postForm(t.app, "/d/mine/unpublish", {}, { csrf: alice });
    expect(res.status).toBe(303);
    const d = row(t, "mine");
    expect(d.status).toBe("withdrawn");
    expect(d.withdrawnAt).toBeInstanceOf(Date);
    expect(d.withdrawnBy).toBe(findAccountByUsername(t.db, "alice")!.id);

    for (const who of [bob, undefined]) {
      const page = await getAs(t, "/d/mine", who);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(
        pageText(html)
          .replace(/^.*?(This Declaration)/s, "$1")
          .slice(0, 200),
      ).toMatch(/^This Declaration was withdrawn by alice on \w/);
      expect(pageText(html)).toContain("A new paragraph.");
      expect(html).not.toContain('id="sign"');
      expect(tags(html, "form").map((f) => f.action)).not.toContain("/d/mine/publish");
    }
    expect(pageText(await (await getAs(t, "/")).text())).not.toContain("Mine");
    const list = (await (await getAs(t, "/api/declarations")).json()) as { declarations: { slug: string }[] };
    expect(list.declarations.map((x) => x.slug)).not.toContain("mine");
    expect((await getAs(t, "/api/declarations/mine")).status).toBe(410);

    expect((await getAs(t, "/d/mine/sign")).status).toBe(409);
    const csrf = await csrfFrom(t.app);
    const refused = await signForm(t.app, { name: "Ada Lovelace" }, { slug: "mine", csrf });
    expect(refused.status).toBe(409);
    expect(pageText(await refused.text())).toContain("withdrawn by alice");
    const api = await t.app.request("/api/declarations/mine/signatures", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: "Ada" }),
    });
    expect(api.status).toBe(409);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe("withdrawn");
    expect(row(t, "mine").signatureCount).toBe(1);

    const privatePage = await getAs(t, `/s/${token}`);
    expect(privatePage.status).toBe(200);
    // No "sign the newer version" on a withdrawn Declaration.
    expect(await privatePage.text()).not.toContain(`/s/${token}/resign`);
    const json = await getAs(t, `/s/${token}.json`);
    expect(json.status).toBe(200);
    expect(JSON.stringify(await json.json())).toContain("Grace Hopper");
    expect((await getAs(t, "/d/mine/signatures")).status).toBe(200);
    expect((await getAs(t, "/d/mine/history")).status).toBe(200);
  });

  it("the owner sees “Publish again”, which restores it", async () => {
    const { t, alice } = await setup("publish");
    await postForm(t.app, "/d/mine/unpublish", {}, { csrf: alice });
    const own = await (await getAs(t, "/d/mine", alice)).text();
    expect(pageText(own)).toContain("Publish again");
    expect(pageText(await (await getAs(t, "/d/mine/edit", alice)).text())).toContain("Publish again");
    const res = await postForm(t.app, "/d/mine/publish", {}, { csrf: alice });
    expect(res.status).toBe(303);
    expect(row(t, "mine")).toMatchObject({ status: "published", withdrawnAt: null, withdrawnBy: null });
    const html = await (await getAs(t, "/d/mine")).text();
    expect(html).toContain('id="sign"');
    expect(pageText(html)).not.toContain("withdrawn");
    expect(pageText(await (await getAs(t, "/")).text())).toContain("Mine");
    expect((await getAs(t, "/api/declarations/mine")).status).toBe(200);
  });

  it("a draft cannot be unpublished (it is private already)", async () => {
    const { t, alice } = await setup("draft");
    expect((await postForm(t.app, "/d/mine/unpublish", {}, { csrf: alice })).status).toBe(303);
    expect(row(t, "mine").status).toBe("draft");
  });
});
