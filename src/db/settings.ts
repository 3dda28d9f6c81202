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
  db.insert(settings).values({ key: "secret", value: randomBytes(32).toString("hex") }).onConflictDoNothing().run();
  return db.select().from(settings).where(eq(settings.key, "secret")).get()!.value;
}
