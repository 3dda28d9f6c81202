/**
 * The cost of every diff is bounded (src/diff/budget.ts, src/diff/align.ts):
 * the worst pairs of texts within the size limit are diffed within their
 * budgets, coarsely where the budget runs out, and every coarse result is
 * still a correct diff (it turns the first text into the second).  Texts over
 * the limit are refused, naming the text.  No timings here: the benchmark
 * (bench/diff-load.ts) measures time; these tests check outcomes.
 */
import { describe, expect, it, vi } from "vitest";
import { alignBlocks } from "../src/diff/align.ts";
import { WorkBudget } from "../src/diff/budget.ts";
import { countWords, countWordsIn, segmentMany, segmentWords } from "../src/diff/words.ts";
import {
  COARSE_NOTE,
  diffDeclarations,
  DiffTooLargeError,
  diffWords,
  MAX_DIFF_TEXT_BYTES,
  MAX_PROPOSED_CHANGES,
  mergeThreeWay,
  MAX_RENDERED_CHANGES,
  proposedChanges,
  renderDiffInline,
  renderDiffSideBySide,
  runDiffJob,
  splitBlocks,
  type DeclarationDiff,
  type WordPart,
} from "../src/diff/index.ts";
import { BODY_MAX_BYTES } from "../src/web/copies/copies.tsx";
import {
  interleaved,
  oneParagraph,
  PATHOLOGICAL_PAIRS,
  shuffledParagraphs,
  tinyParagraphs,
} from "./helpers/diff-texts.ts";

// The worst pairs take a second or two each here, longer on a busy test machine.
vi.setConfig({ testTimeout: 120_000 });

/** The non-blank lines of blocks: how a run of blocks reads whatever separators joined them. */
function lines(texts: readonly string[]): string[] {
  return texts.flatMap((t) => t.split("\n")).filter((line) => line.trim() !== "");
}

function partsText(parts: readonly WordPart[], side: "before" | "after"): string {
  return parts
    .filter((p) => p.kind === "same" || p.kind === (side === "before" ? "removed" : "added"))
    .map((p) => p.text)
    .join("");
}

/**
 * Rebuilds each side of the text from the diff and checks it against the
 * text's own blocks: every block accounted for once, in order, and every
 * word-level change adding up to both versions of its block.
 */
function expectCorrect(diff: DeclarationDiff, before: string, after: string): void {
  // Problems are collected and checked once: tens of thousands of blocks are too many for one expect each.
  const problems: string[] = [];
  const check = (ok: boolean, what: () => string) => {
    if (!ok && problems.length < 5) problems.push(what());
  };
  for (const side of ["before", "after"] as const) {
    const blocks = splitBlocks(side === "before" ? before : after);
    const placed: Array<{ at: number; count: number; text: string }> = [];
    for (const block of diff.blocks) {
      switch (block.kind) {
        case "unchanged":
          placed.push({ at: side === "before" ? block.from : block.to, count: 1, text: block.text });
          break;
        case "added":
          if (side === "after") placed.push({ at: block.to, count: 1, text: block.text });
          break;
        case "removed":
          if (side === "before") placed.push({ at: block.from, count: 1, text: block.text });
          break;
        case "changed": {
          const text = side === "before" ? block.before : block.after;
          check(
            partsText(block.parts, side) === text,
            () => `${side} words of changed block ${block.from}→${block.to}`,
          );
          placed.push(
            side === "before"
              ? { at: block.from, count: block.fromCount, text }
              : { at: block.to, count: block.toCount, text },
          );
          break;
        }
        case "moved": {
          const text = side === "before" ? block.before : block.after;
          check(partsText(block.parts, side) === text, () => `${side} words of moved block ${block.from}→${block.to}`);
          placed.push({ at: side === "before" ? block.from : block.to, count: 1, text });
          break;
        }
      }
    }
    placed.sort((x, y) => x.at - y.at);
    let next = 0;
    for (const p of placed) {
      check(p.at === next, () => `${side}: block ${next} missing or repeated (found ${p.at})`);
      check(
        lines([p.text]).join("\n") === lines(blocks.slice(p.at, p.at + p.count)).join("\n"),
        () => `${side}: block ${p.at} is not the text's`,
      );
      next += p.count;
    }
    check(next === blocks.length, () => `${side}: ${next} blocks accounted for, the text has ${blocks.length}`);
  }
  expect(problems).toEqual([]);
}

