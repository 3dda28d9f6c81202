/**
 * Favourites, emoji reactions and boosts of our posts, and their Undo.
 *
 * Reactions arrive in every shape peers send: Mastodon's and Pleroma's plain
 * `Like` (a favourite), Misskey's `Like` with the emoji in `content` and
 * `_misskey_reaction` (plus an `Emoji` tag for a custom one), Pleroma's and
 * Akkoma's `EmojiReact` (litepub context), and snac's `EmojiReact` with only
 * the ActivityStreams context, which Fedify cannot type (it arrives at the
 * catch-all listener and is recognised by its JSON `type`).  Whether a
 * reaction signs is the site owner's choice (reactions.ts).
 *
 * An undone activity's id is kept (a tombstone), so the same activity
 * arriving late, after its Undo, neither signs nor boosts again.
 */
import type { InboxContext } from "@fedify/fedify";
import {
  Activity,
  Announce,
  EmojiReact,
  Follow,
  Like,
  Object as APObjectClass,
  type Object as APObject,
} from "@fedify/vocab";
import { addBoost, getRemoteActorByUri, removeBoost, removeFollowByUri, removeFollower } from "../db/fediverse.ts";
import { addReaction, recordUndone, removeReaction } from "../db/reactions.ts";
import { removeSiteFollower } from "../db/site-account.ts";
import type { FedData } from "./builder.ts";
import { inboundOf } from "./inbound.ts";
import { displayName, ignore, logger, ourActor, ourPost, storeSender, write, type Ctx } from "./inbox-common.ts";
import { reactionSigns, readSigningReactions } from "./reactions.ts";
import { isSiteActor } from "./site-account.ts";
import { remoteLine, type Sender } from "./signer.ts";
import { toDate } from "./time.ts";

/** JSON `type`s of emoji reactions that Fedify may not recognise (a context without the litepub term). */
const EMOJI_REACT_TYPES = new Set([
  "EmojiReact",
  "EmojiReaction",
  "litepub:EmojiReact",
  "http://litepub.social/ns#EmojiReact",
]);

type JsonObject = Record<string, unknown>;

function asObject(value: unknown): JsonObject | null {
  return value != null && typeof value === "object" && !Array.isArray(value) ? (value as JsonObject) : null;
}

/** The activity's JSON as received (for what Fedify does not keep: an untyped `type`, `_misskey_reaction`). */
function receivedJson(ctx: Ctx, activity: APObject): JsonObject | null {
  const json = inboundOf(ctx.data)?.json ?? null;
  if (json == null) return null;
  if (json.id === activity.id?.href) return json;
  const inner = asObject(json.object);
  return inner != null && inner.id === activity.id?.href ? inner : null;
}

/**
 * Whether an object Fedify left untyped (a plain `Activity`, or a plain
 * `Object` when embedded in an Undo) is an emoji reaction by its JSON `type`.
 */
export function isUntypedEmojiReact(ctx: Ctx, object: APObject): boolean {
  if (object.constructor !== Activity && object.constructor !== APObjectClass) return false;
  const type = receivedJson(ctx, object)?.type;
  return typeof type === "string" && EMOJI_REACT_TYPES.has(type);
}

function isReaction(ctx: Ctx, object: APObject | null): boolean {
  return object instanceof Like || object instanceof EmojiReact || (object != null && isUntypedEmojiReact(ctx, object));
}

/** The actor of an undone activity: Fedify's, or its JSON `actor` when Fedify left it untyped. */
function actorOfUndone(ctx: Ctx, object: APObject): string | null {
  if (object instanceof Activity) return object.actorId?.href ?? null;
  const actor = receivedJson(ctx, object)?.actor;
  return typeof actor === "string" ? actor : null;
}

/** The reaction's emoji (or `:shortcode:`), cleaned; null for a plain favourite. */
function reactionContent(ctx: Ctx, activity: Activity): string | null {
  const json = receivedJson(ctx, activity);
  const misskey = typeof json?._misskey_reaction === "string" ? json._misskey_reaction : null;
  return remoteLine(activity.content?.toString() ?? misskey, 100);
}

