/**
 * The inbox farm: many stand-in fediverse servers in one process, for the
 * federation benchmark (bench/federation.ts).
 *
 * Server i is the loopback address 127.1.⌊i/250⌋.(i mod 250 + 1), all on one
 * port, so every server is a distinct host (Fedify's circuit breaker, its
 * double-knock memory and undici's connection pools are per host).  Linux
 * routes all of 127.0.0.0/8 to the loopback interface, so this needs no
 * configuration; nothing listens outside 127.0.0.0/8.  The farm also
 * listens on 127.0.0.1 at the same port for its control endpoints.
 *
 * Every server has:
 * - `GET /users/{name}`: an actor (Person) with a shared inbox and an RSA key
 *   from FARM_KEYS_FILE (the public halves of the load generator's keys; the
 *   actor named `…{n}` uses key n mod the number of keys);
 * - `POST /inbox` (shared) and `POST /users/{name}/inbox`: checks the
 *   draft-cavage HTTP signature the way Mastodon does — Date within an hour,
 *   Digest (SHA-256) of the body, signature over the listed headers with the
 *   sender's public key, fetched once per key id from the sender and cached —
 *   and answers 202, or 401 and counts why;
 * - `POST /_farm/null`: reads the body and answers 202 (the bare round trip);
 * - on 127.0.0.1 only: `GET /_farm/ready`, `GET /_farm/stats?activity=…`
 *   (deliveries of one activity per inbox host), `GET /_farm/hosts` and
 *   `GET /_farm/faults` (every inbox POST to a faulty host: when, and what it
 *   was answered).
 *
 * Faulty hosts (FARM_FAULTS, JSON `{ "slow": [i…], "slowMs": 3000,
 * "error": [i…], "gone": [i…] }`, host indexes; for the rehearsal): a slow
 * host verifies and records a delivery, then answers after `slowMs`; an
 * "error" host answers every inbox POST 500 and records nothing; a "gone"
 * host answers 410 Gone (the accounts were deleted).  Actor documents are
 * served as usual.
 *
 * Times are CLOCK_MONOTONIC milliseconds (`process.hrtime`), the same clock in
 * every process on the machine.
 *
 *   FARM_PORT=9000 FARM_SERVERS=1000 FARM_KEYS_FILE=keys.json node --import tsx bench/federation-farm.ts
 */
import { createHash, createPublicKey, verify, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createNetServer, type Server as NetServer } from "node:net";
import { farmHost } from "./federation-hosts.ts";

const PORT = Number(process.env.FARM_PORT);
const SERVERS = Number(process.env.FARM_SERVERS ?? "1000");
const KEYS: string[] = process.env.FARM_KEYS_FILE
  ? (JSON.parse(readFileSync(process.env.FARM_KEYS_FILE, "utf8")) as string[])
  : [];
const TIME_WINDOW_MS = 60 * 60 * 1000;

interface Faults {
  slow: number[];
  slowMs: number;
  error: number[];
  gone: number[];
}
const FAULTS: Faults = {
  slow: [],
  slowMs: 3000,
  error: [],
  gone: [],
  ...(process.env.FARM_FAULTS ? (JSON.parse(process.env.FARM_FAULTS) as Partial<Faults>) : {}),
};
const faultOf = new Map<string, "slow" | "error" | "gone">();
for (const kind of ["slow", "error", "gone"] as const) for (const i of FAULTS[kind]) faultOf.set(farmHost(i), kind);
/** Inbox POSTs to faulty hosts: host → [monotonic ms, status answered, activity id]. */
const faultLog = new Map<string, [number, number, string][]>();

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

// ------------------------------------------------------------------ records

interface PerHost {
  count: number;
  /** Arrival of the first verified delivery (monotonic ms). */
  first: number;
  paths: Set<string>;
}

const deliveries = new Map<string, Map<string, PerHost>>();
const failures = new Map<string, number>();
let verified = 0;
let actorGets = 0;
let keyFetches = 0;
let keyFetchMs = 0;
let verifyCpuMs = 0;

function fail(reason: string): void {
  failures.set(reason, (failures.get(reason) ?? 0) + 1);
}

// ------------------------------------------------------------------ keys

const keyCache = new Map<string, Promise<KeyObject>>();

