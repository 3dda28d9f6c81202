/**
 * The movement's Markdown pages (`/faq`, `/resources`): reading, editing on
 * the site, and importing the shipped `pages/*.md` files.  The import rule is
 * the Declarations' (src/db/seed.ts):
 *
 * - a file for a page that does not exist yet creates it;
 * - an unchanged file (same SHA-256 as at its last import) does nothing;
 * - a changed file updates the page, unless the page was edited on the site
 *   since its last import: then the file never overwrites that work, and the
 *   change is reported as skipped on every start until the file matches again.
 */
import { eq } from "drizzle-orm";
import type { Db, DbLike } from "./client.ts";
import { sitePages, type SitePage } from "./schema.ts";

/** What the importer needs to know about one parsed file. */
export interface SeedPage {
  /** File name relative to the pages folder, e.g. "faq.md". */
  readonly path: string;
  readonly sha256: string;
  readonly slug: string;
  readonly title: string;
  readonly body: string;
}

export type PageSeedOutcome =
  | { kind: "created"; path: string; slug: string }
  | { kind: "updated"; path: string; slug: string }
  | { kind: "unchanged"; path: string; slug: string }
  | { kind: "skipped"; path: string; slug: string; reason: string };

export function getSitePage(db: DbLike, slug: string): SitePage | undefined {
  return db.select().from(sitePages).where(eq(sitePages.slug, slug)).get();
}

export function listSitePages(db: DbLike): SitePage[] {
  return db.select().from(sitePages).orderBy(sitePages.slug).all();
}

/** Imports one file according to the rule above (call inside a transaction or `batcher.run`). */
export function importSitePage(db: DbLike, file: SeedPage, now: Date = new Date()): PageSeedOutcome {
  const base = { path: file.path, slug: file.slug };
  const existing = getSitePage(db, file.slug);
  if (existing == null) {
    db.insert(sitePages)
      .values({
        slug: file.slug,
        title: file.title,
        body: file.body,
        sourceFile: file.path,
        sourceFileSha256: file.sha256,
        editedOnSite: false,
        updated: now,
      })
      .run();
    return { kind: "created", ...base };
  }
  if (existing.sourceFileSha256 === file.sha256 && existing.sourceFile === file.path)
    return { kind: "unchanged", ...base };
  if (existing.editedOnSite) {
    return {
      kind: "skipped",
      ...base,
      reason: `the file changed, but /${file.slug} was edited on the site after its last import; the file does not overwrite those edits`,
    };
  }
  db.update(sitePages)
    .set({
      title: file.title,
      body: file.body,
      sourceFile: file.path,
      sourceFileSha256: file.sha256,
      updated: now,
      updatedBy: null,
    })
    .where(eq(sitePages.slug, file.slug))
    .run();
  return { kind: "updated", ...base };
}

/** Saves an edit made on the site; later file changes then leave the page alone. */
export function saveSitePage(
  db: DbLike,
  page: { slug: string; title: string; body: string; accountId: number | null; now?: Date },
): void {
  const now = page.now ?? new Date();
  db.insert(sitePages)
    .values({
      slug: page.slug,
      title: page.title,
      body: page.body,
      editedOnSite: true,
      updated: now,
      updatedBy: page.accountId,
    })
    .onConflictDoUpdate({
      target: sitePages.slug,
      set: { title: page.title, body: page.body, editedOnSite: true, updated: now, updatedBy: page.accountId },
    })
    .run();
}

/** Imports every file, each in its own transaction; one failing file does not stop the rest. */
export function importSitePageFiles(db: Db, files: readonly SeedPage[], now: Date = new Date()): PageSeedOutcome[] {
  return files.map((file) => {
    try {
      return db.transaction((tx) => importSitePage(tx, file, now));
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
