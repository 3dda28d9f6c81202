import { Hono } from "hono";
import type { WebEnv } from "./kit/context.ts";

/** `/healthz`: 200 when the database answers, 503 otherwise. */
export const health = new Hono<WebEnv>().get("/healthz", (c) => {
  c.header("Cache-Control", "no-store");
  try {
    c.get("deps").db.$client.prepare("SELECT 1").get();
    return c.json({ status: "ok" });
  } catch {
    return c.json({ status: "unavailable", reason: "database" }, 503);
  }
});
