/**
 * Block-level alignment of two Declarations, refined into word changes, and
 * the figures of a diff.  The texts are compared as Markdown source, block by
 * block (`splitBlocks`): the blocks are aligned, removed and added blocks are
 * then paired (moves anywhere in the document, edits, splits and merges inside
 * one changed region), and paired blocks are refined into word-level changes.
 *
 * Each stage works within its own budget (`DiffLimits`), so the cost of a diff
 * is bounded whatever the texts; past a budget the result is coarser (blocks
 * shown as removed and added, or replaced whole) and says so (`coarse`), but
 * it is never wrong.  Pure: no I/O.
 */
import { alignBlocks } from "./align.ts";
import { WorkBudget } from "./budget.ts";
import { joinedText, splitBlocksWithSeparators } from "./blocks.ts";
import { checkDiffInputs } from "./limits.ts";
import { MOVE_CANDIDATE_BUDGET, MOVE_SIMILARITY, pairHunk, Similarity, type Hunk, type Segment } from "./pairing.ts";
import { countWordsIn, diffWords, type WordPart } from "./words.ts";

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
  /**
   * Some of the diff is coarser than it could be: the texts differ too much to
   * compare within the limits, so some blocks are shown as removed and added,
   * or replaced whole, rather than word by word.  Still a correct diff.
   */
  readonly coarse: boolean;
}

/**
 * Work allowed per stage of one diff, in units of about one token comparison
 * (see src/diff/budget.ts).  A 40 KB Declaration edited as authors edit uses a
 * few hundred thousand; the defaults bound the worst pair of texts within the
 * size limit to about a second of one core.
 */
export interface DiffLimits {
  /** Aligning the blocks (Myers' algorithm on whole blocks). */
  readonly alignment: number;
  /** Pairing removed and added blocks of each changed region (edits, splits, merges). */
  readonly pairing: number;
  /** Finding near-equal moves across the document. */
  readonly moves: number;
  /** Word-level changes inside changed and moved blocks, for all of them together. */
  readonly words: number;
}

export const DEFAULT_DIFF_LIMITS: DiffLimits = {
  alignment: 1_000_000,
  pairing: 8_000_000,
  moves: 2_000_000,
  words: 6_000_000,
};

function segmentsOf(before: readonly string[], after: readonly string[], budget: WorkBudget): Segment[] {
  const segments: Segment[] = [];
  let i = 0;
  let j = 0;
  let hunk: Hunk | null = null;
  for (const run of alignBlocks(before, after, budget)) {
    if (run.op === "same") {
      if (hunk) segments.push({ equal: false, ...hunk });
      hunk = null;
      segments.push({ equal: true, from: i, to: j, count: run.count });
      i += run.count;
      j += run.count;
      continue;
    }
    hunk ??= { removed: [], added: [] };
    for (let k = 0; k < run.count; k++) {
      if (run.op === "removed") hunk.removed.push(i++);
      else hunk.added.push(j++);
    }
  }
  if (hunk) segments.push({ equal: false, ...hunk });
  return segments;
}

/**
 * Block-level alignment of two Declarations, refined into word changes.
 * Moves are found across the whole document (exact text first, then ≥ 90 %
 * similar); edits, splits and merges within each changed region.  Each stage
 * stays within `limits`; `coarse` says when one of them ran out.
 */
