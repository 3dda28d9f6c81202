/**
 * Pairing the removed and added blocks of a diff: within one changed region,
 * edits, splits and merges (blocks that share most of their words, order
 * ignored); across regions, near-equal moves (in order, by word-level LCS).
 * Every comparison is paid for from a `WorkBudget`; when it is spent, blocks
 * stay unpaired (removed and added), which is coarser but never wrong.  Pure.
 */
import { boundedDiffArrays, type WorkBudget } from "./budget.ts";
import { segmentMany } from "./words.ts";

/** Minimum similarity for two blocks in the same changed region to be shown as one edited block. */
const EDIT_SIMILARITY = 0.5;
/** Minimum similarity for a block elsewhere to count as moved (rather than removed and added). */
export const MOVE_SIMILARITY = 0.9;
/** Pairing regions larger than this (removed × added blocks) only compare blocks near the diagonal. */
const FULL_PAIRING_CELLS = 40_000;
const PAIRING_BAND = 6;
/** Pairing regions larger than this are not paired at all (shown as removed + added). */
const MAX_PAIRING_CELLS = 4_000_000;
/** At most this many removed × added candidates are looked at for near-equal moves per diff. */
export const MOVE_CANDIDATE_BUDGET = 200_000;
/** At most this many word-level (LCS) similarity computations for near-equal moves per diff. */
const MOVE_DIFF_BUDGET = 5_000;

export interface Hunk {
  readonly removed: number[];
  readonly added: number[];
}
export type Segment =
  | { readonly equal: true; readonly from: number; readonly to: number; readonly count: number }
  | ({ readonly equal: false } & Hunk);

export type HunkOp =
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

const NOT_SPACE = /\S/;

/** Content tokens and token bags of the blocks of both texts, computed once and only when needed. */
export class Similarity {
  private moveDiffs = MOVE_DIFF_BUDGET;
  private readonly texts: readonly [readonly string[], readonly string[]];
  /** The blocks whose tokens may be asked for (those of changed regions), segmented together on first use. */
  private readonly wanted: readonly [readonly number[], readonly number[]];
  private readonly tokens = [new Map<number, string[]>(), new Map<number, string[]>()] as const;
  /** Bags of groups of 1 to 3 blocks, by first block index × 4 + group size. */
  private readonly bags = [new Map<number, Bag>(), new Map<number, Bag>()] as const;

  constructor(
    texts: readonly [readonly string[], readonly string[]],
    wanted: readonly [readonly number[], readonly number[]],
  ) {
    this.texts = texts;
    this.wanted = wanted;
  }

  private tokensOf(side: 0 | 1, index: number): string[] {
    const tokens = this.tokens[side];
    if (tokens.size === 0) {
      const indices = this.wanted[side];
      const segmented = segmentMany(indices.map((i) => this.texts[side][i]!));
      indices.forEach((i, k) => {
        tokens.set(
          i,
          segmented[k]!.filter((segment) => NOT_SPACE.test(segment)),
        );
      });
    }
    let t = tokens.get(index);
    if (!t) {
      t = segmentMany([this.texts[side][index]!])[0]!.filter((segment) => NOT_SPACE.test(segment));
      tokens.set(index, t);
    }
    return t;
  }

  /** The bag of blocks `list[start, start + count)` of one side (count 1 to 3). */
  private bagOf(side: 0 | 1, list: readonly number[], start: number, count: number, budget: WorkBudget): Bag | null {
    const key = list[start]! * 4 + count;
    let bag = this.bags[side].get(key);
    if (!bag) {
      if (count === 1) bag = bagOf(this.tokensOf(side, list[start]!));
      else {
        const parts: Bag[] = [];
        let size = 0;
        for (let k = start; k < start + count; k++) {
          const part = this.bagOf(side, list, k, 1, budget);
          if (part == null) return null;
          parts.push(part);
          size += part.counts.size;
        }
        if (!budget.take(size)) return null;
        bag = mergeBags(parts);
      }
      this.bags[side].set(key, bag);
    }
    return bag;
  }

