/**
 * The strike's settings, stored as one JSON value in `settings` (key
 * `strike`).  Validation and defaults live in src/strike/settings.ts; this
 * file only reads and writes the value.
 */
import { eq } from "drizzle-orm";
import type { DbLike } from "./client.ts";
import { settings } from "./schema.ts";

const KEY = "strike";

/** The stored value (parsed JSON), or undefined when none was saved. */
export function readStrikeSettingsValue(db: DbLike): unknown {
  const row = db.select({ value: settings.value }).from(settings).where(eq(settings.key, KEY)).get();
  if (row == null) return undefined;
  try {
    return JSON.parse(row.value) as unknown;
  } catch {
    return undefined;
  }
}

export function writeStrikeSettingsValue(db: DbLike, value: unknown): void {
  const json = JSON.stringify(value);
  db.insert(settings).values({ key: KEY, value: json }).onConflictDoUpdate({ target: settings.key, set: { value: json } }).run();
}
