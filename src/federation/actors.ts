/**
 * Actors: every published Declaration is a `Service` (it posts by itself) at
 * the same URL as its page, `/d/{slug}` — a browser gets the page, a server
 * asking for ActivityPub JSON gets the actor.  Plus the instance actor, which
 * signs our fetches from other servers and takes no followers, and the site
 * account (site-account.ts), which people follow to hear of the whole site.
 * Handles are `@{slug}@{host}`, and the site account's is the owner's choice.
 */
import {
  Application,
  Endpoints,
  Image,
  PropertyValue,
  Service,
  type Actor,
  type CryptographicKey,
  type Multikey,
} from "@fedify/vocab";
import type { Context } from "@fedify/fedify";
import { getDeclarationBySlug, getPublicDeclaration } from "../db/declarations.ts";
import { escapeHtml, markdownToText } from "../markdown.ts";
import { isValidSlug } from "../slug.ts";
import { builder, INSTANCE_ACTOR, SITE_ACTOR, type FedData } from "./builder.ts";
import { actorKeyPairs } from "./keys.ts";
import { SIGN_LINE } from "./objects.ts";
import { siteAccountBegan, siteHandleOf, siteIntroductionOf } from "./site-account.ts";
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
  const common: ActorCommon = {
    id: ctx.getActorUri(identifier),
    preferredUsername: identifier,
    inbox: ctx.getInboxUri(identifier),
    endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
    publicKey: keys[0]!.cryptographicKey,
    assertionMethods: keys.map((k) => k.multikey),
  };
  if (identifier === SITE_ACTOR) return buildSiteActor(ctx, common);
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

/**
 * The site account: a `Service` (the bot mark) named after the site, with the
 * owner's introduction, the site's avatar and header, and links to the site,
 * the strike and the FAQ.  Its profile says that it does not sign anything.
 */
function buildSiteActor(ctx: Context<FedData>, common: ActorCommon): Actor {
  const name = ctx.data.instanceName;
  const link = (path: string) => {
    const url = new URL(path, ctx.canonicalOrigin);
    return anchor(url, url.host + (url.pathname === "/" ? "" : url.pathname));
  };
  const began = siteAccountBegan(ctx);
  return new Service({
    ...common,
    preferredUsername: siteHandleOf(ctx.data),
    name,
    summary:
      `<p>${escapeHtml(siteIntroductionOf(ctx.data))}</p>` +
      `<p>${escapeHtml(`This account speaks for ${name}: new Declarations and copies, the strike, and boosts of the Declarations’ news. Favouriting its posts signs nothing; each Declaration has its own account to sign with.`)}</p>`,
    url: new URL("/", ctx.canonicalOrigin),
    ...images(ctx, name),
    attachments: [
      new PropertyValue({ name: "Site", value: link("/") }),
      new PropertyValue({ name: "Strike", value: link("/strike") }),
      new PropertyValue({ name: "FAQ", value: link("/faq") }),
    ],
    ...(began == null ? {} : { published: instant(began) }),
    followers: ctx.getFollowersUri(SITE_ACTOR),
    following: ctx.getFollowingUri(SITE_ACTOR),
    outbox: ctx.getOutboxUri(SITE_ACTOR),
    featured: ctx.getFeaturedUri(SITE_ACTOR),
    manuallyApprovesFollowers: false,
    discoverable: true,
    indexable: true,
  });
}

type ActorCommon = {
  id: URL;
  preferredUsername: string;
  inbox: URL;
  endpoints: Endpoints;
  publicKey: CryptographicKey;
  assertionMethods: Multikey[];
};

const actorDispatcher = builder.setActorDispatcher("/d/{identifier}", buildActor);

/** Key pairs of an existing actor, or null when there is no such actor. */
async function keysFor(ctx: Context<FedData>, identifier: string) {
  if (!isServerActor(identifier) && getPublicDeclaration(ctx.data.db, identifier) == null) return null;
  return ctx.getActorKeyPairs(identifier);
}

actorDispatcher
  .setKeyPairsDispatcher(async (ctx, identifier) => {
    if (!isServerActor(identifier) && getPublicDeclaration(ctx.data.db, identifier) == null) return [];
    return actorKeyPairs(ctx.data.db, identifier);
  })
  // WebFinger's `acct:{slug}@{host}` names the actor whose identifier is the
  // slug, and the site account's handle names the site account — unless a
  // Declaration already has that slug (it keeps its handle; the owner is
  // told at start to choose another, runtime.ts).  Handles are compared
  // without regard to case, as Mastodon does; a name that cannot be a slug
  // names no one (and is not looked up).
  .mapHandle((ctx, username) => {
    const identifier = username.toLowerCase();
    if (identifier === siteHandleOf(ctx.data) && getDeclarationBySlug(ctx.data.db, identifier) == null)
      return SITE_ACTOR;
    return identifier === INSTANCE_ACTOR || isValidSlug(identifier) ? identifier : null;
  })
  // Searching for the site's address finds the site account.
  .mapAlias((ctx, resource) =>
    resource.href === new URL("/", ctx.canonicalOrigin).href ? { identifier: SITE_ACTOR } : null,
  );

/** The actors that are the server's own, not a Declaration's. */
function isServerActor(identifier: string): boolean {
  return identifier === INSTANCE_ACTOR || identifier === SITE_ACTOR;
}

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
