/**
 * Connecting a striker's Mastodon-API account to the strike bot, and
 * disconnecting it.
 *
 *  1. `startConnect`: check the server speaks the Mastodon API, register our
 *     OAuth app there once (cached per server, redirect URI and scopes),
 *     remember a random `state` (and a PKCE verifier when the server takes
 *     PKCE) and answer the server's authorization URL.
 *  2. `finishConnect`: at our callback, take the state back (once, within 15
 *     minutes, by the same account), trade the code for a token, read the
 *     account it acts for, and store the token sealed (src/bot/secrets.ts).
 *  3. `disconnect`: cancel what the server still holds scheduled for us,
 *     revoke the token there, and delete the connection here.
 *
 * Scopes are the smallest that work: `write:statuses` and `write:media` to
 * post (with an image), `read:accounts` to show who is connected,
 * `read:statuses` to see the scheduled posts (the limits, and whether they
 * went out).
 */
import { createHash, randomBytes } from "node:crypto";
import { lookup } from "node:dns/promises";
import { getLogger } from "@logtape/logtape";
import type { Db } from "../db/client.ts";
import type { WriteBatcher } from "../db/batch.ts";
import {
  createAuthorization,
  deleteBotApp,
  deleteConnection,
  findBotApp,
  getBotApp,
  insertBotApp,
  replaceBotApp,
  listConnections,
  takeAuthorization,
  upsertConnection,
  type ConnectionWithApp,
} from "../db/bot.ts";
import type { BotAppRow, BotConnection } from "../db/schema.ts";
import { isPrivateHostLiteral, isPublicAddress } from "../federation/index.ts";
import {
  appIsKnown,
  authorizeUrl,
  BotApiError,
  cancelScheduled,
  exchangeCode,
  parseServerOrigin,
  pkcePair,
  probeServer,
  registerApp,
  revokeToken,
  verifyCredentials,
  type BotApp,
  type BotClientOptions,
} from "./mastodon.ts";
import { openToken, redact, sealToken } from "./secrets.ts";

const logger = getLogger(["undersign", "bot"]);

export const BOT_SCOPES = ["read:accounts", "read:statuses", "write:statuses", "write:media"] as const;
/** How long a striker has to approve the bot on their server. */
export const AUTHORIZATION_TTL_MS = 15 * 60_000;

export interface BotContext {
  readonly db: Db;
  readonly batcher: WriteBatcher;
  /** BOT_TOKEN_KEY. */
  readonly key: Buffer;
  /** Our site's origin: the redirect URI is `/bot/callback` on it. */
  readonly origin: URL;
  readonly instanceName: string;
  /** Development and tests: let the bot reach http:// and private addresses. */
  readonly allowPrivateAddress: boolean;
  readonly client?: Omit<BotClientOptions, "allowHttp">;
  readonly now?: () => Date;
}

export function clientOptions(ctx: BotContext): BotClientOptions {
  // The context's clock also dates a rate limit's Retry-After, so "wait 120 s" is counted on the clock the scheduler uses.
  return { ...(ctx.now == null ? {} : { now: ctx.now }), ...ctx.client, allowHttp: ctx.allowPrivateAddress };
}

export function nowOf(ctx: BotContext): Date {
  return ctx.now?.() ?? new Date();
}

export function redirectUri(ctx: Pick<BotContext, "origin">): string {
  return new URL("/bot/callback", ctx.origin).href;
}

const appContext = (origin: string) => `app:${origin}`;
const tokenContext = (connectionId: number, origin: string) => `connection:${connectionId}:${origin}`;
const verifierContext = (stateHash: string) => `pkce:${stateHash}`;

export function appCredentials(ctx: Pick<BotContext, "key">, app: BotAppRow): BotApp {
  return { clientId: app.clientId, clientSecret: openToken(ctx.key, app.clientSecretSealed, appContext(app.origin)) };
}

/** The connection's access token, or null once revoked. */
export function connectionToken(ctx: Pick<BotContext, "key">, connection: ConnectionWithApp): string | null {
  return connection.tokenSealed == null ? null : openToken(ctx.key, connection.tokenSealed, tokenContext(connection.id, connection.origin));
}

/** The token, or null when it is gone or cannot be opened (sealed under another key). */
function connectionTokenOrNull(ctx: Pick<BotContext, "key">, connection: ConnectionWithApp): string | null {
  try {
    return connectionToken(ctx, connection);
  } catch {
    return null;
  }
}

/** What a striker typed (`mastodon.example`, `@me@mastodon.example`, a profile URL) as a server origin. */
export function serverInput(raw: string, allowHttp: boolean): URL {
  let text = raw.trim();
  if (text === "") throw new BotApiError("not-compatible", "Please give your server's address, for example mastodon.social.", { status: null });
  if (text.length > 300) throw new BotApiError("not-compatible", "That is too long to be a server address.", { status: null });
  const handle = /^@?[^@\s/]+@([^@\s/]+)$/.exec(text);
  if (handle != null) text = handle[1]!;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) text = `https://${text}`;
  if (!URL.canParse(text)) throw new BotApiError("not-compatible", `“${raw.trim().slice(0, 100)}” is not a server address; it should look like mastodon.social.`, { status: null });
  const url = new URL(text);
  // A profile or post link names its server: keep the origin.  Other schemes
  // (file:, gopher:) have no origin ("null"): parseServerOrigin refuses them.
  const web = url.protocol === "https:" || url.protocol === "http:";
  return parseServerOrigin(web ? new URL(url.origin) : url, { allowHttp });
}

