/**
 * Expected refusals are quiet: clients that close the connection in the
 * middle of an upload or a form cost one log line a minute at most, never an
 * ERROR with a stack, however many there are.  Against a real server on a
 * loopback port, with real sockets cut half way.
 */
import { connect } from "node:net";
import { getLogger, type LogRecord } from "@logtape/logtape";
import { beforeEach, describe, expect, it } from "vitest";
import { createAccount, createSession } from "../../src/db/accounts.ts";
import { APP } from "../../src/logging.ts";
import { isClientAbort, QuietLog } from "../../src/web/kit/quiet-log.ts";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { captureLogs } from "../helpers/logs.ts";
import { startServer } from "../helpers/server.ts";

const records = captureLogs();

beforeEach(() => {
  records.length = 0;
});

/** Sends the head of a POST and part of its body, then cuts the connection. */
function cutUpload(
  url: string,
  path: string,
  headers: Record<string, string>,
  declaredBytes: number,
  sentBody: string,
): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      const head = Object.entries({ Host: `${hostname}:${port}`, "Content-Length": String(declaredBytes), ...headers })
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join("");
      socket.write(`POST ${path} HTTP/1.1\r\n${head}\r\n${sentBody}`);
      setTimeout(() => {
        socket.destroy();
        resolve();
      }, 60);
    });
    socket.on("error", reject);
  });
}

const text = (r: LogRecord) => r.message.map(String).join("");

describe("clients that cut their request short", () => {
  it("are logged as at most one quiet line each kind, without a stack, however many", async () => {
    const t = await createTestApp();
    addDeclaration(t.db);
    const admin = createAccount(t.db, { username: "boss", passwordHash: "unused", role: "admin" });
    if (admin.kind !== "created") throw new Error(admin.kind);
    const { token } = createSession(t.db, admin.account.id);
    const server = await startServer(t.app);
    records.length = 0; // (start-up lines, such as the strike bot's)
    try {
      const boundary = "----cut";
      for (let i = 0; i < 25; i++) {
        await cutUpload(
          server.url,
          "/admin/media",
          { "Content-Type": `multipart/form-data; boundary=${boundary}`, Cookie: `__Host-session=${token}` },
          5_000_000,
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n${"x".repeat(2000)}`,
        );
        await cutUpload(
          server.url,
          "/d/test-declaration/sign",
          { "Content-Type": "application/x-www-form-urlencoded" },
          10_000,
          "name=Ada&place=",
        );
      }
      // Let the server notice every closed socket.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(
        records.filter((r) => r.level === "error" || r.level === "fatal" || r.level === "warning").map(text),
      ).toEqual([]);
      expect(records.length).toBeGreaterThan(0);
      expect(records.length).toBeLessThanOrEqual(2);
      for (const record of records) {
        expect(["debug", "info"]).toContain(record.level);
        expect(text(record)).not.toMatch(/\n\s+at /);
        expect(Object.values(record.properties).some((v) => v instanceof Error)).toBe(false);
      }
      // The site still answers.
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe("QuietLog", () => {
  it("logs once per interval and says how many it left out", () => {
    const log = new QuietLog(getLogger([APP, "quiet-test"]), "info", 1000);
    log.note("Refused {what}", { what: "a" }, 10_000);
    for (let i = 0; i < 50; i++) log.note("Refused {what}", { what: "b" }, 10_100 + i);
    log.note("Refused {what}", { what: "c" }, 11_000);
    const lines = records.filter((r) => r.category.includes("quiet-test"));
    expect(lines.map(text)).toEqual(["Refused a", "Refused c (50 more like it since the last such line)"]);
    expect(lines.every((r) => r.level === "info")).toBe(true);
  });

  it("recognises a client that went away, and nothing else", () => {
    expect(isClientAbort(Object.assign(new Error("aborted"), { code: "ECONNRESET" }))).toBe(true);
    expect(isClientAbort(new Error("aborted"))).toBe(true);
    expect(isClientAbort(new DOMException("The operation was aborted", "AbortError"))).toBe(true);
    expect(isClientAbort(new Error("database is locked"))).toBe(false);
    expect(isClientAbort(new TypeError("x is undefined"))).toBe(false);
    expect(isClientAbort(null)).toBe(false);
  });
});
