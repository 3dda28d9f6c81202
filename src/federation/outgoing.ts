/**
 * Limits and rules for the requests Fedify makes to other servers
 * (decision 0010).  Fedify 2.3 calls the global `fetch` for deliveries and
 * for documents (actors, keys, objects, WebFinger) and takes no fetch
 * function, timeout or signal for deliveries, so `installOutgoingFetch`
 * wraps the global `fetch` once per process.  The wrapper touches only
 * Fedify's requests — those made inside an outgoing scope (`withOutgoing`:
 * the queue's deliveries), those carrying an HTTP signature, and those with
 * Fedify's User-Agent — and passes every other request through as it is
 * (the strike bot's Mastodon client keeps its own limits).
 *
 * What it does to Fedify's requests:
 * - A connect timeout (an undici Agent, the only way to give Node's fetch
 *   one) and a total timeout for the whole exchange, body included.
 * - The double-knock rule.  Fedify signs first with draft-cavage and, on any
 *   4xx or 5xx, signs the same request again with RFC 9421 and then
 *   remembers RFC 9421 for that server unless the second answer was
 *   400/401.  A server restarting behind a proxy answers 502; one that cannot
 *   verify RFC 9421 answers the second knock 202 and drops it.  So the
 *   second knock is sent only when the first was refused for its signature
 *   (400 or 401): after any other answer Fedify gets the first answer again
 *   without the server being asked twice, and the outcome of every second
 *   knock is kept here so that `signature-memory.ts` lets Fedify remember a
 *   switch only when the first knock was refused for its signature and the
 *   second succeeded.
 * - Inside an outgoing scope, each request's outcome is reported to the scope
 *   (the queue's circuit breaker learns from it whether the server answered),
 *   and any answer from a server is reported to `onServerAnswered`
 *   listeners (a server that answers a fetch is up: its held deliveries go).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { getLogger } from "@logtape/logtape";
import { Agent, type Dispatcher } from "undici";

const logger = getLogger(["undersign", "federation", "outgoing"]);

export type SignatureSpec = "draft-cavage-http-signatures-12" | "rfc9421";

export interface RequestLimits {
  /** Time to open the connection (TCP and TLS). */
  readonly connectTimeoutMs: number;
  /** The whole exchange, from the request to the end of the response body. */
  readonly timeoutMs: number;
}

export const DEFAULT_REQUEST_LIMITS: RequestLimits = { connectTimeoutMs: 5_000, timeoutMs: 10_000 };

/** What became of one request: the status of the answer, or no answer at all. */
export type RequestOutcome =
  | { readonly url: URL; readonly status: number }
  | { readonly url: URL; readonly status: null; readonly error: unknown };

export interface OutgoingScope {
  readonly limits?: RequestLimits;
  /** Called once per request that reached an end (answered, failed or timed out). */
  readonly observe?: (outcome: RequestOutcome) => void;
}

interface ActiveScope extends OutgoingScope {
  /** The knocks made in this scope (a delivery's attempt is one scope). */
  readonly knocks: Map<string, Knock>;
}

const scopes = new AsyncLocalStorage<ActiveScope>();

/** Told of every server that answered one of Fedify's requests (any status but a 5xx). */
const answerListeners = new Set<(host: string) => void>();

/**
 * Calls `listener` with the host of each server that answers one of Fedify's
 * requests (a fetch of an actor counts as much as a delivery: the server is
 * up).  Returns the function that stops it.
 */
export function onServerAnswered(listener: (host: string) => void): () => void {
  answerListeners.add(listener);
  return () => answerListeners.delete(listener);
}

/** Runs `fn` with `scope`'s limits and observer applied to every request it makes. */
export function withOutgoing<T>(scope: OutgoingScope, fn: () => T): T {
  return scopes.run({ ...scope, knocks: new Map() }, fn);
}

// ---------------------------------------------------------------------------
// Double knocks

/**
 * How long a first knock's answer is remembered to recognise its second
 * knock, outside a scope.  Fedify sends the second knock right after the
 * first answer (it only signs in between); a later request is a new attempt.
 * Inside a scope (one delivery attempt) every knock of the scope counts.
 */
const KNOCK_MEMORY_MS = 2_000;
const MAX_KNOCKS = 10_000;
/** How long a second knock's verdict is kept for Fedify's remember call that follows it. */
const VERDICT_MS = 60_000;

interface Knock {
  readonly spec: SignatureSpec;
  readonly status: number | null;
  readonly statusText: string;
  readonly headers: [string, string][];
  readonly at: number;
}

/** The last refused knock per request (method, URL, key, body digest), outside scopes. */
const knocks = new Map<string, Knock>();

interface Verdict {
  readonly spec: SignatureSpec;
  /** The first knock was refused for its signature (400/401) and the second succeeded (2xx). */
  readonly justified: boolean;
  readonly at: number;
}

/** The outcome of the latest second knock per origin. */
const verdicts = new Map<string, Verdict>();

function specOf(headers: Headers): SignatureSpec | null {
  if (headers.has("signature-input")) return "rfc9421";
  return /keyId=/i.test(headers.get("signature") ?? "") ? "draft-cavage-http-signatures-12" : null;
}

/** The same request under either signature: both formats carry the SHA-256 of the body, and the key. */
function knockKey(method: string, url: string, headers: Headers): string {
  const digest =
    /sha-256=:?([A-Za-z0-9+/=]+)/i.exec(headers.get("content-digest") ?? headers.get("digest") ?? "")?.[1] ?? "";
  const keyId =
    /keyid="([^"]*)"/i.exec(`${headers.get("signature") ?? ""} ${headers.get("signature-input") ?? ""}`)?.[1] ?? "";
  return `${method} ${url} ${keyId} ${digest}`;
}

