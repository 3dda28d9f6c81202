import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { appendRevision } from "../../src/db/declarations.ts";
import { declarations } from "../../src/db/schema.ts";
import type { MailMessage, Mailer } from "../../src/mail.ts";
import { formatDate } from "../../src/web/kit/format.ts";
import { hashToken } from "../../src/services/signing.ts";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import {
  csrfFrom,
  definitionList,
  inputValue,
  listedNames,
  pageText,
  postForm,
  rowCount,
  signatureRows,
  signForm,
  storedCount,
  tags,
  tokenFrom,
  type CsrfPair,
} from "../helpers/forms.ts";

afterEach(() => {
  vi.useRealTimers();
});

function fakeMailer() {
  const sent: MailMessage[] = [];
  const mailer: Mailer = {
    async send(message) {
      sent.push(message);
    },
  };
  return { mailer, sent };
}

async function setup(options: { env?: Record<string, string>; mailer?: Mailer } = {}) {
  const t = await createTestApp({
    ...(options.env != null ? { env: options.env } : {}),
    ...(options.mailer != null ? { mailer: options.mailer } : {}),
  });
  const declaration = addDeclaration(t.db);
  return { ...t, declaration };
}

type Setup = Awaited<ReturnType<typeof setup>>;

async function signed(t: Setup, overrides: Record<string, string | undefined> = {}) {
  return tokenFrom(
    await signForm(t.app, {
      name: "Ada Lovelace",
      place: "London",
      website: "ada.example.org",
      email: "ada@example.org",
      comment: "Hello",
      ...overrides,
    }),
  );
}

function revise(t: Setup): number {
  return t.db.transaction((tx) => {
    const d = tx.select().from(declarations).where(eq(declarations.id, t.declaration.id)).get()!;
    return appendRevision(tx, d, {
      title: d.title,
      summary: d.summary,
      body: "Version two.",
      changeSummary: "Second",
      origin: "site",
    });
  });
}

/** The CSRF pair from the withdrawal's confirmation page (the private page's forms carry the same token). */
function privatePair(t: Setup, token: string): Promise<CsrfPair> {
  return csrfFrom(t.app, `/s/${token}/withdraw`);
}

const randomToken = () => randomBytes(32).toString("base64url");

function expectPrivateHeaders(res: Response) {
  expect(res.headers.get("cache-control")).toBe("no-store");
  expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  expect(res.headers.get("x-robots-tag")).toBe("noindex");
}

