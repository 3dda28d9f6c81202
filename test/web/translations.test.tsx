/**
 * Translations of a Declaration: made by a logged-in account, published or
 * kept as a draft, listed on the original with their language (and the
 * original on them), hreflang alternates, flagged when the original changes
 * (with the diff of what changed), signatures counted per language, and
 * every bad input answered with the field named and the input kept.
 */
import { describe, expect, it } from "vitest";
import { appendRevision, getDeclarationBySlug } from "../../src/db/declarations.ts";
import type { Db } from "../../src/db/client.ts";
import { recountSignatures } from "../../src/db/signatures.ts";
import { loggedIn } from "../helpers/accounts.ts";
import { addDeclaration, createTestApp, TEST_ORIGIN } from "../helpers/app.ts";
import { addSignature, type CsrfPair, inputValue, pageText, postForm, tags, textareaText } from "../helpers/forms.ts";

const GERMAN = {
  language: "de",
  revision: "1",
  title: "Test-Erklärung",
  summary: "Eine Erklärung für Tests.",
  body: "## Erstens\n\nWir erklären, dass Tests gut sind.\n",
};

async function site() {
  const t = await createTestApp();
  addDeclaration(t.db);
  const ada = await loggedIn(t, "ada");
  return { ...t, ada };
}

function translate(t: { app: Parameters<typeof postForm>[0] }, who: CsrfPair, fields: Record<string, string> = {}) {
  return postForm(
    t.app,
    "/d/test-declaration/translations/new",
    { ...GERMAN, action: "publish", ...fields },
    { csrf: who },
  );
}

function count(db: Db) {
  return db.$client
    .prepare("SELECT (SELECT count(*) FROM declarations) AS d, (SELECT count(*) FROM translations) AS t")
    .get();
}

async function page(t: { app: { request: (p: string) => Response | Promise<Response> } }, path: string) {
  const res = await t.app.request(path);
  expect(res.status, path).toBe(200);
  return res.text();
}

describe("making a translation", () => {
  it("asks a visitor who is not logged in to log in first", async () => {
    const t = await createTestApp();
    addDeclaration(t.db);
    const res = await t.app.request("/d/test-declaration/translations/new");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(
      `/login?next=${encodeURIComponent("/d/test-declaration/translations/new")}`,
    );
  });

  it("offers the original's latest text to translate, and publishes the translation at its own address", async () => {
    const t = await site();
    const form = await (
      await t.app.request("/d/test-declaration/translations/new", { headers: { Cookie: t.ada.cookie } })
    ).text();
    expect(inputValue(form, "revision")).toBe("1");
    expect(inputValue(form, "title")).toBe("Test Declaration");
    expect(textareaText(form, "body")).toContain("We declare that tests are good.");

    const res = await translate(t, t.ada);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/d/test-declaration-de");
    const translation = getDeclarationBySlug(t.db, "test-declaration-de")!;
    expect(translation).toMatchObject({
      language: "de",
      status: "published",
      title: "Test-Erklärung",
      license: "CC BY-SA 4.0",
    });
    expect(translation.hashtags).toEqual(["SocialMediaStrike"]);

    const own = await page(t, "/d/test-declaration-de");
    expect(pageText(own)).toContain("Translation into German of “Test Declaration”, version 1.");
    expect(pageText(own)).toContain("Up to date with the original’s latest version.");
    expect(tags(own, "a").some((a) => a.href === "/d/test-declaration" && a.hreflang === "en")).toBe(true);
    expect(tags(own, "article")[0]!.lang).toBe("de");

    const original = await page(t, "/d/test-declaration");
    expect(tags(original, "a").some((a) => a.href === "/d/test-declaration-de" && a.hreflang === "de")).toBe(true);
    expect(original).toContain('<span lang="de" dir="ltr">Deutsch</span>');

    // The list of translations, and the language's address leading to the translation.
    const list = await page(t, "/d/test-declaration/translations");
    expect(pageText(list)).toMatch(/Deutsch\s*: 0 signatures/);
    const to = await t.app.request("/d/test-declaration/translations/de");
    expect(to.headers.get("location")).toBe("/d/test-declaration-de");
  });

  it("gives both pages hreflang alternates naming every language, themselves included", async () => {
    const t = await site();
    await translate(t, t.ada);
    for (const path of ["/d/test-declaration", "/d/test-declaration-de"]) {
      const alternates = tags(await page(t, path), "link").filter((l) => l.rel === "alternate" && l.hreflang != null);
      expect(
        alternates.map((l) => [l.hreflang, l.href]),
        path,
      ).toEqual([
        ["en", `${TEST_ORIGIN}/d/test-declaration`],
        ["de", `${TEST_ORIGIN}/d/test-declaration-de`],
      ]);
    }
  });

  it("keeps a draft to its translator until it is published", async () => {
    const t = await site();
    const res = await translate(t, t.ada, { action: "draft" });
    expect(res.status).toBe(303);
    expect(getDeclarationBySlug(t.db, "test-declaration-de")!.status).toBe("draft");
    expect((await t.app.request("/d/test-declaration-de")).status).toBe(404);
    expect(await page(t, "/d/test-declaration")).not.toContain('href="/d/test-declaration-de"');
    const published = await postForm(t.app, "/d/test-declaration/translations/de/publish", {}, { csrf: t.ada });
    expect(published.status).toBe(303);
    expect(getDeclarationBySlug(t.db, "test-declaration-de")!.status).toBe("published");
    expect(await page(t, "/d/test-declaration")).toContain('href="/d/test-declaration-de"');
  });

  it("speaks the translator's language on its form", async () => {
    const t = await site();
    const res = await t.app.request("/d/test-declaration/translations/new", {
      headers: { Cookie: t.ada.cookie, "Accept-Language": "ar" },
    });
    const html = await res.text();
    expect(tags(html, "html")[0]).toMatchObject({ lang: "ar", dir: "rtl" });
    expect(pageText(html)).toContain("ترجمة «\u2068Test Declaration\u2069»");
    expect(res.headers.get("cache-control")).toBe("no-store");
  });
});

