/**
 * (Over 400 lines: one client: a method per call the bot makes, each with its failures mapped.)
 *
 * The strike bot's Mastodon client: exactly the calls the bot makes on a
 * striker's own account, over the `masto` package, with every failure turned
 * into a `BotApiError` whose `kind` tells the caller what to do and whose
 * message can be shown to the striker.  No function here logs, and no message
 * contains an access token.
 */
import { createHash, randomBytes } from "node:crypto";
import { createOAuthAPIClient, createRestAPIClient, type mastodon } from "masto";
import {
  BotApiError,
  classifyError,
  DEFAULT_MEDIA_POLL_MS,
  DEFAULT_MEDIA_TIMEOUT_MS,
  fetchJson,
  parseServerOrigin,
  timeoutOf,
  withNetwork,
  type BotClientOptions,
} from "./errors.ts";
import type { BotNetwork } from "./network.ts";

export { BotApiError, parseServerOrigin, type BotApiErrorKind, type BotClientOptions } from "./errors.ts";

export interface BotApp {
  readonly clientId: string;
  readonly clientSecret: string;
}

export type ProbeResult =
  | {
      readonly ok: true;
      readonly origin: string;
      readonly software: string;
      readonly version: string;
      readonly supportsPkce: boolean;
    }
  | { readonly ok: false; readonly error: BotApiError };

export interface BotAccount {
  readonly id: string;
  readonly acct: string;
  readonly displayName: string;
  readonly url: string;
  readonly avatar: string;
}

export type Visibility = "public" | "unlisted" | "private" | "direct";

export interface StatusInput {
  readonly status: string;
  readonly visibility: Visibility;
  readonly language?: string | null;
  readonly spoilerText?: string | null;
  readonly mediaIds?: readonly string[];
  /** At least 5 minutes ahead on Mastodon; a time already past posts at once. */
  readonly scheduledAt?: Date | null;
  /** The same key within an hour answers with the status the first request made. */
  readonly idempotencyKey: string;
}

/**
 * What the server did with a post: published it (a Status: `created_at`,
 * `uri`), or holds it scheduled (a ScheduledStatus: `scheduled_at` echoed).
 * A server without scheduled statuses may publish at once a post that was
 * asked for later: the caller compares.
 */
export type PostResult =
  | { readonly kind: "posted"; readonly id: string; readonly url: string; readonly createdAt: Date | null }
  | { readonly kind: "scheduled"; readonly id: string; readonly scheduledAt: Date };

export interface ScheduledPost {
  readonly id: string;
  readonly scheduledAt: Date;
  readonly text: string;
  readonly mediaIds: readonly string[];
}

export interface UploadedMedia {
  readonly id: string;
  readonly url: string;
  readonly type: string;
  readonly description: string | null;
}

type Networked = BotClientOptions & { readonly network: BotNetwork };

/** masto's fetch goes through the bot's network: a Request keeps the dispatcher it was made with. */
function requestInit(options: Networked): { requestInit: Omit<RequestInit, "body" | "method"> } {
  return { requestInit: { dispatcher: options.network.dispatcher } as Omit<RequestInit, "body" | "method"> };
}

function restClient(origin: URL, token: string | null, options: Networked): mastodon.rest.Client {
  // log "error": masto's debug logging would print request bodies, and a revoke request carries the token.
  return createRestAPIClient({
    url: origin.origin,
    accessToken: token ?? undefined,
    timeout: timeoutOf(options),
    log: "error",
    ...requestInit(options),
  });
}

function oauthClient(origin: URL, options: Networked): mastodon.oauth.Client {
  return createOAuthAPIClient({
    url: origin.origin,
    timeout: timeoutOf(options),
    log: "error",
    ...requestInit(options),
  });
}

/** Runs `run` through the bot's network, with every failure as a BotApiError. */
function call<T>(
  origin: URL,
  token: string | null,
  options: BotClientOptions,
  run: (options: Networked) => Promise<T>,
): Promise<T> {
  return withNetwork(options, async (networked) => {
    try {
      return await run(networked);
    } catch (error) {
      throw classifyError(error, origin, token, options);
    }
  });
}

