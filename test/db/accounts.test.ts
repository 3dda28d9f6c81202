import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  createAccount,
  createInvite,
  createSession,
  deleteSession,
  deleteSessionsOf,
  findAccountByUsername,
  findValidSession,
  getRegistrationMode,
  hashPassword,
  hashSecret,
  inviteIsUnused,
  needsRehash,
  passwordProblem,
  purgeExpiredSessions,
  redeemInvite,
  SESSION_TTL_MS,
  sessionNeedsTouch,
  setRegistrationMode,
  touchSession,
  usernameProblem,
  verifyDummyPassword,
  verifyPassword,
  type Account,
} from "../../src/db/accounts.ts";
import type { Db } from "../../src/db/client.ts";
import { invites, sessions } from "../../src/db/schema.ts";
import { createTestDb } from "../helpers/db.ts";

/** Cheap parameters for tests that only need some valid hash. */
const FAST = { N: 2 ** 10, r: 8, p: 1 };

async function addAccount(
  db: Db,
  username = "ada",
  password = "correct horse",
  role: "admin" | "author" = "author",
): Promise<Account> {
  const outcome = createAccount(db, { username, passwordHash: await hashPassword(password, FAST), role });
  if (outcome.kind !== "created") throw new Error(outcome.kind);
  return outcome.account;
}

describe("password hashing", () => {
  it("round-trips with the stored parameters N=2^15, r=8, p=1 and a 16-byte salt", async () => {
    const stored = await hashPassword("correct horse battery");
    const [scheme, N, r, p, salt, hash, ...rest] = stored.split("$");
    expect([scheme, N, r, p]).toEqual(["scrypt", "32768", "8", "1"]);
    expect(rest).toEqual([]);
    expect(Buffer.from(salt!, "base64url")).toHaveLength(16);
    expect(Buffer.from(hash!, "base64url")).toHaveLength(32);
    expect(await verifyPassword("correct horse battery", stored)).toBe(true);
    expect(needsRehash(stored)).toBe(false);
  });

  it("refuses a wrong password, and salts every hash", async () => {
    const a = await hashPassword("correct horse", FAST);
    const b = await hashPassword("correct horse", FAST);
    expect(a).not.toBe(b);
    expect(await verifyPassword("correct horsE", a)).toBe(false);
    expect(await verifyPassword("", a)).toBe(false);
    expect(await verifyPassword("correct horse", b)).toBe(true);
  });

  it("verifies with the parameters stored in the hash, and says when to hash again", async () => {
    const old = await hashPassword("correct horse", FAST);
    expect(old.startsWith("scrypt$1024$8$1$")).toBe(true);
    expect(await verifyPassword("correct horse", old)).toBe(true);
    expect(needsRehash(old)).toBe(true);
  });

  it("treats Unicode forms alike (NFC)", async () => {
    const stored = await hashPassword("Zoe\u0301 passphrase", FAST);
    expect(await verifyPassword("Zoé passphrase", stored)).toBe(true);
  });

  it("never matches a malformed or tampered hash", async () => {
    const stored = await hashPassword("correct horse", FAST);
    for (const bad of [
      "",
      "plain",
      stored.replace("scrypt$", "bcrypt$"),
      stored.replace("$1024$", "$1000$"),
      stored.replace("$1024$", "$4194304$"),
      `${stored}$x`,
    ]) {
      expect(await verifyPassword("correct horse", bad)).toBe(false);
    }
    expect(await verifyDummyPassword("correct horse")).toBe(false);
  });

  it("takes passwords of 10 to 200 characters", () => {
    expect(passwordProblem("")).toMatch(/choose a password/);
    expect(passwordProblem("123456789")).toMatch(/at least 10/);
    expect(passwordProblem("1234567890")).toBeNull();
    expect(passwordProblem("é".repeat(200))).toBeNull();
    expect(passwordProblem("x".repeat(201))).toMatch(/at most 200/);
  });
});

describe("usernames", () => {
  it("follows the rule: 3–30 of [a-z0-9_], not reserved", () => {
    expect(usernameProblem("ada_99")).toBeNull();
    expect(usernameProblem("ab")).toMatch(/3 to 30/);
    expect(usernameProblem("a".repeat(31))).toMatch(/3 to 30/);
    expect(usernameProblem("ada-l")).toMatch(/only letters/);
    expect(usernameProblem("adä")).toMatch(/only letters/);
    for (const reserved of ["admin", "api", "root", "undersign", "system"])
      expect(usernameProblem(reserved)).toMatch(/reserved/);
  });

  it("is stored lower-cased and found case-insensitively; a second Ada is refused", async () => {
    const db = createTestDb();
    const ada = await addAccount(db, "Ada");
    expect(ada.username).toBe("ada");
    expect(findAccountByUsername(db, "ADA")?.id).toBe(ada.id);
    expect(findAccountByUsername(db, " ada ")?.id).toBe(ada.id);
    expect(createAccount(db, { username: "aDa", passwordHash: "x", role: "author" })).toEqual({ kind: "taken" });
  });
});

