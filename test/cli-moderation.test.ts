/**
 * `npm run admin -- list|reports|unpublish|hide|show|publish|delete`: the
 * site owner's moderation from the command line, on a real database file,
 * with the same rules as the web (a reason required where the author is
 * shown one) and nothing changed on a refusal.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createAccount, createSession, findAccountByUsername } from "../src/db/accounts.ts";
import { getDeclarationBySlug } from "../src/db/declarations.ts";
import { addVisitorReport } from "../src/db/moderation.ts";
import { publishCopy } from "../src/services/copy-publication.ts";
import { addDeclaration, createTestApp } from "./helpers/app.ts";
import { createTestDb } from "./helpers/db.ts";
import { getAs } from "./helpers/accounts.ts";
import { pageText } from "./helpers/forms.ts";
import { childEnv, removeTempDirs, ROOT, tempDir } from "./helpers/process.ts";

afterAll(removeTempDirs);

function admin(dataDir: string, args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", "src/cli/admin.ts", ...args], {
    cwd: ROOT,
    env: childEnv({ DATA_DIR: dataDir, DECLARATIONS_DIR: join(ROOT, "declarations") }),
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** A site with the shipped Declaration, one of its own and alice's copy of it, with one open report. */
function site(): string {
  const dataDir = tempDir("cli-moderation");
  const db = createTestDb(join(dataDir, "undersign.sqlite"));
  const source = addDeclaration(db, { slug: "rights", title: "Rights" });
  createAccount(db, { username: "alice", passwordHash: "unused", role: "author" });
  const alice = findAccountByUsername(db, "alice")!;
  const outcome = db.transaction((tx) =>
    publishCopy(tx, {
      source,
      sourceRevision: { number: 1, title: "Rights" },
      sourceUrl: "https://undersign.test/d/rights/v/1",
      ownerId: alice.id,
      slug: "my-rights",
      title: "My Rights",
      summary: "",
      body: "## First\n\nWe declare that tests are great.\n",
      notes: {},
      wordsChanged: 2,
    }),
  );
  if (outcome.kind !== "created") throw new Error(outcome.kind);
  db.transaction((tx) => addVisitorReport(tx, outcome.declaration.id, "Looks like spam to me.", new Date()));
  db.$client.close();
  return dataDir;
}

function withDb<T>(dataDir: string, run: (db: ReturnType<typeof createTestDb>) => T): T {
  const db = createTestDb(join(dataDir, "undersign.sqlite"));
  try {
    return run(db);
  } finally {
    db.$client.close();
  }
}

// Each test starts several Node processes: on a busy machine that takes a while.
describe("npm run admin: moderation", { timeout: 240_000 }, () => {
  it("list shows every Declaration with what it is and its state; reports shows the queue", () => {
    const dataDir = site();
    const list = admin(dataDir, ["list"]);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toContain("rights\tRights\tthis site's own\tpublished, 0 signatures");
    expect(list.stdout).toContain(
      'my-rights\tMy Rights\tcopy of "Rights" by alice, 2 words differ\tpublished, 0 signatures, 1 open reports',
    );
    const reports = admin(dataDir, ["reports"]);
    expect(reports.status, reports.stderr).toBe(0);
    expect(reports.stdout).toMatch(/^visitor 1\t\S+\tmy-rights\tvisitor\tLooks like spam to me\.$/m);
  });

  it("refuses without a reason, an unknown slug and bad arguments, changing nothing", () => {
    const dataDir = site();
    for (const args of [
      ["unpublish", "my-rights"],
      ["hide", "my-rights", "--reason", "   "],
      ["delete", "my-rights"],
      ["unpublish", "nothing-here", "--reason", "Spam"],
      ["hide", "--reason", "Spam"],
      ["hide", "my-rights", "--reason"],
      ["hide", "my-rights", "extra", "--reason", "x"],
    ]) {
      const result = admin(dataDir, args);
      expect(result.status, args.join(" ")).toBe(1);
      expect(result.stderr.length, args.join(" ")).toBeGreaterThan(0);
    }
    expect(admin(dataDir, ["unpublish", "my-rights"]).stderr).toContain(
      "Please give a reason: the author is shown it.",
    );
    withDb(dataDir, (db) => {
      const d = getDeclarationBySlug(db, "my-rights")!;
      expect([d.status, d.hidden]).toEqual(["published", false]);
      expect(db.$client.prepare("SELECT count(*) AS n FROM moderation_actions").get()).toEqual({ n: 0 });
    });
  });

  it("hide, unpublish, publish, show and delete act with the reason the author is then shown", async () => {
    const dataDir = site();
    const hide = admin(dataDir, ["hide", "my-rights", "--reason", "Not the original"]);
    expect(hide.status, hide.stderr).toBe(0);
    expect(hide.stdout).toBe('"my-rights" is hidden from the list.\n');
    const unpublish = admin(dataDir, ["unpublish", "my-rights", "--reason=Misleading"]);
    expect(unpublish.status, unpublish.stderr).toBe(0);
    expect(admin(dataDir, ["unpublish", "my-rights", "--reason", "Again"]).stdout).toContain("Nothing to do");
    withDb(dataDir, (db) => {
      const d = getDeclarationBySlug(db, "my-rights")!;
      expect([d.status, d.hidden]).toEqual(["withdrawn", true]);
      expect(db.$client.prepare("SELECT resolution FROM visitor_reports").get()).toEqual({ resolution: "hidden" });
      expect(db.$client.prepare("SELECT action, reason, by_id FROM moderation_actions ORDER BY id").all()).toEqual([
        { action: "hide", reason: "Not the original", by_id: null },
        { action: "unpublish", reason: "Misleading", by_id: null },
      ]);
    });
    // What the author sees, through the web app on the same file.
    await withDbAsync(dataDir, async (t) => {
      const { token } = createSession(t.db, findAccountByUsername(t.db, "alice")!.id);
      const account = pageText(
        await (await getAs(t, "/account", { cookie: `__Host-session=${token}`, csrf: "" })).text(),
      );
      expect(account).toContain("Unpublished by the site’s owner: “Misleading”.");
      expect(account).toContain("Left off the list on the home page by the site’s owner: “Not the original”.");
    });
    expect(admin(dataDir, ["publish", "my-rights"]).status).toBe(0);
    expect(admin(dataDir, ["show", "my-rights"]).status).toBe(0);
    withDb(dataDir, (db) => {
      const d = getDeclarationBySlug(db, "my-rights")!;
      expect([d.status, d.hidden]).toEqual(["published", false]);
    });
    const del = admin(dataDir, ["delete", "my-rights", "--reason", "Spam"]);
    expect(del.status, del.stderr).toBe(0);
    withDb(dataDir, (db) => {
      expect(getDeclarationBySlug(db, "my-rights")).toBeUndefined();
      expect(getDeclarationBySlug(db, "rights")).toBeDefined();
      expect(
        db.$client.prepare("SELECT slug, title, action, reason FROM moderation_actions WHERE action = 'delete'").all(),
      ).toEqual([{ slug: "my-rights", title: "My Rights", action: "delete", reason: "Spam" }]);
    });
  });
});

async function withDbAsync(dataDir: string, run: (t: Awaited<ReturnType<typeof createTestApp>>) => Promise<void>) {
  const db = createTestDb(join(dataDir, "undersign.sqlite"));
  try {
    const t = await createTestApp({ db });
    await run(t);
    await t.batcher.run(() => undefined);
  } finally {
    db.$client.close();
  }
}
