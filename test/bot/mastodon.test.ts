/**
 * The strike bot's Mastodon client against the stand-in server
 * (test/helpers/mastodon-api.ts) over loopback: the connect flow with PKCE,
 * posting and scheduling, and how each failure is classified.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  authorizeUrl,
  BotApiError,
  cancelScheduled,
  exchangeCode,
  listScheduled,
  parseServerOrigin,
  pkcePair,
  postStatus,
  probeServer,
  registerApp,
  revokeToken,
  uploadMedia,
  verifyCredentials,
  type BotClientOptions,
} from "../../src/bot/mastodon.ts";
import {
  codeChallengeS256,
  startMastodonApi,
  type MastodonApiOptions,
  type MastodonApiServer,
} from "../helpers/mastodon-api.ts";

const T0 = "2030-03-08T09:00:00.000Z";
const MIN = 60_000;
const REDIRECT = "http://127.0.0.1:9/strike/callback";
const SCOPES = ["read:accounts", "read:statuses", "write:statuses", "write:media"];
const LOOPBACK: BotClientOptions = {
  allowHttp: true,
  allowPrivateAddress: true,
  timeoutMs: 2_000,
  now: () => new Date(T0),
};

const running: MastodonApiServer[] = [];
async function start(options: MastodonApiOptions = {}): Promise<MastodonApiServer> {
  const server = await startMastodonApi({ now: T0, ...options });
  running.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function failureOf(promise: Promise<unknown>): Promise<BotApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BotApiError) return error;
    throw error;
  }
  throw new Error("expected a BotApiError");
}

/** A token the way the bot gets one: register, authorize (auto-approved), exchange with PKCE. */
async function connect(server: MastodonApiServer) {
  const app = await registerApp(
    server.url,
    { clientName: "Strike bot", redirectUri: REDIRECT, scopes: SCOPES, website: "https://undersign.example" },
    LOOPBACK,
  );
  const { verifier, challenge } = pkcePair();
  const state = "state-123";
  const res = await fetch(
    authorizeUrl(server.url, app, { redirectUri: REDIRECT, scopes: SCOPES, state, codeChallenge: challenge }, LOOPBACK),
    { redirect: "manual" },
  );
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get("location")!);
  expect(location.origin + location.pathname).toBe(REDIRECT);
  expect(location.searchParams.get("state")).toBe(state);
  const code = location.searchParams.get("code")!;
  const { accessToken, scope } = await exchangeCode(
    server.url,
    app,
    { code, redirectUri: REDIRECT, codeVerifier: verifier },
    LOOPBACK,
  );
  return { app, token: accessToken, scope, challenge };
}

const post = (key: string, extra: Partial<Parameters<typeof postStatus>[2]> = {}) => ({
  status: "On strike today. #SocialMediaStrike",
  visibility: "public" as const,
  language: "en",
  idempotencyKey: key,
  ...extra,
});

