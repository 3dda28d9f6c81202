/**
 * What a refused inbox POST costs the server: CPU per request of unsigned and
 * badly signed 200 KB activities (the attack: a `Create` with 3,000 tags,
 * ~0.3 s of Fedify's JSON-LD work each before the door), against a baseline
 * measured in the same run — a bare Hono endpoint that only parses the same
 * JSON.  Goal: < 5 ms of CPU per refused request.
 *
 *   npm run bench:inbox-door
 *
 * The server is the real one (`src/main.ts`) in a child process; CPU is read
 * from /proc/<pid>/stat before and after BENCH_DOOR_REQUESTS (400) requests
 * per case, sent BENCH_DOOR_CONCURRENCY (4) at a time after 20 for warm-up.
 * The signing key of the "badly signed" cases is served by a loopback actor
 * in this process (fetched once, then kept by the server).  Results are
 * printed and appended to bench/RESULTS.md (BENCH_RESULTS=off: not written).
 */
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { exportSpki, signRequest } from "@fedify/fedify";
import { Temporal as TemporalPolyfill } from "@js-temporal/polyfill";
import {
  envInt,
  freePort,
  installCleanupHandlers,
  killAll,
  processCpuMs,
  startServer,
  stopServer,
  undersignEnv,
} from "./processes.ts";
import { describeMachine, fmt, markdownTable, textTable, type Table } from "./report.ts";

const ROOT = resolve(import.meta.dirname, "..");
const REQUESTS = envInt("BENCH_DOOR_REQUESTS", 400, 20, 100_000);
const CONCURRENCY = envInt("BENCH_DOOR_CONCURRENCY", 4, 1, 64);
const WARMUP = 20;
const GOAL_MS = 5;
const WRITE_RESULTS = (process.env.BENCH_RESULTS ?? "").toLowerCase() !== "off";

installCleanupHandlers(() => process.exit(130));
const tmp = mkdtempSync(join(tmpdir(), "undersign-door-"));

/** A Mastodon-shaped reply with `tags` hashtags, padded to about `bytes`. */
function activity(actor: string, tags: number, bytes: number): string {
  const status = `${actor}/statuses/1`;
  const json = {
    "@context": "https://www.w3.org/ns/activitystreams",
    id: `${status}/activity`,
    type: "Create",
    actor,
    to: ["https://www.w3.org/ns/activitystreams#Public"],
    object: {
      id: status,
      type: "Note",
      attributedTo: actor,
      inReplyTo: "https://undersign.example/ap/notes/1",
      to: ["https://www.w3.org/ns/activitystreams#Public"],
      content: "",
      tag: Array.from({ length: tags }, (_, i) => ({
        type: "Hashtag",
        href: `https://m.example/tags/tag${i}`,
        name: `#tag${i}`,
      })),
    },
  };
  const base = JSON.stringify(json).length;
  json.object.content = `<p>${"x".repeat(Math.max(0, bytes - base - 7))}</p>`;
  return JSON.stringify(json);
}

