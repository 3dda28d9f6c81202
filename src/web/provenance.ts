/**
 * Where a Copy comes from, and its *Proposed Changes*: the diff of a revision
 * against the source revision it was copied from, with the author's notes.
 */
import { getRevision } from "../db/declarations.ts";
import { getRemoteRevision, getRemoteSource } from "../db/remote-copies.ts";
import type { DbLike } from "../db/client.ts";
import type { Declaration, Revision } from "../db/schema.ts";
import { diffDeclarations, proposedChanges, proposedChangesMarkdown, type ProposedChange } from "../diff.ts";
import { renderMarkdown } from "../markdown.ts";

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
}

/** The source of a Copy, or null when `d` is not a Copy. */
export function copySource(db: DbLike, d: Declaration): CopySource | null {
  if (d.sourceRevision == null || d.sourceUrl == null) return null;
  const local = d.sourceDeclarationId == null ? null : (getRevision(db, d.sourceDeclarationId, d.sourceRevision) ?? null);
  const kept = local == null && d.sourceDeclarationId == null ? getRemoteRevision(db, d.sourceUrl) : undefined;
  const body = local?.body ?? kept?.body ?? null;
  return { title: d.sourceTitle ?? local?.title ?? d.sourceUrl, url: d.sourceUrl, revision: d.sourceRevision, local, body, remote: d.sourceDeclarationId == null && getRemoteSource(db, d.id) != null };
}

export interface ProposedChangesSection {
  source: CopySource;
  changes: ProposedChange[];
  markdown: string;
  /** Sanitized HTML of `markdown`. */
  html: string;
}

/**
 * The Proposed Changes of `revision` against the Copy's source revision (with
 * that revision's notes), or null when the source text is not available here.
 */
export function proposedChangesSection(db: DbLike, d: Declaration, revision: Pick<Revision, "body" | "notes">): ProposedChangesSection | null {
  const source = copySource(db, d);
  if (source?.body == null) return null;
  const changes = proposedChanges(diffDeclarations(source.body, revision.body), revision.notes);
  const markdown = proposedChangesMarkdown(changes, source);
  return { source, changes, markdown, html: renderMarkdown(markdown) };
}
