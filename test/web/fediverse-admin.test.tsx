/** The site owner's federation page: reports and domain blocks. */
import { describe, expect, it } from "vitest";
import { createAccount } from "../../src/db/accounts.ts";
import { addDomainBlock, addFollower, countFollowers, listDomainBlocks } from "../../src/db/fediverse.ts";
import { fedReports } from "../../src/db/schema.ts";
import { parseDomain } from "../../src/web/admin/federation-admin.tsx";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { getAs, loggedIn } from "../helpers/accounts.ts";
import { fediverseSignature, remoteActor, report } from "../helpers/fediverse-rows.ts";
import { pageText, postForm, statusNotices, storedCount, tags, textareaText } from "../helpers/forms.ts";
import { readSigningReactions } from "../../src/federation/index.ts";
import { recountSignatures } from "../../src/db/signatures.ts";

const PAGE = "/admin/federation";

async function setup(env: Record<string, string> = {}) {
  const t = await createTestApp({ env });
  const d = addDeclaration(t.db);
  createAccount(t.db, { username: "boss", passwordHash: "unused", role: "admin" });
  const boss = await loggedIn(t, "boss");
  return { t, d, boss };
}

function block(
  t: Awaited<ReturnType<typeof setup>>["t"],
  fields: Record<string, string>,
  csrf: Awaited<ReturnType<typeof loggedIn>> | null,
) {
  return postForm(t.app, `${PAGE}/blocks`, fields, { csrf });
}

