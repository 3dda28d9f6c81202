import { eq, sql } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import {
  createAccount,
  createInvite,
  createSession,
  findAccountByUsername,
  getRegistrationMode,
  hashPassword,
  hashSecret,
  setRegistrationMode,
  type RegistrationMode,
} from "../../src/db/accounts.ts";
import type { Db } from "../../src/db/client.ts";
import { accounts, sessions } from "../../src/db/schema.ts";
import { createTestApp } from "../helpers/app.ts";
import { fromClient } from "../helpers/clients.ts";
import {
  checkedRadio,
  cookiesFrom,
  csrfFrom,
  inputValue,
  pageText,
  postForm,
  statusNotices,
  tags,
  type CsrfPair,
} from "../helpers/forms.ts";

type App = Awaited<ReturnType<typeof createTestApp>>;

const PASSWORD = "correct horse battery";

async function setup(mode?: RegistrationMode): Promise<App> {
  const t = await createTestApp();
  if (mode != null) setRegistrationMode(t.db, mode);
  return t;
}

/** Cheap scrypt parameters for accounts made straight in the database (a login hashes them again). */
const FAST = { N: 2 ** 10, r: 8, p: 1 };

async function addAccount(db: Db, username: string, role: "admin" | "author" = "author", password = PASSWORD) {
  const outcome = createAccount(db, { username, passwordHash: await hashPassword(password, FAST), role });
  if (outcome.kind !== "created") throw new Error(outcome.kind);
  return outcome.account;
}

/** A logged-in browser: CSRF cookie and token, plus a session cookie made in the database. */
async function loggedIn(
  t: App,
  username: string,
  role: "admin" | "author" = "author",
): Promise<CsrfPair & { token: string }> {
  const account = findAccountByUsername(t.db, username) ?? (await addAccount(t.db, username, role));
  const { token } = createSession(t.db, account.id);
  const pair = await csrfFrom(t.app, "/login");
  return { cookie: `${pair.cookie}; __Host-session=${token}`, csrf: pair.csrf, token };
}

function sessionCookieOf(res: Response): string | undefined {
  return res.headers.getSetCookie().find((c) => c.startsWith("__Host-session="));
}

function fieldError(html: string, field: string): string | undefined {
  const m = new RegExp(`<p class="field-error" id="${field}-error">([\\s\\S]*?)</p>`).exec(html);
  return m == null ? undefined : pageText(m[1]!);
}

function formError(html: string): string {
  const m = /<div class="form-errors" role="alert"[^>]*>([\s\S]*?)<\/div>/.exec(html);
  return m == null ? "" : pageText(m[1]!.replace(/<(?!\/?(?:p|ul|li)\b)[^>]*>/g, ""));
}

/** A 400 that complains about `field` only, saying nothing about the username. */
async function expectUsernameUntold(res: Response, field: string, message: string) {
  expect(res.status).toBe(400);
  const html = await res.text();
  expect(fieldError(html, "username")).toBeUndefined();
  expect(fieldError(html, field)).toBe(message);
}

