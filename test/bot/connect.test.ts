/**
 * Connecting a striker's account to the strike bot and disconnecting it
 * (src/bot/connect.ts), against the stand-in Mastodon server on loopback
 * and a real database.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  identityAcct,
  AUTHORIZATION_TTL_MS,
  BOT_SCOPES,
  ConnectError,
  connectionToken,
  disconnect,
  finishConnect,
  startConnect,
} from "../../src/bot/connect.ts";
import { BotApiError, postStatus } from "../../src/bot/mastodon.ts";
import { getConnection, insertPost, listConnections, listPosts } from "../../src/db/bot.ts";
import type { Db } from "../../src/db/client.ts";
import {
  addAccount,
  authorizeAt,
  botContext,
  closeServers,
  connectAccount,
  dumpDb,
  freshDb,
  startServer,
} from "./bot-context.ts";

const T0 = "2030-07-01T12:00:00.000Z";
const SCOPES = ["read:accounts", "read:statuses", "write:statuses", "write:media"];

afterEach(closeServers);

async function failureOf<T extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof type) return error;
    throw error;
  }
  throw new Error(`expected a ${type.name}`);
}

function rows(db: Db, table: string): unknown[] {
  return db.$client.prepare(`SELECT * FROM ${table}`).all();
}

describe("connecting", () => {
  it("registers the app once per server, asks for exactly the bot's scopes with PKCE, and stores the token sealed", async () => {
    const server = await startServer(T0);
    const db = freshDb();
    const ctx = botContext(db, server);
    const alice = addAccount(db, "alice");

    const { redirect, callback } = await authorizeAt(ctx, alice, server.url);
    const url = new URL(redirect);
    expect(url.origin + url.pathname).toBe(`${server.url}/oauth/authorize`);
    expect(url.searchParams.get("scope")).toBe("read:accounts read:statuses write:statuses write:media");
    expect(url.searchParams.get("redirect_uri")).toBe("https://undersign.test/bot/callback");
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    expect([...BOT_SCOPES]).toEqual(SCOPES);
    expect(server.apps).toHaveLength(1);
    expect(server.apps[0]).toMatchObject({
      name: "Test strike bot",
      website: "https://undersign.test",
      redirect_uris: ["https://undersign.test/bot/callback"],
      scopes: SCOPES,
    });

    const connection = await finishConnect(ctx, alice, callback);
    expect(server.grants).toHaveLength(1);
    expect(server.grants[0]).toMatchObject({ scopes: SCOPES, code_challenge_method: "S256", used: true });
    expect(server.grants[0]!.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(connection).toMatchObject({
      accountId: alice,
      remoteId: server.account.id,
      acct: `striker@${server.host}`,
      displayName: "Striker",
      url: `${server.url}/@striker`,
      status: "active",
      enabled: false,
    });
    expect(connection.scope.split(" ").sort()).toEqual([...SCOPES].sort());

    const token = server.tokens[0]!.token;
    const stored = getConnection(db, connection.id)!;
    expect(stored.tokenSealed).toBeTruthy();
    expect(stored.tokenSealed).not.toContain(token);
    expect(connectionToken(ctx, stored)).toBe(token);
    // Neither the token nor the client secret appear in any row in clear; the state is used up.
    const dump = dumpDb(db);
    expect(dump).not.toContain(token);
    expect(dump).not.toContain(server.apps[0]!.client_secret);
    expect(rows(db, "bot_authorizations")).toHaveLength(0);
    // Another key cannot open it.
    expect(() => connectionToken({ key: Buffer.alloc(32, 1) }, stored)).toThrow();

    // A second striker on the same server: the app is reused.
    const bea = addAccount(db, "bea");
    server.addAccount({ username: "bea_remote", display_name: "Bea" });
    server.authorization.username = "bea_remote";
    const second = await connectAccount(ctx, bea, server);
    expect(server.apps).toHaveLength(1);
    expect(rows(db, "bot_apps")).toHaveLength(1);
    expect(second).toMatchObject({ accountId: bea, acct: `bea_remote@${server.host}`, appId: connection.appId });
    expect(connectionToken(ctx, getConnection(db, second.id)!)).toBe(server.tokens.at(-1)!.token);
    expect(server.requests.filter((r) => r.path === "/api/v1/apps")).toHaveLength(1);
    // Before reusing it, the app was checked with an app token, revoked at once.
    const appTokens = server.tokens.filter((t) => t.accountId == null);
    expect(appTokens).toHaveLength(1);
    expect(appTokens[0]!.revoked_at).not.toBeNull();
  });

  it("registers again, in place, an app the server has forgotten", async () => {
    const server = await startServer(T0);
    const db = freshDb();
    const ctx = botContext(db, server);
    const first = await connectAccount(ctx, addAccount(db, "alice"), server);
    type AppRow = { id: number; client_id: string };
    const before = rows(db, "bot_apps")[0] as AppRow;
    // The server's admin deleted the app (its tokens go with it).
    server.apps.splice(0);
    server.revokeAll();
    const bea = addAccount(db, "bea");
    server.addAccount({ username: "bea_remote", display_name: "Bea" });
    server.authorization.username = "bea_remote";
    const second = await connectAccount(ctx, bea, server);
    expect(server.requests.filter((r) => r.path === "/api/v1/apps")).toHaveLength(2);
    const after = rows(db, "bot_apps") as AppRow[];
    expect(after).toHaveLength(1);
    expect(after[0]!.id).toBe(before.id);
    expect(after[0]!.client_id).not.toBe(before.client_id);
    expect(second.appId).toBe(first.appId);
    expect(connectionToken(ctx, getConnection(db, second.id)!)).toBe(server.tokens.at(-1)!.token);
  });

  it("does without PKCE on a server older than 4.3", async () => {
    const server = await startServer(T0, { version: "4.2.10" });
    const db = freshDb();
    const ctx = botContext(db, server);
    const alice = addAccount(db, "alice");
    const { redirect, callback } = await authorizeAt(ctx, alice, server.url);
    expect(redirect).not.toContain("code_challenge");
    expect(rows(db, "bot_authorizations")).toEqual([expect.objectContaining({ code_verifier_sealed: null })]);
    await finishConnect(ctx, alice, callback);
    expect(server.grants[0]).toMatchObject({ code_challenge: null, code_challenge_method: null, used: true });
    expect(server.requests.find((r) => r.path === "/oauth/token")?.body.code_verifier).toBeUndefined();
    expect(rows(db, "bot_apps")).toEqual([expect.objectContaining({ supports_pkce: 0, version: "4.2.10" })]);
    expect(listConnections(db, alice)).toHaveLength(1);
  });

  it("refuses an unknown, expired, reused or someone else's state, storing nothing", async () => {
    const server = await startServer(T0);
    const db = freshDb();
    const ctx = botContext(db, server);
    const alice = addAccount(db, "alice");
    const mallory = addAccount(db, "mallory");

    const unknown = await failureOf(
      finishConnect(ctx, alice, { state: "made-up", code: "x", error: undefined, errorDescription: undefined }),
      ConnectError,
    );
    expect(unknown.message).toBe(
      "This connection attempt is unknown or has expired (you have 15 minutes to approve). Please start again.",
    );
    expect(
      (
        await failureOf(
          finishConnect(ctx, alice, { state: undefined, code: "x", error: undefined, errorDescription: undefined }),
          ConnectError,
        )
      ).message,
    ).toContain("unknown or has expired");

    // Expired: 15 minutes after it started.
    const late = await authorizeAt(ctx, alice, server.url);
    server.clock.advance(AUTHORIZATION_TTL_MS + 1);
    expect((await failureOf(finishConnect(ctx, alice, late.callback), ConnectError)).message).toContain(
      "unknown or has expired",
    );

    // Someone else's: the state belongs to alice.
    const stolen = await authorizeAt(ctx, alice, server.url);
    expect((await failureOf(finishConnect(ctx, mallory, stolen.callback), ConnectError)).message).toContain(
      "unknown or has expired",
    );

    // Used twice: the first succeeds, the second does not.
    const twice = await authorizeAt(ctx, alice, server.url);
    server.clock.advance(5 * 60_000);
    await finishConnect(ctx, alice, twice.callback);
    expect((await failureOf(finishConnect(ctx, alice, twice.callback), ConnectError)).message).toContain(
      "unknown or has expired",
    );
    expect(listConnections(db, alice)).toHaveLength(1);
    expect(listConnections(db, mallory)).toHaveLength(0);
    // Only the one good attempt reached the token endpoint with a code (the others are the app checks).
    expect(
      server.requests.filter((r) => r.path === "/oauth/token" && r.body.grant_type === "authorization_code"),
    ).toHaveLength(1);
  });

  it("tells the striker when they did not approve", async () => {
    const server = await startServer(T0);
    const db = freshDb();
    const ctx = botContext(db, server);
    const alice = addAccount(db, "alice");
    server.authorization.decision = "deny";
    const { callback } = await authorizeAt(ctx, alice, server.url);
    expect(callback).toMatchObject({ error: "access_denied", code: undefined });
    const error = await failureOf(finishConnect(ctx, alice, callback), ConnectError);
    expect(error.message).toBe(
      `${server.host} did not connect your account: you did not approve the strike bot. Nothing was stored.`,
    );
    expect(listConnections(db, alice)).toHaveLength(0);
    expect(server.requests.filter((r) => r.path === "/oauth/token")).toHaveLength(0);
  });

  it("revokes the new token when the account cannot be read, storing nothing", async () => {
    const server = await startServer(T0);
    const db = freshDb();
    const ctx = botContext(db, server);
    const alice = addAccount(db, "alice");
    const { callback } = await authorizeAt(ctx, alice, server.url);
    server.fail("/api/v1/accounts/verify_credentials", { status: 503, body: { error: "Service Unavailable" } });
    const error = await failureOf(finishConnect(ctx, alice, callback), BotApiError);
    expect(error).toMatchObject({ kind: "server", status: 503 });
    expect(server.tokens).toHaveLength(1);
    expect(server.tokens[0]!.revoked_at).toBeInstanceOf(Date);
    expect(listConnections(db, alice)).toHaveLength(0);
  });

  it("says clearly when the server does not speak the Mastodon API", async () => {
    const server = await startServer(T0, { mode: "not-mastodon" });
    const db = freshDb();
    const ctx = botContext(db, server);
    const error = await failureOf(startConnect(ctx, addAccount(db, "alice"), server.url), BotApiError);
    expect(error.kind).toBe("not-compatible");
    expect(error.message).toBe(
      `${server.host} does not offer the Mastodon API the strike bot posts through. It runs misskey 2024.11.0. The bot works with Mastodon and servers compatible with it.`,
    );
    expect(server.requests.filter((r) => r.path === "/api/v1/apps")).toHaveLength(0);
    expect(rows(db, "bot_apps")).toHaveLength(0);
  });

  it("refuses private and loopback addresses before asking them anything", async () => {
    const server = await startServer(T0);
    const db = freshDb();
    const ctx = botContext(db, server, { allowPrivateAddress: false });
    const alice = addAccount(db, "alice");
    const port = new URL(server.url).port;
    for (const typed of [
      `127.0.0.1:${port}`,
      `@striker@127.0.0.1:${port}`,
      `localhost:${port}`,
      `[::1]:${port}`,
      "10.0.0.5",
    ]) {
      const error = await failureOf(startConnect(ctx, alice, typed), BotApiError);
      expect(error.kind, typed).toBe("not-compatible");
      expect(error.message, typed).toMatch(/ is not on the public internet, so the strike bot cannot use it\.$/);
    }
    // http:// is refused too, outside development.
    expect((await failureOf(startConnect(ctx, alice, server.url), BotApiError)).message).toContain(
      "only to servers at an https:// address",
    );
    expect(server.requests).toHaveLength(0);
    expect(rows(db, "bot_authorizations")).toHaveLength(0);
  });

  it("replaces the token when the same account connects again, and revokes the old one", async () => {
    const server = await startServer(T0);
    const db = freshDb();
    const ctx = botContext(db, server);
    const alice = addAccount(db, "alice");
    const first = await connectAccount(ctx, alice, server);
    server.clock.advance(60_000);
    const again = await connectAccount(ctx, alice, server);
    expect(again.id).toBe(first.id);
    expect(again.tokenSealed).not.toBe(first.tokenSealed);
    expect(again.updated.getTime()).toBe(Date.parse(T0) + 60_000);
    expect(again.needsSync).toBe(true);
    expect(listConnections(db, alice)).toHaveLength(1);
    // The striker's tokens (app tokens of the app check aside): the old one revoked, the new one in use.
    const userTokens = server.tokens.filter((t) => t.accountId != null);
    expect(userTokens).toHaveLength(2);
    expect(connectionToken(ctx, getConnection(db, first.id)!)).toBe(userTokens[1]!.token);
    expect(userTokens[0]!.revoked_at).toBeInstanceOf(Date);
    expect(userTokens[1]!.revoked_at).toBeNull();
  });
});

describe("a connected account's name", () => {
  it("is the server's own account at the server that issued the token, never one it claims elsewhere", () => {
    expect(identityAcct("striker", "m.example")).toBe("striker@m.example");
    expect(identityAcct("@striker", "m.example")).toBe("striker@m.example");
    expect(identityAcct("striker@M.Example", "m.example")).toBe("striker@m.example");
    for (const claim of ["Gargron@mastodon.social", "a@b@m.example", "", "two words", "x/y", "a".repeat(101)])
      expect(identityAcct(claim, "m.example"), claim).toBeNull();
  });
});

describe("disconnecting", () => {
  async function connectedWithScheduled() {
    const server = await startServer(T0);
    const db = freshDb();
    const ctx = botContext(db, server);
    const alice = addAccount(db, "alice");
    const connection = await connectAccount(ctx, alice, server);
    const token = server.tokens[0]!.token;
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const at = new Date(Date.parse(T0) + (i + 1) * 3_600_000);
      const result = await postStatus(
        server.url,
        token,
        { status: `notice ${i}`, visibility: "public", scheduledAt: at, idempotencyKey: `k${i}` },
        { allowHttp: true, allowPrivateAddress: true, now: () => server.clock.now() },
      );
      ids.push(result.id);
      await ctx.batcher.run(() =>
        insertPost(db, {
          connectionId: connection.id,
          slotAt: at,
          postAt: at,
          text: `notice ${i}`,
          spoilerText: "",
          visibility: "public",
          language: "",
          mediaId: null,
          mediaAlt: "",
          idempotencyKey: `k${i}`,
          state: "scheduled",
          via: "server",
          remoteId: result.id,
          url: null,
          error: null,
          attempts: 0,
          nextAttemptAt: at,
          updated: at,
        }),
      );
    }
    // The striker's own scheduled status, not the bot's.
    await postStatus(
      server.url,
      token,
      {
        status: "mine",
        visibility: "public",
        scheduledAt: new Date(Date.parse(T0) + 86_400_000),
        idempotencyKey: "own",
      },
      { allowHttp: true, allowPrivateAddress: true, now: () => server.clock.now() },
    );
    return { server, db, ctx, alice, connection: getConnection(db, connection.id)!, token, ids };
  }

  it("cancels the bot's scheduled statuses, revokes the token there and deletes the connection here", async () => {
    const { server, db, ctx, alice, connection, token, ids } = await connectedWithScheduled();
    expect(server.scheduled).toHaveLength(3);
    const result = await disconnect(ctx, connection);
    expect(result).toEqual({ revoked: true, cancelled: 2, notCancelled: [], problem: null });
    expect(server.scheduled.map((s) => s.params.text)).toEqual(["mine"]);
    expect(server.requests.filter((r) => r.method === "DELETE").map((r) => r.path)).toEqual(
      ids.map((id) => `/api/v1/scheduled_statuses/${id}`),
    );
    expect(server.tokens.find((t) => t.token === token)!.revoked_at).toBeInstanceOf(Date);
    expect(getConnection(db, connection.id)).toBeUndefined();
    expect(listConnections(db, alice)).toHaveLength(0);
    expect(listPosts(db, connection.id)).toHaveLength(0);
    expect(rows(db, "bot_posts")).toHaveLength(0);
  });

  it("deletes here when the server is down, and says what could not be done there", async () => {
    const { server, db, ctx, connection, token, ids } = await connectedWithScheduled();
    server.fail(() => true, { status: 503, times: Infinity });
    const result = await disconnect(ctx, connection);
    expect(result.revoked).toBe(false);
    expect(result.cancelled).toBe(0);
    expect(result.problem).toContain(`${server.host} answered with an error page instead of its API.`);
    expect(result.problem).toContain("you can also revoke it in your server's settings");
    expect(result.problem).not.toContain(token);
    // Each post the server may still publish is named; after the first failure the others are not tried.
    expect(result.notCancelled.map((p) => p.text)).toEqual(["notice 0", "notice 1"]);
    for (const p of result.notCancelled)
      expect(p.reason).toBe(
        `Not cancelled: ${server.host} answered with an error page instead of its API. It may still be posted at its time.`,
      );
    expect(server.requests.filter((r) => r.method === "DELETE").map((r) => r.path)).toEqual([
      `/api/v1/scheduled_statuses/${ids[0]}`,
    ]);
    expect(getConnection(db, connection.id)).toBeUndefined();
    expect(rows(db, "bot_posts")).toHaveLength(0);
    expect(server.tokens[0]!.revoked_at).toBeNull();

    // Unreachable altogether: the same.
    const other = await connectedWithScheduled();
    await other.server.close();
    const offline = await disconnect(other.ctx, other.connection);
    expect(offline).toMatchObject({ revoked: false, cancelled: 0 });
    expect(offline.problem).toContain(`Could not reach ${other.server.host}`);
    expect(offline.notCancelled).toHaveLength(2);
    expect(getConnection(other.db, other.connection.id)).toBeUndefined();
  });

  it("still disconnects when the striker already revoked the access there, naming the posts the server still holds", async () => {
    const { server, db, ctx, connection } = await connectedWithScheduled();
    server.revokeAll();
    const result = await disconnect(ctx, connection);
    expect(result).toMatchObject({ revoked: true, cancelled: 0, problem: null });
    // A revoked access cancels nothing there: the server still publishes what it holds.
    expect(server.scheduled).toHaveLength(3);
    expect(result.notCancelled.map((p) => [p.text, p.reason])).toEqual(
      ["notice 0", "notice 1"].map((text) => [
        text,
        `${server.host} no longer accepts the bot's access, so it could not cancel this; it may still be posted at its time.`,
      ]),
    );
    expect(getConnection(db, connection.id)).toBeUndefined();
  });
});
