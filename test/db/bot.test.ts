/**
 * The strike bot's storage (src/db/bot.ts): authorizations used once and
 * only in time, connections upserted per remote account, the sync flag,
 * revocation, due posts, the timer's next wake, and writes that must not
 * undo another pass's.
 */
import { describe, expect, it } from "vitest";
import {
  connectionsNeedingSync,
  deleteConnection,
  duePosts,
  getPost,
  insertBotApp,
  insertPost,
  insertPostIfAbsent,
  listConnections,
  listPosts,
  markRevoked,
  markSynced,
  nextBotWake,
  savePlan,
  setEnabled,
  updatePostIf,
  upsertConnection,
  type NewBotPost,
} from "../../src/db/bot.ts";
import { createAccount, findAccountByUsername } from "../../src/db/accounts.ts";
import { createAuthorization, takeAuthorization } from "../../src/db/bot-sign-in.ts";
import type { Db } from "../../src/db/client.ts";
import { createTestDb } from "../helpers/db.ts";

const T0 = new Date("2030-07-04T00:00:00Z");
const MIN = 60_000;

function world() {
  const db = createTestDb();
  createAccount(db, { username: "alice", passwordHash: "x", role: "author" });
  const accountId = findAccountByUsername(db, "alice")!.id;
  const app = insertBotApp(db, {
    origin: "https://mastodon.example",
    redirectUri: "https://undersign.test/bot/callback",
    scopes: "read:accounts",
    clientId: "client",
    clientSecretSealed: "sealed",
    software: "mastodon",
    version: "4.3.0",
    supportsPkce: true,
    created: T0,
  });
  const connect = (remoteId: string, now = T0, token = "sealed-token") =>
    upsertConnection(
      db,
      {
        accountId,
        appId: app.id,
        remoteId,
        acct: `${remoteId}@mastodon.example`,
        displayName: "",
        url: "https://mastodon.example/@x",
        avatar: "",
        scope: "read:accounts",
        now,
      },
      (id) => `${token}-${id}`,
    );
  return { db, accountId, app, connect };
}

function post(connectionId: number, minutes: number, extra: Partial<NewBotPost> = {}): NewBotPost {
  const at = new Date(T0.getTime() + minutes * MIN);
  return {
    connectionId,
    slotAt: at,
    postAt: at,
    text: "t",
    spoilerText: "",
    visibility: "public",
    language: "",
    mediaId: null,
    mediaAlt: "",
    idempotencyKey: `k${minutes}:n`,
    state: "planned",
    via: null,
    remoteId: null,
    url: null,
    error: null,
    attempts: 0,
    nextAttemptAt: at,
    updated: T0,
    ...extra,
  };
}

const states = (db: Db, id: number) => listPosts(db, id).map((p) => p.state);

