/**
 * Delivery through the real queue against peers that fail the ways real ones
 * do: a peer that verifies only draft-cavage signatures and silently drops
 * RFC 9421 ones, with a 502 in the middle; a peer that needs RFC 9421; a
 * peer back from an outage that an account there follows from at once; and
 * a server whose inboxes accept connections and never answer.
 */
import { request as httpRequest } from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import { signRequest } from "@fedify/fedify";
import { afterEach, describe, expect, it } from "vitest";
import { appendRevision, getDeclarationBySlug } from "../../src/db/declarations.ts";
import { addFollower, upsertRemoteActor } from "../../src/db/fediverse.ts";
import { startFediverseServer, type FediverseServer } from "../helpers/fediverse.ts";
import { addDeclaration, startInstance, type InstanceOptions, type TestInstance } from "../helpers/instance.ts";
import { startSignaturePeer, type SignaturePeer } from "../helpers/signature-peer.ts";

const closing: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const thing of closing.splice(0).reverse()) await thing.close();
});

async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function site(slug: string, options: InstanceOptions = {}): Promise<TestInstance> {
  const instance = await startInstance(options);
  closing.push(instance);
  addDeclaration(instance.db, { slug, title: `Declaration ${slug}` });
  await instance.publish();
  return instance;
}

async function revise(instance: TestInstance, slug: string, body: string): Promise<void> {
  await instance.batcher.run(() => {
    const d = getDeclarationBySlug(instance.db, slug)!;
    appendRevision(instance.db, d, {
      title: d.title,
      summary: d.summary,
      body,
      changeSummary: "Revised",
      origin: "site",
    });
  });
  await instance.publish();
}

async function peer(format: "draft-cavage" | "rfc9421"): Promise<SignaturePeer> {
  const p = await startSignaturePeer({ format });
  closing.push(p);
  return p;
}

function rememberedFormat(
  instance: TestInstance,
  origin: string,
): { value: string; expires: number | null } | undefined {
  return instance.db.$client
    .prepare("SELECT value, expires FROM kv WHERE key = ?")
    .get(JSON.stringify(["_fedify", "httpMessageSignaturesSpec", origin])) as
    | { value: string; expires: number | null }
    | undefined;
}

/** Activities of a type the peer verified and kept; Updates only of the Article (not of the actor's profile). */
const count = (p: SignaturePeer, type: string) =>
  p
    .accepted()
    .filter(
      (a) =>
        a.type === type &&
        (type !== "Update" || String(typeof a.object === "string" ? a.object : a.object?.id).includes("/ap/articles/")),
    ).length;

describe("signature formats (double knocking)", () => {
  it("a peer that verifies only draft-cavage gets every post, a 502 in the middle included, and is never sent RFC 9421", async () => {
    const s = await site("knock");
    const p = await peer("draft-cavage");
    expect(await p.follow(`${s.origin}/d/knock`, `${s.origin}/d/knock/inbox`)).toBe(202);
    await until(() => count(p, "Accept") === 1, "the Accept");

    await revise(s, "knock", "## First\n\nVersion two.\n");
    await until(() => count(p, "Update") === 1 && count(p, "Create") === 1, "version 2");
    // The server restarts behind its proxy: the next request gets a 502.
    p.fail502(1);
    await revise(s, "knock", "## First\n\nVersion three.\n");
    await until(() => count(p, "Update") === 2 && count(p, "Create") === 2, "version 3, retried after the 502");
    await revise(s, "knock", "## First\n\nVersion four.\n");
    await until(() => count(p, "Update") === 3 && count(p, "Create") === 3, "version 4");

    expect(p.posts.filter((post) => post.status === 502)).toHaveLength(1);
    expect(p.posts.filter((post) => post.format === "rfc9421")).toEqual([]);
    expect(p.posts.every((post) => post.status === 502 || post.verified)).toBe(true);
    expect(rememberedFormat(s, p.origin)).toBeUndefined();
  }, 60_000);

  it("switches a peer that refuses draft-cavage to RFC 9421 for a day, and a 502 does not switch it back", async () => {
    const s = await site("modern");
    const p = await peer("rfc9421");
    expect(await p.follow(`${s.origin}/d/modern`, `${s.origin}/d/modern/inbox`)).toBe(202);
    await until(() => count(p, "Accept") === 1, "the Accept, after a 401 to draft-cavage");
    // The peer counts the Accept before its answer reaches us; the switch is remembered once it has.
    await until(() => rememberedFormat(s, p.origin) != null, "the switch to be remembered");
    const remembered = rememberedFormat(s, p.origin);
    expect(remembered?.value).toBe(JSON.stringify("rfc9421"));
    expect(remembered!.expires! - Date.now()).toBeGreaterThan(23 * 60 * 60 * 1000);
    expect(remembered!.expires! - Date.now()).toBeLessThanOrEqual(24 * 60 * 60 * 1000);

    p.fail502(1);
    await revise(s, "modern", "## First\n\nVersion two.\n");
    await until(() => count(p, "Update") === 1 && count(p, "Create") === 1, "version 2, retried after the 502");
    // One draft-cavage knock ever (the Accept's first, refused); after the 502 no second format was tried.
    expect(p.posts.filter((post) => post.format === "draft-cavage").map((post) => post.status)).toEqual([401]);
    expect(rememberedFormat(s, p.origin)).toEqual(remembered);
  }, 60_000);
});

