/**
 * Part of the hostile input sweep: hostile input that is accepted — through
 * the real forms and the real inbox where there is one — is then shown in
 * Debian's headless Chromium, on every page where it appears, with a script
 * detector: an init script defines `window.__xss` (every payload in
 * hostile.ts calls `__xss.push(…)` or `alert`) and replaces the dialogs; a
 * `dialog` handler; the page's Content-Security-Policy violation reports; and
 * a look through the DOM for event-handler attributes, `javascript:` and
 * `data:text/html` URLs, frames, objects and foreign scripts.
 *
 * What goes in: signatures whose name, place, comment and website carry
 * payloads (the signing form); a fediverse account whose display name is a
 * payload, which signs with a Like and replies with a payload (signed, to the
 * inbox); a copy whose title, summary and Markdown carry every payload; a
 * pledge name (the strike form); the strike's name and notice template and
 * the FAQ page (the admin's forms); a strike bot connection whose profile
 * data is hostile; a report naming javascript: objects.
 */
import { Hono } from "hono";
import type { BrowserContext, Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { createAccount, createSession, findAccountByUsername } from "../../src/db/accounts.ts";
import { insertBotApp, upsertConnection } from "../../src/db/bot.ts";
import { createDeclaration, getDeclarationBySlug } from "../../src/db/declarations.ts";
import { getPost } from "../../src/db/posts.ts";
import { sealToken } from "../../src/bot/secrets.ts";
import { haveChromium, useBrowser, watchPage } from "../helpers/browser.ts";
import { startFediverseServer, type FediverseServer } from "../helpers/fediverse.ts";
import { mastodon } from "../helpers/fediverse-shapes.ts";
import { cookiesFrom, inputValue, signForm } from "../helpers/forms.ts";
import { startInstance, type TestInstance } from "../helpers/instance.ts";
import { startServer } from "../helpers/server.ts";
import { formsOn, SCRIPT_PAYLOADS, scriptableMarkup } from "./hostile.ts";

const BOT_TOKEN_KEY = "00112233445566778899aabbccddeeff".repeat(2);
const COPY = "hostile-copy";

/** Payloads that fit a 100-character field. */
const SHORT = SCRIPT_PAYLOADS.filter((p) => [...p].length <= 100);

interface Visit {
  path: string;
  as?: "ada" | "root";
}

describe.skipIf(!haveChromium)("hostile input, shown in Chromium", () => {
  const suite = useBrowser();
  let site: TestInstance;
  let remote: FediverseServer;
  const visits: Visit[] = [];
  const accepted: string[] = [];
  /** Markup that could run script on the copy editor's page (a POST answer, so checked as HTML). */
  const editorMarkup: string[] = [];
  const tokens: { ada: string; root: string } = { ada: "", root: "" };

  /** POSTs a page's form (found by its action) as `who`, with `overrides`; returns the status. */
  async function submit(page: string, action: string, overrides: Record<string, string>, cookie = ""): Promise<number> {
    const res = await site.app.request(page, { headers: { Cookie: cookie } });
    expect(res.status, `GET ${page}`).toBe(200);
    const html = await res.text();
    const csrf = inputValue(html, "csrf")!;
    const csrfCookie = cookiesFrom(res).find((c) => c.startsWith("csrf="));
    const form = formsOn(html).find((f) => f.action.replace(/[?#].*$/, "") === action);
    expect(form, `a form posting to ${action} on ${page}`).toBeDefined();
    const fields = new Map(form!.fields);
    const button = form!.buttons.find(([, v]) => v === "save") ?? form!.buttons[0];
    if (button != null) fields.set(button[0], button[1]);
    for (const [k, v] of Object.entries(overrides)) fields.set(k, v);
    fields.set("csrf", csrf);
    const post = await site.app.request(action, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Cookie: [cookie, csrfCookie].filter(Boolean).join("; "),
        // What a browser says of a post from the site's own page (pages anyone may be served carry no token).
        "Sec-Fetch-Site": "same-origin",
      },
      body: new URLSearchParams([...fields]).toString(),
    });
    if (process.env.FUZZ_VERBOSE && post.status !== 303)
      console.log(
        action,
        post.status,
        (await post.text())
          .replace(/<[^>]*>/g, " ")
          .replace(/\s+/g, " ")
          .slice(0, 3000),
      );
    return post.status;
  }

  beforeAll(async () => {
    site = await startInstance({ env: { BOT_TOKEN_KEY } });
    suite.later(site.close);
    createAccount(site.db, { username: "root", passwordHash: "unused", role: "admin" });
    createAccount(site.db, { username: "ada", passwordHash: "unused", role: "author" });
    const root = findAccountByUsername(site.db, "root")!;
    const ada = findAccountByUsername(site.db, "ada")!;
    tokens.root = `session=${createSession(site.db, root.id).token}`;
    tokens.ada = `session=${createSession(site.db, ada.id).token}`;
    const rights = createDeclaration(site.db, {
      slug: "rights",
      title: "Rights",
      summary: "A Declaration for the sweep.",
      license: "CC BY-SA 4.0",
      hashtags: ["SocialMediaStrike"],
      language: "en",
      body: "## First\n\nWe declare.\n",
      origin: "site",
      ownerId: root.id,
    });
    await site.publish();

    // Signatures through the signing form.
    for (const [i, payload] of SHORT.entries()) {
      const comment = SCRIPT_PAYLOADS.slice(i, i + 6)
        .join("\n")
        .slice(0, 500);
      const website =
        i % 2 === 0 ? `https://example.com/"onmouseover="__xss.push('w${i}')` : `javascript:__xss.push('w${i}')`;
      let res = await signForm(
        site.app,
        { name: payload, place: SHORT[(i + 1) % SHORT.length]!, comment, website },
        { slug: "rights" },
      );
      if (res.status !== 303)
        res = await signForm(
          site.app,
          { name: payload, place: SHORT[(i + 1) % SHORT.length]!, comment },
          { slug: "rights" },
        );
      if (res.status === 303) {
        accepted.push(`signature ${JSON.stringify(payload)}`);
        if (visits.every((v) => !v.path.startsWith("/s/")))
          visits.push({ path: res.headers.get("location")!.replace(/\?.*$/, "") });
      }
    }

    // A fediverse account with a hostile display name signs (Like) and replies.
    remote = await startFediverseServer({ users: ["mallory"] });
    suite.later(remote.close);
    await remote.updateProfile("mallory", {
      name: "<img src=x onerror=__xss.push('fedname')>Mallory",
      summary: SCRIPT_PAYLOADS.join(" "),
    });
    const noteUri = `${site.origin}/ap/notes/${getPost(site.db, rights.id, "announcement")!.uuid}`;
    const mallory = remote.actorUri("mallory");
    expect(
      (
        await remote.postSigned({
          inbox: `${site.origin}/inbox`,
          json: mastodon.like(mallory, noteUri),
          user: "mallory",
        })
      ).status,
    ).toBe(202);
    const reply = mastodon.reply(mallory, noteUri, {
      mention: { href: `${site.origin}/d/rights`, name: "@rights" },
      content: SCRIPT_PAYLOADS.join("<br>"),
    }) as Record<string, any>;
    reply.object.summary = "<script>__xss.push('cw')</script>";
    expect((await remote.postSigned({ inbox: `${site.origin}/inbox`, json: reply, user: "mallory" })).status).toBe(202);
    accepted.push("a fediverse Like and reply");
    const flag = mastodon.flag(
      remote.instanceActorUri,
      `${site.origin}/d/rights`,
      ["javascript:__xss.push('flag')", noteUri],
      SCRIPT_PAYLOADS.join("\n"),
    );
    expect((await remote.postSigned({ inbox: `${site.origin}/inbox`, json: flag, user: "__instance__" })).status).toBe(
      202,
    );

    // A copy of ada's whose every text is hostile.
    createDeclaration(site.db, {
      slug: COPY,
      title: "<script>__xss.push('title')</script>A hostile copy",
      summary: "<img src=x onerror=__xss.push('summary')>",
      license: "CC BY-SA 4.0",
      hashtags: ["SocialMediaStrike"],
      language: "en",
      body: `## <svg onload=__xss.push('h2')>\n\n${SCRIPT_PAYLOADS.join("\n\n")}\n`,
      origin: "site",
      ownerId: ada.id,
      source: { declarationId: rights.id, revision: 1, url: `${site.origin}/d/rights`, title: "Rights" },
    });

    // A visitor's report whose reason is hostile.
    const reported = await submit(
      "/d/rights/report",
      "/d/rights/report",
      { reason: SCRIPT_PAYLOADS.join("\n").slice(0, 1900) },
      "",
    );
    if (reported === 303) accepted.push("a visitor's report");

    // The admin's forms: the strike's name and first notice, and the FAQ.
    const day = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    const template = `${SCRIPT_PAYLOADS.slice(0, 6).join(" ")} {strike_url} {hashtags}`;
    const strike = await submit(
      "/admin/strike",
      "/admin/strike",
      { name: "<script>__xss.push('strike')</script>Strike", "day-1": day, "template-1": template },
      tokens.root,
    );
    if (strike === 303) accepted.push("the strike's name and notice");
    const faq = await submit(
      "/admin/pages/faq",
      "/admin/pages/faq",
      { title: "FAQ <script>__xss.push('faqtitle')</script>", body: SCRIPT_PAYLOADS.join("\n\n") },
      tokens.root,
    );
    if (faq === 303) accepted.push("the FAQ page");
    const pledge = await submit("/strike", "/strike/pledge", { name: SHORT[0]!, "all-days": "on" }, "");
    if (pledge === 303) accepted.push("a pledge");

    // A strike bot connection whose profile came from a hostile server.
    const key = Buffer.from(BOT_TOKEN_KEY, "hex");
    const origin = "https://mastodon.example";
    const app = insertBotApp(site.db, {
      origin,
      redirectUri: `${site.origin}/bot/callback`,
      scopes: "read write",
      clientId: "c",
      clientSecretSealed: sealToken(key, "s", `app:${origin}`),
      software: "mastodon",
      version: "4.3.0",
      supportsPkce: true,
      created: new Date(),
    });
    const connection = upsertConnection(
      site.db,
      {
        accountId: ada.id,
        appId: app.id,
        remoteId: "1",
        acct: "<img src=x onerror=__xss.push('acct')>",
        displayName: "<script>__xss.push('bot')</script>",
        url: "javascript:__xss.push('boturl')",
        avatar: "javascript:__xss.push('avatar')",
        scope: "read write",
        now: new Date(),
      },
      (id) => sealToken(key, "t", `connection:${id}:${origin}`),
    );

    // A copy from another site whose Declaration is hostile: fetched, converted, shown in the editor, published.
    const elsewhere = await startInstance({ instanceName: "<script>__xss.push('sitename')</script>" });
    suite.later(elsewhere.close);
    createDeclaration(elsewhere.db, {
      slug: "theirs",
      title: "<img src=x onerror=__xss.push('remotetitle')>Theirs",
      summary: "<script>__xss.push('remotesummary')</script>",
      license: "CC BY-SA 4.0",
      hashtags: ["SocialMediaStrike"],
      language: "en",
      body: `## Theirs\n\n${SCRIPT_PAYLOADS.join("\n\n")}\n`,
      origin: "site",
    });
    await elsewhere.publish();
    const login = await site.app.request("/copy/elsewhere", { headers: { Cookie: tokens.ada } });
    const loginHtml = await login.text();
    const adaCookie = [tokens.ada, cookiesFrom(login).find((c) => c.startsWith("csrf="))].filter(Boolean).join("; ");
    const copyPost = (fields: Record<string, string>) =>
      site.app.request("/copy/elsewhere", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: adaCookie },
        body: new URLSearchParams({ csrf: inputValue(loginHtml, "csrf")!, ...fields }).toString(),
      });
    const fetched = await copyPost({ source: `${elsewhere.origin}/d/theirs`, action: "fetch" });
    const editor = await fetched.text();
    expect(fetched.status, editor.replace(/<[^>]*>/g, " ").slice(0, 500)).toBe(200);
    editorMarkup.push(...scriptableMarkup(editor));
    const ref = inputValue(editor, "ref")!;
    const form = formsOn(editor).find((f) => f.action === "/copy/elsewhere")!;
    const values = Object.fromEntries(form.fields);
    const published = await copyPost({
      ...values,
      source: `${elsewhere.origin}/d/theirs`,
      ref,
      slug: "from-elsewhere",
      // A published copy must change something in the text.
      body: `${values.body ?? ""}\n\nOur own addition.\n`,
      action: "publish",
    });
    if (published.status === 303) accepted.push("a copy from another site");

    visits.push(
      { path: "/d/from-elsewhere" },
      { path: "/d/from-elsewhere/history" },
      { path: "/d/from-elsewhere/copies" },
      { path: "/" },
      { path: "/d/rights" },
      { path: "/d/rights/signatures" },
      { path: "/d/rights/copies" },
      { path: `/d/${COPY}`, as: "ada" },
      { path: `/d/${COPY}/history`, as: "ada" },
      { path: `/d/${COPY}/v/1`, as: "ada" },
      { path: `/d/${COPY}/edit`, as: "ada" },
      { path: "/tags/SocialMediaStrike" },
      { path: "/strike" },
      { path: "/faq" },
      { path: "/stats" },
      { path: "/embed/d/rights" },
      { path: "/bot", as: "ada" },
      { path: `/bot/${connection.id}`, as: "ada" },
      { path: "/admin/federation", as: "root" },
      { path: "/admin/declarations", as: "root" },
      { path: `/admin/declarations/${COPY}`, as: "root" },
      { path: `/d/${COPY}/report` },
      { path: "/admin/strike", as: "root" },
      { path: "/admin/pages/faq", as: "root" },
    );
  }, 120_000);

  it("accepted the hostile input it is meant to show", () => {
    // The sweep is only as good as what got in: most hostile names must have been taken as names.
    expect(accepted.filter((a) => a.startsWith("signature")).length).toBeGreaterThan(SHORT.length / 2);
    expect(accepted).toEqual(
      expect.arrayContaining([
        "a fediverse Like and reply",
        "the strike's name and notice",
        "the FAQ page",
        "a pledge",
        "a copy from another site",
        "a visitor's report",
      ]),
    );
    expect(editorMarkup).toEqual([]);
    expect(getDeclarationBySlug(site.db, "rights")!.signatureCount).toBeGreaterThan(SHORT.length / 2);
  });

  it("runs no script on any page where it shows", async () => {
    const problems: string[] = [];
    for (const visit of visits) {
      // A fresh context per page: its own cookies, detector and request watch.
      const context = await suite.browser.newContext();
      await context.addInitScript(() => {
        const w = window as unknown as Record<string, unknown> & { __xss: string[] };
        w.__xss = [];
        for (const name of ["alert", "confirm", "prompt", "print"])
          w[name] = (...args: unknown[]) => void w.__xss.push(`${name}(${args.join(",")})`);
      });
      if (visit.as != null) {
        const [name, value] = tokens[visit.as].split("=") as [string, string];
        await context.addCookies([{ name, value, url: site.origin }]);
      }
      const page = await context.newPage();
      const found = await inspect(context, page, site.origin, visit.path);
      for (const f of found) problems.push(`${visit.path}${visit.as == null ? "" : ` (as ${visit.as})`}: ${f}`);
      await context.close();
    }
    expect(problems).toEqual([]);
  });

  it("the detector sees script that runs and markup that could (control)", async () => {
    const unsafe = new Hono();
    unsafe.get("/", (c) =>
      c.html(
        `<!doctype html><p>control</p><img src="/nothing" onerror="__xss.push('control')"><a href="javascript:alert(1)">x</a><script>alert("inline")</script>`,
      ),
    );
    const server = await startServer(unsafe);
    try {
      const context = await suite.browser.newContext();
      await context.addInitScript(() => {
        const w = window as unknown as Record<string, unknown> & { __xss: string[] };
        w.__xss = [];
        for (const name of ["alert", "confirm", "prompt", "print"])
          w[name] = (...args: unknown[]) => void w.__xss.push(`${name}(${args.join(",")})`);
      });
      const found = await inspect(context, await context.newPage(), new URL(server.url).origin, "/");
      await context.close();
      expect(found).toEqual(
        expect.arrayContaining([
          "script ran: control",
          "script ran: alert(inline)",
          expect.stringMatching(/in the DOM: <img onerror/),
          expect.stringMatching(/in the DOM: <a href="javascript:/),
        ]),
      );
    } finally {
      await server.close();
    }
  });
});

/** Opens `path` and returns everything that ran, or could run, script. */
async function inspect(context: BrowserContext, page: Page, origin: string, path: string): Promise<string[]> {
  const dialogs: string[] = [];
  page.on("dialog", (dialog) => {
    dialogs.push(`dialog ${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  const watch = await watchPage(context, page, origin, () => true);
  const res = await page.goto(`${origin}${path}`, { waitUntil: "load" });
  const found: string[] = [];
  if (res == null || res.status() !== 200) found.push(`status ${res?.status() ?? "none"}`);
  // Let onerror/onload handlers and timers of anything injected have their turn.
  await page.waitForTimeout(150);
  const fired = await page.evaluate(() => (window as unknown as { __xss: string[] }).__xss);
  for (const f of fired) found.push(`script ran: ${f}`);
  for (const frame of page.frames().slice(1)) {
    const inner = await frame.evaluate(() => (window as unknown as { __xss?: string[] }).__xss ?? []).catch(() => []);
    for (const f of inner) found.push(`script ran in a frame: ${f}`);
  }
  found.push(...dialogs);
  for (const v of await watch.cspViolations())
    if (/script|object|frame|child|default/.test(v)) found.push(`CSP violation: ${v}`);
  const markup = await page.evaluate(() => {
    const bad: string[] = [];
    const own = (value: string) => {
      try {
        const url = new URL(value, location.href);
        return url.origin === location.origin && /^\/(static|embed)\//.test(url.pathname);
      } catch {
        return false;
      }
    };
    for (const el of Array.from(document.querySelectorAll("*"))) {
      const tag = el.tagName.toLowerCase();
      for (const a of Array.from(el.attributes)) {
        const name = a.name.toLowerCase();
        const value = a.value.replace(/[\u0000-\u0020]/g, "").toLowerCase();
        if (name.startsWith("on")) bad.push(`<${tag} ${a.name}="${a.value}">`);
        if (
          ["href", "src", "action", "formaction", "data", "srcdoc", "xlink:href", "poster", "background"].includes(
            name,
          ) &&
          /^(javascript|vbscript|data:text\/html|data:image\/svg)/.test(value)
        ) {
          bad.push(`<${tag} ${a.name}="${a.value}">`);
        }
        if (name === "style" && /expression\(|javascript:/.test(value)) bad.push(`<${tag} style="${a.value}">`);
      }
      if (tag === "script") {
        const s = el as HTMLScriptElement;
        if (!(s.src !== "" && own(s.src)) && s.type !== "application/ld+json")
          bad.push(`<script>${s.textContent?.slice(0, 80) ?? ""}`);
      }
      if (["iframe", "frame"].includes(tag) && !own((el as HTMLIFrameElement).src)) bad.push(`<${tag}>`);
      if (["object", "embed", "base", "applet"].includes(tag)) bad.push(`<${tag}>`);
      if (tag === "meta" && el.getAttribute("http-equiv")?.toLowerCase() === "refresh")
        bad.push("<meta http-equiv=refresh>");
    }
    return bad;
  });
  found.push(...markup.map((m) => `in the DOM: ${m.slice(0, 200)}`));
  for (const e of watch.pageErrors) if (/__xss|alert/.test(e)) found.push(`page error: ${e}`);
  return found;
}
