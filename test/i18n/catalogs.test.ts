/**
 * The catalogs: every language has every key English has and no other, each
 * message parses as ICU MessageFormat with the same placeholders as English,
 * and every key is used somewhere in src/ (a key nobody uses is dead text
 * translators would keep up for nothing).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse, TYPE, type MessageFormatElement } from "@formatjs/icu-messageformat-parser";
import { describe, expect, it } from "vitest";
import { CATALOGS, LOCALES, t } from "../../src/i18n/index.ts";

const SRC = resolve(import.meta.dirname, "../../src");
const english = CATALOGS.en;
const keys = Object.keys(english);

function sourceText(dir: string): string {
  return readdirSync(dir, { withFileTypes: true })
    .map((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return path.endsWith("i18n/catalogs") ? "" : sourceText(path);
      return /\.(tsx?|js)$/.test(entry.name) ? readFileSync(path, "utf8") : "";
    })
    .join("\n");
}

/** The placeholder names of a message, plural and select ones included. */
function placeholders(elements: MessageFormatElement[], into = new Set<string>()): Set<string> {
  for (const e of elements) {
    if (e.type === TYPE.argument || e.type === TYPE.number || e.type === TYPE.date || e.type === TYPE.time)
      into.add(e.value);
    if (e.type === TYPE.plural || e.type === TYPE.select) {
      into.add(e.value);
      for (const option of Object.values(e.options)) placeholders(option.value, into);
    }
    if (e.type === TYPE.tag) placeholders(e.children, into);
  }
  return into;
}

describe("message catalogs", () => {
  it.each(LOCALES)("%s has exactly the keys English has", (locale) => {
    const own = Object.keys(CATALOGS[locale]);
    expect(
      keys.filter((k) => !own.includes(k)),
      `missing in ${locale}`,
    ).toEqual([]);
    expect(
      own.filter((k) => !keys.includes(k)),
      `unknown in ${locale}`,
    ).toEqual([]);
  });

  it.each(LOCALES)("every %s message parses as ICU and has English's placeholders", (locale) => {
    for (const key of keys) {
      const message = CATALOGS[locale][key as keyof typeof english];
      let ast: MessageFormatElement[];
      try {
        ast = parse(message);
      } catch (error) {
        throw new Error(`${locale} ${key} does not parse: ${String(error)}`);
      }
      expect([...placeholders(ast)].sort(), `${locale} ${key}`).toEqual(
        [...placeholders(parse(english[key as keyof typeof english]))].sort(),
      );
      expect(message.trim(), `${locale} ${key} is empty`).not.toBe("");
    }
  });

  it("translated messages are not English left in place (beyond words every language shares)", () => {
    const shared = new Set(["translations.form.text", "signatures.count"]);
    for (const locale of LOCALES.filter((l) => l !== "en")) {
      const same = keys.filter(
        (k) => !shared.has(k) && CATALOGS[locale][k as keyof typeof english] === english[k as keyof typeof english],
      );
      expect(same, `${locale} messages identical to English`).toEqual([]);
    }
  });

  it("every key is used in src/", () => {
    const source = sourceText(SRC);
    const unused = keys.filter((k) => {
      if (source.includes(`"${k}"`)) return false;
      // The banner's messages are written into its script by name (src/i18n/banner.ts).
      const banner = /^banner\.(\w+)$/.exec(k);
      return banner == null || !source.includes(`"${banner[1]}"`);
    });
    expect(unused).toEqual([]);
  });

  it("formats plurals by each language's rules", () => {
    expect(t("en", "signatures.count", { count: 1 })).toBe("1 signature");
    expect(t("en", "signatures.count", { count: 1234 })).toBe("1,234 signatures");
    expect(t("de", "signatures.count", { count: 1234 })).toBe("1.234 Unterschriften");
    expect(t("fr", "signatures.count", { count: 0 })).toBe("0 signature");
    expect(t("ar", "signatures.count", { count: 2 })).toBe("توقيعان");
    expect(t("ar", "signatures.count", { count: 3 })).toBe("3 توقيعات");
    expect(t("ar", "signatures.count", { count: 11 })).toBe("11 توقيعًا");
  });

  it("isolates a text of the other direction put into a sentence, and only that", () => {
    expect(t("ar", "translations.pageTitle", { title: "Test Declaration" })).toBe(
      "ترجمات «\u2068Test Declaration\u2069»",
    );
    expect(t("ar", "translations.pageTitle", { title: "إعلان" })).toBe("ترجمات «إعلان»");
    expect(t("en", "translations.pageTitle", { title: "إعلان" })).toBe("Translations of “\u2068إعلان\u2069”");
    expect(t("en", "translations.pageTitle", { title: "Test" })).toBe("Translations of “Test”");
  });
});
