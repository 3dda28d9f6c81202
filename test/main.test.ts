/**
 * Process-level tests of the real entry point: `node --import tsx src/main.ts`
 * is spawned as a child process on a free loopback port with a fresh
 * DATA_DIR, the way a site owner runs it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { loadConfig, readEnvironment } from "../src/config.ts";

const ROOT = resolve(import.meta.dirname, "..");
const SLUG = "digital-independence";

/** Variables the app reads; cleared so a developer's shell cannot leak into a test. */
const APP_VARIABLES = ["PORT", "HOST", "ORIGIN", "DATA_DIR", "DECLARATIONS_DIR", "INSTANCE_NAME", "LOG_LEVEL"];

interface RunningApp {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: () => { stdout: string; stderr: string };
  /** Resolves with the exit code (or null when killed by a signal). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children = new Set<ChildProcess>();
const tempDirs: string[] = [];

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `undersign-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address == null || typeof address === "string") {
        server.close();
        reject(new Error("no port"));
        return;
      }
      server.close(() => resolvePort(address.port));
    });
  });
}

function childEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of APP_VARIABLES) delete env[name];
  return { ...env, ...vars };
}

/** Spawns the entry point; does not wait for it to listen. */
function spawnApp(vars: Record<string, string>): Omit<RunningApp, "url"> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    env: childEnv(vars),
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.on("close", (code, signal) => {
      children.delete(child);
      resolveExit({ code, signal });
    });
  });
  return { child, exited, output: () => ({ stdout, stderr }) };
}

/** Starts the app on a free loopback port and waits until `/healthz` answers 200. */
async function startApp(dataDir: string): Promise<RunningApp> {
  const port = await freePort();
  const app = spawnApp({
    PORT: String(port),
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    DECLARATIONS_DIR: join(ROOT, "declarations"),
    LOG_LEVEL: "info",
  });
  const url = `http://127.0.0.1:${port}`;
  let exitedEarly = false;
  void app.exited.then(() => (exitedEarly = true));
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline) {
    if (exitedEarly) {
      const { stdout, stderr } = app.output();
      throw new Error(`undersign exited before it answered /healthz\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
    }
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return { ...app, url };
      await res.body?.cancel();
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const { stdout, stderr } = app.output();
  throw new Error(`undersign did not answer /healthz in time\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
}

/** Sends SIGTERM and waits for the process to exit. */
async function stopApp(app: RunningApp) {
  app.child.kill("SIGTERM");
  return app.exited;
}

async function revisionOf(app: RunningApp, slug: string): Promise<number> {
  const res = await fetch(`${app.url}/api/declarations/${slug}`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { revision: number };
  return body.revision;
}

afterEach(async () => {
  // Whatever happened in the test, no child outlives it.
  const left = [...children];
  for (const child of left) child.kill("SIGKILL");
  await Promise.all(
    left.map((child) => (child.exitCode != null || child.signalCode != null ? undefined : new Promise((r) => child.once("close", r)))),
  );
});

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

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
      expect(lines.filter((line) => line.startsWith(`${name}:`)), `${name} in:\n${stderr}`).toHaveLength(1);
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
  const NAMES = ["UNDERSIGN_TEST_ONLY_IN_FILE", "UNDERSIGN_TEST_IN_BOTH", "UNDERSIGN_TEST_ONLY_IN_ENV", "PORT", "INSTANCE_NAME"];
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
