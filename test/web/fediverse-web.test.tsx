/**
 * The fediverse in the browser-facing site: "Follow/Sign from your server"
 * (WebFinger against real loopback servers), `/interact?uri=…`, our posts
 * opened in a browser, fediverse signers in the lists and the API, the avatar
 * proxy, responses and their moderation, and hashtag pages.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "../../src/db/accounts.ts";
import { addDomainBlock, addFollower } from "../../src/db/fediverse.ts";
import { getPost } from "../../src/db/posts.ts";
import { declarations, fedResponses } from "../../src/db/schema.ts";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { getAs, loggedIn } from "../helpers/accounts.ts";
import { startFediverseServer, type FediverseServer } from "../helpers/fediverse.ts";
import { boost, fediverseSignature, follower, remoteActor, response } from "../helpers/fediverse-rows.ts";
import { addSignature, csrfFrom, listedNames, pageText, postForm, tags, type CsrfPair } from "../helpers/forms.ts";
import { startInstance } from "../helpers/instance.ts";
import { startServer } from "../helpers/server.ts";

type App = Awaited<ReturnType<typeof createTestApp>>;

const DEFAULT_AVATAR = readFileSync(join(import.meta.dirname, "..", "..", "src", "web", "static", "avatar.png"));
const ALLOW_PRIVATE = { FEDERATION_ALLOW_PRIVATE_ADDRESS: "true" };
const INTERACT = "/d/test-declaration/interact";

/** A published Declaration with its posts (the announcement Note exists). */
async function site(env: Record<string, string> = {}) {
  const t = await createTestApp({ env });
  const d = addDeclaration(t.db);
  await t.publisher.runOnce();
  return { t, d };
}

function noteUriOf(t: App, declarationId: number): string {
  return `https://undersign.test/ap/notes/${getPost(t.db, declarationId, "announcement")!.uuid}`;
}

function interact(t: App, fields: Record<string, string>, csrf?: CsrfPair | null) {
  return postForm(t.app, INTERACT, fields, { csrf: csrf === undefined ? undefined : csrf });
}

async function interactAs(t: App, fields: Record<string, string>) {
  const csrf = await csrfFrom(t.app, INTERACT);
  return postForm(t.app, INTERACT, fields, { csrf });
}

// ---------------------------------------------------------------------------
// Loopback servers

/** A WebFinger server whose answer each test sets; it records the resources asked for. */
interface JrdServer {
  url: string;
  links: { rel: string; template?: string; href?: string; type?: string }[];
  status: number;
  readonly asked: string[];
  close(): Promise<void>;
}

async function startJrdServer(): Promise<JrdServer> {
  const state = { links: [] as JrdServer["links"], status: 200, asked: [] as string[] };
  const app = new Hono().get("/.well-known/webfinger", (c) => {
    const resource = c.req.query("resource") ?? "";
    state.asked.push(resource);
    if (state.status !== 200) return c.body(null, state.status as 404);
    return c.body(JSON.stringify({ subject: resource, links: state.links }), 200, {
      "Content-Type": "application/jrd+json",
    });
  });
  const server = await startServer(app);
  return Object.assign(state, { url: server.url, close: server.close }) as JrdServer;
}

/** Serves images, and things that are not, for the avatar proxy; counts requests per path. */
async function startImageServer() {
  const hits: Record<string, number> = {};
  const png = readFileSync(join(import.meta.dirname, "..", "..", "src", "web", "static", "header.png"));
  const huge = Buffer.alloc(2 * 1024 * 1024, 0);
  png.copy(huge, 0, 0, 16);
  const webp = Buffer.concat([
    Buffer.from("RIFF"),
    Buffer.from([0x10, 0, 0, 0]),
    Buffer.from("WEBPVP8 "),
    Buffer.alloc(8),
  ]);
  const app = new Hono();
  app.use("*", async (c, next) => {
    hits[c.req.path] = (hits[c.req.path] ?? 0) + 1;
    await next();
  });
  app.get("/png", (c) => c.body(new Uint8Array(png), 200, { "Content-Type": "image/png" }));
  app.get("/webp-as-octets", (c) => c.body(new Uint8Array(webp), 200, { "Content-Type": "application/octet-stream" }));
  app.get("/svg", (c) =>
    c.body('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', 200, {
      "Content-Type": "image/svg+xml",
    }),
  );
  app.get("/html-as-png", (c) =>
    c.body("<html><script>alert(1)</script></html>", 200, { "Content-Type": "image/png" }),
  );
  app.get("/huge", (c) => c.body(new Uint8Array(huge), 200, { "Content-Type": "image/png" }));
  app.get("/huge-stream", () => {
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= huge.length) return controller.close();
        controller.enqueue(new Uint8Array(huge.subarray(sent, sent + 65536)));
        sent += 65536;
      },
    });
    return new Response(stream, { headers: { "Content-Type": "image/png" } });
  });
  app.get("/slow", async (c) => {
    await new Promise((r) => setTimeout(r, 7000));
    return c.body(new Uint8Array(png), 200, { "Content-Type": "image/png" });
  });
  app.get("/redirect", (c) => c.redirect("/png", 302));
  app.get("/missing", (c) => c.body("no", 404));
  const server = await startServer(app);
  return { url: server.url, hits, png, close: server.close };
}

