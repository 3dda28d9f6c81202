/**
 * Administration, mounted at /admin: the site (registration, invites), the
 * Declarations and the reports queue (moderation), the
 * fediverse (servers, blocks, reports, held signatures), the strike, images
 * and the site pages' editor.  The pages of images and site pages belong to
 * their features; this router gives them their addresses.
 */
import { Hono } from "hono";
import { siteAdminRoutes } from "../accounts/index.ts";
import type { WebEnv } from "../kit/context.ts";
import { mediaAdminRoutes } from "../media/index.ts";
import { introductionEditorRoutes, sitePageEditorRoutes } from "../site-pages/index.ts";
import { federationAdminRoutes } from "./federation-admin.tsx";
import { moderationAdminRoutes } from "./moderation.tsx";
import { strikeAdminRoutes } from "./strike-admin.tsx";

export const adminRouter = new Hono<WebEnv>();
adminRouter.route("/", siteAdminRoutes);
adminRouter.route("/declarations", moderationAdminRoutes);
adminRouter.route("/federation", federationAdminRoutes);
adminRouter.route("/strike", strikeAdminRoutes);
adminRouter.route("/media", mediaAdminRoutes);
adminRouter.route("/pages", sitePageEditorRoutes);
adminRouter.route("/introduction", introductionEditorRoutes);
