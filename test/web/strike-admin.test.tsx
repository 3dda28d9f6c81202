/**
 * /admin/strike: the site owner's strike settings (every bad input named,
 * kept, nothing saved), pause and resume, posting a notice now, and the
 * notices sent with their boosts and favourites; plus the page in Chromium.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { createAccount, hashPassword } from "../../src/db/accounts.ts";
import { eq, sql } from "drizzle-orm";
import type { Db } from "../../src/db/client.ts";
import { upsertRemoteActor } from "../../src/db/fediverse.ts";
import { addReaction } from "../../src/db/reactions.ts";
import { fedBoosts, media, mediaBlobs } from "../../src/db/schema.ts";
import { listNotices, readStrikeSettingsValue, writeStrikeSettingsValue } from "../../src/db/strike.ts";
import { defaultStrikeSettings, parseStoredSettings } from "../../src/strike/settings.ts";
import { getAs, loggedIn } from "../helpers/accounts.ts";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { haveChromium, launchBrowser, RESULTS, startBrowserSite, watchPage } from "../helpers/browser.ts";
import { inputValue, pageText, postForm, statusNotices, tags, textareaText } from "../helpers/forms.ts";

const PAGE = "/admin/strike";

async function setup() {
  const t = await createTestApp();
  const d = addDeclaration(t.db);
  addDeclaration(t.db, { slug: "second-one", title: "Second Declaration" });
  addDeclaration(t.db, { slug: "a-draft", title: "A Draft", status: "draft" });
  createAccount(t.db, { username: "boss", passwordHash: "unused", role: "admin" });
  const boss = await loggedIn(t, "boss");
  return { t, d, boss };
}

function addImage(db: Db, alt: string) {
  const row = db
    .insert(media)
    .values({
      uuid: randomUUID(),
      mime: "image/png",
      width: 4,
      height: 3,
      bytes: 10,
      sha256: randomUUID(),
      alt,
      created: new Date(),
    })
    .returning()
    .get();
  db.insert(mediaBlobs)
    .values({ mediaId: row.id, data: Buffer.from("not used") })
    .run();
  return row;
}

/** A complete, valid form. */
function validFields(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const fields: Record<string, string | undefined> = {
    name: "Social Media Strike",
    hashtags: "#SocialMediaStrike FediStrike",
    "day-1": "2027-07-04",
    "day-2": "2027-07-05",
    "day-3": "",
    timeZone: "europe/berlin",
    cadence: "30",
    "declaration-test-declaration": "on",
    "template-1": "Sign {declaration_url} — {signature_count} have. {hashtags}",
    "template-2": "",
    ...overrides,
  };
  return Object.fromEntries(Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined));
}

type Setup = Awaited<ReturnType<typeof setup>>;

/** The fields of the confirmation form a "post now" preview shows (csrf, declaration, preview, nonce). */
async function preview(t: Setup["t"], who: Setup["boss"], declaration: string) {
  const res = await postForm(t.app, `${PAGE}/post-now`, { declaration }, { csrf: who });
  const html = await res.text();
  const form = /<form method="post" action="\/admin\/strike\/post-now\/confirm"[\s\S]*?<\/form>/.exec(html)?.[0] ?? "";
  const fields = Object.fromEntries(
    tags(form, "input")
      .filter((i) => i.type === "hidden" && i.name != null && i.name !== "csrf")
      .map((i) => [i.name!, i.value ?? ""]),
  );
  return { res, html, fields };
}

/** Previews and confirms a notice, with `extra` fields on the confirmation. */
async function postNow(t: Setup["t"], who: Setup["boss"], declaration: string, extra: Record<string, string> = {}) {
  const { fields } = await preview(t, who, declaration);
  return postForm(t.app, `${PAGE}/post-now/confirm`, { ...fields, ...extra }, { csrf: who });
}

