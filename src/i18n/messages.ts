/**
 * Messages by key, in each interface language, formatted with ICU
 * MessageFormat (intl-messageformat).  Each message is compiled once per
 * language, the first time it is used, and kept: pages are rendered often.
 */
import { IntlMessageFormat } from "intl-messageformat";
import { ar } from "./catalogs/ar.ts";
import { de } from "./catalogs/de.ts";
import { en, type MessageKey } from "./catalogs/en.ts";
import { es } from "./catalogs/es.ts";
import { fr } from "./catalogs/fr.ts";
import { directionOf, type Locale } from "./locales.ts";

export type { MessageKey } from "./catalogs/en.ts";

/** Every catalog, by language (English is the reference: the others have exactly its keys). */
export const CATALOGS: Readonly<Record<Locale, Readonly<Record<MessageKey, string>>>> = { en, de, fr, es, ar };

/** Values a message's placeholders take. */
export type MessageValues = Record<string, string | number | Date>;

const compiled = new Map<string, IntlMessageFormat>();

function compile(locale: Locale, key: MessageKey): IntlMessageFormat {
  const id = `${locale}\u0000${key}`;
  let format = compiled.get(id);
  if (format == null) {
    format = new IntlMessageFormat(CATALOGS[locale][key], locale);
    compiled.set(id, format);
  }
  return format;
}

const RTL_LETTER = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]/u;
const LTR_LETTER = /(?![\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc])\p{L}/u;

/**
 * A text put into a sentence of the other direction (an English title in an
 * Arabic sentence, or the reverse) between Unicode's first-strong isolate and
 * its pop, so its letters and the punctuation around it keep their order.
 */
function isolated(locale: Locale, value: string): string {
  const foreign = directionOf(locale) === "rtl" ? LTR_LETTER : RTL_LETTER;
  return foreign.test(value) ? `\u2068${value}\u2069` : value;
}

/** The message `key` in `locale`, its placeholders filled from `values`. */
export function t(locale: Locale, key: MessageKey, values?: MessageValues): string {
  if (values == null) return String(compile(locale, key).format());
  const filled: MessageValues = {};
  for (const [name, value] of Object.entries(values))
    filled[name] = typeof value === "string" ? isolated(locale, value) : value;
  return String(compile(locale, key).format(filled));
}

/** A function that formats messages in one language: what a page or view passes around. */
export type Translate = (key: MessageKey, values?: MessageValues) => string;

const translators = new Map<Locale, Translate>();

/** The `Translate` of `locale` (one per language, made once). */
export function translator(locale: Locale): Translate {
  let translate = translators.get(locale);
  if (translate == null) {
    translate = (key, values) => t(locale, key, values);
    translators.set(locale, translate);
  }
  return translate;
}

/** The raw messages of `keys` in `locale` (for a script that formats them in the browser). */
export function rawMessages(locale: Locale, keys: readonly MessageKey[]): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [k, CATALOGS[locale][k]]));
}
