/**
 * Our inbox, fed the exact JSON that Mastodon, Misskey and Pleroma send
 * (test/helpers/fediverse-shapes.ts), really signed by accounts on a stand-in
 * server; then forged, mismatched, replayed, oversized and blocked requests.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getDeclarationBySlug } from "../../src/db/declarations.ts";
import { addDomainBlock, addFollower, removeDomainBlock, upsertRemoteActor } from "../../src/db/fediverse.ts";
import { startFediverseServer, type FediverseServer } from "../helpers/fediverse.ts";
import { mastodon, misskey, pleroma } from "../helpers/fediverse-shapes.ts";
import { addDeclaration, publishDeclaration, startInstance, type TestInstance } from "../helpers/instance.ts";

let site: TestInstance;
let remote: FediverseServer;
let actorUri: string;
let noteUri: string;
let inbox: string;
let sharedInbox: string;

const count = () => getDeclarationBySlug(site.db, "rights")!.signatureCount;
const rows = (sql: string) => site.db.$client.prepare(sql).all() as Record<string, unknown>[];

async function send(
  user: string,
  json: object,
  extra: { spec?: "rfc9421" | "draft-cavage-http-signatures-12"; to?: string } = {},
) {
  const response = await remote.postSigned({
    inbox: extra.to ?? sharedInbox,
    json,
    user,
    ...(extra.spec ? { spec: extra.spec } : {}),
  });
  return { status: response.status, text: await response.text() };
}

beforeAll(async () => {
  site = await startInstance();
  ({ actor: actorUri, inbox, sharedInbox, note: noteUri } = await publishDeclaration(site, "rights", "Rights"));
  remote = await startFediverseServer({ users: ["mona", "misa", "plum", "eve"] });
}, 60_000);

afterAll(async () => {
  await remote?.close();
  await site?.close();
});

beforeEach(() => {
  for (const table of [
    "fed_reactions",
    "fed_boosts",
    "fed_responses",
    "followers",
    "fed_reports",
    "domain_blocks",
    "fed_undone",
  ])
    site.db.$client.prepare(`DELETE FROM ${table}`).run();
  site.db.$client.prepare("DELETE FROM signatures").run();
  site.db.$client.prepare("UPDATE declarations SET signature_count = 0").run();
});

describe("Mastodon's shapes", () => {
  it("Follow and Undo(Follow) with the Follow embedded", async () => {
    const mona = remote.actorUri("mona");
    const follow = mastodon.follow(mona, actorUri);
    expect((await send("mona", follow, { to: inbox })).status).toBe(202);
    expect(rows("SELECT follow_uri FROM followers")).toEqual([{ follow_uri: follow.id }]);
    await remote.waitFor((a) => a.type === "Accept" && (a.json.object as { id?: string }).id === follow.id);
    expect(
      (await send("mona", mastodon.undoFollow(mona, actorUri, { id: follow.id as string }), { to: inbox })).status,
    ).toBe(202);
    expect(rows("SELECT * FROM followers")).toEqual([]);
  });

  it("Like → a fediverse signature; Undo(Like) → withdrawn", async () => {
    const mona = remote.actorUri("mona");
    const like = mastodon.like(mona, noteUri, { n: "111" });
    expect((await send("mona", like)).status).toBe(202);
    expect(count()).toBe(1);
    expect(rows("SELECT kind, status, name FROM signatures")).toEqual([
      { kind: "fediverse", status: "confirmed", name: "Mona" },
    ]);
    expect((await send("mona", mastodon.undoLike(mona, noteUri, { n: "111" }))).status).toBe(202);
    expect(count()).toBe(0);
    expect(rows("SELECT status, name, remote_actor_id FROM signatures")).toEqual([
      { status: "withdrawn", name: null, remote_actor_id: null },
    ]);
  });

  it("also over RFC 9421 signatures (the second one checked against the key we then hold)", async () => {
    expect(
      (await send("mona", mastodon.like(remote.actorUri("mona"), noteUri, { n: "91" }), { spec: "rfc9421" })).status,
    ).toBe(202);
    expect(
      (await send("mona", mastodon.like(remote.actorUri("mona"), noteUri, { n: "92" }), { spec: "rfc9421" })).status,
    ).toBe(202);
    expect((await send("mona", mastodon.like(remote.actorUri("mona"), noteUri, { n: "93" }))).status).toBe(202);
    expect(count()).toBe(1);
    expect(rows("SELECT activity_uri FROM fed_reactions")).toEqual([
      { activity_uri: `${remote.actorUri("mona")}#likes/93` },
    ]);
  });

  it("Announce and Undo(Announce)", async () => {
    const mona = remote.actorUri("mona");
    expect((await send("mona", mastodon.announce(mona, noteUri, actorUri, { n: "7" }))).status).toBe(202);
    expect(rows("SELECT count(*) AS n FROM fed_boosts")).toEqual([{ n: 1 }]);
    expect((await send("mona", mastodon.undoAnnounce(mona, noteUri, actorUri, { n: "7" }))).status).toBe(202);
    expect(rows("SELECT count(*) AS n FROM fed_boosts")).toEqual([{ n: 0 }]);
  });

  it("a public reply becomes a response; a Delete of its Tombstone removes it", async () => {
    const mona = remote.actorUri("mona");
    const create = mastodon.reply(
      mona,
      noteUri,
      { mention: { href: actorUri, name: `@rights@${site.host}` } },
      { n: "55" },
    );
    expect((await send("mona", create)).status).toBe(202);
    const [response] = rows("SELECT uri, url, content_html FROM fed_responses");
    expect(response!.uri).toBe(`${mona}/statuses/55`);
    expect(response!.url).toBe(`${remote.origin}/@mona/55`);
    expect(response!.content_html).toContain("I sign this.");
    expect((await send("mona", mastodon.deleteStatus(mona, `${mona}/statuses/55`))).status).toBe(202);
    expect(rows("SELECT * FROM fed_responses")).toEqual([]);
  });

  it("a followers-only reply is not shown", async () => {
    const mona = remote.actorUri("mona");
    const create = mastodon.reply(
      mona,
      noteUri,
      { mention: { href: actorUri, name: "@rights" } },
      { n: "56" },
    ) as Record<string, any>;
    create.to = [`${mona}/followers`];
    create.cc = [actorUri];
    create.object.to = create.to;
    create.object.cc = create.cc;
    expect((await send("mona", create)).status).toBe(202);
    expect(rows("SELECT * FROM fed_responses")).toEqual([]);
  });

  it("Update(Person) refreshes the signer's name", async () => {
    const mona = remote.actorUri("mona");
    await send("mona", mastodon.like(mona, noteUri));
    const update = mastodon.updatePerson(mona, { name: "Mona Lisa", publicKeyPem: await remote.publicKeyPem("mona") });
    expect((await send("mona", update)).status).toBe(202);
    expect(rows(`SELECT name FROM remote_actors WHERE uri = '${mona}'`)).toEqual([{ name: "Mona Lisa" }]);
  });

  it("Flag from the instance actor becomes a report", async () => {
    const flag = mastodon.flag(remote.instanceActorUri, actorUri, [noteUri], "Please look");
    expect((await remote.postSigned({ inbox: sharedInbox, json: flag, user: "__instance__" })).status).toBe(202);
    const [report] = rows("SELECT content, declaration_id IS NOT NULL AS linked FROM fed_reports");
    expect(report).toEqual({ content: "Please look", linked: 1 });
  });
});

describe("Misskey's shapes", () => {
  it("a reaction Like (content + _misskey_reaction) signs; its Undo withdraws", async () => {
    const misa = remote.actorUri("misa");
    const like = misskey.like(misa, noteUri, "👍");
    expect((await send("misa", like)).status).toBe(202);
    expect(count()).toBe(1);
    expect(rows("SELECT kind, content FROM fed_reactions")).toEqual([{ kind: "emoji", content: "👍" }]);
    expect((await send("misa", misskey.undo(misa, like))).status).toBe(202);
    expect(count()).toBe(0);
  });

  it("a custom emoji reaction with an Emoji tag is kept as a reaction; it does not sign unless the owner adds it", async () => {
    const misa = remote.actorUri("misa");
    expect((await send("misa", misskey.like(misa, noteUri, ":blobcat:"))).status).toBe(202);
    expect(count()).toBe(0);
    expect(rows("SELECT kind, content, signs FROM fed_reactions")).toEqual([
      { kind: "emoji", content: ":blobcat:", signs: 0 },
    ]);
  });

  it("the same Follow id after an unfollow is followed again (Misskey reuses it)", async () => {
    const misa = remote.actorUri("misa");
    const follow = misskey.follow(misa, actorUri, { followeeId: "fixed" });
    expect((await send("misa", follow, { to: inbox })).status).toBe(202);
    expect((await send("misa", misskey.undo(misa, follow), { to: inbox })).status).toBe(202);
    expect(rows("SELECT count(*) AS n FROM followers")).toEqual([{ n: 0 }]);
    expect((await send("misa", follow, { to: inbox })).status).toBe(202);
    expect(rows("SELECT count(*) AS n FROM followers")).toEqual([{ n: 1 }]);
  });

  it("a reply with _misskey_content and an MFM source is shown from its HTML", async () => {
    const misa = remote.actorUri("misa");
    const create = misskey.reply(misa, noteUri, {
      mention: { href: actorUri, name: `@rights@${site.host}` },
      html: "<p>Signed from <b>Misskey</b></p>",
    });
    expect((await send("misa", create)).status).toBe(202);
    expect(rows("SELECT content_html FROM fed_responses")).toEqual([
      { content_html: "<p>Signed from <b>Misskey</b></p>" },
    ]);
  });
});

describe("Pleroma's shapes", () => {
  it("EmojiReact with a signing emoji signs; Undo(EmojiReact) withdraws", async () => {
    const plum = remote.actorUri("plum");
    const react = pleroma.emojiReact(plum, noteUri, "✊", { author: actorUri });
    expect((await send("plum", react)).status).toBe(202);
    expect(count()).toBe(1);
    expect((await send("plum", pleroma.undo(plum, react))).status).toBe(202);
    expect(count()).toBe(0);
  });

  it("Like, Announce and a reply with context/conversation", async () => {
    const plum = remote.actorUri("plum");
    expect((await send("plum", pleroma.like(plum, noteUri, { author: actorUri }))).status).toBe(202);
    expect(count()).toBe(1);
    expect((await send("plum", pleroma.announce(plum, noteUri, { author: actorUri }))).status).toBe(202);
    expect(rows("SELECT count(*) AS n FROM fed_boosts")).toEqual([{ n: 1 }]);
    expect(
      (await send("plum", pleroma.reply(plum, noteUri, { mention: { href: actorUri, name: "@rights" } }))).status,
    ).toBe(202);
    expect(rows("SELECT count(*) AS n FROM fed_responses")).toEqual([{ n: 1 }]);
  });
});

describe("follows of what is not a published Declaration", () => {
  it("ignores a Follow of an actor that does not exist (202, no retry storm)", async () => {
    const mona = remote.actorUri("mona");
    const response = await send("mona", mastodon.follow(mona, `${site.origin}/d/nobody`));
    expect(response.status).toBe(202);
    expect(rows("SELECT count(*) AS n FROM followers")).toEqual([{ n: 0 }]);
  });

  it("rejects a Follow of a withdrawn Declaration with a signed Reject", async () => {
    addDeclaration(site.db, { slug: "gone-quiet", title: "Gone quiet" });
    site.db.$client.prepare("UPDATE declarations SET status = 'withdrawn' WHERE slug = 'gone-quiet'").run();
    const follow = mastodon.follow(remote.actorUri("mona"), `${site.origin}/d/gone-quiet`);
    expect((await send("mona", follow)).status).toBe(202);
    const reject = await remote.waitFor(
      (a) => a.type === "Reject" && (a.json.object as { id?: string }).id === follow.id,
    );
    expect(reject.actor).toBe(`${site.origin}/d/gone-quiet`);
    expect(rows("SELECT count(*) AS n FROM followers")).toEqual([{ n: 0 }]);
  });
});

describe("collections", () => {
  it("serves an empty following collection with a first page (else Mastodon hides the followers)", async () => {
    const response = await fetch(`${actorUri}/following`, { headers: { accept: "application/activity+json" } });
    const json = (await response.json()) as Record<string, unknown>;
    expect(json).toMatchObject({ totalItems: 0, first: `${actorUri}/following?cursor=0` });
    const actor = (await (
      await fetch(actorUri, { headers: { accept: "application/activity+json" } })
    ).json()) as Record<string, unknown>;
    expect(actor.following).toBe(`${actorUri}/following`);
  });

  it("answers a server's synchronization request with its own followers only, on the first page", async () => {
    const now = new Date();
    const id = getDeclarationBySlug(site.db, "rights")!.id;
    site.db.transaction((tx) => {
      for (let i = 0; i < 120; i++) {
        const host = i % 40 === 0 ? "sync.example" : `other${i}.example`;
        const actor = upsertRemoteActor(
          tx,
          {
            uri: `https://${host}/users/u${i}`,
            handle: null,
            name: null,
            url: `https://${host}/@u${i}`,
            iconUrl: null,
            inbox: `https://${host}/users/u${i}/inbox`,
            sharedInbox: null,
          },
          now,
        );
        addFollower(tx, id, actor.id, null, now);
      }
    });
    const url = `${actorUri}/followers?base-url=${encodeURIComponent("https://sync.example/")}&cursor=0`;
    const page = (await (await fetch(url, { headers: { accept: "application/activity+json" } })).json()) as {
      orderedItems: string[];
    };
    expect(page.orderedItems).toEqual([
      "https://sync.example/users/u0",
      "https://sync.example/users/u40",
      "https://sync.example/users/u80",
    ]);
  });
});

describe("bad requests", () => {
  it("refuses a forged signature, a changed body and an old date with 401, storing nothing", async () => {
    for (const tamper of ["signature", "body", "date-old"] as const) {
      const response = await remote.postSigned({
        inbox: sharedInbox,
        json: mastodon.like(remote.actorUri("eve"), noteUri),
        user: "eve",
        tamper,
      });
      expect(response.status, tamper).toBe(401);
    }
    expect(count()).toBe(0);
    expect(rows("SELECT count(*) AS n FROM fed_reactions")).toEqual([{ n: 0 }]);
  });

  it("refuses an activity whose actor is not the key's owner", async () => {
    const response = await remote.postSigned({
      inbox: sharedInbox,
      json: mastodon.like(remote.actorUri("mona"), noteUri),
      user: "eve",
      tamper: "keyId-other-actor",
      claimActor: remote.actorUri("mona"),
    });
    expect(response.status).toBe(401);
    expect(count()).toBe(0);
  });

  it("refuses an unsigned request", async () => {
    const response = await fetch(sharedInbox, {
      method: "POST",
      headers: { "content-type": "application/activity+json" },
      body: JSON.stringify(mastodon.like(remote.actorUri("eve"), noteUri)),
    });
    expect(response.status).toBe(401);
    expect(count()).toBe(0);
  });

  it("counts a replayed Like once", async () => {
    const request = await remote.signedRequest({
      inbox: sharedInbox,
      json: mastodon.like(remote.actorUri("eve"), noteUri, { n: "9" }),
      user: "eve",
    });
    const body = await request.clone().arrayBuffer();
    for (let i = 0; i < 3; i++) {
      const response = await fetch(request.url, { method: "POST", headers: request.headers, body });
      expect(response.status).toBe(202);
    }
    expect(count()).toBe(1);
    expect(rows("SELECT count(*) AS n FROM fed_reactions")).toEqual([{ n: 1 }]);
  });

  it("refuses deeply nested JSON before Fedify parses it (unsigned: 401; signed: 400)", async () => {
    const depth = 20_000;
    const deep = await fetch(sharedInbox, {
      method: "POST",
      headers: { "content-type": "application/activity+json" },
      body: `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`,
    });
    expect(deep.status).toBe(401);
    const signed = await remote.postSigned({
      inbox: sharedInbox,
      json: { ...mastodon.like(remote.actorUri("eve"), noteUri), tag: JSON.parse("[".repeat(100) + "]".repeat(100)) },
      user: "eve",
    });
    expect(signed.status).toBe(400);
    expect(count()).toBe(0);
    // Brackets inside strings do not count; ordinary nesting passes.
    const like = await send("eve", {
      ...mastodon.like(remote.actorUri("eve"), noteUri, { n: "deep" }),
      content: "[[[[{{{{".repeat(100),
    });
    expect(like.status).toBe(202);
  });

  it("refuses a huge body with 413 before reading it all", async () => {
    const like = { ...mastodon.like(remote.actorUri("eve"), noteUri), padding: "x".repeat(300 * 1024) };
    const response = await remote.postSigned({ inbox: sharedInbox, json: like, user: "eve" });
    expect(response.status).toBe(413);
    // Without a Content-Length (a stream), the limit holds too.
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream({
      pull(controller) {
        if (sent++ < 10) controller.enqueue(chunk);
        else controller.close();
      },
    });
    // (A well-formed signature header: an unsigned request is refused before its body is read.)
    const streamed = await fetch(sharedInbox, {
      method: "POST",
      headers: {
        "content-type": "application/activity+json",
        date: new Date().toUTCString(),
        digest: "SHA-256=AAAA",
        signature:
          'keyId="https://x.example/users/a#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="QUJD"',
      },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(count()).toBe(0);
  });

  it("answers malformed JSON and unknown types without a 5xx", async () => {
    const garbage = await fetch(sharedInbox, {
      method: "POST",
      headers: { "content-type": "application/activity+json" },
      body: "{not json",
    });
    expect(garbage.status).toBeLessThan(500);
    const unknown = await send("eve", {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${remote.actorUri("eve")}#x/1`,
      type: "Listen",
      actor: remote.actorUri("eve"),
      object: noteUri,
    });
    expect(unknown.status).toBe(202);
    const likeOfNothing = await send(
      "eve",
      mastodon.like(remote.actorUri("eve"), `${site.origin}/ap/notes/00000000-0000-0000-0000-000000000000`),
    );
    expect(likeOfNothing.status).toBe(202);
    expect(count()).toBe(0);
  });

  it("refuses a blocked domain before verifying, and does not deliver to it", async () => {
    const follow = mastodon.follow(remote.actorUri("mona"), actorUri);
    await send("mona", follow, { to: inbox });
    site.db.transaction((tx) => addDomainBlock(tx, "127.0.0.1", "test", new Date()));
    // Blocking drops the domain's follows.
    expect(rows("SELECT count(*) AS n FROM followers")).toEqual([{ n: 0 }]);
    const refused = await send("mona", mastodon.like(remote.actorUri("mona"), noteUri));
    expect(refused.status).toBe(403);
    expect(count()).toBe(0);
    removeDomainBlock(site.db, "127.0.0.1");
    expect((await send("mona", mastodon.like(remote.actorUri("mona"), noteUri))).status).toBe(202);
    expect(count()).toBe(1);
  });
});
