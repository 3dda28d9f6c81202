/**
 * Self-test of the stand-in Mastodon server (test/helpers/mastodon-api.ts):
 * real fetches over loopback through the OAuth + PKCE flow, posting,
 * idempotency, scheduled statuses and their limits, media, rate limits,
 * revocation and failure injection.
 */
import { createHash, randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { startMastodonApi, type MastodonApiOptions, type MastodonApiServer } from "../helpers/mastodon-api.ts";

const T0 = "2030-03-08T09:00:00.000Z";
const MIN = 60_000;

const running: MastodonApiServer[] = [];
async function start(options: MastodonApiOptions = {}): Promise<MastodonApiServer> {
  const server = await startMastodonApi({ now: T0, ...options });
  running.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});
const auth = (token: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, ...extra });

function pkcePair() {
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  return { verifier, challenge };
}

const REDIRECT = "http://127.0.0.1:9/strike/callback";

async function registerApp(server: MastodonApiServer, scopes = "write:statuses read:accounts") {
  const res = await fetch(
    `${server.url}/api/v1/apps`,
    json({ client_name: "Strike bot", redirect_uris: REDIRECT, scopes, website: "https://undersign.example" }),
  );
  expect(res.status).toBe(200);
  return (await res.json()) as { id: string; client_id: string; client_secret: string };
}

async function authorize(server: MastodonApiServer, query: Record<string, string>) {
  return fetch(`${server.url}/oauth/authorize?${new URLSearchParams(query)}`, { redirect: "manual" });
}

