import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseDeclarationFile, readDeclarationFolder, type DeclarationFile } from "../src/declaration-files.ts";

const GOOD = `---
title: A Declaration
slug: a-declaration
summary: Short.
license: CC BY-SA 4.0
hashtags: ["#SocialMediaStrike", Open]
language: en-gb
---

# Text

We declare.
`;

function parse(text: string, path = "a.md") {
  return parseDeclarationFile(path, Buffer.from(text, "utf8"));
}

function reasonOf(text: string | Buffer, path = "bad.md"): string {
  const result = parseDeclarationFile(path, typeof text === "string" ? Buffer.from(text) : text);
  if ("slug" in result) throw new Error("expected a problem");
  expect(result.path).toBe(path);
  return result.reason;
}

describe("parseDeclarationFile", () => {
  it("reads front matter and body", () => {
    const file = parse(GOOD) as DeclarationFile;
    expect(file).toMatchObject({
      slug: "a-declaration",
      title: "A Declaration",
      summary: "Short.",
      license: "CC BY-SA 4.0",
      hashtags: ["SocialMediaStrike", "Open"],
      language: "en-GB",
      body: "# Text\n\nWe declare.\n",
    });
    expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("derives the slug from the file name and defaults the optional fields", () => {
    const file = parse("---\ntitle: Only a title\n---\nText.\n", "My Great_Declaration.md") as DeclarationFile;
    expect(file).toMatchObject({
      slug: "my-great-declaration",
      summary: "",
      license: "",
      hashtags: [],
      language: "en",
    });
  });

  it("accepts a byte-order mark and CRLF line ends", () => {
    const file = parse("\uFEFF---\r\ntitle: T\r\n---\r\nBody\r\n") as DeclarationFile;
    expect(file.title).toBe("T");
  });

  it("accepts the informational fields written by our own export", () => {
    expect("slug" in parse("---\ntitle: T\nversion: 3\nurl: https://x.example/d/t/v/3\n---\nBody\n")).toBe(true);
  });

  it.each([
    ["no front matter", "# Just text\n", /no front matter/],
    ["unterminated front matter", "---\ntitle: T\n\nBody\n", /no front matter/],
    ["no title", "---\nsummary: S\n---\nBody\n", /title is missing/],
    ["empty title", "---\ntitle: '  '\n---\nBody\n", /title must not be empty/],
    ["title of the wrong type", "---\ntitle: [a, b]\n---\nBody\n", /title/],
    ["invalid YAML", "---\ntitle: [unclosed\n---\nBody\n", /invalid front matter/],
    ["front matter that is a list", "---\n- a\n- b\n---\nBody\n", /expected fields/],
    ["an unknown field", "---\ntitle: T\nauthor: me\n---\nBody\n", /unknown field\(s\) author/],
    ["a bad slug", "---\ntitle: T\nslug: Not A Slug\n---\nBody\n", /slug "Not A Slug" may contain only/],
    ["a reserved slug", "---\ntitle: T\nslug: admin\n---\nBody\n", /reserved/],
    ["a bad hashtag", '---\ntitle: T\nhashtags: ["two words"]\n---\nBody\n', /hashtags\.0 must be words/],
    ["a bad language", "---\ntitle: T\nlanguage: not a language\n---\nBody\n", /language must be a language tag/],
    ["no text", "---\ntitle: T\n---\n\n  \n", /no text/],
    ["a NUL byte", "---\ntitle: T\n---\nBo\0dy\n", /NUL/],
  ])("refuses %s", (_name, text, pattern) => {
    expect(reasonOf(text)).toMatch(pattern);
  });

  it("refuses invalid UTF-8 and oversized files", () => {
    expect(reasonOf(Buffer.from([0x2d, 0x2d, 0x2d, 0x0a, 0xff, 0xfe, 0x0a]))).toMatch(/not valid UTF-8/);
    expect(reasonOf(`---\ntitle: T\n---\n${"x".repeat(300 * 1024)}`)).toMatch(/limit is/);
  });
});

describe("readDeclarationFolder", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir != null) rmSync(dir, { recursive: true, force: true });
  });

  it("loads good files and reports bad ones with their reason, including duplicate slugs", () => {
    dir = mkdtempSync(join(tmpdir(), "undersign-decl-"));
    writeFileSync(join(dir, "a.md"), GOOD);
    writeFileSync(join(dir, "b.md"), GOOD.replace("A Declaration", "Another"));
    writeFileSync(join(dir, "c.md"), "no front matter");
    writeFileSync(join(dir, "fine.md"), "---\ntitle: Fine\n---\nText\n");
    writeFileSync(join(dir, "notes.txt"), "ignored");
    const folder = readDeclarationFolder(dir);
    expect(folder.files.map((f) => f.path)).toEqual(["a.md", "fine.md"]);
    expect(folder.problems).toEqual([
      { path: "b.md", reason: 'duplicate slug "a-declaration": already used by a.md' },
      { path: "c.md", reason: expect.stringMatching(/no front matter/) },
    ]);
  });

  it("treats a missing folder as empty", () => {
    expect(readDeclarationFolder("/nonexistent/undersign/declarations")).toEqual({ files: [], problems: [] });
  });

  it("accepts the shipped Declaration", () => {
    const folder = readDeclarationFolder(join(import.meta.dirname, "..", "declarations"));
    expect(folder.problems).toEqual([]);
    const shipped = folder.files.find((f) => f.slug === "digital-independence");
    expect(shipped?.title).toBe("Declaration of Digital Independence");
    expect(shipped?.license).toBe("CC BY-SA 4.0");
    expect(shipped?.hashtags[0]).toBe("SocialMediaStrike");
    const text = readFileSync(join(import.meta.dirname, "..", "declarations", shipped!.path), "utf8");
    for (const idea of ["end-to-end encryption", "interoperate|work together", "compete", "open standards|standards"]) {
      expect(text).toMatch(new RegExp(idea));
    }
  });
});
