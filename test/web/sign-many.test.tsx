import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createAccount, findAccountByUsername } from "../../src/db/accounts.ts";
import type { Db } from "../../src/db/client.ts";
import { createCopy, saveRevision } from "../../src/db/copies.ts";
import { getRevision } from "../../src/db/declarations.ts";
import { declarations, signatures, type Declaration } from "../../src/db/schema.ts";
import { addDeclaration, createTestApp, TEST_ORIGIN } from "../helpers/app.ts";
import { csrfFrom, pageText, postForm, signatureRows, signForm, storedCount, tags, tokenFrom } from "../helpers/forms.ts";

function copyOf(db: Db, source: Declaration, slug: string): Declaration {
  let owner = findAccountByUsername(db, "ada");
  if (owner == null) {
    createAccount(db, { username: "ada", passwordHash: "unused", role: "author" });
    owner = findAccountByUsername(db, "ada")!;
  }
  const revision = getRevision(db, source.id, source.revision)!;
  const outcome = db.transaction((tx) =>
    createCopy(tx, {
      source,
      sourceRevision: revision,
      sourceUrl: `${TEST_ORIGIN}/d/${source.slug}/v/${revision.number}`,
      ownerId: owner.id,
      slug,
      title: `Title ${slug.toUpperCase()}`,
      summary: "",
      body: `${revision.body}\nAnd ${slug}.\n`,
      notes: {},
    }),
  );
  if (outcome.kind !== "created") throw new Error(outcome.kind);
  return outcome.declaration;
}

/** A → B → C and an unrelated X; B is signed through the form. */
async function setup(env?: Record<string, string>) {
  const t = await createTestApp(env == null ? {} : { env });
  const a = addDeclaration(t.db, { slug: "a", title: "Title A" });
  const b = copyOf(t.db, a, "b");
  const c = copyOf(t.db, b, "c");
  const x = addDeclaration(t.db, { slug: "x", title: "Title X" });
  // C has a second version: signing it from B's page signs version 2.
  t.db.transaction((tx) =>
    saveRevision(tx, { declaration: c, baseRevision: 1, title: "Title C", summary: "", body: "Version two of C.", changeSummary: "", notes: {}, authorId: c.ownerId! }),
  );
  const token = tokenFrom(
    await signForm(t.app, { name: "Ada Lovelace", place: "London", website: "ada.example.org", email: "ada@example.org", comment: "Hello", visibility: "count" }, { slug: "b" }),
  );
  return { ...t, a, b, c, x, token };
}

type Setup = Awaited<ReturnType<typeof setup>>;

function alsoSign(t: Setup, fields: Record<string, string>, csrf?: Awaited<ReturnType<typeof csrfFrom>> | null) {
  return (async () => postForm(t.app, `/s/${t.token}/also`, fields, { csrf: csrf === undefined ? await csrfFrom(t.app, `/s/${t.token}`) : csrf }))();
}

const field = (d: Pick<Declaration, "id">) => `also-${d.id}`;

function resultLines(html: string): string[] {
  return [...html.matchAll(/<li class="(?:not-)?signed">([\s\S]*?)<\/li>/g)].map((m) => pageText(m[1]!));
}

function signaturesOf(t: Setup, d: Pick<Declaration, "id">) {
  return signatureRows(t.db).filter((s) => s.declarationId === d.id);
}

