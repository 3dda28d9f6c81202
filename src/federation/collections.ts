/**
 * A Declaration actor's collections: followers (paged; whole for delivery
 * and for followers-collection synchronization),
 * the outbox (newest first) and the featured (pinned) announcement.  The
 * site account has the same collections, over its own followers and posts
 * (nothing pinned).
 */
import { Note } from "@fedify/vocab";
import type { Context, RequestContext } from "@fedify/fedify";
import { getPublicDeclaration } from "../db/declarations.ts";
import { countFollowers, followersPage, listFollowerRecipients } from "../db/fediverse.ts";
import { countActivities, getPost, outboxPage } from "../db/posts.ts";
import {
  countSiteFollowers,
  countSitePosts,
  listSiteFollowerRecipients,
  siteFollowersPage,
  siteOutboxPage,
} from "../db/site-account.ts";
import { builder, SITE_ACTOR, type FedData } from "./builder.ts";
import { buildActivity, buildPostObject } from "./objects.ts";
import { buildSiteActivity } from "./site-account.ts";

const PAGE_SIZE = 50;

function declarationFor(ctx: Context<FedData>, identifier: string) {
  return getPublicDeclaration(ctx.data.db, identifier);
}

function parseCursor(cursor: string): number {
  return /^\d{1,15}$/.test(cursor) ? Number(cursor) : 0;
}

builder
  .setFollowersDispatcher("/d/{identifier}/followers", (ctx, identifier, cursor, baseUri) => {
    const toRecipient = (r: { uri: string; inbox: string; sharedInbox: string | null }) => ({
      id: new URL(r.uri),
      inboxId: new URL(r.inbox),
      endpoints: r.sharedInbox == null ? null : { sharedInbox: new URL(r.sharedInbox) },
    });
    if (identifier === SITE_ACTOR) {
      if (cursor == null) return { items: listSiteFollowerRecipients(ctx.data.db, baseUri?.href).map(toRecipient) };
      const rows = siteFollowersPage(ctx.data.db, parseCursor(cursor), PAGE_SIZE, baseUri?.href);
      return {
        items: rows.map(toRecipient),
        nextCursor: rows.length < PAGE_SIZE ? null : String(rows[rows.length - 1]!.id),
      };
    }
    const declaration = declarationFor(ctx, identifier);
    if (declaration == null) return null;
    if (cursor == null) {
      // Every follower at once (what delivery to "followers" needs), or only
      // those on one server when it asks to synchronize its view (FEP-8fcf).
      return { items: listFollowerRecipients(ctx.data.db, declaration.id, baseUri?.href).map(toRecipient) };
    }
    // Pages of a server's own followers (asked for with a cursor; the
    // synchronization itself gets them all at once, above).
    const rows = followersPage(ctx.data.db, declaration.id, parseCursor(cursor), PAGE_SIZE, baseUri?.href);
    return {
      items: rows.map(toRecipient),
      nextCursor: rows.length < PAGE_SIZE ? null : String(rows[rows.length - 1]!.id),
    };
  })
  .setCounter((ctx, identifier) => {
    if (identifier === SITE_ACTOR) return countSiteFollowers(ctx.data.db);
    const declaration = declarationFor(ctx, identifier);
    return declaration == null ? null : countFollowers(ctx.data.db, declaration.id);
  })
  // A first page is what makes Mastodon show the collection as public.  But
  // the partial collection a server asks for to synchronize its view
  // (FEP-8fcf, `?base-url=`) is served whole, without pages: Mastodon before
  // 4.3.7 reads only its first page and unfollows everyone not on it.
  .setFirstCursor((ctx) => (isSynchronization(ctx) ? null : "0"));

/** A request for the partial followers collection of one server (FEP-8fcf). */
function isSynchronization(ctx: Context<FedData>): boolean {
  return "url" in ctx && (ctx as RequestContext<FedData>).url.searchParams.has("base-url");
}

// Declarations and the site account follow no one.  The empty collection is served (with a first
// page) because Mastodon hides an account's follower list when its following
// collection is missing.
builder
  .setFollowingDispatcher("/d/{identifier}/following", (ctx, identifier, cursor) => {
    if (identifier !== SITE_ACTOR && declarationFor(ctx, identifier) == null) return null;
    return cursor == null ? { items: [] } : { items: [], nextCursor: null };
  })
  .setCounter((ctx, identifier) => (identifier !== SITE_ACTOR && declarationFor(ctx, identifier) == null ? null : 0))
  .setFirstCursor(() => "0");

builder
  .setOutboxDispatcher("/d/{identifier}/outbox", async (ctx, identifier, cursor) => {
    if (identifier === SITE_ACTOR) {
      if (cursor == null) return null;
      const posts = siteOutboxPage(ctx.data.db, parseCursor(cursor), PAGE_SIZE);
      return {
        items: posts.flatMap((post) => buildSiteActivity(ctx, post) ?? []),
        nextCursor: posts.length < PAGE_SIZE ? null : String(posts[posts.length - 1]!.id),
      };
    }
    const declaration = declarationFor(ctx, identifier);
    if (declaration == null) return null;
    if (cursor == null) return null;
    const entries = outboxPage(ctx.data.db, declaration.id, parseCursor(cursor), PAGE_SIZE);
    const items = [];
    for (const entry of entries) {
      const activity = await buildActivity(ctx, declaration, entry, { embed: "when-small" });
      if (activity != null) items.push(activity);
    }
    return {
      items,
      nextCursor: entries.length < PAGE_SIZE ? null : String(entries[entries.length - 1]!.activity.id),
    };
  })
  .setCounter((ctx, identifier) => {
    if (identifier === SITE_ACTOR) return countSitePosts(ctx.data.db);
    const declaration = declarationFor(ctx, identifier);
    return declaration == null ? null : countActivities(ctx.data.db, declaration.id);
  })
  .setFirstCursor(() => "0");

builder.setFeaturedDispatcher("/d/{identifier}/featured", (ctx, identifier) => {
  if (identifier === SITE_ACTOR) return { items: [] };
  const declaration = declarationFor(ctx, identifier);
  if (declaration == null) return null;
  const announcement = getPost(ctx.data.db, declaration.id, "announcement");
  const note =
    announcement == null
      ? null
      : buildPostObject(ctx, declaration, announcement, announcement.revision, announcement.updated);
  return { items: note instanceof Note ? [note] : [] };
});
