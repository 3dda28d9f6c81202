/**
 * `npm run worker`: delivers queued activities in a process of its own, on
 * the same data folder as the web process (run that one with
 * PROCESS_QUEUE=false).  Several workers may run at once: each queued message
 * is leased to one of them at a time.  It also runs the strike bot's
 * scheduler (when BOT_TOKEN_KEY is set).
 */
import { getLogger } from "@logtape/logtape";
import { type Config, ConfigError, loadConfig, readEnvironment } from "./config.ts";
import { WriteBatcher } from "./db/batch.ts";
import { createFederationRuntime } from "./federation/index.ts";
import { APP, configureLogging } from "./logging.ts";
import { createBot, databasePath, openSiteDatabase } from "./setup.ts";

let config: Config;
try {
  config = loadConfig(readEnvironment());
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  for (const problem of error.problems) process.stderr.write(`${problem}\n`);
  process.stderr.write("The undersign worker did not start: fix the variables above (see .env.sample).\n");
  process.exit(1);
}
await configureLogging(config.logLevel);
const logger = getLogger([APP, "worker"]);

const db = openSiteDatabase(config);
const batcher = new WriteBatcher(db);
const runtime = await createFederationRuntime({ db, batcher, config });
const bot = createBot(db, batcher, config, { run: true });
const stop = new AbortController();
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    logger.info("Received {signal}; finishing the deliveries in progress", { signal });
    stop.abort();
  });
}
logger.info("Delivering queued activities from {path}", { path: databasePath(config) });
await runtime.processQueue(stop.signal);
await bot.scheduler?.stop();
db.$client.close();
logger.info("Worker stopped");
