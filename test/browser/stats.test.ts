/**
 * /stats and a Declaration's numbers in headless Chromium: the charts draw,
 * their tables open, no console errors.  Screenshots at 390 px and 1280 px:
 * test-results/stats-*.png.
 */
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { upsertRemoteActor } from "../../src/db/fediverse.ts";
import { addReaction } from "../../src/db/reactions.ts";
import { addDeclaration } from "../helpers/app.ts";
import { type BrowserSite, haveChromium, RESULTS, useBrowser, watchPage } from "../helpers/browser.ts";

describe.skipIf(!haveChromium)("the movement in numbers", () => {
  const suite = useBrowser();
  let site: BrowserSite | undefined;

  beforeAll(async () => {
    site = await suite.site();
    const d = addDeclaration(site.db);
    const day = 86_400_000;
    site.db.transaction((tx) => {
      for (let i = 0; i < 40; i++) {
        const at = new Date(Date.now() - (i % 9) * day - i * 3_600_000);
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
      }
    });
  });

  it("draws the charts with their numbers", async () => {
    for (const width of [390, 1280]) {
      const context = await suite.browser.newContext({ viewport: { width, height: 900 } });
      const page = await context.newPage();
      const watch = await watchPage(context, page, site!.origin);
      await page.goto(`${site!.origin}/stats`);
      expect(await page.locator("figure.chart").count()).toBe(7);
      const bars = await page.locator("#site-signatures rect.chart-bar").count();
      expect(bars).toBe(30);
      await page.locator("#site-signatures details summary").click();
      expect(await page.locator("#site-signatures table tbody tr").count()).toBe(30);
      await page.screenshot({ path: join(RESULTS, `stats-${width}.png`), fullPage: true });
      await page.goto(`${site!.origin}/d/test-declaration/stats`);
      expect(await page.locator("figure.chart").count()).toBe(6);
      await page.screenshot({ path: join(RESULTS, `stats-declaration-${width}.png`), fullPage: true });
      await page.goto(`${site!.origin}/d/test-declaration`);
      expect(await page.locator("#declaration-signatures rect.chart-bar").count()).toBe(30);
      await page.locator("#numbers-heading").scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(RESULTS, `declaration-numbers-${width}.png`) });
      expect(await watch.cspViolations()).toEqual([]);
      expect(watch.pageErrors).toEqual([]);
      expect(watch.consoleMessages).toEqual([]);
      expect(watch.foreign).toEqual([]);
      await context.close();
    }
  });
});
