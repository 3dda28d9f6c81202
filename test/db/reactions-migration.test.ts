/**
 * The migration that makes reactions one per account and post: it keeps the
 * latest of each account's duplicate reactions (leaving signatures and counts
 * as they were), and strips invisible control and direction characters from
 * what other servers sent.  Run on a database migrated up to the migration
 * before it, found by its content so that renumbering does not break this.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/client.ts";
import { runMigrations } from "../../src/db/migrate.ts";
import { recountSignatures } from "../../src/db/signatures.ts";
import { MIGRATIONS_DIR } from "../../src/setup.ts";
import { migrationsBefore } from "../helpers/migrations.ts";
import { tempDir } from "../helpers/process.ts";

describe("the reactions migration", () => {
  it("keeps the latest reaction per account and post, and cleans stored remote text", () => {
    const db = openDatabase(join(tempDir("db"), "undersign.sqlite"));
    runMigrations(db, migrationsBefore("fed_reactions_actor_object_unique"));
    const sql = db.$client;
    sql.exec(`
      INSERT INTO declarations (id, slug, title, revision, signature_count, created, updated, status) VALUES (1, 'rights', 'Rights', 1, 1, 0, 0, 'published');
      INSERT INTO remote_actors (id, uri, handle, name, url, inbox, host, updated) VALUES
        (1, 'https://m.example/users/a', 'a' || char(8238) || '@m.example', 'Mal' || char(8238) || 'lory' || char(8203), 'https://m.example/@a', 'https://m.example/users/a/inbox', 'm.example', 0);
      INSERT INTO signatures (declaration_id, revision, first_revision, kind, status, name, public, token_hash, created, confirmed, remote_actor_id)
        VALUES (1, 1, 1, 'fediverse', 'confirmed', 'Mal' || char(8238) || 'lory' || char(8203), 1, 'fediverse:x', 0, 0, 1);
      INSERT INTO fed_reactions (activity_uri, declaration_id, actor_id, object_uri, kind, content, created) VALUES
        ('https://m.example/users/a#likes/1', 1, 1, 'https://u.example/ap/notes/1', 'like', NULL, 1),
        ('https://m.example/users/a#likes/2', 1, 1, 'https://u.example/ap/notes/1', 'like', NULL, 2),
        ('https://m.example/users/a#likes/3', 1, 1, 'https://u.example/ap/notes/1', 'emoji', char(8238) || '👍', 3),
        ('https://m.example/users/a#likes/4', 1, 1, 'https://u.example/ap/articles/1', 'like', NULL, 4);
      INSERT INTO fed_responses (uri, declaration_id, actor_id, in_reply_to, url, summary, content_html, published, created)
        VALUES ('https://m.example/s/1', 1, 1, 'https://u.example/ap/notes/1', 'https://m.example/@a/1', 'CW' || char(8207), '<p>x' || char(8294) || '</p>', 0, 0);
      INSERT INTO fed_reports (activity_uri, actor_uri, object_uris, content, created) VALUES ('https://m.example/f/1', 'https://m.example/actor', '[]', 'Spam' || char(8238) || char(10) || 'line two', 0);
    `);
    runMigrations(db, MIGRATIONS_DIR);
    expect(sql.prepare("SELECT activity_uri, content, signs FROM fed_reactions ORDER BY id").all()).toEqual([
      { activity_uri: "https://m.example/users/a#likes/3", content: "👍", signs: 1 },
      { activity_uri: "https://m.example/users/a#likes/4", content: null, signs: 1 },
    ]);
    expect(sql.prepare("SELECT handle, name, key_ids FROM remote_actors").get()).toEqual({
      handle: "a@m.example",
      name: "Mallory",
      key_ids: "[]",
    });
    expect(sql.prepare("SELECT name, status FROM signatures").get()).toEqual({ name: "Mallory", status: "confirmed" });
    expect(sql.prepare("SELECT summary, content_html FROM fed_responses").get()).toEqual({
      summary: "CW",
      content_html: "<p>x</p>",
    });
    expect(sql.prepare("SELECT content FROM fed_reports").get()).toEqual({ content: "Spam\nline two" });
    expect(recountSignatures(db, false)).toEqual([]);
    // The unique index holds from now on.
    expect(() =>
      sql
        .prepare(
          "INSERT INTO fed_reactions (activity_uri, declaration_id, actor_id, object_uri, kind, created) VALUES ('x', 1, 1, 'https://u.example/ap/notes/1', 'like', 5)",
        )
        .run(),
    ).toThrow(/UNIQUE/);
    sql.close();
  });
});
