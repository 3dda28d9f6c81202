import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Db } from "../../src/db/client.ts";
import { fedPosts, pledges } from "../../src/db/schema.ts";
import { writeStrikeSettingsValue } from "../../src/db/strike.ts";
import { countdownWords, daysWords, durationWords, parsePledge } from "../../src/web/strike/strike-page.tsx";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { checkedRadio, csrfFrom, inputValue, pageText, postForm, statusNotices, tags } from "../helpers/forms.ts";

afterEach(() => {
  vi.useRealTimers();
});

function at(iso: string) {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date(iso));
}

async function strikeText(t: { app: { request: (path: string) => Response | Promise<Response> } }) {
  const res = await t.app.request("/strike");
  expect(res.status).toBe(200);
  const html = await res.text();
  return { html, text: pageText(html) };
}

function pledgeRows(db: Db) {
  return db.select().from(pledges).all();
}

/** Posts the pledge form as a browser would (CSRF from /strike). */
async function pledge(
  t: Awaited<ReturnType<typeof createTestApp>>,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
  from = "/strike",
) {
  const csrf = await csrfFrom(t.app, from, headers);
  return postForm(t.app, "/strike/pledge", { name: "", visibility: "public", phone: "", ...fields }, { csrf, headers });
}

describe("the words on the strike page", () => {
  it("says the days and the time left", () => {
    expect(daysWords(["2027-07-05", "2027-07-04"])).toBe("July 4–5, 2027");
    expect(daysWords(["2027-06-30", "2027-07-01"])).toBe("June 30 – July 1, 2027");
    expect(daysWords(["2027-07-04", "2027-07-06"])).toBe("July 4 and July 6, 2027");
    expect(daysWords(["2027-12-31", "2028-01-01"])).toBe("December 31, 2027 – January 1, 2028");
    expect(durationWords(220 * 86_400_000 + 14 * 3_600_000 + 59 * 60_000)).toBe("220 days, 14 hours");
    expect(durationWords(3 * 3_600_000 + 5 * 60_000)).toBe("3 hours, 5 minutes");
    expect(durationWords(86_400_000 + 5 * 60_000)).toBe("1 day");
    expect(durationWords(30_000)).toBe("less than a minute");
  });

  it("counts down to the start, to the end of the days that run together, to the next day, then stops", () => {
    const s = { days: ["2027-07-04", "2027-07-05", "2027-07-09"], timeZone: "Europe/Berlin" };
    expect(countdownWords(s, new Date("2027-07-03T20:00:00Z"))).toBe("Starts in 2 hours");
    expect(countdownWords(s, new Date("2027-07-03T22:00:00Z"))).toBe("On now: ends in 2 days");
    expect(countdownWords(s, new Date("2027-07-05T21:30:00Z"))).toBe("On now: ends in 30 minutes");
    expect(countdownWords(s, new Date("2027-07-05T22:00:00Z"))).toBe("Next strike day starts in 3 days");
    expect(countdownWords(s, new Date("2027-07-09T22:00:00Z"))).toBe("The strike is over.");
  });

  it("validates a pledge against the strike's days", () => {
    const days = ["2027-07-04", "2027-07-05"];
    expect(parsePledge({ "day-2027-07-05": "on", name: " Ada  Lovelace ", visibility: "public" }, days)).toEqual({
      ok: true,
      days: ["2027-07-05"],
      name: "Ada Lovelace",
      public: true,
    });
    expect(parsePledge({ "all-days": "on", visibility: "count", name: "Ada" }, days)).toEqual({
      ok: true,
      days,
      name: "Ada",
      public: false,
    });
    expect(parsePledge({ name: "Ada" }, days)).toEqual({
      ok: false,
      errors: { days: "Please choose at least one strike day." },
    });
    expect(parsePledge({ "day-2027-07-06": "on" }, days)).toEqual({
      ok: false,
      errors: { days: "July 6, 2027 is not one of the strike days (July 4–5, 2027)." },
    });
    expect(parsePledge({ "day-2027-02-30": "on" }, days)).toEqual({
      ok: false,
      errors: { days: "“2027-02-30” is not a date." },
    });
    expect(parsePledge({ "day-2027-07-04": "on", visibility: "loud" }, days)).toMatchObject({
      ok: false,
      errors: { visibility: expect.any(String) },
    });
  });
});

