/**
 * Composition root of `npm start`: configuration → logging → the processes.
 * With WEB_CONCURRENCY=1 the site is one process (src/processes/single.ts);
 * otherwise this file runs as the cluster's primary, which prepares the
 * database and forks the HTTP and worker processes, and again in each of
 * them (src/processes/; decision 0022).  The only place (with test helpers
 * and the CLI tools) that opens the database or builds the federation.
 */
import cluster from "node:cluster";
import { ConfigError, loadConfig, POSTGRES_NOT_YET, readEnvironment, type Config } from "./config.ts";
import { configureLogging, setProcessName } from "./logging.ts";
import { INDEX_VARIABLE, readProcessPlan, ROLE_VARIABLE, type ProcessPlan } from "./processes/settings.ts";

function readConfig(): { config: Config; plan: ProcessPlan; environment: Record<string, string | undefined> } {
  const environment = readEnvironment();
  const { plan, problems } = readProcessPlan(environment);
  try {
    const config = loadConfig(environment);
    if (problems.length === 0) return { config, plan, environment };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.unshift(...error.problems);
  }
  for (const problem of problems) process.stderr.write(`${problem}\n`);
  process.stderr.write("undersign did not start: fix the variables above (see .env.sample).\n");
  process.exit(1);
}

const { config, plan, environment } = readConfig();
if (config.databaseUrl != null) {
  process.stderr.write(`${POSTGRES_NOT_YET}\n`);
  process.exit(1);
}

if (cluster.isPrimary && plan.web === 1) {
  await configureLogging(config.logLevel);
  const { runSingleProcess } = await import("./processes/single.ts");
  await runSingleProcess(config);
} else if (cluster.isPrimary) {
  setProcessName("primary");
  await configureLogging(config.logLevel);
  const { runPrimary } = await import("./processes/primary.ts");
  await runPrimary(config, plan);
} else {
  const role = environment[ROLE_VARIABLE];
  setProcessName(`${role}.${environment[INDEX_VARIABLE]}`);
  await configureLogging(config.logLevel);
  if (role === "web") {
    const { runWebProcess } = await import("./processes/web.ts");
    await runWebProcess(config);
  } else {
    const { runWorkerProcess } = await import("./processes/worker.ts");
    await runWorkerProcess(config, { deliver: config.federation.processQueue, publish: true });
  }
}
