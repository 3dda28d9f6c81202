/** Mounts every web area.  The app composes it after the federation middleware. */
import { Hono } from "hono";
import { accountRoutes } from "./accounts.tsx";
import { api } from "./api.ts";
import { avatarRoutes } from "./avatars.ts";
import { botRoutes } from "./bot.tsx";
import { copyRoutes } from "./copies.tsx";
import { compareElsewhereRoutes } from "./compare-elsewhere.tsx";
import { copiesElsewhereRoutes } from "./copies-elsewhere.tsx";
import { mergeRoutes } from "./merge.tsx";
import { diffRoutes } from "./diff.tsx";
import { federationAdminRoutes } from "./federation-admin.tsx";
import { staticRoutes } from "./assets.ts";
import type { WebEnv } from "./context.ts";
import { health } from "./health.ts";
import { interactRoutes } from "./interact.tsx";
import { lineageRoutes } from "./lineage.tsx";
import { mediaAdminRoutes, mediaRoutes } from "./media.tsx";
import { memeRoutes } from "./memes.tsx";
import { pages } from "./pages.tsx";
import { powRoutes } from "./pow.ts";
import { privacy } from "./privacy.tsx";
import { responseRoutes } from "./responses.tsx";
import { sessionMiddleware } from "./session.ts";
import { sharingRoutes } from "./share.tsx";
import { sign } from "./sign.tsx";
import { signer } from "./signer.tsx";
import { siteFollowRoutes } from "./site-follow.tsx";
import { sitePageRoutes } from "./site-pages.tsx";
import { statsRoutes } from "./stats.tsx";
import { strikeAdminRoutes } from "./strike-admin.tsx";
import { strikeRoutes } from "./strike.tsx";
import { tagRoutes } from "./tags.tsx";

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
web.route("/", siteFollowRoutes);
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

export { apiError } from "./api.ts";
export { notFoundPage } from "./errors.tsx";
export { createSigning, type Signing } from "./signing.ts";
export { createProofOfWork, type ProofOfWork } from "./pow.ts";
export type { WebDeps, WebEnv } from "./context.ts";
