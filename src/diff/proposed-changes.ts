/**
 * The *Proposed Changes* of a Copy: one entry per added, removed or moved
 * block and per group of changed sentences, with a stable id for the author's
 * notes, and the section as Markdown.  Pure.
 */
import { createHash } from "node:crypto";
import type { DeclarationDiff } from "./declarations.ts";
import type { WordPart } from "./words.ts";

const sentenceSegmenter = new Intl.Segmenter(undefined, { granularity: "sentence" });

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

/** The sentence that holds `position` (the last one past the end); a binary search, as blocks can have thousands. */
function sentenceAt(bounds: ReadonlyArray<[number, number]>, position: number): number {
  let lo = 0;
  let hi = bounds.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (bounds[mid]![0] <= position) lo = mid;
    else hi = mid - 1;
  }
  const found = bounds[lo];
  return found != null && found[0] <= position && position < found[1] ? lo : Math.max(0, bounds.length - 1);
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
function changedSentences(
  before: string,
  after: string,
  parts: readonly WordPart[],
): Array<{ before: string; after: string; focus: [number, number] }> {
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
 * The most changes a Proposed Changes section lists (and the editor offers a
 * note field for): a copy that differs more than this from its source is
 * better read as a comparison, and the section stays a readable size.
 */
export const MAX_PROPOSED_CHANGES = 500;

/**
 * The list for the *Proposed Changes* section: one entry per added, removed or
 * moved block, and one per group of changed sentences in an edited block, in
 * document order, the first `limit` of them.  `notes` are keyed by change id
 * (an id depends only on the change and the ones before it).
 */
export function proposedChanges(
  diff: DeclarationDiff,
  notes: Readonly<Record<string, string>> = {},
  limit = Infinity,
): ProposedChange[] {
  const raw: Array<Omit<ProposedChange, "id" | "note"> & { key: [string, string] }> = [];
  for (const block of diff.blocks) {
    if (raw.length >= limit) break;
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
  return raw.slice(0, limit).map(({ key, ...change }) => {
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

const KIND_LABEL: Record<ProposedChange["kind"], string> = {
  added: "Added",
  removed: "Removed",
  changed: "Changed",
  moved: "Moved",
};

/** The *Proposed Changes* section as Markdown; `more` says that changes beyond these were left out. */
export function proposedChangesMarkdown(
  changes: readonly ProposedChange[],
  source: { readonly title: string; readonly url: string; readonly revision: number },
  more = false,
): string {
  const lines = [
    "## Proposed Changes",
    "",
    `Copy of [${escapeMarkdownInline(source.title)}](${markdownUrl(source.url)}), version ${Math.trunc(source.revision)}.`,
    "",
  ];
  if (changes.length === 0) lines.push("No changes yet.");
  for (const change of changes) {
    const q = (text: string) => `“${escapeMarkdownInline(text)}”`;
    let item: string;
    if (change.kind === "added") item = `**${KIND_LABEL.added}:** ${q(change.after)}`;
    else if (change.kind === "removed") item = `**${KIND_LABEL.removed}:** ${q(change.before)}`;
    else if (change.kind === "moved") {
      const where =
        change.from !== undefined && change.to !== undefined
          ? ` from paragraph ${change.from + 1} to paragraph ${change.to + 1}`
          : "";
      item =
        change.before === change.after
          ? `**Moved${where}:** ${q(change.after)}`
          : `**Moved${where}:** ${q(change.before)} → ${q(change.after)}`;
    } else item = `**${KIND_LABEL.changed}:** ${q(change.before)} → ${q(change.after)}`;
    lines.push(`- ${item}${change.note ? `\\\n  *Note:* ${escapeMarkdownInline(change.note)}` : ""}`);
  }
  if (more)
    lines.push(
      "",
      `More changes are not listed here (only the first ${changes.length}): compare the two versions to see them all.`,
    );
  return `${lines.join("\n")}\n`;
}
