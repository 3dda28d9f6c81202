/**
 * The HTTP server of a process that serves pages, and its draining stop.
 */
import type { ServerType } from "@hono/node-server";
import { serve } from "@hono/node-server";
import { getLogger } from "@logtape/logtape";
import type { Config } from "../config.ts";
import { APP } from "../logging.ts";

const logger = getLogger([APP]);

/** How long a stopping HTTP process waits for requests in progress (and idle keep-alive connections). */
export const DRAIN_MS = 5000;
/** How long a stopping worker waits for deliveries in progress (an unfinished one is delivered again later). */
export const WORKER_DRAIN_MS = 8000;

export function listen(fetch: (request: Request) => Response | Promise<Response>, config: Config): ServerType {
  const server = serve({ fetch, hostname: config.host, port: config.port }, (info) => {
    logger.info("undersign is serving {origin} (listening on {host}:{port})", {
      origin: config.origin.href,
      host: info.address,
      port: info.port,
    });
  });
  server.on("error", (error: NodeJS.ErrnoException) => {
    logger.fatal("Cannot listen on {host}:{port}: {message}", {
      host: config.host,
      port: config.port,
      message: error.message,
    });
    process.exit(1);
  });
  return server;
}

/**
 * On SIGTERM or SIGINT: `stopWork` first (timers, the queue), then the server
 * stops accepting and finishes the requests in progress, then `close` runs
 * and the process exits 0.  After `drainMs` it exits anyway.
 */
export function drainOnSignal(
  server: ServerType | null,
  stopWork: () => Promise<void> | void,
  close: () => void,
  drainMs = DRAIN_MS,
): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("Received {signal}; shutting down", { signal });
    setTimeout(() => process.exit(0), drainMs).unref();
    const work = Promise.resolve()
      .then(stopWork)
      .catch((error) => logger.error("Stopping failed: {error}", { error }));
    const served = new Promise<void>((resolve) => {
      if (server == null) resolve();
      else {
        server.close(() => resolve());
        // Idle keep-alive connections would hold `close` until they time out.
        if ("closeIdleConnections" in server) server.closeIdleConnections();
      }
    });
    void Promise.all([work, served]).then(() => {
      close();
      process.exit(0);
    });
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}
