/**
 * Inbox listeners.  Fedify has verified each request's signature, and that
 * the key belongs to the activity's actor, before any of these run.  Each
 * listener checks that the activity concerns one of our posts or actors,
 * stores what it means in one group-committed transaction, and ignores
 * anything else with a log line: a malformed or unknown activity never makes
 * a 500.
 */
import { randomUUID } from "node:crypto";
import type { Context, InboxContext } from "@fedify/fedify";
import {
  Accept,
  Activity,
  Announce,
  Article,
  Create,
  Delete,
  EmojiReact,
  Flag,
  Follow,
  isActor,
  Like,
  Link,
  Note,
  QuoteRequest,
  Reject,
  Undo,
  Update,
  type Actor,
  type Object as APObject,
} from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import { getPublicDeclaration, getPublishedDeclaration } from "../db/declarations.ts";
import {
  addBoost,
  addFollower,
  addReaction,
  addReport,
  addResponse,
  deleteRemoteActor,
  deleteResponse,
  getRemoteActorByUri,
  isDomainBlocked,
  removeBoost,
  removeFollowByUri,
  removeFollower,
  removeReaction,
  updateResponse,
  upsertRemoteActor,
  type RemoteActorInput,
} from "../db/fediverse.ts";
import type { Declaration, FedPost, RemoteActor } from "../db/schema.ts";
import { sanitizeRemoteHtml } from "../markdown.ts";
import { builder, INSTANCE_ACTOR, type FedData } from "./builder.ts";
import { onRemoteArticle, onRemoteDelete } from "./copies.ts";
import { findOurPost } from "./objects.ts";
import { isPublicAddressed } from "./public-address.ts";
import { onQuoteRequest } from "./quotes.ts";
import { toDate } from "./time.ts";

const logger = getLogger(["undersign", "federation", "inbox"]);

/** How long a stored account's display data is trusted before it is fetched again. */
const ACTOR_FRESH_MS = 24 * 60 * 60 * 1000;
/** Replies larger than this (sanitized HTML) are not shown. */
const MAX_RESPONSE_HTML = 32 * 1024;
const MAX_NAME = 200;

type Ctx = InboxContext<FedData> | Context<FedData>;

// ---------------------------------------------------------------------------
// Helpers

function isBlocked(ctx: Ctx, uri: URL | null): boolean {
  return uri != null && isDomainBlocked(ctx.data.db, uri.hostname);
}

function httpUrl(value: URL | Link | null | undefined): string | null {
  const url = value instanceof Link ? value.href : value;
  return url != null && (url.protocol === "https:" || url.protocol === "http:") ? url.href : null;
}

function plainName(actor: Actor): string | null {
  const name = actor.name?.toString().replace(/\s+/g, " ").trim();
  return name == null || name === "" ? null : name.slice(0, MAX_NAME);
}

/**
 * What we keep of a remote account.  Its inboxes must be on its own server
 * (as Misskey requires): an account on a public host must not be able to make
 * us deliver to an address of its choosing, such as one on a private network.
 */
export async function remoteActorInput(ctx: Ctx, actor: Actor): Promise<RemoteActorInput | null> {
  if (actor.id == null || actor.inboxId == null) return null;
  if (actor.inboxId.origin !== actor.id.origin) return null;
  const sharedInbox = actor.endpoints?.sharedInbox;
  const username = actor.preferredUsername?.toString();
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
    name: plainName(actor),
    url: httpUrl(actor.url) ?? actor.id.href,
    iconUrl,
    inbox: actor.inboxId.href,
    sharedInbox: sharedInbox != null && sharedInbox.origin === actor.id.origin ? sharedInbox.href : null,
  };
}

/**
 * The activity's actor as we store it: from our table when it is fresh,
 * otherwise fetched (Fedify caches documents) and refreshed.
 */