describe("/admin/federation", () => {
  it("is for admins only: login for nobody, 403 for authors; /admin links to it", async () => {
    const { t, boss } = await setup();
    const anonymous = await t.app.request(PAGE);
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get("location")).toBe(`/login?next=${PAGE}`);
    expect((await getAs(t, PAGE, await loggedIn(t, "author"))).status).toBe(403);
    const author = await loggedIn(t, "author");
    expect(
      (await postForm(t.app, `${PAGE}/blocks`, { domain: "spam.example", reason: "" }, { csrf: author })).status,
    ).toBe(403);
    expect(listDomainBlocks(t.db)).toEqual([]);
    const admin = await getAs(t, "/admin", boss);
    expect(tags(await admin.text(), "a").map((a) => a.href)).toContain(PAGE);
    const page = await getAs(t, PAGE, boss);
    expect(page.status).toBe(200);
    expect(page.headers.get("cache-control")).toBe("no-store");
  });

  it("lists open reports with sender, Declaration, objects, text and date; Resolved folds one away", async () => {
    const { t, d, boss } = await setup();
    remoteActor(t.db, "mod", { host: "social.example" });
    const open = report(t.db, d.id, "Spam, please look.\nSecond line.", "https://social.example/users/mod");
    const other = report(t.db, null, "");
    let html = await (await getAs(t, PAGE, boss)).text();
    let text = pageText(html);
    expect(text).toContain("From @mod@social.example about test-declaration");
    expect(text).toContain("Spam, please look.");
    expect(text).toContain("No comment was sent with this report.");
    expect(text).toContain("no Declaration of this site");
    expect(text).toContain("2 reported objects");
    expect(tags(html, "form").map((f) => f.action)).toEqual(
      expect.arrayContaining([`${PAGE}/reports/${open}/resolve`, `${PAGE}/reports/${other}/resolve`]),
    );

    const res = await postForm(t.app, `${PAGE}/reports/${open}/resolve`, {}, { csrf: boss });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`${PAGE}?done=resolved`);
    html = await (await getAs(t, `${PAGE}?done=resolved`, boss)).text();
    text = pageText(html);
    expect(text).toContain("The report is marked resolved.");
    expect(statusNotices(html)).toEqual(["notice success"]);
    expect(text).toContain("1 resolved report");
    expect(html).toMatch(/<details class="resolved-reports">[\s\S]*Spam, please look\./);
    expect(tags(html, "form").map((f) => f.action)).not.toContain(`${PAGE}/reports/${open}/resolve`);
  });

  it("refuses resolving without a token (403), twice or unknown (404)", async () => {
    const { t, d, boss } = await setup();
    const id = report(t.db, d.id, "x");
    expect(
      (await postForm(t.app, `${PAGE}/reports/${id}/resolve`, {}, { csrf: { cookie: boss.cookie, csrf: "nope" } }))
        .status,
    ).toBe(403);
    expect(t.db.select().from(fedReports).get()!.resolved).toBeNull();
    expect((await postForm(t.app, `${PAGE}/reports/${id}/resolve`, {}, { csrf: boss })).status).toBe(303);
    const twice = await postForm(t.app, `${PAGE}/reports/${id}/resolve`, {}, { csrf: boss });
    expect(twice.status).toBe(404);
    const refused = await twice.text();
    expect(pageText(refused)).toContain("That report does not exist or was resolved already.");
    // A refusal is not shown in the colour of success.
    expect(statusNotices(refused)).toEqual(["notice"]);
    expect((await postForm(t.app, `${PAGE}/reports/999/resolve`, {}, { csrf: boss })).status).toBe(404);
    expect((await postForm(t.app, `${PAGE}/reports/abc/resolve`, {}, { csrf: boss })).status).toBe(404);
  });

  it("blocks a domain (normalised), drops its accounts' follows, lists it and unblocks it", async () => {
    const { t, d, boss } = await setup();
    const spammer = remoteActor(t.db, "spammer", { host: "a.spam.example" });
    addFollower(t.db, d.id, spammer.id, null, new Date());
    const res = await block(t, { domain: "  Spam.Example. ", reason: "  Sends   spam " }, boss);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`${PAGE}?done=blocked`);
    expect(listDomainBlocks(t.db)).toMatchObject([{ domain: "spam.example", reason: "Sends spam" }]);
    expect(countFollowers(t.db, d.id)).toBe(0);
    expect((await block(t, { domain: "Bücher.example", reason: "" }, boss)).status).toBe(303);
    expect(listDomainBlocks(t.db).map((b) => b.domain)).toEqual(["spam.example", "xn--bcher-kva.example"]);

    const html = await (await getAs(t, PAGE, boss)).text();
    expect(pageText(html)).toContain("spam.example Sends spam");
    const unblock = await postForm(t.app, `${PAGE}/blocks/remove`, { domain: "spam.example" }, { csrf: boss });
    expect(unblock.status).toBe(303);
    expect(listDomainBlocks(t.db).map((b) => b.domain)).toEqual(["xn--bcher-kva.example"]);
    expect((await postForm(t.app, `${PAGE}/blocks/remove`, { domain: "spam.example" }, { csrf: boss })).status).toBe(
      404,
    );
  });

  it.each([
    ["", 400, "Please enter the domain to block"],
    ["https://spam.example", 400, "without https:// or a path"],
    ["spam.example/path", 400, "without https:// or a path"],
    ["alice@spam.example", 400, "without https:// or a path"],
    ["spam.example:8080", 400, "no spaces or port number"],
    ["spam example", 400, "no spaces or port number"],
    ["localhost", 400, "is not a domain name"],
    ["-bad-.example", 400, "is not a domain name"],
    ["1.2.3.4", 400, "is not a domain name"],
    ["undersign.test", 400, "This is this site’s own domain."],
  ])("refuses the domain %j (%i), naming the field and keeping the input", async (domain, status, message) => {
    const { t, boss } = await setup();
    const res = await block(t, { domain, reason: "my reason" }, boss);
    expect(res.status).toBe(status);
    const html = await res.text();
    expect(pageText(html)).toContain("Please check this field: Domain : ");
    expect(pageText(html)).toContain(message);
    const inputs = tags(html, "input");
    expect(inputs.find((i) => i.name === "domain" && i.id === "block-domain")?.value).toBe(domain);
    expect(inputs.find((i) => i.name === "reason")?.value).toBe("my reason");
    expect(listDomainBlocks(t.db)).toEqual([]);
  });

  it("refuses an over-long reason (400) and a domain already blocked, or under a blocked parent (409)", async () => {
    const { t, boss } = await setup();
    let res = await block(t, { domain: "spam.example", reason: "x".repeat(501) }, boss);
    expect(res.status).toBe(400);
    expect(pageText(await res.text())).toContain("Reason : The reason is longer than 500 characters.");
    addDomainBlock(t.db, "spam.example", "", new Date());
    res = await block(t, { domain: "SPAM.example", reason: "" }, boss);
    expect(res.status).toBe(409);
    expect(pageText(await res.text())).toContain("Domain : spam.example is blocked already.");
    res = await block(t, { domain: "mail.spam.example", reason: "" }, boss);
    expect(res.status).toBe(409);
    expect(pageText(await res.text())).toContain("as part of a parent domain that is blocked");
    expect(listDomainBlocks(t.db)).toHaveLength(1);
  });

  it("refuses a missing token (403) and writes nothing", async () => {
    const { t, boss } = await setup();
    const res = await block(t, { domain: "spam.example", reason: "" }, { cookie: boss.cookie, csrf: "forged" });
    expect(res.status).toBe(403);
    expect(listDomainBlocks(t.db)).toEqual([]);
  });
});

