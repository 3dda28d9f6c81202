/**
 * The default signing limits (docs/decisions/0030): a room of 30 people
 * behind one address (an IPv4 address or an IPv6 /64) each sign within ten
 * minutes without an error, while a script from that address is held to the
 * refill rate.  The clock is passed in (limiters) or frozen (HTTP), never
 * waited for.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { limitMemoryMs, RateLimiter } from "../../src/services/limits.ts";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { peer } from "../helpers/clients.ts";
import { inputValue, pageText, signForm, storedCount, tokenFrom } from "../helpers/forms.ts";

afterEach(() => {
  vi.useRealTimers();
});

const defaults = loadConfig({ ORIGIN: "https://undersign.test" }, "/tmp").signing;

/** Both limits a browser signature passes, as services/signing.ts applies them. */
function limiters() {
  const perDeclaration = new RateLimiter(defaults.perDeclarationLimits);
  const perClient = new RateLimiter(defaults.perClientLimits);
  return (address: string, declaration: string, now: number) =>
    Math.max(perDeclaration.consume(`${address}:${declaration}`, now), perClient.consume(address, now));
}

/** A small seeded generator, so the "random" arrival times are the same on every run. */
function seeded(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe("the default signing limits", () => {
  it("are token buckets: a burst, then a refill rate, with a daily ceiling", () => {
    expect(defaults.perDeclarationLimits).toEqual([
      { burst: 40, max: 4, windowMs: 60_000 },
      { burst: 500, max: 500, windowMs: 86_400_000 },
    ]);
    expect(defaults.perClientLimits).toEqual([
      { burst: 80, max: 8, windowMs: 60_000 },
      { burst: 1000, max: 1000, windowMs: 86_400_000 },
    ]);
    // An address is remembered until its buckets are full again: 10 minutes after a burst of 40.
    expect(limitMemoryMs(defaults.perDeclarationLimits[0]!)).toBe(600_000);
  });

  it("let 30 people on one address all sign at the same moment", () => {
    const consume = limiters();
    for (let i = 0; i < 30; i++) expect(consume("203.0.113.7", "d", 1_000)).toBe(0);
  });

  it("let 30 people on one address sign at any times within 10 minutes, on several runs of arrival times", () => {
    for (const seed of [1, 2, 3, 42, 2026]) {
      const random = seeded(seed);
      const consume = limiters();
      const times = Array.from({ length: 30 }, () => Math.floor(random() * 600_000)).sort((a, b) => a - b);
      for (const t of times) expect(consume("2001:db8:1:2::/64", "d", t), `seed ${seed} at ${t} ms`).toBe(0);
    }
  });

  it("let the same room also sign a second Declaration right after the first", () => {
    const consume = limiters();
    for (let i = 0; i < 30; i++) expect(consume("203.0.113.7", "first", i * 1000)).toBe(0);
    for (let i = 0; i < 30; i++) expect(consume("203.0.113.7", "second", 30_000 + i * 1000)).toBe(0);
  });

  it("hold a script on one address to the refill rate after the burst", () => {
    const consume = limiters();
    // One attempt a second for ten minutes: the burst, then 4 a minute.
    let accepted = 0;
    for (let t = 0; t < 600_000; t += 1000) if (consume("198.51.100.9", "d", t) === 0) accepted++;
    expect(accepted).toBeGreaterThanOrEqual(40 + 38);
    expect(accepted).toBeLessThanOrEqual(40 + 40);
    // And for a whole day: the daily bucket caps it near 500 (plus what refills in a day).
    const day = limiters();
    let daily = 0;
    for (let t = 0; t < 86_400_000; t += 5_000) if (day("198.51.100.9", "d", t) === 0) daily++;
    expect(daily).toBeLessThanOrEqual(1000);
    expect(daily).toBeGreaterThan(500);
  });

  it("say how long to wait: a quarter of a minute for one token at 4 a minute", () => {
    const consume = limiters();
    for (let i = 0; i < 40; i++) expect(consume("198.51.100.9", "d", 0)).toBe(0);
    expect(consume("198.51.100.9", "d", 0)).toBe(15_000);
    expect(consume("198.51.100.9", "d", 10_000)).toBe(5_000);
    expect(consume("198.51.100.9", "d", 15_000)).toBe(0);
    // Another address is not slowed by the first.
    expect(consume("198.51.100.10", "d", 15_000)).toBe(0);
  });
});

describe("signing over HTTP with the default limits", () => {
  async function setup() {
    // Empty values mean "not set": the defaults apply.
    const t = await createTestApp({ env: { RATE_LIMIT_PER_DECLARATION: "", RATE_LIMIT_PER_CLIENT: "" } });
    addDeclaration(t.db);
    return t;
  }

  it("accepts 30 different people from one address within 10 minutes", async () => {
    const t = await setup();
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.parse("2026-07-04T09:00:00Z");
    const random = seeded(7);
    const times = Array.from({ length: 30 }, () => Math.floor(random() * 600_000)).sort((a, b) => a - b);
    const office = { request: (input: string, init?: RequestInit) => t.app.request(input, init, peer("203.0.113.50")) };
    for (const [i, time] of times.entries()) {
      vi.setSystemTime(start + time);
      tokenFrom(await signForm(office as typeof t.app, { name: `Colleague ${i + 1}` }));
    }
    expect(storedCount(t.db)).toBe(30);
  });

  it("refuses a script going faster than the refill rate with 429, Retry-After and a clear message, input kept", async () => {
    const t = await setup();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.parse("2026-07-04T09:00:00Z"));
    const script = { request: (input: string, init?: RequestInit) => t.app.request(input, init, peer("198.51.100.9")) };
    for (let i = 0; i < 40; i++) tokenFrom(await signForm(script as typeof t.app, { name: `Bot ${i}` }));
    const res = await signForm(script as typeof t.app, { name: "Bot 40", place: "Nowhere" });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("15");
    const html = await res.text();
    expect(pageText(html)).toContain(
      "Too many signatures from your connection just now. Please try again in 15 seconds; nothing was lost, your entries are kept.",
    );
    expect(inputValue(html, "name")).toBe("Bot 40");
    expect(inputValue(html, "place")).toBe("Nowhere");
    expect(storedCount(t.db)).toBe(40);
    // A quarter of a minute later one more gets through, and the next must wait again.
    vi.setSystemTime(Date.parse("2026-07-04T09:00:15Z"));
    tokenFrom(await signForm(script as typeof t.app, { name: "Bot 40" }));
    expect((await signForm(script as typeof t.app, { name: "Bot 41" })).status).toBe(429);

    // The JSON API refuses with the same words.
    const api = await t.app.request(
      "/api/declarations/test-declaration/signatures",
      {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ name: "Bot 42", public: true }),
      },
      peer("198.51.100.9"),
    );
    expect(api.status).toBe(429);
    expect(Number(api.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await api.json()) as { error: { message: string } }).error.message).toMatch(
      /^Too many signatures from your connection just now\. Please try again in \d+ seconds?;/,
    );
  });
});

