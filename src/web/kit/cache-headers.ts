/**
 * What a cache may keep (docs/decisions/0028).  An anonymous GET answered
 * 200 without a cookie is the same for every visitor: a shared cache (nginx,
 * a CDN) may keep it a few seconds and serve it stale a little longer while
 * it asks again, with a strong ETag so a browser's second look costs a 304.
 * A logged-in visitor's pages are private.  Routes that set their own
 * Cache-Control keep it (no-store, private, immutable assets); a public one
 * without `s-maxage` gets its `max-age` for shared caches too.
 */
import { createHash } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import type { WebEnv } from "./context.ts";
import { requestHeader } from "../../request-header.ts";
import { completeResponse, isComplete, withSecurityHeaders } from "./security-headers.ts";

/** How long a shared cache keeps a public page: the live count lags by at most this, plus the app's own second. */
export const SHARED_MAX_AGE_S = 5;
/** How long after that a shared cache may still answer with the old page while it fetches the new one. */
export const STALE_WHILE_REVALIDATE_S = 10;

/** Cache-Control of a public page: browsers ask again each time (a 304 when unchanged), shared caches keep it. */
export const SHARED_CACHE_CONTROL = `public, max-age=0, s-maxage=${SHARED_MAX_AGE_S}, stale-while-revalidate=${STALE_WHILE_REVALIDATE_S}`;
/** Cache-Control of a logged-in visitor's page: their browser only, and only after asking again. */
export const PRIVATE_CACHE_CONTROL = "private, no-cache";

/** A strong ETag of a body (its SHA-256, shortened). */
export function strongEtag(body: string | Uint8Array): string {
  return `"${createHash("sha256").update(body).digest("base64url").slice(0, 32)}"`;
}

/** Whether an If-None-Match header names `etag` (weak comparison, as RFC 9110 asks for it). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch == null) return false;
  if (ifNoneMatch.trim() === "*") return true;
  const bare = etag.replace(/^W\//, "");
  return ifNoneMatch.split(",").some((tag) => tag.trim().replace(/^W\//, "") === bare);
}

/** Pages and documents (not images or CSV exports, which may be large): their bodies are small enough to hash. */
const DOCUMENT_TYPE =
  /^(?:text\/(?!csv)[a-z-]+|application\/(?:json|javascript|xml|atom\+xml|rss\+xml|activity\+json|ld\+json|jrd\+json|xrd\+xml)|image\/svg\+xml)\b/i;

function varyOnAccept(headers: Headers): void {
  const vary = headers.get("vary");
  if (vary == null) headers.set("vary", "Accept");
  else if (!/(^|,)\s*(accept|\*)\s*(,|$)/i.test(vary)) headers.set("vary", `${vary}, Accept`);
}

/** Sets Cache-Control, ETag and Vary on GET and HEAD responses, and answers 304 to a matching If-None-Match. */
export const cacheHeaders: MiddlewareHandler<WebEnv> = async (c, next) => {
  const method = c.req.method;
  if (method !== "GET" && method !== "HEAD") return next();
  await next();
  let res = c.res;
  if (isComplete(res)) return;
  const headers = res.headers;
  const own = headers.get("cache-control");
  const type = headers.get("content-type") ?? "";
  if (c.get("account") != null) {
    // The logged-in visitor's view of a page: theirs alone.  Assets keep their own rule.
    if (/^text\/html\b/i.test(type) ? own == null || !/no-store/i.test(own) : own == null)
      headers.set("cache-control", PRIVATE_CACHE_CONTROL);
    return;
  }
  // A route's own 304 (static assets, the banner script) says the same as its 200 would.
  if (res.status !== 200 && res.status !== 304) return;
  if (headers.has("set-cookie")) {
    // Whatever sets a cookie is per visitor: never for a shared cache.
    if (own == null || /\bpublic\b/i.test(own)) headers.set("cache-control", PRIVATE_CACHE_CONTROL);
    return;
  }
  if (own == null) {
    headers.set("cache-control", SHARED_CACHE_CONTROL);
  } else if (/^\s*public\b/i.test(own) && !/s-maxage/i.test(own) && !/immutable/i.test(own)) {
    const maxAge = /max-age=(\d+)/i.exec(own)?.[1] ?? String(SHARED_MAX_AGE_S);
    headers.set("cache-control", `${own}, s-maxage=${maxAge}, stale-while-revalidate=${STALE_WHILE_REVALIDATE_S}`);
  } else if (!/^\s*public\b/i.test(own)) {
    return;
  }
  // The same URL answers HTML or ActivityPub JSON by the Accept header.
  varyOnAccept(headers);
  if (res.status === 304) return;
  let etag = headers.get("etag");
  if (etag == null && DOCUMENT_TYPE.test(type) && res.body != null) {
    const body = new Uint8Array(await res.arrayBuffer());
    etag = strongEtag(body);
    headers.set("etag", etag);
    res = new Response(body, { status: res.status, headers });
    c.res = res;
  }
  if (etag != null && etagMatches(requestHeader(c, "if-none-match"), etag)) {
    c.res = new Response(null, { status: 304, headers: notModifiedHeaders(res.headers) });
  }
};

/** The headers a 304 repeats from the 200 it stands for (RFC 9110 section 15.4.5), security headers kept. */
function notModifiedHeaders(headers: Headers): Headers {
  const kept = new Headers(headers);
  kept.delete("content-type");
  kept.delete("content-length");
  return kept;
}

/** A page every anonymous visitor gets: its UTF-8 bytes, ETag and every header of its 200 and 304, made once. */
export interface SharedPage {
  readonly body: Uint8Array<ArrayBuffer>;
  readonly etag: string;
  readonly ok: Readonly<Record<string, string>>;
  readonly notModified: Readonly<Record<string, string>>;
}

/** Makes a `SharedPage` of `html` (extra `headers`, e.g. a Content-Security-Policy of its own). */
export function sharedPageOf(html: string, headers: Record<string, string> = {}): SharedPage {
  const body = new Uint8Array(Buffer.from(html, "utf8"));
  const etag = strongEtag(body);
  const common = { "cache-control": SHARED_CACHE_CONTROL, etag, vary: "Accept", ...headers };
  return {
    body,
    etag,
    ok: withSecurityHeaders({ "content-type": "text/html; charset=UTF-8", ...common }),
    notModified: withSecurityHeaders(common),
  };
}

/** Serves a `SharedPage`: 304 when the browser has it, else its bytes (no per-request header or encoding work). */
export function serveSharedPage(c: Context, page: SharedPage): Response {
  if (etagMatches(requestHeader(c, "if-none-match"), page.etag)) return completeResponse(null, 304, page.notModified);
  return completeResponse(page.body, 200, page.ok);
}