describe("the private page /s/{token}", () => {
  it("shows exactly what is stored, the private link, and the actions", async () => {
    const t = await setup();
    const token = await signed(t);
    const res = await t.app.request(`/s/${token}`);
    expect(res.status).toBe(200);
    expectPrivateHeaders(res);
    const html = await res.text();
    const [row] = signatureRows(t.db);
    expect(definitionList(html)).toEqual({
      Name: "Ada Lovelace",
      "Place or affiliation": "London",
      Website: "https://ada.example.org/",
      Comment: "Hello",
      "Email address": "ada@example.org",
      "Name shown publicly": "yes",
      "Version signed": "1",
      Signed: formatDate(row!.created),
    });
    const text = pageText(html);
    expect(text).not.toContain("Thank you for signing");
    expect(text).toContain("It is counted.");
    expect(tags(html, "a").some((a) => a.href === `https://undersign.test/s/${token}`)).toBe(true);
    expect(tags(html, "a").some((a) => a.href === `/s/${token}.json`)).toBe(true);
    // No one-click withdrawal: a link to the confirmation step (and the share form to Mastodon).
    expect(tags(html, "form").map((f) => f.action)).toEqual(["/share/mastodon"]);
    expect(tags(html, "a").some((a) => a.href === `/s/${token}/withdraw`)).toBe(true);
    // Nothing mailed, so nothing claimed.
    expect(text).not.toContain("we also mailed it to you");
  });

  it("marks empty fields as not given and count-only signatures as such", async () => {
    const t = await setup();
    const token = await signed(t, { place: "", website: "", email: "", comment: "", visibility: "count" });
    const fields = definitionList(await (await t.app.request(`/s/${token}`)).text());
    expect(fields).toMatchObject({
      "Place or affiliation": "not given",
      Website: "not given",
      Comment: "not given",
      "Email address": "not given",
      "Name shown publicly": "no, counted only",
    });
  });

  it("escapes what the signer typed", async () => {
    const t = await setup();
    const token = await signed(t, { name: "<script>alert(1)</script>", comment: '"><img src=x onerror=alert(1)>' });
    const html = await (await t.app.request(`/s/${token}`)).text();
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).not.toContain("<img src=x");
    expect(definitionList(html).Name).toBe("<script>alert(1)</script>");
  });

  it.each([
    ["a random token", () => randomToken()],
    ["a token one character short", () => randomToken().slice(1)],
    ["a token with a bad character", () => `${randomToken().slice(1)}!`],
    ["a token that is the stored hash", () => "HASH"],
    ["the word confirm", () => "confirm"],
  ])("answers 404 for %s, on every private URL", async (_, make) => {
    const t = await setup();
    const real = await signed(t);
    let token = make();
    if (token === "HASH") token = hashToken(real);
    for (const path of [`/s/${encodeURIComponent(token)}`, `/s/${encodeURIComponent(token)}.json`]) {
      const res = await t.app.request(path);
      expect(res.status, path).toBe(404);
      expectPrivateHeaders(res);
      const text = pageText(await res.text());
      expect(text).toContain("This private link is not valid.");
      // This site sends no mail, so it does not point to one.
      expect(text).not.toContain("the mail we sent");
    }
    const pair = await privatePair(t, real);
    for (const action of ["withdraw", "resign"]) {
      const res = await postForm(t.app, `/s/${encodeURIComponent(token)}/${action}`, {}, { csrf: pair });
      expect(res.status).toBe(404);
      expectPrivateHeaders(res);
    }
    expect(storedCount(t.db)).toBe(1);
    expect(signatureRows(t.db)[0]!.status).toBe("confirmed");
  });

  it("sends the private headers after signing and on the JSON download", async () => {
    const t = await setup();
    const token = await signed(t);
    expectPrivateHeaders(await t.app.request(`/s/${token}?signed=1`));
    expectPrivateHeaders(await t.app.request(`/s/${token}.json`));
  });

  it("leaves the other pages' referrer policy alone", async () => {
    const t = await setup();
    expect((await t.app.request("/d/test-declaration")).headers.get("referrer-policy")).toBe("same-origin");
  });
});

