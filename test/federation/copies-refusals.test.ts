/**
 * Bad remotes, for copies across sites: each is refused with a sentence that
 * says why, the author's input stays in the form, and nothing is written.
 * The "remote" is a small loopback server serving hand-made documents (an
 * over-size one, a loop of sources, an endless chain, one claiming another
 * server's id, HTML without Markdown), next to real undersign instances.
 */
import { createServer, type Server } from "node:http";
import { Article, Source, Update } from "@fedify/vocab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount, createSession, findAccountByUsername } from "../../src/db/accounts.ts";
import { getDeclarationBySlug } from "../../src/db/declarations.ts";
import { createRemoteCopy, getRemoteSource, keepRemoteRevision } from "../../src/db/remote-copies.ts";
import { checkRemoteCopy, onRemoteArticle } from "../../src/federation/copies.ts";
import { fetchJson, MAX_REMOTE_DOCUMENT_BYTES, MAX_SOURCE_CHAIN } from "../../src/federation/remote-declarations.ts";
import { cookiesFrom, inputValue, pageText, textareaText } from "../helpers/forms.ts";
import { addDeclaration, startInstance, type TestInstance } from "../helpers/instance.ts";
import { freePort } from "../helpers/process.ts";

const AS = "https://www.w3.org/ns/activitystreams";

let site: TestInstance;
let strict: TestInstance;
let remote: Server;
let origin: string;
/** The stand-in's Article at /src: its version changes when a test says so. */
let sourceVersion = 1;

function article(path: string, extra: Record<string, unknown> = {}) {
  return {
    "@context": AS,
    id: `${origin}${path}`,
    type: "Article",
    attributedTo: `${origin}/actor`,
    name: "A Remote Declaration",
    content: "<p>We declare.</p>",
    source: { content: "We declare.\n", mediaType: "text/markdown" },
    url: `${origin}${path}`,
    ...extra,
  };
}

function respond(path: string): { status: number; body?: unknown; headers?: Record<string, string> } {
  if (path === "/actor")
    return {
      status: 200,
      body: { "@context": AS, id: `${origin}/actor`, type: "Service", inbox: `${origin}/inbox`, name: "Remote" },
    };
  if (path === "/big")
    return { status: 200, body: { ...article("/big"), content: "x".repeat(MAX_REMOTE_DOCUMENT_BYTES + 10) } };
  if (path === "/loop/v/1")
    return {
      status: 200,
      body: article("/loop/v/1", { tag: [{ type: "Link", rel: "via", href: `${origin}/loop/v/2` }] }),
    };
  if (path === "/loop/v/2")
    return {
      status: 200,
      body: article("/loop/v/2", { tag: [{ type: "Link", rel: "via", href: `${origin}/loop/v/1` }] }),
    };
  const deep = /^\/deep\/(\d+)\/v\/1$/.exec(path);
  if (deep != null)
    return {
      status: 200,
      body: article(path, { tag: { type: "Link", rel: ["via"], href: `${origin}/deep/${Number(deep[1]) + 1}/v/1` } }),
    };
  if (path === "/elsewhere")
    return { status: 200, body: article("/elsewhere", { id: "https://another.example/articles/1" }) };
  if (path === "/html")
    return {
      status: 200,
      body: article("/html", {
        source: undefined,
        content:
          "<h2>Privacy</h2><p>Messages are <strong>private</strong>.<script>alert(1)</script></p><ul><li>one</li><li>two</li></ul>",
      }),
    };
  // An Article whose `url` is a web page (as on Mastodon or WriteFreely).
  if (path === "/articles/7")
    return {
      status: 200,
      body: article("/articles/7", { url: { type: "Link", href: `${origin}/@blog/7`, mediaType: "text/html" } }),
    };
  if (path === "/notcopy") return { status: 200, body: article("/notcopy") };
  if (path === "/src") return { status: 200, body: article("/src", { url: `${origin}/src/v/${sourceVersion}` }) };
  if (path === "/to-private") return { status: 302, headers: { Location: "http://10.0.0.1/d/x" } };
  if (path === "/to-localhost")
    return { status: 302, headers: { Location: `http://localhost:${new URL(origin).port}/actor` } };
  return { status: 404 };
}

