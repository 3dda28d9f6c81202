/**
 * Public pages of Declarations: the list, a Declaration, one revision, its
 * history and its raw Markdown.  (Over 400 lines: the kept page for anonymous
 * visitors lives beside the renderer whose output it keeps.)
 */
import { randomUUID } from "node:crypto";
import { Hono, type Context } from "hono";
import { stringify as toYaml } from "yaml";
import { getDeclarationStamp, getRevision, listRevisions, type DeclarationStamp } from "../../db/declarations.ts";
import type { Declaration, Revision } from "../../db/schema.ts";
import type { DbLike } from "../../db/client.ts";
import { listPublicSignatures } from "../../db/signatures.ts";
import { renderMarkdown } from "../../markdown.ts";
import { statsView, StatsCharts } from "../stats/index.ts";
import type { WebEnv } from "../kit/context.ts";
import { parseRevisionNumber } from "../kit/params.ts";
import { HomeDeclarationList } from "./DeclarationList.tsx";
import { listHomeDeclarations } from "../../db/moderation.ts";
import { getAccount } from "../../db/accounts.ts";
import { ownerUnpublishing } from "../../services/moderation.ts";
import { DeclarationView } from "./DeclarationView.tsx";
import { notFoundPage } from "../kit/errors.tsx";
import { HistoryView } from "./HistoryView.tsx";
import { Layout } from "../layout/Layout.tsx";
import { TranslationsBox, translationAlternates } from "../translations/index.ts";
import { assetUrl } from "../kit/assets.ts";
import { csrfToken, sharedFormToken } from "../kit/csrf.ts";
import { serveSharedPage, sharedPageOf, type SharedPage } from "../kit/cache-headers.ts";
import { signFormFor } from "../signing/index.ts";
import { SignatureList } from "../signing/index.ts";
import { SIGN_ACTION_SIGNERS, SignAction } from "../signing/index.ts";
import { plural } from "../kit/format.ts";
import { copySource, proposedChangesSection, type ProposedChangesSection } from "../copies/index.ts";
import { DIFF_RETRY_AFTER_SECONDS, type Tried } from "../kit/diff-jobs.tsx";
import { escapeHtml } from "../../diff/index.ts";
import { formsMayLeaveSite, formsMayLeaveSitePolicy } from "../kit/csp.ts";
import { siteIntroductionOf } from "../../federation/index.ts";
import {
  canModerate,
  FediverseSections,
  hasResponses,
  SiteFollow,
  siteAccountUri,
  siteHandle,
} from "../fediverse/index.ts";
import { currentAccount } from "../kit/session.ts";
import { declarationMeta, DeclarationShare } from "../sharing/index.ts";
import { SiteIntroduction } from "../site-pages/index.ts";
import { CompareLink } from "../diffs/index.ts";
import { DraftNotice, isOwner, readableDeclaration, RepublishForm, WithdrawnNotice } from "../kit/visibility.tsx";

export const pages = new Hono<WebEnv>();

/**
 * A Declaration's pages, mounted under /d: `/{slug}` (or `/{slug}.md`, its
 * Markdown file) and `/{slug}/history`.  The page of one version is
 * `versionPage`, which web/declaration-routes.ts chains after the
 * ActivityPub form of the same address.
 */
export const declarationPages = new Hono<WebEnv>();

pages.get("/", (c) => {
  const deps = c.get("deps");
  const { db, config } = deps;
  const declarations = listHomeDeclarations(db);
  // The follow form ends on the visitor's own server.
  formsMayLeaveSite(c);
  return c.html(
    <Layout
      title={config.instanceName}
      siteName={config.instanceName}
      canonical={new URL("/", config.origin).href}
      alternates={[{ href: siteAccountUri(deps), type: "application/activity+json", title: siteHandle(deps) }]}
    >
      <SiteIntroduction c={c} />
      <h1 class="page-title">Declarations</h1>
      <HomeDeclarationList declarations={declarations} />
      <SiteFollow handle={siteHandle(deps)} introduction={siteIntroductionOf(config)} />
    </Layout>,
  );
});

/**
 * Rendered HTML by database and revision id.  Revisions never change, so their
 * HTML can be kept; rendering and sanitizing on every view would dominate a
 * busy page.
 */
const renderedRevisions = new WeakMap<object, Map<number, string>>();
const RENDER_CACHE_SIZE = 256;

