import { describe, expect, it } from "vitest";
import {
  canonicalLanguageTag,
  directionOf,
  formatDateIn,
  formatNumberIn,
  negotiateLocale,
  parseAcceptLanguage,
} from "../../src/i18n/index.ts";
import { loadConfig } from "../../src/config.ts";
import { formatDate } from "../../src/web/kit/format.ts";
import { formatNumber, plural } from "../../src/plural.ts";

describe("choosing a request's language", () => {
  it("takes ?lang= first, then the cookie, then Accept-Language, then the default", () => {
    const all = { query: "fr", cookie: "de", acceptLanguage: "es" };
    expect(negotiateLocale(all, "en")).toEqual({ locale: "fr", source: "query" });
    expect(negotiateLocale({ ...all, query: null }, "en")).toEqual({ locale: "de", source: "cookie" });
    expect(negotiateLocale({ acceptLanguage: "es" }, "en")).toEqual({ locale: "es", source: "header" });
    expect(negotiateLocale({}, "ar")).toEqual({ locale: "ar", source: "default" });
  });

  it("passes over values that name no interface language", () => {
    expect(negotiateLocale({ query: "xx", cookie: "<script>", acceptLanguage: "de" }, "en").locale).toBe("de");
    expect(negotiateLocale({ query: "DE" }, "en").source).toBe("default");
    expect(negotiateLocale({ acceptLanguage: "ja, zh;q=0.8" }, "fr")).toEqual({ locale: "fr", source: "default" });
  });

  it("reads Accept-Language by weight, regions and all", () => {
    expect(parseAcceptLanguage("de-AT;q=0.5, fr-CH, en;q=0.9")).toEqual(["fr-ch", "en", "de-at"]);
    expect(negotiateLocale({ acceptLanguage: "ja;q=1, de-AT;q=0.7, fr;q=0.6" }, "en").locale).toBe("de");
    expect(negotiateLocale({ acceptLanguage: "fr;q=0, es;q=0.1" }, "en").locale).toBe("es");
    expect(negotiateLocale({ acceptLanguage: "*" }, "de").locale).toBe("de");
    expect(negotiateLocale({ acceptLanguage: ";;,,q=, ar-EG" }, "en").locale).toBe("ar");
    expect(parseAcceptLanguage(Array.from({ length: 500 }, () => "xx").join(","))).toHaveLength(20);
  });
});

describe("language tags", () => {
  it("canonicalises BCP 47 tags and refuses what is not one", () => {
    expect(canonicalLanguageTag("pt-br")).toBe("pt-BR");
    expect(canonicalLanguageTag(" DE ")).toBe("de");
    expect(canonicalLanguageTag("zh-hant")).toBe("zh-Hant");
    expect(canonicalLanguageTag("es-419")).toBe("es-419");
    for (const bad of ["", "german", "d", "de_DE", "en-US-x-private", "../de", "de-"])
      expect(canonicalLanguageTag(bad)).toBeNull();
  });

  it("knows which languages are written right to left", () => {
    expect(directionOf("ar")).toBe("rtl");
    expect(directionOf("he-IL")).toBe("rtl");
    expect(directionOf("fa")).toBe("rtl");
    expect(directionOf("az-Arab")).toBe("rtl");
    expect(directionOf("de")).toBe("ltr");
  });
});

describe("formatting per language", () => {
  const date = new Date("2026-07-04T12:00:00Z");
  it("keeps English as it was, and writes each language its way", () => {
    expect(formatDate(date)).toBe("July 4, 2026");
    expect(formatDate(date, "de")).toBe("4. Juli 2026");
    expect(formatDateIn("fr", date)).toBe("4 juillet 2026");
    expect(formatNumber(1234)).toBe("1,234");
    expect(formatNumber(1234, "de")).toBe("1.234");
    expect(formatNumberIn("es", 12345)).toBe("12.345");
    expect(plural(1234, "signature", "signatures")).toBe("1,234 signatures");
  });
});

describe("DEFAULT_LANGUAGE", () => {
  it("defaults to English and takes a language the site speaks", () => {
    expect(loadConfig({ ORIGIN: "https://x.test" }, "/tmp").defaultLanguage).toBe("en");
    expect(loadConfig({ ORIGIN: "https://x.test", DEFAULT_LANGUAGE: "AR" }, "/tmp").defaultLanguage).toBe("ar");
  });

  it("refuses a language the site does not speak, naming the variable", () => {
    expect(() => loadConfig({ ORIGIN: "https://x.test", DEFAULT_LANGUAGE: "klingon" }, "/tmp")).toThrow(
      /DEFAULT_LANGUAGE: expected one of en, de, fr, es, ar, got "klingon"/,
    );
  });
});
