/**
 * Signing with mail, end to end against a real SMTP server on loopback: the
 * confirmation link, its expiry, repeat signings, the thank-you mail, the JSON
 * API, and an SMTP server that cannot be reached.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Db } from "../../src/db/client.ts";
import { signatures } from "../../src/db/schema.ts";
import { purgeExpiredPending } from "../../src/db/signatures.ts";
import { COUNT_REFRESH_MS } from "../../src/web/declarations/pages.tsx";
import { formatDateTime } from "../../src/services/signing-mail.ts";
import { REPEAT_MAILS_PER_HOUR } from "../../src/services/signing.ts";
import { addDeclaration, createTestApp, TEST_ORIGIN } from "../helpers/app.ts";
import { captureLogs } from "../helpers/logs.ts";
import { addressOf, closedPort, startSmtpServer, type ReceivedMail, type TestSmtpServer } from "../helpers/smtp.ts";

const SLUG = "test-declaration";
const TITLE = "Test Declaration";
const MAIL_FROM = "Declarations <noreply@undersign.test>";
const TOKEN = "[A-Za-z0-9_-]{43}";

type App = Awaited<ReturnType<typeof createTestApp>>["app"];

/** A browser in miniature: keeps cookies, sends forms with our Origin. */
function browser(app: App) {
  const jar = new Map<string, string>();
  async function request(url: string, init: RequestInit = {}) {
    const headers = new Headers(init.headers);
    if (jar.size > 0) headers.set("cookie", [...jar].map(([name, value]) => `${name}=${value}`).join("; "));
    const res = await app.request(url, { ...init, headers });
    for (const cookie of res.headers.getSetCookie()) {
      const pair = cookie.split(";")[0]!;
      const eq = pair.indexOf("=");
      jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    return res;
  }
  return {
    request,
    async get(url: string) {
      const res = await request(url);
      return { res, html: await res.text() };
    },
    post(url: string, fields: Record<string, string>) {
      return request(url, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: TEST_ORIGIN },
        body: new URLSearchParams(fields).toString(),
      });
    },
  };
}
type Browser = ReturnType<typeof browser>;

/** The form's CSRF field: empty on pages anyone may be served, a token on private ones. */
function csrfIn(html: string): string {
  const token = /name="csrf" value="([^"]*)"/.exec(html)?.[1];
  expect(token, "a CSRF field in the page").toBeDefined();
  return token!;
}

/** Fills in and sends the sign form the way a person would. */
async function signByForm(b: Browser, fields: Record<string, string>) {
  const { html } = await b.get(`/d/${SLUG}/sign`);
  return b.post(`/d/${SLUG}/sign`, { csrf: csrfIn(html), visibility: "public", ...fields });
}

/** The private-link token from the redirect after a successful signing. */
function tokenFromRedirect(res: Response): string {
  expect(res.status).toBe(303);
  const match = new RegExp(`^/s/(${TOKEN})\\?signed=1$`).exec(res.headers.get("location") ?? "");
  expect(match, `redirect to the private link, got ${res.headers.get("location")}`).not.toBeNull();
  return match![1]!;
}

/** The count shown on the Declaration page, checked against the API's. */
async function count(app: App): Promise<number> {
  // The Declaration page is kept between signatures and shows a new count within COUNT_REFRESH_MS.
  vi.setSystemTime(Date.now() + COUNT_REFRESH_MS);
  const html = await (await app.request(`/d/${SLUG}`)).text();
  const shown = /<span class="count"[^>]*>([\d,]+) signatures?<\/span>/.exec(html)?.[1];
  expect(shown, "the count on the Declaration page").toBeDefined();
  const api = (await (await app.request(`/api/declarations/${SLUG}`)).json()) as { signatureCount: number };
  expect(Number(shown!.replace(/,/g, ""))).toBe(api.signatureCount);
  return api.signatureCount;
}

