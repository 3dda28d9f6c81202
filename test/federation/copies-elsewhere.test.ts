/**
 * Copies across sites, with three real undersign instances on loopback ports:
 * A hosts a Declaration, B copies it (by its address), C copies B's copy (by
 * its handle).  A and B list their copies elsewhere with the right diffs and
 * signature counts; A publishes version 2 and B takes it in (one change
 * applies cleanly, one conflicts and is resolved); C sees B's new version;
 * then a deleted copy and an unreachable one are marked, not dropped.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount, createSession, findAccountByUsername } from "../../src/db/accounts.ts";
import { appendRevision, getDeclarationBySlug } from "../../src/db/declarations.ts";
import { getRemoteSource, listRemoteCopies } from "../../src/db/remote-copies.ts";
import { diffDeclarations, diffSummary } from "../../src/diff/index.ts";
import { refreshStaleRemoteLinks } from "../../src/federation/index.ts";
import { createDuePosts } from "../../src/federation/publish.ts";
import { addSignature, cookiesFrom, inputValue, pageText, textareaText } from "../helpers/forms.ts";
import { addDeclaration, startInstance, type TestInstance } from "../helpers/instance.ts";

const A1 =
  "## Privacy\n\nPrivate messages stay private.\n\n## Data\n\nEveryone owns their data.\n\n## Standards\n\nServices use open standards.\n";
const B1 =
  "## Privacy\n\nPrivate messages stay private.\n\n## Data\n\nEveryone owns and controls their data.\n\n## Standards\n\nServices use open standards.\n";
const C1 =
  "## Privacy\n\nPrivate messages stay private.\n\n## Data\n\nEveryone owns and controls their data.\n\n## Standards\n\nServices use open, documented standards.\n";
const A2 =
  "## Privacy\n\nPrivate messages stay private, end to end.\n\n## Data\n\nEveryone owns their data, and can take it anywhere.\n\n## Standards\n\nServices use open standards.\n";

let a: TestInstance;
let b: TestInstance;
let c: TestInstance;

interface Browser {
  cookie: string;
  csrf: string;
}

/** A logged-in author on an http instance (cookies `session` and `csrf`). */
async function login(site: TestInstance, username: string): Promise<Browser> {
  if (findAccountByUsername(site.db, username) == null)
    createAccount(site.db, { username, passwordHash: "unused", role: "author" });
  const { token } = createSession(site.db, findAccountByUsername(site.db, username)!.id);
  const res = await site.app.request("/login");
  const html = await res.text();
  const csrfCookie = cookiesFrom(res).find((x) => x.startsWith("csrf="))!;
  return { cookie: `${csrfCookie}; session=${token}`, csrf: inputValue(html, "csrf")! };
}

function post(site: TestInstance, who: Browser, path: string, fields: Record<string, string>) {
  return site.app.request(path, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: who.cookie },
    body: new URLSearchParams({ csrf: who.csrf, ...fields }).toString(),
  });
}

function get(site: TestInstance, path: string, who?: Browser) {
  return site.app.request(path, who == null ? {} : { headers: { Cookie: who.cookie } });
}

/** Copies `source` on `site` as `who`, publishing `body` at `slug`. */
async function copyElsewhere(
  site: TestInstance,
  who: Browser,
  source: string,
  slug: string,
  title: string,
  body: string,
) {
  const fetched = await post(site, who, "/copy/elsewhere", { source, action: "fetch" });
  const html = await fetched.text();
  expect(fetched.status, pageText(html).slice(0, 600)).toBe(200);
  const ref = inputValue(html, "ref")!;
  const published = await post(site, who, "/copy/elsewhere", {
    source,
    ref,
    title,
    summary: "",
    slug,
    body,
    action: "publish",
  });
  expect(published.status, pageText(await published.clone().text()).slice(0, 600)).toBe(303);
  expect(published.headers.get("location")).toBe(`/d/${slug}`);
  return { html, ref };
}

/** Lets the copier's actor post and deliver (the receiver handles each activity while the sender waits). */
async function deliver(site: TestInstance) {
  await site.publish();
  await site.drain();
}

