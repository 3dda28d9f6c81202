/**
 * `npm run db:migrate`: applies pending migrations and imports the shipped
 * Declarations without starting the server (e.g. before switching traffic to
 * an upgraded release).  `npm start` does the same on its own.  With
 * DATABASE_URL set, it applies the PostgreSQL migrations (migrations/postgres)
 * to that database instead.
 */
import { ConfigError, loadConfig, readEnvironment } from "../config.ts";
import { runPostgresMigrations } from "../db/postgres/migrate.ts";
import { configureLogging } from "../logging.ts";
import { databasePath, importShippedDeclarations, importShippedPages, openSiteDatabase } from "../setup.ts";

try {
  const config = loadConfig(readEnvironment());
  await configureLogging(config.logLevel);
  if (config.databaseUrl != null) {
    // The tables only: the site itself does not run on PostgreSQL yet (see POSTGRES_NOT_YET).
    await runPostgresMigrations(config.databaseUrl);
    process.stdout.write("The PostgreSQL database (DATABASE_URL) is up to date.\n");
    process.exit(0);
  }
  const db = openSiteDatabase(config);
  const outcomes = importShippedDeclarations(db, config);
  importShippedPages(db, config);
  db.$client.close();
  const skipped = outcomes.filter((o) => o.kind === "skipped").length;
  process.stdout.write(
    `${databasePath(config)} is up to date; ${outcomes.length} Declaration file(s) read, ${skipped} skipped.\n`,
  );
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  for (const problem of error.problems) process.stderr.write(`${problem}\n`);
  process.exit(1);
}