describe("the JSON download /s/{token}.json", () => {
  it("is exactly the stored data, as an attachment", async () => {
    const t = await setup();
    const token = await signed(t);
    const res = await t.app.request(`/s/${token}.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="signature-test-declaration.json"');
    const [row] = signatureRows(t.db);
    expect(await res.json()).toEqual({
      declaration: {
        slug: "test-declaration",
        title: "Test Declaration",
        url: "https://undersign.test/d/test-declaration",
      },
      status: "confirmed",
      versionSigned: 1,
      firstVersionSigned: 1,
      name: "Ada Lovelace",
      place: "London",
      website: "https://ada.example.org/",
      comment: "Hello",
      email: "ada@example.org",
      showNamePublicly: true,
      signedAt: row!.created.toISOString(),
      confirmedAt: row!.confirmed!.toISOString(),
      resignedAt: null,
      withdrawnAt: null,
    });
  });
});

describe("withdrawing", () => {
  it("uncounts, erases every personal field, and says so", async () => {
    const t = await setup();
    const token = await signed(t);
    await signed(t, { name: "Someone Else", email: "else@example.org" });
    expect(storedCount(t.db)).toBe(2);

    const res = await postForm(
      t.app,
      `/s/${token}/withdraw`,
      { confirm: "yes" },
      { csrf: await privatePair(t, token) },
    );
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/s/${token}`);
    expectPrivateHeaders(res);

    expect(storedCount(t.db)).toBe(1);
    const row = signatureRows(t.db).find((r) => r.tokenHash === hashToken(token))!;
    expect(row).toMatchObject({
      status: "withdrawn",
      name: null,
      place: null,
      website: null,
      comment: null,
      email: null,
      emailHash: null,
      confirmTokenHash: null,
    });
    expect(row.withdrawn).toBeInstanceOf(Date);

    const page = await t.app.request(`/s/${token}`);
    expect(page.status).toBe(200);
    expectPrivateHeaders(page);
    const html = await page.text();
    expect(pageText(html)).toContain("Signature withdrawn");
    expect(html).not.toContain("Ada Lovelace");
    expect(tags(html, "form")).toEqual([]);

    const data = await (await t.app.request(`/s/${token}.json`)).json();
    expect(data).toMatchObject({
      status: "withdrawn",
      name: null,
      place: null,
      website: null,
      comment: null,
      email: null,
      withdrawnAt: row.withdrawn!.toISOString(),
    });

    // Gone from every public place.
    for (const path of [
      "/d/test-declaration",
      "/d/test-declaration/signatures",
      "/d/test-declaration/signatures.csv",
      "/api/declarations/test-declaration/signatures",
    ]) {
      const body = await (await t.app.request(path)).text();
      expect(body, path).not.toContain("Ada Lovelace");
      expect(body, path).toContain("Someone Else");
    }
    expect((await (await t.app.request("/api/declarations/test-declaration")).json()).signatureCount).toBe(1);
  });

  it("is harmless twice", async () => {
    const t = await setup();
    const token = await signed(t);
    const pair = await privatePair(t, token);
    expect((await postForm(t.app, `/s/${token}/withdraw`, { confirm: "yes" }, { csrf: pair })).status).toBe(303);
    const withdrawnAt = signatureRows(t.db)[0]!.withdrawn;
    expect((await postForm(t.app, `/s/${token}/withdraw`, { confirm: "yes" }, { csrf: pair })).status).toBe(303);
    expect(storedCount(t.db)).toBe(0);
    expect(signatureRows(t.db)[0]!.withdrawn).toEqual(withdrawnAt);
    expect(rowCount(t.db)).toBe(1);
  });

  it("is harmless when two withdrawals race", async () => {
    const t = await setup();
    const token = await signed(t);
    await signed(t, { email: "", name: "Other" });
    const pair = await privatePair(t, token);
    const results = await Promise.all(
      [1, 2, 3].map(() => postForm(t.app, `/s/${token}/withdraw`, { confirm: "yes" }, { csrf: pair })),
    );
    expect(results.map((r) => r.status)).toEqual([303, 303, 303]);
    expect(storedCount(t.db)).toBe(1);
  });

  it.each([
    ["without a CSRF token", (pair: CsrfPair) => ({ csrf: { cookie: pair.cookie, csrf: "" } })],
    ["without the cookie", (pair: CsrfPair) => ({ csrf: null, body: `csrf=${pair.csrf}` })],
    ["from a foreign Origin", (pair: CsrfPair) => ({ csrf: pair, headers: { Origin: "https://evil.example" } })],
    [
      "as JSON",
      (pair: CsrfPair) => ({
        csrf: pair,
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ csrf: pair.csrf }),
      }),
      415,
    ],
    [
      "larger than a form may be",
      (pair: CsrfPair) => ({ csrf: pair, body: `csrf=${pair.csrf}&pad=${"x".repeat(20_000)}` }),
      413,
    ],
    ["in invalid UTF-8", (pair: CsrfPair) => ({ csrf: pair, body: `csrf=${pair.csrf}&name=%ED%A0%80` }), 400],
  ])("refuses %s with 403 (or what is wrong with the body) and changes nothing", async (_, options, status = 403) => {
    const t = await setup();
    const token = await signed(t);
    const res = await postForm(t.app, `/s/${token}/withdraw`, { confirm: "yes" }, options(await privatePair(t, token)));
    expect(res.status).toBe(status);
    expectPrivateHeaders(res);
    const text = pageText(await res.text());
    expect(text).toContain("Nothing was changed.");
    expect(storedCount(t.db)).toBe(1);
    expect(signatureRows(t.db)[0]).toMatchObject({ status: "confirmed", name: "Ada Lovelace" });
  });

  it("does not uncount a signature that was never confirmed", async () => {
    const { mailer } = fakeMailer();
    const t = await setup({ env: { SIGNATURE_CONFIRMATION: "email", SMTP_URL: "smtp://127.0.0.1:2525" }, mailer });
    const token = await signed(t);
    expect(storedCount(t.db)).toBe(0);
    expect(
      (await postForm(t.app, `/s/${token}/withdraw`, { confirm: "yes" }, { csrf: await privatePair(t, token) })).status,
    ).toBe(303);
    expect(storedCount(t.db)).toBe(0);
    expect(signatureRows(t.db)[0]!.status).toBe("withdrawn");
  });
});

