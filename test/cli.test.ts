import { spawnSync } from "node:child_process";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { childEnv, removeTempDirs, ROOT, tempDir } from "./helpers/process.ts";

afterAll(removeTempDirs);

function run(script: string, dataDir: string, ...args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: ROOT,
    env: childEnv({ DATA_DIR: dataDir, DECLARATIONS_DIR: join(ROOT, "declarations") }),
    encoding: "utf8",
  });
}

describe("command-line tools", () => {
  it("db:migrate creates the database and imports the shipped Declarations", () => {
    const dataDir = tempDir("cli-migrate");
    const result = run("src/cli/migrate.ts", dataDir);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/is up to date; 1 Declaration file\(s\) read, 0 skipped/);
    const db = new Database(join(dataDir, "undersign.sqlite"), { readonly: true });
    expect(db.prepare("SELECT slug, revision FROM declarations").all()).toEqual([
      { slug: "digital-independence", revision: 1 },
    ]);
    db.close();
  });

  it("check-counts reports a drifted counter, exits 1, and repairs it with --fix", () => {
    const dataDir = tempDir("cli-counts");
    expect(run("src/cli/migrate.ts", dataDir).status).toBe(0);
    const db = new Database(join(dataDir, "undersign.sqlite"));
    const id = (db.prepare("SELECT id FROM declarations").get() as { id: number }).id;
    const insert = db.prepare(
      "INSERT INTO signatures (declaration_id, revision, first_revision, status, name, public, token_hash, created) VALUES (?, 1, 1, ?, ?, 1, ?, 0)",
    );
    insert.run(id, "confirmed", "A", "t1");
    insert.run(id, "confirmed", "B", "t2");
    insert.run(id, "pending", "C", "t3");
    insert.run(id, "withdrawn", null, "t4");
    db.prepare("UPDATE declarations SET signature_count = 7").run();
    db.close();

    const check = run("src/cli/check-counts.ts", dataDir);
    expect(check.status).toBe(1);
    expect(check.stdout).toContain("/d/digital-independence: counter says 7, recount says 2");

    const fix = run("src/cli/check-counts.ts", dataDir, "--fix");
    expect(fix.status).toBe(0);
    expect(fix.stdout).toContain("recount says 2 (fixed)");

    const again = run("src/cli/check-counts.ts", dataDir);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain("every signature count matches a recount");
  });
});
