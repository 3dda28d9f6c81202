/**
 * Work done once before the site serves: open the database and migrate it,
 * import the shipped Declarations and pages, create the site secret, and
 * sweep what expired while the site was down.  In the single-process site it
 * runs in that process; with several processes, in the primary before it
 * forks (so no two processes migrate or import at once).
 */
import { getLogger } from "@logtape/logtape";
import type { Config } from "../config.ts";
import type { Db } from "../db/client.ts";
import { SqliteKvStore } from "../db/kv.ts";
import { getOrCreateSecret } from "../db/settings.ts";
import { purgeExpiredPending } from "../db/signatures.ts";
import { APP } from "../logging.ts";
import { databasePath, importShippedDeclarations, importShippedPages, openSiteDatabase } from "../setup.ts";

const logger = getLogger([APP]);

export function prepareSite(config: Config): { db: Db; kv: SqliteKvStore } {
  const db = openSiteDatabase(config);
  logger.info("Database {path} is ready", { path: databasePath(config) });
  importShippedDeclarations(db, config);
  importShippedPages(db, config);
  getOrCreateSecret(db);
  const kv = new SqliteKvStore(db);
  kv.purgeExpired();
  purgePending(db);
  return { db, kv };
}

/** Deletes the unconfirmed signatures whose confirmation link expired. */
export function purgePending(db: Db): void {
  const purged = purgeExpiredPending(db, new Date());
  if (purged > 0) logger.info("Deleted {count} unconfirmed signatures whose link expired", { count: purged });
}

const HOUR = 60 * 60 * 1000;

/** Hourly sweeps of expired key–value entries (Fedify's caches carry a TTL) and unconfirmed signatures. */
export function startHourlySweeps(db: Db, kv: SqliteKvStore): void {
  setInterval(() => kv.purgeExpired(), HOUR).unref();
  setInterval(() => purgePending(db), HOUR).unref();
}