describe("connecting an account", () => {
  it("probes, registers, authorizes with PKCE and state, exchanges the code and verifies", async () => {
    const server = await start();
    expect(await probeServer(server.url, LOOPBACK)).toEqual({
      ok: true,
      origin: server.url,
      software: "mastodon",
      version: "4.3.0",
      supportsPkce: true,
    });

    const { app, token, scope, challenge } = await connect(server);
    expect(server.apps).toHaveLength(1);
    expect(server.apps[0]).toMatchObject({
      name: "Strike bot",
      website: "https://undersign.example",
      redirect_uris: [REDIRECT],
      scopes: SCOPES,
    });
    expect(app.clientId).toBe(server.apps[0]!.client_id);
    expect(server.grants[0]).toMatchObject({ code_challenge: challenge, code_challenge_method: "S256", used: true });
    expect(scope.split(" ").sort()).toEqual([...SCOPES].sort());

    expect(await verifyCredentials(server.url, token, LOOPBACK)).toEqual({
      id: server.account.id,
      acct: "striker",
      displayName: "Striker",
      url: `${server.url}/@striker`,
      avatar: `${server.url}/avatars/original/missing.png`,
    });
  });

  it("makes S256 pairs", () => {
    const { verifier, challenge } = pkcePair();
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(challenge).toBe(codeChallengeS256(verifier));
    expect(pkcePair().verifier).not.toBe(verifier);
  });

  it("refuses a code exchanged with the wrong verifier as a validation error", async () => {
    const server = await start();
    const app = await registerApp(
      server.url,
      { clientName: "Strike bot", redirectUri: REDIRECT, scopes: SCOPES },
      LOOPBACK,
    );
    const res = await fetch(
      authorizeUrl(
        server.url,
        app,
        { redirectUri: REDIRECT, scopes: SCOPES, state: "s", codeChallenge: pkcePair().challenge },
        LOOPBACK,
      ),
      { redirect: "manual" },
    );
    const code = new URL(res.headers.get("location")!).searchParams.get("code")!;
    const error = await failureOf(
      exchangeCode(server.url, app, { code, redirectUri: REDIRECT, codeVerifier: pkcePair().verifier }, LOOPBACK),
    );
    expect(error).toMatchObject({ kind: "validation", status: 400 });
    expect(error.serverMessage).toContain("authorization grant is invalid");
  });

  it("reports PKCE support by version and by OAuth server metadata", async () => {
    const old = await start({ version: "4.2.10" });
    expect(await probeServer(old.url, LOOPBACK)).toMatchObject({ ok: true, version: "4.2.10", supportsPkce: false });
    expect(
      authorizeUrl(old.url, { clientId: "c" }, { redirectUri: REDIRECT, scopes: SCOPES, state: "s" }, LOOPBACK),
    ).not.toContain("code_challenge");
  });

  it("answers not-compatible for a server without the Mastodon API, naming its software", async () => {
    const server = await start({ mode: "not-mastodon" });
    const result = await probeServer(server.url, LOOPBACK);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ kind: "not-compatible", status: 404 });
    expect(result.error.message).toContain("misskey 2024.11.0");
    expect(result.error.message).toContain("Mastodon API");
  });

  it("requires https unless allowHttp, and a bare origin", async () => {
    const server = await start();
    const result = await probeServer(server.url, { timeoutMs: 2_000 });
    expect(result.ok === false && result.error.kind).toBe("not-compatible");
    expect(
      (await failureOf(registerApp(server.url, { clientName: "x", redirectUri: REDIRECT, scopes: SCOPES }))).message,
    ).toContain("https://");
    expect(() => parseServerOrigin("https://mastodon.example/@striker")).toThrow(BotApiError);
    expect(() => parseServerOrigin("ftp://mastodon.example")).toThrow(/not a server address/);
    expect(() => parseServerOrigin("mastodon.example")).toThrow(BotApiError);
    expect(() => parseServerOrigin("https://user:pw@mastodon.example")).toThrow(BotApiError);
    expect(parseServerOrigin("https://Mastodon.Example/").href).toBe("https://mastodon.example/");
  });

  it("classifies a server that cannot be reached as server, without a status", async () => {
    const server = await startMastodonApi();
    const url = server.url;
    await server.close();
    const result = await probeServer(url, LOOPBACK);
    expect(result.ok === false && result.error).toMatchObject({ kind: "server", status: null });
  });
});