describe("/admin/federation: fediverse signatures by server", () => {
  async function withSigners(env: Record<string, string> = {}) {
    const { t, d, boss } = await setup(env);
    for (const user of ["ann", "bob", "cid"])
      fediverseSignature(t.db, d, remoteActor(t.db, user, { host: "spam.example" }));
    fediverseSignature(t.db, d, remoteActor(t.db, "dee", { host: "good.example" }));
    return { t, d, boss };
  }
  const statuses = (t: Awaited<ReturnType<typeof setup>>["t"]) =>
    t.db.$client
      .prepare(
        "SELECT a.host, s.status FROM signatures s LEFT JOIN remote_actors a ON a.id = s.remote_actor_id ORDER BY s.id",
      )
      .all();

  it("lists each server with its counted and held signatures, and the limit on new signers", async () => {
    const { t, boss } = await withSigners({ FEDIVERSE_SIGNERS_PER_SERVER: "20/10m,200/1d" });
    const text = pageText(await (await getAs(t, PAGE, boss)).text());
    expect(text).toContain(
      "New signers from one server beyond 20 new signers per 10 minutes and 200 new signers per 1 day are held",
    );
    expect(text).toContain("spam.example 3 counted, 0 held");
    expect(text).toContain("good.example 1 counted, 0 held");
    expect(text.indexOf("spam.example")).toBeLessThan(text.indexOf("good.example"));
    const unlimited = await setup();
    expect(pageText(await (await getAs(unlimited.t, PAGE, unlimited.boss)).text())).toContain(
      "Every new fediverse signature is counted at once, unless its server is on hold.",
    );
  });

  it("holds a server (uncounted, counts exact), lists its held signers, counts one and releases the rest", async () => {
    const { t, d, boss } = await withSigners();
    const res = await postForm(t.app, `${PAGE}/servers/hold`, { host: "Spam.Example" }, { csrf: boss });
    expect(res.status).toBe(303);
    expect(storedCount(t.db)).toBe(1);
    expect(recountSignatures(t.db, false)).toEqual([]);
    // New signatures from a held server are held too.
    fediverseSignature(t.db, d, remoteActor(t.db, "eve", { host: "spam.example" }));
    expect(storedCount(t.db)).toBe(1);
    const html = await (await getAs(t, `${PAGE}?done=held`, boss)).text();
    expect(pageText(html)).toContain("spam.example 0 counted, 4 held — on hold");
    expect(pageText(html)).toContain("4 held signatures");
    expect(pageText(html)).toContain("Ann Example @ann@spam.example signed test-declaration");
    const countOne = tags(html, "form").find((f) => /\/held\/\d+\/release$/.test(f.action ?? ""))!.action!;
    expect((await postForm(t.app, countOne, { host: "spam.example" }, { csrf: boss })).status).toBe(303);
    expect(storedCount(t.db)).toBe(2);
    expect((await postForm(t.app, countOne, { host: "spam.example" }, { csrf: boss })).status).toBe(404);
    expect((await postForm(t.app, `${PAGE}/servers/release`, { host: "spam.example" }, { csrf: boss })).status).toBe(
      303,
    );
    expect(storedCount(t.db)).toBe(5);
    expect(recountSignatures(t.db, false)).toEqual([]);
  });

  it("removes a server's signatures only with the box ticked (400 otherwise, nothing removed)", async () => {
    const { t, boss } = await withSigners();
    const refused = await postForm(t.app, `${PAGE}/servers/remove`, { host: "spam.example" }, { csrf: boss });
    expect(refused.status).toBe(400);
    expect(pageText(await refused.text())).toContain(
      "Tick “Yes, remove them” to remove every signature from spam.example. Nothing was removed.",
    );
    expect(storedCount(t.db)).toBe(4);
    const res = await postForm(
      t.app,
      `${PAGE}/servers/remove`,
      { host: "spam.example", confirm: "yes" },
      { csrf: boss },
    );
    expect(res.status).toBe(303);
    expect(storedCount(t.db)).toBe(1);
    expect(statuses(t)).toEqual([
      { host: null, status: "withdrawn" },
      { host: null, status: "withdrawn" },
      { host: null, status: "withdrawn" },
      { host: "good.example", status: "confirmed" },
    ]);
    expect(
      t.db.$client
        .prepare("SELECT count(*) AS n FROM signatures WHERE status = 'withdrawn' AND name IS NOT NULL")
        .get(),
    ).toEqual({ n: 0 });
    expect(recountSignatures(t.db, false)).toEqual([]);
  });

  it("refuses an unknown server (404), a forged form (403) and authors (403)", async () => {
    const { t, boss } = await withSigners();
    expect((await postForm(t.app, `${PAGE}/servers/hold`, { host: "nowhere.example" }, { csrf: boss })).status).toBe(
      404,
    );
    expect(
      (
        await postForm(
          t.app,
          `${PAGE}/servers/hold`,
          { host: "spam.example" },
          { csrf: { cookie: boss.cookie, csrf: "forged" } },
        )
      ).status,
    ).toBe(403);
    expect(
      (
        await postForm(
          t.app,
          `${PAGE}/servers/remove`,
          { host: "spam.example", confirm: "yes" },
          { csrf: await loggedIn(t, "author") },
        )
      ).status,
    ).toBe(403);
    expect((await postForm(t.app, `${PAGE}/held/1/remove`, { host: "spam.example" }, { csrf: boss })).status).toBe(404);
    expect(storedCount(t.db)).toBe(4);
  });
});

