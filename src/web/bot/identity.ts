/**
 * Who is using /bot: an account here (the site's login session), a bot
 * identity (a striker signed in with the Mastodon-API account the bot posts
 * from, docs/decisions/0032), or both in one browser.
 *
 * A bot identity's sign-in is a 32-byte random token in its own cookie
 * (`__Host-bot-session` on https sites, `bot-session` otherwise: HttpOnly,
 * SameSite=Lax, Secure on https), stored only as its SHA-256 in
 * `bot_sessions`; it lasts 30 days, and ends on sign-out or when the
 * connection is disconnected (the row goes with it).
 *
 * Connecting binds the OAuth `state` to the browser that started: a random
 * value in a short-lived cookie (`__Host-bot-oauth` / `bot-oauth`) whose
 * SHA-256 is stored with the state.  A callback from another browser (a
 * link an attacker obtained, or one planted in the striker's browser)
 * finds no matching cookie and is refused.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { AUTHORIZATION_TTL_MS } from "../../bot/connect.ts";
import type { ConnectionWithApp } from "../../db/bot.ts";
import { createBotSession, deleteBotSession, findBotSession } from "../../db/bot-sign-in.ts";
import type { Account } from "../../db/accounts.ts";
import type { WebEnv } from "../kit/context.ts";
import { currentAccount } from "../kit/session.ts";

export const BOT_SESSION_TTL_MS = 30 * 86_400_000;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

function cookieName(c: Context<WebEnv>, name: "bot-session" | "bot-oauth"): string {
  // The __Host- prefix needs Secure, so only on https sites.
  return c.get("deps").config.origin.protocol === "https:" ? `__Host-${name}` : name;
}

function cookieOptions(c: Context<WebEnv>) {
  const secure = c.get("deps").config.origin.protocol === "https:";
  return { path: "/", httpOnly: true, sameSite: "Lax", secure } as const;
}

const sha256 = (value: string) => createHash("sha256").update(value).digest("hex");

function cookieToken(c: Context<WebEnv>, name: "bot-session" | "bot-oauth"): string | undefined {
  const raw = getCookie(c, cookieName(c, name));
  return raw != null && TOKEN.test(raw) ? raw : undefined;
}

/** Who is using /bot in this request. */
export interface BotViewer {
  /** The account here logged in, if any. */
  readonly account: Account | null;
  /** The bot identity signed in, if any (a connection without a local account). */
  readonly identity: ConnectionWithApp | null;
}

export function botViewer(c: Context<WebEnv>): BotViewer {
  const token = cookieToken(c, "bot-session");
  const identity = token == null ? undefined : findBotSession(c.get("deps").db, sha256(token), new Date());
  // A cookie whose sign-in is gone (signed out elsewhere, disconnected, expired) is forgotten.
  if (identity == null && getCookie(c, cookieName(c, "bot-session")) != null)
    deleteCookie(c, cookieName(c, "bot-session"), cookieOptions(c));
  return { account: currentAccount(c), identity: identity ?? null };
}

/** Whether this viewer may see and change `connection`. */
export function owns(viewer: BotViewer, connection: ConnectionWithApp): boolean {
  if (connection.accountId != null) return viewer.account?.id === connection.accountId;
  return viewer.identity?.id === connection.id;
}

/** Signs this browser in as the bot identity `connectionId` (replacing any sign-in it had). */
export async function startBotSession(c: Context<WebEnv>, connectionId: number): Promise<void> {
  const { db, batcher } = c.get("deps");
  const previous = cookieToken(c, "bot-session");
  const token = randomBytes(32).toString("base64url");
  await batcher.run(() => {
    if (previous != null) deleteBotSession(db, sha256(previous));
    createBotSession(db, { tokenHash: sha256(token), connectionId, now: new Date(), ttlMs: BOT_SESSION_TTL_MS });
  });
  setCookie(c, cookieName(c, "bot-session"), token, {
    ...cookieOptions(c),
    maxAge: Math.floor(BOT_SESSION_TTL_MS / 1000),
  });
}

/** Signs this browser's bot identity out (its sign-in deleted here). */
export async function endBotSession(c: Context<WebEnv>): Promise<void> {
  const { db, batcher } = c.get("deps");
  const token = cookieToken(c, "bot-session");
  if (token != null) await batcher.run(() => deleteBotSession(db, sha256(token)));
  deleteCookie(c, cookieName(c, "bot-session"), cookieOptions(c));
}

/** A new random value for this browser, for the connection it starts: the hash to store with the state. */
export function bindBrowser(c: Context<WebEnv>): string {
  const value = randomBytes(32).toString("base64url");
  setCookie(c, cookieName(c, "bot-oauth"), value, {
    ...cookieOptions(c),
    maxAge: Math.floor(AUTHORIZATION_TTL_MS / 1000),
  });
  return sha256(value);
}

/** The hash of this browser's binding (empty without one), which the callback then forgets. */
export function takeBrowserBinding(c: Context<WebEnv>): string {
  const value = cookieToken(c, "bot-oauth");
  deleteCookie(c, cookieName(c, "bot-oauth"), cookieOptions(c));
  return value == null ? "none" : sha256(value);
}
