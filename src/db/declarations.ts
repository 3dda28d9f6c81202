/**
 * Queries and writes for Declarations and their revisions.  Every function
 * takes the database (or a transaction) as its first parameter.
 */
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { Db, DbLike } from "./client.ts";
import { preparedPerHandle } from "./prepared.ts";
import { declarations, revisions, type Declaration, type Revision } from "./schema.ts";

export type DeclarationSummary = Pick<
  Declaration,
  "slug" | "title" | "summary" | "revision" | "signatureCount" | "updated" | "language" | "created"
>;

/** The columns of a `DeclarationSummary`, for lists. */
export const summaryColumns = {
  slug: declarations.slug,
  title: declarations.title,
  summary: declarations.summary,
  revision: declarations.revision,
  signatureCount: declarations.signatureCount,
  updated: declarations.updated,
  created: declarations.created,
  language: declarations.language,
};

const statements = preparedPerHandle((db) => ({
  listPublished: db
    .select(summaryColumns)
    .from(declarations)
    .where(eq(declarations.status, "published"))
    .orderBy(desc(declarations.updated), desc(declarations.id))
    .limit(sql.placeholder("limit"))
    .prepare(),
  byId: db
    .select()
    .from(declarations)
    .where(eq(declarations.id, sql.placeholder("id")))
    .prepare(),
  bySlug: db
    .select()
    .from(declarations)
    .where(eq(declarations.slug, sql.placeholder("slug")))
    .prepare(),
  publishedBySlug: db
    .select()
    .from(declarations)
    .where(and(eq(declarations.slug, sql.placeholder("slug")), eq(declarations.status, "published")))
    .prepare(),
  publicBySlug: db
    .select()
    .from(declarations)
    .where(
      and(eq(declarations.slug, sql.placeholder("slug")), inArray(declarations.status, ["published", "withdrawn"])),
    )
    .prepare(),
  revision: db
    .select()
    .from(revisions)
    .where(
      and(
        eq(revisions.declarationId, sql.placeholder("declarationId")),
        eq(revisions.number, sql.placeholder("number")),
      ),
    )
    .prepare(),
}));

/** Published Declarations, most recently updated first. */
export function listPublishedDeclarations(db: DbLike, limit = 200): DeclarationSummary[] {
  return statements(db).listPublished.all({ limit });
}

export function getDeclarationById(db: DbLike, id: number): Declaration | undefined {
  return statements(db).byId.get({ id });
}

export function getDeclarationBySlug(db: DbLike, slug: string): Declaration | undefined {
  return statements(db).bySlug.get({ slug });
}

/** What a kept page of a Declaration depends on in its row: read on every view of a kept page. */
export type DeclarationStamp = Pick<Declaration, "id" | "status" | "revision" | "signatureCount" | "updated">;

type StampRow = [id: number, status: Declaration["status"], revision: number, count: number, updated: number];
const stampStatements = new WeakMap<object, { get(slug: string): unknown }>();

/**
 * The stamp of the Declaration `slug` (drafts included), or undefined.  Plain
 * better-sqlite3: drizzle's `get` costs about 9 µs more than the query itself,
 * and this runs on every view of a kept page.
 */
export function getDeclarationStamp(db: Db, slug: string): DeclarationStamp | undefined {
  let statement = stampStatements.get(db.$client);
  if (statement == null) {
    statement = db.$client
      .prepare("SELECT id, status, revision, signature_count, updated FROM declarations WHERE slug = ?")
      .raw();
    stampStatements.set(db.$client, statement);
  }
  const row = statement.get(slug) as StampRow | undefined;
  if (row == null) return undefined;
  return { id: row[0], status: row[1], revision: row[2], signatureCount: row[3], updated: new Date(row[4]) };
}

/** A published Declaration by slug (drafts are invisible to the public). */
export function getPublishedDeclaration(db: DbLike, slug: string): Declaration | undefined {
  return statements(db).publishedBySlug.get({ slug });
}

/**
 * A Declaration anyone may read: published or withdrawn (a withdrawn text stays
 * readable so that its signers can see what they signed).  Drafts are left out.
 */
export function getPublicDeclaration(db: DbLike, slug: string): Declaration | undefined {
  return statements(db).publicBySlug.get({ slug });
}

export function getRevision(db: DbLike, declarationId: number, number: number): Revision | undefined {
  return statements(db).revision.get({ declarationId, number });
}

export type RevisionListItem = Pick<Revision, "number" | "title" | "changeSummary" | "origin" | "created">;