describe("a peer back from an outage", () => {
  it("gets what it is owed as soon as it talks to us, long before the next probe", async () => {
    // A first hold of a minute: only the peer's own request can release its deliveries in time.
    const s = await site("back", { queue: { hostCircuit: { failureThreshold: 2, firstHoldMs: 60_000 } } });
    const remote: FediverseServer = await startFediverseServer({ users: ["alice", "bob"] });
    closing.push(remote);
    const actor = `${s.origin}/d/back`;
    await remote.follow("alice", `back@${s.host}`);
    await until(() => remote.followingAccepted("alice", actor), "alice's Accept");
    await remote.lookup("bob", `back@${s.host}`);

    await remote.goDown();
    await revise(s, "back", "## First\n\nWhile you were away.\n");
    await until(() => s.queue.hostState(remote.host)?.heldUntil != null, "the peer to be held");
    await remote.comeBack();
    const cameBack = Date.now();
    // bob follows at once: fetching his account shows his server is up.
    await remote.follow("bob", actor);
    await until(
      () =>
        remote.followingAccepted("bob", actor) &&
        remote.received.some((a) => a.type === "Update" && a.receivedAt.getTime() >= cameBack),
      "bob's Accept and the post owed",
      15_000,
    );
    expect(s.queue.hostState(remote.host)).toBeUndefined();
  }, 60_000);
});

describe("a server that accepts connections and never answers", () => {
  it("holds a few slots until its requests time out, and a follower elsewhere gets its Accept within seconds", async () => {
    const sockets = new Set<Socket>();
    let closedByUs = 0;
    const tarpit: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on("data", () => {});
      socket.on("close", () => {
        sockets.delete(socket);
        closedByUs++;
      });
    });
    await new Promise<void>((resolve) => tarpit.listen(0, "127.0.0.1", resolve));
    closing.push({
      close: () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          tarpit.close(() => resolve());
        }),
    });
    const tarpitHost = `127.0.0.1:${(tarpit.address() as { port: number }).port}`;

    const s = await site("tarpit", { queue: { limits: { connectTimeoutMs: 1_000, timeoutMs: 3_000 } } });
    const declaration = getDeclarationBySlug(s.db, "tarpit")!;
    await s.batcher.run(() => {
      for (let i = 0; i < 20; i++) {
        const uri = `http://${tarpitHost}/users/u${i}`;
        const actor = upsertRemoteActor(
          s.db,
          {
            uri,
            handle: `u${i}@${tarpitHost}`,
            name: `U${i}`,
            url: uri,
            iconUrl: null,
            inbox: `${uri}/inbox`,
            sharedInbox: null,
          },
          new Date(),
        );
        addFollower(s.db, declaration.id, actor.id, `${uri}#follows/1`, new Date());
      }
    });
    // The tarpit's deliveries leased at once, sampled.  (Its sockets are not
    // counted: one that timed out may be seen open a moment after the next
    // delivery connected.)
    const leased = s.db.$client.prepare("SELECT count(*) AS n FROM queue_messages WHERE host = ? AND lease_until >= ?");
    let mostAtOnce = 0;
    const sampling = setInterval(
      () => (mostAtOnce = Math.max(mostAtOnce, (leased.get(tarpitHost, Date.now()) as { n: number }).n)),
      10,
    );
    closing.push({ close: async () => clearInterval(sampling) });
    // Forty deliveries to the tarpit: two posts for each of its twenty inboxes.
    await revise(s, "tarpit", "## First\n\nTo everyone.\n");
    await until(() => sockets.size > 0, "the tarpit's first connection");

    const remote = await startFediverseServer({ users: ["alice"] });
    closing.push(remote);
    const started = Date.now();
    await remote.follow("alice", `tarpit@${s.host}`);
    await until(() => remote.followingAccepted("alice", `${s.origin}/d/tarpit`), "alice's Accept", 10_000);
    const acceptedAfter = Date.now() - started;
    expect(acceptedAfter).toBeLessThan(5_000);
    expect(mostAtOnce).toBeLessThanOrEqual(4);

    // Its requests time out (3 s here), and a server that keeps timing out is held.
    await until(() => closedByUs >= 4, "the tarpit's requests to time out", 15_000);
    await until(() => s.queue.hostState(tarpitHost)?.heldUntil != null, "the tarpit to be held", 20_000);
    expect(mostAtOnce).toBeLessThanOrEqual(4);
  }, 60_000);

  it("cannot hold an inbox request: the key fetch to it gives up within the time limit", async () => {
    const sockets = new Set<Socket>();
    const tarpit: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on("data", () => {});
      socket.on("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => tarpit.listen(0, "127.0.0.1", resolve));
    closing.push({
      close: () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          tarpit.close(() => resolve());
        }),
    });
    const actor = `http://127.0.0.1:${(tarpit.address() as { port: number }).port}/users/slow`;
    const s = await site("inbound");
    const keys = await crypto.subtle.generateKey(
      { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
      true,
      ["sign", "verify"],
    );
    const like = {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${actor}#likes/1`,
      type: "Like",
      actor,
      object: `${s.origin}/d/inbound`,
    };
    const request = new Request(`${s.origin}/inbox`, {
      method: "POST",
      headers: { "content-type": "application/activity+json" },
      body: JSON.stringify(like),
    });
    const signed = await signRequest(request, keys.privateKey, new URL(`${actor}#main-key`), {
      spec: "draft-cavage-http-signatures-12",
    });
    const started = Date.now();
    // Sent with node:http: our own fetch would put the limits of a signed request on this one too.
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(signed.url, { method: "POST", headers: Object.fromEntries(signed.headers) }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end(JSON.stringify(like));
    });
    expect(status).toBe(401);
    // 10 s for the key fetch, tried once (Node's own limit would be 300 s), plus room for a loaded machine.
    expect(Date.now() - started).toBeLessThan(18_000);
    await until(() => sockets.size === 0, "the key fetch's connection to close", 5_000);
  }, 60_000);
});
