/**
 * The web side of what other servers and people see of our posts: images
 * that federated documents point at are served for other sites to show
 * (`Cross-Origin-Resource-Policy: cross-origin`), tag pages list the strike
 * notices that link to them, a fediverse signer's current name is the same on
 * the page, in the JSON API and in the CSV, and counts of one read "1 …".
 */
import { describe, expect, it } from "vitest";
import { upsertRemoteActor } from "../../src/db/fediverse.ts";
import { getPost } from "../../src/db/posts.ts";
import { writeStrikeSettingsValue } from "../../src/db/strike.ts";
import { postNoticesNow } from "../../src/federation/notices.ts";
import { defaultStrikeSettings } from "../../src/strike/settings.ts";
import { addDeclaration, createTestApp, TEST_ORIGIN } from "../helpers/app.ts";
import { fediverseSignature, remoteActor } from "../helpers/fediverse-rows.ts";

const AP = { headers: { accept: "application/activity+json" } };

/** Every image address (icons, headers, attachments, `<img src>`) in a JSON document. */
function imageUrls(value: unknown, key: string | null, out: Set<string>): void {
  if (typeof value === "string") {
    if (key === "url" && /\.(png|jpe?g|gif|webp|svg)(\?|$)/.test(value)) out.add(value);
    for (const m of value.matchAll(/<img [^>]*src="([^"]+)"/g)) out.add(m[1]!);
  } else if (Array.isArray(value)) {
    for (const v of value) imageUrls(v, key, out);
  } else if (value != null && typeof value === "object")
    for (const [k, v] of Object.entries(value)) imageUrls(v, k, out);
}

describe("images other servers show", () => {
  it("are served cross-origin wherever a federated document points at them; scripts and styles stay same-origin", async () => {
    const t = await createTestApp();
    const d = addDeclaration(t.db, {
      slug: "rights",
      body: "## Text\n\n![The strike poster](/static/header.png) We declare.\n",
    });
    await t.publisher.runOnce();
    const documents = [
      await (await t.app.request("/d/rights", AP)).json(),
      await (await t.app.request(`/ap/articles/${getPost(t.db, d.id, "article")!.uuid}`, AP)).json(),
    ];
    const images = new Set<string>();
    for (const json of documents) imageUrls(json, null, images);
    expect([...images].sort()).toEqual([`${TEST_ORIGIN}/static/avatar.png`, `${TEST_ORIGIN}/static/header.png`]);
    for (const url of images) {
      const response = await t.app.request(new URL(url).pathname);
      expect(response.status, url).toBe(200);
      expect(response.headers.get("cross-origin-resource-policy"), url).toBe("cross-origin");
    }
    for (const path of ["/static/style.css", "/static/live-count.js"]) {
      expect((await t.app.request(path)).headers.get("cross-origin-resource-policy"), path).toBe("same-origin");
    }
    // The icon too (a page's favicon, and what feeds show).
    expect((await t.app.request("/static/icon.svg")).headers.get("cross-origin-resource-policy")).toBe("cross-origin");
  });
});

describe("tag pages", () => {
  it("list the strike notices that carry the hashtag, and name the strike", async () => {
    const t = await createTestApp();
    const now = new Date();
    addDeclaration(t.db, { slug: "rights", title: "Digital Rights", hashtags: ["DigitalRights"] });
    writeStrikeSettingsValue(t.db, {
      ...defaultStrikeSettings(now),
      name: "Fedi Strike",
      hashtags: ["FediStrike"],
      declarations: ["rights"],
    });
    await postNoticesNow(t.runtime.data, new URL(TEST_ORIGIN), ["rights"], now);
    // A notice links its hashtags to our tag pages, lower-cased.
    expect(await (await t.app.request("/d/rights/feed.atom")).text()).toContain("#FediStrike");
    const html = await (await t.app.request("/tags/fedistrike")).text();
    expect(html).toContain("#FediStrike");
    expect(html).toContain('href="/strike"');
    expect(html).toContain("Fedi Strike");
    expect(html).toContain("Strike notices");
    expect(html).toContain("Today I am on strike from big social media.");
    expect(html).toContain('<a href="/d/rights">Digital Rights</a>');
    expect(html).not.toContain("Nothing on this site has the hashtag");
    // Any case.
    expect(await (await t.app.request("/tags/FEDISTRIKE")).text()).toContain(
      "Today I am on strike from big social media.",
    );
    // The Declaration's own hashtag still lists the Declaration.
    const own = await (await t.app.request("/tags/digitalrights")).text();
    expect(own).toContain("One Declaration has this hashtag.");
    // A tag nothing carries says so.
    expect(await (await t.app.request("/tags/nothinghere")).text()).toContain(
      "Nothing on this site has the hashtag #nothinghere yet.",
    );
  });
});

describe("a fediverse signer's name", () => {
  it("is their current display name on the page, in the JSON API and in the CSV", async () => {
    const t = await createTestApp();
    const d = addDeclaration(t.db);
    const actor = remoteActor(t.db, "carol", { name: "Carol Oldname" });
    fediverseSignature(t.db, d, actor);
    // Their profile changed (an Update of their actor, or a fetch).
    t.db.transaction((tx) =>
      upsertRemoteActor(
        tx,
        {
          uri: actor.uri,
          handle: actor.handle,
          name: "Carol Newname",
          url: "https://social.example/@carol-new",
          iconUrl: null,
          inbox: actor.inbox,
          sharedInbox: actor.sharedInbox,
        },
        new Date(),
      ),
    );
    const page = await (await t.app.request("/d/test-declaration/signatures")).text();
    const api = (await (await t.app.request("/api/declarations/test-declaration/signatures")).json()) as {
      signatures: { name: string; website: string; profileUrl: string }[];
    };
    const csv = await (await t.app.request("/d/test-declaration/signatures.csv")).text();
    expect(page).toContain("Carol Newname");
    expect(api.signatures[0]).toMatchObject({
      name: "Carol Newname",
      website: "https://social.example/@carol-new",
      profileUrl: "https://social.example/@carol-new",
    });
    expect(csv).toContain("Carol Newname,,https://social.example/@carol-new,");
    for (const body of [page, JSON.stringify(api), csv]) expect(body).not.toContain("Carol Oldname");
  });

  it("falls back to the name kept at signing, then the handle, when the account has no display name", async () => {
    const t = await createTestApp();
    const d = addDeclaration(t.db);
    fediverseSignature(t.db, d, remoteActor(t.db, "dave", { name: null }));
    const api = (await (await t.app.request("/api/declarations/test-declaration/signatures")).json()) as {
      signatures: { name: string }[];
    };
    expect(api.signatures[0]!.name).toBe("dave@social.example");
  });
});

describe("counts of one", () => {
  it("read “1 signature” in the charts of a Declaration", async () => {
    const t = await createTestApp();
    const d = addDeclaration(t.db);
    fediverseSignature(t.db, d, remoteActor(t.db, "erin"));
    const html = await (await t.app.request("/d/test-declaration/stats")).text();
    expect(html).toContain("1 signature in the last 30 days");
    expect(html).not.toMatch(/\b1 signatures\b/);
    expect(html).not.toMatch(/\b1 (followers|boosts|favourites|copies|notices|pledges)\b/);
  });
});
