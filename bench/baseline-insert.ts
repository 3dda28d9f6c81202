/**
 * Baseline A: the least a signing endpoint can do.  Hono on @hono/node-server
 * and better-sqlite3, one table, `POST /` reads a small JSON body and inserts
 * one row in its own (autocommit) transaction.  WAL with the synchronous mode
 * from BASELINE_SYNC (FULL, as undersign uses, or NORMAL for context).
 *
 *   PORT=8100 BASELINE_DB=/tmp/x.sqlite BASELINE_SYNC=FULL node --import tsx bench/baseline-insert.ts
 */
import { serve } from "@hono/node-server";
import Database from "better-sqlite3";
import { Hono } from "hono";

const port = Number(process.env.PORT ?? "8100");
const file = process.env.BASELINE_DB;
const sync = (process.env.BASELINE_SYNC ?? "FULL").toUpperCase();
if (file == null || file === "") throw new Error("BASELINE_DB is required");
if (!["FULL", "NORMAL", "OFF", "EXTRA"].includes(sync)) throw new Error(`BASELINE_SYNC: unknown mode ${sync}`);

const db = new Database(file);
db.pragma("journal_mode = WAL");
db.pragma(`synchronous = ${sync}`);
db.exec("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, created INTEGER NOT NULL)");
const insert = db.prepare("INSERT INTO items (name, created) VALUES (?, ?)");

const app = new Hono();
app.get("/healthz", (c) => c.text("ok"));
app.post("/", async (c) => {
  const body = await c.req.json<{ name?: unknown }>();
  const result = insert.run(String(body.name ?? ""), Date.now());
  return c.json({ id: Number(result.lastInsertRowid) }, 201);
});

const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port });
const stop = () =>
  server.close(() => {
    db.close();
    process.exit(0);
  });
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
