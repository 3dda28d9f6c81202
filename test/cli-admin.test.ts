import { spawnSync } from "node:child_process";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { createTestApp } from "./helpers/app.ts";
import { createTestDb } from "./helpers/db.ts";
import { csrfFrom, postForm } from "./helpers/forms.ts";
import { childEnv, removeTempDirs, ROOT, tempDir } from "./helpers/process.ts";

afterAll(removeTempDirs);

function admin(dataDir: string, args: string[], input?: string) {
  return spawnSync(process.execPath, ["--import", "tsx", "src/cli/admin.ts", ...args], {
    cwd: ROOT,
    env: childEnv({ DATA_DIR: dataDir, DECLARATIONS_DIR: join(ROOT, "declarations") }),
    encoding: "utf8",
    ...(input != null ? { input } : { stdio: ["ignore", "pipe", "pipe"] }),
  });
}

/** Logs in through the app, on the database file the CLI wrote. */
async function logIn(dataDir: string, username: string, password: string) {
  const db = createTestDb(join(dataDir, "undersign.sqlite"));
  try {
    const t = await createTestApp({ db });
    const pair = await csrfFrom(t.app, "/login");
    const res = await postForm(t.app, "/login", { username, password }, { csrf: pair });
    const session = res.headers
      .getSetCookie()
      .find((c) => c.startsWith("__Host-session="))
      ?.split(";")[0];
    let account: string | null = null;
    if (session != null) account = await (await t.app.request("/account", { headers: { Cookie: session } })).text();
    await t.batcher.run(() => undefined);
    return { status: res.status, location: res.headers.get("location"), account };
  } finally {
    db.$client.close();
  }
}

// Each test starts several Node processes (about 5 s each on a busy machine).
describe("npm run admin", { timeout: 240_000 }, () => {
  it("create reads the password from stdin, makes an admin, and that admin can log in", async () => {
    const dataDir = tempDir("cli-admin");
    const result = admin(dataDir, ["create", "Owner"], "a long stdin password\nignored second line\n");
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('Created the admin account "owner".');
    expect(result.stdout).not.toContain("a long stdin password");

    const db = new Database(join(dataDir, "undersign.sqlite"), { readonly: true });
    expect(db.prepare("SELECT username, role, password_hash AS hash FROM accounts").all()).toEqual([
      {
        username: "owner",
        role: "admin",
        hash: expect.stringMatching(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/),
      },
    ]);
    db.close();

    const ok = await logIn(dataDir, "owner", "a long stdin password");
    expect(ok.status).toBe(303);
    expect(ok.location).toBe("/account");
    expect(ok.account).toContain("site owner (admin)");
    expect((await logIn(dataDir, "owner", "ignored second line")).status).toBe(400);
  });

  it("create generates and prints a one-time password when stdin has none", async () => {
    const dataDir = tempDir("cli-admin-generated");
    const result = admin(dataDir, ["create", "owner"]);
    expect(result.status, result.stderr).toBe(0);
    const password = /Its password \(shown only now\): ([A-Za-z0-9_-]{20})\n/.exec(result.stdout)?.[1];
    expect(password, result.stdout).toBeDefined();
    expect((await logIn(dataDir, "owner", password!)).status).toBe(303);
  });

  it("refuses an existing username (any case), a reserved one, and a short password, with exit code 1", () => {
    const dataDir = tempDir("cli-admin-dup");
    expect(admin(dataDir, ["create", "owner"], "first password!\n").status).toBe(0);
    const again = admin(dataDir, ["create", "OWNER"], "second password!\n");
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('There is already an account "owner"; nothing was changed.');
    const reserved = admin(dataDir, ["create", "admin"], "some password!\n");
    expect(reserved.status).toBe(1);
    expect(reserved.stderr).toContain("reserved");
    const short = admin(dataDir, ["create", "other"], "short\n");
    expect(short.status).toBe(1);
    expect(short.stderr).toContain("at least 10 characters");
    const db = new Database(join(dataDir, "undersign.sqlite"), { readonly: true });
    expect(db.prepare("SELECT username FROM accounts").all()).toEqual([{ username: "owner" }]);
    db.close();
  });

  it("registration sets the mode; a wrong mode or command prints the usage and exits 1", () => {
    const dataDir = tempDir("cli-admin-registration");
    const result = admin(dataDir, ["registration", "invite"]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe("Registration is now invite.\n");
    const db = new Database(join(dataDir, "undersign.sqlite"), { readonly: true });
    expect(db.prepare("SELECT value FROM settings WHERE key = 'registration'").get()).toEqual({ value: "invite" });
    db.close();
    for (const args of [["registration", "everyone"], ["frobnicate"], []]) {
      const bad = admin(dataDir, args);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toContain("Usage:");
    }
  });
});