describe("the worst pairs within the size limit", () => {
  // Those that need more than the budgets: their diff is coarse, and says so.
  const coarse = new Set(["tinyParagraphs", "listItems", "interleaved", "oneParagraph"]);
  for (const [name, make] of Object.entries(PATHOLOGICAL_PAIRS)) {
    it(`${name}: diffed within the budgets, and the diff is correct`, () => {
      const [before, after] = make(MAX_DIFF_TEXT_BYTES);
      expect(Buffer.byteLength(before)).toBeLessThanOrEqual(MAX_DIFF_TEXT_BYTES);
      expect(Buffer.byteLength(after)).toBeLessThanOrEqual(MAX_DIFF_TEXT_BYTES);
      expect(Buffer.byteLength(before)).toBeGreaterThan(MAX_DIFF_TEXT_BYTES * 0.99);
      const diff = diffDeclarations(before, after);
      expectCorrect(diff, before, after);
      expect(diff.coarse).toBe(coarse.has(name));
      expect(renderDiffInline(diff).includes(COARSE_NOTE)).toBe(coarse.has(name));
    });
  }

  it("a long paragraph with scattered edits is shown replaced whole once its word budget is spent, never half-compared", () => {
    const [before, after] = oneParagraph(MAX_DIFF_TEXT_BYTES);
    const diff = diffDeclarations(before, after);
    const block = diff.blocks[0]!;
    expect(block.kind).toBe("changed");
    if (block.kind !== "changed") return;
    expect(block.parts.map((p) => p.kind)).toEqual(["removed", "added"]);
  });

  it("renders at most MAX_RENDERED_CHANGES changed paragraphs, and says how many more are left out", () => {
    const [before, after] = tinyParagraphs(MAX_DIFF_TEXT_BYTES);
    const diff = diffDeclarations(before, after);
    expect(diff.stats.blocksChanged).toBeGreaterThan(MAX_RENDERED_CHANGES);
    const left = (diff.stats.blocksChanged - MAX_RENDERED_CHANGES).toLocaleString("en-US");
    for (const html of [renderDiffInline(diff), renderDiffSideBySide(diff)]) {
      expect(
        html.match(/class="diff-(block diff-(added|removed|changed|moved)|(added|removed|changed|moved))"/g),
      ).toHaveLength(MAX_RENDERED_CHANGES);
      expect(html).toContain(
        `Only the first 5,000 changed paragraphs are shown: ${left} more, and the rest of the text, are left out.`,
      );
    }
    // An ordinary diff shows everything, without the note.
    expect(renderDiffInline(diffDeclarations("One.\n\nTwo.", "One.\n\nThree."))).not.toContain("are left out");
  });

  it("gives the same diff for the same texts (the budget counts work, not time), so change ids stay stable", () => {
    const [before, after] = interleaved(64 * 1024);
    const first = diffDeclarations(before, after, { alignment: 20_000, pairing: 20_000, moves: 20_000, words: 20_000 });
    const second = diffDeclarations(before, after, {
      alignment: 20_000,
      pairing: 20_000,
      moves: 20_000,
      words: 20_000,
    });
    expect(second).toEqual(first);
    expect(proposedChanges(second).map((c) => c.id)).toEqual(proposedChanges(first).map((c) => c.id));
  });

  it("with tiny budgets, an ordinary edit is still correct, only coarser", () => {
    const before = Array.from(
      { length: 60 },
      (_, i) => `Paragraph ${i}: everyone has the right to speak without being watched.`,
    ).join("\n\n");
    const after = before
      .replace("Paragraph 7:", "Paragraph seven:")
      .replace("Paragraph 40: everyone", "Paragraph 40: each person");
    const fine = diffDeclarations(before, after);
    expect(fine.coarse).toBe(false);
    expect(fine.stats.blocksEdited).toBe(2);
    const coarse = diffDeclarations(before, after, { alignment: 10, pairing: 10, moves: 10, words: 10 });
    expect(coarse.coarse).toBe(true);
    expectCorrect(coarse, before, after);
  });

  it("the Proposed Changes of a pair that differs everywhere list at most MAX_PROPOSED_CHANGES, and say there are more", () => {
    const [before, after] = tinyParagraphs(MAX_DIFF_TEXT_BYTES);
    const outcome = runDiffJob({
      kind: "proposed",
      before,
      after,
      section: { title: "Source", url: "https://undersign.test/d/source/v/1", revision: 1 },
    });
    expect(outcome.changes).toHaveLength(MAX_PROPOSED_CHANGES);
    expect(outcome.more).toBe(true);
    expect(outcome.coarse).toBe(true);
    expect(outcome.markdown).toContain(`More changes are not listed here (only the first ${MAX_PROPOSED_CHANGES})`);
  });

  it("the three-way merge of the worst pairs is bounded and still applies one side's changes exactly", () => {
    const [base, ours] = tinyParagraphs(MAX_DIFF_TEXT_BYTES);
    const normal = (text: string) => mergeThreeWay(text, text, text).text;
    const onlyOurs = mergeThreeWay(base, ours, base);
    expect(onlyOurs.conflicts).toEqual([]);
    expect(onlyOurs.text).toBe(normal(ours));
    const onlyTheirs = mergeThreeWay(base, base, ours);
    expect(onlyTheirs.text).toBe(normal(ours));
    const [b2, o2] = shuffledParagraphs(MAX_DIFF_TEXT_BYTES);
    const both = mergeThreeWay(b2, o2, b2.replace(/\n\n/, "\n\nA paragraph of theirs.\n\n"));
    // Both changed the same (coarsely aligned) region: a conflict, never a guess.
    expect(both.conflicts.length).toBeGreaterThan(0);
  });
});