/** The whole connect flow; returns the access token. */
async function connect(server: MastodonApiServer, scopes = "write:statuses read:accounts"): Promise<string> {
  const app = await registerApp(server, scopes);
  const { verifier, challenge } = pkcePair();
  const res = await authorize(server, {
    response_type: "code",
    client_id: app.client_id,
    redirect_uri: REDIRECT,
    scope: scopes,
    state: "s1",
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  const code = new URL(res.headers.get("location")!).searchParams.get("code")!;
  const token = await fetch(
    `${server.url}/oauth/token`,
    json({
      grant_type: "authorization_code",
      code,
      client_id: app.client_id,
      client_secret: app.client_secret,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    }),
  );
  return ((await token.json()) as { access_token: string }).access_token;
}

const post = (
  server: MastodonApiServer,
  token: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
) => fetch(`${server.url}/api/v1/statuses`, json(body, auth(token, headers)));

describe("instance discovery", () => {
  it("serves v1 and v2 instance, nodeinfo and the OAuth server metadata", async () => {
    const server = await start();
    const v1 = await (await fetch(`${server.url}/api/v1/instance`)).json();
    expect(v1).toMatchObject({
      uri: server.host,
      version: "4.3.0",
      configuration: { statuses: { max_characters: 500, characters_reserved_per_url: 23 } },
    });
    const v2 = await (await fetch(`${server.url}/api/v2/instance`)).json();
    expect(v2).toMatchObject({ domain: server.host, version: "4.3.0" });
    const links = await (await fetch(`${server.url}/.well-known/nodeinfo`)).json();
    expect(links.links[0].rel).toBe("http://nodeinfo.diaspora.software/ns/schema/2.0");
    const nodeinfo = await (await fetch(links.links[0].href)).json();
    expect(nodeinfo.software).toEqual({ name: "mastodon", version: "4.3.0" });
    const meta = await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json();
    expect(meta.code_challenge_methods_supported).toEqual(["S256"]);
    expect(meta.revocation_endpoint).toBe(`${server.url}/oauth/revoke`);
  });

  it("has no PKCE before 4.3 (no metadata; code_challenge ignored)", async () => {
    const server = await start({ version: "4.2.10" });
    expect((await fetch(`${server.url}/.well-known/oauth-authorization-server`)).status).toBe(404);
    const app = await registerApp(server);
    const res = await authorize(server, {
      response_type: "code",
      client_id: app.client_id,
      redirect_uri: REDIRECT,
      scope: "write:statuses",
      code_challenge: "x",
      code_challenge_method: "S256",
    });
    const code = new URL(res.headers.get("location")!).searchParams.get("code")!;
    const token = await fetch(
      `${server.url}/oauth/token`,
      json({
        grant_type: "authorization_code",
        code,
        client_id: app.client_id,
        client_secret: app.client_secret,
        redirect_uri: REDIRECT,
      }),
    );
    expect(token.status).toBe(200);
  });

  it("a server that is not Mastodon: no API, nodeinfo names its software", async () => {
    const server = await start({ mode: "not-mastodon", software: { name: "pleroma", version: "2.7.0" } });
    expect((await fetch(`${server.url}/api/v1/instance`)).status).toBe(404);
    expect((await fetch(`${server.url}/api/v1/apps`, json({ client_name: "x", redirect_uris: REDIRECT }))).status).toBe(
      404,
    );
    expect((await fetch(`${server.url}/oauth/authorize?response_type=code`)).status).toBe(404);
    const nodeinfo = await (await fetch(`${server.url}/nodeinfo/2.0`)).json();
    expect(nodeinfo.software.name).toBe("pleroma");
    server.mode = "mastodon";
    expect((await fetch(`${server.url}/api/v1/instance`)).status).toBe(200);
  });
});

describe("apps and OAuth", () => {
  it("registers an app and validates it", async () => {
    const server = await start();
    const res = await fetch(
      `${server.url}/api/v1/apps`,
      json({ client_name: "Strike bot", redirect_uris: REDIRECT, scopes: "write:statuses read:accounts" }),
    );
    const app = await res.json();
    expect(app).toMatchObject({
      name: "Strike bot",
      redirect_uri: REDIRECT,
      redirect_uris: [REDIRECT],
      scopes: ["write:statuses", "read:accounts"],
      client_secret_expires_at: 0,
    });
    expect(app.client_id).toMatch(/^[\w-]{43}$/);
    expect(typeof app.vapid_key).toBe("string");
    expect(server.apps).toHaveLength(1);

    const blank = await fetch(`${server.url}/api/v1/apps`, json({ redirect_uris: REDIRECT }));
    expect(blank.status).toBe(422);
    expect(await blank.json()).toEqual({ error: "Validation failed: Application name can't be blank" });
    const badScope = await fetch(
      `${server.url}/api/v1/apps`,
      json({ client_name: "x", redirect_uris: REDIRECT, scopes: "write:everything" }),
    );
    expect(await badScope.json()).toEqual({
      error: "Validation failed: Scopes doesn't match configured on the server.",
    });
    const badUri = await fetch(`${server.url}/api/v1/apps`, json({ client_name: "x", redirect_uris: "not a uri" }));
    expect(badUri.status).toBe(422);
    // Form encoding works too (Rails params).
    const form = await fetch(`${server.url}/api/v1/apps`, {
      method: "POST",
      body: new URLSearchParams({ client_name: "f", redirect_uris: REDIRECT }),
    });
    expect((await form.json()).scopes).toEqual(["read"]);
  });

  it("runs authorization code + PKCE end to end", async () => {
    const server = await start();
    const app = await registerApp(server);
    const { verifier, challenge } = pkcePair();
    const base = {
      response_type: "code",
      client_id: app.client_id,
      redirect_uri: REDIRECT,
      scope: "write:statuses read:accounts",
      code_challenge: challenge,
      code_challenge_method: "S256",
    };

    const res = await authorize(server, { ...base, state: "state-123" });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get("location")!);
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
    expect(location.searchParams.get("state")).toBe("state-123");
    const code = location.searchParams.get("code")!;
    expect(code).toBeTruthy();

    const exchange = (fields: Record<string, string>) =>
      fetch(
        `${server.url}/oauth/token`,
        json({
          grant_type: "authorization_code",
          client_id: app.client_id,
          client_secret: app.client_secret,
          redirect_uri: REDIRECT,
          code,
          ...fields,
        }),
      );
    const wrongVerifier = await exchange({ code_verifier: pkcePair().verifier });
    expect(wrongVerifier.status).toBe(400);
    expect(await wrongVerifier.json()).toMatchObject({
      error: "invalid_grant",
      error_description: expect.stringContaining("authorization grant is invalid"),
    });
    expect((await exchange({})).status).toBe(400); // verifier missing
    expect((await exchange({ code_verifier: verifier, redirect_uri: "http://127.0.0.1:9/other" })).status).toBe(400);
    const badSecret = await exchange({ code_verifier: verifier, client_secret: "nope" });
    expect(badSecret.status).toBe(401);
    expect((await badSecret.json()).error).toBe("invalid_client");

    const ok = await exchange({ code_verifier: verifier });
    expect(ok.status).toBe(200);
    const token = await ok.json();
    expect(token).toEqual({
      access_token: expect.any(String),
      token_type: "Bearer",
      scope: "write:statuses read:accounts",
      created_at: Date.parse(T0) / 1000,
    });
    const reused = await exchange({ code_verifier: verifier });
    expect(reused.status).toBe(400);
    expect((await reused.json()).error).toBe("invalid_grant");

    const me = await fetch(`${server.url}/api/v1/accounts/verify_credentials`, { headers: auth(token.access_token) });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({
      id: server.account.id,
      username: "striker",
      acct: "striker",
      display_name: "Striker",
      url: `${server.url}/@striker`,
      avatar: expect.any(String),
      source: { privacy: "public" },
    });

    // Disconnect: revoke, then the token is refused.
    const revoke = await fetch(
      `${server.url}/oauth/revoke`,
      json({ client_id: app.client_id, client_secret: app.client_secret, token: token.access_token }),
    );
    expect(revoke.status).toBe(200);
    expect(await revoke.json()).toEqual({});
    const after = await fetch(`${server.url}/api/v1/accounts/verify_credentials`, {
      headers: auth(token.access_token),
    });
    expect(after.status).toBe(401);
    expect(await after.json()).toEqual({ error: "The access token was revoked" });
    expect(server.tokens[0]?.revoked_at).toEqual(new Date(T0));
  });

  it("refuses bad clients and redirects, and can deny", async () => {
    const server = await start();
    const app = await registerApp(server);
    const unknown = await authorize(server, { response_type: "code", client_id: "nope", redirect_uri: REDIRECT });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain("Client authentication failed");
    const wrongRedirect = await authorize(server, {
      response_type: "code",
      client_id: app.client_id,
      redirect_uri: "http://evil.example/cb",
    });
    expect(wrongRedirect.status).toBe(400);
    expect(await wrongRedirect.text()).toContain("redirect uri is malformed or doesn&#39;t match");

    const tooWide = await authorize(server, {
      response_type: "code",
      client_id: app.client_id,
      redirect_uri: REDIRECT,
      scope: "read write",
      state: "s",
    });
    expect(new URL(tooWide.headers.get("location")!).searchParams.get("error")).toBe("invalid_scope");
    const plain = await authorize(server, {
      response_type: "code",
      client_id: app.client_id,
      redirect_uri: REDIRECT,
      scope: "write:statuses",
      code_challenge: "abc",
      code_challenge_method: "plain",
    });
    expect(new URL(plain.headers.get("location")!).searchParams.get("error")).toBe("invalid_request");

    server.authorization.decision = "deny";
    const denied = await authorize(server, {
      response_type: "code",
      client_id: app.client_id,
      redirect_uri: REDIRECT,
      scope: "write:statuses",
      state: "s2",
    });
    expect(denied.status).toBe(302);
    const location = new URL(denied.headers.get("location")!);
    expect(location.searchParams.get("error")).toBe("access_denied");
    expect(location.searchParams.get("state")).toBe("s2");
    expect(location.searchParams.has("code")).toBe(false);
  });

  it("signs in whichever account the test picks", async () => {
    const server = await start();
    server.addAccount({ username: "second", display_name: "Second" });
    server.authorization.username = "second";
    const token = await connect(server);
    const me = await (await fetch(`${server.url}/api/v1/accounts/verify_credentials`, { headers: auth(token) })).json();
    expect(me.username).toBe("second");
  });

  it("checks scopes: 401 invalid, 403 outside scopes, 422 app-only token", async () => {
    const server = await start();
    const missing = await fetch(`${server.url}/api/v1/accounts/verify_credentials`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ error: "The access token is invalid" });
    expect(missing.headers.get("www-authenticate")).toContain('error="invalid_token"');

    const writeOnly = await connect(server, "write:statuses");
    const forbidden = await fetch(`${server.url}/api/v1/accounts/verify_credentials`, { headers: auth(writeOnly) });
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toEqual({ error: "This action is outside the authorized scopes" });

    const app = server.apps[0]!;
    const cc = await fetch(
      `${server.url}/oauth/token`,
      json({
        grant_type: "client_credentials",
        client_id: app.client_id,
        client_secret: app.client_secret,
        scope: "write:statuses",
      }),
    );
    const appToken = (await cc.json()).access_token as string;
    const asApp = await post(server, appToken, { status: "hi" });
    expect(asApp.status).toBe(422);
    expect(await asApp.json()).toEqual({ error: "This method requires an authenticated user" });
    const verifyApp = await fetch(`${server.url}/api/v1/apps/verify_credentials`, { headers: auth(appToken) });
    expect(await verifyApp.json()).toMatchObject({ name: "Strike bot", scopes: ["write:statuses"] });
    expect(server.revokeAll()).toBe(2);
    expect((await fetch(`${server.url}/api/v1/apps/verify_credentials`, { headers: auth(appToken) })).status).toBe(401);
  });
});

