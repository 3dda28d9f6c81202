import { solveChallenge, type Challenge } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/sha";
import { jsx } from "hono/jsx";
import { afterEach, describe, expect, it, vi } from "vitest";
import { assetUrl } from "../../src/web/kit/assets.ts";
import { powSolutions } from "../../src/db/schema.ts";
import {
  createProofOfWork,
  REASONS,
  type PowBinding,
  type ProofOfWorkOptions,
} from "../../src/services/proof-of-work.ts";
import { ProofOfWorkField } from "../../src/web/signing/ProofOfWorkField.tsx";
import { createTestApp } from "../helpers/app.ts";
import { createTestDb } from "../helpers/db.ts";

const BINDING: PowBinding = { action: "sign", target: "test-declaration" };

function options(overrides: Partial<ProofOfWorkOptions> = {}): ProofOfWorkOptions {
  return {
    db: createTestDb(),
    enabled: true,
    secret: "unit-test-secret",
    maxNumber: 2000,
    expiresInSeconds: 300,
    ...overrides,
  };
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64");
const decode = (payload: string) => JSON.parse(Buffer.from(payload, "base64").toString("utf8"));

/** Solves a challenge the way the widget does, with altcha-lib's own solver, and encodes the payload. */
async function solve(challenge: unknown): Promise<string> {
  const c = challenge as Challenge;
  const solution = await solveChallenge({ challenge: c, deriveKey, timeout: 20_000 });
  expect(solution).not.toBeNull();
  return encode({ challenge: { parameters: c.parameters, signature: c.signature }, solution });
}

/** Verifies and, when that passed, uses the solution up (what a signing does in its transaction). */
async function use(pow: ReturnType<typeof createProofOfWork>, payload: string, binding: PowBinding = BINDING) {
  const result = await pow.verify(payload, binding);
  if (!result.ok) return result;
  return pow.claim(result.proof) ? { ok: true } : { ok: false, reason: "claimed by another" };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("proof of work", () => {
  it("issues signed SHA-256 challenges with an expiry, bound to what they pay for", async () => {
    const pow = createProofOfWork(options());
    const challenge = (await pow.challenge(BINDING)) as Challenge;
    expect(challenge.parameters.algorithm).toBe("SHA-256");
    expect(challenge.signature).toMatch(/^[0-9a-f]{64}$/);
    expect(challenge.parameters.keySignature).toMatch(/^[0-9a-f]{64}$/);
    expect(challenge.parameters.data).toEqual({ action: "sign", target: "test-declaration", count: 1 });
    const expiresAt = challenge.parameters.expiresAt!;
    expect(expiresAt).toBeGreaterThan(Date.now() / 1000 + 290);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() / 1000 + 300);
  });

  it("does not use a solution up when verifying it; claiming does, once", async () => {
    const pow = createProofOfWork(options());
    const payload = await solve(await pow.challenge(BINDING));
    const first = await pow.verify(payload, BINDING);
    expect(first).toMatchObject({ ok: true, proof: { id: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    // Verified again (a form error in between): still fine.
    expect((await pow.verify(payload, BINDING)).ok).toBe(true);
    expect(pow.claim(first.ok ? first.proof : null)).toBe(true);
    expect(await pow.verify(payload, BINDING)).toEqual({ ok: false, code: "replayed", reason: REASONS.replayed });
    expect(pow.claim(first.ok ? first.proof : null)).toBe(false);
    // A fresh challenge is fine again.
    expect(await use(pow, await solve(await pow.challenge(BINDING)))).toEqual({ ok: true });
  });

  it("lets only one of several concurrent submissions of the same payload claim it", async () => {
    const pow = createProofOfWork(options());
    const payload = await solve(await pow.challenge(BINDING));
    const results = await Promise.all([use(pow, payload), use(pow, payload), use(pow, payload)]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
  });

  it("refuses a solution for another Declaration, another action or another count", async () => {
    const pow = createProofOfWork(options());
    const payload = await solve(await pow.challenge(BINDING));
    for (const other of [
      { action: "sign", target: "other-declaration" },
      { action: "pledge", target: "test-declaration" },
      { action: "also", target: "test-declaration" },
      { action: "sign", target: "test-declaration", count: 2 },
    ] as PowBinding[]) {
      expect(await pow.verify(payload, other), JSON.stringify(other)).toEqual({
        ok: false,
        code: "elsewhere",
        reason: REASONS.elsewhere,
      });
    }
    expect(await use(pow, payload)).toEqual({ ok: true });
  });

  it("prices a challenge for several signatures by their number", async () => {
    // The secret counter is drawn from count × maxNumber: over many challenges,
    // the counters found for count 20 are far above those for count 1.
    const pow = createProofOfWork(options({ maxNumber: 1000 }));
    const counters = async (count: number) => {
      const found: number[] = [];
      for (let i = 0; i < 12; i++) {
        const c = (await pow.challenge({ action: "also", target: "set", count })) as Challenge;
        found.push(decode(await solve(c)).solution.counter);
      }
      return Math.max(...found);
    };
    expect(await counters(1)).toBeLessThan(1000);
    expect(await counters(20)).toBeGreaterThan(1000);
  });

  it("refuses a solution whose challenge was signed with another secret", async () => {
    const other = createProofOfWork(options({ secret: "someone-else" }));
    const pow = createProofOfWork(options());
    expect(await pow.verify(await solve(await other.challenge(BINDING)), BINDING)).toEqual({
      ok: false,
      code: "invalid",
      reason: REASONS.invalid,
    });
  });

  it("refuses tampered payloads", async () => {
    const pow = createProofOfWork(options());
    const good = decode(await solve(await pow.challenge(BINDING)));
    const p = good.challenge.parameters;
    const variants = [
      // An easier prefix, a later expiry, another binding: the HMAC no longer matches.
      { ...good, challenge: { ...good.challenge, parameters: { ...p, keyPrefix: "00" } } },
      { ...good, challenge: { ...good.challenge, parameters: { ...p, expiresAt: p.expiresAt + 9999 } } },
      { ...good, challenge: { ...good.challenge, parameters: { ...p, extra: "x" } } },
      { ...good, challenge: { ...good.challenge, parameters: { ...p, data: { ...p.data, target: "other" } } } },
      { ...good, challenge: { ...good.challenge, signature: "ab".repeat(32) } },
      // A wrong answer.
      { ...good, solution: { ...good.solution, derivedKey: "cd".repeat(32) } },
      { ...good, solution: { ...good.solution, derivedKey: good.solution.derivedKey.slice(0, 32) } },
    ];
    for (const variant of variants) {
      expect(await pow.verify(encode(variant), BINDING)).toEqual({
        ok: false,
        code: "invalid",
        reason: REASONS.invalid,
      });
    }
    // Made for another target and re-signed by nobody: refused as another page's.
    expect(await pow.verify(encode(good), { action: "sign", target: "other" })).toEqual({
      ok: false,
      code: "elsewhere",
      reason: REASONS.elsewhere,
    });
    // The untampered one still works afterwards.
    expect(await use(pow, encode(good))).toEqual({ ok: true });
  });

  it("refuses an expired challenge", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-05-01T12:00:00Z"));
    const pow = createProofOfWork(options({ expiresInSeconds: 60 }));
    const payload = await solve(await pow.challenge(BINDING));
    vi.setSystemTime(new Date("2026-05-01T12:01:01Z"));
    expect(await pow.verify(payload, BINDING)).toEqual({ ok: false, code: "expired", reason: REASONS.expired });
  });

  it("keeps used solutions until they expire, then prunes them", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-05-01T12:00:00Z"));
    const db = createTestDb();
    const pow = createProofOfWork(options({ db, expiresInSeconds: 60 }));
    const payload = await solve(await pow.challenge(BINDING));
    expect(await use(pow, payload)).toEqual({ ok: true });
    vi.setSystemTime(new Date("2026-05-01T12:00:59Z"));
    expect(await pow.verify(payload, BINDING)).toEqual({ ok: false, code: "replayed", reason: REASONS.replayed });
    vi.setSystemTime(new Date("2026-05-01T12:05:00Z"));
    expect(await pow.verify(payload, BINDING)).toEqual({ ok: false, code: "expired", reason: REASONS.expired });
    expect(db.select().from(powSolutions).all()).toHaveLength(1);
    // The next claim prunes what expired.
    expect(await use(pow, await solve(await pow.challenge(BINDING)))).toEqual({ ok: true });
    expect(db.select().from(powSolutions).all()).toHaveLength(1);
  });

  it("refuses garbage, huge, non-base64 and wrongly shaped payloads without throwing", async () => {
    const pow = createProofOfWork(options());
    const good = decode(await solve(await pow.challenge(BINDING)));
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
      encode({
        ...good,
        challenge: { ...good.challenge, parameters: { ...good.challenge.parameters, algorithm: "SHA-1" } },
      }),
      encode({ ...good, challenge: { ...good.challenge, parameters: { ...good.challenge.parameters, cost: 1e9 } } }),
      encode({
        ...good,
        challenge: { ...good.challenge, parameters: { ...good.challenge.parameters, expiresAt: "soon" } },
      }),
      encode({ ...good, challenge: { ...good.challenge, parameters: "x" } }),
      encode({ ...good, challenge: { parameters: good.challenge.parameters } }),
      encode({ ...good, challenge: { ...good.challenge, signature: 5 } }),
      Buffer.from(JSON.stringify(good).replace('"parameters":{', '"parameters":{"__proto__":{"cost":0},')).toString(
        "base64",
      ),
      JSON.stringify(good), // JSON that is not base64-encoded
      `${encode(good)}!`,
      42,
      { challenge: good.challenge },
    ];
    for (const input of inputs) {
      const result = await pow.verify(input as string, BINDING);
      expect(result.ok, String(input).slice(0, 80)).toBe(false);
      if (!result.ok) {
        expect(result.reason.length).toBeGreaterThan(10);
        // A whole sentence that says what to do, with no label before it.
        expect(result.reason).toMatch(/^(The|This) anti-spam check .*Please .*send the form again/);
      }
    }
    // None of that used up the real solution.
    expect(await use(pow, encode(good))).toEqual({ ok: true });
  });

  it("accepts anything when disabled, yet still issues challenges", async () => {
    const pow = createProofOfWork(options({ enabled: false }));
    expect(pow.enabled).toBe(false);
    for (const input of [undefined, null, "", "garbage", "a".repeat(1024 * 1024)]) {
      expect(await pow.verify(input, BINDING)).toEqual({ ok: true, proof: null });
    }
    expect(pow.claim(null)).toBe(true);
    expect(((await pow.challenge(BINDING)) as Challenge).signature).toMatch(/^[0-9a-f]{64}$/);
  });

  it("rejects nonsensical options when created", () => {
    expect(() => createProofOfWork(options({ secret: "" }))).toThrow(/secret/);
    expect(() => createProofOfWork(options({ maxNumber: 0 }))).toThrow(/maxNumber/);
    expect(() => createProofOfWork(options({ maxNumber: 1.5 }))).toThrow(/maxNumber/);
    expect(() => createProofOfWork(options({ expiresInSeconds: 0 }))).toThrow(/expiresInSeconds/);
  });
});

describe("GET /api/pow/challenge", () => {
  it("returns a fresh challenge bound to its action and target as JSON, never cached", async () => {
    const db = createTestDb();
    const pow = createProofOfWork(options({ db }));
    const { app } = await createTestApp({ db, pow });
    const res = await app.request("/api/pow/challenge?action=sign&target=test-declaration");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    // Only for our own pages: not opened to other origins like the rest of /api.
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const challenge = (await res.json()) as Challenge;
    expect(challenge.parameters.algorithm).toBe("SHA-256");
    expect(challenge.parameters.data).toEqual({ action: "sign", target: "test-declaration", count: 1 });
    // What the widget would send back verifies with the app's instance.
    expect(await use(pow, await solve(challenge))).toEqual({ ok: true });

    const again = (await (
      await app.request("/api/pow/challenge?action=sign&target=test-declaration")
    ).json()) as Challenge;
    expect(again.signature).not.toBe(challenge.signature);
    const priced = (await (await app.request("/api/pow/challenge?action=also&target=abc&count=7")).json()) as Challenge;
    expect(priced.parameters.data).toEqual({ action: "also", target: "abc", count: 7 });
  });

  it.each([
    ["", "action"],
    ["?target=x", "action"],
    ["?action=delete&target=x", "action"],
    ["?action=sign", "target"],
    ["?action=sign&target=a%20b", "target"],
    [`?action=sign&target=${"x".repeat(101)}`, "target"],
    ["?action=also&target=x&count=0", "count"],
    ["?action=also&target=x&count=101", "count"],
    ["?action=also&target=x&count=1.5", "count"],
  ])("answers %s with 400 naming the field %s", async (query, field) => {
    const { app } = await createTestApp();
    const res = await app.request(`/api/pow/challenge${query}`);
    expect(res.status).toBe(400);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(((await res.json()) as { error: { field: string } }).error.field).toBe(field);
  });

  it("works with the default (disabled) test app too", async () => {
    const { app } = await createTestApp();
    const res = await app.request("/api/pow/challenge?action=pledge&target=strike");
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
    const html = String(await jsx(ProofOfWorkField, { enabled: true, binding: BINDING }).toString());
    expect(html).toContain(
      '<altcha-widget challenge="/api/pow/challenge?action=sign&amp;target=test-declaration" name="altcha" auto="onfocus"></altcha-widget>',
    );
    expect(html).toContain(`<script type="module" src="${assetUrl("altcha-widget.js")}"></script>`);
    expect(html).toContain(`<link rel="stylesheet" href="${assetUrl("altcha.css")}"/>`);
    expect(html).toContain(
      "<noscript><p>This site&#39;s anti-spam check needs JavaScript, which is off in your browser, so this form cannot be sent.</p></noscript>",
    );
    expect(html).not.toMatch(/style=|<style|onload=/);
    expect(
      String(await jsx(ProofOfWorkField, { enabled: true, binding: BINDING, auto: "onload" }).toString()),
    ).toContain('auto="onload"');
  });

  it("renders nothing when the check is off", async () => {
    expect(String(await jsx(ProofOfWorkField, { enabled: false, binding: BINDING }).toString())).toBe("");
  });
});
