/**
 * Differences between two versions of a Declaration, for copies, comparisons,
 * lineage pages and the *Proposed Changes* section.  Pure: no I/O.
 *
 * The texts are compared as Markdown source, block by block (paragraphs,
 * headings, list items, fenced code blocks — see `splitBlocks`), with jsdiff:
 * `diffArrays` aligns the blocks, removed and added blocks are then paired
 * (moves anywhere in the document, edits, splits and merges inside one changed
 * region), and paired blocks are refined into word-level changes.  Words are cut
 * with `Intl.Segmenter` (a `diffWordsWithSpace` whose tokenizer knows every
 * script: jsdiff's own regex treats each Persian, Greek or CJK character and
 * each code point of an emoji as a word of its own).
 *
 * Everything rendered here is escaped text: the HTML renderers never pass
 * document content through as markup.
 */
import { createHash } from "node:crypto";
import { Diff, diffArrays } from "diff";

// ---------------------------------------------------------------------------
// Blocks
// ---------------------------------------------------------------------------

/** A block with the separator that preceded it in its document ("" for the first, "\n" or "\n\n"). */
interface Block {
  readonly text: string;
  readonly sep: string;
}

/** Unifies line ends, drops a BOM, composes Unicode (NFC) and trims trailing spaces on every line. */
export function normalizeMarkdown(markdown: string): string {
  return markdown
    .replace(/^\uFEFF/, "")
    .replace(/\r\n?/g, "\n")
    .replace(/\0/g, "\uFFFD")
    .normalize("NFC")
    .split("\n")
    .map((line) => line.replace(/[ \t]+$/, ""))
    .join("\n");
}

const FENCE_OPEN = /^([ \t]*)(`{3,}|~{3,})/;
const ATX_HEADING = /^ {0,3}#{1,6}(?:[ \t]|$)/;
const THEMATIC_BREAK = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const SETEXT_UNDERLINE = /^ {0,3}(?:=+|-+)[ \t]*$/;
const LIST_ITEM = /^[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)/;

type BlockType = "paragraph" | "list" | "fence" | "closed";

function splitBlocksWithSeparators(markdown: string): Block[] {
  const lines = normalizeMarkdown(markdown).split("\n");
  const blocks: Block[] = [];
  let current: string[] = [];
  let type = "closed" as BlockType;
  let sep = "";
  let blankSeen = false;
  let fence: { char: string; length: number } | null = null;

  const flush = () => {
    if (current.length > 0) blocks.push({ text: current.join("\n"), sep: blocks.length === 0 ? "" : sep });
    current = [];
    type = "closed";
  };
  const start = (line: string, newType: BlockType) => {
    flush();
    sep = blankSeen ? "\n\n" : "\n";
    blankSeen = false;
    current = [line];
    type = newType;
  };

  for (const line of lines) {
    if (fence) {
      current.push(line);
      const close = /^[ \t]*(`{3,}|~{3,})[ \t]*$/.exec(line);
      if (close && close[1]![0] === fence.char && close[1]!.length >= fence.length) {
        fence = null;
        // A fence that was part of a list item continues that item.
        if (type === "fence") flush();
      }
      continue;
    }
    if (line.trim() === "") {
      flush();
      if (blocks.length > 0) blankSeen = true;
      continue;
    }
    const open = FENCE_OPEN.exec(line);
    if (open) {
      fence = { char: open[2]![0]!, length: open[2]!.length };
      if (type === "list" && open[1]!.length > 0 && !blankSeen) current.push(line);
      else start(line, "fence");
      continue;
    }
    if (type === "paragraph" && SETEXT_UNDERLINE.test(line)) {
      current.push(line);
      flush();
      continue;
    }
    if (ATX_HEADING.test(line) || THEMATIC_BREAK.test(line)) {
      start(line, "closed");
      flush();
      continue;
    }
    if (LIST_ITEM.test(line)) {
      start(line, "list");
      continue;
    }
    if (type === "closed") start(line, "paragraph");
    else current.push(line);
  }
  flush();
  return blocks;
}

/**
 * The Markdown split into blocks: blank-line separated paragraphs, each heading
 * and each list item (nested ones too) on its own, fenced code blocks whole,
 * after `normalizeMarkdown`.
 */
export function splitBlocks(markdown: string): string[] {
  return splitBlocksWithSeparators(markdown).map((block) => block.text);
}

function joinBlocks(blocks: readonly Block[]): string {
  if (blocks.length === 0) return "";
  return blocks.map((block, index) => (index === 0 ? "" : block.sep || "\n\n") + block.text).join("") + "\n";
}

// ---------------------------------------------------------------------------
// Words
// ---------------------------------------------------------------------------

const wordSegmenter = new Intl.Segmenter(undefined, { granularity: "word" });
const sentenceSegmenter = new Intl.Segmenter(undefined, { granularity: "sentence" });

/** Words, punctuation, emoji and runs of spaces as tokens; never splits a grapheme cluster. */
function segmentWords(text: string): string[] {
  const out: string[] = [];
  for (const { segment } of wordSegmenter.segment(text)) out.push(segment);
  return out;
}

const COUNTS_AS_WORD = /[\p{L}\p{N}\p{Extended_Pictographic}]/u;

/** Segments other than whitespace (words, punctuation, emoji, Markdown markers): what similarity uses. */
function contentTokens(text: string): string[] {
  return segmentWords(text).filter((segment) => /\S/.test(segment));
}

/** Words in `text`: segments with a letter, digit or emoji (punctuation and Markdown markers do not count). */
export function countWords(text: string): number {
  let count = 0;
  for (const { segment } of wordSegmenter.segment(text)) if (COUNTS_AS_WORD.test(segment)) count++;
  return count;
}

