/**
 * (Over 400 lines: connecting (probe, app, PKCE, sealed token) is one sequence.)
 *
 * Connecting a striker's Mastodon-API account to the strike bot, and
 * disconnecting it.
 *
 *  1. `startConnect`: check the server speaks the Mastodon API, register our
 *     OAuth app there once (cached per server, redirect URI and scopes),
 *     remember a random `state` (and a PKCE verifier when the server takes
 *     PKCE) and answer the server's authorization URL.
 *  2. `finishConnect`: at our callback, take the state back (once, within 15
 *     minutes, in the browser that started, by the same account here), trade
 *     the code for a token, read the account it acts for on that same server,
 *     and store the token sealed (src/bot/secrets.ts).
 *
 * A striker connects either for their account here (`accountId`) or with no
 * account here (`accountId` null): the connected account is then their
 * identity on /bot, a "bot identity" (docs/decisions/0032), named
 * `user@server` by the server that issued the token, never by what that
 * server claims about other servers.
 *  3. `disconnect`: cancel what the server still holds scheduled for us
 *     (and say exactly which posts could not be cancelled), revoke the token
 *     there, and delete the connection here.
 *
 * Each of these is one operation on one network (src/bot/network.ts): the
 * server's name is resolved and checked once, and every request goes to the
 * address checked.
 *
 * Scopes are the smallest that work: `write:statuses` and `write:media` to
 * post (with an image), `read:accounts` to show who is connected,
 * `read:statuses` to see the scheduled posts (the limits, and whether they
 * went out).
 */
import { createHash, randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { getLogger } from "@logtape/logtape";
import type { Db } from "../db/client.ts";
import type { WriteBatcher } from "../db/batch.ts";
import {
  deleteBotApp,
  deleteConnection,
  findBotApp,
  findIdentityConnection,
  getBotApp,
  insertBotApp,
  listConnections,
  listPosts,
  noteBotAppVersion,
  replaceBotApp,
  upsertConnection,
  type ConnectionWithApp,
} from "../db/bot.ts";
import { createAuthorization, takeAuthorization } from "../db/bot-sign-in.ts";
import type { BotAppRow, BotConnection, BotPost } from "../db/schema.ts";
import { isPrivateHostLiteral } from "../federation/index.ts";
import { cancelOnServer, notCancelledWords } from "./capability.ts";
import { notPublicMessage, withNetwork } from "./errors.ts";
import {
  appIsKnown,
  authorizeUrl,
  BotApiError,
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
import { PrivateAddressError } from "./network.ts";
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
  /** Tests: http:// servers while private addresses stay refused (default: as `allowPrivateAddress`). */
  readonly allowHttp?: boolean;
  /** Timeouts, and for tests the resolver and addresses treated as public. */
  readonly client?: Omit<BotClientOptions, "allowHttp" | "allowPrivateAddress" | "network">;
  readonly now?: () => Date;
}

export function clientOptions(ctx: BotContext): BotClientOptions {
  // The context's clock also dates a rate limit's Retry-After, so "wait 120 s" is counted on the clock the scheduler uses.
  return {
    ...(ctx.now == null ? {} : { now: ctx.now }),
    ...ctx.client,
    allowHttp: ctx.allowHttp ?? ctx.allowPrivateAddress,
    allowPrivateAddress: ctx.allowPrivateAddress,
  };
}

/**
 * Runs one operation of the bot (connecting, a connection's step of the
 * scheduler, disconnecting) on one network: each server's name is resolved
 * and checked once, and every request of the operation goes to the address
 * checked (src/bot/network.ts).
 */
export function withBotNetwork<T>(ctx: BotContext, run: (options: BotClientOptions) => Promise<T>): Promise<T> {
  return withNetwork(clientOptions(ctx), run);
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
  return connection.tokenSealed == null
    ? null
    : openToken(ctx.key, connection.tokenSealed, tokenContext(connection.id, connection.origin));
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
  if (text === "")
    throw new BotApiError("not-compatible", "Please give your server's address, for example mastodon.social.", {
      status: null,
    });
  if (text.length > 300)
    throw new BotApiError("not-compatible", "That is too long to be a server address.", { status: null });
  const handle = /^@?[^@\s/]+@([^@\s/]+)$/.exec(text);
  if (handle != null) text = handle[1]!;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) text = `https://${text}`;
  if (!URL.canParse(text))
    throw new BotApiError(
      "not-compatible",
      `“${raw.trim().slice(0, 100)}” is not a server address; it should look like mastodon.social.`,
      { status: null },
    );
  const url = new URL(text);
  // A profile or post link names its server: keep the origin.  Other schemes
  // (file:, gopher:) have no origin ("null"): parseServerOrigin refuses them.
  const web = url.protocol === "https:" || url.protocol === "http:";
  return parseServerOrigin(web ? new URL(url.origin) : url, { allowHttp });
}

