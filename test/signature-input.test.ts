import { describe, expect, it } from "vitest";
import { canonicalEmail, cleanLine, LIMITS, parseSignatureInput, type RawSignature } from "../src/signature-input.ts";

const optional = { emailRequired: false };

function parse(raw: RawSignature, options = optional) {
  return parseSignatureInput({ visibility: "public", ...raw }, options);
}

function value(raw: RawSignature, options = optional) {
  const result = parse(raw, options);
  if (!result.ok) throw new Error(`expected valid input, got ${JSON.stringify(result.errors)}`);
  return result.value;
}

function errors(raw: RawSignature, options = optional) {
  const result = parse(raw, options);
  if (result.ok) throw new Error(`expected errors, got ${JSON.stringify(result.value)}`);
  return result.errors;
}

describe("parseSignatureInput", () => {
  it("accepts a name alone and fills the rest with null", () => {
    expect(value({ name: "Ada Lovelace" })).toEqual({
      name: "Ada Lovelace",
      place: null,
      website: null,
      comment: null,
      email: null,
      public: true,
    });
  });

  it("accepts every field", () => {
    expect(
      value({
        name: "  Ada   Lovelace ",
        place: " London ",
        website: "https://ada.example.org/about",
        comment: "For the engines.",
        email: "Ada@Example.ORG",
        visibility: "count",
      }),
    ).toEqual({
      name: "Ada Lovelace",
      place: "London",
      website: "https://ada.example.org/about",
      comment: "For the engines.",
      email: "Ada@example.org",
      public: false,
    });
  });

  it("treats empty optional fields as not given", () => {
    expect(value({ name: "Ada", place: "   ", website: "", comment: "\n\n", email: " " })).toMatchObject({
      place: null,
      website: null,
      comment: null,
      email: null,
    });
  });

  describe("name", () => {
    it.each([
      ["missing", undefined],
      ["null", null],
      ["empty", ""],
      ["whitespace only", "   \t  "],
      ["no-break spaces only", "\u00A0\u00A0"],
      ["invisible characters only", "\u200B\u200E\uFEFF"],
    ])("is required (%s)", (_, name) => {
      expect(errors({ name }).name).toBe("Please enter your name.");
    });

    it("allows 100 characters and refuses 101, naming the limit", () => {
      expect(value({ name: "a".repeat(100) }).name).toHaveLength(100);
      expect(errors({ name: "a".repeat(101) }).name).toBe("Your name must be at most 100 characters (it has 101).");
    });

    it("counts characters, not UTF-16 units", () => {
      const emoji = "😀";
      expect(value({ name: `A${emoji.repeat(99)}` }).name).toBe(`A${emoji.repeat(99)}`);
      expect(errors({ name: `A${emoji.repeat(100)}` }).name).toMatch(/at most 100 characters/);
    });

    it("refuses a 10 KB name quickly, without cleaning it first", () => {
      const started = performance.now();
      expect(errors({ name: "x".repeat(10 * 1024) }).name).toBe("Your name must be at most 100 characters.");
      expect(performance.now() - started).toBeLessThan(50);
    });

    it.each(["Ada https://spam.example", "http://spam.example", "visit www.spam.example", "HTTPS://SPAM.EXAMPLE"])(
      "refuses a web address in the name (%s)",
      (name) => {
        expect(errors({ name }).name).toBe("Your name must not contain a web address; use the website field.");
      },
    );

    it.each(["!!!", "...", "- - -", "😀😀", "?!", "“”"])(
      "refuses a name of only punctuation or symbols (%s)",
      (name) => {
        expect(errors({ name }).name).toBe("Your name must contain at least one letter or digit.");
      },
    );

    it.each(["李小龍", "Ñandú", "O'Brien-Smith", "Дмитрий", "محمد", "X Æ A-12", "7"])("accepts %s", (name) => {
      expect(value({ name }).name).toBe(name);
    });

    it("refuses NUL characters", () => {
      expect(errors({ name: "Ada\u0000Lovelace" }).name).toBe("Your name contains a NUL character.");
    });

    it("strips control, zero-width and bidi characters instead of refusing them", () => {
      expect(value({ name: "\u202EAda\u202C \u200BLove\u2066lace\u2069\uFEFF\u0007" }).name).toBe("Ada Lovelace");
      expect(value({ name: "A\u200Eda\u200F \u061CLovelace\u2060" }).name).toBe("Ada Lovelace");
      expect(value({ name: "Ada\u0085Lovelace\u009F" }).name).toBe("AdaLovelace");
    });

    it("turns tabs and line breaks into single spaces", () => {
      expect(value({ name: "Ada\t\tLovelace\r\nKing" }).name).toBe("Ada Lovelace King");
    });

    it("stores NFC", () => {
      const nfd = "Zoe\u0301 Ra\u0308tsel";
      expect(nfd.normalize("NFC")).not.toBe(nfd);
      const name = value({ name: nfd }).name;
      expect(name).toBe("Zoé Rätsel");
      expect(name).toBe(name.normalize("NFC"));
    });

    it("stores NFC even when an invisible character sat between a letter and its accent", () => {
      const name = value({ name: "Zoe\u200B\u0301" }).name;
      expect(name).toBe("Zoé");
      expect(name.normalize("NFC")).toBe(name);
    });

    it.each([
      ["a number", 42],
      ["an array", ["Ada"]],
      ["an object", { first: "Ada" }],
      ["a boolean", true],
    ])("refuses %s", (_, name) => {
      expect(errors({ name }).name).toBe("Your name must be text.");
    });
  });

  describe("place", () => {
    it("allows 100 characters and refuses 101", () => {
      expect(value({ name: "Ada", place: "p".repeat(100) }).place).toHaveLength(100);
      expect(errors({ name: "Ada", place: "p".repeat(101) }).place).toBe(
        "Place or affiliation must be at most 100 characters (it has 101).",
      );
    });

    it("is cleaned like the name", () => {
      expect(value({ name: "Ada", place: " Lon\u200Bdon\u202E\n" }).place).toBe("London");
    });

    it("refuses a number", () => {
      expect(errors({ name: "Ada", place: 7 }).place).toBe("Place or affiliation must be text.");
    });
  });

  describe("website", () => {
    it.each([
      ["example.org", "https://example.org/"],
      ["www.example.org/me", "https://www.example.org/me"],
      ["http://example.org", "http://example.org/"],
      ["https://EXAMPLE.org/Path?q=1#x", "https://example.org/Path?q=1#x"],
      ["  https://example.org/a b  ", "https://example.org/a%20b"],
    ])("accepts %s as %s", (website, expected) => {
      expect(value({ name: "Ada", website }).website).toBe(expected);
    });

    it.each([
      "javascript:alert(1)",
      "JavaScript:alert(1)",
      "java\tscript:alert(1)",
      "data:text/html,<script>alert(1)</script>",
      "ftp://example.org/file",
      "mailto:ada@example.org",
      "vbscript:msgbox",
      "localhost",
      "https://",
      "not a website",
    ])("refuses %s", (website) => {
      expect(errors({ name: "Ada", website }).website).toBe(
        "Website must be a web address starting with http:// or https://.",
      );
    });

    it("refuses credentials in the address", () => {
      expect(errors({ name: "Ada", website: "http://user:pw@x.org" }).website).toBe(
        "Website must not contain a user name or password.",
      );
      expect(errors({ name: "Ada", website: "https://user@x.org/" }).website).toBe(
        "Website must not contain a user name or password.",
      );
    });

    it("refuses more than 300 characters", () => {
      expect(errors({ name: "Ada", website: `https://example.org/${"a".repeat(300)}` }).website).toMatch(
        /^Website must be at most 300 characters/,
      );
    });
  });

  describe("comment", () => {
    it("allows 500 characters and refuses 501", () => {
      expect(value({ name: "Ada", comment: "c".repeat(500) }).comment).toHaveLength(500);
      expect(errors({ name: "Ada", comment: "c".repeat(501) }).comment).toBe(
        "Comment must be at most 500 characters (it has 501).",
      );
      expect(errors({ name: "Ada", comment: "c".repeat(5000) }).comment).toBe(
        "Comment must be at most 500 characters.",
      );
    });

    it("keeps paragraphs but no more than one blank line", () => {
      expect(
        value({ name: "Ada", comment: "  First  line \r\nsecond\r\n\r\n\r\n\r\nThird\u2028fourth\t end " }).comment,
      ).toBe("First line\nsecond\n\nThird\nfourth end");
    });

    it("strips invisible characters, refuses NUL, stores NFC", () => {
      expect(value({ name: "Ada", comment: "Cafe\u0301\u202E!" }).comment).toBe("Café!");
      expect(errors({ name: "Ada", comment: "a\u0000b" }).comment).toBe("Comment contains a NUL character.");
    });
  });

  describe("email", () => {
    it("is optional unless the site confirms by mail", () => {
      expect(value({ name: "Ada" }).email).toBeNull();
      expect(errors({ name: "Ada" }, { emailRequired: true }).email).toBe(
        "Please enter your email address: this site confirms each signature by mail.",
      );
      expect(value({ name: "Ada", email: "ada@example.org" }, { emailRequired: true }).email).toBe("ada@example.org");
    });

    it.each([
      "ada",
      "ada@",
      "@example.org",
      "ada@example",
      "ada@@example.org",
      "ada example@example.org",
      "ada@example.o",
      "<ada@example.org>",
      "ada@exa,mple.org",
    ])("refuses %s", (email) => {
      expect(errors({ name: "Ada", email }).email).toBe(
        "Email address does not look like an address (name@example.org).",
      );
    });

    it("lower-cases the domain only", () => {
      expect(value({ name: "Ada", email: " Ada.King+Sign@Example.ORG " }).email).toBe("Ada.King+Sign@example.org");
    });

    it("refuses more than 254 characters", () => {
      expect(errors({ name: "Ada", email: `${"a".repeat(250)}@example.org` }).email).toMatch(/at most 254 characters/);
    });
  });

  describe("visibility", () => {
    it("takes the form's public/count", () => {
      expect(value({ name: "Ada", visibility: "public" }).public).toBe(true);
      expect(value({ name: "Ada", visibility: "count" }).public).toBe(false);
    });

    it("takes JSON's boolean", () => {
      expect(parseSignatureInput({ name: "Ada", public: true }, optional)).toMatchObject({
        ok: true,
        value: { public: true },
      });
      expect(parseSignatureInput({ name: "Ada", public: false }, optional)).toMatchObject({
        ok: true,
        value: { public: false },
      });
    });

    it("is required", () => {
      expect(parseSignatureInput({ name: "Ada" }, optional)).toEqual({
        ok: false,
        errors: { public: "Please choose whether to show your name or only be counted." },
      });
      expect(parseSignatureInput({ name: "Ada", visibility: "" }, optional)).toMatchObject({
        ok: false,
        errors: { public: expect.any(String) },
      });
    });

    it.each(["yes", "PUBLIC", "true", "1", "hidden"])("refuses the form value %s", (visibility) => {
      expect(parseSignatureInput({ name: "Ada", visibility }, optional)).toEqual({
        ok: false,
        errors: { public: "Choose “public” to show your name or “count” to be counted only." },
      });
    });

    it.each([["yes"], ["public"], ["count"], ["true"], [1], [0], [[true]], [{}]])(
      "refuses the JSON value %j",
      (isPublic) => {
        const result = parseSignatureInput({ name: "Ada", public: isPublic }, optional);
        expect(result).toMatchObject({
          ok: false,
          errors: { public: expect.stringMatching(/public must be true .* or false/) },
        });
      },
    );
  });

  it("reports every bad field at once", () => {
    expect(
      Object.keys(
        errors({
          name: "",
          place: "p".repeat(101),
          website: "ftp://x.org",
          comment: "c".repeat(501),
          email: "nope",
          visibility: "maybe",
        }),
      ).sort(),
    ).toEqual(["comment", "email", "name", "place", "public", "website"]);
  });

  it("ignores fields it does not know", () => {
    expect(value({ name: "Ada", phone: "123", csrf: "x", revision: "1" })).toMatchObject({ name: "Ada" });
  });

  it("exports its limits", () => {
    expect(LIMITS).toEqual({ name: 100, place: 100, website: 300, comment: 500, email: 254 });
  });
});