function versionAtLeast(version: string, major: number, minor: number): boolean {
  const match = /^(\d+)\.(\d+)/.exec(version);
  if (match == null) return false;
  const [a, b] = [Number(match[1]), Number(match[2])];
  return a > major || (a === major && b >= minor);
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** NodeInfo's software, when the server publishes it on its own origin. */
async function nodeInfoSoftware(
  origin: URL,
  options: BotClientOptions,
): Promise<{ name: string; version: string } | null> {
  try {
    const index = await fetchJson(new URL("/.well-known/nodeinfo", origin), origin, options);
    const links = isRecord(index.json) && Array.isArray(index.json.links) ? index.json.links : [];
    const link = links.find(
      (l): l is { href: string } =>
        isRecord(l) &&
        typeof l.rel === "string" &&
        l.rel.startsWith("http://nodeinfo.diaspora.software/ns/schema/2.") &&
        typeof l.href === "string",
    );
    // Only follow a link on the same origin: the probe must not be a way to make us fetch elsewhere.
    if (link == null || !URL.canParse(link.href) || new URL(link.href).origin !== origin.origin) return null;
    const info = await fetchJson(new URL(link.href), origin, options);
    const software = isRecord(info.json) && isRecord(info.json.software) ? info.json.software : null;
    if (software == null || typeof software.name !== "string") return null;
    return { name: software.name.toLowerCase(), version: typeof software.version === "string" ? software.version : "" };
  } catch {
    return null;
  }
}

async function advertisesS256(origin: URL, options: BotClientOptions): Promise<boolean> {
  try {
    const metadata = await fetchJson(new URL("/.well-known/oauth-authorization-server", origin), origin, options);
    const methods = isRecord(metadata.json) ? metadata.json.code_challenge_methods_supported : null;
    return Array.isArray(methods) && methods.includes("S256");
  } catch {
    return false;
  }
}

/**
 * Checks that `origin` serves the Mastodon client API (GET /api/v1/instance)
 * and reports its software (from NodeInfo when published) and whether it
 * takes PKCE (Mastodon 4.3 and later, or OAuth server metadata listing S256).
 * Never throws for what the server does: failures come back as `ok: false`.
 */
export function probeServer(origin: string | URL, options: BotClientOptions = {}): Promise<ProbeResult> {
  return withNetwork(options, (networked) => probe(origin, networked));
}

async function probe(origin: string | URL, options: Networked): Promise<ProbeResult> {
  let url: URL;
  try {
    url = parseServerOrigin(origin, options);
    const instance = await fetchJson(new URL("/api/v1/instance", url), url, options);
    if (instance.status >= 500) {
      throw new BotApiError(
        "server",
        `${url.host} had a problem answering (HTTP ${instance.status}). Try again later.`,
        { status: instance.status },
      );
    }
    const version = isRecord(instance.json) && typeof instance.json.version === "string" ? instance.json.version : null;
    const software = await nodeInfoSoftware(url, options);
    if (instance.status !== 200 || version == null) {
      const runs = software == null ? "" : ` It runs ${[software.name, software.version].filter(Boolean).join(" ")}.`;
      throw new BotApiError(
        "not-compatible",
        `${url.host} does not offer the Mastodon API the strike bot posts through.${runs} The bot works with Mastodon and servers compatible with it.`,
        { status: instance.status },
      );
    }
    const name = software?.name ?? /compatible; ([A-Za-z]+)/.exec(version)?.[1]?.toLowerCase() ?? "mastodon";
    const supportsPkce = (name === "mastodon" && versionAtLeast(version, 4, 3)) || (await advertisesS256(url, options));
    return { ok: true, origin: url.origin, software: name, version: software?.version || version, supportsPkce };
  } catch (error) {
    if (error instanceof BotApiError) return { ok: false, error };
    throw error;
  }
}

/** Registers the bot as an OAuth application on the server (POST /api/v1/apps). */
export async function registerApp(
  origin: string | URL,
  params: { clientName: string; redirectUri: string; scopes: readonly string[]; website?: string | null },
  options: BotClientOptions = {},
): Promise<BotApp> {
  const url = parseServerOrigin(origin, options);
  const app = await call(url, null, options, (o) =>
    restClient(url, null, o).v1.apps.create({
      clientName: params.clientName,
      redirectUris: params.redirectUri,
      scopes: params.scopes.join(" "),
      website: params.website ?? null,
    }),
  );
  if (!app.clientId || !app.clientSecret) {
    throw new BotApiError(
      "not-compatible",
      `${url.host} registered the app but sent no client credentials, so the strike bot cannot sign in there.`,
      { status: 200 },
    );
  }
  return { clientId: app.clientId, clientSecret: app.clientSecret };
}

/**
 * Whether the server still knows our app: asks for an app token
 * (client_credentials) and revokes it at once.  False only when the server
 * answers that the client is unknown (401); other failures throw.
 */
export async function appIsKnown(
  origin: string | URL,
  app: BotApp,
  params: { scope: string; redirectUri: string },
  options: BotClientOptions = {},
): Promise<boolean> {
  const url = parseServerOrigin(origin, options);
  return withNetwork(options, async (networked) => {
    let token: string;
    try {
      const answer = await call(url, null, networked, (o) =>
        oauthClient(url, o).token.create({
          grantType: "client_credentials",
          clientId: app.clientId,
          clientSecret: app.clientSecret,
          scope: params.scope,
          redirectUri: params.redirectUri,
        }),
      );
      token = answer.accessToken;
    } catch (error) {
      if (error instanceof BotApiError && error.status === 401) return false;
      throw error;
    }
    await call(url, token, networked, (o) =>
      oauthClient(url, o).revoke({ clientId: app.clientId, clientSecret: app.clientSecret, token }),
    ).catch(() => undefined);
    return true;
  });
}

/** A PKCE pair (RFC 7636, S256): keep `verifier` server-side, send `challenge` in the authorization URL. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

/** Where to send the striker to approve the bot (GET /oauth/authorize). */
export function authorizeUrl(
  origin: string | URL,
  app: Pick<BotApp, "clientId">,
  params: { redirectUri: string; scopes: readonly string[]; state: string; codeChallenge?: string | null },
  options: Pick<BotClientOptions, "allowHttp"> = {},
): string {
  const url = new URL("/oauth/authorize", parseServerOrigin(origin, options));
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", app.clientId);
  url.searchParams.set("redirect_uri", params.redirectUri);
  url.searchParams.set("scope", params.scopes.join(" "));
  url.searchParams.set("state", params.state);
  if (params.codeChallenge) {
    url.searchParams.set("code_challenge", params.codeChallenge);
    url.searchParams.set("code_challenge_method", "S256");
  }
  return url.href;
}

/** Trades the authorization code for an access token (POST /oauth/token). */
export async function exchangeCode(
  origin: string | URL,
  app: BotApp,
  params: { code: string; redirectUri: string; codeVerifier?: string | null },
  options: BotClientOptions = {},
): Promise<{ accessToken: string; scope: string }> {
  const url = parseServerOrigin(origin, options);
  // masto's parameter type predates PKCE; the extra field is sent as code_verifier.
  const request: mastodon.oauth.CreateTokenWithAuthorizationCodeParams & { readonly codeVerifier?: string } = {
    grantType: "authorization_code",
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    redirectUri: params.redirectUri,
    code: params.code,
    ...(params.codeVerifier ? { codeVerifier: params.codeVerifier } : {}),
  };
  const token = await call(url, null, options, (o) => oauthClient(url, o).token.create(request));
  return { accessToken: token.accessToken, scope: token.scope };
}

/** The account the token acts for (GET /api/v1/accounts/verify_credentials). */
export async function verifyCredentials(
  origin: string | URL,
  token: string,
  options: BotClientOptions = {},
): Promise<BotAccount> {
  const url = parseServerOrigin(origin, options);
  const account = await call(url, token, options, (o) => restClient(url, token, o).v1.accounts.verifyCredentials());
  return {
    id: account.id,
    acct: account.acct,
    displayName: account.displayName,
    url: account.url,
    avatar: account.avatar,
  };
}

const dateOf = (value: unknown): Date | null =>
  typeof value === "string" && !Number.isNaN(Date.parse(value)) ? new Date(value) : null;

/**
 * Reads what the server answered to a post: a ScheduledStatus echoes
 * `scheduled_at`; a Status has `created_at` and `uri` (or `url`).  Anything
 * else is not an answer the bot can rely on.
 */
function postResultOf(url: URL, answer: unknown): PostResult {
  const record = isRecord(answer) ? answer : {};
  const id = typeof record.id === "string" || typeof record.id === "number" ? String(record.id) : "";
  const scheduledAt = dateOf(record.scheduledAt);
  const address =
    typeof record.url === "string" && record.url !== "" ? record.url : typeof record.uri === "string" ? record.uri : "";
  if (id !== "" && scheduledAt != null && record.createdAt == null) return { kind: "scheduled", id, scheduledAt };
  if (id !== "" && address !== "") return { kind: "posted", id, url: address, createdAt: dateOf(record.createdAt) };
  throw new BotApiError(
    "server",
    `${url.host} answered with something that is neither a post nor a scheduled post. Try again later.`,
    { status: 200 },
  );
}

/** Posts now, or schedules when `scheduledAt` is given (POST /api/v1/statuses with an Idempotency-Key). */
export async function postStatus(
  origin: string | URL,
  token: string,
  input: StatusInput,
  options: BotClientOptions = {},
): Promise<PostResult> {
  const url = parseServerOrigin(origin, options);
  const common = {
    visibility: input.visibility,
    language: input.language || null,
    spoilerText: input.spoilerText || null,
    scheduledAt: input.scheduledAt?.toISOString() ?? null,
  };
  const params: mastodon.rest.v1.CreateScheduledStatusParams =
    input.mediaIds != null && input.mediaIds.length > 0
      ? { ...common, status: input.status, mediaIds: input.mediaIds }
      : { ...common, status: input.status };
  const result: unknown = await call(url, token, options, (o) =>
    restClient(url, token, o).v1.statuses.create(params, {
      requestInit: { headers: { "Idempotency-Key": input.idempotencyKey } },
    }),
  );
  return postResultOf(url, result);
}

/**
 * Deletes one of the account's statuses (DELETE /api/v1/statuses/:id), as
 * when a server published at once a post asked for later.  Returns false when
 * the server does not know it (404).
 */
export function deleteStatus(
  origin: string | URL,
  token: string,
  id: string,
  options: BotClientOptions = {},
): Promise<boolean> {
  return removed(origin, token, options, (client) => client.v1.statuses.$select(id).remove());
}

/** Runs a DELETE: true when done, false when the server answers 404 (it does not know it). */
async function removed(
  origin: string | URL,
  token: string,
  options: BotClientOptions,
  remove: (client: mastodon.rest.Client) => Promise<unknown>,
): Promise<boolean> {
  const url = parseServerOrigin(origin, options);
  try {
    await call(url, token, options, (o) => remove(restClient(url, token, o)));
    return true;
  } catch (error) {
    if (error instanceof BotApiError && error.kind === "not-found") return false;
    throw error;
  }
}

/** Every status the account has scheduled (GET /api/v1/scheduled_statuses, all pages). */
export async function listScheduled(
  origin: string | URL,
  token: string,
  options: BotClientOptions = {},
): Promise<ScheduledPost[]> {
  const url = parseServerOrigin(origin, options);
  return call(url, token, options, async (o) => {
    const found: ScheduledPost[] = [];
    // Mastodon keeps at most 300 per account: 8 pages of 40.  The bound stops a server that pages forever.
    let pages = 0;
    for await (const page of restClient(url, token, o).v1.scheduledStatuses.list({ limit: 40 })) {
      if (!Array.isArray(page))
        throw new BotApiError(
          "server",
          `${url.host} answered with something that is not a list of scheduled posts. Try again later.`,
          { status: 200 },
        );
      for (const s of page)
        found.push({
          id: String(s.id),
          scheduledAt: new Date(s.scheduledAt),
          text: s.params?.text ?? "",
          mediaIds: s.params?.mediaIds ?? [],
        });
      if (++pages >= 10 || page.length === 0) break;
    }
    return found;
  });
}

/**
 * Cancels a scheduled status (DELETE /api/v1/scheduled_statuses/:id).  Returns
 * false when it was no longer scheduled (already published or cancelled).
 */
export function cancelScheduled(
  origin: string | URL,
  token: string,
  id: string,
  options: BotClientOptions = {},
): Promise<boolean> {
  return removed(origin, token, options, (client) => client.v1.scheduledStatuses.$select(id).remove());
}

const EXTENSIONS: Record<string, string> = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/webp": "webp",
  "image/gif": "gif",
};

