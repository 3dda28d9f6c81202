/**
 * Counts in words, for every page and post: "1 signature", "1,234
 * signatures", "1 person has".  Pure; English, as the rest of the site.
 */

import { formatNumberIn } from "./i18n/format.ts";

/** A number as written in our texts: `1,234` in English, `1.234` in German (`locale`, English by default). */
export function formatNumber(n: number, locale = "en"): string {
  return formatNumberIn(locale, n);
}

/** `n` with the word that agrees with it: `plural(1, "signature", "signatures")` is "1 signature". */
export function plural(n: number, one: string, many: string): string {
  return `${formatNumber(n)} ${n === 1 ? one : many}`;
}