/** The links in a signing mail: each must sit on its own line, under the site's origin. */
function linksIn(mail: ReceivedMail): { confirm: string | undefined; private: string } {
  const lines = mail.text.split("\n").map((line) => line.trim());
  const confirm = lines.filter((line) => new RegExp(`^${TEST_ORIGIN}/s/confirm/${TOKEN}$`).test(line));
  const privateLinks = lines.filter((line) => new RegExp(`^${TEST_ORIGIN}/s/${TOKEN}$`).test(line));
  expect(confirm.length).toBeLessThanOrEqual(1);
  expect(privateLinks).toHaveLength(1);
  return { confirm: confirm[0], private: privateLinks[0]! };
}

function rows(db: Db) {
  return db.select().from(signatures).all();
}

let smtp: TestSmtpServer;
beforeEach(async () => {
  smtp = await startSmtpServer();
  // A clock that runs, and that count() can step past the kept page's refresh interval.
  vi.useFakeTimers({ toFake: ["Date"], shouldAdvanceTime: true });
});
afterEach(() => {
  vi.useRealTimers();
  return smtp.close();
});

async function setup(env: Record<string, string> = {}) {
  const t = await createTestApp({
    env: { SIGNATURE_CONFIRMATION: "email", SMTP_URL: smtp.url, MAIL_FROM, ...env },
  });
  addDeclaration(t.db, { slug: SLUG, title: TITLE });
  return t;
}

describe("signing with email confirmation", () => {
  it("requires an email address, counts only after the mailed link is confirmed, and only once", async () => {
    const { app, db } = await setup();
    const alice = browser(app);

    // The form says the address is required, and refuses a signing without one.
    const form = await alice.get(`/d/${SLUG}/sign`);
    expect(form.html).toMatch(/<input[^>]*name="email"[^>]*required/);
    const missing = await signByForm(alice, { name: "Alice" });
    expect(missing.status).toBe(400);
    const refused = await missing.text();
    expect(refused).toContain('id="email-error"');
    expect(refused).toContain("Please enter your email address");
    expect(refused).toMatch(/<a href="#sign-email">Email address<\/a>/);
    expect(rows(db)).toHaveLength(0);

    // Signing with an address: stored as pending, not counted.
    const signed = await signByForm(alice, { name: "Alice", email: "alice@example.org" });
    const privateToken = tokenFromRedirect(signed);
    const [row] = rows(db);
    expect(row).toMatchObject({ status: "pending", email: "alice@example.org", confirmed: null });
    expect(await count(app)).toBe(0);
    const landing = await alice.get(`/s/${privateToken}?signed=1`);
    expect(landing.res.status).toBe(200);
    expect(landing.html).toContain("Check your mail");
    expect(landing.html).toContain("not counted yet");
    expect(await (await app.request(`/d/${SLUG}/signatures`)).text()).not.toContain("Alice");

    // The mail: to the signer, from MAIL_FROM, naming the Declaration, with both links.
    const mail = await smtp.waitForMessage(1);
    expect(mail.envelope.to).toEqual(["alice@example.org"]);
    expect(addressOf(mail.to)).toBe("alice@example.org");
    expect(mail.envelope.from).toBe("noreply@undersign.test");
    expect(mail.from).toBe(MAIL_FROM);
    expect(mail.subject).toBe(`Confirm your signature: ${TITLE}`);
    expect(mail.text).toContain(`“${TITLE}”`);
    const links = linksIn(mail);
    expect(links.private).toBe(`${TEST_ORIGIN}/s/${privateToken}`);
    expect(links.confirm).toBeDefined();
    const confirmLink = links.confirm!;

    // Following the link (in another browser, as from a mail app) shows a button and changes nothing.
    const reader = browser(app);
    const page = await reader.get(confirmLink);
    expect(page.res.status).toBe(200);
    expect(page.res.headers.get("cache-control")).toBe("no-store");
    expect(page.html).toContain("Confirm your signature");
    expect(page.html).toMatch(/<form method="post" action="\/s\/confirm\/[A-Za-z0-9_-]{43}">/);
    expect(page.html).toContain("<button");
    expect(rows(db)[0]!.status).toBe("pending");
    expect(await count(app)).toBe(0);

    // A POST from another site does not confirm either.
    const forged = await browser(app).request(confirmLink, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
      body: "csrf=forged",
    });
    expect(forged.status).toBe(303);
    expect(await count(app)).toBe(0);

    // Pressing the button confirms: counted once.
    const confirmed = await reader.post(confirmLink, { csrf: csrfIn(page.html) });
    expect(confirmed.status).toBe(200);
    const thanks = await confirmed.text();
    expect(thanks).toContain("Thank you: your signature counts");
    expect(thanks).toContain("You are the first signer of");
    expect(await count(app)).toBe(1);
    expect(rows(db)[0]).toMatchObject({ status: "confirmed", confirmExpires: null });
    expect(rows(db)[0]!.confirmed).toBeInstanceOf(Date);
    expect(await (await app.request(`/d/${SLUG}/signatures`)).text()).toContain("Alice");

    // Following it again: already confirmed, never counted twice.
    const again = await reader.get(confirmLink);
    expect(again.res.status).toBe(200);
    expect(again.html).toContain("Already confirmed");
    expect(again.html).not.toContain("<button");
    const repost = await reader.post(confirmLink, { csrf: csrfIn(page.html) });
    expect(repost.status).toBe(200);
    expect(await count(app)).toBe(1);
    expect(rows(db)).toHaveLength(1);

    // The private link now says the signature counts; exactly one mail was sent.
    expect((await alice.get(`/s/${privateToken}`)).html).toContain("It is counted.");
    expect(smtp.messages).toHaveLength(1);
  });

  it("does not make the signer wait for the mail", async () => {
    let release!: () => void;
    await smtp.close();
    smtp = await startSmtpServer({ gate: new Promise<void>((resolve) => (release = resolve)) });
    const { app } = await setup();
    const signed = await signByForm(browser(app), { name: "Alice", email: "alice@example.org" });
    tokenFromRedirect(signed);
    expect(smtp.messages).toHaveLength(0);
    release();
    expect((await smtp.waitForMessage(1)).envelope.to).toEqual(["alice@example.org"]);
  });
});

