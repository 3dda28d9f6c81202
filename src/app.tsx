/**
 * Builds the Hono application: Fedify first (so ActivityPub and HTML can share
 * URLs), security headers, then the web routes, and the 404/500 handlers.
 */
import type { Federation } from "@fedify/fedify";
import { getLogger } from "@logtape/logtape";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import { federationMiddleware, type FedData } from "./federation/index.ts";
import { APP } from "./logging.ts";
import { apiError, notFoundPage, web, type WebDeps, type WebEnv } from "./web/index.ts";
import { ErrorView } from "./web/views/ErrorView.tsx";
import { Layout } from "./web/views/Layout.tsx";

const logger = getLogger([APP, "web"]);

export interface AppDeps extends WebDeps {
  readonly federation: Federation<FedData>;
}

function isApi(path: string): boolean {
  return path === "/api" || path.startsWith("/api/");
}

export function createApp(deps: AppDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  const fedData: FedData = {
    db: deps.db,
    batcher: deps.batcher,
    instanceName: deps.config.instanceName,
    allowPrivateAddress: deps.config.federation.allowPrivateAddress,
  };

  app.use(
    "*",
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
      xFrameOptions: "DENY",
      referrerPolicy: "same-origin",
      crossOriginResourcePolicy: "same-origin",
      permissionsPolicy: { camera: [], microphone: [], geolocation: [], browsingTopics: [] },
      // These are defaults: a route that sets one of these headers itself keeps
      // its own value (the private pages' Referrer-Policy: no-referrer, the
      // API's Cross-Origin-Resource-Policy: cross-origin).  Hono overwrites by default.
      overwrite: false,
    }),
  );
  app.use("*", async (c, next) => {
    c.set("deps", deps);
    await next();
  });
  app.use("*", federationMiddleware(deps.federation, () => fedData, deps.config.origin));
  app.route("/", web);

  app.notFound((c) => {
    if (isApi(c.req.path)) return apiError(c, 404, "not_found", `There is no API endpoint at ${c.req.path}.`);
    return notFoundPage(c);
  });

  app.onError((error, c) => {
    if (error instanceof HTTPException) {
      if (isApi(c.req.path)) return apiError(c, error.status, "http_error", error.message);
      return error.getResponse();
    }
    logger.error("Unexpected error on {method} {path}: {error}", { method: c.req.method, path: c.req.path, error });
    if (isApi(c.req.path)) return apiError(c, 500, "internal_error", "The server could not complete this request.");
    return c.html(
      <Layout title="Something went wrong" siteName={deps.config.instanceName}>
        <ErrorView status={500} />
      </Layout>,
      500,
    );
  });
  return app;
}
