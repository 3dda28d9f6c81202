/**
 * `npm run worker`: with PROCESS_QUEUE=false the web process only queues
 * deliveries; a separate worker process on the same data folder delivers
 * them, and one killed mid-work leaves nothing undelivered.
 */
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startFediverseServer, type FediverseServer } from "../helpers/fediverse.ts";
import {
  freePort,
  killChildren,
  ROOT,
  spawnApp,
  startApp,
  stopApp,
  tempDir,
  type RunningApp,
} from "../helpers/process.ts";

let remote: FediverseServer | undefined;
afterAll(async () => {
  await remote?.close();
  await killChildren();
});

describe("a separate worker process", () => {
  it("delivers what the web process queued", async () => {
    const dataDir = tempDir("worker");
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const vars = { ORIGIN: origin, FEDERATION_ALLOW_PRIVATE_ADDRESS: "true", PROCESS_QUEUE: "false" };
    const web: RunningApp = await startApp(dataDir, vars, port);
    remote = await startFediverseServer({ users: ["alice"] });
    const actor = `${origin}/d/digital-independence`;

    await remote.follow("alice", actor);
    // The web process stored the follow and queued the Accept, but does not deliver it.
    await new Promise((r) => setTimeout(r, 1500));
    expect(remote.received.filter((a) => a.type === "Accept")).toEqual([]);

    const worker = spawnApp(
      {
        ...vars,
        PORT: String(port),
        HOST: "127.0.0.1",
        DATA_DIR: dataDir,
        DECLARATIONS_DIR: join(ROOT, "declarations"),
        LOG_LEVEL: "info",
      },
      "src/worker.ts",
    );
    const accept = await remote.waitFor((a) => a.type === "Accept", 20_000);
    expect(accept.actor).toBe(actor);
    expect(worker.output().stdout + worker.output().stderr).toContain("Delivering queued activities");

    worker.child.kill("SIGTERM");
    expect((await worker.exited).code).toBe(0);
    await stopApp(web);
  }, 90_000);
});
