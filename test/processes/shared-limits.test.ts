/**
 * Limits across the cluster's HTTP processes (src/processes/shared-limits.ts):
 * two real forked processes take events for one key at once.  With each its
 * own limiter they get twice the allowance; through the primary, exactly the
 * allowance, and a name one process added is seen by the other.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { childEnv, ROOT } from "../helpers/process.ts";

interface Result {
  index: number;
  allowed: number;
  seesOther: boolean;
  refused: string[];
}

function runCluster(shared: boolean): Promise<Result[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(ROOT, "test/fixtures/processes/shared-limits-cluster.ts")],
      { cwd: ROOT, env: childEnv({ SHARED: shared ? "on" : "off" }), stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
    child.on("close", () => {
      const line = out.split("\n").find((l) => l.startsWith("["));
      if (line == null) reject(new Error(`no result\n${out}\n${err}`));
      else resolve((JSON.parse(line) as Result[]).sort((a, b) => a.index - b.index));
    });
  });
}

describe("limits shared by the cluster's processes", () => {
  it("each process with its own copy: two processes get twice the allowance, and do not see each other's names", async () => {
    const results = await runCluster(false);
    expect(results.map((r) => r.allowed)).toEqual([5, 5]);
    expect(results.map((r) => r.seesOther)).toEqual([false, false]);
  }, 120_000);

  it("through the primary: exactly the allowance across both, each name seen by the other, other calls refused by name", async () => {
    const results = await runCluster(true);
    expect(results[0]!.allowed + results[1]!.allowed).toBe(5);
    expect(results.map((r) => r.seesOther)).toEqual([true, true]);
    for (const r of results) {
      expect(r.refused).toHaveLength(2);
      expect(r.refused[0]).toContain("No shared limiter named nope");
      expect(r.refused[1]).toContain("perClient.consume must be strings or numbers");
    }
  }, 120_000);
});
