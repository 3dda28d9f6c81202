/**
 * src/diff.ts on real prose: a Declaration-like text edited the ways authors
 * edit copies (words, sentences, moved, split and merged paragraphs, lists,
 * headings, other scripts), rendered as HTML and as the Proposed Changes
 * section, and merged three ways.
 */
import { Parser } from "htmlparser2";
import { describe, expect, it } from "vitest";
import {
  type DeclarationDiff,
  type DiffBlock,
  MAX_EXCERPT,
  countWords,
  diffDeclarations,
  diffSummary,
  diffWords,
  escapeMarkdownInline,
  mergeThreeWay,
  proposedChanges,
  proposedChangesMarkdown,
  renderDiffInline,
  renderDiffSideBySide,
  splitBlocks,
} from "../src/diff/index.ts";
import { renderMarkdown } from "../src/markdown.ts";

const P = {
  title: "# A Declaration on Public Conversation",
  intro:
    "We, the undersigned, hold that a public conversation belongs to the people who take part in it. No company should own the square where citizens meet, argue and decide together.",
  rights:
    "Everyone has the right to speak without being watched, to read without being profiled, and to leave a platform without losing the people they know.",
  duties:
    "Those who host our conversations have duties as well as rights. They must publish the rules they apply, explain each decision that silences a voice, and allow an appeal to a person rather than a machine.",
  heading: "## What we ask",
  item1: "- Open standards, so that people can move between services.",
  item2: "- Clear rules, written in plain language.",
  item3: "- An end to advertising based on surveillance.",
  closing:
    "We will sign this Declaration, share it, and keep asking until it is law. A conversation that anyone can join is worth defending.",
};

const doc = (...blocks: string[]) => `${blocks.join("\n\n")}\n`;
const list = (...items: string[]) => items.join("\n");
const BASE = doc(P.title, P.intro, P.rights, P.duties, P.heading, list(P.item1, P.item2, P.item3), P.closing);

function kinds(diff: DeclarationDiff): string[] {
  return diff.blocks.map((b) => b.kind);
}

function changed(diff: DeclarationDiff): Exclude<DiffBlock, { kind: "unchanged" }>[] {
  return diff.blocks.filter((b): b is Exclude<DiffBlock, { kind: "unchanged" }> => b.kind !== "unchanged");
}

function only<T>(items: readonly T[]): T {
  expect(items).toHaveLength(1);
  return items[0]!;
}

function partsOf(block: DiffBlock) {
  if (block.kind !== "changed" && block.kind !== "moved")
    throw new Error(`expected a changed or moved block, got ${block.kind}`);
  return block.parts;
}

function textsOf(block: DiffBlock, kind: "added" | "removed" | "same"): string[] {
  return partsOf(block)
    .filter((p) => p.kind === kind)
    .map((p) => p.text);
}

/** Every tag and attribute in `html`, parsed by a real HTML parser. */
function parseHtml(html: string) {
  const tags: Array<{ name: string; attribs: Record<string, string> }> = [];
  let text = "";
  const parser = new Parser(
    {
      onopentag: (name, attribs) => tags.push({ name, attribs }),
      ontext: (t) => (text += t),
    },
    { decodeEntities: true },
  );
  parser.write(html);
  parser.end();
  return { tags, text };
}

// ---------------------------------------------------------------------------

describe("splitBlocks", () => {
  it("splits paragraphs, headings and list items, and keeps fenced code whole", () => {
    const md = [
      "# Title",
      "First paragraph,",
      "continued on a second line.",
      "",
      "- one",
      "- two",
      "  continued",
      "  - nested",
      "1. first",
      "",
      "```",
      "code",
      "",
      "more code",
      "```",
      "",
      "Setext heading",
      "--------------",
      "Last.",
    ].join("\n");
    expect(splitBlocks(md)).toEqual([
      "# Title",
      "First paragraph,\ncontinued on a second line.",
      "- one",
      "- two\n  continued",
      "  - nested",
      "1. first",
      "```\ncode\n\nmore code\n```",
      "Setext heading\n--------------",
      "Last.",
    ]);
  });

  it("normalises line ends, trailing spaces, blank-line runs, a BOM and Unicode composition", () => {
    const messy = "\uFEFFOne  \r\ntwo\t\r\n\r\n\r\n\r\nCafe\u0301\rthree   ";
    expect(splitBlocks(messy)).toEqual(["One\ntwo", "Café\nthree"]);
    expect(splitBlocks(messy)).toEqual(splitBlocks("One\ntwo\n\nCafé\nthree\n"));
    expect(splitBlocks("")).toEqual([]);
    expect(splitBlocks("\n \n\t\n")).toEqual([]);
  });

  it("keeps an unclosed fence to the end of the document", () => {
    expect(splitBlocks("Intro\n\n~~~\na\n\nb")).toEqual(["Intro", "~~~\na\n\nb"]);
  });
});

