/**
 * (Over 400 lines: the inbox door's checks are one ordered sequence.)
 *
 * The inbox's door: what every POST to an inbox must show before Fedify
 * spends any JSON-LD work on it.  Fedify parses a whole activity (its
 * Object Integrity Proof path) before it looks at the HTTP signature, which
 * for a 200 KB activity with thousands of tags is a third of a second of
 * CPU; here the request is refused for a fraction of a millisecond unless
 *
 * 1. it carries a well-formed HTTP signature (draft-cavage `Signature`, or
 *    RFC 9421 `Signature-Input` + `Signature`) naming an http(s) key;
 * 2. its remote server (the host of that key) is within its budget
 *    (`INBOX_LIMIT_PER_SERVER`; refused posts cost five times, large ones more);
 * 3. it is dated within an hour of our clock (Fedify's own window);
 * 4. its signature covers the body digest (`Digest` or `Content-Digest`);
 * 5. the body (read only now, within the size limit) matches that digest;
 * 6. the signature verifies with the key it names — Fedify's own
 *    `verifyRequestDetailed` (the key fetched through the federation's
 *    document loader, kept in memory for ten minutes; a signature that does
 *    not verify with a key fetched in the last minute is refused before, for
 *    less than a copy of its body);
 * 7. its body is a JSON object within a shape budget (nesting, array
 *    lengths, tags, values).
 *
 * The one exception to 6: a key that cannot be fetched (a deleted account's
 * key answers 410) lets through a small `Delete` whose actor deletes itself,
 * so that the inbox's unverified-activity handler can prove the deletion by
 * fetching the actor itself (inbox-delete.ts).
 *
 * What passed is remembered for the request (`inboundOf`): the listeners
 * believe an activity to be its actor's only when the key verified here is
 * one that the actor's own document names (signer.ts).
 *
 * Refusals are logged at info, at most one line per reason and server a
 * minute.
 */
import { createHash, KeyObject, timingSafeEqual, verify } from "node:crypto";
import { verifyRequestDetailed, type Context, type KeyCache } from "@fedify/fedify";
import { CryptographicKey, Multikey } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import { decodeDict, encodeItem, Item } from "structured-field-values";
import type { FedData } from "./builder.ts";
import { instant } from "./time.ts";

const logger = getLogger(["undersign", "federation", "inbox"]);

/** Fedify's window for HTTP signatures (`signatureTimeWindow`'s default). */
export const SIGNATURE_WINDOW_MS = 60 * 60 * 1000;

/** The shape an activity may have: far beyond what Mastodon, Misskey or Pleroma send. */
export const INBOX_SHAPE = {
  /** Levels of nesting (objects and arrays). */
  depth: 64,
  /** Items in any one array. */
  arrayItems: 500,
  /** Items in any one `tag` array (each costs about 0.1 ms of JSON-LD work in Fedify). */
  tags: 200,
  /** Values (objects, arrays, strings, numbers…) in the whole body. */
  values: 4000,
} as const;

/** Bodies of a `Delete` let through with a key that could not be fetched are at most this large. */
const MAX_UNVERIFIED_DELETE_BYTES = 8 * 1024;
/** A refused post costs this many times an accepted one. */
const REFUSED_COST = 5;
/** Each started block of this many bytes costs one more. */
const COST_BLOCK_BYTES = 8 * 1024;

/** What the door learnt about one inbox request. */
export interface Inbound {
  /** The key whose signature verified, as its document names it; null when the key could not be fetched. */
  readonly keyId: URL | null;
  /** The body as parsed JSON (a plain object). */
  readonly json: Record<string, unknown>;
}

/** The inboxes' paths: each Declaration's and the shared one. */
export const INBOX_PATHS = { personal: "/d/{identifier}/inbox", shared: "/inbox" } as const;

/** Whether a request path is one of the inboxes. */
export function isInboxPath(path: string): boolean {
  return path === INBOX_PATHS.shared || /^\/d\/[^/]+\/inbox$/.test(path);
}

const inbound = new WeakMap<FedData, Inbound>();

/** What the door learnt about the request whose listeners run with this data. */
export function inboundOf(data: FedData): Inbound | undefined {
  return inbound.get(data);
}

