import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createAccount, findAccountByUsername } from "../../src/db/accounts.ts";
import type { Db } from "../../src/db/client.ts";
import { createCopy, getDescendants, getSourceChain } from "../../src/db/copies.ts";
import { getRevision } from "../../src/db/declarations.ts";
import { declarations, type Declaration } from "../../src/db/schema.ts";
import { diffDeclarations, diffSummary } from "../../src/diff/index.ts";
import { wordsChangedCacheSize } from "../../src/web/copies/lineage.tsx";
import { addDeclaration, createTestApp, TEST_ORIGIN } from "../helpers/app.ts";
import { addSignature, pageText, tags } from "../helpers/forms.ts";

type App = Awaited<ReturnType<typeof createTestApp>>;

const A_BODY = "## First\n\nWe declare that tests are good.\n";
const B_BODY = "## First\n\nWe declare that tests are great.\n";
const C_BODY = "## First\n\nWe declare that tests are great.\n\nEvery test deserves a name.\n";

function account(db: Db, username: string): number {
  const existing = findAccountByUsername(db, username);
  if (existing != null) return existing.id;
  const outcome = createAccount(db, { username, passwordHash: "unused", role: "author" });
  if (outcome.kind !== "created") throw new Error(outcome.kind);
  return findAccountByUsername(db, username)!.id;
}

/** A Copy of the latest revision of `source`, made through src/db/copies.ts. */
function copyOf(db: Db, source: Declaration, slug: string, body: string, owner = "ada"): Declaration {
  const ownerId = account(db, owner);
  const revision = getRevision(db, source.id, source.revision)!;
  const outcome = db.transaction((tx) =>
    createCopy(tx, {
      source,
      sourceRevision: revision,
      sourceUrl: `${TEST_ORIGIN}/d/${source.slug}/v/${revision.number}`,
      ownerId,
      slug,
      title: `Title ${slug.toUpperCase()}`,
      summary: "",
      body,
      notes: {},
    }),
  );
  if (outcome.kind !== "created") throw new Error(outcome.kind);
  return outcome.declaration;
}

/** A → B → C, with 1, 2 and 3 signatures. */
async function chain() {
  const t = await createTestApp();
  const a = addDeclaration(t.db, { slug: "a", title: "Title A", body: A_BODY });
  const b = copyOf(t.db, a, "b", B_BODY, "ada");
  const c = copyOf(t.db, b, "c", C_BODY, "grace");
  addSignature(t.db, a);
  for (let i = 0; i < 2; i++) addSignature(t.db, b);
  for (let i = 0; i < 3; i++) addSignature(t.db, c);
  return { ...t, a, b, c };
}

