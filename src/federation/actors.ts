/**
 * Actors: every published Declaration is a `Service` (it posts by itself) at
 * the same URL as its page, `/d/{slug}` — a browser gets the page, a server
 * asking for ActivityPub JSON gets the actor.  Plus the instance actor, which
 * signs our fetches from other servers.  Handles are `@{slug}@{host}`.
 */
import { Application, Endpoints, Image, PropertyValue, Service, type Actor } from "@fedify/vocab";
import type { Context } from "@fedify/fedify";
import { getPublicDeclaration } from "../db/declarations.ts";
import { escapeHtml, markdownToText } from "../markdown.ts";
import { isValidSlug } from "../slug.ts";
import { builder, INSTANCE_ACTOR, type FedData } from "./builder.ts";
import { actorKeyPairs } from "./keys.ts";
import { SIGN_LINE } from "./objects.ts";
import { instant } from "./time.ts";

/** Shared images (a generated image per Declaration would be nicer). */
const AVATAR_PATH = "/static/avatar.png";
const HEADER_PATH = "/static/header.png";

function images(ctx: Context<FedData>, title: string) {
  return {
    icon: new Image({
      url: new URL(AVATAR_PATH, ctx.canonicalOrigin),
      mediaType: "image/png",
      name: `${title}: avatar`,
    }),
    image: new Image({
      url: new URL(HEADER_PATH, ctx.canonicalOrigin),
      mediaType: "image/png",
      name: `${title}: header`,
    }),
  };
}

function anchor(url: URL, text: string): string {
  return `<a href="${escapeHtml(url.href)}" rel="me nofollow noopener" target="_blank">${escapeHtml(text)}</a>`;
}

/**
 * The actor of a Declaration (or the instance actor), as served at its id and
 * as sent in an `Update` of its profile; null when there is no such actor.
 */
export async function buildActor(ctx: Context<FedData>, identifier: string): Promise<Actor | null> {
  const keys = await keysFor(ctx, identifier);
  if (keys == null) return null;
  const common = {
    id: ctx.getActorUri(identifier),
    preferredUsername: identifier,
    inbox: ctx.getInboxUri(identifier),
    endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
    publicKey: keys[0]!.cryptographicKey,
    assertionMethods: keys.map((k) => k.multikey),
  };
  if (identifier === INSTANCE_ACTOR) {
    return new Application({
      ...common,
      name: ctx.data.instanceName,
      summary: `<p>The server of ${escapeHtml(ctx.data.instanceName)}. It signs this server's requests; it does not post.</p>`,
      url: new URL("/", ctx.canonicalOrigin),
      manuallyApprovesFollowers: true,
      discoverable: false,
      indexable: false,
    });
  }
  const declaration = getPublicDeclaration(ctx.data.db, identifier)!;
  const page = ctx.getActorUri(identifier);
  const summaryText = markdownToText(declaration.summary);
  const fields = [
    new PropertyValue({ name: "Signatures", value: declaration.signatureCount.toLocaleString("en") }),
    new PropertyValue({ name: "Sign", value: anchor(page, page.host + page.pathname) }),
    new PropertyValue({ name: "Version", value: String(declaration.revision) }),
  ];
  if (declaration.license !== "")
    fields.push(new PropertyValue({ name: "License", value: escapeHtml(declaration.license) }));
  if (declaration.sourceUrl != null) {
    const source = new URL(declaration.sourceUrl);
    fields.push(new PropertyValue({ name: "Copy of", value: anchor(source, declaration.sourceTitle ?? source.href) }));
  }
  return new Service({
    ...common,
    name: declaration.title,
    summary: `${summaryText === "" ? "" : `<p>${escapeHtml(summaryText)}</p>`}<p>${escapeHtml(SIGN_LINE)}</p>`,
    url: page,
    ...images(ctx, declaration.title),
    attachments: fields,
    published: instant(declaration.created),
    followers: ctx.getFollowersUri(identifier),
    following: ctx.getFollowingUri(identifier),
    outbox: ctx.getOutboxUri(identifier),
    featured: ctx.getFeaturedUri(identifier),
    manuallyApprovesFollowers: false,
    discoverable: declaration.status === "published",
    indexable: declaration.status === "published",
  });
}

const actorDispatcher = builder.setActorDispatcher("/d/{identifier}", buildActor);

/** Key pairs of an existing actor, or null when there is no such actor. */
async function keysFor(ctx: Context<FedData>, identifier: string) {
  if (identifier !== INSTANCE_ACTOR && getPublicDeclaration(ctx.data.db, identifier) == null) return null;
  return ctx.getActorKeyPairs(identifier);
}

actorDispatcher
  .setKeyPairsDispatcher(async (ctx, identifier) => {
    if (identifier !== INSTANCE_ACTOR && getPublicDeclaration(ctx.data.db, identifier) == null) return [];
    return actorKeyPairs(ctx.data.db, identifier);
  })
  // WebFinger's `acct:{slug}@{host}` names the actor whose identifier is the
  // slug.  Handles are compared without regard to case, as Mastodon does; a
  // name that cannot be a slug names no one (and is not looked up).
  .mapHandle((_ctx, username) => {
    const identifier = username.toLowerCase();
    return identifier === INSTANCE_ACTOR || isValidSlug(identifier) ? identifier : null;
  });

/**
 * Activity intents (FEP-3b86) and the older OStatus subscribe template: where
 * someone who found an object elsewhere can open it on this site.
 * `/interact` sends our own objects to their pages and shows what a remote
 * one is.
 */
builder.setWebFingerLinksDispatcher((ctx) => {
  const base = new URL("/interact", ctx.canonicalOrigin).href;
  return [
    { rel: "http://ostatus.org/schema/1.0/subscribe", template: `${base}?uri={uri}` },
    { rel: "https://w3id.org/fep/3b86/Object", template: `${base}?uri={object}` },
  ];
});
