/**
 * RSA work for the federation benchmark: the machine's RSA-2048 signing and
 * verification rates (the CPU floor of a fan-out and of an inbox), and the
 * load generator's draft-cavage signatures, made in worker threads.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

const ALGORITHM = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

const SIGNING_BASE =
  "(request-target): post /inbox\nhost: 127.1.0.1:41234\ndate: Thu, 26 Nov 2026 12:00:00 GMT\n" +
  "digest: SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\ncontent-type: application/activity+json\nx-pad: ";
/** A 300-byte draft-cavage-like signing string. */
export const SIGNING_STRING = SIGNING_BASE + "x".repeat(300 - SIGNING_BASE.length);

export interface Rate {
  /** Operations per second. */
  rate: number;
  operations: number;
  ms: number;
}

async function rsaKeyPair(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(
    { ...ALGORITHM, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
    true,
    ["sign", "verify"],
  );
}

/**
 * WebCrypto RSASSA-PKCS1-v1_5 SHA-256 in this thread, `inFlight` operations
 * at a time (1: one after the other; more: Node runs them on libuv's thread
 * pool, as Fedify's concurrent deliveries do).
 */
export async function webCryptoRate(op: "sign" | "verify", ms: number, inFlight = 1): Promise<Rate> {
  const keys = await rsaKeyPair();
  const data = new TextEncoder().encode(SIGNING_STRING);
  const signature = await crypto.subtle.sign(ALGORITHM, keys.privateKey, data);
  const once = () =>
    op === "sign"
      ? crypto.subtle.sign(ALGORITHM, keys.privateKey, data)
      : crypto.subtle.verify(ALGORITHM, keys.publicKey, signature, data);
  for (let i = 0; i < 20; i++) await once(); // warm-up
  let operations = 0;
  const started = performance.now();
  const deadline = started + ms;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < deadline) {
        await once();
        operations++;
      }
    }),
  );
  const elapsed = performance.now() - started;
  return { rate: (operations / elapsed) * 1000, operations, ms: elapsed };
}

// Plain JavaScript so that the workers need no TypeScript loader.
const WORKER = `
const { parentPort } = require("node:worker_threads");
const { createHash, createPrivateKey, sign } = require("node:crypto");
const subtle = globalThis.crypto.subtle;
const ALGORITHM = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
let keys = null;
let signature = null;
let data = null;
parentPort.on("message", async (m) => {
  try {
    if (m.type === "prepare") {
      keys = await subtle.generateKey({ ...ALGORITHM, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) }, true, ["sign", "verify"]);
      data = new TextEncoder().encode(m.text);
      signature = await subtle.sign(ALGORITHM, keys.privateKey, data);
      for (let i = 0; i < 20; i++) await subtle.sign(ALGORITHM, keys.privateKey, data);
      parentPort.postMessage({ ready: true });
    } else if (m.type === "rate") {
      let n = 0;
      const started = performance.now();
      while (performance.now() - started < m.ms) {
        if (m.op === "sign") await subtle.sign(ALGORITHM, keys.privateKey, data);
        else await subtle.verify(ALGORITHM, keys.publicKey, signature, data);
        n++;
      }
      parentPort.postMessage({ operations: n, ms: performance.now() - started });
    } else if (m.type === "presign") {
      const privateKeys = m.keys.map((pem) => createPrivateKey(pem));
      const out = [];
      for (const job of m.jobs) {
        const kind = job.kind || "Like";
        const as = "https://www.w3.org/ns/activitystreams";
        const PUBLIC = as + "#Public";
        const body = JSON.stringify(
          kind === "Announce"
            ? { "@context": as, id: job.actor + "/statuses/" + job.seq + "/activity", type: "Announce", actor: job.actor, object: m.object,
                to: [PUBLIC], cc: [job.actor + "/followers"], published: new Date().toISOString() }
            : kind === "Create"
              ? { "@context": as, id: job.actor + "/statuses/" + job.seq + "/activity", type: "Create", actor: job.actor, to: [PUBLIC],
                  object: { id: job.actor + "/statuses/" + job.seq, type: "Note", attributedTo: job.actor, inReplyTo: m.object, to: [PUBLIC],
                            content: "<p>Signed and shared, reply " + job.seq + " from " + job.actor + "</p>", published: new Date().toISOString() } }
              : { "@context": as, id: job.actor + "#likes/" + job.seq, type: "Like", actor: job.actor, object: m.object },
        );
        const date = new Date().toUTCString();
        const digest = "SHA-256=" + createHash("sha256").update(body).digest("base64");
        const type = "application/activity+json";
        const text = "(request-target): post " + m.path + "\\nhost: " + m.host + "\\ndate: " + date + "\\ndigest: " + digest + "\\ncontent-type: " + type;
        const value = sign("sha256", Buffer.from(text), privateKeys[job.key]).toString("base64");
        out.push({
          actor: job.actor,
          kind,
          id: JSON.parse(body).id,
          body,
          headers: {
            host: m.host,
            date,
            digest,
            "content-type": type,
            "content-length": String(Buffer.byteLength(body)),
            signature: 'keyId="' + job.actor + '#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest content-type",signature="' + value + '"',
          },
        });
      }
      parentPort.postMessage({ requests: out });
    }
  } catch (error) {
    parentPort.postMessage({ error: String((error && error.stack) || error) });
  }
});
`;

