/**
 * Public pages of Declarations: the list, a Declaration, one revision, its
 * history and its raw Markdown.
 */
import { Hono, type Context } from "hono";
import { stringify as toYaml } from "yaml";
import {
  getPublishedDeclaration,
  getRevision,
  listPublishedDeclarations,
  listRevisions,
} from "../db/declarations.ts";
import type { Declaration, Revision } from "../db/schema.ts";
import { renderMarkdown } from "../markdown.ts";
import type { WebEnv } from "./context.ts";
import { DeclarationList } from "./views/DeclarationList.tsx";
import { DeclarationView } from "./views/DeclarationView.tsx";
import { ErrorView } from "./views/ErrorView.tsx";
import { HistoryView } from "./views/HistoryView.tsx";
import { Layout } from "./views/Layout.tsx";

export const pages = new Hono<WebEnv>();

/** Renders a 404 page with a specific message. */
export function notFoundPage(c: Context<WebEnv>, message?: string) {
  const { config } = c.get("deps");
  return c.html(
    <Layout title="Not found" siteName={config.instanceName}>
      <ErrorView status={404} message={message} />
    </Layout>,
    404,
  );
}

pages.get("/", (c) => {
  const { db, config } = c.get("deps");
  const declarations = listPublishedDeclarations(db);
  return c.html(
    <Layout title={config.instanceName} siteName={config.instanceName} canonical={new URL("/", config.origin).href}>
      <h1 class="page-title">Declarations</h1>
      <DeclarationList declarations={declarations} />
    </Layout>,
  );
});

/** Parses a positive revision number from a path segment, or null. */
function parseRevisionNumber(raw: string): number | null {
  return /^[1-9]\d{0,8}$/.test(raw) ? Number(raw) : null;
}

function renderRevision(c: Context<WebEnv>, declaration: Declaration, revision: Revision) {
  const { config } = c.get("deps");
  const permalink = new URL(`/d/${declaration.slug}/v/${revision.number}`, config.origin).href;
  const isLatest = revision.number === declaration.revision;
  return c.html(
    <Layout
      title={revision.title}
      siteName={config.instanceName}
      description={revision.summary || undefined}
      canonical={isLatest ? new URL(`/d/${declaration.slug}`, config.origin).href : permalink}
      alternates={[{ href: `/d/${declaration.slug}.md`, type: "text/markdown", title: "Markdown" }]}
    >
      <DeclarationView declaration={declaration} revision={revision} html={renderMarkdown(revision.body)} permalink={permalink} />
    </Layout>,
  );
}

/** The raw Markdown of the latest revision, with front matter. */
pages.get("/d/:file{[^/]+\\.md}", (c) => {
  const { db, config } = c.get("deps");
  const slug = c.req.param("file").slice(0, -".md".length);
  const declaration = getPublishedDeclaration(db, slug);
  const revision = declaration && getRevision(db, declaration.id, declaration.revision);
  if (declaration == null || revision == null) return notFoundPage(c, `There is no Declaration “${slug}” here.`);
  c.header("Content-Type", "text/markdown; charset=utf-8");
  return c.body(toMarkdownFile(declaration, revision, config.origin));
});

/** A self-contained Markdown file: front matter that `declarations/` accepts, then the text. */
export function toMarkdownFile(d: Declaration, r: Revision, origin: URL): string {
  const front = {
    title: r.title,
    slug: d.slug,
    ...(r.summary !== "" ? { summary: r.summary } : {}),
    ...(d.license !== "" ? { license: d.license } : {}),
    ...(d.hashtags.length > 0 ? { hashtags: d.hashtags } : {}),
    language: d.language,
    version: r.number,
    url: new URL(`/d/${d.slug}/v/${r.number}`, origin).href,
  };
  return `---\n${toYaml(front, { lineWidth: 0 })}---\n\n${r.body}`;
}

pages.get("/d/:slug", (c) => {
  const { db } = c.get("deps");
  const slug = c.req.param("slug");
  const declaration = getPublishedDeclaration(db, slug);
  const revision = declaration && getRevision(db, declaration.id, declaration.revision);
  if (declaration == null || revision == null) return notFoundPage(c, `There is no Declaration “${slug}” here.`);
  return renderRevision(c, declaration, revision);
});

pages.get("/d/:slug/v/:number", (c) => {
  const { db } = c.get("deps");
  const slug = c.req.param("slug");
  const declaration = getPublishedDeclaration(db, slug);
  if (declaration == null) return notFoundPage(c, `There is no Declaration “${slug}” here.`);
  const number = parseRevisionNumber(c.req.param("number"));
  const revision = number == null ? undefined : getRevision(db, declaration.id, number);
  if (revision == null) {
    const range = declaration.revision === 1 ? "It has only version 1." : `It has versions 1 to ${declaration.revision}.`;
    return notFoundPage(c, `“${declaration.title}” has no version “${c.req.param("number")}”. ${range}`);
  }
  return renderRevision(c, declaration, revision);
});

pages.get("/d/:slug/history", (c) => {
  const { db, config } = c.get("deps");
  const slug = c.req.param("slug");
  const declaration = getPublishedDeclaration(db, slug);
  if (declaration == null) return notFoundPage(c, `There is no Declaration “${slug}” here.`);
  return c.html(
    <Layout title={`History of ${declaration.title}`} siteName={config.instanceName}>
      <HistoryView declaration={declaration} revisions={listRevisions(db, declaration.id)} />
    </Layout>,
  );
});
