/**
 * Differences between two versions of a Declaration, for copies, comparisons,
 * lineage pages and the *Proposed Changes* section.
 *
 * | file | concern |
 * | --- | --- |
 * | `blocks.ts` | Markdown split into blocks |
 * | `words.ts` | word segmentation, word counts, word-level changes |
 * | `budget.ts` | the work budget every diff draws on, and jsdiff within it |
 * | `align.ts` | block alignment (Myers within budget, then patience anchors, then whole regions) |
 * | `pairing.ts` | pairing removed and added blocks: edits, splits, merges, near-equal moves |
 * | `declarations.ts` | the block-level diff, its figures and summary |
 * | `render.ts` | inline and side-by-side HTML of the Markdown source |
 * | `render-formatted.ts` | the same views as formatted text (Markdown rendered, sanitized, changes marked) |
 * | `proposed-changes.ts` | the Proposed Changes list and its Markdown |
 * | `merge.ts` | three-way merge |
 * | `limits.ts` | size limits, checked before any work |
 * | `jobs.ts` | what a worker computes for a page |
 * | `pool.ts`, `worker.ts` | the worker threads that run diffs off the thread serving pages |
 *
 * Everything but `pool.ts` and `worker.ts` is pure (no I/O) and bounded in
 * cost: see `DiffLimits` and `MAX_DIFF_TEXT_BYTES`.
 */
export { normalizeMarkdown, splitBlocks } from "./blocks.ts";
export { countWords, diffWords, MAX_WORD_EDITS, type WordPart, type WordPartKind } from "./words.ts";
export { WorkBudget } from "./budget.ts";
export {
  DEFAULT_DIFF_LIMITS,
  diffDeclarations,
  diffSummary,
  type DeclarationDiff,
  type DiffBlock,
  type DiffLimits,
  type DiffStats,
  type DiffSummary,
} from "./declarations.ts";
export { COARSE_NOTE, escapeHtml, MAX_RENDERED_CHANGES, renderDiffInline, renderDiffSideBySide } from "./render.ts";
export { renderFormattedInline, renderFormattedSideBySide } from "./render-formatted.ts";
export {
  escapeMarkdownInline,
  MAX_EXCERPT,
  MAX_PROPOSED_CHANGES,
  proposedChanges,
  proposedChangesMarkdown,
  type ProposedChange,
} from "./proposed-changes.ts";
export { MERGE_ALIGNMENT_BUDGET, mergeThreeWay, type MergeConflict, type MergeResult } from "./merge.ts";
export { checkDiffInputs, DiffTooLargeError, MAX_DIFF_TEXT_BYTES, oversizeText } from "./limits.ts";
export {
  runDiffJob,
  type DiffJob,
  type DiffFormat,
  type DiffView,
  type EditorJob,
  type EditorOutcome,
  type OutcomeOf,
  type MergeJob,
  type MergeOutcome,
  type ProposedJob,
  type ProposedOutcome,
  type RenderJob,
  type RenderOutcome,
  type SummaryJob,
} from "./jobs.ts";
export {
  configureDiffPool,
  DEFAULT_DIFF_DEADLINE_MS,
  DiffBusyError,
  DiffDeadlineError,
  DiffPool,
  diffPool,
  DiffWorkerError,
  isDiffRefusal,
  type DiffPoolOptions,
} from "./pool.ts";