let jrd: JrdServer;
let images: Awaited<ReturnType<typeof startImageServer>>;
let remote: FediverseServer;

beforeAll(async () => {
  jrd = await startJrdServer();
  images = await startImageServer();
  remote = await startFediverseServer({ users: ["alice"] });
});

afterAll(async () => {
  await jrd?.close();
  await images?.close();
  await remote?.close();
});

// ---------------------------------------------------------------------------

describe("the Declaration page's fediverse section", () => {
  it("shows the handle, the follower and boost counts, and one form with two buttons", async () => {
    const { t, d } = await site();
    const a = remoteActor(t.db, "ada");
    const b = remoteActor(t.db, "bo");
    follower(t.db, d, a);
    follower(t.db, d, b);
    boost(t.db, d, a);
    const html = await (await t.app.request("/d/test-declaration")).text();
    const text = pageText(html);
    expect(text).toContain("@test-declaration@undersign.test");
    expect(text).toContain("2 followers");
    expect(text).toContain("1 boost");
    const form = tags(html, "form").find((f) => f.action === INTERACT);
    expect(form?.method).toBe("post");
    expect(tags(html, "input").find((i) => i.name === "account")).toMatchObject({
      id: "interact-account",
      type: "text",
    });
    expect(tags(html, "label").some((l) => l.for === "interact-account")).toBe(true);
    expect(
      tags(html, "button")
        .filter((b) => b.name === "intent")
        .map((b) => b.value),
    ).toEqual(["sign", "follow"]);
  });

  it("gives every form on the cached page the visitor's own CSRF token", async () => {
    const { t } = await site();
    await t.app.request("/d/test-declaration"); // fills the cache
    const res = await t.app.request("/d/test-declaration");
    const tokens = tags(await res.text(), "input")
      .filter((i) => i.name === "csrf")
      .map((i) => i.value);
    expect(tokens.length).toBeGreaterThanOrEqual(2);
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).not.toMatch(/^csrf-/);
  });

  it("lets its forms lead to other servers (https only), with the site's policy otherwise unchanged", async () => {
    const { t } = await site();
    const home = (await t.app.request("/d/test-declaration/history")).headers.get("content-security-policy")!;
    expect(home).toContain("form-action 'self';");
    const widened = home.replace("form-action 'self';", "form-action 'self' https:;");
    expect((await t.app.request("/d/test-declaration")).headers.get("content-security-policy")).toBe(widened);
    // The home page carries the site account's follow form.
    expect((await t.app.request("/")).headers.get("content-security-policy")).toBe(widened);
    expect((await t.app.request(INTERACT)).headers.get("content-security-policy")).toBe(widened);
    // Pages without the form keep the site's policy.
    expect((await t.app.request("/d/test-declaration/history")).headers.get("content-security-policy")).toBe(home);
    const dev = await site(ALLOW_PRIVATE);
    expect((await dev.t.app.request("/d/test-declaration")).headers.get("content-security-policy")).toContain(
      "form-action 'self' https: http:;",
    );
  });

  it("shows fresh counts after an inbox write (through the group commit)", async () => {
    const { t, d } = await site();
    expect(pageText(await (await t.app.request("/d/test-declaration")).text())).toContain("0 followers");
    const a = remoteActor(t.db, "ada");
    await t.batcher.run(() => addFollower(t.db, d.id, a.id, null, new Date()));
    expect(pageText(await (await t.app.request("/d/test-declaration")).text())).toContain("1 follower");
  });

  it("links hashtags to their pages", async () => {
    const { t } = await site();
    const html = await (await t.app.request("/d/test-declaration")).text();
    expect(tags(html, "a").find((a) => a.rel === "tag")?.href).toBe("/tags/socialmediastrike");
  });

  it("is not on withdrawn or older versions' pages, and GET /d/{slug}/interact shows the form alone", async () => {
    const { t } = await site();
    const page = await t.app.request(INTERACT);
    expect(page.status).toBe(200);
    expect(pageText(await page.text())).toContain("Follow and sign from the fediverse");
    expect((await t.app.request("/d/nope/interact")).status).toBe(404);
    t.db.update(declarations).set({ status: "withdrawn" }).run();
    await t.batcher.run(() => undefined);
    const html = await (await t.app.request("/d/test-declaration")).text();
    expect(tags(html, "form").some((f) => f.action === INTERACT)).toBe(false);
    expect((await t.app.request(INTERACT)).status).toBe(409);
  });
});