/** Refuses servers on private or loopback addresses (the bot must not be a way into our network). */
async function checkPublic(origin: URL, allowPrivate: boolean): Promise<void> {
  if (allowPrivate) return;
  const refuse = () => new BotApiError("not-compatible", `${origin.host} is not on the public internet, so the strike bot cannot use it.`, { status: null });
  if (isPrivateHostLiteral(origin.hostname)) throw refuse();
  let addresses: { address: string }[];
  try {
    addresses = await lookup(origin.hostname.replace(/^\[|\]$/g, ""), { all: true });
  } catch {
    throw new BotApiError("server", `Could not find ${origin.host}. Check the address.`, { status: null });
  }
  if (addresses.length === 0 || addresses.some((a) => !isPublicAddress(a.address))) throw refuse();
}

function hashState(state: string): string {
  return createHash("sha256").update(state).digest("hex");
}

/** Our app on the server: registered once, then reused for every striker there. */
async function appFor(ctx: BotContext, origin: URL, supportsPkce: boolean, software: string, version: string): Promise<BotAppRow> {
  const scopes = BOT_SCOPES.join(" ");
  const known = findBotApp(ctx.db, origin.origin, redirectUri(ctx), scopes);
  // A server that was reset, or whose admin deleted our app, would show the striker an error page we never hear of.
  if (known != null && (await appIsKnown(origin, appCredentials(ctx, known), { scope: BOT_SCOPES[0], redirectUri: known.redirectUri }, clientOptions(ctx)))) return known;
  const app = await registerApp(
    origin,
    { clientName: `${ctx.instanceName} strike bot`, redirectUri: redirectUri(ctx), scopes: BOT_SCOPES, website: ctx.origin.origin },
    clientOptions(ctx),
  );
  const row = {
    origin: origin.origin,
    redirectUri: redirectUri(ctx),
    scopes,
    clientId: app.clientId,
    clientSecretSealed: sealToken(ctx.key, app.clientSecret, appContext(origin.origin)),
    software,
    version,
    supportsPkce,
    created: nowOf(ctx),
  };
  // A forgotten app is registered again in place: its connections' tokens died with it on the server (they will answer 401).
  return ctx.batcher.run(() => (known == null ? insertBotApp(ctx.db, row) : replaceBotApp(ctx.db, known.id, row)));
}

/**
 * Starts connecting: the URL to send the striker to.  Throws a BotApiError
 * (with a message for the striker) when the server cannot be used.
 */
export async function startConnect(ctx: BotContext, accountId: number, server: string): Promise<{ redirect: string; origin: string }> {
  const origin = serverInput(server, ctx.allowPrivateAddress);
  await checkPublic(origin, ctx.allowPrivateAddress);
  const probe = await probeServer(origin, clientOptions(ctx));
  if (!probe.ok) throw probe.error;
  const app = await appFor(ctx, origin, probe.supportsPkce, probe.software, probe.version);
  const state = randomBytes(24).toString("base64url");
  const stateHash = hashState(state);
  const pkce = app.supportsPkce ? pkcePair() : null;
  await ctx.batcher.run(() =>
    createAuthorization(ctx.db, {
      stateHash,
      accountId,
      appId: app.id,
      codeVerifierSealed: pkce == null ? null : sealToken(ctx.key, pkce.verifier, verifierContext(stateHash)),
      now: nowOf(ctx),
      ttlMs: AUTHORIZATION_TTL_MS,
    }),
  );
  const redirect = authorizeUrl(origin, app, { redirectUri: redirectUri(ctx), scopes: BOT_SCOPES, state, codeChallenge: pkce?.challenge ?? null }, clientOptions(ctx));
  return { redirect, origin: origin.origin };
}

export class ConnectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConnectError";
  }
}

/**
 * Finishes connecting at the callback.  Throws ConnectError (unknown or
 * expired state, another account's, the striker said no) or BotApiError (the
 * server failed).
 */
