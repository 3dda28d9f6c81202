/**
 * (Over 400 lines: every setting read, checked and explained in one place, so every problem is reported at once.)
 *
 * The one place that reads the process environment.  `loadConfig()` is pure:
 * it takes an environment record and returns a validated `Config`, or throws a
 * `ConfigError` that lists every problem at once (one line per variable).
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseEnv } from "node:util";
import { isLocale, LOCALES, type Locale } from "./i18n/locales.ts";
import { parseProxyList } from "./net-address.ts";
import { siteHandleFrom, siteHandleProblem } from "./slug.ts";

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
  /**
   * `DATABASE_URL`: a PostgreSQL database (`postgres://…`) instead of SQLite
   * in `dataDir`; null when unset.  The full site does not run on it yet:
   * `npm start` and `npm run worker` refuse to start when it is set.
   */
  readonly databaseUrl: string | null;
  /** Folder of the Markdown Declarations imported on start. Absolute. */
  readonly declarationsDir: string;
  /** Folder of the Markdown pages (`faq.md`, `resources.md`) imported on start. Absolute. */
  readonly pagesDir: string;
  /** Name shown in page titles, the header and NodeInfo. */
  readonly instanceName: string;
  /** The site account's handle (`@{siteHandle}@{host}`): SITE_HANDLE, else the site's name as a slug. */
  readonly siteHandle: string;
  /** The owner's introduction of the site: on the home page and in the site account's profile. Plain text. */
  readonly siteIntroduction: string;
  /** The interface language for visitors whose browser asks for none we speak (DEFAULT_LANGUAGE; docs/decisions/0034). */
  readonly defaultLanguage: Locale;
  readonly logLevel: LogLevel;
  /**
   * The reverse proxies (normalised CIDR ranges) whose X-Forwarded-For is
   * believed; empty: none, the socket's address is the client's.
   */
  readonly trustedProxies: readonly string[];
  /** Rate limits count an IPv6 client by this many leading bits of its address. */
  readonly ipv6PrefixLength: number;
  readonly signing: SigningConfig;
  readonly mail: MailConfig | null;
  readonly federation: FederationConfig;
  /** The strike bot; null while BOT_TOKEN_KEY is unset (the bot cannot store tokens). */
  readonly bot: BotConfig | null;
}

export interface BotConfig {
  /** AES-256-GCM key (32 bytes) that seals the strikers' Mastodon access tokens at rest. */
  readonly tokenKey: Buffer;
}

export interface FederationConfig {
  /**
   * Let the server fetch from and deliver to private and loopback addresses.
   * For development and tests on one machine only: on a public server it
   * would let anyone make it request internal services.
   */
  readonly allowPrivateAddress: boolean;
  /** Whether the web process also delivers queued activities (false when `npm run worker` does). */
  readonly processQueue: boolean;
  /**
   * What one remote server may post to our inboxes: a budget of `max` per
   * `windowMs` (refused posts cost more than accepted ones); null = no limit.
   */
  readonly inboxLimitPerServer: RateLimit | null;
  /** New fediverse signers per remote server beyond these are held for the site owner's review; empty = none held. */
  readonly signersPerServer: readonly RateLimit[];
}

/**
 * One rate limit: at most `max` events per `windowMs` (a sliding window), or,
 * with `burst`, a token bucket: `burst` events at once, then `max` more per
 * `windowMs`, refilled evenly (docs/decisions/0030).
 */
export interface RateLimit {
  readonly max: number;
  readonly windowMs: number;
  readonly burst?: number;
}

export interface SigningConfig {
  /** "email": a signature counts once the link mailed to the signer is followed. */
  readonly confirmation: "none" | "email";
  /** How long a confirmation link stays valid. */
  readonly confirmationTtlMs: number;
  readonly proofOfWork: { readonly enabled: boolean; readonly maxNumber: number };
  /** Limits per client and Declaration; empty = off. */
  readonly perDeclarationLimits: readonly RateLimit[];
  /** Limits per client across all Declarations; empty = off. */
  readonly perClientLimits: readonly RateLimit[];
  /** How long the same name from the same client counts as a duplicate. */
  readonly duplicateWindowMs: number;
}

