/**
 * The fediverse fleet of the strike-day rehearsal (bench/rehearsal.ts), a
 * process of its own: accounts on the inbox farm's loopback servers
 * (bench/federation-farm.ts serves their actor documents and public keys)
 * send undersign signed Likes, Announces (boosts) and public replies, and a
 * few hostile servers send garbage, huge bodies and forged signatures.
 *
 * Every activity is signed before the timed run (worker threads, draft-cavage
 * as Mastodon signs) so that signing does not take CPU from the server while
 * it is measured.  During the run `FLEET_CONCURRENCY` requests are in flight
 * at a time over kept-alive connections.  Like a real server, the fleet sends
 * an activity again when the connection fails (the site restarting) or the
 * answer is a 5xx, after a pause that doubles (0.25 s, 0.5 s, … at most 4 s),
 * up to 12 attempts; an accepted (202) activity is never sent again.
 *
 * Driven over IPC: it answers `{ type: "ready" }` once signed; then
 * `{ type: "start" }`, `{ type: "burst" }` (a burst of huge bodies),
 * `{ type: "stop" }`, after which it sends `{ type: "result", … }` and exits.
 * Configuration: FLEET_CONFIG (JSON, see `FleetConfig`).
 */
import { readFileSync } from "node:fs";
import { Agent, request as httpRequest, type IncomingMessage } from "node:http";
import { presignLikes, type LikeJob, type SignedRequest } from "./federation-crypto.ts";
import { farmHost } from "./federation-hosts.ts";

export interface FleetConfig {
  /** undersign's loopback port and its origin host (the Host header signed). */
  port: number;
  host: string;
  /** The Note that Likes, Announces and replies point at (the Declaration's announcement). */
  object: string;
  farmPort: number;
  servers: number;
  /** Private keys (PKCS#8 PEM, JSON array); actor n uses key n mod their number (as the farm serves them). */
  keysFile: string;
  actors: number;
  pool: number;
  concurrency: number;
  /** Hostile requests: one every `hostileEveryMs` (0: none). */
  hostileEveryMs: number;
  /** Bytes of each huge body. */
  hugeBytes: number;
}

export interface KindResult {
  /** Distinct activities sent (first attempts). */
  sent: number;
  /** Answered 202. */
  accepted: number;
  /** Every attempt's status (0: connection failed). */
  statuses: Record<string, number>;
  attempts: number;
  /** Latency of the attempts that got an answer, ms. */
  p50: number;
  p99: number;
  max: number;
  /** Activities given up after 12 attempts. */
  givenUp: number;
}

export interface FleetResult {
  kinds: Record<string, KindResult>;
  /** Accepted per second since start, all kinds. */
  perSecond: number[];
  /** Ids of the accepted activities, by kind. */
  acceptedIds: Record<string, string[]>;
  presign: { requests: number; ms: number };
  poolExhaustedAtS: number | null;
  hostile: Record<string, Record<string, number>>;
  /** Hostile requests answered 5xx (should be none). */
  hostile5xx: number;
  seconds: number;
}

const config = JSON.parse(process.env.FLEET_CONFIG ?? "{}") as FleetConfig;
const send = (message: unknown) => process.send?.(message);

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

// ------------------------------------------------------------------ signing

const privateKeys = JSON.parse(readFileSync(config.keysFile, "utf8")) as string[];
const actor = (i: number) => `http://${farmHost(i % config.servers)}:${config.farmPort}/users/fan${i}`;
/** 60 % Likes, 25 % boosts, 15 % replies. */
const kindOf = (j: number): NonNullable<LikeJob["kind"]> =>
  j % 20 < 12 ? "Like" : j % 20 < 17 ? "Announce" : "Create";
const jobs: LikeJob[] = [];
for (let j = 0; j < config.pool; j++) {
  const a = j % config.actors;
  jobs.push({
    actor: actor(a),
    key: a % privateKeys.length,
    seq: 1 + Math.floor(j / config.actors) * 20 + (j % 20),
    kind: kindOf(j),
  });
}
const { requests, ms: presignMs } = await presignLikes(jobs, {
  privateKeysPem: privateKeys,
  object: config.object,
  host: config.host,
  path: "/inbox",
});

// ------------------------------------------------------------------ sending

