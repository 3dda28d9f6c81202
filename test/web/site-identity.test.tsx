/**
 * Who runs this site: the header (the same on every page, "Log in" on each),
 * the footer, `/about` (unwritten and written) and the owner's introduction on
 * `/` (sanitized, limited, empty by default with a hint for the owner only).
 */
import { describe, expect, it } from "vitest";
import { createAccount } from "../../src/db/accounts.ts";
import { SOFTWARE } from "../../src/version.ts";
import { getAs, loggedIn } from "../helpers/accounts.ts";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { pageText, postForm, statusNotices, tags, textareaText } from "../helpers/forms.ts";

async function setup() {
  const t = await createTestApp();
  addDeclaration(t.db);
  createAccount(t.db, { username: "boss", passwordHash: "unused", role: "admin" });
  const boss = await loggedIn(t, "boss");
  const author = await loggedIn(t, "ada");
  return { t, boss, author };
}

function headerOf(html: string): string {
  return /<header class="site-header">[\s\S]*?<\/header>/.exec(html)![0];
}

function footerOf(html: string): string {
  return /<footer class="site-footer">[\s\S]*?<\/footer>/.exec(html)![0];
}

describe("the header and the footer", () => {
  it("is the same on every anonymous page, with Declarations, Strike, About and Log in", async () => {
    const { t } = await setup();
    const headers = new Set<string>();
    for (const path of ["/", "/d/test-declaration", "/strike", "/about", "/compare", "/memes", "/login", "/privacy"]) {
      const res = await t.app.request(path);
      expect(res.status, path).toBe(200);
      const header = headerOf(await res.text());
      headers.add(header);
      expect(
        tags(header, "a").map((a) => a.href),
        path,
      ).toEqual(["/", "/", "/strike", "/about", "/login"]);
    }
    expect(headers.size).toBe(1);
  });

  it("shows a logged-in visitor's name instead of Log in on their pages", async () => {
    const { t, author } = await setup();
    const header = headerOf(await (await getAs(t, "/account", author)).text());
    expect(tags(header, "a").map((a) => a.href)).toEqual(["/", "/", "/strike", "/about", "/account"]);
    expect(pageText(header)).toContain("ada");
    expect(pageText(header)).not.toContain("Log in");
    // "Log in" on a shared page leads a logged-in visitor on to their account.
    const login = await getAs(t, "/login", author);
    expect(login.status).toBe(303);
    expect(login.headers.get("location")).toBe("/account");
  });

  it("says which site this is and what powers it, with About and Privacy", async () => {
    const { t } = await setup();
    const footer = footerOf(await (await t.app.request("/")).text());
    const text = pageText(footer);
    expect(text).toContain(`${t.config.instanceName} · powered by undersign ${SOFTWARE.version}`);
    expect(text).not.toContain("runs undersign");
    expect(tags(footer, "a").map((a) => a.href)).toEqual(
      expect.arrayContaining(["/about", "/privacy", "/faq", "/resources", "/compare", "/memes"]),
    );
  });
});

describe("/about", () => {
  it("until written: the site's address for visitors (shared-cacheable), a hint for the owner", async () => {
    const { t, boss, author } = await setup();
    const res = await t.app.request("/about");
    expect(res.status).toBe(200);
    expect(res.headers.get("set-cookie")).toBeNull();
    expect(res.headers.get("cache-control")).toContain("public");
    const html = await res.text();
    const text = pageText(html);
    expect(text).toContain(`About ${t.config.instanceName}`);
    expect(text).toContain(t.config.origin.host);
    expect(text).toContain("Its owner has not yet said here who runs it");
    expect(html).not.toContain("/admin/pages/about");
    expect(await (await t.app.request("/about")).text()).toBe(html);
    expect(await (await getAs(t, "/about", author)).text()).not.toContain("/admin/pages/about");
    const owner = await (await getAs(t, "/about", boss)).text();
    expect(tags(owner, "a").map((a) => a.href)).toContain("/admin/pages/about");
    expect(pageText(owner)).toContain("Only you see this");
  });

  it("once the owner writes it: their text, sanitized; a bad form is refused with the field named and the text kept", async () => {
    const { t, boss, author } = await setup();
    const admin = await (await getAs(t, "/admin", boss)).text();
    expect(tags(admin, "a").map((a) => a.href)).toEqual(
      expect.arrayContaining(["/admin/introduction", "/admin/pages/about"]),
    );
    const body = "Run by **Ada Lovelace**, ada@example.org.\n\n<script>alert(1)</script>\n\nImprint: 1 Example St.";
    const empty = await postForm(t.app, "/admin/pages/about", { title: "", body, action: "save" }, { csrf: boss });
    expect(empty.status).toBe(400);
    const refused = await empty.text();
    expect(pageText(refused)).toMatch(/Title\s*: Please give the page a title\./);
    expect(textareaText(refused, "body")).toBe(body);
    const huge = await postForm(
      t.app,
      "/admin/pages/about",
      { title: "About", body: "x".repeat(201 * 1024), action: "save" },
      { csrf: boss },
    );
    expect(huge.status).toBe(400);
    expect(pageText(await huge.text())).toMatch(/Text \(Markdown\)\s*: The text is 201 KB; the limit is 200 KB\./);
    expect(
      (await postForm(t.app, "/admin/pages/about", { title: "About", body, action: "save" }, { csrf: author })).status,
    ).toBe(403);

    const saved = await postForm(
      t.app,
      "/admin/pages/about",
      { title: "Who runs this site", body, action: "save" },
      {
        csrf: boss,
      },
    );
    expect(saved.status).toBe(303);
    const html = await (await t.app.request("/about")).text();
    expect(pageText(html)).toContain("Who runs this site");
    expect(html).toContain("<strong>Ada Lovelace</strong>");
    expect(html).not.toContain("<script>alert(1)");
    expect(pageText(html)).toContain("Imprint: 1 Example St.");
  });
});

