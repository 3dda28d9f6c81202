/**
 * Reactions in every shape peers send (Mastodon, Misskey, Pleroma/Akkoma,
 * snac), which of them sign (the default set, and the owner's own), one
 * reaction per account and post, undone activities that arrive late, new
 * signers held per server, and remote names cleaned as local ones are.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getDeclarationBySlug } from "../../src/db/declarations.ts";
import { holdServer, releaseServer, writeSigningReactionsValue } from "../../src/db/reactions.ts";
import { recountSignatures } from "../../src/db/signatures.ts";
import { startFediverseServer, type FediverseServer } from "../helpers/fediverse.ts";
import { mastodon, misskey, pleroma, snac } from "../helpers/fediverse-shapes.ts";
import { publishDeclaration, startInstance, type TestInstance } from "../helpers/instance.ts";

let site: TestInstance;
let remote: FediverseServer;
let actorUri: string;
let noteUri: string;
let articleUri: string;
let sharedInbox: string;

const count = (s: TestInstance = site) => getDeclarationBySlug(s.db, "rights")!.signatureCount;
const rows = (sql: string, s: TestInstance = site) => s.db.$client.prepare(sql).all() as Record<string, unknown>[];

async function send(user: string, json: object, inbox = sharedInbox, server = remote) {
  const response = await server.postSigned({ inbox, json, user });
  await response.arrayBuffer();
  return response.status;
}

beforeAll(async () => {
  site = await startInstance();
  ({
    actor: actorUri,
    sharedInbox,
    note: noteUri,
    article: articleUri,
  } = await publishDeclaration(site, "rights", "Rights"));
  remote = await startFediverseServer({ users: ["mona", "misa", "plum", "sam", "eve"] });
}, 60_000);

afterAll(async () => {
  await remote?.close();
  await site?.close();
});

beforeEach(() => {
  for (const table of [
    "fed_reactions",
    "fed_undone",
    "signatures",
    "settings WHERE key = 'fediverse_signing_reactions'",
  ])
    site.db.$client.prepare(`DELETE FROM ${table}`).run();
  site.db.$client.prepare("UPDATE declarations SET signature_count = 0").run();
});

describe("every shape peers send", () => {
  it("snac's EmojiReact with only the ActivityStreams context signs, and its Undo withdraws", async () => {
    const sam = remote.actorUri("sam");
    const react = snac.emojiReact(sam, noteUri, actorUri, "👍");
    expect(await send("sam", react)).toBe(202);
    expect(count()).toBe(1);
    expect(rows("SELECT kind, content, signs FROM fed_reactions")).toEqual([
      { kind: "emoji", content: "👍", signs: 1 },
    ]);
    expect(await send("sam", snac.undo(sam, react))).toBe(202);
    expect(count()).toBe(0);
    expect(rows("SELECT status FROM signatures")).toEqual([{ status: "withdrawn" }]);
  });

  it("snac's Like signs; liking again after unliking (the same id, a later `published`) signs again", async () => {
    const sam = remote.actorUri("sam");
    const first = snac.like(sam, noteUri, actorUri, { published: "2026-01-01T10:00:00Z" });
    expect(await send("sam", first)).toBe(202);
    expect(await send("sam", snac.undo(sam, first, { published: "2026-01-01T10:05:00Z" }))).toBe(202);
    expect(count()).toBe(0);
    // The first Like again (a retry that arrives late): not a new signature.
    expect(await send("sam", first)).toBe(202);
    expect(count()).toBe(0);
    // A new like: snac reuses the id, with a new `published`.
    expect(await send("sam", snac.like(sam, noteUri, actorUri, { published: "2026-01-01T10:10:00Z" }))).toBe(202);
    expect(count()).toBe(1);
  });

  it("Misskey: ❤ signs, 👎 does not, a custom emoji only once the owner adds it", async () => {
    const misa = remote.actorUri("misa");
    expect(await send("misa", misskey.like(misa, noteUri, "👎"))).toBe(202);
    expect(count()).toBe(0);
    expect(await send("misa", misskey.like(misa, articleUri, ":blobcat:"))).toBe(202);
    expect(count()).toBe(0);
    expect(rows("SELECT content, signs FROM fed_reactions ORDER BY id")).toEqual([
      { content: "👎", signs: 0 },
      { content: ":blobcat:", signs: 0 },
    ]);
    writeSigningReactionsValue(site.db, { favourite: true, emoji: ["❤️", ":blobcat:"] });
    const mona = remote.actorUri("mona");
    expect(await send("mona", misskey.like(mona, noteUri, ":blobcat:"))).toBe(202);
    expect(count()).toBe(1);
    const plum = remote.actorUri("plum");
    expect(await send("plum", misskey.like(plum, noteUri, "❤"))).toBe(202);
    expect(count()).toBe(2);
    // 👍 is no longer in the owner's set.
    const eve = remote.actorUri("eve");
    expect(await send("eve", misskey.like(eve, noteUri, "👍🏽"))).toBe(202);
    expect(count()).toBe(2);
  });

  it("a Misskey-style Like with only `_misskey_reaction` (no `content`) is read from it", async () => {
    const misa = remote.actorUri("misa");
    const { content: _content, ...like } = misskey.like(misa, noteUri, "👍");
    expect(await send("misa", like)).toBe(202);
    expect(rows("SELECT kind, content, signs FROM fed_reactions")).toEqual([
      { kind: "emoji", content: "👍", signs: 1 },
    ]);
    expect(count()).toBe(1);
  });

  it("Pleroma: 🔥 is a reaction, not a signature; its Undo withdraws nothing; ✊ then signs", async () => {
    const plum = remote.actorUri("plum");
    const fire = pleroma.emojiReact(plum, noteUri, "🔥", { author: actorUri });
    expect(await send("plum", fire)).toBe(202);
    expect(count()).toBe(0);
    expect(await send("plum", pleroma.undo(plum, fire))).toBe(202);
    expect(rows("SELECT count(*) AS n FROM fed_reactions")).toEqual([{ n: 0 }]);
    const fist = pleroma.emojiReact(plum, noteUri, "✊", { author: actorUri });
    expect(await send("plum", fist)).toBe(202);
    expect(count()).toBe(1);
    // A second reaction that does not sign, on the same post, leaves the signing one in place.
    expect(await send("plum", pleroma.emojiReact(plum, noteUri, "🤔", { author: actorUri }))).toBe(202);
    expect(rows("SELECT content, signs FROM fed_reactions")).toEqual([{ content: "✊", signs: 1 }]);
    expect(count()).toBe(1);
  });

  it("a plain favourite does not sign when the owner says so", async () => {
    writeSigningReactionsValue(site.db, { favourite: false, emoji: ["✍️"] });
    expect(await send("mona", mastodon.like(remote.actorUri("mona"), noteUri))).toBe(202);
    expect(count()).toBe(0);
    expect(rows("SELECT kind, signs FROM fed_reactions")).toEqual([{ kind: "like", signs: 0 }]);
  });
});

describe("one reaction per account and post", () => {
  it("200 Likes with different ids from one account store one reaction and one signature", async () => {
    const mona = remote.actorUri("mona");
    for (let n = 1; n <= 200; n++) expect(await send("mona", mastodon.like(mona, noteUri, { n: `9${n}` }))).toBe(202);
    expect(rows("SELECT activity_uri FROM fed_reactions")).toEqual([{ activity_uri: `${mona}#likes/9200` }]);
    expect(count()).toBe(1);
    // The Undo of a Like that was replaced changes nothing; the latest one's withdraws.
    expect(await send("mona", mastodon.undoLike(mona, noteUri, { n: "91" }))).toBe(202);
    expect(count()).toBe(1);
    expect(await send("mona", mastodon.undoLike(mona, noteUri, { n: "9200" }))).toBe(202);
    expect(count()).toBe(0);
    expect(recountSignatures(site.db, false)).toEqual([]);
  });

  it("a Like that arrives after its own Undo (a late retry, or out of order) does not sign", async () => {
    const mona = remote.actorUri("mona");
    expect(await send("mona", mastodon.undoLike(mona, noteUri, { n: "55" }))).toBe(202);
    expect(await send("mona", mastodon.like(mona, noteUri, { n: "55" }))).toBe(202);
    expect(count()).toBe(0);
    expect(await send("mona", mastodon.like(mona, noteUri, { n: "56" }))).toBe(202);
    expect(count()).toBe(1);
  });
});

describe("remote names and texts", () => {
  it("lose their invisible control and direction characters, as local ones do", async () => {
    const mona = remote.actorUri("mona");
    await remote.updateProfile("mona", { name: "Mo\u202Ena\u200B Lisa\u2066" });
    // Forgotten, so that the Like makes us fetch the account as it is now.
    site.db.$client.prepare("DELETE FROM remote_actors WHERE uri = ?").run(mona);
    expect(await send("mona", mastodon.like(mona, noteUri))).toBe(202);
    expect(rows(`SELECT name FROM remote_actors WHERE uri = '${mona}'`)).toEqual([{ name: "Mona Lisa" }]);
    expect(rows("SELECT name FROM signatures")).toEqual([{ name: "Mona Lisa" }]);
    const update = mastodon.updatePerson(mona, {
      name: "\u202EsiL anoM",
      publicKeyPem: await remote.publicKeyPem("mona"),
    });
    expect(await send("mona", update)).toBe(202);
    expect(rows(`SELECT name FROM remote_actors WHERE uri = '${mona}'`)).toEqual([{ name: "siL anoM" }]);
    const reply = mastodon.reply(
      mona,
      noteUri,
      { mention: { href: actorUri, name: "@rights" }, content: "<p>I\u202E sign</p>" },
      { n: "301" },
    ) as Record<string, any>;
    reply.object.summary = "CW\u200F\u2067 here";
    expect(await send("mona", reply)).toBe(202);
    expect(rows("SELECT summary, content_html FROM fed_responses")).toEqual([
      { summary: "CW here", content_html: "<p>I sign</p>" },
    ]);
    const flag = mastodon.flag(remote.instanceActorUri, actorUri, [noteUri], "Spam\u202E\nsecond line");
    expect((await remote.postSigned({ inbox: sharedInbox, json: flag, user: "__instance__" })).status).toBe(202);
    expect(rows("SELECT content FROM fed_reports")).toEqual([{ content: "Spam\nsecond line" }]);
    const react = misskey.like(remote.actorUri("misa"), noteUri, "\u202E👍");
    expect(await send("misa", react)).toBe(202);
    expect(rows("SELECT content, signs FROM fed_reactions WHERE content LIKE '%👍%'")).toEqual([
      { content: "👍", signs: 1 },
    ]);
  });
});

describe("new signers held per server", () => {
  let limited: TestInstance;
  let others: FediverseServer;
  let note: string;

  beforeAll(async () => {
    limited = await startInstance({ env: { FEDIVERSE_SIGNERS_PER_SERVER: "2/1d" } });
    ({ note } = await publishDeclaration(limited, "rights", "Rights"));
    others = await startFediverseServer({ users: ["a1", "a2", "a3", "a4"] });
  }, 60_000);

  afterAll(async () => {
    await others?.close();
    await limited?.close();
  });

  it("counts the first signers of a server, holds the rest for review, and keeps the counts exact", async () => {
    const inbox = `${limited.origin}/inbox`;
    for (const user of ["a1", "a2", "a3"])
      expect(await send(user, mastodon.like(others.actorUri(user), note, { n: user }), inbox, others)).toBe(202);
    expect(count(limited)).toBe(2);
    expect(rows("SELECT name, status FROM signatures ORDER BY id", limited)).toEqual([
      { name: "A1", status: "confirmed" },
      { name: "A2", status: "confirmed" },
      { name: "A3", status: "held" },
    ]);
    expect(recountSignatures(limited.db, false)).toEqual([]);
    // Undoing a held signature withdraws it; nothing to uncount.
    expect(await send("a3", mastodon.undoLike(others.actorUri("a3"), note, { n: "a3" }), inbox, others)).toBe(202);
    expect(rows("SELECT status FROM signatures ORDER BY id", limited).map((r) => r.status)).toEqual([
      "confirmed",
      "confirmed",
      "withdrawn",
    ]);
    expect(count(limited)).toBe(2);
    expect(recountSignatures(limited.db, false)).toEqual([]);
  });

  it("a server on hold: its counted signatures are held, its new ones too, until released", async () => {
    const host = new URL(others.origin).hostname;
    const held = limited.db.transaction((tx) => holdServer(tx, host, new Date()));
    expect(held).toBe(2);
    expect(count(limited)).toBe(0);
    expect(recountSignatures(limited.db, false)).toEqual([]);
    const released = limited.db.transaction((tx) => releaseServer(tx, host, new Date()));
    expect(released).toBe(2);
    expect(count(limited)).toBe(2);
    expect(recountSignatures(limited.db, false)).toEqual([]);
  });
});