/**
 * Refuses servers on private or loopback addresses (the bot must not be a way
 * into our network), before asking them anything.  The name is resolved
 * through the operation's network, which pins the answer: the requests that
 * follow go to the addresses checked here.
 */
async function checkPublic(origin: URL, options: BotClientOptions): Promise<void> {
  if (options.allowPrivateAddress === true || options.network == null) return;
  const refuse = () => new BotApiError("not-compatible", notPublicMessage(origin.host), { status: null });
  const name = origin.hostname.replace(/^\[|\]$/g, "");
  // localhost and its subdomains, whatever a resolver would answer.
  if (isIP(name) === 0 && isPrivateHostLiteral(name)) throw refuse();
  try {
    await options.network.addressesOf(name);
  } catch (error) {
    if (error instanceof PrivateAddressError) throw refuse();
    throw new BotApiError("server", `Could not find ${origin.host}. Check the address.`, { status: null });
  }
}

function hashState(state: string): string {
  return createHash("sha256").update(state).digest("hex");
}

/** Our app on the server: registered once, then reused for every striker there. */
async function appFor(
  ctx: BotContext,
  origin: URL,
  supportsPkce: boolean,
  software: string,
  version: string,
  options: BotClientOptions,
): Promise<BotAppRow> {
  const scopes = BOT_SCOPES.join(" ");
  const known = findBotApp(ctx.db, origin.origin, redirectUri(ctx), scopes);
  // A server that was reset, or whose admin deleted our app, would show the striker an error page we never hear of.
  if (
    known != null &&
    (await appIsKnown(
      origin,
      appCredentials(ctx, known),
      { scope: BOT_SCOPES[0], redirectUri: known.redirectUri },
      options,
    ))
  ) {
    // An upgraded server may now hold scheduled statuses: what it supports is learnt again.
    return known.version === version
      ? known
      : ((await ctx.batcher.run(() => noteBotAppVersion(ctx.db, known.id, software, version))) ?? known);
  }
  const app = await registerApp(
    origin,
    {
      clientName: `${ctx.instanceName} strike bot`,
      redirectUri: redirectUri(ctx),
      scopes: BOT_SCOPES,
      website: ctx.origin.origin,
    },
    options,
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
export async function startConnect(
  ctx: BotContext,
  accountId: number | null,
  server: string,
  browserHash = "",
): Promise<{ redirect: string; origin: string }> {
  const origin = serverInput(server, clientOptions(ctx).allowHttp === true);
  const app = await withBotNetwork(ctx, async (options) => {
    await checkPublic(origin, options);
    const probe = await probeServer(origin, options);
    if (!probe.ok) throw probe.error;
    return appFor(ctx, origin, probe.supportsPkce, probe.software, probe.version, options);
  });
  const state = randomBytes(24).toString("base64url");
  const stateHash = hashState(state);
  const pkce = app.supportsPkce ? pkcePair() : null;
  await ctx.batcher.run(() =>
    createAuthorization(ctx.db, {
      stateHash,
      accountId,
      browserHash,
      appId: app.id,
      codeVerifierSealed: pkce == null ? null : sealToken(ctx.key, pkce.verifier, verifierContext(stateHash)),
      now: nowOf(ctx),
      ttlMs: AUTHORIZATION_TTL_MS,
    }),
  );
  const redirect = authorizeUrl(
    origin,
    app,
    { redirectUri: redirectUri(ctx), scopes: BOT_SCOPES, state, codeChallenge: pkce?.challenge ?? null },
    clientOptions(ctx),
  );
  return { redirect, origin: origin.origin };
}

export class ConnectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConnectError";
  }
}

export interface CallbackParams {
  readonly state: string | undefined;
  readonly code: string | undefined;
  readonly error: string | undefined;
  readonly errorDescription: string | undefined;
  /** SHA-256 of the random value in this browser's cookie (as given to `startConnect`). */
  readonly browserHash?: string | undefined;
}

