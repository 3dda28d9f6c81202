/**
 * Hands requests to Fedify first.  Fedify answers WebFinger, NodeInfo and
 * ActivityPub requests; anything else (an unknown path, or an HTML request to
 * a URL that also has an ActivityPub representation) falls through to the
 * next Hono handler, so a page and its actor can share one URL.
 *
 * Before Fedify sees a POST, its body is bounded (`MAX_INBOX_BODY_BYTES`), a
 * request signed by a key on a blocked domain is refused without fetching
 * anything from that domain, and an inbox POST must pass the door
 * (inbound.ts: signature, per-server budget, date, digest, shape — nesting
 * included — and a verified key) before any JSON-LD work.  In the cluster's
 * HTTP processes (`enqueueInbound`), only the door's cheap part runs here and
 * the request goes to the inbound queue (inbound-queue.ts; decision 0033).
 */
import type { Federation } from "@fedify/fedify";
import { getLogger } from "@logtape/logtape";
import type { MiddlewareHandler } from "hono";
import { isDomainBlocked } from "../db/fediverse.ts";
import { INSTANCE_ACTOR, SITE_ACTOR, type FedData } from "./builder.ts";
import { InboxDoor, isInboxPath, withInbound, type DoorOptions, type Loaders } from "./inbound.ts";
import { inboundMessage, type InboundMessage } from "./inbound-message.ts";
import { withFullPublicAddress } from "./public-address.ts";
import { requestHeader } from "../request-header.ts";

const logger = getLogger(["undersign", "federation", "inbox"]);

const AP_MEDIA_TYPE = /application\/(?:activity\+json|ld\+json)/i;

/** Pages whose ActivityPub representation is the site account. */
const SITE_PAGES: ReadonlySet<string> = new Set(["/", "/strike", "/about"]);

/** Larger than any activity Mastodon, Misskey or Pleroma sends (Misskey accepts 64 KiB). */
export const MAX_INBOX_BODY_BYTES = 256 * 1024;

/**
 * Whether Fedify could answer this request: discovery documents, or anything
 * that asks for or sends ActivityPub JSON (actor and object GETs, inbox POSTs).
 * Every other request — pages, the JSON API, assets — skips Fedify entirely,
 * which spares each of them its routing and tracing work.
 */
export function isFederationRequest(path: string, headers: Headers): boolean {
  return wantsFederation(path, headers.get("accept") ?? undefined, headers.get("content-type") ?? undefined);
}

/** The same from the path and the two headers, read without a `Headers` object. */
function wantsFederation(path: string, accept: string | undefined, contentType: string | undefined): boolean {
  if (path.startsWith("/.well-known/") || path.startsWith("/nodeinfo/")) return true;
  return AP_MEDIA_TYPE.test(accept ?? "") || AP_MEDIA_TYPE.test(contentType ?? "");
}

function plain(status: number, text: string, headers: Record<string, string> = {}): Response {
  return new Response(`${text}\n`, { status, headers: { "Content-Type": "text/plain; charset=utf-8", ...headers } });
}

/** The host of the key that signed the request (draft-cavage `keyId`, or RFC 9421 `keyid`). */
export function signingKeyHost(headers: Headers): string | null {
  const header = headers.get("signature-input") ?? headers.get("signature") ?? "";
  const match = /keyid="([^"]+)"/i.exec(header);
  if (match == null || !URL.canParse(match[1]!)) return null;
  return new URL(match[1]!).hostname;
}

/** Reads at most `limit` bytes of the body; null when it is larger. */
async function readBounded(request: Request, limit: number): Promise<Uint8Array<ArrayBuffer> | null> {
  if (request.body == null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.byteLength;
  }
  return body;
}

/** The door's loaders: the federation's own, and one signed with the instance actor's key. */
export function doorLoaders(federation: Federation<FedData>, origin: URL, data: FedData): Loaders {
  const ctx = federation.createContext(origin, data);
  let signed: Promise<Loaders["documentLoader"]> | null = null;
  return {
    documentLoader: ctx.documentLoader,
    contextLoader: ctx.contextLoader,
    signedLoader: () =>
      (signed ??= ctx.getDocumentLoader({ identifier: INSTANCE_ACTOR }).catch((error: unknown) => {
        signed = null;
        throw error;
      })),
  };
}

function refusal(verdict: { status: number; message: string; retryAfterS?: number }): Response {
  const message =
    verdict.status === 413 ? `Activities larger than ${MAX_INBOX_BODY_BYTES} bytes are refused.` : verdict.message;
  return plain(
    verdict.status,
    message,
    verdict.retryAfterS == null ? {} : { "Retry-After": String(verdict.retryAfterS) },
  );
}

/**
 * An inbox POST in an HTTP process of the cluster: the door's cheap checks,
 * then the request goes to the inbound queue and the sender gets 202; the
 * signature is verified, and the activity handled, by a worker process
 * (inbound-queue.ts).  A queue that cannot take it answers 503.
 */
async function queueInbound(
  door: InboxDoor,
  url: URL,
  raw: Request,
  enqueue: (message: InboundMessage) => Promise<void>,
): Promise<Response> {
  const admitted = await door.admit(url, raw.headers, () => readBounded(raw, MAX_INBOX_BODY_BYTES));
  if (!admitted.ok) return refusal(admitted);
  try {
    await enqueue(inboundMessage(url, raw.headers, admitted.body, admitted.host));
  } catch (error) {
    logger.error("Could not queue an activity from {host}: {error}", { host: admitted.host, error });
    return plain(503, "This server cannot take activities right now; please retry later.", { "Retry-After": "60" });
  }
  return plain(202, "Accepted: the activity is queued.");
}

