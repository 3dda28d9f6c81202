/**
 * Hands requests to Fedify first.  Fedify answers WebFinger, NodeInfo and
 * ActivityPub requests; anything else (an unknown path, or an HTML request to
 * a URL that also has an ActivityPub representation) falls through to the
 * next Hono handler, so a page and its actor can share one URL.
 */
import type { Federation } from "@fedify/fedify";
import type { MiddlewareHandler } from "hono";
import type { FedData } from "./builder.ts";

const AP_MEDIA_TYPE = /application\/(?:activity\+json|ld\+json)/i;

/**
 * Whether Fedify could answer this request: discovery documents, or anything
 * that asks for or sends ActivityPub JSON (actor and object GETs, inbox POSTs).
 * Every other request — pages, the JSON API, assets — skips Fedify entirely,
 * which spares each of them its routing and tracing work.
 */
export function isFederationRequest(path: string, headers: Headers): boolean {
  if (path.startsWith("/.well-known/") || path.startsWith("/nodeinfo/")) return true;
  return AP_MEDIA_TYPE.test(headers.get("accept") ?? "") || AP_MEDIA_TYPE.test(headers.get("content-type") ?? "");
}

export function federationMiddleware(federation: Federation<FedData>, contextData: () => FedData): MiddlewareHandler {
  return async (c, next) => {
    if (!isFederationRequest(c.req.path, c.req.raw.headers)) return next();
    return federation.fetch(c.req.raw, {
      contextData: contextData(),
      onNotFound: async () => {
        await next();
        return c.res;
      },
      onNotAcceptable: async () => {
        await next();
        if (c.res.status !== 404) return c.res;
        return new Response("Not acceptable", {
          status: 406,
          headers: { "Content-Type": "text/plain; charset=utf-8", Vary: "Accept" },
        });
      },
    });
  };
}
