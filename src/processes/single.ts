/**
 * The site as one process (WEB_CONCURRENCY=1): pages, and unless
 * PROCESS_QUEUE=false the delivery queue and the strike bot's scheduler; the
 * publisher always.
 */
import { getLogger } from "@logtape/logtape";
import { createApp } from "../app.tsx";
import type { Config } from "../config.ts";
import { diffPool } from "../diff/index.ts";
import { createFederationRuntime } from "../federation/index.ts";
import { APP } from "../logging.ts";
import { createBot, createSiteServices } from "../setup.ts";
import { drainOnSignal, listen } from "./http.ts";
import { prepareSite, startHourlySweeps } from "./startup.ts";

const logger = getLogger([APP]);

export async function runSingleProcess(config: Config): Promise<void> {
  const { db, kv } = prepareSite(config);
  startHourlySweeps(db, kv);
  const services = createSiteServices(db, config);
  const runtime = await createFederationRuntime({ db, batcher: services.batcher, config, kv });
  const publisher = runtime.startPublisher();
  void publisher.runOnce();
  const queueStop = new AbortController();
  let queueDone: Promise<void> = Promise.resolve();
  if (config.federation.processQueue) {
    queueDone = runtime.processQueue(queueStop.signal);
    logger.info("This process delivers queued activities (PROCESS_QUEUE=true)");
  }
  // The web process runs the strike bot's scheduler when it also delivers (otherwise `npm run worker` does).
  const bot = createBot(db, services.batcher, config, { run: config.federation.processQueue });
  const app = createApp({ db, config, federation: runtime.federation, publisher, ...services, bot: bot.web });
  // Diffs run in worker threads (src/diff/pool.ts); they load now rather than on the first comparison asked for.
  diffPool().warm();
  // Forget expired rate-limit entries every minute.
  setInterval(() => void services.signing.sweep(), 60 * 1000).unref();

  const server = listen(app.fetch, config);
  drainOnSignal(
    server,
    async () => {
      publisher.stop();
      queueStop.abort();
      await Promise.all([bot.scheduler?.stop(), queueDone]);
    },
    () => db.$client.close(),
  );
}
