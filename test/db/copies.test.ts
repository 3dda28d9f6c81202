import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createAccount } from "../../src/db/accounts.ts";
import type { Db } from "../../src/db/client.ts";
import { createCopy, saveRevision, slugAvailable } from "../../src/db/copies.ts";
import { getRevision, listRevisions } from "../../src/db/declarations.ts";
import { accounts, declarations } from "../../src/db/schema.ts";
import { addDeclaration } from "../helpers/app.ts";
import { createTestDb } from "../helpers/db.ts";

function setup() {
  const db = createTestDb();
  const source = addDeclaration(db);
  const outcome = createAccount(db, { username: "ada", passwordHash: "x", role: "author" });
  if (outcome.kind !== "created") throw new Error(outcome.kind);
  return { db, source, owner: outcome.account };
}

function copy(db: Db, sourceId: number, ownerId: number, slug = "my-copy") {
  const source = db.select().from(declarations).where(eq(declarations.id, sourceId)).get()!;
  const sourceRevision = getRevision(db, source.id, 1)!;
  return db.transaction((tx) =>
    createCopy(tx, {
      source,
      sourceRevision,
      sourceUrl: "https://undersign.test/d/test-declaration/v/1",
      ownerId,
      slug,
      title: "My copy",
      summary: "Mine.",
      body: "## First\n\nWe declare that tests are great.\n",
      notes: { abc: "Stronger." },
    }),
  );
}

describe("createCopy", () => {
  it("inserts the Copy with its source fields and revision 1 from the site", () => {
    const { db, source, owner } = setup();
    const outcome = copy(db, source.id, owner.id);
    expect(outcome.kind).toBe("created");
    if (outcome.kind !== "created") return;
    expect(outcome.declaration).toMatchObject({
      slug: "my-copy",
      title: "My copy",
      revision: 1,
      ownerId: owner.id,
      sourceDeclarationId: source.id,
      sourceRevision: 1,
      sourceUrl: "https://undersign.test/d/test-declaration/v/1",
      sourceTitle: "Test Declaration",
      license: source.license,
      language: "en",
    });
    expect(getRevision(db, outcome.declaration.id, 1)).toMatchObject({
      origin: "site",
      authorId: owner.id,
      notes: { abc: "Stronger." },
    });
    expect(slugAvailable(db, "my-copy")).toBe(false);
    expect(slugAvailable(db, "other")).toBe(true);
  });

  it("reports a taken slug and writes nothing", () => {
    const { db, source, owner } = setup();
    expect(copy(db, source.id, owner.id, "test-declaration")).toEqual({ kind: "slug-taken" });
    expect(db.select().from(declarations).all()).toHaveLength(1);
  });

  it("keeps the Copy when its owner is deleted (owner set to null)", () => {
    const { db, source, owner } = setup();
    copy(db, source.id, owner.id);
    db.delete(accounts).where(eq(accounts.id, owner.id)).run();
    const row = db.select().from(declarations).where(eq(declarations.slug, "my-copy")).get()!;
    expect(row.ownerId).toBeNull();
    expect(getRevision(db, row.id, 1)!.authorId).toBeNull();
  });

  it("old revisions default to empty notes", () => {
    const { db, source } = setup();
    expect(getRevision(db, source.id, 1)!.notes).toEqual({});
  });
});

describe("saveRevision", () => {
  const edit = (id: number, baseRevision: number, authorId: number, body: string) => ({
    declaration: { id },
    baseRevision,
    title: "My copy",
    summary: "",
    body,
    changeSummary: "edit",
    notes: {},
    authorId,
  });

  it("appends the next revision when the base is the latest", () => {
    const { db, source, owner } = setup();
    const c = copy(db, source.id, owner.id);
    if (c.kind !== "created") throw new Error();
    expect(db.transaction((tx) => saveRevision(tx, edit(c.declaration.id, 1, owner.id, "Two\n")))).toEqual({
      kind: "saved",
      number: 2,
    });
    expect(db.select().from(declarations).where(eq(declarations.id, c.declaration.id)).get()!.revision).toBe(2);
    expect(getRevision(db, c.declaration.id, 2)).toMatchObject({
      body: "Two\n",
      changeSummary: "edit",
      origin: "site",
      authorId: owner.id,
    });
  });

  it("refuses a save based on an older revision, returns the latest and writes nothing", () => {
    const { db, source, owner } = setup();
    const c = copy(db, source.id, owner.id);
    if (c.kind !== "created") throw new Error();
    db.transaction((tx) => saveRevision(tx, edit(c.declaration.id, 1, owner.id, "Two\n")));
    const outcome = db.transaction((tx) => saveRevision(tx, edit(c.declaration.id, 1, owner.id, "Other two\n")));
    expect(outcome.kind).toBe("conflict");
    if (outcome.kind === "conflict") expect(outcome.latest).toMatchObject({ number: 2, body: "Two\n" });
    expect(listRevisions(db, c.declaration.id).map((r) => r.number)).toEqual([2, 1]);
  });

  it("reports a missing Declaration", () => {
    const { db, owner } = setup();
    expect(db.transaction((tx) => saveRevision(tx, edit(999, 1, owner.id, "x")))).toEqual({ kind: "missing" });
  });
});