function ask<T>(worker: Worker, message: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: T & { error?: string }) => {
      worker.off("error", onError);
      if (reply.error != null) reject(new Error(reply.error));
      else resolve(reply);
    };
    const onError = (error: Error) => {
      worker.off("message", onMessage);
      reject(error);
    };
    worker.once("message", onMessage);
    worker.once("error", onError);
    worker.postMessage(message);
  });
}

function startWorkers(n: number): Worker[] {
  return Array.from({ length: n }, () => new Worker(WORKER, { eval: true }));
}

/** WebCrypto rate with `threads` worker threads at once, one operation at a time in each. */
export async function workerRate(
  op: "sign" | "verify",
  ms: number,
  threads = availableParallelism(),
): Promise<Rate & { threads: number }> {
  const workers = startWorkers(threads);
  try {
    await Promise.all(workers.map((w) => ask(w, { type: "prepare", text: SIGNING_STRING })));
    const results = await Promise.all(
      workers.map((w) => ask<{ operations: number; ms: number }>(w, { type: "rate", op, ms })),
    );
    const operations = results.reduce((a, r) => a + r.operations, 0);
    const elapsed = Math.max(...results.map((r) => r.ms));
    return { rate: (operations / elapsed) * 1000, operations, ms: elapsed, threads };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

export interface LikeJob {
  /** The liking actor's URI. */
  actor: string;
  /** Index into the private keys. */
  key: number;
  /** Makes the activity id unique: `${actor}#likes/${seq}` (a Like), `${actor}/statuses/${seq}/activity` (the others). */
  seq: number;
  /** Like (default), Announce (a boost of the object) or Create (a public reply Note to the object). */
  kind?: "Like" | "Announce" | "Create";
}

export interface SignedRequest {
  actor: string;
  kind: "Like" | "Announce" | "Create";
  /** The activity's id. */
  id: string;
  body: string;
  headers: Record<string, string>;
}

/**
 * Signs one activity (`Like` unless the job says otherwise) of `object` per job (draft-cavage over (request-target),
 * host, date, digest and content-type, as Mastodon signs), split over
 * `threads` worker threads.  Each request gets its own Date and signature.
 */
export async function presignLikes(
  jobs: readonly LikeJob[],
  options: { privateKeysPem: readonly string[]; object: string; host: string; path: string; threads?: number },
): Promise<{ requests: SignedRequest[]; ms: number }> {
  const threads = Math.max(1, options.threads ?? availableParallelism());
  const workers = startWorkers(threads);
  const started = performance.now();
  try {
    const chunk = Math.ceil(jobs.length / threads);
    const parts = await Promise.all(
      workers.map((w, i) =>
        ask<{ requests: SignedRequest[] }>(w, {
          type: "presign",
          keys: options.privateKeysPem,
          object: options.object,
          host: options.host,
          path: options.path,
          jobs: jobs.slice(i * chunk, (i + 1) * chunk),
        }),
      ),
    );
    return { requests: parts.flatMap((p) => p.requests), ms: performance.now() - started };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