/**
 * Uploads an image with its description (POST /api/v2/media) and waits until
 * the server has processed it (GIFs become videos, which takes a while).
 */
export async function uploadMedia(
  origin: string | URL,
  token: string,
  bytes: Uint8Array,
  mime: string,
  description: string,
  options: BotClientOptions = {},
): Promise<UploadedMedia> {
  const url = parseServerOrigin(origin, options);
  const file = new File([new Uint8Array(bytes)], `image.${EXTENSIONS[mime] ?? "bin"}`, { type: mime });
  return withNetwork(options, async (networked) => {
    const client = restClient(url, token, networked);
    // masto's own wait sleeps a second before the first check even when the image is ready; this one asks only when needed.
    let media = await call(url, token, networked, () =>
      client.v2.media.create({ file, description, skipPolling: true }),
    );
    const deadline = Date.now() + (options.mediaTimeoutMs ?? DEFAULT_MEDIA_TIMEOUT_MS);
    while (!media.url) {
      if (Date.now() >= deadline) {
        throw new BotApiError("timeout", `${url.host} took too long to process the image. Try again later.`, {
          status: null,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, options.mediaPollMs ?? DEFAULT_MEDIA_POLL_MS));
      const id = media.id;
      media = await call(url, token, networked, () => client.v1.media.$select(id).fetch());
    }
    return { id: media.id, url: media.url, type: media.type, description: media.description ?? null };
  });
}

/** Revokes the token (POST /oauth/revoke), as when a striker disconnects. */
export async function revokeToken(
  origin: string | URL,
  app: BotApp,
  token: string,
  options: BotClientOptions = {},
): Promise<void> {
  const url = parseServerOrigin(origin, options);
  await call(url, token, options, (o) =>
    oauthClient(url, o).revoke({ clientId: app.clientId, clientSecret: app.clientSecret, token }),
  );
}