/**
 * `origin` is the site's public origin.  Fedify sees every request under it,
 * whatever address the server was reached by (a reverse proxy, a loopback
 * port): collection page links are built from the request URL, and an RFC
 * 9421 signature covers the URL the sender used.
 */
export function federationMiddleware(
  federation: Federation<FedData>,
  contextData: () => FedData,
  origin: URL,
  options: Pick<DoorOptions, "limitPerServer"> & {
    /**
     * Queues an inbox POST that passed the cheap checks (the cluster's HTTP
     * processes; decision 0033); resolves once it is stored.  Absent or null:
     * inbox activities are verified and handled here, before the answer.
     */
    readonly enqueueInbound?: ((message: InboundMessage) => Promise<void>) | null;
  } = { limitPerServer: null },
): MiddlewareHandler {
  const door = new InboxDoor(options);
  // The federation's loaders do not depend on the request: made once, on the first inbox POST.
  let loaders: Loaders | null = null;
  return async (c, next) => {
    const accept = requestHeader(c, "accept");
    if (!wantsFederation(c.req.path, accept, requestHeader(c, "content-type"))) return next();
    // Searching for the site's address (or its strike page) on another server
    // finds the site account: the ActivityPub document of those pages is the
    // account's, at its own id (servers check that a document came from its id).
    if (
      (c.req.method === "GET" || c.req.method === "HEAD") &&
      SITE_PAGES.has(c.req.path) &&
      AP_MEDIA_TYPE.test(accept ?? "")
    ) {
      return new Response(null, {
        status: 302,
        headers: { Location: new URL(`/d/${SITE_ACTOR}`, origin).href, Vary: "Accept" },
      });
    }
    const raw = c.req.raw;
    const url = new URL(raw.url);
    const canonical = new URL(url.pathname + url.search, origin);
    let request =
      canonical.href === raw.url
        ? raw
        : new Request(canonical, { method: raw.method, headers: raw.headers, body: null });
    let data = contextData();
    if (request.method === "POST") {
      const declared = Number(request.headers.get("content-length") ?? "0");
      if (declared > MAX_INBOX_BODY_BYTES)
        return plain(413, `Activities larger than ${MAX_INBOX_BODY_BYTES} bytes are refused.`);
      const keyHost = signingKeyHost(request.headers);
      if (keyHost != null && isDomainBlocked(data.db, keyHost))
        return plain(403, "This server does not accept activities from your domain.");
      if (isInboxPath(canonical.pathname) && options.enqueueInbound != null) {
        return queueInbound(door, canonical, raw, options.enqueueInbound);
      }
      if (isInboxPath(canonical.pathname)) {
        const current = data;
        const verdict = await door.check(
          canonical,
          raw.headers,
          () => readBounded(raw, MAX_INBOX_BODY_BYTES),
          () => (loaders ??= doorLoaders(federation, origin, current)),
        );
        if (!verdict.ok) return refusal(verdict);
        request = verdict.request;
        data = withInbound(data, verdict.info);
      } else {
        const body = await readBounded(raw, MAX_INBOX_BODY_BYTES);
        if (body == null) return plain(413, `Activities larger than ${MAX_INBOX_BODY_BYTES} bytes are refused.`);
        request = new Request(canonical, { method: "POST", headers: raw.headers, body: new Uint8Array(body) });
      }
    }
    const fetched = federation.fetch(request, {
      contextData: data,
      onNotFound: async () => {
        await next();
        return c.res;
      },
      onNotAcceptable: async () => {
        await next();
        if (c.res.status !== 404) return c.res;
        return new Response("Not acceptable", {
          status: 406,
          headers: { "Content-Type": "text/plain; charset=utf-8", Vary: "Accept" },
        });
      },
    });
    if (request.method !== "POST") {
      const response = await fetched;
      const served = await withFullPublicAddress(response);
      // A page route that answered (a revision's Article) has set c.res, which Hono keeps: replace it.
      if (served !== response && c.finalized) c.res = served;
      return served;
    }
    try {
      return await fetched;
    } catch (error) {
      // Fedify parses an activity (and loads its @context) before it checks
      // the signature, and lets some malformed ones escape as errors: a
      // context that cannot be loaded ("é", "x:y", an unreachable host), or a
      // TypeError from its decoder (`"published": false`).  That is the
      // sender's garbage, not our failure, so it gets 400 rather than a 500
      // (which would also invite the sender to send it again).  Listener
      // errors do not come here: Fedify answers those with 500 itself.
      if (error instanceof Error && error.name.startsWith("jsonld."))
        return plain(400, "Invalid activity: its JSON-LD @context could not be loaded.");
      // An embedded key whose PEM is not a public key (`AsnError` from the
      // ASN.1 decoder) is the same kind of garbage.
      if (error instanceof TypeError || (error instanceof Error && error.name === "AsnError")) {
        logger.info("Refused an activity Fedify could not parse: {error}", { error: error.message });
        return plain(400, "Invalid activity.");
      }
      throw error;
    }
  };
}
