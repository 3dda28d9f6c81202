/**
 * A small fediverse server that knows one HTTP signature format, as many real
 * ones do, for tests of how we sign (double knocking) and fetch:
 *
 * - "draft-cavage": like Misskey, Pleroma, Mastodon before 4.5 and snac.  It
 *   verifies draft-cavage-http-signatures-12 itself (signing string from the
 *   signed headers, the body's Digest, the Date within an hour, RSA-SHA256
 *   against the key of the signing actor, fetched from the key id) and
 *   answers 202 to anything signed with RFC 9421 without looking at it: the
 *   activity is silently dropped, as snac does.
 * - "rfc9421": verifies RFC 9421 (through Fedify's verifier) and refuses
 *   draft-cavage with 401, so a sender must switch.
 *
 * Its inbox can answer the next N requests with a 502, as a proxy does while
 * the server behind it restarts.  With `requireSignedGets`, GETs of its
 * documents must be signed in its format (verified) or get 401, as on a
 * Mastodon server in authorized-fetch mode.  Its one account, `dora`, can
 * follow an actor elsewhere (a draft-cavage signed POST).
 */
import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  verify as verifySignature,
  type KeyObject,
} from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { signRequest, verifyRequest } from "@fedify/fedify";
import { getDocumentLoader } from "@fedify/vocab-runtime";

export type PeerFormat = "draft-cavage" | "rfc9421";

export interface InboxPost {
  readonly format: PeerFormat | null;
  readonly status: number;
  readonly json: Record<string, any> | null;
  /** Verified in the format the peer knows (false for what it drops or refuses). */
  readonly verified: boolean;
  readonly at: number;
}

export interface SignedGet {
  readonly path: string;
  readonly keyId: string | null;
  readonly verified: boolean;
}

export interface SignaturePeer {
  readonly origin: string;
  readonly host: string;
  readonly actorUri: string;
  readonly inbox: string;
  /** Every POST to an inbox, in order. */
  readonly posts: readonly InboxPost[];
  /** Every GET of a document. */
  readonly gets: readonly SignedGet[];
  /** The activities it verified and kept. */
  accepted(): Record<string, any>[];
  /** The next `n` inbox POSTs are answered 502 Bad Gateway. */
  fail502(n: number): void;
  /** dora follows `actorUri` (signed with draft-cavage); resolves to the status. */
  follow(actorUri: string, inbox: string): Promise<number>;
  /** A document the peer serves at `path` (for fetch tests). */
  serve(path: string, json: Record<string, unknown>): void;
  /** GETs of `path` are redirected to `to` (302). */
  redirect(path: string, to: string): void;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function params(header: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of header.matchAll(/([a-zA-Z]+)="([^"]*)"/g)) out.set(m[1]!, m[2]!);
  return out;
}

