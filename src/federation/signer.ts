/**
 * Who sent an activity, proven.  Fedify accepts a signature when the key's
 * own document claims the activity's actor as its owner, wherever that
 * document lives: a key on any server could claim to be anyone's.  Here an
 * activity is believed to be its actor's only when the key that verified it
 * (inbound.ts) is one that the actor's own document — fetched from the
 * actor's id, or stored from such a fetch within the day — names in
 * `publicKey` or `assertionMethod`.  Everything else is ignored.
 *
 * A deleted account cannot sign any more (its key answers 410), so its
 * deletion is believed when its own id answers 404 or 410 to a request of
 * ours, without following redirects (`provenGone`).
 */
import type { Context, InboxContext } from "@fedify/fedify";
import { type Activity, isActor, Link, Object as APObject, type Actor } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import { getRemoteActorByUri, isDomainBlocked, type RemoteActorInput } from "../db/fediverse.ts";
import type { RemoteActor } from "../db/schema.ts";
import { cleanLine } from "../signature-input.ts";
import { SOFTWARE } from "../version.ts";
import type { FedData } from "./builder.ts";
import { inboundOf } from "./inbound.ts";
import { guardedGet } from "./guarded-fetch.ts";

const logger = getLogger(["undersign", "federation", "inbox"]);

/** How long a stored account's display data and keys are trusted before it is fetched again. */
export const ACTOR_FRESH_MS = 24 * 60 * 60 * 1000;
const MAX_NAME = 200;
const PROOF_TIMEOUT_MS = 5_000;
const AP_ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"';

type Ctx = InboxContext<FedData> | Context<FedData>;

/** The proven sender of an activity. */
export interface Sender {
  readonly uri: URL;
  /** What we keep of it: freshly read from its own document, or our stored copy when that is fresh and names the key. */
  readonly account: RemoteActorInput | RemoteActor;
  /** Its actor document as fetched now; null when the stored copy sufficed. */
  readonly actor: Actor | null;
}

function httpUrl(value: URL | Link | null | undefined): string | null {
  const url = value instanceof Link ? value.href : value;
  return url != null && (url.protocol === "https:" || url.protocol === "http:") ? url.href : null;
}

/** A remote display name or handle part as we show it: no invisible or direction characters, single spaces. */
export function remoteLine(text: string | null | undefined, max = MAX_NAME): string | null {
  if (text == null) return null;
  const clean = [...cleanLine(text)].slice(0, max).join("").trim();
  return clean === "" ? null : clean;
}

/** The ids of the keys an actor document names (`publicKey` and `assertionMethod`). */
export function keyIdsOf(actor: Actor): string[] {
  return [...new Set([...actor.publicKeyIds, ...actor.assertionMethodIds].map((u) => u.href))];
}

/**
 * Whether the actor document names the key.  As Fedify does when it fetches a
 * key, a key id without a fragment that is the actor's own id stands for the
 * actor's only key.
 */
export function namesKey(keyIds: readonly string[], actorUri: string, keyId: URL): boolean {
  if (keyIds.includes(keyId.href)) return true;
  return keyId.hash === "" && keyId.href === actorUri && keyIds.length === 1;
}

/**
 * What we keep of a remote account.  Its inboxes must be on its own server
 * (as Misskey requires): an account on a public host must not be able to make
 * us deliver to an address of its choosing, such as one on a private network.
 * `keyIds` is given only for a document we fetched ourselves.
 */
export async function remoteActorInput(ctx: Ctx, actor: Actor, keyIds?: string[]): Promise<RemoteActorInput | null> {
  if (actor.id == null || actor.inboxId == null) return null;
  if (actor.inboxId.origin !== actor.id.origin) return null;
  const sharedInbox = actor.endpoints?.sharedInbox;
  const username = remoteLine(actor.preferredUsername?.toString(), 100)?.replace(/\s/g, "") ?? null;
  let iconUrl: string | null = null;
  try {
    const icon = await actor.getIcon(ctx);
    iconUrl = httpUrl(icon?.url ?? null);
  } catch {
    iconUrl = null;
  }
  return {
    uri: actor.id.href,
    handle: username == null || username === "" ? null : `${username}@${actor.id.host}`,
    name: remoteLine(actor.name?.toString()),
    url: httpUrl(actor.url) ?? actor.id.href,
    iconUrl,
    inbox: actor.inboxId.href,
    sharedInbox: sharedInbox != null && sharedInbox.origin === actor.id.origin ? sharedInbox.href : null,
    ...(keyIds == null ? {} : { keyIds }),
  };
}

export type ActorFetch = { ok: true; actor: Actor } | { ok: false; gone: boolean };

/**
 * Fetches an actor's own document by its id (through the federation's
 * document loader: its address rules and cache): the document must be an
 * actor with that very id, served from the id's origin.  Throws when the
 * server could not be reached (a passing failure: the sender retries).
 */