describe("cleanLine", () => {
  it("collapses whitespace and trims", () => {
    expect(cleanLine("  a \t b \n c  ")).toBe("a b c");
  });
});

describe("canonicalEmail", () => {
  it.each([
    ["Ada@Example.org", "ada@example.org"],
    ["ada+petition@example.org", "ada@example.org"],
    ["a.d.a@example.org", "a.d.a@example.org"],
    ["A.D.A+x@Gmail.com", "ada@gmail.com"],
    ["a.da@googlemail.com", "ada@gmail.com"],
    ['"odd@local"@example.org', '"odd@local"@example.org'],
  ])("%s → %s", (email, canonical) => {
    expect(canonicalEmail(email)).toBe(canonical);
  });
});

describe("characters and addresses people really type", () => {
  it("keeps zero-width joiners that Persian, Indic scripts and emoji need", async () => {
    const { parseSignatureInput } = await import("../src/signature-input.ts");
    const persian = "می\u200Cخواهم";
    const family = "Ana 👩\u200D👩\u200D👧";
    const result = parseSignatureInput(
      { name: persian, comment: family, visibility: "public" },
      { emailRequired: false },
    );
    expect(result.ok && result.value.name).toBe(persian);
    expect(result.ok && result.value.comment).toBe(family);
  });

  it("takes host:port without a scheme as an https address", async () => {
    const { parseSignatureInput } = await import("../src/signature-input.ts");
    const result = parseSignatureInput(
      { name: "A", website: "example.org:8080/x", visibility: "public" },
      { emailRequired: false },
    );
    expect(result.ok && result.value.website).toBe("https://example.org:8080/x");
    const bad = parseSignatureInput(
      { name: "A", website: "javascript:alert(1)", visibility: "public" },
      { emailRequired: false },
    );
    expect(bad.ok).toBe(false);
  });
});