describe("POST /d/{slug}/interact: input errors", () => {
  it("refuses a missing or foreign CSRF token (403), keeping the input", async () => {
    const { t } = await site();
    const res = await interact(t, { account: "ada@social.example", intent: "sign" }, null);
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(pageText(html)).toContain("This form expired");
    expect(tags(html, "input").find((i) => i.name === "account")?.value).toBe("ada@social.example");
  });

  it.each([
    ["", "Please enter your fediverse account"],
    ["   ", "Please enter your fediverse account"],
    ["ada", "has no server"],
    ["@ada", "has no server"],
    ["ada@", "does not look like a fediverse account"],
    ["@@social.example", "does not look like a fediverse account"],
    ["ada@social example", "does not look like a fediverse account"],
    ["ada@social.example/path", "does not look like a fediverse account"],
    ["https://", "not a valid web address"],
    ["https://user:pw@social.example/@ada", "not a valid web address"],
    ["x".repeat(301), "longer than 300 characters"],
  ])("answers 400 naming the field for %j", async (account, message) => {
    const { t } = await site();
    const res = await interactAs(t, { account, intent: "follow" });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(res.headers.get("cache-control")).toBe("no-store");
    const text = pageText(html);
    expect(text).toContain("Your fediverse account : ");
    expect(text).toContain(message);
    const input = tags(html, "input").find((i) => i.name === "account")!;
    expect(input.value).toBe(account);
    expect(input["aria-invalid"]).toBe("true");
  });

  it("needs one of the two buttons (400)", async () => {
    const { t } = await site();
    const res = await interactAs(t, { account: "ada@social.example", intent: "boost" });
    expect(res.status).toBe(400);
    expect(pageText(await res.text())).toContain("Please choose “Sign from your server” or “Follow from your server”");
  });

  it("404 for unknown Declarations and drafts, 409 for withdrawn ones", async () => {
    const { t } = await site();
    addDeclaration(t.db, { slug: "draft-one" });
    t.db.update(declarations).set({ status: "draft" }).where(eq(declarations.slug, "draft-one")).run();
    const csrf = await csrfFrom(t.app, INTERACT);
    expect(
      (await postForm(t.app, "/d/nope/interact", { account: "ada@social.example", intent: "sign" }, { csrf })).status,
    ).toBe(404);
    expect(
      (await postForm(t.app, "/d/draft-one/interact", { account: "ada@social.example", intent: "sign" }, { csrf }))
        .status,
    ).toBe(404);
    t.db.update(declarations).set({ status: "withdrawn" }).where(eq(declarations.slug, "test-declaration")).run();
    const res = await postForm(t.app, INTERACT, { account: "ada@social.example", intent: "sign" }, { csrf });
    expect(res.status).toBe(409);
    expect(pageText(await res.text())).toContain("withdrawn");
  });
});