/** The text of each listed member, in document order. */
function members(html: string): string[] {
  return [...html.matchAll(/<div class="lineage-member[^"]*">([\s\S]*?)<\/div>/g)].map((m) => pageText(m[1]!));
}

async function lineage(t: App, slug: string) {
  const res = await t.app.request(`/d/${slug}/copies`);
  return { status: res.status, html: await res.text() };
}

const words = (before: string, after: string) => diffSummary(diffDeclarations(before, after)).wordsChanged;

describe("the lineage page /d/{slug}/copies", () => {
  it("shows the whole chain A → B → C from each member, with counts, versions and words changed", async () => {
    const t = await chain();
    expect(words(A_BODY, B_BODY)).toBe(2);
    const expected = [
      "Title A · 1 signature",
      "Title B by ada · 2 signatures · copied from version 1 of “Title A” · 2 words changed",
      `Title C by grace · 3 signatures · copied from version 1 of “Title B” · ${words(B_BODY, C_BODY)} words changed`,
    ];
    for (const slug of ["a", "b", "c"]) {
      const { status, html } = await lineage(t, slug);
      expect(status).toBe(200);
      const current = expected.findIndex((line) => line.startsWith(`Title ${slug.toUpperCase()}`));
      expect(members(html)).toEqual(
        expected.map((line, i) => (i === current ? line.replace(/^(Title .)/, "$1 (this Declaration)") : line)),
      );
      expect(pageText(html)).toContain("6 signatures in this family of 3 Declarations");
      const links = tags(html, "a").map((a) => a.href);
      expect(links).toContain("/compare?a=a&av=1&b=b");
      expect(links).toContain("/compare?a=b&av=1&b=c");
      expect(links).toEqual(expect.arrayContaining(["/d/a", "/d/b", "/d/c"]));
      // C has no copies of its own yet.
      expect(pageText(html).includes("No copies yet")).toBe(slug === "c");
    }
    // Nested: C's item sits inside B's, inside A's.
    const { html } = await lineage(t, "a");
    expect(html.indexOf("/d/c")).toBeGreaterThan(html.indexOf("/d/b"));
    expect(html).toMatch(/<ul class="lineage"><li>.*?<ul><li>.*?<ul><li>/s);
    // Revisions are immutable: each (source revision, member revision) pair is diffed once.
    expect(wordsChangedCacheSize(t.db)).toBe(2);
  });

  it("lists copies of copies breadth-first and leaves drafts out", async () => {
    const t = await chain();
    const b2 = copyOf(t.db, t.a, "b2", A_BODY);
    const draft = copyOf(t.db, t.a, "draft", A_BODY);
    t.db.update(declarations).set({ status: "draft" }).where(eq(declarations.id, draft.id)).run();
    copyOf(t.db, draft, "under-draft", A_BODY);
    expect(getDescendants(t.db, t.a.id).members.map((m) => m.slug)).toEqual(["b", "b2", "c"]);
    const text = members((await lineage(t, "a")).html);
    expect(text.map((line) => line.split(" ·")[0])).toEqual([
      "Title A (this Declaration)",
      "Title B by ada",
      "Title C by grace",
      "Title B2 by ada",
    ]);
    expect(text[3]).toContain("0 words changed");
    expect((await lineage(t, "draft")).status).toBe(404);
    void b2;
  });

  it("a Declaration without copies invites a copy", async () => {
    const t = await createTestApp();
    addDeclaration(t.db);
    const { status, html } = await lineage(t, "test-declaration");
    expect(status).toBe(200);
    expect(pageText(html)).toContain("No copies yet — make your own copy");
    expect(tags(html, "a").map((a) => a.href)).toContain("/d/test-declaration/copy");
    expect(members(html)).toEqual(["Test Declaration (this Declaration) · 0 signatures"]);
  });

  it("an unknown slug is a 404 page", async () => {
    const t = await createTestApp();
    const { status, html } = await lineage(t, "nothing-here");
    expect(status).toBe(404);
    expect(pageText(html)).toContain("nothing-here");
  });

  it("a cycle in the data does not hang", async () => {
    const t = await chain();
    // A's source is C: A → B → C → A.
    t.db
      .update(declarations)
      .set({
        sourceDeclarationId: t.c.id,
        sourceRevision: 1,
        sourceUrl: `${TEST_ORIGIN}/d/c/v/1`,
        sourceTitle: "Title C",
      })
      .where(eq(declarations.id, t.a.id))
      .run();
    expect(getSourceChain(t.db, { id: t.b.id, sourceDeclarationId: t.a.id }).truncated).toBe(true);
    for (const slug of ["a", "b", "c"]) {
      const { status, html } = await lineage(t, slug);
      expect(status).toBe(200);
      // Each member is listed once.
      expect(members(html)).toHaveLength(3);
      expect(pageText(html)).toContain("6 signatures in this family of 3 Declarations");
      expect(pageText(html)).toContain("loops back on itself");
    }
  });

  it("a long chain is capped", async () => {
    const t = await createTestApp();
    let d = addDeclaration(t.db, { slug: "root", body: A_BODY });
    for (let i = 0; i < 60; i++) d = copyOf(t.db, d, `copy-${i}`, A_BODY);
    const chainFromLast = getSourceChain(t.db, d);
    expect(chainFromLast.members).toHaveLength(50);
    expect(chainFromLast.truncated).toBe(true);
    const { status, html } = await lineage(t, d.slug);
    expect(status).toBe(200);
    expect(members(html)).toHaveLength(51);
    const fromRoot = getDescendants(
      t.db,
      t.db.select().from(declarations).where(eq(declarations.slug, "root")).get()!.id,
      10,
    );
    expect(fromRoot.members).toHaveLength(10);
    expect(fromRoot.more).toBe(true);
  });

  it("the Declaration page links to the lineage", async () => {
    const t = await chain();
    const html = await (await t.app.request("/d/b")).text();
    expect(tags(html, "a").map((a) => a.href)).toContain("/d/b/copies");
  });
});
