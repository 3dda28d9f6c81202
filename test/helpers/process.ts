/**
 * Runs the real entry point (`node --import tsx src/main.ts`) as a child
 * process on a free loopback port with its own DATA_DIR, the way a site owner
 * runs it.  Call `killChildren` in afterEach and `removeTempDirs` in afterAll.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "..", "..");

/** Variables the app reads; cleared so a developer's shell cannot leak into a test. */
const APP_VARIABLES = [
  "PORT",
  "HOST",
  "ORIGIN",
  "DATA_DIR",
  "DECLARATIONS_DIR",
  "PAGES_DIR",
  "INSTANCE_NAME",
  "LOG_LEVEL",
  "TRUST_PROXY",
  "SIGNATURE_CONFIRMATION",
  "CONFIRMATION_EXPIRES",
  "DUPLICATE_WINDOW",
  "PROOF_OF_WORK",
  "PROOF_OF_WORK_DIFFICULTY",
  "RATE_LIMIT_PER_DECLARATION",
  "RATE_LIMIT_PER_CLIENT",
  "SMTP_URL",
  "MAIL_FROM",
  "PROCESS_QUEUE",
  "FEDERATION_ALLOW_PRIVATE_ADDRESS",
  "INBOX_LIMIT_PER_SERVER",
  "FEDIVERSE_SIGNERS_PER_SERVER",
  "WEB_CONCURRENCY",
  "WORKER_PROCESSES",
];

/**
 * HTTP processes of a spawned app unless the test says: one (the single
 * process), or UNDERSIGN_TEST_WEB_CONCURRENCY to run every such test against
 * the cluster.
 */
const TEST_WEB_CONCURRENCY = process.env.UNDERSIGN_TEST_WEB_CONCURRENCY || "1";

export interface RunningApp {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: () => { stdout: string; stderr: string };
  /** Resolves with the exit code (or null when killed by a signal). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children = new Set<ChildProcess>();
const tempDirs: string[] = [];

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `undersign-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Whatever happened in the test, no child outlives it. */
export async function killChildren(): Promise<void> {
  const left = [...children];
  for (const child of left) child.kill("SIGKILL");
  await Promise.all(
    left.map((child) =>
      child.exitCode != null || child.signalCode != null ? undefined : new Promise((r) => child.once("close", r)),
    ),
  );
}

export async function freePort(): Promise<number> {
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

export function childEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of APP_VARIABLES) delete env[name];
  return { ...env, WEB_CONCURRENCY: TEST_WEB_CONCURRENCY, ...vars };
}

/**
 * Spawns the entry point (the web server, or `src/worker.ts`); does not wait for it to listen.
 * `cwd` is the folder it starts in (the repository by default): relative paths in the
 * configuration are read from there.
 */
export function spawnApp(vars: Record<string, string>, entry = "src/main.ts", cwd = ROOT): Omit<RunningApp, "url"> {
  const child = spawn(process.execPath, ["--import", "tsx", entry], {
    cwd,
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

/**
 * Starts the app on a free loopback port and waits until `/healthz` answers 200
 * (at most `readyMs`: several processes start slower on a busy machine).
 */
export async function startApp(
  dataDir: string,
  vars: Record<string, string> = {},
  port?: number,
  cwd?: string,
  readyMs = 45_000,
): Promise<RunningApp> {
  port ??= await freePort();
  const app = spawnApp(
    {
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      // Started elsewhere, the app reads its folders from there (as in the image).
      ...(cwd == null ? { DECLARATIONS_DIR: join(ROOT, "declarations") } : {}),
      LOG_LEVEL: "info",
      ...vars,
    },
    "src/main.ts",
    cwd,
  );
  const url = `http://127.0.0.1:${port}`;
  let exitedEarly = false;
  void app.exited.then(() => (exitedEarly = true));
  const deadline = Date.now() + readyMs;
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
export async function stopApp(app: RunningApp) {
  app.child.kill("SIGTERM");
  return app.exited;
}
