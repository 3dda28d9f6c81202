import { describe, expect, it } from "vitest";
import { createDeclaration, getDeclarationBySlug, getRevision, listRevisions } from "../../src/db/declarations.ts";
import { importDeclarationFile, importDeclarationFiles, type SeedDeclaration } from "../../src/db/seed.ts";
import { appendRevision } from "../../src/db/declarations.ts";
import { createTestDb } from "../helpers/db.ts";

function file(overrides: Partial<SeedDeclaration> = {}): SeedDeclaration {
  return {
    path: "doc.md",
    sha256: "a".repeat(64),
    slug: "doc",
    title: "Doc",
    summary: "Summary",
    license: "CC BY-SA 4.0",
    hashtags: ["SocialMediaStrike"],
    language: "en",
    body: "Text one.\n",
    ...overrides,
  };
}

describe("importDeclarationFile", () => {
  it("creates a Declaration with revision 1 from a new file", () => {
    const db = createTestDb();
    expect(importDeclarationFile(db, file())).toEqual({ kind: "created", path: "doc.md", slug: "doc" });
    const d = getDeclarationBySlug(db, "doc")!;
    expect(d).toMatchObject({
      revision: 1,
      title: "Doc",
      sourceFile: "doc.md",
      importedRevision: 1,
      hashtags: ["SocialMediaStrike"],
    });
    expect(getRevision(db, d.id, 1)).toMatchObject({ body: "Text one.\n", origin: "file" });
  });

  it("does nothing for an unchanged file, twice", () => {
    const db = createTestDb();
    importDeclarationFile(db, file());
    expect(importDeclarationFile(db, file()).kind).toBe("unchanged");
    expect(importDeclarationFile(db, file()).kind).toBe("unchanged");
    expect(listRevisions(db, getDeclarationBySlug(db, "doc")!.id)).toHaveLength(1);
  });

  it("adds a revision when the file's text changed", () => {
    const db = createTestDb();
    importDeclarationFile(db, file(), new Date("2026-01-01T00:00:00Z"));
    const later = new Date("2026-02-01T00:00:00Z");
    expect(importDeclarationFile(db, file({ sha256: "b".repeat(64), body: "Text two.\n" }), later)).toEqual({
      kind: "revised",
      path: "doc.md",
      slug: "doc",
      revision: 2,
    });
    const d = getDeclarationBySlug(db, "doc")!;
    expect(d).toMatchObject({ revision: 2, importedRevision: 2, sourceFileSha256: "b".repeat(64), updated: later });
    expect(getRevision(db, d.id, 1)?.body).toBe("Text one.\n");
    expect(getRevision(db, d.id, 2)?.body).toBe("Text two.\n");
  });

  it("updates metadata without a new revision when only the license, hashtags or language changed", () => {
    const db = createTestDb();
    importDeclarationFile(db, file());
    const outcome = importDeclarationFile(db, file({ sha256: "c".repeat(64), license: "CC BY 4.0", hashtags: [] }));
    expect(outcome.kind).toBe("metadata");
    expect(getDeclarationBySlug(db, "doc")).toMatchObject({ revision: 1, license: "CC BY 4.0", hashtags: [] });
  });

  it("never overwrites edits made on the site, and keeps saying so", () => {
    const db = createTestDb();
    importDeclarationFile(db, file());
    const d = getDeclarationBySlug(db, "doc")!;
    db.transaction((tx) =>
      appendRevision(tx, d, {
        title: "Doc",
        summary: "S",
        body: "Edited on the site.\n",
        changeSummary: "edit",
        origin: "site",
      }),
    );
    for (let i = 0; i < 2; i++) {
      const outcome = importDeclarationFile(db, file({ sha256: "d".repeat(64), body: "File edit.\n" }));
      expect(outcome.kind).toBe("skipped");
      expect(outcome.kind === "skipped" && outcome.reason).toMatch(/edited on the site/);
    }
    const after = getDeclarationBySlug(db, "doc")!;
    expect(after.revision).toBe(2);
    expect(getRevision(db, after.id, 2)?.body).toBe("Edited on the site.\n");
  });

  it("refuses a file whose slug belongs to a Declaration created on the site", () => {
    const db = createTestDb();
    createDeclaration(db, {
      slug: "doc",
      title: "Site doc",
      summary: "",
      license: "",
      hashtags: [],
      language: "en",
      body: "Mine.\n",
      origin: "site",
    });
    const outcome = importDeclarationFile(db, file());
    expect(outcome).toMatchObject({ kind: "skipped", reason: expect.stringMatching(/created on the site/) });
    expect(getDeclarationBySlug(db, "doc")?.title).toBe("Site doc");
  });

  it("imports the rest when one file fails", () => {
    const db = createTestDb();
    createDeclaration(db, {
      slug: "taken",
      title: "Site",
      summary: "",
      license: "",
      hashtags: [],
      language: "en",
      body: "x\n",
      origin: "site",
    });
    const outcomes = importDeclarationFiles(db, [
      file({ slug: "taken", path: "taken.md" }),
      file({ slug: "fine", path: "fine.md" }),
    ]);
    expect(outcomes.map((o) => o.kind)).toEqual(["skipped", "created"]);
    expect(getDeclarationBySlug(db, "fine")).toBeDefined();
  });
});
