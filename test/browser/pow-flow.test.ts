/**
 * The anti-spam check as visitors meet it, in headless Chromium on a real
 * Declaration page: Enter pressed right after typing (the form waits for the
 * check and sends itself), a tab left open past the challenge's lifetime (the
 * check renews itself), and a browser without JavaScript (told before the form
 * what works instead, and signing by mail works).  Both clocks, the browser's
 * and the server's, are moved forward rather than waited for.
 * Screenshots: test-results/pow-flow-*.png.
 */
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { addDeclaration } from "../helpers/app.ts";
import { haveChromium, RESULTS, useBrowser, watchPage } from "../helpers/browser.ts";
import { startSmtpServer, type TestSmtpServer } from "../helpers/smtp.ts";

const SLUG = "test-declaration";
const POW = { PROOF_OF_WORK: "on", PROOF_OF_WORK_DIFFICULTY: "20000" };

afterEach(() => {
  vi.useRealTimers();
});

function widgetState(page: Page) {
  return page.evaluate(() =>
    (document.querySelector("altcha-widget") as unknown as { getState?: () => string } | null)?.getState?.(),
  );
}

/** A page, its watch, and the challenge URLs it fetches. */
async function watched(context: BrowserContext, origin: string) {
  const page = await context.newPage();
  const watch = await watchPage(context, page, origin);
  const challenges: string[] = [];
  page.on("request", (r) => {
    if (r.url().includes("/api/pow/challenge")) challenges.push(r.url());
  });
  return { page, watch, challenges };
}