/** A per-request copy of the federation's data that carries what the door learnt. */
export function withInbound(data: FedData, info: Inbound): FedData {
  const copy: FedData = { ...data };
  inbound.set(copy, info);
  return copy;
}

// ---------------------------------------------------------------------------
// Signature headers

export interface SignatureHeader {
  readonly spec: "draft-cavage-http-signatures-12" | "rfc9421";
  readonly keyId: URL;
  /** For a draft-cavage signature: what it covers, its value and its parameters (`created`, `expires`). */
  readonly cavage?: {
    readonly headers: readonly string[];
    readonly signature: string;
    readonly created?: string;
    readonly expires?: string;
  };
  /** Unix ms the signature says it was made (draft-cavage: its `Date` header; RFC 9421: `created`). */
  readonly created: number | null;
  /** Whether the body digest header is among what the signature covers. */
  readonly coversDigest: boolean;
}

export type HeaderCheck = { ok: true; signature: SignatureHeader } | { ok: false; reason: string };

function httpKeyId(raw: string | undefined): URL | null {
  if (raw == null || raw.length > 2048 || !URL.canParse(raw)) return null;
  const url = new URL(raw);
  return url.protocol === "https:" || url.protocol === "http:" ? url : null;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Reads the signature headers without verifying anything: present, well
 * formed, naming an http(s) key.  RFC 9421 wins when both kinds are sent
 * (as Fedify decides).
 */
export function readSignatureHeader(headers: Headers): HeaderCheck {
  const input = headers.get("signature-input");
  const value = headers.get("signature");
  if (value == null) return { ok: false, reason: "no signature" };
  if (value.length > 8192 || (input?.length ?? 0) > 8192) return { ok: false, reason: "a signature header too long" };
  if (input != null) {
    // label=("@method" "@target-uri" …);keyid="…";created=…;alg="…"
    const member = /^\s*([A-Za-z][\w.*-]*)=\(([^)]*)\)((?:;[^;]*)*)\s*$/.exec(
      input.split(/,(?=\s*[A-Za-z][\w.*-]*=\()/)[0] ?? "",
    );
    if (member == null) return { ok: false, reason: "a malformed Signature-Input" };
    const [, label, components, params] = member as unknown as [string, string, string, string];
    const keyId = httpKeyId(/;keyid="([^"]*)"/.exec(params)?.[1]);
    if (keyId == null) return { ok: false, reason: "a Signature-Input without an http(s) keyid" };
    const created = /;created=(\d{1,12})(?:;|$)/.exec(params)?.[1];
    const sig = new RegExp(`(?:^|,)\\s*${label.replace(/[.*]/g, "\\$&")}=:([A-Za-z0-9+/]+={0,2}):`).exec(value);
    if (sig == null) return { ok: false, reason: "no signature value for its Signature-Input" };
    return {
      ok: true,
      signature: {
        spec: "rfc9421",
        keyId,
        created: created == null ? null : Number(created) * 1000,
        coversDigest: /"content-digest"/i.test(components),
      },
    };
  }
  const fields = new Map<string, string>();
  for (const pair of value.split(",")) {
    const m = /^\s*([A-Za-z]+)=(?:"([^"]*)"|(\d+))\s*$/.exec(pair);
    if (m != null) fields.set(m[1]!, m[2] ?? m[3]!);
  }
  const keyId = httpKeyId(fields.get("keyId"));
  if (keyId == null) return { ok: false, reason: "a Signature without an http(s) keyId" };
  const signature = fields.get("signature");
  if (signature == null || !BASE64.test(signature))
    return { ok: false, reason: "a Signature without a signature value" };
  const covered = (fields.get("headers") ?? "").toLowerCase().split(/\s+/);
  if (!covered.includes("(request-target)") || !covered.includes("date"))
    return { ok: false, reason: "a Signature that does not cover (request-target) and date" };
  // Fedify checks the Date header (and `created`, when given) against its window.
  const date = headers.get("date");
  const created = date != null && !Number.isNaN(Date.parse(date)) ? Date.parse(date) : null;
  const cavage = {
    headers: covered,
    signature,
    ...(fields.has("created") ? { created: fields.get("created")! } : {}),
    ...(fields.has("expires") ? { expires: fields.get("expires")! } : {}),
  };
  return {
    ok: true,
    signature: {
      spec: "draft-cavage-http-signatures-12",
      keyId,
      created,
      coversDigest: covered.includes("digest"),
      cavage,
    },
  };
}

