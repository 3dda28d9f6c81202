/**
 * Inbox listeners.  Before any of these run, the door (inbound.ts) has
 * checked the request's signature, date, digest and shape, and Fedify has
 * verified it; each listener then runs only for an activity whose actor is
 * proven to have sent it (inbox-common.ts `guarded`, signer.ts).  Each
 * listener checks that the activity concerns one of our posts or actors,
 * stores what it means in one group-committed transaction, and ignores
 * anything else with a log line: a malformed or unknown activity never makes
 * a 500.
 *
 * Follows, replies (Create, Update), reports (Flag) and the chain are here;
 * reactions, boosts and Undo in inbox-reactions.ts; Delete and unverified
 * activities in inbox-delete.ts.
 */
import { createHash, randomUUID } from "node:crypto";
import type { InboxContext } from "@fedify/fedify";
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
  type Object as APObject,
  type Recipient,
} from "@fedify/vocab";
import { getPublicDeclaration } from "../db/declarations.ts";
import {
  addFollower,
  addReport,
  addResponse,
  getRemoteActorByUri,
  updateResponse,
  upsertRemoteActor,
} from "../db/fediverse.ts";
import { sanitizeRemoteHtml } from "../markdown.ts";
import { cleanText, stripInvisible } from "../signature-input.ts";
import { addSiteFollower } from "../db/site-account.ts";
import { builder, INSTANCE_ACTOR, SITE_ACTOR, type FedData } from "./builder.ts";
import { onRemoteArticle } from "./copies.ts";
import { INBOX_PATHS } from "./inbound.ts";
import {
  aboutOurPost,
  guarded,
  ignore,
  logger,
  ourActor,
  ourPost,
  storeSender,
  write,
  type Ctx,
} from "./inbox-common.ts";
import { onDelete, onUnverifiedActivity } from "./inbox-delete.ts";
import { isUntypedEmojiReact, onAnnounce, onReaction, onUndo } from "./inbox-reactions.ts";
import { isPublicAddressed } from "./public-address.ts";
import { onQuoteRequest } from "./quotes.ts";
import { keyIdsOf, remoteActorInput, remoteLine, type Sender } from "./signer.ts";
import { toDate } from "./time.ts";

export { remoteActorInput };

function httpUrl(value: URL | Link | null | undefined): string | null {
  const url = value instanceof Link ? value.href : value;
  return url != null && (url.protocol === "https:" || url.protocol === "http:") ? url.href : null;
}

/** Replies larger than this (sanitized HTML) are not shown. */
const MAX_RESPONSE_HTML = 32 * 1024;

/** A reply's HTML as we keep it: sanitized, without invisible control or direction characters. */
function responseHtml(object: Note | Article): string {
  return stripInvisible(sanitizeRemoteHtml(object.content?.toString() ?? ""));
}

function responseSummary(object: Note | Article): string | null {
  return remoteLine(object.summary?.toString(), 500);
}

/** The sender as a recipient of our Accept or Reject (its stored inboxes). */
function recipientOf(sender: Sender): Recipient {
  const { uri, inbox, sharedInbox } = sender.account;
  return {
    id: new URL(uri),
    inboxId: new URL(inbox),
    endpoints: sharedInbox == null ? null : { sharedInbox: new URL(sharedInbox) },
  };
}

// ---------------------------------------------------------------------------
// Listeners

