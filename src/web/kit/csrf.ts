/**
 * CSRF protection for every form: a random id in an HttpOnly, SameSite=Lax
 * cookie and, in the form, an HMAC of that id under the site secret (signed
 * double submit).  A POST must carry both, matching, and — when the browser
 * says where it comes from — an Origin of our own site.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";

export const CSRF_FIELD = "csrf";

export function cookieName(origin: URL): string {
  // The __Host- prefix needs Secure, so only on https sites.
  return origin.protocol === "https:" ? "__Host-csrf" : "csrf";
}

function tokenFor(secret: string, id: string): string {
  return createHmac("sha256", secret).update(`csrf\u0000${id}`).digest("base64url");
}

/** The token to put in a form on this response (sets the cookie when needed). */
export function csrfToken(c: Context, secret: string, origin: URL): string {
  const name = cookieName(origin);
  let id = getCookie(c, name);
  if (id == null || !/^[A-Za-z0-9_-]{22}$/.test(id)) {
    id = randomBytes(16).toString("base64url");
    setCookie(c, name, id, {
      path: "/",
      httpOnly: true,
      sameSite: "Lax",
      secure: origin.protocol === "https:",
      maxAge: 60 * 60 * 24 * 30,
    });
  }
  return tokenFor(secret, id);
}

/** True when the submitted form token matches this browser's cookie and the request comes from our origin. */
export function verifyCsrf(c: Context, secret: string, origin: URL, submitted: string | undefined): boolean {
  const requestOrigin = c.req.header("origin");
  if (requestOrigin != null && requestOrigin !== "null" && requestOrigin !== origin.origin) return false;
  if (c.req.header("sec-fetch-site") === "cross-site") return false;
  const id = getCookie(c, cookieName(origin));
  if (id == null || submitted == null) return false;
  const expected = Buffer.from(tokenFor(secret, id));
  const actual = Buffer.from(submitted);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