function remember(memory: Map<string, Knock>, key: string, knock: Knock): void {
  memory.delete(key);
  // Only answers that can be followed by a second knock are kept.
  if (knock.status != null && knock.status < 300) return;
  memory.set(key, knock);
  for (const [old, value] of memory) {
    if (memory.size <= MAX_KNOCKS && value.at > knock.at - KNOCK_MEMORY_MS) break;
    memory.delete(old);
  }
}

function refusedForSignature(status: number | null): boolean {
  return status === 400 || status === 401;
}

/**
 * Whether Fedify may remember `spec` for `origin`: the latest second knock
 * to that origin, moments ago, was signed with `spec`, its first knock was
 * refused for its signature, and it succeeded.
 */
export function switchWasEarned(origin: string, spec: string, now = Date.now()): boolean {
  const verdict = verdicts.get(origin);
  return verdict != null && verdict.spec === spec && verdict.justified && now - verdict.at < VERDICT_MS;
}

// ---------------------------------------------------------------------------
// The wrapper

let agent: Dispatcher | null = null;
let agentConnectMs = 0;

function dispatcherFor(limits: RequestLimits): Dispatcher {
  if (agent == null || agentConnectMs !== limits.connectTimeoutMs) {
    agent = new Agent({ connect: { timeout: limits.connectTimeoutMs } });
    agentConnectMs = limits.connectTimeoutMs;
  }
  return agent;
}

/**
 * Aborts after `ms`, with an "AbortError": Fedify retries a GET that failed
 * on the network once more at once, but not one its caller aborted, and a
 * server that did not answer in time would only hold the request as long
 * again.  (The timer does not keep the process alive; firing after the
 * request ended does nothing.)
 */
function deadline(ms: number): AbortSignal {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new DOMException(`No answer within ${ms} ms`, "AbortError")), ms).unref();
  return controller.signal;
}

const INSTALLED = Symbol.for("undersign.outgoingFetch");
let defaults: RequestLimits = DEFAULT_REQUEST_LIMITS;

type Fetch = typeof globalThis.fetch;
type FetchInit = RequestInit & { dispatcher?: Dispatcher };

function isFedifyRequest(headers: Headers): boolean {
  return specOf(headers) != null || (headers.get("user-agent") ?? "").startsWith("Fedify/");
}

/**
 * Wraps the global `fetch` (once per process; later calls only change the
 * default limits for requests made outside a scope).
 */
export function installOutgoingFetch(limits: RequestLimits = DEFAULT_REQUEST_LIMITS): void {
  defaults = limits;
  const current = globalThis.fetch as Fetch & { [INSTALLED]?: true };
  if (current[INSTALLED]) return;
  const original = current;
  const wrapped = async (input: RequestInfo | URL, init?: FetchInit): Promise<Response> => {
    const scope = scopes.getStore();
    const request = input instanceof Request ? input : null;
    const headers = new Headers(init?.headers ?? request?.headers);
    if (scope == null && !isFedifyRequest(headers)) return original(input, init);
    const limits = scope?.limits ?? defaults;
    const url = new URL(request?.url ?? (input instanceof URL ? input.href : String(input)));
    const method = (init?.method ?? request?.method ?? "GET").toUpperCase();
    const spec = specOf(headers);
    const key = spec == null ? null : knockKey(method, url.href, headers);
    const now = Date.now();
    const memory = scope?.knocks ?? knocks;
    const first = key == null ? undefined : memory.get(key);
    const secondKnock =
      first != null && spec != null && first.spec !== spec && (scope != null || now - first.at < KNOCK_MEMORY_MS);
    if (secondKnock && !refusedForSignature(first.status)) {
      // Not about the signature: do not ask the server again with the other
      // format; Fedify gets the first answer (and remembers nothing).
      verdicts.set(url.origin, { spec: spec!, justified: false, at: now });
      logger.debug("Not sending {url} again signed with {spec}: the first answer was {status}", {
        url: url.href,
        spec,
        status: first.status,
      });
      if (first.status == null) throw new TypeError(`fetch failed: ${url.href} did not answer`);
      return new Response(null, { status: first.status, statusText: first.statusText, headers: first.headers });
    }
    const signals = [init?.signal, request?.signal, deadline(limits.timeoutMs)].filter(
      (s): s is AbortSignal => s != null,
    );
    let response: Response;
    try {
      response = await original(input, {
        ...init,
        signal: AbortSignal.any(signals),
        dispatcher: init?.dispatcher ?? dispatcherFor(limits),
      } as RequestInit);
    } catch (error) {
      if (key != null)
        remember(memory, key, { spec: spec!, status: null, statusText: "", headers: [], at: Date.now() });
      if (secondKnock) verdicts.set(url.origin, { spec: spec!, justified: false, at: Date.now() });
      scope?.observe?.({ url, status: null, error });
      throw error;
    }
    if (key != null) {
      remember(memory, key, {
        spec: spec!,
        status: response.status,
        statusText: response.statusText,
        headers: [...response.headers],
        at: Date.now(),
      });
      if (secondKnock)
        verdicts.set(url.origin, {
          spec: spec!,
          justified: response.status >= 200 && response.status < 300,
          at: Date.now(),
        });
    }
    scope?.observe?.({ url, status: response.status });
    if (response.status < 500) {
      for (const listener of answerListeners) {
        try {
          listener(url.host);
        } catch (error) {
          logger.debug("A listener failed on the answer of {host}: {error}", { host: url.host, error });
        }
      }
    }
    return response;
  };
  Object.defineProperty(wrapped, INSTALLED, { value: true });
  globalThis.fetch = wrapped as Fetch;
}
