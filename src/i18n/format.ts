/**
 * Dates and numbers as each language writes them (Intl), with one formatter
 * per language and style, made once.  Pure.
 */
import type { Locale } from "./locales.ts";

const dates = new Map<string, Intl.DateTimeFormat>();
const numbers = new Map<string, Intl.NumberFormat>();

/** A date as `locale` writes it in full ("7 December 2026"), in `timeZone` (UTC by default). */
export function formatDateIn(locale: Locale | string, date: Date, timeZone = "UTC"): string {
  const id = `${locale} ${timeZone}`;
  let format = dates.get(id);
  if (format == null) {
    format = new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone });
    dates.set(id, format);
  }
  return format.format(date);
}

/** A date and time as `locale` writes it ("7 December 2026 at 22:44"), in `timeZone`. */
export function formatDateTimeIn(locale: Locale | string, date: Date, timeZone = "UTC"): string {
  const id = `${locale} ${timeZone} time`;
  let format = dates.get(id);
  if (format == null) {
    format = new Intl.DateTimeFormat(locale, { dateStyle: "long", timeStyle: "short", timeZone });
    dates.set(id, format);
  }
  return format.format(date);
}

/** A whole number as `locale` writes it ("1,234", "1.234", "1 234", "١٬٢٣٤"). */
export function formatNumberIn(locale: Locale | string, n: number): string {
  let format = numbers.get(locale);
  if (format == null) {
    format = new Intl.NumberFormat(locale);
    numbers.set(locale, format);
  }
  return format.format(n);
}
