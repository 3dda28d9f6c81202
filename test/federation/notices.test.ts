/**
 * Strike notices: one per slot and Declaration, posted in the slot's first
 * minutes only (a restart later in the slot skips it), never twice even when
 * two processes race, nothing while paused; "post now" at any time; and what
 * a follower on another server receives (hashtags, links, images with alt
 * text).
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import sharp from "sharp";
import { afterEach, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.ts";
import { setDeclarationStatus } from "../../src/db/declarations.ts";
import { listPosts } from "../../src/db/posts.ts";
import { media, mediaBlobs } from "../../src/db/schema.ts";
import { writeStrikeSettingsValue } from "../../src/db/strike.ts";
import { createDueNotices, nextNoticeAt, postNoticesNow } from "../../src/federation/notices.ts";
import { startPublisher } from "../../src/federation/publish.ts";
import { defaultStrikeSettings, type StrikeSettings } from "../../src/strike/settings.ts";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { createTestDb } from "../helpers/db.ts";
import { startFediverseServer } from "../helpers/fediverse.ts";
import { startInstance } from "../helpers/instance.ts";
import { tempDir } from "../helpers/process.ts";

const MIN = 60_000;
const SLOT = new Date("2027-07-04T10:00:00Z");
const ORIGIN = new URL("https://undersign.test");
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

function strike(db: Db, overrides: Partial<StrikeSettings> = {}): StrikeSettings {
  const settings: StrikeSettings = {
    ...defaultStrikeSettings(new Date("2027-01-01T00:00:00Z")),
    timeZone: "UTC",
    days: ["2027-07-04", "2027-07-05"],
    declarations: ["test-declaration"],
    templates: [
      { text: "First: sign {declaration_url} {hashtags}", mediaIds: [] },
      { text: "Second: {hours_left} hours left. {declaration_url} {hashtags}", mediaIds: [] },
    ],
    ...overrides,
  };
  writeStrikeSettingsValue(db, settings);
  return settings;
}

function notices(db: Db, declarationId: number) {
  return listPosts(db, declarationId, ["notice"]);
}

async function pngOf(color: string): Promise<Buffer> {
  return sharp({ create: { width: 8, height: 6, channels: 3, background: color } })
    .png()
    .toBuffer();
}

async function addImage(db: Db, alt: string, color = "#336699") {
  const data = await pngOf(color);
  const row = db
    .insert(media)
    .values({
      uuid: randomUUID(),
      mime: "image/png",
      width: 8,
      height: 6,
      bytes: data.length,
      sha256: randomUUID(),
      alt,
      created: new Date(),
    })
    .returning()
    .get();
  db.insert(mediaBlobs).values({ mediaId: row.id, data }).run();
  return row;
}

describe("slots", () => {
  it("posts the slot's notice once, in its first minutes; a pass 20 minutes in (after a restart) skips the slot", async () => {
    const t = await createTestApp();
    const d = addDeclaration(t.db);
    strike(t.db);
    expect(await createDueNotices(t.runtime.data, new Date(SLOT.getTime() + 5 * MIN), ORIGIN)).toBe(1);
    expect(await createDueNotices(t.runtime.data, new Date(SLOT.getTime() + 6 * MIN), ORIGIN)).toBe(0);
    // The next slot (11:00) is missed: the process comes back at 11:20.
    expect(await createDueNotices(t.runtime.data, new Date(SLOT.getTime() + 80 * MIN), ORIGIN)).toBe(0);
    // 12:00 is posted again.
    expect(await createDueNotices(t.runtime.data, new Date(SLOT.getTime() + 120 * MIN), ORIGIN)).toBe(1);
    const posts = notices(t.db, d.id);
    expect(posts.map((p) => p.key)).toEqual(["notice:2027-07-04T12:00:00.000Z", "notice:2027-07-04T10:00:00.000Z"]);
    expect(posts.map((p) => p.slot?.toISOString())).toEqual(["2027-07-04T12:00:00.000Z", "2027-07-04T10:00:00.000Z"]);
    // Slot 10 → template 0, slot 12 → template 0 (two templates): the rotation follows the slot number.
    expect(posts[1]!.content).toBe("First: sign https://undersign.test/d/test-declaration #SocialMediaStrike");
    expect(posts[0]!.content).toBe("First: sign https://undersign.test/d/test-declaration #SocialMediaStrike");
    expect(await createDueNotices(t.runtime.data, new Date(SLOT.getTime() + 180 * MIN), ORIGIN)).toBe(1);
    expect(notices(t.db, d.id)[0]!.content).toBe(
      "Second: 35 hours left. https://undersign.test/d/test-declaration #SocialMediaStrike",
    );
  });

  it("posts nothing before or after the window, while paused, for drafts, or for Declarations not chosen", async () => {
    const t = await createTestApp();
    const d = addDeclaration(t.db);
    const other = addDeclaration(t.db, { slug: "not-chosen" });
    strike(t.db);
    expect(await createDueNotices(t.runtime.data, new Date("2027-07-03T23:59:00Z"), ORIGIN)).toBe(0);
    expect(await createDueNotices(t.runtime.data, new Date("2027-07-06T00:00:00Z"), ORIGIN)).toBe(0);
    strike(t.db, { paused: true });
    expect(await createDueNotices(t.runtime.data, SLOT, ORIGIN)).toBe(0);
    expect(nextNoticeAt(t.db, SLOT)).toBeNull();
    strike(t.db);
    t.db.transaction((tx) => setDeclarationStatus(tx, d.id, "draft", null, new Date()));
    expect(await createDueNotices(t.runtime.data, SLOT, ORIGIN)).toBe(0);
    expect(notices(t.db, d.id)).toEqual([]);
    expect(notices(t.db, other.id)).toEqual([]);
  });

  it("two processes on one database file racing for a slot post it once", async () => {
    const path = join(tempDir("notices"), "undersign.sqlite");
    const first = await createTestApp({ db: createTestDb(path) });
    const second = await createTestApp({ db: createTestDb(path) });
    closers.push(async () => {
      first.db.$client.close();
      second.db.$client.close();
    });
    const d = addDeclaration(first.db);
    strike(first.db);
    const at = new Date(SLOT.getTime() + MIN);
    const results = await Promise.all([
      createDueNotices(first.runtime.data, at, ORIGIN),
      createDueNotices(second.runtime.data, at, ORIGIN),
      createDueNotices(first.runtime.data, at, ORIGIN),
      createDueNotices(second.runtime.data, at, ORIGIN),
    ]);
    expect(results.reduce((a, b) => a + b, 0)).toBe(1);
    expect(notices(first.db, d.id)).toHaveLength(1);
    expect(
      first.db.$client
        .prepare(
          "SELECT count(*) AS n FROM fed_activities a JOIN fed_posts p ON p.id = a.post_id WHERE p.kind = 'notice'",
        )
        .get(),
    ).toEqual({ n: 1 });
  });

  it("the publisher's pass posts the due notice and wakes up when the next slot starts", async () => {
    const t = await createTestApp();
    const d = addDeclaration(t.db);
    strike(t.db, { cadenceMinutes: 15 });
    // A clock that reads one second before 10:15, then moves on.
    let clock = SLOT.getTime() + 15 * MIN - 1000;
    const publisher = startPublisher(t.federation, t.runtime.data, {
      origin: ORIGIN,
      intervalMs: 60_000,
      now: () => new Date(clock),
    });
    closers.push(async () => publisher.stop());
    await publisher.runOnce();
    // 10:00 + 14:59 is past the 7.5-minute grace of the 10:00 slot: nothing.
    expect(notices(t.db, d.id)).toEqual([]);
    clock += 1000;
    // The slot timer fires about a second later (real time) and posts 10:15.
    await expect
      .poll(() => notices(t.db, d.id).map((p) => p.key), { timeout: 3000 })
      .toEqual(["notice:2027-07-04T10:15:00.000Z"]);
  });
});

describe("post now", () => {
  it("posts outside the window with its own key and no slot, rotating the templates", async () => {
    const t = await createTestApp();
    const d = addDeclaration(t.db);
    strike(t.db);
    const now = new Date("2027-03-01T12:00:00Z");
    const [a] = await postNoticesNow(t.runtime.data, ORIGIN, ["test-declaration", "test-declaration"], now);
    const [b] = await postNoticesNow(t.runtime.data, ORIGIN, ["test-declaration", "missing"], now);
    expect(a!.key).toMatch(/^notice:now:[0-9a-f-]{36}$/);
    expect(a!.slot).toBeNull();
    expect(a!.content).toMatch(/^First: /);
    expect(b!.content).toMatch(/^Second: 48 hours left\./);
    expect(notices(t.db, d.id)).toHaveLength(2);
  });
});

describe("what followers receive", () => {
  it("a Create(Note) with the text, Hashtag tags, linked hashtags, the Declaration's link and images with alt text", async () => {
    const site = await startInstance();
    closers.push(() => site.close());
    const remote = await startFediverseServer({ users: ["striker"] });
    closers.push(() => remote.close());
    addDeclaration(site.db, { slug: "independence", title: "Declaration of Digital Independence" });
    await site.publish();
    await remote.follow("striker", `${site.origin}/d/independence`);
    await remote.waitFor((a) => a.type === "Accept");
    const image = await addImage(site.db, "A raised fist made of speech bubbles", "#cc3300");
    const second = await addImage(site.db, "A calendar with July 4 and 5 circled", "#00aa55");
    strike(site.db, {
      hashtags: ["SocialMediaStrike", "FediStrike"],
      declarations: ["independence"],
      templates: [
        {
          text: "I am on strike today. Sign {declaration_title} with me: {declaration_url}\n\n{hashtags}",
          mediaIds: [image.id, second.id],
        },
      ],
    });
    const [post] = await postNoticesNow(site.runtime.data, new URL(site.origin), ["independence"], new Date());
    await site.publish();
    const received = await remote.waitFor(
      (a) => a.type === "Create" && (a.object as { id?: string }).id?.endsWith(post!.uuid) === true,
    );
    const note = received.object as Record<string, any>;
    expect(note.type).toBe("Note");
    expect(note.to).toBe("https://www.w3.org/ns/activitystreams#Public");
    const page = `${site.origin}/d/independence`;
    expect(note.content).toContain(`Sign Declaration of Digital Independence with me: <a href="${page}">${page}</a>`);
    expect(note.content).toContain(
      `<a href="${site.origin}/tags/socialmediastrike" class="mention hashtag" rel="tag">#<span>SocialMediaStrike</span></a>`,
    );
    expect(note.content).toContain(
      `<a href="${site.origin}/tags/fedistrike" class="mention hashtag" rel="tag">#<span>FediStrike</span></a>`,
    );
    expect(note.content).toContain("</p><p>");
    const tags = (Array.isArray(note.tag) ? note.tag : [note.tag]) as Record<string, string>[];
    expect(tags.map((tag) => [tag.type, tag.name, tag.href])).toEqual([
      ["Hashtag", "#SocialMediaStrike", `${site.origin}/tags/socialmediastrike`],
      ["Hashtag", "#FediStrike", `${site.origin}/tags/fedistrike`],
    ]);
    const attachments = note.attachment as Record<string, unknown>[];
    expect(attachments).toEqual([
      {
        type: "Document",
        mediaType: "image/png",
        url: `${site.origin}/media/${image.uuid}.png`,
        name: "A raised fist made of speech bubbles",
        width: 8,
        height: 6,
      },
      {
        type: "Document",
        mediaType: "image/png",
        url: `${site.origin}/media/${second.uuid}.png`,
        name: "A calendar with July 4 and 5 circled",
        width: 8,
        height: 6,
      },
    ]);
    // The Note's id answers with the same object.
    const fetched = (await (
      await fetch(note.id as string, { headers: { accept: "application/activity+json" } })
    ).json()) as Record<string, any>;
    expect(fetched.attachment).toHaveLength(2);
    expect(fetched.content).toBe(note.content);
  }, 30_000);
});
