/**
 * How the strike bot's Mastodon client fails: one `BotApiError` whose `kind`
 * tells the caller what to do (stop, show the server's message, wait, retry)
 * and whose message can be shown to the striker, never containing a token;
 * plus the client's options and the plain `fetch` used where `masto` would
 * hide the status (probing a server that may not be Mastodon at all).
 */
import { MastoHttpError, MastoTimeoutError } from "masto";
import {
  createBotNetwork,
  DEFAULT_CONNECT_TIMEOUT_MS,
  networkFailure,
  type BotNetwork,
  type Resolver,
} from "./network.ts";
import { redact } from "./secrets.ts";

export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_MEDIA_TIMEOUT_MS = 60_000;
export const DEFAULT_MEDIA_POLL_MS = 1_000;
/** When a 429 names no time: Mastodon's API budget is counted in 5-minute windows. */
const DEFAULT_RETRY_MS = 5 * 60_000;

export interface BotClientOptions {
  /** Accept http:// servers (tests on loopback); otherwise only https://. */
  readonly allowHttp?: boolean;
  /** Connect to private and loopback addresses too (development and tests); otherwise only public ones. */
  readonly allowPrivateAddress?: boolean;
  /** Per request, from start to the end of the body (default 15 s). */
  readonly timeoutMs?: number;
  /** Connecting, the name's lookup included (default 5 s). */
  readonly connectTimeoutMs?: number;
  /**
   * The network the requests go through (src/bot/network.ts): one per
   * operation, so a name is resolved and checked once and every request of
   * the operation goes to the addresses checked.  Without one, each call
   * makes its own.
   */
  readonly network?: BotNetwork;
  /** Tests: the resolver, and addresses to treat as public (loopback stand-ins). */
  readonly resolve?: Resolver;
  readonly treatAsPublic?: readonly string[];
  /** How long to wait for an upload to be processed (default 60 s), and how often to ask (default 1 s). */
  readonly mediaTimeoutMs?: number;
  readonly mediaPollMs?: number;
  /** The clock used to turn Retry-After seconds into a time (default: now). */
  readonly now?: () => Date;
}

/**
 * What went wrong, as the caller acts on it:
 *  - "unauthorized": the token was revoked or expired, or the account may not do this; stop and tell the striker.
 *  - "validation": the server refused the request; `serverMessage` says why (e.g. the daily scheduling limit).
 *  - "rate-limited": try again at `retryAt`.
 *  - "server": the server failed, answered with something that is not its API, or could not be reached; try later.
 *  - "timeout": no answer within the time allowed; try later (a post may have gone through: reuse its idempotency key).
 *  - "not-found": what was asked for is not there (a scheduled status already published, for example).
 *  - "not-compatible": not a server the bot can use (not the Mastodon API, or not https).
 */
export type BotApiErrorKind =
  | "unauthorized"
  | "validation"
  | "rate-limited"
  | "server"
  | "timeout"
  | "not-found"
  | "not-compatible";

export function timeoutOf(options: BotClientOptions): number {
  return options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
}

/** A network for `options` (see BotClientOptions.network). */
export function networkFor(options: BotClientOptions): BotNetwork {
  return createBotNetwork({
    allowPrivateAddress: options.allowPrivateAddress === true,
    timeoutMs: timeoutOf(options),
    ...(options.connectTimeoutMs == null ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
    ...(options.resolve == null ? {} : { resolve: options.resolve }),
    ...(options.treatAsPublic == null ? {} : { treatAsPublic: options.treatAsPublic }),
  });
}

/**
 * Runs `run` with `options` carrying a network: the one given, or a new one
 * closed when `run` is done.
 */
export async function withNetwork<T>(
  options: BotClientOptions,
  run: (options: BotClientOptions & { network: BotNetwork }) => Promise<T>,
): Promise<T> {
  if (options.network != null) return run({ ...options, network: options.network });
  const network = networkFor(options);
  try {
    return await run({ ...options, network });
  } finally {
    await network.close();
  }
}

/** The message for a server whose address is not on the public internet. */
export function notPublicMessage(host: string): string {
  return `${host} is not on the public internet, so the strike bot cannot use it.`;
}

export class BotApiError extends Error {
  readonly kind: BotApiErrorKind;
  /** The HTTP status, when the server answered with one we could read. */
  readonly status: number | null;
  /** For "rate-limited": when to try again. */
  readonly retryAt: Date | null;
  /** The server's own words, when it gave any. */
  readonly serverMessage: string | null;
  constructor(
    kind: BotApiErrorKind,
    message: string,
    init: { status: number | null; retryAt?: Date | null; serverMessage?: string | null; cause?: unknown },
  ) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "BotApiError";
    this.kind = kind;
    this.status = init.status;
    this.retryAt = init.retryAt ?? null;
    this.serverMessage = init.serverMessage ?? null;
  }
}

/**
 * A server's origin from what a striker or the database gives: http(s) only,
 * https unless `allowHttp`, no credentials, path, query or fragment.
 */
export function parseServerOrigin(input: string | URL, options: Pick<BotClientOptions, "allowHttp"> = {}): URL {
  const url = typeof input === "string" ? (URL.canParse(input) ? new URL(input) : null) : input;
  const shown = String(input).slice(0, 200);
  if (url == null || (url.protocol !== "https:" && url.protocol !== "http:")) {
    throw new BotApiError(
      "not-compatible",
      `"${shown}" is not a server address; it should look like https://mastodon.example.`,
      { status: null },
    );
  }
  if (url.protocol === "http:" && options.allowHttp !== true) {
    throw new BotApiError(
      "not-compatible",
      `The strike bot connects only to servers at an https:// address, not "${shown}".`,
      { status: null },
    );
  }
  if (url.username !== "" || url.password !== "" || url.pathname !== "/" || url.search !== "" || url.hash !== "") {
    throw new BotApiError(
      "not-compatible",
      `"${shown}" should be only the server's address, such as https://mastodon.example, without a path.`,
      { status: null },
    );
  }
  return new URL(url.origin);
}