describe("bad input", () => {
  const cases: [string, Record<string, string>, string, number][] = [
    ["an unknown language", { language: "klingon" }, "Language: give a language tag such as de, fr or pt-BR.", 400],
    ["a language that is no tag", { language: "../de" }, "Language: give a language tag such as de, fr or pt-BR.", 400],
    ["the original's own language", { language: "en" }, "Language: the original is already in English.", 400],
    [
      "a version that does not exist",
      { revision: "7" },
      "Version of the original translated: “7” is not one of its versions (1 to 1).",
      400,
    ],
    [
      "a version that is no number",
      { revision: "1; DROP" },
      "Version of the original translated: “1; DROP” is not one",
      400,
    ],
    ["an empty text", { body: "  \n " }, "Text: the translation has no text.", 400],
    ["an empty title", { title: "" }, "Title: give a title of 1 to 200 characters.", 400],
    ["a text over the limit", { body: "x".repeat(205 * 1024) }, "Text: at most 204800 characters.", 400],
  ];
  it.each(cases)("%s: the field named, the input kept, nothing written", async (_, fields, message, status) => {
    const t = await site();
    const before = count(t.db);
    const res = await translate(t, t.ada, fields);
    expect(res.status).toBe(status);
    const html = await res.text();
    expect(pageText(html)).toContain(message);
    const typed = { ...GERMAN, ...fields };
    expect(inputValue(html, "language")).toBe(typed.language);
    expect(inputValue(html, "title")).toBe(typed.title);
    if (typed.body.length < 1000) expect(textareaText(html, "body")).toBe(typed.body);
    expect(count(t.db)).toEqual(before);
  });

  it("refuses a second translation into the same language", async () => {
    const t = await site();
    await translate(t, t.ada);
    const bea = await loggedIn(t, "bea");
    const res = await translate(t, bea, { language: "DE", title: "Noch eine" });
    expect(res.status).toBe(400);
    expect(pageText(await res.text())).toContain("Language: there is already a translation into German.");
    expect(inputValue(await (await translate(t, bea, { language: "de" })).text(), "title")).toBe("Test-Erklärung");
  });

  it("refuses a form without its token, keeping what was typed", async () => {
    const t = await site();
    const res = await translate(t, { cookie: t.ada.cookie, csrf: "forged" });
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(pageText(html)).toContain("This form expired or was not sent from this site.");
    expect(inputValue(html, "title")).toBe("Test-Erklärung");
    expect(getDeclarationBySlug(t.db, "test-declaration-de")).toBeUndefined();
  });

  it("names problems in the translator's language", async () => {
    const t = await site();
    const res = await postForm(
      t.app,
      "/d/test-declaration/translations/new",
      { ...GERMAN, language: "??", action: "publish" },
      { csrf: t.ada, headers: { "Accept-Language": "fr" } },
    );
    expect(pageText(await res.text())).toContain("Langue : indiquez un code de langue comme de, fr ou pt-BR.");
  });

  it("has no translations of a translation, nor of a Declaration that does not exist", async () => {
    const t = await site();
    await translate(t, t.ada);
    const res = await t.app.request("/d/test-declaration-de/translations/new", { headers: { Cookie: t.ada.cookie } });
    expect(res.headers.get("location")).toBe("/d/test-declaration/translations/new");
    expect((await t.app.request("/d/nothing/translations")).status).toBe(404);
    expect((await t.app.request("/d/test-declaration/translations/fr")).status).toBe(404);
    expect((await t.app.request("/d/test-declaration/translations/x!y")).status).toBe(404);
  });
});