describe("posting", () => {
  it("posts now and schedules, then lists and cancels what is scheduled", async () => {
    const server = await start();
    const { token } = await connect(server);
    const now = await postStatus(server.url, token, post("k1", { spoilerText: "Strike" }), LOOPBACK);
    expect(now).toEqual({
      kind: "posted",
      id: server.statuses[0]!.id,
      url: `${server.url}/@striker/${server.statuses[0]!.id}`,
      createdAt: new Date(T0),
    });
    expect(server.statuses[0]).toMatchObject({
      text: "On strike today. #SocialMediaStrike",
      visibility: "public",
      language: "en",
      spoiler_text: "Strike",
    });
    expect(server.requests.find((r) => r.path === "/api/v1/statuses")?.idempotencyKey).toBe("k1");

    const at = new Date(Date.parse(T0) + 60 * MIN);
    const later = await postStatus(
      server.url,
      token,
      post("k2", { scheduledAt: at, visibility: "unlisted" }),
      LOOPBACK,
    );
    expect(later).toEqual({ kind: "scheduled", id: server.scheduled[0]!.id, scheduledAt: at });
    expect(server.scheduled[0]!.params.visibility).toBe("unlisted");

    const listed = await listScheduled(server.url, token, LOOPBACK);
    expect(listed).toEqual([
      { id: server.scheduled[0]!.id, scheduledAt: at, text: "On strike today. #SocialMediaStrike", mediaIds: [] },
    ]);
    expect(await cancelScheduled(server.url, token, listed[0]!.id, LOOPBACK)).toBe(true);
    expect(server.scheduled).toHaveLength(0);
    expect(await cancelScheduled(server.url, token, listed[0]!.id, LOOPBACK)).toBe(false);
  });

  it("lists scheduled statuses across pages", async () => {
    const server = await start();
    const { token } = await connect(server);
    for (let i = 0; i < 45; i++) {
      await postStatus(
        server.url,
        token,
        post(`p${i}`, { scheduledAt: new Date(Date.parse(T0) + (24 + i) * 60 * MIN) }),
        LOOPBACK,
      );
    }
    const listed = await listScheduled(server.url, token, LOOPBACK);
    expect(listed).toHaveLength(45);
    expect(new Set(listed.map((s) => s.id)).size).toBe(45);
  });

  it("posts once for a repeated idempotency key", async () => {
    const server = await start();
    const { token } = await connect(server);
    const first = await postStatus(server.url, token, post("same"), LOOPBACK);
    const again = await postStatus(server.url, token, post("same"), LOOPBACK);
    expect(again).toEqual(first);
    expect(server.statuses).toHaveLength(1);
  });

  it("surfaces the 25-a-day scheduling limit as validation with the server's words", async () => {
    const server = await start();
    const { token } = await connect(server);
    const day = Date.parse("2030-03-10T00:00:00Z");
    for (let i = 0; i < 25; i++)
      await postStatus(server.url, token, post(`d${i}`, { scheduledAt: new Date(day + i * 30 * MIN) }), LOOPBACK);
    const error = await failureOf(
      postStatus(server.url, token, post("d25", { scheduledAt: new Date(day + 20 * 60 * MIN) }), LOOPBACK),
    );
    expect(error).toMatchObject({ kind: "validation", status: 422 });
    expect(error.serverMessage).toBe("Validation failed: You have exceeded the limit of 25 scheduled posts for today");
    expect(error.message).toContain("You have exceeded the limit of 25 scheduled posts for today");
    expect(error.message).not.toContain("Validation failed");
  });

  it("uploads an image with its description and attaches it", async () => {
    const server = await start();
    const { token } = await connect(server);
    const media = await uploadMedia(
      server.url,
      token,
      png(40, 20),
      "image/png",
      "A raised fist on a red banner",
      LOOPBACK,
    );
    expect(media).toMatchObject({
      id: server.media[0]!.id,
      type: "image",
      description: "A raised fist on a red banner",
    });
    expect(media.url).toMatch(/\/image\.png$/);
    expect(server.media[0]).toMatchObject({ contentType: "image/png", width: 40, height: 20, filename: "image.png" });
    await postStatus(server.url, token, post("m1", { mediaIds: [media.id] }), LOOPBACK);
    expect(server.statuses[0]!.media_ids).toEqual([media.id]);
  });

  it("waits for media the server processes later, within a limit", async () => {
    const server = await start({ mediaProcessing: "async" });
    const { token } = await connect(server);
    setTimeout(() => server.finishMedia(), 100);
    const media = await uploadMedia(server.url, token, png(1, 1), "image/png", "a dot", {
      ...LOOPBACK,
      mediaPollMs: 20,
    });
    expect(media.url).toBeTruthy();

    const error = await failureOf(
      uploadMedia(server.url, token, png(1, 1), "image/png", "a dot", {
        ...LOOPBACK,
        mediaPollMs: 20,
        mediaTimeoutMs: 100,
      }),
    );
    expect(error.kind).toBe("timeout");
  });
});