/** Every revision of a Declaration, newest first, without the bodies. */
export function listRevisions(db: DbLike, declarationId: number): RevisionListItem[] {
  return db
    .select({
      number: revisions.number,
      title: revisions.title,
      changeSummary: revisions.changeSummary,
      origin: revisions.origin,
      created: revisions.created,
    })
    .from(revisions)
    .where(eq(revisions.declarationId, declarationId))
    .orderBy(desc(revisions.number))
    .all();
}

export interface NewDeclarationInput {
  slug: string;
  title: string;
  summary: string;
  license: string;
  hashtags: string[];
  language: string;
  body: string;
  origin: Revision["origin"];
  changeSummary?: string;
  sourceFile?: string | null;
  sourceFileSha256?: string | null;
  /** `draft` keeps it private to its owner until published (default `published`). */
  status?: "published" | "draft";
  ownerId?: number | null;
  /** For a copy: the source Declaration (null when it is on another site) and the exact revision copied. */
  source?: { declarationId: number | null; revision: number; url: string; title: string } | null;
  /** The author's notes on the Proposed Changes of revision 1, keyed by change id. */
  notes?: Record<string, string>;
  now?: Date;
}

/** Creates a Declaration and its revision 1 in one transaction. */
export function createDeclaration(db: Db, input: NewDeclarationInput): Declaration {
  return db.transaction((tx) => insertDeclaration(tx, input));
}

/** Inserts a Declaration and its revision 1 inside the caller's transaction. */
export function insertDeclaration(tx: DbLike, input: NewDeclarationInput): Declaration {
  const now = input.now ?? new Date();
  const row = tx
    .insert(declarations)
    .values({
      slug: input.slug,
      title: input.title,
      summary: input.summary,
      license: input.license,
      hashtags: input.hashtags,
      language: input.language,
      revision: 1,
      status: input.status ?? "published",
      sourceFile: input.sourceFile ?? null,
      sourceFileSha256: input.sourceFileSha256 ?? null,
      importedRevision: input.origin === "file" ? 1 : null,
      ownerId: input.ownerId ?? null,
      sourceDeclarationId: input.source?.declarationId ?? null,
      sourceRevision: input.source?.revision ?? null,
      sourceUrl: input.source?.url ?? null,
      sourceTitle: input.source?.title ?? null,
      created: now,
      updated: now,
    })
    .returning()
    .get();
  tx.insert(revisions)
    .values({
      declarationId: row.id,
      number: 1,
      title: input.title,
      summary: input.summary,
      body: input.body,
      changeSummary: input.changeSummary ?? "",
      origin: input.origin,
      authorId: input.ownerId ?? null,
      notes: input.notes ?? {},
      created: now,
    })
    .run();
  return row;
}

export interface NewRevisionInput {
  title: string;
  summary: string;
  body: string;
  changeSummary: string;
  origin: Revision["origin"];
  now?: Date;
}

/**
 * Appends revision N+1 to a Declaration (inside the caller's transaction) and
 * returns its number.  The unique (declaration, number) index makes two
 * concurrent writers fail rather than both claim the same number.
 */
export function appendRevision(
  tx: DbLike,
  declaration: Pick<Declaration, "id" | "revision">,
  input: NewRevisionInput,
): number {
  const now = input.now ?? new Date();
  const number = declaration.revision + 1;
  tx.insert(revisions)
    .values({
      declarationId: declaration.id,
      number,
      title: input.title,
      summary: input.summary,
      body: input.body,
      changeSummary: input.changeSummary,
      origin: input.origin,
      created: now,
    })
    .run();
  tx.update(declarations)
    .set({ revision: number, title: input.title, summary: input.summary, updated: now })
    .where(eq(declarations.id, declaration.id))
    .run();
  return number;
}

/** Number of published Declarations (for NodeInfo). */
export function countPublishedDeclarations(db: DbLike): number {
  const row = db
    .select({ n: sql<number>`count(*)` })
    .from(declarations)
    .where(eq(declarations.status, "published"))
    .get();
  return row?.n ?? 0;
}

/**
 * Sets a Declaration's status (inside the caller's transaction): `withdrawn`
 * records when and by whom; `published` clears that again.  Returns false
 * when the Declaration does not exist.
 */
export function setDeclarationStatus(
  tx: DbLike,
  declarationId: number,
  status: Declaration["status"],
  by: number | null,
  now: Date = new Date(),
): boolean {
  const withdrawn =
    status === "withdrawn" ? { withdrawnAt: now, withdrawnBy: by } : { withdrawnAt: null, withdrawnBy: null };
  const rows = tx
    .update(declarations)
    .set({ status, ...withdrawn, updated: now })
    .where(eq(declarations.id, declarationId))
    .returning({ id: declarations.id })
    .all();
  return rows.length === 1;
}
