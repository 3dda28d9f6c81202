import { Hono } from "hono";
import type { WebEnv } from "./kit/context.ts";
import { completeResponse, withSecurityHeaders } from "./kit/security-headers.ts";

/** The statement /healthz runs, prepared once per database. */
const probes = new WeakMap<object, { get(): unknown }>();

const OK = JSON.stringify({ status: "ok" });
const UNAVAILABLE = JSON.stringify({ status: "unavailable", reason: "database" });
const HEADERS = withSecurityHeaders({ "content-type": "application/json", "cache-control": "no-store" });

/** `/healthz`: 200 when the database answers, 503 otherwise. */
export const health = new Hono<WebEnv>().get("/healthz", (c) => {
  try {
    const client = c.get("deps").db.$client;
    let probe = probes.get(client);
    if (probe == null) {
      probe = client.prepare("SELECT 1");
      probes.set(client, probe);
    }
    probe.get();
    return completeResponse(OK, 200, HEADERS);
  } catch {
    return completeResponse(UNAVAILABLE, 503, HEADERS);
  }
});
