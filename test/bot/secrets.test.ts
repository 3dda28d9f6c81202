import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { openToken, redact, requireBotKey, sealToken, TokenSealError } from "../../src/bot/secrets.ts";

const KEY = randomBytes(32);
const TOKEN = "ZA-Yj3aBD8U8Cm7lKUp-lm9O9BmDgdhHzDeqsY8tlL0";
const CONTEXT = "connection 42 at https://mastodon.example";

function failure(fn: () => unknown): TokenSealError {
  try {
    fn();
  } catch (error) {
    if (error instanceof TokenSealError) return error;
    throw error;
  }
  throw new Error("expected a TokenSealError");
}

/** Changes one character of a base64url part to another valid one. */
function flip(part: string, at = 0): string {
  const c = part[at] === "A" ? "B" : "A";
  return part.slice(0, at) + c + part.slice(at + 1);
}

describe("sealToken / openToken", () => {
  it("round-trips, in the v1.<iv>.<ciphertext+tag> format", () => {
    const sealed = sealToken(KEY, TOKEN, CONTEXT);
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain(TOKEN);
    const [, iv, body] = sealed.split(".") as [string, string, string];
    expect(Buffer.from(iv, "base64url")).toHaveLength(12);
    expect(Buffer.from(body, "base64url")).toHaveLength(Buffer.byteLength(TOKEN) + 16);
    expect(openToken(KEY, sealed, CONTEXT)).toBe(TOKEN);
  });

  it("round-trips empty and non-ASCII text", () => {
    for (const text of ["", "tökén ✊ 🪧"]) expect(openToken(KEY, sealToken(KEY, text, CONTEXT), CONTEXT)).toBe(text);
  });

  it("uses a fresh IV every time", () => {
    const sealed = Array.from({ length: 200 }, () => sealToken(KEY, TOKEN, CONTEXT));
    expect(new Set(sealed.map((s) => s.split(".")[1])).size).toBe(200);
    expect(new Set(sealed).size).toBe(200);
  });

  it("refuses a changed IV, ciphertext or tag", () => {
    const [version, iv, body] = sealToken(KEY, TOKEN, CONTEXT).split(".") as [string, string, string];
    const tampered = [
      `${version}.${flip(iv)}.${body}`,
      `${version}.${iv}.${flip(body)}`, // the ciphertext
      `${version}.${iv}.${flip(body, body.length - 3)}`, // the tag
      `${version}.${iv}.${Buffer.from(body, "base64url").subarray(0, -4).toString("base64url")}`, // shortened
    ];
    // Each keeps the format, so only authentication can catch it.
    for (const sealed of tampered)
      expect(failure(() => openToken(KEY, sealed, CONTEXT)).reason, sealed).toBe("unauthentic");
  });

  it("refuses a changed version", () => {
    const sealed = sealToken(KEY, TOKEN, CONTEXT);
    const error = failure(() => openToken(KEY, sealed.replace(/^v1/, "v2"), CONTEXT));
    expect(error.reason).toBe("malformed");
    expect(error.message).toContain("version");
  });

  it("refuses another key and another context, with a clear message", () => {
    const sealed = sealToken(KEY, TOKEN, CONTEXT);
    const wrongKey = failure(() => openToken(randomBytes(32), sealed, CONTEXT));
    expect(wrongKey.reason).toBe("unauthentic");
    expect(wrongKey.message).toMatch(/altered.*another BOT_TOKEN_KEY.*another connection/);
    expect(failure(() => openToken(KEY, sealed, "connection 43 at https://mastodon.example")).reason).toBe(
      "unauthentic",
    );
    expect(failure(() => openToken(KEY, sealed, "")).reason).toBe("unauthentic");
    expect(wrongKey.message).not.toContain(TOKEN);
  });

  it.each([
    ["", "three parts"],
    ["v1", "three parts"],
    ["v1.a.b.c", "three parts"],
    ["v1..AAAAAAAAAAAAAAAAAAAAAA", "IV"],
    ["v1.AAAA.AAAAAAAAAAAAAAAAAAAAAA", "IV"],
    ["v1.AAAAAAAAAAAAAAAA.", "ciphertext"],
    ["v1.AAAAAAAAAAAAAAAA.AAAA", "ciphertext"],
    ["v1.AAAAAAAAAAAAAAA=.AAAAAAAAAAAAAAAAAAAAAA", "IV"],
    ["v1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAA+", "ciphertext"],
    ["v1.AAAAAAAAAAAAAAAB.AAAAAAAAAAAAAAAAAAAAAA", "unauthentic"],
    [TOKEN, "three parts"],
  ])("refuses the malformed %j", (sealed, expected) => {
    const error = failure(() => openToken(KEY, sealed, CONTEXT));
    if (expected === "unauthentic") expect(error.reason).toBe("unauthentic");
    else {
      expect(error.reason).toBe("malformed");
      expect(error.message).toContain(expected);
    }
  });

  it("refuses a key that is not 32 bytes", () => {
    expect(() => sealToken(randomBytes(16), TOKEN, CONTEXT)).toThrow(RangeError);
    expect(() => openToken(randomBytes(31), sealToken(KEY, TOKEN, CONTEXT), CONTEXT)).toThrow(RangeError);
  });
});

describe("redact", () => {
  it("shows a short fingerprint, never the token", () => {
    const shown = redact(TOKEN);
    expect(shown).toMatch(/^\[token [0-9a-f]{8}\]$/);
    expect(shown).not.toContain(TOKEN.slice(0, 4));
    expect(redact(TOKEN)).toBe(shown);
    expect(redact(`${TOKEN}x`)).not.toBe(shown);
    expect(redact("")).toBe("[no token]");
    expect(redact(null)).toBe("[no token]");
  });
});

describe("requireBotKey", () => {
  it("returns the configured key, or says how to set one", () => {
    expect(requireBotKey(loadConfig({ BOT_TOKEN_KEY: KEY.toString("hex") }, "/")).equals(KEY)).toBe(true);
    expect(() => requireBotKey(loadConfig({}, "/"))).toThrow(/strike bot needs BOT_TOKEN_KEY.*openssl rand -hex 32/);
  });
});
