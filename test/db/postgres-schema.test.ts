/**
 * The PostgreSQL schema (src/db/postgres/schema.ts) and its migrations
 * against the SQLite schema (src/db/schema.ts), which stays authoritative:
 * every table, column, primary key, unique index, index and foreign key
 * (with its ON DELETE rule) of one is in the other, with a column type of
 * the same family.  First the two Drizzle schemas side by side; then a
 * PostgreSQL database migrated from /migrations/postgres, read back from its
 * catalog, so that a migration left ungenerated is caught too.
 */
import { getTableColumns, getTableName, is } from "drizzle-orm";
import { getTableConfig as pgTableConfig, PgTable } from "drizzle-orm/pg-core";
import { getTableConfig as sqliteTableConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPostgresMigrations } from "../../src/db/postgres/migrate.ts";
import * as pgSchema from "../../src/db/postgres/schema.ts";
import * as sqliteSchema from "../../src/db/schema.ts";
import { describePostgres, startPostgres, type PostgresCluster } from "../helpers/postgres.ts";

/** The column type on PostgreSQL that stands for each SQLite one. */
const FAMILIES: Record<string, string[]> = {
  SQLiteInteger: ["PgInteger", "PgBigInt53"],
  SQLiteTimestamp: ["PgTimestamp"],
  SQLiteBoolean: ["PgBoolean"],
  SQLiteText: ["PgText"],
  SQLiteTextJson: ["PgJsonb"],
  SQLiteBlobBuffer: ["PgCustomColumn"],
};
/** The same, as PostgreSQL's catalog names them. */
const CATALOG_TYPES: Record<string, string[]> = {
  SQLiteInteger: ["integer", "bigint"],
  SQLiteTimestamp: ["timestamp with time zone"],
  SQLiteBoolean: ["boolean"],
  SQLiteText: ["text"],
  SQLiteTextJson: ["jsonb"],
  SQLiteBlobBuffer: ["bytea"],
};

const sqliteTables = (Object.values(sqliteSchema) as unknown[]).filter((v): v is SQLiteTable => is(v, SQLiteTable));
const pgTables = (Object.values(pgSchema) as unknown[]).filter((v): v is PgTable => is(v, PgTable));

interface Shape {
  columns: Record<string, { notNull: boolean; primary: boolean; hasDefault: boolean; enumValues?: string[] }>;
  primaryKey: string[];
  indexes: Record<string, { unique: boolean; columns: string[]; partial: boolean }>;
  foreignKeys: string[];
}

/** An SQLite integer primary key declared AUTOINCREMENT (the others are foreign keys here). */
function isRowId(column: unknown): boolean {
  return (column as { autoIncrement?: boolean }).autoIncrement === true;
}

function shapeOf(table: SQLiteTable | PgTable): Shape {
  const config = is(table, SQLiteTable) ? sqliteTableConfig(table) : pgTableConfig(table as PgTable);
  const columns: Shape["columns"] = {};
  for (const column of config.columns) {
    columns[column.name] = {
      notNull: column.notNull,
      primary: column.primary,
      // SQLite gives every integer primary key a value (it is the rowid); on
      // PostgreSQL only identity columns have one.  A primary key that is
      // also a foreign key is always given, so only the others are compared.
      hasDefault: column.hasDefault && !(column.primary && column.columnType === "SQLiteInteger" && !isRowId(column)),
      ...(column.enumValues ? { enumValues: [...column.enumValues] } : {}),
    };
  }
  const primaryKey = [
    ...config.columns.filter((c) => c.primary).map((c) => c.name),
    ...config.primaryKeys.flatMap((pk) => pk.columns.map((c) => c.name)),
  ];
  const indexes: Shape["indexes"] = {};
  for (const index of config.indexes) {
    const c = index.config as { name: string; unique: boolean; columns: { name?: string }[]; where?: unknown };
    indexes[c.name] = { unique: c.unique, columns: c.columns.map((col) => col.name!), partial: c.where != null };
  }
  const foreignKeys = config.foreignKeys
    .map((fk) => {
      const ref = fk.reference();
      return `(${ref.columns.map((c) => c.name).join(",")}) -> ${getTableName(ref.foreignTable)}(${ref.foreignColumns
        .map((c) => c.name)
        .join(",")}) ON DELETE ${fk.onDelete ?? "no action"}`;
    })
    .sort();
  return { columns, primaryKey, indexes, foreignKeys };
}

describe("PostgreSQL schema mirrors the SQLite schema", () => {
  it("has the same tables", () => {
    expect(sqliteTables.length).toBeGreaterThan(30);
    expect(pgTables.map(getTableName).sort()).toEqual(sqliteTables.map(getTableName).sort());
  });

  for (const table of sqliteTables) {
    const name = getTableName(table);
    it(`${name}: same columns, keys, indexes and foreign keys`, () => {
      const other = pgTables.find((t) => getTableName(t) === name);
      expect(other, `table ${name} on PostgreSQL`).toBeDefined();
      expect(shapeOf(other!)).toEqual(shapeOf(table));
      const sqliteColumns = getTableColumns(table);
      const pgColumns = getTableColumns(other!);
      for (const [key, column] of Object.entries(sqliteColumns)) {
        const mirror = pgColumns[key];
        expect(mirror?.name, `${name}.${column.name}`).toBe(column.name);
        expect(FAMILIES[column.columnType], `${name}.${column.name}: ${column.columnType}`).toContain(
          mirror!.columnType,
        );
      }
    });
  }
});

