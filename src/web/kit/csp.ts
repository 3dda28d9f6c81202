/**
 * The one place Content-Security-Policies are written.  Every page gets the
 * site's policy (set in src/app.tsx from SITE_POLICY); a few responses widen
 * or narrow it here, each derived from the same directives: pages whose forms
 * may lead to another server, the embed that any site may frame, and
 * uploaded or proxied files that must run nothing.
 */
import type { Context } from "hono";
import type { WebEnv } from "./context.ts";

/** Directives by their camelCase names (Hono's secureHeaders takes the same shape). */
export type Directives = Readonly<Record<string, readonly string[]>>;

/** The site's policy: everything from our own origin, nothing framed, no plugins. */
export const SITE_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  objectSrc: ["'none'"],
} satisfies Directives;

/** A file that must run nothing (uploaded images). */
export const NOTHING_RUNS: Directives = { defaultSrc: ["'none'"] };

/** A file from another server, served from ours: nothing runs, and it is sandboxed. */
export const NOTHING_RUNS_SANDBOXED: Directives = { defaultSrc: ["'none'"], sandbox: [] };

/** The header value for `directives`, in their order: `default-src 'self'; script-src 'self'; …`. */
export function policyHeader(directives: Directives): string {
  return Object.entries(directives)
    .map(([name, values]) => [name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`), ...values].join(" "))
    .join("; ");
}

/** The site's policy with some directives replaced. */
export function sitePolicyWith(changes: Directives): string {
  return policyHeader({ ...SITE_POLICY, ...changes });
}

/**
 * The policy of a page with the follow/sign form: the site's, but forms may
 * also lead to other servers.  Browsers apply `form-action` to the redirects
 * that follow a form, and our answer to the form is a redirect to the
 * visitor's own server.
 */
export function formsMayLeaveSite(c: Context<WebEnv>): void {
  c.header("Content-Security-Policy", formsMayLeaveSitePolicy(c));
}

/** The header value `formsMayLeaveSite` sets (for responses whose headers are prepared whole). */
export function formsMayLeaveSitePolicy(c: Context<WebEnv>): string {
  const schemes = c.get("deps").config.federation.allowPrivateAddress ? ["https:", "http:"] : ["https:"];
  return sitePolicyWith({ formAction: ["'self'", ...schemes] });
}