describe("diffDeclarations: words", () => {
  it("reports identical texts as unchanged", () => {
    const diff = diffDeclarations(BASE, BASE.replace(/\n/g, "\r\n"));
    expect(new Set(kinds(diff))).toEqual(new Set(["unchanged"]));
    expect(diff.stats).toMatchObject({ wordsAdded: 0, wordsRemoved: 0, blocksChanged: 0, unchanged: 9 });
    expect(diffSummary(diff)).toMatchObject({ identical: true, wordsChanged: 0, ratio: 0, text: "No changes" });
    expect(proposedChanges(diff)).toEqual([]);
  });

  it("finds inserted words", () => {
    const after = BASE.replace("to speak without being watched", "to speak freely and openly without being watched");
    const diff = diffDeclarations(BASE, after);
    const block = only(changed(diff));
    expect(block).toMatchObject({ kind: "changed", from: 2, to: 2, fromCount: 1, toCount: 1 });
    expect(textsOf(block, "added")).toEqual(["freely and openly "]);
    expect(textsOf(block, "removed")).toEqual([]);
    expect(diff.stats).toMatchObject({ wordsAdded: 3, wordsRemoved: 0, blocksChanged: 1, unchanged: 8 });
    expect(diffSummary(diff).text).toBe("3 words changed (+3 −0) in 1 paragraph");
  });

  it("finds deleted words and a deleted sentence", () => {
    const after = BASE.replace(" A conversation that anyone can join is worth defending.", "").replace(
      "meet, argue and decide",
      "meet and decide",
    );
    const diff = diffDeclarations(BASE, after);
    expect(changed(diff)).toHaveLength(2);
    expect(textsOf(changed(diff)[0]!, "removed").join("")).toContain("argue");
    expect(textsOf(changed(diff)[1]!, "removed")).toEqual([" A conversation that anyone can join is worth defending."]);
    expect(diff.stats.wordsAdded).toBe(0);
    expect(diff.stats.wordsRemoved).toBe(1 + 9);
  });

  it("shows a replacement as one removal followed by one addition", () => {
    const after = BASE.replace(
      "allow an appeal to a person rather than a machine",
      "allow an appeal to an independent human reviewer",
    );
    const block = only(changed(diffDeclarations(BASE, after)));
    const parts = partsOf(block);
    const i = parts.findIndex((p) => p.kind === "removed");
    expect(parts[i]).toEqual({ kind: "removed", text: "a person rather than a machine" });
    expect(parts[i + 1]).toEqual({ kind: "added", text: "an independent human reviewer" });
    // The parts rebuild both texts exactly.
    if (block.kind !== "changed") throw new Error();
    expect(
      parts
        .filter((p) => p.kind !== "added")
        .map((p) => p.text)
        .join(""),
    ).toBe(block.before);
    expect(
      parts
        .filter((p) => p.kind !== "removed")
        .map((p) => p.text)
        .join(""),
    ).toBe(block.after);
  });

  it("adds and removes whole paragraphs", () => {
    const extra = "We also ask that public institutions publish on open networks first.";
    const diff = diffDeclarations(
      BASE,
      doc(P.title, P.intro, P.rights, extra, P.heading, list(P.item1, P.item2, P.item3), P.closing),
    );
    expect(
      changed(diff)
        .map((b) => b.kind)
        .sort(),
    ).toEqual(["added", "removed"]);
    expect(diff.blocks.find((b) => b.kind === "added")).toMatchObject({ text: extra, to: 3 });
    expect(diff.blocks.find((b) => b.kind === "removed")).toMatchObject({ text: P.duties, from: 3 });
  });

  it("handles an empty before or after", () => {
    const fromEmpty = diffDeclarations("", BASE);
    expect(new Set(kinds(fromEmpty))).toEqual(new Set(["added"]));
    expect(fromEmpty.stats.wordsAdded).toBe(countWords(BASE.replace(/[#-]/g, "")));
    expect(fromEmpty.stats.blocksAdded).toBe(9);
    const toEmpty = diffDeclarations(BASE, "  \n");
    expect(new Set(kinds(toEmpty))).toEqual(new Set(["removed"]));
    expect(toEmpty.stats.wordsRemoved).toBe(fromEmpty.stats.wordsAdded);
    const none = diffDeclarations("", "");
    expect(none.blocks).toEqual([]);
    expect(renderDiffInline(none)).toContain('class="diff diff-inline"');
    expect(proposedChangesMarkdown(proposedChanges(none), { title: "T", url: "/d/t", revision: 1 })).toContain(
      "No changes yet.",
    );
  });
});

describe("diffDeclarations: moves, splits and merges", () => {
  it("reports a paragraph moved unchanged as moved, with its old and new positions", () => {
    const after = doc(P.title, P.intro, P.duties, P.heading, list(P.item1, P.item2, P.item3), P.rights, P.closing);
    const diff = diffDeclarations(BASE, after);
    const moved = only(changed(diff));
    expect(moved).toMatchObject({ kind: "moved", from: 2, to: 7, similarity: 1, before: P.rights, after: P.rights });
    expect(diff.stats).toMatchObject({ wordsAdded: 0, wordsRemoved: 0, blocksMoved: 1, blocksChanged: 1 });
    // Shown at its new place.
    expect(diff.blocks.indexOf(moved)).toBe(7);
    expect(renderDiffInline(diff)).toContain("moved from paragraph 3");
    expect(renderDiffSideBySide(diff)).toContain("moved from paragraph 3");
    expect(diffSummary(diff).text).toBe("1 moved");
  });

  it("reports a paragraph moved and lightly edited (≥ 90 % similar) as moved, with its word changes", () => {
    const edited = P.duties.replace("publish the rules", "publish all the rules");
    const diff = diffDeclarations(
      BASE,
      doc(
        P.title,
        P.duties.replace(P.duties, edited),
        P.intro,
        P.rights,
        P.heading,
        list(P.item1, P.item2, P.item3),
        P.closing,
      ),
    );
    const moved = only(changed(diff));
    expect(moved.kind).toBe("moved");
    if (moved.kind !== "moved") throw new Error();
    expect(moved.similarity).toBeGreaterThanOrEqual(0.9);
    expect(moved.similarity).toBeLessThan(1);
    expect(textsOf(moved, "added")).toEqual(["all "]);
    expect(diff.stats.wordsAdded).toBe(1);
  });

  it("does not call a heavily rewritten paragraph elsewhere a move", () => {
    const rewritten = "Hosts have duties: public rules, reasons for every removal, and a human who hears appeals.";
    const diff = diffDeclarations(
      BASE,
      doc(P.title, rewritten, P.intro, P.rights, P.heading, list(P.item1, P.item2, P.item3), P.closing),
    );
    expect(
      changed(diff)
        .map((b) => b.kind)
        .sort(),
    ).toEqual(["added", "removed"]);
  });

  it("shows a paragraph split in two as one changed block with a paragraph break added", () => {
    const [first, second] = P.duties.split(" They must ");
    const after = doc(
      P.title,
      P.intro,
      P.rights,
      `${first}`,
      `They must ${second}`,
      P.heading,
      list(P.item1, P.item2, P.item3),
      P.closing,
    );
    const diff = diffDeclarations(BASE, after);
    const block = only(changed(diff));
    expect(block).toMatchObject({ kind: "changed", from: 3, fromCount: 1, to: 3, toCount: 2 });
    expect(textsOf(block, "added")).toEqual(["\n\n"]);
    expect(textsOf(block, "removed")).toEqual([" "]);
    expect(diff.stats).toMatchObject({ wordsAdded: 0, wordsRemoved: 0 });
    const html = renderDiffInline(diff);
    expect(html).toContain('<ins class="diff-ins">¶<br><br></ins>');
    const change = only(proposedChanges(diff));
    expect(change.before).toContain("rights. They must publish");
    expect(change.after).toContain("rights.\n\nThey must publish");
  });

  it("shows a split with edits in both halves as one changed block with readable word changes", () => {
    const after = doc(
      P.title,
      P.intro,
      P.rights,
      "Those who host our conversations have duties as well as powers.",
      "They must publish every rule they apply, explain each decision that silences a voice, and allow an appeal to a person rather than a machine.",
      P.heading,
      list(P.item1, P.item2, P.item3),
      P.closing,
    );
    const block = only(changed(diffDeclarations(BASE, after)));
    expect(block).toMatchObject({ kind: "changed", toCount: 2 });
    expect(textsOf(block, "removed")).toEqual(expect.arrayContaining(["rights", "the rules"]));
    expect(textsOf(block, "added")).toEqual(expect.arrayContaining(["powers", "every rule"]));
  });

  it("shows two paragraphs merged into one as one changed block", () => {
    const after = doc(
      P.title,
      P.intro,
      `${P.rights} ${P.duties}`,
      P.heading,
      list(P.item1, P.item2, P.item3),
      P.closing,
    );
    const diff = diffDeclarations(BASE, after);
    const block = only(changed(diff));
    expect(block).toMatchObject({ kind: "changed", from: 2, fromCount: 2, to: 2, toCount: 1 });
    expect(textsOf(block, "removed")).toEqual(["\n\n"]);
    expect(textsOf(block, "added")).toEqual([" "]);
  });

  it("keeps a new paragraph next to an edited one as added, not as a split", () => {
    const extra = "Moderation decisions must be reviewable by courts.";
    const after = doc(
      P.title,
      P.intro,
      P.rights,
      P.duties.replace("a machine", "an algorithm"),
      extra,
      P.heading,
      list(P.item1, P.item2, P.item3),
      P.closing,
    );
    const diff = diffDeclarations(BASE, after);
    expect(changed(diff).map((b) => b.kind)).toEqual(["changed", "added"]);
    expect(changed(diff)[0]).toMatchObject({ fromCount: 1, toCount: 1 });
  });
});

describe("diffDeclarations: Markdown structure", () => {
  it("diffs list items one by one", () => {
    const after = doc(
      P.title,
      P.intro,
      P.rights,
      P.duties,
      P.heading,
      list(
        P.item1,
        "- Clear rules, written in plain language and several languages.",
        "- Data portability within thirty days.",
        P.item3,
      ),
      P.closing,
    );
    const diff = diffDeclarations(BASE, after);
    expect(changed(diff).map((b) => b.kind)).toEqual(["changed", "added"]);
    expect(textsOf(changed(diff)[0]!, "added")).toEqual([" and several languages"]);
    expect(changed(diff)[1]).toMatchObject({ text: "- Data portability within thirty days." });
  });

  it("reports a reordered list item as moved", () => {
    const after = doc(P.title, P.intro, P.rights, P.duties, P.heading, list(P.item3, P.item1, P.item2), P.closing);
    const diff = diffDeclarations(BASE, after);
    expect(only(changed(diff))).toMatchObject({ kind: "moved", before: P.item3 });
  });

  it("diffs a changed heading and a changed heading level", () => {
    const after = BASE.replace("## What we ask", "### What we demand");
    const block = only(changed(diffDeclarations(BASE, after)));
    expect(block.kind).toBe("changed");
    expect(textsOf(block, "removed")).toEqual(["## What we ask"].map(() => expect.any(String)));
    expect(
      partsOf(block)
        .filter((p) => p.kind === "removed")
        .map((p) => p.text)
        .join("|"),
    ).toContain("ask");
    expect(
      partsOf(block)
        .filter((p) => p.kind === "added")
        .map((p) => p.text)
        .join("|"),
    ).toContain("demand");
  });
});

describe("diffDeclarations: Unicode", () => {
  it("treats accented words as whole words", () => {
    const before =
      "Nous, soussignés, déclarons que la conversation publique appartient à celles et ceux qui y participent.";
    const after =
      "Nous, soussignées, déclarons que la conversation publique appartient à toutes celles et ceux qui y participent.";
    const block = only(changed(diffDeclarations(before, after)));
    expect(textsOf(block, "removed")).toEqual(["soussignés"]);
    expect(textsOf(block, "added")).toEqual(["soussignées", "toutes "]);
  });

  it("compares composed and decomposed accents as equal", () => {
    const diff = diffDeclarations("Le café est ouvert.", "Le cafe\u0301 est ouvert.");
    expect(kinds(diff)).toEqual(["unchanged"]);
  });

  it("never splits an emoji sequence", () => {
    const diff = diffDeclarations("Families 👩‍👩‍👧 deserve privacy 🔒.", "Families 👨‍👩‍👦 deserve privacy 🔐.");
    const block = only(changed(diff));
    expect(textsOf(block, "removed")).toEqual(["👩‍👩‍👧", "🔒"]);
    expect(textsOf(block, "added")).toEqual(["👨‍👩‍👦", "🔐"]);
    expect(diff.stats).toMatchObject({ wordsAdded: 2, wordsRemoved: 2 });
  });

  it("keeps Persian words with a zero-width non-joiner whole", () => {
    const before = "ما می‌خواهیم که گفت‌وگوی عمومی آزاد بماند.";
    const after = "ما می‌خواستیم که گفت‌وگوی عمومی آزاد بماند.";
    const block = only(changed(diffDeclarations(before, after)));
    expect(textsOf(block, "removed")).toEqual(["می‌خواهیم"]);
    expect(textsOf(block, "added")).toEqual(["می‌خواستیم"]);
    expect(textsOf(block, "same").join("")).toContain("گفت‌وگوی");
  });

  it("diffs Chinese and Japanese by words, not by UTF-16 units", () => {
    const zh = only(
      changed(diffDeclarations("人人生而自由，在尊严和权利上一律平等。", "人人生而自由，在尊严和义务上一律平等。")),
    );
    expect(textsOf(zh, "removed")).toEqual(["权利"]);
    expect(textsOf(zh, "added")).toEqual(["义务"]);
    const ja = only(changed(diffDeclarations("すべての人は表現の自由を有する。", "すべての人は集会の自由を有する。")));
    expect(textsOf(ja, "removed").join("")).toContain("表現");
    expect(textsOf(ja, "added").join("")).toContain("集会");
    // No part starts or ends inside a surrogate pair.
    for (const p of [...partsOf(zh), ...partsOf(ja)]) expect(p.text.isWellFormed()).toBe(true);
  });
});

describe("diffDeclarations: size", () => {
  it("diffs a 200 KB Declaration with scattered edits", () => {
    const paragraphs = Array.from({ length: 1400 }, (_, i) => `${i + 1}. ${P.intro} Paragraph ${i} of the annex.`);
    const before = paragraphs.join("\n\n");
    expect(before.length).toBeGreaterThan(200_000);
    const edited = paragraphs.map((p, i) => (i % 100 === 7 ? p.replace("argue", "debate") : p));
    edited.splice(500, 0, "A new paragraph in the middle of the annex.");
    const [movedParagraph] = edited.splice(900, 1);
    edited.push(movedParagraph!);
    const diff = diffDeclarations(before, edited.join("\n\n"));
    expect(diff.stats.blocksEdited).toBe(14);
    expect(diff.stats.blocksAdded).toBe(1);
    expect(diff.stats.blocksMoved).toBe(1);
    expect(renderDiffInline(diff).length).toBeGreaterThan(200_000);
    expect(proposedChanges(diff)).toHaveLength(16);
  });

  it("diffs a 200 KB Declaration where every paragraph changed", () => {
    const paragraphs = Array.from({ length: 1400 }, (_, i) => `${P.duties} Clause ${i}.`);
    const before = paragraphs.join("\n\n");
    const after = paragraphs.map((p) => p.replace("a machine", "an algorithm")).join("\n\n");
    const diff = diffDeclarations(before, after);
    expect(diff.blocks.length).toBeGreaterThan(0);
    expect(diff.stats.wordsRemoved).toBeGreaterThan(0);
  });

  it("diffs two unrelated 200 KB texts", () => {
    const a = Array.from({ length: 1400 }, (_, i) => `${P.rights} Alpha ${i}.`).join("\n\n");
    const b = Array.from(
      { length: 1400 },
      (_, i) => `Completely different words number ${i}, nothing shared here at all, zebra quartz.`,
    ).join("\n\n");
    const diff = diffDeclarations(a, b);
    expect(diff.stats.unchanged).toBe(0);
  });
});

describe("rendering", () => {
  const hostile = doc(
    P.title,
    P.intro,
    `He wrote <script>alert("x")</script> & 'quoted' "words" <img src=x onerror=alert(1)>.`,
    P.closing,
  );
  const hostileAfter = doc(
    P.title,
    P.intro,
    `He wrote <script>alert("y")</script> & 'quoted' "words" <b onclick="x()">bold</b>.`,
    P.closing,
    "<style>body{}</style>",
  );

  for (const [name, render] of [
    ["inline", renderDiffInline],
    ["side by side", renderDiffSideBySide],
  ] as const) {
    it(`${name}: escapes all document text and has no scripts, styles or event handlers`, () => {
      const html = render(diffDeclarations(hostile, hostileAfter));
      expect(html).not.toMatch(/<(script|img|style|b)[\s>]|<[^>]*\son\w+=/i);
      expect(html).toContain("&lt;script&gt;alert(&quot;");
      expect(html).toContain("&#39;quoted&#39;");
      expect(html).toContain("&amp;");
      const { tags, text } = parseHtml(html);
      const allowed = new Set([
        "div",
        "details",
        "summary",
        "ins",
        "del",
        "p",
        "br",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
      ]);
      for (const tag of tags) {
        expect(allowed.has(tag.name), tag.name).toBe(true);
        for (const attribute of Object.keys(tag.attribs)) expect(["class", "scope", "colspan"]).toContain(attribute);
      }
      expect(text).toContain(`He wrote <script>alert("`);
      expect(text).toContain(`")</script> & 'quoted' "words" <`);
    });
  }

  it("collapses runs of more than two unchanged blocks, and only those", () => {
    const after = BASE.replace("plain language", "plain, simple language");
    const diff = diffDeclarations(BASE, after);
    const html = renderDiffInline(diff);
    // title, intro, rights, duties, heading, item1 unchanged; item2 changed; item3, closing unchanged.
    expect(html).toContain('<details class="diff-collapsed"><summary>6 unchanged paragraphs</summary>');
    expect(html.match(/<details/g)).toHaveLength(1);
    expect(html).toContain(
      '<div class="diff-block diff-unchanged">- An end to advertising based on surveillance.</div>',
    );
    expect(html).toMatch(/plain<ins class="diff-ins">, simple<\/ins> language/);
    const table = renderDiffSideBySide(diff);
    expect(table.startsWith('<table class="diff-side">')).toBe(true);
    expect(table).toContain("<summary>6 unchanged paragraphs</summary>");
    expect(table).toContain(
      '<tr class="diff-changed"><td class="diff-before">- Clear rules, written in plain language.</td><td class="diff-after">- Clear rules, written in plain<ins class="diff-ins">, simple</ins> language.</td></tr>',
    );
  });

  it("marks added and removed blocks in both views", () => {
    const diff = diffDeclarations(doc(P.intro, P.rights), doc(P.intro, P.duties));
    const inline = renderDiffInline(diff);
    expect(inline).toContain(`<div class="diff-block diff-removed"><del class="diff-del">${P.rights}</del></div>`);
    expect(inline).toContain(`<div class="diff-block diff-added"><ins class="diff-ins">${P.duties}</ins></div>`);
    const side = renderDiffSideBySide(diff);
    expect(side).toContain('<td class="diff-after diff-empty"></td>');
    expect(side).toContain('<td class="diff-before diff-empty"></td>');
  });
});

describe("proposedChanges", () => {
  const edit = (text: string) => text.replace("to leave a platform", "to leave any platform");

  it("lists each change with the changed sentence, kind and a stable id", () => {
    const after = doc(
      P.title,
      P.intro,
      edit(P.rights),
      P.duties.replace(
        " They must publish the rules they apply, explain",
        " They must publish the rules they apply and explain",
      ),
      P.heading,
      list(P.item1, P.item3),
      P.closing,
      "Signed in good faith.",
    );
    const changes = proposedChanges(diffDeclarations(BASE, after));
    expect(changes.map((c) => c.kind)).toEqual(["changed", "changed", "removed", "added"]);
    expect(changes[0]).toMatchObject({ before: P.rights, after: edit(P.rights) });
    // Only the changed sentence of a longer paragraph.
    expect(changes[1]!.before).toBe(
      "They must publish the rules they apply, explain each decision that silences a voice, and allow an appeal to a person rather than a machine.",
    );
    expect(changes[1]!.after).toMatch(/^They must publish the rules they apply and explain/);
    expect(changes[2]).toMatchObject({ before: P.item2, after: "" });
    expect(changes[3]).toMatchObject({ before: "", after: "Signed in good faith." });
    for (const c of changes) expect(c.id).toMatch(/^[\w-]{10}$/);
    expect(new Set(changes.map((c) => c.id)).size).toBe(4);
  });

  it("keeps ids when unrelated parts of the text change, and attaches notes by id", () => {
    const first = proposedChanges(
      diffDeclarations(
        BASE,
        doc(P.title, P.intro, edit(P.rights), P.duties, P.heading, list(P.item1, P.item2, P.item3), P.closing),
      ),
    );
    const id = only(first).id;
    const notes = { [id]: "Leaving should never cost you your friends." };
    const later = proposedChanges(
      diffDeclarations(
        BASE,
        doc(
          P.title,
          P.intro.replace("argue", "debate"),
          edit(P.rights),
          P.duties,
          P.heading,
          list(P.item1, P.item2, P.item3),
          P.closing,
          "Signed in good faith.",
        ),
      ),
      notes,
    );
    expect(later).toHaveLength(3);
    const same = later.find((c) => c.id === id);
    expect(same).toMatchObject({ kind: "changed", note: notes[id] });
    expect(later.filter((c) => c.note !== undefined)).toHaveLength(1);
    // Another sentence of the same paragraph edited: the first change keeps its id.
    const other = proposedChanges(
      diffDeclarations(
        BASE,
        doc(
          P.title,
          P.intro,
          P.rights,
          P.duties.replace("as well as rights", "as well as powers").replace("a machine", "an algorithm"),
          P.heading,
          list(P.item1, P.item2, P.item3),
          P.closing,
        ),
      ),
    );
    const again = proposedChanges(
      diffDeclarations(
        BASE,
        doc(
          P.title,
          P.intro,
          P.rights,
          P.duties.replace("as well as rights", "as well as powers"),
          P.heading,
          list(P.item1, P.item2, P.item3),
          P.closing,
        ),
      ),
    );
    expect(other).toHaveLength(2);
    expect(other[0]!.id).toBe(only(again).id);
  });

  it("gives identical changes distinct ids", () => {
    const before = doc("The rules apply.", "Other text here.", "The rules apply.");
    const after = doc("The rules always apply.", "Other text here.", "The rules always apply.");
    const ids = proposedChanges(diffDeclarations(before, after)).map((c) => c.id);
    expect(ids).toHaveLength(2);
    expect(ids[1]).toBe(`${ids[0]}-2`);
  });

  it("trims long texts with an ellipsis around the change", () => {
    const long =
      Array.from({ length: 40 }, (_, i) => `word${i}`).join(" ") +
      " and so on forever without any full stop " +
      Array.from({ length: 40 }, (_, i) => `tail${i}`).join(" ");
    const change = only(proposedChanges(diffDeclarations(long, long.replace("tail20", "TAIL"))));
    for (const text of [change.before, change.after]) {
      expect(text.length).toBeLessThanOrEqual(MAX_EXCERPT + 2);
      expect(text).toMatch(/^….*…$|^….*tail39$/s);
    }
    expect(change.after).toContain("TAIL");
    expect(change.before).toContain("tail20");
  });
});

describe("proposedChangesMarkdown", () => {
  const source = { title: "Digital *Rights* [draft]", url: "https://example.org/d/digital-rights (copy)", revision: 4 };

  it('says "No changes yet." when there are none', () => {
    expect(proposedChangesMarkdown([], source)).toBe(
      "## Proposed Changes\n\nCopy of [Digital \\*Rights\\* \\[draft\\]](https://example.org/d/digital-rights%20%28copy%29), version 4.\n\nNo changes yet.\n",
    );
  });

  it("lists before → after and notes, with quoted text escaped", () => {
    const before = doc(
      P.intro,
      "Read *this* and [click](javascript:alert(1)) or <img src=x onerror=alert(1)> `code` ~~gone~~ a|b &amp; \\*.",
    );
    const after = doc(
      P.intro,
      "Read *this* and [click](javascript:alert(1)) or <img src=x onerror=alert(2)> `code` ~~gone~~ a|b &amp; \\* now.",
    );
    const changes = proposedChanges(diffDeclarations(before, after), {});
    const id = only(changes).id;
    const md = proposedChangesMarkdown(
      proposedChanges(diffDeclarations(before, after), { [id]: "Because\n\n# it is _better_" }),
      source,
    );
    expect(md).toContain(
      "- **Changed:** “Read \\*this\\* and \\[click\\](javascript:alert(1)) or \\<img src=x onerror=alert(1)\\> \\`code\\` \\~\\~gone\\~\\~ a\\|b \\&amp; \\\\\\*.” → “",
    );
    expect(md).toContain("\\\n  *Note:* Because ¶ # it is \\_better\\_");
    const html = renderMarkdown(md);
    expect(html).toContain("<h2>Proposed Changes</h2>");
    expect(html).not.toMatch(/<img|<code|<em>this|<a href="javascript|<del|<h1/);
    // The quoted text survives literally.
    expect(html).toContain(
      "Read *this* and [click](javascript:alert(1)) or &lt;img src=x onerror=alert(1)&gt; `code` ~~gone~~ a|b &amp;amp; \\*",
    );
    expect(html).toContain("<em>Note:</em> Because ¶ # it is _better_");
    expect((html.match(/<li>/g) ?? []).length).toBe(1);
  });

  it("writes added, removed and moved changes", () => {
    const after = doc(
      P.title,
      P.closing,
      P.intro,
      P.rights,
      P.heading,
      list(P.item1, P.item2, P.item3),
      "Signed in good faith.",
    );
    const md = proposedChangesMarkdown(proposedChanges(diffDeclarations(BASE, after)), {
      title: "T",
      url: "/d/t",
      revision: 2,
    });
    expect(md).toContain(`- **Moved from paragraph 9 to paragraph 2:** “${P.closing}”`);
    expect(md).toContain(`- **Removed:** “${P.duties}”`);
    expect(md).toContain("- **Added:** “Signed in good faith.”");
    expect(md).toContain("Copy of [T](/d/t), version 2.");
  });

  it("escapes Markdown in quoted text", () => {
    expect(escapeMarkdownInline("  a *b*\n_c_ [d](e) <f> `g` ~h~ | &lt; \\ ")).toBe(
      "a \\*b\\* \\_c\\_ \\[d\\](e) \\<f\\> \\`g\\` \\~h\\~ \\| \\&lt; \\\\",
    );
  });
});

describe("diffWords", () => {
  it("returns parts that rebuild both texts", () => {
    const parts = diffWords("one two three", "one 2 three four");
    expect(
      parts
        .filter((p) => p.kind !== "added")
        .map((p) => p.text)
        .join(""),
    ).toBe("one two three");
    expect(
      parts
        .filter((p) => p.kind !== "removed")
        .map((p) => p.text)
        .join(""),
    ).toBe("one 2 three four");
    expect(diffWords("", "")).toEqual([]);
    expect(diffWords("", "new")).toEqual([{ kind: "added", text: "new" }]);
  });
});

describe("mergeThreeWay", () => {
  it("applies non-overlapping changes from both sides", () => {
    const ours = BASE.replace("argue and decide", "argue, listen and decide");
    const theirs = BASE.replace("plain language", "plain, simple language").replace(
      P.closing,
      `${P.closing}\n\nSigned in good faith.`,
    );
    const result = mergeThreeWay(BASE, ours, theirs);
    expect(result.conflicts).toEqual([]);
    expect(result.text).toContain("argue, listen and decide");
    expect(result.text).toContain("plain, simple language");
    expect(result.text).toContain("Signed in good faith.");
    // The tight list stays tight.
    expect(result.text).toContain(`${P.item1}\n- Clear rules, written in plain, simple language.\n${P.item3}`);
    expect(splitBlocks(result.text)).toEqual(
      splitBlocks(
        ours
          .replace("plain language", "plain, simple language")
          .replace(P.closing, `${P.closing}\n\nSigned in good faith.`),
      ),
    );
  });

  it("applies changes to neighbouring blocks and a deletion", () => {
    const ours = BASE.replace(`${P.rights}\n\n`, "");
    const theirs = BASE.replace("have duties as well as rights", "have duties");
    const result = mergeThreeWay(BASE, ours, theirs);
    expect(result.conflicts).toEqual([]);
    expect(result.text).not.toContain(P.rights);
    expect(result.text).toContain("have duties. They must");
  });

  it("reports a conflict when both sides change the same block differently, and keeps ours", () => {
    const ours = BASE.replace("a machine", "an algorithm").replace("plain language", "plain, simple language");
    const theirs = BASE.replace("a machine", "an automated system");
    const result = mergeThreeWay(BASE, ours, theirs);
    expect(result.conflicts).toEqual([
      {
        base: P.duties,
        ours: P.duties.replace("a machine", "an algorithm"),
        theirs: P.duties.replace("a machine", "an automated system"),
        at: 3,
      },
    ]);
    expect(result.text).toBe(`${ours.replace(/\n$/, "")}\n`);
  });

  it("does not call the same change on both sides a conflict", () => {
    const both = BASE.replace("a machine", "an algorithm").replace(P.closing, `${P.closing}\n\nSigned in good faith.`);
    const result = mergeThreeWay(BASE, both, both);
    expect(result.conflicts).toEqual([]);
    expect(splitBlocks(result.text)).toEqual(splitBlocks(both));
    expect(result.text.match(/Signed in good faith/g)).toHaveLength(1);
  });

  it("reports different insertions at the same place as a conflict", () => {
    const ours = BASE.replace(P.closing, `Ours first.\n\n${P.closing}`);
    const theirs = BASE.replace(P.closing, `Theirs first.\n\n${P.closing}`);
    const result = mergeThreeWay(BASE, ours, theirs);
    expect(result.conflicts).toEqual([{ base: "", ours: "Ours first.", theirs: "Theirs first.", at: 8 }]);
    expect(result.text).toContain("Ours first.");
    expect(result.text).not.toContain("Theirs first.");
  });

  it("reports an edit against a deletion as a conflict", () => {
    const result = mergeThreeWay(
      BASE,
      BASE.replace(`${P.rights}\n\n`, ""),
      BASE.replace("without being watched", "unwatched"),
    );
    expect(only(result.conflicts)).toMatchObject({ base: P.rights, ours: "" });
  });

  it("merges from and to empty texts", () => {
    expect(mergeThreeWay("", "", "")).toEqual({ text: "", conflicts: [] });
    expect(mergeThreeWay("", "A.", "")).toEqual({ text: "A.\n", conflicts: [] });
    expect(mergeThreeWay("", "A.", "B.").conflicts).toHaveLength(1);
  });
});
