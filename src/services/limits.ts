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

/** Sliding-window limits per key (each: at most `max` events per `windowMs`). */
export class RateLimiter extends WindowedLimit {
  readonly #limits: readonly RateLimit[];

  constructor(limits: readonly RateLimit[], options: { maxKeys?: number } = {}) {
    super(Math.max(0, ...limits.map((l) => l.windowMs)), options.maxKeys ?? 200_000);
    this.#limits = limits;
  }

  get enabled(): boolean {
    return this.#limits.length > 0;
  }

  protected waitFor(events: readonly number[], now: number): number {
    let wait = 0;
    for (const limit of this.#limits) {
      const inWindow = events.filter((t) => t > now - limit.windowMs);
      if (inWindow.length >= limit.max)
        wait = Math.max(wait, inWindow[inWindow.length - limit.max]! + limit.windowMs - now);
    }
    return wait;
  }

  override consume(key: string, now: number = Date.now()): number {
    return this.enabled ? super.consume(key, now) : 0;
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