describe("block alignment beyond its budget", () => {
  it("anchors on blocks that occur once on each side, and keeps them unchanged", () => {
    // Unique blocks U0..U199 in the same order on both sides, with different filler between them.
    const before: string[] = [];
    const after: string[] = [];
    for (let i = 0; i < 200; i++) {
      before.push(`U${i}`, ...Array.from({ length: 20 }, (_, k) => `b${i}-${k}`));
      after.push(`U${i}`, ...Array.from({ length: 20 }, (_, k) => `a${i}-${k}`));
    }
    const budget = new WorkBudget(2_000);
    const runs = alignBlocks(before, after, budget);
    expect(budget.coarse).toBe(true);
    expect(runs.filter((r) => r.op === "same").reduce((n, r) => n + r.count, 0)).toBe(200);
    // Applying the runs to `before` gives `after`.
    const rebuilt: string[] = [];
    let i = 0;
    let j = 0;
    for (const run of runs) {
      if (run.op === "same") for (let k = 0; k < run.count; k++, i++, j++) rebuilt.push(before[i]!);
      else if (run.op === "removed") i += run.count;
      else for (let k = 0; k < run.count; k++, j++) rebuilt.push(after[j]!);
    }
    expect(i).toBe(before.length);
    expect(rebuilt).toEqual(after);
  });

  it("replaces texts with no block in common at once, exactly (not coarse)", () => {
    const budget = new WorkBudget(10);
    expect(alignBlocks(["a", "b", "c"], ["x", "y"], budget)).toEqual([
      { op: "removed", count: 3 },
      { op: "added", count: 2 },
    ]);
    expect(budget.coarse).toBe(false);
  });
});

describe("size limits", () => {
  const big = "x".repeat(MAX_DIFF_TEXT_BYTES + 1);
  // Three bytes a character in UTF-8: over the limit by bytes though not by length.
  const bigByBytes = "€".repeat(Math.floor(MAX_DIFF_TEXT_BYTES / 3) + 1);

  it("the editor's limit is within what a diff takes", () => {
    expect(BODY_MAX_BYTES).toBeLessThanOrEqual(MAX_DIFF_TEXT_BYTES);
  });

  it("refuses a text over the limit, naming it, in every function that diffs", () => {
    const refused = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        expect(error).toBeInstanceOf(DiffTooLargeError);
        return (error as DiffTooLargeError).field;
      }
      throw new Error("not refused");
    };
    expect(refused(() => diffDeclarations(big, "a"))).toBe("before");
    expect(refused(() => diffDeclarations("a", bigByBytes))).toBe("after");
    expect(refused(() => diffWords("a", big))).toBe("after");
    expect(refused(() => mergeThreeWay("a", "b", big))).toBe("theirs");
    expect(refused(() => runDiffJob({ kind: "editor", body: big, source: "a" }))).toBe("body");
    expect(
      refused(() =>
        runDiffJob({ kind: "render", before: "a", after: "b", views: ["inline"], words: { title: ["t", big] } }),
      ),
    ).toBe("title after");
    expect(refused(() => runDiffJob({ kind: "merge", base: "a", ours: big, theirs: "b" }))).toBe("ours");
  });

  it("takes a text of exactly the limit", () => {
    const diff = diffDeclarations("x".repeat(MAX_DIFF_TEXT_BYTES), "y");
    expect(diff.stats.blocksChanged).toBe(2);
  });
});

describe("segmenting many blocks in one pass", () => {
  it("gives each text exactly the segments and word count it has alone", () => {
    const texts = [
      "We, the undersigned — don't agree, e.g. 3.14 or a_b.",
      "",
      "می‌خواهیم آزاد باشیم",
      "人人生而自由，在尊严和权利上一律平等。",
      "👩🏽‍💻 codes; 🇫🇷 flags",
      "line one\nline two\n",
      "\n",
      "  spaced   out  ",
      "ends with a joiner\u200d",
      "\u0301starts with a combining mark",
    ];
    expect(segmentMany(texts)).toEqual(texts.map(segmentWords));
    expect(countWordsIn(texts)).toBe(texts.reduce((n, t) => n + countWords(t), 0));
    // A carriage return could join the line feed between two texts: those are segmented one by one.
    expect(segmentMany(["a\r", "b"])).toEqual([segmentWords("a\r"), segmentWords("b")]);
  });
});