describe("GET /strike", () => {
  it("before the strike: the dates in the strike's zone, a countdown without JavaScript, how to join", async () => {
    at("2027-06-01T10:30:00Z");
    const t = await createTestApp();
    addDeclaration(t.db, { slug: "digital-independence", title: "Declaration of Digital Independence" });
    const { html, text } = await strikeText(t);
    expect(text).toContain("Social Media Strike");
    expect(text).toContain("July 4–5, 2027, 00:00–24:00 UTC");
    expect(text).toContain("Starts in 32 days, 13 hours");
    expect(tags(html, "p").find((p) => "data-countdown" in p)).toMatchObject({
      "data-countdown":
        "2027-07-04T00:00:00.000Z/2027-07-05T00:00:00.000Z 2027-07-05T00:00:00.000Z/2027-07-06T00:00:00.000Z",
      "data-phase": "before",
    });
    expect(html).toMatch(/<script type="module" src="\/static\/countdown\.js\?v=[0-9a-f]{12}"><\/script>/);
    // How to join: sign (all published Declarations when none are chosen), notices, others, open networks.
    expect(html).toContain('href="/d/digital-independence"');
    expect(html).toContain('href="/resources"');
    expect(html).toContain('href="/faq"');
    // The strike bot is offered only where the site runs it (BOT_TOKEN_KEY).
    expect(html).not.toContain('href="/bot"');
    const notice = /<textarea id="notice-text"[^>]*>([\s\S]*?)<\/textarea>/.exec(html)![1]!;
    expect(notice).toContain("https://undersign.test/d/digital-independence");
    expect(notice).toContain("#SocialMediaStrike");
    expect(notice).not.toMatch(/\{[a-z_]+\}/);
    // The pledge form: one box per day and "Both days".
    expect(
      tags(html, "input")
        .filter((i) => i.type === "checkbox")
        .map((i) => i.name),
    ).toEqual(["day-2027-07-04", "day-2027-07-05", "all-days"]);
    expect(text).toContain("Sunday, July 4");
    expect(text).toContain("Monday, July 5");
    expect(text).toContain("0 people have pledged");
    expect(text).toContain("No notices yet");
    expect(res200Headers(html)).toBe(true);
  });

  it("lists only the Declarations chosen in the settings, and uses the strike's time zone", async () => {
    at("2027-06-01T10:30:00Z");
    const t = await createTestApp({ env: { BOT_TOKEN_KEY: "cd".repeat(32) } });
    addDeclaration(t.db, { slug: "chosen-one", title: "Chosen" });
    addDeclaration(t.db, { slug: "not-chosen", title: "Not chosen" });
    writeStrikeSettingsValue(t.db, {
      timeZone: "Europe/Berlin",
      declarations: ["chosen-one", "missing"],
      hashtags: ["SocialMediaStrike", "Strike2027"],
    });
    const { html, text } = await strikeText(t);
    expect(html).toContain('href="/d/chosen-one"');
    expect(html).not.toContain('href="/d/not-chosen"');
    expect(text).toContain("July 4–5, 2027, 00:00–24:00 Europe/Berlin time");
    expect(tags(html, "p").find((p) => "data-countdown" in p)!["data-countdown"]).toMatch(
      /^2027-07-03T22:00:00\.000Z\/2027-07-04T22:00:00\.000Z /,
    );
    expect(text).toContain("#SocialMediaStrike #Strike2027");
    // This site runs the strike bot: the notices step offers it.
    expect(html).toContain('href="/bot"');
  });

  it("during the strike: counts down to the end and lists the latest notices", async () => {
    at("2027-07-04T10:15:00Z");
    const t = await createTestApp();
    const d = addDeclaration(t.db);
    for (let hour = 0; hour <= 10; hour++) {
      const published = new Date(Date.UTC(2027, 6, 4, hour));
      t.db
        .insert(fedPosts)
        .values({
          uuid: randomUUID(),
          declarationId: d.id,
          kind: "notice",
          key: `notice:${published.toISOString()}`,
          revision: 1,
          content: `Strike notice ${hour} #SocialMediaStrike`,
          slot: published,
          published,
        })
        .run();
    }
    const { html, text } = await strikeText(t);
    expect(text).toContain("On now: ends in 1 day, 13 hours");
    expect(tags(html, "p").find((p) => "data-countdown" in p)!["data-phase"]).toBe("during");
    expect(text).toContain("Strike notice 10 #SocialMediaStrike");
    expect(text.indexOf("Strike notice 10")).toBeLessThan(text.indexOf("Strike notice 9"));
    expect(text).toContain("Jul 4, 2027, 10:00 AM UTC");
  });

  it("between two strike days that are not adjacent, and after the strike", async () => {
    const t = await createTestApp();
    writeStrikeSettingsValue(t.db, { days: ["2027-07-04", "2027-07-06"] });
    at("2027-07-05T12:00:00Z");
    let page = await strikeText(t);
    expect(page.text).toContain("Next strike day starts in 12 hours");
    expect(page.text).toContain("July 4 and July 6, 2027");
    at("2027-07-07T00:00:00Z");
    page = await strikeText(t);
    expect(page.text).toContain("The strike is over.");
    expect(page.html).not.toContain('action="/strike/pledge');
  });
});

