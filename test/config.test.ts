import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.ts";

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env, "/srv/site");
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("has working defaults", () => {
    const config = loadConfig({}, "/srv/site");
    expect(config.port).toBe(8000);
    expect(config.host).toBe("127.0.0.1");
    expect(config.origin.href).toBe("http://localhost:8000/");
    expect(config.dataDir).toBe("/srv/site/data");
    expect(config.declarationsDir).toBe("/srv/site/declarations");
    expect(config.instanceName).toBe("undersign");
    expect(config.logLevel).toBe("info");
    expect(config.federation).toEqual({
      allowPrivateAddress: false,
      processQueue: true,
      inboxLimitPerServer: { max: 600, windowMs: 60_000 },
      signersPerServer: [
        { max: 20, windowMs: 600_000 },
        { max: 200, windowMs: 86_400_000 },
      ],
    });
  });

  it("reads the federation settings and names a bad one", () => {
    expect(
      loadConfig(
        {
          FEDERATION_ALLOW_PRIVATE_ADDRESS: "true",
          PROCESS_QUEUE: "off",
          INBOX_LIMIT_PER_SERVER: "off",
          FEDIVERSE_SIGNERS_PER_SERVER: "5/1h",
        },
        "/",
      ).federation,
    ).toEqual({
      allowPrivateAddress: true,
      processQueue: false,
      inboxLimitPerServer: null,
      signersPerServer: [{ max: 5, windowMs: 3_600_000 }],
    });
    expect(problemsOf({ INBOX_LIMIT_PER_SERVER: "lots" }).join("\n")).toContain("INBOX_LIMIT_PER_SERVER");
    expect(problemsOf({ INBOX_LIMIT_PER_SERVER: "10/1s,100/1m" }).join("\n")).toMatch(
      /^INBOX_LIMIT_PER_SERVER: expected one limit/,
    );
    expect(problemsOf({ FEDIVERSE_SIGNERS_PER_SERVER: "20 per hour" }).join("\n")).toContain(
      "FEDIVERSE_SIGNERS_PER_SERVER",
    );
    expect(problemsOf({ PROCESS_QUEUE: "sometimes" }).join("\n")).toContain("PROCESS_QUEUE");
    expect(problemsOf({ FEDERATION_ALLOW_PRIVATE_ADDRESS: "maybe" }).join("\n")).toContain(
      "FEDERATION_ALLOW_PRIVATE_ADDRESS",
    );
  });

  it("derives the default origin from PORT", () => {
    expect(loadConfig({ PORT: "9000" }, "/").origin.href).toBe("http://localhost:9000/");
  });

  it("reads every variable", () => {
    const config = loadConfig(
      {
        PORT: "3000",
        HOST: "0.0.0.0",
        ORIGIN: "https://declarations.example",
        DATA_DIR: "/var/lib/undersign",
        DECLARATIONS_DIR: "texts",
        INSTANCE_NAME: "  Digital Independence  ",
        LOG_LEVEL: "WARN",
      },
      "/srv/site",
    );
    expect(config).toMatchObject({
      port: 3000,
      host: "0.0.0.0",
      dataDir: "/var/lib/undersign",
      declarationsDir: "/srv/site/texts",
      instanceName: "Digital Independence",
      logLevel: "warning",
    });
    expect(config.origin.href).toBe("https://declarations.example/");
  });

  it("derives the site account's handle and introduction from INSTANCE_NAME unless given", () => {
    const derived = loadConfig({ INSTANCE_NAME: "Déclaration #2 — Berlin" }, "/");
    expect(derived.siteHandle).toBe("declaration-2-berlin");
    expect(derived.siteIntroduction).toContain("Déclaration #2 — Berlin hosts Declarations");
    expect(loadConfig({ INSTANCE_NAME: "Instance" }, "/").siteHandle).toBe("site");
    expect(loadConfig({ INSTANCE_NAME: "!!!" }, "/").siteHandle).toBe("site");
    const given = loadConfig({ SITE_HANDLE: " Strike-Berlin ", SITE_INTRODUCTION: "  We strike.  " }, "/");
    expect(given.siteHandle).toBe("strike-berlin");
    expect(given.siteIntroduction).toBe("We strike.");
  });

  it("treats blank variables as unset", () => {
    expect(loadConfig({ PORT: "  ", ORIGIN: "" }, "/").port).toBe(8000);
  });

  it.each([
    [{ PORT: "abc" }, /^PORT: expected a whole number from 1 to 65535, got "abc"$/],
    [{ PORT: "0" }, /^PORT: /],
    [{ PORT: "65536" }, /^PORT: /],
    [{ PORT: "80.5" }, /^PORT: /],
    [{ HOST: "my host" }, /^HOST: /],
    [{ ORIGIN: "localhost:8000" }, /^ORIGIN: expected the site's public URL/],
    [{ ORIGIN: "ftp://example.org" }, /^ORIGIN: /],
    [{ ORIGIN: "https://example.org/sub/path" }, /^ORIGIN: expected only scheme, host/],
    [{ ORIGIN: "https://user:pw@example.org" }, /^ORIGIN: /],
    [{ LOG_LEVEL: "loud" }, /^LOG_LEVEL: expected one of trace, debug, info, warning, error, fatal, got "loud"$/],
    [{ INSTANCE_NAME: "x".repeat(101) }, /^INSTANCE_NAME: /],
    [{ INSTANCE_NAME: "bad\u0007name" }, /^INSTANCE_NAME: /],
    [{ SITE_HANDLE: "Two Words" }, /^SITE_HANDLE: "Two Words" may contain only lowercase letters/],
    [{ SITE_HANDLE: "site_account" }, /^SITE_HANDLE: /],
    [{ SITE_HANDLE: "-site" }, /^SITE_HANDLE: /],
    [{ SITE_HANDLE: "a".repeat(65) }, /^SITE_HANDLE: .* is longer than 64 characters$/],
    [{ SITE_HANDLE: "instance" }, /^SITE_HANDLE: "instance" is the handle of the instance actor/],
    [{ SITE_INTRODUCTION: "x".repeat(501) }, /^SITE_INTRODUCTION: expected at most 500 printable characters/],
    [{ SITE_INTRODUCTION: "two\u0007lines" }, /^SITE_INTRODUCTION: /],
  ])("refuses %j with a line naming the variable", (env, pattern) => {
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(pattern);
  });

  it("reports every problem at once, one line each", () => {
    const problems = problemsOf({ PORT: "x", ORIGIN: "nope", LOG_LEVEL: "x" });
    expect(problems.map((p) => p.split(":")[0])).toEqual(["PORT", "ORIGIN", "LOG_LEVEL"]);
    for (const p of problems) expect(p).not.toContain("\n");
  });
});

