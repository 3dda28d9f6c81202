/**
 * `npm start` with several processes (src/processes/; decision 0022), run as
 * a site owner runs it: the HTTP processes share one port, the worker
 * process delivers, every log line names its process, SIGTERM stops every
 * process, a killed process is forked again, and what is exactly-once in one
 * process stays so across several (one signature per email address, one
 * notice per slot, every acknowledged signature kept once through kill -9 of
 * an HTTP process).
 */
import { readFileSync } from "node:fs";
import { get } from "node:http";
import { createServer } from "node:net";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { writeStrikeSettingsValue } from "../../src/db/strike.ts";
import { openSiteDatabase } from "../../src/setup.ts";
import { dueSlot } from "../../src/strike/schedule.ts";
import { defaultStrikeSettings, type StrikeSettings } from "../../src/strike/settings.ts";
import { freePort, killChildren, removeTempDirs, spawnApp, startApp, tempDir } from "../helpers/process.ts";
import { log, processesIn, ready, READY_MS, until } from "../helpers/cluster.ts";

const SLUG = "digital-independence";

const LOAD = {
  PROOF_OF_WORK: "off",
  RATE_LIMIT_PER_DECLARATION: "off",
  RATE_LIMIT_PER_CLIENT: "off",
  DUPLICATE_WINDOW: "0s",
  SIGNATURE_CONFIRMATION: "none",
};

afterEach(killChildren);
afterAll(removeTempDirs);

/** GET on a connection of its own (a kept-alive one may belong to a killed process). */
function statusOnNewConnection(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on("error", reject);
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

describe("npm start with several processes", () => {
  it("serves one port from WEB_CONCURRENCY processes, names the process in every log line, prepares the database once, and stops every process on SIGTERM", async () => {
    const app = await startApp(tempDir("cluster"), { WEB_CONCURRENCY: "3" }, undefined, undefined, READY_MS);
    const pids = await ready(app, 3);
    expect([...pids.keys()].sort()).toEqual(["web.1", "web.2", "web.3", "worker.1"]);
    for (const pid of pids.values()) expect(parentOf(pid)).toBe(app.child.pid);
    expect(new Set(pids.values()).size).toBe(4);

    const text = log(app);
    // Every line of the app's log names its process.
    const lines = text.split("\n").filter((l) => / \[(INF|WRN|ERR|DBG|FTL)\] /.test(l));
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) expect(line).toMatch(/ \[[A-Z]{3}\] (primary|web\.\d+|worker\.\d+)\[\d+\] /);
    // Migrations and the shipped imports ran once, in the primary, before the others started.
    const imports = lines.filter((l) => l.includes(`as /d/${SLUG}`));
    expect(imports).toHaveLength(1);
    expect(imports[0]).toContain(` primary[${app.child.pid}] `);
    expect(lines.filter((l) => l.includes("Database") && l.includes("is ready"))).toHaveLength(1);

    const answers = await Promise.all(
      Array.from({ length: 30 }, () => fetch(`${app.url}/d/${SLUG}`).then((r) => r.status)),
    );
    expect(answers.every((s) => s === 200)).toBe(true);

    app.child.kill("SIGTERM");
    const exit = await app.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    for (const pid of pids.values()) expect(alive(pid)).toBe(false);
    expect(log(app)).toContain("Every process stopped");
    for (const name of pids.keys())
      expect(log(app)).toMatch(new RegExp(`${name.replace(".", "\\.")}\\[\\d+\\] undersign: Received SIGTERM`));
  }, 300_000);

  it("forks a killed worker process and a killed HTTP process again; the site keeps answering", async () => {
    const app = await startApp(tempDir("cluster-kill"), { WEB_CONCURRENCY: "2" }, undefined, undefined, READY_MS);
    const before = await ready(app, 2);

    process.kill(before.get("worker.1")!, "SIGKILL");
    process.kill(before.get("web.1")!, "SIGKILL");
    // Once the primary knows web.1 is gone, web.2 serves every new connection while web.1 is away.
    await until("the primary to see web.1 die", app, () => /web\.1 \(pid \d+\) exited \(SIGKILL\)/.test(log(app)));
    for (let i = 0; i < 10; i++) expect(await statusOnNewConnection(`${app.url}/healthz`)).toBe(200);
    const after = await until("both to be forked again", app, () => {
      const now = processesIn(log(app));
      return now.get("worker.1") !== before.get("worker.1") && now.get("web.1") !== before.get("web.1") ? now : null;
    });
    await ready(app, 2);
    expect(log(app)).toMatch(/worker\.1 \(pid \d+\) exited \(SIGKILL\); starting it again/);
    expect(log(app)).toMatch(/web\.1 \(pid \d+\) exited \(SIGKILL\); starting it again/);
    expect(alive(after.get("worker.1")!)).toBe(true);
    expect(parentOf(after.get("web.1")!)).toBe(app.child.pid);
    expect(after.get("web.2")).toBe(before.get("web.2"));
    app.child.kill("SIGTERM");
    expect((await app.exited).code).toBe(0);
  }, 300_000);

  it("stops with code 1 when the port is taken, as the single process does", async () => {
    const taken = createServer();
    const port = await freePort();
    await new Promise<void>((r) => taken.listen(port, "127.0.0.1", r));
    try {
      const app = spawnApp({
        PORT: String(port),
        HOST: "127.0.0.1",
        DATA_DIR: tempDir("cluster-port"),
        WEB_CONCURRENCY: "2",
      });
      const exit = await app.exited;
      expect(exit.code).toBe(1);
      expect(app.output().stdout + app.output().stderr).toContain("Cannot listen on 127.0.0.1");
    } finally {
      taken.close();
    }
  }, 90_000);

  it("refuses a WEB_CONCURRENCY or WORKER_PROCESSES that is not a whole number of processes, naming it", async () => {
    for (const [name, value] of [
      ["WEB_CONCURRENCY", "0"],
      ["WEB_CONCURRENCY", "two"],
      ["WORKER_PROCESSES", "1.5"],
    ]) {
      const app = spawnApp({ HOST: "127.0.0.1", DATA_DIR: tempDir("cluster-bad"), [name!]: value! });
      const exit = await app.exited;
      expect(exit.code).toBe(1);
      expect(app.output().stderr).toContain(
        `${name}: expected a whole number of processes from 1 to 256, got "${value}"`,
      );
    }
  }, 60_000);
});

