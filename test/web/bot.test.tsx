/**
 * /bot: connecting a Mastodon account (every bad server named, kept), the
 * OAuth callback's checks, the plan form (every bad input named, kept,
 * nothing saved), the preview, saving and the scheduler's result on the
 * page, pausing, disconnecting, other accounts kept out, and the site
 * without BOT_TOKEN_KEY.  Against the Mastodon-API server on loopback.
 */
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { runBotPass } from "../../src/bot/scheduler.ts";
import { listConnections, listPosts } from "../../src/db/bot.ts";
import { createAccount, findAccountByUsername } from "../../src/db/accounts.ts";
import { botConnections } from "../../src/db/schema.ts";
import { getAs, loggedIn } from "../helpers/accounts.ts";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { planFields } from "./bot-plan-fields.ts";
import {
  inputValue,
  pageText,
  postForm,
  statusNotices,
  textareaText,
  withCookies,
  type CsrfPair,
} from "../helpers/forms.ts";
import { SCHEDULING_MODES, startMastodonApi, type MastodonApiServer } from "../helpers/mastodon-api.ts";

const KEY = randomBytes(32).toString("hex");
const servers: MastodonApiServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function mastodon(options: Parameters<typeof startMastodonApi>[0] = {}) {
  const server = await startMastodonApi({ account: { username: "striker", display_name: "Strik Er" }, ...options });
  servers.push(server);
  return server;
}

async function setup() {
  const t = await createTestApp({ env: { BOT_TOKEN_KEY: KEY, FEDERATION_ALLOW_PRIVATE_ADDRESS: "true" } });
  addDeclaration(t.db);
  const me = await loggedIn(t, "striker");
  return { t, me };
}

type T = Awaited<ReturnType<typeof setup>>["t"];

/** Connect → the server's authorize page (auto-approved) → our callback; returns the connection page's path. */
async function connect(t: T, who: CsrfPair, server: MastodonApiServer): Promise<string> {
  const start = await postForm(t.app, "/bot/connect", { server: server.url }, { csrf: who });
  expect(start.status).toBe(303);
  const me = withCookies(who, start);
  const authorize = new URL(start.headers.get("location")!);
  expect(authorize.origin).toBe(server.url);
  const approved = await fetch(authorize, { redirect: "manual" });
  expect(approved.status).toBe(302);
  const back = new URL(approved.headers.get("location")!);
  expect(back.origin + back.pathname).toBe("https://undersign.test/bot/callback");
  const done = await getAs(t, back.pathname + back.search, me);
  expect(done.status).toBe(303);
  return done.headers.get("location")!;
}

describe("/bot without BOT_TOKEN_KEY", () => {
  it("tells visitors plainly that the bot is not available, and only the site's owner how to set it up", async () => {
    const t = await createTestApp();
    expect(t.bot).toBeNull();
    const someone = await loggedIn(t, "someone");
    createAccount(t.db, { username: "owner", passwordHash: "unused", role: "admin" });
    const owner = await loggedIn(t, "owner");
    for (const [who, path] of [
      [undefined, "/bot"],
      [someone, "/bot"],
      [undefined, "/bot/1"],
    ] as const) {
      const res = await getAs(t, path, who);
      expect(res.status).toBe(503);
      const text = pageText(await res.text());
      expect(text).toContain("The strike bot is not available on this site");
      expect(text).not.toContain("BOT_TOKEN_KEY");
      expect(text).not.toContain("openssl");
    }
    const visitorPost = await postForm(t.app, "/bot/connect", { server: "mastodon.example" }, { csrf: null });
    expect(visitorPost.status).toBe(503);
    expect(pageText(await visitorPost.text())).not.toContain("BOT_TOKEN_KEY");
    const res = await getAs(t, "/bot", owner);
    expect(res.status).toBe(503);
    const text = pageText(await res.text());
    expect(text).toContain("The strike bot is not available on this site");
    expect(text).toContain("BOT_TOKEN_KEY");
    expect(text).toContain("openssl rand -hex 32");
  });
});

