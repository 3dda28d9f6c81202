/**
 * Imports the Declarations shipped as Markdown files.  The rule, also stated
 * in the README:
 *
 * - a file whose slug is new creates the Declaration (revision 1);
 * - an unchanged file (same SHA-256 as at its last import) does nothing;
 * - a changed file adds a new revision, but only while the Declaration's
 *   latest revision is the one the last import made.  Once someone has edited
 *   the Declaration on the site, the file never overwrites that work: the
 *   change is reported and skipped, every start, until the file matches again
 *   or is removed;
 * - a file whose slug belongs to a Declaration created on the site is skipped.
 *
 * Each file is imported in its own transaction.
 */
import { eq } from "drizzle-orm";
import type { Db } from "./client.ts";
import { appendRevision, getRevision, insertDeclaration } from "./declarations.ts";
import { declarations } from "./schema.ts";

/** What the importer needs to know about one parsed file. */
export interface SeedDeclaration {
  /** File name relative to the declarations folder, e.g. "digital-independence.md". */
  readonly path: string;
  readonly sha256: string;
  readonly slug: string;
  readonly title: string;
  readonly summary: string;
  readonly license: string;
  readonly hashtags: string[];
  readonly language: string;
  readonly body: string;
}

export type SeedOutcome =
  | { kind: "created"; path: string; slug: string }
  | { kind: "revised"; path: string; slug: string; revision: number }
  | { kind: "metadata"; path: string; slug: string }
  | { kind: "unchanged"; path: string; slug: string }
  | { kind: "skipped"; path: string; slug: string; reason: string };

function sameMetadata(a: { license: string; hashtags: string[]; language: string }, b: SeedDeclaration): boolean {
  return (
    a.license === b.license && a.language === b.language && JSON.stringify(a.hashtags) === JSON.stringify(b.hashtags)
  );
}

/** Imports one file according to the rule above. */
export function importDeclarationFile(db: Db, file: SeedDeclaration, now: Date = new Date()): SeedOutcome {
  const base = { path: file.path, slug: file.slug };
  return db.transaction((tx) => {
    const existing = tx.select().from(declarations).where(eq(declarations.slug, file.slug)).get();
    if (existing == null) {
      insertDeclaration(tx, {
        ...file,
        origin: "file",
        sourceFile: file.path,
        sourceFileSha256: file.sha256,
        changeSummary: `Imported from ${file.path}`,
        now,
      });
      return { kind: "created", ...base };
    }
    if (existing.sourceFile == null) {
      return { kind: "skipped", ...base, reason: `slug "${file.slug}" belongs to a Declaration created on the site` };
    }
    if (existing.sourceFileSha256 === file.sha256 && existing.sourceFile === file.path) {
      return { kind: "unchanged", ...base };
    }
    if (existing.importedRevision !== existing.revision) {
      return {
        kind: "skipped",
        ...base,
        reason: `the file changed, but the Declaration was edited on the site after its last import (now at version ${existing.revision}); the file does not overwrite those edits`,
      };
    }
    const latest = getRevision(tx, existing.id, existing.revision);
    const textChanged =
      latest == null || latest.title !== file.title || latest.summary !== file.summary || latest.body !== file.body;
    let revision = existing.revision;
    if (textChanged) {
      revision = appendRevision(tx, existing, {
        title: file.title,
        summary: file.summary,
        body: file.body,
        changeSummary: `Updated from ${file.path}`,
        origin: "file",
        now,
      });
    }
    tx.update(declarations)
      .set({
        license: file.license,
        hashtags: file.hashtags,
        language: file.language,
        sourceFile: file.path,
        sourceFileSha256: file.sha256,
        importedRevision: revision,
        ...(textChanged || !sameMetadata(existing, file) ? { updated: now } : {}),
      })
      .where(eq(declarations.id, existing.id))
      .run();
    if (textChanged) return { kind: "revised", ...base, revision };
    return sameMetadata(existing, file) ? { kind: "unchanged", ...base } : { kind: "metadata", ...base };
  });
}

/** Imports every file; one failing file does not stop the rest. */
export function importDeclarationFiles(
  db: Db,
  files: readonly SeedDeclaration[],
  now: Date = new Date(),
): SeedOutcome[] {
  return files.map((file) => {
    try {
      return importDeclarationFile(db, file, now);
    } catch (error) {
      return {
        kind: "skipped",
        path: file.path,
        slug: file.slug,
        reason: `database error: ${(error as Error).message}`,
      } as const;
    }
  });
}