function scrub(text: string, token: string | null): string {
  return token ? text.split(token).join(redact(token)) : text;
}

/** Retry-After (seconds or an HTTP date), else X-RateLimit-Reset (ISO 8601), else the next 5-minute window. */
function retryAtFrom(headers: Headers | null, now: Date): Date {
  const after = headers?.get("retry-after")?.trim();
  if (after) {
    if (/^\d+$/.test(after)) return new Date(now.getTime() + Number(after) * 1000);
    const date = new Date(after);
    if (!Number.isNaN(date.getTime())) return date;
  }
  const reset = headers?.get("x-ratelimit-reset")?.trim();
  if (reset) {
    const date = new Date(reset);
    if (!Number.isNaN(date.getTime())) return date;
  }
  return new Date(now.getTime() + DEFAULT_RETRY_MS);
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

function isNetworkFailure(error: unknown): boolean {
  return error instanceof TypeError && error.message === "fetch failed";
}

/** Any failure of a call (masto's errors, fetch's) as a BotApiError. */
export function classifyError(
  error: unknown,
  origin: URL,
  token: string | null,
  options: BotClientOptions,
): BotApiError {
  if (error instanceof BotApiError) return error;
  const host = origin.host;
  const refused = networkFailure(error);
  if (refused?.kind === "private")
    return new BotApiError("not-compatible", notPublicMessage(host), { status: null, cause: error });
  if (refused?.kind === "connect-timeout") {
    const limit = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    return new BotApiError(
      "timeout",
      `Could not connect to ${host} within ${seconds(limit)} seconds. Try again later.`,
      { status: null, cause: error },
    );
  }
  if (
    refused?.kind === "timeout" ||
    error instanceof MastoTimeoutError ||
    (error instanceof DOMException && error.name === "TimeoutError")
  ) {
    return new BotApiError(
      "timeout",
      `${host} did not answer within ${seconds(timeoutOf(options))} seconds. Try again later.`,
      { status: null, cause: error },
    );
  }
  if (refused?.kind === "not-found") {
    return new BotApiError("server", `Could not find ${host}. Check the address, or try again later.`, {
      status: null,
      cause: error,
    });
  }
  if (isNetworkFailure(error)) {
    return new BotApiError("server", `Could not reach ${host}. Check the address, or try again later.`, {
      status: null,
      cause: error,
    });
  }
  if (!(error instanceof MastoHttpError)) {
    // masto cannot read an error page that is not JSON (a proxy's or Rails' HTML page), so its status is lost.
    return new BotApiError("server", `${host} answered with an error page instead of its API. Try again later.`, {
      status: null,
      cause: error,
    });
  }
  const status = error.statusCode;
  const said = scrub(error.description || error.message || "", token).slice(0, 500);
  const serverMessage = said === "" ? null : said;
  const init = { status, serverMessage, cause: error };
  const because = serverMessage == null ? "" : ` (${host} says: ${serverMessage})`;
  if (status === 401) {
    return new BotApiError(
      "unauthorized",
      `${host} no longer accepts the strike bot's access to your account: it was revoked or has expired. Connect your account again to keep posting.`,
      init,
    );
  }
  if (status === 403)
    return new BotApiError(
      "unauthorized",
      `${host} does not allow the strike bot to do this with your account${because}.`,
      init,
    );
  if (status === 404 || status === 410)
    return new BotApiError("not-found", `${host} could not find what the strike bot asked for${because}.`, init);
  if (status === 429) {
    const headers = error.cause instanceof Response ? error.cause.headers : null;
    const retryAt = retryAtFrom(headers, options.now?.() ?? new Date());
    return new BotApiError(
      "rate-limited",
      `${host} asks the strike bot to slow down; it will try again after ${retryAt.toISOString()}.`,
      { ...init, retryAt },
    );
  }
  if (status >= 500)
    return new BotApiError("server", `${host} had a problem answering (HTTP ${status}). Try again later.`, init);
  const reason = serverMessage?.replace(/^Validation failed: /, "") ?? `HTTP ${status}`;
  return new BotApiError("validation", `${host} refused this: ${reason}`, init);
}

/**
 * GET a JSON document without masto (the probe must cope with servers that
 * are not Mastodon), through the bot's network, with a time limit for the
 * whole request, body included.
 */
export function fetchJson(
  url: URL,
  origin: URL,
  options: BotClientOptions,
): Promise<{ status: number; json: unknown }> {
  return withNetwork(options, async ({ network }) => {
    const signal = AbortSignal.timeout(timeoutOf(options));
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { accept: "application/json" },
        redirect: "manual",
        signal,
        dispatcher: network.dispatcher,
      } as RequestInit);
    } catch (error) {
      throw classifyError(error, origin, null, options);
    }
    const type = response.headers.get("content-type") ?? "";
    let json: unknown = null;
    if (/^application\/([a-z.+-]*\+)?json\b/i.test(type)) {
      try {
        json = await response.json();
      } catch (error) {
        if (networkFailure(error) != null || (error instanceof DOMException && error.name === "TimeoutError"))
          throw classifyError(error, origin, null, options);
        json = null;
      }
    } else {
      await response.body?.cancel();
    }
    return { status: response.status, json };
  });
}
