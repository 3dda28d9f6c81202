/**
 * The footer's language switcher: one link per interface language, each to
 * `/lang/{code}`, which remembers the choice in a cookie holding only the
 * code and comes back to the page (src/web/languages/).  Works without
 * JavaScript; the current language is marked, not linked.
 */
import { LOCALE_NAMES, LOCALES, type Locale, t } from "../../i18n/index.ts";

export function LanguageSwitcher(props: { locale?: Locale | undefined }) {
  const current = props.locale ?? "en";
  return (
    <nav class="language-switcher" aria-label={t(current, "language.switcher")}>
      <ul>
        {LOCALES.map((code) => (
          <li>
            {code === current ? (
              <span lang={code} aria-current="true">
                {LOCALE_NAMES[code]}
              </span>
            ) : (
              <a href={`/lang/${code}`} lang={code} hreflang={code} rel="nofollow">
                {LOCALE_NAMES[code]}
              </a>
            )}
          </li>
        ))}
      </ul>
    </nav>
  );
}
