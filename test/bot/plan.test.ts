/**
 * The strike bot's plan (src/bot/plan.ts): the form's validation, field by
 * field, and the slots and posts a plan makes (cadences, time zones with a
 * clock change, the spread, idempotency keys, template rotation, hours left).
 */
import { describe, expect, it } from "vitest";
import {
  defaultPlan,
  formInputOfPlan,
  languageName,
  mastodonLength,
  parseStoredPlan,
  planSlots,
  plannedPosts,
  POSTS_MAX,
  spreadOffsetMs,
  SPREAD_MS,
  validatePlanForm,
  type BotPlan,
  type PlanContext,
  type PlanFormInput,
  type PostValues,
} from "../../src/bot/plan.ts";
import type { StrikeSettings } from "../../src/strike/settings.ts";

const HOUR = 3_600_000;
const ORIGIN = new URL("https://undersign.test");

const strike: StrikeSettings = {
  name: "Social Media Strike",
  hashtags: ["SocialMediaStrike", "OpenWeb"],
  days: ["2030-07-04", "2030-07-05"],
  timeZone: "UTC",
  cadenceMinutes: 60,
  declarations: ["open-web"],
  templates: [
    { text: "Day one: sign {declaration_url} {hashtags}", mediaIds: [] },
    { text: "{hours_left} hours left. {declaration_url}", mediaIds: [] },
  ],
  paused: false,
  countdown: [],
};

const ctx: PlanContext = {
  strike,
  declarations: new Map([["open-web", { title: "The Open Web Declaration", signatureCount: 1234 }]]),
  media: new Map([[7, { alt: "A raised fist" }]]),
  origin: ORIGIN,
};

const values: PostValues = {
  strike,
  declaration: { slug: "open-web", title: "The Open Web Declaration", signatureCount: 1234 },
  origin: ORIGIN,
};

function input(overrides: Partial<PlanFormInput> = {}): PlanFormInput {
  return {
    days: ["2030-07-04", "2030-07-05"],
    cadence: "1",
    times: "",
    timeZone: "UTC",
    declaration: "open-web",
    templates: ["On strike: {declaration_url} {hashtags}", ""],
    visibility: "public",
    language: "en",
    spoilerText: "",
    mediaId: "",
    mediaAlt: "",
    ...overrides,
  };
}

function errorsOf(overrides: Partial<PlanFormInput>): Record<string, string> {
  const result = validatePlanForm(input(overrides), ctx);
  if (result.ok) throw new Error("expected errors");
  return result.errors;
}

function planOf(overrides: Partial<PlanFormInput> = {}): BotPlan {
  const result = validatePlanForm(input(overrides), ctx);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.plan;
}

