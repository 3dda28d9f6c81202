/**
 * /bot without an account here: a striker signs in with the Mastodon-API
 * account the bot posts from (a bot identity), comes back later, signs out
 * and disconnects; the OAuth callback refuses forged, reused, expired and
 * other browsers' states, codes and tokens from another server, and a server
 * that names an account elsewhere; a server that fails or never answers, and
 * bad addresses, get clear errors with the input kept.  Against the
 * Mastodon-API server on loopback.
 */
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { runBotPass } from "../../src/bot/scheduler.ts";
import { countBotSessions } from "../../src/db/bot-sign-in.ts";
import { accounts, botAuthorizations, botConnections, botSessions } from "../../src/db/schema.ts";
import { getAs, loggedIn } from "../helpers/accounts.ts";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { csrfFrom, inputValue, pageText, postForm, withCookies, type CsrfPair } from "../helpers/forms.ts";
import { startMastodonApi, type MastodonApiServer } from "../helpers/mastodon-api.ts";
import { planFields } from "./bot-plan-fields.ts";

const KEY = randomBytes(32).toString("hex");
const servers: MastodonApiServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close().catch(() => undefined)));
});

async function mastodon(username = "striker") {
  const server = await startMastodonApi({ account: { username, display_name: "Strik Er" } });
  servers.push(server);
  return server;
}

async function setup(origin?: string) {
  const t = await createTestApp({
    env: { BOT_TOKEN_KEY: KEY, FEDERATION_ALLOW_PRIVATE_ADDRESS: "true" },
    ...(origin == null ? {} : { origin }),
  });
  addDeclaration(t.db);
  return t;
}
type T = Awaited<ReturnType<typeof setup>>;

/** A visitor's browser: the /bot page's CSRF cookie and token, nothing else. */
const visitor = (t: T) => csrfFrom(t.app, "/bot");

/** /bot/connect in `browser`: the browser afterwards and the server's authorize URL. */
async function start(t: T, browser: CsrfPair, server: MastodonApiServer) {
  const res = await postForm(t.app, "/bot/connect", { server: server.url }, { csrf: browser });
  expect(res.status).toBe(303);
  const authorize = new URL(res.headers.get("location")!);
  expect(authorize.origin + authorize.pathname).toBe(`${server.url}/oauth/authorize`);
  return { browser: withCookies(browser, res), authorize };
}

/** The server's answer (auto-approved): the path and query of our callback. */
async function approve(authorize: URL): Promise<string> {
  const approved = await fetch(authorize, { redirect: "manual" });
  expect(approved.status).toBe(302);
  const back = new URL(approved.headers.get("location")!);
  expect(back.origin + back.pathname).toBe(`${authorize.searchParams.get("redirect_uri")}`);
  expect(back.pathname).toBe("/bot/callback");
  return back.pathname + back.search;
}

/** Sign in as the server's account: the browser signed in and the callback's answer. */
async function signIn(t: T, server: MastodonApiServer, browser?: CsrfPair) {
  const started = await start(t, browser ?? (await visitor(t)), server);
  const done = await getAs(t, await approve(started.authorize), started.browser);
  return { browser: withCookies(started.browser, done), done };
}

const accountCount = (t: T) => t.db.select().from(accounts).all().length;