export function renderedBody(db: object, revision: Pick<Revision, "id" | "body">): string {
  let cache = renderedRevisions.get(db);
  if (cache == null) {
    cache = new Map();
    renderedRevisions.set(db, cache);
  }
  let html = cache.get(revision.id);
  if (html == null) {
    html = renderMarkdown(revision.body);
    if (cache.size >= RENDER_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(revision.id, html);
  }
  return html;
}

/** Count, latest public signers and the form, under the latest version's text. */
function SignSection(props: { c: Context<WebEnv>; declaration: Declaration; csrf: string }) {
  const { declaration: d, c } = props;
  const latest = listPublicSignatures(c.get("deps").db, d.id, { limit: 10 });
  return (
    <section class="sign-section" id="sign" aria-labelledby="sign-heading">
      <h2 id="sign-heading">Sign this Declaration</h2>
      <p class="big-count" data-live-count={`/api/declarations/${d.slug}`}>
        <strong data-count-people>{plural(d.signatureCount, "person has", "people have")}</strong> signed.
      </p>
      <script type="module" src={assetUrl("live-count.js")} />
      {latest.length > 0 && (
        <>
          <h3>Latest signers</h3>
          <SignatureList signatures={latest} latestRevision={d.revision} compact />
          <p>
            <a href={`/d/${d.slug}/signatures`}>All public signatures</a>
          </p>
        </>
      )}
      {signFormFor(c, d, {}, props.csrf)}
    </section>
  );
}

/**
 * The latest version's page, as HTML with a stand-in for a logged-in
 * visitor's CSRF token (anonymous visitors get none, docs/decisions/0027),
 * kept with the anonymous page's bytes and ETag.  Anything but a new signature
 * written (a new version, an edit, withdrawal, a response, moderation) drops
 * it at once; new signatures only change the count and the latest signers,
 * and the page is built again for them at most once every COUNT_REFRESH_MS
 * (docs/decisions/0028).  Watching the count is what most visitors do on a
 * strike day; this spares each view the queries and the rendering.
 */
const CSRF_STAND_IN = `csrf-${randomUUID()}`;
/** How long a kept page may show an older count and list of latest signers. */
export const COUNT_REFRESH_MS = 1000;

interface KeptPage {
  /** Status, version, last edit and content generation: a change drops the page. */
  readonly key: string;
  /** Count and write generation: a change makes the page due for a refresh after COUNT_REFRESH_MS. */
  readonly tally: string;
  readonly rendered: number;
  /** With CSRF_STAND_IN where a logged-in visitor's token goes. */
  readonly html: string;
  /** What every anonymous visitor gets: bytes, ETag and headers. */
  readonly shared: SharedPage;
}

const latestPages = new WeakMap<object, Map<number, KeptPage>>();

function latestPageKeys(c: Context<WebEnv>, declaration: DeclarationStamp): { key: string; tally: string } {
  const { batcher } = c.get("deps");
  return {
    key: `${declaration.status}:${declaration.revision}:${declaration.updated.getTime()}:${batcher.contentGeneration}`,
    tally: `${declaration.signatureCount}:${batcher.generation}`,
  };
}

function keptLatestPage(
  db: object,
  declaration: DeclarationStamp,
  keys: { key: string; tally: string },
): KeptPage | null {
  const kept = latestPages.get(db)?.get(declaration.id);
  if (kept == null || kept.key !== keys.key) return null;
  if (kept.tally !== keys.tally && Date.now() - kept.rendered >= COUNT_REFRESH_MS) return null;
  return kept;
}

function keepLatestPage(
  c: Context<WebEnv>,
  declaration: Declaration,
  keys: { key: string; tally: string },
  html: string,
) {
  const { db } = c.get("deps");
  let pages = latestPages.get(db);
  if (pages == null) {
    pages = new Map();
    latestPages.set(db, pages);
  }
  if (pages.size >= 1000 && !pages.has(declaration.id)) pages.delete(pages.keys().next().value!);
  // The follow/sign form of a published Declaration sends the visitor on to their own server.
  const shared = sharedPageOf(
    html.replaceAll(CSRF_STAND_IN, ""),
    declaration.status === "published" ? { "content-security-policy": formsMayLeaveSitePolicy(c) } : {},
  );
  const kept: KeptPage = { ...keys, rendered: Date.now(), html, shared };
  pages.set(declaration.id, kept);
  return kept;
}

/** The kept page for this visitor: whole and ready for an anonymous one, with their token for a logged-in one. */
function serveKept(c: Context<WebEnv>, declaration: Pick<Declaration, "status">, kept: KeptPage): Response {
  if (c.get("account") == null) return serveSharedPage(c, kept.shared);
  // The follow/sign form sends the visitor on to their own server.
  if (declaration.status === "published") formsMayLeaveSite(c);
  const { secret, config } = c.get("deps");
  return c.html(kept.html.replaceAll(CSRF_STAND_IN, csrfToken(c, secret, config.origin)));
}

/**
 * The kept latest page of `slug` for an anonymous visitor, after one small
 * read of its row (which also sees changes made by other processes); null
 * when there is none.
 */
function keptForAnonymous(c: Context<WebEnv>, slug: string): Response | null {
  if (c.get("account") != null) return null;
  const { db } = c.get("deps");
  const stamp = getDeclarationStamp(db, slug);
  if (stamp == null || stamp.status === "draft") return null;
  const kept = keptLatestPage(db, stamp, latestPageKeys(c, stamp));
  return kept == null ? null : serveSharedPage(c, kept.shared);
}

/** A Copy's Proposed Changes for a page: the section, a refusal to explain in its place, or null (not a Copy, source text unknown). */
type ProposedState = Tried<ProposedChangesSection> | null;

/** What is shown as the Proposed Changes: the section, or why it is not listed (escaped text). */
function proposedHtml(proposed: ProposedState): string | null {
  if (proposed == null) return null;
  if (proposed.ok) return proposed.outcome.html;
  return `<h2>Proposed Changes</h2>\n<p class="notice" role="note">The changes from the source are not listed here. ${escapeHtml(proposed.refusal.message)}</p>`;
}

async function renderRevision(c: Context<WebEnv>, declaration: Declaration, revision: Revision) {
  const { db, secret, config } = c.get("deps");
  // A draft (seen by its owner only) and a withdrawn page seen by its owner
  // carry the owner's buttons: never cached, never stored by the browser.
  const ownersPage = declaration.status === "draft" || (declaration.status === "withdrawn" && isOwner(c, declaration));
  // The Declaration's owner and admins see hidden responses and the Hide/Show buttons: their own page.
  const moderatorsPage =
    !ownersPage &&
    revision.number === declaration.revision &&
    canModerate(c, declaration) &&
    hasResponses(c, declaration.id);
  const keptPage = !ownersPage && !moderatorsPage && revision.number === declaration.revision;
  const keys = latestPageKeys(c, declaration);
  const kept = keptPage ? keptLatestPage(db, declaration, keys) : null;
  if (kept != null) return serveKept(c, declaration, kept);
  // The follow/sign form sends the visitor on to their own server.
  if (revision.number === declaration.revision && declaration.status === "published") formsMayLeaveSite(c);

  // A Copy's Proposed Changes are worked out on the diff pool (and kept per revision pair) before the page is built.
  const proposed = await proposedChangesSection(db, declaration, revision);
  if (proposed?.ok === false && proposed.refusal.status === 503) {
    c.header("Cache-Control", "no-store");
    c.header("Retry-After", String(DIFF_RETRY_AFTER_SECONDS));
  }
  if (ownersPage) {
    c.header("Cache-Control", "no-store");
    return c.html(
      revisionPage(
        c,
        declaration,
        revision,
        proposed,
        csrfToken(c, secret, config.origin),
        true,
        canModerate(c, declaration),
      ),
    );
  }
  if (revision.number !== declaration.revision) return c.html(revisionPage(c, declaration, revision, proposed));
  if (moderatorsPage) {
    c.header("Cache-Control", "no-store");
    return c.html(revisionPage(c, declaration, revision, proposed, csrfToken(c, secret, config.origin), false, true));
  }
  const html = String(await revisionPage(c, declaration, revision, proposed, CSRF_STAND_IN));
  // A page whose Proposed Changes could not be worked out just now is not kept.
  if (proposed?.ok !== false || proposed.refusal.status !== 503) {
    const fresh = keepLatestPage(c, declaration, keys, html);
    return serveKept(c, declaration, fresh);
  }
  return c.html(html.replaceAll(CSRF_STAND_IN, sharedFormToken(c, secret, config.origin)));
}

/** On the author's own page of a Declaration the site owner unpublished: that it was the owner, and why. */
function OwnerUnpublishedNotice(props: { db: DbLike; declaration: Declaration }) {
  const action = ownerUnpublishing(props.db, props.declaration);
  if (action == null) return null;
  return (
    <section class="status-notice moderation-notice" role="note" aria-labelledby="moderation-heading">
      <h2 id="moderation-heading">Unpublished by the site’s owner</h2>
      {action.reason !== "" && (
        <p>
          Their reason: <q>{action.reason}</q>
        </p>
      )}
      <p>Only the site’s owner can publish it again. You can still read, edit and copy it.</p>
    </section>
  );
}

function revisionPage(
  c: Context<WebEnv>,
  declaration: Declaration,
  revision: Revision,
  proposed: ProposedState,
  csrf?: string,
  forOwner = false,
  moderator = false,
) {
  const { config } = c.get("deps");
  const permalink = new URL(`/d/${declaration.slug}/v/${revision.number}`, config.origin).href;
  const isLatest = revision.number === declaration.revision;
  const db = c.get("deps").db;
  const source = copySource(db, declaration);
  return (
    <Layout
      title={revision.title}
      siteName={config.instanceName}
      description={revision.summary || undefined}
      canonical={isLatest ? new URL(`/d/${declaration.slug}`, config.origin).href : permalink}
      alternates={[
        { href: `/d/${declaration.slug}.md`, type: "text/markdown", title: "Markdown" },
        {
          href: `/d/${declaration.slug}/feed.atom`,
          type: "application/atom+xml",
          title: `Posts of ${declaration.title}`,
        },
        ...(isLatest ? translationAlternates(db, declaration, config.origin) : []),
      ]}
      meta={
        declaration.status === "draft" ? undefined : declarationMeta(declaration, config.origin, config.instanceName)
      }
      {...(forOwner || moderator ? { account: currentAccount(c) } : {})}
    >
      {declaration.status === "draft" && csrf != null && <DraftNotice slug={declaration.slug} csrf={csrf} />}
      {declaration.status === "withdrawn" && (
        <>
          <WithdrawnNotice db={db} declaration={declaration} />
          {forOwner && <OwnerUnpublishedNotice db={db} declaration={declaration} />}
          {forOwner && csrf != null && ownerUnpublishing(db, declaration) == null && (
            <RepublishForm slug={declaration.slug} csrf={csrf} />
          )}
        </>
      )}
      <DeclarationView
        declaration={declaration}
        revision={revision}
        html={renderedBody(db, revision)}
        permalink={permalink}
        source={
          source == null
            ? null
            : {
                title: source.title,
                url: source.url,
                revision: source.revision,
                host: source.remote && URL.canParse(source.url) ? new URL(source.url).host : null,
                author: declaration.ownerId == null ? null : (getAccount(db, declaration.ownerId)?.username ?? null),
              }
        }
        proposedChangesHtml={source == null ? null : proposedHtml(proposed)}
        signAction={
          isLatest && csrf != null && declaration.status === "published" ? (
            <SignAction
              declaration={declaration}
              latest={listPublicSignatures(db, declaration.id, { limit: SIGN_ACTION_SIGNERS })}
            />
          ) : null
        }
      />
      {source != null && (
        <CompareLink sourceUrl={source.url} slug={declaration.slug} revision={revision.number} origin={config.origin} />
      )}
      {isLatest && <TranslationsBox db={db} declaration={declaration} />}
      {isLatest && csrf != null && declaration.status === "published" && (
        <SignSection c={c} declaration={declaration} csrf={csrf} />
      )}
      {isLatest && csrf != null && declaration.status === "published" && (
        <DeclarationShare declaration={declaration} origin={config.origin} />
      )}
      {isLatest && csrf != null && declaration.status !== "draft" && (
        <FediverseSections c={c} declaration={declaration} csrf={csrf} moderator={moderator} />
      )}
      {isLatest && declaration.status !== "draft" && (
        <section class="numbers" aria-labelledby="numbers-heading">
          <h2 id="numbers-heading">In numbers</h2>
          <StatsCharts
            view={statsView(db, new Date(), declaration.id)}
            idPrefix="declaration"
            metrics={["signatures"]}
          />
          <p>
            <a href={`/d/${declaration.slug}/stats`}>Boosts, favourites, followers, notices and copies</a>
          </p>
        </section>
      )}
    </Layout>
  );
}

/** The raw Markdown of the latest revision, with front matter (`/d/{slug}.md`). */
async function markdownFile(c: Context<WebEnv>, slug: string) {
  const { db, config } = c.get("deps");
  const declaration = readableDeclaration(c, slug);
  const revision = declaration && getRevision(db, declaration.id, declaration.revision);
  if (declaration == null || revision == null) return notFoundPage(c, `There is no Declaration “${slug}” here.`);
  if (declaration.status === "draft") c.header("Cache-Control", "no-store");
  const proposed = await proposedChangesSection(db, declaration, revision);
  // A Copy's file without its Proposed Changes would misrepresent it: refused, with the reason, rather than sent short.
  if (proposed?.ok === false) {
    if (proposed.refusal.status === 503) {
      c.header("Cache-Control", "no-store");
      c.header("Retry-After", String(DIFF_RETRY_AFTER_SECONDS));
    }
    return c.text(
      `The Markdown file of “${declaration.title}” is not available: its Proposed Changes could not be listed. ${proposed.refusal.message}\n`,
      proposed.refusal.status,
    );
  }
  c.header("Content-Type", "text/markdown; charset=utf-8");
  return c.body(toMarkdownFile(declaration, revision, config.origin, proposed?.outcome.markdown));
}

/**
 * A self-contained Markdown file: front matter that `declarations/` accepts,
 * then the text.  For a Copy, `source`/`source_version` name the source
 * revision and `proposedChanges` (Markdown) is appended to the text.
 */
export function toMarkdownFile(d: Declaration, r: Revision, origin: URL, proposedChanges?: string): string {
  const front = {
    title: r.title,
    slug: d.slug,
    ...(r.summary !== "" ? { summary: r.summary } : {}),
    ...(d.license !== "" ? { license: d.license } : {}),
    ...(d.hashtags.length > 0 ? { hashtags: d.hashtags } : {}),
    language: d.language,
    version: r.number,
    url: new URL(`/d/${d.slug}/v/${r.number}`, origin).href,
    ...(d.sourceUrl != null && d.sourceRevision != null
      ? { source: d.sourceUrl, source_version: d.sourceRevision }
      : {}),
  };
  const body = proposedChanges == null ? r.body : `${r.body.replace(/\n*$/, "\n")}\n${proposedChanges}`;
  return `---\n${toYaml(front, { lineWidth: 0 })}---\n\n${body}`;
}

declarationPages.get("/:slug", (c) => {
  const { db } = c.get("deps");
  const slug = c.req.param("slug");
  // `{slug}.md` (at least one character before ".md"): the Markdown file.
  if (slug.length > ".md".length && slug.endsWith(".md")) return markdownFile(c, slug.slice(0, -".md".length));
  const kept = keptForAnonymous(c, slug);
  if (kept != null) return kept;
  const declaration = readableDeclaration(c, slug);
  const revision = declaration && getRevision(db, declaration.id, declaration.revision);
  if (declaration == null || revision == null) return notFoundPage(c, `There is no Declaration “${slug}” here.`);
  return renderRevision(c, declaration, revision);
});

/** `/d/{slug}/v/{number}`: one version's page. */
export function versionPage(c: Context<WebEnv, "/:slug/v/:number">) {
  const { db } = c.get("deps");
  const slug = c.req.param("slug");
  const declaration = readableDeclaration(c, slug);
  if (declaration == null) return notFoundPage(c, `There is no Declaration “${slug}” here.`);
  const number = parseRevisionNumber(c.req.param("number"));
  const revision = number == null ? undefined : getRevision(db, declaration.id, number);
  if (revision == null) {
    const range =
      declaration.revision === 1 ? "It has only version 1." : `It has versions 1 to ${declaration.revision}.`;
    return notFoundPage(c, `“${declaration.title}” has no version “${c.req.param("number")}”. ${range}`);
  }
  return renderRevision(c, declaration, revision);
}

declarationPages.get("/:slug/history", (c) => {
  const { db, config } = c.get("deps");
  const slug = c.req.param("slug");
  const declaration = readableDeclaration(c, slug);
  if (declaration == null) return notFoundPage(c, `There is no Declaration “${slug}” here.`);
  return c.html(
    <Layout title={`History of ${declaration.title}`} siteName={config.instanceName}>
      <HistoryView declaration={declaration} revisions={listRevisions(db, declaration.id)} />
    </Layout>,
  );
});