describe("re-signing a newer version", () => {
  it("offers the new version and moves the signature to it without counting it again", async () => {
    const t = await setup();
    const token = await signed(t);
    expect(revise(t)).toBe(2);

    const html = await (await t.app.request(`/s/${token}`)).text();
    expect(pageText(html)).toContain("has a newer version (2)");
    // "What changed" is the comparison of the signed version with the newest.
    const changes = tags(html, "a").find((a) => a.href === "/d/test-declaration/diff/1..2");
    expect(changes).toBeDefined();
    expect((await t.app.request(changes!.href!)).status).toBe(200);
    expect(pageText(html)).toContain("Sign version 2 instead");
    const form = tags(html, "form").find((f) => f.action === `/s/${token}/resign`);
    expect(form).toMatchObject({ method: "post" });

    const res = await postForm(t.app, `/s/${token}/resign`, {}, { csrf: await privatePair(t, token) });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/s/${token}?resigned=1`);
    // The private page says it worked, in the success style.
    const resignedPage = await (await t.app.request(res.headers.get("location")!)).text();
    expect(resignedPage).toMatch(/<div class="success" role="status"><p><strong>You now sign version 2\.<\/strong>/);
    const [row] = signatureRows(t.db);
    expect(row).toMatchObject({ revision: 2, firstRevision: 1, status: "confirmed" });
    expect(row!.resigned).toBeInstanceOf(Date);
    expect(storedCount(t.db)).toBe(1);

    const after = await (await t.app.request(`/s/${token}`)).text();
    expect(definitionList(after)["Version signed"]).toBe("2 (first signed version 1)");
    expect(pageText(after)).not.toContain("Sign version 2 instead");
    expect(await (await t.app.request(`/s/${token}.json`)).json()).toMatchObject({
      versionSigned: 2,
      firstVersionSigned: 1,
      resignedAt: row!.resigned!.toISOString(),
    });
    const list = await (await t.app.request("/d/test-declaration/signatures")).text();
    expect(pageText(list)).toContain("version 2");
  });

  it("is harmless twice and when already at the latest version", async () => {
    const t = await setup();
    const token = await signed(t);
    const pair = await privatePair(t, token);
    expect((await postForm(t.app, `/s/${token}/resign`, {}, { csrf: pair })).status).toBe(303);
    expect(signatureRows(t.db)[0]).toMatchObject({ revision: 1, resigned: null });
    revise(t);
    expect((await postForm(t.app, `/s/${token}/resign`, {}, { csrf: pair })).status).toBe(303);
    expect((await postForm(t.app, `/s/${token}/resign`, {}, { csrf: pair })).status).toBe(303);
    expect(signatureRows(t.db)[0]).toMatchObject({ revision: 2, firstRevision: 1 });
    expect(storedCount(t.db)).toBe(1);
  });

  it("needs the CSRF token", async () => {
    const t = await setup();
    const token = await signed(t);
    revise(t);
    const pair = await privatePair(t, token);
    expect(
      (await postForm(t.app, `/s/${token}/resign`, {}, { csrf: { cookie: pair.cookie, csrf: "forged" } })).status,
    ).toBe(403);
    expect(signatureRows(t.db)[0]!.revision).toBe(1);
  });

  it("does not bring a withdrawn signature back", async () => {
    const t = await setup();
    const token = await signed(t);
    const pair = await privatePair(t, token);
    await postForm(t.app, `/s/${token}/withdraw`, { confirm: "yes" }, { csrf: pair });
    revise(t);
    expect(pageText(await (await t.app.request(`/s/${token}`)).text())).not.toContain("Sign version 2");
    expect((await postForm(t.app, `/s/${token}/resign`, {}, { csrf: pair })).status).toBe(303);
    expect(signatureRows(t.db)[0]).toMatchObject({ status: "withdrawn", revision: 1 });
    expect(storedCount(t.db)).toBe(0);
  });
});

describe("confirmation by email", () => {
  const env = { SIGNATURE_CONFIRMATION: "email", SMTP_URL: "smtp://127.0.0.1:2525" };

  function links(message: MailMessage) {
    const confirm = /https:\/\/undersign\.test\/s\/confirm\/([A-Za-z0-9_-]{43})/.exec(message.text)?.[1];
    const manage = /https:\/\/undersign\.test\/s\/([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/.exec(
      message.text.replace(/\/s\/confirm\/\S+/g, ""),
    )?.[1];
    return { confirm, manage };
  }

  it("counts a signature only once its mailed link is followed and the button pressed", async () => {
    const { mailer, sent } = fakeMailer();
    const t = await setup({ env, mailer });
    const token = await signed(t);
    expect(storedCount(t.db)).toBe(0);
    expect(signatureRows(t.db)[0]!.status).toBe("pending");

    const page = pageText(await (await t.app.request(`/s/${token}?signed=1`)).text());
    expect(page).toContain("Check your mail: your signature counts once you follow the link we sent you.");
    expect(page).toContain("It is waiting for confirmation by mail and is not counted yet.");
    expect(page).toContain("we also mailed it to you");

    expect(sent).toHaveLength(1);
    expect(sent[0]!.to).toBe("ada@example.org");
    const { confirm, manage } = links(sent[0]!);
    expect(manage).toBe(token);
    expect(confirm).toBeTruthy();
    expect(confirm).not.toBe(token);

    // Opening the link (as mail scanners do) changes nothing.
    const get = await t.app.request(`/s/confirm/${confirm}`);
    expect(get.status).toBe(200);
    expectPrivateHeaders(get);
    const html = await get.text();
    expect(tags(html, "form")[0]).toMatchObject({ method: "post", action: `/s/confirm/${confirm}` });
    expect(storedCount(t.db)).toBe(0);

    const pair = await csrfFrom(t.app, `/s/confirm/${confirm}`);
    const res = await postForm(t.app, `/s/confirm/${confirm}`, {}, { csrf: pair });
    expect(res.status).toBe(200);
    const confirmed = pageText(await res.text());
    expect(confirmed).toContain("Thank you: your signature counts");
    expect(confirmed).toContain("You are the first signer of “Test Declaration”");
    expect(storedCount(t.db)).toBe(1);
    expect(signatureRows(t.db)[0]).toMatchObject({ status: "confirmed", confirmExpires: null });
    expect(pageText(await (await t.app.request(`/s/${token}`)).text())).toContain("It is counted.");

    // Again: still counted once.
    expect((await postForm(t.app, `/s/confirm/${confirm}`, {}, { csrf: pair })).status).toBe(200);
    expect(pageText(await (await t.app.request(`/s/confirm/${confirm}`)).text())).toContain("Already confirmed");
    expect(storedCount(t.db)).toBe(1);
  });

  it("refuses a confirmation without the CSRF token", async () => {
    const { mailer, sent } = fakeMailer();
    const t = await setup({ env, mailer });
    await signed(t);
    const { confirm } = links(sent[0]!);
    const res = await postForm(t.app, `/s/confirm/${confirm}`, {}, { csrf: null });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/s/confirm/${confirm}`);
    expect(storedCount(t.db)).toBe(0);
  });

  it("refuses an expired link with 410", async () => {
    const { mailer, sent } = fakeMailer();
    const t = await setup({ env: { ...env, CONFIRMATION_EXPIRES: "1h" }, mailer });
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-05-01T10:00:00Z"));
    await signed(t);
    const { confirm } = links(sent[0]!);
    const pair = await csrfFrom(t.app, `/s/confirm/${confirm}`);
    vi.setSystemTime(new Date("2026-05-01T11:00:00Z"));
    const get = await t.app.request(`/s/confirm/${confirm}`);
    expect(get.status).toBe(410);
    expect(pageText(await get.text())).toContain("Link expired");
    expect((await postForm(t.app, `/s/confirm/${confirm}`, {}, { csrf: pair })).status).toBe(410);
    expect(storedCount(t.db)).toBe(0);
  });

  it("answers 404 for an unknown confirmation link", async () => {
    const t = await setup({ env, mailer: fakeMailer().mailer });
    for (const token of [randomToken(), "short"]) {
      expect((await t.app.request(`/s/confirm/${token}`)).status).toBe(404);
      expect((await postForm(t.app, `/s/confirm/${token}`, {}, { csrf: await csrfFrom(t.app) })).status).toBe(404);
    }
  });

  it("mails a fresh private link (and confirmation link) when the same address signs again", async () => {
    const { mailer, sent } = fakeMailer();
    const t = await setup({ env, mailer });
    const first = await signed(t);
    const res = await signForm(t.app, { name: "Ada Again", email: "ADA@example.org" });
    expect(res.status).toBe(200);
    const text = pageText(await res.text());
    expect(text).toContain("This email address has already signed this Declaration; it is counted once.");
    expect(text).toContain("We have mailed its private link to that address again.");
    expect(sent).toHaveLength(2);
    expect(sent[1]!.to).toBe("ADA@example.org");
    const { manage, confirm } = links(sent[1]!);
    expect(manage).toBeTruthy();
    expect(manage).not.toBe(first);
    // The old links stop working; the new ones work.
    expect((await t.app.request(`/s/${first}`)).status).toBe(404);
    expect((await t.app.request(`/s/${manage}`)).status).toBe(200);
    expect((await t.app.request(`/s/confirm/${links(sent[0]!).confirm}`)).status).toBe(404);
    expect(
      (await postForm(t.app, `/s/confirm/${confirm}`, {}, { csrf: await csrfFrom(t.app, `/s/confirm/${confirm}`) }))
        .status,
    ).toBe(200);
    expect(storedCount(t.db)).toBe(1);
    expect(rowCount(t.db)).toBe(1);
    expect(signatureRows(t.db)[0]!.name).toBe("Ada Lovelace");
  });

  it("does not list a pending signature", async () => {
    const t = await setup({ env, mailer: fakeMailer().mailer });
    await signed(t);
    expect(listedNames(await (await t.app.request("/d/test-declaration/signatures")).text())).toEqual([]);
  });
});