describe("signing in to /bot with a fediverse account", () => {
  it("signs a visitor in as @user@server with no account here, in a private HttpOnly cookie", async () => {
    const t = await setup();
    const server = await mastodon();
    const before = accountCount(t);
    const { done, browser } = await signIn(t, server);
    expect(done.status).toBe(303);
    const location = done.headers.get("location")!;
    expect(location).toMatch(/^\/bot\/\d+\?done=signed-in$/);
    const cookie = done.headers.getSetCookie().find((c) => c.startsWith("__Host-bot-session="))!;
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\//);
    expect(accountCount(t)).toBe(before);
    const row = t.db.select().from(botConnections).get()!;
    expect(row.accountId).toBeNull();
    expect(row.acct).toBe(`striker@${server.host}`);
    // The scopes are the bot's own, nothing more.
    expect(server.tokens.at(-1)!.scopes.sort()).toEqual([
      "read:accounts",
      "read:statuses",
      "write:media",
      "write:statuses",
    ]);
    const page = await getAs(t, location, browser);
    expect(page.status).toBe(200);
    expect(page.headers.get("cache-control")).toBe("private, no-store");
    const html = await page.text();
    expect(pageText(html)).toContain("You are signed in with your fediverse account");
    expect(html).not.toContain(server.tokens.at(-1)!.token);
    const home = pageText(await (await getAs(t, "/bot", browser)).text());
    expect(home).toContain(`Signed in as @striker@${server.host}`);
    expect(home).toContain("Connected: no plan yet");
    expect(home).not.toContain("Sign in with your fediverse account");
  });

  it("names its cookies without __Host- and without Secure on a site served over http", async () => {
    const t = await setup("http://undersign.test");
    const { done } = await signIn(t, await mastodon());
    expect(done.status).toBe(303);
    const cookie = done.headers.getSetCookie().find((c) => c.startsWith("bot-session="))!;
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).not.toMatch(/; Secure/);
  });

  it("comes back later on the same cookie, plans, and a new sign-in finds the same bot with its plan", async () => {
    const t = await setup();
    const server = await mastodon();
    const first = await signIn(t, server);
    const path = first.done.headers.get("location")!.split("?")[0]!;
    // Later: only the sign-in cookie and a fresh page's form token.
    const later = withCookies(await csrfFrom(t.app, "/bot"), new Response(null));
    const signInCookie = first.browser.cookie.split("; ").find((c) => c.startsWith("__Host-bot-session="))!;
    const back = { ...later, cookie: `${later.cookie}; ${signInCookie}` };
    expect((await getAs(t, path, back)).status).toBe(200);
    const saved = await postForm(
      t.app,
      `${path}/plan`,
      planFields({ cadence: "12", timeZone: "UTC", "day-2027-07-05": undefined }),
      { csrf: back },
    );
    expect(saved.status).toBe(303);
    await runBotPass(t.bot!.context);
    expect(server.scheduled).toHaveLength(2);
    const firstToken = server.tokens.at(-1)!;
    // Another browser (the phone): signing in with the same account opens the same bot.
    const again = await signIn(t, server);
    expect(again.done.headers.get("location")!.split("?")[0]).toBe(path);
    expect(t.db.select().from(botConnections).all()).toHaveLength(1);
    expect(pageText(await (await getAs(t, path, again.browser)).text())).toContain("The bot is on.");
    // The replaced token is revoked there; both browsers stay signed in.
    expect(firstToken.revoked_at).not.toBeNull();
    expect((await getAs(t, path, back)).status).toBe(200);
    expect(countBotSessions(t.db, Number(path.split("/")[2]))).toBe(2);
  });

  it("signs out: the cookie and its sign-in are gone, the bot and its token stay", async () => {
    const t = await setup();
    const server = await mastodon();
    const { browser, done } = await signIn(t, server);
    const path = done.headers.get("location")!.split("?")[0]!;
    const out = await postForm(t.app, "/bot/signout", {}, { csrf: browser });
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toBe("/bot?done=signed-out");
    expect(out.headers.getSetCookie().some((c) => /^__Host-bot-session=;/.test(c))).toBe(true);
    expect(t.db.select().from(botSessions).all()).toEqual([]);
    // The old cookie, replayed, opens nothing.
    const replay = await getAs(t, path, browser);
    expect(replay.status).toBe(303);
    expect(replay.headers.get("location")).toBe("/bot");
    const after = withCookies(browser, out);
    expect(pageText(await (await getAs(t, "/bot?done=signed-out", after)).text())).toContain("You are signed out");
    expect(t.db.select().from(botConnections).all()).toHaveLength(1);
    expect(server.tokens.at(-1)!.revoked_at).toBeNull();
  });

  it("disconnects: the token is revoked at the server, the bot, its plan and its sign-ins deleted here", async () => {
    const t = await setup();
    const server = await mastodon();
    const { browser, done } = await signIn(t, server);
    const path = done.headers.get("location")!.split("?")[0]!;
    await postForm(t.app, `${path}/plan`, planFields({ cadence: "12", timeZone: "UTC", "day-2027-07-05": undefined }), {
      csrf: browser,
    });
    await runBotPass(t.bot!.context);
    expect(server.scheduled).toHaveLength(2);
    const res = await postForm(t.app, `${path}/disconnect`, {}, { csrf: browser });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/bot?done=disconnected");
    expect(server.requests.some((r) => r.method === "POST" && r.path === "/oauth/revoke")).toBe(true);
    expect(server.tokens.at(-1)!.revoked_at).not.toBeNull();
    expect(server.scheduled).toHaveLength(0);
    expect(t.db.select().from(botConnections).all()).toEqual([]);
    expect(t.db.select().from(botSessions).all()).toEqual([]);
    expect(res.headers.getSetCookie().some((c) => /^__Host-bot-session=;/.test(c))).toBe(true);
    expect((await getAs(t, path, browser)).status).toBe(303);
  });

  it("lets a bot identity whose access the server revoked sign in again, and forgets an expired sign-in", async () => {
    const t = await setup();
    const server = await mastodon();
    const first = await signIn(t, server);
    const path = first.done.headers.get("location")!.split("?")[0]!;
    await postForm(t.app, `${path}/plan`, planFields({ cadence: "12", timeZone: "UTC", "day-2027-07-05": undefined }), {
      csrf: first.browser,
    });
    server.revokeAll();
    await runBotPass(t.bot!.context);
    expect(pageText(await (await getAs(t, path, first.browser)).text())).toContain("The bot has stopped");
    const home = await (await getAs(t, "/bot", first.browser)).text();
    expect(pageText(home)).toContain("Stopped: connect again");
    expect(inputValue(home, "server")).toBe("");
    const again = await signIn(t, server, first.browser);
    expect(again.done.headers.get("location")).toBe(`${path}?done=signed-in`);
    expect(t.db.select().from(botConnections).get()!.status).toBe("active");

    t.db
      .update(botSessions)
      .set({ expires: new Date(Date.now() - 1000) })
      .run();
    const expired = await getAs(t, path, again.browser);
    expect(expired.status).toBe(303);
    expect(expired.headers.get("location")).toBe("/bot");
    expect(expired.headers.getSetCookie().some((c) => /^__Host-bot-session=;/.test(c))).toBe(true);
  });

  it("keeps bot identities and accounts here out of each other's bots", async () => {
    const t = await setup();
    const server = await mastodon();
    const alice = await signIn(t, server);
    const alicePath = alice.done.headers.get("location")!.split("?")[0]!;
    server.addAccount({ username: "bob" });
    server.authorization.username = "bob";
    const bob = await signIn(t, server);
    const bobPath = bob.done.headers.get("location")!.split("?")[0]!;
    expect(bobPath).not.toBe(alicePath);
    expect((await getAs(t, alicePath, bob.browser)).status).toBe(404);
    expect((await postForm(t.app, `${alicePath}/disconnect`, {}, { csrf: bob.browser })).status).toBe(404);
    const local = await loggedIn(t, "local");
    expect((await getAs(t, alicePath, local)).status).toBe(404);
    expect(t.db.select().from(botConnections).all()).toHaveLength(2);
  });

  it("is described on /privacy: what is stored for a bot identity, and when it goes", async () => {
    const t = await setup();
    const text = pageText(await (await t.app.request("/privacy")).text());
    expect(text).toContain("when you sign in with that account instead, on its own");
    expect(text).toContain("the site stores only a hash of it, deleted when you sign out or disconnect");
  });

  it("connects for an account here when one is logged in: no bot identity, no sign-in cookie", async () => {
    const t = await setup();
    const server = await mastodon();
    const me = await loggedIn(t, "local");
    const { done } = await signIn(t, server, me);
    expect(done.headers.get("location")).toMatch(/\?done=connected$/);
    expect(done.headers.getSetCookie().some((c) => c.startsWith("__Host-bot-session="))).toBe(false);
    expect(t.db.select().from(botConnections).get()!.accountId).not.toBeNull();
  });
});

