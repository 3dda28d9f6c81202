/** Migration tests: a copy of the migrations folder that stops just before a given migration. */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { MIGRATIONS_DIR } from "../../src/setup.ts";
import { tempDir } from "./process.ts";

interface Journal {
  entries: { idx: number; tag: string }[];
}

/**
 * The migrations before the first whose SQL contains `marker` (found by its
 * content, so that renumbering at a merge does not break the test).
 */
export function migrationsBefore(marker: string): string {
  const journal = JSON.parse(readFileSync(join(MIGRATIONS_DIR, "meta", "_journal.json"), "utf8")) as Journal;
  const at = journal.entries.findIndex((e) =>
    readFileSync(join(MIGRATIONS_DIR, `${e.tag}.sql`), "utf8").includes(marker),
  );
  expect(at).toBeGreaterThan(0);
  const dir = tempDir("migrations");
  mkdirSync(join(dir, "meta"));
  const kept = journal.entries.slice(0, at);
  for (const e of kept) cpSync(join(MIGRATIONS_DIR, `${e.tag}.sql`), join(dir, `${e.tag}.sql`));
  writeFileSync(join(dir, "meta", "_journal.json"), JSON.stringify({ ...journal, entries: kept }));
  return dir;
}
