/**
 * Publishing Copies, apart from HTTP: what the editor's fields may hold, the
 * rule that a published Copy must differ from its source, and the writes
 * (create a Copy, save a revision, publish or unpublish) with the figure
 * `/` shows ("N words differ"), stored when the text is saved so no page
 * view works it out.  Writes run inside the caller's transaction
 * (`batcher.run(() => …)`); the diff work is the caller's (on the diff pool).
 */
import { createCopy, saveRevision, setWordsChanged, type NewCopyInput, type SaveRevisionInput } from "../db/copies.ts";
import type { DbLike } from "../db/client.ts";
import { createRemoteCopy, type NewRemoteCopyInput } from "../db/remote-copies.ts";
import { setDeclarationStatus } from "../db/declarations.ts";
import type { Declaration } from "../db/schema.ts";
import type { ProposedChange } from "../diff/index.ts";
import { slugify, slugProblem } from "../slug.ts";

export const TITLE_MAX = 200;
export const SUMMARY_MAX = 1000;
/** The largest text of a Declaration; within what a diff takes (`MAX_DIFF_TEXT_BYTES`), so a saved text can always be compared. */
export const BODY_MAX_BYTES = 200 * 1024;
export const CHANGE_SUMMARY_MAX = 500;
export const NOTE_MAX = 1000;

/** What the editor holds. */
export interface CopyText {
  title: string;
  summary: string;
  slug: string;
  body: string;
  changeSummary: string;
  notes: Record<string, string>;
}

export type CopyTextErrors = Partial<Record<"title" | "summary" | "slug" | "body" | "changeSummary", string>>;

/** Unifies line ends (browsers send CRLF from a textarea). */
export function normalizeText(text: string): string {
  return text.replace(/\r\n?/g, "\n");
}

/** The notes typed next to the Proposed Changes (`note-{id}`), trimmed, empty ones left out. */
export function notesFrom(values: Record<string, string>): Record<string, string> {
  const notes: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (!name.startsWith("note-")) continue;
    const id = name.slice("note-".length);
    const note = value.replace(/\s+/g, " ").trim().slice(0, NOTE_MAX);
    if (/^[A-Za-z0-9_-]{1,64}$/.test(id) && note !== "") notes[id] = note;
  }
  return notes;
}

/** Only the notes of changes that still exist. */
export function keepNotes(
  notes: Record<string, string>,
  changes: readonly ProposedChange[] | null,
): Record<string, string> {
  if (changes == null) return notes;
  const kept: Record<string, string> = {};
  for (const change of changes) if (Object.hasOwn(notes, change.id)) kept[change.id] = notes[change.id]!;
  return kept;
}

/** The editor's values from a submitted form. */
export function copyTextFrom(values: Record<string, string>): CopyText {
  return {
    title: values.title ?? "",
    summary: normalizeText(values.summary ?? ""),
    slug: values.slug ?? "",
    body: normalizeText(values.body ?? ""),
    changeSummary: values.changeSummary ?? "",
    notes: notesFrom(values),
  };
}

/** The text's size problem, or null: checked before any work on the text (preview, diffs, saving). */
export function bodySizeProblem(body: string): string | null {
  return Buffer.byteLength(body, "utf8") > BODY_MAX_BYTES
    ? `The text is larger than ${BODY_MAX_BYTES / 1024} KB.`
    : null;
}

/** Checks title, summary, body and change summary: every problem, by field. */
export function validateText(v: CopyText): CopyTextErrors {
  const errors: CopyTextErrors = {};
  const title = v.title.trim();
  if (title === "") errors.title = "Please give your text a title.";
  else if ([...title].length > TITLE_MAX) errors.title = `The title is longer than ${TITLE_MAX} characters.`;
  if ([...v.summary.trim()].length > SUMMARY_MAX)
    errors.summary = `The summary is longer than ${SUMMARY_MAX} characters.`;
  const tooLarge = bodySizeProblem(v.body);
  if (v.body.trim() === "") errors.body = "The text is empty.";
  else if (tooLarge != null) errors.body = tooLarge;
  if ([...v.changeSummary.trim()].length > CHANGE_SUMMARY_MAX)
    errors.changeSummary = `This is longer than ${CHANGE_SUMMARY_MAX} characters.`;
  return errors;
}