describe("the OAuth callback", () => {
  it("refuses a forged, reused, expired or other browser's state, and stores nothing", async () => {
    const t = await setup();
    const server = await mastodon();
    const forged = await getAs(t, "/bot/callback?state=forged&code=abc", await visitor(t));
    expect(forged.status).toBe(400);
    expect(pageText(await forged.text())).toContain("unknown or has expired");

    // The callback link opened in another browser (an attacker's, or planted in the striker's).
    const mine = await start(t, await visitor(t), server);
    const callback = await approve(mine.authorize);
    const elsewhere = await getAs(t, callback, await visitor(t));
    expect(elsewhere.status).toBe(400);
    // …and it was used up there: the striker's own browser cannot replay it either.
    expect((await getAs(t, callback, mine.browser)).status).toBe(400);

    // Used once: the second time is refused.
    const once = await start(t, await visitor(t), server);
    const onceBack = await approve(once.authorize);
    expect((await getAs(t, onceBack, once.browser)).status).toBe(303);
    const replayed = await getAs(t, onceBack, once.browser);
    expect(replayed.status).toBe(400);
    t.db.delete(botConnections).run();

    // Expired: 15 minutes to approve.
    const late = await start(t, await visitor(t), server);
    t.db
      .update(botAuthorizations)
      .set({ expires: new Date(Date.now() - 1000) })
      .run();
    const lateRes = await getAs(t, await approve(late.authorize), late.browser);
    expect(lateRes.status).toBe(400);
    expect(pageText(await lateRes.text())).toContain("you have 15 minutes");

    // A state too long to be ours names what is wrong.
    const long = await getAs(t, `/bot/callback?state=${"x".repeat(500)}&code=abc`, await visitor(t));
    expect(long.status).toBe(400);
    expect(pageText(await long.text())).toContain(
      "The server’s answer (state) is not one this site asked for: Too long: at most 200 characters.",
    );
    expect(t.db.select().from(botConnections).all()).toEqual([]);
    expect(t.db.select().from(botSessions).all()).toEqual([]);
  });

  it("refuses a code from another server presented with this server's state", async () => {
    const t = await setup();
    const a = await mastodon();
    const b = await mastodon();
    const atA = await start(t, await visitor(t), a);
    // The striker's own approval at A is never used; a code from B is slipped in with A's state.
    const state = atA.authorize.searchParams.get("state")!;
    const atB = await start(t, await visitor(t), b);
    const fromB = new URL(await approve(atB.authorize), "https://undersign.test");
    const res = await getAs(t, `/bot/callback?state=${state}&code=${fromB.searchParams.get("code")}`, atA.browser);
    expect(res.status).toBe(422);
    expect(pageText(await res.text())).toContain(`${a.host} refused this`);
    expect(b.grants.at(-1)!.used).toBe(false);
    expect(t.db.select().from(botConnections).all()).toEqual([]);
  });

  it("refuses a server that answers for an account on another server, and revokes the token it gave", async () => {
    const t = await setup();
    const server = await mastodon();
    server.fail("GET /api/v1/accounts/verify_credentials", {
      status: 200,
      body: { ...server.render.account(server.account), acct: "Gargron@mastodon.social" },
    });
    const { done } = await signIn(t, server);
    expect(done.status).toBe(400);
    expect(pageText(await done.text())).toContain(
      `${server.host} answered for an account that is not one of its own (“Gargron@mastodon.social”). Nothing was stored.`,
    );
    expect(server.tokens.at(-1)!.revoked_at).not.toBeNull();
    expect(t.db.select().from(botConnections).all()).toEqual([]);
    expect(done.headers.getSetCookie().some((c) => c.startsWith("__Host-bot-session=") && !c.includes("=;"))).toBe(
      false,
    );
  });
});

