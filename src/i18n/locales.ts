/**
 * The interface languages this site speaks, how they are written, and how a
 * request's language is chosen (docs/decisions/0034).  Pure.
 */

/** The languages with a complete catalog, in the switcher's order. */
export const LOCALES = ["en", "de", "fr", "es", "ar"] as const;
export type Locale = (typeof LOCALES)[number];

/** Each language's name in itself, as the switcher shows it. */
export const LOCALE_NAMES: Readonly<Record<Locale, string>> = {
  en: "English",
  de: "Deutsch",
  fr: "Français",
  es: "Español",
  ar: "العربية",
};

const RIGHT_TO_LEFT = new Set(["ar", "he", "fa", "ur", "ps", "yi", "dv", "ckb", "sd", "ug"]);

/** Whether `value` is one of the interface languages. */
export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (LOCALES as readonly string[]).includes(value);
}

/** The writing direction of a language tag (any BCP 47 tag, not only the interface languages). */
export function directionOf(tag: string): "ltr" | "rtl" {
  const lower = tag.toLowerCase();
  if (/-(arab|hebr|thaa|syrc|nkoo|adlm|rohg)\b/.test(lower)) return "rtl";
  return RIGHT_TO_LEFT.has(lower.split("-")[0]!) ? "rtl" : "ltr";
}

/**
 * A language tag as BCP 47 writes it (`pt-br` → `pt-BR`), or null when `value`
 * is no well-formed tag.  Only a language with an optional script and region
 * is taken (`de`, `zh-Hant`, `es-419`): private-use and extension subtags say
 * nothing a reader needs.
 */
export function canonicalLanguageTag(value: string): string | null {
  const trimmed = value.trim();
  if (!/^[A-Za-z]{2,3}(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|[0-9]{3}))?$/.test(trimmed)) return null;
  try {
    const [canonical] = Intl.getCanonicalLocales(trimmed);
    return canonical ?? null;
  } catch {
    return null;
  }
}

/** The language's name in `locale` ("Deutsch" → "German" in English), or the tag when Intl does not know it. */
export function languageName(tag: string, locale: Locale | string): string {
  try {
    return new Intl.DisplayNames([locale], { type: "language", fallback: "code" }).of(tag) ?? tag;
  } catch {
    return tag;
  }
}

/** One entry of an Accept-Language header. */
interface Weighted {
  readonly tag: string;
  readonly q: number;
}

/** The entries of an `Accept-Language` header, most wanted first (RFC 9110 section 12.5.4); at most 20 are read. */
export function parseAcceptLanguage(header: string): string[] {
  const entries: Weighted[] = [];
  for (const part of header.split(",").slice(0, 20)) {
    const [tag = "", ...params] = part.trim().split(";");
    if (!/^(?:\*|[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*)$/.test(tag.trim())) continue;
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/i.exec(p);
      if (m) q = Number(m[1]);
    }
    if (q > 0) entries.push({ tag: tag.trim().toLowerCase(), q });
  }
  // A stable sort: equal weights keep the order the browser gave.
  return entries.sort((a, b) => b.q - a.q).map((e) => e.tag);
}

/** The interface language a tag asks for (`de-AT` → `de`), or null. */
export function localeOf(tag: string): Locale | null {
  const base = tag.toLowerCase().split("-")[0];
  return isLocale(base) ? base : null;
}

/** Where a request's language came from: the address, the switcher's cookie, the browser, or the site's default. */
export type LocaleSource = "query" | "cookie" | "header" | "default";

/** What a request says about its language. */
export interface LanguageRequest {
  /** `?lang=` */
  readonly query?: string | null | undefined;
  /** The `lang` cookie the switcher sets. */
  readonly cookie?: string | null | undefined;
  readonly acceptLanguage?: string | null | undefined;
}

/**
 * The language of a response: an explicit `?lang=` first, then the
 * switcher's cookie, then the browser's `Accept-Language`, then `fallback`
 * (the site's `DEFAULT_LANGUAGE`).  A value that names no interface language
 * is passed over, never an error.
 */
export function negotiateLocale(request: LanguageRequest, fallback: Locale): { locale: Locale; source: LocaleSource } {
  if (isLocale(request.query)) return { locale: request.query, source: "query" };
  if (isLocale(request.cookie)) return { locale: request.cookie, source: "cookie" };
  if (request.acceptLanguage) {
    for (const tag of parseAcceptLanguage(request.acceptLanguage)) {
      if (tag === "*") return { locale: fallback, source: "header" };
      const locale = localeOf(tag);
      if (locale != null) return { locale, source: "header" };
    }
  }
  return { locale: fallback, source: "default" };
}
