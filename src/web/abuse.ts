/**
 * Abuse resistance for signing, all in memory: client addresses are turned
 * into keyed hashes at once and only those hashes are remembered, for as long
 * as the longest rate window.  No raw IP address is ever stored.
 */
import { createHmac } from "node:crypto";
import type { Context } from "hono";
import type { RateLimit } from "../config.ts";
import { ProxyTrust, rateLimitSubject } from "../net-address.ts";
import type { WebEnv } from "./context.ts";

/** One ProxyTrust per configuration (its list of ranges). */
const proxyTrusts = new WeakMap<readonly string[], ProxyTrust>();

/**
 * The client's address: the socket's peer, or, when that peer is one of the
 * configured proxies (TRUST_PROXY), the first address in X-Forwarded-For,
 * walking from its right end, that is not one of them (`ProxyTrust.clientOf`).
 * A client that reaches the server directly cannot choose its address.
 */
export function clientAddress(c: Context<WebEnv>): string {
  const ranges = c.get("deps").config.trustedProxies;
  let trust = proxyTrusts.get(ranges);
  if (trust == null) proxyTrusts.set(ranges, (trust = new ProxyTrust(ranges)));
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return trust.clientOf(incoming?.socket?.remoteAddress ?? "unknown", c.req.header("x-forwarded-for"));
}

/**
 * What rate limits count as this request's client: its IPv4 address, or its
 * IPv6 address cut to IPV6_PREFIX_LENGTH bits (one /64 is one client by default).
 */
export function clientSubject(c: Context<WebEnv>): string {
  return rateLimitSubject(clientAddress(c), c.get("deps").config.ipv6PrefixLength);
}

/** A keyed, truncated hash: equal inputs give equal keys, but the input cannot be recovered without the secret. */
export function keyedHash(secret: string, ...parts: string[]): string {
  const mac = createHmac("sha256", secret);
  for (const part of parts) mac.update(part).update("\u0000");
  return mac.digest("base64url").slice(0, 22);
}

/**
 * Sliding-window limits per key.  `consume` records an event if every limit
 * still allows it; `refund` takes the last one back (e.g. the write failed).
 */
export class RateLimiter {
  readonly #limits: readonly RateLimit[];
  readonly #events = new Map<string, number[]>();
  readonly #maxKeys: number;
  readonly #longest: number;

  constructor(limits: readonly RateLimit[], options: { maxKeys?: number } = {}) {
    this.#limits = limits;
    this.#maxKeys = options.maxKeys ?? 200_000;
    this.#longest = Math.max(0, ...limits.map((l) => l.windowMs));
  }

  get enabled(): boolean {
    return this.#limits.length > 0;
  }

  /** Records an event and returns 0, or returns how many ms until one is allowed. */
  consume(key: string, now: number = Date.now()): number {
    if (!this.enabled) return 0;
    const events = (this.#events.get(key) ?? []).filter((t) => t > now - this.#longest);
    let wait = 0;
    for (const limit of this.#limits) {
      const inWindow = events.filter((t) => t > now - limit.windowMs);
      if (inWindow.length >= limit.max) wait = Math.max(wait, inWindow[inWindow.length - limit.max]! + limit.windowMs - now);
    }
    if (wait > 0) {
      this.#events.set(key, events);
      return wait;
    }
    events.push(now);
    this.#events.delete(key); // Re-insert so the map stays ordered by last use.
    this.#events.set(key, events);
    if (this.#events.size > this.#maxKeys) this.#events.delete(this.#events.keys().next().value!);
    return 0;
  }

  refund(key: string): void {
    this.#events.get(key)?.pop();
  }

  /** Forgets every key whose events are all older than the longest window. */
  sweep(now: number = Date.now()): void {
    for (const [key, events] of this.#events) {
      if (events.length === 0 || events[events.length - 1]! <= now - this.#longest) this.#events.delete(key);
    }
  }

  get size(): number {
    return this.#events.size;
  }
}

/** Keys remembered for a while (bounded), e.g. "this name from this client". */
export class RecentKeys {
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #expiry = new Map<string, number>();

  constructor(windowMs: number, maxKeys = 200_000) {
    this.#windowMs = windowMs;
    this.#maxKeys = maxKeys;
  }

  has(key: string, now: number = Date.now()): boolean {
    const expires = this.#expiry.get(key);
    return expires != null && expires > now;
  }

  add(key: string, now: number = Date.now()): void {
    if (this.#windowMs <= 0) return;
    this.#expiry.delete(key);
    this.#expiry.set(key, now + this.#windowMs);
    if (this.#expiry.size > this.#maxKeys) this.#expiry.delete(this.#expiry.keys().next().value!);
  }

  delete(key: string): void {
    this.#expiry.delete(key);
  }

  sweep(now: number = Date.now()): void {
    for (const [key, expires] of this.#expiry) if (expires <= now) this.#expiry.delete(key);
  }
}
