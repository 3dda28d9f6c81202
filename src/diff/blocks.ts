/**
 * Markdown split into blocks (paragraphs, headings, list items, fenced code),
 * the unit every diff here aligns first.  Pure.
 */

/** A block with the separator that preceded it in its document ("" for the first, "\n" or "\n\n"). */
export interface Block {
  readonly text: string;
  readonly sep: string;
}

/** Unifies line ends, drops a BOM, composes Unicode (NFC) and trims trailing spaces on every line. */
export function normalizeMarkdown(markdown: string): string {
  return markdown
    .replace(/^\uFEFF/, "")
    .replace(/\r\n?/g, "\n")
    .replace(/\0/g, "\uFFFD")
    .normalize("NFC")
    .split("\n")
    .map((line) => line.replace(/[ \t]+$/, ""))
    .join("\n");
}

const FENCE_OPEN = /^([ \t]*)(`{3,}|~{3,})/;
const FENCE_CLOSE = /^[ \t]*(`{3,}|~{3,})[ \t]*$/;
const ATX_HEADING = /^ {0,3}#{1,6}(?:[ \t]|$)/;
const THEMATIC_BREAK = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const SETEXT_UNDERLINE = /^ {0,3}(?:=+|-+)[ \t]*$/;
const LIST_ITEM = /^[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)/;

type BlockType = "paragraph" | "list" | "fence" | "closed";

/** The blocks of `markdown` (after `normalizeMarkdown`), each with the separator before it. */
export function splitBlocksWithSeparators(markdown: string): Block[] {
  const lines = normalizeMarkdown(markdown).split("\n");
  const blocks: Block[] = [];
  let current: string[] = [];
  let type = "closed" as BlockType;
  let sep = "";
  let blankSeen = false;
  let fence: { char: string; length: number } | null = null;

  const flush = () => {
    if (current.length > 0) blocks.push({ text: current.join("\n"), sep: blocks.length === 0 ? "" : sep });
    current = [];
    type = "closed";
  };
  const start = (line: string, newType: BlockType) => {
    flush();
    sep = blankSeen ? "\n\n" : "\n";
    blankSeen = false;
    current = [line];
    type = newType;
  };

  for (const line of lines) {
    if (fence) {
      current.push(line);
      const close = FENCE_CLOSE.exec(line);
      if (close && close[1]![0] === fence.char && close[1]!.length >= fence.length) {
        fence = null;
        // A fence that was part of a list item continues that item.
        if (type === "fence") flush();
      }
      continue;
    }
    if (line.trim() === "") {
      flush();
      if (blocks.length > 0) blankSeen = true;
      continue;
    }
    const open = FENCE_OPEN.exec(line);
    if (open) {
      fence = { char: open[2]![0]!, length: open[2]!.length };
      if (type === "list" && open[1]!.length > 0 && !blankSeen) current.push(line);
      else start(line, "fence");
      continue;
    }
    if (type === "paragraph" && SETEXT_UNDERLINE.test(line)) {
      current.push(line);
      flush();
      continue;
    }
    if (ATX_HEADING.test(line) || THEMATIC_BREAK.test(line)) {
      start(line, "closed");
      flush();
      continue;
    }
    if (LIST_ITEM.test(line)) {
      start(line, "list");
      continue;
    }
    if (type === "closed") start(line, "paragraph");
    else current.push(line);
  }
  flush();
  return blocks;
}

/**
 * The Markdown split into blocks: blank-line separated paragraphs, each heading
 * and each list item (nested ones too) on its own, fenced code blocks whole,
 * after `normalizeMarkdown`.
 */
export function splitBlocks(markdown: string): string[] {
  return splitBlocksWithSeparators(markdown).map((block) => block.text);
}

/** Blocks back to Markdown, each after its own separator (a blank line when it has none). */
export function joinBlocks(blocks: readonly Block[]): string {
  if (blocks.length === 0) return "";
  return `${blocks.map((block, index) => (index === 0 ? "" : block.sep || "\n\n") + block.text).join("")}\n`;
}

/** Blocks `indices` of `blocks` as one text, joined by their own separators. */
export function joinedText(blocks: readonly Block[], indices: readonly number[]): string {
  return indices.map((index, k) => (k === 0 ? "" : blocks[index]!.sep || "\n\n") + blocks[index]!.text).join("");
}
