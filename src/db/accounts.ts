/**
 * (Over 400 lines: accounts, sessions and invites are one family of tables, their queries side by side.)
 *
 * Accounts, their password hashes, login sessions, invite codes and the
 * registration mode.  Writes are plain synchronous functions: web routes call
 * them inside the group commit (`batcher.run(() => …)`), the CLI in its own
 * transaction.
 *
 * Passwords are hashed with Node's built-in scrypt (OpenSSL), asynchronously
 * so a hash (~50–100 ms) never blocks the event loop, and stored as
 * `scrypt$N$r$p$salt$hash` (base64url) so the parameters can change later:
 * `needsRehash` tells when a stored hash was made with other parameters.
 */
import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { promisify } from "node:util";
import { and, asc, eq, gt, isNull, lte, sql } from "drizzle-orm";
import type { DbLike } from "./client.ts";
import { preparedPerHandle } from "./prepared.ts";
import { accounts, invites, sessions, settings, type AccountRow } from "./schema.ts";

// ---------------------------------------------------------------------------
// Usernames and passwords

export const USERNAME_PATTERN = /^[a-z0-9_]{3,30}$/;

/** Names that would collide with our own URLs, impersonate the site, or confuse people. */
export const RESERVED_USERNAMES: ReadonlySet<string> = new Set([
  "admin",
  "administrator",
  "api",
  "root",
  "undersign",
  "system",
  "account",
  "accounts",
  "login",
  "logout",
  "register",
  "settings",
  "static",
  "support",
  "help",
  "security",
  "moderator",
  "mod",
  "staff",
  "webmaster",
  "postmaster",
  "hostmaster",
  "abuse",
  "noreply",
  "no_reply",
  "null",
  "undefined",
  "anonymous",
  "everyone",
  "nodeinfo",
  "inbox",
  "outbox",
  "healthz",
  "privacy",
  "well_known",
  "www",
]);

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 200;

/** How a typed username is stored and looked up: trimmed and lower-cased. */
export function normalizeUsername(typed: string): string {
  return typed.trim().toLowerCase();
}

/** Why `username` (already normalized) cannot be registered, or null. */
export function usernameProblem(username: string): string | null {
  if (username === "") return "Please choose a username.";
  if (username.length < 3 || username.length > 30)
    return `A username must be 3 to 30 characters long (this one has ${[...username].length}).`;
  if (!USERNAME_PATTERN.test(username)) return "A username may contain only letters a–z, digits and underscores.";
  if (RESERVED_USERNAMES.has(username)) return "This username is reserved; please choose another.";
  return null;
}

/** Why `password` cannot be used, or null.  Lengths count characters (code points). */
export function passwordProblem(password: string): string | null {
  const length = [...password].length;
  if (length === 0) return "Please choose a password.";
  if (length < PASSWORD_MIN)
    return `A password must be at least ${PASSWORD_MIN} characters long (this one has ${length}).`;
  if (length > PASSWORD_MAX) return `A password must be at most ${PASSWORD_MAX} characters long.`;
  return null;
}

export interface ScryptParameters {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** Current parameters: N=2^15, r=8, p=1 (32 MiB of memory per hash). */
export const SCRYPT: ScryptParameters = { N: 2 ** 15, r: 8, p: 1 };
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
/** The largest N a stored hash may ask for (keeps a tampered row from exhausting memory). */
const MAX_N = 2 ** 20;

const scrypt = promisify(scryptCallback) as (
  password: string | Buffer,
  salt: Buffer,
  keylen: number,
  options: ScryptOptions,
) => Promise<Buffer>;

function derive(password: string, salt: Buffer, params: ScryptParameters, keyLength: number): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; Node's default maxmem (32 MiB) is exactly that for N=2^15, r=8, so allow twice.
  const maxmem = 256 * params.N * params.r;
  return scrypt(password.normalize("NFC"), salt, keyLength, { N: params.N, r: params.r, p: params.p, maxmem });
}

/** Hashes a password with a fresh 16-byte salt: `scrypt$N$r$p$salt$hash`. */
export async function hashPassword(password: string, params: ScryptParameters = SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const hash = await derive(password, salt, params, KEY_LENGTH);
  return ["scrypt", params.N, params.r, params.p, salt.toString("base64url"), hash.toString("base64url")].join("$");
}

interface ParsedHash extends ScryptParameters {
  readonly salt: Buffer;
  readonly hash: Buffer;
}

function parseHash(stored: string): ParsedHash | null {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return null;
  const [N, r, p] = parts.slice(1, 4).map((s) => (/^\d{1,8}$/.test(s!) ? Number(s) : NaN)) as [number, number, number];
  if (!(N >= 2 && N <= MAX_N && (N & (N - 1)) === 0) || !(r >= 1 && r <= 32) || !(p >= 1 && p <= 16)) return null;
  const salt = Buffer.from(parts[4]!, "base64url");
  const hash = Buffer.from(parts[5]!, "base64url");
  if (salt.length < 8 || hash.length < 16 || hash.length > 64) return null;
  return { N, r, p, salt, hash };
}

