/**
 * A diff as formatted text: each block's Markdown rendered to sanitized HTML
 * (src/markdown.ts, the one sanitizer), with added and removed blocks wrapped
 * in `<ins>`/`<del>` and changed words marked inside the formatting.
 *
 * Changed words are marked before rendering with four private-use characters
 * (taken out of the texts first, so no document can forge one), and the marks
 * are placed after sanitizing, around text only: a mark is closed before
 * every tag and opened again after it, so marks never cross an element and
 * the HTML stays well nested.  Marks that rendering moved into an attribute
 * (a changed link target) are dropped there.  Pure; bounded like the other
 * views (the blocks are those of the same capped diff, each rendered once).
 */
import { renderMarkdown } from "../markdown.ts";
import type { DeclarationDiff, DiffBlock } from "./declarations.ts";
import { movedNote, renderDiffWith, row } from "./render.ts";
import type { WordPart } from "./words.ts";

const INS_OPEN = "\uE000";
const INS_CLOSE = "\uE001";
const DEL_OPEN = "\uE002";
const DEL_CLOSE = "\uE003";
const MARKERS = /[\uE000-\uE003]/g;
/** The markers as marked may write them inside an attribute (percent-encoded in a URL). */
const ENCODED_MARKERS = /%EE%80%8[0-3]/gi;

function clean(text: string): string {
  return text.replace(MARKERS, "");
}

function markedSource(parts: readonly WordPart[], show: "both" | "before" | "after"): string {
  let source = "";
  for (const part of parts) {
    const text = clean(part.text);
    if (part.kind === "same") source += text;
    else if (part.kind === "removed") {
      if (show !== "after") source += `${DEL_OPEN}${text}${DEL_CLOSE}`;
    } else if (show !== "before") source += `${INS_OPEN}${text}${INS_CLOSE}`;
  }
  return source;
}

/** Sanitized HTML with the markers in its text turned into `<ins>`/`<del>` around text only. */
function placeMarks(html: string): string {
  let out = "";
  let open: "ins" | "del" | null = null;
  const start = (tag: "ins" | "del") => `<${tag} class="diff-${tag}">`;
  for (const piece of html.split(/(<[^>]*>)/)) {
    if (piece.startsWith("<")) {
      const tag = piece.replace(MARKERS, "").replace(ENCODED_MARKERS, "");
      out += open != null ? `</${open}>${tag}${start(open)}` : tag;
      continue;
    }
    for (const ch of piece) {
      if (ch === INS_OPEN || ch === DEL_OPEN) {
        if (open != null) out += `</${open}>`;
        open = ch === INS_OPEN ? "ins" : "del";
        out += start(open);
      } else if (ch === INS_CLOSE || ch === DEL_CLOSE) {
        if (open != null) out += `</${open}>`;
        open = null;
      } else out += ch;
    }
  }
  if (open != null) out += `</${open}>`;
  // A mark around nothing but the tags it was split at says nothing.
  return out.replace(/<(ins|del) class="diff-\1"><\/\1>/g, "");
}

function formatted(markdown: string): string {
  return renderMarkdown(markdown);
}

function wholeBlock(tag: "ins" | "del", text: string): string {
  return `<${tag} class="diff-${tag} diff-${tag}-block">${formatted(clean(text))}</${tag}>`;
}

function formattedParts(parts: readonly WordPart[], show: "both" | "before" | "after"): string {
  return placeMarks(formatted(markedSource(parts, show)));
}

function inlineBlock(block: DiffBlock): string {
  switch (block.kind) {
    case "unchanged":
      return `<div class="diff-block diff-unchanged">${formatted(clean(block.text))}</div>`;
    case "added":
      return `<div class="diff-block diff-added">${wholeBlock("ins", block.text)}</div>`;
    case "removed":
      return `<div class="diff-block diff-removed">${wholeBlock("del", block.text)}</div>`;
    case "changed":
      return `<div class="diff-block diff-changed">${formattedParts(block.parts, "both")}</div>`;
    case "moved":
      return `<div class="diff-block diff-moved">${movedNote(block)}<div class="diff-text">${formattedParts(block.parts, "both")}</div></div>`;
  }
}

function sideBySideRow(block: DiffBlock): string {
  switch (block.kind) {
    case "unchanged": {
      const html = formatted(clean(block.text));
      return row("unchanged", html, html);
    }
    case "added":
      return row("added", null, wholeBlock("ins", block.text));
    case "removed":
      return row("removed", wholeBlock("del", block.text), null);
    case "changed":
      return row("changed", formattedParts(block.parts, "before"), formattedParts(block.parts, "after"));
    case "moved":
      return row(
        "moved",
        formattedParts(block.parts, "before"),
        `${movedNote(block)}${formattedParts(block.parts, "after")}`,
      );
  }
}

/** The diff as one column of formatted text with changes marked. */
export function renderFormattedInline(diff: DeclarationDiff): string {
  return renderDiffWith(diff, "inline", inlineBlock, "diff-formatted");
}

/** The diff as two columns of formatted text (before | after). */
export function renderFormattedSideBySide(diff: DeclarationDiff): string {
  return renderDiffWith(diff, "side", sideBySideRow, "diff-formatted");
}
