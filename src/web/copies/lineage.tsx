/**
 * (Over 400 lines: the lineage walk and the bounded comparisons its page needs.)
 *
 * The lineage of a Declaration (`/d/:slug/copies`): the chain of its sources
 * up to the original, and every copy made from it (copies of copies …), as a
 * nested list with each member's signatures and how much it differs from the
 * source revision it copied.  Only published Declarations are listed.
 *
 * "N words changed" is worked out on the diff pool (src/web/kit/diff-jobs.tsx), and
 * kept in memory per database handle and (source revision id, member revision
 * id), bounded: revisions never change.  One view works out at most
 * `LINEAGE_NEW_COMPARISONS` new counts, one at a time, for at most
 * `LINEAGE_COMPARE_MS`; members left are listed without their count until a
 * later view.
 */
import { Hono } from "hono";
import type { Child } from "hono/jsx";
import {
  getDescendants,
  getFamilyMember,
  getSourceChain,
  MAX_DESCENDANTS,
  MAX_SOURCE_DEPTH,
  type FamilyMember,
} from "../../db/copies.ts";
import type { DbLike } from "../../db/client.ts";
import { getPublishedDeclaration, getRevision } from "../../db/declarations.ts";
import { getRemoteRevision, getRemoteSource, listRemoteCopies } from "../../db/remote-copies.ts";
import type { RemoteCopy, RemoteRevision, RemoteSource } from "../../db/schema.ts";
import type { Declaration } from "../../db/schema.ts";
import type { DiffSummary } from "../../diff/index.ts";
import type { WebEnv } from "../kit/context.ts";
import { keptDiff, KeptDiffs } from "../kit/diff-jobs.tsx";
import { notFoundPage } from "../kit/errors.tsx";
import { formatDate, formatNumber, plural } from "../kit/format.ts";
import { currentAccount } from "../kit/session.ts";
import { Layout } from "../layout/Layout.tsx";

export const lineageRoutes = new Hono<WebEnv>();

// ---------------------------------------------------------------------------
// Family
// ---------------------------------------------------------------------------

export interface Family {
  /** The requested Declaration. */
  self: FamilyMember;
  /** Published sources, original first (drafts in the chain are left out). */
  ancestors: FamilyMember[];
  /** The source chain was cut (depth cap or a cycle in the data). */
  chainTruncated: boolean;
  /** Published descendants, breadth-first. */
  descendants: FamilyMember[];
  /** More descendants exist than are listed. */
  moreDescendants: boolean;
}

/** The published family of `declaration` (which must exist). */
export function familyOf(
  db: DbLike,
  declaration: Pick<Declaration, "id">,
  descendantLimit = MAX_DESCENDANTS,
): Family | null {
  const self = getFamilyMember(db, declaration.id);
  if (self == null) return null;
  const chain = getSourceChain(db, self, MAX_SOURCE_DEPTH);
  const chainIds = chain.members.map((m) => m.id);
  const descendants = getDescendants(db, self.id, descendantLimit, chainIds);
  return {
    self,
    ancestors: chain.members.filter((m) => m.status === "published").reverse(),
    chainTruncated: chain.truncated,
    descendants: descendants.members,
    moreDescendants: descendants.more,
  };
}

// ---------------------------------------------------------------------------
// Words changed (cached: revisions are immutable)
// ---------------------------------------------------------------------------

export const WORDS_CHANGED_CACHE_SIZE = 5000;
const wordsChanged = new KeptDiffs<DiffSummary>(WORDS_CHANGED_CACHE_SIZE);
/** New word counts worked out for one view of a lineage page, at most. */
export const LINEAGE_NEW_COMPARISONS = 100;
/** Milliseconds one view may spend working out new word counts before listing the rest without. */
export const LINEAGE_COMPARE_MS = 3000;

export interface SourceComparison {
  /** Null when the count is not worked out yet (this view's share of work was spent, or the diff was refused). */
  wordsChanged: number | null;
  /** The comparison page, when the source is public. */
  compareUrl: string | null;
}

/** What one page view may still spend on new comparisons. */
export class ComparisonAllowance {
  #left: number;
  readonly #until: number;

  constructor(count = LINEAGE_NEW_COMPARISONS, ms = LINEAGE_COMPARE_MS, now = Date.now()) {
    this.#left = count;
    this.#until = now + ms;
  }

