/**
 * A throwaway PostgreSQL cluster for tests and benchmarks: `initdb` into a
 * temporary folder, `postgres` listening on a Unix socket in that folder only
 * (no TCP port to collide with), trust authentication, no fsync (a test
 * cluster never outlives its run).  Each test file starts its own cluster and
 * makes one database for itself (`createDatabase`), or more when it needs
 * them.
 *
 * PostgreSQL refuses to run as root: when this process is root (CI), the
 * server runs as the `postgres` system user that Debian's package creates
 * (or `nobody`), through `setpriv`, which execs so that the child's pid is
 * the server's own.  The binaries are Debian's (/usr/lib/postgresql/N/bin),
 * or whatever `PG_BIN` names; when none is found, `postgresAvailable` is
 * false and the PostgreSQL tests skip, saying why.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { describe, it } from "vitest";

/** The folder holding `initdb` and `postgres`, or null when there is none. */
export function findPostgresBin(): string | null {
  const candidates: string[] = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  const debian = "/usr/lib/postgresql";
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const version of versions) candidates.push(join(debian, version, "bin"));
  }
  for (const dir of candidates) if (existsSync(join(dir, "initdb")) && existsSync(join(dir, "postgres"))) return dir;
  return null;
}

const BIN = findPostgresBin();
export const postgresAvailable = BIN != null;
export const NO_POSTGRES_REASON =
  "PostgreSQL tests skipped: no PostgreSQL binaries found (install Debian's `postgresql` package, or set PG_BIN to the folder holding initdb and postgres)";

/** The user the server runs as, when this process is root: [uid, gid]. */
function serverUser(): [number, number] | null {
  if (process.getuid?.() !== 0) return null;
  for (const name of ["postgres", "nobody"]) {
    const id = spawnSync("id", ["-u", name], { encoding: "utf8" });
    const gid = spawnSync("id", ["-g", name], { encoding: "utf8" });
    if (id.status === 0 && gid.status === 0) return [Number(id.stdout.trim()), Number(gid.stdout.trim())];
  }
  throw new Error("Running as root, and neither a `postgres` nor a `nobody` user exists to run PostgreSQL as");
}

/** The command line, run as `user` when given. */
function asUser(user: [number, number] | null, command: string, args: string[]): [string, string[]] {
  if (user == null) return [command, args];
  return ["setpriv", [`--reuid=${user[0]}`, `--regid=${user[1]}`, "--clear-groups", "--", command, ...args]];
}

export interface PostgresCluster {
  /** The folder of the data directory and the socket. */
  readonly dir: string;
  /** A `postgres://` URL of database `name` (on the cluster's socket). */
  url(name?: string): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server at once and removes its folder. */
  stop(): Promise<void>;
}

let counter = 0;
const running = new Set<ChildProcess>();
process.once("exit", () => {
  // The server must not outlive a test process that ended without its afterAll.
  for (const child of running) child.kill("SIGQUIT");
});

export const SUPERUSER = "undersign";

export interface StartPostgresOptions {
  /**
   * Flush commits to disk as a production server does (fsync, synchronous
   * commit, full page writes), for benchmarks; tests leave it off.
   */
  readonly durable?: boolean;
}

/** Starts a fresh cluster; throws when no PostgreSQL binaries exist (check `postgresAvailable`). */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresCluster> {
  if (BIN == null) throw new Error(NO_POSTGRES_REASON);
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), "undersign-pg-"));
  const data = join(dir, "data");
  if (user != null) {
    chownSync(dir, user[0], user[1]);
    chmodSync(dir, 0o700);
  }
  const [initCommand, initArgs] = asUser(user, join(BIN, "initdb"), [
    "-D",
    data,
    "-U",
    SUPERUSER,
    "-A",
    "trust",
    "-E",
    "UTF8",
    "--locale=C",
    "--no-sync",
  ]);
  const init = spawnSync(initCommand, initArgs, { encoding: "utf8" });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.status}): ${init.stderr || init.stdout}`);
  }
  const [command, args] = asUser(user, join(BIN, "postgres"), [
    "-D",
    data,
    "-k",
    dir,
    "-c",
    "listen_addresses=",
    ...(options.durable ? [] : ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]),
    "-c",
    "max_connections=200",
    "-c",
    "shared_buffers=32MB",
  ]);
  const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"] });
  running.add(child);
  let log = "";
  child.stderr!.on("data", (chunk) => {
    log = (log + chunk).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = (name = "postgres") => `postgres://${SUPERUSER}@localhost/${name}?host=${encodeURIComponent(dir)}`;

  // Ready once a connection succeeds.
  const started = Date.now();
  for (;;) {
    if (child.exitCode != null || child.signalCode != null) {
      running.delete(child);
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`postgres exited at start: ${log}`);
    }
    const client = new pg.Client({ connectionString: url() });
    try {
      await client.connect();
      await client.end();
      break;
    } catch (error) {
      await client.end().catch(() => {});
      if (Date.now() - started > 30_000) {
        child.kill("SIGQUIT");
        throw new Error(`postgres did not accept connections within 30 s: ${error}\n${log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  return {
    dir,
    url,
    async createDatabase(name = `test_${process.pid}_${++counter}`) {
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    async stop() {
      if (child.exitCode == null && child.signalCode == null) {
        // Immediate shutdown: the cluster is thrown away.
        child.kill("SIGQUIT");
        await exited;
      }
      running.delete(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * `describe`, when PostgreSQL can run here; otherwise one skipped test whose
 * name says why, so that a run without PostgreSQL shows what it left out.
 */
export function describePostgres(name: string, body: () => void): void {
  if (postgresAvailable) describe(name, body);
  else describe(name, () => it.skip(NO_POSTGRES_REASON, () => {}));
}
