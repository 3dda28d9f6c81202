import { Endpoints, Person } from "@fedify/vocab";
import { describe, expect, it } from "vitest";
import { remoteActorInput } from "../../src/federation/inbox.ts";
import { createTestApp } from "../helpers/app.ts";

describe("what we keep of a remote account", () => {
  it("refuses an account whose inbox is on another server, and drops a shared inbox elsewhere", async () => {
    const t = await createTestApp();
    const ctx = t.federation.createContext(new URL(t.config.origin), t.runtime.data);
    const base = { id: new URL("https://a.example/users/u"), preferredUsername: "u", name: "  U\n  Name " };
    const elsewhere = new Person({ ...base, inbox: new URL("http://10.0.0.5/inbox") });
    expect(await remoteActorInput(ctx, elsewhere)).toBeNull();
    const sharedElsewhere = new Person({
      ...base,
      inbox: new URL("https://a.example/users/u/inbox"),
      endpoints: new Endpoints({ sharedInbox: new URL("http://127.0.0.1:9/inbox") }),
    });
    expect(await remoteActorInput(ctx, sharedElsewhere)).toEqual({
      uri: "https://a.example/users/u",
      handle: "u@a.example",
      name: "U Name",
      url: "https://a.example/users/u",
      iconUrl: null,
      inbox: "https://a.example/users/u/inbox",
      sharedInbox: null,
    });
  });
});