async function onFollow(ctx: InboxContext<FedData>, follow: Follow, sender: Sender): Promise<void> {
  const parsed = ctx.parseUri(follow.objectId);
  if (parsed?.type !== "actor") return ignore(follow, "it does not follow one of our actors");
  const identifier = parsed.identifier;
  const me = ctx.getActorUri(identifier);
  // The Follow as it came (not with anything embedded in it).
  const embedded = new Follow({ id: follow.id, actor: follow.actorId, object: follow.objectId });
  const reply = { id: new URL(`#follows/${randomUUID()}`, me), actor: me, object: embedded };
  if (identifier === SITE_ACTOR) {
    // The site account takes every follower, like a published Declaration.
    const now = new Date();
    await write(ctx, () => addSiteFollower(ctx.data.db, storeSender(ctx, sender, now), follow.id?.href ?? null, now));
    await ctx.sendActivity({ identifier }, recipientOf(sender), new Accept(reply));
    return;
  }
  const declaration = identifier === INSTANCE_ACTOR ? null : getPublicDeclaration(ctx.data.db, identifier);
  if (declaration == null || declaration.status !== "published") {
    // The instance actor and unpublished Declarations take no followers; an
    // actor that does not exist (or a draft) cannot answer at all.
    if (identifier === INSTANCE_ACTOR || declaration?.status === "withdrawn")
      await ctx.sendActivity({ identifier }, recipientOf(sender), new Reject(reply));
    else ignore(follow, "it follows no actor of ours");
    return;
  }
  const now = new Date();
  await write(ctx, () =>
    addFollower(ctx.data.db, declaration.id, storeSender(ctx, sender, now), follow.id?.href ?? null, now),
  );
  await ctx.sendActivity({ identifier }, recipientOf(sender), new Accept(reply));
}

async function onCreate(ctx: InboxContext<FedData>, create: Create, sender: Sender): Promise<void> {
  let object: APObject | null;
  try {
    object = await create.getObject(ctx);
  } catch {
    return ignore(create, "its object could not be fetched");
  }
  if (!(object instanceof Note || object instanceof Article) || object.id == null)
    return ignore(create, "its object is not a Note");
  // A copy of ours elsewhere, or the source of one of our Copies (copies.ts).
  await onRemoteArticle(ctx, create, await copyHint(ctx, object));
  const target = ourPost(ctx, object.replyTargetId);
  if (target == null) return; // Not a reply to us: nothing to keep (e.g. a post of someone we do not follow).
  if (object.attributionId?.href !== sender.uri.href)
    return ignore(create, "the reply's author is not the activity's actor");
  if (object.id.origin !== sender.uri.origin) return ignore(create, "the reply is not on its author's server");
  if (!isPublicAddressed(object, create, ctx.canonicalOrigin))
    return ignore(create, "the reply is not public, so it is not shown on the page");
  const html = responseHtml(object);
  if (html.length > MAX_RESPONSE_HTML) return ignore(create, "the reply is too long to show");
  const now = new Date();
  await write(ctx, () =>
    addResponse(
      ctx.data.db,
      {
        uri: object.id!.href,
        declarationId: target.declaration.id,
        actorId: storeSender(ctx, sender, now),
        inReplyTo: object.replyTargetId!.href,
        url: httpUrl(object.url) ?? object.id!.href,
        summary: responseSummary(object),
        contentHtml: html,
        published: toDate(object.published) ?? now,
      },
      now,
    ),
  );
}

async function onUpdate(ctx: InboxContext<FedData>, update: Update, sender: Sender): Promise<void> {
  let object: APObject | null;
  try {
    object = await update.getObject(ctx);
  } catch {
    return ignore(update, "its object could not be fetched");
  }
  if (object == null) return;
  const now = new Date();
  if (isActor(object)) {
    if (object.id?.href !== sender.uri.href) return ignore(update, "an account can only update itself");
    if (getRemoteActorByUri(ctx.data.db, sender.uri.href) == null) return; // Not someone we know.
    // Its keys are taken only from its document as we fetched it ourselves.
    const input = await remoteActorInput(ctx, object, sender.actor == null ? undefined : keyIdsOf(sender.actor));
    if (input == null) return ignore(update, "the updated account has no inbox");
    await write(ctx, () => upsertRemoteActor(ctx.data.db, input, now));
    return;
  }
  if (object instanceof Note || object instanceof Article) {
    await onRemoteArticle(ctx, update, await copyHint(ctx, object));
    const known = getRemoteActorByUri(ctx.data.db, sender.uri.href);
    if (known == null || object.id == null) return;
    const html = responseHtml(object);
    if (html.length > MAX_RESPONSE_HTML) return ignore(update, "the reply is too long to show");
    await write(ctx, () =>
      updateResponse(ctx.data.db, object.id!.href, known.id, {
        contentHtml: html,
        summary: responseSummary(object),
        updated: toDate(object.updated) ?? now,
      }),
    );
  }
}

/**
 * A report from another server: it joins visitors' reports in the site
 * owner's queue (/admin/declarations, src/services/moderation.ts).  A Flag
 * without an id (older Mastodon sent none) is keyed by its sender, objects
 * and comment, so a repeat is still stored once.
 */
