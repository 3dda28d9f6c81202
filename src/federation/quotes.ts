/**
 * Quotes (FEP-044f, as Mastodon 4.5 implements them).  Our posts say that
 * anyone may quote them (`interactionPolicy.canQuote`, objects.ts).  A server
 * whose user quotes one sends us a `QuoteRequest`: its `object` is our post,
 * its `instrument` the quoting post.  Mastodon keeps the quote pending (and
 * shows it to no one else) until the quoted post's author answers with an
 * `Accept` whose `result` is a `QuoteAuthorization` — a stamp on the author's
 * server that every server showing the quote fetches to check it.
 *
 * We approve every quote of a published Declaration's post: the stamp is
 * stored (one per quoting post) and served at `/ap/quote-authorizations/{uuid}`.
 * Posts of a withdrawn Declaration are not to be quoted any more: the request
 * gets a `Reject`.
 */
import { randomUUID } from "node:crypto";
import type { InboxContext } from "@fedify/fedify";
import { Accept, isActor, QuoteAuthorization, QuoteRequest, Reject } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import { getDeclarationById } from "../db/declarations.ts";
import { authorizeQuote, getQuoteAuthorization } from "../db/quotes.ts";
import { builder, type FedData } from "./builder.ts";
import { findOurPost, postUri } from "./objects.ts";

const logger = getLogger(["undersign", "federation", "inbox"]);

function ignore(request: QuoteRequest, why: string): void {
  logger.info("Ignored QuoteRequest {id} from {actor}: {why}", {
    id: request.id?.href ?? "(no id)",
    actor: request.actorId?.href ?? "(no actor)",
    why,
  });
}

/** Answers a `QuoteRequest` for one of our posts: `Accept` with a stamp, or `Reject`. */
export async function onQuoteRequest(ctx: InboxContext<FedData>, request: QuoteRequest): Promise<void> {
  const target = findOurPost(ctx, request.objectId);
  if (target == null) return ignore(request, "its object is not a post here");
  const actorId = request.actorId;
  const instrumentId = request.instrumentId;
  if (request.id == null || actorId == null || instrumentId == null)
    return ignore(request, "it has no id, actor or instrument");
  // The request and the quoting post must be the requester's own (Mastodon
  // checks the same): no stamp for someone else's post.
  if (request.id.origin !== actorId.origin || instrumentId.origin !== actorId.origin)
    return ignore(request, "it is not on its actor's server");
  let requester: Awaited<ReturnType<typeof request.getActor>>;
  try {
    requester = await request.getActor(ctx);
  } catch (error) {
    logger.warning("Could not fetch {actor} to answer its QuoteRequest; the sender will retry: {error}", {
      actor: actorId.href,
      error,
    });
    throw error;
  }
  if (requester == null || !isActor(requester) || requester.id?.href !== actorId.href)
    return ignore(request, "its actor could not be fetched");
  const { post, declaration } = target;
  const me = ctx.getActorUri(declaration.slug);
  // The request as it came, with the quoting post by reference.
  const embedded = new QuoteRequest({
    id: request.id,
    actor: actorId,
    object: request.objectId,
    instrument: instrumentId,
  });
  if (declaration.status !== "published") {
    await ctx.sendActivity(
      { identifier: declaration.slug },
      requester,
      new Reject({ id: new URL(`#quote-rejects/${randomUUID()}`, me), actor: me, object: embedded }),
    );
    return;
  }
  const now = new Date();
  const stamp = await ctx.data.batcher.run(() =>
    authorizeQuote(ctx.data.db, {
      declarationId: declaration.id,
      postId: post.id,
      interactingObject: instrumentId.href,
      actorUri: actorId.href,
      requestUri: request.id!.href,
      now,
    }),
  );
  const result = ctx.getObjectUri(QuoteAuthorization, { uuid: stamp.uuid });
  await ctx.sendActivity(
    { identifier: declaration.slug },
    requester,
    new Accept({ id: new URL(`#quote-accepts/${randomUUID()}`, me), actor: me, object: embedded, result, to: actorId }),
  );
  logger.info("Approved the quote of {post} by {instrument}", {
    post: request.objectId!.href,
    instrument: instrumentId.href,
  });
}

// The stamps, served for every server that shows the quote and checks it.
builder.setObjectDispatcher(QuoteAuthorization, "/ap/quote-authorizations/{uuid}", (ctx, { uuid }) => {
  const found = getQuoteAuthorization(ctx.data.db, uuid);
  if (found == null) return null;
  const declaration = getDeclarationById(ctx.data.db, found.stamp.declarationId);
  if (declaration == null || declaration.status === "draft") return null;
  return new QuoteAuthorization({
    id: ctx.getObjectUri(QuoteAuthorization, { uuid }),
    attribution: ctx.getActorUri(declaration.slug),
    interactingObject: new URL(found.stamp.interactingObject),
    interactionTarget: postUri(ctx, found.post),
  });
});
