/**
 * A Declaration and its translations, as pages show them: the original, the
 * published translations, which ones follow an older version of the
 * original, and the signatures per language (docs/decisions/0034).
 */
import type { DbLike } from "../../db/client.ts";
import type { Declaration, Translation } from "../../db/schema.ts";
import { getTranslationOf, listTranslations, type TranslationItem } from "../../db/translations.ts";

export interface TranslationFamily {
  /** The original Declaration. */
  readonly original: Declaration;
  /** When the page is a translation's: its link to the original. */
  readonly self: Translation | null;
  /** The published translations, by language. */
  readonly translations: readonly TranslationItem[];
  /** The signatures of the original and its published translations together (each row's own count, summed). */
  readonly total: number;
}

/** The family of `declaration`, seen from it (an original or a translation). */
export function translationFamily(db: DbLike, declaration: Declaration): TranslationFamily {
  const of = getTranslationOf(db, declaration.id);
  const original = of?.original ?? declaration;
  const translations = listTranslations(db, original.id);
  const total = translations.reduce((sum, t) => sum + t.declaration.signatureCount, original.signatureCount);
  return { original, self: of?.link ?? null, translations, total };
}

/** Whether a translation follows an older version of its original than the latest. */
export function isOutOfDate(link: Pick<Translation, "originalRevision">, original: Pick<Declaration, "revision">) {
  return link.originalRevision < original.revision;
}

/** The comparison of the original between the version translated and its latest. */
export function changedSinceUrl(
  link: Pick<Translation, "originalRevision">,
  original: Pick<Declaration, "slug" | "revision">,
) {
  return `/d/${original.slug}/diff/${link.originalRevision}..${original.revision}`;
}

/**
 * The `<link rel="alternate" hreflang>` entries of a Declaration's page: the
 * original and each published translation, this page included (as search
 * engines want it), when there is at least one translation.
 */
export function translationAlternates(
  db: DbLike,
  declaration: Declaration,
  origin: string | URL,
): { href: string; hreflang: string; title: string }[] {
  if (declaration.status !== "published") return [];
  const family = translationFamily(db, declaration);
  if (family.translations.length === 0) return [];
  return [family.original, ...family.translations.map((t) => t.declaration)]
    .filter((d) => d.status === "published")
    .map((d) => ({ href: new URL(`/d/${d.slug}`, origin).href, hreflang: d.language, title: d.title }));
}
