/**
 * JSON API for embeds and scripts.  Open to every origin for reading (CORS);
 * errors are `{"error":{"code","message"}}` with the matching status.
 */
import { Hono, type Context } from "hono";
import { cors } from "hono/cors";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { getPublishedDeclaration, listPublishedDeclarations, type DeclarationSummary } from "../db/declarations.ts";
import type { Declaration } from "../db/schema.ts";
import type { WebEnv } from "./context.ts";

export const api = new Hono<WebEnv>();

api.use("*", cors({ origin: "*", allowMethods: ["GET", "HEAD", "OPTIONS"], maxAge: 86400 }));
api.use("*", async (c, next) => {
  await next();
  // Other sites may load our JSON (and later badges) directly.
  c.header("Cross-Origin-Resource-Policy", "cross-origin");
});

export function apiError(c: Context, status: ContentfulStatusCode, code: string, message: string, field?: string) {
  return c.json({ error: { code, message, ...(field != null ? { field } : {}) } }, status);
}

function toJson(d: DeclarationSummary, origin: URL) {
  return {
    slug: d.slug,
    title: d.title,
    summary: d.summary,
    revision: d.revision,
    url: new URL(`/d/${d.slug}`, origin).href,
    signatureCount: d.signatureCount,
    language: d.language,
    createdAt: d.created.toISOString(),
    updatedAt: d.updated.toISOString(),
  };
}

function toDetailJson(d: Declaration, origin: URL) {
  return {
    ...toJson(d, origin),
    license: d.license,
    hashtags: d.hashtags,
    revisionUrl: new URL(`/d/${d.slug}/v/${d.revision}`, origin).href,
    markdownUrl: new URL(`/d/${d.slug}.md`, origin).href,
    historyUrl: new URL(`/d/${d.slug}/history`, origin).href,
  };
}

api.get("/declarations", (c) => {
  const { db, config } = c.get("deps");
  return c.json({ declarations: listPublishedDeclarations(db).map((d) => toJson(d, config.origin)) });
});

api.get("/declarations/:slug", (c) => {
  const { db, config } = c.get("deps");
  const slug = c.req.param("slug");
  const declaration = getPublishedDeclaration(db, slug);
  if (declaration == null) return apiError(c, 404, "not_found", `There is no Declaration with the slug "${slug}".`);
  return c.json(toDetailJson(declaration, config.origin));
});

api.all("/declarations", (c) => apiError(c, 405, "method_not_allowed", `${c.req.method} is not allowed here; use GET.`));
api.all("/declarations/:slug", (c) => apiError(c, 405, "method_not_allowed", `${c.req.method} is not allowed here; use GET.`));
api.all("*", (c) => apiError(c, 404, "not_found", `There is no API endpoint at ${new URL(c.req.url).pathname}.`));
