/**
 * What the inbox listeners share: our posts and actors recognised from their
 * URIs, the group-committed write, the one-line "ignored" log, and the guard
 * every listener runs behind (blocked servers, then a proven sender).
 */
import type { Context, InboxContext } from "@fedify/fedify";
import type { Activity } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import { getPublishedDeclaration } from "../db/declarations.ts";
import { isDomainBlocked, upsertRemoteActor, type RemoteActorInput } from "../db/fediverse.ts";
import type { Declaration, FedPost, RemoteActor } from "../db/schema.ts";
import { INSTANCE_ACTOR, type FedData } from "./builder.ts";
import { findOurPost } from "./objects.ts";
import { authenticSender, type Sender } from "./signer.ts";

export const logger = getLogger(["undersign", "federation", "inbox"]);

export type Ctx = InboxContext<FedData> | Context<FedData>;

export interface OurPost {
  post: FedPost;
  declaration: Declaration;
}

/** The published Declaration post (Article or Note) that `uri` names, if it is one of ours. */
export function ourPost(ctx: Ctx, uri: URL | null): OurPost | null {
  const found = findOurPost(ctx, uri);
  return found?.declaration.status === "published" ? found : null;
}

/** The Declaration whose actor `uri` is, if it is one of ours and published. */
export function ourActor(ctx: Ctx, uri: URL | null): Declaration | null {
  if (uri == null) return null;
  const parsed = ctx.parseUri(uri);
  if (parsed?.type !== "actor" || parsed.identifier === INSTANCE_ACTOR) return null;
  return getPublishedDeclaration(ctx.data.db, parsed.identifier) ?? null;
}

export function write<T>(ctx: Ctx, fn: () => T): Promise<T> {
  return ctx.data.batcher.run(fn);
}

export function ignore(activity: Activity, why: string): void {
  logger.info("Ignored {type} {id} from {actor}: {why}", {
    type: activity.constructor.name,
    id: activity.id?.href ?? "(no id)",
    actor: activity.actorId?.href ?? "(no actor)",
    why,
  });
}

/** Stores (or refreshes) the sender inside a write; returns its row id. */
export function storeSender(ctx: Ctx, sender: Sender, now: Date): number {
  const account = sender.account;
  if ("id" in account && typeof account.id === "number") return account.id;
  return upsertRemoteActor(ctx.data.db, account as RemoteActorInput, now).id;
}

export function displayName(account: RemoteActorInput | RemoteActor): string {
  return account.name ?? account.handle ?? account.uri;
}

/**
 * Runs a listener only for activities whose actor is not on a blocked
 * domain and is proven to have sent them (signer.ts); the others are
 * ignored with a log line.  `relevant`, when given, is asked first (it must
 * be cheap and fetch nothing): what does not concern us is ignored without
 * fetching its actor.
 */
export function guarded<T extends Activity>(
  handler: (ctx: InboxContext<FedData>, activity: T, sender: Sender) => Promise<void>,
  relevant?: (ctx: InboxContext<FedData>, activity: T) => string | null,
) {
  return async (ctx: InboxContext<FedData>, activity: T): Promise<void> => {
    if (activity.actorId != null && isDomainBlocked(ctx.data.db, activity.actorId.hostname))
      return ignore(activity, "its server is blocked here");
    const irrelevant = relevant?.(ctx, activity) ?? null;
    if (irrelevant != null) return ignore(activity, irrelevant);
    const sender = await authenticSender(ctx, activity);
    if (sender == null) return ignore(activity, "it is not signed with a key its actor's own document names");
    await handler(ctx, activity, sender);
  };
}

/** For `guarded`: why an activity about something that is not one of our posts is ignored, or null. */
export function aboutOurPost(ctx: Ctx, activity: Activity): string | null {
  return ourPost(ctx, activity.objectId) == null ? "its object is not a post of a published Declaration here" : null;
}
