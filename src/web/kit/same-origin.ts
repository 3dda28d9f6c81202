/**
 * Where a form post comes from, as the browser tells it (docs/decisions/0027):
 * `Sec-Fetch-Site` first, then `Origin`, then `Referer`.  A browser never
 * lets a page forge these headers for another site, so a post that says it
 * comes from our own origin does, and one that says anything else does not.
 */
import type { Context } from "hono";
import { requestHeader } from "../../request-header.ts";

/**
 * `same`: our own origin posted it.  `cross`: another site (or a sibling
 * site, or an opaque origin next to fetch metadata) did.  `unknown`: the
 * browser sent nothing conclusive (no fetch metadata and `Origin: null`, or
 * neither `Origin` nor `Referer`): only a per-visitor token may vouch for it.
 */
export type PostSource = "same" | "cross" | "unknown";

function originOf(url: string): string | null {
  return URL.canParse(url) ? new URL(url).origin : null;
}

/** Where this (unsafe) request comes from, for a site served at `origin`. */
export function postSource(c: Context, origin: URL): PostSource {
  const site = requestHeader(c, "sec-fetch-site");
  const from = requestHeader(c, "origin");
  if (site != null) {
    // Fetch metadata is decisive.  "none" is a request the person started
    // (typed address, bookmark): no page made it.  "same-site" is a sibling
    // host, which we do not trust with our forms.
    if (site !== "same-origin" && site !== "none") return "cross";
    // A same-origin post sends "Origin: null" when its page's referrer
    // policy is no-referrer (the signer's private page); any real other
    // origin next to same-origin metadata is a contradiction, refused.
    if (from != null && from !== "null" && from !== origin.origin) return "cross";
    return "same";
  }
  if (from != null) {
    if (from === origin.origin) return "same";
    // A sandboxed frame or data: page posts with "Origin: null": it may be
    // anyone's, so it proves nothing either way.
    return from === "null" ? "unknown" : "cross";
  }
  // Browsers from before Origin on every POST still send a Referer (our
  // Referrer-Policy keeps it for our own pages); an attacker can remove it,
  // never set it.
  const referer = requestHeader(c, "referer");
  if (referer != null && referer !== "") return originOf(referer) === origin.origin ? "same" : "cross";
  return "unknown";
}
