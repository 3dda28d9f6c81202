/** Mounts every web area.  The app composes it after the federation middleware. */
import { Hono } from "hono";
import { accountRoutes } from "./accounts/index.ts";
import { api } from "./api/index.ts";
import { avatarRoutes } from "./fediverse/index.ts";
import { botRoutes } from "./bot/index.ts";
import { compareElsewhereRoutes } from "./copies/index.ts";
import { copiesElsewhereRoutes } from "./copies/index.ts";
import { diffRoutes } from "./diffs/index.ts";
import { staticRoutes } from "./kit/assets.ts";
import type { WebEnv } from "./kit/context.ts";
import { declarationRouter } from "./declaration-routes.ts";
import { health } from "./health.ts";
import { interactRoutes, siteFollowRoutes } from "./fediverse/index.ts";
import { mediaRoutes } from "./media/index.ts";
import { memeRoutes } from "./media/index.ts";
import { languageRoutes } from "./languages/index.ts";
import { pages } from "./declarations/index.ts";
import { powRoutes } from "./signing/index.ts";
import { privacy } from "./site-pages/index.ts";
import { sessionMiddleware } from "./kit/session.ts";
import { sharingRoutes } from "./sharing/index.ts";
import { signer } from "./signing/index.ts";
import { sitePageRoutes } from "./site-pages/index.ts";
import { statsRoutes } from "./stats/index.ts";
import { adminRouter } from "./admin/index.ts";
import { strikeRoutes } from "./strike/index.ts";
import { tagRoutes } from "./fediverse/index.ts";

/**
 * Requests that never read a session (so never set its cookie): health,
 * static files, images, and sharing and embedding.  The session middleware
 * skips exactly these, whatever the order of the mounts below.
 */
const SESSIONLESS = [
  /^\/healthz$/,
  /^\/static\/[^/]+$/,
  /^\/media\/(avatars\/)?[^/]+$/,
  /^\/share\/mastodon$/,
  /^\/embed(\/d\/[^/]+|\/strike-banner\.js)?$/,
  /^\/strike\/preview\.png$/,
  /^\/api\/strike$/,
  /^\/d\/[^/]+\/(qr\.svg|preview\.png|feed\.atom|badge\.svg)$/,
];

export const web = new Hono<WebEnv>();
// Who is logged in (reads the database only when a session cookie is sent).
web.use("*", (c, next) => {
  const method = c.req.method;
  if ((method === "GET" || method === "HEAD") && SESSIONLESS.some((p) => p.test(c.req.path))) return next();
  return sessionMiddleware(c, next);
});

web.route("/", health);
web.route("/static", staticRoutes);
// Uploaded images and remote avatars, served from our origin.
web.route("/media", mediaRoutes);
web.route("/media", avatarRoutes);
// Sharing and embeds: /share, /embed, the strike's preview image, its JSON at /api/strike.
web.route("/", sharingRoutes);
// Every address of a Declaration.
web.route("/d", declarationRouter);
// JSON under /api: the proof-of-work challenge and the numbers (/stats too), then the API, whose
// CORS headers and catch-all JSON 404 cover what is left of /api (so it is mounted after them).
web.route("/api/pow", powRoutes);
web.route("/", statsRoutes);
web.route("/api", api);
// The signer's private pages, behind the link in their mail.
web.route("/s", signer);
// The strike page and pledges; the strike bot.
web.route("/strike", strikeRoutes);
web.route("/bot", botRoutes);
// Administration: the site, the fediverse, the strike, images, the site pages' editor.
web.route("/admin", adminRouter);
// The list of Declarations (/), accounts, copies from other sites,
// comparisons, the fediverse (/interact, /ap/*, /tags), site pages and images: distinct paths.
web.route("/", pages);
web.route("/", accountRoutes);
web.route("/", copiesElsewhereRoutes);
web.route("/", compareElsewhereRoutes);
web.route("/", diffRoutes);
web.route("/", interactRoutes);
web.route("/", siteFollowRoutes);
web.route("/", tagRoutes);
web.route("/", sitePageRoutes);
web.route("/", privacy);
web.route("/", memeRoutes);
web.route("/", languageRoutes);

export { apiError, notFoundPage } from "./kit/errors.tsx";
export type { WebDeps, WebEnv } from "./kit/context.ts";
