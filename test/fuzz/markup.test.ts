/**
 * Part of the hostile input sweep: the functions every hostile text goes
 * through before it is shown, fed seeded mixtures of the script payloads,
 * odd strings and random text (FUZZ_SEED / FUZZ_RUNS as in hostile.ts):
 * Markdown rendering (Declarations, copies, site pages), remote HTML
 * sanitising (fediverse replies), HTML to Markdown (copies from another
 * site) followed by rendering, and the rendered diffs between two texts.
 * None may throw, and none may produce markup that could run script.
 */
import { describe, expect, it } from "vitest";
import { diffDeclarations, renderDiffInline, renderDiffSideBySide } from "../../src/diff/index.ts";
import { htmlToMarkdown } from "../../src/html-markdown.ts";
import { renderMarkdown, sanitizeRemoteHtml } from "../../src/markdown.ts";
import {
  Gen,
  hostileString,
  iterations,
  randomText,
  SCRIPT_PAYLOADS,
  scriptableMarkup,
  SEED,
  where,
  WEIRD_STRINGS,
} from "./hostile.ts";

/** A document of a few blocks, each a payload, an odd string or random text, sometimes inside Markdown or HTML structure. */
function hostileDocument(gen: Gen): string {
  const blocks: string[] = [];
  for (let i = 0, n = 1 + gen.int(8); i < n; i++) {
    const piece = gen.chance(0.5)
      ? gen.pick(SCRIPT_PAYLOADS)
      : gen.chance(0.5)
        ? hostileString(gen)
        : randomText(gen, gen.int(40));
    const wrap = gen.pick([
      (s: string) => s,
      (s: string) => `## ${s}`,
      (s: string) => `> ${s}`,
      (s: string) => `- ${s}\n  - ${s}`,
      (s: string) => `[${s}](${gen.pick(["javascript:alert(1)", "https://example.com/", s])})`,
      (s: string) => `<p title="${s}">${s}</p>`,
      (s: string) => `<a href="${s}">${s}</a>`,
      (s: string) => `\`\`\`\n${s}\n\`\`\``,
      (s: string) => `| a | b |\n|---|---|\n| ${s} | ${gen.pick(WEIRD_STRINGS)} |`,
      (s: string) => `${"> ".repeat(gen.int(50))}${s}`,
    ]);
    blocks.push(wrap(piece));
  }
  return blocks.join(gen.pick(["\n\n", "\n", "", "\r\n\r\n"]));
}

describe("the markup pipeline, on hostile text", () => {
  it("never throws and never yields markup that could run script", () => {
    const gen = new Gen(SEED).fork("markup");
    const problems: string[] = [];
    const check = (i: number, step: string, input: string, run: () => string) => {
      let html: string;
      try {
        html = run();
      } catch (error) {
        problems.push(where(step, i, `${JSON.stringify(input).slice(0, 200)} threw ${String(error)}`));
        return;
      }
      const bad = scriptableMarkup(html);
      if (bad.length > 0)
        problems.push(where(step, i, `${JSON.stringify(input).slice(0, 200)} → ${bad.join(" | ").slice(0, 200)}`));
    };
    // Every payload alone, then seeded mixtures.
    const inputs = [...SCRIPT_PAYLOADS, ...Array.from({ length: iterations(400) }, () => hostileDocument(gen))];
    for (const [i, input] of inputs.entries()) {
      check(i, "renderMarkdown", input, () => renderMarkdown(input));
      check(i, "sanitizeRemoteHtml", input, () => sanitizeRemoteHtml(input));
      check(i, "htmlToMarkdown then renderMarkdown", input, () => renderMarkdown(htmlToMarkdown(input)));
    }
    for (let i = 0; i < iterations(60); i++) {
      const before = hostileDocument(gen);
      const after = gen.chance(0.5) ? `${before}\n\n${hostileDocument(gen)}` : hostileDocument(gen);
      check(i, "renderDiffInline", `${before} → ${after}`, () => renderDiffInline(diffDeclarations(before, after)));
      check(i, "renderDiffSideBySide", `${before} → ${after}`, () =>
        renderDiffSideBySide(diffDeclarations(before, after)),
      );
    }
    expect(problems).toEqual([]);
  });
});

describe("scriptableMarkup, the sweep's HTML check (control)", () => {
  it("finds each kind of markup that could run script, and passes what cannot", () => {
    for (const html of [
      "<script>alert(1)</script>",
      '<script src="https://evil.example/x.js"></script>',
      "<img src=x onerror=alert(1)>",
      '<a href="javascript:alert(1)">x</a>',
      '<a href="&#106;avascript:alert(1)">x</a>',
      '<a href=" JaVa\tScRiPt:alert(1)">x</a>',
      '<iframe src="https://evil.example/"></iframe>',
      '<object data="x"></object>',
      '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
      '<div style="width: expression(alert(1))">',
      '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    ]) {
      expect(scriptableMarkup(html), html).not.toEqual([]);
    }
    for (const html of [
      '<script src="/static/share.js" defer></script>',
      '<script type="application/ld+json">{"a":1}</script>',
      '<a href="https://example.com/?q=javascript:">x</a>',
      "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>",
      "<textarea><script>alert(1)</script></textarea>",
      '<iframe src="/embed/d/x"></iframe>',
    ]) {
      expect(scriptableMarkup(html), html).toEqual([]);
    }
  });
});
