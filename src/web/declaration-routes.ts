/**
 * The one router for `/d/*`: every address of a Declaration, from every
 * feature that serves one, mounted under /d by web/index.ts.  Where two
 * features answer the same address, the chain is written here: the page of a
 * version is its ActivityPub Article for ActivityPub clients, the page for
 * everyone else; `/d/{slug}.md` is told apart from `/d/{slug}` by the page's
 * handler.  The other sub-paths are distinct, so the order below decides
 * nothing.
 */
import { Hono } from "hono";
import { copyRoutes, lineageRoutes, mergeRoutes, revisionAsArticle } from "./copies/index.ts";
import { declarationPages, reportRoutes, versionPage } from "./declarations/index.ts";
import { declarationDiffRoutes } from "./diffs/index.ts";
import { interactOnDeclarations, responseRoutes } from "./fediverse/index.ts";
import type { WebEnv } from "./kit/context.ts";
import { declarationFiles } from "./sharing/index.ts";
import { sign } from "./signing/index.ts";
import { declarationStatsRoutes } from "./stats/index.ts";
import { translationRoutes } from "./translations/index.ts";

export const declarationRouter = new Hono<WebEnv>();

// The Declaration's page and Markdown file, its history, and one version (Article or page).
declarationRouter.route("/", declarationPages);
declarationRouter.get("/:slug/v/:number", revisionAsArticle, versionPage);
// A visitor's report to the site's owner.
declarationRouter.route("/", reportRoutes);
// Signing: the form, the signatures and their CSV.
declarationRouter.route("/", sign);
// Copies: copy, edit, publish, take in the source's changes, the lineage page.
declarationRouter.route("/", copyRoutes);
declarationRouter.route("/", mergeRoutes);
declarationRouter.route("/", lineageRoutes);
// Comparisons of its versions, its numbers.
declarationRouter.route("/", declarationDiffRoutes);
declarationRouter.route("/", declarationStatsRoutes);
// Its translations: the list, translating, a translator's edits (each translation is a Declaration of its own).
declarationRouter.route("/", translationRoutes);
// The fediverse: follow or sign from another server, responses shown or hidden.
declarationRouter.route("/", interactOnDeclarations);
declarationRouter.route("/", responseRoutes);
// Its QR code, preview image, feed and badge (no session: see SESSIONLESS in web/index.ts).
declarationRouter.route("/", declarationFiles);
