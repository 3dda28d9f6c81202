/** Who may open a page: the logged-in admin, a login redirect that comes back, and safe "next" paths. */
import type { Context } from "hono";
import type { Account } from "../../db/accounts.ts";
import { forbiddenPage } from "../layout/personal.tsx";
import type { WebEnv } from "./context.ts";
import { currentAccount } from "./session.ts";

/**
 * A same-site path to go to after logging in, or `fallback`.  Only paths
 * ("/…") are accepted: never "//host", "/\host", absolute URLs or control
 * characters, which a browser could take for another site — before and after
 * the path is normalised ("/.//host" and "/a/..//host" become "//host").
 */
export function safeNext(raw: string | undefined, fallback = "/account"): string {
  if (raw == null || raw === "" || raw.length > 1000 || !isLocalPath(raw)) return fallback;
  const base = "http://next.invalid";
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    return fallback;
  }
  if (url.origin !== base) return fallback;
  const path = `${url.pathname}${url.search}${url.hash}`;
  return isLocalPath(path) ? path : fallback;
}

/** A path on this site as a browser reads a Location: one leading slash, no backslash, no control character. */
function isLocalPath(path: string): boolean {
  return path.startsWith("/") && !path.startsWith("//") && !/[\\\u0000-\u001f\u007f]/.test(path);
}

/** The logged-in admin, or the response to send instead (login redirect or 403). */
export type Guarded<T> = ({ ok: true } & T) | { ok: false; response: Response | Promise<Response> };

export function requireAdmin(c: Context<WebEnv>, path: string): Guarded<{ admin: Account }> {
  const account = currentAccount(c);
  // The path holds a decoded URL parameter (a NUL or a line break in `/admin/pages/:slug` made
  // an invalid Location header and a 500): encode it, keeping its slashes readable.
  if (account == null)
    return { ok: false, response: c.redirect(`/login?next=${encodeURIComponent(path).replace(/%2F/g, "/")}`, 303) };
  if (account.role !== "admin")
    return { ok: false, response: forbiddenPage(c, "Only the site's owner can open this page.") };
  return { ok: true, admin: account };
}

/** To the login page, and back to `next` after it. */
export function loginRedirect(c: Context<WebEnv>, next: string) {
  return c.redirect(`/login?next=${encodeURIComponent(next)}`, 303);
}
