/**
 * Making and editing translations of Declarations (docs/decisions/0034):
 * what a translator typed, checked field by field (each problem a catalog
 * message naming its field), and the writes through the group commit.
 */
import type { WriteBatcher } from "../db/batch.ts";
import type { DbLike } from "../db/client.ts";
import { getDeclarationById, getRevision } from "../db/declarations.ts";
import type { Declaration } from "../db/schema.ts";
import {
  createTranslation,
  getTranslationByLanguage,
  type TranslationItem,
  updateTranslation,
} from "../db/translations.ts";
import { canonicalLanguageTag, languageName, type Locale, type MessageKey, type MessageValues } from "../i18n/index.ts";
import { slugProblem } from "../slug.ts";

export const TRANSLATION_TITLE_MAX = 200;
export const TRANSLATION_SUMMARY_MAX = 1000;
/** The same bound as a Declaration's text: 200 KB of UTF-8. */
export const TRANSLATION_BODY_MAX_BYTES = 200 * 1024;

/** What the translation form sends. */
export interface TranslationFormValues {
  language: string;
  revision: string;
  title: string;
  summary: string;
  body: string;
}

export type TranslationField = keyof TranslationFormValues | "form";

/** One problem with the form: the field and the message that says what is wrong, in the reader's language. */
export interface TranslationProblem {
  readonly field: TranslationField;
  readonly key: MessageKey;
  readonly values?: MessageValues;
}

/** What a valid form holds, cleaned. */
export interface CheckedTranslation {
  language: string;
  originalRevision: number;
  title: string;
  summary: string;
  body: string;
}

/** The address of the translation of `original` into `language`: `/d/{original}-{language}`. */
export function translationSlug(originalSlug: string, language: string): string {
  return `${originalSlug}-${language.toLowerCase()}`;
}

/**
 * Checks a translation form against its original.  `editing` is the
 * translation being edited (its language cannot change).  `locale` names
 * languages in the problems' messages.
 */
export function checkTranslation(
  db: DbLike,
  original: Pick<Declaration, "id" | "slug" | "language" | "revision">,
  form: TranslationFormValues,
  locale: Locale,
  editing?: TranslationItem,
): { ok: true; value: CheckedTranslation } | { ok: false; problems: TranslationProblem[] } {
  const problems: TranslationProblem[] = [];
  const language = editing?.link.language ?? canonicalLanguageTag(form.language);
  if (language == null) {
    problems.push({ field: "language", key: "translations.error.language" });
  } else if (editing == null) {
    const name = languageName(language, locale);
    if (language.toLowerCase() === original.language.toLowerCase())
      problems.push({ field: "language", key: "translations.error.sameLanguage", values: { language: name } });
    else if (getTranslationByLanguage(db, original.id, language) != null)
      problems.push({ field: "language", key: "translations.error.exists", values: { language: name } });
    else if (slugProblem(translationSlug(original.slug, language)) != null)
      problems.push({
        field: "language",
        key: "translations.error.slug",
        values: { slug: translationSlug(original.slug, language) },
      });
  }
  const revisionText = form.revision.trim();
  const originalRevision = /^[0-9]{1,9}$/.test(revisionText) ? Number(revisionText) : Number.NaN;
  if (!(originalRevision >= 1 && originalRevision <= original.revision))
    problems.push({
      field: "revision",
      key: "translations.error.revision",
      values: { value: revisionText, latest: original.revision },
    });
  const title = form.title.trim();
  if (title === "" || [...title].length > TRANSLATION_TITLE_MAX)
    problems.push({ field: "title", key: "translations.error.title", values: { max: TRANSLATION_TITLE_MAX } });
  const summary = form.summary.trim();
  if ([...summary].length > TRANSLATION_SUMMARY_MAX)
    problems.push({ field: "summary", key: "translations.error.summary", values: { max: TRANSLATION_SUMMARY_MAX } });
  if (form.body.trim() === "") problems.push({ field: "body", key: "translations.error.text" });
  else if (Buffer.byteLength(form.body, "utf8") > TRANSLATION_BODY_MAX_BYTES)
    problems.push({
      field: "body",
      key: "translations.error.textTooLong",
      values: { max: TRANSLATION_BODY_MAX_BYTES },
    });
  if (problems.length > 0 || language == null) return { ok: false, problems };
  return { ok: true, value: { language, originalRevision, title, summary, body: form.body } };
}

export type SaveTranslationOutcome =
  | { ok: true; declaration: Pick<Declaration, "slug" | "status"> }
  | { ok: false; problems: TranslationProblem[] };

/** Creates the translation `checked` of `original` for `ownerId` (published or draft). */
export async function saveNewTranslation(
  deps: { db: DbLike; batcher: WriteBatcher },
  original: Pick<Declaration, "id" | "slug" | "license" | "hashtags">,
  checked: CheckedTranslation,
  ownerId: number,
  status: "published" | "draft",
  locale: Locale,
): Promise<SaveTranslationOutcome> {
  const slug = translationSlug(original.slug, checked.language);
  const outcome = await deps.batcher.run(() =>
    createTranslation(deps.db, {
      original,
      originalRevision: checked.originalRevision,
      language: checked.language,
      slug,
      title: checked.title,
      summary: checked.summary,
      body: checked.body,
      ownerId,
      status,
    }),
  );
  if (outcome.kind === "created") return { ok: true, declaration: outcome.declaration };
  const name = languageName(checked.language, locale);
  return {
    ok: false,
    problems: [
      outcome.kind === "language-taken"
        ? { field: "language", key: "translations.error.exists", values: { language: name } }
        : { field: "language", key: "translations.error.slug", values: { slug } },
    ],
  };
}

/**
 * Saves an edit of `translation` (a new revision when the text changed; the
 * original's revision it follows).  Its latest revision is read inside the
 * write, so an edit saved meanwhile is built on, not overwritten.
 */
export async function saveTranslationEdit(
  deps: { db: DbLike; batcher: WriteBatcher },
  translation: TranslationItem,
  checked: CheckedTranslation,
): Promise<void> {
  await deps.batcher.run(() => {
    const current = getDeclarationById(deps.db, translation.declaration.id);
    if (current == null) return;
    const latest = getRevision(deps.db, current.id, current.revision);
    if (latest == null) return;
    updateTranslation(deps.db, current, latest, {
      originalRevision: checked.originalRevision,
      title: checked.title,
      summary: checked.summary,
      body: checked.body,
    });
  });
}