async function actorOf(ctx: Ctx, activity: Activity): Promise<RemoteActorInput | RemoteActor | null> {
  const actorId = activity.actorId;
  if (actorId == null) return null;
  const known = getRemoteActorByUri(ctx.data.db, actorId.href);
  if (known != null && Date.now() - known.updated.getTime() < ACTOR_FRESH_MS) return known;
  let actor: APObject | null;
  try {
    actor = await activity.getActor(ctx);
  } catch (error) {
    // A stored copy, even an old one, is better than losing the activity.
    if (known != null) return known;
    // Its server just proved the key, so this is likely passing: the error
    // (a 500) makes the sender deliver the activity again later.
    logger.warning("Could not fetch {actor}; the sender will retry: {error}", { actor: actorId.href, error });
    throw error;
  }
  if (actor == null || !isActor(actor) || actor.id?.href !== actorId.href) {
    logger.info("Ignored a {type} whose actor {actor} could not be fetched", { type: activity.constructor.name, actor: actorId.href });
    return null;
  }
  return remoteActorInput(ctx, actor);
}

/** Stores (or refreshes) the account inside a write; returns its row id. */
function storeActor(ctx: Ctx, actor: RemoteActorInput | RemoteActor, now: Date): number {
  if ("id" in actor && typeof actor.id === "number") return actor.id;
  return upsertRemoteActor(ctx.data.db, actor as RemoteActorInput, now).id;
}

function displayName(actor: RemoteActorInput | RemoteActor): string {
  return actor.name ?? actor.handle ?? actor.uri;
}

interface OurPost {
  post: FedPost;
  declaration: Declaration;
}

/** The published Declaration post (Article or Note) that `uri` names, if it is one of ours. */
function ourPost(ctx: Ctx, uri: URL | null): OurPost | null {
  const found = findOurPost(ctx, uri);
  return found?.declaration.status === "published" ? found : null;
}

/** The Declaration whose actor `uri` is, if it is one of ours and published. */
function ourActor(ctx: Ctx, uri: URL | null): Declaration | null {
  if (uri == null) return null;
  const parsed = ctx.parseUri(uri);
  if (parsed?.type !== "actor" || parsed.identifier === INSTANCE_ACTOR) return null;
  return getPublishedDeclaration(ctx.data.db, parsed.identifier) ?? null;
}

function write<T>(ctx: Ctx, fn: () => T): Promise<T> {
  return ctx.data.batcher.run(fn);
}

function ignore(activity: Activity, why: string): void {
  logger.info("Ignored {type} {id} from {actor}: {why}", {
    type: activity.constructor.name,
    id: activity.id?.href ?? "(no id)",
    actor: activity.actorId?.href ?? "(no actor)",
    why,
  });
}

// ---------------------------------------------------------------------------
// Listeners

async function onFollow(ctx: InboxContext<FedData>, follow: Follow): Promise<void> {
  const parsed = ctx.parseUri(follow.objectId);
  if (parsed?.type !== "actor") return ignore(follow, "it does not follow one of our actors");
  let follower: APObject | null;
  try {
    follower = await follow.getActor(ctx);
  } catch (error) {
    logger.warning("Could not fetch {actor} to accept its Follow; the sender will retry: {error}", { actor: follow.actorId?.href ?? "?", error });
    throw error;
  }
  if (follower == null || !isActor(follower) || follower.id?.href !== follow.actorId?.href) return ignore(follow, "its actor could not be fetched");
  const identifier = parsed.identifier;
  const me = ctx.getActorUri(identifier);
  // The Follow as it came (not with the follower's fetched profile embedded in it).
  const embedded = new Follow({ id: follow.id, actor: follow.actorId, object: follow.objectId });
  const reply = { id: new URL(`#follows/${randomUUID()}`, me), actor: me, object: embedded };
  const declaration = identifier === INSTANCE_ACTOR ? null : getPublicDeclaration(ctx.data.db, identifier);
  if (declaration == null || declaration.status !== "published") {
    // The instance actor and unpublished Declarations take no followers; an
    // actor that does not exist (or a draft) cannot answer at all.
    if (identifier === INSTANCE_ACTOR || declaration?.status === "withdrawn") await ctx.sendActivity({ identifier }, follower, new Reject(reply));
    else ignore(follow, "it follows no actor of ours");
    return;
  }
  const input = await remoteActorInput(ctx, follower);
  if (input == null) return ignore(follow, "its actor has no inbox");
  const now = new Date();
  await write(ctx, () => addFollower(ctx.data.db, declaration.id, upsertRemoteActor(ctx.data.db, input, now).id, follow.id?.href ?? null, now));
  await ctx.sendActivity({ identifier }, follower, new Accept(reply));
}

