import { describe, expect, it } from "vitest";
import { addDeclaration, createTestApp } from "../helpers/app.ts";

describe("NodeInfo", () => {
  it("is discoverable and reports software and usage", async () => {
    const { app, db, publisher } = await createTestApp({ instanceName: "Strike HQ" });
    addDeclaration(db);
    // The Declaration's Article and pinned announcement.
    await publisher.runOnce();
    const wellKnown = await (await app.request("/.well-known/nodeinfo")).json();
    const href = wellKnown.links[0].href as string;
    expect(href).toBe("https://undersign.test/nodeinfo/2.1");
    const res = await app.request(new URL(href).pathname);
    expect(res.status).toBe(200);
    const info = await res.json();
    expect(info).toMatchObject({
      version: "2.1",
      software: { name: "undersign", version: expect.stringMatching(/^\d+\.\d+\.\d+/) },
      protocols: ["activitypub"],
      openRegistrations: false,
      usage: { users: { total: 1 }, localPosts: 2 },
      metadata: { nodeName: "Strike HQ" },
    });
  });
});
