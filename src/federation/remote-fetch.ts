/**
 * GETs JSON from other servers for copies across sites: refuses private
 * addresses (each redirect checked like the first URL, the address checked in
 * the socket's own DNS lookup, as the avatar proxy in media.ts does), refuses
 * blocked domains, and stops reading at a size limit and a time limit.
 * Never throws: every failure is a reason.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { DbLike } from "../db/client.ts";
import { isDomainBlocked } from "../db/fediverse.ts";
import { SOFTWARE } from "../version.ts";
import { isPrivateHostLiteral, PrivateAddressError, publicOnlyLookup } from "./media.ts";

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

type Step = { kind: "redirect"; location: string } | { kind: "done"; result: JsonFetch };

function getOnce(url: URL, options: FetchOptions, signal: AbortSignal): Promise<Step> {
  const maxBytes = options.maxBytes ?? MAX_REMOTE_DOCUMENT_BYTES;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (step: Step) => {
      if (!settled) {
        settled = true;
        resolve(step);
      }
    };
    const fail = (reason: FetchFailure) => finish({ kind: "done", result: { ok: false, reason, url } });
    const request = url.protocol === "https:" ? httpsRequest : httpRequest;
    const req = request(
      url,
      {
        method: "GET",
        headers: { Accept: options.accept ?? AP_ACCEPT, "User-Agent": `${SOFTWARE.name}/${SOFTWARE.version}` },
        signal,
        ...(options.allowPrivateAddress ? {} : { lookup: publicOnlyLookup }),
      },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && res.headers.location != null) {
          res.resume();
          return finish({ kind: "redirect", location: res.headers.location });
        }
        if (status === 404 || status === 410) {
          res.resume();
          return fail("gone");
        }
        if (status !== 200) {
          res.resume();
          return fail("http-error");
        }
        if (Number(res.headers["content-length"] ?? "0") > maxBytes) {
          res.destroy();
          return fail("too-large");
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.byteLength;
          if (size > maxBytes) {
            res.destroy();
            return fail("too-large");
          }
          chunks.push(chunk);
        });
        res.on("end", () => {
          try {
            const json = JSON.parse(Buffer.concat(chunks, size).toString("utf8")) as unknown;
            if (json == null || typeof json !== "object" || Array.isArray(json)) return fail("not-json");
            finish({ kind: "done", result: { ok: true, json: json as Record<string, unknown>, url } });
          } catch {
            fail("not-json");
          }
        });
        res.on("error", () => fail("unreachable"));
        res.on("close", () => fail("unreachable"));
      },
    );
    req.on("error", (error) => fail(error instanceof PrivateAddressError ? "private-address" : "unreachable"));
    req.end();
  });
}

/** GETs a JSON document from another server, within the limits above.  Never throws. */
export async function fetchJson(raw: string | URL, options: FetchOptions): Promise<JsonFetch> {
  const signal = AbortSignal.timeout(options.timeoutMs ?? TIMEOUT_MS);
  let url = raw instanceof URL ? new URL(raw.href) : URL.canParse(raw) ? new URL(raw) : null;
  for (let hop = 0; url != null && hop <= MAX_REDIRECTS; hop++) {
    if ((url.protocol !== "http:" && url.protocol !== "https:") || url.username !== "" || url.password !== "") return { ok: false, reason: "invalid-url", url };
    if (!options.allowPrivateAddress && isPrivateHostLiteral(url.hostname) && !(options.treatAsPublic ?? []).includes(url.host)) {
      return { ok: false, reason: "private-address", url };
    }
    if (options.db != null && isDomainBlocked(options.db, url.hostname)) return { ok: false, reason: "blocked", url };
    url.hash = "";
    const step = await getOnce(url, options, signal);
    if (step.kind === "done") return step.result;
    url = URL.canParse(step.location, url) ? new URL(step.location, url) : null;
  }
  return { ok: false, reason: url == null ? "invalid-url" : "http-error", url };
}
