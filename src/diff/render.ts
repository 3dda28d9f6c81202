/**
 * A diff as HTML: one column with `<ins>`/`<del>` marks, or two columns
 * (before | after).  Everything rendered here is escaped text: document
 * content never passes through as markup.  Pure.
 */
import type { DeclarationDiff, DiffBlock } from "./declarations.ts";
import type { WordPart } from "./words.ts";

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
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

export function movedNote(block: DiffBlock & { kind: "moved" }): string {
  return `<p class="diff-note">moved from paragraph ${block.from + 1}</p>`;
}

type Run =
  | { readonly unchanged: true; readonly blocks: DiffBlock[] }
  | { readonly unchanged: false; readonly block: DiffBlock };

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

/** Said above a coarse diff (see `DeclarationDiff.coarse`). */
export const COARSE_NOTE =
  "These versions differ too much to compare every word within this site’s limits: some paragraphs are shown as removed and added, or replaced whole, rather than word by word.";

function coarseNote(diff: DeclarationDiff): string {
  return diff.coarse ? `<p class="diff-note diff-coarse" role="note">${escapeHtml(COARSE_NOTE)}</p>\n` : "";
}

/**
 * The most changed blocks one rendering shows: a page with more is too long to
 * read, and its HTML (megabytes) would weigh on the server and the browser.
 * What comes after is left out, and the rendering says so.
 */
export const MAX_RENDERED_CHANGES = 5000;

/** The blocks shown: all of them, or those before the change past `MAX_RENDERED_CHANGES`, and how many changes are left out. */
function shown(diff: DeclarationDiff): { blocks: DiffBlock[]; changesLeft: number } {
  let changes = 0;
  for (let i = 0; i < diff.blocks.length; i++) {
    if (diff.blocks[i]!.kind !== "unchanged" && ++changes > MAX_RENDERED_CHANGES) {
      return { blocks: diff.blocks.slice(0, i), changesLeft: diff.stats.blocksChanged - MAX_RENDERED_CHANGES };
    }
  }
  return { blocks: [...diff.blocks], changesLeft: 0 };
}

function cutNote(changesLeft: number): string {
  if (changesLeft === 0) return "";
  const text = `Only the first ${MAX_RENDERED_CHANGES.toLocaleString("en-US")} changed paragraphs are shown: ${changesLeft.toLocaleString("en-US")} more, and the rest of the text, are left out.`;
  return `\n<p class="diff-note diff-cut" role="note">${escapeHtml(text)}</p>`;
}

/** The blocks shown, each as `blockHtml`, long runs of unchanged ones wrapped by `collapse`; and the note on what is left out. */
function renderRuns(
  diff: DeclarationDiff,
  blockHtml: (block: DiffBlock) => string,
  collapse: (count: number, html: string) => string,
): { html: string; cut: string } {
  const { blocks, changesLeft } = shown(diff);
  const html = runsOf(blocks)
    .map((run) => {
      if (!run.unchanged) return blockHtml(run.block);
      const runHtml = run.blocks.map(blockHtml).join("\n");
      return run.blocks.length <= MAX_SHOWN_UNCHANGED ? runHtml : collapse(run.blocks.length, runHtml);
    })
    .join("\n");
  return { html, cut: cutNote(changesLeft) };
}

/**
 * The diff laid out as one column (`inline`) or a two-column table (`side`),
 * each shown block as `blockHtml` makes it (a `<div>` or a `<tr>`), with the
 * coarse and cut notes; `className` is added to the outer element.
 */
export function renderDiffWith(
  diff: DeclarationDiff,
  layout: "inline" | "side",
  blockHtml: (block: DiffBlock) => string,
  className = "",
): string {
  const extra = className === "" ? "" : ` ${className}`;
  if (layout === "inline") {
    const { html, cut } = renderRuns(
      diff,
      blockHtml,
      (count, runHtml) => `<details class="diff-collapsed">${collapsedSummary(count)}\n${runHtml}\n</details>`,
    );
    return `${coarseNote(diff)}<div class="diff diff-inline${extra}">\n${html}\n</div>${cut}`;
  }
  const { html, cut } = renderRuns(
    diff,
    blockHtml,
    (count, runHtml) =>
      `<tr class="diff-collapsed"><td colspan="2"><details>${collapsedSummary(count)}\n` +
      `<table class="diff-side diff-side-inner${extra}"><tbody>\n${runHtml}\n</tbody></table></details></td></tr>`,
  );
  return (
    coarseNote(diff) +
    `<table class="diff-side${extra}">\n<thead><tr><th scope="col">Before</th><th scope="col">After</th></tr></thead>\n` +
    `<tbody>\n${html}\n</tbody>\n</table>` +
    cut
  );
}

/** The diff as one column, with `<ins>`/`<del>` marks.  All document text is escaped. */
export function renderDiffInline(diff: DeclarationDiff): string {
  return renderDiffWith(diff, "inline", inlineBlockHtml);
}

export function row(kind: string, before: string | null, after: string | null): string {
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
  return renderDiffWith(diff, "side", sideBySideRow);
}
