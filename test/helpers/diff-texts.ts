/**
 * Pairs of texts that cost the most to diff, up to a size in bytes (ASCII, so
 * one byte a character): used by the diff tests and by bench/diff-load.ts.
 * Each pair is made from a seeded generator, so runs are repeatable.
 */

/** A small linear congruential generator: the same seed, the same texts. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 0x1_0000_0000;
  };
}

/** Items from `make` joined by `sep`, as many as fit in `bytes`. */
function fill(bytes: number, sep: string, make: (i: number) => string): string {
  const out: string[] = [];
  let length = 0;
  for (let i = 0; ; i++) {
    const item = make(i);
    if (length + item.length + (out.length > 0 ? sep.length : 0) > bytes) break;
    length += item.length + (out.length > 0 ? sep.length : 0);
    out.push(item);
  }
  return out.join(sep);
}

const word = (next: () => number) => `w${Math.floor(next() * 1_000_000)}`;
const words = (next: () => number, n: number) => Array.from({ length: n }, () => word(next)).join(" ");

export type DiffPair = readonly [before: string, after: string];

/** Tens of thousands of one-word paragraphs on each side, none shared: the block alignment's worst case. */
export function tinyParagraphs(bytes: number, seed = 1): DiffPair {
  const next = random(seed);
  return [fill(bytes, "\n\n", () => word(next)), fill(bytes, "\n\n", () => word(next))];
}

/** One list item per line, none shared (the pair of the report: 77 KB took 19 s, 200 KB 220 s). */
export function listItems(bytes: number, seed = 2): DiffPair {
  const next = random(seed);
  return [fill(bytes, "\n", () => `- ${word(next)}`), fill(bytes, "\n", () => `- ${word(next)}`)];
}

/** Every other short paragraph replaced: many small changed regions, little in common between them. */
export function interleaved(bytes: number, seed = 3): DiffPair {
  const next = random(seed);
  const before = fill(bytes, "\n\n", () => words(next, 3)).split("\n\n");
  const after = before.map((p, i) => (i % 2 === 1 ? p : words(next, 3).slice(0, p.length).padEnd(p.length, "x")));
  return [before.join("\n\n"), after.join("\n\n")];
}

/** One paragraph of the whole size, one word in eleven changed: the word diff's worst case. */
export function oneParagraph(bytes: number, seed = 4): DiffPair {
  const next = random(seed);
  const all = fill(bytes, " ", () => word(next)).split(" ");
  return [all.join(" "), all.map((w, i) => (i % 11 === 0 ? `z${w.slice(1)}` : w)).join(" ")];
}

/** Paragraphs of one shuffled set of words: every pair of paragraphs looks alike to the pairing and the moves. */
export function shuffledParagraphs(bytes: number, seed = 5): DiffPair {
  const next = random(seed);
  const vocabulary = words(next, 40).split(" ");
  const paragraph = () => {
    const w = [...vocabulary];
    for (let i = w.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [w[i], w[j]] = [w[j]!, w[i]!];
    }
    return w.join(" ");
  };
  return [fill(bytes, "\n\n", paragraph), fill(bytes, "\n\n", paragraph)];
}

export const PATHOLOGICAL_PAIRS = { tinyParagraphs, listItems, interleaved, oneParagraph, shuffledParagraphs } as const;