describe("exactly once across processes", () => {
  it("one signature per email address when many processes take it at once", async () => {
    const dataDir = tempDir("cluster-email");
    const app = await startApp(dataDir, { WEB_CONCURRENCY: "3", ...LOAD }, undefined, undefined, READY_MS);
    await ready(app, 3);
    const sign = () =>
      fetch(`${app.url}/api/declarations/${SLUG}/signatures`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "Ada Lovelace", email: "ada@example.org", public: true }),
      }).then(async (r) => ({ status: r.status, body: await r.text() }));
    const answers = await Promise.all(Array.from({ length: 40 }, sign));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409).every((a) => a.body.includes("already_signed"))).toBe(true);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(39);
    app.child.kill("SIGTERM");
    await app.exited;
    const db = new Database(join(dataDir, "undersign.sqlite"), { readonly: true });
    expect(db.prepare("SELECT count(*) AS n FROM signatures").get()).toEqual({ n: 1 });
    db.close();
  }, 300_000);

  it("keeps every acknowledged signature once, and the counter equal to a recount, through kill -9 of an HTTP process", async () => {
    const dataDir = tempDir("cluster-durable");
    const app = await startApp(dataDir, { WEB_CONCURRENCY: "2", ...LOAD }, undefined, undefined, READY_MS);
    const pids = await ready(app, 2);
    const acknowledged = new Set<string>();
    let sent = 0;
    let stop = false;
    const signer = async (n: number) => {
      while (!stop) {
        const name = `Signer ${n}-${sent++}`;
        try {
          const res = await fetch(`${app.url}/api/declarations/${SLUG}/signatures`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ name, public: true }),
          });
          if (res.status === 201) acknowledged.add(name);
          await res.body?.cancel();
        } catch {
          // Its process died mid-request: not acknowledged.
        }
      }
    };
    const signers = Array.from({ length: 12 }, (_, i) => signer(i));
    await until("signatures to flow", app, () => acknowledged.size >= 150);
    process.kill(pids.get("web.1")!, "SIGKILL");
    const atKill = acknowledged.size;
    await until("more signatures after the kill", app, () => acknowledged.size >= atKill + 150);
    stop = true;
    await Promise.all(signers);
    const count = ((await (await fetch(`${app.url}/api/declarations/${SLUG}`)).json()) as { signatureCount: number })
      .signatureCount;
    app.child.kill("SIGTERM");
    expect((await app.exited).code).toBe(0);

    const db = new Database(join(dataDir, "undersign.sqlite"), { readonly: true });
    const rows = db.prepare("SELECT name, count(*) AS n FROM signatures GROUP BY name").all() as {
      name: string;
      n: number;
    }[];
    const total = (db.prepare("SELECT count(*) AS n FROM signatures").get() as { n: number }).n;
    db.close();
    const stored = new Map(rows.map((r) => [r.name, r.n]));
    for (const name of acknowledged) expect(stored.get(name)).toBe(1);
    expect([...stored.values()].every((n) => n === 1)).toBe(true);
    expect(count).toBe(total);
  }, 300_000);

  it("posts one notice per slot when several worker processes race for it", async () => {
    const dataDir = tempDir("cluster-notices");
    const settings = strikeDueForSixMinutes();
    const db = openSiteDatabase({ dataDir });
    writeStrikeSettingsValue(db, settings);
    db.$client.close();

    const app = await startApp(
      dataDir,
      { WEB_CONCURRENCY: "2", WORKER_PROCESSES: "3" },
      undefined,
      undefined,
      READY_MS,
    );
    await ready(app, 2, 3);
    const check = new Database(join(dataDir, "undersign.sqlite"), { readonly: true });
    try {
      const notices = () =>
        check.prepare("SELECT key, count(*) AS n FROM fed_posts WHERE kind = 'notice' GROUP BY key").all() as {
          key: string;
          n: number;
        }[];
      await until("the slot's notice", app, () => notices().length > 0);
      // Each worker's first pass and the pokes had their chance to post it again.
      await new Promise((r) => setTimeout(r, 2000));
      const slot = dueSlot(settings, new Date())!;
      expect(notices()).toEqual([{ key: `notice:${slot.start.toISOString()}`, n: 1 }]);
      expect(
        check
          .prepare(
            "SELECT count(*) AS n FROM fed_activities a JOIN fed_posts p ON p.id = a.post_id WHERE p.kind = 'notice'",
          )
          .get(),
      ).toEqual({ n: 1 });
    } finally {
      check.close();
    }
    app.child.kill("SIGTERM");
    expect((await app.exited).code).toBe(0);
  }, 300_000);
});

/**
 * Strike settings whose current slot stays due for the next six minutes
 * (the test's start-up included): a cadence and time zone chosen for now.
 */
function strikeDueForSixMinutes(): StrikeSettings {
  const now = new Date();
  const zones = ["UTC", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns", "Australia/Eucla", "Pacific/Chatham"];
  const days = [-1, 0, 1].map((d) => new Date(now.getTime() + d * 86_400_000).toISOString().slice(0, 10));
  for (let cadence = 15; cadence <= 240; cadence++) {
    for (const timeZone of zones) {
      const settings: StrikeSettings = {
        ...defaultStrikeSettings(now),
        timeZone,
        days,
        cadenceMinutes: cadence,
        declarations: [SLUG],
        templates: [{ text: "On strike: {declaration_url} {hashtags}", mediaIds: [] }],
      };
      const first = dueSlot(settings, now);
      const last = dueSlot(settings, new Date(now.getTime() + 6 * 60_000));
      if (first != null && last != null && first.start.getTime() === last.start.getTime()) return settings;
    }
  }
  throw new Error("no cadence and time zone keeps a slot due for six minutes from now");
}