describe("POST /d/{slug}/interact: looking the account up", () => {
  it("refuses loopback and private servers unless the configuration allows them (422), without contacting them", async () => {
    const { t } = await site();
    const before = jrd.asked.length;
    for (const account of [
      `${jrd.url}/users/alice`,
      `alice@${new URL(jrd.url).host}`,
      "alice@localhost",
      "alice@10.1.2.3",
      "https://[::1]/@alice",
    ]) {
      const res = await interactAs(t, { account, intent: "sign" });
      expect(res.status, account).toBe(422);
      const html = await res.text();
      expect(pageText(html), account).toMatch(
        /is a private or local address; this site looks up accounts on public servers only/,
      );
      expect(tags(html, "input").find((i) => i.name === "account")?.value).toBe(account);
    }
    expect(jrd.asked.length).toBe(before);
  });

  it("sends a signer to the Like intent with our announcement Note, a follower to the Follow intent with our actor (303)", async () => {
    const { t, d } = await site(ALLOW_PRIVATE);
    jrd.status = 200;
    jrd.links = [
      { rel: "self", type: "application/activity+json", href: `${jrd.url}/users/alice` },
      { rel: "http://ostatus.org/schema/1.0/subscribe", template: `${jrd.url}/authorize_interaction?uri={uri}` },
      { rel: "https://w3id.org/fep/3b86/Object", template: `${jrd.url}/object?o={object}` },
      { rel: "https://w3id.org/fep/3b86/Like", template: `${jrd.url}/like?object={object}&content={content}` },
      { rel: "https://w3id.org/fep/3b86/Follow", template: `${jrd.url}/follow?object={object}` },
    ];
    const account = `${jrd.url}/users/alice`;
    const sign = await interactAs(t, { account, intent: "sign" });
    expect(sign.status).toBe(303);
    expect(sign.headers.get("location")).toBe(
      `${jrd.url}/like?object=${encodeURIComponent(noteUriOf(t, d.id))}&content=`,
    );
    expect(jrd.asked.at(-1)).toBe(account);
    const follow = await interactAs(t, { account, intent: "follow" });
    expect(follow.status).toBe(303);
    expect(follow.headers.get("location")).toBe(
      `${jrd.url}/follow?object=${encodeURIComponent("https://undersign.test/d/test-declaration")}`,
    );
  });

  it("falls back to the Object intent, then to OStatus subscribe; skips templates that are not http(s)", async () => {
    const { t, d } = await site(ALLOW_PRIVATE);
    const account = `${jrd.url}/users/alice`;
    jrd.status = 200;
    jrd.links = [
      { rel: "https://w3id.org/fep/3b86/Like", template: "javascript:alert({object})" },
      { rel: "https://w3id.org/fep/3b86/Object", template: `${jrd.url}/object?o={object}` },
      { rel: "http://ostatus.org/schema/1.0/subscribe", template: `${jrd.url}/authorize_interaction?uri={uri}` },
    ];
    expect((await interactAs(t, { account, intent: "sign" })).headers.get("location")).toBe(
      `${jrd.url}/object?o=${encodeURIComponent(noteUriOf(t, d.id))}`,
    );
    jrd.links = [
      { rel: "http://ostatus.org/schema/1.0/subscribe", template: `${jrd.url}/authorize_interaction?uri={uri}` },
    ];
    expect((await interactAs(t, { account, intent: "follow" })).headers.get("location")).toBe(
      `${jrd.url}/authorize_interaction?uri=${encodeURIComponent("https://undersign.test/d/test-declaration")}`,
    );
  });

  it("signs the actor while the announcement is not posted yet", async () => {
    const t = await createTestApp({ env: ALLOW_PRIVATE });
    addDeclaration(t.db);
    jrd.status = 200;
    jrd.links = [{ rel: "https://w3id.org/fep/3b86/Like", template: `${jrd.url}/like?object={object}` }];
    const res = await interactAs(t, { account: `${jrd.url}/users/alice`, intent: "sign" });
    expect(res.headers.get("location")).toBe(
      `${jrd.url}/like?object=${encodeURIComponent("https://undersign.test/d/test-declaration")}`,
    );
  });

  it("says when the account does not exist, the server did not answer, or offers no way to interact (422)", async () => {
    const { t } = await site(ALLOW_PRIVATE);
    jrd.status = 404;
    let res = await interactAs(t, { account: `${jrd.url}/users/nobody`, intent: "sign" });
    expect(res.status).toBe(422);
    expect(pageText(await res.text())).toContain(
      `We could not find ${jrd.url}/users/nobody: its server says there is no such account.`,
    );

    const closed = await startServer(new Hono());
    await closed.close();
    res = await interactAs(t, { account: `${closed.url}/users/alice`, intent: "sign" });
    expect(res.status).toBe(422);
    expect(pageText(await res.text())).toContain(`its server (127.0.0.1) did not answer`);

    // Fedify's WebFinger client asks https:// for a handle: a plain-http server cannot answer.
    res = await interactAs(t, { account: `alice@${new URL(jrd.url).host}`, intent: "follow" });
    expect(res.status).toBe(422);
    expect(pageText(await res.text())).toContain(
      `We could not find alice@${new URL(jrd.url).host}: its server (127.0.0.1) did not answer`,
    );

    jrd.status = 200;
    jrd.links = [{ rel: "self", type: "application/activity+json", href: `${jrd.url}/users/alice` }];
    res = await interactAs(t, { account: `${jrd.url}/users/alice`, intent: "follow" });
    expect(res.status).toBe(422);
    const text = pageText(await res.text());
    expect(text).toContain(
      "127.0.0.1 did not tell us where to follow from there. Search for @test-declaration@undersign.test on your server instead.",
    );
  });

  it("finds a real (Fedify) server's account by its profile URL", async () => {
    const { t } = await site(ALLOW_PRIVATE);
    // The stand-in's WebFinger answers for its actor URL; it offers no intents, like a minimal server.
    const res = await interactAs(t, { account: remote.actorUri("alice"), intent: "sign" });
    expect(res.status).toBe(422);
    expect(pageText(await res.text())).toMatch(
      /did not tell us where to favourite posts from there\. Search for https:\/\/undersign\.test\/ap\/notes\//,
    );
  });

  it("refuses blocked servers (422)", async () => {
    const { t } = await site(ALLOW_PRIVATE);
    addDomainBlock(t.db, "blocked.example", "", new Date());
    const res = await interactAs(t, { account: "@ada@sub.blocked.example", intent: "sign" });
    expect(res.status).toBe(422);
    expect(pageText(await res.text())).toContain("This site does not exchange messages with sub.blocked.example.");
  });

  it("limits lookups per client (429)", async () => {
    const { t } = await site();
    const csrf = await csrfFrom(t.app, INTERACT);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++)
      statuses.push((await postForm(t.app, INTERACT, { account: "ada@127.0.0.1", intent: "sign" }, { csrf })).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(422));
    expect(statuses[10]).toBe(429);
  });
});

