/**
 * The signing's rate limits and duplicate window across the cluster's HTTP
 * processes (src/processes/shared-limits.ts; decision 0033): `npm start`
 * with two HTTP processes, one client's signings on separate connections,
 * spread by the cluster over both processes.  The allowance holds once for
 * the site, not once per process, and a name one process took is a duplicate
 * in the other.  Which process answered each request is read from /proc (the
 * process holding the server's end of its connection).  When the primary is
 * gone, a signing is refused with 503, not 500.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { Agent, request } from "node:http";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { primaryGoneError } from "../../src/processes/ipc.ts";
import { localLimiters } from "../../src/services/limits.ts";
import { SIGNING_LIMITER_NAMES, type SharedSigningLimiters } from "../../src/services/signing.ts";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { signForm } from "../helpers/forms.ts";
import { killChildren, removeTempDirs, startApp, tempDir } from "../helpers/process.ts";
import { ready, READY_MS } from "../helpers/cluster.ts";

const SLUG = "digital-independence";
/** The per-client allowance: a bucket of 3 signings, refilled 1 an hour. */
const ALLOWANCE = 3;

afterEach(killChildren);
afterAll(removeTempDirs);

interface Answer {
  readonly status: number;
  readonly retryAfter: string | undefined;
  readonly body: string;
  /** The pid of the process that answered. */
  readonly pid: number;
}

/** The inode of the server's socket for the connection from loopback port `clientPort` to `serverPort`. */
function serverSocketInode(serverPort: number, clientPort: number): string | null {
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(file, "utf8").split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const port = (address: string) => Number.parseInt(address.slice(address.lastIndexOf(":") + 1), 16);
      if (port(fields[1]!) === serverPort && port(fields[2]!) === clientPort) return fields[9]!;
    }
  }
  return null;
}

/** Which of `pids` holds the socket `inode`. */
function ownerOf(inode: string, pids: readonly number[]): number | null {
  for (const pid of pids) {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`) return pid;
      } catch {
        // The descriptor closed while we looked.
      }
    }
  }
  return null;
}

/**
 * POSTs a signature on a new connection as the client `forwardedFor`, and
 * says which of `pids` answered (the connection is kept open until then).
 */
function sign(url: string, name: string, forwardedFor: string, pids: readonly number[]): Promise<Answer> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const target = new URL(`/api/declarations/${SLUG}/signatures`, url);
  return new Promise<Answer>((resolve, reject) => {
    const req = request(
      target,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "x-forwarded-for": forwardedFor },
      },
      (res) => {
        // (The socket goes back to the agent, still open, before "end".)
        const clientPort = res.socket.localPort!;
        let body = "";
        res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
        res.on("end", () => {
          try {
            const inode = serverSocketInode(Number(target.port), clientPort);
            const pid = inode == null ? null : ownerOf(inode, pids);
            if (pid == null) throw new Error(`no process of ${pids.join(", ")} holds the connection`);
            resolve({ status: res.statusCode ?? 0, retryAfter: res.headers["retry-after"], body, pid });
          } catch (error) {
            reject(error);
          } finally {
            agent.destroy();
          }
        });
      },
    );
    req.on("error", (error) => {
      agent.destroy();
      reject(error);
    });
    req.end(JSON.stringify({ name, public: true }));
  });
}

describe("signing limits across the cluster's HTTP processes", () => {
  it("gives one client its allowance once across both processes, and a name signed in one is a duplicate in the other", async () => {
    const app = await startApp(
      tempDir("cluster-limits"),
      {
        WEB_CONCURRENCY: "2",
        PROOF_OF_WORK: "off",
        SIGNATURE_CONFIRMATION: "none",
        RATE_LIMIT_PER_DECLARATION: "off",
        RATE_LIMIT_PER_CLIENT: `${ALLOWANCE}+1/1h`,
        DUPLICATE_WINDOW: "1h",
        // The test speaks for several clients through X-Forwarded-For.
        TRUST_PROXY: "127.0.0.1",
      },
      undefined,
      undefined,
      READY_MS,
    );
    const pids = await ready(app, 2);
    const web = [pids.get("web.1")!, pids.get("web.2")!];

    // One client, twice its allowance plus two, each on its own connection.
    const answers: Answer[] = [];
    for (let i = 0; i < 2 * ALLOWANCE + 2; i++) answers.push(await sign(app.url, `Signer ${i}`, "198.51.100.7", web));
    // Both processes answered (each with its own copy, each would accept up to the allowance).
    expect(new Set(answers.map((a) => a.pid))).toEqual(new Set(web));
    const accepted = answers.filter((a) => a.status === 201);
    expect(accepted).toHaveLength(ALLOWANCE);
    const refused = answers.filter((a) => a.status !== 201);
    for (const answer of refused) {
      expect(answer.status).toBe(429);
      expect(Number(answer.retryAfter)).toBeGreaterThan(0);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: "rate_limited" } });
    }
    // The first signings were accepted, the refusals came after: one count for both processes.
    expect(answers.slice(0, ALLOWANCE).map((a) => a.status)).toEqual(Array(ALLOWANCE).fill(201));

    // Another client signs a name once; sent again, through either process, it is the same signing.
    expect((await sign(app.url, "Ada Lovelace", "198.51.100.8", web)).status).toBe(201);
    const again: Answer[] = [];
    for (let i = 0; i < 4; i++) again.push(await sign(app.url, "Ada Lovelace", "198.51.100.8", web));
    expect(new Set(again.map((a) => a.pid))).toEqual(new Set(web));
    for (const answer of again) {
      expect(answer.status).toBe(409);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: "already_signed", field: "name" } });
    }

    app.child.kill("SIGTERM");
    expect((await app.exited).code).toBe(0);
  }, 300_000);

  it("answers 503 with a clear message, and records nothing, when the primary that keeps the limits is gone", async () => {
    // Every call fails as an HTTP process's calls fail once its primary is gone (src/processes/ipc.ts).
    const fail = () => {
      throw primaryGoneError("The primary process is gone; no limit could be checked");
    };
    const methods = { consume: fail, refund: fail, has: fail, add: fail, delete: fail, sweep: fail };
    const limiters = localLimiters(
      Object.fromEntries(SIGNING_LIMITER_NAMES.map((name) => [name, methods])),
    ) as unknown as SharedSigningLimiters;
    const t = await createTestApp({ limiters });
    addDeclaration(t.db);

    const api = await t.app.request("/api/declarations/test-declaration/signatures", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "Ada Lovelace", public: true }),
    });
    expect(api.status).toBe(503);
    expect(api.headers.get("retry-after")).toBe("10");
    expect(await api.json()).toMatchObject({
      error: { code: "unavailable", message: expect.stringMatching(/restarting.*Nothing was recorded/) },
    });

    const form = await signForm(t.app);
    expect(form.status).toBe(503);
    expect(form.headers.get("retry-after")).toBe("10");
    expect(await form.text()).toContain("Nothing was recorded; please try again in a moment.");
    expect(t.db.$client.prepare("SELECT count(*) AS n FROM signatures").get()).toEqual({ n: 0 });
  });
});
