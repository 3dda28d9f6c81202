/**
 * Opens the SQLite database with the pragmas undersign relies on.
 * See docs/decisions/0002-sqlite-durability.md for the reasoning.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import * as schema from "./schema.ts";

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };
/** A database handle or a transaction; query functions accept either. */
export type DbLike = Pick<Db, "select" | "insert" | "update" | "delete" | "run" | "get" | "all">;

/**
 * Opens (creating when needed) the database file at `path`, or an in-memory
 * database for ":memory:".
 */
export function openDatabase(path: string): Db {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path);
  sqlite.pragma("journal_mode = WAL");
  // FULL: a transaction acknowledged to a client survives power loss and kill -9.
  sqlite.pragma("synchronous = FULL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  return drizzle({ client: sqlite, schema }) as Db;
}

const relaxedStatements = new WeakMap<Database.Database, { relax: Database.Statement; restore: Database.Statement }>();

/**
 * Runs `write` (synchronous) with a commit that does not wait for the disk
 * (`synchronous = NORMAL` instead of the handle's FULL).  What it wrote
 * survives a crash of the process; after a power loss it may be missing,
 * unless a FULL commit followed it (the write-ahead log is synced in order,
 * so that commit makes the earlier one durable as well).  Only for state that
 * may be lost without harm: caches, queue leases and the deletion of handled
 * queue messages (at-least-once delivery; see src/db/queue.ts).  Inside an
 * enclosing transaction, that transaction's commit decides.
 */
export function commitRelaxed<T>(client: Database.Database, write: () => T): T {
  if (client.inTransaction) return write();
  let statements = relaxedStatements.get(client);
  if (statements === undefined) {
    const level = client.pragma("synchronous", { simple: true }) as number;
    statements = {
      relax: client.prepare("PRAGMA synchronous = NORMAL"),
      restore: client.prepare(`PRAGMA synchronous = ${level}`),
    };
    relaxedStatements.set(client, statements);
  }
  statements.relax.run();
  try {
    return write();
  } finally {
    statements.restore.run();
  }
}
