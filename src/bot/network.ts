/**
 * The strike bot's only way onto the network.  Every request it makes (the
 * probe, OAuth, the API calls through `masto`) goes through a `BotNetwork`:
 * an undici dispatcher whose connector
 *
 *  - resolves a server's name once for the whole network's life (one
 *    operation: connecting, one connection's pass of the scheduler,
 *    disconnecting), checks every address it got, and connects only to the
 *    addresses it checked.  Later connections to the same name reuse that
 *    answer and never ask DNS again, so a name that changes its answer
 *    between the check and the connection (DNS rebinding) cannot lead the bot
 *    into a private network;
 *  - refuses IP literals outside the public internet (a socket to a literal
 *    never asks DNS), whatever URL or redirect led there;
 *  - gives up connecting after `connectTimeoutMs` (the name's lookup
 *    included), and every request after `timeoutMs` without headers or
 *    between two pieces of its body (the callers also cap the whole request
 *    with an AbortSignal of `timeoutMs`).
 *
 * `masto` calls the global `fetch`; it receives the dispatcher through its
 * `requestInit` (a `Request` keeps the `dispatcher` it was made with).
 */
import { lookup as dnsLookup } from "node:dns/promises";
import type { LookupAddress } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import { Agent, buildConnector, type Dispatcher } from "undici";
import { isPublicAddress } from "../federation/index.ts";

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/** Resolves a host name to its addresses (`dns.lookup` with `all: true` by default). */
export type Resolver = (hostname: string) => Promise<readonly LookupAddress[]>;

export interface BotNetworkOptions {
  /** Development and tests: connect to private and loopback addresses too. */
  readonly allowPrivateAddress: boolean;
  /** Connecting (the lookup included) may take this long. */
  readonly connectTimeoutMs?: number;
  /** No headers, or no piece of the body, for this long ends the request. */
  readonly timeoutMs: number;
  /** Tests: the resolver (default: the system's). */
  readonly resolve?: Resolver;
  /** Tests: addresses treated as public although they are not (loopback stand-ins for a public server). */
  readonly treatAsPublic?: readonly string[];
}

/** A connection refused because the address is not on the public internet. */
export class PrivateAddressError extends Error {
  readonly code = "EBOTPRIVATEADDRESS";
  readonly hostname: string;
  constructor(hostname: string) {
    super(`${hostname} is not on the public internet`);
    this.name = "PrivateAddressError";
    this.hostname = hostname;
  }
}

const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

const bare = (hostname: string) => hostname.replace(/^\[|\]$/g, "");

export interface BotNetwork {
  /** Passed to `fetch` (and to masto's `requestInit`) as `dispatcher`. */
  readonly dispatcher: Dispatcher;
  /**
   * The checked addresses of `hostname` (resolved at most once per network):
   * throws PrivateAddressError when any is not public, or the resolver's
   * error (ENOTFOUND) when the name does not resolve.
   */
  addressesOf(hostname: string): Promise<readonly LookupAddress[]>;
  /** Closes the network's connections. */
  close(): Promise<void>;
}

export function createBotNetwork(options: BotNetworkOptions): BotNetwork {
  const resolve = options.resolve ?? systemResolver;
  const treatAsPublic = new Set(options.treatAsPublic ?? []);
  const allowed = (address: string) =>
    options.allowPrivateAddress || treatAsPublic.has(address) || isPublicAddress(address);
  const pinned = new Map<string, Promise<readonly LookupAddress[]>>();

  const addressesOf = (hostname: string): Promise<readonly LookupAddress[]> => {
    const name = bare(hostname).toLowerCase();
    let answer = pinned.get(name);
    if (answer == null) {
      answer = (async () => {
        if (isIP(name) !== 0) {
          if (!allowed(name)) throw new PrivateAddressError(name);
          return [{ address: name, family: isIP(name) }];
        }
        const addresses = await resolve(name);
        if (addresses.length === 0) throw Object.assign(new Error(`${name} has no address`), { code: "ENOTFOUND" });
        // One private address among public ones is enough to refuse: the connection may pick any.
        if (addresses.some((a) => !allowed(a.address))) throw new PrivateAddressError(name);
        return addresses;
      })();
      pinned.set(name, answer);
    }
    return answer;
  };

  // The socket's own lookup: the addresses it connects to are the ones checked.
  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    addressesOf(hostname).then(
      (addresses) => {
        const family = lookupOptions.family === 4 || lookupOptions.family === 6 ? lookupOptions.family : 0;
        const usable = family === 0 ? addresses : addresses.filter((a) => a.family === family);
        if (usable.length === 0)
          return callback(
            Object.assign(new Error(`${hostname} has no IPv${family} address`), { code: "ENOTFOUND" }),
            "",
            0,
          );
        if (lookupOptions.all === true) return callback(null, [...usable]);
        return callback(null, usable[0]!.address, usable[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, "", 0),
    );
  };

  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const connector = buildConnector({ timeout: connectTimeoutMs, lookup });
  const dispatcher = new Agent({
    connect: (connectOptions, callback) => {
      // Literals never reach the lookup: check them here, on every connection (redirects included).
      const name = bare(connectOptions.hostname);
      if (isIP(name) !== 0 && !allowed(name)) return callback(new PrivateAddressError(name), null);
      connector(connectOptions, callback);
    },
    connectTimeout: connectTimeoutMs,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });

  return {
    dispatcher,
    addressesOf,
    close: () => dispatcher.destroy(),
  };
}

/** Why a request through a BotNetwork failed, when the network refused or gave up on it. */
export function networkFailure(
  error: unknown,
):
  | { kind: "private"; hostname: string }
  | { kind: "connect-timeout" }
  | { kind: "timeout" }
  | { kind: "not-found" }
  | null {
  for (let e: unknown = error, depth = 0; e != null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof PrivateAddressError) return { kind: "private", hostname: e.hostname };
    const code = (e as { code?: unknown }).code;
    if (code === "UND_ERR_CONNECT_TIMEOUT") return { kind: "connect-timeout" };
    if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") return { kind: "timeout" };
    if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NONAME") return { kind: "not-found" };
  }
  return null;
}