describe("validating the plan form", () => {
  it("turns good input into a plan", () => {
    const plan = planOf({
      timeZone: " europe/berlin ",
      language: "DE",
      spoilerText: "  strike\n notice ",
      mediaId: "7",
      mediaAlt: "A fist\r\non red",
    });
    expect(plan).toEqual({
      days: ["2030-07-04", "2030-07-05"],
      cadence: { kind: "every", hours: 1 },
      timeZone: "Europe/Berlin",
      declaration: "open-web",
      templates: ["On strike: {declaration_url} {hashtags}"],
      visibility: "public",
      language: "de",
      spoilerText: "strike notice",
      mediaId: 7,
      mediaAlt: "A fist\non red",
    });
    expect(parseStoredPlan(JSON.parse(JSON.stringify(plan)))).toEqual(plan);
    expect(validatePlanForm(formInputOfPlan(plan), ctx)).toEqual({ ok: true, plan });
  });

  it("reads chosen times in several notations, sorted and without repeats", () => {
    expect(planOf({ cadence: "times", times: "9 pm, 09:00; 9:30 21h 9am 7.15 6h45 12 AM" }).cadence).toEqual({
      kind: "times",
      times: ["00:00", "06:45", "07:15", "09:00", "09:30", "21:00"],
    });
    expect(planOf({ cadence: "3" }).cadence).toEqual({ kind: "every", hours: 3 });
  });

  it("names the days that are not the strike's, or none chosen", () => {
    expect(errorsOf({ days: ["2030-07-04", "2030-07-06"] }).days).toBe(
      "2030-07-06 is not one of the strike's days (2030-07-04, 2030-07-05).",
    );
    expect(errorsOf({ days: [] }).days).toBe("Please choose at least one strike day.");
    expect(errorsOf({ days: [" ", ""] }).days).toBe("Please choose at least one strike day.");
  });

  it("refuses a cadence that is not offered", () => {
    for (const cadence of ["5", "0", "1.5", "", "hourly", "24"])
      expect(errorsOf({ cadence }).cadence, cadence).toMatch(/^Please choose how often to post/);
  });

  it("refuses unparsable, missing or too many times", () => {
    expect(errorsOf({ cadence: "times", times: "09:00, 25:00" }).times).toBe(
      "“25:00” is not a time of day: write it as HH:MM, for example 09:00 or 18:30.",
    );
    expect(errorsOf({ cadence: "times", times: "noon" }).times).toContain("“noon” is not a time of day");
    expect(errorsOf({ cadence: "times", times: "13 pm" }).times).toContain("is not a time of day");
    expect(errorsOf({ cadence: "times", times: " ,, " }).times).toMatch(/^Please give the times of day/);
    const many = Array.from(
      { length: 25 },
      (_, i) => `${String(Math.floor(i / 2)).padStart(2, "0")}:${i % 2 === 0 ? "00" : "30"}`,
    ).join(", ");
    expect(errorsOf({ cadence: "times", times: many }).times).toBe("At most 24 times a day, please.");
  });

  it("refuses an unknown or missing time zone", () => {
    expect(errorsOf({ timeZone: "Mars/Olympus" }).timeZone).toBe(
      "“Mars/Olympus” is not a time zone we know. Use a name like Europe/Berlin, America/New_York or UTC.",
    );
    expect(errorsOf({ timeZone: " " }).timeZone).toMatch(/^Please give your time zone/);
  });

  it("refuses a Declaration that is not published here", () => {
    expect(errorsOf({ declaration: "nope" }).declaration).toBe("“nope” is not a published Declaration of this site.");
    expect(errorsOf({ declaration: "" }).declaration).toBe("Please choose the Declaration your notices link to.");
  });

  it("checks each template: empty, unknown placeholders, too long once filled", () => {
    expect(errorsOf({ templates: ["", "  "] })["template-1"]).toBe("Please write at least one notice.");
    const unknown = errorsOf({ templates: ["ok {declaration_url}", "Sign {declaration_link}"] });
    expect(unknown["template-1"]).toBeUndefined();
    expect(unknown["template-2"]).toContain("There is no placeholder {declaration_link}");
    expect(errorsOf({ templates: ["x".repeat(501)] })["template-1"]).toBe(
      "The template is 501 characters long; the limit is 500.",
    );
    expect(
      errorsOf({ templates: Array.from({ length: 11 }, (_, i) => `Notice ${i} {declaration_url}`) })["template-1"],
    ).toBe("At most 10 notices, please.");
  });

  it("counts a filled notice as Mastodon does: links as 23, the content warning too", () => {
    // The link, however long, counts 23; the hashtags appended count as written.
    const tail = " #SocialMediaStrike #OpenWeb";
    expect(mastodonLength("a https://example.com/a/very/long/path/that/goes/on/and/on b", "cw")).toBe(
      1 + 1 + 23 + 1 + 1 + 2,
    );
    // A full stop or bracket after a link is not part of it, and counts.
    expect(mastodonLength("See https://example.com/some/long/path.")).toBe(4 + 23 + 1);
    expect(mastodonLength("(https://example.com/some/long/path), ok")).toBe(1 + 23 + 2 + 3);
    const base = "{declaration_url} {hashtags} ";
    const room = 500 - 23 - tail.length;
    expect(planOf({ templates: [base + "x".repeat(room - 1)] }).templates).toHaveLength(1);
    expect(errorsOf({ templates: [base + "x".repeat(room)] })["template-1"]).toBe(
      "Filled in, this notice can reach 501 characters with its content warning (links count as 23); Mastodon allows 500. Shorten it.",
    );
    // The same template with a content warning of 5 is too long.
    expect(errorsOf({ templates: [base + "x".repeat(room - 5)], spoilerText: "CW: x" })["template-1"]).toContain(
      "can reach 501 characters",
    );
    // Placeholders are counted at their longest: the signature count as 9,999,999 and hours left as 999.
    const counted = "{signature_count}{hours_left}{declaration_url} {hashtags} ";
    expect(errorsOf({ templates: [counted + "x".repeat(room - 12)] })["template-1"]).toContain(
      "can reach 501 characters",
    );
  });

  it("refuses a visibility, language, image or content warning that does not fit", () => {
    expect(errorsOf({ visibility: "direct" }).visibility).toMatch(/^Please choose who sees the notices/);
    expect(errorsOf({ language: "zz" }).language).toBe(
      "“zz” is not a language code; use two letters, such as en, de or fr, or leave it empty.",
    );
    expect(errorsOf({ language: "english" }).language).toContain("is not a language code");
    expect(planOf({ language: "" }).language).toBe("");
    expect(errorsOf({ mediaId: "8", mediaAlt: "x" }).mediaId).toBe(
      "That image is not in the memes gallery; choose one from the list.",
    );
    expect(errorsOf({ mediaId: "7x", mediaAlt: "x" }).mediaId).toContain("not in the memes gallery");
    expect(errorsOf({ mediaId: "7", mediaAlt: "  " }).mediaAlt).toBe(
      "Please describe the image for people who cannot see it.",
    );
    expect(errorsOf({ mediaId: "7", mediaAlt: "x".repeat(1501) }).mediaAlt).toBe(
      "The description is longer than 1500 characters.",
    );
    expect(errorsOf({ spoilerText: "c".repeat(201) }).spoilerText).toBe(
      "The content warning is longer than 200 characters.",
    );
    expect(planOf({ spoilerText: "c".repeat(200), templates: ["{declaration_url}"] }).spoilerText).toHaveLength(200);
    // Without an image its description is dropped.
    expect(planOf({ mediaAlt: "left over" }).mediaAlt).toBe("");
  });

  it("reports every problem at once", () => {
    expect(
      Object.keys(
        errorsOf({
          days: [],
          cadence: "x",
          timeZone: "Nowhere",
          declaration: "nope",
          visibility: "x",
          language: "zz",
          mediaId: "99",
        }),
      ).sort(),
    ).toEqual(["cadence", "days", "declaration", "language", "mediaId", "timeZone", "visibility"]);
  });

  it("refuses more than 200 posts", () => {
    const long: StrikeSettings = {
      ...strike,
      days: Array.from({ length: 9 }, (_, i) => `2030-07-${String(i + 1).padStart(2, "0")}`),
    };
    const result = validatePlanForm(input({ days: long.days as string[] }), { ...ctx, strike: long });
    expect(result).toEqual({
      ok: false,
      errors: {
        cadence: `This makes 216 posts; the bot makes at most ${POSTS_MAX}. Choose fewer days or post less often.`,
      },
    });
    expect(validatePlanForm(input({ days: long.days as string[], cadence: "2" }), { ...ctx, strike: long }).ok).toBe(
      true,
    );
  });

  it("offers a default plan from the strike's settings", () => {
    expect(defaultPlan(strike, "open-web", "Nowhere/Else")).toMatchObject({
      days: ["2030-07-04", "2030-07-05"],
      cadence: { kind: "every", hours: 1 },
      timeZone: "UTC",
      templates: ["Day one: sign {declaration_url} {hashtags}", "{hours_left} hours left. {declaration_url}"],
    });
    expect(defaultPlan(strike, "open-web", "Asia/Tokyo").timeZone).toBe("Asia/Tokyo");
    expect(parseStoredPlan({ days: [] })).toBeNull();
    expect(languageName("de")).toBe("German");
    expect(languageName("zz")).toBe("zz");
  });
});