describe("the owner's introduction on /", () => {
  it("is empty by default: nothing for visitors, a hint for the owner only", async () => {
    const { t, boss, author } = await setup();
    const anonymous = await (await t.app.request("/")).text();
    expect(anonymous).not.toContain('<section class="owner-introduction"');
    expect(anonymous).not.toContain("/admin/introduction");
    expect(await (await getAs(t, "/", author)).text()).not.toContain("/admin/introduction");
    const owner = await (await getAs(t, "/", boss)).text();
    expect(tags(owner, "a").map((a) => a.href)).toContain("/admin/introduction");
  });

  it("shows the owner's Markdown, sanitized, above the list, the same for every visitor", async () => {
    const { t, boss } = await setup();
    const body = 'We are the **Example Collective**. <img src=x onerror="alert(1)"> [Contact](/about)';
    const preview = await postForm(t.app, "/admin/introduction", { body, action: "preview" }, { csrf: boss });
    expect(preview.status).toBe(200);
    expect(await preview.text()).toContain("<strong>Example Collective</strong>");
    expect(await (await t.app.request("/")).text()).not.toContain("Example Collective");

    const saved = await postForm(t.app, "/admin/introduction", { body, action: "save" }, { csrf: boss });
    expect(saved.status).toBe(303);
    expect(saved.headers.get("location")).toBe("/admin/introduction?saved=1");
    expect(statusNotices(await (await getAs(t, "/admin/introduction?saved=1", boss)).text())).toEqual([
      "notice success",
    ]);
    const first = await t.app.request("/");
    expect(first.headers.get("set-cookie")).toBeNull();
    const html = await first.text();
    expect(await (await t.app.request("/")).text()).toBe(html);
    const intro = /<section class="owner-introduction"[\s\S]*?<\/section>/.exec(html)![0];
    expect(intro).toContain("<strong>Example Collective</strong>");
    expect(intro).toContain('<a href="/about">Contact</a>');
    expect(intro).not.toContain("onerror");
    expect(html.indexOf('<section class="owner-introduction"')).toBeLessThan(
      html.indexOf('<h1 class="page-title">Declarations</h1>'),
    );
    expect(intro).not.toContain("/admin/introduction");

    // Emptied, it is gone.
    await postForm(t.app, "/admin/introduction", { body: "  \r\n", action: "save" }, { csrf: boss });
    expect(await (await t.app.request("/")).text()).not.toContain('<section class="owner-introduction"');
  });

  it("refuses a text over its limit, a bad action, a foreign form and authors, keeping the text", async () => {
    const { t, boss, author } = await setup();
    const long = "word ".repeat(2000);
    const big = await postForm(t.app, "/admin/introduction", { body: long, action: "save" }, { csrf: boss });
    expect(big.status).toBe(400);
    const html = await big.text();
    expect(pageText(html)).toMatch(/Introduction \(Markdown\)\s*: The text is 10 KB; the limit is 8 KB\./);
    expect(textareaText(html, "body")).toBe(long);
    expect(tags(html, "textarea")[0]).toMatchObject({ "aria-invalid": "true" });

    const odd = await postForm(t.app, "/admin/introduction", { body: "Hello", action: "publish" }, { csrf: boss });
    expect(odd.status).toBe(400);
    expect(textareaText(await odd.text(), "body")).toBe("Hello");

    const foreign = await postForm(
      t.app,
      "/admin/introduction",
      { body: "Hello", action: "save" },
      { csrf: { ...boss, csrf: "" }, headers: { "Sec-Fetch-Site": "cross-site" } },
    );
    expect(foreign.status).toBe(403);
    expect(textareaText(await foreign.text(), "body")).toBe("Hello");
    expect(
      (await postForm(t.app, "/admin/introduction", { body: "Hi", action: "save" }, { csrf: author })).status,
    ).toBe(403);
    const visitor = await postForm(t.app, "/admin/introduction", { body: "Hi" }, { csrf: null });
    expect(visitor.status).toBe(303);
    expect(visitor.headers.get("location")).toBe("/login?next=/admin/introduction");
    expect(await (await t.app.request("/")).text()).not.toContain('<section class="owner-introduction"');
  });
});
