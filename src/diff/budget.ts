/**
 * Bounded work for diffs.  jsdiff's Myers algorithm costs about (edits)² plus
 * the tokens compared, so two long texts with little in common can take
 * minutes.  Every diff here draws on a `WorkBudget` counted in comparisons
 * (not in time, so the same texts always give the same result — change ids in
 * the Proposed Changes depend on it), and falls back to a coarser result that
 * is still a correct diff when the budget runs out.
 */
import { diffArrays, type ChangeObject } from "diff";

/** Units of work (about one token comparison each) a stage of a diff may still use. */
export class WorkBudget {
  #left: number;
  /** Set when something was shown more coarsely than it could have been, because this budget ran out. */
  coarse = false;

  constructor(units: number) {
    this.#left = Math.max(0, Math.floor(units));
  }

  get left(): number {
    return this.#left;
  }

  /** Takes `units` when that many are left (and returns true); otherwise takes nothing and marks the result coarse. */
  take(units: number): boolean {
    if (units > this.#left) {
      this.coarse = true;
      return false;
    }
    this.#left -= units;
    return true;
  }

  /** Takes up to `units` (what is left when there is less). */
  spend(units: number): void {
    this.#left = Math.max(0, this.#left - units);
  }
}

const overBudget = new Error("diff work budget spent");

/**
 * The outcome of a bounded diff: the changes, or why there are none — more
 * than `maxEdits` edits (a verdict: the sequences are that different), or the
 * budget ran out (no verdict; the budget is marked coarse).
 */
export type Bounded<T> =
  | { readonly ok: true; readonly changes: ChangeObject<T[]>[] }
  | { readonly ok: false; readonly reason: "edits" | "budget" };

/**
 * jsdiff's `diffArrays` on `a` and `b` (compared with ===), using at most
 * `allowance` units of `budget` and at most `maxEdits` edits.  The cost is
 * bounded twice: each comparison counts (the comparator stops the search when
 * the allowance is spent), and the edit length is capped at √allowance, which
 * bounds the steps that compare nothing.
 */
export function boundedDiffArrays<T>(
  a: T[],
  b: T[],
  budget: WorkBudget,
  maxEdits = Infinity,
  allowance = budget.left,
): Bounded<T> {
  const units = Math.min(allowance, budget.left);
  const editCap = Math.floor(Math.sqrt(units));
  const limit = Math.min(maxEdits, editCap, a.length + b.length);
  let compared = 0;
  const comparator = (x: T, y: T): boolean => {
    if (++compared > units) throw overBudget;
    return x === y;
  };
  let changes: ChangeObject<T[]>[] | undefined;
  try {
    changes = diffArrays(a, b, { maxEditLength: limit, comparator });
  } catch (error) {
    if (error !== overBudget) throw error;
    budget.spend(units);
    budget.coarse = true;
    return { ok: false, reason: "budget" };
  }
  budget.spend(compared + limit);
  if (changes !== undefined) return { ok: true, changes };
  if (limit >= maxEdits) return { ok: false, reason: "edits" };
  budget.coarse = true;
  return { ok: false, reason: "budget" };
}