/** jsdiff's `diffWordsWithSpace`, with an `Intl.Segmenter` tokenizer. */
class SegmentedWordsWithSpaceDiff extends Diff<string, string> {
  override tokenize(value: string): string[] {
    return segmentWords(value);
  }
}
const wordsWithSpace = new SegmentedWordsWithSpaceDiff();

/** Above this many edits, a word diff gives up and shows the block as replaced. */
const MAX_WORD_EDITS = 4000;

export type WordPartKind = "same" | "added" | "removed";
export interface WordPart {
  readonly kind: WordPartKind;
  readonly text: string;
}

/** Word-level changes between two texts, coalesced for reading. */
export function diffWords(before: string, after: string): WordPart[] {
  if (before === after) return before === "" ? [] : [{ kind: "same", text: before }];
  const changes = wordsWithSpace.diff(before, after, { maxEditLength: MAX_WORD_EDITS });
  if (changes === undefined) {
    return [
      ...(before ? [{ kind: "removed" as const, text: before }] : []),
      ...(after ? [{ kind: "added" as const, text: after }] : []),
    ];
  }
  const raw: WordPart[] = changes.map((c) => ({ kind: c.added ? "added" : c.removed ? "removed" : "same", text: c.value }));
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
    if (part.kind === "same" && /^\s+$/.test(part.text) && prev && next && prev.kind !== "same" && next.kind !== "same") {
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
    while (lead < removed.length && lead < added.length && removed[lead] === added[lead] && /\s/.test(removed[lead]!)) lead++;
    let trail = 0;
    while (
      trail < removed.length - lead &&
      trail < added.length - lead &&
      removed[removed.length - 1 - trail] === added[added.length - 1 - trail] &&
      /\s/.test(removed[removed.length - 1 - trail]!)
    ) trail++;
    pushSame(removed.slice(0, lead));
    if (removed.length - lead - trail > 0) out.push({ kind: "removed", text: removed.slice(lead, removed.length - trail) });
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

// ---------------------------------------------------------------------------
// Block-level diff
// ---------------------------------------------------------------------------

export type DiffBlock =
  /** `from`/`to`: 0-based block positions in the before and after texts. */
  | { readonly kind: "unchanged"; readonly text: string; readonly from: number; readonly to: number }
  | { readonly kind: "added"; readonly text: string; readonly to: number }
  | { readonly kind: "removed"; readonly text: string; readonly from: number }
  /**
   * Blocks edited in place.  Usually one block on each side; a split paragraph
   * has `toCount` 2 (or 3), merged paragraphs `fromCount` 2 (or 3), and
   * `before`/`after` then hold the blocks joined by their blank lines.
   */
  | {
      readonly kind: "changed";
      readonly before: string;
      readonly after: string;
      readonly parts: readonly WordPart[];
      readonly from: number;
      readonly fromCount: number;
      readonly to: number;
      readonly toCount: number;
    }
  /** A block removed at `from` and added at `to`, unchanged (`similarity` 1) or ≥ 90 % similar. */
  | {
      readonly kind: "moved";
      readonly before: string;
      readonly after: string;
      readonly parts: readonly WordPart[];
      readonly from: number;
      readonly to: number;
      readonly similarity: number;
    };

export interface DiffStats {
  /** Words in added text (added blocks, added words in changed and moved blocks). */
  readonly wordsAdded: number;
  readonly wordsRemoved: number;
  /** Blocks of the diff that are not `unchanged` (added, removed, changed and moved together). */
  readonly blocksChanged: number;
  readonly blocksAdded: number;
  readonly blocksRemoved: number;
  readonly blocksEdited: number;
  readonly blocksMoved: number;
  /** Unchanged blocks. */
  readonly unchanged: number;
}

export interface DeclarationDiff {
  readonly blocks: readonly DiffBlock[];
  readonly stats: DiffStats;
}

/** Minimum similarity for two blocks in the same changed region to be shown as one edited block. */
const EDIT_SIMILARITY = 0.5;
/** Minimum similarity for a block elsewhere to count as moved (rather than removed and added). */
const MOVE_SIMILARITY = 0.9;
/** Pairing regions larger than this (removed × added blocks) only compare blocks near the diagonal. */
const FULL_PAIRING_CELLS = 40_000;
const PAIRING_BAND = 6;
/** Pairing regions larger than this are not paired at all (shown as removed + added). */
const MAX_PAIRING_CELLS = 4_000_000;
/** At most this many removed × added candidates are looked at for near-equal moves per diff. */
const MOVE_CANDIDATE_BUDGET = 200_000;
/** At most this many word-level (LCS) similarity computations for near-equal moves per diff. */
const MOVE_DIFF_BUDGET = 5_000;

interface Hunk {
  readonly removed: number[];
  readonly added: number[];
}
type Segment = { readonly equal: true; readonly from: number; readonly to: number; readonly count: number } | ({ readonly equal: false } & Hunk);

type HunkOp =
  | { readonly op: "removed"; readonly r: number }
  | { readonly op: "added"; readonly a: number }
  | { readonly op: "group"; readonly rs: number[]; readonly as: number[] };

type Bag = { readonly counts: ReadonlyMap<string, number>; readonly size: number };

function bagOf(tokens: readonly string[]): Bag {
  const counts = new Map<string, number>();
  for (const token of tokens) counts.set(token, (counts.get(token) ?? 0) + 1);
  return { counts, size: tokens.length };
}

function mergeBags(bags: readonly Bag[]): Bag {
  if (bags.length === 1) return bags[0]!;
  const counts = new Map<string, number>();
  let size = 0;
  for (const bag of bags) {
    size += bag.size;
    for (const [token, n] of bag.counts) counts.set(token, (counts.get(token) ?? 0) + n);
  }
  return { counts, size };
}

/** Tokens two bags share, ignoring order: an upper bound of their longest common subsequence. */
function bagIntersection(x: Bag, y: Bag): number {
  const [small, large] = x.counts.size <= y.counts.size ? [x, y] : [y, x];
  let shared = 0;
  for (const [token, n] of small.counts) shared += Math.min(n, large.counts.get(token) ?? 0);
  return shared;
}

/** Content tokens and token bags of the blocks of both texts, computed once and only when needed. */
class Similarity {
  private moveDiffs = MOVE_DIFF_BUDGET;
  private readonly tokens = [new Map<number, string[]>(), new Map<number, string[]>()] as const;
  private readonly bags = [new Map<string, Bag>(), new Map<string, Bag>()] as const;

  constructor(private readonly texts: readonly [readonly string[], readonly string[]]) {}

  private tokensOf(side: 0 | 1, index: number): string[] {
    let t = this.tokens[side].get(index);
    if (!t) this.tokens[side].set(index, (t = contentTokens(this.texts[side][index]!)));
    return t;
  }

  private bagOf(side: 0 | 1, indices: readonly number[]): Bag {
    const key = `${indices[0]}+${indices.length}`;
    let bag = this.bags[side].get(key);
    if (!bag) {
      bag = indices.length === 1 ? bagOf(this.tokensOf(side, indices[0]!)) : mergeBags(indices.map((i) => this.bagOf(side, [i])));
      this.bags[side].set(key, bag);
    }
    return bag;
  }

  /**
   * For pairing inside a changed region: the tokens two groups of consecutive
   * blocks share (order ignored), or 0 when their similarity 2·shared/total is
   * below `threshold`.
   */
  overlap(rs: readonly number[], as: readonly number[], threshold: number): number {
    const x = this.bagOf(0, rs);
    const y = this.bagOf(1, as);
    const total = x.size + y.size;
    if (total === 0 || (2 * Math.min(x.size, y.size)) / total < threshold) return 0;
    const shared = bagIntersection(x, y);
    return (2 * shared) / total >= threshold ? shared : 0;
  }

  /**
   * For moves: the similarity of two blocks in order (2·LCS/total), or 0 when
   * it is below `threshold` or the budget for such comparisons is spent.
   */
  similarity(r: number, a: number, threshold: number): number {
    if (this.overlap([r], [a], threshold) === 0 || this.moveDiffs <= 0) return 0;
    this.moveDiffs--;
    const x = this.tokensOf(0, r);
    const y = this.tokensOf(1, a);
    const total = x.length + y.length;
    const changes = diffArrays(x, y, { maxEditLength: Math.floor((1 - threshold) * total) });
    if (changes === undefined) return 0;
    let common = 0;
    for (const change of changes) if (!change.added && !change.removed) common += change.count;
    const s = (2 * common) / total;
    return s >= threshold ? s : 0;
  }
}

const GROUP_SHAPES: ReadonlyArray<readonly [number, number]> = [[1, 1], [1, 2], [2, 1], [1, 3], [3, 1]];

/**
 * Best pairing of a changed region's removed blocks with its added blocks, in
 * order: one to one (edits), one to several (splits), several to one (merges).
 * Maximises the tokens shared (order ignored: a cheap, generous measure), with
 * a small cost per extra block in a group so
 * that a new paragraph next to an edited one stays "added".
 */
function pairHunk(removed: readonly number[], added: readonly number[], sim: Similarity): HunkOp[] {
  const m = removed.length;
  const n = added.length;
  const width = n + 1;
  const canPair = m > 0 && n > 0 && (m + 1) * (n + 1) <= MAX_PAIRING_CELLS;
  const banded = m * n > FULL_PAIRING_CELLS;
  const score = new Float64Array((m + 1) * (n + 1));
  // 0 = from above (removed), 1 = from left (added), 2+k = group shape k
  const move = new Uint8Array((m + 1) * (n + 1));
  for (let i = 0; i <= m; i++) {
    for (let j = 0; j <= n; j++) {
      if (i === 0 && j === 0) continue;
      let best = -1;
      let how = 0;
      if (i > 0) {
        best = score[(i - 1) * width + j]!;
        how = 0;
      }
      if (j > 0 && score[i * width + j - 1]! > best) {
        best = score[i * width + j - 1]!;
        how = 1;
      }
      if (canPair && i > 0 && j > 0 && (!banded || Math.abs(j - (i * n) / m) <= PAIRING_BAND)) {
        GROUP_SHAPES.forEach(([p, q], k) => {
          if (p > i || q > j) return;
          const common = sim.overlap(removed.slice(i - p, i), added.slice(j - q, j), EDIT_SIMILARITY);
          if (common === 0) return;
          const value = score[(i - p) * width + (j - q)]! + common - 0.01 * (p + q - 2);
          if (value > best) {
            best = value;
            how = 2 + k;
          }
        });
      }
      score[i * width + j] = best;
      move[i * width + j] = how;
    }
  }
  const ops: HunkOp[] = [];
  let i = m;
  let j = n;
  while (i > 0 || j > 0) {
    const how = move[i * width + j]!;
    if (how === 0) ops.push({ op: "removed", r: removed[--i]! });
    else if (how === 1) ops.push({ op: "added", a: added[--j]! });
    else {
      const [p, q] = GROUP_SHAPES[how - 2]!;
      ops.push({ op: "group", rs: removed.slice(i - p, i), as: added.slice(j - q, j) });
      i -= p;
      j -= q;
    }
  }
  return ops.reverse();
}

function segmentsOf(before: readonly string[], after: readonly string[]): Segment[] {
  const segments: Segment[] = [];
  let i = 0;
  let j = 0;
  let hunk: Hunk | null = null;
  for (const change of diffArrays(before as string[], after as string[])) {
    if (!change.added && !change.removed) {
      if (hunk) segments.push({ equal: false, ...hunk });
      hunk = null;
      segments.push({ equal: true, from: i, to: j, count: change.count });
      i += change.count;
      j += change.count;
      continue;
    }
    hunk ??= { removed: [], added: [] };
    for (let k = 0; k < change.count; k++) {
      if (change.removed) hunk.removed.push(i++);
      else hunk.added.push(j++);
    }
  }
  if (hunk) segments.push({ equal: false, ...hunk });
  return segments;
}

function joinedText(blocks: readonly Block[], indices: readonly number[]): string {
  return indices.map((index, k) => (k === 0 ? "" : blocks[index]!.sep || "\n\n") + blocks[index]!.text).join("");
}

/**
 * Block-level alignment of two Declarations, refined into word changes.
 * Moves are found across the whole document (exact text first, then ≥ 90 %
 * similar); edits, splits and merges within each changed region.
 */
export function diffDeclarations(before: string, after: string): DeclarationDiff {
  const beforeBlocks = splitBlocksWithSeparators(before);
  const afterBlocks = splitBlocksWithSeparators(after);
  const a = beforeBlocks.map((b) => b.text);
  const b = afterBlocks.map((b) => b.text);
  const segments = segmentsOf(a, b);
  const hunks = segments.filter((s): s is Segment & { equal: false } => !s.equal);
  const sim = new Similarity([a, b]);

  // 1. Exact moves: a removed block whose text is added elsewhere.
  const movedTo = new Map<number, { from: number; similarity: number }>(); // after index → before index
  const movedFrom = new Set<number>();
  const removedByText = new Map<string, number[]>();
  for (const hunk of hunks) for (const r of hunk.removed) removedByText.set(a[r]!, [...(removedByText.get(a[r]!) ?? []), r]);
  for (const hunk of hunks) {
    for (const j of hunk.added) {
      const queue = removedByText.get(b[j]!);
      const from = queue?.shift();
      if (from === undefined) continue;
      movedTo.set(j, { from, similarity: 1 });
      movedFrom.add(from);
    }
  }

  // 2. Edits, splits and merges inside each changed region.
  const hunkOps = hunks.map((hunk) =>
    pairHunk(
      hunk.removed.filter((r) => !movedFrom.has(r)),
      hunk.added.filter((j) => !movedTo.has(j)),
      sim,
    ),
  );

  // 3. Near-equal moves between what is left.
  const leftRemoved = hunkOps.flatMap((ops, h) => ops.flatMap((op) => (op.op === "removed" ? [{ r: op.r, h }] : [])));
  const leftAdded = hunkOps.flatMap((ops, h) => ops.flatMap((op) => (op.op === "added" ? [{ a: op.a, h }] : [])));
  let candidates = MOVE_CANDIDATE_BUDGET;
  for (const { a: j, h } of leftAdded) {
    let best: { r: number; s: number } | null = null;
    for (const { r, h: hr } of leftRemoved) {
      if (hr === h || movedFrom.has(r) || candidates-- <= 0) continue;
      const s = sim.similarity(r, j, MOVE_SIMILARITY);
      if (s >= MOVE_SIMILARITY && (!best || s > best.s)) best = { r, s };
    }
    if (best) {
      movedTo.set(j, { from: best.r, similarity: best.s });
      movedFrom.add(best.r);
    }
  }

  // 4. Output, in document order (moved blocks at their new place).
  const blocks: DiffBlock[] = [];
  const moved = (j: number): DiffBlock => {
    const { from, similarity } = movedTo.get(j)!;
    return {
      kind: "moved",
      before: a[from]!,
      after: b[j]!,
      parts: diffWords(a[from]!, b[j]!),
      from,
      to: j,
      similarity,
    };
  };
  let h = 0;
  for (const segment of segments) {
    if (segment.equal) {
      for (let k = 0; k < segment.count; k++) blocks.push({ kind: "unchanged", text: a[segment.from + k]!, from: segment.from + k, to: segment.to + k });
      continue;
    }
    const ops = hunkOps[h++]!;
    const pendingMoves = segment.added.filter((j) => movedTo.has(j) && movedTo.get(j)!.similarity === 1);
    const emitMovesBefore = (limit: number) => {
      while (pendingMoves.length > 0 && pendingMoves[0]! < limit) blocks.push(moved(pendingMoves.shift()!));
    };
    for (const op of ops) {
      if (op.op === "removed") {
        if (!movedFrom.has(op.r)) blocks.push({ kind: "removed", text: a[op.r]!, from: op.r });
      } else if (op.op === "added") {
        emitMovesBefore(op.a);
        blocks.push(movedTo.has(op.a) ? moved(op.a) : { kind: "added", text: b[op.a]!, to: op.a });
      } else {
        emitMovesBefore(op.as[0]!);
        const beforeText = joinedText(beforeBlocks, op.rs);
        const afterText = joinedText(afterBlocks, op.as);
        blocks.push({
          kind: "changed",
          before: beforeText,
          after: afterText,
          parts: diffWords(beforeText, afterText),
          from: op.rs[0]!,
          fromCount: op.rs.length,
          to: op.as[0]!,
          toCount: op.as.length,
        });
      }
    }
    emitMovesBefore(Infinity);
  }
  return { blocks, stats: statsOf(blocks) };
}

function statsOf(blocks: readonly DiffBlock[]): DiffStats {
  let wordsAdded = 0;
  let wordsRemoved = 0;
  const count = { unchanged: 0, added: 0, removed: 0, changed: 0, moved: 0 };
  for (const block of blocks) {
    count[block.kind]++;
    if (block.kind === "added") wordsAdded += countWords(block.text);
    else if (block.kind === "removed") wordsRemoved += countWords(block.text);
    else if (block.kind === "changed" || block.kind === "moved") {
      for (const part of block.parts) {
        if (part.kind === "added") wordsAdded += countWords(part.text);
        else if (part.kind === "removed") wordsRemoved += countWords(part.text);
      }
    }
  }
  return {
    wordsAdded,
    wordsRemoved,
    blocksChanged: blocks.length - count.unchanged,
    blocksAdded: count.added,
    blocksRemoved: count.removed,
    blocksEdited: count.changed,
    blocksMoved: count.moved,
    unchanged: count.unchanged,
  };
}

// ---------------------------------------------------------------------------
// Summary ("how much it differs")
// ---------------------------------------------------------------------------

export interface DiffSummary {
  readonly identical: boolean;
  /** Words added + words removed. */
  readonly wordsChanged: number;
  readonly wordsAdded: number;
  readonly wordsRemoved: number;
  readonly blocksChanged: number;
  readonly blocksMoved: number;
  /** Changed words relative to the words of both versions, 0 (identical) to 1 (nothing in common). */
  readonly ratio: number;
  /** E.g. "12 words changed (+8 −4) in 3 paragraphs, 1 moved", or "No changes". */
  readonly text: string;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** How much two versions differ, for lineage pages. */
export function diffSummary(diff: DeclarationDiff): DiffSummary {
  const { wordsAdded, wordsRemoved, blocksChanged, blocksMoved } = diff.stats;
  const wordsChanged = wordsAdded + wordsRemoved;
  let kept = 0;
  for (const block of diff.blocks) {
    if (block.kind === "unchanged") kept += 2 * countWords(block.text);
    else if (block.kind === "changed" || block.kind === "moved") {
      for (const part of block.parts) if (part.kind === "same") kept += 2 * countWords(part.text);
    }
  }
  const identical = blocksChanged === 0;
  const ratio = wordsChanged + kept === 0 ? 0 : wordsChanged / (wordsChanged + kept);
  const edited = blocksChanged - blocksMoved;
  const pieces: string[] = [];
  if (wordsChanged > 0 || edited > 0) {
    pieces.push(`${plural(wordsChanged, "word", "words")} changed (+${wordsAdded} −${wordsRemoved}) in ${plural(edited, "paragraph", "paragraphs")}`);
  }
  if (blocksMoved > 0) pieces.push(`${blocksMoved} moved`);
  return {
    identical,
    wordsChanged,
    wordsAdded,
    wordsRemoved,
    blocksChanged,
    blocksMoved,
    ratio,
    text: identical ? "No changes" : pieces.join(", "),
  };
}

// ---------------------------------------------------------------------------
// HTML
// ---------------------------------------------------------------------------

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

function textHtml(text: string): string {
  return escapeHtml(text).replace(/\n/g, "<br>");
}

/** A changed part; a change that is only line breaks shows a pilcrow so it can be seen. */
function markedHtml(tag: "ins" | "del", text: string): string {
  const visible = /^\s*$/.test(text) && text.includes("\n") ? `¶${textHtml(text)}` : textHtml(text);
  return `<${tag} class="diff-${tag}">${visible}</${tag}>`;
}

function partsHtml(parts: readonly WordPart[], show: "both" | "before" | "after"): string {
  return parts
    .map((part) => {
      if (part.kind === "same") return textHtml(part.text);
      if (part.kind === "removed") return show === "after" ? "" : markedHtml("del", part.text);
      return show === "before" ? "" : markedHtml("ins", part.text);
    })
    .join("");
}

function movedNote(block: DiffBlock & { kind: "moved" }): string {
  return `<p class="diff-note">moved from paragraph ${block.from + 1}</p>`;
}

type Run = { readonly unchanged: true; readonly blocks: DiffBlock[] } | { readonly unchanged: false; readonly block: DiffBlock };

/** Unchanged blocks grouped into runs, so long runs can be collapsed. */
function runsOf(blocks: readonly DiffBlock[]): Run[] {
  const runs: Run[] = [];
  for (const block of blocks) {
    const last = runs[runs.length - 1];
    if (block.kind !== "unchanged") runs.push({ unchanged: false, block });
    else if (last?.unchanged) last.blocks.push(block);
    else runs.push({ unchanged: true, blocks: [block] });
  }
  return runs;
}

/** Runs of unchanged blocks longer than this are collapsed into a `<details>`. */
const MAX_SHOWN_UNCHANGED = 2;

function collapsedSummary(count: number): string {
  return `<summary>${count} unchanged paragraphs</summary>`;
}

function inlineBlockHtml(block: DiffBlock): string {
  switch (block.kind) {
    case "unchanged":
      return `<div class="diff-block diff-unchanged">${textHtml(block.text)}</div>`;
    case "added":
      return `<div class="diff-block diff-added">${markedHtml("ins", block.text)}</div>`;
    case "removed":
      return `<div class="diff-block diff-removed">${markedHtml("del", block.text)}</div>`;
    case "changed":
      return `<div class="diff-block diff-changed">${partsHtml(block.parts, "both")}</div>`;
    case "moved":
      return `<div class="diff-block diff-moved">${movedNote(block)}<div class="diff-text">${partsHtml(block.parts, "both")}</div></div>`;
  }
}

/** The diff as one column, with `<ins>`/`<del>` marks.  All document text is escaped. */
export function renderDiffInline(diff: DeclarationDiff): string {
  const body = runsOf([...diff.blocks])
    .map((run) => {
      if (!run.unchanged) return inlineBlockHtml(run.block);
      const html = run.blocks.map(inlineBlockHtml).join("\n");
      if (run.blocks.length <= MAX_SHOWN_UNCHANGED) return html;
      return `<details class="diff-collapsed">${collapsedSummary(run.blocks.length)}\n${html}\n</details>`;
    })
    .join("\n");
  return `<div class="diff diff-inline">\n${body}\n</div>`;
}

function row(kind: string, before: string | null, after: string | null): string {
  const cell = (side: "before" | "after", html: string | null) =>
    html === null ? `<td class="diff-${side} diff-empty"></td>` : `<td class="diff-${side}">${html}</td>`;
  return `<tr class="diff-${kind}">${cell("before", before)}${cell("after", after)}</tr>`;
}

function sideBySideRow(block: DiffBlock): string {
  switch (block.kind) {
    case "unchanged":
      return row("unchanged", textHtml(block.text), textHtml(block.text));
    case "added":
      return row("added", null, markedHtml("ins", block.text));
    case "removed":
      return row("removed", markedHtml("del", block.text), null);
    case "changed":
      return row("changed", partsHtml(block.parts, "before"), partsHtml(block.parts, "after"));
    case "moved":
      return row("moved", partsHtml(block.parts, "before"), `${movedNote(block)}${partsHtml(block.parts, "after")}`);
  }
}

/** The diff as a two-column table (before | after).  All document text is escaped. */
export function renderDiffSideBySide(diff: DeclarationDiff): string {
  const rows = runsOf([...diff.blocks])
    .map((run) => {
      if (!run.unchanged) return sideBySideRow(run.block);
      const html = run.blocks.map(sideBySideRow).join("\n");
      if (run.blocks.length <= MAX_SHOWN_UNCHANGED) return html;
      return (
        `<tr class="diff-collapsed"><td colspan="2"><details>${collapsedSummary(run.blocks.length)}\n` +
        `<table class="diff-side diff-side-inner"><tbody>\n${html}\n</tbody></table></details></td></tr>`
      );
    })
    .join("\n");
  return (
    `<table class="diff-side">\n<thead><tr><th scope="col">Before</th><th scope="col">After</th></tr></thead>\n` +
    `<tbody>\n${rows}\n</tbody>\n</table>`
  );
}

// ---------------------------------------------------------------------------
// Proposed Changes
// ---------------------------------------------------------------------------

export interface ProposedChange {
  /** Short hash of the before and after text: stays the same while this change stays the same. */
  readonly id: string;
  readonly kind: "added" | "removed" | "changed" | "moved";
  /** The changed sentence(s) or block before the change, "" for an addition; at most ~`MAX_EXCERPT` characters. */
  readonly before: string;
  readonly after: string;
  /** For moves: 0-based block positions. */
  readonly from?: number;
  readonly to?: number;
  readonly note?: string;
}

/** Longest before/after text in a proposed change, in UTF-16 units (plus the ellipses). */
export const MAX_EXCERPT = 280;

function shortHash(before: string, after: string): string {
  return createHash("sha256").update(`${before}\u0000${after}`).digest("base64url").slice(0, 10);
}

/** `text` cut to about MAX_EXCERPT characters around `focus`, with ellipses where cut. */
function excerpt(text: string, focus = 0): string {
  const trimmed = text.trim();
  if (trimmed.length <= MAX_EXCERPT) return trimmed;
  const offset = text.indexOf(trimmed);
  let start = Math.max(0, Math.min(focus - offset - 60, trimmed.length - MAX_EXCERPT));
  let end = Math.min(trimmed.length, start + MAX_EXCERPT);
  // Cut at spaces when there is one near (inwards), never inside a surrogate pair.
  const space = trimmed.indexOf(" ", start);
  if (start > 0 && space >= 0 && space - start < 30) start = space + 1;
  const spaceEnd = trimmed.lastIndexOf(" ", end);
  if (end < trimmed.length && spaceEnd > start && end - spaceEnd < 30) end = spaceEnd;
  if (/[\uDC00-\uDFFF]/.test(trimmed[start] ?? "")) start++;
  if (/[\uDC00-\uDFFF]/.test(trimmed[end] ?? "")) end--;
  return `${start > 0 ? "…" : ""}${trimmed.slice(start, end).trim()}${end < trimmed.length ? "…" : ""}`;
}

/** Sentence boundaries of `text`: [start, end) pairs covering it. */
function sentences(text: string): Array<[number, number]> {
  return [...sentenceSegmenter.segment(text)].map((s) => [s.index, s.index + s.segment.length] as [number, number]);
}

function sentenceAt(bounds: ReadonlyArray<[number, number]>, position: number): number {
  const index = bounds.findIndex(([start, end]) => start <= position && position < end);
  return index >= 0 ? index : Math.max(0, bounds.length - 1);
}

/** Index of the first sentence after `index` that is not only whitespace (or the last one). */
function nextWithContent(text: string, bounds: ReadonlyArray<[number, number]>, index: number): number {
  let k = index + 1;
  while (k < bounds.length - 1 && text.slice(bounds[k]![0], bounds[k]![1]).trim() === "") k++;
  return Math.min(k, bounds.length - 1);
}

interface Cluster {
  /** Where the first change starts in the before and after texts. */
  bAt: number;
  aAt: number;
  bFirst: number;
  bLast: number;
  aFirst: number;
  aLast: number;
}

/** The sentences touched by each group of word changes in a changed block. */
function changedSentences(before: string, after: string, parts: readonly WordPart[]): Array<{ before: string; after: string; focus: [number, number] }> {
  const bBounds = sentences(before);
  const aBounds = sentences(after);
  const clusters: Cluster[] = [];
  let bPos = 0;
  let aPos = 0;
  let k = 0;
  while (k < parts.length) {
    const part = parts[k]!;
    if (part.kind === "same") {
      bPos += part.text.length;
      aPos += part.text.length;
      k++;
      continue;
    }
    const bStart = bPos;
    const aStart = aPos;
    let changedText = "";
    while (k < parts.length && parts[k]!.kind !== "same") {
      if (parts[k]!.kind === "removed") bPos += parts[k]!.text.length;
      else aPos += parts[k]!.text.length;
      changedText += parts[k]!.text;
      k++;
    }
    const cluster: Cluster = {
      bAt: bStart,
      aAt: aStart,
      bFirst: sentenceAt(bBounds, bStart),
      bLast: sentenceAt(bBounds, Math.max(bStart, bPos - 1)),
      aFirst: sentenceAt(aBounds, aStart),
      aLast: sentenceAt(aBounds, Math.max(aStart, aPos - 1)),
    };
    // Only spacing changed (a split or a merge): show the next sentence too.
    if (changedText.trim() === "") {
      cluster.bLast = nextWithContent(before, bBounds, cluster.bLast);
      cluster.aLast = nextWithContent(after, aBounds, cluster.aLast);
    }
    const last = clusters[clusters.length - 1];
    if (last && (cluster.bFirst <= last.bLast || cluster.aFirst <= last.aLast)) {
      last.bLast = Math.max(last.bLast, cluster.bLast);
      last.aLast = Math.max(last.aLast, cluster.aLast);
    } else {
      clusters.push(cluster);
    }
  }
  const slice = (text: string, bounds: ReadonlyArray<[number, number]>, first: number, last: number) =>
    bounds.length === 0 ? "" : text.slice(bounds[first]![0], bounds[Math.min(last, bounds.length - 1)]![1]);
  return clusters.map((c) => ({
    before: slice(before, bBounds, c.bFirst, c.bLast),
    after: slice(after, aBounds, c.aFirst, c.aLast),
    focus: [c.bAt - (bBounds[c.bFirst]?.[0] ?? 0), c.aAt - (aBounds[c.aFirst]?.[0] ?? 0)],
  }));
}

/**
 * The list for the *Proposed Changes* section: one entry per added, removed or
 * moved block, and one per group of changed sentences in an edited block.
 * `notes` are keyed by change id.
 */
export function proposedChanges(diff: DeclarationDiff, notes: Readonly<Record<string, string>> = {}): ProposedChange[] {
  const raw: Array<Omit<ProposedChange, "id" | "note"> & { key: [string, string] }> = [];
  for (const block of diff.blocks) {
    switch (block.kind) {
      case "unchanged":
        break;
      case "added":
        raw.push({ kind: "added", before: "", after: excerpt(block.text), key: ["", block.text.trim()] });
        break;
      case "removed":
        raw.push({ kind: "removed", before: excerpt(block.text), after: "", key: [block.text.trim(), ""] });
        break;
      case "moved":
        raw.push({
          kind: "moved",
          before: excerpt(block.before),
          after: excerpt(block.after),
          from: block.from,
          to: block.to,
          key: [block.before.trim(), block.after.trim()],
        });
        break;
      case "changed":
        for (const change of changedSentences(block.before, block.after, block.parts)) {
          raw.push({
            kind: "changed",
            before: excerpt(change.before, change.focus[0]),
            after: excerpt(change.after, change.focus[1]),
            key: [change.before.trim(), change.after.trim()],
          });
        }
        break;
    }
  }
  const seen = new Map<string, number>();
  return raw.map(({ key, ...change }) => {
    const hash = shortHash(...key);
    const n = (seen.get(hash) ?? 0) + 1;
    seen.set(hash, n);
    const id = n === 1 ? hash : `${hash}-${n}`;
    const note = Object.hasOwn(notes, id) ? notes[id] : undefined;
    return { id, ...change, ...(note !== undefined && note.trim() !== "" ? { note } : {}) };
  });
}

/**
 * Text safe to quote inside one Markdown list item: line breaks folded (a blank
 * line becomes " ¶ "), and every character that could start inline markup
 * (emphasis, code, links, images, autolinks, raw HTML, tables, strikethrough,
 * entities, backslash escapes) escaped with a backslash.
 */
export function escapeMarkdownInline(text: string): string {
  return text
    .replace(/\n[ \t]*\n\s*/g, " ¶ ")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/[\\`*_[\]<>|~!]/g, "\\$&")
    .replace(/&(?=#?[0-9A-Za-z]+;)/g, "\\&");
}

function markdownUrl(url: string): string {
  return url.replace(/[\s()<>\\]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}

const KIND_LABEL: Record<ProposedChange["kind"], string> = { added: "Added", removed: "Removed", changed: "Changed", moved: "Moved" };

/** The *Proposed Changes* section as Markdown. */
export function proposedChangesMarkdown(
  changes: readonly ProposedChange[],
  source: { readonly title: string; readonly url: string; readonly revision: number },
): string {
  const lines = ["## Proposed Changes", "", `Copy of [${escapeMarkdownInline(source.title)}](${markdownUrl(source.url)}), version ${Math.trunc(source.revision)}.`, ""];
  if (changes.length === 0) lines.push("No changes yet.");
  for (const change of changes) {
    const q = (text: string) => `“${escapeMarkdownInline(text)}”`;
    let item: string;
    if (change.kind === "added") item = `**${KIND_LABEL.added}:** ${q(change.after)}`;
    else if (change.kind === "removed") item = `**${KIND_LABEL.removed}:** ${q(change.before)}`;
    else if (change.kind === "moved") {
      const where = change.from !== undefined && change.to !== undefined ? ` from paragraph ${change.from + 1} to paragraph ${change.to + 1}` : "";
      item = change.before === change.after ? `**Moved${where}:** ${q(change.after)}` : `**Moved${where}:** ${q(change.before)} → ${q(change.after)}`;
    } else item = `**${KIND_LABEL.changed}:** ${q(change.before)} → ${q(change.after)}`;
    lines.push(`- ${item}${change.note ? `\\\n  *Note:* ${escapeMarkdownInline(change.note)}` : ""}`);
  }
  return lines.join("\n") + "\n";
}

// ---------------------------------------------------------------------------
// Three-way merge
// ---------------------------------------------------------------------------

export interface MergeConflict {
  /** The base blocks both sides changed ("" when both inserted at the same place). */
  readonly base: string;
  readonly ours: string;
  readonly theirs: string;
  /** 0-based block position in the merged text where `ours` was put. */
  readonly at: number;
}

export interface MergeResult {
  /** Merged Markdown; for each conflict, our version. */
  readonly text: string;
  readonly conflicts: readonly MergeConflict[];
}

interface EditHunk {
  readonly side: "ours" | "theirs";
  /** Replaced base blocks [start, end); start === end for an insertion. */
  readonly start: number;
  readonly end: number;
  readonly blocks: readonly Block[];
}

function editHunks(base: readonly Block[], other: readonly Block[], side: EditHunk["side"]): EditHunk[] {
  const hunks: EditHunk[] = [];
  let i = 0;
  let j = 0;
  let open: { start: number; end: number; blocks: Block[] } | null = null;
  for (const change of diffArrays(base.map((b) => b.text), other.map((b) => b.text))) {
    if (!change.added && !change.removed) {
      if (open) hunks.push({ side, ...open });
      open = null;
      i += change.count;
      j += change.count;
      continue;
    }
    open ??= { start: i, end: i, blocks: [] };
    if (change.removed) open.end = i += change.count;
    else for (let k = 0; k < change.count; k++) open.blocks.push(other[j++]!);
  }
  if (open) hunks.push({ side, ...open });
  return hunks;
}

function overlaps(a: { start: number; end: number }, b: { start: number; end: number }): boolean {
  const aEmpty = a.start === a.end;
  const bEmpty = b.start === b.end;
  if (aEmpty && bEmpty) return a.start === b.start;
  if (aEmpty) return b.start < a.start && a.start < b.end;
  if (bEmpty) return a.start < b.start && b.start < a.end;
  return a.start < b.end && b.start < a.end;
}

/**
 * Three-way merge of Markdown at block level (diff3 style): changes from base to
 * ours and from base to theirs that do not overlap are both applied; the same
 * change on both sides is applied once; overlapping different changes are
 * reported as conflicts (the text keeps ours there) — never guessed.
 * `resolve`, when given, picks a side for each conflict by its index (the
 * conflict is still reported), so the owner's choices can be applied.
 */
export function mergeThreeWay(base: string, ours: string, theirs: string, resolve?: (conflict: number) => "ours" | "theirs"): MergeResult {
  const baseBlocks = splitBlocksWithSeparators(base);
  const hunks = [...editHunks(baseBlocks, splitBlocksWithSeparators(ours), "ours"), ...editHunks(baseBlocks, splitBlocksWithSeparators(theirs), "theirs")].sort(
    (x, y) => x.start - y.start || x.end - y.end,
  );
  const groups: Array<{ start: number; end: number; hunks: EditHunk[] }> = [];
  for (const hunk of hunks) {
    const last = groups[groups.length - 1];
    if (last && overlaps(last, hunk)) {
      last.start = Math.min(last.start, hunk.start);
      last.end = Math.max(last.end, hunk.end);
      last.hunks.push(hunk);
    } else {
      groups.push({ start: hunk.start, end: hunk.end, hunks: [hunk] });
    }
  }
  const version = (group: (typeof groups)[number], side: EditHunk["side"]): Block[] => {
    const out: Block[] = [];
    let cursor = group.start;
    for (const hunk of group.hunks.filter((h) => h.side === side)) {
      out.push(...baseBlocks.slice(cursor, hunk.start), ...hunk.blocks);
      cursor = hunk.end;
    }
    out.push(...baseBlocks.slice(cursor, group.end));
    return out;
  };
  const merged: Block[] = [];
  const conflicts: MergeConflict[] = [];
  let cursor = 0;
  for (const group of groups) {
    merged.push(...baseBlocks.slice(cursor, group.start));
    cursor = group.end;
    const sides = new Set(group.hunks.map((h) => h.side));
    const ourVersion = version(group, "ours");
    if (sides.size === 1) {
      merged.push(...(sides.has("ours") ? ourVersion : version(group, "theirs")));
      continue;
    }
    const theirVersion = version(group, "theirs");
    const text = (blocks: readonly Block[]) => blocks.map((b) => b.text).join("\n\n");
    if (text(ourVersion) !== text(theirVersion)) {
      conflicts.push({ base: text(baseBlocks.slice(group.start, group.end)), ours: text(ourVersion), theirs: text(theirVersion), at: merged.length });
      if (resolve?.(conflicts.length - 1) === "theirs") {
        merged.push(...theirVersion);
        continue;
      }
    }
    merged.push(...ourVersion);
  }
  merged.push(...baseBlocks.slice(cursor));
  return { text: joinBlocks(merged), conflicts };
}