export async function finishConnect(
  ctx: BotContext,
  accountId: number,
  params: { state: string | undefined; code: string | undefined; error: string | undefined; errorDescription: string | undefined },
): Promise<BotConnection> {
  const state = params.state ?? "";
  const authorization = state === "" ? undefined : await ctx.batcher.run(() => takeAuthorization(ctx.db, hashState(state), nowOf(ctx)));
  if (authorization == null || authorization.accountId !== accountId) {
    throw new ConnectError("This connection attempt is unknown or has expired (you have 15 minutes to approve). Please start again.");
  }
  const app = getBotApp(ctx.db, authorization.appId);
  if (app == null) throw new ConnectError("This connection attempt is unknown or has expired. Please start again.");
  const host = new URL(app.origin).host;
  if (params.error != null) {
    const why = params.error === "access_denied" ? "you did not approve the strike bot" : (params.errorDescription ?? params.error).slice(0, 300);
    throw new ConnectError(`${host} did not connect your account: ${why}. Nothing was stored.`);
  }
  const code = params.code ?? "";
  if (code === "" || code.length > 1000) throw new ConnectError(`${host} sent no authorization code back. Please start again.`);
  const verifier = authorization.codeVerifierSealed == null ? null : openToken(ctx.key, authorization.codeVerifierSealed, verifierContext(authorization.stateHash));
  const credentials = appCredentials(ctx, app);
  let token: { accessToken: string; scope: string };
  try {
    token = await exchangeCode(app.origin, credentials, { code, redirectUri: app.redirectUri, codeVerifier: verifier }, clientOptions(ctx));
  } catch (error) {
    // The server forgot our app (reset, or the app was deleted there): register again next time.
    if (error instanceof BotApiError && error.kind === "unauthorized") await ctx.batcher.run(() => deleteBotApp(ctx.db, app.id));
    throw error;
  }
  let account: Awaited<ReturnType<typeof verifyCredentials>>;
  try {
    account = await verifyCredentials(app.origin, token.accessToken, clientOptions(ctx));
  } catch (error) {
    // Nothing is stored, so the token must not stay valid there either.
    await revokeToken(app.origin, credentials, token.accessToken, clientOptions(ctx)).catch(() => undefined);
    throw error;
  }
  // Connecting the same account again replaces its token: the old one is revoked there, not left working.
  const previous = listConnections(ctx.db, accountId).find((c) => c.appId === app.id && c.remoteId === account.id);
  const previousToken = previous == null ? null : connectionTokenOrNull(ctx, previous);
  const connection = await ctx.batcher.run(() =>
    upsertConnection(
      ctx.db,
      {
        accountId,
        appId: app.id,
        remoteId: account.id,
        acct: account.acct.includes("@") ? account.acct : `${account.acct}@${host}`,
        displayName: account.displayName,
        url: account.url,
        avatar: account.avatar,
        scope: token.scope,
        now: nowOf(ctx),
      },
      (id) => sealToken(ctx.key, token.accessToken, tokenContext(id, app.origin)),
    ),
  );
  logger.info("Strike bot connected {acct} (connection {id}, {token})", { acct: connection.acct, id: connection.id, token: redact(token.accessToken) });
  if (previousToken != null && previousToken !== token.accessToken) {
    try {
      await revokeToken(app.origin, credentials, previousToken, clientOptions(ctx));
    } catch (error) {
      if (!(error instanceof BotApiError)) throw error;
      logger.info("Could not revoke the replaced token of connection {id}: {message}", { id: connection.id, message: error.message });
    }
  }
  return connection;
}

export interface DisconnectResult {
  /** Whether the server confirmed the token is revoked (false: it could not be reached; the token is deleted here anyway). */
  readonly revoked: boolean;
  /** Scheduled statuses cancelled on the server. */
  readonly cancelled: number;
  /** Why the server could not be told, for the striker. */
  readonly problem: string | null;
}

/**
 * Cancels what the server holds scheduled for this connection, revokes the
 * token there, and deletes the connection and its posts here (whatever the
 * server answers: the striker asked to disconnect).
 */
export async function disconnect(ctx: BotContext, connection: ConnectionWithApp, scheduledIds: readonly string[]): Promise<DisconnectResult> {
  // A token that cannot be opened (the key changed) cannot be used there either: delete here all the same.
  const token = connectionTokenOrNull(ctx, connection);
  let cancelled = 0;
  let revoked = token == null;
  const problems: string[] = [];
  if (token != null) {
    let tried = 0;
    try {
      for (const id of scheduledIds) {
        tried++;
        if (await cancelScheduled(connection.origin, token, id, clientOptions(ctx))) cancelled++;
      }
    } catch (error) {
      if (!(error instanceof BotApiError)) throw error;
      // 401: the striker revoked the access there; the server then posts nothing more for the bot's app either way.
      if (error.kind !== "unauthorized") {
        const left = scheduledIds.length - tried + 1;
        problems.push(`${left} post${left === 1 ? "" : "s"} the bot had scheduled there could not be cancelled and may still be posted (${error.message})`);
      }
    }
    try {
      await revokeToken(connection.origin, appCredentials(ctx, connection.app), token, clientOptions(ctx));
      revoked = true;
    } catch (error) {
      if (!(error instanceof BotApiError)) throw error;
      problems.unshift(`${error.message} The access is deleted here; you can also revoke it in your server's settings (Account → Authorized apps).`);
    }
  }
  const problem = problems.length === 0 ? null : problems.join(" ");
  await ctx.batcher.run(() => deleteConnection(ctx.db, connection.id));
  logger.info("Strike bot disconnected connection {id} (revoked: {revoked})", { id: connection.id, revoked });
  return { revoked, cancelled, problem };
}