describe("statuses", () => {
  it("posts a status and honours Idempotency-Key for an hour", async () => {
    const server = await start();
    const token = await connect(server);
    const res = await post(
      server,
      token,
      { status: "On strike today. https://example.org/strike", visibility: "public", language: "en", spoiler_text: "" },
      { "Idempotency-Key": "striker-1/strike-7/slot-0" },
    );
    expect(res.status).toBe(200);
    const status = await res.json();
    expect(status).toMatchObject({
      visibility: "public",
      language: "en",
      sensitive: false,
      created_at: T0,
      application: { name: "Strike bot", website: "https://undersign.example" },
      account: { username: "striker" },
      url: `${server.url}/@striker/${status.id}`,
    });
    expect(status.content).toBe(
      '<p>On strike today. <a href="https://example.org/strike" target="_blank" rel="nofollow noopener" translate="no">https://example.org/strike</a></p>',
    );

    const again = await (
      await post(server, token, { status: "different body" }, { "Idempotency-Key": "striker-1/strike-7/slot-0" })
    ).json();
    expect(again.id).toBe(status.id);
    expect(server.statuses).toHaveLength(1);
    expect(server.requests.filter((r) => r.path === "/api/v1/statuses").map((r) => r.idempotencyKey)).toEqual([
      "striker-1/strike-7/slot-0",
      "striker-1/strike-7/slot-0",
    ]);
    expect(server.requests.at(-1)?.body).toMatchObject({ status: "different body" });

    server.clock.advance(61 * MIN); // the key lives 3600 s
    const later = await (
      await post(server, token, { status: "later" }, { "Idempotency-Key": "striker-1/strike-7/slot-0" })
    ).json();
    expect(later.id).not.toBe(status.id);
    expect(server.statuses).toHaveLength(2);
  });

  it("validates text like Mastodon", async () => {
    const server = await start();
    const token = await connect(server);
    const empty = await post(server, token, { status: "  " });
    expect(empty.status).toBe(422);
    expect(await empty.json()).toEqual({ error: "Validation failed: Text can't be blank" });

    expect((await post(server, token, { status: "x".repeat(500) })).status).toBe(200);
    const long = await post(server, token, { status: "x".repeat(501) });
    expect(long.status).toBe(422);
    expect(await long.json()).toEqual({ error: "Validation failed: Text character limit of 500 exceeded" });
    // A URL counts 23 characters whatever its length; spoiler_text counts too.
    expect(
      (await post(server, token, { status: `${"x".repeat(476)} https://example.org/${"a".repeat(200)}` })).status,
    ).toBe(200);
    expect((await post(server, token, { status: "x".repeat(490), spoiler_text: "y".repeat(11) })).status).toBe(422);
    // A lone content warning becomes the text.
    const cw = await (await post(server, token, { status: "", spoiler_text: "only a warning" })).json();
    expect(cw).toMatchObject({ content: "<p>only a warning</p>", spoiler_text: "" });
  });
});

