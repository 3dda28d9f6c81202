/**
 * The strike bot in the browser (`/bot`): sign in with a Mastodon-API account
 * or connect one to an account here, then plan the posts.  Without
 * BOT_TOKEN_KEY every route answers 503 with a plain page (the site's owner
 * also sees what to set).  Tokens never reach the browser; no answer under
 * /bot is stored by any cache.
 */
import { Hono } from "hono";
import type { WebEnv } from "../kit/context.ts";
import { connectionRoutes } from "./connection-routes.tsx";
import { homeRoutes } from "./home-routes.tsx";

export const botRoutes = new Hono<WebEnv>();

botRoutes.use(async (c, next) => {
  await next();
  c.res.headers.set("Cache-Control", "private, no-store");
});
homeRoutes(botRoutes);
connectionRoutes(botRoutes);
