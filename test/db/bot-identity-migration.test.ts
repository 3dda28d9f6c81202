/**
 * The migration that lets a strike bot connection belong to no account here
 * (a bot identity) rebuilds `bot_connections` on SQLite: the connections,
 * their posts and the authorizations in progress all come through it.  Run on
 * a database migrated up to the migration before it, found by its content so
 * that renumbering does not break this.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/client.ts";
import { runMigrations } from "../../src/db/migrate.ts";
import { MIGRATIONS_DIR } from "../../src/setup.ts";
import { migrationsBefore } from "../helpers/migrations.ts";
import { tempDir } from "../helpers/process.ts";

describe("the bot identity migration", () => {
  it("keeps every connection, post and authorization, and then takes connections without an account", () => {
    const db = openDatabase(join(tempDir("db"), "undersign.sqlite"));
    runMigrations(db, migrationsBefore("bot_connections_identity_unique"));
    const sql = db.$client;
    sql.exec(`
      INSERT INTO accounts (id, username, password_hash, role, created) VALUES (1, 'striker', 'x', 'author', 0);
      INSERT INTO bot_apps (id, origin, redirect_uri, scopes, client_id, client_secret_sealed, created)
        VALUES (1, 'https://m.example', 'https://u.example/bot/callback', 'read:accounts', 'id', 'v1.s', 0);
      INSERT INTO bot_connections (id, account_id, app_id, remote_id, acct, url, token_sealed, plan, enabled, created, updated)
        VALUES (7, 1, 1, '42', 'striker@m.example', 'https://m.example/@striker', 'v1.t', '{"v":1}', 1, 0, 0);
      INSERT INTO bot_posts (id, connection_id, slot_at, post_at, text, visibility, idempotency_key, state, remote_id, next_attempt_at, updated)
        VALUES (3, 7, 1000, 1001, 'On strike', 'public', 'k1', 'scheduled', '99', 0, 0),
               (4, 7, 2000, 2001, 'Still on strike', 'public', 'k2', 'planned', NULL, 0, 0);
      INSERT INTO bot_authorizations (state_hash, account_id, app_id, created, expires) VALUES ('s', 1, 1, 0, 9999999999999);
    `);
    runMigrations(db, MIGRATIONS_DIR);
    expect(sql.prepare("SELECT id, account_id, acct, plan, enabled FROM bot_connections").all()).toEqual([
      { id: 7, account_id: 1, acct: "striker@m.example", plan: '{"v":1}', enabled: 1 },
    ]);
    expect(sql.prepare("SELECT id, connection_id, text, state, remote_id FROM bot_posts ORDER BY id").all()).toEqual([
      { id: 3, connection_id: 7, text: "On strike", state: "scheduled", remote_id: "99" },
      { id: 4, connection_id: 7, text: "Still on strike", state: "planned", remote_id: null },
    ]);
    expect(sql.prepare("SELECT state_hash, account_id, browser_hash FROM bot_authorizations").all()).toEqual([
      { state_hash: "s", account_id: 1, browser_hash: "" },
    ]);
    expect(sql.prepare("SELECT name FROM sqlite_master WHERE name LIKE '%keep%'").all()).toEqual([]);
    expect(sql.pragma("foreign_key_check")).toEqual([]);
    // A bot identity: no account; one per remote account.
    const identity = sql.prepare(
      "INSERT INTO bot_connections (account_id, app_id, remote_id, acct, url, created, updated) VALUES (NULL, 1, '43', 'b@m.example', '', 0, 0)",
    );
    identity.run();
    expect(() => identity.run()).toThrow(/UNIQUE/);
    sql.exec("DELETE FROM bot_connections WHERE id = 7");
    expect(sql.prepare("SELECT count(*) AS n FROM bot_posts").get()).toEqual({ n: 0 });
  });
});