interface Browser {
  cookie: string;
  csrf: string;
}

async function login(t: TestInstance, username: string): Promise<Browser> {
  if (findAccountByUsername(t.db, username) == null)
    createAccount(t.db, { username, passwordHash: "unused", role: "author" });
  const { token } = createSession(t.db, findAccountByUsername(t.db, username)!.id);
  const res = await t.app.request("/login");
  const html = await res.text();
  return {
    cookie: `${cookiesFrom(res).find((x) => x.startsWith("csrf="))!}; session=${token}`,
    csrf: inputValue(html, "csrf")!,
  };
}

async function fetchForm(t: TestInstance, who: Browser, source: string) {
  const res = await t.app.request("/copy/elsewhere", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: who.cookie },
    body: new URLSearchParams({ csrf: who.csrf, source, action: "fetch" }).toString(),
  });
  return { status: res.status, html: await res.text() };
}

function fieldError(html: string): string | undefined {
  const m = /<p class="field-error" id="source-error">([\s\S]*?)<\/p>/.exec(html);
  return m == null ? undefined : pageText(m[1]!);
}

function counts(t: TestInstance) {
  const n = (table: string) => (t.db.$client.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  return { declarations: n("declarations"), sources: n("remote_sources"), copies: n("remote_copies") };
}

beforeAll(async () => {
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  remote = createServer((req, res) => {
    const answer = respond(new URL(req.url ?? "/", origin).pathname);
    res.writeHead(answer.status, { "Content-Type": "application/activity+json", ...answer.headers });
    res.end(answer.body == null ? "" : JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => remote.listen(port, "127.0.0.1", resolve));
  site = await startInstance();
  strict = await startInstance({ env: { FEDERATION_ALLOW_PRIVATE_ADDRESS: "false" } });
  addDeclaration(site.db, { slug: "ours", body: "Our text.\n" });
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => remote?.close(resolve));
  await Promise.allSettled([site?.close(), strict?.close()]);
});

describe("copying from another site: bad input and bad remotes", () => {
  let who: Browser;
  let before: ReturnType<typeof counts>;
  beforeAll(async () => {
    who = await login(site, "ann");
    before = counts(site);
  });

  it.each([
    ["", 400, "Please enter the address or handle"],
    ["not an address", 400, "Enter the address of a Declaration"],
  ])("refuses %j with %i, naming the field", async (input, status, message) => {
    const { status: got, html } = await fetchForm(site, who, input);
    expect(got).toBe(status);
    expect(fieldError(html)).toContain(message);
    expect(html).toContain('aria-invalid="true"');
    expect(inputValue(html, "source")).toBe(input);
  });

  it("sends a visitor who is not logged in to log in, and refuses an expired form with 403, keeping the input", async () => {
    const anonymous = await site.app.request("/copy/elsewhere");
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get("location")).toBe("/login?next=%2Fcopy%2Felsewhere");
    const expired = await site.app.request("/copy/elsewhere", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: who.cookie },
      body: new URLSearchParams({ csrf: "forged", source: `${origin}/html`, action: "fetch" }).toString(),
    });
    expect(expired.status).toBe(403);
    const html = await expired.text();
    expect(fieldError(html)).toContain("This form expired");
    expect(inputValue(html, "source")).toBe(`${origin}/html`);
  });

  it("refuses an unreachable site with 502 and keeps the input", async () => {
    const closed = `http://127.0.0.1:${await freePort()}/d/gone`;
    const { status, html } = await fetchForm(site, who, closed);
    expect(status).toBe(502);
    expect(fieldError(html)).toContain("did not answer");
    expect(inputValue(html, "source")).toBe(closed);
  });

  it("refuses a document over the size limit", async () => {
    const { status, html } = await fetchForm(site, who, `${origin}/big`);
    expect(status).toBe(422);
    expect(fieldError(html)).toContain("larger than this site accepts");
  });

  it("refuses a loop of sources, and a chain longer than the limit", async () => {
    const loop = await fetchForm(site, who, `${origin}/loop/v/1`);
    expect(loop.status).toBe(422);
    expect(fieldError(loop.html)).toContain("loops back on itself");
    const deep = await fetchForm(site, who, `${origin}/deep/0/v/1`);
    expect(deep.status).toBe(422);
    expect(fieldError(deep.html)).toContain(`longer than ${MAX_SOURCE_CHAIN}`);
  });

  it("refuses a document that claims another server's id", async () => {
    const { status, html } = await fetchForm(site, who, `${origin}/elsewhere`);
    expect(status).toBe(422);
    expect(fieldError(html)).toContain("claims to come from another server");
  });

  it("refuses a Declaration of this site (copy it locally instead)", async () => {
    const { status, html } = await fetchForm(site, who, `${site.origin}/d/ours`);
    expect(status).toBe(400);
    expect(fieldError(html)).toContain("Make your own copy");
  });

  it("converts HTML to Markdown when there is no source, and says so", async () => {
    const { status, html } = await fetchForm(site, who, `${origin}/html`);
    expect(status).toBe(200);
    expect(html).toContain('id="converted-warning"');
    const body = textareaText(html, "body")!;
    expect(body).toBe("## Privacy\n\nMessages are **private**.\n\n- one\n- two\n");
    expect(body).not.toContain("alert");
  });

  it("refuses private addresses where they are not allowed, and a redirect to one", async () => {
    const { status, html } = await fetchForm(strict, await login(strict, "sam"), `${origin}/html`);
    expect(status).toBe(422);
    expect(fieldError(html)).toContain("private or local network");
    const options = { allowPrivateAddress: false, treatAsPublic: [new URL(origin).host] };
    expect((await fetchJson(`${origin}/html`, options)).ok).toBe(true);
    expect(await fetchJson(`${origin}/to-private`, options)).toMatchObject({ ok: false, reason: "private-address" });
    expect(await fetchJson(`${origin}/to-localhost`, options)).toMatchObject({ ok: false, reason: "private-address" });
  });

  it("wrote nothing for any of these", () => {
    expect(counts(site)).toEqual(before);
    expect(counts(strict)).toMatchObject({ sources: 0, copies: 0 });
  });
});

