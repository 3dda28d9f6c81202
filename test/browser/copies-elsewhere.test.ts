/**
 * Copying from another site in headless Chromium: an author on site B logs
 * in, pastes a Declaration's address from site A (after a refused empty
 * form), edits and publishes the copy; A publishes version 2; the author sees
 * the notice, resolves the conflict side by side and saves the merged text.
 * Then A's lineage lists the copy elsewhere, and a comparison across sites.
 * The browser talks to the one site it is on; the sites talk to each other.
 * Screenshots at 390 px and 1280 px: test-results/elsewhere-*.png.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount, hashPassword } from "../../src/db/accounts.ts";
import { appendRevision, getDeclarationBySlug } from "../../src/db/declarations.ts";
import { haveChromium, RESULTS, useBrowser, watchPage, type PageWatch } from "../helpers/browser.ts";
import { addDeclaration, startInstance, type TestInstance } from "../helpers/instance.ts";

const A1 =
  "## Privacy\n\nPrivate messages stay private, and nobody reads them but the people they are for.\n\n## Data\n\nEveryone owns their data.\n\n## Standards\n\nServices use open standards.\n";
const A2 =
  "## Privacy\n\nPrivate messages stay private, end to end, and nobody reads them but the people they are for.\n\n## Data\n\nEveryone owns their data, and can take it anywhere.\n\n## Standards\n\nServices use open standards.\n";

describe.skipIf(!haveChromium)("copying from another site in a browser", () => {
  const suite = useBrowser();
  let a: TestInstance;
  let b: TestInstance;

  beforeAll(async () => {
    [a, b] = await Promise.all([startInstance({ instanceName: "Site A" }), startInstance({ instanceName: "Site B" })]);
    addDeclaration(a.db, { slug: "rights", title: "Digital Rights", summary: "Our rights online.", body: A1 });
    await a.publish();
    const outcome = createAccount(b.db, {
      username: "bea",
      passwordHash: await hashPassword("correct horse battery"),
      role: "author",
    });
    if (outcome.kind !== "created") throw new Error(outcome.kind);
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled([a?.close(), b?.close()]);
  });

  async function shots(page: Page, name: string) {
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
      await page.screenshot({ path: join(RESULTS, `elsewhere-${name}-${width}.png`), fullPage: true });
    }
  }

  async function clean(watch: PageWatch) {
    expect(watch.foreign).toEqual([]);
    expect(watch.consoleMessages).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
    expect(await watch.cspViolations()).toEqual([]);
  }

  it("copies from A, takes in A's version 2 with a conflict resolved, and both sites show it", async () => {
    let context: BrowserContext = await suite.browser.newContext({ viewport: { width: 390, height: 844 } });
    try {
      const page = await context.newPage();
      // The empty form is answered 400 on purpose; Chromium logs that status.
      const watch = await watchPage(
        context,
        page,
        b.origin,
        (text, url) => text.includes("status of 400") && url.endsWith("/copy/elsewhere"),
      );
      await page.goto(`${b.origin}/login?next=${encodeURIComponent("/account")}`);
      await page.locator("#login-username").fill("bea");
      await page.locator("#login-password").fill("correct horse battery");
      await page.getByRole("button", { name: "Log in" }).click();
      await page.waitForURL(`${b.origin}/account`);

      await page.getByRole("link", { name: "Copy a Declaration from another site" }).click();
      await page.waitForURL(`${b.origin}/copy/elsewhere`);
      await shots(page, "form");
      await page.getByRole("button", { name: "Fetch it" }).click();
      await page.waitForLoadState();
      expect(await page.locator("#source-error").textContent()).toContain("Please enter the address or handle");
      await shots(page, "form-error");

      await page.locator("#copy-source").fill(`${a.origin}/d/rights`);
      await page.getByRole("button", { name: "Fetch it" }).click();
      await page.waitForLoadState();
      expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Make your own copy");
      await page.locator("#editor-title").fill("Digital Rights, our way");
      await page.locator("#editor-slug").fill("rights-b");
      const body = await page.locator("#editor-body").inputValue();
      expect(body).toBe(A1);
      await page
        .locator("#editor-body")
        .fill(body.replace("Everyone owns their data.", "Everyone owns and controls their data."));
      await page.getByRole("button", { name: "Preview" }).click();
      await page.waitForLoadState();
      await shots(page, "editor");
      await page.getByRole("button", { name: "Publish your copy" }).click();
      await page.waitForURL(`${b.origin}/d/rights-b`);
      expect(await page.locator(`a[href="${a.origin}/d/rights/v/1"]`).count()).toBeGreaterThan(0);
      await shots(page, "copy-page");

      await b.publish();
      await b.drain();
      const rights = getDeclarationBySlug(a.db, "rights")!;
      a.db.transaction((tx) =>
        appendRevision(tx, rights, {
          title: "Digital Rights",
          summary: "Our rights online.",
          body: A2,
          changeSummary: "Stronger",
          origin: "site",
        }),
      );
      await a.publish();
      await a.drain();

      await page.goto(`${b.origin}/d/rights-b/edit`);
      await page.getByRole("link", { name: "See its changes and take them into your copy" }).click();
      await page.waitForURL(`${b.origin}/d/rights-b/merge`);
      expect(await page.getByRole("heading", { level: 2, name: "1 conflict" }).count()).toBe(1);
      await page.getByLabel("Take the source’s").check();
      await shots(page, "merge");
      await page.getByRole("button", { name: "Prepare the merged text" }).click();
      await page.waitForLoadState();
      const merged = await page.locator("#editor-body").inputValue();
      expect(merged).toContain("end to end");
      expect(merged).toContain("can take it anywhere");
      // Taking the source's side everywhere makes the source's own text, which a published copy may not be:
      // the copy keeps a change of its own.
      await page
        .locator("#editor-body")
        .fill(merged.replace("Services use open standards.", "Services use open standards and protocols."));
      await shots(page, "merge-editor");
      await page.getByRole("button", { name: "Save a new version" }).click();
      await page.waitForURL(`${b.origin}/d/rights-b`);
      expect(getDeclarationBySlug(b.db, "rights-b")).toMatchObject({ revision: 2, sourceRevision: 2 });
      await b.publish();
      await b.drain();

      await page.goto(`${b.origin}/d/rights-b/copies`);
      await shots(page, "lineage-copy");
      await page.goto(
        `${b.origin}/compare/elsewhere?${new URLSearchParams({ a: `${a.origin}/d/rights/v/1`, b: `${b.origin}/d/rights-b/v/2` })}`,
      );
      expect(await page.locator(".diff-versions").textContent()).toContain(a.host);
      await shots(page, "compare");
      await page.goto(`${b.origin}/compare/elsewhere`);
      await page.locator("#compare-a").fill(`${a.origin}/d/rights/v/2`);
      await page.locator("#compare-b").fill(`${b.origin}/d/rights-b/v/1`);
      await shots(page, "compare-form");
      await page.getByRole("button", { name: "Compare" }).click();
      await page.waitForLoadState();
      expect(await page.locator(".diff-versions").textContent()).toContain("version 1");
      await clean(watch);
    } finally {
      await context.close();
    }

    context = await suite.browser.newContext({ viewport: { width: 390, height: 844 } });
    try {
      const page = await context.newPage();
      const watch = await watchPage(context, page, a.origin);
      a.db.$client.prepare("UPDATE declarations SET signature_count = 12 WHERE slug = 'rights'").run();
      await page.goto(`${a.origin}/d/rights/copies`);
      // biome-ignore lint/performance/useDomNodeTextContent: the text as a reader sees it, not the source text
      const text = await page.locator("main").innerText();
      expect(text).toContain("Copies elsewhere");
      expect(text).toContain("Digital Rights, our way");
      await shots(page, "lineage-origin");
      await clean(watch);
    } finally {
      await context.close();
    }
  });

  it("warns when the text had to be converted from HTML", async () => {
    // A server that publishes an Article without a Markdown source.
    const server = createServer((req, res) => {
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      res.writeHead(200, { "Content-Type": "application/activity+json" });
      if (req.url === "/actor")
        res.end(JSON.stringify({ id: `${origin}/actor`, type: "Person", inbox: `${origin}/inbox`, name: "A blogger" }));
      else
        res.end(
          JSON.stringify({
            id: `${origin}/post`,
            type: "Article",
            attributedTo: `${origin}/actor`,
            name: "A blog post",
            url: `${origin}/post`,
            content: "<h2>Why</h2><p>Because it is <em>ours</em>.</p><ul><li>one</li><li>two</li></ul>",
          }),
        );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    suite.later(() => new Promise((resolve) => server.close(() => resolve())));
    const context = await suite.browser.newContext({ viewport: { width: 390, height: 844 } });
    try {
      const page = await context.newPage();
      const watch = await watchPage(context, page, b.origin);
      await page.goto(`${b.origin}/login?next=${encodeURIComponent("/copy/elsewhere")}`);
      await page.locator("#login-username").fill("bea");
      await page.locator("#login-password").fill("correct horse battery");
      await page.getByRole("button", { name: "Log in" }).click();
      await page.waitForURL(`${b.origin}/copy/elsewhere`);
      await page.locator("#copy-source").fill(`http://127.0.0.1:${(server.address() as AddressInfo).port}/post`);
      await page.getByRole("button", { name: "Fetch it" }).click();
      await page.waitForLoadState();
      expect(await page.locator("#converted-warning").textContent()).toContain("converted from its web page’s HTML");
      expect(await page.locator("#editor-body").inputValue()).toBe("## Why\n\nBecause it is *ours*.\n\n- one\n- two\n");
      await shots(page, "converted");
      await clean(watch);
    } finally {
      await context.close();
    }
  });
});
