/**
 * Where a Copy comes from, and its *Proposed Changes*: the diff of a revision
 * against the source revision it was copied from, with the author's notes.
 * The diff runs on the diff pool (src/web/kit/diff-jobs.tsx) and its outcome is kept
 * per revision pair: both revisions, and the notes saved with a revision,
 * never change.
 */
import { getRevision } from "../../db/declarations.ts";
import { getRemoteRevision, getRemoteSource } from "../../db/remote-copies.ts";
import type { DbLike } from "../../db/client.ts";
import type { Declaration, Revision } from "../../db/schema.ts";
import type { ProposedChange, ProposedOutcome } from "../../diff/index.ts";
import { keptDiff, KeptDiffs, stringBytes, type Tried } from "../kit/diff-jobs.tsx";

export interface CopySource {
  title: string;
  url: string;
  revision: number;
  /** The source revision, when it is on this site and still exists. */
  local: Revision | null;
  /** The source revision's text: on this site, or kept from the other site it is on (null when unknown). */
  body: string | null;
  /** The source is on another site. */
  remote: boolean;
  /** Which stored revision the text is (ours or one kept from another site), for keeping diffs; null with no text. */
  key: string | null;
}

/** The source of a Copy, or null when `d` is not a Copy. */
export function copySource(db: DbLike, d: Declaration): CopySource | null {
  if (d.sourceRevision == null || d.sourceUrl == null) return null;
  const local =
    d.sourceDeclarationId == null ? null : (getRevision(db, d.sourceDeclarationId, d.sourceRevision) ?? null);
  const kept = local == null && d.sourceDeclarationId == null ? getRemoteRevision(db, d.sourceUrl) : undefined;
  const body = local?.body ?? kept?.body ?? null;
  const key = local != null ? `local:${local.id}` : kept != null ? `remote:${kept.id}` : null;
  return {
    title: d.sourceTitle ?? local?.title ?? d.sourceUrl,
    url: d.sourceUrl,
    revision: d.sourceRevision,
    local,
    body,
    remote: d.sourceDeclarationId == null && getRemoteSource(db, d.id) != null,
    key,
  };
}

export interface ProposedChangesSection {
  source: CopySource;
  changes: ProposedChange[];
  markdown: string;
  /** Sanitized HTML of `markdown`. */
  html: string;
}

const sections = new KeptDiffs<ProposedOutcome>(1000, 16 * 1024 * 1024, (o) =>
  stringBytes(o.markdown, o.html, ...o.changes.flatMap((c) => [c.id, c.before, c.after, c.note])),
);

/**
 * The Proposed Changes of `revision` against the Copy's source revision (with
 * that revision's notes), null when the source text is not available here,
 * or the refusal when the diff cannot be worked out (too large, busy, past
 * its deadline).
 */
export async function proposedChangesSection(
  db: DbLike,
  d: Declaration,
  revision: Pick<Revision, "id" | "number" | "body" | "notes">,
): Promise<Tried<ProposedChangesSection> | null> {
  const source = copySource(db, d);
  if (source?.body == null || source.key == null) return null;
  const sourceBody = source.body;
  const heading = { title: source.title, url: source.url, revision: source.revision };
  const got = await keptDiff(
    sections,
    db,
    JSON.stringify([source.key, revision.id, heading]),
    () => ({
      kind: "proposed" as const,
      before: sourceBody,
      after: revision.body,
      notes: revision.notes,
      section: heading,
    }),
    { before: `The source (version ${source.revision})`, after: `Version ${revision.number}` },
  );
  if (!got.ok) return got;
  return {
    ok: true,
    outcome: {
      source,
      changes: got.outcome.changes,
      markdown: got.outcome.markdown ?? "",
      html: got.outcome.html ?? "",
    },
  };
}