describe("/admin/federation: which reactions sign", () => {
  it("shows the default set, saves a new one, and refuses what is not an emoji (400, input kept)", async () => {
    const { t, boss } = await setup();
    let html = await (await getAs(t, PAGE, boss)).text();
    expect(textareaText(html, "emoji")).toContain("❤️ ♥️ 💖");
    expect(tags(html, "input").find((i) => i.name === "favourite")?.checked).toBe("");
    const bad = await postForm(t.app, `${PAGE}/signing`, { emoji: "👍 yes ✍️", favourite: "yes" }, { csrf: boss });
    expect(bad.status).toBe(400);
    html = await bad.text();
    expect(pageText(html)).toContain(
      "Please check this field: Emoji that sign : “yes” is not an emoji or a custom emoji’s :shortcode:.",
    );
    expect(textareaText(html, "emoji")).toBe("👍 yes ✍️");
    expect(readSigningReactions(t.db).emoji).toContain("❤️");
    const ok = await postForm(t.app, `${PAGE}/signing`, { emoji: "👍✍️, :sign: 👍🏽" }, { csrf: boss });
    expect(ok.status).toBe(303);
    expect(readSigningReactions(t.db)).toEqual({ favourite: false, emoji: ["👍", "✍️", ":sign:"] });
    html = await (await getAs(t, PAGE, boss)).text();
    expect(textareaText(html, "emoji")).toBe("👍 ✍️ :sign:");
    expect((await postForm(t.app, `${PAGE}/signing`, { emoji: "x".repeat(2001) }, { csrf: boss })).status).toBe(400);
    expect(
      (await postForm(t.app, `${PAGE}/signing`, { emoji: "👍" }, { csrf: { cookie: boss.cookie, csrf: "forged" } }))
        .status,
    ).toBe(403);
  });
});

describe("parseDomain", () => {
  it("normalises and validates", () => {
    expect(parseDomain("Example.COM")).toEqual({ ok: true, domain: "example.com" });
    expect(parseDomain("münchen.example")).toEqual({ ok: true, domain: "xn--mnchen-3ya.example" });
    expect(parseDomain("a.b.c.example.")).toEqual({ ok: true, domain: "a.b.c.example" });
    expect(parseDomain("ex_ample.com").ok).toBe(false);
    expect(parseDomain(`${"a".repeat(64)}.example`).ok).toBe(false);
  });
});