describe("TRUST_PROXY and IPV6_PREFIX_LENGTH", () => {
  it("trusts no proxy by default and counts IPv6 clients by /64", () => {
    const config = loadConfig({}, "/");
    expect(config.trustedProxies).toEqual([]);
    expect(config.ipv6PrefixLength).toBe(64);
    expect(loadConfig({ TRUST_PROXY: "false" }, "/").trustedProxies).toEqual([]);
    expect(loadConfig({ TRUST_PROXY: "off" }, "/").trustedProxies).toEqual([]);
  });

  it("reads a list of proxy addresses and ranges", () => {
    expect(loadConfig({ TRUST_PROXY: "127.0.0.1,10.0.0.0/8" }, "/").trustedProxies).toEqual([
      "127.0.0.1/32",
      "10.0.0.0/8",
    ]);
    expect(loadConfig({ TRUST_PROXY: "loopback, fd00::/8" }, "/").trustedProxies).toEqual([
      "127.0.0.0/8",
      "::1/128",
      "fd00::/8",
    ]);
    expect(loadConfig({ IPV6_PREFIX_LENGTH: "56" }, "/").ipv6PrefixLength).toBe(56);
  });

  it.each(["true", "yes", "1", "on"])("refuses TRUST_PROXY=%s and says what to write instead", (raw) => {
    const problems = problemsOf({ TRUST_PROXY: raw });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^TRUST_PROXY: ".+" is no longer accepted, because it believed any X-Forwarded-For header/,
    );
    expect(problems[0]).toContain("TRUST_PROXY=loopback");
    expect(problems[0]).toContain("TRUST_PROXY=127.0.0.1,10.0.0.0/8");
  });

  it.each([
    [
      { TRUST_PROXY: "proxy.internal" },
      /^TRUST_PROXY: expected "false" or a comma-separated list .*"proxy.internal" is not an IP address or range$/,
    ],
    [{ TRUST_PROXY: "10.0.0.0/40" }, /^TRUST_PROXY: .*prefix length/],
    [{ TRUST_PROXY: "10.1.2.3/8" }, /^TRUST_PROXY: .*did you mean 10.0.0.0\/8/],
    [{ IPV6_PREFIX_LENGTH: "16" }, /^IPV6_PREFIX_LENGTH: expected a whole number from 32 to 128/],
    [{ IPV6_PREFIX_LENGTH: "129" }, /^IPV6_PREFIX_LENGTH: /],
    [{ IPV6_PREFIX_LENGTH: "/64" }, /^IPV6_PREFIX_LENGTH: /],
  ])("refuses %j with a line naming the variable", (env, pattern) => {
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(pattern);
  });
});

describe("BOT_TOKEN_KEY", () => {
  const KEY = randomBytes(32);
  const hex = KEY.toString("hex");

  it("is off by default", () => {
    expect(loadConfig({}, "/").bot).toBeNull();
    expect(loadConfig({ BOT_TOKEN_KEY: "  " }, "/").bot).toBeNull();
  });

  it("reads hex, base64 and base64url, with or without padding", () => {
    for (const value of [
      hex,
      hex.toUpperCase(),
      KEY.toString("base64"),
      KEY.toString("base64url"),
      KEY.toString("base64").replace(/=$/, ""),
      ` ${hex} `,
    ]) {
      expect(loadConfig({ BOT_TOKEN_KEY: value }, "/").bot?.tokenKey.equals(KEY), value).toBe(true);
    }
  });

  it.each([
    ["too short", hex.slice(0, 62)],
    ["too long", `${hex}00`],
    ["not hex", `${hex.slice(0, 63)}g`],
    ["16 bytes of base64", randomBytes(16).toString("base64")],
    ["48 bytes of base64", randomBytes(48).toString("base64")],
    ["a passphrase", "correct horse battery staple"],
  ])("refuses %s with one line naming it and how to make one, without echoing it", (_, value) => {
    const problems = problemsOf({ BOT_TOKEN_KEY: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^BOT_TOKEN_KEY: /);
    expect(problems[0]).toContain("openssl rand -hex 32");
    expect(problems[0]).not.toContain(value);
    expect(problems[0]).not.toContain("\n");
  });

  it("is reported alongside other problems", () => {
    expect(problemsOf({ PORT: "x", BOT_TOKEN_KEY: "short" }).map((p) => p.split(":")[0])).toEqual([
      "PORT",
      "BOT_TOKEN_KEY",
    ]);
  });
});
