/**
 * Quote authorizations (FEP-044f stamps) given to posts elsewhere that quote
 * one of ours (`fed_quote_authorizations`; src/federation/quotes.ts).
 */
import { randomUUID } from "node:crypto";
import { and, eq } from "drizzle-orm";
import type { DbLike } from "./client.ts";
import { fedPosts, fedQuoteAuthorizations, type FedPost, type FedQuoteAuthorization } from "./schema.ts";

export interface NewQuoteAuthorization {
  declarationId: number;
  postId: number;
  interactingObject: string;
  actorUri: string;
  requestUri: string | null;
  now: Date;
}

/**
 * The stamp for one quoting post of one of our posts: created the first time,
 * the same one afterwards (a repeated request, or a retry, gets the same id).
 */
export function authorizeQuote(tx: DbLike, input: NewQuoteAuthorization): FedQuoteAuthorization {
  const inserted = tx
    .insert(fedQuoteAuthorizations)
    .values({
      uuid: randomUUID(),
      declarationId: input.declarationId,
      postId: input.postId,
      interactingObject: input.interactingObject,
      actorUri: input.actorUri,
      requestUri: input.requestUri,
      created: input.now,
    })
    .onConflictDoNothing()
    .returning()
    .get();
  if (inserted != null) return inserted;
  return tx
    .select()
    .from(fedQuoteAuthorizations)
    .where(
      and(
        eq(fedQuoteAuthorizations.postId, input.postId),
        eq(fedQuoteAuthorizations.interactingObject, input.interactingObject),
      ),
    )
    .get()!;
}

/** A stamp by its public id, with the post of ours it lets be quoted. */
export function getQuoteAuthorization(
  db: DbLike,
  uuid: string,
): { stamp: FedQuoteAuthorization; post: Pick<FedPost, "uuid" | "kind"> } | undefined {
  return db
    .select({ stamp: fedQuoteAuthorizations, post: { uuid: fedPosts.uuid, kind: fedPosts.kind } })
    .from(fedQuoteAuthorizations)
    .innerJoin(fedPosts, eq(fedPosts.id, fedQuoteAuthorizations.postId))
    .where(eq(fedQuoteAuthorizations.uuid, uuid))
    .get();
}
