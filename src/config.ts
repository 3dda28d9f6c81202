/**
 * The one place that reads the process environment.  `loadConfig()` is pure:
 * it takes an environment record and returns a validated `Config`, or throws a
 * `ConfigError` that lists every problem at once (one line per variable).
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseEnv } from "node:util";

export const LOG_LEVELS = ["trace", "debug", "info", "warning", "error", "fatal"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  /** TCP port the web server listens on. */
  readonly port: number;
  /** Interface the web server binds to. */
  readonly host: string;
  /** Public origin of the site (scheme, host and port; no path). */
  readonly origin: URL;
  /** Folder that holds the SQLite database and other state. Absolute. */
  readonly dataDir: string;
  /** Folder of the Markdown Declarations imported on start. Absolute. */
  readonly declarationsDir: string;
  /** Name shown in page titles, the header and NodeInfo. */
  readonly instanceName: string;
  readonly logLevel: LogLevel;
}

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Treats unset and blank (whitespace-only) variables alike. */
function value(env: Env, name: string): string | undefined {
  const v = env[name];
  return v == null || v.trim() === "" ? undefined : v.trim();
}

/**
 * Validates the environment.  `cwd` anchors relative paths (DATA_DIR and
 * DECLARATIONS_DIR) so that the function stays pure.
 */
export function loadConfig(env: Env, cwd: string = process.cwd()): Config {
  const problems: string[] = [];

  let port = 8000;
  const rawPort = value(env, "PORT");
  if (rawPort != null) {
    if (/^\d{1,5}$/.test(rawPort) && Number(rawPort) >= 1 && Number(rawPort) <= 65535) {
      port = Number(rawPort);
    } else {
      problems.push(`PORT: expected a whole number from 1 to 65535, got "${rawPort}"`);
    }
  }

  const host = value(env, "HOST") ?? "127.0.0.1";
  if (!/^[A-Za-z0-9.:\-[\]]+$/.test(host)) {
    problems.push(`HOST: expected a host name or IP address to listen on (e.g. 127.0.0.1 or 0.0.0.0), got "${host}"`);
  }

  let origin = new URL(`http://localhost:${port}`);
  const rawOrigin = value(env, "ORIGIN");
  if (rawOrigin != null) {
    const parsed = URL.canParse(rawOrigin) ? new URL(rawOrigin) : null;
    if (parsed == null || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
      problems.push(`ORIGIN: expected the site's public URL starting with http:// or https:// (e.g. https://declarations.example), got "${rawOrigin}"`);
    } else if (parsed.pathname !== "/" || parsed.search !== "" || parsed.hash !== "" || parsed.username !== "" || parsed.password !== "") {
      problems.push(`ORIGIN: expected only scheme, host and optional port, without path, query or credentials (e.g. https://declarations.example), got "${rawOrigin}"`);
    } else {
      origin = new URL(parsed.origin);
    }
  }

  const dataDir = resolve(cwd, value(env, "DATA_DIR") ?? "data");
  const declarationsDir = resolve(cwd, value(env, "DECLARATIONS_DIR") ?? "declarations");

  const instanceName = (value(env, "INSTANCE_NAME") ?? "undersign").normalize("NFC");
  if ([...instanceName].length > 100 || /[\p{Cc}]/u.test(instanceName)) {
    problems.push(`INSTANCE_NAME: expected at most 100 printable characters, got ${[...instanceName].length} characters`);
  }

  let logLevel: LogLevel = "info";
  const rawLevel = value(env, "LOG_LEVEL");
  if (rawLevel != null) {
    const lower = rawLevel.toLowerCase();
    const level = lower === "warn" ? "warning" : lower;
    if ((LOG_LEVELS as readonly string[]).includes(level)) {
      logLevel = level as LogLevel;
    } else {
      problems.push(`LOG_LEVEL: expected one of ${LOG_LEVELS.join(", ")}, got "${rawLevel}"`);
    }
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return { port, host, origin, dataDir, declarationsDir, instanceName, logLevel };
}

/**
 * Reads `.env` (when present) under the process environment: a variable set in
 * the environment wins over the same variable in the file.
 */
export function readEnvironment(cwd: string = process.cwd()): Record<string, string | undefined> {
  const file = resolve(cwd, ".env");
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, "utf8")) : {};
  return { ...fromFile, ...process.env };
}
