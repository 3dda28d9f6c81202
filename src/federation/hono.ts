/**
 * Hands requests to Fedify first.  Fedify answers WebFinger, NodeInfo and
 * ActivityPub requests; anything else (an unknown path, or an HTML request to
 * a URL that also has an ActivityPub representation) falls through to the
 * next Hono handler, so a page and its actor can share one URL.
 */
import type { Federation } from "@fedify/fedify";
import type { MiddlewareHandler } from "hono";
import type { FedData } from "./builder.ts";

export function federationMiddleware(federation: Federation<FedData>, contextData: () => FedData): MiddlewareHandler {
  return async (c, next) =>
    federation.fetch(c.req.raw, {
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
}