describe("scheduled statuses", () => {
  it("schedules, lists with Link pagination, fetches, deletes and publishes on the clock", async () => {
    const server = await start();
    const token = await connect(server, "write:statuses read:accounts read:statuses");
    const at = (minutes: number) => new Date(Date.parse(T0) + minutes * MIN).toISOString();

    const res = await post(
      server,
      token,
      { status: "Strike starts", scheduled_at: at(30), visibility: "unlisted" },
      { "Idempotency-Key": "k-sched" },
    );
    expect(res.status).toBe(200);
    const first = await res.json();
    expect(first).toEqual({
      id: expect.any(String),
      scheduled_at: at(30),
      params: expect.objectContaining({
        text: "Strike starts",
        visibility: "unlisted",
        idempotency: "k-sched",
        scheduled_at: null,
        media_ids: null,
        application_id: Number(server.apps[0]!.id),
      }),
      media_attachments: [],
    });
    expect(server.statuses).toHaveLength(0);
    const dup = await (
      await post(server, token, { status: "Strike starts", scheduled_at: at(30) }, { "Idempotency-Key": "k-sched" })
    ).json();
    expect(dup.id).toBe(first.id);
    expect(server.scheduled).toHaveLength(1);

    for (let i = 2; i <= 5; i++)
      expect((await post(server, token, { status: `n${i}`, scheduled_at: at(60 * i) })).status).toBe(200);
    const page1 = await fetch(`${server.url}/api/v1/scheduled_statuses?limit=2`, { headers: auth(token) });
    const list1 = await page1.json();
    expect(list1.map((s: { params: { text: string } }) => s.params.text)).toEqual(["n5", "n4"]);
    const link = page1.headers.get("link")!;
    expect(link).toContain('rel="next"');
    expect(link).toContain('rel="prev"');
    const next = /<([^>]+)>; rel="next"/.exec(link)![1]!;
    expect(next).toContain("limit=2");
    const list2 = await (await fetch(next, { headers: auth(token) })).json();
    expect(list2.map((s: { params: { text: string } }) => s.params.text)).toEqual(["n3", "n2"]);

    const one = await fetch(`${server.url}/api/v1/scheduled_statuses/${first.id}`, { headers: auth(token) });
    expect((await one.json()).id).toBe(first.id);
    const last = list1[0].id as string;
    expect(
      await (
        await fetch(`${server.url}/api/v1/scheduled_statuses/${last}`, { method: "DELETE", headers: auth(token) })
      ).json(),
    ).toEqual({});
    const gone = await fetch(`${server.url}/api/v1/scheduled_statuses/${last}`, { headers: auth(token) });
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual({ error: "Record not found" });

    server.clock.advance(31 * MIN);
    expect(server.statuses.map((s) => s.text)).toEqual(["Strike starts"]);
    expect(server.statuses[0]).toMatchObject({
      scheduledStatusId: first.id,
      visibility: "unlisted",
      created_at: new Date(at(30)),
    });
    expect(server.scheduled).toHaveLength(3);
    // Retrying the same key (within the hour) now finds no scheduled status: Mastodon answers 404.
    expect(
      (
        await post(
          server,
          token,
          { status: "Strike starts", scheduled_at: at(60 * 3) },
          { "Idempotency-Key": "k-sched" },
        )
      ).status,
    ).toBe(404);
    // publishDue() directly, for a time of the test's choosing.
    expect(server.publishDue(new Date(at(60 * 10))).map((s) => s.text)).toEqual(["n2", "n3", "n4"]);
  });

  it("applies the 5-minute minimum, posts past times at once, and enforces 25 a day and 300 in total", async () => {
    const server = await start({ rateLimit: { limit: 10_000, periodMs: 5 * MIN } });
    const token = await connect(server);
    const soon = await post(server, token, {
      status: "soon",
      scheduled_at: new Date(Date.parse(T0) + 5 * MIN).toISOString(),
    });
    expect(soon.status).toBe(422);
    expect(await soon.json()).toEqual({
      error: "Validation failed: Scheduled at The scheduled date must be in the future",
    });
    expect(
      (
        await post(server, token, {
          status: "just enough",
          scheduled_at: new Date(Date.parse(T0) + 5 * MIN + 1000).toISOString(),
        })
      ).status,
    ).toBe(200);
    const past = await (await post(server, token, { status: "past", scheduled_at: "2030-03-08T08:00:00Z" })).json();
    expect(past).toMatchObject({ content: "<p>past</p>", created_at: T0 });
    expect((await post(server, token, { status: "bad date", scheduled_at: "not a date" })).status).toBe(422);

    // 24 more on the 8th (25 with "just enough"), then the 26th that day is refused.
    const day = (d: number, i: number) => new Date(Date.UTC(2030, 2, d, 12, i)).toISOString();
    for (let i = 0; i < 24; i++)
      expect((await post(server, token, { status: `d8-${i}`, scheduled_at: day(8, i) })).status).toBe(200);
    const daily = await post(server, token, { status: "one too many", scheduled_at: day(8, 59) });
    expect(daily.status).toBe(422);
    expect(await daily.json()).toEqual({
      error: "Validation failed: You have exceeded the limit of 25 scheduled posts for today",
    });
    expect((await post(server, token, { status: "next day", scheduled_at: day(9, 0) })).status).toBe(200);

    // Fill up to 300 over the following days, then the total limit.
    let n = server.scheduled.length;
    for (let d = 10; n < 300; d++)
      for (let i = 0; i < 25 && n < 300; i++, n++)
        expect((await post(server, token, { status: `f${d}-${i}`, scheduled_at: day(d, i) })).status).toBe(200);
    const total = await post(server, token, { status: "301", scheduled_at: day(28, 0) });
    expect(total.status).toBe(422);
    expect(await total.json()).toEqual({
      error: "Validation failed: You have exceeded the limit of 300 scheduled posts",
    });
    const both = await post(server, token, { status: "both", scheduled_at: day(8, 30) });
    expect(await both.json()).toEqual({
      error:
        "Validation failed: You have exceeded the limit of 300 scheduled posts, You have exceeded the limit of 25 scheduled posts for today",
    });
  });
});

