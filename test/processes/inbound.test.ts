/**
 * Inbox activities in the cluster (decision 0033): an HTTP process checks the
 * door's cheap part and queues the request; a worker process verifies the
 * signature and runs the listeners.  Run as a site owner runs it, with two
 * HTTP processes, against a stand-in fediverse server on loopback.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { log, ready, READY_MS, until } from "../helpers/cluster.ts";
import { startFediverseServer, type FediverseServer } from "../helpers/fediverse.ts";
import { freePort, killChildren, removeTempDirs, startApp, tempDir, type RunningApp } from "../helpers/process.ts";

const SLUG = "digital-independence";
const AS = "https://www.w3.org/ns/activitystreams";

let remote: FediverseServer | undefined;
afterEach(async () => {
  await remote?.close();
  remote = undefined;
  await killChildren();
});
afterAll(removeTempDirs);

async function startCluster(name: string): Promise<{ app: RunningApp; dataDir: string; actor: string }> {
  const dataDir = tempDir(name);
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const app = await startApp(
    dataDir,
    { WEB_CONCURRENCY: "2", ORIGIN: origin, FEDERATION_ALLOW_PRIVATE_ADDRESS: "true" },
    port,
    undefined,
    READY_MS,
  );
  await ready(app, 2);
  return { app, dataDir, actor: `${origin}/d/${SLUG}` };
}

function followerRows(dataDir: string, actorUri: string): number {
  const db = new Database(join(dataDir, "undersign.sqlite"), { readonly: true });
  try {
    return (
      db
        .prepare("SELECT count(*) AS n FROM followers f JOIN remote_actors a ON a.id = f.actor_id WHERE a.uri = ?")
        .get(actorUri) as { n: number }
    ).n;
  } finally {
    db.close();
  }
}

function queued(dataDir: string): number {
  const db = new Database(join(dataDir, "undersign.sqlite"), { readonly: true });
  try {
    return (
      db.prepare("SELECT count(*) AS n FROM queue_messages WHERE message LIKE '%undersign.inbound%'").get() as {
        n: number;
      }
    ).n;
  } finally {
    db.close();
  }
}

function follow(server: FediverseServer, user: string, target: string) {
  return {
    "@context": AS,
    id: `${server.actorUri(user)}#follows/${randomUUID()}`,
    type: "Follow",
    actor: server.actorUri(user),
    object: target,
  };
}

describe("inbox activities in the cluster", () => {
  it("queues a Follow in the HTTP process (202) and a worker handles it exactly once: one follower, one Accept", async () => {
    const { app, dataDir, actor } = await startCluster("inbound-follow");
    remote = await startFediverseServer({ users: ["alice"] });
    const server = remote;
    const res = await server.postSigned({
      inbox: `${actor}/inbox`,
      json: follow(server, "alice", actor),
      user: "alice",
    });
    expect(res.status).toBe(202);
    expect(await res.text()).toContain("queued");
    const accept = await server.waitFor((a) => a.type === "Accept", 60_000);
    expect(accept.actor).toBe(actor);
    await until("the queue to empty", app, () => queued(dataDir) === 0);
    // Time for a second handling to show, if there were one.
    await new Promise((r) => setTimeout(r, 2500));
    expect(followerRows(dataDir, server.actorUri("alice"))).toBe(1);
    expect(server.received.filter((a) => a.type === "Accept")).toHaveLength(1);
  }, 300_000);

  it("a forged Follow is taken in, then does nothing: the worker's verification drops it", async () => {
    const { app, dataDir, actor } = await startCluster("inbound-forged");
    remote = await startFediverseServer({ users: ["alice", "mallory"] });
    const server = remote;
    // A corrupted signature, and a real one by mallory claiming to be alice.
    const corrupted = await server.postSigned({
      inbox: `${actor}/inbox`,
      json: follow(server, "alice", actor),
      user: "alice",
      tamper: "signature",
    });
    const impostor = await server.postSigned({
      inbox: `${actor}/inbox`,
      json: follow(server, "alice", actor),
      user: "mallory",
      tamper: "keyId-other-actor",
      claimActor: server.actorUri("alice"),
    });
    expect([corrupted.status, impostor.status]).toEqual([202, 202]);
    await until("the worker to drop the forged one", app, () =>
      log(app)
        .split("\n")
        .some((l) => / worker\.1\[/.test(l) && /does not verify/.test(l)),
    );
    await until("the queue to empty", app, () => queued(dataDir) === 0);
    await new Promise((r) => setTimeout(r, 2000));
    expect(followerRows(dataDir, server.actorUri("alice"))).toBe(0);
    expect(followerRows(dataDir, server.actorUri("mallory"))).toBe(0);
    expect(server.received.filter((a) => a.type === "Accept")).toEqual([]);
    // A request the door refuses outright still gets its answer from the HTTP process.
    const unsigned = await fetch(`${actor}/inbox`, {
      method: "POST",
      headers: { "content-type": "application/activity+json" },
      body: JSON.stringify(follow(server, "alice", actor)),
    });
    expect(unsigned.status).toBe(401);
  }, 300_000);

  it("an activity taken in survives kill -9 of the worker handling it, and is handled once after the restart", async () => {
    const { app, dataDir, actor } = await startCluster("inbound-kill");
    remote = await startFediverseServer({ users: ["alice"] });
    const server = remote;
    const request = await server.signedRequest({
      inbox: `${actor}/inbox`,
      json: follow(server, "alice", actor),
      user: "alice",
    });
    // The sender's key cannot be fetched while its server is down: the worker fails and keeps the message.
    await server.goDown();
    const res = await fetch(request);
    expect(res.status).toBe(202);
    const before = log(app);
    const workerPid = Number(/ worker\.1\[(\d+)\] /.exec(before)![1]);
    await until("the worker to try it", app, () =>
      log(app)
        .split("\n")
        .some((l) => l.includes(` worker.1[${workerPid}] `) && /signing key could not be fetched/.test(l)),
    );
    process.kill(workerPid, "SIGKILL");
    await server.comeBack();
    await until("the worker to be forked again", app, () => {
      const pids = [...log(app).matchAll(/ worker\.1\[(\d+)\] .*Delivering queued activities/g)].map((m) =>
        Number(m[1]),
      );
      return pids.some((pid) => pid !== workerPid);
    });
    const accept = await server.waitFor((a) => a.type === "Accept", 120_000);
    expect(accept.actor).toBe(actor);
    await until("the queue to empty", app, () => queued(dataDir) === 0);
    expect(followerRows(dataDir, server.actorUri("alice"))).toBe(1);
  }, 300_000);
});