describe("slots", () => {
  const at = (plan: Pick<BotPlan, "days" | "timeZone" | "cadence">) => planSlots(plan).map((s) => s.at.toISOString());

  it("makes 48 hourly slots over two days in UTC, numbered in order", () => {
    const slots = planSlots({
      days: ["2030-07-04", "2030-07-05"],
      timeZone: "UTC",
      cadence: { kind: "every", hours: 1 },
    });
    expect(slots).toHaveLength(48);
    expect(slots[0]).toEqual({ at: new Date("2030-07-04T00:00:00Z"), index: 0, day: "2030-07-04" });
    expect(slots[47]).toEqual({ at: new Date("2030-07-05T23:00:00Z"), index: 47, day: "2030-07-05" });
    expect(slots.every((s, i) => i === 0 || s.at.getTime() - slots[i - 1]!.at.getTime() === HOUR)).toBe(true);
  });

  it("makes every-3-hours slots from local midnight", () => {
    expect(at({ days: ["2030-07-04"], timeZone: "Europe/Berlin", cadence: { kind: "every", hours: 3 } })).toEqual([
      "2030-07-03T22:00:00.000Z",
      "2030-07-04T01:00:00.000Z",
      "2030-07-04T04:00:00.000Z",
      "2030-07-04T07:00:00.000Z",
      "2030-07-04T10:00:00.000Z",
      "2030-07-04T13:00:00.000Z",
      "2030-07-04T16:00:00.000Z",
      "2030-07-04T19:00:00.000Z",
    ]);
  });

  it("makes chosen times on each day in the striker's zone", () => {
    expect(
      at({
        days: ["2030-07-04", "2030-07-05"],
        timeZone: "America/New_York",
        cadence: { kind: "times", times: ["09:00", "18:30"] },
      }),
    ).toEqual([
      "2030-07-04T13:00:00.000Z",
      "2030-07-04T22:30:00.000Z",
      "2030-07-05T13:00:00.000Z",
      "2030-07-05T22:30:00.000Z",
    ]);
  });

  it("keeps the wall-clock rhythm on days the clocks change: 23 and 25 hourly slots", () => {
    const spring = planSlots({ days: ["2030-03-31"], timeZone: "Europe/Berlin", cadence: { kind: "every", hours: 1 } });
    expect(spring).toHaveLength(23);
    expect(spring.map((s) => s.at.toISOString())).not.toContain("2030-03-31T01:00:00.000Z".replace("01:00", "00:30"));
    expect(spring[2]!.at.toISOString()).toBe("2030-03-31T01:00:00.000Z"); // 03:00 CEST, right after 01:00 CET
    const autumn = planSlots({ days: ["2030-10-27"], timeZone: "Europe/Berlin", cadence: { kind: "every", hours: 1 } });
    expect(autumn).toHaveLength(25);
    // 02:00 happens twice: once in summer time, once in winter time.
    expect(autumn[2]!.at.toISOString()).toBe("2030-10-27T00:00:00.000Z");
    expect(autumn[3]!.at.toISOString()).toBe("2030-10-27T01:00:00.000Z");
  });

  it("moves a chosen time that does not exist (clocks forward) to the first that does", () => {
    expect(
      at({ days: ["2030-03-31"], timeZone: "Europe/Berlin", cadence: { kind: "times", times: ["02:30", "09:00"] } }),
    ).toEqual(["2030-03-31T01:30:00.000Z", "2030-03-31T07:00:00.000Z"]);
  });
});