function registerFields(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const all: Record<string, string | undefined> = {
    username: "Ada_L",
    password: PASSWORD,
    password2: PASSWORD,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
}

async function register(t: App, overrides: Record<string, string | undefined> = {}, csrf?: CsrfPair | null) {
  const pair = csrf === undefined ? await csrfFrom(t.app, "/login") : csrf;
  return postForm(t.app, "/register", registerFields(overrides), { csrf: pair });
}

async function login(
  t: Pick<App, "app">,
  username: string,
  password: string,
  extra: Record<string, string> = {},
  csrf?: CsrfPair,
) {
  const pair = csrf ?? (await csrfFrom(t.app, "/login"));
  return postForm(t.app, "/login", { username, password, ...extra }, { csrf: pair });
}

function accountCount(db: Db): number {
  return db.select({ n: sql<number>`count(*)` }).from(accounts).get()!.n;
}

describe("registration", () => {
  it("is closed by default: the page says so, and a POST is refused with 403", async () => {
    const t = await setup();
    const page = await t.app.request("/register");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(pageText(html)).toContain("Registration is closed on this site.");
    // A note, not a success.
    expect(statusNotices(html)).toEqual(["notice"]);
    expect(tags(html, "form").filter((f) => f.action === "/register")).toEqual([]);
    const res = await register(t);
    expect(res.status).toBe(403);
    expect(sessionCookieOf(res)).toBeUndefined();
    expect(accountCount(t.db)).toBe(0);
  });

  it("open: creates an author with a lower-cased name, logs them in and shows the account", async () => {
    const t = await setup("open");
    const form = await (await t.app.request("/register")).text();
    expect(tags(form, "input").map((i) => i.name)).toEqual(["csrf", "next", "username", "password", "password2"]);
    const res = await register(t);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/account");
    const cookie = sessionCookieOf(res)!;
    expect(cookie).toMatch(
      /^__Host-session=[A-Za-z0-9_-]{43}; Max-Age=2592000; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    const row = t.db.select().from(accounts).get()!;
    expect(row).toMatchObject({ username: "ada_l", role: "author" });
    expect(row.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(row.passwordHash).not.toContain(PASSWORD);

    const account = await t.app.request("/account", { headers: { Cookie: cookie.split(";")[0]! } });
    expect(account.status).toBe(200);
    expect(account.headers.get("cache-control")).toBe("no-store");
    const html = await account.text();
    expect(pageText(html)).toContain("Username ada_l");
    expect(tags(html, "a").find((a) => a.href === "/account")).toBeDefined();
    expect(tags(html, "form").find((f) => f.action === "/logout")).toMatchObject({ method: "post" });
  });

  it("invite: needs an unused code, and each code works once", async () => {
    const t = await setup("invite");
    const owner = await addAccount(t.db, "owner", "admin");
    const form = await (await t.app.request("/register")).text();
    expect(tags(form, "input").map((i) => i.name)).toContain("invite");

    const missing = await register(t, { username: "first" });
    expect(missing.status).toBe(400);
    expect(fieldError(await missing.text(), "invite")).toBe("Please enter your invite code.");
    const wrong = await register(t, { username: "first", invite: "not-a-code" });
    expect(wrong.status).toBe(400);
    const wrongHtml = await wrong.text();
    expect(fieldError(wrongHtml, "invite")).toBe("This invite code is not valid or has already been used.");
    expect(inputValue(wrongHtml, "invite")).toBe("not-a-code");

    const code = createInvite(t.db, owner.id);
    expect((await register(t, { username: "first", invite: code })).status).toBe(303);
    const reused = await register(t, { username: "second", invite: code });
    expect(reused.status).toBe(400);
    expect(fieldError(await reused.text(), "invite")).toBe("This invite code is not valid or has already been used.");
    expect(
      t.db
        .select({ u: accounts.username })
        .from(accounts)
        .orderBy(accounts.id)
        .all()
        .map((r) => r.u),
    ).toEqual(["owner", "first"]);
  });

  const bad: [string, Record<string, string | undefined>, string, RegExp][] = [
    ["a short password", { password: "short", password2: "short" }, "password", /at least 10 characters/],
    ["no password", { password: "", password2: "" }, "password", /choose a password/],
    ["a 201-character password", { password: "p".repeat(201), password2: "p".repeat(201) }, "password", /at most 200/],
    ["passwords that differ", { password2: `${PASSWORD}!` }, "password2", /not the same/],
    ["a two-letter username", { username: "ab" }, "username", /3 to 30/],
    ["a username with a hyphen", { username: "ada-l" }, "username", /only letters a–z, digits and underscores/],
    ["a username with a space", { username: "ada l" }, "username", /only letters/],
    ["a reserved username", { username: "Admin" }, "username", /reserved/],
    ["another reserved username", { username: "undersign" }, "username", /reserved/],
    ["no username", { username: undefined }, "username", /choose a username/],
  ];

  it.each(bad)(
    "refuses %s with 400, the error by the field and the input kept, never the password",
    async (_, overrides, field, message) => {
      const t = await setup("open");
      const res = await register(t, overrides);
      expect(res.status).toBe(400);
      const html = await res.text();
      expect(fieldError(html, field)).toMatch(message);
      expect(tags(html, "input").find((i) => i.name === field)).toMatchObject({ "aria-invalid": "true" });
      expect(inputValue(html, "username")).toBe(overrides.username ?? ("username" in overrides ? "" : "Ada_L"));
      expect(inputValue(html, "password")).toBe("");
      expect(inputValue(html, "password2")).toBe("");
      expect(html).not.toContain(PASSWORD);
      expect(sessionCookieOf(res)).toBeUndefined();
      expect(accountCount(t.db)).toBe(0);
    },
  );

  it("accepts a 200-character password of 4-byte characters (the body limit leaves room for it)", async () => {
    const t = await setup("open");
    const long = "🔑".repeat(200);
    expect((await register(t, { password: long, password2: long })).status).toBe(303);
    expect((await login(t, "ada_l", long)).status).toBe(303);
  });

  it("refuses a taken username, whatever its case, as a field error (400) only once the rest of the form is valid", async () => {
    const t = await setup("open");
    await addAccount(t.db, "ada_l");
    const res = await register(t, { username: "ADA_L" });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(fieldError(html, "username")).toBe("This username is not available; please choose another.");
    expect(inputValue(html, "username")).toBe("ADA_L");
    expect(accountCount(t.db)).toBe(1);
    // With another problem in the form, the name is not looked at: the answer is the same for a free name.
    for (const username of ["ada_l", "free_name"]) {
      await expectUsernameUntold(
        await register(t, { username, password2: "something else" }),
        "password2",
        "The two passwords are not the same.",
      );
    }
    // The person can pick another name and go on.
    expect((await register(t, { username: "ada_l2" })).status).toBe(303);
  });

  it("does not tell an invite-less prober whether a name is taken", async () => {
    const t = await setup("invite");
    await addAccount(t.db, "ada");
    for (const username of ["ada", "nobody_here"]) {
      await expectUsernameUntold(
        await register(t, { username, invite: "guessed-code" }),
        "invite",
        "This invite code is not valid or has already been used.",
      );
    }
  });

  it("limits registration attempts that reach the name check per client, and accounts made per client", async () => {
    const t = await createTestApp({ env: { TRUST_PROXY: "loopback" } });
    setRegistrationMode(t.db, "open");
    await addAccount(t.db, "taken");
    const prober = fromClient(t.app, "203.0.113.66");
    const pair = await csrfFrom(prober, "/register");
    for (let i = 0; i < 10; i++) {
      expect((await postForm(prober, "/register", registerFields({ username: "taken" }), { csrf: pair })).status).toBe(
        400,
      );
    }
    const limited = await postForm(prober, "/register", registerFields({ username: "taken" }), { csrf: pair });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(3000);
    const html = await limited.text();
    expect(formError(html)).toMatch(
      /^Too many registration attempts from your connection\. Please try again in \d+ minutes\.$/,
    );
    expect(fieldError(html, "username")).toBeUndefined();
    expect(inputValue(html, "username")).toBe("taken");
    // Forms with mistakes do not count; another client is not affected.
    expect((await postForm(prober, "/register", registerFields({ username: "x" }), { csrf: pair })).status).toBe(400);
    const other = fromClient(t.app, "203.0.113.67");
    const otherPair = await csrfFrom(other, "/register");
    for (let i = 0; i < 5; i++) {
      expect(
        (await postForm(other, "/register", registerFields({ username: `new_${i}` }), { csrf: otherPair })).status,
      ).toBe(303);
    }
    const sixth = await postForm(other, "/register", registerFields({ username: "new_5" }), { csrf: otherPair });
    expect(sixth.status).toBe(429);
    expect(formError(await sixth.text())).toContain("Too many accounts were created from your connection today.");
    expect(findAccountByUsername(t.db, "new_5")).toBeUndefined();
  });

  it("refuses a form without CSRF token (403), of the wrong type (415) or too large (413)", async () => {
    const t = await setup("open");
    const noCsrf = await register(t, {}, null);
    expect(noCsrf.status).toBe(403);
    expect(formError(await noCsrf.text())).toContain("This form expired");
    const pair = await csrfFrom(t.app, "/register");
    const forged = await postForm(t.app, "/register", { ...registerFields(), csrf: "x".repeat(43) }, { csrf: pair });
    expect(forged.status).toBe(403);
    const crossSite = await postForm(t.app, "/register", registerFields(), {
      csrf: pair,
      headers: { Origin: "https://evil.example" },
    });
    expect(crossSite.status).toBe(403);
    const json = await postForm(
      t.app,
      "/register",
      {},
      { csrf: pair, headers: { "Content-Type": "application/json" }, body: JSON.stringify(registerFields()) },
    );
    expect(json.status).toBe(415);
    const large = await postForm(
      t.app,
      "/register",
      {},
      { csrf: pair, body: `csrf=${pair.csrf}&username=ada&comment=${"x".repeat(9000)}` },
    );
    expect(large.status).toBe(413);
    expect(accountCount(t.db)).toBe(0);
  });

  it("sends a logged-in person from /register to their account", async () => {
    const t = await setup("open");
    const { cookie } = await loggedIn(t, "ada");
    const res = await t.app.request("/register", { headers: { Cookie: cookie } });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/account");
  });
});

describe("logging in", () => {
  it("sets an HttpOnly, Secure, SameSite=Lax session cookie and hashes an old-parameter password again", async () => {
    const t = await setup();
    await addAccount(t.db, "ada");
    const page = await t.app.request("/login");
    const html = await page.text();
    expect(tags(html, "a").find((a) => a.href === "/login")).toBeDefined();
    expect(inputValue(html, "next")).toBe("/account");

    const res = await login(t, "ADA", PASSWORD);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/account");
    const cookie = sessionCookieOf(res)!;
    expect(cookie).toMatch(
      /^__Host-session=[A-Za-z0-9_-]{43}; Max-Age=2592000; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    const token = cookie.split(";")[0]!.split("=")[1]!;
    expect(
      t.db
        .select()
        .from(sessions)
        .all()
        .map((s) => s.id),
    ).toEqual([hashSecret(token)]);
    expect(findAccountByUsername(t.db, "ada")!.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);
    // And the new hash still works.
    expect((await login(t, "ada", PASSWORD)).status).toBe(303);
  });

  it("uses a plain `session` cookie (no Secure) on an http origin", async () => {
    const t = await createTestApp({ origin: "http://localhost:8000" });
    await addAccount(t.db, "ada");
    const res = await login(t as App, "ada", PASSWORD);
    expect(res.status).toBe(303);
    expect(res.headers.getSetCookie().find((c) => c.startsWith("session="))).toMatch(
      /^session=[A-Za-z0-9_-]{43}; Max-Age=2592000; Path=\/; HttpOnly; SameSite=Lax$/,
    );
  });

  it("answers a wrong password and an unknown username identically", async () => {
    const t = await setup();
    await addAccount(t.db, "known_user");
    const pair = await csrfFrom(t.app, "/login");
    const wrong = await login(t, "known_user", "wrong password!", {}, pair);
    const unknown = await login(t, "other_user", PASSWORD, {}, pair);
    expect(wrong.status).toBe(400);
    expect(unknown.status).toBe(400);
    const a = await wrong.text();
    const b = await unknown.text();
    expect(formError(a)).toBe("Wrong username or password.");
    expect(inputValue(a, "username")).toBe("known_user");
    expect(inputValue(a, "password")).toBe("");
    expect(a).not.toContain("wrong password!");
    expect(a.replaceAll("known_user", "USER")).toBe(b.replaceAll("other_user", "USER"));
    expect(sessionCookieOf(wrong)).toBeUndefined();
    expect(sessionCookieOf(unknown)).toBeUndefined();
  });

  it("asks for missing fields next to them", async () => {
    const t = await setup();
    const res = await login(t, "", "");
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(fieldError(html, "username")).toBe("Please enter your username.");
    expect(fieldError(html, "password")).toBe("Please enter your password.");
  });

  it("refuses a login without CSRF token with 403", async () => {
    const t = await setup();
    await addAccount(t.db, "ada");
    const res = await postForm(t.app, "/login", { username: "ada", password: PASSWORD }, { csrf: null });
    expect(res.status).toBe(403);
    expect(sessionCookieOf(res)).toBeUndefined();
  });

  it("allows 5 failures per client in 15 minutes, then answers 429 with the username kept, even for the right password", async () => {
    const t = await setup();
    await addAccount(t.db, "ada");
    const pair = await csrfFrom(t.app, "/login");
    // A success does not count.
    expect((await login(t, "ada", PASSWORD, {}, pair)).status).toBe(303);
    for (let i = 0; i < 5; i++) expect((await login(t, "ada", `wrong password ${i}`, {}, pair)).status).toBe(400);
    const limited = await login(t, "ada", "wrong password 6", {}, pair);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(800);
    const html = await limited.text();
    expect(formError(html)).toMatch(
      /^Too many failed logins from your connection\. Please try again in 1[45] minutes\.$/,
    );
    expect(inputValue(html, "username")).toBe("ada");
    expect(inputValue(html, "password")).toBe("");
    expect(html).not.toContain("wrong password 6");
    const right = await login(t, "ada", PASSWORD, {}, pair);
    expect(right.status).toBe(429);
    expect(sessionCookieOf(right)).toBeUndefined();
  });

  it("limits failures per account and client together: others behind the same address, and the owner elsewhere, still log in", async () => {
    const t = await createTestApp({ env: { TRUST_PROXY: "loopback" } });
    await addAccount(t.db, "ada");
    await addAccount(t.db, "bob");
    const nat = fromClient(t.app, "203.0.113.10");
    const pair = await csrfFrom(nat, "/login");
    for (let i = 0; i < 5; i++)
      expect((await login({ app: nat } as App, "ada", `wrong ${i}`, {}, pair)).status).toBe(400);
    expect((await login({ app: nat } as App, "ada", PASSWORD, {}, pair)).status).toBe(429);
    // Bob, behind the same NAT, is not held back.
    expect((await login({ app: nat } as App, "bob", PASSWORD, {}, pair)).status).toBe(303);
    // Ada from her phone's network logs in.
    const phone = fromClient(t.app, "2001:db8:77::1");
    expect((await login({ app: phone } as App, "ada", PASSWORD, {}, await csrfFrom(phone, "/login"))).status).toBe(303);
  });

  it("slows down guessing at one account from many addresses, never for longer than a minute, and not for the owner's known browser", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-06-01T10:00:00Z"));
    try {
      const t = await createTestApp({ env: { TRUST_PROXY: "loopback" } });
      await addAccount(t.db, "ada");
      // Ada logged in from her laptop once: the browser is marked.
      const laptop = fromClient(t.app, "192.0.2.1");
      const laptopPair = await csrfFrom(laptop, "/login");
      const first = await login({ app: laptop } as App, "ada", PASSWORD, {}, laptopPair);
      expect(first.status).toBe(303);
      const device = cookiesFrom(first).find((c) => c.startsWith("__Host-device="));
      expect(device).toMatch(/^__Host-device=\d+\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}$/);
      expect(first.headers.getSetCookie().find((c) => c.startsWith("__Host-device="))).toMatch(/HttpOnly/i);

      // Ten guesses from ten addresses pass the limits (and fail); the eleventh must wait.
      for (let i = 0; i < 10; i++) {
        const bot = fromClient(t.app, `198.51.100.${i + 1}`);
        expect((await login({ app: bot } as App, "ada", `guess ${i}`, {}, await csrfFrom(bot, "/login"))).status).toBe(
          400,
        );
      }
      const eleventh = fromClient(t.app, "198.51.100.200");
      const eleventhPair = await csrfFrom(eleventh, "/login");
      const slowed = await login({ app: eleventh } as App, "ada", "guess 11", {}, eleventhPair);
      expect(slowed.status).toBe(429);
      expect(Number(slowed.headers.get("retry-after"))).toBeLessThanOrEqual(60);
      expect(formError(await slowed.text())).toMatch(
        /^Too many failed logins for this username just now\. Please try again in \d+ seconds?\.$/,
      );
      // An unknown username is treated the same way (the answers do not tell which names exist).
      for (let i = 0; i < 10; i++) {
        const bot = fromClient(t.app, `198.51.100.${i + 1}`);
        await login({ app: bot } as App, "nobody", `guess ${i}`, {}, await csrfFrom(bot, "/login"));
      }
      expect((await login({ app: eleventh } as App, "nobody", "guess 11", {}, eleventhPair)).status).toBe(429);

      // The owner's marked browser, from a new address, gets in at once.
      const cafe = fromClient(t.app, "203.0.113.99");
      const cafePair = await csrfFrom(cafe, "/login");
      const owner = await login(
        { app: cafe } as App,
        "ada",
        PASSWORD,
        {},
        { cookie: `${cafePair.cookie}; ${device}`, csrf: cafePair.csrf },
      );
      expect(owner.status).toBe(303);
      // A forged or other account's mark does not help.
      const forged = await login(
        { app: cafe } as App,
        "ada",
        PASSWORD,
        {},
        {
          cookie: `${cafePair.cookie}; ${device!.replace(/.$/, (ch) => (ch === "A" ? "B" : "A"))}`,
          csrf: cafePair.csrf,
        },
      );
      expect(forged.status).toBe(429);

      // The wait grows but never exceeds a minute: then the right password works from anywhere.
      vi.setSystemTime(new Date("2026-06-01T10:01:01Z"));
      expect((await login({ app: eleventh } as App, "ada", PASSWORD, {}, eleventhPair)).status).toBe(303);
    } finally {
      vi.useRealTimers();
    }
  });

  it("goes to a same-site `next` path, and ignores every other `next`", async () => {
    const t = await setup();
    await addAccount(t.db, "ada");
    const pair = await csrfFrom(t.app, "/login");
    const ok = await login(t, "ada", PASSWORD, { next: "/d/some-declaration?x=1#sign" }, pair);
    expect(ok.headers.get("location")).toBe("/d/some-declaration?x=1#sign");
    for (const next of [
      "//evil.example/",
      "///evil.example",
      "https://evil.example/",
      "http:evil.example",
      "/\\evil.example",
      "\\\\evil.example",
      "javascript:alert(1)",
      "/\t/evil.example",
      "/\r\nSet-Cookie: x=y",
      "evil.example",
      " //evil.example",
    ]) {
      const res = await login(t, "ada", PASSWORD, { next }, pair);
      expect(res.status, next).toBe(303);
      expect(res.headers.get("location"), next).toBe("/account");
    }
    // Paths that only become another host once normalised ("/.//x" is "//x").
    for (const next of ["/.//evil.example", "/..//evil.example", "/a/..//evil.example", "/%2e%2e//evil.example"]) {
      const res = await login(t, "ada", PASSWORD, { next }, pair);
      expect(res.headers.get("location"), next).toBe("/account");
    }
    // Encoded slashes and backslashes stay one path on this site.
    const encoded = await login(t, "ada", PASSWORD, { next: "/%2F%2Fevil.example" }, pair);
    expect(encoded.headers.get("location")).toBe("/%2F%2Fevil.example");
    const page = await t.app.request(`/login?next=${encodeURIComponent("//evil.example")}`);
    expect(inputValue(await page.text(), "next")).toBe("/account");
    const kept = await t.app.request(`/login?next=${encodeURIComponent("/admin")}`);
    expect(inputValue(await kept.text(), "next")).toBe("/admin");
  });
});

describe("registering on the way somewhere", () => {
  const COPY = "/d/some-declaration/copy?v=2";

  it("carries `next` from the login page to the registration form and lands there after registering", async () => {
    const t = await setup("open");
    const login = await (await t.app.request(`/login?next=${encodeURIComponent(COPY)}`)).text();
    const link = tags(login, "a").find((a) => a.href?.startsWith("/register"));
    expect(link?.href).toBe(`/register?next=${encodeURIComponent(COPY)}`);
    const form = await (await t.app.request(link!.href!)).text();
    expect(inputValue(form, "next")).toBe(COPY);
    expect(tags(form, "a").some((a) => a.href === `/login?next=${encodeURIComponent(COPY)}`)).toBe(true);
    const res = await register(t, { next: COPY });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(COPY);
  });

  it("keeps `next` through a refused form, and never leaves the site", async () => {
    const t = await setup("open");
    const refused = await register(t, { next: COPY, password2: "something else" });
    expect(refused.status).toBe(400);
    const html = await refused.text();
    expect(fieldError(html, "password2")).toBe("The two passwords are not the same.");
    expect(inputValue(html, "next")).toBe(COPY);
    expect(inputValue(html, "username")).toBe("Ada_L");
    for (const [i, next] of [
      "//evil.example",
      "/\\evil.example",
      "https://evil.example/",
      "/.//evil.example",
      "/%2e%2e//evil.example",
      "%2F%2Fevil.example",
    ].entries()) {
      const page = await t.app.request(`/register?next=${encodeURIComponent(next)}`);
      expect(inputValue(await page.text(), "next"), next).toBe("/account");
      if (i >= 4) continue; // five accounts a day per connection
      const res = await register(t, { username: `user_${i}`, next });
      expect(res.status, next).toBe(303);
      expect(res.headers.get("location"), next).toBe("/account");
    }
  });

  it("sends a logged-in visitor on to `next` from /register", async () => {
    const t = await setup("open");
    const browser = await loggedIn(t, "ada");
    const res = await t.app.request(`/register?next=${encodeURIComponent(COPY)}`, {
      headers: { Cookie: browser.cookie },
    });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(COPY);
  });
});

describe("sessions in the browser", () => {
  it("log out deletes the session and the cookie; the old cookie is then worthless", async () => {
    const t = await setup();
    const browser = await loggedIn(t, "ada");
    expect((await t.app.request("/account", { headers: { Cookie: browser.cookie } })).status).toBe(200);

    const refused = await postForm(t.app, "/logout", {}, { csrf: { ...browser, csrf: "x".repeat(43) } });
    expect(refused.status).toBe(403);
    expect(t.db.select().from(sessions).all()).toHaveLength(1);

    const res = await postForm(t.app, "/logout", {}, { csrf: browser });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/");
    expect(sessionCookieOf(res)).toMatch(/^__Host-session=; Max-Age=0; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    expect(t.db.select().from(sessions).all()).toEqual([]);
    const after = await t.app.request("/account", { headers: { Cookie: browser.cookie } });
    expect(after.status).toBe(303);
    expect(after.headers.get("location")).toBe("/login?next=/account");
    expect(sessionCookieOf(after)).toMatch(/Max-Age=0/);
  });

  it("/account sends a logged-out visitor to the login", async () => {
    const t = await setup();
    const res = await t.app.request("/account");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/login?next=/account");
  });

  it("ignores expired sessions and garbage cookies", async () => {
    const t = await setup();
    const ada = await addAccount(t.db, "ada");
    const { token } = createSession(t.db, ada.id, new Date(Date.now() - 31 * 86_400_000));
    for (const value of [token, "garbage", "x".repeat(43)]) {
      const res = await t.app.request("/account", { headers: { Cookie: `__Host-session=${value}` } });
      expect(res.status).toBe(303);
      expect(sessionCookieOf(res)).toMatch(/Max-Age=0/);
    }
    // Without a cookie nothing is set or cleared.
    expect(sessionCookieOf(await t.app.request("/"))).toBeUndefined();
  });

  it("slides: a session last used over an hour ago is touched and its cookie renewed", async () => {
    const t = await setup();
    const ada = await addAccount(t.db, "ada");
    const created = new Date(Date.now() - 2 * 86_400_000);
    const { token } = createSession(t.db, ada.id, created);
    const res = await t.app.request("/account", { headers: { Cookie: `__Host-session=${token}` } });
    expect(res.status).toBe(200);
    expect(sessionCookieOf(res)).toMatch(/Max-Age=2592000/);
    await t.batcher.run(() => undefined); // the touch is committed in the background
    const row = t.db
      .select()
      .from(sessions)
      .where(eq(sessions.id, hashSecret(token)))
      .get()!;
    expect(row.expires.getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    // Used again at once: no write, no new cookie.
    const again = await t.app.request("/account", { headers: { Cookie: `__Host-session=${token}` } });
    expect(sessionCookieOf(again)).toBeUndefined();
  });
});

describe("/admin", () => {
  it("sends logged-out visitors to the login and refuses authors", async () => {
    const t = await setup();
    const anonymous = await t.app.request("/admin");
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get("location")).toBe("/login?next=/admin");

    const author = await loggedIn(t, "ada");
    expect((await t.app.request("/admin", { headers: { Cookie: author.cookie } })).status).toBe(403);
    expect((await postForm(t.app, "/admin/registration", { mode: "open" }, { csrf: author })).status).toBe(403);
    expect((await postForm(t.app, "/admin/invites", {}, { csrf: author })).status).toBe(403);
    expect(getRegistrationMode(t.db)).toBe("closed");
  });

  it("lets the admin switch the registration mode, with CSRF protection", async () => {
    const t = await setup();
    const admin = await loggedIn(t, "owner", "admin");
    await addAccount(t.db, "ada");
    const page = await t.app.request("/admin", { headers: { Cookie: admin.cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(checkedRadio(html, "mode")).toBe("closed");
    expect([...html.matchAll(/<td class="username">([^<]*)<\/td>/g)].map((m) => m[1])).toEqual(["owner", "ada"]);

    expect(
      (await postForm(t.app, "/admin/registration", { mode: "open", csrf: "x".repeat(43) }, { csrf: admin })).status,
    ).toBe(403);
    expect(getRegistrationMode(t.db)).toBe("closed");
    const bad = await postForm(t.app, "/admin/registration", { mode: "everyone" }, { csrf: admin });
    expect(bad.status).toBe(400);
    expect(fieldError(await bad.text(), "mode")).toBe("Please choose open, invite or closed.");

    for (const mode of ["open", "invite", "closed"] as const) {
      const res = await postForm(t.app, "/admin/registration", { mode }, { csrf: admin });
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/admin?saved=1");
      expect(getRegistrationMode(t.db)).toBe(mode);
    }
    const saved = await (await t.app.request("/admin?saved=1", { headers: { Cookie: admin.cookie } })).text();
    expect(pageText(saved)).toContain("Saved.");
    expect(statusNotices(saved)).toEqual(["notice success"]);
    expect(checkedRadio(saved, "mode")).toBe("closed");
  });

  it("lets the admin create invite codes, shown once, that work for registration", async () => {
    const t = await setup("invite");
    const admin = await loggedIn(t, "owner", "admin");
    const res = await postForm(t.app, "/admin/invites", {}, { csrf: admin });
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const html = await res.text();
    const code = /<code class="invite-code">([A-Za-z0-9_-]{22})<\/code>/.exec(html)?.[1];
    expect(code).toBeDefined();
    expect(pageText(html)).toContain("1 invite code is unused.");
    expect(statusNotices(html)).toEqual(["notice success"]);
    const later = await (await t.app.request("/admin", { headers: { Cookie: admin.cookie } })).text();
    expect(later).not.toContain(code!);

    expect((await register(t, { username: "invited", invite: code! })).status).toBe(303);
    expect(findAccountByUsername(t.db, "invited")).toMatchObject({ role: "author" });
  });
});