describe.skipIf(!haveChromium)("the anti-spam check in a browser", () => {
  const suite = useBrowser();
  let smtp: TestSmtpServer;

  beforeAll(async () => {
    smtp = await startSmtpServer();
  });
  afterAll(async () => {
    await smtp.close();
  });

  async function site(env: Record<string, string>) {
    const t = await suite.site({ env });
    addDeclaration(t.db);
    return t;
  }

  it("waits for the check when Enter is pressed right after typing, shows progress, then sends the form by itself", async () => {
    const t = await site(POW);
    const context = await suite.browser.newContext({ viewport: { width: 390, height: 844 } });
    try {
      const { page, watch, challenges } = await watched(context, t.origin);
      await page.goto(`${t.origin}/d/${SLUG}`);
      await expect.poll(() => page.evaluate(() => customElements.get("altcha-widget") != null)).toBe(true);
      // Typing starts the check; Enter comes before it can be done (the widget takes at least 0.5 s).
      await page.locator("#sign-name").fill("Quick Typist");
      await page.locator("#sign-name").press("Enter");
      await expect
        .poll(() => page.locator("[data-pow-status]").textContent())
        .toMatch(/Finishing the anti-spam check|Anti-spam check done/);
      await page.screenshot({ path: join(RESULTS, "pow-flow-waiting-390.png") });
      await page.waitForURL(/\/s\/[A-Za-z0-9_-]{43}\?signed=1$/, { timeout: 30_000 });
      expect(await page.locator("dl.stored").textContent()).toContain("Quick Typist");
      expect(challenges).toHaveLength(1);
      expect(await watch.cspViolations()).toEqual([]);
      expect(watch.pageErrors).toEqual([]);
      expect(watch.foreign).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);

  it("renews a check that expired while the tab was open, and the signature goes through", async () => {
    const t = await site(POW);
    const context = await suite.browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const { page, watch, challenges } = await watched(context, t.origin);
      await page.goto(`${t.origin}/d/${SLUG}`);
      await page.locator("#sign-name").fill("Slow Reader");
      await expect.poll(() => widgetState(page), { timeout: 30_000 }).toBe("verified");
      const first = await page.locator('input[name="altcha"]').inputValue();

      // 21 minutes pass for the server and the page, but the widget's timer never ran (a sleeping laptop).
      vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 21 * 60_000 });
      await page.evaluate(() => {
        const realNow = Date.now.bind(Date);
        Date.now = () => realNow() + 21 * 60_000;
      });
      await page.getByRole("button", { name: "Sign this Declaration" }).click();
      await page.waitForURL(/\/s\/[A-Za-z0-9_-]{43}\?signed=1$/, { timeout: 30_000 });
      expect(await page.locator("dl.stored").textContent()).toContain("Slow Reader");
      expect(challenges).toHaveLength(2);

      // The widget's own expiry (its timer did run): the check starts again at once.
      await page.goto(`${t.origin}/d/${SLUG}`);
      await page.evaluate(() => {
        const realNow = Date.now.bind(Date);
        Date.now = () => realNow() + 21 * 60_000;
      });
      await page.locator("#sign-name").fill("Another Reader");
      await expect.poll(() => widgetState(page), { timeout: 30_000 }).toBe("verified");
      await page.evaluate(() =>
        (document.querySelector("altcha-widget") as unknown as { setState: (s: string) => void }).setState("expired"),
      );
      await expect.poll(() => challenges.length, { timeout: 30_000 }).toBe(4);
      await page.getByRole("button", { name: "Sign this Declaration" }).click();
      await page.waitForURL(/\/s\/[A-Za-z0-9_-]{43}\?signed=1$/, { timeout: 30_000 });
      expect(await page.locator("dl.stored").textContent()).toContain("Another Reader");
      expect(first).not.toBe("");
      expect(watch.pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  it("without JavaScript: says before the form what works instead, from this site's settings, and signing by mail works", async () => {
    const t = await site({ ...POW, SMTP_URL: smtp.url });
    const context = await suite.browser.newContext({ viewport: { width: 390, height: 844 }, javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      await page.goto(`${t.origin}/d/${SLUG}`);
      const notice = page.locator(".sign-form .noscript-notice");
      await expect.poll(() => notice.isVisible()).toBe(true);
      const text = (await notice.textContent()) ?? "";
      expect(text).toContain("JavaScript is off in your browser.");
      expect(text).toContain("give your email address below");
      expect(text).toContain("sign from your fediverse account");
      // It comes before the first field.
      const noticeBox = (await notice.boundingBox())!;
      const nameBox = (await page.locator("#sign-name").boundingBox())!;
      expect(noticeBox.y).toBeLessThan(nameBox.y);
      await notice.screenshot({ path: join(RESULTS, "pow-flow-noscript-390.png") });
      await page.locator("#sign-name").scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(RESULTS, "pow-flow-noscript-form-390.png") });

      // Without an address: the email field says why it is needed now, and what was typed stays.
      await page.locator("#sign-name").fill("No Script");
      await page.getByRole("button", { name: "Sign this Declaration" }).click();
      await page.waitForLoadState();
      expect(await page.locator("#email-error").textContent()).toContain("Give your email address instead");
      expect(await page.locator("#sign-name").inputValue()).toBe("No Script");

      const before = smtp.messages.length;
      await page.locator("#sign-email").fill("noscript@example.org");
      await page.getByRole("button", { name: "Sign this Declaration" }).click();
      await page.waitForURL(/\/s\/[A-Za-z0-9_-]{43}\?signed=1$/);
      expect(await page.getByRole("status").first().textContent()).toContain("Check your mail");
      await expect.poll(() => smtp.messages.length, { timeout: 20_000 }).toBe(before + 1);
      const mail = smtp.messages[before]!;
      expect(mail.to).toContain("noscript@example.org");
      const confirm = /https?:\/\/\S+\/s\/confirm\/[A-Za-z0-9_-]{43}/.exec(mail.text)?.[0];
      expect(confirm).toBeDefined();
      const row = t.db.$client.prepare("SELECT status FROM signatures WHERE name = 'No Script'").get();
      expect(row).toEqual({ status: "pending" });

      // Following the mailed link and pressing the button counts it, still without JavaScript.
      await page.goto(confirm!);
      await page.getByRole("button", { name: "Confirm my signature" }).click();
      await page.waitForLoadState();
      expect(t.db.$client.prepare("SELECT status FROM signatures WHERE name = 'No Script'").get()).toEqual({
        status: "confirmed",
      });
    } finally {
      await context.close();
    }
  }, 90_000);
});
