/**
 * GETs JSON from other servers for copies across sites, through the same
 * guarded GET as the avatar proxy (media.ts `guardedGet`: private addresses
 * refused at every redirect and in the socket's own DNS lookup, size and time
 * limits), refusing blocked domains too.  Never throws: every failure is a
 * reason.
 */
import type { DbLike } from "../db/client.ts";
import { isDomainBlocked } from "../db/fediverse.ts";
import { SOFTWARE } from "../version.ts";
import { guardedGet, type GuardedGet } from "./media.ts";

/** Largest ActivityPub document read (Mastodon's own limit). */
export const MAX_REMOTE_DOCUMENT_BYTES = 1024 * 1024;
const TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 3;
const AP_ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"';

export type FetchFailure = "invalid-url" | "private-address" | "too-large" | "gone" | "http-error" | "unreachable" | "not-json" | "blocked";
export type JsonFetch = { ok: true; json: Record<string, unknown>; url: URL } | { ok: false; reason: FetchFailure; url: URL | null };

export interface FetchOptions {
  allowPrivateAddress: boolean;
  /** Refuses hosts the site owner blocked. */
  db?: DbLike;
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
  const { db } = options;
  const got = await guardedGet(raw, {
    allowPrivateAddress: options.allowPrivateAddress,
    accept: options.accept ?? AP_ACCEPT,
    userAgent: `${SOFTWARE.name}/${SOFTWARE.version}`,
    timeoutMs: options.timeoutMs ?? TIMEOUT_MS,
    maxBytes: options.maxBytes ?? MAX_REMOTE_DOCUMENT_BYTES,
    maxRedirects: MAX_REDIRECTS,
    ...(options.treatAsPublic == null ? {} : { treatAsPublic: options.treatAsPublic }),
    ...(db == null ? {} : { blocked: (url: URL) => isDomainBlocked(db, url.hostname) }),
  });
  if (!got.ok) return { ok: false, reason: failureOf(got), url: got.url };
  try {
    const json = JSON.parse(got.body.toString("utf8")) as unknown;
    if (json == null || typeof json !== "object" || Array.isArray(json)) return { ok: false, reason: "not-json", url: got.url };
    return { ok: true, json: json as Record<string, unknown>, url: got.url };
  } catch {
    return { ok: false, reason: "not-json", url: got.url };
  }
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
