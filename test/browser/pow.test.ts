/**
 * Browser test of the anti-spam proof of work: the real ALTCHA widget, served
 * from our own /static/, solves a challenge from our own /api/pow/challenge in
 * Debian's headless Chromium under the site's Content-Security-Policy, and the
 * payload it puts in the form verifies on the server, once.
 * The screenshot goes to test-results/pow.png for a person to look at.
 */
import { join } from "node:path";
import { jsx } from "hono/jsx";
import { beforeAll, describe, expect, it } from "vitest";
import { createProofOfWork, POW_FIELD, REASONS, type ProofOfWorkResult } from "../../src/services/proof-of-work.ts";
import { Layout } from "../../src/web/layout/Layout.tsx";
import { ProofOfWorkField } from "../../src/web/signing/ProofOfWorkField.tsx";
import { createTestApp } from "../helpers/app.ts";
import { createTestDb } from "../helpers/db.ts";

const BINDING = { action: "sign", target: "test-declaration" } as const;
import { haveChromium, RESULTS, useBrowser, watchPage } from "../helpers/browser.ts";
import { startServer } from "../helpers/server.ts";

describe.skipIf(!haveChromium)("anti-spam proof of work in a browser", () => {
  const suite = useBrowser();
  let server: { url: string; close: () => Promise<void> } | undefined;
  const verifications: ProofOfWorkResult[] = [];

  beforeAll(async () => {
    const db = createTestDb();
    const pow = createProofOfWork({
      db,
      enabled: true,
      secret: "browser-test-secret",
      maxNumber: 20_000,
      expiresInSeconds: 300,
    });
    const { app, config } = await createTestApp({ db, pow });
    // Test-only routes on the real app (so the real CSP and /static apply).
    app.get("/pow-test", (c) =>
      c.html(
        // The file is .ts, so no JSX syntax: jsx() and the node's string.
        jsx(Layout, {
          title: "Anti-spam check",
          siteName: config.instanceName,
          children: jsx(
            "form",
            { method: "post", action: "/pow-test", class: "sign-form" },
            jsx(
              "p",
              {},
              jsx("label", { for: "name" }, "Your name"),
              " ",
              jsx("input", { id: "name", name: "name", type: "text" }),
            ),
            jsx(ProofOfWorkField, { enabled: true, binding: BINDING }),
            jsx("p", {}, jsx("button", { type: "submit" }, "Sign")),
          ),
        }).toString(),
      ),
    );
    app.post("/pow-test", async (c) => {
      const body = await c.req.parseBody();
      const value = body[POW_FIELD];
      const result = await pow.verify(typeof value === "string" ? value : undefined, BINDING);
      // The route uses the solution up, as a signing does in its transaction.
      const claimed = result.ok && pow.claim(result.proof);
      verifications.push(result);
      return c.json({ ok: result.ok, claimed, ...(result.ok ? {} : { reason: result.reason }), name: body.name });
    });
    server = await startServer(app);
    suite.later(server.close);
  });

  it("solves the challenge within our CSP, from our origin only, and the server accepts it once", async () => {
    const origin = new URL(server!.url).origin;
    const context = await suite.browser.newContext({ viewport: { width: 900, height: 700 } });
    try {
      const page = await context.newPage();
      const { requests, foreign, consoleMessages, pageErrors, cspViolations } = await watchPage(context, page, origin);

      const response = await page.goto(`${origin}/pow-test`, { waitUntil: "load" });
      expect(response?.status()).toBe(200);
      const csp = response?.headers()["content-security-policy"] ?? "";
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).not.toContain("blob:");

      // The widget is upgraded, but waits for the visitor to touch the form.
      await expect.poll(() => page.evaluate(() => customElements.get("altcha-widget") != null)).toBe(true);
      await page.waitForTimeout(300);
      expect(requests.some((url) => url.includes("/api/pow/challenge"))).toBe(false);

      await page.getByLabel("Your name").fill("Ada");
      const state = () =>
        page.evaluate(() =>
          (document.querySelector("altcha-widget") as unknown as { getState?: () => string }).getState?.(),
        );
      await expect.poll(state, { timeout: 30_000 }).toBe("verified");
      const payload = await page.evaluate(
        (name) => (document.querySelector(`input[name="${name}"]`) as HTMLInputElement | null)?.value,
        POW_FIELD,
      );
      expect(payload).toMatch(/^[A-Za-z0-9+/]+=*$/);

      // The widget's own stylesheet applied (its checkbox is laid out, not raw).
      const widgetBox = await page.locator("altcha-widget").boundingBox();
      expect(widgetBox?.height).toBeGreaterThan(20);
      await page.locator("form").screenshot({ path: join(RESULTS, "pow.png") });
      await page.screenshot({ path: join(RESULTS, "pow-page.png"), fullPage: true });
      // Read before submitting: the form's response is a new document.
      expect(await cspViolations()).toEqual([]);

      const [post] = await Promise.all([
        page.waitForResponse((r) => r.url() === `${origin}/pow-test` && r.request().method() === "POST"),
        page.getByRole("button", { name: "Sign" }).click(),
      ]);
      expect(post.status()).toBe(200);
      expect(await post.json()).toEqual({ ok: true, claimed: true, name: "Ada" });

      // The same payload a second time is refused.
      const pow = verifications.length;
      expect(verifications).toMatchObject([{ ok: true }]);
      const replay = await page.request.post(`${origin}/pow-test`, { form: { name: "Ada", [POW_FIELD]: payload! } });
      expect(await replay.json()).toMatchObject({
        ok: false,
        reason: REASONS.replayed,
      });
      expect(verifications).toHaveLength(pow + 1);

      // No CSP violation, no error, nothing from elsewhere.
      expect(consoleMessages.filter((m) => /Content.Security.Policy|violates/i.test(m))).toEqual([]);
      expect(consoleMessages).toEqual([]);
      expect(pageErrors).toEqual([]);
      expect(foreign).toEqual([]);
      for (const url of requests) expect(new URL(url).origin, url).toBe(origin);
      const paths = requests.map((url) => new URL(url).pathname);
      expect(paths).toContain("/static/altcha-widget.js");
      expect(paths).toContain("/static/altcha.js");
      expect(paths).toContain("/static/altcha.css");
      expect(paths).toContain("/static/altcha-worker-sha.js");
      expect(paths).toContain("/api/pow/challenge");
      // The challenge was bound to what it pays for.
      expect(requests.find((url) => url.includes("/api/pow/challenge"))).toContain(
        "?action=sign&target=test-declaration",
      );
    } finally {
      await context.close();
    }
  }, 60_000);
});
