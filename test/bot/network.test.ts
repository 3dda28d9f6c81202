/**
 * The strike bot's network (src/bot/network.ts): every request goes to an
 * address that was checked, and every request has connect and total time
 * limits.
 *
 * Tests may only use loopback, so the public internet is played by
 * 127.0.0.1 (the stand-in Mastodon server, reached by the name
 * `mastodon.rebind.test` and allowed as "public" for the test), and the
 * private network by 127.0.0.2 on the same port (a server that must never be
 * reached).  A resolver injected in place of DNS answers the checked address
 * first and the private one after, as a name that rebinds does.
 */
import type { LookupAddress } from "node:dns";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createTcpServer, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { finishConnect, startConnect, type BotContext } from "../../src/bot/connect.ts";
import { BotApiError, probeServer, verifyCredentials } from "../../src/bot/mastodon.ts";
import { createBotNetwork, type Resolver } from "../../src/bot/network.ts";
import { backoffMs, runBotPass } from "../../src/bot/scheduler.ts";
import { getConnection, listConnections, listPosts, savePlan } from "../../src/db/bot.ts";
import type { MastodonApiServer } from "../helpers/mastodon-api.ts";
import { addAccount, botContext, closeServers, freshDb, startServer } from "./bot-context.ts";
import { EVE, PLAN, postsOf, setup, writeStrike, type Setup } from "./strike-setup.ts";

const NAME = "mastodon.rebind.test";
const PUBLIC = "127.0.0.1";
const PRIVATE = "127.0.0.2";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c().catch(() => undefined)));
  await closeServers();
});

/** What must never be reached: a server on the "private network", same port, recording every request. */
async function privateServer(port: number): Promise<{ requests: string[] }> {
  const requests: string[] = [];
  const server: Server = createHttpServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
  await new Promise<void>((resolve) => server.listen(port, PRIVATE, resolve));
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { requests };
}

/** A resolver that answers `first` once, then `after` for good; it counts its calls. */
function rebinding(first: string, after: string): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (hostname: string): Promise<LookupAddress[]> => {
    calls.push(hostname);
    return [{ address: calls.length === 1 ? first : after, family: 4 }];
  };
  return Object.assign(resolve, { calls });
}

/** A context that refuses private addresses, with 127.0.0.1 standing in for the public internet. */
function guardedContext(t: { db: Setup["db"]; server: MastodonApiServer }): BotContext {
  return botContext(t.db, t.server, {
    allowPrivateAddress: false,
    allowHttp: true,
    client: { timeoutMs: 2_000, treatAsPublic: [PUBLIC] },
  });
}

/** The same context (the same key) with `resolve` for DNS. */
function resolvingWith(ctx: BotContext, resolve: Resolver, client: BotContext["client"] = {}): BotContext {
  return { ...ctx, client: { ...ctx.client, resolve, ...client } };
}

/** The striker's browser at the server's authorization page (reached at its loopback address: the name exists only for the bot). */
async function approve(redirect: string, port: string): Promise<Parameters<typeof finishConnect>[2]> {
  const url = new URL(redirect);
  url.host = `${PUBLIC}:${port}`;
  const res = await fetch(url, { redirect: "manual" });
  const back = new URL(res.headers.get("location")!);
  const param = (name: string) => back.searchParams.get(name) ?? undefined;
  return {
    state: param("state"),
    code: param("code"),
    error: param("error"),
    errorDescription: param("error_description"),
  };
}