describe("media", () => {
  const png = () => {
    const bytes = Buffer.alloc(33);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(bytes);
    bytes.writeUInt32BE(640, 16);
    bytes.writeUInt32BE(480, 20);
    return new File([bytes], "notice.png", { type: "image/png" });
  };

  it("uploads images at once (200) and video later (202 → 206 → 200), and attaches them", async () => {
    const server = await start();
    const token = await connect(server, "write:statuses write:media read:accounts");
    const form = new FormData();
    form.set("file", png());
    form.set("description", "Strike notice");
    const res = await fetch(`${server.url}/api/v2/media`, { method: "POST", headers: auth(token), body: form });
    expect(res.status).toBe(200);
    const image = await res.json();
    expect(image).toMatchObject({
      type: "image",
      description: "Strike notice",
      url: expect.stringContaining("notice.png"),
      meta: { original: { width: 640, height: 480 } },
    });
    expect(server.requests.at(-1)?.body.file).toEqual({ filename: "notice.png", type: "image/png", size: 33 });

    const videoForm = new FormData();
    videoForm.set("file", new File([new Uint8Array(10)], "clip.mp4", { type: "video/mp4" }));
    const video = await fetch(`${server.url}/api/v2/media`, { method: "POST", headers: auth(token), body: videoForm });
    expect(video.status).toBe(202);
    const videoJson = await video.json();
    expect(videoJson.url).toBeNull();
    expect((await fetch(`${server.url}/api/v1/media/${videoJson.id}`, { headers: auth(token) })).status).toBe(206);
    const early = await post(server, token, { status: "", media_ids: [videoJson.id] });
    expect(early.status).toBe(422);
    expect(await early.json()).toEqual({
      error: "Cannot attach files that have not finished processing. Try again in a moment!",
    });
    server.finishMedia(videoJson.id);
    expect((await fetch(`${server.url}/api/v1/media/${videoJson.id}`, { headers: auth(token) })).status).toBe(200);

    // Form-encoded media_ids[] like most clients send; no text needed with media.
    const body = new URLSearchParams();
    body.append("media_ids[]", image.id);
    body.append("media_ids[]", videoJson.id);
    const withMedia = await fetch(`${server.url}/api/v1/statuses`, { method: "POST", headers: auth(token), body });
    expect(withMedia.status).toBe(200);
    expect((await withMedia.json()).media_attachments.map((m: { id: string }) => m.id)).toEqual([
      image.id,
      videoJson.id,
    ]);
    const reused = await post(server, token, { status: "again", media_ids: [image.id] });
    expect(reused.status).toBe(422);
  });

  it("can process everything asynchronously", async () => {
    const server = await start({ mediaProcessing: "async" });
    const token = server.issueToken({ scopes: ["write"] });
    const form = new FormData();
    form.set("file", png());
    expect(
      (await fetch(`${server.url}/api/v2/media`, { method: "POST", headers: auth(token), body: form })).status,
    ).toBe(202);
  });
});

