/**
 * After signing: the private page offers sharing, a copy button for the
 * private link, "Mail me this link" (with a real SMTP server on loopback),
 * the strike's days as an .ics file (parsed back with ical.js), and a
 * withdrawal behind a confirmation step.
 */
import ICAL from "ical.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeStrikeSettingsValue } from "../../src/db/strike.ts";
import { defaultStrikeSettings } from "../../src/strike/settings.ts";
import { foldLine, icsText, strikeCalendar } from "../../src/web/sharing/calendar.ts";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import {
  csrfFrom,
  inputValue,
  pageText,
  postForm,
  signatureRows,
  signForm,
  storedCount,
  tags,
  tokenFrom,
} from "../helpers/forms.ts";
import { startSmtpServer, type TestSmtpServer } from "../helpers/smtp.ts";

let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await smtp.close();
});

async function signed(env: Record<string, string> = {}) {
  const t = await createTestApp({ env });
  addDeclaration(t.db);
  const token = tokenFrom(await signForm(t.app, { name: "Ada Lovelace" }));
  return { ...t, token };
}

function errorOf(html: string, id: string): string | undefined {
  return new RegExp(`<p class="field-error" id="${id}">([^<]*)</p>`).exec(html)?.[1];
}

describe("the private page after signing", () => {
  it("offers sharing, a copy button for the private link, the strike calendar; no mail form without mail", async () => {
    const t = await signed();
    const html = await (await t.app.request(`/s/${t.token}?signed=1`)).text();
    expect(html).toContain('<div class="success" role="status">');
    expect(html).toContain('action="/share/mastodon"');
    expect(html).toContain("data-native-share");
    expect(html).toContain('data-copy-target="private-link-text"');
    expect(tags(html, "a").find((a) => a.id === "private-link-text")?.["data-copy-text"]).toBe(
      `https://undersign.test/s/${t.token}`,
    );
    expect(tags(html, "a").some((a) => a.href === "/strike.ics")).toBe(true);
    expect(html).not.toContain(`action="/s/${t.token}/mail"`);
  });

  it("offers the mail form when the site sends mail", async () => {
    const t = await signed({ SMTP_URL: smtp.url });
    const html = await (await t.app.request(`/s/${t.token}`)).text();
    expect(html).toContain(`action="/s/${t.token}/mail"`);
    expect(pageText(html)).toContain("We send it once to the address you type, and do not keep the address.");
  });
});

describe("POST /s/{token}/mail", () => {
  const mail = (t: Awaited<ReturnType<typeof signed>>, email: string, csrf?: Awaited<ReturnType<typeof csrfFrom>>) =>
    postForm(t.app, `/s/${t.token}/mail`, { email }, csrf === undefined ? {} : { csrf });

  it("mails the private link to the address typed, and stores nothing", async () => {
    const t = await signed({ SMTP_URL: smtp.url });
    const before = smtp.messages.length;
    const pair = await csrfFrom(t.app, `/s/${t.token}`);
    const res = await mail(t, "ada@example.org", pair);
    expect(res.status).toBe(200);
    expect(pageText(await res.text())).toContain("Mailed. Your private link is on its way to that address");
    await expect.poll(() => smtp.messages.length, { timeout: 20_000 }).toBe(before + 1);
    const message = smtp.messages[before]!;
    expect(message.to).toContain("ada@example.org");
    expect(message.subject).toBe("Your private link: Test Declaration");
    expect(message.text).toContain(`https://undersign.test/s/${t.token}`);
    expect(signatureRows(t.db)[0]!.email).toBeNull();
  });

  it("refuses a bad or empty address with 400, naming the field and keeping the input", async () => {
    const t = await signed({ SMTP_URL: smtp.url });
    const pair = await csrfFrom(t.app, `/s/${t.token}`);
    for (const [typed, message] of [
      ["not-an-address", "Email address does not look like an address (name@example.org)."],
      ["", "Please enter an email address."],
      [`${"a".repeat(300)}@example.org`, "Email address must be at most 254 characters (it has 312)."],
    ] as const) {
      const res = await mail(t, typed, pair);
      expect(res.status, typed).toBe(400);
      const html = await res.text();
      expect(errorOf(html, "mail-link-error"), typed).toBe(message);
      expect(pageText(html)).toContain(`Email address : ${message}`);
      expect(inputValue(html, "email"), typed).toBe(typed.slice(0, 1000));
    }
  });

  it("refuses without the CSRF token, keeping the input", async () => {
    const t = await signed({ SMTP_URL: smtp.url });
    const res = await postForm(t.app, `/s/${t.token}/mail`, { email: "ada@example.org" }, { csrf: null });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(errorOf(html, "mail-link-error")).toContain("This form expired");
    expect(inputValue(html, "email")).toBe("ada@example.org");
  });

  it("mails one link at most 3 times an hour (429 with Retry-After), and one address too", async () => {
    const t = await signed({ SMTP_URL: smtp.url });
    const pair = await csrfFrom(t.app, `/s/${t.token}`);
    for (let i = 0; i < 3; i++) expect((await mail(t, `a${i}@example.org`, pair)).status).toBe(200);
    const res = await mail(t, "a4@example.org", pair);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(3000);
    expect(errorOf(await res.text(), "mail-link-error")).toMatch(/^This link was mailed 3 times in the last hour/);

    // Another signature, the same address three times already: refused too.
    const other = tokenFrom(await signForm(t.app, { name: "Grace Hopper" }));
    const otherPair = await csrfFrom(t.app, `/s/${other}`);
    for (const email of ["same@example.org", "same@example.org"])
      expect((await postForm(t.app, `/s/${other}/mail`, { email }, { csrf: otherPair })).status).toBe(200);
    const third = await postForm(t.app, `/s/${t.token}/mail`, { email: "Same@Example.org" }, { csrf: pair });
    expect(third.status).toBe(429);
  });

  it("answers 404 for an unknown link, and on a site that sends no mail", async () => {
    const t = await signed();
    const pair = await csrfFrom(t.app, `/s/${t.token}/withdraw`);
    expect((await mail(t, "ada@example.org", pair)).status).toBe(404);
    const withMail = await signed({ SMTP_URL: smtp.url });
    const res = await postForm(withMail.app, `/s/${"A".repeat(43)}/mail`, { email: "ada@example.org" });
    expect(res.status).toBe(404);
  });
});