describe("signing in: errors", () => {
  it("names the server field for empty, invalid and too long addresses, keeping what was typed", async () => {
    const t = await setup();
    const browser = await visitor(t);
    const cases: [string, number, string][] = [
      ["", 400, "Please give your server’s address"],
      ["   ", 400, "Please give your server’s address"],
      ["not a server", 422, "not a server address"],
      ["http://[::1", 422, "not a server address"],
      [`${"a".repeat(290)}.example.org`, 400, "Too long: at most 300 characters."],
    ];
    for (const [server, status, message] of cases) {
      const res = await postForm(t.app, "/bot/connect", { server }, { csrf: browser });
      expect(res.status, server).toBe(status);
      const html = await res.text();
      expect(/Your server : (.*?) Your server Its address/.exec(pageText(html))?.[1], server).toContain(message);
      expect(inputValue(html, "server"), server).toBe(server.slice(0, 300));
    }
    expect(t.db.select().from(botAuthorizations).all()).toEqual([]);
  });

  it("says so clearly when the server answers 5xx or never answers, at the start and at the callback", async () => {
    const t = await setup();
    (t.bot!.context as { client?: unknown }).client = { timeoutMs: 1_500 };
    const server = await mastodon();
    const browser = await visitor(t);
    server.fail(() => true, { status: 503 });
    const down = await postForm(t.app, "/bot/connect", { server: server.url }, { csrf: browser });
    expect(down.status).toBe(502);
    const downHtml = await down.text();
    expect(pageText(downHtml)).toContain(`${server.host} had a problem answering (HTTP 503). Try again later.`);
    expect(inputValue(downHtml, "server")).toBe(server.url);
    server.clearFailures();
    server.fail("/api/v1/instance", { hang: "request" });
    const silent = await postForm(t.app, "/bot/connect", { server: server.url }, { csrf: browser });
    expect(silent.status).toBe(502);
    expect(pageText(await silent.text())).toContain(`${server.host} did not answer within`);
    server.clearFailures();

    const started = await start(t, browser, server);
    const callback = await approve(started.authorize);
    server.fail("POST /oauth/token", { status: 500 });
    const res = await getAs(t, callback, started.browser);
    expect(res.status).toBe(502);
    // Mastodon's 500 is an HTML page, not its API's JSON.
    expect(pageText(await res.text())).toContain(
      `${server.host} answered with an error page instead of its API. Try again later.`,
    );
    expect(t.db.select().from(botConnections).all()).toEqual([]);

    server.clearFailures();
    const again = await start(t, browser, server);
    const againBack = await approve(again.authorize);
    server.fail("POST /oauth/token", { hang: "request" });
    const hung = await getAs(t, againBack, again.browser);
    expect(hung.status).toBe(502);
    expect(pageText(await hung.text())).toContain(`${server.host} did not answer within`);
    expect(t.db.select().from(botConnections).all()).toEqual([]);
  });

  it("slows down a client that makes the site knock on many servers, keeping what was typed", async () => {
    const t = await setup();
    const browser = await visitor(t);
    for (let i = 0; i < 10; i++)
      expect((await postForm(t.app, "/bot/connect", { server: "http://[::1" }, { csrf: browser })).status).toBe(422);
    const res = await postForm(t.app, "/bot/connect", { server: "mastodon.example" }, { csrf: browser });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    const html = await res.text();
    expect(/Your server : (.*?) Your server Its address/.exec(pageText(html))?.[1]).toMatch(
      /^Too many attempts from your connection: please try again in \d+ seconds\.$/,
    );
    expect(inputValue(html, "server")).toBe("mastodon.example");
  });

  it("refuses servers on private addresses for visitors too, asking them nothing", async () => {
    const t = await createTestApp({ env: { BOT_TOKEN_KEY: KEY } });
    const server = await mastodon();
    const res = await postForm(
      t.app,
      "/bot/connect",
      { server: server.url.replace("http:", "https:") },
      { csrf: await visitor(t as T) },
    );
    expect(res.status).toBe(422);
    expect(pageText(await res.text())).toContain("is not on the public internet");
    expect(server.requests).toEqual([]);
  });

  it("sends the striker only to their server's own authorization page, whatever address they typed", async () => {
    const t = await setup();
    const server = await mastodon();
    const res = await postForm(
      t.app,
      "/bot/connect",
      { server: `${server.url}/@striker/oauth?next=https://evil.example/` },
      { csrf: await visitor(t) },
    );
    expect(res.status).toBe(303);
    const to = new URL(res.headers.get("location")!);
    expect(to.origin).toBe(server.url);
    expect(to.pathname).toBe("/oauth/authorize");
    expect(to.searchParams.get("redirect_uri")).toBe("https://undersign.test/bot/callback");
  });
});