describe("GET /interact?uri=…", () => {
  it("sends our own actor, posts and handles to the Declaration's page", async () => {
    const { t, d } = await site();
    const article = getPost(t.db, d.id, "article")!;
    for (const uri of [
      "https://undersign.test/d/test-declaration",
      noteUriOf(t, d.id),
      `https://undersign.test/ap/articles/${article.uuid}`,
      "acct:test-declaration@undersign.test",
      "@test-declaration@undersign.test",
    ]) {
      const res = await t.app.request(`/interact?uri=${encodeURIComponent(uri)}`);
      expect(res.status, uri).toBe(303);
      expect(res.headers.get("location"), uri).toBe("/d/test-declaration");
    }
  });

  it.each([
    ["", 400, "The address is missing"],
    ["not an address", 400, "neither a web address"],
    ["ftp://files.example/x", 400, "neither a web address"],
    ["https://", 400, "neither a web address"],
    [`https://social.example/${"x".repeat(2000)}`, 400, "longer than 2000 characters"],
    ["https://undersign.test/d/nope", 404, "is not a Declaration or one of its posts"],
    ["https://undersign.test/about", 404, "is not a Declaration or one of its posts"],
    [
      "https://undersign.test/ap/notes/00000000-0000-4000-8000-000000000000",
      404,
      "is not a Declaration or one of its posts",
    ],
    ["nobody@undersign.test", 404, "There is no Declaration “nobody” here."],
  ])("answers %j with %i", async (uri, status, message) => {
    const { t } = await site();
    const res = await t.app.request(`/interact?uri=${encodeURIComponent(uri)}`);
    expect(res.status).toBe(status);
    expect(pageText(await res.text())).toContain(message);
  });

  it("refuses private addresses unless allowed", async () => {
    const { t } = await site();
    const res = await t.app.request(`/interact?uri=${encodeURIComponent(remote.actorUri("alice"))}`);
    expect(res.status).toBe(400);
    expect(pageText(await res.text())).toContain("This address (uri) is private or local");
  });

  it("looks up another server's account and post and describes them", async () => {
    const { t } = await site(ALLOW_PRIVATE);
    let res = await t.app.request(`/interact?uri=${encodeURIComponent(remote.actorUri("alice"))}`);
    expect(res.status).toBe(200);
    let html = await res.text();
    let text = pageText(html);
    expect(text).toContain("Person");
    expect(text).toContain(`@alice@${remote.host}`);
    expect(tags(html, "a").find((a) => a.rel === "nofollow noopener noreferrer")?.href).toMatch(
      new RegExp(`^${remote.origin}/`),
    );

    const post = await remote.post("alice", "<p>Hello <strong>world</strong> &amp; friends</p>");
    res = await t.app.request(`/interact?uri=${encodeURIComponent(post)}`);
    expect(res.status).toBe(200);
    html = await res.text();
    text = pageText(html);
    expect(text).toContain("Note");
    expect(text).toContain("Hello world & friends");
    expect(html).not.toContain("<strong>world</strong>");

    res = await t.app.request(`/interact?uri=${encodeURIComponent(`${remote.origin}/users/nobody`)}`);
    expect(res.status).toBe(404);
    expect(pageText(await res.text())).toContain("We could not fetch anything from this address");
  });

  it("refuses blocked servers (403)", async () => {
    const { t } = await site(ALLOW_PRIVATE);
    addDomainBlock(t.db, "127.0.0.1", "", new Date());
    const res = await t.app.request(`/interact?uri=${encodeURIComponent(remote.actorUri("alice"))}`);
    expect(res.status).toBe(403);
  });
});

describe("our posts in a browser", () => {
  it("redirects /ap/notes/{uuid} and /ap/articles/{uuid} to the Declaration; ActivityPub clients still get JSON", async () => {
    const { t, d } = await site();
    const note = getPost(t.db, d.id, "announcement")!;
    const article = getPost(t.db, d.id, "article")!;
    for (const path of [`/ap/notes/${note.uuid}`, `/ap/articles/${article.uuid}`]) {
      const res = await t.app.request(path, { headers: { Accept: "text/html" } });
      expect(res.status, path).toBe(303);
      expect(res.headers.get("location")).toBe("/d/test-declaration");
    }
    const json = await t.app.request(`/ap/notes/${note.uuid}`, { headers: { Accept: "application/activity+json" } });
    expect(json.status).toBe(200);
    expect(((await json.json()) as { type: string }).type).toBe("Note");
    // The wrong kind, an unknown or malformed uuid, or a draft's post: 404.
    for (const path of [
      `/ap/articles/${note.uuid}`,
      `/ap/notes/${article.uuid}`,
      "/ap/notes/00000000-0000-4000-8000-000000000000",
      "/ap/notes/not-a-uuid",
    ]) {
      expect((await t.app.request(path)).status, path).toBe(404);
    }
    t.db.update(declarations).set({ status: "draft" }).run();
    expect((await t.app.request(`/ap/notes/${note.uuid}`)).status).toBe(404);
  });
});