// ---------------------------------------------------------------------------
// Body digest

const DIGESTS: Record<string, string> = { "sha-256": "sha256", "sha-512": "sha512" };

/**
 * Whether the body digest header (`Digest` for draft-cavage, `Content-Digest`
 * for RFC 9421) names the body: every SHA-256 or SHA-512 value in it must
 * match, and there must be one.  (Fedify checks it again when it verifies
 * the signature; this copy is synchronous and cheap, so a body that does not
 * match is refused before anything else is built for it.)
 */
export function digestMatches(headers: Headers, spec: SignatureHeader["spec"], body: Uint8Array): boolean {
  const header = headers.get(spec === "rfc9421" ? "content-digest" : "digest");
  if (header == null || header.length > 1024) return false;
  let matched = false;
  for (const part of header.split(",")) {
    const at = part.indexOf("=");
    const algorithm = at < 0 ? undefined : DIGESTS[part.slice(0, at).trim().toLowerCase()];
    if (algorithm == null) continue;
    let encoded = part.slice(at + 1).trim();
    if (spec === "rfc9421") encoded = /^:([A-Za-z0-9+/]+={0,2}):$/.exec(encoded)?.[1] ?? "";
    if (!BASE64.test(encoded)) return false;
    const given = Buffer.from(encoded, "base64");
    const expected = createHash(algorithm).update(body).digest();
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
    matched = true;
  }
  return matched;
}

// ---------------------------------------------------------------------------
// Shape

export type ShapeCheck = { ok: true; json: Record<string, unknown> } | { ok: false; reason: string; status: 400 };

/**
 * Parses the body as strict UTF-8 JSON and checks it against `INBOX_SHAPE`:
 * a plain object, no deeper than `depth`, no array longer than
 * `arrayItems` (`tags` for a `tag` array), at most `values` values.
 */
export function checkShape(body: Uint8Array): ShapeCheck {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    return { ok: false, reason: "The body is not JSON (UTF-8).", status: 400 };
  }
  if (json == null || typeof json !== "object" || Array.isArray(json))
    return { ok: false, reason: "An activity is a JSON object.", status: 400 };
  let values = 0;
  const stack: [unknown, number, string | null][] = [[json, 1, null]];
  while (stack.length > 0) {
    const [value, depth, key] = stack.pop()!;
    if (++values > INBOX_SHAPE.values)
      return { ok: false, reason: `Activities with more than ${INBOX_SHAPE.values} values are refused.`, status: 400 };
    if (value == null || typeof value !== "object") continue;
    if (depth > INBOX_SHAPE.depth)
      return {
        ok: false,
        reason: `Activities nested deeper than ${INBOX_SHAPE.depth} levels are refused.`,
        status: 400,
      };
    if (Array.isArray(value)) {
      const limit = key === "tag" ? INBOX_SHAPE.tags : INBOX_SHAPE.arrayItems;
      if (value.length > limit)
        return {
          ok: false,
          reason: `Activities with more than ${limit} items in ${key === "tag" ? "tag" : "an array"} are refused.`,
          status: 400,
        };
      for (const item of value) stack.push([item, depth + 1, key]);
    } else {
      for (const [k, v] of Object.entries(value)) stack.push([v, depth + 1, k]);
    }
  }
  return { ok: true, json: json as Record<string, unknown> };
}

/** Whether the JSON deletes its own actor (`Delete`, `object` = `actor`), read plainly: a hint for the door only. */
function deletesItself(json: Record<string, unknown>): boolean {
  const object = json.object;
  const objectId =
    typeof object === "string"
      ? object
      : object != null && typeof object === "object" && !Array.isArray(object)
        ? (object as { id?: unknown }).id
        : null;
  return json.type === "Delete" && typeof json.actor === "string" && objectId === json.actor;
}

// ---------------------------------------------------------------------------
// Per-server budget, key cache, log

/** A token bucket per remote server: `max` tokens, refilled evenly over `windowMs`. */
export class ServerBudget {
  readonly #max: number;
  readonly #perMs: number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #now: () => number;

