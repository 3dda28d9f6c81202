/**
 * Composition root: configuration → logging → database → federation → web
 * app → HTTP server.  The only place (with test helpers and the CLI tools)
 * that opens the database or builds the federation.
 */
import { serve } from "@hono/node-server";
import { getLogger } from "@logtape/logtape";
import { createApp } from "./app.tsx";
import { ConfigError, loadConfig, POSTGRES_NOT_YET, readEnvironment, type Config } from "./config.ts";
import { SqliteKvStore } from "./db/kv.ts";
import { diffPool } from "./diff/index.ts";
import { createFederationRuntime } from "./federation/index.ts";
import { APP, configureLogging } from "./logging.ts";
import { purgeExpiredPending } from "./db/signatures.ts";
import {
  createBot,
  createSiteServices,
  databasePath,
  importShippedDeclarations,
  importShippedPages,
  openSiteDatabase,
} from "./setup.ts";

function readConfig(): Config {
  try {
    return loadConfig(readEnvironment());
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) process.stderr.write(`${problem}\n`);
      process.stderr.write("undersign did not start: fix the variables above (see .env.sample).\n");
      process.exit(1);
    }
    throw error;
  }
}

const config = readConfig();
if (config.databaseUrl != null) {
  process.stderr.write(`${POSTGRES_NOT_YET}\n`);
  process.exit(1);
}
await configureLogging(config.logLevel);
const logger = getLogger([APP]);

const db = openSiteDatabase(config);
logger.info("Database {path} is ready", { path: databasePath(config) });
importShippedDeclarations(db, config);
importShippedPages(db, config);

const kv = new SqliteKvStore(db);
kv.purgeExpired();
// Fedify's cache entries carry a TTL; sweep the expired ones hourly.
setInterval(() => kv.purgeExpired(), 60 * 60 * 1000).unref();
const services = createSiteServices(db, config);
const runtime = await createFederationRuntime({ db, batcher: services.batcher, config, kv });
const publisher = runtime.startPublisher();
void publisher.runOnce();
const queueStop = new AbortController();
if (config.federation.processQueue) {
  void runtime.processQueue(queueStop.signal);
  logger.info("This process delivers queued activities (PROCESS_QUEUE=true)");
}
// The web process runs the strike bot's scheduler when it also delivers (otherwise `npm run worker` does).
const bot = createBot(db, services.batcher, config, { run: config.federation.processQueue });
const app = createApp({ db, config, federation: runtime.federation, publisher, ...services, bot: bot.web });
// Diffs run in worker threads (src/diff/pool.ts); they load now rather than on the first comparison asked for.
diffPool().warm();

// Forget expired rate-limit entries every minute; delete expired unconfirmed signatures hourly.
setInterval(() => services.signing.sweep(), 60 * 1000).unref();
const purgePending = () => {
  const purged = purgeExpiredPending(db, new Date());
  if (purged > 0) logger.info("Deleted {count} unconfirmed signatures whose link expired", { count: purged });
};
purgePending();
setInterval(purgePending, 60 * 60 * 1000).unref();

const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, (info) => {
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

function shutdown(signal: string) {
  logger.info("Received {signal}; shutting down", { signal });
  publisher.stop();
  void bot.scheduler?.stop();
  queueStop.abort();
  server.close(() => {
    db.$client.close();
    process.exit(0);
  });
  // Do not wait forever for keep-alive connections.
  setTimeout(() => process.exit(0), 5000).unref();
}
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));
