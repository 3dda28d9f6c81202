/**
 * The site account in the browser: its handle and "Follow from your server"
 * on the home page and `/strike`, `/follow` (the lookup, its errors and the
 * way to the visitor's server), and its followers per server for the owner
 * (`/admin`) and on `/stats`.
 */
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "../../src/db/accounts.ts";
import { upsertRemoteActor } from "../../src/db/fediverse.ts";
import { addSiteFollower } from "../../src/db/site-account.ts";
import { getAs, loggedIn } from "../helpers/accounts.ts";
import { slugAvailable } from "../../src/db/copies.ts";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { createTestDb } from "../helpers/db.ts";
import { pageText, tags } from "../helpers/forms.ts";
import { startServer } from "../helpers/server.ts";

const ALLOW_PRIVATE = { FEDERATION_ALLOW_PRIVATE_ADDRESS: "true" };
const SITE_ACTOR = "https://undersign.test/d/site_account";

let jrd: { url: string; links: { rel: string; template?: string }[]; close(): Promise<void> };

beforeAll(async () => {
  const state = { links: [] as { rel: string; template?: string }[] };
  const app = new Hono().get("/.well-known/webfinger", (c) =>
    c.body(JSON.stringify({ subject: c.req.query("resource") ?? "", links: state.links }), 200, {
      "Content-Type": "application/jrd+json",
    }),
  );
  const server = await startServer(app);
  jrd = Object.assign(state, { url: server.url, close: server.close });
});

afterAll(async () => {
  await jrd?.close();
});

describe("the site account on the site's pages", () => {
  it("the home page: the introduction, the handle, the follow form, and the account as the page's ActivityPub alternate", async () => {
    const t = await createTestApp({ instanceName: "Digital Independence", env: { SITE_INTRODUCTION: "We strike." } });
    const res = await t.app.request("/");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(pageText(html)).toContain("We strike.");
    expect(tags(html, "input").find((i) => i.id === "site-handle")?.value).toBe("@digital-independence@undersign.test");
    const form = tags(html, "form").find((f) => f.action === "/follow")!;
    expect(form.method).toBe("get");
    expect(tags(html, "link").find((l) => l.rel === "alternate" && l.type === "application/activity+json")?.href).toBe(
      SITE_ACTOR,
    );
    // The form ends on the visitor's server: the page lets forms leave the site.
    expect(res.headers.get("content-security-policy")).toContain("form-action 'self' https:");
  });

  it("/strike shows the handle and the form; the handle follows SITE_HANDLE", async () => {
    const t = await createTestApp({ env: { SITE_HANDLE: "strike-berlin" } });
    const html = await (await t.app.request("/strike")).text();
    expect(tags(html, "input").find((i) => i.id === "site-handle")?.value).toBe("@strike-berlin@undersign.test");
    expect(tags(html, "form").some((f) => f.action === "/follow")).toBe(true);
  });

  it("WebFinger of the chosen handle names the account; a Declaration with that slug keeps its own", async () => {
    const t = await createTestApp({ env: { SITE_HANDLE: "strike-berlin" } });
    const finger = async (handle: string) => {
      const res = await t.app.request(`/.well-known/webfinger?resource=acct:${handle}@undersign.test`);
      return res.status === 200
        ? ((await res.json()) as { links: { rel: string; href?: string }[] }).links[0]!.href
        : res.status;
    };
    expect(await finger("strike-berlin")).toBe(SITE_ACTOR);
    expect(await finger("Strike-Berlin")).toBe(SITE_ACTOR);
    expect(await finger("site_account")).toBe(404);
    // No new Declaration may take the handle.
    expect(slugAvailable(t.db, "strike-berlin")).toBe(false);
    expect(slugAvailable(t.db, "strike-hamburg")).toBe(true);
    // A Declaration that had the slug before keeps its handle (the owner is told to choose another).
    const older = await createTestApp({
      env: { SITE_HANDLE: "rights" },
      db: (() => {
        const seeded = createTestDb();
        addDeclaration(seeded, { slug: "rights", title: "Rights" });
        return seeded;
      })(),
    });
    const res = await older.app.request("/.well-known/webfinger?resource=acct:rights@undersign.test");
    expect(((await res.json()) as { links: { href?: string }[] }).links[0]!.href).toBe(
      "https://undersign.test/d/rights",
    );
  });
});