  /** Takes one new comparison, when any is left. */
  take(): boolean {
    if (this.#left <= 0 || Date.now() > this.#until) return false;
    this.#left--;
    return true;
  }

  /** No more new comparisons in this view (one was refused: the pool is busy or the texts too large). */
  stop(): void {
    this.#left = 0;
  }
}

/**
 * How much `member`'s latest revision differs from the source revision it
 * copied, or null when that source revision is not on this site.  A count not
 * kept yet is worked out only when `allowance` has one left.
 */
export async function compareWithSource(
  db: DbLike,
  member: FamilyMember,
  source: Pick<FamilyMember, "slug" | "status"> | undefined,
  origin: URL | undefined,
  allowance: ComparisonAllowance,
): Promise<SourceComparison | null> {
  if (member.sourceRevision == null) return null;
  // A source on another site: its revision as kept here (remote_revisions), compared across sites.
  const remote =
    member.sourceDeclarationId == null && member.sourceUrl != null
      ? getRemoteRevision(db, member.sourceUrl)
      : undefined;
  if (member.sourceDeclarationId == null && remote == null) return null;
  const before = remote ?? getRevision(db, member.sourceDeclarationId!, member.sourceRevision);
  const after = getRevision(db, member.id, member.revision);
  if (before == null || after == null) return null;
  const key = `${remote != null ? "r" : ""}${before.id}:${after.id}`;
  let words = wordsChanged.peek(db, key)?.wordsChanged ?? null;
  if (words == null && allowance.take()) {
    const got = await keptDiff(wordsChanged, db, key, () => ({
      kind: "summary" as const,
      before: before.body,
      after: after.body,
    }));
    if (got.ok) words = got.outcome.wordsChanged;
    // Busy or too slow: the rest of this view goes without new counts.  (A text too large stays uncounted alone.)
    else if (got.refusal.status === 503) allowance.stop();
  }
  if (remote != null) {
    const ours = origin == null ? null : new URL(`/d/${member.slug}/v/${after.number}`, origin).href;
    return {
      wordsChanged: words,
      compareUrl:
        ours == null ? null : `/compare/elsewhere?${new URLSearchParams({ a: remote.url, b: ours }).toString()}`,
    };
  }
  const compareUrl =
    source != null && source.status === "published"
      ? `/compare?${new URLSearchParams({ a: source.slug, av: String(member.sourceRevision), b: member.slug }).toString()}`
      : null;
  return { wordsChanged: words, compareUrl };
}

/** Number of cached word counts for a database handle (for tests). */
export function wordsChangedCacheSize(db: object): number {
  return wordsChanged.size(db);
}

// ---------------------------------------------------------------------------
// Page
// ---------------------------------------------------------------------------

function MemberLine(props: {
  member: FamilyMember;
  source: FamilyMember | undefined;
  current: boolean;
  comparison: SourceComparison | null;
}) {
  const { member, source, current, comparison } = props;
  return (
    <div class={current ? "lineage-member current" : "lineage-member"}>
      {current ? (
        <strong>
          <a href={`/d/${member.slug}`} aria-current="page">
            {member.title}
          </a>
        </strong>
      ) : (
        <a href={`/d/${member.slug}`}>{member.title}</a>
      )}
      {current && " (this Declaration)"}
      {member.ownerUsername != null && <span class="owner"> by {member.ownerUsername}</span>}
      {" · "}
      <span class="count">{plural(member.signatureCount, "signature", "signatures")}</span>
      {member.sourceRevision != null && (
        <>
          {" · "}
          <span class="copied-from">
            copied from version {member.sourceRevision} of{" "}
            {source != null ? (
              `“${source.title}”`
            ) : member.sourceDeclarationId == null && member.sourceUrl != null ? (
              <a href={member.sourceUrl}>{member.sourceTitle ?? member.sourceUrl}</a>
            ) : (
              `“${member.sourceTitle ?? "its source"}”`
            )}
          </span>
        </>
      )}
      {comparison != null && (
        <>
          {" · "}
          {comparison.compareUrl != null ? (
            <a href={comparison.compareUrl} class="words-changed">
              {wordsChangedText(comparison.wordsChanged)}
            </a>
          ) : (
            <span class="words-changed">{wordsChangedText(comparison.wordsChanged)}</span>
          )}
        </>
      )}
    </div>
  );
}

function wordsChangedText(words: number | null): string {
  return words == null ? "changes not counted yet" : `${plural(words, "word", "words")} changed`;
}

function statusMark(status: RemoteCopy["status"], checked: Date) {
  if (status === "deleted")
    return <span class="remote-status deleted"> · deleted on its site (last seen as listed)</span>;
  if (status === "unreachable")
    return <span class="remote-status unreachable"> · its site did not answer on {formatDate(checked)}</span>;
  return null;
}

function RemoteCopyLine(props: { copy: RemoteCopy; of: FamilyMember; origin: URL }) {
  const { copy, of } = props;
  const ours = new URL(`/d/${of.slug}/v/${copy.sourceRevision}`, props.origin).href;
  const compare = `/compare/elsewhere?${new URLSearchParams({ a: ours, b: copy.revisionUrl }).toString()}`;
  return (
    <div class={`lineage-member remote ${copy.status}`}>
      {copy.status === "deleted" ? <s>{copy.title}</s> : <a href={copy.url}>{copy.title}</a>}
      <span class="site"> on {copy.host}</span>
      {" · "}
      <span class="count">
        {copy.signatureCount == null
          ? "signatures not reported"
          : `${plural(copy.signatureCount, "signature", "signatures")} (reported)`}
      </span>
      {" · "}
      <span class="copied-from">
        copied from version {copy.sourceRevision} of “{of.title}”
      </span>
      {" · "}
      <a href={compare} class="words-changed">
        {plural(copy.wordsChanged, "word", "words")} changed
      </a>
      {statusMark(copy.status, copy.checked)}
    </div>
  );
}

function RemoteSourceLine(props: { source: RemoteSource; url: string; title: string | null; revision: number | null }) {
  const { source } = props;
  const host = new URL(source.actorIri).host;
  return (
    <p class="remote-source">
      Copied from another site: <a href={props.url}>{props.title ?? props.url}</a> on {host}
      {props.revision != null ? `, version ${props.revision} copied` : ""}
      {source.signatureCount != null ? ` · ${plural(source.signatureCount, "signature", "signatures")} (reported)` : ""}
      {source.latestRevision > (props.revision ?? 0) ? ` · it has a newer version (${source.latestRevision})` : ""}
      {statusMark(source.status, source.checked)}
    </p>
  );
}

lineageRoutes.get("/:slug/copies", async (c) => {
  const { db, config } = c.get("deps");
  const slug = c.req.param("slug");
  const declaration = getPublishedDeclaration(db, slug);
  if (declaration == null) return notFoundPage(c, `There is no Declaration “${slug}” here.`);
  const family = familyOf(db, declaration);
  if (family == null) return notFoundPage(c, `There is no Declaration “${slug}” here.`);
  const { self, ancestors, descendants } = family;

  // Every listed member by id (to find each one's source), and children by parent.
  const byId = new Map<number, FamilyMember>();
  for (const m of [...ancestors, self, ...descendants]) byId.set(m.id, m);
  const children = new Map<number, FamilyMember[]>();
  for (const m of descendants) {
    const list = children.get(m.sourceDeclarationId!) ?? [];
    list.push(m);
    children.set(m.sourceDeclarationId!, list);
  }
  const localTotal = [...byId.values()].reduce((sum, m) => sum + m.signatureCount, 0);
  // Copies on other sites of any listed member, and the remote source at the top of the chain.
  const elsewhere = [...byId.values()].flatMap((m) => listRemoteCopies(db, m.id).map((copy) => ({ copy, of: m })));
  const top = ancestors[0] ?? self;
  const remoteSource =
    top.sourceDeclarationId == null && top.sourceUrl != null ? (getRemoteSource(db, top.id) ?? null) : null;
  const reported =
    elsewhere.reduce((sum, e) => sum + (e.copy.signatureCount ?? 0), 0) + (remoteSource?.signatureCount ?? 0);
  const reportingSites = new Set([
    ...elsewhere.filter((e) => e.copy.signatureCount != null).map((e) => e.copy.host),
    ...(remoteSource?.signatureCount != null ? [new URL(remoteSource.actorIri).host] : []),
  ]);
  const total = localTotal + reported;
  // Further up: the sources of that source, as kept when this copy was made (following their `via` links).
  const remoteChain: RemoteRevision[] = [];
  let link = remoteSource != null && top.sourceUrl != null ? getRemoteRevision(db, top.sourceUrl) : undefined;
  const seen = new Set<string>();
  while (link?.viaUrl != null && !seen.has(link.viaUrl) && remoteChain.length < MAX_SOURCE_DEPTH) {
    seen.add(link.viaUrl);
    link = getRemoteRevision(db, link.viaUrl);
    if (link != null) remoteChain.push(link);
  }
  const members = byId.size + elsewhere.length + (remoteSource != null ? 1 : 0) + remoteChain.length;
  // Words changed against each member's source, nearest the original first, one at a time on the diff pool.
  const allowance = new ComparisonAllowance();
  const comparisons = new Map<number, SourceComparison | null>();
  for (const m of [...ancestors, self, ...descendants]) {
    const source = m.sourceDeclarationId == null ? undefined : byId.get(m.sourceDeclarationId);
    comparisons.set(m.id, await compareWithSource(db, m, source, config.origin, allowance));
  }

  const subtree = (member: FamilyMember): Child => {
    const kids = children.get(member.id) ?? [];
    return (
      <li>
        <MemberLine
          member={member}
          source={member.sourceDeclarationId == null ? undefined : byId.get(member.sourceDeclarationId)}
          current={member.id === self.id}
          comparison={comparisons.get(member.id) ?? null}
        />
        {kids.length > 0 && <ul>{kids.map(subtree)}</ul>}
      </li>
    );
  };
  // The chain from the original down to this Declaration, each one nesting the next.
  const chain = (index: number): Child => {
    if (index >= ancestors.length) return subtree(self);
    const member = ancestors[index]!;
    return (
      <li>
        <MemberLine
          member={member}
          source={member.sourceDeclarationId == null ? undefined : byId.get(member.sourceDeclarationId)}
          current={false}
          comparison={comparisons.get(member.id) ?? null}
        />
        <ul>{chain(index + 1)}</ul>
      </li>
    );
  };

  return c.html(
    <Layout title={`Copies: ${self.title}`} siteName={config.instanceName} account={currentAccount(c)}>
      <section class="lineage-page" aria-labelledby="lineage-title">
        <p class="breadcrumb">
          <a href={`/d/${self.slug}`}>{self.title}</a>
        </p>
        <h1 id="lineage-title">Sources and copies</h1>
        <p class="meta">
          <span class="family-total">
            {plural(total, "signature", "signatures")} in this family of{" "}
            {plural(members, "Declaration", "Declarations")}
            {family.moreDescendants ? " (the listed ones only)" : ""}
          </span>
          {reportingSites.size > 0 && (
            <span class="family-reported">
              {" "}
              ({formatNumber(localTotal)} here, {formatNumber(reported)} as reported by{" "}
              {plural(reportingSites.size, "other site", "other sites")})
            </span>
          )}
        </p>
        {remoteSource != null && top.sourceUrl != null && (
          <RemoteSourceLine
            source={remoteSource}
            url={top.sourceUrl}
            title={top.sourceTitle}
            revision={top.sourceRevision}
          />
        )}
        {remoteChain.map((r) => (
          <p class="remote-source remote-ancestor">
            which is a copy of <a href={r.url}>{r.title}</a> on {URL.canParse(r.url) ? new URL(r.url).host : r.url},
            version {r.number}
          </p>
        ))}
        {family.chainTruncated && (
          <p class="note">
            The chain of sources is longer than {formatNumber(MAX_SOURCE_DEPTH)} or loops back on itself; only its
            nearest part is shown.
          </p>
        )}
        <ul class="lineage">{chain(0)}</ul>
        {family.moreDescendants && (
          <p class="note">
            There are more than {formatNumber(MAX_DESCENDANTS)} copies; only the first {formatNumber(MAX_DESCENDANTS)}{" "}
            are listed.
          </p>
        )}
        {elsewhere.length > 0 && (
          <section class="copies-elsewhere" aria-labelledby="elsewhere-title">
            <h2 id="elsewhere-title">Copies elsewhere</h2>
            <p class="hint">
              Copies on other sites that told this site about themselves; each was checked on its own site. Their
              signature counts are as those sites report them.
            </p>
            <ul class="lineage">
              {elsewhere.map((e) => (
                <li>
                  <RemoteCopyLine copy={e.copy} of={e.of} origin={config.origin} />
                </li>
              ))}
            </ul>
          </section>
        )}
        {descendants.length === 0 && elsewhere.length === 0 && (
          <p class="empty">
            No copies yet — <a href={`/d/${self.slug}/copy`}>make your own copy</a>.
          </p>
        )}
      </section>
    </Layout>,
  );
});