/**
 * Finishes connecting at the callback.  Throws ConnectError (unknown or
 * expired state, another browser's or account's, the striker said no, the
 * server answered for an account elsewhere) or BotApiError (the server failed).
 */
export function finishConnect(
  ctx: BotContext,
  accountId: number | null,
  params: CallbackParams,
): Promise<BotConnection> {
  return withBotNetwork(ctx, (options) => finishOn(ctx, accountId, params, options));
}

/**
 * The account's name on the server that issued the token: `user@host`.  A
 * server answers its own accounts by their local name; one that names an
 * account on another server (`someone@elsewhere`) is not believed.
 */
export function identityAcct(acct: string, host: string): string | null {
  const match = /^@?([^@\s/]{1,100})(?:@([^@\s/]{1,253}))?$/.exec(acct);
  if (match == null) return null;
  const domain = match[2];
  if (domain != null && domain.toLowerCase() !== host.toLowerCase()) return null;
  return `${match[1]}@${host}`;
}

async function finishOn(
  ctx: BotContext,
  accountId: number | null,
  params: CallbackParams,
  options: BotClientOptions,
): Promise<BotConnection> {
  const state = params.state ?? "";
  const authorization =
    state === "" ? undefined : await ctx.batcher.run(() => takeAuthorization(ctx.db, hashState(state), nowOf(ctx)));
  if (
    authorization == null ||
    authorization.accountId !== accountId ||
    authorization.browserHash !== (params.browserHash ?? "")
  ) {
    throw new ConnectError(
      "This connection attempt is unknown or has expired (you have 15 minutes to approve). Please start again.",
    );
  }
  const app = getBotApp(ctx.db, authorization.appId);
  if (app == null) throw new ConnectError("This connection attempt is unknown or has expired. Please start again.");
  const host = new URL(app.origin).host;
  if (params.error != null) {
    const why =
      params.error === "access_denied"
        ? "you did not approve the strike bot"
        : (params.errorDescription ?? params.error).slice(0, 300);
    throw new ConnectError(`${host} did not connect your account: ${why}. Nothing was stored.`);
  }
  const code = params.code ?? "";
  if (code === "" || code.length > 1000)
    throw new ConnectError(`${host} sent no authorization code back. Please start again.`);
  const verifier =
    authorization.codeVerifierSealed == null
      ? null
      : openToken(ctx.key, authorization.codeVerifierSealed, verifierContext(authorization.stateHash));
  const credentials = appCredentials(ctx, app);
  let token: { accessToken: string; scope: string };
  try {
    token = await exchangeCode(
      app.origin,
      credentials,
      { code, redirectUri: app.redirectUri, codeVerifier: verifier },
      options,
    );
  } catch (error) {
    // The server forgot our app (reset, or the app was deleted there): register again next time.
    if (error instanceof BotApiError && error.kind === "unauthorized")
      await ctx.batcher.run(() => deleteBotApp(ctx.db, app.id));
    throw error;
  }
  let account: Awaited<ReturnType<typeof verifyCredentials>>;
  try {
    account = await verifyCredentials(app.origin, token.accessToken, options);
  } catch (error) {
    // Nothing is stored, so the token must not stay valid there either.
    await revokeToken(app.origin, credentials, token.accessToken, options).catch(() => undefined);
    throw error;
  }
  const acct = identityAcct(account.acct, host);
  if (acct == null || account.id === "") {
    await revokeToken(app.origin, credentials, token.accessToken, options).catch(() => undefined);
    throw new ConnectError(
      `${host} answered for an account that is not one of its own (“${account.acct.slice(0, 100)}”). Nothing was stored.`,
    );
  }
  // Connecting the same account again replaces its token: the old one is revoked there, not left working.
  const previous =
    accountId == null
      ? findIdentityConnection(ctx.db, app.id, account.id)
      : listConnections(ctx.db, accountId).find((c) => c.appId === app.id && c.remoteId === account.id);
  const previousToken = previous == null ? null : connectionTokenOrNull(ctx, previous);
  const connection = await ctx.batcher.run(() =>
    upsertConnection(
      ctx.db,
      {
        accountId,
        appId: app.id,
        remoteId: account.id,
        acct,
        displayName: account.displayName,
        url: account.url,
        avatar: account.avatar,
        scope: token.scope,
        now: nowOf(ctx),
      },
      (id) => sealToken(ctx.key, token.accessToken, tokenContext(id, app.origin)),
    ),
  );
  logger.info("Strike bot connected {acct} (connection {id}, {token})", {
    acct: connection.acct,
    id: connection.id,
    token: redact(token.accessToken),
  });
  if (previousToken != null && previousToken !== token.accessToken) {
    try {
      await revokeToken(app.origin, credentials, previousToken, options);
    } catch (error) {
      if (!(error instanceof BotApiError)) throw error;
      logger.info("Could not revoke the replaced token of connection {id}: {message}", {
        id: connection.id,
        message: error.message,
      });
    }
  }
  return connection;
}