interface Answer {
  status: number;
  ms: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: config.concurrency });

function post(req: SignedRequest): Promise<Answer> {
  return new Promise((resolve) => {
    const started = performance.now();
    const r = httpRequest(
      {
        host: "127.0.0.1",
        port: config.port,
        path: "/inbox",
        method: "POST",
        headers: req.headers,
        agent,
        timeout: 30_000,
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
        res.on("error", () => resolve({ status: 0, ms: performance.now() - started }));
      },
    );
    r.on("timeout", () => r.destroy(new Error("timeout")));
    r.on("error", () => resolve({ status: 0, ms: performance.now() - started }));
    r.end(req.body);
  });
}

const kinds: Record<
  string,
  {
    sent: number;
    accepted: number;
    statuses: Record<string, number>;
    attempts: number;
    latencies: number[];
    givenUp: number;
  }
> = {};
const acceptedIds: Record<string, string[]> = {};
for (const k of ["Like", "Announce", "Create"]) {
  kinds[k] = { sent: 0, accepted: 0, statuses: {}, attempts: 0, latencies: [], givenUp: 0 };
  acceptedIds[k] = [];
}
const perSecond: number[] = [];
let startedAt = 0;
let stopping = false;
let next = 0;
let poolExhaustedAtS: number | null = null;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function worker(): Promise<void> {
  while (!stopping) {
    const i = next++;
    if (i >= requests.length) {
      poolExhaustedAtS ??= (performance.now() - startedAt) / 1000;
      return;
    }
    const req = requests[i]!;
    const k = kinds[req.kind]!;
    k.sent++;
    let pause = 250;
    for (let attempt = 1; ; attempt++) {
      const answer = await post(req);
      k.attempts++;
      k.statuses[answer.status] = (k.statuses[answer.status] ?? 0) + 1;
      if (answer.status !== 0) k.latencies.push(answer.ms);
      if (answer.status === 202) {
        k.accepted++;
        acceptedIds[req.kind]!.push(req.id);
        const second = Math.floor((performance.now() - startedAt) / 1000);
        perSecond[second] = (perSecond[second] ?? 0) + 1;
        break;
      }
      // 4xx: the server refused it for good.  Connection failures and 5xx: again later.
      if (answer.status >= 400 && answer.status < 500) break;
      if (attempt >= 12) {
        k.givenUp++;
        break;
      }
      await sleep(pause);
      pause = Math.min(4000, pause * 2);
    }
  }
}

// ------------------------------------------------------------------ hostile servers

const hostile: Record<string, Record<string, number>> = {};
let hostile5xx = 0;
const hostileAgent = new Agent({ keepAlive: false });

function count(kind: string, status: number | string): void {
  hostile[kind] ??= {};
  const h = hostile[kind];
  h[status] = (h[status] ?? 0) + 1;
  if (typeof status === "number" && status >= 500) hostile5xx++;
}

/** Sends `body` (a Buffer, or a size to stream in 64 KiB chunks) and records the answer. */
function hostileRequest(kind: string, headers: Record<string, string>, body: Buffer | number): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (status: number | string) => {
      if (done) return;
      done = true;
      count(kind, status);
      resolve();
    };
    const r = httpRequest(
      {
        host: "127.0.0.1",
        port: config.port,
        path: "/inbox",
        method: "POST",
        headers: { host: config.host, ...headers },
        agent: hostileAgent,
        timeout: 30_000,
      },
      (res: IncomingMessage) => {
        // The status is what counts; the answer may come before the whole body was sent: stop sending.
        finish(res.statusCode ?? 0);
        res.resume();
        r.destroy();
      },
    );
    r.on("timeout", () => r.destroy(new Error("timeout")));
    r.on("error", (error: NodeJS.ErrnoException) => finish(`error ${error.code ?? error.message}`));
    if (Buffer.isBuffer(body)) {
      r.end(body);
      return;
    }
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let left = body;
    const pump = () => {
      while (left > 0 && !r.destroyed) {
        left -= chunk.length;
        if (!r.write(chunk)) return void r.once("drain", pump);
      }
      if (!r.destroyed) r.end();
    };
    pump();
  });
}

