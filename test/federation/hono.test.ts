import { describe, expect, it } from "vitest";
import { isFederationRequest } from "../../src/federation/hono.ts";
import { createTestApp } from "../helpers/app.ts";

describe("which requests reach Fedify", () => {
  it.each([
    ["/.well-known/webfinger", {}, true],
    ["/.well-known/nodeinfo", {}, true],
    ["/nodeinfo/2.1", {}, true],
    ["/d/x", { accept: "application/activity+json" }, true],
    ["/d/x", { accept: 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"' }, true],
    ["/ap/inbox", { "content-type": "application/activity+json" }, true],
    ["/d/x", { accept: "text/html,application/xhtml+xml" }, false],
    ["/api/declarations", { accept: "application/json" }, false],
    ["/static/style.css", {}, false],
  ])("%s %j → %s", (path, headers, expected) => {
    expect(isFederationRequest(path, new Headers(headers as Record<string, string>))).toBe(expected);
  });

  it("still answers NodeInfo through the app", async () => {
    const { app } = await createTestApp();
    expect((await app.request("/.well-known/nodeinfo")).status).toBe(200);
  });
});