describe("confirmation links expire", () => {
  it("answers 410 for an expired link, never counts it, and the purge removes the signature", async () => {
    const { app, db, config } = await setup({ CONFIRMATION_EXPIRES: "5m" });
    expect(config.signing.confirmationTtlMs).toBe(5 * 60_000);
    const alice = browser(app);
    const before = Date.now();
    const privateToken = tokenFromRedirect(await signByForm(alice, { name: "Alice", email: "alice@example.org" }));
    const after = Date.now();
    const expires = rows(db)[0]!.confirmExpires!.getTime();
    expect(expires).toBeGreaterThanOrEqual(before + 5 * 60_000);
    expect(expires).toBeLessThanOrEqual(after + 5 * 60_000);
    const mail = await smtp.waitForMessage(1);
    expect(mail.text).toContain(`The link works until ${formatDateTime(new Date(expires))} UTC.`);
    const confirmLink = linksIn(mail).confirm!;

    db.update(signatures)
      .set({ confirmExpires: new Date(Date.now() - 1000) })
      .run();

    const page = await alice.get(confirmLink);
    expect(page.res.status).toBe(410);
    expect(page.html).toContain("Link expired");
    expect(page.html).not.toContain("<button");
    // Even with a valid CSRF token (from the sign form), a POST does not count it.
    const { html } = await alice.get(`/d/${SLUG}/sign`);
    const post = await alice.post(confirmLink, { csrf: csrfIn(html) });
    expect(post.status).toBe(410);
    expect(await post.text()).toContain("Link expired");
    expect(rows(db)[0]!.status).toBe("pending");
    expect(await count(app)).toBe(0);

    expect(purgeExpiredPending(db, new Date())).toBe(1);
    expect(rows(db)).toHaveLength(0);
    expect((await alice.get(confirmLink)).res.status).toBe(404);
    expect((await alice.get(`/s/${privateToken}`)).res.status).toBe(404);
    expect(await count(app)).toBe(0);
  });

  it("leaves links that have not expired alone when purging", async () => {
    const { app, db } = await setup({ CONFIRMATION_EXPIRES: "5m" });
    tokenFromRedirect(await signByForm(browser(app), { name: "Alice", email: "alice@example.org" }));
    expect(purgeExpiredPending(db, new Date())).toBe(0);
    expect(rows(db)).toHaveLength(1);
  });

  it("gives an expired, not yet purged signature a fresh link when the person signs again", async () => {
    const { app, db } = await setup({ CONFIRMATION_EXPIRES: "5m" });
    const alice = browser(app);
    tokenFromRedirect(await signByForm(alice, { name: "Alice", email: "alice@example.org" }));
    const oldLink = linksIn(await smtp.waitForMessage(1)).confirm!;
    db.update(signatures)
      .set({ confirmExpires: new Date(Date.now() - 1000) })
      .run();

    expect((await signByForm(alice, { name: "Alice", email: "alice@example.org" })).status).toBe(200);
    const newLink = linksIn(await smtp.waitForMessage(2)).confirm!;
    expect(newLink).not.toBe(oldLink);
    expect(rows(db)[0]!.confirmExpires!.getTime()).toBeGreaterThan(Date.now());
    expect((await alice.get(oldLink)).res.status).toBe(404);
    const page = await alice.get(newLink);
    expect(page.res.status).toBe(200);
    expect((await alice.post(newLink, { csrf: csrfIn(page.html) })).status).toBe(200);
    expect(await count(app)).toBe(1);
  });
});