const AP = "application/activity+json";
let hostileSeq = 0;
function oneHostile(): Promise<void> {
  const n = hostileSeq++;
  const a = actor(n % config.actors);
  switch (n % 7) {
    case 0:
      return hostileRequest(
        "garbage bytes",
        { "content-type": AP },
        Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x22, 0x6e, 0x6f, 0x74, 0x20, 0x6a, 0x73, 0x6f, 0x6e]),
      );
    case 1: {
      const depth = 20_000;
      return hostileRequest(
        "deeply nested JSON (20,000 levels)",
        { "content-type": AP },
        Buffer.from(`${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`),
      );
    }
    case 2:
      return hostileRequest(
        "unsigned Like",
        { "content-type": AP },
        Buffer.from(
          JSON.stringify({
            "@context": "https://www.w3.org/ns/activitystreams",
            id: `${a}#unsigned/${n}`,
            type: "Like",
            actor: a,
            object: config.object,
          }),
        ),
      );
    case 3: {
      // A real signed request whose body was swapped after signing (Digest mismatch).
      const signed = requests[n % requests.length]!;
      const body = Buffer.from(signed.body.replace(/}$/, ',"content":"altered after signing"}'));
      return hostileRequest("signed, body altered", { ...signed.headers, "content-length": String(body.length) }, body);
    }
    case 4: {
      // Signed by one account, claiming to be another (spoofed actor).
      const signed = requests[n % requests.length]!;
      const body = Buffer.from(signed.body.split(signed.actor).join(actor((n + 1) % config.actors)));
      return hostileRequest("spoofed actor", { ...signed.headers, "content-length": String(body.length) }, body);
    }
    case 5:
      return hostileRequest(
        `huge body, Content-Length ${Math.round(config.hugeBytes / 1048576)} MiB`,
        { "content-type": AP, "content-length": String(config.hugeBytes) },
        config.hugeBytes,
      );
    default:
      return hostileRequest(
        `huge body, chunked ${Math.round(config.hugeBytes / 1048576)} MiB`,
        { "content-type": AP },
        config.hugeBytes,
      );
  }
}

async function hostileLoop(): Promise<void> {
  if (config.hostileEveryMs <= 0) return;
  while (!stopping) {
    void oneHostile();
    await sleep(config.hostileEveryMs);
  }
}

async function burst(): Promise<void> {
  const mib = Math.round(config.hugeBytes / 1048576);
  await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      i % 2 === 0
        ? hostileRequest(`burst: huge body, chunked ${mib} MiB (40 at once)`, { "content-type": AP }, config.hugeBytes)
        : hostileRequest(
            `burst: huge body, Content-Length ${mib} MiB (40 at once)`,
            { "content-type": AP, "content-length": String(config.hugeBytes) },
            config.hugeBytes,
          ),
    ),
  );
}

// ------------------------------------------------------------------ control

let workers: Promise<void>[] = [];
process.on("message", (message: { type: string }) => {
  if (message.type === "start") {
    startedAt = performance.now();
    workers = [...Array.from({ length: config.concurrency }, () => worker()), hostileLoop()];
  } else if (message.type === "burst") {
    void burst();
  } else if (message.type === "stop") {
    stopping = true;
    const seconds = (performance.now() - startedAt) / 1000;
    void Promise.all(workers).then(() => {
      const result: FleetResult = {
        kinds: Object.fromEntries(
          Object.entries(kinds).map(([k, v]) => {
            const sorted = v.latencies.sort((a, b) => a - b);
            return [
              k,
              {
                sent: v.sent,
                accepted: v.accepted,
                statuses: v.statuses,
                attempts: v.attempts,
                p50: percentile(sorted, 50),
                p99: percentile(sorted, 99),
                max: sorted[sorted.length - 1] ?? Number.NaN,
                givenUp: v.givenUp,
              },
            ];
          }),
        ),
        perSecond: Array.from({ length: Math.ceil(seconds) }, (_, i) => perSecond[i] ?? 0),
        acceptedIds,
        presign: { requests: requests.length, ms: presignMs },
        poolExhaustedAtS,
        hostile,
        hostile5xx,
        seconds,
      };
      send({ type: "result", result });
      agent.destroy();
      hostileAgent.destroy();
      setTimeout(() => process.exit(0), 200);
    });
  }
});
send({ type: "ready", requests: requests.length, ms: presignMs });