async function onReaction(ctx: InboxContext<FedData>, activity: Like | EmojiReact): Promise<void> {
  const target = ourPost(ctx, activity.objectId);
  if (target == null) return ignore(activity, "its object is not a post of a published Declaration here");
  if (activity.id == null) return ignore(activity, "it has no id");
  const actor = await actorOf(ctx, activity);
  if (actor == null) return;
  const content = activity.content?.toString().trim().slice(0, 100) || null;
  const now = new Date();
  const outcome = await write(ctx, () =>
    addReaction(ctx.data.db, {
      declarationId: target.declaration.id,
      actorId: storeActor(ctx, actor, now),
      activityUri: activity.id!.href,
      objectUri: activity.objectId!.href,
      kind: activity instanceof EmojiReact || content != null ? "emoji" : "like",
      content,
      revision: target.declaration.revision,
      name: displayName(actor),
      website: actor.url,
      now,
    }),
  );
  logger.debug("{type} from {actor} on /d/{slug}: {outcome}", { type: activity.constructor.name, actor: actor.uri, slug: target.declaration.slug, outcome });
}

async function onAnnounce(ctx: InboxContext<FedData>, announce: Announce): Promise<void> {
  const target = ourPost(ctx, announce.objectId);
  if (target == null) return ignore(announce, "its object is not a post of a published Declaration here");
  if (announce.id == null) return ignore(announce, "it has no id");
  const actor = await actorOf(ctx, announce);
  if (actor == null) return;
  const now = new Date();
  await write(ctx, () =>
    addBoost(ctx.data.db, {
      declarationId: target.declaration.id,
      actorId: storeActor(ctx, actor, now),
      activityUri: announce.id!.href,
      objectUri: announce.objectId!.href,
      now,
    }),
  );
}

async function onUndo(ctx: InboxContext<FedData>, undo: Undo): Promise<void> {
  const actorId = undo.actorId;
  if (actorId == null) return;
  const known = getRemoteActorByUri(ctx.data.db, actorId.href);
  if (known == null) return ignore(undo, "we never stored anything from its actor");
  let inner: APObject | null = null;
  try {
    inner = await undo.getObject(ctx);
  } catch {
    inner = null; // Often not dereferenceable (Mastodon's Follow ids): match by id below.
  }
  if (inner instanceof Activity && inner.actorId?.href !== actorId.href) return ignore(undo, "it undoes someone else's activity");
  const innerId = inner?.id?.href ?? undo.objectId?.href ?? null;
  const now = new Date();
  if (inner instanceof Follow) {
    const declaration = ourActor(ctx, inner.objectId);
    if (declaration == null) return ignore(undo, "it unfollows no actor of ours");
    await write(ctx, () => removeFollower(ctx.data.db, declaration.id, known.id));
  } else if (inner instanceof Like || inner instanceof EmojiReact) {
    await write(ctx, () => removeReaction(ctx.data.db, known.id, innerId, inner.objectId?.href ?? null, now));
  } else if (inner instanceof Announce) {
    await write(ctx, () => removeBoost(ctx.data.db, known.id, innerId, inner.objectId?.href ?? null));
  } else if (inner == null && innerId != null) {
    // Only the id of what is undone: it can be any of them.
    await write(ctx, () => {
      removeReaction(ctx.data.db, known.id, innerId, null, now);
      removeBoost(ctx.data.db, known.id, innerId, null);
      removeFollowByUri(ctx.data.db, known.id, innerId);
    });
  } else {
    ignore(undo, "it undoes something we do not keep");
  }
}

