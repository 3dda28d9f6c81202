/**
 * `Delete`.  Of a response: by its author only.  Of an account: believed
 * only when proven for that account — a signature by a key its own actor
 * document names (the `guarded` listener), or, for a deleted account whose
 * key can no longer be fetched, its own id answering 404 or 410 when we
 * fetch it ourselves (`provenGone`).  Everything else about the account is
 * ignored: a Delete signed by anyone else, or by a key that merely claims
 * the account as its owner, changes nothing.
 */
import type { InboxContext, RequestContext } from "@fedify/fedify";
import { Delete, type Activity } from "@fedify/vocab";
import { deleteRemoteActor, deleteResponse, getRemoteActorByUri, isDomainBlocked } from "../db/fediverse.ts";
import type { FedData } from "./builder.ts";
import { onRemoteDelete } from "./copies.ts";
import { logger, write, type Ctx } from "./inbox-common.ts";
import { provenGone, type Sender } from "./signer.ts";

/** Forgets an account deleted on its server: its signatures are withdrawn, its follows, reactions, boosts and responses removed. */
export async function forgetAccount(ctx: Ctx, actorUri: URL, how: string): Promise<void> {
  const removed = await write(ctx, () => deleteRemoteActor(ctx.data.db, actorUri.href, new Date()));
  if (removed)
    logger.info("Account {actor} was deleted on its server ({how}): its signatures and responses are removed", {
      actor: actorUri.href,
      how,
    });
  await onRemoteDelete(ctx, actorUri, actorUri);
}

export async function onDelete(ctx: InboxContext<FedData>, del: Delete, sender: Sender): Promise<void> {
  const objectId = del.objectId;
  if (objectId == null) return;
  if (objectId.href === sender.uri.href) return forgetAccount(ctx, sender.uri, "signed with its own key");
  await onRemoteDelete(ctx, sender.uri, objectId);
  const known = getRemoteActorByUri(ctx.data.db, sender.uri.href);
  if (known == null) return;
  await write(ctx, () => deleteResponse(ctx.data.db, objectId.href, known.id));
}

/**
 * Fedify's handler for activities whose signature could not be verified: a
 * `Delete` of its own actor is believed when the actor's id answers 404 or
 * 410 to us (202); anything else is refused (401).
 */
export async function onUnverifiedActivity(
  ctx: RequestContext<FedData>,
  activity: Activity,
): Promise<Response | undefined> {
  const actorId = activity.actorId;
  if (!(activity instanceof Delete) || actorId == null || activity.objectId?.href !== actorId.href) return undefined;
  if (isDomainBlocked(ctx.data.db, actorId.hostname)) return undefined;
  if (!(await provenGone(ctx.data, actorId))) {
    logger.info("Ignored a Delete of {actor} that its signature does not prove, and that its server does not confirm", {
      actor: actorId.href,
    });
    return undefined;
  }
  await forgetAccount(ctx, actorId, "its actor answers 404 or 410");
  return new Response(null, { status: 202 });
}