async function onFlag(ctx: InboxContext<FedData>, flag: Flag, sender: Sender): Promise<void> {
  const objects = flag.objectIds.map((u) => u.href).slice(0, 50);
  const flagId =
    flag.id?.href ??
    `urn:undersign:flag:${createHash("sha256")
      .update(JSON.stringify([sender.uri.href, objects, flag.content?.toString() ?? ""]))
      .digest("hex")}`;
  let declarationId: number | null = null;
  for (const uri of flag.objectIds) {
    const declaration = ourActor(ctx, uri) ?? ourPost(ctx, uri)?.declaration ?? null;
    if (declaration != null) {
      declarationId = declaration.id;
      break;
    }
  }
  const content = [...cleanText(flag.content?.toString() ?? "")].slice(0, 5000).join("");
  const now = new Date();
  await write(ctx, () =>
    addReport(
      ctx.data.db,
      { activityUri: flagId, actorUri: sender.uri.href, declarationId, objectUris: objects, content },
      now,
    ),
  );
  logger.warn("Report {id} received from {actor}", { id: flagId, actor: sender.uri.href });
}

/** Snac's `EmojiReact` (plain ActivityStreams context) reaches the catch-all untyped; everything else here is not handled. */
function otherRelevance(ctx: InboxContext<FedData>, activity: Activity): string | null {
  return isUntypedEmojiReact(ctx, activity) ? aboutOurPost(ctx, activity) : "we do not handle this type";
}

function followsUs(ctx: InboxContext<FedData>, follow: Follow): string | null {
  return ctx.parseUri(follow.objectId)?.type === "actor" ? null : "it does not follow one of our actors";
}

/**
 * What copies.ts needs from an Article or Note as delivered: its id, and the
 * origin its `via` link names (a hint only: the Article is fetched again).
 */
async function copyHint(
  ctx: Ctx,
  object: Note | Article,
): Promise<{ id: URL | null; isArticle: boolean; viaOrigin: string | null }> {
  let viaOrigin: string | null = null;
  try {
    const json = (await object.toJsonLd({ format: "compact", contextLoader: ctx.contextLoader })) as { tag?: unknown };
    const tags = Array.isArray(json.tag) ? json.tag : json.tag == null ? [] : [json.tag];
    for (const tag of tags as Array<{ type?: unknown; rel?: unknown; href?: unknown }>) {
      const rels = Array.isArray(tag?.rel) ? tag.rel : [tag?.rel];
      if (tag?.type === "Link" && rels.includes("via") && typeof tag.href === "string" && URL.canParse(tag.href))
        viaOrigin = new URL(tag.href).origin;
    }
  } catch {
    viaOrigin = null;
  }
  return { id: object.id, isArticle: object instanceof Article, viaOrigin };
}

builder
  .setInboxListeners(INBOX_PATHS.personal, INBOX_PATHS.shared)
  .on(Follow, guarded(onFollow, followsUs))
  .on(Undo, guarded(onUndo))
  .on(Like, guarded(onReaction, aboutOurPost))
  .on(EmojiReact, guarded(onReaction, aboutOurPost))
  .on(Announce, guarded(onAnnounce, aboutOurPost))
  .on(Create, guarded(onCreate))
  .on(Update, guarded(onUpdate))
  .on(Delete, guarded(onDelete))
  .on(Flag, guarded(onFlag))
  .on(
    QuoteRequest,
    guarded((ctx, request: QuoteRequest) => onQuoteRequest(ctx, request)),
  )
  .on(Activity, guarded(onReaction, otherRelevance))
  .onError((_ctx, error) => {
    logger.error("An inbox listener failed: {error}", { error });
  })
  .onUnverifiedActivity(onUnverifiedActivity)
  // Every listener is idempotent by itself (each thing is stored once, by its
  // id), and servers legitimately send an id again: Misskey's Follow id is the
  // same after an unfollow, snac's Like id after an unlike.  Fedify's 24-hour
  // de-duplication by id would drop those, so it is off.
  .withIdempotency(() => null)
  .setSharedKeyDispatcher(() => ({ identifier: INSTANCE_ACTOR }));