async function fetchPublicKey(keyId: string): Promise<KeyObject | null> {
  const response = await fetch(keyId.replace(/#.*$/, ""), { headers: { accept: "application/activity+json" } });
  if (!response.ok) return null;
  const doc = (await response.json()) as {
    publicKey?: { id?: string; publicKeyPem?: string } | { id?: string; publicKeyPem?: string }[];
  };
  const keys = Array.isArray(doc.publicKey) ? doc.publicKey : doc.publicKey == null ? [] : [doc.publicKey];
  const key = keys.find((k) => k.id === keyId);
  return key?.publicKeyPem == null ? null : createPublicKey(key.publicKeyPem);
}

/** Verifies a draft-cavage signature of a request the way Mastodon and Misskey do. */
export async function verifyCavage(
  req: IncomingMessage,
  body: Buffer | null,
): Promise<{ ok: boolean; keyId: string | null }> {
  const header = req.headers.signature;
  if (typeof header !== "string") return { ok: false, keyId: null };
  const p = params(header);
  const keyId = p.get("keyId") ?? null;
  const signed = (p.get("headers") ?? "date").split(" ");
  if (keyId == null || p.get("signature") == null) return { ok: false, keyId };
  const date = Date.parse(String(req.headers.date ?? ""));
  if (!signed.includes("date") || !Number.isFinite(date) || Math.abs(Date.now() - date) > 60 * 60 * 1000)
    return { ok: false, keyId };
  if (body != null) {
    const digest = `SHA-256=${createHash("sha256").update(body).digest("base64")}`;
    if (!signed.includes("digest") || req.headers.digest !== digest) return { ok: false, keyId };
  }
  const lines = signed.map((name) =>
    name === "(request-target)"
      ? `(request-target): ${req.method!.toLowerCase()} ${req.url}`
      : `${name}: ${String(req.headers[name] ?? "")}`,
  );
  const key = await fetchPublicKey(keyId);
  if (key == null) return { ok: false, keyId };
  const ok = verifySignature("sha256", Buffer.from(lines.join("\n")), key, Buffer.from(p.get("signature")!, "base64"));
  return { ok, keyId };
}

export async function startSignaturePeer(options: {
  format: PeerFormat;
  requireSignedGets?: boolean;
}): Promise<SignaturePeer> {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const posts: InboxPost[] = [];
  const gets: SignedGet[] = [];
  const documents = new Map<string, Record<string, unknown>>();
  const redirects = new Map<string, string>();
  let failures = 0;
  let origin = "";
  const actorUri = () => `${origin}/users/dora`;

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", origin);
    const send = (status: number, json?: unknown) => {
      res.writeHead(status, json === undefined ? {} : { "content-type": "application/activity+json" });
      res.end(json === undefined ? "" : JSON.stringify(json));
    };
    if (req.method === "GET") {
      let verified = false;
      let keyId: string | null = null;
      if (req.headers["signature-input"] != null) {
        keyId = /keyid="([^"]*)"/.exec(String(req.headers["signature-input"]))?.[1] ?? null;
        verified = options.format === "rfc9421" && (await verifyRfc9421(req, null));
      } else if (typeof req.headers.signature === "string" && options.format === "draft-cavage") {
        ({ ok: verified, keyId } = await verifyCavage(req, null));
      }
      gets.push({ path: url.pathname, keyId, verified });
      if (options.requireSignedGets && !verified) return send(401);
      const to = redirects.get(url.pathname);
      if (to != null) {
        res.writeHead(302, { location: to });
        return res.end();
      }
      if (url.pathname === "/users/dora") {
        return send(200, {
          "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
          id: actorUri(),
          type: "Person",
          preferredUsername: "dora",
          inbox: `${actorUri()}/inbox`,
          outbox: `${actorUri()}/outbox`,
          followers: `${actorUri()}/followers`,
          endpoints: { sharedInbox: `${origin}/inbox` },
          publicKey: {
            id: `${actorUri()}#main-key`,
            owner: actorUri(),
            publicKeyPem: publicKey.export({ type: "spki", format: "pem" }),
          },
        });
      }
      const doc = documents.get(url.pathname);
      return doc == null ? send(404) : send(200, doc);
    }
    if (req.method !== "POST" || (url.pathname !== "/inbox" && url.pathname !== "/users/dora/inbox")) return send(404);
    const body = await readBody(req);
    let json: Record<string, any> | null = null;
    try {
      json = JSON.parse(body.toString("utf8")) as Record<string, any>;
    } catch {
      json = null;
    }
    const format: PeerFormat | null =
      req.headers["signature-input"] != null ? "rfc9421" : req.headers.signature != null ? "draft-cavage" : null;
    const record = (status: number, verified: boolean) => {
      posts.push({ format, status, json, verified, at: Date.now() });
      send(status);
    };
    if (failures > 0) {
      failures--;
      return record(502, false);
    }
    if (format !== options.format) {
      // The other format: a cavage-only peer takes it and drops it; an RFC 9421 one refuses.
      return record(options.format === "draft-cavage" && format === "rfc9421" ? 202 : 401, false);
    }
    if (format === "draft-cavage") {
      const { ok } = await verifyCavage(req, body);
      return record(ok ? 202 : 401, ok);
    }
    const ok = await verifyRfc9421(req, body);
    return record(ok ? 202 : 401, ok);
  });
  async function verifyRfc9421(req: IncomingMessage, body: Buffer | null): Promise<boolean> {
    const request = new Request(new URL(req.url ?? "/", origin), {
      method: req.method,
      headers: Object.entries(req.headers).flatMap(([k, v]) =>
        v == null ? [] : Array.isArray(v) ? v.map((x) => [k, x] as [string, string]) : [[k, v] as [string, string]],
      ),
      ...(body == null ? {} : { body: new Uint8Array(body) }),
    });
    const loader = getDocumentLoader({ allowPrivateAddress: true });
    return (await verifyRequest(request, { spec: "rfc9421", documentLoader: loader, contextLoader: loader })) != null;
  }
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const signingKey = await crypto.subtle.importKey(
    "pkcs8",
    privateKey.export({ type: "pkcs8", format: "der" }),
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    true,
    ["sign"],
  );

  return {
    origin,
    host: new URL(origin).host,
    actorUri: actorUri(),
    inbox: `${actorUri()}/inbox`,
    posts,
    gets,
    accepted: () => posts.filter((p) => p.verified && p.json != null).map((p) => p.json!),
    fail502: (n) => {
      failures = n;
    },
    async follow(target, inbox) {
      const follow = {
        "@context": "https://www.w3.org/ns/activitystreams",
        id: `${origin}/follows/${crypto.randomUUID()}`,
        type: "Follow",
        actor: actorUri(),
        object: target,
      };
      const request = new Request(inbox, {
        method: "POST",
        headers: { "content-type": "application/activity+json" },
        body: JSON.stringify(follow),
      });
      const signed = await signRequest(request, signingKey, new URL(`${actorUri()}#main-key`), {
        spec: "draft-cavage-http-signatures-12",
      });
      return (await fetch(signed)).status;
    },
    serve: (path, json) => void documents.set(path, json),
    redirect: (path, to) => void redirects.set(path, to),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
