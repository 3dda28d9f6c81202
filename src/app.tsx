/**
 * Builds the Hono application: Fedify first (so ActivityPub and HTML can share
 * URLs), security headers, then the web routes, and the 404/500 handlers (503
 * with Retry-After when a write fails because the disk is full, or when an
 * HTTP process of the cluster finds its primary gone).
 */
import type { Federation } from "@fedify/fedify";
import { getLogger } from "@logtape/logtape";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { federationMiddleware, type FedData, type InboundMessage } from "./federation/index.ts";
import { APP } from "./logging.ts";
import { apiError, notFoundPage, web, type WebDeps, type WebEnv } from "./web/index.ts";
import { cacheHeaders } from "./web/kit/cache-headers.ts";
import { errorPage } from "./web/kit/errors.tsx";
import { isClientAbort, QuietLog } from "./web/kit/quiet-log.ts";
import { securityHeaders } from "./web/kit/security-headers.ts";

const logger = getLogger([APP, "web"]);

export interface AppDeps extends WebDeps {
  readonly federation: Federation<FedData>;
  /** The cluster's HTTP processes: inbox activities are queued for a worker (decision 0033). */
  readonly enqueueInbound?: ((message: InboundMessage) => Promise<void>) | null;
}

function isApi(path: string): boolean {
  return path === "/api" || path.startsWith("/api/");
}

const DISK_FULL_LOG_INTERVAL_MS = 10_000;
const DISK_FULL_MESSAGE =
  "This site cannot save anything right now: its disk is full. Nothing was recorded; please try again in a few minutes.";

/** SQLite's "database or disk is full": the write was rolled back, and reads still work. */
function isDiskFull(error: unknown): boolean {
  return typeof error === "object" && error != null && (error as { code?: unknown }).code === "SQLITE_FULL";
}

const PRIMARY_GONE_MESSAGE =
  "This site is restarting and could not check or record this request. Nothing was recorded; please try again in a moment.";

/**
 * An HTTP process of the cluster asked its primary (the one writer, the shared
 * limits) and found it gone: the code set in src/processes/ipc.ts.
 */
function isPrimaryGone(error: unknown): boolean {
  return typeof error === "object" && error != null && (error as { code?: unknown }).code === "UNDERSIGN_PRIMARY_GONE";
}

export function createApp(deps: AppDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  const fedData: FedData = {
    db: deps.db,
    batcher: deps.batcher,
    instanceName: deps.config.instanceName,
    ...(deps.config.siteHandle == null ? {} : { siteHandle: deps.config.siteHandle }),
    ...(deps.config.siteIntroduction == null ? {} : { siteIntroduction: deps.config.siteIntroduction }),
    allowPrivateAddress: deps.config.federation.allowPrivateAddress,
    signersPerServer: deps.config.federation.signersPerServer,
  };

  // Worked out once (src/web/kit/security-headers.ts); a route's own value of a header wins.
  app.use("*", securityHeaders);
  // Cache-Control, ETag and 304 for GET: shared caches may keep anonymous pages (src/web/kit/cache-headers.ts).
  app.use("*", cacheHeaders);
  app.use("*", async (c, next) => {
    c.set("deps", deps);
    await next();
  });
  app.use(
    "*",
    federationMiddleware(deps.federation, () => fedData, deps.config.origin, {
      limitPerServer: deps.config.federation.inboxLimitPerServer,
      enqueueInbound: deps.enqueueInbound ?? null,
    }),
  );
  app.route("/", web);

  app.notFound((c) => {
    if (isApi(c.req.path)) return apiError(c, 404, "not_found", `There is no API endpoint at ${c.req.path}.`);
    return notFoundPage(c);
  });

  // A full disk fails every write at once: the first refusal is logged at
  // once, the ones after it as one count per interval (not a line each).
  let diskFullLogged = 0;
  let diskFullUnreported = 0;
  let diskFullTimer: NodeJS.Timeout | null = null;
  const reportDiskFull = () => {
    diskFullTimer = null;
    if (diskFullUnreported === 0) return;
    logger.error(
      "Cannot write to the database: the disk is full (SQLITE_FULL). {count} more write(s) refused with 503 in the last {seconds} s; nothing was stored for them.",
      {
        count: diskFullUnreported,
        seconds: DISK_FULL_LOG_INTERVAL_MS / 1000,
      },
    );
    diskFullUnreported = 0;
    diskFullLogged = Date.now();
  };
  // A visitor who closes the tab during an upload is no error of ours: one
  // info line a minute at most, no stack, however many do it.
  const abortLog = new QuietLog(logger, "info");
  app.onError((error, c) => {
    if (isClientAbort(error)) {
      abortLog.note("{method} {path}: the client closed the connection before its request was read", {
        method: c.req.method,
        path: c.req.path,
      });
      return c.body(null, 400);
    }
    if (error instanceof HTTPException) {
      if (isApi(c.req.path)) return apiError(c, error.status, "http_error", error.message);
      return error.getResponse();
    }
    if (isDiskFull(error)) {
      if (Date.now() - diskFullLogged >= DISK_FULL_LOG_INTERVAL_MS && diskFullTimer == null) {
        logger.error(
          "Cannot write to the database: the disk is full (SQLITE_FULL). {method} {path} was refused with 503 and nothing was stored; free some space.",
          {
            method: c.req.method,
            path: c.req.path,
          },
        );
        diskFullLogged = Date.now();
      } else {
        diskFullUnreported++;
        if (diskFullTimer == null) {
          diskFullTimer = setTimeout(reportDiskFull, DISK_FULL_LOG_INTERVAL_MS);
          diskFullTimer.unref();
        }
      }
      c.header("Retry-After", "60");
      if (isApi(c.req.path)) return apiError(c, 503, "storage_full", DISK_FULL_MESSAGE);
      return errorPage(c, 503, { key: "error.diskFull" });
    }
    if (isPrimaryGone(error)) {
      logger.warn("{method} {path} was refused with 503: {message}", {
        method: c.req.method,
        path: c.req.path,
        message: (error as Error).message,
      });
      c.header("Retry-After", "10");
      if (isApi(c.req.path)) return apiError(c, 503, "unavailable", PRIMARY_GONE_MESSAGE);
      return errorPage(c, 503, PRIMARY_GONE_MESSAGE);
    }
    logger.error("Unexpected error on {method} {path}: {error}", { method: c.req.method, path: c.req.path, error });
    if (isApi(c.req.path)) return apiError(c, 500, "internal_error", "The server could not complete this request.");
    return errorPage(c, 500);
  });
  return app;
}
