/**
 * A scripted fediverse server on a loopback port, for what the Fedify-based
 * stand-in (fediverse.ts) cannot be made to do: serve any document at any
 * path (a key that claims to be someone else's), answer an account's id with
 * 404, 410, a redirect, a 500 or nothing at all, and sign requests with any
 * key under any key id.  Actors look like Mastodon's (`Person`, `publicKey`
 * `#main-key` as one object, inbox and shared inbox on the same host).
 *
 *   const evil = await startActorServer();
 *   const x = await evil.addActor("x");
 *   evil.setState("x", 410);
 *   const response = await fetch(await evil.signedPost({ inbox, json, keyId: x.keyId, privateKey: x.keys.privateKey }));
 *   await evil.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportSpki, signRequest } from "@fedify/fedify";

/** `signed-only`: 401 to a GET without a `Signature` header (Mastodon's secure mode, strictly). */
export type ActorState = "live" | "signed-only" | 404 | 410 | 500 | "hang" | { redirect: string };

export interface ScriptedActor {
  readonly name: string;
  readonly uri: string;
  readonly keyId: string;
  readonly keys: CryptoKeyPair;
}

type Served = { status: number; body: unknown; headers?: Record<string, string> };

export interface ActorServer {
  readonly origin: string;
  readonly host: string;
  addActor(name: string, options?: { displayName?: string; keyIds?: string[] }): Promise<ScriptedActor>;
  setState(name: string, state: ActorState): void;
  /** Serves `body` (JSON) at `path` with `status` (200 by default). */
  serve(path: string, body: unknown, status?: number): void;
  /** How many GETs each path received. */
  hits(path: string): number;
  /** The key ids that signed the requests to `path` (draft-cavage `keyId` or RFC 9421 `keyid`), in order. */
  signers(path: string): string[];
  /** A key pair that no actor document names. */
  strayKeys(): Promise<CryptoKeyPair>;
  /** A POST of `json` to `inbox`, signed with `privateKey` under `keyId`. */
  signedPost(options: {
    inbox: string;
    json: object;
    keyId: string;
    privateKey: CryptoKey;
    spec?: "draft-cavage-http-signatures-12" | "rfc9421";
  }): Promise<Request>;
  close(): Promise<void>;
}

export function generateRsaKeyPair(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  );
}

export const AS = "https://www.w3.org/ns/activitystreams";
export const SECURITY = "https://w3id.org/security/v1";

export async function startActorServer(): Promise<ActorServer> {
  const actors = new Map<
    string,
    { actor: ScriptedActor; state: ActorState; displayName: string; keyIds: string[] | null }
  >();
  const documents = new Map<string, Served>();
  const counts = new Map<string, number>();
  const signedBy = new Map<string, string[]>();
  const hanging = new Set<ServerResponse>();
  let origin = "";

  async function actorJson(entry: { actor: ScriptedActor; displayName: string; keyIds: string[] | null }) {
    const { actor } = entry;
    return {
      "@context": [AS, SECURITY],
      id: actor.uri,
      type: "Person",
      preferredUsername: actor.name,
      name: entry.displayName,
      inbox: `${actor.uri}/inbox`,
      outbox: `${actor.uri}/outbox`,
      endpoints: { sharedInbox: `${origin}/inbox` },
      url: `${origin}/@${actor.name}`,
      publicKey: { id: actor.keyId, owner: actor.uri, publicKeyPem: await exportSpki(actor.keys.publicKey) },
    };
  }

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    res.writeHead(status, { "content-type": "application/activity+json", ...headers });
    res.end(body == null ? "" : JSON.stringify(body));
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = new URL(req.url ?? "/", origin).pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const keyId = /keyid="([^"]+)"/i.exec(String(req.headers["signature-input"] ?? req.headers.signature ?? ""));
    if (keyId != null) signedBy.set(path, [...(signedBy.get(path) ?? []), keyId[1]!]);
    if (req.method === "POST") {
      req.resume();
      return send(res, 202, null);
    }
    const doc = documents.get(path);
    if (doc != null) return send(res, doc.status, doc.body, doc.headers);
    const match = /^\/users\/([^/]+)$/.exec(path);
    const entry = match == null ? undefined : actors.get(match[1]!);
    if (entry == null) return send(res, 404, { error: "Not found" });
    const state = entry.state;
    if (state === "hang") {
      hanging.add(res);
      return;
    }
    if (state === 404 || state === 410 || state === 500)
      return send(res, state, state === 410 ? { id: entry.actor.uri, type: "Tombstone" } : { error: String(state) });
    if (state === "signed-only" && req.headers.signature == null && req.headers["signature-input"] == null)
      return send(res, 401, { error: "Request not signed" });
    if (typeof state === "object") {
      res.writeHead(302, { location: state.redirect });
      return res.end();
    }
    const json = await actorJson(entry);
    if (entry.keyIds != null)
      (json as Record<string, unknown>).assertionMethod = entry.keyIds.map((id) => ({
        id,
        type: "Multikey",
        controller: entry.actor.uri,
      }));
    return send(res, 200, json);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    host: new URL(origin).host,
    async addActor(name, options = {}) {
      const uri = `${origin}/users/${name}`;
      const actor: ScriptedActor = { name, uri, keyId: `${uri}#main-key`, keys: await generateRsaKeyPair() };
      actors.set(name, {
        actor,
        state: "live",
        displayName: options.displayName ?? name,
        keyIds: options.keyIds ?? null,
      });
      return actor;
    },
    setState(name, state) {
      const entry = actors.get(name);
      if (entry == null) throw new Error(`no actor ${name}`);
      entry.state = state;
    },
    serve(path, body, status = 200) {
      documents.set(path, { status, body });
    },
    hits: (path) => counts.get(path) ?? 0,
    signers: (path) => [...(signedBy.get(path) ?? [])],
    strayKeys: generateRsaKeyPair,
    async signedPost({ inbox, json, keyId, privateKey, spec }) {
      const request = new Request(inbox, {
        method: "POST",
        headers: { "content-type": "application/activity+json", accept: "application/activity+json" },
        body: JSON.stringify(json),
      });
      return signRequest(request, privateKey, new URL(keyId), { spec: spec ?? "draft-cavage-http-signatures-12" });
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