function res200Headers(html: string): boolean {
  return html.startsWith("<!DOCTYPE html>");
}

describe("POST /strike/pledge", () => {
  it("counts a pledge, per day, shows a public name and keeps none for count-only", async () => {
    at("2027-06-01T10:30:00Z");
    const t = await createTestApp();
    let res = await pledge(t, { "day-2027-07-04": "on", name: "Ada Lovelace" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/strike?pledged=1#pledge");
    res = await pledge(t, { "all-days": "on", name: "Secret Person", visibility: "count" });
    expect(res.status).toBe(303);
    expect(pledgeRows(t.db).map((r) => [r.edition, r.days, r.name, r.public])).toEqual([
      ["2027", ["2027-07-04"], "Ada Lovelace", true],
      ["2027", ["2027-07-04", "2027-07-05"], null, false],
    ]);
    const thanks = await t.app.request("/strike?pledged=1");
    const thanksHtml = await thanks.text();
    expect(statusNotices(thanksHtml)).toEqual(["notice success"]);
    const text = pageText(thanksHtml);
    expect(text).toContain("Thank you: your pledge is counted.");
    expect(text).toContain("2 people have pledged");
    expect(text).toContain("Sunday, July 4: 2");
    expect(text).toContain("Monday, July 5: 1");
    expect(text).toContain("Ada Lovelace July 4");
    expect(text).not.toContain("Secret Person");
  });

  it("refuses a pledge without a day (400), naming the field and keeping the input", async () => {
    at("2027-06-01T10:30:00Z");
    const t = await createTestApp();
    const res = await pledge(t, { name: "Ada Lovelace", visibility: "count" });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(pageText(html)).toContain("Strike days : Please choose at least one strike day.");
    expect(inputValue(html, "name")).toBe("Ada Lovelace");
    expect(checkedRadio(html, "visibility")).toBe("count");
    expect(tags(html, "input").find((i) => i.name === "day-2027-07-04")!["aria-invalid"]).toBe("true");
    expect(pledgeRows(t.db)).toEqual([]);
  });

  it("refuses a day that is not a strike day, and keeps the days that were ticked", async () => {
    at("2027-06-01T10:30:00Z");
    const t = await createTestApp();
    const res = await pledge(t, { "day-2027-07-05": "on", "day-2027-07-06": "on", name: "Ada" });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(pageText(html)).toContain("Strike days : July 6, 2027 is not one of the strike days (July 4–5, 2027).");
    expect("checked" in tags(html, "input").find((i) => i.name === "day-2027-07-05")!).toBe(true);
    expect("checked" in tags(html, "input").find((i) => i.name === "day-2027-07-04")!).toBe(false);
    expect(pledgeRows(t.db)).toEqual([]);
  });

  it("refuses a name over 100 characters", async () => {
    at("2027-06-01T10:30:00Z");
    const t = await createTestApp();
    const long = "A".repeat(101);
    const res = await pledge(t, { "day-2027-07-04": "on", name: long });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(pageText(html)).toContain("Your name : Your name is 101 characters long; the limit is 100.");
    expect(inputValue(html, "name")).toBe(long);
    expect(pledgeRows(t.db)).toEqual([]);
  });

  it("refuses a form from another site or without proof of its origin (403) and keeps the input", async () => {
    at("2027-06-01T10:30:00Z");
    const t = await createTestApp();
    const csrf = await csrfFrom(t.app, "/strike");
    // The strike page is one anyone may be served: no token, the browser's headers tell (decision 0027).
    expect(csrf.csrf).toBe("");
    const res = await postForm(
      t.app,
      "/strike/pledge",
      { csrf: "forged", "day-2027-07-04": "on", name: "Ada" },
      { csrf, headers: { "Sec-Fetch-Site": "cross-site" } },
    );
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(pageText(html)).toContain("This form expired or was not sent from this site.");
    expect(inputValue(html, "name")).toBe("Ada");
    const noCookie = await postForm(t.app, "/strike/pledge", { "day-2027-07-04": "on" }, { csrf: null });
    expect(noCookie.status).toBe(403);
    const crossSite = await pledge(t, { "day-2027-07-04": "on" }, { Origin: "https://evil.example" });
    expect(crossSite.status).toBe(403);
    expect(pledgeRows(t.db)).toEqual([]);
  });

  it("pretends to accept a filled honeypot and stores nothing", async () => {
    at("2027-06-01T10:30:00Z");
    const t = await createTestApp();
    const res = await pledge(t, { "day-2027-07-04": "on", name: "Bot", phone: "555-1234" });
    expect(res.status).toBe(303);
    expect(pledgeRows(t.db)).toEqual([]);
  });

  it("limits pledges per client (429 with Retry-After) and keeps the input", async () => {
    at("2027-06-01T10:30:00Z");
    const t = await createTestApp({ env: { RATE_LIMIT_PER_CLIENT: "2/10m" } });
    expect((await pledge(t, { "day-2027-07-04": "on" })).status).toBe(303);
    expect((await pledge(t, { "day-2027-07-05": "on" })).status).toBe(303);
    const res = await pledge(t, { "day-2027-07-04": "on", name: "Third" });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(500);
    const html = await res.text();
    expect(pageText(html)).toContain("Too many pledges from your connection just now. Please try again in 10 minutes.");
    expect(inputValue(html, "name")).toBe("Third");
    expect(pledgeRows(t.db)).toHaveLength(2);
  });

  it("counts the same name from the same connection once within the duplicate window", async () => {
    at("2027-06-01T10:30:00Z");
    const t = await createTestApp({ env: { DUPLICATE_WINDOW: "1h" } });
    expect((await pledge(t, { "day-2027-07-04": "on", name: "Ada" })).status).toBe(303);
    const again = await pledge(t, { "day-2027-07-04": "on", name: "ada" });
    expect(again.status).toBe(409);
    const refused = await again.text();
    expect(pageText(refused)).toContain("“ada” has just pledged from your connection. Each person is counted once.");
    expect(statusNotices(refused)).toEqual(["notice"]);
    expect(pledgeRows(t.db)).toHaveLength(1);
  });

  it("asks for the proof of work when it is switched on", async () => {
    at("2027-06-01T10:30:00Z");
    const t = await createTestApp({ env: { PROOF_OF_WORK: "on" } });
    const page = await t.app.request("/strike");
    expect(await page.text()).toContain("<altcha-widget");
    const res = await pledge(t, { "day-2027-07-04": "on", name: "Ada" });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(pageText(html)).toContain("The anti-spam check did not come with the form");
    expect(pageText(html)).not.toContain("Anti-spam check: The anti-spam check");
    expect(inputValue(html, "name")).toBe("Ada");
    expect(pledgeRows(t.db)).toEqual([]);
  });

  it("refuses pledges once the strike is over (409) and bodies that are not forms (415)", async () => {
    const t = await createTestApp();
    writeStrikeSettingsValue(t.db, { days: ["2027-07-04"] });
    at("2027-07-05T00:00:00Z");
    const late = await pledge(t, { "day-2027-07-04": "on" }, {}, "/login");
    expect(late.status).toBe(409);
    expect(pageText(await late.text())).toContain("The strike is over, so it no longer takes pledges.");
    const json = await t.app.request("/strike/pledge", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{}",
    });
    expect(json.status).toBe(415);
    expect(pledgeRows(t.db)).toEqual([]);
  });
});