describe("failures", () => {
  it("answers unauthorized after the striker revokes access, without the token in the message", async () => {
    const server = await start();
    const { token } = await connect(server);
    server.revokeAll();
    const error = await failureOf(postStatus(server.url, token, post("r1"), LOOPBACK));
    expect(error).toMatchObject({ kind: "unauthorized", status: 401, serverMessage: "The access token was revoked" });
    expect(error.message).toContain("Connect your account again");
    expect(`${error.message} ${error.serverMessage} ${error.stack}`).not.toContain(token);
    expect((await failureOf(verifyCredentials(server.url, token, LOOPBACK))).kind).toBe("unauthorized");
  });

  it("revokes a token", async () => {
    const server = await start();
    const { app, token } = await connect(server);
    await revokeToken(server.url, app, token, LOOPBACK);
    expect(server.tokens.find((t) => t.token === token)?.revoked_at).toBeInstanceOf(Date);
    expect((await failureOf(verifyCredentials(server.url, token, LOOPBACK))).kind).toBe("unauthorized");
  });

  it("answers rate-limited with retryAt from Retry-After or X-RateLimit-Reset", async () => {
    const server = await start({ rateLimit: { limit: 2, periodMs: 5 * MIN } });
    const token = server.issueToken({ scopes: ["read", "write"] });
    server.fail("POST /api/v1/statuses", { status: 429, headers: { "Retry-After": "120" } });
    const injected = await failureOf(postStatus(server.url, token, post("x"), LOOPBACK));
    expect(injected).toMatchObject({ kind: "rate-limited", status: 429, retryAt: new Date(Date.parse(T0) + 120_000) });

    await postStatus(server.url, token, post("a"), LOOPBACK);
    await postStatus(server.url, token, post("b"), LOOPBACK);
    const limited = await failureOf(postStatus(server.url, token, post("c"), LOOPBACK));
    expect(limited).toMatchObject({ kind: "rate-limited", status: 429, retryAt: new Date("2030-03-08T09:05:00.000Z") });
    expect(limited.message).toContain("2030-03-08T09:05:00.000Z");
  });

  it("answers server for a 5xx, with the status when the body can be read", async () => {
    const server = await start();
    const token = server.issueToken();
    server.fail("POST /api/v1/statuses", { status: 503 });
    expect(await failureOf(postStatus(server.url, token, post("s1"), LOOPBACK))).toMatchObject({
      kind: "server",
      status: null,
    });
    server.fail("POST /api/v1/statuses", { status: 503, body: { error: "Service Unavailable" } });
    const error = await failureOf(postStatus(server.url, token, post("s2"), LOOPBACK));
    expect(error).toMatchObject({ kind: "server", status: 503 });
    expect(error.message).toContain("HTTP 503");
    expect(server.statuses).toHaveLength(0);
  });

  it("answers timeout when the server is too slow", async () => {
    const server = await start();
    const token = server.issueToken();
    server.fail("POST /api/v1/statuses", { delayMs: 1_000 });
    const error = await failureOf(postStatus(server.url, token, post("t1"), { ...LOOPBACK, timeoutMs: 150 }));
    expect(error).toMatchObject({ kind: "timeout", status: null });
    expect(error.message).toContain("0.2 seconds");

    server.fail("/api/v1/instance", { delayMs: 1_000 });
    const probe = await probeServer(server.url, { ...LOOPBACK, timeoutMs: 150 });
    expect(probe.ok === false && probe.error.kind).toBe("timeout");
  });

  it("answers validation for a refused attachment and not-found for a 404", async () => {
    const server = await start();
    const token = server.issueToken();
    expect(await failureOf(postStatus(server.url, token, post("n1", { mediaIds: ["999"] }), LOOPBACK))).toMatchObject({
      kind: "validation",
      status: 422,
    });
    server.fail("POST /api/v1/statuses", { status: 404 });
    expect(await failureOf(postStatus(server.url, token, post("n2"), LOOPBACK))).toMatchObject({
      kind: "not-found",
      status: 404,
    });
  });
});

/** The first bytes of a PNG (signature and IHDR), enough for the stand-in to read its size. */
function png(width: number, height: number): Uint8Array {
  const bytes = new Uint8Array(33);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const view = new DataView(bytes.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  return bytes;
}