describe("copying from a server that is not undersign", () => {
  it("publishes a copy of an Article whose url is a web page, pointing at that page", async () => {
    const who = await login(site, "ann");
    const { status, html } = await fetchForm(site, who, `${origin}/articles/7`);
    expect(status).toBe(200);
    expect(inputValue(html, "ref")).toBe(`${origin}/@blog/7`);
    const res = await site.app.request("/copy/elsewhere", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: who.cookie },
      body: new URLSearchParams({
        csrf: who.csrf,
        source: `${origin}/articles/7`,
        ref: `${origin}/@blog/7`,
        title: "Our version",
        summary: "",
        slug: "our-version",
        body: "We declare, together.\n",
        action: "publish",
      }).toString(),
    });
    expect(res.status, pageText(await res.clone().text()).slice(0, 400)).toBe(303);
    const copy = getDeclarationBySlug(site.db, "our-version")!;
    expect(copy).toMatchObject({ sourceDeclarationId: null, sourceRevision: 1, sourceUrl: `${origin}/@blog/7` });
    expect(getRemoteSource(site.db, copy.id)).toMatchObject({
      articleIri: `${origin}/articles/7`,
      actorIri: `${origin}/actor`,
      inbox: `${origin}/inbox`,
    });
  });
});

describe("bad remotes in federation", () => {
  it("does not list a remote that claims a source it did not copy", async () => {
    const data = site.runtime.data;
    const ours = new URL(site.origin);
    // Its Article names no revision of ours.
    expect(await checkRemoteCopy(data, ours, new URL(`${origin}/notcopy`), new URL(`${origin}/actor`))).toBe(
      "not-a-copy-of-ours",
    );
    // The activity's actor is not the Article's author.
    expect(await checkRemoteCopy(data, ours, new URL(`${origin}/notcopy`), new URL(`${origin}/someone-else`))).toBe(
      "wrong-actor",
    );
    expect(await checkRemoteCopy(data, ours, new URL(`${origin}/notcopy`), new URL(`http://127.0.0.2:1/actor`))).toBe(
      "wrong-actor",
    );
    expect(counts(site).copies).toBe(0);
  });

  it("ignores what a forged Update carries: the source is fetched again from its server", async () => {
    const now = new Date();
    const owner = findAccountByUsername(site.db, "ann")!;
    const copy = site.db.transaction((tx) => {
      const revision = keepRemoteRevision(
        tx,
        {
          url: `${origin}/src/v/1`,
          articleIri: `${origin}/src`,
          actorIri: `${origin}/actor`,
          number: 1,
          title: "A Remote Declaration",
          summary: "",
          body: "We declare.\n",
          format: "markdown",
          viaUrl: null,
        },
        now,
      );
      const created = createRemoteCopy(tx, {
        revision,
        source: {
          actorIri: `${origin}/actor`,
          inbox: `${origin}/inbox`,
          sharedInbox: null,
          articleIri: `${origin}/src`,
          latestRevision: 1,
          latestUrl: `${origin}/src/v/1`,
          signatureCount: null,
        },
        hashtags: [],
        ownerId: owner.id,
        slug: "remote-copy",
        title: "My copy",
        summary: "",
        body: "We declare, too.\n",
        notes: {},
        status: "published",
      });
      if (created.kind !== "created") throw new Error(created.kind);
      return created.declaration;
    });
    const forged = new Update({
      id: new URL(`${origin}/updates/forged`),
      actor: new URL(`${origin}/actor`),
      object: new Article({
        id: new URL(`${origin}/src`),
        attribution: new URL(`${origin}/actor`),
        content: "<p>Forged.</p>",
        source: new Source({ content: "Forged.\n", mediaType: "text/markdown" }),
        url: new URL(`${origin}/src/v/99`),
      }),
    });
    const ctx = site.federation.createContext(new URL(site.origin), site.runtime.data);
    await onRemoteArticle(ctx, forged, { id: new URL(`${origin}/src`), isArticle: true, viaOrigin: null });
    expect(getRemoteSource(site.db, copy.id)).toMatchObject({ latestRevision: 1, status: "ok" });
    expect(
      site.db.$client.prepare("SELECT count(*) AS n FROM remote_revisions WHERE body LIKE '%Forged%'").get(),
    ).toEqual({ n: 0 });

    // An Update of the source's Article by another actor is not even looked at.
    sourceVersion = 2;
    const stranger = new Update({
      id: new URL("http://127.0.0.2:1/updates/1"),
      actor: new URL("http://127.0.0.2:1/actor"),
      object: new URL(`${origin}/src`),
    });
    await onRemoteArticle(ctx, stranger, { id: new URL(`${origin}/src`), isArticle: true, viaOrigin: null });
    expect(getRemoteSource(site.db, copy.id)).toMatchObject({ latestRevision: 1 });

    // A real new version is taken from the source's server.
    await onRemoteArticle(ctx, forged, { id: new URL(`${origin}/src`), isArticle: true, viaOrigin: null });
    expect(getRemoteSource(site.db, copy.id)).toMatchObject({ latestRevision: 2, latestUrl: `${origin}/src/v/2` });
    // The owner's copy itself is untouched.
    expect(getDeclarationBySlug(site.db, "remote-copy")).toMatchObject({ revision: 1, sourceRevision: 1 });
  });

  it("serves each revision as an Article to ActivityPub clients, and the page to browsers", async () => {
    const json = (await (
      await fetch(`${site.origin}/d/ours/v/1`, { headers: { accept: "application/activity+json" } })
    ).json()) as Record<string, unknown>;
    expect(json).toMatchObject({
      type: "Article",
      id: `${site.origin}/d/ours/v/1`,
      url: `${site.origin}/d/ours/v/1`,
      attributedTo: `${site.origin}/d/ours`,
    });
    expect(json.source).toEqual({ content: "Our text.\n", mediaType: "text/markdown" });
    const page = await fetch(`${site.origin}/d/ours/v/1`);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.headers.get("vary")).toContain("Accept");
    expect(
      (await fetch(`${site.origin}/d/ours/v/9`, { headers: { accept: "application/activity+json" } })).status,
    ).toBe(404);
  });
});