/** True when `password` matches `stored`.  A malformed stored hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (parsed == null) return false;
  const actual = await derive(password, parsed.salt, parsed, parsed.hash.length);
  return timingSafeEqual(actual, parsed.hash);
}

/** True when `stored` was made with other parameters than today's (hash again after a successful login). */
export function needsRehash(stored: string, params: ScryptParameters = SCRYPT): boolean {
  const parsed = parseHash(stored);
  return (
    parsed == null ||
    parsed.N !== params.N ||
    parsed.r !== params.r ||
    parsed.p !== params.p ||
    parsed.hash.length !== KEY_LENGTH
  );
}

/**
 * A hash no password matches, with today's parameters: a login for an unknown
 * username is checked against it, so it costs the same time as a real one.
 */
const DUMMY_HASH = [
  "scrypt",
  SCRYPT.N,
  SCRYPT.r,
  SCRYPT.p,
  randomBytes(SALT_LENGTH).toString("base64url"),
  randomBytes(KEY_LENGTH).toString("base64url"),
].join("$");

/** Spends one scrypt and returns false: for logins with an unknown username. */
export async function verifyDummyPassword(password: string): Promise<false> {
  await verifyPassword(password, DUMMY_HASH);
  return false;
}

// ---------------------------------------------------------------------------
// Accounts

export type Role = AccountRow["role"];

/** An account as the rest of the site sees it: never the password hash. */
export interface Account {
  readonly id: number;
  readonly username: string;
  readonly role: Role;
  readonly created: Date;
}

const publicColumns = { id: accounts.id, username: accounts.username, role: accounts.role, created: accounts.created };

export function findAccountByUsername(db: DbLike, typed: string): AccountRow | undefined {
  return db
    .select()
    .from(accounts)
    .where(eq(accounts.username, normalizeUsername(typed)))
    .get();
}

export function getAccount(db: DbLike, id: number): Account | undefined {
  return db.select(publicColumns).from(accounts).where(eq(accounts.id, id)).get();
}

export function listAccounts(db: DbLike): Account[] {
  return db.select(publicColumns).from(accounts).orderBy(asc(accounts.id)).all();
}

export type CreateAccountOutcome =
  | { kind: "created"; account: Account }
  | { kind: "taken" }
  | { kind: "invalid-invite" };

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === "SQLITE_CONSTRAINT_UNIQUE";
}

/**
 * Creates an account (the username must already have passed `usernameProblem`)
 * and, when `inviteCode` is given, redeems that invite in the same write: if
 * the invite is unknown or used, nothing is written.  Run it inside a
 * transaction (the group commit is one) so the two stay together.
 */
export function createAccount(
  db: DbLike,
  input: { username: string; passwordHash: string; role: Role; inviteCode?: string | undefined },
  now: Date = new Date(),
): CreateAccountOutcome {
  const username = normalizeUsername(input.username);
  if (db.select({ id: accounts.id }).from(accounts).where(eq(accounts.username, username)).get() != null)
    return { kind: "taken" };
  let inviteId: number | null = null;
  if (input.inviteCode !== undefined) {
    const invite = db
      .select({ id: invites.id })
      .from(invites)
      .where(and(eq(invites.codeHash, hashSecret(input.inviteCode.trim())), isNull(invites.usedAt)))
      .get();
    if (invite == null) return { kind: "invalid-invite" };
    inviteId = invite.id;
  }
  let account: Account;
  try {
    account = db
      .insert(accounts)
      .values({ username, passwordHash: input.passwordHash, role: input.role, created: now })
      .returning(publicColumns)
      .get();
  } catch (error) {
    if (isUniqueViolation(error)) return { kind: "taken" };
    throw error;
  }
  // Cannot fail inside one transaction; if it does, throw so the account is rolled back with it.
  if (inviteId != null && !redeemInvite(db, input.inviteCode!, account.id, now))
    throw new Error("invite was redeemed concurrently");
  return { kind: "created", account };
}

export function setPasswordHash(db: DbLike, accountId: number, passwordHash: string): void {
  db.update(accounts).set({ passwordHash }).where(eq(accounts.id, accountId)).run();
}

// ---------------------------------------------------------------------------
// Sessions and invites: random tokens, stored as SHA-256 hashes

/** SHA-256 (hex) of a session token or invite code: what the database keeps. */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** A fresh 32-byte session token (base64url, 43 characters). */
export function newSessionToken(): string {
  return randomBytes(32).toString("base64url");
}

export const SESSION_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
export const SESSION_TTL_MS = 30 * 86_400_000;
/** A session's expiry moves on at most this often (each move is a write). */
export const SESSION_TOUCH_INTERVAL_MS = 3_600_000;

export interface ValidSession {
  readonly id: string;
  readonly expires: Date;
  readonly lastSeen: Date;
  readonly account: Account;
}

