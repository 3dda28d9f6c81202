/**
 * A signature acknowledged to the client survives kill -9 of the server at
 * any moment: sign in a loop from this (second) process, SIGKILL the server
 * mid-load, restart it on the same data, and check every acknowledged
 * signature is there exactly once and every counter equals a recount.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { killChildren, removeTempDirs, ROOT, startApp, tempDir, childEnv } from "./helpers/process.ts";

const SLUG = "digital-independence";
const LOAD = {
  PROOF_OF_WORK: "off",
  RATE_LIMIT_PER_DECLARATION: "off",
  RATE_LIMIT_PER_CLIENT: "off",
  DUPLICATE_WINDOW: "0s",
  LOG_LEVEL: "warning",
};

afterEach(killChildren);
afterAll(removeTempDirs);

describe("durability", () => {
  it("keeps every acknowledged signature through kill -9, counted once", async () => {
    const dataDir = tempDir("durability");
    const app = await startApp(dataDir, LOAD);
    const acknowledged = new Set<string>();
    let sent = 0;
    let stop = false;

    async function signer(worker: number) {
      while (!stop) {
        const name = `Signer ${worker}-${sent++}`;
        try {
          const res = await fetch(`${app.url}/api/declarations/${SLUG}/signatures`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ name, public: true }),
          });
          if (res.status === 201) acknowledged.add(name);
          await res.body?.cancel();
        } catch {
          // The server died mid-request: this one was not acknowledged.
          return;
        }
      }
    }

    const workers = Array.from({ length: 16 }, (_, i) => signer(i));
    // Kill at an arbitrary moment once signatures are flowing.
    const started = Date.now();
    while (acknowledged.size < 300 && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 5));
    app.child.kill("SIGKILL");
    stop = true;
    await Promise.all(workers);
    const killed = await app.exited;
    expect(killed.signal).toBe("SIGKILL");
    expect(acknowledged.size).toBeGreaterThanOrEqual(300);

    // Restart on the same data: migrations and import run again.
    const again = await startApp(dataDir, LOAD);
    const count = ((await (await fetch(`${again.url}/api/declarations/${SLUG}`)).json()) as { signatureCount: number })
      .signatureCount;

    const db = new Database(join(dataDir, "undersign.sqlite"), { readonly: true });
    const rows = db
      .prepare("SELECT name, count(*) AS n FROM signatures WHERE status = 'confirmed' GROUP BY name")
      .all() as { name: string; n: number }[];
    const stored = new Map(rows.map((r) => [r.name, r.n]));
    const total = (db.prepare("SELECT count(*) AS n FROM signatures WHERE status = 'confirmed'").get() as { n: number })
      .n;
    db.close();

    const missing = [...acknowledged].filter((name) => !stored.has(name));
    expect(missing, "acknowledged but lost").toEqual([]);
    expect(
      rows.filter((r) => r.n !== 1),
      "stored more than once",
    ).toEqual([]);
    // Signatures written but not yet acknowledged when the server died may exist; never fewer.
    expect(total).toBeGreaterThanOrEqual(acknowledged.size);
    expect(count).toBe(total);

    // The check command agrees.
    const check = spawnSync(process.execPath, ["--import", "tsx", "src/cli/check-counts.ts"], {
      cwd: ROOT,
      env: childEnv({ DATA_DIR: dataDir }),
      encoding: "utf8",
    });
    expect(check.status, `${check.stdout}\n${check.stderr}`).toBe(0);
    expect(check.stdout).toContain("every signature count matches a recount");
  }, 120_000);
});