function fetchKey(keyId: string): Promise<KeyObject> {
  let key = keyCache.get(keyId);
  if (key == null) {
    key = (async () => {
      const started = nowMs();
      keyFetches++;
      const response = await fetch(keyId, {
        headers: { accept: "application/activity+json" },
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) throw new Error(`key fetch ${response.status}`);
      const doc = (await response.json()) as { publicKey?: unknown };
      const keys = (Array.isArray(doc.publicKey) ? doc.publicKey : [doc.publicKey]) as {
        id?: string;
        publicKeyPem?: string;
      }[];
      const found = keys.find((k) => k?.id === keyId) ?? (keyId.includes("#") ? undefined : keys[0]);
      if (found?.publicKeyPem == null) throw new Error("no such key in the actor document");
      keyFetchMs += nowMs() - started;
      return createPublicKey(found.publicKeyPem);
    })();
    keyCache.set(keyId, key);
    key.catch(() => keyCache.delete(keyId));
  }
  return key;
}

// ------------------------------------------------------------------ signatures

function parseSignature(header: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of header.matchAll(/([a-zA-Z]+)="([^"]*)"/g)) fields[match[1]!] = match[2]!;
  return fields;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

/** Null when the request is authentic, else why not. */
async function checkSignature(req: IncomingMessage, body: Buffer): Promise<string | null> {
  const header = headerValue(req, "signature");
  if (header == null)
    return req.headers["signature-input"] != null
      ? "RFC 9421 signature (not checked by the farm)"
      : "no Signature header";
  const sig = parseSignature(header);
  if (sig.keyId == null || sig.signature == null || sig.headers == null) return "incomplete Signature header";
  const date = headerValue(req, "date");
  if (date == null || !Number.isFinite(Date.parse(date))) return "no Date";
  if (Math.abs(Date.now() - Date.parse(date)) > TIME_WINDOW_MS) return "Date outside the time window";
  const names = sig.headers.toLowerCase().split(/\s+/);
  for (const required of ["(request-target)", "host", "date", "digest"])
    if (!names.includes(required)) return `${required} not signed`;
  const digest = headerValue(req, "digest");
  const expected = `SHA-256=${createHash("sha256").update(body).digest("base64")}`;
  if (digest == null || !digest.split(",").some((d) => d.trim() === expected)) return "Digest mismatch";
  const lines: string[] = [];
  for (const name of names) {
    if (name === "(request-target)") lines.push(`(request-target): ${req.method!.toLowerCase()} ${req.url}`);
    else {
      const value = headerValue(req, name);
      if (value == null) return `signed header ${name} missing`;
      lines.push(`${name}: ${value}`);
    }
  }
  let key: KeyObject;
  try {
    key = await fetchKey(sig.keyId);
  } catch (error) {
    return `key fetch failed: ${error instanceof Error ? error.message : String(error)}`;
  }
  const started = performance.now();
  const ok = verify("sha256", Buffer.from(lines.join("\n")), key, Buffer.from(sig.signature, "base64"));
  verifyCpuMs += performance.now() - started;
  return ok ? null : "signature does not verify";
}

// ------------------------------------------------------------------ HTTP

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, type = "application/json"): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function actor(host: string, name: string): object {
  const id = `http://${host}:${PORT}/users/${name}`;
  const n = Number(/(\d+)$/.exec(name)?.[1] ?? "0");
  return {
    "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
    id,
    type: "Person",
    preferredUsername: name,
    name: `Farm user ${name}`,
    url: id,
    inbox: `${id}/inbox`,
    outbox: `${id}/outbox`,
    followers: `${id}/followers`,
    endpoints: { sharedInbox: `http://${host}:${PORT}/inbox` },
    publicKey: { id: `${id}#main-key`, owner: id, publicKeyPem: KEYS.length === 0 ? "" : KEYS[n % KEYS.length] },
  };
}

