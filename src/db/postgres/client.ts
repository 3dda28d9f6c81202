/**
 * Connections to PostgreSQL (`DATABASE_URL`), through node-postgres (`pg`)
 * and Drizzle's PostgreSQL dialect.  See docs/decisions/0026-postgresql-schema-and-driver.md.
 *
 * A pool serves queries; the message queue's listeners each hold one more
 * connection of their own for `LISTEN` (src/db/postgres/queue.ts).
 */
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import pg from "pg";
import * as schema from "./schema.ts";

export type PgDb = NodePgDatabase<typeof schema> & { $client: pg.Pool };

export interface PgPoolOptions {
  /** Connections at most in the pool. Default 10. */
  readonly max?: number;
  /** Name shown in `pg_stat_activity`. */
  readonly applicationName?: string;
}

/** A pool of connections to `url`; `pool.end()` closes it. */
export function createPgPool(url: string, options: PgPoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? "undersign",
  });
  // An idle connection that the server closed (a restart, a network cut)
  // emits here; without a listener the process would crash.  The pool
  // replaces it on the next checkout.
  pool.on("error", () => {});
  return pool;
}

/** A Drizzle database on a new pool to `url`; `db.$client.end()` closes it. */
export function openPostgres(url: string, options: PgPoolOptions = {}): PgDb {
  return drizzle({ client: createPgPool(url, options), schema, casing: "snake_case" }) as PgDb;
}

/**
 * Runs `work` in one transaction on one connection of `pool`: committed when
 * it resolves, rolled back when it throws.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    failure = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    // A connection that failed is closed rather than handed out again (it may be broken).
    client.release(failure);
  }
}

/** The database's clock in Unix milliseconds, as SQL (the same clock for every machine). */
export const DB_NOW_MS = "(extract(epoch from clock_timestamp()) * 1000)::bigint";