describe("when the original changes", () => {
  it("flags the translation out of date, links to what changed, and clears the flag once the translator follows", async () => {
    const t = await site();
    await translate(t, t.ada);
    const original = getDeclarationBySlug(t.db, "test-declaration")!;
    await t.batcher.run(() =>
      appendRevision(t.db, original, {
        title: original.title,
        summary: original.summary,
        body: "## First\n\nWe declare that tests are very good.\n",
        changeSummary: "",
        origin: "site",
      }),
    );
    const own = await page(t, "/d/test-declaration-de");
    expect(pageText(own)).toContain(
      "Out of date: the original has changed since version 1; it is now at version 2. See what changed in the original",
    );
    expect(tags(own, "a").some((a) => a.href === "/d/test-declaration/diff/1..2")).toBe(true);
    expect((await t.app.request("/d/test-declaration/diff/1..2")).status).toBe(200);
    expect(
      tags(await page(t, "/d/test-declaration"), "a").some((a) => a.href === "/d/test-declaration/diff/1..2"),
    ).toBe(true);

    // Only its translator may edit it.
    const bea = await loggedIn(t, "bea");
    const refused = await postForm(
      t.app,
      "/d/test-declaration/translations/de/edit",
      { ...GERMAN, revision: "2" },
      { csrf: bea },
    );
    expect(refused.status).toBe(403);
    expect(pageText(await refused.text())).toContain("Only the translator can edit this translation.");

    const form = await (
      await t.app.request("/d/test-declaration/translations/de/edit", { headers: { Cookie: t.ada.cookie } })
    ).text();
    expect(inputValue(form, "revision")).toBe("1");
    const saved = await postForm(
      t.app,
      "/d/test-declaration/translations/de/edit",
      { ...GERMAN, revision: "2", body: "## Erstens\n\nWir erklären, dass Tests sehr gut sind.\n" },
      { csrf: t.ada },
    );
    expect(saved.status).toBe(303);
    const translation = getDeclarationBySlug(t.db, "test-declaration-de")!;
    expect(translation.revision).toBe(2);
    const after = await page(t, "/d/test-declaration-de");
    expect(pageText(after)).toContain("Up to date with the original’s latest version.");
    expect(after).not.toContain("data-out-of-date");
  });
});

describe("signatures across languages", () => {
  it("counts each language's signatures toward the family's total, and every stored count stays exact", async () => {
    const t = await site();
    await translate(t, t.ada);
    const original = getDeclarationBySlug(t.db, "test-declaration")!;
    const translation = getDeclarationBySlug(t.db, "test-declaration-de")!;
    for (let i = 0; i < 3; i++) addSignature(t.db, original);
    for (let i = 0; i < 2; i++) addSignature(t.db, translation);
    const text = pageText(await page(t, "/d/test-declaration/translations"));
    expect(text).toContain("5 signatures in all languages");
    expect(text).toMatch(/English\s*\(the original\)\s*: 3 signatures/);
    expect(text).toMatch(/Deutsch\s*: 2 signatures/);
    const german = pageText(await page(t, "/d/test-declaration/translations?lang=de"));
    expect(german).toContain("5 Unterschriften in allen Sprachen");
    expect(german).toMatch(/Deutsch\s*: 2 Unterschriften/);
    // The original's own page shows the same, refreshed with the count.
    expect(pageText(await page(t, "/d/test-declaration"))).toContain("5 signatures in all languages");
    expect(recountSignatures(t.db, false)).toEqual([]);
  });
});
