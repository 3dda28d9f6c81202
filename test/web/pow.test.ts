import { solveChallenge, type Challenge } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/sha";
import { jsx } from "hono/jsx";
import { afterEach, describe, expect, it, vi } from "vitest";
import { assetUrl } from "../../src/web/assets.ts";
import { createProofOfWork, REASONS, type ProofOfWorkOptions } from "../../src/web/pow.ts";
import { ProofOfWorkField } from "../../src/web/views/ProofOfWorkField.tsx";
import { createTestApp } from "../helpers/app.ts";

const OPTIONS: ProofOfWorkOptions = { enabled: true, secret: "unit-test-secret", maxNumber: 2000, expiresInSeconds: 300 };

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64");
const decode = (payload: string) => JSON.parse(Buffer.from(payload, "base64").toString("utf8"));

/** Solves a challenge the way the widget does, with altcha-lib's own solver, and encodes the payload. */
async function solve(challenge: unknown): Promise<string> {
  const c = challenge as Challenge;
  const solution = await solveChallenge({ challenge: c, deriveKey, timeout: 20_000 });
  expect(solution).not.toBeNull();
  return encode({ challenge: { parameters: c.parameters, signature: c.signature }, solution });
}

afterEach(() => {
  vi.useRealTimers();
});

describe("proof of work", () => {
  it("issues signed SHA-256 challenges with an expiry", async () => {
    const pow = createProofOfWork(OPTIONS);
    const challenge = (await pow.challenge()) as Challenge;
    expect(challenge.parameters.algorithm).toBe("SHA-256");
    expect(challenge.signature).toMatch(/^[0-9a-f]{64}$/);
    expect(challenge.parameters.keySignature).toMatch(/^[0-9a-f]{64}$/);
    const expiresAt = challenge.parameters.expiresAt!;
    expect(expiresAt).toBeGreaterThan(Date.now() / 1000 + 290);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() / 1000 + 300);
  });

  it("accepts a solved challenge once and refuses it the second time", async () => {
    const pow = createProofOfWork(OPTIONS);
    const payload = await solve(await pow.challenge());
    expect(await pow.verify(payload)).toEqual({ ok: true });
    expect(await pow.verify(payload)).toEqual({ ok: false, reason: "this anti-spam check was already used; please try again" });
    // A fresh challenge is fine again.
    expect(await pow.verify(await solve(await pow.challenge()))).toEqual({ ok: true });
  });

  it("accepts only one of two concurrent submissions of the same payload", async () => {
    const pow = createProofOfWork(OPTIONS);
    const payload = await solve(await pow.challenge());
    const results = await Promise.all([pow.verify(payload), pow.verify(payload), pow.verify(payload)]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
  });

  it("refuses a solution whose challenge was signed with another secret", async () => {
    const other = createProofOfWork({ ...OPTIONS, secret: "someone-else" });
    const pow = createProofOfWork(OPTIONS);
    expect(await pow.verify(await solve(await other.challenge()))).toEqual({ ok: false, reason: REASONS.invalid });
  });

  it("refuses tampered payloads", async () => {
    const pow = createProofOfWork(OPTIONS);
    const good = decode(await solve(await pow.challenge()));
    const variants = [
      // An easier prefix, a later expiry: the HMAC no longer matches.
      { ...good, challenge: { ...good.challenge, parameters: { ...good.challenge.parameters, keyPrefix: "00" } } },
      {
        ...good,
        challenge: { ...good.challenge, parameters: { ...good.challenge.parameters, expiresAt: good.challenge.parameters.expiresAt + 9999 } },
      },
      { ...good, challenge: { ...good.challenge, parameters: { ...good.challenge.parameters, extra: "x" } } },
      { ...good, challenge: { ...good.challenge, signature: "ab".repeat(32) } },
      // A wrong answer.
      { ...good, solution: { ...good.solution, derivedKey: "cd".repeat(32) } },
      { ...good, solution: { ...good.solution, derivedKey: good.solution.derivedKey.slice(0, 32) } },
    ];
    for (const variant of variants) {
      expect(await pow.verify(encode(variant))).toEqual({ ok: false, reason: REASONS.invalid });
    }
    // The untampered one still works afterwards.
    expect(await pow.verify(encode(good))).toEqual({ ok: true });
  });

  it("refuses an expired challenge", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-05-01T12:00:00Z"));
    const pow = createProofOfWork({ ...OPTIONS, expiresInSeconds: 60 });
    const payload = await solve(await pow.challenge());
    vi.setSystemTime(new Date("2026-05-01T12:01:01Z"));
    expect(await pow.verify(payload)).toEqual({ ok: false, reason: REASONS.expired });
  });

  it("forgets used solutions only after they expire", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-05-01T12:00:00Z"));
    const pow = createProofOfWork({ ...OPTIONS, expiresInSeconds: 60 });
    const payload = await solve(await pow.challenge());
    expect(await pow.verify(payload)).toEqual({ ok: true });
    vi.setSystemTime(new Date("2026-05-01T12:00:59Z"));
    expect(await pow.verify(payload)).toEqual({ ok: false, reason: REASONS.replayed });
    vi.setSystemTime(new Date("2026-05-01T12:05:00Z"));
    expect(await pow.verify(payload)).toEqual({ ok: false, reason: REASONS.expired });
  });

  it("refuses garbage, huge, non-base64 and wrongly shaped payloads without throwing", async () => {
    const pow = createProofOfWork(OPTIONS);
    const good = decode(await solve(await pow.challenge()));
    const inputs: unknown[] = [
      undefined,
      null,
      "",
      "   ",
      "garbage",
      "not base64 at all!",
      "%%%%",
      "====",
      "YWJj", // "abc"
      "a".repeat(1024 * 1024),
      encode("x").repeat(3000),
      Buffer.from("{not json").toString("base64"),
      Buffer.from([0xff, 0xfe, 0x00, 0x01]).toString("base64"),
      encode(null),
      encode(42),
      encode([]),
      encode({}),
      encode({ challenge: null, solution: null, test: true }), // the widget's test mode
      encode({ challenge: good.challenge }),
      encode({ solution: good.solution }),
      encode({ ...good, solution: { ...good.solution, counter: "7" } }),
      encode({ ...good, solution: { ...good.solution, counter: -1 } }),
      encode({ ...good, solution: { ...good.solution, counter: 2 ** 40 } }),
      encode({ ...good, solution: { ...good.solution, derivedKey: "XYZ" } }),
      encode({ ...good, challenge: { ...good.challenge, parameters: { ...good.challenge.parameters, nonce: "zz" } } }),
      encode({ ...good, challenge: { ...good.challenge, parameters: { ...good.challenge.parameters, algorithm: "SHA-1" } } }),
      encode({ ...good, challenge: { ...good.challenge, parameters: { ...good.challenge.parameters, cost: 1e9 } } }),
      encode({ ...good, challenge: { ...good.challenge, parameters: { ...good.challenge.parameters, expiresAt: "soon" } } }),
      encode({ ...good, challenge: { ...good.challenge, parameters: "x" } }),
      encode({ ...good, challenge: { parameters: good.challenge.parameters } }),
      encode({ ...good, challenge: { ...good.challenge, signature: 5 } }),
      Buffer.from(JSON.stringify(good).replace('"parameters":{', '"parameters":{"__proto__":{"cost":0},')).toString("base64"),
      JSON.stringify(good), // JSON that is not base64-encoded
      `${encode(good)}!`,
      42,
      { challenge: good.challenge },
    ];
    for (const input of inputs) {
      const result = await pow.verify(input as string);
      expect(result.ok, String(input).slice(0, 80)).toBe(false);
      if (!result.ok) {
        expect(result.reason.length).toBeGreaterThan(10);
        expect(result.reason.length).toBeLessThan(120);
      }
    }
    // None of that used up the real solution.
    expect(await pow.verify(encode(good))).toEqual({ ok: true });
  });

  it("accepts anything when disabled, yet still issues challenges", async () => {
    const pow = createProofOfWork({ ...OPTIONS, enabled: false });
    expect(pow.enabled).toBe(false);
    for (const input of [undefined, null, "", "garbage", "a".repeat(1024 * 1024)]) {
      expect(await pow.verify(input)).toEqual({ ok: true });
    }
    expect(((await pow.challenge()) as Challenge).signature).toMatch(/^[0-9a-f]{64}$/);
  });

  it("rejects nonsensical options when created", () => {
    expect(() => createProofOfWork({ ...OPTIONS, secret: "" })).toThrow(/secret/);
    expect(() => createProofOfWork({ ...OPTIONS, maxNumber: 0 })).toThrow(/maxNumber/);
    expect(() => createProofOfWork({ ...OPTIONS, maxNumber: 1.5 })).toThrow(/maxNumber/);
    expect(() => createProofOfWork({ ...OPTIONS, expiresInSeconds: 0 })).toThrow(/expiresInSeconds/);
  });
});