  constructor(limit: { max: number; windowMs: number }, now: () => number = Date.now) {
    this.#max = limit.max;
    this.#perMs = limit.max / limit.windowMs;
    this.#now = now;
  }

  #bucket(host: string) {
    const now = this.#now();
    let bucket = this.#buckets.get(host);
    if (bucket == null) {
      if (this.#buckets.size >= 20_000) {
        // Forget the servers not heard of longest (a Map iterates in insertion order).
        for (const key of [...this.#buckets.keys()].slice(0, 2_000)) this.#buckets.delete(key);
      }
      bucket = { tokens: this.#max, at: now };
    } else {
      bucket.tokens = Math.min(this.#max, bucket.tokens + (now - bucket.at) * this.#perMs);
      bucket.at = now;
      this.#buckets.delete(host);
    }
    this.#buckets.set(host, bucket);
    return bucket;
  }

  /** Milliseconds until `host` may post again; 0 when it may now. */
  waitMs(host: string): number {
    const bucket = this.#bucket(host);
    return bucket.tokens >= 1 ? 0 : Math.ceil((1 - bucket.tokens) / this.#perMs);
  }

  charge(host: string, cost: number): void {
    this.#bucket(host).tokens -= cost;
  }
}

type DocumentLoader = Loaders["documentLoader"];

/**
 * Whether a draft-cavage signature verifies with `key`, built as Fedify's own
 * verifier builds the signed message (its `verifyRequestDraft`).  Used only
 * to refuse cheaply a signature that does not verify with a key we hold and
 * fetched less than a minute ago: one that does is still verified by Fedify.
 */
export function cavageVerifies(
  url: URL,
  method: string,
  headers: Headers,
  cavage: NonNullable<SignatureHeader["cavage"]>,
  key: KeyObject,
): boolean {
  const line = (name: string) => {
    const value =
      name === "(request-target)"
        ? `${method.toLowerCase()} ${url.pathname}`
        : name === "(created)"
          ? (cavage.created ?? "")
          : name === "(expires)"
            ? (cavage.expires ?? "")
            : name === "host"
              ? (headers.get("host") ?? url.host)
              : headers.get(name);
    return `${name}: ${value}`;
  };
  const message = cavage.headers.map(line).join("\n");
  try {
    return verify("sha256", Buffer.from(message), key, Buffer.from(cavage.signature, "base64"));
  } catch {
    return false;
  }
}

/** RFC 9421 derived components, as Fedify's verifier derives them (its `createRfc9421SignatureBase`). */
const DERIVED: Record<string, (method: string, url: URL) => string> = {
  "@method": (method) => method.toUpperCase(),
  "@target-uri": (_, url) => url.href,
  "@authority": (_, url) => url.host,
  "@scheme": (_, url) => url.protocol.slice(0, -1),
  "@request-target": (method, url) => `${method.toLowerCase()} ${url.pathname}${url.search}`,
  "@path": (_, url) => url.pathname,
  "@query": (_, url) => url.search.replace(/^\?/, ""),
};

/**
 * Whether a single RFC 9421 signature (`rsa-v1_5-sha256`, or no `alg`)
 * verifies with `key`, its signature base built as Fedify's own verifier
 * builds it (the same structured-field parser and serializer); null when
 * it is not such a signature (Fedify then judges it alone).  Used like
 * `cavageVerifies`: only to refuse cheaply.
 */
export function rfc9421Verifies(url: URL, method: string, headers: Headers, key: KeyObject): boolean | null {
  let inputs: Record<string, unknown>;
  let signatures: Record<string, unknown>;
  try {
    inputs = decodeDict(headers.get("signature-input") ?? "") as Record<string, unknown>;
    signatures = decodeDict(headers.get("signature") ?? "") as Record<string, unknown>;
  } catch {
    return null;
  }
  const labels = Object.keys(inputs);
  if (labels.length !== 1) return null;
  const input = inputs[labels[0]!] as { value: unknown; params: Record<string, unknown> };
  if (!Array.isArray(input.value) || (input.params.alg != null && input.params.alg !== "rsa-v1_5-sha256")) return null;
  const signature = (signatures[labels[0]!] as { value?: unknown } | undefined)?.value;
  if (!(signature instanceof Uint8Array)) return false;
  const components = (input.value as { value: unknown; params?: Record<string, unknown> }[]).filter(
    (c) => typeof c.value === "string",
  );
  const lines: string[] = [];
  for (const component of components) {
    const name = component.value as string;
    const id = encodeItem(new Item(name, component.params ?? {}));
    const value = DERIVED[name]?.(method, url) ?? (name.startsWith("@") ? null : headers.get(name));
    if (value == null) return false;
    lines.push(`${id}: ${value}`);
  }
  const params = encodeItem(new Item(0, input.params));
  lines.push(
    `"@signature-params": (${components.map((c) => encodeItem(new Item(c.value, c.params ?? {}))).join(" ")});${params.slice(params.indexOf(";") + 1)}`,
  );
  try {
    return verify("sha256", Buffer.from(lines.join("\n")), key, signature);
  } catch {
    return false;
  }
}

/** Thrown by `MemoryKeyCache.loader` instead of fetching a key again within a minute. */
class RefetchSuppressed extends Error {
  override readonly name = "RefetchSuppressed";
}

/**
 * Keys that verified, kept in memory for ten minutes (Fedify parses a key's
 * whole actor document with JSON-LD on every fetch).  Unavailable keys are
 * not kept: a key that failed to load is fetched again, so its failure is
 * known precisely.
 *
 * When a signature does not verify with a kept key, Fedify fetches the key
 * again (it may have changed).  A forged signature under a real key id would
 * then cost a fetch and a parse of the key's actor document each time; so a
 * kept key is fetched again at most once a minute (`loader`), and in between
 * the signature simply does not verify.
 */
export class MemoryKeyCache implements KeyCache {
  readonly #keys = new Map<
    string,
    { key: CryptographicKey | Multikey; until: number; fetched: number; rsa: KeyObject | null }
  >();
  readonly #ttlMs: number;
  readonly #refetchMs: number;
  constructor(ttlMs = 10 * 60 * 1000, refetchMs = 60 * 1000) {
    this.#ttlMs = ttlMs;
    this.#refetchMs = refetchMs;
  }
  #entry(href: string) {
    const entry = this.#keys.get(href);
    if (entry != null && entry.until < Date.now()) {
      this.#keys.delete(href);
      return undefined;
    }
    return entry;
  }
  get(keyId: URL): Promise<CryptographicKey | Multikey | null | undefined> {
    return Promise.resolve(this.#entry(keyId.href)?.key);
  }
  set(keyId: URL, key: CryptographicKey | Multikey | null): Promise<void> {
    if (key instanceof CryptographicKey || key instanceof Multikey) {
      if (this.#keys.size >= 10_000) this.#keys.delete(this.#keys.keys().next().value!);
      const now = Date.now();
      const rsa = key.publicKey?.algorithm.name === "RSASSA-PKCS1-v1_5" ? KeyObject.from(key.publicKey) : null;
      this.#keys.set(keyId.href, { key, until: now + this.#ttlMs, fetched: now, rsa });
    }
    return Promise.resolve();
  }
  /** A kept RSA key fetched less than a minute ago (one that Fedify would not fetch again yet), as a key object. */
  recentRsaKey(keyId: URL): KeyObject | null {
    const entry = this.#entry(keyId.href);
    return entry != null && Date.now() - entry.fetched < this.#refetchMs ? entry.rsa : null;
  }

  /**
   * The federation's document loader (signed when the server refuses an
   * unsigned fetch), except for a kept key fetched less than a minute ago:
   * `suppressed()` is then called and the fetch fails.
   */
  loader(loaders: Loaders, suppressed: () => void): DocumentLoader {
    return async (url, options) => {
      const entry = this.#entry(url);
      if (entry != null && Date.now() - entry.fetched < this.#refetchMs) {
        suppressed();
        throw new RefetchSuppressed(`${url} was fetched less than a minute ago`);
      }
      try {
        return await loaders.documentLoader(url, options);
      } catch (error) {
        const status = (error as { response?: { status?: unknown } }).response?.status;
        if (status !== 401 && status !== 403) throw error;
        return (await loaders.signedLoader())(url, options);
      }
    };
  }
}

/** One info line per reason and server a minute, with how many were not logged. */
export class RefusalLog {
  readonly #last = new Map<string, { at: number; skipped: number }>();
  readonly #intervalMs: number;
  constructor(intervalMs = 60_000) {
    this.#intervalMs = intervalMs;
  }
  refused(reason: string, host: string | null, status: number): void {
    const key = `${reason}\n${host ?? ""}`;
    const now = Date.now();
    const entry = this.#last.get(key);
    if (entry != null && now - entry.at < this.#intervalMs) {
      entry.skipped++;
      return;
    }
    if (this.#last.size >= 5_000) this.#last.clear();
    this.#last.set(key, { at: now, skipped: 0 });
    logger.info("Refused an inbox POST with {status}: {reason} (server {host}; {skipped} more like it not logged)", {
      status,
      reason,
      host: host ?? "unknown",
      skipped: entry?.skipped ?? 0,
    });
  }
}

// ---------------------------------------------------------------------------
// The door

/** `retry`: the signing key could not be fetched (the same request may pass later). */
type Refusal = { ok: false; status: number; message: string; retryAfterS?: number; retry?: boolean };
export type DoorResult = { ok: true; request: Request; info: Inbound } | Refusal;

export interface DoorOptions {
  /** Budget per remote server; null = none. */
  readonly limitPerServer: { max: number; windowMs: number } | null;
  readonly now?: () => number;
}

/**
 * The federation's loaders (a context's), for the signing key: the plain one
 * (cached), and one that signs its requests with our instance actor's key,
 * for servers that answer 401 or 403 to an unsigned fetch of a key.
 */
export interface Loaders extends Pick<Context<FedData>, "documentLoader" | "contextLoader"> {
  signedLoader(): Promise<Context<FedData>["documentLoader"]>;
}

export class InboxDoor {
  readonly #budget: ServerBudget | null;
  readonly #keys = new MemoryKeyCache();
  readonly #log = new RefusalLog();
  readonly #now: () => number;

  constructor(options: DoorOptions) {
    this.#now = options.now ?? Date.now;
    this.#budget = options.limitPerServer == null ? null : new ServerBudget(options.limitPerServer, this.#now);
  }

  #refuse(
    status: number,
    message: string,
    host: string | null,
    cost: number,
    retryAfterS?: number,
    retry = false,
  ): Refusal {
    if (host != null && cost > 0) this.#budget?.charge(host, cost * REFUSED_COST);
    this.#log.refused(message, host, status);
    return { ok: false, status, message, ...(retryAfterS == null ? {} : { retryAfterS }), ...(retry ? { retry } : {}) };
  }

  /**
   * The cheap part of the door, steps 1–5 (and the quick refusal of a
   * signature that does not verify with a key held in memory): nothing is
   * fetched and no JSON-LD is touched.  `receivedAt` is when the request
   * arrived (now, unless it waited in the inbound queue): the date is judged
   * against it.
   */
  async #admit(
    url: URL,
    headers: Headers,
    readBody: () => Promise<Uint8Array<ArrayBuffer> | null>,
    receivedAt: number,
  ): Promise<
    Refusal | { ok: true; signature: SignatureHeader; host: string; body: Uint8Array<ArrayBuffer>; cost: number }
  > {
    const header = readSignatureHeader(headers);
    if (!header.ok) return this.#refuse(401, `Unsigned: ${header.reason}.`, null, 0);
    const { signature } = header;
    const host = signature.keyId.host.toLowerCase();
    const wait = this.#budget?.waitMs(host) ?? 0;
    if (wait > 0)
      return this.#refuse(
        429,
        "Too many activities from your server; please retry later.",
        host,
        0,
        Math.ceil(wait / 1000),
      );
    if (signature.created == null || Math.abs(receivedAt - signature.created) > SIGNATURE_WINDOW_MS) {
      return this.#refuse(401, "The signature is not dated within an hour of this server's clock.", host, 1);
    }
    if (!signature.coversDigest) return this.#refuse(401, "The signature does not cover the body digest.", host, 1);
    const body = await readBody();
    if (body == null) return this.#refuse(413, "The activity is too large.", host, 1);
    const cost = 1 + Math.floor(body.byteLength / COST_BLOCK_BYTES);
    if (!digestMatches(headers, signature.spec, body))
      return this.#refuse(401, "The body digest is missing or does not match the body.", host, cost);
    // A forged signature under a key we hold is refused here, without building anything for it.
    const recentKey = this.#keys.recentRsaKey(signature.keyId);
    if (recentKey != null) {
      const verifies =
        signature.cavage != null
          ? cavageVerifies(url, "POST", headers, signature.cavage, recentKey)
          : rfc9421Verifies(url, "POST", headers, recentKey);
      if (verifies === false)
        return this.#refuse(401, "The signature (or the body digest it covers) does not verify.", host, cost);
    }
    return { ok: true, signature, host, body, cost };
  }

  /**
   * The door of an HTTP process that hands inbox POSTs to the inbound queue
   * (decision 0033): steps 1–5 and the shape, charged to the server's
   * budget; the signature is verified later, by `check` in the process that
   * takes the activity from the queue.  On success, the host of the signing
   * key and the body.
   */
  async admit(
    url: URL,
    headers: Headers,
    readBody: () => Promise<Uint8Array<ArrayBuffer> | null>,
  ): Promise<Refusal | { ok: true; host: string; body: Uint8Array<ArrayBuffer> }> {
    const admitted = await this.#admit(url, headers, readBody, this.#now());
    if (!admitted.ok) return admitted;
    const { host, body, cost } = admitted;
    const shape = checkShape(body);
    if (!shape.ok) return this.#refuse(shape.status, shape.reason, host, cost);
    this.#budget?.charge(host, cost);
    return { ok: true, host, body };
  }

  /**
   * Checks one inbox POST: its headers first (nothing is read before they
   * pass), then its body, read through `readBody` (null when over the size
   * limit).  `url` is the canonical request URL.  On success, the request
   * to hand to Fedify and what was learnt.  `receivedAt` (default now): when
   * the request arrived, for one that waited in the inbound queue.  A
   * refusal because the key could not be fetched says `retry`.
   */
  async check(
    url: URL,
    headers: Headers,
    readBody: () => Promise<Uint8Array<ArrayBuffer> | null>,
    loaders: () => Loaders,
    receivedAt: number = this.#now(),
  ): Promise<DoorResult> {
    const admitted = await this.#admit(url, headers, readBody, receivedAt);
    if (!admitted.ok) return admitted;
    const { signature, host, body, cost } = admitted;
    const request = new Request(url, { method: "POST", headers, body });
    const federationLoaders = loaders();
    let verification: Awaited<ReturnType<typeof verifyRequestDetailed>>;
    let forged = false;
    try {
      // (Fedify reads a clone of the request; its body stays for the inbox.)
      verification = await verifyRequestDetailed(request, {
        documentLoader: this.#keys.loader(federationLoaders, () => (forged = true)),
        contextLoader: federationLoaders.contextLoader,
        keyCache: this.#keys,
        timeWindow: { milliseconds: SIGNATURE_WINDOW_MS },
        currentTime: instant(new Date(receivedAt)),
      });
    } catch {
      return this.#refuse(401, "The signing key could not be read.", host, cost);
    }
    const unverifiedDelete =
      !verification.verified &&
      !forged &&
      verification.reason.type === "keyFetchError" &&
      body.byteLength <= MAX_UNVERIFIED_DELETE_BYTES;
    if (!verification.verified && !unverifiedDelete) {
      const unreachable = verification.reason.type === "keyFetchError" && !forged;
      return this.#refuse(
        401,
        verification.reason.type === "keyFetchError" && !forged
          ? "The signing key could not be fetched."
          : "The signature (or the body digest it covers) does not verify.",
        host,
        cost,
        undefined,
        unreachable,
      );
    }
    const shape = checkShape(body);
    if (!shape.ok) return this.#refuse(shape.status, shape.reason, host, cost);
    if (verification.verified) {
      this.#budget?.charge(host, cost);
      return { ok: true, request, info: { keyId: verification.key.id ?? signature.keyId, json: shape.json } };
    }
    if (deletesItself(shape.json)) {
      // Perhaps a deleted account's last word: the inbox proves it or ignores it.
      this.#budget?.charge(host, cost);
      return { ok: true, request, info: { keyId: null, json: shape.json } };
    }
    return this.#refuse(401, "The signing key could not be fetched.", host, cost, undefined, true);
  }
}