/** The address a new Copy takes (typed, or made from the title) and its problem, if any. */
export function chosenSlug(values: Pick<CopyText, "slug" | "title">): { slug: string; problem: string | null } {
  const typed = values.slug.trim();
  const slug = typed === "" ? slugify(values.title) : typed;
  const problem = slugProblem(slug);
  if (problem == null) return { slug, problem: null };
  return {
    slug,
    problem:
      typed === ""
        ? "Please choose an address for your copy: none could be made from the title."
        : `This address ${problem}.`,
  };
}

export function slugTakenMessage(slug: string): string {
  return `The address “${slug}” is taken; please choose another.`;
}

/**
 * A text as the identical-copy rule compares it: line ends unified, spaces
 * at line ends dropped, runs of spaces and tabs one space, runs of blank
 * lines one blank line, blank lines at the start and end dropped.  Nothing
 * else is folded: a changed word, punctuation mark, letter case or Markdown
 * mark makes a different text.
 */
export function comparableText(text: string): string {
  return normalizeText(text)
    .split("\n")
    .map((line) => line.replace(/[ \t]+/g, " ").replace(/ $/, ""))
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/**
 * `body` without a closing "Proposed Changes" section (a level-1 or -2
 * heading so named, and everything after it up to the next such heading).
 * A copy starts from its source's text without it: the source's proposed
 * changes (or the copier instructions older shipped texts carried there) are
 * not the copy's; a Copy's own are made from its diff.
 */
export function withoutProposedChanges(body: string): string {
  const lines = normalizeText(body).split("\n");
  const start = lines.findIndex((l) => /^#{1,2}\s+proposed changes\s*#*\s*$/i.test(l.trim()));
  if (start < 0) return body;
  const rest = lines.slice(start + 1).findIndex((l) => /^#{1,2}\s+\S/.test(l.trim()));
  const end = rest < 0 ? lines.length : start + 1 + rest;
  const kept = [...lines.slice(0, start), ...lines.slice(end)]
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trimEnd();
  return `${kept}\n`;
}

/**
 * Why a Copy with `body` may not be published, or null: a published Copy must
 * differ from the source revision it copies (else visitors see the same text
 * twice and sign the wrong one).  The message names the field (the text).
 */
export function identicalCopyProblem(
  body: string,
  source: { body: string; title: string; number: number },
): string | null {
  // The source's own "Proposed Changes" section is left out on both sides: removing it alone changes nothing.
  const mine = comparableText(withoutProposedChanges(body));
  if (mine !== comparableText(withoutProposedChanges(source.body))) return null;
  return `Your text is the same as version ${source.number} of “${source.title}”. A copy must change something in the text before it is published: edit the text below, or save it as a draft.`;
}

/** Creates a Copy (published or a draft) and stores how many words it changes; inside the caller's transaction. */
export function publishCopy(tx: DbLike, input: NewCopyInput & { wordsChanged: number | null }) {
  const { wordsChanged, ...copy } = input;
  const outcome = createCopy(tx, copy);
  if (outcome.kind === "created") {
    setWordsChanged(tx, outcome.declaration.id, wordsChanged);
    outcome.declaration.wordsChanged = wordsChanged;
  }
  return outcome;
}

/** Creates a Copy of a text on another site and stores how many words it changes; inside the caller's transaction. */
export function publishRemoteCopy(tx: DbLike, input: NewRemoteCopyInput & { wordsChanged: number | null }) {
  const { wordsChanged, ...copy } = input;
  const outcome = createRemoteCopy(tx, copy);
  if (outcome.kind === "created") {
    setWordsChanged(tx, outcome.declaration.id, wordsChanged);
    outcome.declaration.wordsChanged = wordsChanged;
  }
  return outcome;
}

/**
 * Saves a new revision (and publishes a draft with `publishBy`), storing how
 * many words it changes from the source; inside the caller's transaction.
 */
export function saveCopyRevision(
  tx: DbLike,
  input: SaveRevisionInput & {
    declaration: Pick<Declaration, "id" | "sourceUrl">;
    wordsChanged: number | null;
    publishBy?: number;
  },
) {
  const { wordsChanged, publishBy, ...save } = input;
  const saved = saveRevision(tx, save);
  if (saved.kind === "saved") {
    if (input.declaration.sourceUrl != null) setWordsChanged(tx, input.declaration.id, wordsChanged);
    if (publishBy != null) setDeclarationStatus(tx, input.declaration.id, "published", publishBy);
  }
  return saved;
}
