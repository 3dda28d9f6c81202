/**
 * Signing in to the strike bot: the OAuth authorizations in progress (the
 * state sent to the server, used once), and the sign-ins of bot identities,
 * strikers signed in to /bot with the Mastodon-API account they connected
 * and no account here (docs/decisions/0032): each the SHA-256 of a
 * browser's random token, gone with its connection.
 */
import { eq, lt, sql } from "drizzle-orm";
import { getConnection, type ConnectionWithApp } from "./bot.ts";
import type { DbLike } from "./client.ts";
import { botAuthorizations, botSessions } from "./schema.ts";

// ---------------------------------------------------------------------------
// Authorizations in progress

export interface NewAuthorization {
  readonly stateHash: string;
  /** The account here that connects, or null: the striker signs in with the account they connect. */
  readonly accountId: number | null;
  /** SHA-256 of the random value in the starting browser's cookie ("" when no browser is involved). */
  readonly browserHash?: string;
  readonly appId: number;
  readonly codeVerifierSealed: string | null;
  readonly now: Date;
  readonly ttlMs: number;
}

export function createAuthorization(db: DbLike, a: NewAuthorization): void {
  db.delete(botAuthorizations).where(lt(botAuthorizations.expires, a.now)).run();
  db.insert(botAuthorizations)
    .values({
      stateHash: a.stateHash,
      accountId: a.accountId,
      browserHash: a.browserHash ?? "",
      appId: a.appId,
      codeVerifierSealed: a.codeVerifierSealed,
      created: a.now,
      expires: new Date(a.now.getTime() + a.ttlMs),
    })
    .run();
}

/** Takes (and deletes) the authorization with this state, if it exists and has not expired. */
export function takeAuthorization(
  db: DbLike,
  stateHash: string,
  now: Date,
): typeof botAuthorizations.$inferSelect | undefined {
  const row = db.delete(botAuthorizations).where(eq(botAuthorizations.stateHash, stateHash)).returning().get();
  return row != null && row.expires.getTime() > now.getTime() ? row : undefined;
}

/** Stores a sign-in (the token's hash) for a bot identity; expired sign-ins are cleared in the same commit. */
export function createBotSession(
  db: DbLike,
  s: { tokenHash: string; connectionId: number; now: Date; ttlMs: number },
): void {
  db.delete(botSessions).where(lt(botSessions.expires, s.now)).run();
  db.insert(botSessions)
    .values({
      tokenHash: s.tokenHash,
      connectionId: s.connectionId,
      created: s.now,
      expires: new Date(s.now.getTime() + s.ttlMs),
    })
    .run();
}

/** The connection a valid sign-in is for. */
export function findBotSession(db: DbLike, tokenHash: string, now: Date): ConnectionWithApp | undefined {
  const row = db
    .select({ connectionId: botSessions.connectionId, expires: botSessions.expires })
    .from(botSessions)
    .where(eq(botSessions.tokenHash, tokenHash))
    .get();
  if (row == null || row.expires.getTime() <= now.getTime()) return undefined;
  const connection = getConnection(db, row.connectionId);
  return connection?.accountId == null ? connection : undefined;
}

export function deleteBotSession(db: DbLike, tokenHash: string): void {
  db.delete(botSessions).where(eq(botSessions.tokenHash, tokenHash)).run();
}

/** How many sign-ins a connection has (tests, and what /privacy promises: none after a disconnect). */
export function countBotSessions(db: DbLike, connectionId: number): number {
  return (
    db.select({ n: sql<number>`count(*)` }).from(botSessions).where(eq(botSessions.connectionId, connectionId)).get()
      ?.n ?? 0
  );
}