describe("signing again with the same address", () => {
  it("re-sends a new confirmation link while pending, and a new private link once confirmed, counting once", async () => {
    const { app, db } = await setup();
    const alice = browser(app);

    const firstToken = tokenFromRedirect(await signByForm(alice, { name: "Alice", email: "alice@example.org" }));
    const first = linksIn(await smtp.waitForMessage(1));
    expect(first.private).toBe(`${TEST_ORIGIN}/s/${firstToken}`);

    // Again while pending: a notice, a second mail with new links, still one row and nothing counted.
    const repeat = await signByForm(alice, { name: "Alice", email: "alice@example.org" });
    expect(repeat.status).toBe(200);
    const notice = await repeat.text();
    expect(notice).toContain("You have already signed");
    expect(notice).toContain("We have mailed its private link to that address again.");
    const secondMail = await smtp.waitForMessage(2);
    expect(secondMail.envelope.to).toEqual(["alice@example.org"]);
    expect(secondMail.subject).toBe(`Confirm your signature: ${TITLE}`);
    const second = linksIn(secondMail);
    expect(second.confirm).toBeDefined();
    expect(second.confirm).not.toBe(first.confirm);
    expect(second.private).not.toBe(first.private);
    expect(secondMail.text).toContain("replaces any private link");
    expect(rows(db)).toHaveLength(1);
    expect(await count(app)).toBe(0);

    // The old links no longer work; the new ones do.
    expect((await alice.get(first.confirm!)).res.status).toBe(404);
    expect((await alice.post(first.confirm!, { csrf: csrfIn((await alice.get(`/d/${SLUG}/sign`)).html) })).status).toBe(
      404,
    );
    expect((await alice.get(first.private)).res.status).toBe(404);
    expect((await alice.get(second.private)).res.status).toBe(200);
    const page = await alice.get(second.confirm!);
    expect(page.res.status).toBe(200);
    expect((await alice.post(second.confirm!, { csrf: csrfIn(page.html) })).status).toBe(200);
    expect(await count(app)).toBe(1);

    // Once confirmed, the same address in other letter case: a new private link only, still counted once.
    const confirmedRepeat = await signByForm(alice, { name: "Alice", email: "ALICE@Example.ORG" });
    expect(confirmedRepeat.status).toBe(200);
    expect(await confirmedRepeat.text()).toContain("We have mailed its private link to that address again.");
    const thirdMail = await smtp.waitForMessage(3);
    expect(thirdMail.envelope.to).toEqual(["ALICE@example.org"]);
    expect(thirdMail.subject).toBe(`Your signature: ${TITLE}`);
    const third = linksIn(thirdMail);
    expect(third.confirm).toBeUndefined();
    expect(thirdMail.text).toContain("It is counted once.");
    expect(third.private).not.toBe(second.private);
    expect((await alice.get(second.private)).res.status).toBe(404);
    const own = await alice.get(third.private);
    expect(own.res.status).toBe(200);
    expect(own.html).toContain("It is counted.");
    expect(rows(db)).toHaveLength(1);
    expect(rows(db)[0]).toMatchObject({ status: "confirmed", email: "alice@example.org" });
    expect(await count(app)).toBe(1);
    // The confirmation link that was used still only says "already confirmed".
    expect((await alice.get(second.confirm!)).html).toContain("Already confirmed");
    expect(smtp.messages).toHaveLength(3);
  });
});