describe("every request goes to the address that was checked", () => {
  it("connects, exchanges the token and runs the scheduler on the address resolved first, never the one a second lookup gives", async () => {
    const server = await startServer(EVE, { hostname: PUBLIC, publicHost: NAME });
    const port = new URL(server.url).port;
    const inside = await privateServer(Number(port));
    const db = freshDb();
    writeStrike(db);
    const alice = addAccount(db, "alice");
    const base = guardedContext({ db, server });

    // Connecting: the probe, NodeInfo, OAuth metadata, the app's registration, all on one answer of the resolver.
    const connecting = rebinding(PUBLIC, PRIVATE);
    const { redirect } = await startConnect(resolvingWith(base, connecting), alice, `http://${NAME}:${port}`);
    expect(connecting.calls).toEqual([NAME]);
    expect(server.requests.map((r) => r.path)).toEqual(
      expect.arrayContaining(["/api/v1/instance", "/.well-known/nodeinfo", "/api/v1/apps"]),
    );

    // The token exchange, the account, on one answer too.
    const finishing = rebinding(PUBLIC, PRIVATE);
    const connection = await finishConnect(resolvingWith(base, finishing), alice, await approve(redirect, port));
    expect(finishing.calls).toEqual([NAME]);
    expect(
      server.requests.filter((r) => r.path === "/oauth/token" || r.path === "/api/v1/accounts/verify_credentials"),
    ).toHaveLength(2);

    // A pass of the scheduler: the list and eight scheduled statuses, on one answer.
    const passing = rebinding(PUBLIC, PRIVATE);
    const ctx = resolvingWith(base, passing);
    await ctx.batcher.run(() => savePlan(db, connection.id, PLAN, true, server.clock.now()));
    await runBotPass(ctx);
    expect(server.scheduled).toHaveLength(8);
    expect(passing.calls).toEqual([NAME]);
    expect(inside.requests).toEqual([]);

    // The name now points inside: the next operation resolves it again, is refused, and sends nothing there.
    const rebound = rebinding(PRIVATE, PRIVATE);
    const later = resolvingWith(base, rebound);
    await later.batcher.run(() =>
      savePlan(db, connection.id, { ...PLAN, templates: ["Other {declaration_url}"] }, true, server.clock.now()),
    );
    const sent = server.requests.length;
    await runBotPass(later);
    expect(rebound.calls).toEqual([NAME]);
    expect(server.requests.length).toBe(sent);
    expect(inside.requests).toEqual([]);
    expect(getConnection(db, connection.id)!.needsSync).toBe(true);
    expect(listConnections(db, alice)).toHaveLength(1);
  });

  it("refuses a name with any private address, and says so before asking the server anything", async () => {
    const server = await startServer(EVE, { hostname: PUBLIC, publicHost: NAME });
    const port = new URL(server.url).port;
    const db = freshDb();
    const mixed: Resolver = async () => [
      { address: PUBLIC, family: 4 },
      { address: PRIVATE, family: 4 },
    ];
    const error = await startConnect(
      resolvingWith(guardedContext({ db, server }), mixed),
      addAccount(db, "alice"),
      `http://${NAME}:${port}`,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BotApiError);
    expect((error as BotApiError).message).toBe(
      `${NAME}:${port} is not on the public internet, so the strike bot cannot use it.`,
    );
    expect(server.requests).toHaveLength(0);
  });

  it("refuses a redirect to a private address", async () => {
    const server = await startServer(EVE);
    const port = new URL(server.url).port;
    const inside = await privateServer(Number(port));
    const token = server.issueToken();
    server.fail("/api/v1/accounts/verify_credentials", {
      status: 302,
      headers: { location: `http://${PRIVATE}:${port}/api/v1/accounts/verify_credentials` },
    });
    const error = await verifyCredentials(server.url, token, {
      allowHttp: true,
      treatAsPublic: [PUBLIC],
      timeoutMs: 2_000,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: "not-compatible",
      message: `${server.host} is not on the public internet, so the strike bot cannot use it.`,
    });
    expect(inside.requests).toEqual([]);
  });

  it("resolves a name once for the network's life and connects only to what it checked", async () => {
    const server = await startServer(EVE, { hostname: PUBLIC, publicHost: NAME });
    const port = new URL(server.url).port;
    const inside = await privateServer(Number(port));
    const resolve = rebinding(PUBLIC, PRIVATE);
    const network = createBotNetwork({
      allowPrivateAddress: false,
      timeoutMs: 2_000,
      resolve,
      treatAsPublic: [PUBLIC],
    });
    cleanups.push(() => network.close());
    // At once: three connections, each with its own lookup, all answered by the one resolution.
    const answers = await Promise.all(
      [1, 2, 3].map(async () => {
        const res = await fetch(`http://${NAME}:${port}/api/v1/instance`, {
          dispatcher: network.dispatcher,
        } as RequestInit);
        await res.arrayBuffer();
        return res.status;
      }),
    );
    expect(answers).toEqual([200, 200, 200]);
    expect(resolve.calls).toEqual([NAME]);
    expect(server.requests.filter((r) => r.path === "/api/v1/instance")).toHaveLength(3);
    expect(inside.requests).toEqual([]);
  });
});