describe("/admin/strike", () => {
  it("is for admins only; /admin links to it; it shows the defaults out of the box", async () => {
    const { t, boss } = await setup();
    const anonymous = await t.app.request(PAGE);
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get("location")).toBe(`/login?next=${PAGE}`);
    const author = await loggedIn(t, "author");
    expect((await getAs(t, PAGE, author)).status).toBe(403);
    expect((await postForm(t.app, PAGE, validFields(), { csrf: author })).status).toBe(403);
    expect((await postForm(t.app, `${PAGE}/pause`, {}, { csrf: author })).status).toBe(403);
    expect((await postForm(t.app, `${PAGE}/post-now`, { declaration: "*" }, { csrf: author })).status).toBe(403);
    expect(readStrikeSettingsValue(t.db)).toBeUndefined();
    expect(tags(await (await getAs(t, "/admin", boss)).text(), "a").map((a) => a.href)).toContain(PAGE);

    const res = await getAs(t, PAGE, boss);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const html = await res.text();
    expect(inputValue(html, "name")).toBe("Social Media Strike");
    expect(inputValue(html, "hashtags")).toBe("#SocialMediaStrike");
    const year = defaultStrikeSettings(new Date()).days[0]!.slice(0, 4);
    expect(inputValue(html, "day-1")).toBe(`${year}-07-04`);
    expect(inputValue(html, "day-2")).toBe(`${year}-07-05`);
    expect(inputValue(html, "timeZone")).toBe("UTC");
    expect(inputValue(html, "cadence")).toBe("60");
    expect(textareaText(html, "template-1")).toContain("{declaration_url}");
    expect(textareaText(html, "template-4")).toBe("");
    // Published Declarations only.
    const boxes = tags(html, "input")
      .filter((i) => i.type === "checkbox" && i.name?.startsWith("declaration-") === true)
      .map((i) => i.name);
    expect(boxes.sort()).toEqual(["declaration-second-one", "declaration-test-declaration"]);
    expect(pageText(html)).toContain("No notice has been posted yet.");
  });

  it("saves every setting and shows them back", async () => {
    const { t, boss } = await setup();
    const a = addImage(t.db, "A fist of speech bubbles");
    const b = addImage(t.db, "The calendar");
    const res = await postForm(
      t.app,
      PAGE,
      validFields({
        "day-1": "2027-07-05",
        "day-2": "2027-07-04",
        "day-3": "2027-07-04",
        [`template-1-media-${b.id}`]: "on",
        [`template-1-media-${a.id}`]: "on",
        "template-2": "Second {hours_left}",
        "countdown-week": "on",
        "countdown-start": "on",
      }),
      { csrf: boss },
    );
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`${PAGE}?done=saved`);
    const stored = parseStoredSettings(readStrikeSettingsValue(t.db), new Date());
    expect(stored).toEqual({
      name: "Social Media Strike",
      hashtags: ["SocialMediaStrike", "FediStrike"],
      days: ["2027-07-04", "2027-07-05"],
      timeZone: "Europe/Berlin",
      cadenceMinutes: 30,
      declarations: ["test-declaration"],
      templates: [
        {
          text: "Sign {declaration_url} — {signature_count} have. {hashtags}",
          mediaIds: expect.arrayContaining([a.id, b.id]),
        },
        { text: "Second {hours_left}", mediaIds: [] },
      ],
      paused: false,
      countdown: ["week", "start"],
    });
    const html = await (await getAs(t, `${PAGE}?done=saved`, boss)).text();
    expect(pageText(html)).toContain("The strike settings are saved.");
    expect(statusNotices(html)).toEqual(["notice success"]);
    expect(pageText(html)).toContain("July 4, 2027 and July 5, 2027 (Europe/Berlin)");
    expect(inputValue(html, "timeZone")).toBe("Europe/Berlin");
    expect(tags(html, "input").find((i) => i.name === `template-1-media-${a.id}`)).toHaveProperty("checked");
    expect(tags(html, "input").find((i) => i.name === `template-2-media-${a.id}`)).not.toHaveProperty("checked");
    expect(tags(html, "img").map((i) => i.src)).toContain(`/media/${a.uuid}.png`);
    // The site account's countdown: the moments ticked, and only those.
    expect(tags(html, "input").find((i) => i.name === "countdown-week")).toHaveProperty("checked");
    expect(tags(html, "input").find((i) => i.name === "countdown-day")).not.toHaveProperty("checked");
    expect(tags(html, "input").find((i) => i.name === "countdown-start")).toHaveProperty("checked");
  });

  const cases: [string, Record<string, string | undefined>, string, string][] = [
    [
      "unknown time zone",
      { timeZone: "Mars/Olympus_Mons" },
      "strike-timeZone",
      "“Mars/Olympus_Mons” is not a time zone we know.",
    ],
    ["a day that does not exist", { "day-2": "2027-02-30" }, "strike-day-2", "2027-02-30 is not a date that exists."],
    [
      "a day that is not a date",
      { "day-1": "July 4" },
      "strike-day-1",
      "“July 4” is not a date: write it as YYYY-MM-DD",
    ],
    ["no day", { "day-1": "", "day-2": " " }, "strike-day-1", "Please give at least one strike day."],
    [
      "a template over 500 characters",
      { "template-1": "x".repeat(501) },
      "strike-template-1",
      "The template is 501 characters long; the limit is 500.",
    ],
    [
      "an unknown placeholder",
      { "template-2": "Sign {signatures} at {declaration_url}" },
      "strike-template-2",
      "There is no placeholder {signatures}.",
    ],
    ["no template", { "template-1": "  " }, "strike-template-1", "Please write at least one notice template."],
    [
      "cadence out of range",
      { cadence: "5" },
      "strike-cadence",
      "The cadence is a whole number of minutes from 15 to 1440",
    ],
    ["cadence not a number", { cadence: "hourly" }, "strike-cadence", "The cadence is a whole number of minutes"],
    ["an empty name", { name: " " }, "strike-name", "Please give the strike a name"],
    ["a bad hashtag", { hashtags: "#Social-Media" }, "strike-hashtags", "“#Social-Media” is not a hashtag"],
    [
      "a Declaration that is not published",
      { "declaration-a-draft": "on" },
      "strike-declarations",
      "“a-draft” is not a published Declaration of this site.",
    ],
    [
      "a countdown moment that does not exist",
      { "countdown-month": "on" },
      "strike-countdown",
      "“month” is not a moment of the countdown",
    ],
  ];
  for (const [what, overrides, id, message] of cases) {
    it(`refuses ${what}: 400, the field named, the input kept, nothing saved`, async () => {
      const { t, boss } = await setup();
      const fields = validFields(overrides);
      const res = await postForm(t.app, PAGE, fields, { csrf: boss });
      expect(res.status).toBe(400);
      const html = await res.text();
      expect(pageText(html)).toContain("Nothing was saved.");
      expect(pageText(html)).toContain(message);
      // The summary links to the field, which is marked invalid and described by its message.
      expect(tags(html, "a").map((a) => a.href)).toContain(`#${id}`);
      const control = [...tags(html, "input"), ...tags(html, "textarea"), ...tags(html, "fieldset")].find(
        (c) => c.id === id,
      );
      expect(control?.["aria-invalid"]).toBe("true");
      for (const [name, value] of Object.entries(fields)) {
        if (name === "csrf" || name.startsWith("declaration-") || name.startsWith("countdown-")) continue;
        if (name.startsWith("template-")) expect(textareaText(html, name), name).toBe(value);
        else expect(inputValue(html, name), name).toBe(value);
      }
      expect(readStrikeSettingsValue(t.db)).toBeUndefined();
    });
  }

  it("refuses more than 4 images and an image that does not exist", async () => {
    const { t, boss } = await setup();
    const ids = Array.from({ length: 5 }, (_, i) => addImage(t.db, `Image ${i}`).id);
    const five = Object.fromEntries(ids.map((id) => [`template-1-media-${id}`, "on"]));
    let res = await postForm(t.app, PAGE, validFields(five), { csrf: boss });
    expect(res.status).toBe(400);
    let html = await res.text();
    expect(pageText(html)).toContain("A notice can carry at most 4 images; 5 are chosen.");
    for (const id of ids)
      expect(tags(html, "input").find((i) => i.name === `template-1-media-${id}`)).toHaveProperty("checked");
    res = await postForm(t.app, PAGE, validFields({ "template-1-media-999": "on" }), { csrf: boss });
    expect(res.status).toBe(400);
    html = await res.text();
    expect(pageText(html)).toContain("Notice template 1 : Image 999 does not exist; choose images from the list.");
    expect(readStrikeSettingsValue(t.db)).toBeUndefined();
  });

  it("reports every problem at once", async () => {
    const { t, boss } = await setup();
    const res = await postForm(
      t.app,
      PAGE,
      validFields({ timeZone: "Nowhere", "day-1": "2027-13-01", cadence: "0", "template-1": "{nope}" }),
      { csrf: boss },
    );
    expect(res.status).toBe(400);
    const links = tags(await res.text(), "a").map((a) => a.href);
    expect(links).toEqual(
      expect.arrayContaining(["#strike-timeZone", "#strike-day-1", "#strike-cadence", "#strike-template-1"]),
    );
  });

  it("refuses a form without its CSRF token, and a body that is too large", async () => {
    const { t, boss } = await setup();
    expect((await postForm(t.app, PAGE, validFields(), { csrf: { cookie: boss.cookie, csrf: "forged" } })).status).toBe(
      403,
    );
    const huge = await postForm(t.app, PAGE, validFields({ "template-1": "x".repeat(600_000) }), { csrf: boss });
    expect(huge.status).toBe(413);
    expect(readStrikeSettingsValue(t.db)).toBeUndefined();
  });

  it("pauses and resumes, keeping the settings", async () => {
    const { t, boss } = await setup();
    await postForm(t.app, PAGE, validFields(), { csrf: boss });
    const paused = await postForm(t.app, `${PAGE}/pause`, {}, { csrf: boss });
    expect(paused.headers.get("location")).toBe(`${PAGE}?done=paused`);
    let stored = parseStoredSettings(readStrikeSettingsValue(t.db), new Date());
    expect(stored).toMatchObject({ paused: true, cadenceMinutes: 30, timeZone: "Europe/Berlin" });
    const html = await (await getAs(t, `${PAGE}?done=paused`, boss)).text();
    expect(pageText(html)).toContain("Notices are paused: nothing is posted until you resume.");
    expect(tags(html, "form").map((f) => f.action)).toContain(`${PAGE}/resume`);
    // Saving the settings while paused keeps them paused.
    await postForm(t.app, PAGE, validFields({ cadence: "60" }), { csrf: boss });
    expect(parseStoredSettings(readStrikeSettingsValue(t.db), new Date())).toMatchObject({
      paused: true,
      cadenceMinutes: 60,
    });
    await postForm(t.app, `${PAGE}/resume`, {}, { csrf: boss });
    stored = parseStoredSettings(readStrikeSettingsValue(t.db), new Date());
    expect(stored.paused).toBe(false);
  });

  it("posts a notice now (one Declaration or every chosen one) and lists notices with their boosts and favourites", async () => {
    const { t, d, boss } = await setup();
    // Nothing chosen yet: "every chosen one" is refused.
    let res = await postForm(t.app, `${PAGE}/post-now`, { declaration: "*" }, { csrf: boss });
    expect(res.status).toBe(400);
    expect(pageText(await res.text())).toContain("No published Declaration is chosen to post notices");
    res = await postForm(t.app, `${PAGE}/post-now`, { declaration: "a-draft" }, { csrf: boss });
    expect(res.status).toBe(400);
    expect(pageText(await res.text())).toContain("“a-draft” is not a published Declaration of this site.");
    expect(listNotices(t.db)).toEqual([]);

    await postForm(t.app, PAGE, validFields({ "declaration-second-one": "on" }), { csrf: boss });
    res = await postNow(t, boss, "*", { outside: "yes" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`${PAGE}?done=posted-2`);
    res = await postNow(t, boss, "test-declaration", { outside: "yes" });
    expect(res.headers.get("location")).toBe(`${PAGE}?done=posted-1`);
    await t.publisher.runOnce();
    const notices = listNotices(t.db);
    expect(notices.map((n) => n.declaration.slug).sort()).toEqual([
      "second-one",
      "test-declaration",
      "test-declaration",
    ]);
    expect(
      notices.every((n) => n.post.key.startsWith("notice:now:") && n.post.slot == null && n.delivered != null),
    ).toBe(true);

    // Two boosts and a favourite of the newest notice.
    const newest = notices.find((n) => n.declaration.slug === "test-declaration")!;
    const uri = `${t.config.origin.origin}/ap/notes/${newest.post.uuid}`;
    t.db.transaction((tx) => {
      for (const name of ["ann", "bob"]) {
        const actor = upsertRemoteActor(
          tx,
          {
            uri: `https://m.example/users/${name}`,
            handle: `${name}@m.example`,
            name,
            url: `https://m.example/@${name}`,
            iconUrl: null,
            inbox: `https://m.example/users/${name}/inbox`,
            sharedInbox: null,
          },
          new Date(),
        );
        tx.insert(fedBoosts)
          .values({
            activityUri: `https://m.example/boosts/${name}`,
            declarationId: d.id,
            actorId: actor.id,
            objectUri: uri,
            created: new Date(),
          })
          .run();
        if (name === "ann")
          addReaction(tx, {
            declarationId: d.id,
            actorId: actor.id,
            activityUri: `https://m.example/likes/${name}`,
            objectUri: uri,
            kind: "like",
            content: null,
            revision: 1,
            name,
            website: "",
            now: new Date(),
          });
      }
    });
    const html = await (await getAs(t, `${PAGE}?done=posted-1`, boss)).text();
    const text = pageText(html);
    expect(text).toContain("1 notice was posted; followers receive it in a moment.");
    const item = /<li id="notice-(\d+)">([\s\S]*?)<\/li>/g;
    const rows = [...html.matchAll(item)].map((m) => [Number(m[1]), pageText(m[2]!)] as const);
    expect(rows).toHaveLength(3);
    // Newest first.
    expect(rows[0]![0]).toBe(newest.post.id);
    expect(rows[0]![1]).toContain("Test Declaration");
    expect(rows[0]![1]).toContain("posted by hand");
    expect(rows[0]![1]).toContain("have. #SocialMediaStrike #FediStrike");
    expect(rows[0]![1]).toContain("2 boosts 1 favourite");
    expect(rows[1]![1]).toContain("0 boosts 0 favourites");
  });
});

