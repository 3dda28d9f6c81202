/**
 * The limits on Fedify's requests (outgoing.ts): a total timeout for a
 * server that accepts the connection and never answers, a connect timeout
 * for one that never accepts it, and nothing at all for requests that are
 * not Fedify's (the strike bot's Mastodon client keeps its own limits).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installOutgoingFetch, withOutgoing, type RequestOutcome } from "../../src/federation/outgoing.ts";
import { freePort } from "../helpers/process.ts";

const LIMITS = { connectTimeoutMs: 400, timeoutMs: 1_200 };
let tarpit: Server;
let tarpitUrl: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  installOutgoingFetch(LIMITS);
  tarpit = createServer((socket) => {
    sockets.add(socket);
    socket.on("data", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => tarpit.listen(0, "127.0.0.1", resolve));
  tarpitUrl = `http://127.0.0.1:${(tarpit.address() as { port: number }).port}/inbox`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => tarpit.close(() => resolve()));
});

async function timed(request: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = Date.now();
  try {
    await request();
    return { ms: Date.now() - started, error: null };
  } catch (error) {
    return { ms: Date.now() - started, error };
  }
}

describe("Fedify's requests to a server that never answers", () => {
  it("end after the total time, whether signed, Fedify's own or inside an outgoing scope", async () => {
    const fedify = await timed(() => fetch(tarpitUrl, { headers: { "user-agent": "Fedify/2.3.6 (Node.js/v24)" } }));
    expect(fedify.error).toBeInstanceOf(Error);
    expect(fedify.ms).toBeGreaterThanOrEqual(LIMITS.timeoutMs - 50);
    expect(fedify.ms).toBeLessThan(LIMITS.timeoutMs + 3_000);

    const signed = await timed(() =>
      fetch(tarpitUrl, {
        method: "POST",
        body: "{}",
        headers: { signature: 'keyId="https://a.example/actor#main-key",signature="x"' },
      }),
    );
    expect(signed.error).toBeInstanceOf(Error);
    expect(signed.ms).toBeLessThan(LIMITS.timeoutMs + 3_000);

    const outcomes: RequestOutcome[] = [];
    const scoped = await timed(() =>
      withOutgoing({ limits: { connectTimeoutMs: 400, timeoutMs: 600 }, observe: (o) => outcomes.push(o) }, () =>
        fetch(tarpitUrl),
      ),
    );
    expect(scoped.error).toBeInstanceOf(Error);
    expect(scoped.ms).toBeLessThan(600 + 3_000);
    expect(outcomes).toMatchObject([{ url: new URL(tarpitUrl), status: null }]);
  });

  it("leaves other requests alone", async () => {
    // The caller's own limit ends it, not ours.
    const other = await timed(() => fetch(tarpitUrl, { signal: AbortSignal.timeout(LIMITS.timeoutMs + 1_000) }));
    expect((other.error as Error).name).toBe("TimeoutError");
    expect(other.ms).toBeGreaterThanOrEqual(LIMITS.timeoutMs + 950);
  });
});

describe("Fedify's requests to a server that never accepts the connection", () => {
  let child: ChildProcess | undefined;
  const fillers: Socket[] = [];
  afterAll(() => {
    for (const socket of fillers) socket.destroy();
    if (child?.pid != null) {
      process.kill(child.pid, "SIGCONT");
      child.kill("SIGKILL");
    }
  });

  it("give up after the connect timeout, long before the total", async () => {
    // A server process that listens with a backlog of one and is stopped: the
    // kernel completes a connection or two, then leaves the rest unanswered.
    const port = await freePort();
    child = spawn(
      process.execPath,
      [
        "-e",
        `require("node:net").createServer().listen(${port}, "127.0.0.1", 1, () => process.kill(process.pid, "SIGSTOP"))`,
      ],
      { stdio: "ignore" },
    );
    await new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const check = () => {
        const socket = createConnection(port, "127.0.0.1");
        socket.once("connect", () => {
          fillers.push(socket);
          resolve();
        });
        socket.once("error", () =>
          Date.now() - started > 10_000 ? reject(new Error("no listener")) : setTimeout(check, 50),
        );
      };
      check();
    });
    // Fill the backlog so further handshakes get no answer.
    for (let i = 0; i < 8; i++) fillers.push(createConnection(port, "127.0.0.1").on("error", () => {}));
    await new Promise((r) => setTimeout(r, 200));
    const limits = { connectTimeoutMs: 300, timeoutMs: 8_000 };
    const result = await timed(() => withOutgoing({ limits }, () => fetch(`http://127.0.0.1:${port}/inbox`)));
    expect(result.error).toBeInstanceOf(Error);
    expect(String((result.error as Error & { cause?: { code?: string } }).cause?.code)).toBe("UND_ERR_CONNECT_TIMEOUT");
    expect(result.ms).toBeLessThan(4_000);
  });
});
