/**
 * The security headers of every response, worked out once at start-up (the
 * Content-Security-Policy from the one builder, kit/csp.ts), and a middleware that adds only the
 * headers a route did not set itself (the private pages' Referrer-Policy:
 * no-referrer, the API's Cross-Origin-Resource-Policy: cross-origin).
 */
import type { MiddlewareHandler } from "hono";
import { policyHeader, SITE_POLICY } from "./csp.ts";

/** Name (lower case) and value of each security header, in the order they are sent. */
export const SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  ["content-security-policy", policyHeader(SITE_POLICY)],
  ["cross-origin-opener-policy", "same-origin"],
  ["cross-origin-resource-policy", "same-origin"],
  ["origin-agent-cluster", "?1"],
  ["permissions-policy", "camera=(), microphone=(), geolocation=(), browsing-topics=()"],
  ["referrer-policy", "same-origin"],
  ["strict-transport-security", "max-age=15552000; includeSubDomains"],
  ["x-content-type-options", "nosniff"],
  ["x-dns-prefetch-control", "off"],
  ["x-download-options", "noopen"],
  ["x-frame-options", "DENY"],
  ["x-permitted-cross-domain-policies", "none"],
  ["x-xss-protection", "0"],
];

/** The security headers as one plain object, for responses built whole (no `Headers` object to fill). */
export const SECURITY_HEADER_OBJECT: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(SECURITY_HEADERS),
);

/** Responses that already carry every header (see `completeResponse`): the middleware leaves them alone. */
const complete = new WeakSet<Response>();

/** `headers` with the security headers, as one object to build responses with (`completeResponse`). */
export function withSecurityHeaders(headers: Record<string, string>): Readonly<Record<string, string>> {
  return Object.freeze({ ...SECURITY_HEADER_OBJECT, ...headers });
}

/**
 * A response whose headers are given whole (from `withSecurityHeaders`,
 * worked out once): on Node it is written straight from this plain object,
 * the cheapest path @hono/node-server has.  Used by the hottest routes
 * (/healthz, a kept Declaration page, its 304).
 */
export function completeResponse(
  body: string | Uint8Array<ArrayBuffer> | null,
  status: number,
  headers: Readonly<Record<string, string>>,
): Response {
  const res = new Response(body, { status, headers: headers as Record<string, string> });
  complete.add(res);
  return res;
}

/** Whether `res` came from `completeResponse` (every header already given). */
export function isComplete(res: Response): boolean {
  return complete.has(res);
}

/** Adds each security header the route did not set. */
export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  if (complete.has(c.res)) return;
  const headers = c.res.headers;
  for (const [name, value] of SECURITY_HEADERS) if (!headers.has(name)) headers.set(name, value);
  headers.delete("x-powered-by");
};