describe.skipIf(!haveChromium)("/admin/strike in Chromium", () => {
  it("renders on a phone and a desktop, shows the visitor's own zone, and saves", async () => {
    const t = await startBrowserSite();
    const browser = await launchBrowser();
    try {
      addDeclaration(t.db, { title: "Declaration of Digital Independence", slug: "independence" });
      addDeclaration(t.db, { title: "Our Networks, Our Words", slug: "our-words" });
      createAccount(t.db, {
        username: "owner",
        passwordHash: await hashPassword("correct horse battery"),
        role: "admin",
      });
      for (const [alt, color] of [
        ["A raised fist made of speech bubbles", "#c0392b"],
        ["A calendar with July 4 and 5 circled", "#2e7d46"],
      ] as const) {
        const data = await sharp({ create: { width: 320, height: 200, channels: 3, background: color } })
          .png()
          .toBuffer();
        const row = addImage(t.db, alt);
        t.db.update(media).set({ width: 320, height: 200, bytes: data.length }).where(eq(media.id, row.id)).run();
        t.db.update(mediaBlobs).set({ data }).where(eq(mediaBlobs.mediaId, row.id)).run();
      }
      writeStrikeSettingsValue(t.db, {
        ...defaultStrikeSettings(new Date()),
        days: ["2027-07-04", "2027-07-05"],
        declarations: ["independence"],
        templates: [
          { text: "Sign {declaration_url} with me. {hashtags}", mediaIds: [1] },
          ...defaultStrikeSettings(new Date()).templates,
        ],
      });
      for (const width of [390, 1280]) {
        const context = await browser.newContext({ viewport: { width, height: 900 }, timezoneId: "America/New_York" });
        const page = await context.newPage();
        const watch = await watchPage(context, page, t.origin);
        await page.goto(`${t.origin}/login?next=${encodeURIComponent(PAGE)}`);
        await page.locator("#login-username").fill("owner");
        await page.locator("#login-password").fill("correct horse battery");
        await page.getByRole("button", { name: "Log in" }).click();
        await page.waitForURL(`${t.origin}${PAGE}`);
        await expect.poll(() => page.locator(".own-zone").isVisible()).toBe(true);
        expect(await page.locator("[data-own-zone]").textContent()).toBe("America/New_York");
        // Thumbnails load lazily; a full-page screenshot does not scroll.
        await page.locator(".media-choices img").evaluateAll((imgs) => {
          for (const i of imgs) (i as HTMLImageElement).loading = "eager";
        });
        await expect
          .poll(() =>
            page
              .locator(".media-choices img")
              .evaluateAll((imgs) => imgs.every((i) => (i as HTMLImageElement).naturalWidth > 0)),
          )
          .toBe(true);
        await page.screenshot({ path: join(RESULTS, `strike-admin-${width}.png`), fullPage: true });
        if (width === 390) {
          // A bad template comes back with its error next to it.
          await page.locator("#strike-template-1").fill("Sign {signatures}");
          await page.getByRole("button", { name: "Use it" }).click();
          expect(await page.locator("#strike-timeZone").inputValue()).toBe("America/New_York");
          await page.getByRole("button", { name: "Save the strike settings" }).click();
          await page.waitForLoadState();
          expect(await page.locator("#strike-template-1-error").textContent()).toContain(
            "There is no placeholder {signatures}.",
          );
          await page.screenshot({ path: join(RESULTS, `strike-admin-error-${width}.png`), fullPage: true });
          await page.locator("#strike-template-1").fill("Sign {declaration_url} {hashtags}");
          await page.getByRole("button", { name: "Save the strike settings" }).click();
          await page.waitForURL(`${t.origin}${PAGE}?done=saved`);
          expect(parseStoredSettings(readStrikeSettingsValue(t.db), new Date()).timeZone).toBe("America/New_York");
          await page.getByRole("button", { name: "Preview the notice" }).click();
          await page.getByRole("heading", { name: "Check the notice before it is posted" }).waitFor();
          expect(listNotices(t.db)).toEqual([]);
          await page.screenshot({ path: join(RESULTS, `strike-admin-confirm-${width}.png`), fullPage: true });
          await page.getByLabel("Post it outside the strike's days").check();
          await page.getByRole("button", { name: "Post this notice" }).click();
          await page.waitForURL(`${t.origin}${PAGE}?done=posted-1`);
          await page.screenshot({ path: join(RESULTS, `strike-admin-posted-${width}.png`), fullPage: true });
        }
        expect(await watch.cspViolations()).toEqual([]);
        expect(watch.pageErrors).toEqual([]);
        expect(watch.consoleMessages.filter((m) => !m.includes("status of 400"))).toEqual([]);
        expect(watch.foreign).toEqual([]);
        await context.close();
      }
    } finally {
      await browser.close();
      await t.close();
    }
  }, 90_000);
});