async function onCreate(ctx: InboxContext<FedData>, create: Create): Promise<void> {
  let object: APObject | null;
  try {
    object = await create.getObject(ctx);
  } catch {
    return ignore(create, "its object could not be fetched");
  }
  if (!(object instanceof Note || object instanceof Article) || object.id == null) return ignore(create, "its object is not a Note");
  // A copy of ours elsewhere, or the source of one of our Copies (copies.ts).
  await onRemoteArticle(ctx, create, await copyHint(ctx, object));
  const target = ourPost(ctx, object.replyTargetId);
  if (target == null) return; // Not a reply to us: nothing to keep (e.g. a post of someone we do not follow).
  if (object.attributionId?.href !== create.actorId?.href) return ignore(create, "the reply's author is not the activity's actor");
  if (object.id.origin !== create.actorId?.origin) return ignore(create, "the reply is not on its author's server");
  if (!isPublicAddressed(object, create, ctx.canonicalOrigin)) return ignore(create, "the reply is not public, so it is not shown on the page");
  const html = sanitizeRemoteHtml(object.content?.toString() ?? "");
  if (html.length > MAX_RESPONSE_HTML) return ignore(create, "the reply is too long to show");
  const actor = await actorOf(ctx, create);
  if (actor == null) return;
  const now = new Date();
  const summary = object.summary?.toString().trim() || null;
  await write(ctx, () =>
    addResponse(
      ctx.data.db,
      {
        uri: object.id!.href,
        declarationId: target.declaration.id,
        actorId: storeActor(ctx, actor, now),
        inReplyTo: object.replyTargetId!.href,
        url: httpUrl(object.url) ?? object.id!.href,
        summary: summary == null ? null : summary.slice(0, 500),
        contentHtml: html,
        published: toDate(object.published) ?? now,
      },
      now,
    ),
  );
}

async function onUpdate(ctx: InboxContext<FedData>, update: Update): Promise<void> {
  const actorId = update.actorId;
  if (actorId == null) return;
  let object: APObject | null;
  try {
    object = await update.getObject(ctx);
  } catch {
    return ignore(update, "its object could not be fetched");
  }
  if (object == null) return;
  const now = new Date();
  if (isActor(object)) {
    if (object.id?.href !== actorId.href) return ignore(update, "an account can only update itself");
    if (getRemoteActorByUri(ctx.data.db, actorId.href) == null) return; // Not someone we know.
    const input = await remoteActorInput(ctx, object);
    if (input == null) return ignore(update, "the updated account has no inbox");
    await write(ctx, () => upsertRemoteActor(ctx.data.db, input, now));
    return;
  }
  if (object instanceof Note || object instanceof Article) {
    await onRemoteArticle(ctx, update, await copyHint(ctx, object));
    const known = getRemoteActorByUri(ctx.data.db, actorId.href);
    if (known == null || object.id == null) return;
    const html = sanitizeRemoteHtml(object.content?.toString() ?? "");
    if (html.length > MAX_RESPONSE_HTML) return ignore(update, "the reply is too long to show");
    const summary = object.summary?.toString().trim() || null;
    await write(ctx, () =>
      updateResponse(ctx.data.db, object.id!.href, known.id, { contentHtml: html, summary, updated: toDate(object.updated) ?? now }),
    );
  }
}

async function onDelete(ctx: Ctx, del: Delete): Promise<void> {
  const actorId = del.actorId;
  const objectId = del.objectId;
  if (actorId == null || objectId == null) return;
  const now = new Date();
  if (objectId.href === actorId.href) {
    const removed = await write(ctx, () => deleteRemoteActor(ctx.data.db, actorId.href, now));
    if (removed) logger.info("Account {actor} was deleted on its server: its signatures and responses are removed", { actor: actorId.href });
    return;
  }
  await onRemoteDelete(ctx, actorId, objectId);
  const known = getRemoteActorByUri(ctx.data.db, actorId.href);
  if (known == null) return;
  await write(ctx, () => deleteResponse(ctx.data.db, objectId.href, known.id));
}

