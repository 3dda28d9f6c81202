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
