/**
 * Login sessions: a 32-byte random token in an HttpOnly, SameSite=Lax cookie
 * (`__Host-session` on https sites), stored in the database only as its
 * SHA-256.  The middleware puts the logged-in account (or null) on the
 * context; it reads the database only when the cookie is present.  Sessions
 * last 30 days from their last use; the expiry moves on at most once an hour.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
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
} from "../../db/accounts.ts";
import { APP } from "../../logging.ts";
import { keyedHash } from "../../services/limits.ts";
import type { WebEnv } from "./context.ts";
import { requestHeader } from "../../request-header.ts";

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
  setCookie(c, sessionCookieName(origin), token, {
    ...cookieOptions(origin),
    maxAge: Math.floor(SESSION_TTL_MS / 1000),
  });
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
  const name = sessionCookieName(c.get("deps").config.origin);
  // Most requests carry no session cookie: no cookie parsing, no lookup.
  if (!requestHeader(c, "cookie")?.includes(name)) return next();
  const raw = getCookie(c, name);
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
        batcher
          .run(() => touchSession(db, session.id, now))
          .catch((error: unknown) => {
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

// ---------------------------------------------------------------------------
// Known browsers

/** A browser where an account logged in before keeps this cookie for a year. */
export function deviceCookieName(origin: URL): string {
  return origin.protocol === "https:" ? "__Host-device" : "device";
}

const DEVICE_TTL_SECONDS = 365 * 86_400;

/** An account as stored (its password hash included). */
interface DeviceOwner {
  readonly id: number;
  readonly passwordHash: string;
}

/**
 * The mark of this browser for an account: its id, a random nonce and an HMAC
 * under the site secret that also covers the account's password hash, so a
 * new password (or another account) makes it worthless.  Nothing is stored.
 */
function deviceMac(secret: string, account: DeviceOwner, nonce: string): string {
  return keyedHash(secret, "device", String(account.id), nonce, account.passwordHash);
}

/**
 * Marks this browser as one where `account` logged in.  Failed-login limits
 * for unknown browsers (docs/decisions/0016) do not hold back a known one, so
 * the owner still gets in from their own browser during a guessing attack.
 */
export function rememberDevice(c: Context<WebEnv>, account: DeviceOwner): void {
  const { secret, config } = c.get("deps");
  const nonce = randomBytes(12).toString("base64url");
  setCookie(c, deviceCookieName(config.origin), `${account.id}.${nonce}.${deviceMac(secret, account, nonce)}`, {
    ...cookieOptions(config.origin),
    maxAge: DEVICE_TTL_SECONDS,
  });
}

/** Whether this browser carries a valid mark for `account` (from `rememberDevice`). */
export function isKnownDevice(c: Context<WebEnv>, account: DeviceOwner): boolean {
  const { secret, config } = c.get("deps");
  const raw = getCookie(c, deviceCookieName(config.origin));
  const match = raw == null ? null : /^(\d{1,15})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22})$/.exec(raw);
  if (match == null || Number(match[1]) !== account.id) return false;
  const expected = Buffer.from(deviceMac(secret, account, match[2]!));
  const given = Buffer.from(match[3]!);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
