/**
 * GETs JSON from other servers for copies across sites, through the same
 * guarded GET as the avatar proxy (media.ts `guardedGet`: private addresses
 * refused at every redirect and in the socket's own DNS lookup, connect,
 * total time and size limits), refusing blocked domains too.  Each request,
 * redirects included, is signed with the instance actor's key like Fedify's
 * own fetches (servers in authorized-fetch mode refuse unsigned GETs):
 * draft-cavage first, RFC 9421 when the server refuses that with 400/401.
 * Never throws: every failure is a reason.
 */
import { signRequest } from "@fedify/fedify";
import type { DbLike } from "../db/client.ts";
import { isDomainBlocked } from "../db/fediverse.ts";
import { SOFTWARE } from "../version.ts";
import { INSTANCE_ACTOR } from "./builder.ts";
import { actorKeyPairs } from "./keys.ts";
import { guardedGet, type GuardedGet } from "./guarded-fetch.ts";
import type { SignatureSpec } from "./outgoing.ts";

/** Largest ActivityPub document read (Mastodon's own limit). */
export const MAX_REMOTE_DOCUMENT_BYTES = 1024 * 1024;
const TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 3;
const AP_ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"';

export type FetchFailure =
  | "invalid-url"
  | "private-address"
  | "too-large"
  | "gone"
  | "http-error"
  | "unreachable"
  | "not-json"
  | "blocked";
export type JsonFetch =
  | { ok: true; json: Record<string, unknown>; url: URL }
  | { ok: false; reason: FetchFailure; url: URL | null };

export interface FetchOptions {
  allowPrivateAddress: boolean;
  /** Refuses hosts the site owner blocked; with `origin`, holds the instance actor's key that signs. */
  db?: DbLike;
  /** This site's origin: with `db`, requests are signed by its instance actor. */
  origin?: URL;
  maxBytes?: number;
  accept?: string;
  timeoutMs?: number;
  /**
   * `host:port`s let through the private-address rule as if they were
   * public: tests stand loopback servers in for public ones with it (to see
   * that a redirect from there to a private address is refused).  Never set
   * by the application.
   */
  treatAsPublic?: readonly string[];
}

/** GETs a JSON document from another server, within the limits above (`guardedGet`).  Never throws. */
export async function fetchJson(raw: string | URL, options: FetchOptions): Promise<JsonFetch> {
  let got = await get(raw, options, "draft-cavage-http-signatures-12");
  // A server that verifies only RFC 9421 refuses the first format for its signature.
  if (!got.ok && got.reason === "status" && (got.status === 400 || got.status === 401) && signer(options) != null) {
    got = await get(raw, options, "rfc9421");
  }
  if (!got.ok) return { ok: false, reason: failureOf(got), url: got.url };
  try {
    const json = JSON.parse(got.body.toString("utf8")) as unknown;
    if (json == null || typeof json !== "object" || Array.isArray(json))
      return { ok: false, reason: "not-json", url: got.url };
    return { ok: true, json: json as Record<string, unknown>, url: got.url };
  } catch {
    return { ok: false, reason: "not-json", url: got.url };
  }
}

function signer(options: FetchOptions): { db: DbLike; origin: URL } | null {
  return options.db != null && options.origin != null ? { db: options.db, origin: options.origin } : null;
}

function get(raw: string | URL, options: FetchOptions, spec: SignatureSpec): Promise<GuardedGet> {
  const { db } = options;
  const accept = options.accept ?? AP_ACCEPT;
  const userAgent = `${SOFTWARE.name}/${SOFTWARE.version}`;
  const signAs = signer(options);
  return guardedGet(raw, {
    allowPrivateAddress: options.allowPrivateAddress,
    accept,
    userAgent,
    timeoutMs: options.timeoutMs ?? TIMEOUT_MS,
    maxBytes: options.maxBytes ?? MAX_REMOTE_DOCUMENT_BYTES,
    maxRedirects: MAX_REDIRECTS,
    ...(options.treatAsPublic == null ? {} : { treatAsPublic: options.treatAsPublic }),
    ...(db == null ? {} : { blocked: (url: URL) => isDomainBlocked(db, url.hostname) }),
    ...(signAs == null ? {} : { headers: (url: URL) => signatureHeaders(url, accept, userAgent, signAs, spec) }),
  });
}

/** The headers of a GET of `url` signed by the instance actor (its RSA key, `#main-key`). */
async function signatureHeaders(
  url: URL,
  accept: string,
  userAgent: string,
  signAs: { db: DbLike; origin: URL },
  spec: SignatureSpec,
): Promise<Record<string, string>> {
  const [rsa] = await actorKeyPairs(signAs.db, INSTANCE_ACTOR);
  const keyId = new URL(`/d/${INSTANCE_ACTOR}#main-key`, signAs.origin);
  const request = new Request(url, { method: "GET", headers: { Accept: accept, "User-Agent": userAgent } });
  const signed = await signRequest(request, rsa!.privateKey, keyId, { spec });
  return Object.fromEntries(signed.headers);
}

function failureOf(got: Extract<GuardedGet, { ok: false }>): FetchFailure {
  switch (got.reason) {
    case "status":
      return got.status === 404 || got.status === 410 ? "gone" : "http-error";
    case "too-many-redirects":
      return "http-error";
    case "timeout":
    case "network-error":
      return "unreachable";
    default:
      return got.reason;
  }
}
