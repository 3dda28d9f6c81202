import { describe, expect, it } from "vitest";
import { declarations } from "../../src/db/schema.ts";
import { addDeclaration, createTestApp } from "../helpers/app.ts";

describe("JSON API", () => {
  it("lists Declarations", async () => {
    const { app, db } = await createTestApp();
    addDeclaration(db, { now: new Date("2026-03-01T12:00:00Z") });
    db.update(declarations).set({ signatureCount: 42 }).run();
    const res = await app.request("/api/declarations");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({
      declarations: [
        {
          slug: "test-declaration",
          title: "Test Declaration",
          summary: "A Declaration for tests.",
          revision: 1,
          url: "https://undersign.test/d/test-declaration",
          signatureCount: 42,
          language: "en",
          createdAt: "2026-03-01T12:00:00.000Z",
          updatedAt: "2026-03-01T12:00:00.000Z",
        },
      ],
    });
  });

  it("shows one Declaration", async () => {
    const { app, db } = await createTestApp();
    addDeclaration(db);
    const body = await (await app.request("/api/declarations/test-declaration")).json();
    expect(body).toMatchObject({
      slug: "test-declaration",
      revision: 1,
      signatureCount: 0,
      license: "CC BY-SA 4.0",
      hashtags: ["SocialMediaStrike"],
      markdownUrl: "https://undersign.test/d/test-declaration.md",
      revisionUrl: "https://undersign.test/d/test-declaration/v/1",
    });
    expect(typeof body.updatedAt).toBe("string");
  });

  it("is open to other origins for reading", async () => {
    const { app, db } = await createTestApp();
    addDeclaration(db);
    const res = await app.request("/api/declarations", { headers: { Origin: "https://blog.example" } });
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    const preflight = await app.request("/api/declarations", {
      method: "OPTIONS",
      headers: { Origin: "https://blog.example", "Access-Control-Request-Method": "GET" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-methods")).toContain("GET");
  });

  it.each([
    ["GET", "/api/declarations/nope", 404, "not_found", /"nope"/],
    ["GET", "/api/nothing-here", 404, "not_found", /\/api\/nothing-here/],
    ["GET", "/api", 404, "not_found", /\/api/],
    ["POST", "/api/declarations", 405, "method_not_allowed", /POST/],
    ["DELETE", "/api/declarations/test-declaration", 405, "method_not_allowed", /DELETE/],
  ])("%s %s → %i with a JSON error", async (method, path, status, code, message) => {
    const { app, db } = await createTestApp();
    addDeclaration(db);
    const res = await app.request(path, { method });
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = await res.json();
    expect(body.error.code).toBe(code);
    expect(body.error.message).toMatch(message);
  });

  it("answers internal errors as JSON without internals", async () => {
    const { app, db } = await createTestApp();
    db.$client.close();
    const res = await app.request("/api/declarations");
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({
      error: { code: "internal_error", message: "The server could not complete this request." },
    });
  });
});