describe("Post a notice now: the owner sees the post, then confirms", () => {
  /** A strike that is on now (today and tomorrow, UTC) or long past. */
  function strikeDays(db: Db, when: "on" | "over", templates?: { text: string; mediaIds: number[] }[]) {
    const today = new Date().toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const base = defaultStrikeSettings(new Date());
    writeStrikeSettingsValue(db, {
      ...base,
      days: when === "on" ? [today, tomorrow] : ["2020-07-04", "2020-07-05"],
      timeZone: "UTC",
      hashtags: ["SocialMediaStrike", "FediStrike"],
      declarations: ["test-declaration", "second-one"],
      ...(templates != null ? { templates } : {}),
    });
  }

  it("shows the exact post, its image and description, who receives it, and posts nothing", async () => {
    const { t, d, boss } = await setup();
    const described = addImage(t.db, "A raised fist made of speech bubbles");
    const bare = addImage(t.db, "");
    strikeDays(t.db, "on", [
      { text: "Sign {declaration_title}: {declaration_url} {hashtags}", mediaIds: [described.id, bare.id] },
    ]);
    for (const name of ["ann", "bob"]) {
      const actor = upsertRemoteActor(
        t.db,
        {
          uri: `https://m.example/users/${name}`,
          handle: `${name}@m.example`,
          name,
          url: `https://m.example/@${name}`,
          iconUrl: null,
          inbox: `https://m.example/users/${name}/inbox`,
          sharedInbox: null,
        },
        new Date(),
      );
      t.db.run(
        sql`INSERT INTO followers (declaration_id, actor_id, follow_uri, created) VALUES (${d.id}, ${actor.id}, ${`https://m.example/follows/${name}`}, ${Date.now()})`,
      );
    }
    const { res, html, fields } = await preview(t, boss, "*");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(listNotices(t.db)).toEqual([]);
    const text = pageText(html);
    const host = t.config.origin.host;
    expect(text).toContain(
      `Sign Test Declaration: ${t.config.origin.origin}/d/test-declaration #SocialMediaStrike #FediStrike`,
    );
    expect(text).toContain(`Sign Second Declaration: ${t.config.origin.origin}/d/second-one`);
    const images = tags(html, "img").filter((i) => i.src?.startsWith("/media/"));
    expect(images.map((i) => i.alt)).toEqual([
      "A raised fist made of speech bubbles",
      "",
      "A raised fist made of speech bubbles",
      "",
    ]);
    expect(text).toContain("Description: A raised fist made of speech bubbles");
    expect(text).toContain("No description: people who cannot see the image learn nothing of it.");
    expect(text).toContain(`@test-declaration@${host} posts it publicly to 2 followers.`);
    expect(text).toContain(`@second-one@${host} posts it publicly to 0 followers.`);
    expect(text).toMatch(
      new RegExp(`The site account @[a-z0-9_-]+@${host.replace(".", "\\.")} boosts the notice of @test-declaration@`),
    );
    expect(text).toContain("Hashtags #SocialMediaStrike #FediStrike");
    expect(text).not.toContain("The strike is not on");
    expect(fields).toMatchObject({ declaration: "*" });
    expect(fields.preview).toMatch(/^[0-9a-f]{64}$/);
    expect(fields.nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(tags(html, "input").some((i) => i.name === "outside")).toBe(false);

    // The count moves between the preview and the confirmation: what was shown still posts.
    t.db.run(sql`UPDATE declarations SET signature_count = signature_count + 5`);
    const posted = await postForm(t.app, `${PAGE}/post-now/confirm`, fields, { csrf: boss });
    expect(posted.status).toBe(303);
    expect(posted.headers.get("location")).toBe(`${PAGE}?done=posted-2`);
    const notices = listNotices(t.db);
    expect(notices.map((n) => n.post.mediaIds)).toEqual([
      [described.id, bare.id],
      [described.id, bare.id],
    ]);
    expect(new Set(notices.map((n) => n.post.key))).toEqual(new Set([`notice:now:${fields.nonce}`]));
  });

  it("outside the strike's days says so first, and posts only once that is ticked", async () => {
    const { t, boss } = await setup();
    strikeDays(t.db, "over");
    const { html, fields } = await preview(t, boss, "test-declaration");
    expect(pageText(html)).toContain("The strike is not on. It ended");
    expect(pageText(html)).toContain("goes out after the strike's days");
    expect(tags(html, "input").find((i) => i.name === "outside")).toMatchObject({ type: "checkbox", value: "yes" });

    const refused = await postForm(t.app, `${PAGE}/post-now/confirm`, fields, { csrf: boss });
    expect(refused.status).toBe(400);
    const again = await refused.text();
    expect(pageText(again)).toMatch(/Post outside the strike's days\s*: The strike is not on: tick this box/);
    expect(tags(again, "input").find((i) => i.name === "outside")).toMatchObject({ "aria-invalid": "true" });
    expect(inputValue(again, "preview")).toBe(fields.preview);
    expect(inputValue(again, "nonce")).toBe(fields.nonce);
    const odd = await postForm(t.app, `${PAGE}/post-now/confirm`, { ...fields, outside: "sure" }, { csrf: boss });
    expect(odd.status).toBe(400);
    expect(pageText(await odd.text())).toMatch(/Post outside the strike's days\s*: Tick this box, or leave it out/);
    expect(listNotices(t.db)).toEqual([]);

    const ok = await postForm(t.app, `${PAGE}/post-now/confirm`, { ...fields, outside: "yes" }, { csrf: boss });
    expect(ok.headers.get("location")).toBe(`${PAGE}?done=posted-1`);
    expect(listNotices(t.db)).toHaveLength(1);
  });

  it("posts once: a double click, a reload and two confirmations at the same moment", async () => {
    const { t, boss } = await setup();
    strikeDays(t.db, "on");
    const { fields } = await preview(t, boss, "test-declaration");
    const both = await Promise.all([
      postForm(t.app, `${PAGE}/post-now/confirm`, fields, { csrf: boss }),
      postForm(t.app, `${PAGE}/post-now/confirm`, fields, { csrf: boss }),
    ]);
    expect(both.map((r) => r.status)).toEqual([303, 303]);
    expect(both.map((r) => r.headers.get("location")).sort()).toEqual([
      `${PAGE}?done=posted-1`,
      `${PAGE}?done=posted-again`,
    ]);
    const reload = await postForm(t.app, `${PAGE}/post-now/confirm`, fields, { csrf: boss });
    expect(reload.headers.get("location")).toBe(`${PAGE}?done=posted-again`);
    const postedAgain = await (await getAs(t, `${PAGE}?done=posted-again`, boss)).text();
    expect(pageText(postedAgain)).toContain("This notice was already posted; it was not posted again.");
    // Nothing was posted: the message is not in the colour of success.
    expect(statusNotices(postedAgain)).toEqual(["notice"]);
    expect(listNotices(t.db)).toHaveLength(1);
    // A new preview is a new notice (the next template of the rotation).
    expect((await postNow(t, boss, "test-declaration")).headers.get("location")).toBe(`${PAGE}?done=posted-1`);
    expect(listNotices(t.db)).toHaveLength(2);
  });

  it("refuses a confirmation when what would be posted changed since the preview", async () => {
    const { t, boss } = await setup();
    strikeDays(t.db, "on", [{ text: "First text {declaration_url}", mediaIds: [] }]);
    const { fields } = await preview(t, boss, "test-declaration");
    strikeDays(t.db, "on", [{ text: "Another text {declaration_url}", mediaIds: [] }]);
    const refused = await postForm(t.app, `${PAGE}/post-now/confirm`, fields, { csrf: boss });
    expect(refused.status).toBe(409);
    const html = await refused.text();
    expect(pageText(html)).toContain("The notice changed since it was shown to you");
    expect(pageText(html)).toContain("Another text");
    expect(listNotices(t.db)).toEqual([]);
    const digest = inputValue(html, "preview")!;
    expect(digest).not.toBe(fields.preview);

    // Another notice took this turn of the rotation: refused too.
    strikeDays(t.db, "on", [
      { text: "One {declaration_url}", mediaIds: [] },
      { text: "Two {declaration_url}", mediaIds: [] },
    ]);
    const first = await preview(t, boss, "test-declaration");
    expect(pageText(first.html)).toContain("One http");
    expect((await postNow(t, boss, "test-declaration")).headers.get("location")).toBe(`${PAGE}?done=posted-1`);
    const stale = await postForm(t.app, `${PAGE}/post-now/confirm`, first.fields, { csrf: boss });
    expect(stale.status).toBe(409);
    expect(pageText(await stale.text())).toContain("Two http");
    expect(listNotices(t.db)).toHaveLength(1);

    // The image's description edited after the preview: refused.
    const image = addImage(t.db, "Before");
    strikeDays(t.db, "on", [{ text: "With image {declaration_url}", mediaIds: [image.id] }]);
    const withImage = await preview(t, boss, "test-declaration");
    t.db.update(media).set({ alt: "After" }).where(eq(media.id, image.id)).run();
    expect((await postForm(t.app, `${PAGE}/post-now/confirm`, withImage.fields, { csrf: boss })).status).toBe(409);
    expect(listNotices(t.db)).toHaveLength(1);
  });

  it("names the problem with a bad confirmation, and posts nothing", async () => {
    const { t, boss } = await setup();
    strikeDays(t.db, "on");
    const { fields } = await preview(t, boss, "test-declaration");
    const cases: [Record<string, string | undefined>, number, string][] = [
      [{ declaration: undefined }, 400, "Please choose who posts the notice."],
      [{ declaration: "a-draft" }, 400, "“a-draft” is not a published Declaration of this site."],
      [{ preview: undefined }, 400, "This confirmation is incomplete or damaged"],
      [{ preview: "abc" }, 400, "This confirmation is incomplete or damaged"],
      [{ nonce: "x" }, 400, "This confirmation is incomplete or damaged"],
      [{ nonce: "../../../../etc/passwd/x" }, 400, "This confirmation is incomplete or damaged"],
      [{ preview: "0".repeat(64) }, 409, "The notice changed since it was shown to you"],
      [{ declaration: "second-one" }, 409, "The notice changed since it was shown to you"],
    ];
    for (const [change, status, message] of cases) {
      const sent = Object.fromEntries(
        Object.entries({ ...fields, ...change }).filter((e): e is [string, string] => e[1] !== undefined),
      );
      const res = await postForm(t.app, `${PAGE}/post-now/confirm`, sent, { csrf: boss });
      expect(res.status, JSON.stringify(change)).toBe(status);
      expect(pageText(await res.text()), JSON.stringify(change)).toContain(message);
    }
    const empty = await postForm(t.app, `${PAGE}/post-now`, {}, { csrf: boss });
    expect(empty.status).toBe(400);
    const html = await empty.text();
    expect(pageText(html)).toContain("Please choose who posts the notice.");
    expect(tags(html, "select").find((s) => s.name === "declaration")).toMatchObject({ "aria-invalid": "true" });
    expect(listNotices(t.db)).toEqual([]);
  });

  it("is refused without the form's proof of origin, for authors and for visitors", async () => {
    const { t, boss } = await setup();
    strikeDays(t.db, "on");
    const { fields } = await preview(t, boss, "test-declaration");
    const crossSite = await postForm(t.app, `${PAGE}/post-now/confirm`, fields, {
      csrf: { ...boss, csrf: "x".repeat(43) },
      headers: { "Sec-Fetch-Site": "cross-site", Origin: "https://evil.example" },
    });
    expect(crossSite.status).toBe(403);
    const noToken = await postForm(t.app, `${PAGE}/post-now/confirm`, fields, { csrf: { ...boss, csrf: "" } });
    expect(noToken.status).toBe(403);
    const previewCrossSite = await postForm(
      t.app,
      `${PAGE}/post-now`,
      { declaration: "*" },
      { csrf: { ...boss, csrf: "" }, headers: { "Sec-Fetch-Site": "cross-site" } },
    );
    expect(previewCrossSite.status).toBe(403);
    const author = await loggedIn(t, "ada");
    expect((await postForm(t.app, `${PAGE}/post-now`, { declaration: "*" }, { csrf: author })).status).toBe(403);
    expect((await postForm(t.app, `${PAGE}/post-now/confirm`, fields, { csrf: author })).status).toBe(403);
    const visitor = await postForm(t.app, `${PAGE}/post-now/confirm`, fields, { csrf: null });
    expect(visitor.status).toBe(303);
    expect(visitor.headers.get("location")).toBe(`/login?next=${PAGE}`);
    expect(listNotices(t.db)).toEqual([]);
  });
});
