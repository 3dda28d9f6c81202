/** Mounts every web area.  The app composes it after the federation middleware. */
import { Hono } from "hono";
import { accountRoutes } from "./accounts/accounts.tsx";
import { api } from "./api/api.ts";
import { avatarRoutes } from "./fediverse/avatars.ts";
import { botRoutes } from "./bot/bot-pages.tsx";
import { copyRoutes } from "./copies/copies.tsx";
import { compareElsewhereRoutes } from "./copies/compare-elsewhere.tsx";
import { copiesElsewhereRoutes } from "./copies/copies-elsewhere.tsx";
import { mergeRoutes } from "./copies/merge.tsx";
import { diffRoutes } from "./diffs/diff-pages.tsx";
import { federationAdminRoutes } from "./admin/federation-admin.tsx";
import { staticRoutes } from "./kit/assets.ts";
import type { WebEnv } from "./kit/context.ts";
import { health } from "./health.ts";
import { interactRoutes } from "./fediverse/interact.tsx";
import { lineageRoutes } from "./copies/lineage.tsx";
import { mediaAdminRoutes, mediaRoutes } from "./media/images.tsx";
import { memeRoutes } from "./media/memes.tsx";
import { pages } from "./declarations/pages.tsx";
import { powRoutes } from "./signing/pow-challenge.ts";
import { privacy } from "./site-pages/privacy.tsx";
import { responseRoutes } from "./fediverse/responses.tsx";
import { sessionMiddleware } from "./kit/session.ts";
import { sharingRoutes } from "./sharing/share.tsx";
import { sign } from "./signing/sign.tsx";
import { signer } from "./signing/signer-pages.tsx";
import { sitePageRoutes } from "./site-pages/site-pages.tsx";
import { statsRoutes } from "./stats/stats.tsx";
import { strikeAdminRoutes } from "./admin/strike-admin.tsx";
import { strikeRoutes } from "./strike/strike-page.tsx";
import { tagRoutes } from "./fediverse/tags.tsx";

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
