/**
 * `npm run check-counts [-- --fix]`: recomputes every Declaration's signature
 * count from the signatures themselves and reports any difference from the
 * maintained counter.  Exits 1 when a difference was found and not fixed.
 */
import { ConfigError, loadConfig, readEnvironment } from "../config.ts";
import { recountSignatures } from "../db/signatures.ts";
import { databasePath, openSiteDatabase } from "../setup.ts";

const fix = process.argv.includes("--fix");
try {
  const config = loadConfig(readEnvironment());
  const db = openSiteDatabase(config);
  const differences = db.transaction((tx) => recountSignatures(tx, fix), { behavior: "immediate" });
  db.$client.close();
  if (differences.length === 0) {
    process.stdout.write(`${databasePath(config)}: every signature count matches a recount.\n`);
  } else {
    for (const d of differences) {
      process.stdout.write(
        `/d/${d.slug}: counter says ${d.stored}, recount says ${d.actual}${fix ? " (fixed)" : ""}\n`,
      );
    }
    if (!fix) {
      process.stdout.write("Run again with --fix to set the counters to the recount.\n");
      process.exitCode = 1;
    }
  }
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  for (const problem of error.problems) process.stderr.write(`${problem}\n`);
  process.exit(1);
}
