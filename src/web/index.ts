/** Mounts every web area.  The app composes it after the federation middleware. */
import { Hono } from "hono";
import { api } from "./api.ts";
import { staticRoutes } from "./assets.ts";
import type { WebEnv } from "./context.ts";
import { health } from "./health.ts";
import { pages } from "./pages.tsx";

export const web = new Hono<WebEnv>();
web.route("/", health);
web.route("/static", staticRoutes);
web.route("/api", api);
web.route("/", pages);

export { apiError } from "./api.ts";
export { notFoundPage } from "./pages.tsx";
export type { WebDeps, WebEnv } from "./context.ts";
