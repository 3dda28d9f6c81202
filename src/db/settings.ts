import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import type { DbLike } from "./client.ts";
import { settings } from "./schema.ts";

/**
 * The site's secret key (256 bits, hex), generated on first use and kept in
 * the database so that tokens and keyed hashes stay valid across restarts.
 * It keys CSRF tokens, client hashes, email hashes and proof-of-work challenges.
 */
export function getOrCreateSecret(db: DbLike): string {
  const existing = db.select().from(settings).where(eq(settings.key, "secret")).get();
  if (existing != null) return existing.value;
  db.insert(settings)
    .values({ key: "secret", value: randomBytes(32).toString("hex") })
    .onConflictDoNothing()
    .run();
  return db.select().from(settings).where(eq(settings.key, "secret")).get()!.value;
}

/** A setting stored as JSON: its parsed value, or undefined when none was saved (or it is not JSON). */
export function readJsonSetting(db: DbLike, key: string): unknown {
  const row = db.select({ value: settings.value }).from(settings).where(eq(settings.key, key)).get();
  if (row == null) return undefined;
  try {
    return JSON.parse(row.value) as unknown;
  } catch {
    return undefined;
  }
}

/** Stores a setting as JSON, replacing what was there. */
export function writeJsonSetting(db: DbLike, key: string, value: unknown): void {
  const json = JSON.stringify(value);
  db.insert(settings)
    .values({ key, value: json })
    .onConflictDoUpdate({ target: settings.key, set: { value: json } })
    .run();
}