describePostgres("PostgreSQL migrations", () => {
  let cluster: PostgresCluster;
  let url: string;
  let client: pg.Client;

  beforeAll(async () => {
    cluster = await startPostgres();
    url = await cluster.createDatabase();
    // Three processes starting at once: one migrates, the others find nothing left to do.
    await Promise.all([runPostgresMigrations(url), runPostgresMigrations(url), runPostgresMigrations(url)]);
    client = new pg.Client({ connectionString: url });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await cluster?.stop();
  });

  it("applies each migration once, and again is a no-op", async () => {
    const before = await client.query("SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations");
    await runPostgresMigrations(url);
    const after = await client.query("SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations");
    expect(after.rows[0].n).toBe(before.rows[0].n);
    expect(before.rows[0].n).toBeGreaterThan(0);
  });

  it("creates every table and column of the SQLite schema, with its type family and NOT NULL", async () => {
    const { rows } = await client.query<{
      table_name: string;
      column_name: string;
      data_type: string;
      is_nullable: string;
    }>(
      `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'public'`,
    );
    const found = new Map(rows.map((r) => [`${r.table_name}.${r.column_name}`, r]));
    const tables = new Set(rows.map((r) => r.table_name));
    expect([...tables].sort()).toEqual(sqliteTables.map(getTableName).sort());
    for (const table of sqliteTables) {
      for (const column of Object.values(getTableColumns(table))) {
        const key = `${getTableName(table)}.${column.name}`;
        const row = found.get(key);
        expect(row, key).toBeDefined();
        expect(CATALOG_TYPES[column.columnType], key).toContain(row!.data_type);
        expect(row!.is_nullable === "NO", `${key} NOT NULL`).toBe(column.notNull || column.primary);
      }
    }
    expect(rows.length).toBe(sqliteTables.reduce((n, t) => n + Object.keys(getTableColumns(t)).length, 0));
  });

  it("creates every unique index and index, on the same columns", async () => {
    const { rows } = await client.query<{
      name: string;
      table: string;
      unique: boolean;
      columns: string[];
      partial: boolean;
    }>(
      `SELECT i.relname AS name, t.relname AS table, x.indisunique AS unique, x.indpred IS NOT NULL AS partial,
              array_agg(a.attname::text ORDER BY k.ord) AS columns
         FROM pg_index x
         JOIN pg_class i ON i.oid = x.indexrelid
         JOIN pg_class t ON t.oid = x.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
         CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
        WHERE NOT x.indisprimary
        GROUP BY i.relname, t.relname, x.indisunique, x.indpred`,
    );
    const found = new Map(rows.map((r) => [r.name, r]));
    let expected = 0;
    for (const table of sqliteTables) {
      for (const [name, index] of Object.entries(shapeOf(table).indexes)) {
        expected++;
        expect(found.get(name), name).toEqual({
          name,
          table: getTableName(table),
          unique: index.unique,
          columns: index.columns,
          partial: index.partial,
        });
      }
    }
    expect(rows.length).toBe(expected);
  });

  it("creates every primary key and foreign key, with its ON DELETE rule", async () => {
    const { rows } = await client.query<{ table: string; definition: string; type: string }>(
      `SELECT t.relname AS table, c.contype AS type, pg_get_constraintdef(c.oid) AS definition
         FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
        WHERE c.contype IN ('f', 'p')`,
    );
    const rule = (action: string) => (action === "no action" ? "" : ` ON DELETE ${action.toUpperCase()}`);
    for (const table of sqliteTables) {
      const name = getTableName(table);
      const shape = shapeOf(table);
      const definitions = rows.filter((r) => r.table === name);
      expect(definitions.filter((r) => r.type === "p").map((r) => r.definition)).toEqual([
        `PRIMARY KEY (${shape.primaryKey.join(", ")})`,
      ]);
      const expectedFks = shape.foreignKeys.map((fk) => {
        const [, columns, target, targetColumns, action] = /^\((.*)\) -> (\w+)\((.*)\) ON DELETE (.*)$/.exec(fk)!;
        return `FOREIGN KEY (${columns!.replaceAll(",", ", ")}) REFERENCES ${target}(${targetColumns!.replaceAll(",", ", ")})${rule(action!)}`;
      });
      expect(
        definitions
          .filter((r) => r.type === "f")
          .map((r) => r.definition)
          .sort(),
        name,
      ).toEqual(expectedFks.sort());
    }
  });

  it("enforces them: a duplicate signature token and a dangling reference are refused, a cascade deletes", async () => {
    const now = new Date();
    const declaration = await client.query(
      `INSERT INTO declarations (slug, title, revision, created, updated) VALUES ('d', 'D', 1, $1, $1) RETURNING id`,
      [now],
    );
    const id = declaration.rows[0].id as number;
    const sign = (token: string, declarationId = id) =>
      client.query(
        `INSERT INTO signatures (declaration_id, revision, first_revision, status, public, token_hash, created)
         VALUES ($1, 1, 1, 'confirmed', true, $2, $3)`,
        [declarationId, token, now],
      );
    await sign("t1");
    await expect(sign("t1")).rejects.toThrow(/signatures_token_hash_unique/);
    await expect(sign("t2", id + 1000)).rejects.toThrow(/foreign key/);
    await client.query("DELETE FROM declarations WHERE id = $1", [id]);
    expect((await client.query("SELECT count(*)::int AS n FROM signatures")).rows[0].n).toBe(0);
  });
});
