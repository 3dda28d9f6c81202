/**
 * Three-way merge of Markdown at block level (diff3 style).  Pure.
 */
import { alignBlocks } from "./align.ts";
import { joinBlocks, splitBlocksWithSeparators, type Block } from "./blocks.ts";
import { WorkBudget } from "./budget.ts";
import { checkDiffInputs } from "./limits.ts";

/** Work allowed for aligning each side with the base (units of src/diff/budget.ts). */
export const MERGE_ALIGNMENT_BUDGET = 2_000_000;

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
  /**
   * A side differs from the base too much to align block by block within the
   * limits: its changes were taken as larger regions, so conflicts may be
   * larger than they could be (never missed).  Absent otherwise.
   */
  readonly coarse?: true;
}

interface EditHunk {
  readonly side: "ours" | "theirs";
  /** Replaced base blocks [start, end); start === end for an insertion. */
  readonly start: number;
  readonly end: number;
  readonly blocks: readonly Block[];
}

function editHunks(
  base: readonly Block[],
  other: readonly Block[],
  side: EditHunk["side"],
  budget: WorkBudget,
): EditHunk[] {
  const hunks: EditHunk[] = [];
  let i = 0;
  let j = 0;
  let open: { start: number; end: number; blocks: Block[] } | null = null;
  for (const change of alignBlocks(
    base.map((b) => b.text),
    other.map((b) => b.text),
    budget,
  )) {
    if (change.op === "same") {
      if (open) hunks.push({ side, ...open });
      open = null;
      i += change.count;
      j += change.count;
      continue;
    }
    open ??= { start: i, end: i, blocks: [] };
    if (change.op === "removed") open.end = i += change.count;
    else for (let k = 0; k < change.count; k++) open.blocks.push(other[j++]!);
  }
  if (open) hunks.push({ side, ...open });
  return hunks;
}

/** `items[from, to)` pushed onto `target` (a loop: spreading a long array into push overflows the stack). */
function append<T>(target: T[], items: readonly T[], from = 0, to = items.length): void {
  for (let k = from; k < to; k++) target.push(items[k]!);
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
export function mergeThreeWay(
  base: string,
  ours: string,
  theirs: string,
  resolve?: (conflict: number) => "ours" | "theirs",
): MergeResult {
  checkDiffInputs({ base, ours, theirs });
  const baseBlocks = splitBlocksWithSeparators(base);
  const budgets = [new WorkBudget(MERGE_ALIGNMENT_BUDGET), new WorkBudget(MERGE_ALIGNMENT_BUDGET)] as const;
  const hunks = [
    ...editHunks(baseBlocks, splitBlocksWithSeparators(ours), "ours", budgets[0]),
    ...editHunks(baseBlocks, splitBlocksWithSeparators(theirs), "theirs", budgets[1]),
  ].sort((x, y) => x.start - y.start || x.end - y.end);
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
      append(out, baseBlocks, cursor, hunk.start);
      append(out, hunk.blocks);
      cursor = hunk.end;
    }
    append(out, baseBlocks, cursor, group.end);
    return out;
  };
  const merged: Block[] = [];
  const conflicts: MergeConflict[] = [];
  let cursor = 0;
  for (const group of groups) {
    append(merged, baseBlocks, cursor, group.start);
    cursor = group.end;
    const sides = new Set(group.hunks.map((h) => h.side));
    const ourVersion = version(group, "ours");
    if (sides.size === 1) {
      append(merged, sides.has("ours") ? ourVersion : version(group, "theirs"));
      continue;
    }
    const theirVersion = version(group, "theirs");
    const text = (blocks: readonly Block[]) => blocks.map((b) => b.text).join("\n\n");
    if (text(ourVersion) !== text(theirVersion)) {
      conflicts.push({
        base: text(baseBlocks.slice(group.start, group.end)),
        ours: text(ourVersion),
        theirs: text(theirVersion),
        at: merged.length,
      });
      if (resolve?.(conflicts.length - 1) === "theirs") {
        append(merged, theirVersion);
        continue;
      }
    }
    append(merged, ourVersion);
  }
  append(merged, baseBlocks, cursor);
  return {
    text: joinBlocks(merged),
    conflicts,
    ...(budgets[0].coarse || budgets[1].coarse ? { coarse: true as const } : {}),
  };
}