describe("GET /api/pow/challenge", () => {
  it("returns a fresh challenge as JSON, never cached", async () => {
    const pow = createProofOfWork(OPTIONS);
    const { app } = await createTestApp({ pow });
    const res = await app.request("/api/pow/challenge");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    // Only for our own pages: not opened to other origins like the rest of /api.
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const challenge = (await res.json()) as Challenge;
    expect(challenge.parameters.algorithm).toBe("SHA-256");
    // What the widget would send back verifies with the app's instance.
    expect(await pow.verify(await solve(challenge))).toEqual({ ok: true });

    const again = (await (await app.request("/api/pow/challenge")).json()) as Challenge;
    expect(again.signature).not.toBe(challenge.signature);
  });

  it("works with the default (disabled) test app too", async () => {
    const { app } = await createTestApp();
    const res = await app.request("/api/pow/challenge");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(((await res.json()) as Challenge).parameters.algorithm).toBe("SHA-256");
  });

  it("serves the widget files from /static with long caching", async () => {
    const { app } = await createTestApp();
    for (const name of ["altcha-widget.js", "altcha.js", "altcha.css", "altcha-worker-sha.js"]) {
      const res = await app.request(`/static/${name}`);
      expect(res.status, name).toBe(200);
      expect(res.headers.get("content-type"), name).toMatch(name.endsWith(".css") ? /^text\/css/ : /^text\/javascript/);
    }
    const entry = await (await app.request("/static/altcha-widget.js")).text();
    const versioned = [...entry.matchAll(/"(\/static\/[^"]+\?v=[0-9a-f]{12})"/g)].map((m) => m[1]!);
    expect(versioned).toHaveLength(2);
    for (const url of versioned) {
      const res = await app.request(url);
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toContain("immutable");
    }
  });
});

describe("<ProofOfWorkField>", () => {
  it("renders the widget, its script and stylesheet from /static, and a noscript note", async () => {
    const html = String(await jsx(ProofOfWorkField, { enabled: true }).toString());
    expect(html).toContain('<altcha-widget challenge="/api/pow/challenge" name="altcha" auto="onfocus"></altcha-widget>');
    expect(html).toContain(`<script type="module" src="${assetUrl("altcha-widget.js")}"></script>`);
    expect(html).toContain(`<link rel="stylesheet" href="${assetUrl("altcha.css")}"/>`);
    expect(html).toContain("<noscript><p>This site&#39;s anti-spam check needs JavaScript. Without it, your signature cannot be sent.</p></noscript>");
    expect(html).not.toMatch(/style=|<style|onload=/);
    expect(String(await jsx(ProofOfWorkField, { enabled: true, auto: "onload" }).toString())).toContain('auto="onload"');
  });

  it("renders nothing when the check is off", async () => {
    expect(String(await jsx(ProofOfWorkField, { enabled: false }).toString())).toBe("");
  });
});