describe("/follow", () => {
  it("without an account: the form alone", async () => {
    const t = await createTestApp();
    const res = await t.app.request("/follow");
    expect(res.status).toBe(200);
    expect(tags(await res.text(), "h1").length).toBeGreaterThan(0);
  });

  it("refuses what is not an account (400), naming the field and keeping the input", async () => {
    const t = await createTestApp();
    for (const account of ["", "not an account", "@@x", "x".repeat(400)]) {
      const res = await t.app.request(`/follow?account=${encodeURIComponent(account)}`);
      expect(res.status, account).toBe(400);
      const html = await res.text();
      expect(pageText(html)).toContain("Your fediverse account");
      expect(tags(html, "input").find((i) => i.name === "account")?.value).toBe(account.slice(0, 1000));
      expect(res.headers.get("cache-control")).toBe("no-store");
    }
  });

  it("sends the visitor to their server's Follow intent with the site account (303)", async () => {
    const t = await createTestApp({ env: ALLOW_PRIVATE });
    jrd.links = [
      { rel: "http://ostatus.org/schema/1.0/subscribe", template: `${jrd.url}/authorize_interaction?uri={uri}` },
      { rel: "https://w3id.org/fep/3b86/Follow", template: `${jrd.url}/follow?object={object}` },
    ];
    const res = await t.app.request(`/follow?account=${encodeURIComponent(`${jrd.url}/users/alice`)}`);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`${jrd.url}/follow?object=${encodeURIComponent(SITE_ACTOR)}`);
    jrd.links = [
      { rel: "http://ostatus.org/schema/1.0/subscribe", template: `${jrd.url}/authorize_interaction?uri={uri}` },
    ];
    expect(
      (await t.app.request(`/follow?account=${encodeURIComponent(`${jrd.url}/users/alice`)}`)).headers.get("location"),
    ).toBe(`${jrd.url}/authorize_interaction?uri=${encodeURIComponent(SITE_ACTOR)}`);
  });

  it("when the server offers no way to follow (422): the handle to search for", async () => {
    const t = await createTestApp({ instanceName: "Digital Independence", env: ALLOW_PRIVATE });
    jrd.links = [];
    const res = await t.app.request(`/follow?account=${encodeURIComponent(`${jrd.url}/users/alice`)}`);
    expect(res.status).toBe(422);
    expect(pageText(await res.text())).toContain(
      "Search for @digital-independence@undersign.test on your server instead.",
    );
  });

  it("refuses private servers unless allowed (422), without contacting them", async () => {
    const t = await createTestApp();
    const res = await t.app.request(`/follow?account=${encodeURIComponent("alice@10.1.2.3")}`);
    expect(res.status).toBe(422);
    expect(pageText(await res.text())).toContain("is a private or local address");
  });
});

describe("the site account's followers for the owner", () => {
  function follow(t: Awaited<ReturnType<typeof createTestApp>>, uri: string) {
    const now = new Date();
    const host = new URL(uri).hostname;
    const actor = upsertRemoteActor(
      t.db,
      { uri, handle: null, name: null, url: uri, iconUrl: null, inbox: `${uri}/inbox`, sharedInbox: null },
      now,
    );
    addSiteFollower(t.db, actor.id, `https://${host}/follows/1`, now);
  }

  it("/admin and /stats show the count and the count per server", async () => {
    const t = await createTestApp({ instanceName: "Digital Independence" });
    follow(t, "https://mastodon.example/users/a");
    follow(t, "https://mastodon.example/users/b");
    follow(t, "https://misskey.example/users/c");
    createAccount(t.db, { username: "owner", passwordHash: "unused", role: "admin" });
    const owner = await loggedIn(t, "owner");
    for (const html of [await (await getAs(t, "/admin", owner)).text(), await (await t.app.request("/stats")).text()]) {
      const text = pageText(html);
      expect(text).toMatch(/@digital-independence@undersign\.test\s*: 3 followers on 2 servers\./);
      const cells = tags(html, "td").length;
      expect(cells).toBeGreaterThanOrEqual(4);
      expect(text).toMatch(/mastodon\.example\s*2/);
      expect(text).toMatch(/misskey\.example\s*1/);
    }
  });
});