/** A post the server may still publish after a disconnect. */
export interface UncancelledPost {
  readonly postAt: Date;
  readonly text: string;
  /** Why, and what the striker should check, in words. */
  readonly reason: string;
}

export interface DisconnectResult {
  /** Whether the server confirmed the token is revoked (false: it could not be reached; the token is deleted here anyway). */
  readonly revoked: boolean;
  /** Scheduled statuses cancelled on the server (or seen to be gone from it). */
  readonly cancelled: number;
  /** Every post the server may still publish: not cancelled, or not confirmed cancelled. */
  readonly notCancelled: readonly UncancelledPost[];
  /** Why the server could not be told to revoke the access, for the striker. */
  readonly problem: string | null;
}

/** Posts the server may still publish for this connection: scheduled there (or not known not to be), their time still to come. */
function heldPosts(ctx: BotContext, connection: ConnectionWithApp): BotPost[] {
  const now = nowOf(ctx).getTime();
  return listPosts(ctx.db, connection.id).filter(
    (p) => (p.state === "scheduled" || p.state === "unconfirmed") && p.remoteId != null && p.postAt.getTime() > now,
  );
}

/**
 * Cancels what the server holds scheduled for this connection (each cancel
 * that answers 404 checked against the server's list), revokes the token
 * there, and deletes the connection and its posts here (whatever the server
 * answers: the striker asked to disconnect).  Every post the server may still
 * publish is named in the result.
 */
export function disconnect(ctx: BotContext, connection: ConnectionWithApp): Promise<DisconnectResult> {
  return withBotNetwork(ctx, (options) => disconnectOn(ctx, connection, options));
}

async function disconnectOn(
  ctx: BotContext,
  connection: ConnectionWithApp,
  options: BotClientOptions,
): Promise<DisconnectResult> {
  const host = new URL(connection.origin).host;
  const held = heldPosts(ctx, connection);
  // A token that cannot be opened (the key changed) cannot be used there either: delete here all the same.
  const token = connectionTokenOrNull(ctx, connection);
  let cancelled = 0;
  let revoked = token == null;
  const notCancelled: UncancelledPost[] = [];
  const keep = (post: BotPost, reason: string) => notCancelled.push({ postAt: post.postAt, text: post.text, reason });
  let stopped: string | null =
    token == null
      ? `The bot's access could not be used any more, so ${host} was not asked to cancel it; it may still be posted at its time.`
      : null;
  for (const post of held) {
    if (stopped != null) {
      keep(post, stopped);
      continue;
    }
    try {
      const outcome = await cancelOnServer(ctx, connection, token!, post.remoteId!, options, nowOf(ctx));
      if (outcome === "cancelled" || outcome === "gone") cancelled++;
      else keep(post, notCancelledWords(outcome, host));
    } catch (error) {
      if (!(error instanceof BotApiError)) throw error;
      // The server is down, too slow, or no longer accepts the access (revoked there): the rest cannot be cancelled either.
      stopped =
        error.kind === "unauthorized"
          ? `${host} no longer accepts the bot's access, so it could not cancel this; it may still be posted at its time.`
          : `Not cancelled: ${error.message.replace(/\s*Try again later\.$/, "")} It may still be posted at its time.`;
      keep(post, stopped);
    }
  }
  let problem: string | null = null;
  if (token != null) {
    try {
      await revokeToken(connection.origin, appCredentials(ctx, connection.app), token, options);
      revoked = true;
    } catch (error) {
      if (!(error instanceof BotApiError)) throw error;
      problem = `${error.message} The access is deleted here; you can also revoke it in your server's settings (Account → Authorized apps).`;
    }
  }
  await ctx.batcher.run(() => deleteConnection(ctx.db, connection.id));
  logger.info("Strike bot disconnected connection {id} (revoked: {revoked}, not cancelled: {left})", {
    id: connection.id,
    revoked,
    left: notCancelled.length,
  });
  return { revoked, cancelled, notCancelled, problem };
}