describe("re-sends are limited per address", () => {
  it("re-sends at most REPEAT_MAILS_PER_HOUR times an hour, and keeps the last link working after that", async () => {
    const { app, db } = await setup();
    const mallory = browser(app);
    tokenFromRedirect(await signByForm(mallory, { name: "Victim", email: "victim@example.org" }));
    await smtp.waitForMessage(1);
    for (let i = 0; i < REPEAT_MAILS_PER_HOUR; i++) {
      const res = await signByForm(mallory, { name: "Victim", email: "victim@example.org" });
      expect(await res.text()).toContain("We have mailed its private link to that address again.");
      await smtp.waitForMessage(2 + i);
    }
    const lastLinks = linksIn(smtp.messages.at(-1)!);
    // Beyond the limit: answered politely, nothing mailed, and the links mailed last still work.
    const beyond = await signByForm(mallory, { name: "Victim", email: "victim@example.org" });
    const text = await beyond.text();
    expect(text).toContain("You have already signed");
    expect(text).not.toContain("We have mailed");
    await new Promise((r) => setTimeout(r, 200));
    expect(smtp.messages).toHaveLength(1 + REPEAT_MAILS_PER_HOUR);
    expect((await mallory.get(lastLinks.private)).res.status).toBe(200);
    expect(rows(db)).toHaveLength(1);
  });
});

describe("mail without confirmation", () => {
  it("thanks a signer who gave an address, with the private link, and mails no one else", async () => {
    const t = await createTestApp({ env: { SMTP_URL: smtp.url, MAIL_FROM } });
    addDeclaration(t.db, { slug: SLUG, title: TITLE });
    const { app, db } = t;
    expect(t.config.signing.confirmation).toBe("none");
    const carol = browser(app);

    const form = await carol.get(`/d/${SLUG}/sign`);
    expect(form.html).not.toMatch(/<input[^>]*name="email"[^>]*required/);
    const token = tokenFromRedirect(await signByForm(carol, { name: "Carol", email: "carol@example.org" }));
    expect(await count(app)).toBe(1);
    const mail = await smtp.waitForMessage(1);
    expect(mail.envelope.to).toEqual(["carol@example.org"]);
    expect(mail.from).toBe(MAIL_FROM);
    expect(mail.subject).toBe(`Thank you for signing: ${TITLE}`);
    expect(mail.text).toContain(`Thank you for signing “${TITLE}”`);
    const links = linksIn(mail);
    expect(links.confirm).toBeUndefined();
    expect(mail.text).not.toContain("/s/confirm/");
    expect(links.private).toBe(`${TEST_ORIGIN}/s/${token}`);

    // Without an address: counted, no mail.  A later signing with an address
    // shows that the mail queue moved on without a message for Dave.
    tokenFromRedirect(await signByForm(browser(app), { name: "Dave" }));
    expect(await count(app)).toBe(2);
    tokenFromRedirect(await signByForm(browser(app), { name: "Erin", email: "erin@example.org" }));
    const next = await smtp.waitForMessage(2);
    expect(next.envelope.to).toEqual(["erin@example.org"]);
    expect(smtp.messages).toHaveLength(2);
    expect(smtp.connections).toBe(2);
    expect(rows(db)).toHaveLength(3);
    expect(await count(app)).toBe(3);
  });

  it("does not mail at all when the test passes mailer: null", async () => {
    const t = await createTestApp({
      env: { SIGNATURE_CONFIRMATION: "email", SMTP_URL: smtp.url, MAIL_FROM },
      mailer: null,
    });
    addDeclaration(t.db, { slug: SLUG, title: TITLE });
    expect(t.mailer).toBeNull();
    tokenFromRedirect(await signByForm(browser(t.app), { name: "Alice", email: "alice@example.org" }));
    expect(rows(t.db)[0]!.status).toBe("pending");
    expect(smtp.connections).toBe(0);
  });
});

