/**
 * What a diff worker computes: each job takes the texts and returns what a
 * page shows (HTML, figures, the Proposed Changes, a merge), never the whole
 * diff structure, so little has to be copied back to the thread that serves
 * pages.  Pure: the same function runs in a worker thread (src/diff/pool.ts)
 * or, in tests, in-process.
 */
import { renderMarkdown } from "../markdown.ts";
import {
  DEFAULT_DIFF_LIMITS,
  diffDeclarations,
  diffSummary,
  type DeclarationDiff,
  type DiffLimits,
  type DiffSummary,
} from "./declarations.ts";
import { checkDiffInputs } from "./limits.ts";
import { mergeThreeWay, type MergeResult } from "./merge.ts";
import {
  MAX_PROPOSED_CHANGES,
  proposedChanges,
  proposedChangesMarkdown,
  type ProposedChange,
} from "./proposed-changes.ts";
import { renderDiffInline, renderDiffSideBySide } from "./render.ts";
import { renderFormattedInline, renderFormattedSideBySide } from "./render-formatted.ts";
import { diffWords, type WordPart } from "./words.ts";

export type DiffView = "inline" | "side";
/** The texts as Markdown source (escaped), or formatted (rendered and sanitized). */
export type DiffFormat = "markdown" | "formatted";

/**
 * A diff rendered as HTML in the views asked for, with its figures; `words` are short texts (title, summary)
 * compared word by word.  `format` defaults to Markdown source.
 */
export interface RenderJob {
  readonly kind: "render";
  readonly before: string;
  readonly after: string;
  readonly views: readonly DiffView[];
  readonly format?: DiffFormat;
  readonly words?: Readonly<Record<string, readonly [string, string]>>;
}

export interface RenderOutcome {
  readonly html: Partial<Record<DiffView, string>>;
  readonly summary: DiffSummary;
  readonly words: Record<string, WordPart[]>;
}

/** Only the figures (e.g. "N words changed"). */
export interface SummaryJob {
  readonly kind: "summary";
  readonly before: string;
  readonly after: string;
}

/** The Proposed Changes of `after` against its source `before`; with `section`, also as Markdown and sanitized HTML. */
export interface ProposedJob {
  readonly kind: "proposed";
  readonly before: string;
  readonly after: string;
  readonly notes?: Readonly<Record<string, string>>;
  readonly section?: { readonly title: string; readonly url: string; readonly revision: number };
}

export interface ProposedOutcome {
  /** The first `MAX_PROPOSED_CHANGES` changes. */
  readonly changes: ProposedChange[];
  /** There are more changes than listed. */
  readonly more: boolean;
  readonly markdown: string | null;
  readonly html: string | null;
  readonly coarse: boolean;
  /** How many words differ (added, removed or changed), as "N words changed" counts them. */
  readonly wordsChanged: number;
}

/**
 * What the copy editor shows: the Proposed Changes of `body` against `source`
 * (when the Declaration is a Copy whose source text is known), and on preview
 * the body rendered and its diff from `base` in both views.
 */
export interface EditorJob {
  readonly kind: "editor";
  readonly body: string;
  readonly source?: string;
  readonly notes?: Readonly<Record<string, string>>;
  readonly preview?: { readonly base: string };
}

export interface EditorOutcome {
  /** The first `MAX_PROPOSED_CHANGES` Proposed Changes (null without a source). */
  readonly changes: ProposedChange[] | null;
  readonly more: boolean;
  /** Sanitized HTML of the body (on preview). */
  readonly previewHtml: string | null;
  readonly diffHtml: string | null;
  readonly sideBySideHtml: string | null;
}

/** A three-way merge (the owner's `choices` by conflict index), and with `showTheirs` the inline diff of base → theirs. */
export interface MergeJob {
  readonly kind: "merge";
  readonly base: string;
  readonly ours: string;
  readonly theirs: string;
  readonly choices?: Readonly<Record<number, "ours" | "theirs">>;
  readonly showTheirs?: boolean;
}

export interface MergeOutcome {
  readonly merge: MergeResult;
  readonly theirsHtml: string | null;
}

export type DiffJob = RenderJob | SummaryJob | ProposedJob | EditorJob | MergeJob;

export interface DiffOutcomes {
  readonly render: RenderOutcome;
  readonly summary: DiffSummary;
  readonly proposed: ProposedOutcome;
  readonly editor: EditorOutcome;
  readonly merge: MergeOutcome;
}