async function onFlag(ctx: InboxContext<FedData>, flag: Flag): Promise<void> {
  if (flag.id == null || flag.actorId == null) return ignore(flag, "it has no id or actor");
  const objects = flag.objectIds.map((u) => u.href).slice(0, 50);
  let declarationId: number | null = null;
  for (const uri of flag.objectIds) {
    const declaration = ourActor(ctx, uri) ?? ourPost(ctx, uri)?.declaration ?? null;
    if (declaration != null) {
      declarationId = declaration.id;
      break;
    }
  }
  const content = (flag.content?.toString() ?? "").slice(0, 5000);
  const now = new Date();
  await write(ctx, () =>
    addReport(ctx.data.db, { activityUri: flag.id!.href, actorUri: flag.actorId!.href, declarationId, objectUris: objects, content }, now),
  );
  logger.warn("Report {id} received from {actor}", { id: flag.id.href, actor: flag.actorId.href });
}

/**
 * What copies.ts needs from an Article or Note as delivered: its id, and the
 * origin its `via` link names (a hint only: the Article is fetched again).
 */
async function copyHint(ctx: Ctx, object: Note | Article): Promise<{ id: URL | null; isArticle: boolean; viaOrigin: string | null }> {
  let viaOrigin: string | null = null;
  try {
    const json = (await object.toJsonLd({ format: "compact", contextLoader: ctx.contextLoader })) as { tag?: unknown };
    const tags = Array.isArray(json.tag) ? json.tag : json.tag == null ? [] : [json.tag];
    for (const tag of tags as Array<{ type?: unknown; rel?: unknown; href?: unknown }>) {
      const rels = Array.isArray(tag?.rel) ? tag.rel : [tag?.rel];
      if (tag?.type === "Link" && rels.includes("via") && typeof tag.href === "string" && URL.canParse(tag.href)) viaOrigin = new URL(tag.href).origin;
    }
  } catch {
    viaOrigin = null;
  }
  return { id: object.id, isArticle: object instanceof Article, viaOrigin };
}

/** Refuses activities from blocked domains before anything is stored or fetched. */
function guarded<T extends Activity>(handler: (ctx: InboxContext<FedData>, activity: T) => Promise<void>) {
  return async (ctx: InboxContext<FedData>, activity: T): Promise<void> => {
    if (isBlocked(ctx, activity.actorId)) return ignore(activity, "its server is blocked here");
    await handler(ctx, activity);
  };
}


builder
  .setInboxListeners("/d/{identifier}/inbox", "/inbox")
  .on(Follow, guarded(onFollow))
  .on(Undo, guarded(onUndo))
  .on(Like, guarded(onReaction))
  .on(EmojiReact, guarded(onReaction))
  .on(Announce, guarded(onAnnounce))
  .on(Create, guarded(onCreate))
  .on(Update, guarded(onUpdate))
  .on(Delete, guarded(onDelete))
  .on(Flag, guarded(onFlag))
  .on(QuoteRequest, guarded(onQuoteRequest))
  .on(Activity, async (_ctx, activity) => ignore(activity, "we do not handle this type"))
  .onError((_ctx, error) => {
    logger.error("An inbox listener failed: {error}", { error });
  })
  .onUnverifiedActivity(async (ctx, activity, reason) => {
    // A deleted account's key is gone (410), so its Delete cannot be verified:
    // accept it when the activity deletes the account itself.
    if (
      activity instanceof Delete &&
      activity.actorId != null &&
      activity.objectId?.href === activity.actorId.href &&
      reason.type === "keyFetchError" &&
      "status" in reason.result &&
      reason.result.status === 410
    ) {
      await onDelete(ctx, activity);
      return new Response(null, { status: 202 });
    }
  })
  // Every listener is idempotent by itself (each thing is stored once, by its
  // id), and servers legitimately send an id again: Misskey's Follow id is the
  // same after an unfollow, snac's Like id after an unlike.  Fedify's 24-hour
  // de-duplication by id would drop those, so it is off.
  .withIdempotency(() => null)
  .setSharedKeyDispatcher(() => ({ identifier: INSTANCE_ACTOR }));
