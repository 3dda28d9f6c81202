/** Mounts every web area.  The app composes it after the federation middleware. */
import { Hono } from "hono";
import { accountRoutes } from "./accounts/index.ts";
import { api } from "./api/index.ts";
import { avatarRoutes } from "./fediverse/index.ts";
import { botRoutes } from "./bot/index.ts";
import { copyRoutes } from "./copies/index.ts";
import { compareElsewhereRoutes } from "./copies/index.ts";
import { copiesElsewhereRoutes } from "./copies/index.ts";
import { mergeRoutes } from "./copies/index.ts";
import { diffRoutes } from "./diffs/index.ts";
import { federationAdminRoutes } from "./admin/index.ts";
import { staticRoutes } from "./kit/assets.ts";
import type { WebEnv } from "./kit/context.ts";
import { health } from "./health.ts";
import { interactRoutes } from "./fediverse/index.ts";
import { lineageRoutes } from "./copies/index.ts";
import { mediaAdminRoutes, mediaRoutes } from "./media/index.ts";
import { memeRoutes } from "./media/index.ts";
import { pages } from "./declarations/index.ts";
import { powRoutes } from "./signing/index.ts";
import { privacy } from "./site-pages/index.ts";
import { responseRoutes } from "./fediverse/index.ts";
import { sessionMiddleware } from "./kit/session.ts";
import { sharingRoutes } from "./sharing/index.ts";
import { sign } from "./signing/index.ts";
import { signer } from "./signing/index.ts";
import { sitePageRoutes } from "./site-pages/index.ts";
import { statsRoutes } from "./stats/index.ts";
import { strikeAdminRoutes } from "./admin/index.ts";
import { strikeRoutes } from "./strike/index.ts";
import { tagRoutes } from "./fediverse/index.ts";

export const web = new Hono<WebEnv>();
web.route("/", health);
web.route("/static", staticRoutes);
// Remote avatars, served from our origin (no session needed).
web.route("/", avatarRoutes);
// Uploaded images (no session needed either).
web.route("/", mediaRoutes);
// Sharing and embeds: QR codes, preview images, feeds, badges, the embeds and the strike banner (no session).
web.route("/", sharingRoutes);
// Who is logged in, for every route below (reads the database only when a session cookie is sent).
web.use("*", sessionMiddleware);
web.route("/api/pow", powRoutes);
// The movement in numbers (/stats, its JSON under /api, /d/{slug}/stats) before the API and the Declaration pages.
web.route("/", statsRoutes);
web.route("/api", api);
// Signing routes first: "/d/:slug/signatures.csv" must not be taken for a Markdown file.
web.route("/", sign);
web.route("/", signer);
web.route("/", privacy);
web.route("/", accountRoutes);
web.route("/", copyRoutes);
// Copies across sites: copy from elsewhere, take in a source's new version, revisions as ActivityPub Articles.
web.route("/", copiesElsewhereRoutes);
web.route("/", mergeRoutes);
web.route("/", compareElsewhereRoutes);
// The fediverse: follow/sign from another server, /interact, responses, hashtags, the admin's page.
web.route("/", interactRoutes);
web.route("/", responseRoutes);
web.route("/", tagRoutes);
web.route("/", federationAdminRoutes);
web.route("/", strikeAdminRoutes);
web.route("/", botRoutes);
// The strike page and pledges; the FAQ and resources pages and their editor.
web.route("/", strikeRoutes);
web.route("/", sitePageRoutes);
// Images: the admin page and the memes gallery.
web.route("/", mediaAdminRoutes);
web.route("/", memeRoutes);
// Comparison pages before the Declaration pages.
web.route("/", diffRoutes);
// The lineage page (/d/:slug/copies) before the Declaration pages.
web.route("/", lineageRoutes);
web.route("/", pages);

export { apiError, notFoundPage } from "./kit/errors.tsx";
export type { WebDeps, WebEnv } from "./kit/context.ts";
