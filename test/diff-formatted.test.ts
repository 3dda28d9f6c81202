/**
 * Diffs as formatted text (src/diff/render-formatted.ts): Markdown rendered
 * and sanitized, changed words marked inside the formatting, marks never
 * crossing an element, no forged marks, and the same limits as the Markdown
 * views (size checked first, capped changes, coarse past the budget).
 */
import { describe, expect, it, vi } from "vitest";
import {
  COARSE_NOTE,
  diffDeclarations,
  DiffTooLargeError,
  MAX_DIFF_TEXT_BYTES,
  MAX_RENDERED_CHANGES,
  renderFormattedInline,
  renderFormattedSideBySide,
  runDiffJob,
} from "../src/diff/index.ts";
import { PATHOLOGICAL_PAIRS, tinyParagraphs } from "./helpers/diff-texts.ts";

vi.setConfig({ testTimeout: 120_000 });

const VOID = new Set(["br", "hr", "img", "input"]);

/** Throws unless every element of `html` is closed in the order it was opened. */
function expectWellNested(html: string): void {
  const stack: string[] = [];
  for (const m of html.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = m;
    const tag = name!.toLowerCase();
    if (VOID.has(tag) || selfClosing === "/") continue;
    if (closing === "") stack.push(tag);
    else {
      const open = stack.pop();
      if (open !== tag)
        throw new Error(`</${tag}> closes <${open}> at ${m.index}: …${html.slice(m.index! - 80, m.index! + 20)}`);
    }
  }
  expect(stack).toEqual([]);
}

function both(before: string, after: string) {
  const diff = diffDeclarations(before, after);
  return { inline: renderFormattedInline(diff), side: renderFormattedSideBySide(diff) };
}

describe("formatted diffs", () => {
  it("renders the Markdown and marks changed words inside its formatting", () => {
    const { inline, side } = both(
      "# Title\n\nThe quick **brown** fox jumps.\n\nA paragraph that goes.",
      "# Title\n\nThe quick **red** fox jumps.\n\n- a new\n- list",
    );
    expect(inline).toContain('<div class="diff diff-inline diff-formatted">');
    expect(inline).toContain("<h1>Title</h1>");
    expect(inline).toContain('<strong><del class="diff-del">brown</del><ins class="diff-ins">red</ins></strong>');
    expect(inline).toContain('<del class="diff-del diff-del-block"><p>A paragraph that goes.</p>\n</del>');
    expect(inline).toMatch(/<ins class="diff-ins diff-ins-block"><ul>\s*<li>a new<\/li>/);
    expect(side).toContain('<table class="diff-side diff-formatted">');
    expect(side).toMatch(/<td class="diff-before"><p>The quick <strong><del class="diff-del">brown<\/del><\/strong>/);
    expect(side).toMatch(/<td class="diff-after"><p>The quick <strong><ins class="diff-ins">red<\/ins><\/strong>/);
    for (const html of [inline, side]) expectWellNested(html);
  });

  it("keeps marks inside elements when a change crosses the formatting", () => {
    const pairs: [string, string][] = [
      ["plain **bold words** end", "plain words end"],
      ["one *two three* four", "one two *three four*"],
      ["a [link text](https://a.example/) b", "a link text b"],
      ["> quoted **very** much\n> more", "quoted very much more"],
      ["| a | b |\n| - | - |\n| 1 | 2 |", "| a | b |\n| - | - |\n| 1 | 3 |"],
    ];
    for (const [before, after] of pairs) {
      const { inline, side } = both(before, after);
      expectWellNested(inline);
      expectWellNested(side);
      expect(inline).toMatch(/class="diff-(ins|del)/);
    }
  });

  it("sanitizes every block and lets no document forge a mark", () => {
    const forged = "Text \uE000with\uE001 forged \uE002marks\uE003.";
    const { inline, side } = both(
      `${forged}\n\nSame.`,
      `${forged}\n\nSame.\n\n<img src=x onerror="alert(1)"><script>alert(2)</script>\n\n[x](javascript:alert(3))`,
    );
    for (const html of [inline, side]) {
      expect(html).toContain("Text with forged marks.");
      expect(html).not.toMatch(/[\uE000-\uE003]/);
      expect(html).not.toContain("onerror");
      expect(html).not.toContain("<script");
      expect(html).not.toContain("javascript:");
      expectWellNested(html);
    }
    // The forged text is unchanged: nothing in it is marked.
    expect(inline).toContain("<p>Text with forged marks.</p>");
  });

  it("leaves no mark in a changed link's address", () => {
    const { inline, side } = both("See [the text](https://a.example/one).", "See [the text](https://a.example/two).");
    for (const html of [inline, side]) {
      expect(html).not.toMatch(/%EE%80%8[0-3]/i);
      for (const m of html.matchAll(/href="([^"]*)"/g)) expect(() => new URL(m[1]!)).not.toThrow();
      expectWellNested(html);
    }
  });

  it("is bounded like the Markdown views: the worst texts at the size limit, coarse and capped, well nested", () => {
    for (const [name, make] of Object.entries(PATHOLOGICAL_PAIRS)) {
      const [before, after] = make(MAX_DIFF_TEXT_BYTES - 1024);
      const out = runDiffJob({ kind: "render", before, after, views: ["inline", "side"], format: "formatted" });
      const inline = out.html.inline!;
      const side = out.html.side!;
      expect(inline, name).toContain("diff-formatted");
      const changed = (inline.match(/<div class="diff-block diff-(added|removed|changed|moved)">/g) ?? []).length;
      expect(changed, name).toBeLessThanOrEqual(MAX_RENDERED_CHANGES);
      expectWellNested(inline);
      expectWellNested(side);
      if (out.summary.text.length > 0 && inline.includes("diff-coarse")) expect(inline).toContain("These versions");
    }
    const [before, after] = tinyParagraphs(MAX_DIFF_TEXT_BYTES - 1024);
    const coarse = runDiffJob({ kind: "render", before, after, views: ["inline"], format: "formatted" });
    expect(coarse.html.inline).toContain(COARSE_NOTE.replace("’", "&#39;").slice(0, 20));
  });

  it("refuses a text over the size limit before any work, naming it", () => {
    const huge = "word ".repeat(MAX_DIFF_TEXT_BYTES / 4);
    expect(() =>
      runDiffJob({ kind: "render", before: "short", after: huge, views: ["inline"], format: "formatted" }),
    ).toThrow(DiffTooLargeError);
  });
});