export type OutcomeOf<J extends DiffJob> = DiffOutcomes[J["kind"]];

/** The texts of a job by name, for the size check that comes before any work. */
export function jobTexts(job: DiffJob): Record<string, string> {
  switch (job.kind) {
    case "merge":
      return { base: job.base, ours: job.ours, theirs: job.theirs };
    case "editor":
      return {
        body: job.body,
        ...(job.source != null ? { source: job.source } : {}),
        ...(job.preview != null ? { base: job.preview.base } : {}),
      };
    case "render": {
      const texts: Record<string, string> = { before: job.before, after: job.after };
      for (const [name, [before, after]] of Object.entries(job.words ?? {}))
        Object.assign(texts, { [`${name} before`]: before, [`${name} after`]: after });
      return texts;
    }
    default:
      return { before: job.before, after: job.after };
  }
}

/** Runs `job` (its texts checked against the size limit first). */
export function runDiffJob<J extends DiffJob>(job: J, limits: DiffLimits = DEFAULT_DIFF_LIMITS): OutcomeOf<J> {
  checkDiffInputs(jobTexts(job));
  return run(job, limits) as OutcomeOf<J>;
}

function listedChanges(
  diff: DeclarationDiff,
  notes: Readonly<Record<string, string>> | undefined,
): { changes: ProposedChange[]; more: boolean } {
  const found = proposedChanges(diff, notes ?? {}, MAX_PROPOSED_CHANGES + 1);
  const more = found.length > MAX_PROPOSED_CHANGES;
  return { changes: more ? found.slice(0, MAX_PROPOSED_CHANGES) : found, more };
}

function run(job: DiffJob, limits: DiffLimits): DiffOutcomes[DiffJob["kind"]] {
  switch (job.kind) {
    case "render": {
      const diff = diffDeclarations(job.before, job.after, limits);
      const html: Partial<Record<DiffView, string>> = {};
      const formatted = job.format === "formatted";
      for (const view of job.views) {
        if (view === "side") html[view] = formatted ? renderFormattedSideBySide(diff) : renderDiffSideBySide(diff);
        else html[view] = formatted ? renderFormattedInline(diff) : renderDiffInline(diff);
      }
      const words: Record<string, WordPart[]> = {};
      for (const [name, [before, after]] of Object.entries(job.words ?? {})) words[name] = diffWords(before, after);
      return { html, summary: diffSummary(diff), words } satisfies RenderOutcome;
    }
    case "summary":
      return diffSummary(diffDeclarations(job.before, job.after, limits));
    case "proposed": {
      const diff = diffDeclarations(job.before, job.after, limits);
      const { changes, more } = listedChanges(diff, job.notes);
      const markdown = job.section == null ? null : proposedChangesMarkdown(changes, job.section, more);
      return {
        changes,
        more,
        markdown,
        html: markdown == null ? null : renderMarkdown(markdown),
        coarse: diff.coarse,
        wordsChanged: diffSummary(diff).wordsChanged,
      } satisfies ProposedOutcome;
    }
    case "editor": {
      const sourceDiff = job.source == null ? null : diffDeclarations(job.source, job.body, limits);
      const listed = sourceDiff == null ? null : listedChanges(sourceDiff, job.notes);
      const preview = job.preview;
      const baseDiff =
        preview == null
          ? null
          : preview.base === job.source && sourceDiff != null
            ? sourceDiff
            : diffDeclarations(preview.base, job.body, limits);
      return {
        changes: listed?.changes ?? null,
        more: listed?.more ?? false,
        previewHtml: preview == null ? null : renderMarkdown(job.body),
        diffHtml: baseDiff == null ? null : renderDiffInline(baseDiff),
        sideBySideHtml: baseDiff == null ? null : renderDiffSideBySide(baseDiff),
      } satisfies EditorOutcome;
    }
    case "merge": {
      const merge = mergeThreeWay(
        job.base,
        job.ours,
        job.theirs,
        job.choices == null ? undefined : (i) => (job.choices![i] === "theirs" ? "theirs" : "ours"),
      );
      const theirsHtml =
        job.showTheirs === true ? renderDiffInline(diffDeclarations(job.base, job.theirs, limits)) : null;
      return { merge, theirsHtml } satisfies MergeOutcome;
    }
  }
}