describe("the JSON API with confirmation", () => {
  it("answers 201 pending, not counted, and mails the confirmation link", async () => {
    const { app, db } = await setup();
    const res = await app.request(`/api/declarations/${SLUG}/signatures`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "Frank", email: "frank@example.org", public: true }),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { status: string; counted: boolean; revision: number; privateUrl: string };
    expect(body).toMatchObject({ status: "pending", counted: false, revision: 1 });
    expect(body.privateUrl).toMatch(new RegExp(`^${TEST_ORIGIN}/s/${TOKEN}$`));
    expect(await count(app)).toBe(0);

    const mail = await smtp.waitForMessage(1);
    expect(mail.envelope.to).toEqual(["frank@example.org"]);
    expect(mail.subject).toBe(`Confirm your signature: ${TITLE}`);
    const links = linksIn(mail);
    expect(links.private).toBe(body.privateUrl);
    expect(links.confirm).toBeDefined();
    expect(rows(db)[0]!.status).toBe("pending");

    const missing = await app.request(`/api/declarations/${SLUG}/signatures`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "Grace", public: true }),
    });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { field: string } }).error.field).toBe("email");
  });
});

describe("when the SMTP server cannot be reached", () => {
  const records = captureLogs();

  it("still stores the signing, answers normally, and logs the failure", async () => {
    const { app, db } = await setup({ SMTP_URL: `smtp://127.0.0.1:${await closedPort()}` });
    const alice = browser(app);
    const token = tokenFromRedirect(await signByForm(alice, { name: "Alice", email: "alice@example.org" }));
    expect(rows(db)[0]).toMatchObject({ status: "pending", email: "alice@example.org" });
    const landing = await alice.get(`/s/${token}?signed=1`);
    expect(landing.res.status).toBe(200);
    expect(landing.html).toContain("Check your mail");
    expect(await count(app)).toBe(0);

    const api = await app.request(`/api/declarations/${SLUG}/signatures`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "Frank", email: "frank@example.org", public: true }),
    });
    expect(api.status).toBe(201);

    // Two mail failures (the test site runs without the strike bot, which warns once on its own).
    const mailWarnings = () =>
      records.filter(
        (r) => r.level === "warning" && r.message.join("").startsWith("Could not send the confirmation mail"),
      );
    await expect.poll(() => mailWarnings().length, { timeout: 5000 }).toBe(2);
    const lines = records.map((r) => r.message.join(""));
    expect(lines).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Could not send the confirmation mail: .*ECONNREFUSED/)]),
    );
    expect(records.every((r) => r.level !== "error" && r.level !== "fatal")).toBe(true);
    // Addresses and links never reach the log.
    expect(lines.join("\n")).not.toMatch(/alice@|frank@|\/s\//);
    expect(rows(db)).toHaveLength(2);
    expect(smtp.messages).toHaveLength(0);
  });
});