describe("withdrawing asks first", () => {
  it("shows a confirmation page; a POST without confirm=yes changes nothing (400), with it withdraws", async () => {
    const t = await signed();
    const page = await t.app.request(`/s/${t.token}/withdraw`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(pageText(html)).toContain("Withdraw your signature?");
    expect(inputValue(html, "confirm")).toBe("yes");
    expect(tags(html, "a").some((a) => a.href === `/s/${t.token}`)).toBe(true);
    const pair = await csrfFrom(t.app, `/s/${t.token}/withdraw`);

    const unconfirmed = await postForm(t.app, `/s/${t.token}/withdraw`, { confirm: "no" }, { csrf: pair });
    expect(unconfirmed.status).toBe(400);
    expect(pageText(await unconfirmed.text())).toContain("Press “Yes, withdraw my signature” to withdraw it.");
    expect(storedCount(t.db)).toBe(1);

    const confirmed = await postForm(t.app, `/s/${t.token}/withdraw`, { confirm: "yes" }, { csrf: pair });
    expect(confirmed.status).toBe(303);
    expect(signatureRows(t.db)[0]!.status).toBe("withdrawn");
    // Once withdrawn, the confirmation page sends back to the private page.
    expect((await t.app.request(`/s/${t.token}/withdraw`)).status).toBe(303);
  });
});

describe("/strike.ics", () => {
  it("is an RFC 5545 calendar that parses, one event per run of days, midnight to midnight in the strike's zone", async () => {
    const t = await createTestApp();
    writeStrikeSettingsValue(t.db, {
      ...defaultStrikeSettings(new Date("2027-01-01T00:00:00Z")),
      name: "Strike; with, commas\\ and a very long name that needs folding across more than one line",
      days: ["2027-07-04", "2027-07-05", "2027-07-10"],
      timeZone: "Europe/Berlin",
    });
    const res = await t.app.request("/strike.ics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/calendar; charset=utf-8");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="strike.ics"');
    const text = await res.text();
    expect(text.endsWith("\r\n")).toBe(true);
    expect(text.replace(/\r\n/g, "")).not.toMatch(/[\r\n]/);
    for (const line of text.split("\r\n")) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(75);

    const calendar = new ICAL.Component(ICAL.parse(text));
    expect(calendar.getFirstPropertyValue("version")).toBe("2.0");
    const events = calendar.getAllSubcomponents("vevent").map((e) => new ICAL.Event(e));
    expect(events.map((e) => e.summary)).toEqual([
      "Strike; with, commas\\ and a very long name that needs folding across more than one line",
      "Strike; with, commas\\ and a very long name that needs folding across more than one line",
    ]);
    // Berlin is UTC+2 in July: local midnight is 22:00 UTC the day before.
    expect(events.map((e) => [e.startDate.toString(), e.endDate.toString()])).toEqual([
      ["2027-07-03T22:00:00Z", "2027-07-05T22:00:00Z"],
      ["2027-07-09T22:00:00Z", "2027-07-10T22:00:00Z"],
    ]);
    expect(events.map((e) => e.uid)).toEqual([
      "strike-2027-07-04-2027-07-05@undersign.test",
      "strike-2027-07-10-2027-07-10@undersign.test",
    ]);
    expect(events[0]!.description).toContain("https://undersign.test/strike");
    expect(events[0]!.description).toContain("\n");
    const stamp = calendar.getFirstSubcomponent("vevent")!.getFirstPropertyValue("dtstamp");
    expect(String(stamp)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it("folds by octets without splitting a character, and escapes TEXT", () => {
    const folded = foldLine(`SUMMARY:${"é".repeat(60)}`);
    for (const line of folded.split("\r\n")) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(75);
    expect(folded.replace(/\r\n /g, "")).toBe(`SUMMARY:${"é".repeat(60)}`);
    expect(icsText("a\\b;c,d\ne")).toBe("a\\\\b\\;c\\,d\\ne");
    const one = strikeCalendar({
      settings: { ...defaultStrikeSettings(new Date("2027-01-01T00:00:00Z")), days: ["2027-07-04"] },
      origin: new URL("https://undersign.test"),
      siteName: "Test",
      now: new Date("2027-06-01T12:00:00Z"),
    });
    expect(one).toContain("\r\nDTSTAMP:20270601T120000Z\r\n");
    expect(one).toContain("\r\nDTSTART:20270704T000000Z\r\nDTEND:20270705T000000Z\r\n");
  });
});
