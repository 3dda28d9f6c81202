/**
 * What the strike bot's tests share: a fresh database, the stand-in Mastodon
 * server on a clock the test moves, a BotContext on that same clock, accounts
 * here, and the connect flow the way a striker's browser goes through it.
 */
import { randomBytes } from "node:crypto";
import { finishConnect, startConnect, type BotContext } from "../../src/bot/connect.ts";
import { createAccount, findAccountByUsername } from "../../src/db/accounts.ts";
import { WriteBatcher } from "../../src/db/batch.ts";
import type { Db } from "../../src/db/client.ts";
import type { BotConnection } from "../../src/db/schema.ts";
import { createTestDb } from "../helpers/db.ts";
import { startMastodonApi, type MastodonApiOptions, type MastodonApiServer } from "../helpers/mastodon-api.ts";

export const ORIGIN = "https://undersign.test";

const running: MastodonApiServer[] = [];

/** Starts a stand-in server frozen at `now` (closed by `closeServers`). */
export async function startServer(now: string, options: MastodonApiOptions = {}): Promise<MastodonApiServer> {
  const server = await startMastodonApi({ now, ...options });
  running.push(server);
  return server;
}

export async function closeServers(): Promise<void> {
  // A test may have closed one already (a server that went away).
  await Promise.all(running.splice(0).map((s) => s.close().catch(() => undefined)));
}

/** A BotContext on the server's clock. */
export function botContext(db: Db, server: MastodonApiServer, overrides: Partial<BotContext> = {}): BotContext {
  return {
    db,
    batcher: new WriteBatcher(db),
    key: randomBytes(32),
    origin: new URL(ORIGIN),
    instanceName: "Test",
    allowPrivateAddress: true,
    now: () => server.clock.now(),
    client: { timeoutMs: 2_000 },
    ...overrides,
  };
}

export function freshDb(): Db {
  return createTestDb();
}

/** An account here (a striker), by username. */
export function addAccount(db: Db, username: string): number {
  const outcome = createAccount(db, { username, passwordHash: "unused", role: "author" });
  if (outcome.kind !== "created") throw new Error(outcome.kind);
  return findAccountByUsername(db, username)!.id;
}

/** The server's redirect back to our callback, read as the callback reads it. */
export interface Callback {
  state: string | undefined;
  code: string | undefined;
  error: string | undefined;
  errorDescription: string | undefined;
}

/** Starts connecting and follows the authorize URL (the stand-in approves or denies at once). */
export async function authorizeAt(
  ctx: BotContext,
  accountId: number,
  server: string,
): Promise<{ redirect: string; callback: Callback }> {
  const { redirect } = await startConnect(ctx, accountId, server);
  const res = await fetch(redirect, { redirect: "manual" });
  if (res.status !== 302) throw new Error(`authorize answered ${res.status}`);
  const location = new URL(res.headers.get("location")!);
  const param = (name: string) => location.searchParams.get(name) ?? undefined;
  return {
    redirect,
    callback: {
      state: param("state"),
      code: param("code"),
      error: param("error"),
      errorDescription: param("error_description"),
    },
  };
}

/** The whole connect flow for `accountId`. */
export async function connectAccount(
  ctx: BotContext,
  accountId: number,
  server: MastodonApiServer,
): Promise<BotConnection> {
  const { callback } = await authorizeAt(ctx, accountId, server.url);
  return finishConnect(ctx, accountId, callback);
}

/** Every row of every table, as text (to look for a secret anywhere). */
export function dumpDb(db: Db): string {
  const tables = db.$client.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
  return tables
    .map((t) =>
      JSON.stringify(db.$client.prepare(`SELECT * FROM "${t.name}"`).all(), (_, v: unknown) =>
        Buffer.isBuffer(v) ? v.toString("latin1") : v,
      ),
    )
    .join("\n");
}