function stats(activity: string | null): object {
  const summary = (id: string, hosts: Map<string, PerHost>) => {
    let duplicates = 0;
    let first = Infinity;
    let last = 0;
    let personal = 0;
    const arrivals: number[] = [];
    const duplicateHosts: string[] = [];
    for (const [name, h] of hosts) {
      duplicates += h.count - 1;
      if (h.count > 1) duplicateHosts.push(name);
      first = Math.min(first, h.first);
      last = Math.max(last, h.first);
      arrivals.push(h.first);
      for (const p of h.paths) if (p !== "/inbox") personal++;
    }
    return { id, inboxes: hosts.size, duplicates, duplicateHosts, personalInboxPaths: personal, first, last, arrivals };
  };
  const activities =
    activity == null
      ? [...deliveries.entries()].map(([id, hosts]) => ({
          ...summary(id, hosts),
          arrivals: undefined,
          duplicateHosts: undefined,
        }))
      : [...deliveries.entries()].filter(([id]) => id.includes(activity)).map(([id, hosts]) => summary(id, hosts));
  return {
    verified,
    failures: Object.fromEntries(failures),
    keyFetches,
    keyFetchMs,
    actorGets,
    verifyCpuMs,
    activities,
  };
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const host = req.socket.localAddress ?? "";
  const url = new URL(req.url ?? "/", "http://farm");
  if (url.pathname === "/_farm/null") {
    // The bare round trip (any host): read the body, answer 202.
    await readBody(req);
    return send(res, 202, "");
  }
  if (url.pathname.startsWith("/_farm/")) {
    if (host !== "127.0.0.1") return send(res, 404, "not here\n", "text/plain");
    if (url.pathname === "/_farm/ready") return send(res, 200, "ready\n", "text/plain");
    if (url.pathname === "/_farm/stats") return send(res, 200, stats(url.searchParams.get("activity")));
    if (url.pathname === "/_farm/hosts")
      return send(
        res,
        200,
        Array.from({ length: SERVERS }, (_, i) => farmHost(i)),
      );
    if (url.pathname === "/_farm/faults") {
      return send(res, 200, {
        faults: FAULTS,
        hosts: [...faultOf].map(([h, kind]) => ({ host: h, kind, posts: faultLog.get(h) ?? [] })),
      });
    }
    return send(res, 404, "no such control endpoint\n", "text/plain");
  }
  if (req.method === "GET") {
    actorGets++;
    const match = /^\/users\/([A-Za-z0-9_-]+)$/.exec(url.pathname);
    if (match == null) return send(res, 404, { error: "not found" });
    return send(res, 200, actor(host, match[1]!), "application/activity+json");
  }
  if (req.method === "POST" && (url.pathname === "/inbox" || /^\/users\/[A-Za-z0-9_-]+\/inbox$/.test(url.pathname))) {
    const body = await readBody(req);
    const fault = faultOf.get(host);
    if (fault === "error" || fault === "gone") {
      const status = fault === "error" ? 500 : 410;
      let id = "(unreadable)";
      try {
        id = (JSON.parse(body.toString("utf8")) as { id?: string }).id ?? "(no id)";
      } catch {
        // Recorded as unreadable.
      }
      const log = faultLog.get(host) ?? [];
      log.push([nowMs(), status, id]);
      faultLog.set(host, log);
      return send(res, status, { error: fault === "error" ? "internal error (simulated)" : "gone (simulated)" });
    }
    const problem = await checkSignature(req, body);
    if (problem != null) {
      fail(problem);
      return send(res, 401, { error: problem });
    }
    let activity: { id?: string };
    try {
      activity = JSON.parse(body.toString("utf8")) as { id?: string };
    } catch {
      fail("body is not JSON");
      return send(res, 400, { error: "not JSON" });
    }
    verified++;
    const id = activity.id ?? "(no id)";
    let hosts = deliveries.get(id);
    if (hosts == null) {
      hosts = new Map();
      deliveries.set(id, hosts);
    }
    const seen = hosts.get(host);
    if (seen == null) hosts.set(host, { count: 1, first: nowMs(), paths: new Set([url.pathname]) });
    else {
      seen.count++;
      seen.paths.add(url.pathname);
    }
    if (fault === "slow") {
      const log = faultLog.get(host) ?? [];
      log.push([nowMs(), 202, id]);
      faultLog.set(host, log);
      await new Promise((resolve) => setTimeout(resolve, FAULTS.slowMs));
    }
    return send(res, 202, "");
  }
  send(res, 405, { error: "method not allowed" });
}

const http = createHttpServer({ keepAliveTimeout: 30_000 }, (req, res) => {
  handle(req, res).catch((error: unknown) => {
    fail(`farm error: ${String(error)}`);
    if (!res.headersSent) send(res, 500, { error: String(error) });
  });
});

function listen(address: string): Promise<NetServer> {
  return new Promise((resolve, reject) => {
    const server = createNetServer({ pauseOnConnect: false }, (socket) => http.emit("connection", socket));
    server.once("error", reject);
    server.listen({ port: PORT, host: address, backlog: 4096 }, () => resolve(server));
  });
}

const listeners: NetServer[] = [await listen("127.0.0.1")];
for (let i = 0; i < SERVERS; i++) listeners.push(await listen(farmHost(i)));
process.stderr.write(`farm: ${SERVERS} servers listening on 127.1.x.y:${PORT}\n`);

const stop = () => {
  for (const l of listeners) l.close();
  http.closeAllConnections();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
