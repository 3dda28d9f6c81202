/**
 * Word-level changes between two texts.  Words are cut with `Intl.Segmenter`
 * (a `diffWordsWithSpace` whose tokenizer knows every script: jsdiff's own
 * regex treats each Persian, Greek or CJK character and each code point of an
 * emoji as a word of its own).  Pure.
 */
import { boundedDiffArrays, WorkBudget } from "./budget.ts";
import { checkDiffInputs } from "./limits.ts";

const wordSegmenter = new Intl.Segmenter(undefined, { granularity: "word" });

/** Words, punctuation, emoji and runs of spaces as tokens; never splits a grapheme cluster. */
export function segmentWords(text: string): string[] {
  const out: string[] = [];
  for (const { segment } of wordSegmenter.segment(text)) out.push(segment);
  return out;
}

/**
 * `segmentWords` of each text, in one pass of the segmenter over all of them
 * joined by newlines: a line feed always stands alone between word breaks
 * (UAX #29 WB3a, WB3b), so the pass gives each text exactly its own segments,
 * without the cost of starting the segmenter once per text (which dominates
 * for many short blocks).  Texts with a carriage return are segmented alone.
 */
export function segmentMany(texts: readonly string[]): string[][] {
  if (texts.some((text) => text.includes("\r"))) return texts.map(segmentWords);
  const out: string[][] = texts.map(() => []);
  const starts: number[] = [];
  let offset = 0;
  for (const text of texts) {
    starts.push(offset);
    offset += text.length + 1;
  }
  let k = 0;
  for (const { segment, index } of wordSegmenter.segment(texts.join("\n"))) {
    while (k + 1 < texts.length && index >= starts[k + 1]!) k++;
    // The joining line feed, at the end of text k.
    if (index === starts[k]! + texts[k]!.length) continue;
    out[k]!.push(segment);
  }
  return out;
}

const COUNTS_AS_WORD = /[\p{L}\p{N}\p{Extended_Pictographic}]/u;
const NOT_SPACE = /\S/;

/** Segments other than whitespace (words, punctuation, emoji, Markdown markers): what similarity uses. */
export function contentTokens(text: string): string[] {
  return segmentWords(text).filter((segment) => NOT_SPACE.test(segment));
}

/** Words in `text`: segments with a letter, digit or emoji (punctuation and Markdown markers do not count). */
export function countWords(text: string): number {
  let count = 0;
  for (const { segment } of wordSegmenter.segment(text)) if (COUNTS_AS_WORD.test(segment)) count++;
  return count;
}

/** The sum of `countWords` over `texts`, in one pass of the segmenter (see `segmentMany`). */
export function countWordsIn(texts: readonly string[]): number {
  let count = 0;
  for (const segments of segmentMany(texts)) for (const segment of segments) if (COUNTS_AS_WORD.test(segment)) count++;
  return count;
}

/** Above this many edits, a word diff gives up and shows the block as replaced. */
export const MAX_WORD_EDITS = 4000;
/** The budget of a `diffWords` call that is given none: plenty for a title, a summary or a paragraph. */
export const STANDALONE_WORD_BUDGET = 2_000_000;

export type WordPartKind = "same" | "added" | "removed";
export interface WordPart {
  readonly kind: WordPartKind;
  readonly text: string;
}

/** The whole of `before` removed and the whole of `after` added. */
export function replacedWhole(before: string, after: string): WordPart[] {
  return [
    ...(before ? [{ kind: "removed" as const, text: before }] : []),
    ...(after ? [{ kind: "added" as const, text: after }] : []),
  ];
}

/**
 * Word-level changes between two texts, coalesced for reading.  Texts with
 * more than `MAX_WORD_EDITS` edits, or more than `budget` allows, are shown as
 * replaced whole (the budget is then marked coarse).
 */
export function diffWords(
  before: string,
  after: string,
  budget: WorkBudget = new WorkBudget(STANDALONE_WORD_BUDGET),
): WordPart[] {
  if (before === after) return before === "" ? [] : [{ kind: "same", text: before }];
  checkDiffInputs({ before, after });
  const changes = boundedDiffArrays(segmentWords(before), segmentWords(after), budget, MAX_WORD_EDITS);
  if (!changes.ok) {
    if (changes.reason === "edits") budget.coarse = true;
    return replacedWhole(before, after);
  }
  const raw: WordPart[] = changes.changes.map((c) => ({
    kind: c.added ? "added" : c.removed ? "removed" : "same",
    text: c.value.join(""),
  }));
  return coalesce(raw);
}

/**
 * Makes word changes readable: whitespace kept between two changes becomes part
 * of both (so "a b → x y" reads as one replacement, not two with a kept space),
 * and each run of changes becomes one removal followed by one addition.
 */
function coalesce(parts: WordPart[]): WordPart[] {
  const expanded: WordPart[] = [];
  parts.forEach((part, index) => {
    const prev = parts[index - 1];
    const next = parts[index + 1];
    if (
      part.kind === "same" &&
      /^\s+$/.test(part.text) &&
      prev &&
      next &&
      prev.kind !== "same" &&
      next.kind !== "same"
    ) {
      expanded.push({ kind: "removed", text: part.text }, { kind: "added", text: part.text });
    } else {
      expanded.push(part);
    }
  });
  const out: WordPart[] = [];
  let removed = "";
  let added = "";
  const pushSame = (text: string) => {
    if (!text) return;
    const last = out[out.length - 1];
    if (last?.kind === "same") out[out.length - 1] = { kind: "same", text: last.text + text };
    else out.push({ kind: "same", text });
  };
  const flushRun = () => {
    // Spacing both sides share at the edges of a run is kept, not changed.
    let lead = 0;
    while (lead < removed.length && lead < added.length && removed[lead] === added[lead] && /\s/.test(removed[lead]!))
      lead++;
    let trail = 0;
    while (
      trail < removed.length - lead &&
      trail < added.length - lead &&
      removed[removed.length - 1 - trail] === added[added.length - 1 - trail] &&
      /\s/.test(removed[removed.length - 1 - trail]!)
    )
      trail++;
    pushSame(removed.slice(0, lead));
    if (removed.length - lead - trail > 0)
      out.push({ kind: "removed", text: removed.slice(lead, removed.length - trail) });
    if (added.length - lead - trail > 0) out.push({ kind: "added", text: added.slice(lead, added.length - trail) });
    pushSame(removed.slice(removed.length - trail));
    removed = added = "";
  };
  for (const part of expanded) {
    if (part.kind === "removed") removed += part.text;
    else if (part.kind === "added") added += part.text;
    else {
      flushRun();
      pushSame(part.text);
    }
  }
  flushRun();
  return out;
}