describe("/bot", () => {
  it("explains the bot and offers visitors to sign in with their fediverse account, or to log in here", async () => {
    const { t } = await setup();
    const res = await t.app.request("/bot");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    const html = await res.text();
    const text = pageText(html);
    expect(text).toContain("from your own Mastodon account");
    expect(text).toContain("Sign in with your fediverse account");
    expect(html).toContain('href="/login?next=/bot"');
  });

  it("refuses a connect form without its CSRF token", async () => {
    const { t, me } = await setup();
    const res = await t.app.request("/bot/connect", {
      method: "POST",
      headers: { Cookie: me.cookie, "Content-Type": "application/x-www-form-urlencoded" },
      body: "server=x",
    });
    expect(res.status).toBe(403);
    expect(listConnections(t.db, findAccountByUsername(t.db, "striker")!.id)).toEqual([]);
  });

  it("names the server field for every bad server, keeping what was typed", async () => {
    const { t, me } = await setup();
    const notMastodon = await mastodon({ mode: "not-mastodon", software: { name: "misskey", version: "2024.11.0" } });
    const cases: [string, number, string][] = [
      ["", 400, "Please give your server’s address"],
      ["   ", 400, "Please give your server’s address"],
      ["ftp://files.example", 422, "not a server address"],
      ["http://[::1", 422, "not a server address"],
      [notMastodon.url, 422, "does not offer the Mastodon API"],
      ["http://127.0.0.1:9", 502, "Could not reach 127.0.0.1:9"],
    ];
    for (const [server, status, message] of cases) {
      const res = await postForm(t.app, "/bot/connect", { server }, { csrf: me });
      expect(res.status, server).toBe(status);
      const html = await res.text();
      const said = /Your server : (.*?) Your server Its address/.exec(pageText(html))?.[1];
      expect(said, server).toContain(message);
      expect(inputValue(html, "server"), server).toBe(server);
    }
    expect(
      pageText(await (await postForm(t.app, "/bot/connect", { server: notMastodon.url }, { csrf: me })).text()),
    ).toContain("It runs misskey 2024.11.0");
  });

  it("refuses servers on private addresses unless the site allows them", async () => {
    const t = await createTestApp({ env: { BOT_TOKEN_KEY: KEY } });
    const me = await loggedIn(t, "striker");
    const server = await mastodon();
    const res = await postForm(t.app, "/bot/connect", { server: server.url.replace("http:", "https:") }, { csrf: me });
    expect(res.status).toBe(422);
    expect(pageText(await res.text())).toContain("is not on the public internet");
    expect(server.requests).toEqual([]);
    const http = await postForm(t.app, "/bot/connect", { server: server.url }, { csrf: me });
    expect(http.status).toBe(422);
    expect(pageText(await http.text())).toContain("only to servers at an https:// address");
  });

  it("connects an account with PKCE and state, shows who is connected, and never shows the token", async () => {
    const { t, me } = await setup();
    const server = await mastodon();
    const location = await connect(t, me, server);
    expect(location).toMatch(/^\/bot\/\d+\?done=connected$/);
    const grant = server.grants.at(-1)!;
    expect(grant.code_challenge_method).toBe("S256");
    expect(grant.scopes.sort()).toEqual(["read:accounts", "read:statuses", "write:media", "write:statuses"]);
    const token = server.tokens.at(-1)!.token;
    const page = await getAs(t, location, me);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(pageText(html)).toContain(`Strik Er @striker@${server.host}`);
    expect(pageText(html)).toContain("Your account is connected");
    expect(html).not.toContain(token);
    const row = t.db.select().from(botConnections).get()!;
    expect(row.tokenSealed).toMatch(/^v1\./);
    expect(JSON.stringify(row)).not.toContain(token);
    const home = pageText(await (await getAs(t, "/bot", me)).text());
    expect(home).toContain("Connected: no plan yet");
  });

  it("refuses a callback with an unknown, reused or another account's state, and a denied approval", async () => {
    const { t, me } = await setup();
    const server = await mastodon();
    const unknown = await getAs(t, "/bot/callback?state=nope&code=abc", me);
    expect(unknown.status).toBe(400);
    expect(pageText(await unknown.text())).toContain("unknown or has expired");

    const start = await postForm(t.app, "/bot/connect", { server: server.url }, { csrf: me });
    const approved = await fetch(start.headers.get("location")!, { redirect: "manual" });
    const back = new URL(approved.headers.get("location")!);
    const other = await loggedIn(t, "someone-else");
    const stolen = await getAs(t, back.pathname + back.search, other);
    expect(stolen.status).toBe(400);
    // The state is used once, whoever presented it.
    const late = await getAs(t, back.pathname + back.search, me);
    expect(late.status).toBe(400);

    server.authorization.decision = "deny";
    const again = await postForm(t.app, "/bot/connect", { server: server.url }, { csrf: me });
    const denied = await fetch(again.headers.get("location")!, { redirect: "manual" });
    const deniedBack = new URL(denied.headers.get("location")!);
    expect(deniedBack.searchParams.get("error")).toBe("access_denied");
    const res = await getAs(t, deniedBack.pathname + deniedBack.search, withCookies(me, again));
    expect(res.status).toBe(400);
    expect(pageText(await res.text())).toContain("you did not approve the strike bot");
    expect(t.db.select().from(botConnections).all()).toEqual([]);
  });

  it("keeps other accounts out of a connection", async () => {
    const { t, me } = await setup();
    const location = await connect(t, me, await mastodon());
    const path = location.split("?")[0]!;
    const other = await loggedIn(t, "someone-else");
    expect((await getAs(t, path, other)).status).toBe(404);
    expect((await postForm(t.app, `${path}/plan`, planFields(), { csrf: other })).status).toBe(404);
    expect((await postForm(t.app, `${path}/disconnect`, {}, { csrf: other })).status).toBe(404);
    expect((await getAs(t, path)).status).toBe(303);
  });
});