describe("sessions", () => {
  it("are found by the token's hash until they expire, with their account", async () => {
    const db = createTestDb();
    const ada = await addAccount(db);
    const now = new Date("2030-01-01T00:00:00Z");
    const { token, expires } = createSession(db, ada.id, now);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(expires.getTime() - now.getTime()).toBe(SESSION_TTL_MS);
    // Only the hash is stored.
    expect(JSON.stringify(db.select().from(sessions).all())).not.toContain(token);
    expect(findValidSession(db, hashSecret(token), now)?.account).toEqual(ada);
    expect(findValidSession(db, token, now)).toBeUndefined();
    expect(findValidSession(db, hashSecret(token), new Date(expires.getTime() - 1))).toBeDefined();
    expect(findValidSession(db, hashSecret(token), expires)).toBeUndefined();
  });

  it("slide: a touch moves the expiry on, at most once an hour", async () => {
    const db = createTestDb();
    const ada = await addAccount(db);
    const t0 = new Date("2030-01-01T00:00:00Z");
    const { token } = createSession(db, ada.id, t0);
    const session = findValidSession(db, hashSecret(token), t0)!;
    expect(sessionNeedsTouch(session, new Date(t0.getTime() + 59 * 60_000))).toBe(false);
    const later = new Date(t0.getTime() + 20 * 86_400_000);
    expect(sessionNeedsTouch(session, later)).toBe(true);
    touchSession(db, session.id, later);
    const after = findValidSession(db, hashSecret(token), later)!;
    expect(after.expires.getTime()).toBe(later.getTime() + SESSION_TTL_MS);
    expect(after.lastSeen).toEqual(later);
    expect(findValidSession(db, hashSecret(token), new Date(t0.getTime() + 40 * 86_400_000))).toBeDefined();
  });

  it("are deleted one by one, all for an account, when the account goes, and when expired", async () => {
    const db = createTestDb();
    const ada = await addAccount(db, "ada");
    const bob = await addAccount(db, "bob");
    const now = new Date("2030-01-01T00:00:00Z");
    const a1 = createSession(db, ada.id, now);
    createSession(db, ada.id, now);
    const b1 = createSession(db, bob.id, new Date(now.getTime() - SESSION_TTL_MS));
    deleteSession(db, hashSecret(a1.token));
    expect(findValidSession(db, hashSecret(a1.token), now)).toBeUndefined();
    expect(deleteSessionsOf(db, ada.id)).toBe(1);
    expect(purgeExpiredSessions(db, now)).toBe(1);
    expect(findValidSession(db, hashSecret(b1.token), now)).toBeUndefined();
    createSession(db, bob.id, now);
    db.run(sql`DELETE FROM accounts WHERE id = ${bob.id}`);
    expect(db.select().from(sessions).all()).toEqual([]);
  });
});

describe("invites", () => {
  it("are stored as hashes and work once", async () => {
    const db = createTestDb();
    const admin = await addAccount(db, "owner", "correct horse", "admin");
    const code = createInvite(db, admin.id);
    expect(code).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(JSON.stringify(db.select().from(invites).all())).not.toContain(code);
    expect(inviteIsUnused(db, code)).toBe(true);

    const outcome = createAccount(db, {
      username: "invited",
      passwordHash: "x",
      role: "author",
      inviteCode: ` ${code} `,
    });
    expect(outcome.kind).toBe("created");
    expect(inviteIsUnused(db, code)).toBe(false);
    expect(db.select().from(invites).get()).toMatchObject({
      usedBy: outcome.kind === "created" ? outcome.account.id : -1,
    });
    expect(createAccount(db, { username: "second", passwordHash: "x", role: "author", inviteCode: code })).toEqual({
      kind: "invalid-invite",
    });
    expect(findAccountByUsername(db, "second")).toBeUndefined();
    expect(redeemInvite(db, code, admin.id)).toBe(false);
  });

  it("an unknown code creates nothing", () => {
    const db = createTestDb();
    expect(createAccount(db, { username: "nobody", passwordHash: "x", role: "author", inviteCode: "made-up" })).toEqual(
      { kind: "invalid-invite" },
    );
    expect(findAccountByUsername(db, "nobody")).toBeUndefined();
  });
});

describe("registration mode", () => {
  it("is closed until set", () => {
    const db = createTestDb();
    expect(getRegistrationMode(db)).toBe("closed");
    setRegistrationMode(db, "invite");
    expect(getRegistrationMode(db)).toBe("invite");
    setRegistrationMode(db, "open");
    expect(getRegistrationMode(db)).toBe("open");
  });
});
