/**
 * DATABASE_URL: read and checked by loadConfig (postgres:// only, never
 * echoed, for it may hold a password); with it set, `npm start` and
 * `npm run worker` say that the site cannot run on PostgreSQL yet and exit
 * before touching any data, and `npm run db:migrate` prepares the
 * PostgreSQL database's tables.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { removeTempDirs, ROOT, spawnApp, tempDir } from "../helpers/process.ts";
import { describePostgres, startPostgres } from "../helpers/postgres.ts";

afterAll(() => removeTempDirs());

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env, "/srv/site");
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe("DATABASE_URL", () => {
  it("is null when unset or blank: SQLite in DATA_DIR", () => {
    expect(loadConfig({}, "/").databaseUrl).toBeNull();
    expect(loadConfig({ DATABASE_URL: "  " }, "/").databaseUrl).toBeNull();
  });

  it("takes a postgres:// or postgresql:// URL, over TCP or a Unix socket", () => {
    for (const url of [
      "postgres://undersign:s3cret@127.0.0.1:5432/undersign",
      "postgresql://db.internal/site",
      "postgres://undersign@localhost/site?host=/run/postgresql",
      "postgres:///site?host=/run/postgresql",
    ]) {
      expect(loadConfig({ DATABASE_URL: url }, "/").databaseUrl, url).toBe(url);
    }
  });

  it("refuses anything else with one line naming the variable, without echoing the value", () => {
    const cases: [string, RegExp][] = [
      ["mysql://root:hunter2@db/site", /only PostgreSQL is supported.*mysql:/],
      ["sqlite:///var/lib/undersign.sqlite", /only PostgreSQL is supported.*sqlite:/],
      ["file:data/undersign.sqlite", /only PostgreSQL is supported/],
      ["not a url hunter2", /not a URL/],
      ["postgres://undersign:hunter2@db.internal", /database's name/],
      ["postgres://undersign:hunter2@db.internal/", /database's name/],
      ["postgres:///site", /expected a host/],
    ];
    for (const [url, message] of cases) {
      const found = problems({ DATABASE_URL: url });
      expect(found, url).toHaveLength(1);
      expect(found[0], url).toMatch(/^DATABASE_URL: /);
      expect(found[0], url).toMatch(message);
      expect(found[0], url).not.toContain("hunter2");
    }
  });

  it("is listed with the other problems, not instead of them", () => {
    const found = problems({ DATABASE_URL: "mysql://db/site", PORT: "abc" });
    expect(found.map((p) => p.split(":")[0]).sort()).toEqual(["DATABASE_URL", "PORT"]);
  });

  for (const [command, entry] of [
    ["npm start", "src/main.ts"],
    ["npm run worker", "src/worker.ts"],
  ] as const) {
    it(`makes \`${command}\` say PostgreSQL is not available yet and exit, before touching DATA_DIR`, async () => {
      const dataDir = tempDir("pg-start");
      const app = spawnApp({ DATA_DIR: dataDir, DATABASE_URL: "postgres://undersign@127.0.0.1:1/site" }, entry);
      expect(await app.exited).toEqual({ code: 1, signal: null });
      const { stdout, stderr } = app.output();
      expect(stderr).toContain("DATABASE_URL is set, but running the site on PostgreSQL is not available yet");
      expect(stderr).not.toMatch(/^\s{4}at /m);
      expect(stdout).not.toContain("is serving");
      expect(existsSync(join(dataDir, "undersign.sqlite"))).toBe(false);
    }, 60_000);
  }
});

describePostgres("npm run db:migrate with DATABASE_URL", () => {
  it("creates the PostgreSQL tables, and a second run changes nothing", async () => {
    const cluster = await startPostgres();
    try {
      const url = await cluster.createDatabase();
      const dataDir = tempDir("pg-migrate");
      for (let run = 0; run < 2; run++) {
        const result = spawnSync(process.execPath, ["--import", "tsx", "src/cli/migrate.ts"], {
          cwd: ROOT,
          env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: url, LOG_LEVEL: "error" },
          encoding: "utf8",
        });
        expect(result.status, result.stderr).toBe(0);
        expect(result.stdout).toContain("The PostgreSQL database (DATABASE_URL) is up to date.");
      }
      expect(existsSync(join(dataDir, "undersign.sqlite"))).toBe(false);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const { rows } = await client.query(
        "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'",
      );
      const applied = await client.query("SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations");
      await client.end();
      expect(rows[0].n).toBeGreaterThan(30);
      expect(applied.rows[0].n).toBe(1);
    } finally {
      await cluster.stop();
    }
  }, 60_000);
});