describe("rate limits", () => {
  it("sends X-RateLimit headers and answers 429 past the budget until the window resets", async () => {
    const server = await start({ rateLimit: { limit: 3, periodMs: 5 * MIN } });
    const token = server.issueToken({ scopes: ["read"] });
    const get = () => fetch(`${server.url}/api/v1/accounts/verify_credentials`, { headers: auth(token) });
    const seen: Array<[number, string | null]> = [];
    for (let i = 0; i < 4; i++) {
      const res = await get();
      seen.push([res.status, res.headers.get("x-ratelimit-remaining")]);
      expect(res.headers.get("x-ratelimit-limit")).toBe("3");
      expect(res.headers.get("x-ratelimit-reset")).toBe("2030-03-08T09:05:00.000Z");
    }
    expect(seen).toEqual([
      [200, "2"],
      [200, "1"],
      [200, "0"],
      [429, "0"],
    ]);
    const limited = await get();
    expect(await limited.json()).toEqual({ error: "Too many requests" });
    // Other tokens have their own budget.
    expect(
      (
        await fetch(`${server.url}/api/v1/accounts/verify_credentials`, {
          headers: auth(server.issueToken({ scopes: ["read"] })),
        })
      ).status,
    ).toBe(200);
    server.clock.advance(5 * MIN);
    const fresh = await get();
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get("x-ratelimit-reset")).toBe("2030-03-08T09:10:00.000Z");
  });

  it("limits media uploads separately (30 per 30 minutes by default)", async () => {
    const server = await start({ mediaRateLimit: { limit: 1, periodMs: 30 * MIN } });
    const token = server.issueToken({ scopes: ["write"] });
    const upload = () => {
      const form = new FormData();
      form.set("file", new File([new Uint8Array(4)], "a.jpg", { type: "image/jpeg" }));
      return fetch(`${server.url}/api/v2/media`, { method: "POST", headers: auth(token), body: form });
    };
    expect((await upload()).status).toBe(200);
    const second = await upload();
    expect(second.status).toBe(429);
    expect(second.headers.get("x-ratelimit-limit")).toBe("1");
    expect(second.headers.get("x-ratelimit-reset")).toBe("2030-03-08T09:30:00.000Z");
  });
});