describe("time limits", () => {
  /** A striker whose posts are all made by this site (the server schedules none). */
  async function sitePosts(): Promise<Setup> {
    const t = await setup({ server: { scheduled: { dailyLimit: 0 } }, plan: { cadence: { kind: "every", hours: 6 } } });
    await runBotPass(t.ctx);
    return t;
  }

  /** The first post at its time, with a 0.2-second limit: the pass ends, and the post waits for its retry with the error given. */
  async function expectRetryAfter(t: Setup, message: string): Promise<void> {
    const first = postsOf(t)[0]!;
    t.server.clock.set(first.postAt);
    expect(await runBotPass({ ...t.ctx, client: { ...t.ctx.client, timeoutMs: 200 } })).toEqual({
      synced: 0,
      posted: 0,
    });
    const post = postsOf(t)[0]!;
    expect(post).toMatchObject({
      state: "planned",
      attempts: 1,
      nextAttemptAt: new Date(first.postAt.getTime() + backoffMs(1)),
    });
    expect(post.error).toBe(message);
  }

  it("gives up on a server that accepts the request and never answers, and tries again later", async () => {
    const t = await sitePosts();
    t.server.fail("POST /api/v1/statuses", { hang: "request", times: Infinity });
    await expectRetryAfter(t, `${t.server.host} did not answer within 0.2 seconds. Try again later.`);
  });

  it("gives up on a server that sends the headers and never the body", async () => {
    const t = await sitePosts();
    t.server.fail("POST /api/v1/statuses", { hang: "body", times: Infinity });
    await expectRetryAfter(t, `${t.server.host} did not answer within 0.2 seconds. Try again later.`);
  });

  it("gives up on a host that accepts connections and never says a word", async () => {
    const t = await sitePosts();
    const port = Number(new URL(t.server.url).port);
    await t.server.close();
    // The same address, now a tarpit: connections are accepted and left open, silent.
    const sockets = new Set<Socket>();
    const tarpit = createTcpServer((socket) => void sockets.add(socket.on("error", () => undefined)));
    await new Promise<void>((resolve) => tarpit.listen(port, PUBLIC, resolve));
    cleanups.push(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => tarpit.close(() => resolve()));
    });
    await expectRetryAfter(t, `${t.server.host} did not answer within 0.2 seconds. Try again later.`);
    expect(sockets.size).toBeGreaterThan(0);
  });

  it("gives up connecting when the name never resolves, within the connect time limit", async () => {
    const server = await startServer(EVE, { hostname: PUBLIC, publicHost: NAME, scheduled: { dailyLimit: 0 } });
    const port = new URL(server.url).port;
    const db = freshDb();
    writeStrike(db);
    const alice = addAccount(db, "alice");
    const ctx = resolvingWith(guardedContext({ db, server }), rebinding(PUBLIC, PUBLIC));
    const { redirect } = await startConnect(ctx, alice, `http://${NAME}:${port}`);
    const connection = await finishConnect(ctx, alice, await approve(redirect, port));
    await ctx.batcher.run(() =>
      savePlan(db, connection.id, { ...PLAN, cadence: { kind: "every", hours: 6 } }, true, server.clock.now()),
    );
    await runBotPass(ctx);

    // DNS that never answers: the connection attempt ends at its own limit, well before the request's.
    const silent: Resolver = () => new Promise(() => undefined);
    const stuck = resolvingWith(ctx, silent, { connectTimeoutMs: 100, timeoutMs: 30_000 });
    const first = listPosts(db, connection.id)[0]!;
    server.clock.set(first.postAt);
    expect(await runBotPass(stuck)).toEqual({ synced: 0, posted: 0 });
    const post = listPosts(db, connection.id)[0]!;
    expect(post).toMatchObject({
      state: "planned",
      attempts: 1,
      nextAttemptAt: new Date(first.postAt.getTime() + backoffMs(1)),
    });
    expect(post.error).toBe(`Could not connect to ${NAME}:${port} within 0.1 seconds. Try again later.`);
    expect(server.statuses).toHaveLength(0);
  });

  it("gives the probe the same limits", async () => {
    const silent: Resolver = () => new Promise(() => undefined);
    const probe = await probeServer(`http://${NAME}:4444`, {
      allowHttp: true,
      resolve: silent,
      connectTimeoutMs: 100,
      timeoutMs: 30_000,
    });
    expect(probe.ok === false && probe.error).toMatchObject({
      kind: "timeout",
      message: `Could not connect to ${NAME}:4444 within 0.1 seconds. Try again later.`,
    });
  });
});
