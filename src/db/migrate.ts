import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import type { Db } from "./client.ts";

/** Applies every pending migration from `migrationsFolder` (idempotent). */
export function runMigrations(db: Db, migrationsFolder: string): void {
  migrate(db, { migrationsFolder });
}