describe("strike bot storage", () => {
  it("gives an authorization once, and only before it expires", () => {
    const { db, accountId, app } = world();
    createAuthorization(db, {
      stateHash: "a",
      accountId,
      appId: app.id,
      codeVerifierSealed: null,
      now: T0,
      ttlMs: 15 * MIN,
    });
    createAuthorization(db, {
      stateHash: "b",
      accountId,
      appId: app.id,
      codeVerifierSealed: "v",
      now: T0,
      ttlMs: 15 * MIN,
    });
    expect(takeAuthorization(db, "a", new Date(T0.getTime() + 15 * MIN - 1))).toMatchObject({
      accountId,
      appId: app.id,
    });
    expect(takeAuthorization(db, "a", T0)).toBeUndefined();
    expect(takeAuthorization(db, "b", new Date(T0.getTime() + 15 * MIN))).toBeUndefined();
    expect(takeAuthorization(db, "nope", T0)).toBeUndefined();
    // Expired ones are swept when a new one starts.
    createAuthorization(db, {
      stateHash: "c",
      accountId,
      appId: app.id,
      codeVerifierSealed: null,
      now: T0,
      ttlMs: MIN,
    });
    createAuthorization(db, {
      stateHash: "d",
      accountId,
      appId: app.id,
      codeVerifierSealed: null,
      now: new Date(T0.getTime() + 2 * MIN),
      ttlMs: MIN,
    });
    expect(db.$client.prepare("SELECT state_hash FROM bot_authorizations").all()).toEqual([{ state_hash: "d" }]);
  });

  it("keeps one connection per remote account, replacing its token and asking for a sync", () => {
    const { db, accountId, connect } = world();
    const first = connect("1");
    expect(first).toMatchObject({
      tokenSealed: `sealed-token-${first.id}`,
      status: "active",
      needsSync: false,
      enabled: false,
    });
    markRevoked(db, first.id, "revoked there", T0);
    const again = connect("1", new Date(T0.getTime() + MIN), "new");
    expect(again).toMatchObject({
      id: first.id,
      tokenSealed: `new-${first.id}`,
      status: "active",
      statusReason: null,
      needsSync: true,
    });
    expect(connect("2").id).not.toBe(first.id);
    expect(listConnections(db, accountId)).toHaveLength(2);
  });

  it("clears the sync flag only when nothing changed since the pass read the connection", () => {
    const { db, connect } = world();
    const c = connect("1");
    savePlan(db, c.id, { any: 1 }, true, T0);
    expect(connectionsNeedingSync(db)).toEqual([c.id]);
    setEnabled(db, c.id, false, new Date(T0.getTime() + 1));
    markSynced(db, c.id, T0);
    expect(connectionsNeedingSync(db)).toEqual([c.id]);
    markSynced(db, c.id, new Date(T0.getTime() + 1));
    expect(connectionsNeedingSync(db)).toEqual([]);
  });

  it("fails the posts not yet made when the token is revoked, keeping what went out", () => {
    const { db, connect } = world();
    const c = connect("1");
    insertPost(db, post(c.id, 0, { state: "posted" }));
    insertPost(db, post(c.id, 60));
    insertPost(db, post(c.id, 120, { state: "scheduled", remoteId: "9" }));
    markRevoked(db, c.id, "Connect again.", T0);
    expect(states(db, c.id)).toEqual(["posted", "failed", "scheduled"]);
    expect(listPosts(db, c.id)[1]!.error).toBe("Connect again.");
    expect(listConnections(db, c.accountId!)[0]).toMatchObject({
      tokenSealed: null,
      status: "revoked",
      enabled: false,
      needsSync: false,
    });
  });

  it("lists due posts of connections that are on, not waiting for a retry, oldest first", () => {
    const { db, connect } = world();
    const on = connect("1");
    const off = connect("2");
    setEnabled(db, on.id, true, T0);
    insertPost(db, post(on.id, 10));
    insertPost(db, post(on.id, 5));
    insertPost(db, post(on.id, 0, { nextAttemptAt: new Date(T0.getTime() + 30 * MIN) }));
    insertPost(db, post(on.id, 1, { state: "scheduled" }));
    insertPost(db, post(off.id, 0));
    expect(duePosts(db, new Date(T0.getTime() + 10 * MIN)).map((p) => p.postAt.getTime() - T0.getTime())).toEqual([
      5 * MIN,
      10 * MIN,
    ]);
    expect(duePosts(db, new Date(T0.getTime() + 4 * MIN))).toEqual([]);
  });

  it("wakes the timer for due posts of connections that are on, and a minute after a scheduled post's time", () => {
    const { db, connect } = world();
    const on = connect("1");
    const off = connect("2");
    setEnabled(db, on.id, true, T0);
    expect(nextBotWake(db)).toBeNull();
    insertPost(db, post(off.id, 1)); // paused: never due
    expect(nextBotWake(db)).toBeNull();
    insertPost(db, post(on.id, 30, { nextAttemptAt: new Date(T0.getTime() + 40 * MIN) }));
    expect(nextBotWake(db)).toEqual(new Date(T0.getTime() + 40 * MIN));
    insertPost(db, post(off.id, 20, { state: "scheduled" }));
    expect(nextBotWake(db)).toEqual(new Date(T0.getTime() + 21 * MIN));
    markRevoked(db, off.id, "x", T0);
    expect(nextBotWake(db)).toEqual(new Date(T0.getTime() + 40 * MIN));
  });

  it("inserts a slot once and updates a post only as it was read", () => {
    const { db, connect } = world();
    const c = connect("1");
    expect(insertPostIfAbsent(db, post(c.id, 0))).toBe(true);
    expect(insertPostIfAbsent(db, post(c.id, 0, { text: "other" }))).toBe(false);
    const row = listPosts(db, c.id)[0]!;
    expect(row.text).toBe("t");
    expect(updatePostIf(db, row.id, row, { state: "scheduled", remoteId: "1" })).toBe(true);
    // A pass that read it before that change changes nothing.
    expect(updatePostIf(db, row.id, row, { state: "cancelled" })).toBe(false);
    expect(getPost(db, row.id)).toMatchObject({ state: "scheduled", remoteId: "1" });
    expect(updatePostIf(db, row.id, { state: "scheduled", idempotencyKey: "other" }, { state: "cancelled" })).toBe(
      false,
    );
    deleteConnection(db, c.id);
    expect(getPost(db, row.id)).toBeUndefined();
  });
});