beforeAll(async () => {
  [a, b, c] = await Promise.all([
    startInstance({ instanceName: "Site A" }),
    startInstance({ instanceName: "Site B" }),
    startInstance({ instanceName: "Site C" }),
  ]);
  addDeclaration(a.db, { slug: "rights", title: "Digital Rights", summary: "Our rights online.", body: A1 });
  await deliver(a);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([a?.close(), b?.close(), c?.close()]);
});

describe("copies across three undersign sites", () => {
  let bea: Browser;
  let cat: Browser;

  it("B copies A's Declaration by its address: the text comes as Markdown, version 1, and B's copy links to it", async () => {
    bea = await login(b, "bea");
    const { html, ref } = await copyElsewhere(b, bea, `${a.origin}/d/rights`, "rights-b", "Digital Rights (B)", B1);
    expect(textareaText(html, "body")).toBe(A1);
    expect(ref).toBe(`${a.origin}/d/rights/v/1`);
    expect(html).not.toContain("converted-warning");
    const copy = getDeclarationBySlug(b.db, "rights-b")!;
    expect(copy).toMatchObject({
      sourceDeclarationId: null,
      sourceRevision: 1,
      sourceUrl: `${a.origin}/d/rights/v/1`,
      sourceTitle: "Digital Rights",
    });
    const page = await (await get(b, "/d/rights-b")).text();
    expect(page).toContain(`href="${a.origin}/d/rights/v/1"`);
    // The Proposed Changes are computed against the kept remote text.
    expect(pageText(page)).toContain("Proposed Changes");
    expect(pageText(page)).toContain("owns and controls");
  });

  it("A learns of B's copy (checked on B), lists it with its diff and count, and B's actor follows A's", async () => {
    await deliver(b);
    const copies = listRemoteCopies(a.db, getDeclarationBySlug(a.db, "rights")!.id);
    expect(copies).toHaveLength(1);
    const words = diffSummary(diffDeclarations(A1, B1)).wordsChanged;
    expect(copies[0]).toMatchObject({
      host: b.host,
      title: "Digital Rights (B)",
      sourceRevision: 1,
      revision: 1,
      wordsChanged: words,
      signatureCount: 0,
      status: "ok",
    });
    const followers = a.db.$client
      .prepare("SELECT r.uri FROM followers f JOIN remote_actors r ON r.id = f.actor_id")
      .all() as { uri: string }[];
    expect(followers.map((f) => f.uri)).toContain(`${b.origin}/d/rights-b`);
    const text = pageText(await (await get(a, "/d/rights/copies")).text());
    expect(text).toContain("Copies elsewhere");
    expect(text).toContain(`Digital Rights (B) on ${b.host}`);
    expect(text).toContain(`${words} words changed`);
  });

  it("C copies B's copy by its handle; B lists C's copy", async () => {
    cat = await login(c, "cat");
    await copyElsewhere(c, cat, `@rights-b@${b.host}`, "rights-c", "Digital Rights (C)", C1);
    expect(getDeclarationBySlug(c.db, "rights-c")).toMatchObject({
      sourceUrl: `${b.origin}/d/rights-b/v/1`,
      sourceRevision: 1,
    });
    await deliver(c);
    const copies = listRemoteCopies(b.db, getDeclarationBySlug(b.db, "rights-b")!.id);
    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatchObject({
      host: c.host,
      title: "Digital Rights (C)",
      wordsChanged: diffSummary(diffDeclarations(B1, C1)).wordsChanged,
    });
    // C's lineage goes up the chain: B's copy, and A's original behind it (kept when C copied).
    const cText = pageText(await (await get(c, "/d/rights-c/copies")).text());
    expect(cText).toContain(`Copied from another site: Digital Rights (B) on ${b.host}`);
    expect(cText).toContain(`which is a copy of Digital Rights on ${a.host}, version 1`);
    // A knows its direct copy only.
    expect(listRemoteCopies(a.db, getDeclarationBySlug(a.db, "rights")!.id)).toHaveLength(1);
    const text = pageText(await (await get(b, "/d/rights-b/copies")).text());
    expect(text).toContain(`Digital Rights (C) on ${c.host}`);
    expect(text).toContain(`Copied from another site: Digital Rights on ${a.host}`);
    // B's own line: how much it differs from A's version it copied, compared across sites.
    expect(text).toContain(
      `copied from version 1 of Digital Rights · ${diffSummary(diffDeclarations(A1, B1)).wordsChanged} words changed`,
    );
    const bLinks =
      (await (await get(b, "/d/rights-b/copies")).text()).match(/href="(\/compare\/elsewhere\?[^"]*)"/g) ?? [];
    expect(bLinks.some((l) => decodeURIComponent(l).includes(`${a.origin}/d/rights/v/1`))).toBe(true);
  });

  it("shows signatures as the copies report them (refreshed by the copy's digest), and the family's total", async () => {
    const copy = getDeclarationBySlug(b.db, "rights-b")!;
    for (let i = 0; i < 3; i++) addSignature(b.db, copy);
    a.db.$client.prepare("UPDATE declarations SET signature_count = 5 WHERE slug = 'rights'").run();
    // B's hourly digest goes to its followers and to the source's actor, which reads the count again.
    await createDuePosts(b.runtime.data, new Date(Date.now() + 1000), 1);
    await deliver(b);
    expect(listRemoteCopies(a.db, getDeclarationBySlug(a.db, "rights")!.id)[0]!.signatureCount).toBe(3);
    const text = pageText(await (await get(a, "/d/rights/copies")).text());
    expect(text).toContain("8 signatures in this family of 2 Declarations");
    expect(text).toContain("(5 here, 3 as reported by 1 other site)");
    expect(text).toContain("3 signatures (reported)");
  });

  it("A publishes version 2; B sees it and takes it in: one change applies, one conflict is resolved", async () => {
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
    await deliver(a);
    const copy = getDeclarationBySlug(b.db, "rights-b")!;
    expect(getRemoteSource(b.db, copy.id)).toMatchObject({ latestRevision: 2, latestUrl: `${a.origin}/d/rights/v/2` });
    const edit = pageText(await (await get(b, "/d/rights-b/edit", bea)).text());
    expect(edit).toContain("The source of this copy has a new version (2)");

    const mergeHtml = await (await get(b, "/d/rights-b/merge", bea)).text();
    const merge = pageText(mergeHtml);
    expect(merge).toContain("Take in version 2 of the source");
    expect(merge).toContain("1 conflict");
    expect(merge).toContain("Everyone owns and controls their data.");
    expect(merge).toContain("Everyone owns their data, and can take it anywhere.");

    // The owner keeps their own wording of the conflicting paragraph.
    const resolved = await post(b, bea, "/d/rights-b/merge", {
      base: "1",
      upstream: "2",
      "choice-0": "ours",
      action: "resolve",
    });
    expect(resolved.status).toBe(200);
    const editorHtml = await resolved.text();
    const merged = textareaText(editorHtml, "body")!;
    expect(merged).toContain("Private messages stay private, end to end.");
    expect(merged).toContain("Everyone owns and controls their data.");
    expect(merged).not.toContain("can take it anywhere");

    const saved = await post(b, bea, "/d/rights-b/merge", {
      base: "1",
      upstream: "2",
      step: "edit",
      title: "Digital Rights (B)",
      summary: "",
      body: merged,
      changeSummary: textareaText(editorHtml, "changeSummary") ?? inputValue(editorHtml, "changeSummary") ?? "",
      action: "save",
    });
    expect(saved.status, pageText(await saved.clone().text()).slice(0, 500)).toBe(303);
    expect(getDeclarationBySlug(b.db, "rights-b")).toMatchObject({
      revision: 2,
      sourceRevision: 2,
      sourceUrl: `${a.origin}/d/rights/v/2`,
    });
    // The Proposed Changes are now against A's version 2: only B's own wording remains a change.
    const page = pageText(await (await get(b, "/d/rights-b")).text());
    expect(page).toContain("version 2");
    expect(page).not.toContain("end to end. Added");
  });

  it("C sees B's new version, and A sees B's copy now made from its version 2", async () => {
    await deliver(b);
    const copyC = getDeclarationBySlug(c.db, "rights-c")!;
    expect(getRemoteSource(c.db, copyC.id)).toMatchObject({
      latestRevision: 2,
      latestUrl: `${b.origin}/d/rights-b/v/2`,
    });
    const cat2 = await login(c, "cat");
    expect(pageText(await (await get(c, "/d/rights-c/merge", cat2)).text())).toContain(
      "Take in version 2 of the source",
    );
    const copyOnA = listRemoteCopies(a.db, getDeclarationBySlug(a.db, "rights")!.id)[0]!;
    const bBody = b.db.$client
      .prepare(
        "SELECT body FROM revisions r JOIN declarations d ON d.id = r.declaration_id WHERE d.slug = 'rights-b' AND r.number = 2",
      )
      .get() as { body: string };
    expect(copyOnA).toMatchObject({
      revision: 2,
      sourceRevision: 2,
      wordsChanged: diffSummary(diffDeclarations(A2, bBody.body)).wordsChanged,
    });
  });

  it("compares revisions across sites (fetched once, then kept)", async () => {
    const url = `/compare/elsewhere?${new URLSearchParams({ a: `${a.origin}/d/rights/v/1`, b: `${b.origin}/d/rights-b/v/2` })}`;
    const res = await get(a, url);
    expect(res.status).toBe(200);
    const text = pageText(await res.text());
    expect(text).toContain(`version 2 on ${b.host}`);
    const kept = () =>
      (
        a.db.$client
          .prepare("SELECT count(*) AS n FROM remote_revisions WHERE url = ?")
          .get(`${b.origin}/d/rights-b/v/2`) as { n: number }
      ).n;
    expect(kept()).toBe(1);
    expect((await get(a, url)).status).toBe(200);
    expect(kept()).toBe(1);
    // The form: empty, then with one side missing (the other kept, the missing one named).
    const form = await get(a, "/compare/elsewhere");
    expect(form.status).toBe(200);
    expect(pageText(await form.text())).toContain("Compare across sites");
    const half = await get(a, `/compare/elsewhere?${new URLSearchParams({ a: `${a.origin}/d/rights/v/1`, b: "" })}`);
    expect(half.status).toBe(400);
    const halfHtml = await half.text();
    expect(pageText(/<p class="field-error" id="b-error">([\s\S]*?)<\/p>/.exec(halfHtml)![1]!)).toContain(
      "Please give the address of a version",
    );
    expect(inputValue(halfHtml, "a")).toBe(`${a.origin}/d/rights/v/1`);
    expect(halfHtml).not.toContain('id="a-error"');
    // A site it knows nothing of is not fetched.
    const unknown = await get(
      a,
      `/compare/elsewhere?${new URLSearchParams({ a: `${a.origin}/d/rights/v/1`, b: "http://127.0.0.2:9/d/x/v/1" })}`,
    );
    expect(unknown.status).toBe(400);
    expect(pageText(await unknown.text())).toContain("is not one of them");
  });

  it("marks a deleted copy and an unreachable one, and keeps listing both", async () => {
    c.db.$client.prepare("DELETE FROM declarations WHERE slug = 'rights-c'").run();
    await refreshStaleRemoteLinks(b.runtime.data, new URL(b.origin), new Date(), 0);
    expect(listRemoteCopies(b.db, getDeclarationBySlug(b.db, "rights-b")!.id)[0]!.status).toBe("deleted");
    expect(pageText(await (await get(b, "/d/rights-b/copies")).text())).toContain("deleted on its site");

    await b.close();
    await refreshStaleRemoteLinks(a.runtime.data, new URL(a.origin), new Date(), 0);
    const copyOnA = listRemoteCopies(a.db, getDeclarationBySlug(a.db, "rights")!.id)[0]!;
    expect(copyOnA).toMatchObject({ status: "unreachable", title: "Digital Rights (B)", signatureCount: 3 });
    const text = pageText(await (await get(a, "/d/rights/copies")).text());
    expect(text).toContain("Digital Rights (B)");
    expect(text).toContain("did not answer");
  });
});
