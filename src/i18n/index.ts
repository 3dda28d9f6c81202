/**
 * The interface in several languages (docs/decisions/0034): the catalogs,
 * `t` and `translator`, the choice of a request's language, and Intl
 * formatting per language.  Pure: the web passes in what the request says.
 */
export {
  CATALOGS,
  rawMessages,
  t,
  translator,
  type MessageKey,
  type MessageValues,
  type Translate,
} from "./messages.ts";
export { formatDateIn, formatDateTimeIn, formatNumberIn } from "./format.ts";
export {
  canonicalLanguageTag,
  directionOf,
  isLocale,
  languageName,
  LOCALE_NAMES,
  LOCALES,
  localeOf,
  negotiateLocale,
  parseAcceptLanguage,
  type LanguageRequest,
  type Locale,
  type LocaleSource,
} from "./locales.ts";