describe("failure injection", () => {
  it("fails matching requests the given number of times, then answers normally", async () => {
    const server = await start();
    const token = await connect(server);
    const rule = server.fail("POST /api/v1/statuses", { status: 503, times: 2 });
    const a = await post(server, token, { status: "a" }, { "Idempotency-Key": "k" });
    expect(a.status).toBe(503);
    expect(a.headers.get("content-type")).toContain("text/html");
    expect((await post(server, token, { status: "a" }, { "Idempotency-Key": "k" })).status).toBe(503);
    expect((await post(server, token, { status: "a" }, { "Idempotency-Key": "k" })).status).toBe(200);
    expect(rule.hits).toBe(2);
    expect(server.statuses).toHaveLength(1);
    expect(server.requests.filter((r) => r.injected).map((r) => r.status)).toEqual([503, 503]);
  });

  it("answers a chosen body and headers, matched by predicate or pattern", async () => {
    const server = await start();
    const token = await connect(server);
    server.fail((r) => r.body.status === "refuse me", {
      status: 422,
      body: { error: "Validation failed: Text contains a forbidden word" },
    });
    const refused = await post(server, token, { status: "refuse me" });
    expect(refused.status).toBe(422);
    expect(await refused.json()).toEqual({ error: "Validation failed: Text contains a forbidden word" });
    server.fail(/^\/api\/v1\/statuses$/, {
      status: 429,
      headers: { "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2030-03-08T09:05:00.000Z" },
    });
    const limited = await post(server, token, { status: "x" });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("x-ratelimit-reset")).toBe("2030-03-08T09:05:00.000Z");
    expect((await post(server, token, { status: "x" })).status).toBe(200);
  });

  it("delays answers so that a client times out, and close() does not hang on them", async () => {
    const server = await start();
    const token = await connect(server);
    server.fail("/api/v1/statuses", { delayMs: 5_000, status: 504 });
    const started = Date.now();
    await expect(
      fetch(`${server.url}/api/v1/statuses`, {
        ...json({ status: "slow" }, auth(token)),
        signal: AbortSignal.timeout(200),
      }),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(server.statuses).toHaveLength(0);
    // A delay without a status answers normally, only late.
    server.fail("/api/v1/statuses", { delayMs: 50 });
    expect((await post(server, token, { status: "late but fine" })).status).toBe(200);
    // A request still held when the test ends.
    server.fail("/api/v1/statuses", { delayMs: 60_000 });
    const held = fetch(`${server.url}/api/v1/statuses`, json({ status: "held" }, auth(token))).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const closing = Date.now();
    await server.close();
    running.splice(running.indexOf(server), 1);
    expect(Date.now() - closing).toBeLessThan(2_000);
    await held;
  });
});
