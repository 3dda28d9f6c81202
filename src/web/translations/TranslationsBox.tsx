/**
 * The translations of a Declaration on its page: on the original, each
 * language with its signatures and whether it is up to date; on a
 * translation, the original it follows, and when the original has changed
 * since, a link to what changed.  Both show the family's total.
 */
import type { DbLike } from "../../db/client.ts";
import type { Declaration } from "../../db/schema.ts";
import { directionOf, languageName, type Locale, t } from "../../i18n/index.ts";
import { changedSinceUrl, isOutOfDate, translationFamily, type TranslationFamily } from "./family.ts";

/** A language by its own name ("Deutsch"), marked up in that language. */
export function Endonym(props: { tag: string }) {
  const name = languageName(props.tag, props.tag);
  // Shown at the start of a list item: capitalised as a label ("français" → "Français").
  const label = name.charAt(0).toLocaleUpperCase(props.tag) + name.slice(1);
  // Its own direction, isolated: an Arabic name in an English sentence does not pull the punctuation after it.
  return (
    <span lang={props.tag} dir={directionOf(props.tag)}>
      {label}
    </span>
  );
}

/** Every language of the family with its signatures; the one of this page is not linked. */
export function FamilyCounts(props: {
  family: TranslationFamily;
  locale: Locale;
  current?: number;
  /** The account logged in: its own translations get an edit link. */
  accountId?: number | null;
}) {
  const { family, locale } = props;
  const members = [family.original, ...family.translations.map((x) => x.declaration)];
  return (
    <>
      <p>{t(locale, "translations.familyTotal", { count: family.total })}</p>
      <ul class="translation-list">
        {members.map((d) => {
          const link = family.translations.find((x) => x.declaration.id === d.id)?.link;
          return (
            <li>
              {d.id === props.current ? (
                <strong>
                  <Endonym tag={d.language} />
                </strong>
              ) : (
                <a href={`/d/${d.slug}`} hreflang={d.language}>
                  <Endonym tag={d.language} />
                </a>
              )}
              {link == null ? ` (${t(locale, "translations.original")})` : ""}
              {": "}
              <span data-language-count={d.language}>{t(locale, "signatures.count", { count: d.signatureCount })}</span>
              {link != null && isOutOfDate(link, family.original) && (
                <>
                  {" · "}
                  <a href={changedSinceUrl(link, family.original)}>{t(locale, "translations.whatChanged")}</a>
                </>
              )}
              {link != null && props.accountId != null && d.ownerId === props.accountId && (
                <>
                  {" · "}
                  <a href={`/d/${family.original.slug}/translations/${link.language}/edit`}>
                    {t(locale, "translations.edit")}
                  </a>
                </>
              )}
            </li>
          );
        })}
      </ul>
    </>
  );
}

/** The box itself, for the page of `declaration` (nothing for a draft). */
export function TranslationsBox(props: { db: DbLike; declaration: Declaration; locale?: Locale }) {
  const { declaration: d } = props;
  const locale = props.locale ?? "en";
  if (d.status !== "published") return null;
  const family = translationFamily(props.db, d);
  const { original, self } = family;
  return (
    <section class="translations-box" aria-labelledby="translations-heading">
      <h2 id="translations-heading">{t(locale, "translations.heading")}</h2>
      {self != null && (
        <>
          <p>
            {t(locale, "translations.of", {
              language: languageName(self.language, locale),
              title: original.title,
              revision: self.originalRevision,
            })}{" "}
            <a href={`/d/${original.slug}`} hreflang={original.language}>
              {t(locale, "translations.readOriginal")}
            </a>
          </p>
          {isOutOfDate(self, original) ? (
            <p class="out-of-date" role="note" data-out-of-date>
              {t(locale, "translations.outOfDate", { revision: self.originalRevision, latest: original.revision })}{" "}
              <a href={changedSinceUrl(self, original)}>{t(locale, "translations.whatChanged")}</a>
            </p>
          ) : (
            <p>{t(locale, "translations.upToDate")}</p>
          )}
        </>
      )}
      {family.translations.length > 0 ? (
        <FamilyCounts family={family} locale={locale} current={d.id} />
      ) : (
        <p>{t(locale, "translations.none")}</p>
      )}
      <p>
        {original.status === "published" && (
          <a href={`/d/${original.slug}/translations/new`}>{t(locale, "translations.add")}</a>
        )}
        {family.translations.length > 0 && (
          <>
            {" · "}
            <a href={`/d/${original.slug}/translations`}>{t(locale, "translations.all")}</a>
          </>
        )}
      </p>
    </section>
  );
}
