/**
 * Fetching images from other servers (the avatars of remote accounts), for
 * the web's avatar proxy: visitors' browsers never contact other servers,
 * and this server contacts only public addresses.
 *
 * The address check runs in the socket's own DNS lookup, so the address
 * checked is the address connected to (a second lookup could answer
 * differently).  Only PNG, JPEG, GIF and WebP are accepted, recognised by
 * their first bytes whatever the server claims; SVG never (it can carry
 * scripts).
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import { isPrivateHostLiteral, isPublicAddress } from "../net-address.ts";
import { SOFTWARE } from "../version.ts";

// The rule for what is public lives in one place, for every outgoing request.
export { isPrivateHostLiteral, isPublicAddress };

/** Raised by `publicOnlyLookup` when a name resolves to a non-public address. */
class PrivateAddressError extends Error {
  readonly code = "EPRIVATEADDRESS";
}

class ConnectTimeoutError extends Error {
  readonly code = "ECONNECTTIMEOUT";
}

/** A `lookup` for sockets that fails when any address of the name is not public. */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error != null) return callback(error, []);
    if (addresses.length === 0 || addresses.some((a) => !isPublicAddress(a.address))) {
      return callback(new PrivateAddressError(`${hostname} resolves to a private address`), []);
    }
    if (options.all === true) callback(null, addresses);
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  });
};

export type ImageType = "image/png" | "image/jpeg" | "image/gif" | "image/webp";

/** The image type from its first bytes, or null for anything else (SVG included). */
export function sniffImageType(bytes: Uint8Array): ImageType | null {
  const starts = (offset: number, ...values: number[]) => values.every((v, i) => bytes[offset + i] === v);
  if (starts(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "image/png";
  if (starts(0, 0xff, 0xd8, 0xff)) return "image/jpeg";
  if (starts(0, 0x47, 0x49, 0x46, 0x38) && (bytes[4] === 0x37 || bytes[4] === 0x39) && bytes[5] === 0x61)
    return "image/gif";
  if (starts(0, 0x52, 0x49, 0x46, 0x46) && starts(8, 0x57, 0x45, 0x42, 0x50)) return "image/webp";
  return null;
}

export type ImageFetchFailure =
  | "invalid-url"
  | "private-address"
  | "timeout"
  | "too-large"
  | "not-an-image"
  | "http-error"
  | "network-error";
export type ImageFetch = { ok: true; type: ImageType; body: Uint8Array } | { ok: false; reason: ImageFetchFailure };

export interface ImageFetchOptions {
  /** Allow loopback and private addresses (development and tests only). */
  allowPrivateAddress: boolean;
  /** The whole fetch, redirects included (default 5 s). */
  timeoutMs?: number;
  /** Largest body accepted (default 1 MiB). */
  maxBytes?: number;
  /** Redirects followed (default 3), each checked like the first URL. */
  maxRedirects?: number;
  /** Sent in the User-Agent (our site's address). */
  origin?: URL;
}

/** Why a guarded GET gave no body. */
export type GetFailure =
  | "invalid-url"
  | "private-address"
  | "blocked"
  | "too-large"
  | "timeout"
  | "network-error"
  | "status"
  | "too-many-redirects";
export type GuardedGet =
  | { ok: true; body: Buffer; url: URL }
  | { ok: false; reason: GetFailure; status: number | null; url: URL | null };

export interface GuardedGetOptions {
  /** Allow loopback and private addresses (development and tests only). */
  readonly allowPrivateAddress: boolean;
  readonly accept: string;
  readonly userAgent: string;
  /** The whole fetch, redirects included. */
  readonly timeoutMs: number;
  /** Opening each connection (default 5 s, or `timeoutMs` if shorter). */
  readonly connectTimeoutMs?: number;
  /** Headers added to each request, made anew for each URL (signatures). */
  readonly headers?: (url: URL) => Promise<Record<string, string>>;
  /** Largest body accepted, checked from Content-Length and while reading. */
  readonly maxBytes: number;
  /** Redirects followed, each checked like the first URL. */
  readonly maxRedirects: number;
  /** `host:port`s treated as public by the private-address rule (tests only). */
  readonly treatAsPublic?: readonly string[];
  /** Hosts refused before connecting (the site owner's blocks). */
  readonly blocked?: (url: URL) => boolean;
}

type Step = { kind: "redirect"; location: string } | { kind: "done"; result: GuardedGet };

/** One GET, without following redirects: the body of a 200, within the size limit. */
async function getOnce(url: URL, options: GuardedGetOptions, signal: AbortSignal): Promise<Step> {
  const extra = options.headers == null ? {} : await options.headers(url);
  return new Promise((resolve) => {
    const request = url.protocol === "https:" ? httpsRequest : httpRequest;
    let settled = false;
    const finish = (step: Step) => {
      if (settled) return;
      settled = true;
      resolve(step);
    };
    const fail = (reason: GetFailure, status: number | null = null) =>
      finish({ kind: "done", result: { ok: false, reason, status, url } });
    const req = request(
      url,
      {
        method: "GET",
        headers: { Accept: options.accept, "User-Agent": options.userAgent, ...extra },
        signal,
        ...(options.allowPrivateAddress ? {} : { lookup: publicOnlyLookup }),
      },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && res.headers.location != null) {
          res.resume();
          return finish({ kind: "redirect", location: res.headers.location });
        }
        if (status !== 200) {
          res.resume();
          return fail("status", status);
        }
        if (Number(res.headers["content-length"] ?? "0") > options.maxBytes) {
          res.destroy();
          return fail("too-large");
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.byteLength;
          if (size > options.maxBytes) {
            res.destroy();
            return fail("too-large");
          }
          chunks.push(chunk);
        });
        res.on("end", () => finish({ kind: "done", result: { ok: true, body: Buffer.concat(chunks, size), url } }));
        res.on("error", () => fail(signal.aborted ? "timeout" : "network-error"));
        res.on("close", () => fail(signal.aborted ? "timeout" : "network-error"));
      },
    );
    req.on("error", (error: NodeJS.ErrnoException) =>
      fail(
        signal.aborted || error instanceof ConnectTimeoutError
          ? "timeout"
          : error instanceof PrivateAddressError
            ? "private-address"
            : "network-error",
      ),
    );
    // A server that never completes the handshake gives up its connection
    // early, whatever is left of the total time.
    const connectTimer = setTimeout(
      () => req.destroy(new ConnectTimeoutError(`${url.host} did not accept a connection`)),
      Math.min(options.connectTimeoutMs ?? 5_000, options.timeoutMs),
    );
    req.on("socket", (socket) => {
      if (!socket.connecting) clearTimeout(connectTimer);
      else socket.once("connect", () => clearTimeout(connectTimer));
    });
    req.on("close", () => clearTimeout(connectTimer));
    req.end();
  });
}