describe("fediverse signatures in the lists", () => {
  it("show avatar, display name linked to the profile, and handle; browser signatures stay as they were", async () => {
    const { t, d } = await site();
    addSignature(t.db, d, { name: "Browser Signer", website: "https://browser.example/" });
    const ada = remoteActor(t.db, "ada", { name: "Ada L." });
    fediverseSignature(t.db, d, ada);
    for (const path of ["/d/test-declaration", "/d/test-declaration/signatures"]) {
      const html = await (await t.app.request(path)).text();
      expect(listedNames(html).slice(0, 2), path).toEqual(["Ada L.", "Browser Signer"]);
      const text = pageText(html);
      expect(text).toContain("Ada L. @ada@social.example");
      expect(tags(html, "a").find((a) => a.href === "https://social.example/@ada")?.rel).toBe(
        "nofollow ugc noopener noreferrer",
      );
      const avatar = tags(html, "img").find((i) => i.class === "avatar");
      expect(avatar?.src).toMatch(new RegExp(`^/media/avatars/${ada.id}\\?v=[A-Za-z0-9_-]{10}$`));
      expect(avatar?.alt).toBe("");
      expect(tags(html, "a").find((a) => a.href === "https://browser.example/")).toBeTruthy();
    }
  });

  it("are in the JSON API with handle and profile URL", async () => {
    const { t, d } = await site();
    addSignature(t.db, d, { name: "Browser Signer" });
    fediverseSignature(t.db, d, remoteActor(t.db, "ada"));
    const body = (await (await t.app.request("/api/declarations/test-declaration/signatures")).json()) as {
      signatures: Record<string, unknown>[];
    };
    expect(body.signatures[0]).toMatchObject({
      kind: "fediverse",
      name: "Ada Example",
      website: "https://social.example/@ada",
      handle: "@ada@social.example",
      profileUrl: "https://social.example/@ada",
    });
    expect(body.signatures[1]!.kind).toBe("browser");
    expect(body.signatures[1]).not.toHaveProperty("handle");
  });
});

describe("the actors' images", () => {
  it("are served as static assets at their sizes (avatar 400×400, header 1500×500)", async () => {
    const t = await createTestApp();
    for (const [name, width, height] of [
      ["avatar.png", 400, 400],
      ["header.png", 1500, 500],
    ] as const) {
      const res = await t.app.request(`/static/${name}`);
      expect(res.status, name).toBe(200);
      expect(res.headers.get("content-type")).toBe("image/png");
      const png = Buffer.from(await res.arrayBuffer());
      // The IHDR chunk: width and height, big-endian, at bytes 16 and 20.
      expect([png.readUInt32BE(16), png.readUInt32BE(20)], name).toEqual([width, height]);
    }
  });
});

describe("GET /media/avatars/{id}", () => {
  function actorWithIcon(t: App, path: string | null) {
    return remoteActor(t.db, `u${Math.random().toString(36).slice(2, 8)}`, {
      iconUrl: path == null ? null : `${images.url}${path}`,
    });
  }

  async function avatar(t: App, id: number) {
    const res = await t.app.request(`/media/avatars/${id}`);
    return { res, body: Buffer.from(await res.arrayBuffer()) };
  }

  it("serves a PNG from a loopback server when allowed, with type, nosniff and a day's caching; then from memory", async () => {
    const t = await createTestApp({ env: ALLOW_PRIVATE });
    const a = actorWithIcon(t, "/png");
    const before = images.hits["/png"] ?? 0;
    const { res, body } = await avatar(t, a.id);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("cache-control")).toBe("public, max-age=86400, s-maxage=86400, stale-while-revalidate=10");
    expect(body.equals(images.png)).toBe(true);
    await avatar(t, a.id);
    expect(images.hits["/png"]).toBe(before + 1);
  });

  it("recognises formats by their bytes and follows a redirect", async () => {
    const t = await createTestApp({ env: ALLOW_PRIVATE });
    const webp = await avatar(t, actorWithIcon(t, "/webp-as-octets").id);
    expect(webp.res.headers.get("content-type")).toBe("image/webp");
    const redirected = await avatar(t, actorWithIcon(t, "/redirect").id);
    expect(redirected.body.equals(images.png)).toBe(true);
  });

  it.each(["/svg", "/html-as-png", "/huge", "/huge-stream", "/missing"])(
    "serves the default avatar for %s",
    async (path) => {
      const t = await createTestApp({ env: ALLOW_PRIVATE });
      const { res, body } = await avatar(t, actorWithIcon(t, path).id);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("image/png");
      expect(body.equals(DEFAULT_AVATAR)).toBe(true);
    },
  );

  it("gives up on a slow server after 5 seconds", async () => {
    const t = await createTestApp({ env: ALLOW_PRIVATE });
    const started = Date.now();
    const { body } = await avatar(t, actorWithIcon(t, "/slow").id);
    expect(body.equals(DEFAULT_AVATAR)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(4500);
    expect(Date.now() - started).toBeLessThan(6900);
  });

  it("never contacts a private address unless allowed", async () => {
    const t = await createTestApp();
    const before = images.hits["/png"] ?? 0;
    const { body } = await avatar(t, actorWithIcon(t, "/png").id);
    expect(body.equals(DEFAULT_AVATAR)).toBe(true);
    expect(images.hits["/png"] ?? 0).toBe(before);
    // A name that resolves to loopback is refused too.
    const named = remoteActor(t.db, "local", { iconUrl: `http://localhost:${new URL(images.url).port}/png` });
    expect((await avatar(t, named.id)).body.equals(DEFAULT_AVATAR)).toBe(true);
    expect(images.hits["/png"] ?? 0).toBe(before);
  });

  it("serves the default avatar for accounts without one or unknown; 404 for a malformed id", async () => {
    const t = await createTestApp({ env: ALLOW_PRIVATE });
    expect((await avatar(t, actorWithIcon(t, null).id)).body.equals(DEFAULT_AVATAR)).toBe(true);
    expect((await avatar(t, 999_999)).body.equals(DEFAULT_AVATAR)).toBe(true);
    expect((await t.app.request("/media/avatars/abc")).status).toBe(404);
    expect((await t.app.request("/media/avatars/0")).status).toBe(404);
  });
});

