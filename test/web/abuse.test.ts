import { describe, expect, it } from "vitest";
import { ProgressiveDelay, RateLimiter } from "../../src/services/limits.ts";

describe("RateLimiter", () => {
  it("allows max events per window, says how long to wait, and takes a refunded event back", () => {
    const limiter = new RateLimiter([{ max: 2, windowMs: 60_000 }]);
    expect(limiter.consume("a", 0)).toBe(0);
    expect(limiter.consume("a", 1_000)).toBe(0);
    expect(limiter.consume("a", 2_000)).toBe(58_000);
    expect(limiter.consume("b", 2_000)).toBe(0);
    limiter.refund("a");
    expect(limiter.consume("a", 3_000)).toBe(0);
    expect(limiter.consume("a", 60_001)).toBe(0);
    limiter.sweep(10 * 60_000);
    expect(limiter.size).toBe(0);
    expect(new RateLimiter([]).consume("a")).toBe(0);
  });
});

describe("ProgressiveDelay", () => {
  it("lets the free events pass, then doubles the wait after each, up to the cap, never refusing for longer", () => {
    const delay = new ProgressiveDelay({ free: 2, windowMs: 15 * 60_000, maxDelayMs: 8_000 });
    expect(delay.consume("k", 0)).toBe(0);
    expect(delay.consume("k", 10)).toBe(0);
    // Third: 1 s after the second.
    expect(delay.consume("k", 500)).toBe(510);
    expect(delay.consume("k", 1_010)).toBe(0);
    // Fourth: 2 s after the third; then 4 s; then capped at 8 s.
    expect(delay.consume("k", 3_009)).toBe(1);
    expect(delay.consume("k", 3_010)).toBe(0);
    expect(delay.consume("k", 7_010)).toBe(0);
    expect(delay.consume("k", 15_009)).toBe(1);
    expect(delay.consume("k", 15_010)).toBe(0);
    expect(delay.consume("k", 23_010)).toBe(0);
    // Another key is not slowed; a refund takes the last event back.
    expect(delay.consume("other", 23_010)).toBe(0);
    delay.refund("k");
    expect(delay.consume("k", 23_011)).toBe(0);
  });
});