export interface MailConfig {
  /** smtp:// or smtps:// URL with credentials, as nodemailer accepts it. */
  readonly smtpUrl: string;
  readonly from: string;
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
/** The site's introduction is a short text: a profile's bio, a paragraph on the home page. */
export const SITE_INTRODUCTION_MAX = 500;

function value(env: Env, name: string): string | undefined {
  const v = env[name];
  return v == null || v.trim() === "" ? undefined : v.trim();
}

/**
 * Validates the environment.  `cwd` anchors relative paths (DATA_DIR and
 * DECLARATIONS_DIR, PAGES_DIR) so that the function stays pure.
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
      problems.push(
        `ORIGIN: expected the site's public URL starting with http:// or https:// (e.g. https://declarations.example), got "${rawOrigin}"`,
      );
    } else if (
      parsed.pathname !== "/" ||
      parsed.search !== "" ||
      parsed.hash !== "" ||
      parsed.username !== "" ||
      parsed.password !== ""
    ) {
      problems.push(
        `ORIGIN: expected only scheme, host and optional port, without path, query or credentials (e.g. https://declarations.example), got "${rawOrigin}"`,
      );
    } else {
      origin = new URL(parsed.origin);
    }
  }

  const dataDir = resolve(cwd, value(env, "DATA_DIR") ?? "data");
  const databaseUrl = parseDatabaseUrl(env, problems);
  const declarationsDir = resolve(cwd, value(env, "DECLARATIONS_DIR") ?? "declarations");
  const pagesDir = resolve(cwd, value(env, "PAGES_DIR") ?? "pages");

  const instanceName = (value(env, "INSTANCE_NAME") ?? "undersign").normalize("NFC");
  if ([...instanceName].length > 100 || /[\p{Cc}]/u.test(instanceName)) {
    problems.push(
      `INSTANCE_NAME: expected at most 100 printable characters, got ${[...instanceName].length} characters`,
    );
  }

  const givenLanguage = value(env, "DEFAULT_LANGUAGE")?.trim().toLowerCase() ?? "en";
  const defaultLanguage: Locale = isLocale(givenLanguage) ? givenLanguage : "en";
  if (!isLocale(givenLanguage))
    problems.push(`DEFAULT_LANGUAGE: expected one of ${LOCALES.join(", ")}, got "${value(env, "DEFAULT_LANGUAGE")}"`);

  const givenHandle = value(env, "SITE_HANDLE")?.trim().toLowerCase();
  const siteHandle = givenHandle ?? siteHandleFrom(instanceName);
  const handleProblem = givenHandle == null ? null : siteHandleProblem(givenHandle);
  if (handleProblem != null) problems.push(`SITE_HANDLE: "${value(env, "SITE_HANDLE")}" ${handleProblem}`);
  // Given or not, the introduction is checked only as given: a default made from a bad INSTANCE_NAME is its problem.
  const givenIntroduction = value(env, "SITE_INTRODUCTION")?.normalize("NFC").trim();
  const siteIntroduction =
    givenIntroduction ??
    `${instanceName} hosts Declarations of Digital Independence and the Social Media Strike: read them, copy them, sign them, and strike with us.`;
  if (
    givenIntroduction != null &&
    ([...givenIntroduction].length > SITE_INTRODUCTION_MAX || /[\p{Cc}]/u.test(givenIntroduction))
  ) {
    problems.push(
      `SITE_INTRODUCTION: expected at most ${SITE_INTRODUCTION_MAX} printable characters, got ${[...siteIntroduction].length} characters`,
    );
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

  const trustedProxies = parseTrustProxy(env, problems);
  let ipv6PrefixLength = 64;
  const rawPrefix = value(env, "IPV6_PREFIX_LENGTH");
  if (rawPrefix != null) {
    if (/^\d{1,3}$/.test(rawPrefix) && Number(rawPrefix) >= 32 && Number(rawPrefix) <= 128)
      ipv6PrefixLength = Number(rawPrefix);
    else
      problems.push(
        `IPV6_PREFIX_LENGTH: expected a whole number from 32 to 128 (64 counts each /64 network as one client), got "${rawPrefix}"`,
      );
  }
  const allowPrivateAddress = parseBoolean(env, "FEDERATION_ALLOW_PRIVATE_ADDRESS", false, problems);
  const processQueue = parseBoolean(env, "PROCESS_QUEUE", true, problems);
  const inboxLimits = parseRateLimits(env, "INBOX_LIMIT_PER_SERVER", "600/1m", problems);
  if (inboxLimits.length > 1)
    problems.push(
      `INBOX_LIMIT_PER_SERVER: expected one limit such as 600/1m (or "off"), got "${value(env, "INBOX_LIMIT_PER_SERVER")}"`,
    );
  const signersPerServer = parseRateLimits(env, "FEDIVERSE_SIGNERS_PER_SERVER", "20/10m,200/1d", problems);

  const confirmationRaw = (value(env, "SIGNATURE_CONFIRMATION") ?? "none").toLowerCase();
  let confirmation: SigningConfig["confirmation"] = "none";
  if (confirmationRaw === "none" || confirmationRaw === "email") confirmation = confirmationRaw;
  else problems.push(`SIGNATURE_CONFIRMATION: expected none or email, got "${confirmationRaw}"`);

  const confirmationTtlMs = parseDuration(env, "CONFIRMATION_EXPIRES", "48h", problems, {
    min: 5 * 60_000,
    max: 30 * 86_400_000,
  });
  const duplicateWindowMs = parseDuration(env, "DUPLICATE_WINDOW", "1h", problems, { min: 0, max: 7 * 86_400_000 });
  const powEnabled = parseBoolean(env, "PROOF_OF_WORK", true, problems);
  let maxNumber = 100_000;
  const rawDifficulty = value(env, "PROOF_OF_WORK_DIFFICULTY");
  if (rawDifficulty != null) {
    if (/^\d+$/.test(rawDifficulty) && Number(rawDifficulty) >= 1_000 && Number(rawDifficulty) <= 10_000_000)
      maxNumber = Number(rawDifficulty);
    else
      problems.push(`PROOF_OF_WORK_DIFFICULTY: expected a whole number from 1000 to 10000000, got "${rawDifficulty}"`);
  }
  // Buckets: a room of people behind one address signs at once; a script is held to the refill rate (0030).
  const perDeclarationLimits = parseRateLimits(env, "RATE_LIMIT_PER_DECLARATION", "40+4/1m,500+500/1d", problems);
  const perClientLimits = parseRateLimits(env, "RATE_LIMIT_PER_CLIENT", "80+8/1m,1000+1000/1d", problems);

  let mail: MailConfig | null = null;
  const smtpUrl = value(env, "SMTP_URL");
  if (smtpUrl != null) {
    const parsed = URL.canParse(smtpUrl) ? new URL(smtpUrl) : null;
    if (parsed == null || (parsed.protocol !== "smtp:" && parsed.protocol !== "smtps:") || parsed.hostname === "") {
      problems.push("SMTP_URL: expected smtp://user:password@host:port or smtps://…, got a value that is not one");
    } else {
      const from = value(env, "MAIL_FROM") ?? `${instanceName} <noreply@${origin.hostname}>`;
      if (!/^[^\r\n<>]*<?[^\s@<>]+@[^\s@<>]+>?$/.test(from))
        problems.push(`MAIL_FROM: expected an address such as "Declarations <noreply@example.org>", got "${from}"`);
      mail = { smtpUrl, from };
    }
  } else if (value(env, "MAIL_FROM") != null) {
    problems.push("MAIL_FROM: is set but SMTP_URL is not; set SMTP_URL to send mail");
  }
  if (confirmation === "email" && mail == null && smtpUrl == null) {
    problems.push("SMTP_URL: required when SIGNATURE_CONFIRMATION=email (confirmation links are sent by mail)");
  }

  const bot = parseBotConfig(env, problems);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    host,
    origin,
    dataDir,
    databaseUrl,
    declarationsDir,
    pagesDir,
    instanceName,
    siteHandle,
    siteIntroduction,
    defaultLanguage,
    logLevel,
    trustedProxies,
    ipv6PrefixLength,
    mail,
    federation: { allowPrivateAddress, processQueue, inboxLimitPerServer: inboxLimits[0] ?? null, signersPerServer },
    bot,
    signing: {
      confirmation,
      confirmationTtlMs,
      proofOfWork: { enabled: powEnabled, maxNumber },
      perDeclarationLimits,
      perClientLimits,
      duplicateWindowMs,
    },
  };
}

/** What `npm start` and `npm run worker` say, and exit, when DATABASE_URL is set. */
export const POSTGRES_NOT_YET =
  "DATABASE_URL is set, but running the site on PostgreSQL is not available yet: this release keeps its data in SQLite only. " +
  "`npm run db:migrate` prepares a PostgreSQL database's tables; to run the site, unset DATABASE_URL (its data then lives in DATA_DIR).";

/**
 * DATABASE_URL: `postgres://user:password@host:port/database` (or
 * `postgresql://`; `?host=/run/postgresql` for a Unix socket).  The value is
 * never echoed in an error: it may hold a password.
 */
function parseDatabaseUrl(env: Env, problems: string[]): string | null {
  const raw = value(env, "DATABASE_URL");
  if (raw == null) return null;
  const parsed = URL.canParse(raw) ? new URL(raw) : null;
  const example = "postgres://user:password@host:5432/database";
  if (parsed == null) {
    problems.push(`DATABASE_URL: expected a PostgreSQL URL such as ${example}, got a value that is not a URL`);
    return null;
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    problems.push(
      `DATABASE_URL: only PostgreSQL is supported (${example}), got a ${parsed.protocol}// URL; leave DATABASE_URL unset to use SQLite in DATA_DIR`,
    );
    return null;
  }
  if (parsed.hostname === "" && !parsed.searchParams.has("host")) {
    problems.push(`DATABASE_URL: expected a host (${example}, or ?host=/run/postgresql for a Unix socket)`);
    return null;
  }
  if (parsed.pathname.length <= 1) {
    problems.push(`DATABASE_URL: expected the database's name after the host (${example})`);
    return null;
  }
  return raw;
}

const BOOLEANS: Record<string, boolean> = {
  true: true,
  on: true,
  yes: true,
  "1": true,
  false: false,
  off: false,
  no: false,
  "0": false,
};

function parseBoolean(env: Env, name: string, fallback: boolean, problems: string[]): boolean {
  const raw = value(env, name);
  if (raw == null) return fallback;
  const parsed = BOOLEANS[raw.toLowerCase()];
  if (parsed == null) problems.push(`${name}: expected true or false (also on/off, yes/no, 1/0), got "${raw}"`);
  return parsed ?? fallback;
}

/**
 * TRUST_PROXY: the addresses or ranges of the reverse proxies in front of the
 * site ("127.0.0.1", "10.0.0.0/8", "loopback"), or "false"/"off" for none.
 * The old "true" (believe any X-Forwarded-For) is refused with the new form:
 * on a server that can also be reached directly it let anyone choose their
 * address, and guessing which proxies were meant would hide that.
 */
function parseTrustProxy(env: Env, problems: string[]): string[] {
  const raw = value(env, "TRUST_PROXY");
  if (raw == null || BOOLEANS[raw.toLowerCase()] === false) return [];
  if (BOOLEANS[raw.toLowerCase()] === true) {
    problems.push(
      `TRUST_PROXY: "${raw}" is no longer accepted, because it believed any X-Forwarded-For header, even from clients that reach the server directly. List the addresses of your reverse proxies instead, e.g. TRUST_PROXY=loopback (a proxy on this machine: 127.0.0.0/8 and ::1) or TRUST_PROXY=127.0.0.1,10.0.0.0/8; or TRUST_PROXY=false without a proxy`,
    );
    return [];
  }
  const parsed = parseProxyList(raw);
  if (!parsed.ok) {
    problems.push(
      `TRUST_PROXY: expected "false" or a comma-separated list of proxy addresses or ranges (e.g. loopback or 127.0.0.1,10.0.0.0/8): ${parsed.problem}`,
    );
    return [];
  }
  return parsed.ranges;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "5m", "48h", "2d" → milliseconds, or null. */
export function durationToMs(text: string): number | null {
  const match = /^(\d{1,6})\s*([smhd])$/.exec(text.trim().toLowerCase());
  return match == null ? null : Number(match[1]) * UNITS[match[2]!]!;
}

function parseDuration(
  env: Env,
  name: string,
  fallback: string,
  problems: string[],
  bounds: { min: number; max: number },
): number {
  const raw = value(env, name) ?? fallback;
  const ms = durationToMs(raw);
  if (ms == null || ms < bounds.min || ms > bounds.max) {
    problems.push(
      `${name}: expected a duration such as 30m, 48h or 2d (between ${bounds.min / 60_000} minutes and ${bounds.max / 86_400_000} days), got "${raw}"`,
    );
    return durationToMs(fallback)!;
  }
  return ms;
}

/**
 * "1/1m,5/5m" → [{max 1, 60 s}, {max 5, 300 s}] (sliding windows);
 * "40+4/1m" → [{burst 40, max 4, 60 s}] (a bucket of 40, refilled 4 a minute); "off" → [].
 */
function parseRateLimits(env: Env, name: string, fallback: string, problems: string[]): RateLimit[] {
  const raw = value(env, name) ?? fallback;
  if (raw.toLowerCase() === "off") return [];
  const limits: RateLimit[] = [];
  for (const part of raw.split(",")) {
    const match = /^\s*(?:(\d{1,6})\s*\+\s*)?(\d{1,6})\s*\/\s*(\S+)\s*$/.exec(part);
    const windowMs = match == null ? null : durationToMs(match[3]!);
    const burst = match?.[1] == null ? undefined : Number(match[1]);
    if (
      match == null ||
      windowMs == null ||
      Number(match[2]) < 1 ||
      (burst != null && burst < 1) ||
      windowMs < 1000 ||
      windowMs > 86_400_000
    ) {
      problems.push(
        `${name}: expected "off" or limits such as 40+4/1m,500+500/1d (burst+count/duration: a bucket of "burst" signatures refilled "count" per duration) or 5/5m (count/duration, a sliding window), durations up to 1d; got "${raw}"`,
      );
      return [];
    }
    limits.push(burst == null ? { max: Number(match[2]), windowMs } : { burst, max: Number(match[2]), windowMs });
  }
  return limits;
}

/**
 * BOT_TOKEN_KEY: 32 bytes as 64 hexadecimal characters, or as base64 or
 * base64url (43 characters, or 44 with the padding "=").  The value is a secret,
 * so a problem line describes it without repeating it.
 */
function parseBotConfig(env: Env, problems: string[]): BotConfig | null {
  const raw = value(env, "BOT_TOKEN_KEY");
  if (raw == null) return null;
  let key: Buffer | null = null;
  if (/^[0-9a-fA-F]{64}$/.test(raw)) key = Buffer.from(raw, "hex");
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(raw)) key = Buffer.from(raw.replace(/-/g, "+").replace(/_/g, "/"), "base64");
  if (key == null || key.length !== 32) {
    problems.push(
      `BOT_TOKEN_KEY: expected 32 random bytes written as 64 hexadecimal characters or in base64; generate one with "openssl rand -hex 32" (got ${[...raw].length} characters that are not such a key)`,
    );
    return null;
  }
  return { tokenKey: key };
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