async function main() {
  // The signer's key, served by a loopback actor.
  const keys = (await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const pem = await exportSpki(keys.publicKey);
  let actor = "";
  const keyServer = createServer((req, res) => {
    res.writeHead(200, { "content-type": "application/activity+json" });
    res.end(
      JSON.stringify({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        id: actor,
        type: "Person",
        preferredUsername: "bench",
        inbox: `${actor}/inbox`,
        publicKey: { id: `${actor}#main-key`, owner: actor, publicKeyPem: pem },
      }),
    );
    req.resume();
  });
  await new Promise<void>((r) => keyServer.listen(0, "127.0.0.1", r));
  actor = `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}/users/bench`;

  const sitePort = await freePort();
  const site = await startServer({
    name: "undersign",
    args: ["--import", "tsx", "src/main.ts"],
    cwd: ROOT,
    env: undersignEnv(sitePort, join(tmp, "data"), { FEDERATION_ALLOW_PRIVATE_ADDRESS: "true" }),
    port: sitePort,
    readyPath: "/healthz",
  });
  const basePort = await freePort();
  const baseline = await startServer({
    name: "baseline",
    args: ["--import", "tsx", "bench/baseline-json.ts"],
    cwd: ROOT,
    env: { ...process.env, PORT: String(basePort) },
    port: basePort,
    readyPath: "/healthz",
  });

  const tags3000 = activity(actor, 3000, 200 * 1024);
  const tags200 = activity(actor, 200, 200 * 1024);
  const inbox = `${site.url}/inbox`;
  const json = { "content-type": "application/activity+json" };

  async function signed(
    body: string,
    spec: "draft-cavage-http-signatures-12" | "rfc9421",
    change?: "signature" | "digest" | "date",
  ): Promise<Headers> {
    const request = await signRequest(
      new Request(inbox, { method: "POST", headers: json, body }),
      keys.privateKey,
      new URL(`${actor}#main-key`),
      {
        spec,
        ...(change === "date"
          ? { currentTime: TemporalPolyfill.Now.instant().subtract({ hours: 2 }) as unknown as Temporal.Instant }
          : {}),
      },
    );
    const headers = new Headers(request.headers);
    if (change === "signature") {
      const value = headers.get("signature")!;
      headers.set(
        "signature",
        value.replace(/(signature="|=:)([A-Za-z0-9+/])/, (_m, p: string, c: string) => p + (c === "A" ? "B" : "A")),
      );
    }
    if (change === "digest") {
      if (headers.has("digest")) headers.set("digest", `SHA-256=${Buffer.alloc(32).toString("base64")}`);
      if (headers.has("content-digest"))
        headers.set("content-digest", `sha-256=:${Buffer.alloc(32).toString("base64")}:`);
    }
    return headers;
  }

  type Case = { name: string; url: string; headers: Headers; body: string; expect: number; goal: boolean };
  const cases: Case[] = [
    {
      name: "baseline: bare Hono parses the 200 KB JSON (3,000 tags)",
      url: `${baseline.url}/inbox`,
      headers: new Headers(json),
      body: tags3000,
      expect: 401,
      goal: false,
    },
    {
      name: "unsigned, 200 KB, 3,000 tags",
      url: inbox,
      headers: new Headers(json),
      body: tags3000,
      expect: 401,
      goal: true,
    },
    {
      name: "unsigned, 200 KB, 200 tags",
      url: inbox,
      headers: new Headers(json),
      body: tags200,
      expect: 401,
      goal: true,
    },
    {
      name: "forged signature (draft-cavage), 200 KB, 200 tags",
      url: inbox,
      headers: await signed(tags200, "draft-cavage-http-signatures-12", "signature"),
      body: tags200,
      expect: 401,
      goal: true,
    },
    {
      name: "forged signature (RFC 9421), 200 KB, 200 tags",
      url: inbox,
      headers: await signed(tags200, "rfc9421", "signature"),
      body: tags200,
      expect: 401,
      goal: true,
    },
    {
      name: "wrong body digest, 200 KB, 200 tags",
      url: inbox,
      headers: await signed(tags200, "draft-cavage-http-signatures-12", "digest"),
      body: tags200,
      expect: 401,
      goal: true,
    },
    {
      name: "signed two hours ago, 200 KB, 200 tags",
      url: inbox,
      headers: await signed(tags200, "draft-cavage-http-signatures-12", "date"),
      body: tags200,
      expect: 401,
      goal: true,
    },
    // For context, not a goal: a real key's owner (its server is budgeted) sending the attack's body.
    {
      name: "validly signed, 200 KB, 3,000 tags (over the shape budget)",
      url: inbox,
      headers: await signed(tags3000, "draft-cavage-http-signatures-12"),
      body: tags3000,
      expect: 400,
      goal: false,
    },
  ];

  const rows: { name: string; status: string; cpuMs: number; wallMs: number; goal: boolean }[] = [];
  for (const c of cases) {
    const pid = c.url.startsWith(baseline.url) ? baseline.pid : site.pid;
    const statuses = new Map<number, number>();
    const send = async () => {
      const response = await fetch(c.url, { method: "POST", headers: c.headers, body: c.body });
      await response.arrayBuffer();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    };
    const run = async (n: number) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < n) {
            next++;
            await send();
          }
        }),
      );
    };
    await run(WARMUP);
    statuses.clear();
    const cpuBefore = processCpuMs(pid)!;
    const started = performance.now();
    await run(REQUESTS);
    const wallMs = performance.now() - started;
    const cpuMs = (processCpuMs(pid)! - cpuBefore) / REQUESTS;
    const status = [...statuses].map(([s, n]) => (n === REQUESTS ? String(s) : `${s}×${n}`)).join(", ");
    if (statuses.get(c.expect) !== REQUESTS)
      throw new Error(`${c.name}: expected ${REQUESTS} × ${c.expect}, got ${status}`);
    rows.push({ name: c.name, status, cpuMs, wallMs: wallMs / REQUESTS, goal: c.goal });
    console.log(`${c.name}: ${status}, ${cpuMs.toFixed(2)} ms CPU per request`);
  }
  await stopServer(site);
  await stopServer(baseline);
  keyServer.close();

  const base = rows[0]!.cpuMs;
  const table: Table = {
    headers: ["Request", "Answer", "Server CPU per request", "Ratio to baseline", "Goal (< 5 ms CPU)"],
    align: ["l", "l", "r", "r", "l"],
    rows: rows.map((r) => [
      r.name,
      r.status,
      `${r.cpuMs.toFixed(2)} ms`,
      fmt.ratio(r.cpuMs / base),
      r.goal ? (r.cpuMs < GOAL_MS ? "met" : "MISSED") : "—",
    ]),
  };
  console.log(`\n${textTable(table)}`);
  const load = loadavg()[0]!.toFixed(2);
  console.log(`\n1-minute load average when the run ended: ${load}`);
  if (WRITE_RESULTS) {
    const machine = describeMachine(tmp);
    const day = new Date().toISOString().slice(0, 16).replace("T", " ");
    appendFileSync(
      join(import.meta.dirname, "RESULTS.md"),
      [
        "",
        `## Inbox door: CPU of a refused inbox POST (${day} UTC)`,
        "",
        `\`npm run bench:inbox-door\` at ${machine.revision}; ${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}. ` +
          `${fmt.int(REQUESTS)} requests per case after ${WARMUP} for warm-up, ${CONCURRENCY} at a time; CPU of the server process from /proc (10 ms ticks, so ±${(10 / REQUESTS).toFixed(3)} ms per request). ` +
          `1-minute load average when the run ended: ${load} (the machine is shared).`,
        "",
        markdownTable(table),
        "",
      ].join("\n"),
    );
  }
}

try {
  await main();
} finally {
  killAll();
  rmSync(tmp, { recursive: true, force: true });
}
