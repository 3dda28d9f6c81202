/**
 * Reports from other servers: a `Flag` exactly as Mastodon's FlagSerializer
 * sends it (the instance actor, object [reported account, ...statuses], the
 * comment, sent to the reported account's inbox), really signed by a stand-in
 * server, lands in the site owner's one queue beside visitors' reports and is
 * resolved there; an unsigned, tampered or forged Flag stores nothing.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAccount, createSession, findAccountByUsername } from "../../src/db/accounts.ts";
import { getDeclarationBySlug } from "../../src/db/declarations.ts";
import { getAs } from "../helpers/accounts.ts";
import { startFediverseServer, type FediverseServer } from "../helpers/fediverse.ts";
import { mastodon } from "../helpers/fediverse-shapes.ts";
import { csrfFrom, pageText, postForm, tags } from "../helpers/forms.ts";
import { publishDeclaration, startInstance, type TestInstance } from "../helpers/instance.ts";

let site: TestInstance;
let remote: FediverseServer;
let actorUri: string;
let noteUri: string;
let inbox: string;
let sharedInbox: string;

const rows = (sql: string) => site.db.$client.prepare(sql).all() as Record<string, unknown>[];

async function boss() {
  if (findAccountByUsername(site.db, "boss") == null)
    createAccount(site.db, { username: "boss", passwordHash: "unused", role: "admin" });
  const { token } = createSession(site.db, findAccountByUsername(site.db, "boss")!.id);
  const pair = await csrfFrom(site.app, "/login");
  // The site runs on http://127.0.0.1: its session cookie has no __Host- prefix.
  return { cookie: `${pair.cookie}; session=${token}`, csrf: pair.csrf };
}

beforeAll(async () => {
  site = await startInstance();
  ({ actor: actorUri, inbox, sharedInbox, note: noteUri } = await publishDeclaration(site, "rights", "Rights"));
  remote = await startFediverseServer({ users: ["mona", "eve"] });
}, 60_000);

afterAll(async () => {
  await remote?.close();
  await site?.close();
});

beforeEach(() => {
  site.db.$client.prepare("DELETE FROM fed_reports").run();
  site.db.$client.prepare("DELETE FROM visitor_reports").run();
  site.db.$client.prepare("UPDATE declarations SET status = 'published', hidden = 0").run();
});

describe("a Flag from Mastodon", () => {
  it("sent to the Declaration's inbox by the instance actor, lands in the queue with visitors' reports; the owner unpublishes from it", async () => {
    const flag = mastodon.flag(remote.instanceActorUri, actorUri, [noteUri], "Impersonates our group");
    const response = await remote.postSigned({ inbox, json: flag, user: "__instance__" });
    expect(response.status).toBe(202);
    expect(rows("SELECT activity_uri, content, declaration_id IS NOT NULL AS linked FROM fed_reports")).toEqual([
      { activity_uri: flag.id, content: "Impersonates our group", linked: 1 },
    ]);

    const owner = await boss();
    const report = await postForm(
      site.app,
      "/d/rights/report",
      { reason: "A visitor also thinks so." },
      { csrf: await csrfFrom(site.app, "/d/rights/report") },
    );
    expect(report.status).toBe(303);
    const page = await (await getAs(site, "/admin/declarations", owner)).text();
    const text = pageText(page);
    expect(text).toContain("Another server reported Rights");
    expect(text).toContain("Impersonates our group");
    expect(text).toContain("A visitor reported Rights");
    const id = rows("SELECT id FROM fed_reports")[0]!.id as number;
    expect(tags(page, "form").map((f) => f.action)).toContain(`/admin/declarations/reports/flag/${id}`);

    const resolved = await postForm(
      site.app,
      `/admin/declarations/reports/flag/${id}`,
      { resolution: "unpublish", reason: "Reported from another server" },
      { csrf: owner },
    );
    expect(resolved.status).toBe(303);
    expect(getDeclarationBySlug(site.db, "rights")!.status).toBe("withdrawn");
    // Acting on the Declaration resolves every open report about it.
    expect(rows("SELECT resolution FROM fed_reports")).toEqual([{ resolution: "unpublished" }]);
    expect(rows("SELECT resolution FROM visitor_reports")).toEqual([{ resolution: "unpublished" }]);
    expect(pageText(await (await getAs(site, "/admin/declarations", owner)).text())).toContain("No open reports.");
  });

  it("a Flag without an id (older Mastodon) is kept once, however often it comes", async () => {
    const flag: Record<string, unknown> = mastodon.flag(remote.instanceActorUri, actorUri, [], "No id");
    delete flag.id;
    for (let i = 0; i < 2; i++)
      expect((await remote.postSigned({ inbox: sharedInbox, json: flag, user: "__instance__" })).status).toBe(202);
    expect(rows("SELECT content FROM fed_reports")).toEqual([{ content: "No id" }]);
  });

  it("an unsigned Flag, a Flag whose body was changed after signing, and one signed by another account are refused", async () => {
    const flag = mastodon.flag(remote.actorUri("eve"), actorUri, [noteUri], "Unsigned");
    const unsigned = await fetch(inbox, {
      method: "POST",
      headers: { "content-type": "application/activity+json" },
      body: JSON.stringify(flag),
    });
    expect(unsigned.status).toBe(401);

    const request = await remote.signedRequest({ inbox, json: { ...flag, content: "Signed" }, user: "eve" });
    const tampered = await fetch(request.url, {
      method: "POST",
      headers: request.headers,
      body: JSON.stringify({ ...flag, content: "Tampered" }),
    });
    expect(tampered.status).toBeGreaterThanOrEqual(400);
    expect(tampered.status).toBeLessThan(500);

    // Signed by mona, claiming to be eve.
    const impersonated = await remote.postSigned({ inbox, json: { ...flag, content: "Not eve" }, user: "mona" });
    expect(impersonated.status).toBeLessThan(500);
    expect(rows("SELECT * FROM fed_reports")).toEqual([]);
    expect(pageText(await (await getAs(site, "/admin/declarations", await boss())).text())).toContain(
      "No open reports.",
    );
  });
});
