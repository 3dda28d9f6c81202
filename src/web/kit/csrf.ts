/**
 * CSRF protection for every form (docs/decisions/0027).  A post is accepted
 * when the browser says it comes from our own origin (`Sec-Fetch-Site`,
 * `Origin`, `Referer`: src/web/same-origin.ts) and refused when it says it
 * comes from anywhere else.  Pages anyone may be served (the Declaration
 * page, the sign form, the strike page) carry no per-visitor token, so a
 * shared cache can keep them.  Pages for one person carry a signed double
 * submit token as well (a random id in an HttpOnly, SameSite=Lax cookie and,
 * in the form, an HMAC of that id under the site secret): it vouches for a
 * post whose browser sent nothing conclusive.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { postSource } from "./same-origin.ts";

export const CSRF_FIELD = "csrf";

export function cookieName(origin: URL): string {
  // The __Host- prefix needs Secure, so only on https sites.
  return origin.protocol === "https:" ? "__Host-csrf" : "csrf";
}

function tokenFor(secret: string, id: string): string {
  return createHmac("sha256", secret).update(`csrf\u0000${id}`).digest("base64url");
}

/** The token to put in a form on a page for one person (sets the cookie when needed). */
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

/**
 * The token for a form on a page a shared cache may serve: none (an empty
 * field), so the page is the same for every anonymous visitor.  A logged-in
 * visitor's page is private anyway and gets their own token.
 */
export function sharedFormToken(c: Context, secret: string, origin: URL): string {
  return c.get("account") == null ? "" : csrfToken(c, secret, origin);
}

/**
 * True when the post comes from our own origin, or — when the browser did not
 * say where it comes from — carries the form token matching this browser's
 * cookie.  A post that says it comes from elsewhere is refused, token or not.
 */
export function verifyCsrf(c: Context, secret: string, origin: URL, submitted: string | undefined): boolean {
  const source = postSource(c, origin);
  if (source !== "unknown") return source === "same";
  const id = getCookie(c, cookieName(origin));
  if (id == null || submitted == null) return false;
  const expected = Buffer.from(tokenFor(secret, id));
  const actual = Buffer.from(submitted);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
