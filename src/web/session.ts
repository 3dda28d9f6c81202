/**
 * Login sessions: a 32-byte random token in an HttpOnly, SameSite=Lax cookie
 * (`__Host-session` on https sites), stored in the database only as its
 * SHA-256.  The middleware puts the logged-in account (or null) on the
 * context; it reads the database only when the cookie is present.  Sessions
 * last 30 days from their last use; the expiry moves on at most once an hour.
 */
import { getLogger } from "@logtape/logtape";
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import {
  createSession,
  deleteSession,
  findValidSession,
  hashSecret,
  purgeExpiredSessions,
  SESSION_TOKEN_PATTERN,
  SESSION_TTL_MS,
  sessionNeedsTouch,
  touchSession,
  type Account,
} from "../db/accounts.ts";
import { APP } from "../logging.ts";
import type { WebEnv } from "./context.ts";

const logger = getLogger([APP, "web"]);

export function sessionCookieName(origin: URL): string {
  // The __Host- prefix needs Secure, so only on https sites.
  return origin.protocol === "https:" ? "__Host-session" : "session";
}

function cookieOptions(origin: URL) {
  return { path: "/", httpOnly: true, sameSite: "Lax", secure: origin.protocol === "https:" } as const;
}

function setSessionCookie(c: Context<WebEnv>, token: string) {
  const { origin } = c.get("deps").config;
  setCookie(c, sessionCookieName(origin), token, { ...cookieOptions(origin), maxAge: Math.floor(SESSION_TTL_MS / 1000) });
}

function clearSessionCookie(c: Context<WebEnv>) {
  const { origin } = c.get("deps").config;
  deleteCookie(c, sessionCookieName(origin), cookieOptions(origin));
}

/** The session token in this request's cookie, when it looks like one. */
function tokenOf(c: Context<WebEnv>): string | undefined {
  const token = getCookie(c, sessionCookieName(c.get("deps").config.origin));
  return token != null && SESSION_TOKEN_PATTERN.test(token) ? token : undefined;
}

/** Sets `c.get("account")` for every request. */
export const sessionMiddleware: MiddlewareHandler<WebEnv> = async (c, next) => {
  c.set("account", null);
  const raw = getCookie(c, sessionCookieName(c.get("deps").config.origin));
  if (raw != null) {
    const { db, batcher } = c.get("deps");
    const token = SESSION_TOKEN_PATTERN.test(raw) ? raw : undefined;
    const now = new Date();
    const session = token == null ? undefined : findValidSession(db, hashSecret(token), now);
    if (session == null) {
      // Expired, deleted (logged out elsewhere) or garbage: forget it.
      clearSessionCookie(c);
    } else {
      c.set("account", session.account);
      if (sessionNeedsTouch(session, now)) {
        // Not awaited: the page does not depend on it, and a lost touch only shortens the session.
        batcher.run(() => touchSession(db, session.id, now)).catch((error: unknown) => {
          logger.error("Could not touch a session: {error}", { error });
        });
        setSessionCookie(c, token!);
      }
    }
  }
  await next();
};

/** The logged-in account, or null. */
export function currentAccount(c: Context<WebEnv>): Account | null {
  return c.get("account") ?? null;
}

/** Logs `account` in: a new session (expired ones are cleared in the same commit) and its cookie. */
export async function startSession(c: Context<WebEnv>, account: Pick<Account, "id">): Promise<void> {
  const { db, batcher } = c.get("deps");
  const { token } = await batcher.run(() => {
    purgeExpiredSessions(db);
    return createSession(db, account.id);
  });
  setSessionCookie(c, token);
}

/** Logs out: deletes this browser's session (if any) and its cookie. */
export async function endSession(c: Context<WebEnv>): Promise<void> {
  const { db, batcher } = c.get("deps");
  const token = tokenOf(c);
  if (token != null) await batcher.run(() => deleteSession(db, hashSecret(token)));
  clearSessionCookie(c);
  c.set("account", null);
}
