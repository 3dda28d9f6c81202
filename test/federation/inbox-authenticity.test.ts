/**
 * Whose activity is it?  An account's deletion — and everything else said in
 * its name — is believed only when proven for that account: a signature by a
 * key its own actor document names, or (for a deletion) its own id answering
 * 404 or 410 when we fetch it ourselves.  Forged keys are served by scripted
 * servers (test/helpers/actor-server.ts): a key that answers 410, a key
 * document on another server or on the victim's own server that claims the
 * victim as its owner, a victim's id that redirects or fails.
 */
import { exportSpki } from "@fedify/fedify";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getDeclarationBySlug } from "../../src/db/declarations.ts";
import { recountSignatures } from "../../src/db/signatures.ts";
import { AS, SECURITY, startActorServer, type ActorServer, type ScriptedActor } from "../helpers/actor-server.ts";
import { mastodon } from "../helpers/fediverse-shapes.ts";
import { publishDeclaration, startInstance, type TestInstance } from "../helpers/instance.ts";

let site: TestInstance;
let home: ActorServer; // where the signers live
let evil: ActorServer; // someone else's server
let noteUri: string;
let actorUri: string;
let sharedInbox: string;

const rows = (sql: string, ...params: unknown[]) =>
  site.db.$client.prepare(sql).all(...params) as Record<string, unknown>[];
const count = () => getDeclarationBySlug(site.db, "rights")!.signatureCount;
const signedBy = (uri: string) =>
  rows("SELECT s.status FROM signatures s JOIN remote_actors a ON a.id = s.remote_actor_id WHERE a.uri = ?", uri).map(
    (r) => r.status,
  );

async function post(server: ActorServer, json: object, keyId: string, privateKey: CryptoKey, spec?: "rfc9421") {
  const response = await fetch(
    await server.signedPost({ inbox: sharedInbox, json, keyId, privateKey, ...(spec == null ? {} : { spec }) }),
  );
  await response.arrayBuffer();
  return response.status;
}

/** The account signs by favouriting the announcement, with its own key. */
async function signs(actor: ScriptedActor, n: string) {
  expect(await post(home, mastodon.like(actor.uri, noteUri, { n }), actor.keyId, actor.keys.privateKey)).toBe(202);
  expect(signedBy(actor.uri)).toEqual(["confirmed"]);
}

/** A key document, anywhere, that claims `owner` (Fedify takes such a claim at its word). */
async function forgedKey(server: ActorServer, path: string, owner: string) {
  const keys = await server.strayKeys();
  const keyId = `${server.origin}${path}`;
  server.serve(path, {
    "@context": [AS, SECURITY],
    id: keyId,
    type: "CryptographicKey",
    owner,
    publicKeyPem: await exportSpki(keys.publicKey),
  });
  return { keyId, privateKey: keys.privateKey };
}

beforeAll(async () => {
  site = await startInstance();
  ({ actor: actorUri, sharedInbox, note: noteUri } = await publishDeclaration(site, "rights", "Rights"));
  [home, evil] = await Promise.all([startActorServer(), startActorServer()]);
}, 60_000);

afterAll(async () => {
  await home?.close();
  await evil?.close();
  await site?.close();
});

beforeEach(() => {
  expect(recountSignatures(site.db, false)).toEqual([]);
});

describe("a forged Delete of an account changes nothing", () => {
  it("signed under a key id that answers 410 (any deleted account's key)", async () => {
    const x = await home.addActor("x1");
    await signs(x, "1");
    const dead = await evil.strayKeys();
    evil.serve("/users/gone", { id: `${evil.origin}/users/gone`, type: "Tombstone" }, 410);
    expect(await post(evil, mastodon.deleteActor(x.uri), `${evil.origin}/users/gone#main-key`, dead.privateKey)).toBe(
      401,
    );
    expect(signedBy(x.uri)).toEqual(["confirmed"]);
  });

  it("signed by another account with its own key", async () => {
    const x = await home.addActor("x2");
    const y = await evil.addActor("y2");
    await signs(x, "2");
    expect(await post(evil, mastodon.deleteActor(x.uri), y.keyId, y.keys.privateKey)).toBe(401);
    expect(signedBy(x.uri)).toEqual(["confirmed"]);
  });

  it.each([
    ["on another server", "x3", () => evil, "/keys/x3"],
    ["on the account's own server, not named by its actor document", "x4", () => home, "/media/uploads/key.json"],
  ])(
    "signed with a key document %s that claims the account as its owner (either signature spec)",
    async (_where, name, server, path) => {
      const x = await home.addActor(name);
      await signs(x, name);
      const key = await forgedKey(server(), path, x.uri);
      for (const spec of [undefined, "rfc9421"] as const) {
        expect(await post(server(), mastodon.deleteActor(x.uri), key.keyId, key.privateKey, spec)).toBeLessThan(500);
        expect(signedBy(x.uri)).toEqual(["confirmed"]);
      }
    },
  );

  it.each([
    ["redirects to an address that answers 410", "x5", () => ({ redirect: `${evil.origin}/gone` }) as const],
    ["answers 500", "x6", () => 500 as const],
  ])("unverifiable, while the account's id %s", async (_what, name, state) => {
    const x = await home.addActor(name);
    await signs(x, name);
    evil.serve("/gone", { type: "Tombstone" }, 410);
    home.setState(name, state());
    // A key id not fetched before: its fetch fails (following a redirect, it ends at 410).
    expect(await post(home, mastodon.deleteActor(x.uri), `${x.uri}#other-key`, x.keys.privateKey)).toBe(401);
    expect(signedBy(x.uri)).toEqual(["confirmed"]);
  });
});