describe("/bot/{id}: the plan", () => {
  it("prefills the plan from the strike's settings", async () => {
    const { t, me } = await setup();
    const path = (await connect(t, me, await mastodon())).split("?")[0]!;
    const html = await (await getAs(t, path, me)).text();
    expect(textareaText(html, "template-1")).toContain("{declaration_url}");
    expect(inputValue(html, "timeZone")).toBe("UTC");
    expect(html).toMatch(/name="day-2027-07-04" value="on" checked/);
    // No alert before anything was sent.
    expect(pageText(html)).not.toContain("Nothing was saved");
    expect(html).not.toContain('role="alert"');
  });

  it("names every bad field, keeps the input and saves nothing", async () => {
    const { t, me } = await setup();
    const server = await mastodon();
    const path = (await connect(t, me, server)).split("?")[0]!;
    const cases: [Record<string, string | undefined>, string, string][] = [
      [
        { "day-2027-07-04": undefined, "day-2027-07-05": undefined },
        "Strike days",
        "Please choose at least one strike day.",
      ],
      [{ "day-2031-01-01": "on" }, "Strike days", "2031-01-01 is not one of the strike's days"],
      [{ cadence: "5" }, "How often", "Please choose how often to post"],
      [{ cadence: "times", times: "" }, "Times of day", "Please give the times of day"],
      [{ cadence: "times", times: "09:00, 25:61" }, "Times of day", "“25:61” is not a time of day"],
      [{ timeZone: "Mars/Olympus" }, "Your time zone", "“Mars/Olympus” is not a time zone we know"],
      [{ declaration: "nope" }, "Declaration", "“nope” is not a published Declaration"],
      [{ "template-1": "" }, "Notice 1", "Please write at least one notice."],
      [{ "template-1": "Hello {nope}" }, "Notice 1", "There is no placeholder {nope}"],
      [{ "template-1": "x".repeat(480) }, "Notice 1", "Filled in, this notice can reach 523 characters"],
      [{ visibility: "direct" }, "Who sees the notices", "Please choose who sees the notices"],
      [{ language: "english" }, "Language", "“english” is not a language code"],
      [{ spoilerText: "w".repeat(201) }, "Content warning", "The content warning is longer than 200 characters."],
      [{ mediaId: "999" }, "Image", "That image is not in the memes gallery"],
      [{ "template-2": "y".repeat(5001) }, "Notice 2", "Too long: at most 5000 characters."],
      [{ times: "9,".repeat(201) }, "Times of day", "Too long: at most 400 characters."],
      [{ timeZone: "Z".repeat(101) }, "Your time zone", "Too long: at most 100 characters."],
    ];
    for (const [overrides, label, message] of cases) {
      const fields = planFields(overrides);
      const res = await postForm(t.app, `${path}/plan`, fields, { csrf: me });
      expect(res.status, label).toBe(400);
      const html = await res.text();
      expect(pageText(html), label).toContain(`${label} : ${message}`);
      // The message also stands by the field itself.
      expect(html, label).toMatch(/<p class="field-error" id="bot-[A-Za-z0-9-]+-error">/);
      if (fields["template-1"]) expect(textareaText(html, "template-1")).toBe(fields["template-1"]);
      expect(inputValue(html, "timeZone")).toBe(fields.timeZone!.slice(0, 100));
    }
    const connection = t.db.select().from(botConnections).get()!;
    expect(connection.plan).toBeNull();
    expect(listPosts(t.db, connection.id)).toEqual([]);
    expect(server.scheduled).toEqual([]);
  });

  it("previews every post with its time in the striker's zone, without saving", async () => {
    const { t, me } = await setup();
    const path = (await connect(t, me, await mastodon())).split("?")[0]!;
    const res = await postForm(
      t.app,
      `${path}/plan`,
      planFields({ action: "preview", cadence: "times", times: "9, 13:30, 9pm", spoilerText: "Strike" }),
      { csrf: me },
    );
    expect(res.status).toBe(200);
    const html = await res.text();
    const text = pageText(html);
    expect(text).toContain("Preview: 6 posts");
    expect(text).toContain("behind the content warning “Strike”");
    expect(text).toContain("Times are in Europe/Berlin");
    const times = [
      ...html.matchAll(/<li class="bot-post"><p class="bot-post-time"><time datetime="([^"]+)">([^<]+)<\/time>/g),
    ].map((m) => [m[1], m[2]]);
    expect(times).toHaveLength(6);
    // 09:00 in Berlin (summer time) is 07:00 UTC; each post goes out within 5 minutes of its slot.
    const first = new Date(times[0]![0]!);
    expect(first.getTime() - Date.parse("2027-07-04T07:00:00Z")).toBeGreaterThanOrEqual(0);
    expect(first.getTime() - Date.parse("2027-07-04T07:00:00Z")).toBeLessThan(5 * 60_000);
    expect(times[0]![1]).toMatch(/^Sun, Jul 4, 09:0\d$/);
    expect(text).toContain("http://localhost/d/test-declaration".replace("http://localhost", "https://undersign.test"));
    expect(t.db.select().from(botConnections).get()!.plan).toBeNull();
  });

  it("saves the plan, and the page shows the posts the scheduler handed to the server", async () => {
    const { t, me } = await setup();
    const server = await mastodon();
    const path = (await connect(t, me, server)).split("?")[0]!;
    const saved = await postForm(t.app, `${path}/plan`, planFields({ "day-2027-07-05": undefined }), { csrf: me });
    expect(saved.status).toBe(303);
    expect(saved.headers.get("location")).toBe(`${path}?done=saved`);
    await runBotPass(t.bot!.context);
    const savedPath = saved.headers.get("location")!;
    // Hourly on one Berlin day: 24 slots, all at least 10 minutes ahead, within the 25-a-day limit per UTC day.
    expect(server.scheduled).toHaveLength(24);
    expect(server.scheduled.every((s) => s.params.visibility === "unlisted" && s.params.language === "en")).toBe(true);
    const savedHtml = await (await getAs(t, savedPath, me)).text();
    expect(statusNotices(savedHtml)).toEqual(["notice success"]);
    // Disconnected here but not on the server: the striker has something left to do, so it is a warning.
    expect(statusNotices(await (await getAs(t, "/bot?done=disconnected-local", me)).text())).toEqual(["notice"]);
    const text = pageText(savedHtml);
    expect(text).toContain("Your plan is saved");
    expect(text).toContain(`24 scheduled. The scheduled ones are held by ${server.host}`);
    expect(text.match(/ Scheduled Held by /g)?.length).toBe(24);
    expect(text).toContain(
      `What ${server.host} supports Scheduled posts: yes. ${server.host} holds the bot’s posts and publishes them at their time, even if this site is down then.`,
    );

    const paused = await postForm(t.app, `${path}/pause`, {}, { csrf: me });
    expect(paused.headers.get("location")).toBe(`${path}?done=paused`);
    await runBotPass(t.bot!.context);
    expect(server.scheduled).toHaveLength(0);
    expect(pageText(await (await getAs(t, path, me)).text())).toContain("The bot is paused");
    await postForm(t.app, `${path}/resume`, {}, { csrf: me });
    await runBotPass(t.bot!.context);
    expect(server.scheduled).toHaveLength(24);
  });

  it("follows the site owner's change of the strike's days", async () => {
    const { t, me } = await setup();
    const server = await mastodon();
    const path = (await connect(t, me, server)).split("?")[0]!;
    await postForm(t.app, `${path}/plan`, planFields({ cadence: "12", timeZone: "UTC" }), { csrf: me });
    await runBotPass(t.bot!.context);
    expect(server.scheduled).toHaveLength(4);
    createAccount(t.db, { username: "boss", passwordHash: "unused", role: "admin" });
    const boss = await loggedIn(t, "boss");
    const fields = {
      name: "Social Media Strike",
      hashtags: "#SocialMediaStrike",
      "day-1": "2027-07-04",
      timeZone: "UTC",
      cadence: "60",
      "template-1": "Sign {declaration_url}",
    };
    const saved = await postForm(t.app, "/admin/strike", fields, { csrf: boss });
    expect(saved.status).toBe(303);
    await runBotPass(t.bot!.context);
    expect(server.scheduled.map((s) => s.scheduled_at.toISOString().slice(0, 10))).toEqual([
      "2027-07-04",
      "2027-07-04",
    ]);
  });

  it("disconnects: cancels what the server holds, revokes the token there and deletes it here", async () => {
    const { t, me } = await setup();
    const server = await mastodon();
    const path = (await connect(t, me, server)).split("?")[0]!;
    await postForm(t.app, `${path}/plan`, planFields({ cadence: "12" }), { csrf: me });
    await runBotPass(t.bot!.context);
    expect(server.scheduled).toHaveLength(4);
    const res = await postForm(t.app, `${path}/disconnect`, {}, { csrf: me });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/bot?done=disconnected");
    expect(server.scheduled).toHaveLength(0);
    expect(server.tokens.at(-1)!.revoked_at).not.toBeNull();
    expect(t.db.select().from(botConnections).all()).toEqual([]);
    expect(pageText(await (await getAs(t, "/bot?done=disconnected", me)).text())).toContain(
      "revoked on your server and deleted here",
    );
  });

  it("tells the striker when their server revoked the bot", async () => {
    const { t, me } = await setup();
    const server = await mastodon();
    const path = (await connect(t, me, server)).split("?")[0]!;
    server.revokeAll();
    await postForm(t.app, `${path}/plan`, planFields(), { csrf: me });
    await runBotPass(t.bot!.context);
    const text = pageText(await (await getAs(t, path, me)).text());
    expect(text).toContain("The bot has stopped");
    expect(text).toContain("Connect your account again");
    expect(pageText(await (await getAs(t, "/bot", me)).text())).toContain("Stopped: connect again");
  });
});