/** Like, EmojiReact (typed or not): a reaction to one of our posts, which may sign. */
export async function onReaction(ctx: InboxContext<FedData>, activity: Activity, sender: Sender): Promise<void> {
  const target = ourPost(ctx, activity.objectId);
  if (target == null) return ignore(activity, "its object is not a post of a published Declaration here");
  if (activity.id == null) return ignore(activity, "it has no id");
  const content = reactionContent(ctx, activity);
  const kind = activity instanceof Like && content == null ? "like" : "emoji";
  const signs = reactionSigns(readSigningReactions(ctx.data.db), kind === "like" ? null : (content ?? "(no emoji)"));
  const now = new Date();
  const outcome = await write(ctx, () =>
    addReaction(ctx.data.db, {
      declarationId: target.declaration.id,
      actorId: storeSender(ctx, sender, now),
      activityUri: activity.id!.href,
      objectUri: activity.objectId!.href,
      kind,
      content,
      signs,
      published: toDate(activity.published),
      revision: target.declaration.revision,
      name: displayName(sender.account),
      website: sender.account.url,
      signerLimits: ctx.data.signersPerServer ?? [],
      now,
    }),
  );
  if (outcome === "held")
    logger.info("A fediverse signature from {actor} on /d/{slug} is held for review", {
      actor: sender.uri.href,
      slug: target.declaration.slug,
    });
  logger.debug("{type} from {actor} on /d/{slug}: {outcome}", {
    type: activity.constructor.name,
    actor: sender.uri.href,
    slug: target.declaration.slug,
    outcome,
  });
}

export async function onAnnounce(ctx: InboxContext<FedData>, announce: Announce, sender: Sender): Promise<void> {
  const target = ourPost(ctx, announce.objectId);
  if (target == null) return ignore(announce, "its object is not a post of a published Declaration here");
  if (announce.id == null) return ignore(announce, "it has no id");
  const now = new Date();
  await write(ctx, () =>
    addBoost(ctx.data.db, {
      declarationId: target.declaration.id,
      actorId: storeSender(ctx, sender, now),
      activityUri: announce.id!.href,
      objectUri: announce.objectId!.href,
      published: toDate(announce.published),
      now,
    }),
  );
}

export async function onUndo(ctx: InboxContext<FedData>, undo: Activity, sender: Sender): Promise<void> {
  let inner: APObject | null = null;
  try {
    inner = await undo.getObject(ctx);
  } catch {
    inner = null; // Often not dereferenceable (Mastodon's Follow ids): match by id below.
  }
  if (
    inner != null &&
    (inner instanceof Activity || isUntypedEmojiReact(ctx, inner)) &&
    actorOfUndone(ctx, inner) !== sender.uri.href
  ) {
    return ignore(undo, "it undoes someone else's activity");
  }
  const innerId = inner?.id?.href ?? undo.objectId?.href ?? null;
  const known = getRemoteActorByUri(ctx.data.db, sender.uri.href);
  const now = new Date();
  // The Undo's own time when it says it (a reused id is believed again only with a later `published`).
  const undone = toDate(undo.published) ?? now;
  if (inner instanceof Follow && isSiteActor(ctx, inner.objectId)) {
    if (known == null) return ignore(undo, "we never stored anything from its actor");
    await write(ctx, () => removeSiteFollower(ctx.data.db, known.id));
  } else if (inner instanceof Follow) {
    const declaration = ourActor(ctx, inner.objectId);
    if (declaration == null) return ignore(undo, "it unfollows no actor of ours");
    if (known == null) return ignore(undo, "we never stored anything from its actor");
    await write(ctx, () => removeFollower(ctx.data.db, declaration.id, known.id));
  } else if (inner != null && (isReaction(ctx, inner) || inner instanceof Announce)) {
    const boost = inner instanceof Announce;
    const objectUri = inner instanceof Activity ? (inner.objectId?.href ?? null) : null;
    const outcome = await write(ctx, () => {
      if (innerId != null) recordUndone(ctx.data.db, innerId, sender.uri.href, undone);
      if (known == null) return "unknown";
      if (boost) return removeBoost(ctx.data.db, known.id, innerId, objectUri) ? "removed" : "unknown";
      return removeReaction(ctx.data.db, known.id, innerId, innerId == null ? objectUri : null, now);
    });
    logger.debug("Undo of {id} from {actor}: {outcome}", { id: innerId ?? "(no id)", actor: sender.uri.href, outcome });
  } else if (inner == null && innerId != null) {
    // Only the id of what is undone: it can be any of them.
    await write(ctx, () => {
      recordUndone(ctx.data.db, innerId, sender.uri.href, undone);
      if (known == null) return;
      removeReaction(ctx.data.db, known.id, innerId, null, now);
      removeBoost(ctx.data.db, known.id, innerId, null);
      removeFollowByUri(ctx.data.db, known.id, innerId);
    });
  } else {
    ignore(undo, "it undoes something we do not keep");
  }
}
