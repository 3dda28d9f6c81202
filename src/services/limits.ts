/**
 * Abuse resistance, all in memory: rate limits, progressive delays and recent
 * keys over keyed hashes (client addresses are turned into keyed hashes at
 * once, in web/kit/client.ts, and only those hashes are remembered, for as
 * long as the longest rate window).  No raw IP address is ever stored.
 */
import { createHmac } from "node:crypto";
import type { RateLimit } from "../config.ts";

/** A keyed, truncated hash: equal inputs give equal keys, but the input cannot be recovered without the secret. */
export function keyedHash(secret: string, ...parts: string[]): string {
  const mac = createHmac("sha256", secret);
  for (const part of parts) mac.update(part).update("\u0000");
  return mac.digest("base64url").slice(0, 22);
}

/**
 * Timestamps of recent events per key, for as long as `windowMs`, with at
 * most `maxKeys` keys (the least recently used is forgotten first).
 */
class EventLog {
  readonly #events = new Map<string, number[]>();
  readonly #windowMs: number;
  readonly #maxKeys: number;

  constructor(windowMs: number, maxKeys: number) {
    this.#windowMs = windowMs;
    this.#maxKeys = maxKeys;
  }

  /** The key's events still inside the window (kept as they are until `record` or `keep`). */
  recent(key: string, now: number): number[] {
    return (this.#events.get(key) ?? []).filter((t) => t > now - this.#windowMs);
  }

  /** Stores `events` (from `recent`) without a new event. */
  keep(key: string, events: number[]): void {
    this.#events.set(key, events);
  }

  /** Stores `events` (from `recent`) plus one at `now`. */
  record(key: string, events: number[], now: number): void {
    events.push(now);
    this.#events.delete(key); // Re-insert so the map stays ordered by last use.
    this.#events.set(key, events);
    if (this.#events.size > this.#maxKeys) this.#events.delete(this.#events.keys().next().value!);
  }

  /** Takes the key's last event back. */
  refund(key: string): void {
    this.#events.get(key)?.pop();
  }

  /** Forgets every key whose events are all older than the window. */
  sweep(now: number): void {
    for (const [key, events] of this.#events) {
      if (events.length === 0 || events[events.length - 1]! <= now - this.#windowMs) this.#events.delete(key);
    }
  }

  get size(): number {
    return this.#events.size;
  }
}

/**
 * A limit on events per key, over their timestamps in a window: `consume`
 * records an event if `waitFor` allows it; `refund` takes the last one back
 * (e.g. the write failed, or the login succeeded).
 */
abstract class WindowedLimit {
  readonly #log: EventLog;

  constructor(windowMs: number, maxKeys: number) {
    this.#log = new EventLog(windowMs, maxKeys);
  }

  /** How long (ms) until one more event is allowed, given the key's recent events; 0 = now. */
  protected abstract waitFor(events: readonly number[], now: number): number;

  /** Records an event and returns 0, or returns how many ms until one is allowed. */
  consume(key: string, now: number = Date.now()): number {
    const events = this.#log.recent(key, now);
    const wait = this.waitFor(events, now);
    if (wait > 0) {
      this.#log.keep(key, events);
      return wait;
    }
    this.#log.record(key, events, now);
    return 0;
  }

  /** How long (ms) until one more event is allowed, without recording anything. */
  protected peekWindows(key: string, now: number): number {
    return this.waitFor(this.#log.recent(key, now), now);
  }

  refund(key: string): void {
    this.#log.refund(key);
  }

  /** Forgets every key whose events are all older than the window. */
  sweep(now: number = Date.now()): void {
    this.#log.sweep(now);
  }

  get size(): number {
    return this.#log.size;
  }
}

/**
 * How long a limit remembers a key: its window, or, for a bucket, the time it
 * takes an empty bucket to fill up again.
 */
export function limitMemoryMs(limit: RateLimit): number {
  return limit.burst == null ? limit.windowMs : Math.ceil((limit.burst * limit.windowMs) / limit.max);
}

/** Per key, the tokens left in each bucket limit and when they were counted. */
interface Buckets {
  tokens: number[];
  at: number;
}

/**
 * Limits per key, each either a sliding window (at most `max` events per
 * `windowMs`) or a token bucket (`burst` events at once, then `max` more per
 * `windowMs`, refilled evenly: docs/decisions/0030).  An event must pass every
 * limit; a refused one uses up nothing.  Buckets keep two numbers per limit and
 * key, windows the timestamps inside the window.
 */
export class RateLimiter extends WindowedLimit {
  readonly #windows: readonly RateLimit[];
  readonly #buckets: readonly (RateLimit & { burst: number })[];
  readonly #state = new Map<string, Buckets>();
  readonly #maxKeys: number;

  constructor(limits: readonly RateLimit[], options: { maxKeys?: number } = {}) {
    const windows = limits.filter((l) => l.burst == null);
    super(Math.max(0, ...windows.map((l) => l.windowMs)), options.maxKeys ?? 200_000);
    this.#windows = windows;
    this.#buckets = limits.filter((l): l is RateLimit & { burst: number } => l.burst != null);
    this.#maxKeys = options.maxKeys ?? 200_000;
  }

  get enabled(): boolean {
    return this.#windows.length + this.#buckets.length > 0;
  }

  protected waitFor(events: readonly number[], now: number): number {
    let wait = 0;
    for (const limit of this.#windows) {
      const inWindow = events.filter((t) => t > now - limit.windowMs);
      if (inWindow.length >= limit.max)
        wait = Math.max(wait, inWindow[inWindow.length - limit.max]! + limit.windowMs - now);
    }
    return wait;
  }

  /** The key's buckets refilled up to `now` (not stored). */
  #refilled(key: string, now: number): number[] {
    const state = this.#state.get(key);
    const elapsed = state == null ? 0 : Math.max(0, now - state.at);
    return this.#buckets.map((limit, i) =>
      state == null ? limit.burst : Math.min(limit.burst, state.tokens[i]! + (elapsed * limit.max) / limit.windowMs),
    );
  }

  override consume(key: string, now: number = Date.now()): number {
    if (!this.enabled) return 0;
    const tokens = this.#refilled(key, now);
    let wait = 0;
    this.#buckets.forEach((limit, i) => {
      // The small allowance keeps float rounding from adding a millisecond.
      if (tokens[i]! < 1) wait = Math.max(wait, Math.ceil(((1 - tokens[i]!) * limit.windowMs) / limit.max - 1e-6));
    });
    if (wait > 0) {
      // Still count the window limits' wait, so Retry-After names the longest.
      return Math.max(wait, this.#windows.length > 0 ? this.peekWindows(key, now) : 0);
    }
    if (this.#windows.length > 0) {
      const windowWait = super.consume(key, now);
      if (windowWait > 0) return windowWait;
    }
    if (this.#buckets.length > 0) {
      this.#state.delete(key); // Re-insert so the map stays ordered by last use.
      this.#state.set(key, { tokens: tokens.map((t) => t - 1), at: now });
      if (this.#state.size > this.#maxKeys) this.#state.delete(this.#state.keys().next().value!);
    }
    return 0;
  }

  override refund(key: string): void {
    super.refund(key);
    const state = this.#state.get(key);
    if (state != null) state.tokens = state.tokens.map((t, i) => Math.min(this.#buckets[i]!.burst, t + 1));
  }

  override sweep(now: number = Date.now()): void {
    super.sweep(now);
    // A key whose buckets are full again is the same as a key never seen.
    for (const key of this.#state.keys()) {
      if (this.#refilled(key, now).every((t, i) => t >= this.#buckets[i]!.burst)) this.#state.delete(key);
    }
  }

  override get size(): number {
    return Math.max(super.size, this.#state.size);
  }
}

/**
 * A progressive delay per key: the first `free` events in the window pass;
 * after that, each must come at least 1 s, 2 s, 4 s … (at most `maxDelayMs`)
 * after the previous one.  It slows down, it never shuts out.
 */
export class ProgressiveDelay extends WindowedLimit {
  readonly #free: number;
  readonly #maxDelayMs: number;

  constructor(options: { free: number; windowMs: number; maxDelayMs: number; maxKeys?: number }) {
    super(options.windowMs, options.maxKeys ?? 200_000);
    this.#free = options.free;
    this.#maxDelayMs = options.maxDelayMs;
  }

  protected waitFor(events: readonly number[], now: number): number {
    const over = events.length - this.#free + 1;
    if (over <= 0) return 0;
    const allowedAt = events[events.length - 1]! + Math.min(1000 * 2 ** Math.min(over - 1, 30), this.#maxDelayMs);
    return Math.max(0, allowedAt - now);
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

/*
 * The limiters' asynchronous shape.  In the cluster the primary keeps the one
 * copy of each named limiter and the HTTP processes call it over IPC
 * (src/processes/shared-limits.ts; decision 0033); whoever uses limiters
 * (the signing flow) awaits each call, whether it runs here or there.
 */

/** The limiter methods that may be called across processes: those of RateLimiter, ProgressiveDelay and RecentKeys. */
export const SHARED_METHODS = ["consume", "refund", "has", "add", "delete", "sweep"] as const;
export type SharedMethod = (typeof SHARED_METHODS)[number];

// biome-ignore lint/suspicious/noExplicitAny: any function shape is mapped to its asynchronous twin
export type AnyFunction = (...args: any[]) => unknown;

/** A limiter's shared methods, each answering through a promise. */
export type Shared<T> = {
  [K in keyof T & SharedMethod]: T[K] extends AnyFunction
    ? (...args: Parameters<T[K]>) => Promise<ReturnType<T[K]>>
    : never;
};

/** The process's own limiters, in the shared shape (the single process; the primary). */
export function localLimiters<T extends Record<string, object>>(limiters: T): { [N in keyof T]: Shared<T[N]> } {
  const shared = {} as Record<string, Record<string, AnyFunction>>;
  for (const [name, limiter] of Object.entries(limiters)) {
    const methods: Record<string, AnyFunction> = {};
    for (const method of SHARED_METHODS) {
      const fn = (limiter as Record<string, unknown>)[method];
      if (typeof fn === "function") methods[method] = async (...args: unknown[]) => fn.apply(limiter, args);
    }
    shared[name] = methods;
  }
  return shared as { [N in keyof T]: Shared<T[N]> };
}