  /**
   * For pairing inside a changed region: the tokens two groups of consecutive
   * blocks share (order ignored) — `removed[rStart, rStart + p)` and
   * `added[aStart, aStart + q)` — or 0 when their similarity 2·shared/total is
   * below `threshold` or `budget` cannot pay for the comparison.
   */
  overlap(
    removed: readonly number[],
    rStart: number,
    p: number,
    added: readonly number[],
    aStart: number,
    q: number,
    threshold: number,
    budget: WorkBudget,
  ): number {
    const x = this.bagOf(0, removed, rStart, p, budget);
    const y = x == null ? null : this.bagOf(1, added, aStart, q, budget);
    if (x == null || y == null) return 0;
    const total = x.size + y.size;
    if (total === 0 || (2 * Math.min(x.size, y.size)) / total < threshold) return 0;
    // A comparison costs a few map lookups besides the tokens compared: counted as 8 units.
    if (!budget.take(Math.min(x.counts.size, y.counts.size) + 8)) return 0;
    const shared = bagIntersection(x, y);
    return (2 * shared) / total >= threshold ? shared : 0;
  }

  /**
   * For moves: the similarity of two blocks in order (2·LCS/total), or 0 when
   * it is below `threshold`, or the budget for such comparisons is spent.
   */
  similarity(r: number, a: number, threshold: number, budget: WorkBudget): number {
    if (this.overlap([r], 0, 1, [a], 0, 1, threshold, budget) === 0) return 0;
    if (this.moveDiffs <= 0) {
      budget.coarse = true;
      return 0;
    }
    this.moveDiffs--;
    const x = this.tokensOf(0, r);
    const y = this.tokensOf(1, a);
    const total = x.length + y.length;
    const changes = boundedDiffArrays(x, y, budget, Math.floor((1 - threshold) * total));
    if (!changes.ok) return 0;
    let common = 0;
    for (const change of changes.changes) if (!change.added && !change.removed) common += change.count;
    const s = (2 * common) / total;
    return s >= threshold ? s : 0;
  }
}

const GROUP_SHAPES: ReadonlyArray<readonly [number, number]> = [
  [1, 1],
  [1, 2],
  [2, 1],
  [1, 3],
  [3, 1],
];

/**
 * Best pairing of a changed region's removed blocks with its added blocks, in
 * order: one to one (edits), one to several (splits), several to one (merges).
 * Maximises the tokens shared (order ignored: a cheap, generous measure), with
 * a small cost per extra block in a group so
 * that a new paragraph next to an edited one stays "added".  A region too
 * large for the budget is not paired: its blocks stay added and removed.
 */
export function pairHunk(
  removed: readonly number[],
  added: readonly number[],
  sim: Similarity,
  budget: WorkBudget,
): HunkOp[] {
  const m = removed.length;
  const n = added.length;
  const cells = (m + 1) * (n + 1);
  // A cell outside the band costs a few comparisons of numbers: an eighth of a unit.
  if (m === 0 || n === 0 || cells > MAX_PAIRING_CELLS || !budget.take(Math.ceil(cells / 8))) {
    if (m > 0 && n > 0) budget.coarse = true;
    return [...added.map((a): HunkOp => ({ op: "added", a })), ...removed.map((r): HunkOp => ({ op: "removed", r }))];
  }
  const width = n + 1;
  const banded = m * n > FULL_PAIRING_CELLS;
  const score = new Float64Array(cells);
  // 0 = from above (removed), 1 = from left (added), 2+k = group shape k
  const move = new Uint8Array(cells);
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
      if (i > 0 && j > 0 && (!banded || Math.abs(j - (i * n) / m) <= PAIRING_BAND)) {
        for (let k = 0; k < GROUP_SHAPES.length; k++) {
          const [p, q] = GROUP_SHAPES[k]!;
          if (p > i || q > j) continue;
          const common = sim.overlap(removed, i - p, p, added, j - q, q, EDIT_SIMILARITY, budget);
          if (common === 0) continue;
          const value = score[(i - p) * width + (j - q)]! + common - 0.01 * (p + q - 2);
          if (value > best) {
            best = value;
            how = 2 + k;
          }
        }
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