describe("nothing else can be said in an account's name with a key that claims it", () => {
  it("no Undo, Update, reply, boost, follow, report or Delete of its reply", async () => {
    const x = await home.addActor("x7", { displayName: "Xavier" });
    await signs(x, "7");
    const reply = mastodon.reply(x.uri, noteUri, { mention: { href: actorUri, name: "@rights" } }, { n: "70" });
    expect(await post(home, reply, x.keyId, x.keys.privateKey)).toBe(202);
    const before = {
      signatures: signedBy(x.uri),
      actor: rows("SELECT name, key_ids FROM remote_actors WHERE uri = ?", x.uri),
      responses: rows("SELECT uri FROM fed_responses"),
      reactions: rows("SELECT activity_uri FROM fed_reactions"),
    };
    const forged = [await forgedKey(evil, "/keys/x7", x.uri), await forgedKey(home, "/files/x7.json", x.uri)];
    for (const key of forged) {
      const activities = [
        mastodon.undoLike(x.uri, noteUri, { n: "7" }),
        mastodon.updatePerson(x.uri, {
          name: "Mallory",
          publicKeyPem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
        }),
        mastodon.reply(
          x.uri,
          noteUri,
          { mention: { href: actorUri, name: "@rights" }, content: "<p>I withdraw.</p>" },
          { n: "71" },
        ),
        mastodon.announce(x.uri, noteUri, actorUri, { n: "72" }),
        mastodon.follow(x.uri, actorUri),
        mastodon.flag(x.uri, actorUri, [noteUri], "forged"),
        mastodon.deleteStatus(x.uri, `${x.uri}/statuses/70`),
        mastodon.like(x.uri, noteUri, { n: "73" }),
      ];
      for (const activity of activities) {
        const server = key.keyId.startsWith(evil.origin) ? evil : home;
        expect(await post(server, activity, key.keyId, key.privateKey), String(activity.type)).toBeLessThan(500);
      }
    }
    expect({
      signatures: signedBy(x.uri),
      actor: rows("SELECT name, key_ids FROM remote_actors WHERE uri = ?", x.uri),
      responses: rows("SELECT uri FROM fed_responses"),
      reactions: rows("SELECT activity_uri FROM fed_reactions"),
    }).toEqual(before);
    expect(rows("SELECT count(*) AS n FROM fed_boosts")).toEqual([{ n: 0 }]);
    expect(rows("SELECT count(*) AS n FROM followers")).toEqual([{ n: 0 }]);
    expect(rows("SELECT count(*) AS n FROM fed_reports")).toEqual([{ n: 0 }]);
  });
});

describe("an account whose server answers only signed fetches", () => {
  it("signs: its key and its actor are fetched with our instance actor's signature", async () => {
    const x = await home.addActor("s1");
    home.setState("s1", "signed-only");
    await signs(x, "21");
    expect(home.hits("/users/s1")).toBeGreaterThanOrEqual(2);
  });
});

describe("a genuine deletion is believed", () => {
  it("signed by the account's own key", async () => {
    const x = await home.addActor("g1");
    await signs(x, "11");
    const before = count();
    expect(await post(home, mastodon.deleteActor(x.uri), x.keyId, x.keys.privateKey)).toBe(202);
    expect(signedBy(x.uri)).toEqual([]);
    expect(rows("SELECT count(*) AS n FROM remote_actors WHERE uri = ?", x.uri)).toEqual([{ n: 0 }]);
    expect(count()).toBe(before - 1);
  });

  it.each([410, 404] as const)("when its key cannot be fetched and its own id answers %d", async (status) => {
    const x = await home.addActor(`g${status}`);
    await signs(x, String(status));
    home.setState(`g${status}`, status);
    const before = count();
    // Its key is gone with it: the signature cannot be checked, the deletion is proven by fetching the account.
    expect(await post(home, mastodon.deleteActor(x.uri), `${x.uri}#main-key-2`, x.keys.privateKey)).toBe(202);
    expect(signedBy(x.uri)).toEqual([]);
    expect(count()).toBe(before - 1);
  });

  it("a Delete of someone else, let through for its unfetchable key, is still refused", async () => {
    const x = await home.addActor("g3");
    await signs(x, "13");
    home.setState("g3", 410);
    const other = await home.addActor("g4");
    await signs(other, "14");
    // Its actor is gone (410), but the Delete names someone else as its object.
    const json = { ...mastodon.deleteActor(x.uri), object: other.uri };
    expect(await post(home, json, `${x.uri}#main-key-2`, x.keys.privateKey)).toBe(401);
    expect(signedBy(other.uri)).toEqual(["confirmed"]);
  });
});