describe("RATE_LIMIT_* syntax", () => {
  it("accepts buckets and windows together, and names the problem otherwise", () => {
    const config = loadConfig(
      { ORIGIN: "https://undersign.test", RATE_LIMIT_PER_DECLARATION: "10+2/1m,5/5m", RATE_LIMIT_PER_CLIENT: "off" },
      "/tmp",
    );
    expect(config.signing.perDeclarationLimits).toEqual([
      { burst: 10, max: 2, windowMs: 60_000 },
      { max: 5, windowMs: 300_000 },
    ]);
    expect(config.signing.perClientLimits).toEqual([]);
    for (const bad of ["0+2/1m", "10+/1m", "10+2/2d", "ten"]) {
      expect(() => loadConfig({ ORIGIN: "https://undersign.test", RATE_LIMIT_PER_CLIENT: bad }, "/tmp")).toThrow(
        /RATE_LIMIT_PER_CLIENT: expected "off" or limits such as 40\+4\/1m/,
      );
    }
  });

  it("a bucket and a window in one limiter: the longest wait is named, a refusal uses up nothing", () => {
    const limiter = new RateLimiter([
      { burst: 2, max: 1, windowMs: 60_000 },
      { max: 3, windowMs: 600_000 },
    ]);
    expect(limiter.consume("a", 0)).toBe(0);
    expect(limiter.consume("a", 0)).toBe(0);
    expect(limiter.consume("a", 0)).toBe(60_000);
    expect(limiter.consume("a", 60_000)).toBe(0);
    // The bucket has refilled one, but the window allows 3 per 10 minutes.
    expect(limiter.consume("a", 120_000)).toBe(480_000);
    limiter.refund("a");
    expect(limiter.consume("a", 120_000)).toBe(0);
    limiter.sweep(2_000_000);
    expect(limiter.size).toBe(0);
  });
});
