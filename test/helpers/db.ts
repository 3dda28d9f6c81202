import { openDatabase, type Db } from "../../src/db/client.ts";
import { runMigrations } from "../../src/db/migrate.ts";
import { MIGRATIONS_DIR } from "../../src/setup.ts";

/** A fresh in-memory database with every migration applied. */
export function createTestDb(path = ":memory:"): Db {
  const db = openDatabase(path);
  runMigrations(db, MIGRATIONS_DIR);
  return db;
}
