/**
 * `npm run worker`: delivers queued activities in a process of its own, on
 * the same data folder as the web process (run that one with
 * PROCESS_QUEUE=false).  Several workers may run at once: each queued message
 * is leased to one of them at a time.  It also runs the strike bot's
 * scheduler (when BOT_TOKEN_KEY is set).  `npm start` with several processes
 * runs the same code in its own worker processes (src/processes/worker.ts).
 */
import { type Config, ConfigError, loadConfig, POSTGRES_NOT_YET, readEnvironment } from "./config.ts";
import { configureLogging, setProcessName } from "./logging.ts";
import { runWorkerProcess } from "./processes/worker.ts";

let config: Config;
try {
  config = loadConfig(readEnvironment());
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  for (const problem of error.problems) process.stderr.write(`${problem}\n`);
  process.stderr.write("The undersign worker did not start: fix the variables above (see .env.sample).\n");
  process.exit(1);
}
if (config.databaseUrl != null) {
  process.stderr.write(`${POSTGRES_NOT_YET}\n`);
  process.exit(1);
}
setProcessName("worker");
await configureLogging(config.logLevel);
// The publisher stays with the web process (it runs it even with PROCESS_QUEUE=false).
await runWorkerProcess(config, { deliver: true, publish: false });