/**
 * GETs a document from another server: http(s) only, public addresses only
 * (unless allowed; literals checked here, names in the socket's own DNS
 * lookup), each redirect checked like the first URL, a time limit for the
 * whole fetch and a size limit while reading.  Never throws.
 */
export async function guardedGet(raw: string | URL, options: GuardedGetOptions): Promise<GuardedGet> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  let url = raw instanceof URL ? new URL(raw.href) : URL.canParse(raw) ? new URL(raw) : null;
  for (let hop = 0; url != null && hop <= options.maxRedirects; hop++) {
    if ((url.protocol !== "http:" && url.protocol !== "https:") || url.username !== "" || url.password !== "")
      return { ok: false, reason: "invalid-url", status: null, url };
    // A socket to an IP literal never asks DNS, so literals are checked here.
    if (
      !options.allowPrivateAddress &&
      isPrivateHostLiteral(url.hostname) &&
      !(options.treatAsPublic ?? []).includes(url.host)
    ) {
      return { ok: false, reason: "private-address", status: null, url };
    }
    if (options.blocked?.(url) === true) return { ok: false, reason: "blocked", status: null, url };
    url.hash = "";
    const step = await getOnce(url, options, signal);
    if (step.kind === "done") return step.result;
    url = URL.canParse(step.location, url) ? new URL(step.location, url) : null;
  }
  return url == null
    ? { ok: false, reason: "invalid-url", status: null, url }
    : { ok: false, reason: "too-many-redirects", status: null, url };
}

/**
 * GETs an image from another server (`guardedGet`: public addresses only
 * unless allowed, time and size limits) and accepts only recognised raster
 * formats.  Never throws.
 */
export async function fetchRemoteImage(rawUrl: string, options: ImageFetchOptions): Promise<ImageFetch> {
  const got = await guardedGet(rawUrl, {
    allowPrivateAddress: options.allowPrivateAddress,
    accept: "image/png, image/jpeg, image/gif, image/webp",
    userAgent: `${SOFTWARE.name}/${SOFTWARE.version}${options.origin == null ? "" : ` (+${options.origin.origin})`}`,
    timeoutMs: options.timeoutMs ?? 5_000,
    maxBytes: options.maxBytes ?? 1024 * 1024,
    maxRedirects: options.maxRedirects ?? 3,
  });
  if (!got.ok) {
    const reason: ImageFetchFailure =
      got.reason === "status" || got.reason === "too-many-redirects" || got.reason === "blocked"
        ? "http-error"
        : got.reason;
    return { ok: false, reason };
  }
  const body = new Uint8Array(got.body);
  const type = sniffImageType(body);
  return type == null ? { ok: false, reason: "not-an-image" } : { ok: true, type, body };
}
