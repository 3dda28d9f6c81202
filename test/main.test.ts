/**
 * Process-level tests of the real entry point: `node --import tsx src/main.ts`
 * is spawned as a child process on a free loopback port with a fresh
 * DATA_DIR, the way a site owner runs it.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { loadConfig, readEnvironment } from "../src/config.ts";
import {
  killChildren,
  removeTempDirs,
  spawnApp,
  startApp,
  stopApp,
  tempDir,
  type RunningApp,
} from "./helpers/process.ts";

const SLUG = "digital-independence";

async function revisionOf(app: RunningApp, slug: string): Promise<number> {
  const res = await fetch(`${app.url}/api/declarations/${slug}`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { revision: number };
  return body.revision;
}

afterEach(killChildren);
afterAll(removeTempDirs);

describe("src/main.ts", () => {
  it("serves the shipped Declaration, keeps one revision across restarts, and exits 0 on SIGTERM", async () => {
    const dataDir = tempDir("data");

    const first = await startApp(dataDir);
    const home = await fetch(`${first.url}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain("Declaration of Digital Independence");

    const page = await fetch(`${first.url}/d/${SLUG}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<h1[^>]*>Declaration of Digital Independence<\/h1>/);

    expect(existsSync(join(dataDir, "undersign.sqlite"))).toBe(true);
    expect(await revisionOf(first, SLUG)).toBe(1);

    const firstExit = await stopApp(first);
    expect(firstExit).toEqual({ code: 0, signal: null });
    expect(first.output().stdout).toContain("Received SIGTERM");
    // Without BOT_TOKEN_KEY the strike bot does not start, and the log names the variable.
    const log = first.output().stdout + first.output().stderr;
    expect(log).toContain("The strike bot is off");
    expect(log).toContain("The strike bot needs BOT_TOKEN_KEY");

    const withBot = await startApp(tempDir("data"), { BOT_TOKEN_KEY: "ab".repeat(32) });
    const bot = await fetch(`${withBot.url}/bot`);
    expect(bot.status).toBe(200);
    await bot.body?.cancel();
    expect(await stopApp(withBot)).toEqual({ code: 0, signal: null });
    expect(withBot.output().stdout + withBot.output().stderr).not.toContain("The strike bot is off");

    // Same DATA_DIR, same file: the import must not add a second revision.
    const second = await startApp(dataDir);
    expect(await revisionOf(second, SLUG)).toBe(1);
    const v1 = await fetch(`${second.url}/d/${SLUG}/v/1`);
    expect(v1.status).toBe(200);
    await v1.body?.cancel();
    const v2 = await fetch(`${second.url}/d/${SLUG}/v/2`);
    expect(v2.status).toBe(404);
    await v2.body?.cancel();

    const secondExit = await stopApp(second);
    expect(secondExit).toEqual({ code: 0, signal: null });
  }, 120_000);

  it("refuses bad configuration with one line per variable and exit code 1", async () => {
    const dataDir = tempDir("bad");
    const app = spawnApp({ PORT: "abc", LOG_LEVEL: "loud", ORIGIN: "ftp://x", HOST: "127.0.0.1", DATA_DIR: dataDir });
    const result = await app.exited;
    const { stdout, stderr } = app.output();

    expect(result).toEqual({ code: 1, signal: null });
    const lines = stderr.split("\n").filter((line) => line.trim() !== "");
    for (const name of ["PORT", "LOG_LEVEL", "ORIGIN"]) {
      expect(
        lines.filter((line) => line.startsWith(`${name}:`)),
        `${name} in:\n${stderr}`,
      ).toHaveLength(1);
    }
    expect(stderr).toContain('"abc"');
    expect(stderr).toContain('"loud"');
    expect(stderr).toContain('"ftp://x"');
    expect(stderr).not.toMatch(/^\s{4}at /m);
    expect(stderr).not.toContain("Error:");
    expect(stdout).not.toContain("is serving");
    // It stopped before opening the database.
    expect(existsSync(join(dataDir, "undersign.sqlite"))).toBe(false);
  }, 60_000);
});

describe("readEnvironment", () => {
  const NAMES = [
    "UNDERSIGN_TEST_ONLY_IN_FILE",
    "UNDERSIGN_TEST_IN_BOTH",
    "UNDERSIGN_TEST_ONLY_IN_ENV",
    "PORT",
    "INSTANCE_NAME",
  ];
  const saved = new Map<string, string | undefined>();

  afterEach(() => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    saved.clear();
  });

  function setEnv(name: string, value: string | undefined) {
    if (!saved.has(name)) saved.set(name, process.env[name]);
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }

  it("reads .env from the given folder, and the process environment wins", () => {
    const dir = tempDir("dotenv");
    writeFileSync(
      join(dir, ".env"),
      [
        "# a comment",
        "UNDERSIGN_TEST_ONLY_IN_FILE=from-file",
        "UNDERSIGN_TEST_IN_BOTH=from-file",
        "PORT=8123",
        'INSTANCE_NAME="Quoted Name"',
        "",
      ].join("\n"),
    );
    for (const name of NAMES) setEnv(name, undefined);
    setEnv("UNDERSIGN_TEST_IN_BOTH", "from-env");
    setEnv("UNDERSIGN_TEST_ONLY_IN_ENV", "env-only");

    const env = readEnvironment(dir);
    expect(env.UNDERSIGN_TEST_ONLY_IN_FILE).toBe("from-file");
    expect(env.UNDERSIGN_TEST_IN_BOTH).toBe("from-env");
    expect(env.UNDERSIGN_TEST_ONLY_IN_ENV).toBe("env-only");

    const config = loadConfig(env, dir);
    expect(config.port).toBe(8123);
    expect(config.instanceName).toBe("Quoted Name");

    setEnv("PORT", "9234");
    expect(loadConfig(readEnvironment(dir), dir).port).toBe(9234);
  });

  it("works without a .env file", () => {
    const dir = tempDir("nodotenv");
    for (const name of NAMES) setEnv(name, undefined);
    setEnv("UNDERSIGN_TEST_ONLY_IN_ENV", "env-only");
    const env = readEnvironment(dir);
    expect(env.UNDERSIGN_TEST_ONLY_IN_ENV).toBe("env-only");
    expect(env.UNDERSIGN_TEST_ONLY_IN_FILE).toBeUndefined();
  });
});