describe("responses", () => {
  async function withResponses() {
    const { t, d } = await site();
    const ada = remoteActor(t.db, "ada", { name: "Ada L." });
    const bo = remoteActor(t.db, "bo");
    const visible = response(
      t.db,
      d,
      ada,
      '<p>I signed! <a href="https://social.example/tags/x">#x</a></p><script>alert(1)</script>',
      {
        published: new Date(Date.UTC(2026, 0, 10)),
      },
    );
    const warned = response(t.db, d, bo, "<p>Spoilers inside</p>", {
      summary: "Long thread",
      published: new Date(Date.UTC(2026, 0, 11)),
    });
    const hidden = response(t.db, d, bo, "<p>Rude words</p>", { published: new Date(Date.UTC(2026, 0, 12)) });
    t.db.update(fedResponses).set({ hidden: true }).where(eq(fedResponses.id, hidden)).run();
    createAccount(t.db, { username: "owner", passwordHash: "unused", role: "author" });
    createAccount(t.db, { username: "boss", passwordHash: "unused", role: "admin" });
    t.db.$client.prepare("UPDATE declarations SET owner_id = (SELECT id FROM accounts WHERE username = 'owner')").run();
    return { t, d, visible, warned, hidden };
  }

  it("are listed under the Declaration with author, handle, date, link and content warning; hidden ones are not", async () => {
    const { t, visible, warned } = await withResponses();
    const html = await (await t.app.request("/d/test-declaration")).text();
    const text = pageText(html);
    expect(text).toContain("Responses from the fediverse");
    expect(text).toContain("Ada L. @ada@social.example January 10, 2026 I signed!");
    expect(html).toContain(`id="response-${visible}"`);
    expect(
      tags(html, "a").some((a) => a.class === "response-date" && a.href!.startsWith("https://social.example/@ada/")),
    ).toBe(true);
    expect(tags(html, "a").find((a) => a.class === "author-name")?.href).toBe("https://social.example/@ada");
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).toMatch(
      new RegExp(`id="response-${warned}"[\\s\\S]*?<details class="content-warning"><summary>Long thread</summary>`),
    );
    expect(text).not.toContain("Rude words");
    expect(html).not.toContain("/responses/");
  });

  it("the owner and admins see hidden ones, marked, with Hide/Show buttons; the page is then theirs alone", async () => {
    const { t, hidden, visible } = await withResponses();
    for (const who of ["owner", "boss"]) {
      const res = await getAs(t, "/d/test-declaration", await loggedIn(t, who));
      expect(res.headers.get("cache-control")).toBe("no-store");
      const html = await res.text();
      expect(pageText(html)).toContain("Rude words");
      expect(pageText(html)).toContain("Hidden: only the Declaration’s owner and the site’s owner see this response.");
      const actions = tags(html, "form").map((f) => f.action);
      expect(actions).toContain(`/d/test-declaration/responses/${hidden}/show`);
      expect(actions).toContain(`/d/test-declaration/responses/${visible}/hide`);
    }
    const other = await getAs(t, "/d/test-declaration", await loggedIn(t, "someone"));
    expect(pageText(await other.text())).not.toContain("Rude words");
  });

  it("hide and show (owner or admin, CSRF) change what everyone sees", async () => {
    const { t, visible } = await withResponses();
    expect(pageText(await (await t.app.request("/d/test-declaration")).text())).toContain("I signed!");
    const owner = await loggedIn(t, "owner");
    const res = await postForm(t.app, `/d/test-declaration/responses/${visible}/hide`, {}, { csrf: owner });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/d/test-declaration#response-${visible}`);
    expect(pageText(await (await t.app.request("/d/test-declaration")).text())).not.toContain("I signed!");
    const boss = await loggedIn(t, "boss");
    expect((await postForm(t.app, `/d/test-declaration/responses/${visible}/show`, {}, { csrf: boss })).status).toBe(
      303,
    );
    expect(pageText(await (await t.app.request("/d/test-declaration")).text())).toContain("I signed!");
  });

  it("refuses others (403), a missing token (403) and unknown responses (404), changing nothing", async () => {
    const { t, visible } = await withResponses();
    const path = `/d/test-declaration/responses/${visible}/hide`;
    const someone = await loggedIn(t, "someone");
    let res = await postForm(t.app, path, {}, { csrf: someone });
    expect(res.status).toBe(403);
    expect(pageText(await res.text())).toContain(
      "Only the owner of this Declaration and the site’s owner can hide or show responses.",
    );
    expect((await postForm(t.app, path, {}, { csrf: await csrfFrom(t.app, INTERACT) })).status).toBe(403);
    const owner = await loggedIn(t, "owner");
    res = await postForm(t.app, path, {}, { csrf: { cookie: owner.cookie, csrf: "forged" } });
    expect(res.status).toBe(403);
    expect((await postForm(t.app, "/d/test-declaration/responses/99999/hide", {}, { csrf: owner })).status).toBe(404);
    expect((await postForm(t.app, "/d/test-declaration/responses/abc/hide", {}, { csrf: owner })).status).toBe(404);
    expect((await postForm(t.app, `/d/nope/responses/${visible}/hide`, {}, { csrf: owner })).status).toBe(404);
    expect(t.db.select().from(fedResponses).where(eq(fedResponses.id, visible)).get()!.hidden).toBe(false);
  });
});