describe("planned posts", () => {
  const plan = planOf({
    templates: [
      "First {declaration_url} {hashtags}",
      "Second {hours_left}h left {declaration_url}",
      "Third {signature_count} {declaration_title}",
    ],
  });

  it("spreads each connection's posts over the first five minutes, stably", () => {
    const offsets = Array.from({ length: 50 }, (_, i) => spreadOffsetMs(i + 1));
    for (const o of offsets) {
      expect(o).toBeGreaterThanOrEqual(0);
      expect(o).toBeLessThan(SPREAD_MS);
      expect(o % 1000).toBe(0);
    }
    expect(new Set(offsets).size).toBeGreaterThan(30);
    expect(spreadOffsetMs(7)).toBe(spreadOffsetMs(7));
    const posts = plannedPosts(plan, 7, values);
    expect(posts[0]!.postAt.getTime() - posts[0]!.slotAt.getTime()).toBe(spreadOffsetMs(7));
  });

  it("rotates the templates and fills them in", () => {
    const posts = plannedPosts(plan, 1, values);
    expect(posts).toHaveLength(48);
    expect(posts.slice(0, 4).map((p) => p.templateIndex)).toEqual([0, 1, 2, 0]);
    expect(posts[0]!.text).toBe("First https://undersign.test/d/open-web #SocialMediaStrike #OpenWeb");
    expect(posts[1]!.text).toBe("Second 47h left https://undersign.test/d/open-web #SocialMediaStrike #OpenWeb");
    expect(posts[2]!.text).toBe(
      "Third 1,234 The Open Web Declaration https://undersign.test/d/open-web #SocialMediaStrike #OpenWeb",
    );
    expect(posts[0]).toMatchObject({ visibility: "public", language: "en", spoilerText: "", mediaId: null });
  });

  it("counts hours left in the striker's own zone and days", () => {
    const ny = planOf({ timeZone: "America/New_York", templates: ["{hours_left} {declaration_url}"] });
    const posts = plannedPosts(ny, 1, values);
    expect(posts[0]!.slotAt.toISOString()).toBe("2030-07-04T04:00:00.000Z");
    expect(posts[0]!.text.split(" ")[0]).toBe("48");
    expect(posts[47]!.text.split(" ")[0]).toBe("1");
    const oneDay = planOf({ days: ["2030-07-05"], templates: ["{hours_left} {declaration_url}"] });
    expect(plannedPosts(oneDay, 1, values)[0]!.text.split(" ")[0]).toBe("24");
  });

  it("keeps idempotency keys for the same plan, and changes them when the text changes", () => {
    const a = plannedPosts(plan, 3, values);
    const b = plannedPosts(
      planOf({
        templates: [
          "First {declaration_url} {hashtags}",
          "Second {hours_left}h left {declaration_url}",
          "Third {signature_count} {declaration_title}",
        ],
      }),
      3,
      values,
    );
    expect(b.map((p) => p.idempotencyKey)).toEqual(a.map((p) => p.idempotencyKey));
    expect(new Set(a.map((p) => p.idempotencyKey)).size).toBe(48);
    expect(a[0]!.idempotencyKey).toMatch(
      /^undersign-strike-bot:3:2030-07-04:2030-07-04T00:00:00\.000Z:[A-Za-z0-9_-]{12}$/,
    );
    // Another template at slot 0: a new key there, the same for the slots whose text did not change.
    const edited = plannedPosts(
      planOf({
        templates: [
          "Changed {declaration_url}",
          "Second {hours_left}h left {declaration_url}",
          "Third {signature_count} {declaration_title}",
        ],
      }),
      3,
      values,
    );
    expect(edited[0]!.idempotencyKey).not.toBe(a[0]!.idempotencyKey);
    expect(edited[1]!.idempotencyKey).toBe(a[1]!.idempotencyKey);
    // A content warning or visibility changes what is posted too.
    expect(plannedPosts({ ...plan, spoilerText: "cw" }, 3, values)[1]!.idempotencyKey).not.toBe(a[1]!.idempotencyKey);
    expect(plannedPosts({ ...plan, visibility: "unlisted" }, 3, values)[1]!.idempotencyKey).not.toBe(
      a[1]!.idempotencyKey,
    );
    // Another striker: other keys.
    expect(plannedPosts(plan, 4, values)[0]!.idempotencyKey).not.toBe(a[0]!.idempotencyKey);
  });
});