export async function fetchActorDocument(ctx: Ctx, id: URL): Promise<ActorFetch> {
  let loaded: Awaited<ReturnType<Ctx["documentLoader"]>>;
  try {
    loaded = await ctx.documentLoader(id.href);
  } catch (error) {
    const status = (error as { response?: { status?: unknown } }).response?.status;
    if (status === 404 || status === 410) return { ok: false, gone: true };
    if (typeof status === "number" && status < 500) return { ok: false, gone: false };
    throw error;
  }
  if (!URL.canParse(loaded.documentUrl) || new URL(loaded.documentUrl).origin !== id.origin)
    return { ok: false, gone: false };
  let object: APObject;
  try {
    object = await APObject.fromJsonLd(loaded.document, {
      documentLoader: ctx.documentLoader,
      contextLoader: ctx.contextLoader,
    });
  } catch {
    return { ok: false, gone: false };
  }
  if (!isActor(object) || object.id?.href !== id.href) return { ok: false, gone: false };
  return { ok: true, actor: object };
}

/**
 * The activity's sender, proven (see the top of this file), or null when it
 * is not proven: the activity is then ignored.  Throws when the actor's
 * server could not be reached and nothing stored proves the key (the sender
 * retries later).
 */
export async function authenticSender(ctx: Ctx, activity: Activity): Promise<Sender | null> {
  const actorId = activity.actorId;
  const keyId = inboundOf(ctx.data)?.keyId ?? null;
  if (actorId == null || keyId == null) return null;
  const known = getRemoteActorByUri(ctx.data.db, actorId.href);
  const storedNamesKey = known != null && namesKey(known.keyIds, known.uri, keyId);
  if (known != null && storedNamesKey && Date.now() - known.updated.getTime() < ACTOR_FRESH_MS)
    return { uri: actorId, account: known, actor: null };
  let fetched: ActorFetch;
  try {
    fetched = await fetchActorDocument(ctx, actorId);
  } catch (error) {
    // A stored copy that names the key, even an old one, is better than losing the activity.
    if (known != null && storedNamesKey) return { uri: actorId, account: known, actor: null };
    logger.warning("Could not fetch {actor} to check its key; the sender will retry: {error}", {
      actor: actorId.href,
      error,
    });
    throw error;
  }
  if (!fetched.ok) return null;
  const keyIds = keyIdsOf(fetched.actor);
  if (!namesKey(keyIds, actorId.href, keyId)) {
    logger.info("Ignored an activity by {actor} signed with {key}, which its actor document does not name", {
      actor: actorId.href,
      key: keyId.href,
    });
    return null;
  }
  const account = await remoteActorInput(ctx, fetched.actor, keyIds);
  if (account == null) return null;
  return { uri: actorId, account, actor: fetched.actor };
}

export type ActorProbe = "gone" | "missing" | "present" | "unknown";

/**
 * What an account's own id answers to a GET of ours (public addresses only
 * unless allowed, no redirects followed): `gone` for 410 (or a `Tombstone`),
 * `missing` for 404, `present` for a document — or for an answer that says
 * it is there but not for us (401, 403, a redirect) — and `unknown` when it
 * did not really answer (5xx, 429, no answer within `timeoutMs`).
 */
export async function probeActor(
  data: FedData,
  actorUri: URL | string,
  timeoutMs = PROOF_TIMEOUT_MS,
): Promise<ActorProbe> {
  const got = await guardedGet(actorUri, {
    allowPrivateAddress: data.allowPrivateAddress === true,
    accept: AP_ACCEPT,
    userAgent: `${SOFTWARE.name}/${SOFTWARE.version}`,
    timeoutMs,
    maxBytes: 256 * 1024,
    maxRedirects: 0,
    blocked: (url) => isDomainBlocked(data.db, url.hostname),
  });
  if (!got.ok) {
    if (got.reason === "too-many-redirects") return "present";
    if (got.reason !== "status") return "unknown";
    if (got.status === 410) return "gone";
    if (got.status === 404) return "missing";
    return got.status === 401 || got.status === 403 ? "present" : "unknown";
  }
  try {
    const json = JSON.parse(got.body.toString("utf8")) as { type?: unknown };
    return json.type === "Tombstone" ? "gone" : "present";
  } catch {
    return "unknown";
  }
}

/** Recent answers of `provenGone`, so that a flood of unproven Deletes costs at most one request per account a minute. */
const recentProofs = new Map<string, { gone: boolean; until: number }>();

/**
 * Whether an account is proven gone: its own id answers 404 or 410 to a GET of
 * ours (`probeActor`: no redirects followed, five seconds).  Anything else —
 * a document, a redirect, 401, 5xx, no answer — proves nothing.
 */
export async function provenGone(data: FedData, actorUri: URL): Promise<boolean> {
  const cached = recentProofs.get(actorUri.href);
  if (cached != null && cached.until > Date.now()) return cached.gone;
  const probe = await probeActor(data, actorUri);
  const gone = probe === "gone" || probe === "missing";
  if (recentProofs.size >= 10_000) recentProofs.clear();
  // An account that answered is asked again a minute later (its deletion may be under way).
  recentProofs.set(actorUri.href, { gone, until: Date.now() + (gone ? 10 * 60 * 1000 : 60 * 1000) });
  return gone;
}
