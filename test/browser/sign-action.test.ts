/**
 * Signing comes first: the Sign action at the top of a Declaration's page,
 * in Chromium at 390 and 1280 px.  It is in the first screen, leads to the
 * form, names the count and the latest signers, and on a phone stays at the
 * top while the text is read.  Screenshots: test-results/sign-action-*.png.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { addDeclaration } from "../helpers/app.ts";
import { haveChromium, RESULTS, useBrowser, watchPage } from "../helpers/browser.ts";
import { addSignature } from "../helpers/forms.ts";

const SLUG = "test-declaration";
/** A long text, like the shipped Declaration, so the form is far down. */
const BODY = readFileSync(
  join(import.meta.dirname, "..", "..", "declarations", "digital-independence.md"),
  "utf8",
).replace(/^---[\s\S]*?---\n/, "");

describe.skipIf(!haveChromium)("the Sign action at the top of a Declaration", () => {
  const suite = useBrowser();

  for (const width of [390, 1280]) {
    it(`is in the first screen at ${width} px, names the count and latest signers, and leads to the form`, async () => {
      const t = await suite.site({ env: { PROOF_OF_WORK: "on", PROOF_OF_WORK_DIFFICULTY: "20000" } });
      const d = addDeclaration(t.db, { body: BODY });
      for (const name of ["Ada Lovelace", "Grace Hopper", "Katherine Johnson", "Margaret Hamilton"])
        addSignature(t.db, d, { name });
      const context = await suite.browser.newContext({ viewport: { width, height: width < 600 ? 844 : 900 } });
      try {
        const page = await context.newPage();
        const watch = await watchPage(context, page, t.origin);
        await page.goto(`${t.origin}/d/${SLUG}`);
        const action = page.locator(".sign-action");
        const box = (await action.boundingBox())!;
        expect(box.y + box.height).toBeLessThan(width < 600 ? 844 : 900);
        const text = (await action.textContent()) ?? "";
        expect(text).toContain("Sign this Declaration");
        expect(text).toContain("4 signatures");
        expect(text).toContain("latest: Margaret Hamilton, Katherine Johnson and Grace Hopper");
        expect(text).not.toContain("Ada Lovelace");
        await page.screenshot({ path: join(RESULTS, `sign-action-top-${width}.png`) });

        // Far into the text, on a phone, it is still at the top of the screen.
        await page.evaluate(() => window.scrollTo(0, 2500));
        const scrolled = (await action.boundingBox())!;
        if (width < 600) {
          expect(scrolled.y).toBeGreaterThanOrEqual(-1);
          expect(scrolled.y).toBeLessThan(5);
          await page.screenshot({ path: join(RESULTS, "sign-action-sticky-390.png") });
        }

        await page.locator(".sign-action-button").click();
        await expect.poll(() => page.evaluate(() => location.hash)).toBe("#sign-form");
        // (The page may scroll smoothly.)
        await expect
          .poll(async () => {
            const y = (await page.locator("#sign-name").boundingBox())!.y;
            return y > 0 && y < (width < 600 ? 844 : 900);
          })
          .toBe(true);
        await page.screenshot({ path: join(RESULTS, `sign-action-form-${width}.png`) });
        expect(await watch.cspViolations()).toEqual([]);
        expect(watch.pageErrors).toEqual([]);
      } finally {
        await context.close();
      }
    }, 60_000);
  }
});