export function diffDeclarations(
  before: string,
  after: string,
  limits: DiffLimits = DEFAULT_DIFF_LIMITS,
): DeclarationDiff {
  checkDiffInputs({ before, after });
  const budgets = {
    alignment: new WorkBudget(limits.alignment),
    pairing: new WorkBudget(limits.pairing),
    moves: new WorkBudget(limits.moves),
    words: new WorkBudget(limits.words),
  };
  const beforeBlocks = splitBlocksWithSeparators(before);
  const afterBlocks = splitBlocksWithSeparators(after);
  const a = beforeBlocks.map((b) => b.text);
  const b = afterBlocks.map((b) => b.text);
  const segments = segmentsOf(a, b, budgets.alignment);
  const hunks = segments.filter((s): s is Segment & { equal: false } => !s.equal);
  const sim = new Similarity([a, b], [hunks.flatMap((h) => h.removed), hunks.flatMap((h) => h.added)]);

  // 1. Exact moves: a removed block whose text is added elsewhere.
  const movedTo = new Map<number, { from: number; similarity: number }>(); // after index → before index
  const movedFrom = new Set<number>();
  const removedByText = new Map<string, number[]>();
  for (const hunk of hunks) {
    for (const r of hunk.removed) {
      const list = removedByText.get(a[r]!);
      if (list) list.push(r);
      else removedByText.set(a[r]!, [r]);
    }
  }
  const queueStart = new Map<string, number>();
  for (const hunk of hunks) {
    for (const j of hunk.added) {
      const queue = removedByText.get(b[j]!);
      if (queue === undefined) continue;
      const next = queueStart.get(b[j]!) ?? 0;
      if (next >= queue.length) continue;
      queueStart.set(b[j]!, next + 1);
      const from = queue[next]!;
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
      budgets.pairing,
    ),
  );

  // 3. Near-equal moves between what is left (blocks of other changed regions only).
  const leftRemoved = hunkOps.flatMap((ops, h) => ops.flatMap((op) => (op.op === "removed" ? [{ r: op.r, h }] : [])));
  const leftAdded = hunkOps.flatMap((ops, h) => ops.flatMap((op) => (op.op === "added" ? [{ a: op.a, h }] : [])));
  // leftRemoved is in region order: each region's blocks are one range of it, skipped as a whole.
  const ranges = new Map<number, [number, number]>();
  leftRemoved.forEach(({ h }, k) => {
    ranges.set(h, [ranges.get(h)?.[0] ?? k, k + 1]);
  });
  let candidates = MOVE_CANDIDATE_BUDGET;
  for (const { a: j, h } of leftAdded) {
    const [skipFrom, skipTo] = ranges.get(h) ?? [0, 0];
    let best: { r: number; s: number } | null = null;
    for (let k = 0; k < leftRemoved.length && candidates > 0; k++) {
      if (k === skipFrom && skipTo > skipFrom) {
        k = skipTo - 1;
        continue;
      }
      candidates--;
      const r = leftRemoved[k]!.r;
      if (movedFrom.has(r)) continue;
      const s = sim.similarity(r, j, MOVE_SIMILARITY, budgets.moves);
      if (s >= MOVE_SIMILARITY && (!best || s > best.s)) best = { r, s };
    }
    if (best) {
      movedTo.set(j, { from: best.r, similarity: best.s });
      movedFrom.add(best.r);
    }
    if (candidates <= 0) {
      budgets.moves.coarse = true;
      break;
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
      parts: diffWords(a[from]!, b[j]!, budgets.words),
      from,
      to: j,
      similarity,
    };
  };
  let h = 0;
  for (const segment of segments) {
    if (segment.equal) {
      for (let k = 0; k < segment.count; k++)
        blocks.push({ kind: "unchanged", text: a[segment.from + k]!, from: segment.from + k, to: segment.to + k });
      continue;
    }
    const ops = hunkOps[h++]!;
    const pendingMoves = segment.added.filter((j) => movedTo.has(j) && movedTo.get(j)!.similarity === 1);
    let nextMove = 0;
    const emitMovesBefore = (limit: number) => {
      while (nextMove < pendingMoves.length && pendingMoves[nextMove]! < limit)
        blocks.push(moved(pendingMoves[nextMove++]!));
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
          parts: diffWords(beforeText, afterText, budgets.words),
          from: op.rs[0]!,
          fromCount: op.rs.length,
          to: op.as[0]!,
          toCount: op.as.length,
        });
      }
    }
    emitMovesBefore(Infinity);
  }
  const coarse = Object.values(budgets).some((budget) => budget.coarse);
  return { blocks, stats: statsOf(blocks), coarse };
}

function statsOf(blocks: readonly DiffBlock[]): DiffStats {
  const added: string[] = [];
  const removed: string[] = [];
  const count = { unchanged: 0, added: 0, removed: 0, changed: 0, moved: 0 };
  for (const block of blocks) {
    count[block.kind]++;
    if (block.kind === "added") added.push(block.text);
    else if (block.kind === "removed") removed.push(block.text);
    else if (block.kind === "changed" || block.kind === "moved") {
      for (const part of block.parts) {
        if (part.kind === "added") added.push(part.text);
        else if (part.kind === "removed") removed.push(part.text);
      }
    }
  }
  return {
    wordsAdded: countWordsIn(added),
    wordsRemoved: countWordsIn(removed),
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
  /** The diff was coarser than it could be (see `DeclarationDiff.coarse`): the word counts are an upper bound. */
  readonly coarse: boolean;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** How much two versions differ, for lineage pages. */
export function diffSummary(diff: DeclarationDiff): DiffSummary {
  const { wordsAdded, wordsRemoved, blocksChanged, blocksMoved } = diff.stats;
  const wordsChanged = wordsAdded + wordsRemoved;
  const same: string[] = [];
  for (const block of diff.blocks) {
    if (block.kind === "unchanged") same.push(block.text);
    else if (block.kind === "changed" || block.kind === "moved") {
      for (const part of block.parts) if (part.kind === "same") same.push(part.text);
    }
  }
  const kept = 2 * countWordsIn(same);
  const identical = blocksChanged === 0;
  const ratio = wordsChanged + kept === 0 ? 0 : wordsChanged / (wordsChanged + kept);
  const edited = blocksChanged - blocksMoved;
  const pieces: string[] = [];
  if (wordsChanged > 0 || edited > 0) {
    pieces.push(
      `${plural(wordsChanged, "word", "words")} changed (+${wordsAdded} −${wordsRemoved}) in ${plural(edited, "paragraph", "paragraphs")}`,
    );
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
    coarse: diff.coarse,
  };
}
