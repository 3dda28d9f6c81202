/**
 * The Public address (`https://www.w3.org/ns/activitystreams#Public`) in both
 * directions.
 *
 * Out: Fedify compacts what it serves (actors, objects, collections) with
 * JSON-LD, which writes the Public address as the CURIE `as:Public`.  Pleroma
 * up to 2.7 and snac compare addresses as plain strings, so a fetched post
 * said `"to": "as:Public"` looked like a direct message to them: a pinned post
 * could not be boosted, and a reply to it was addressed privately.  Fedify
 * writes the full address in activities it delivers (to, cc, bto, bcc,
 * audience), but not in what it serves.  Every ActivityPub document we serve
 * passes through `withFullPublicAddress` (one place: the federation
 * middleware), which writes the full address wherever a Public address can
 * stand: the addressing properties and the approval lists of an
 * `interactionPolicy`.
 *
 * In: `isPublicAddressed` says whether a post is public the way Mastodon
 * decides it: the Public address in the object's `to` or `cc` (or, when the
 * object has no addressing of its own, the activity's), in any of its forms.
 */
import { PUBLIC_COLLECTION, type Activity, type Object as APObject } from "@fedify/vocab";

export const PUBLIC_ADDRESS = PUBLIC_COLLECTION.href;

/** Properties whose values may be the Public address (addressing, and FEP-044f / GoToSocial approval lists). */
const ADDRESS_KEYS = new Set([
  "to",
  "cc",
  "bto",
  "bcc",
  "audience",
  "automaticApproval",
  "manualApproval",
  "always",
  "approvalRequired",
]);

/** The compact forms JSON-LD compaction (and some servers) write for the Public address. */
const SHORT_FORMS = new Set(["as:Public", "Public"]);

/** Nesting deeper than this is left as it is (our documents nest a few levels). */
const MAX_DEPTH = 32;

function rewrite(value: unknown, key: string | null, depth: number): unknown {
  if (typeof value === "string")
    return key != null && ADDRESS_KEYS.has(key) && SHORT_FORMS.has(value) ? PUBLIC_ADDRESS : value;
  if (depth > MAX_DEPTH || value == null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => rewrite(item, key, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    // A context is a vocabulary, not data: leave it as it is.
    out[k] = k === "@context" ? v : rewrite(v, k, depth + 1);
  }
  return out;
}

/**
 * The same JSON-LD document with every short Public address written in full.
 * Our documents use only the ActivityStreams context and Fedify's preloaded
 * ones, none of which redefines `as:` or `Public`, so the rewrite keeps the
 * document's meaning.
 */
export function fullPublicAddress<T>(document: T): T {
  return rewrite(document, null, 0) as T;
}

const AP_JSON = /^application\/(?:activity\+json|ld\+json)\b/i;

/**
 * A served ActivityPub response with the Public address in full; any other
 * response (HTML, WebFinger, NodeInfo, errors) is returned as it is.
 */
export async function withFullPublicAddress(response: Response): Promise<Response> {
  if (!AP_JSON.test(response.headers.get("content-type") ?? "")) return response;
  const text = await response.text();
  let body = text;
  if (/"(?:as:)?Public"/.test(text)) {
    try {
      body = JSON.stringify(fullPublicAddress(JSON.parse(text) as unknown));
    } catch {
      body = text;
    }
  }
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}

/**
 * Whether `id` is the Public address as Fedify read it.  A bare `Public`
 * (which Mastodon also takes for public) is a relative IRI in JSON-LD: Fedify
 * resolves it against the document's base — the sender's ids, or the inbox it
 * was posted to — so it arrives as `{one of those origins}/…/Public`.
 */
function isPublicId(id: URL, origins: ReadonlySet<string>): boolean {
  if (id.href === PUBLIC_ADDRESS) return true;
  return origins.has(id.origin) && /\/Public$/.test(id.pathname) && id.search === "" && id.hash === "";
}

/**
 * Whether a post is public (or unlisted: the Public address in `cc` only), as
 * Mastodon judges it: its own `to` and `cc`, or the activity's when the post
 * carries no addressing.  `localOrigin` is our own (the inbox's) origin.
 */
export function isPublicAddressed(object: APObject, activity?: Activity, localOrigin?: string): boolean {
  const own = [...object.toIds, ...object.ccIds];
  const ids = own.length > 0 || activity == null ? own : [...activity.toIds, ...activity.ccIds];
  const origins = new Set(
    [object.id?.origin, activity?.id?.origin, activity?.actorId?.origin, localOrigin].filter(
      (o): o is string => o != null,
    ),
  );
  return ids.some((id) => isPublicId(id, origins));
}
