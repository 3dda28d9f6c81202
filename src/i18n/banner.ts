/**
 * The strike banner script (src/web/static/banner.js) runs on other sites,
 * without our server: its texts are taken from the catalogs (the `banner.*`
 * messages, whose only placeholders are `{dates}` and `{tags}`) and written
 * into the script once, when it is loaded.
 */
import { CATALOGS } from "./messages.ts";
import { directionOf, LOCALES } from "./locales.ts";

const TEXTS_MARKER = "/* catalogs */ { en: {} }";
const RTL_MARKER = "/* right-to-left */ []";
const NAMES = ["join", "hide", "today", "explain", "why", "continue"] as const;

/** `source` (banner.js) with the banner's messages in every language written in. */
export function withBannerTexts(source: string): string {
  if (!source.includes(TEXTS_MARKER) || !source.includes(RTL_MARKER))
    throw new Error("banner.js has lost the markers where its texts go");
  const texts = Object.fromEntries(
    LOCALES.map((locale) => [
      locale,
      Object.fromEntries(NAMES.map((name) => [name, CATALOGS[locale][`banner.${name}`]])),
    ]),
  );
  const rtl = LOCALES.filter((locale) => directionOf(locale) === "rtl");
  // JSON is valid JavaScript; "<" is escaped so that no text can close a <script> element when inlined.
  const json = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c");
  return source.replace(TEXTS_MARKER, () => json(texts)).replace(RTL_MARKER, () => json(rtl));
}