describe("/bot/{id}: what the striker's server supports", () => {
  it("says it is not known before the first post, and yes on Mastodon", async () => {
    const { t, me } = await setup();
    const server = await mastodon();
    const path = (await connect(t, me, server)).split("?")[0]!;
    expect(pageText(await (await getAs(t, path, me)).text())).toContain(
      `Scheduled posts: not known yet. The bot finds out when it hands ${server.host} your first post.`,
    );
    await postForm(t.app, `${path}/plan`, planFields({ cadence: "12" }), { csrf: me });
    await runBotPass(t.bot!.context);
    expect(pageText(await (await getAs(t, path, me)).text())).toContain(
      `Scheduled posts: yes. ${server.host} holds the bot’s posts`,
    );
  });

  it("says plainly when the server published at once what it was asked to schedule, and shows nothing as posted", async () => {
    const { t, me } = await setup();
    const server = await mastodon({ scheduling: SCHEDULING_MODES.postsImmediately });
    const path = (await connect(t, me, server)).split("?")[0]!;
    await postForm(t.app, `${path}/plan`, planFields({ cadence: "12" }), { csrf: me });
    await runBotPass(t.bot!.context);
    const text = pageText(await (await getAs(t, path, me)).text());
    expect(text).toContain(
      `Scheduled posts: no. When the bot asked ${server.host} to schedule a post, it published it at once instead (the bot deleted that early post where ${server.host} let it). Your posts go out from this site at their time: this site must be running then.`,
    );
    expect(text).toContain("Your bot’s posts 4 waiting.");
    expect(text.match(/ Waiting This site posts it at its time\. /g)?.length).toBe(4);
    expect(text).not.toContain("Posted");
    expect(server.statuses).toHaveLength(0);
    expect(pageText(await (await getAs(t, "/bot", me)).text())).toContain(
      "4 posts to come (posted from this site: it must be running), 0 made",
    );
  });

  it("names, after a disconnect, each post the server would not cancel", async () => {
    const { t, me } = await setup();
    const server = await mastodon({ scheduling: SCHEDULING_MODES.cancelMissing });
    const path = (await connect(t, me, server)).split("?")[0]!;
    await postForm(t.app, `${path}/plan`, planFields({ cadence: "12" }), { csrf: me });
    await runBotPass(t.bot!.context);
    const texts = server.scheduled.map((s) => s.params.text);
    expect(texts).toHaveLength(4);
    const res = await postForm(t.app, `${path}/disconnect`, {}, { csrf: me });
    expect(res.status).toBe(200);
    const text = pageText(await res.text());
    expect(text).toContain(`@striker@${server.host} is disconnected, but 4 posts may still be published`);
    expect(text).toContain(`The bot’s access is deleted here and revoked on ${server.host}.`);
    expect(text.match(/would not cancel this scheduled post/g)?.length).toBe(4);
    // Each by its time in the striker's zone (Europe/Berlin: the slots at 00:00 and 12:00 there).
    expect(text).toContain("Sun, Jul 4, 00:");
    expect(text).toContain("Mon, Jul 5, 12:");
    expect(server.scheduled).toHaveLength(4);
    expect(t.db.select().from(botConnections).all()).toEqual([]);
  });
});
