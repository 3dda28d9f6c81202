import { describe, expect, it } from "vitest";
import { upsertRemoteActor, addBoost, addFollower } from "../../src/db/fediverse.ts";
import { addReaction } from "../../src/db/reactions.ts";
import { createPost } from "../../src/db/posts.ts";
import { writeStrikeSettingsValue } from "../../src/db/strike.ts";
import { series } from "../../src/db/stats.ts";
import { defaultStrikeSettings } from "../../src/strike/settings.ts";
import { chooseRange } from "../../src/web/stats/stats.tsx";
import { addDeclaration, createTestApp } from "../helpers/app.ts";

const DAY = 86_400_000;

function seed(t: Awaited<ReturnType<typeof createTestApp>>, at: Date) {
  const d = addDeclaration(t.db);
  t.db.transaction((tx) => {
    for (let i = 0; i < 3; i++) {
      const actor = upsertRemoteActor(
        tx,
        {
          uri: `https://m.example/u/${i}`,
          handle: `u${i}@m.example`,
          name: `U${i}`,
          url: `https://m.example/@u${i}`,
          iconUrl: null,
          inbox: `https://m.example/u/${i}/inbox`,
          sharedInbox: null,
        },
        at,
      );
      addReaction(tx, {
        declarationId: d.id,
        actorId: actor.id,
        activityUri: `https://m.example/u/${i}#likes/1`,
        objectUri: "https://x/ap/notes/1",
        kind: "like",
        content: null,
        revision: 1,
        name: `U${i}`,
        website: "https://m.example",
        now: at,
      });
      addFollower(tx, d.id, actor.id, null, at);
    }
    addBoost(tx, {
      declarationId: d.id,
      actorId: 1,
      activityUri: "https://m.example/u/0/statuses/1/activity",
      objectUri: "https://x/ap/notes/1",
      now: at,
    });
    createPost(tx, { declarationId: d.id, kind: "notice", key: "notice:now:1", revision: 1, now: at });
    tx.run(
      `INSERT INTO pledges (edition, days, name, public, created) VALUES ('2027', '["2027-07-04"]', NULL, 0, ${at.getTime()})` as never,
    );
  });
  return d;
}

describe("the movement in numbers", () => {
  it("counts per day over the last 30 days outside the strike", async () => {
    const t = await createTestApp();
    const now = new Date();
    const d = seed(t, new Date(now.getTime() - 2 * DAY));
    const range = chooseRange(defaultStrikeSettings(new Date("2020-01-01")), now);
    expect(range.bucket).toBe("day");
    const s = series(t.db, "signatures", range, d.id);
    expect(s.counts).toHaveLength(30);
    expect(s.counts.reduce((a, b) => a + b, 0)).toBe(3);
    expect(s.counts[27], JSON.stringify(s.counts)).toBe(3);
    expect(s.total).toBe(3);
  });

  it("counts per hour over the strike window during the strike", () => {
    const settings = {
      ...defaultStrikeSettings(new Date("2027-01-01")),
      days: ["2027-07-04", "2027-07-05"],
      timeZone: "Europe/Berlin",
    };
    const during = chooseRange(settings, new Date("2027-07-04T10:00:00Z"));
    expect(during).toMatchObject({ bucket: "hour", kind: "strike" });
    expect(during.start.toISOString()).toBe("2027-07-03T22:00:00.000Z");
    expect(chooseRange(settings, new Date("2027-07-07T10:00:00Z")).kind).toBe("strike");
    expect(chooseRange(settings, new Date("2027-07-09T10:00:00Z")).kind).toBe("recent");
  });

  it("shows /stats as SVG charts with text summaries and tables, and the same as JSON", async () => {
    const t = await createTestApp();
    seed(t, new Date(Date.now() - DAY));
    const page = await t.app.request("/stats");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('role="img"');
    expect(html).toContain("<title");
    expect(html).toContain("3 signatures in the last 30 days; most on");
    expect(html).toContain("<table>");
    const json = await t.app.request("/api/stats");
    expect(json.status).toBe(200);
    expect(json.headers.get("access-control-allow-origin")).toBe("*");
    const body = (await json.json()) as {
      series: Record<string, { total: number; counts: number[] }>;
      buckets: string[];
    };
    expect(body.series.signatures!.total).toBe(3);
    expect(body.series.pledges!.total).toBe(1);
    expect(body.series.notices!.total).toBe(1);
    expect(body.series.boosts!.total).toBe(1);
    expect(body.series.favourites!.total).toBe(3);
    expect(body.series.followers!.total).toBe(3);
    expect(body.buckets).toHaveLength(30);
  });

  it("has per-Declaration numbers, and 404 for an unknown one", async () => {
    const t = await createTestApp();
    const d = seed(t, new Date(Date.now() - DAY));
    const json = (await (await t.app.request(`/api/declarations/${d.slug}/stats`)).json()) as {
      series: Record<string, unknown>;
      signatureCount: number;
    };
    expect(json.signatureCount).toBe(3);
    expect(Object.keys(json.series)).not.toContain("pledges");
    expect((await t.app.request("/api/declarations/nope/stats")).status).toBe(404);
    expect((await t.app.request(`/d/${d.slug}/stats`)).status).toBe(200);
    expect((await t.app.request("/d/nope/stats")).status).toBe(404);
  });

  it("draws the signatures chart on the Declaration page, linking to all its numbers", async () => {
    const t = await createTestApp();
    const d = seed(t, new Date(Date.now() - DAY));
    const html = await (await t.app.request(`/d/${d.slug}`)).text();
    expect(html).toContain('id="declaration-signatures"');
    expect(html).toContain("3 signatures in the last 30 days");
    expect(html).toContain(`href="/d/${d.slug}/stats"`);
  });

  it("uses hourly buckets on /api/stats when the saved strike is on", async () => {
    const t = await createTestApp();
    const today = new Date().toISOString().slice(0, 10);
    writeStrikeSettingsValue(t.db, { days: [today], timeZone: "UTC" });
    const body = (await (await t.app.request("/api/stats")).json()) as {
      range: { bucket: string; kind: string };
      buckets: string[];
    };
    expect(body.range).toMatchObject({ bucket: "hour", kind: "strike" });
    expect(body.buckets).toHaveLength(24);
  });
});
