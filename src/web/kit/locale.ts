/**
 * The language of a page (docs/decisions/0034): `?lang=` in the address,
 * then the `lang` cookie the switcher sets (nothing but the language code),
 * then the browser's Accept-Language, then DEFAULT_LANGUAGE.  A page whose
 * language did not come from its address says `Vary: Accept-Language, Cookie`,
 * so a shared cache keeps one copy per language and never serves a German
 * page to an English reader.
 */
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { directionOf, isLocale, type Locale, negotiateLocale, translator, type Translate } from "../../i18n/index.ts";
import { requestHeader } from "../../request-header.ts";
import type { WebEnv } from "./context.ts";

/** The switcher's cookie: the chosen language's code, and nothing else. */
export const LANG_COOKIE = "lang";
/** The query parameter that names a page's language in its address. */
export const LANG_PARAM = "lang";

/** What a page needs to speak its visitor's language. */
export interface PageLanguage {
  readonly locale: Locale;
  readonly dir: "ltr" | "rtl";
  readonly t: Translate;
}

/** The site's default interface language. */
export function defaultLocale(c: Context<WebEnv>): Locale {
  const configured = c.get("deps")?.config.defaultLanguage;
  return isLocale(configured) ? configured : "en";
}

/**
 * The language this request's page is written in; adds the Vary header the
 * choice calls for to the response being built.
 */
export function pageLanguage(c: Context<WebEnv>): PageLanguage {
  const cookieHeader = requestHeader(c, "cookie");
  const { locale, source } = negotiateLocale(
    {
      query: c.req.query(LANG_PARAM),
      cookie: cookieHeader == null ? null : getCookie(c, LANG_COOKIE),
      acceptLanguage: requestHeader(c, "accept-language"),
    },
    defaultLocale(c),
  );
  if (source !== "query") c.header("Vary", "Accept-Language, Cookie", { append: true });
  return { locale, dir: directionOf(locale), t: translator(locale) };
}
