/**
 * Alignment of two sequences of blocks: which blocks stay, which are removed
 * and which are added.  Myers' algorithm (jsdiff) gives the fewest edits while
 * it fits the budget; beyond that, blocks that occur once on each side anchor
 * a patience-style alignment, the gaps between anchors are diffed within what
 * is left, and a gap that still does not fit is shown as replaced whole.
 * Every outcome is a correct diff (applying it to the first sequence gives
 * the second); only the fewest-edits promise is given up.
 */
import { boundedDiffArrays, type WorkBudget } from "./budget.ts";

export interface Run {
  readonly op: "same" | "removed" | "added";
  readonly count: number;
}

class Runs {
  readonly list: Run[] = [];

  push(op: Run["op"], count: number): void {
    if (count <= 0) return;
    const last = this.list[this.list.length - 1];
    if (last?.op === op) this.list[this.list.length - 1] = { op, count: last.count + count };
    else this.list.push({ op, count });
  }

  /** A replacement: removals before additions, as jsdiff gives them. */
  replace(removed: number, added: number): void {
    this.push("removed", removed);
    this.push("added", added);
  }
}

/** The same numbers for equal texts on either side, so comparisons are of numbers, not of long strings. */
function intern(a: readonly string[], b: readonly string[]): [number[], number[]] {
  const ids = new Map<string, number>();
  const idOf = (text: string) => {
    let id = ids.get(text);
    if (id === undefined) {
      id = ids.size;
      ids.set(text, id);
    }
    return id;
  };
  return [a.map(idOf), b.map(idOf)];
}

/** Pairs (i, j) with x[i] === y[j] where that value occurs once in x and once in y, longest increasing chain in both. */
function uniqueAnchors(x: readonly number[], y: readonly number[]): Array<[number, number]> {
  const inX = new Map<number, number>();
  const inY = new Map<number, number>();
  x.forEach((v, i) => {
    inX.set(v, inX.has(v) ? -1 : i);
  });
  y.forEach((v, j) => {
    inY.set(v, inY.has(v) ? -1 : j);
  });
  const pairs: Array<[number, number]> = [];
  x.forEach((v, i) => {
    const j = inY.get(v);
    if (j !== undefined && j >= 0 && inX.get(v) === i) pairs.push([i, j]);
  });
  // Longest increasing subsequence of j (the pairs are in order of i): patience sorting.
  const tails: number[] = [];
  const previous = new Int32Array(pairs.length).fill(-1);
  pairs.forEach(([, j], k) => {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (pairs[tails[mid]!]![1] < j) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) previous[k] = tails[lo - 1]!;
    tails[lo] = k;
  });
  const chain: Array<[number, number]> = [];
  for (let k = tails.length > 0 ? tails[tails.length - 1]! : -1; k >= 0; k = previous[k]!) chain.push(pairs[k]!);
  return chain.reverse();
}

function fromChanges(runs: Runs, changes: ReadonlyArray<{ added: boolean; removed: boolean; count: number }>): void {
  for (const change of changes) runs.push(change.added ? "added" : change.removed ? "removed" : "same", change.count);
}

/** Whether any value occurs in both (when none does, replacing the whole of x by y is the exact diff). */
function shareAny(x: readonly number[], y: readonly number[]): boolean {
  const inX = new Set(x);
  return y.some((v) => inX.has(v));
}

function alignMiddle(runs: Runs, x: number[], y: number[], budget: WorkBudget): void {
  if (x.length === 0 || y.length === 0 || !shareAny(x, y)) {
    runs.replace(x.length, y.length);
    return;
  }
  // Half the budget for the exact alignment; the rest, if it does not fit, for the gaps between anchors.
  const exact = boundedDiffArrays(x, y, budget, Infinity, budget.left / 2);
  if (exact.ok) {
    fromChanges(runs, exact.changes);
    return;
  }
  budget.coarse = true;
  const anchors = [...uniqueAnchors(x, y), [x.length, y.length] as [number, number]];
  // Without anchors the only gap is the whole: it did not fit once, it is replaced whole.
  if (anchors.length === 1) {
    runs.replace(x.length, y.length);
    return;
  }
  let gapsLeft = x.length + y.length - 2 * (anchors.length - 1);
  let i0 = 0;
  let j0 = 0;
  for (const [i, j] of anchors) {
    const gx = x.slice(i0, i);
    const gy = y.slice(j0, j);
    if (gx.length > 0 && gy.length > 0) {
      const share = (budget.left * (gx.length + gy.length)) / Math.max(1, gapsLeft);
      const gap = boundedDiffArrays(gx, gy, budget, Infinity, share);
      if (gap.ok) fromChanges(runs, gap.changes);
      else runs.replace(gx.length, gy.length);
    } else {
      runs.replace(gx.length, gy.length);
    }
    gapsLeft -= gx.length + gy.length;
    if (i < x.length) runs.push("same", 1);
    i0 = i + 1;
    j0 = j + 1;
  }
}

/**
 * How the texts `a` become `b`, block by block, as runs of kept, removed and
 * added blocks (removals before additions in each changed region).  Blocks
 * shared at the start and end are kept without any search.
 */
export function alignBlocks(a: readonly string[], b: readonly string[], budget: WorkBudget): Run[] {
  const [x, y] = intern(a, b);
  const runs = new Runs();
  let prefix = 0;
  while (prefix < x.length && prefix < y.length && x[prefix] === y[prefix]) prefix++;
  let suffix = 0;
  while (
    suffix < x.length - prefix &&
    suffix < y.length - prefix &&
    x[x.length - 1 - suffix] === y[y.length - 1 - suffix]
  )
    suffix++;
  runs.push("same", prefix);
  alignMiddle(runs, x.slice(prefix, x.length - suffix), y.slice(prefix, y.length - suffix), budget);
  runs.push("same", suffix);
  return runs.list;
}