describe("GET /tags/{tag}", () => {
  it("lists published Declarations with the hashtag, ignoring case", async () => {
    const { t } = await site();
    addDeclaration(t.db, { slug: "other", title: "Other Declaration", hashtags: ["socialmediastrike", "More"] });
    addDeclaration(t.db, { slug: "untagged", title: "Untagged Declaration", hashtags: ["Elsewhere"] });
    addDeclaration(t.db, { slug: "hidden", title: "Draft Declaration", hashtags: ["SocialMediaStrike"] });
    t.db.update(declarations).set({ status: "draft" }).where(eq(declarations.slug, "hidden")).run();
    const res = await t.app.request("/tags/SOCIALMEDIASTRIKE");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(/<h1 class="page-title">#(SocialMediaStrike|socialmediastrike)<\/h1>/);
    const titles = tags(html, "a").map((a) => a.href);
    expect(titles).toEqual(expect.arrayContaining(["/d/test-declaration", "/d/other"]));
    expect(titles).not.toContain("/d/untagged");
    expect(titles).not.toContain("/d/hidden");
  });

  it("says when nothing here has it, and refuses what is not a hashtag (400)", async () => {
    const { t } = await site();
    const none = await t.app.request("/tags/nothing");
    expect(none.status).toBe(200);
    expect(pageText(await none.text())).toContain("Nothing on this site has the hashtag #nothing yet.");
    const unicode = await t.app.request(`/tags/${encodeURIComponent("Überwachung")}`);
    expect(unicode.status).toBe(200);
    for (const bad of ["a-b", "a%20b", "x".repeat(101)]) {
      const res = await t.app.request(`/tags/${bad}`);
      expect(res.status, bad).toBe(400);
      expect(pageText(await res.text())).toContain("A hashtag has letters, digits and underscores only");
    }
  });
});

describe("with a real server on the other side", () => {
  it("shows what came through the inbox: a follower, a signer with the proxied avatar, a response", async () => {
    const instance = await startInstance();
    try {
      const d = addDeclaration(instance.db);
      await instance.publish();
      const page = async () => (await fetch(`${instance.origin}/d/test-declaration`)).text();
      expect(pageText(await page())).toContain("0 followers");
      const note = `${instance.origin}/ap/notes/${getPost(instance.db, d.id, "announcement")!.uuid}`;
      await remote.follow("alice", `${instance.origin}/d/test-declaration`);
      await remote.like("alice", note);
      await remote.reply("alice", note, "<p>Count me in.</p>");
      const html = await page();
      const text = pageText(html);
      expect(text).toContain("1 follower");
      expect(text).toContain(`@alice@${remote.host}`);
      expect(text).toContain("Count me in.");
      const src = tags(html, "img").find((i) => i.class === "avatar")!.src!;
      expect(src).toMatch(/^\/media\/avatars\/\d+\?v=/);
      const proxied = await fetch(`${instance.origin}${src}`);
      expect(proxied.headers.get("content-type")).toBe("image/png");
      const original = Buffer.from(await (await fetch(`${remote.origin}/avatars/alice.png`)).arrayBuffer());
      expect(Buffer.from(await proxied.arrayBuffer()).equals(original)).toBe(true);
    } finally {
      await instance.close();
    }
  });
});
