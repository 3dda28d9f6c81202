/**
 * Translations of Declarations (docs/decisions/0034): a translation is a
 * Declaration row of its own, tied by `translations` to its original and to
 * the revision of the original it translates.  Every write runs inside the
 * caller's transaction (normally `batcher.run(() => …)`).
 */
import { and, asc, eq, inArray } from "drizzle-orm";
import type { DbLike } from "./client.ts";
import { slugAvailable } from "./copies.ts";
import { appendRevision, insertDeclaration } from "./declarations.ts";
import { declarations, translations, type Declaration, type Translation } from "./schema.ts";

/** One translation as lists show it: the link and the translation's own Declaration row. */
export interface TranslationItem {
  readonly link: Translation;
  readonly declaration: Declaration;
}

/** The translation whose own Declaration is `declarationId`, with its original; undefined when it is none. */
export function getTranslationOf(
  db: DbLike,
  declarationId: number,
): { link: Translation; original: Declaration } | undefined {
  const row = db
    .select({ link: translations, original: declarations })
    .from(translations)
    .innerJoin(declarations, eq(declarations.id, translations.originalId))
    .where(eq(translations.declarationId, declarationId))
    .get();
  return row ?? undefined;
}

/** The translations of `originalId`, by language; `published` only, or drafts too. */
export function listTranslations(
  db: DbLike,
  originalId: number,
  statuses: readonly Declaration["status"][] = ["published"],
): TranslationItem[] {
  return db
    .select({ link: translations, declaration: declarations })
    .from(translations)
    .innerJoin(declarations, eq(declarations.id, translations.declarationId))
    .where(and(eq(translations.originalId, originalId), inArray(declarations.status, [...statuses])))
    .orderBy(asc(translations.language))
    .all();
}

/** The translation of `originalId` into `language` (any status), or undefined. */
export function getTranslationByLanguage(
  db: DbLike,
  originalId: number,
  language: string,
): TranslationItem | undefined {
  return (
    db
      .select({ link: translations, declaration: declarations })
      .from(translations)
      .innerJoin(declarations, eq(declarations.id, translations.declarationId))
      .where(and(eq(translations.originalId, originalId), eq(translations.language, language)))
      .get() ?? undefined
  );
}

export interface NewTranslationInput {
  original: Pick<Declaration, "id" | "license" | "hashtags">;
  originalRevision: number;
  language: string;
  slug: string;
  title: string;
  summary: string;
  body: string;
  ownerId: number;
  status: "published" | "draft";
  now?: Date;
}

export type CreateTranslationOutcome =
  | { kind: "created"; declaration: Declaration }
  | { kind: "language-taken" }
  | { kind: "slug-taken" };

/**
 * Creates a translation: its Declaration (revision 1, the original's license
 * and hashtags) and its link, in the caller's transaction.  Checked again
 * inside it, so two translators racing for one language cannot both win.
 */
export function createTranslation(tx: DbLike, input: NewTranslationInput): CreateTranslationOutcome {
  if (getTranslationByLanguage(tx, input.original.id, input.language) != null) return { kind: "language-taken" };
  if (!slugAvailable(tx, input.slug)) return { kind: "slug-taken" };
  const now = input.now ?? new Date();
  const declaration = insertDeclaration(tx, {
    slug: input.slug,
    title: input.title,
    summary: input.summary,
    license: input.original.license,
    hashtags: input.original.hashtags,
    language: input.language,
    body: input.body,
    origin: "site",
    status: input.status,
    ownerId: input.ownerId,
    now,
  });
  tx.insert(translations)
    .values({
      declarationId: declaration.id,
      originalId: input.original.id,
      originalRevision: input.originalRevision,
      language: input.language,
      created: now,
      updated: now,
    })
    .run();
  return { kind: "created", declaration };
}

export interface TranslationEdit {
  originalRevision: number;
  title: string;
  summary: string;
  body: string;
  now?: Date;
}

/**
 * Saves an edit of a translation: a new revision when its text changed, and
 * the original's revision it now follows.  Returns the translation's latest
 * revision number.
 */
export function updateTranslation(
  tx: DbLike,
  translation: Pick<Declaration, "id" | "revision">,
  latest: { title: string; summary: string; body: string },
  edit: TranslationEdit,
): number {
  const now = edit.now ?? new Date();
  const changed = latest.title !== edit.title || latest.summary !== edit.summary || latest.body !== edit.body;
  const number = changed
    ? appendRevision(tx, translation, {
        title: edit.title,
        summary: edit.summary,
        body: edit.body,
        changeSummary: "",
        origin: "site",
        now,
      })
    : translation.revision;
  tx.update(translations)
    .set({ originalRevision: edit.originalRevision, updated: now })
    .where(eq(translations.declarationId, translation.id))
    .run();
  if (!changed) tx.update(declarations).set({ updated: now }).where(eq(declarations.id, translation.id)).run();
  return number;
}