describe("mail without confirmation", () => {
  it("mails the private link and says so on the page", async () => {
    const { mailer, sent } = fakeMailer();
    const t = await setup({ mailer });
    const token = await signed(t);
    expect(storedCount(t.db)).toBe(1);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).toContain(`https://undersign.test/s/${token}`);
    expect(sent[0]!.text).not.toContain("/s/confirm/");
    expect(pageText(await (await t.app.request(`/s/${token}`)).text())).toContain("we also mailed it to you");
  });

  it("points to the mail when a private link is not valid", async () => {
    const t = await setup({ mailer: fakeMailer().mailer });
    const res = await t.app.request(`/s/${randomToken()}`);
    expect(res.status).toBe(404);
    expect(pageText(await res.text())).toContain(
      "If you signed with an email address, the mail we sent has your current link.",
    );
  });

  it("sends nothing when no address was given", async () => {
    const { mailer, sent } = fakeMailer();
    const t = await setup({ mailer });
    const token = await signed(t, { email: "" });
    expect(sent).toEqual([]);
    expect(pageText(await (await t.app.request(`/s/${token}`)).text())).not.toContain("mailed");
  });

  it("the private page's forms carry the CSRF token of the browser's cookie", async () => {
    const t = await setup();
    const token = await signed(t);
    revise(t);
    const pair = await privatePair(t, token);
    const again = await t.app.request(`/s/${token}`, { headers: { Cookie: pair.cookie } });
    const html = await again.text();
    expect(inputValue(html, "csrf")).toBe(pair.csrf);
    // The resign form (the withdrawal is a link to its confirmation page, whose form has it too).
    expect([...html.matchAll(/name="csrf" value="([^"]+)"/g)].map((m) => m[1])).toEqual([pair.csrf]);
  });
});
