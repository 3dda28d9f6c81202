/**
 * Baseline for the inbox door: a bare Hono endpoint that reads a POSTed body
 * and parses it as JSON, then answers 401 — what refusing an activity would
 * cost if nothing but the JSON were read.  `GET /healthz` answers "ok".
 *
 *   PORT=8102 node --import tsx bench/baseline-json.ts
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const port = Number(process.env.PORT ?? "8102");
const app = new Hono();
app.get("/healthz", (c) => c.text("ok"));
app.post("/inbox", async (c) => {
  const json = (await c.req.json()) as { type?: unknown };
  return c.text(typeof json.type === "string" ? "Unauthorized" : "?", 401);
});

const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port });
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