/** Creates a session for `accountId` and returns its token (the only copy). */
export function createSession(db: DbLike, accountId: number, now: Date = new Date()): { token: string; expires: Date } {
  const token = newSessionToken();
  const expires = new Date(now.getTime() + SESSION_TTL_MS);
  db.insert(sessions)
    .values({ id: hashSecret(token), accountId, created: now, expires, lastSeen: now })
    .run();
  return { token, expires };
}

const sessionStatements = preparedPerHandle((db) => ({
  valid: db
    .select({
      id: sessions.id,
      expires: sessions.expires,
      lastSeen: sessions.lastSeen,
      accountId: accounts.id,
      username: accounts.username,
      role: accounts.role,
      created: accounts.created,
    })
    .from(sessions)
    .innerJoin(accounts, eq(accounts.id, sessions.accountId))
    .where(and(eq(sessions.id, sql.placeholder("id")), gt(sessions.expires, sql.placeholder("now"))))
    .prepare(),
}));

/** The unexpired session with this id (the token's hash) and its account, or undefined. */
export function findValidSession(db: DbLike, id: string, now: Date = new Date()): ValidSession | undefined {
  const row = sessionStatements(db).valid.get({ id, now: now.getTime() });
  if (row == null) return undefined;
  return {
    id: row.id,
    expires: row.expires,
    lastSeen: row.lastSeen,
    account: { id: row.accountId, username: row.username, role: row.role, created: row.created },
  };
}

/** True when a session last seen at `lastSeen` should be touched now. */
export function sessionNeedsTouch(session: Pick<ValidSession, "lastSeen">, now: Date = new Date()): boolean {
  return now.getTime() - session.lastSeen.getTime() >= SESSION_TOUCH_INTERVAL_MS;
}

/** Marks a session as used now and moves its expiry 30 days on (sliding). Returns the new expiry. */
export function touchSession(db: DbLike, id: string, now: Date = new Date()): Date {
  const expires = new Date(now.getTime() + SESSION_TTL_MS);
  db.update(sessions)
    .set({ lastSeen: now, expires })
    .where(and(eq(sessions.id, id), gt(sessions.expires, now)))
    .run();
  return expires;
}

export function deleteSession(db: DbLike, id: string): void {
  db.delete(sessions).where(eq(sessions.id, id)).run();
}

export function deleteSessionsOf(db: DbLike, accountId: number): number {
  return db.delete(sessions).where(eq(sessions.accountId, accountId)).returning({ id: sessions.id }).all().length;
}

/** Deletes every expired session; returns how many. */
export function purgeExpiredSessions(db: DbLike, now: Date = new Date()): number {
  return db.delete(sessions).where(lte(sessions.expires, now)).returning({ id: sessions.id }).all().length;
}

/** Creates an invite code (16 random bytes, base64url) and returns it: it is stored only as a hash. */
export function createInvite(db: DbLike, createdBy: number, now: Date = new Date()): string {
  const code = randomBytes(16).toString("base64url");
  db.insert(invites)
    .values({ codeHash: hashSecret(code), createdBy, created: now })
    .run();
  return code;
}

/** True when an invite with this code exists and has not been used. */
export function inviteIsUnused(db: DbLike, code: string): boolean {
  return (
    db
      .select({ id: invites.id })
      .from(invites)
      .where(and(eq(invites.codeHash, hashSecret(code.trim())), isNull(invites.usedAt)))
      .get() != null
  );
}

/**
 * Marks the invite with this code as used by `accountId`, if it exists and is
 * unused: one conditional UPDATE, so two redemptions can never both succeed.
 */
export function redeemInvite(db: DbLike, code: string, accountId: number, now: Date = new Date()): boolean {
  return (
    db
      .update(invites)
      .set({ usedBy: accountId, usedAt: now })
      .where(and(eq(invites.codeHash, hashSecret(code.trim())), isNull(invites.usedAt)))
      .returning({ id: invites.id })
      .all().length === 1
  );
}

/** How many invites have not been used yet. */
export function countUnusedInvites(db: DbLike): number {
  return db.select({ n: sql<number>`count(*)` }).from(invites).where(isNull(invites.usedAt)).get()!.n;
}

// ---------------------------------------------------------------------------
// Registration mode (in the settings table)

export const REGISTRATION_MODES = ["open", "invite", "closed"] as const;
export type RegistrationMode = (typeof REGISTRATION_MODES)[number];

export function isRegistrationMode(value: string): value is RegistrationMode {
  return (REGISTRATION_MODES as readonly string[]).includes(value);
}

/** `closed` until the site owner opens it. */
export function getRegistrationMode(db: DbLike): RegistrationMode {
  const row = db.select({ value: settings.value }).from(settings).where(eq(settings.key, "registration")).get();
  return row != null && isRegistrationMode(row.value) ? row.value : "closed";
}

export function setRegistrationMode(db: DbLike, mode: RegistrationMode): void {
  db.insert(settings)
    .values({ key: "registration", value: mode })
    .onConflictDoUpdate({ target: settings.key, set: { value: mode } })
    .run();
}