describe("also sign the family from the private page", () => {
  it("offers the sources and copies, with their versions, in a CSRF-protected form", async () => {
    const t = await setup();
    const html = await (await t.app.request(`/s/${t.token}`)).text();
    expect(tags(html, "form").map((f) => f.action)).toContain(`/s/${t.token}/also`);
    const boxes = tags(html, "input").filter((i) => i.type === "checkbox");
    expect(boxes.map((b) => b.name)).toEqual([field(t.a), field(t.c)]);
    const text = pageText(html);
    expect(text).toContain("Also sign these");
    expect(text).toContain("Title A , version 1");
    expect(text).toContain("Title C , version 2");
    expect(text).not.toContain("Title X");
  });

  it("is not offered for a Declaration without family", async () => {
    const t = await setup();
    const token = tokenFrom(await signForm(t.app, { name: "Grace Hopper" }, { slug: "x" }));
    const html = await (await t.app.request(`/s/${token}`)).text();
    expect(pageText(html)).not.toContain("Also sign these");
    expect(tags(html, "form").map((f) => f.action)).not.toContain(`/s/${token}/also`);
  });

  it("signs each chosen member once, its own latest version, with the same details; outsiders are ignored", async () => {
    const t = await setup();
    const res = await alsoSign(t, { [field(t.a)]: "1", [field(t.c)]: "1", [field(t.x)]: "1", [field(t.b)]: "1" });
    expect(res.status).toBe(200);
    const html = await res.text();
    const lines = resultLines(html);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^Title A , version 1: signed\. Its own private link: https:\/\/undersign\.test\/s\/[A-Za-z0-9_-]{43}$/);
    expect(lines[1]).toMatch(/^Title C , version 2: signed\./);

    const original = signaturesOf(t, t.b)[0]!;
    expect(signaturesOf(t, t.b)).toHaveLength(1);
    expect(signaturesOf(t, t.x)).toHaveLength(0);
    for (const [d, revision] of [[t.a, 1], [t.c, 2]] as const) {
      const rows = signaturesOf(t, d);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        revision,
        status: "confirmed",
        name: original.name,
        place: original.place,
        website: original.website,
        comment: original.comment,
        email: original.email,
        emailHash: original.emailHash,
        public: false,
      });
      expect(rows[0]!.tokenHash).not.toBe(original.tokenHash);
    }
    expect([storedCount(t.db, "a"), storedCount(t.db, "b"), storedCount(t.db, "c"), storedCount(t.db, "x")]).toEqual([1, 1, 1, 0]);

    // Each private link works and belongs to its own Declaration.
    const links = tags(html, "a").map((a) => a.href).filter((h) => h?.startsWith(`${TEST_ORIGIN}/s/`));
    expect(links).toHaveLength(2);
    const own = await (await t.app.request(new URL(links[0]!).pathname)).text();
    expect(pageText(own)).toContain("Of “Title A” , version 1.");

    // A second time: already signed (same email), nothing new.
    const again = resultLines(await (await alsoSign(t, { [field(t.a)]: "1", [field(t.c)]: "1" })).text());
    expect(again).toEqual(["Title A : not signed, already signed.", "Title C : not signed, already signed."]);
    expect(signatureRows(t.db)).toHaveLength(3);
  });

  it("respects the rate limits when they are on", async () => {
    // Two signatures per client: B through the form, then one more.
    const t = await setup({ RATE_LIMIT_PER_CLIENT: "2/10m", RATE_LIMIT_PER_DECLARATION: "1/1m" });
    const lines = resultLines(await (await alsoSign(t, { [field(t.a)]: "1", [field(t.c)]: "1" })).text());
    expect(lines[0]).toMatch(/^Title A , version 1: signed\./);
    expect(lines[1]).toBe("Title C : not signed, too many signatures just now, try again later.");
    expect(signaturesOf(t, t.a)).toHaveLength(1);
    expect(signaturesOf(t, t.c)).toHaveLength(0);
    expect(storedCount(t.db, "c")).toBe(0);
  });

  it("refuses a forged POST without the CSRF token", async () => {
    const t = await setup();
    const noToken = await alsoSign(t, { [field(t.a)]: "1" }, null);
    expect(noToken.status).toBe(403);
    const pair = await csrfFrom(t.app, `/s/${t.token}`);
    const wrongToken = await alsoSign(t, { csrf: "forged", [field(t.a)]: "1" }, pair);
    expect(wrongToken.status).toBe(403);
    expect(signaturesOf(t, t.a)).toHaveLength(0);
  });

  it("an unknown token is a 404", async () => {
    const t = await setup();
    const pair = await csrfFrom(t.app, `/s/${t.token}`);
    const res = await postForm(t.app, `/s/${randomBytes(32).toString("base64url")}/also`, { [field(t.a)]: "1" }, { csrf: pair });
    expect(res.status).toBe(404);
    expect(signaturesOf(t, t.a)).toHaveLength(0);
  });

  it("nothing ticked, a withdrawn signature, or a draft member signs nothing", async () => {
    const t = await setup();
    expect((await alsoSign(t, {})).status).toBe(303);
    t.db.update(declarations).set({ status: "draft" }).where(eq(declarations.id, t.a.id)).run();
    const lines = resultLines(await (await alsoSign(t, { [field(t.a)]: "1", [field(t.c)]: "1" })).text());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Title C /);
    t.db.update(signatures).set({ status: "withdrawn" }).where(eq(signatures.declarationId, t.b.id)).run();
    const html = await (await t.app.request(`/s/${t.token}`)).text();
    expect(pageText(html)).not.toContain("Also sign these");
    expect((await alsoSign(t, { [field(t.c)]: "1" }, await csrfFrom(t.app, "/d/x/sign"))).status).toBe(303);
    expect(signaturesOf(t, t.a)).toHaveLength(0);
    expect(signaturesOf(t, t.c)).toHaveLength(1);
  });
});
