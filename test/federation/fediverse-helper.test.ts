/**
 * Self-test of the stand-in fediverse server (test/helpers/fediverse.ts): two
 * of them, A and B, on their own loopback ports, talking real signed
 * ActivityPub to each other.  Also pins down what Fedify answers to forged,
 * tampered and replayed inbox POSTs, and that every shape in
 * fediverse-shapes.ts passes Fedify's parsing and verification.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFediverseServer, type FediverseServer, type SignatureSpec, type Tamper } from "../helpers/fediverse.ts";
import { mastodon, misskey, pleroma } from "../helpers/fediverse-shapes.ts";

let a: FediverseServer;
let b: FediverseServer;
let alice: string;
let carol: string;
let bob: string;

beforeAll(async () => {
  a = await startFediverseServer({ users: ["alice", "carol"] });
  b = await startFediverseServer({ users: ["bob", "dave"], autoAccept: true });
  alice = a.actorUri("alice");
  carol = a.actorUri("carol");
  bob = b.actorUri("bob");
});

afterAll(async () => {
  await a?.close();
  await b?.close();
});

const AP = { accept: "application/activity+json" };

describe("the stand-in server", () => {
  it("serves WebFinger, the actor with its key, and the avatar", async () => {
    const jrd = await (await fetch(`${b.origin}/.well-known/webfinger?resource=acct:bob@${b.host}`)).json();
    expect(jrd.subject).toBe(`acct:bob@${b.host}`);
    expect(jrd.links).toContainEqual(
      expect.objectContaining({ rel: "self", type: "application/activity+json", href: bob }),
    );

    const actor = await (await fetch(bob, { headers: AP })).json();
    expect(actor).toMatchObject({
      id: bob,
      type: "Person",
      preferredUsername: "bob",
      inbox: `${bob}/inbox`,
      followers: `${bob}/followers`,
      endpoints: { sharedInbox: `${b.origin}/inbox` },
      publicKey: { id: `${bob}#main-key`, owner: bob },
      icon: { type: "Image", mediaType: "image/png", url: `${b.origin}/avatars/bob.png` },
    });
    expect(actor.publicKey.publicKeyPem).toBe(await b.publicKeyPem("bob"));

    const avatar = await fetch(`${b.origin}/avatars/bob.png`);
    expect(avatar.status).toBe(200);
    expect(avatar.headers.get("content-type")).toBe("image/png");

    const instance = await (await fetch(b.instanceActorUri, { headers: AP })).json();
    expect(instance).toMatchObject({ id: b.instanceActorUri, type: "Application" });
  });

  it("looks up an actor by handle through WebFinger, and by URL", async () => {
    const byHandle = await a.lookup("alice", `bob@${b.host}`);
    expect(byHandle.id?.href).toBe(bob);
    expect(byHandle.preferredUsername).toBe("bob");
    const byUrl = await a.lookup("alice", bob);
    expect(byUrl.id?.href).toBe(bob);
    await expect(a.lookup("alice", `nobody@${b.host}`)).rejects.toThrow(/WebFinger.*404/);
    await expect(a.lookup("alice", "someone@example.com")).rejects.toThrow(/non-loopback/);
  });

  it("follows: B receives a verified Follow and answers with a signed Accept that A matches", async () => {
    const followId = await a.follow("alice", `@bob@${b.host}`);
    expect(followId).toMatch(new RegExp(`^${a.origin}/[0-9a-f-]{36}$`));

    const follow = await b.waitFor((x) => x.type === "Follow" && x.id === followId);
    expect(follow).toMatchObject({ actor: alice, object: bob, recipient: null /* shared inbox */ });
    expect(b.followers("bob")).toEqual([alice]);

    const accept = await a.waitFor((x) => x.type === "Accept" && x.actor === bob);
    expect(accept.object).toMatchObject({ id: followId, type: "Follow", actor: alice, object: bob });
    expect(a.followingAccepted("alice", bob)).toBe(true);
    expect(a.followingAccepted("alice", `@bob@${b.host}`)).toBe(true);
    expect(a.followingAccepted("carol", bob)).toBe(false);
  });

  it("delivers a post to followers, and likes, reacts to, boosts and undoes on it", async () => {
    const status = await b.post("bob", "<p>Hello from B</p>");
    expect(status).toMatch(new RegExp(`^${bob}/statuses/\\d+$`));
    const create = await a.waitFor((x) => x.type === "Create" && (x.object as { id?: string }).id === status);
    expect(create.json).toMatchObject({ id: `${status}/activity`, actor: bob });

    // The status is dereferenceable (a Like/Announce needs its author).
    const note = await (await fetch(status, { headers: AP })).json();
    expect(note).toMatchObject({ id: status, type: "Note", attributedTo: bob, content: "<p>Hello from B</p>" });

    const likeId = await a.like("alice", status);
    expect(likeId).toMatch(new RegExp(`^${alice}#likes/\\d+$`));
    const like = await b.waitFor((x) => x.type === "Like" && x.id === likeId);
    expect(like).toMatchObject({ actor: alice, object: status });

    await a.unlike("alice", status);
    const undoLike = await b.waitFor((x) => x.type === "Undo" && x.id === `${likeId}/undo`);
    expect(undoLike.object).toMatchObject({ id: likeId, type: "Like", actor: alice, object: status });

    const reactId = await a.react("alice", status, "🔥");
    expect(reactId).toMatch(new RegExp(`^${a.origin}/activities/`));
    const react = await b.waitFor((x) => x.type === "EmojiReact" && x.id === reactId);
    expect(react.json).toMatchObject({ content: "🔥", object: status });
    await a.unreact("alice", status, "🔥");
    await b.waitFor((x) => x.type === "Undo" && (x.object as { id?: string }).id === reactId);

    const announceId = await a.announce("alice", status);
    expect(announceId).toMatch(new RegExp(`^${alice}/statuses/\\d+/activity$`));
    const announce = await b.waitFor((x) => x.type === "Announce" && x.id === announceId);
    expect(announce.json).toMatchObject({
      object: status,
      to: "https://www.w3.org/ns/activitystreams#Public",
      cc: [bob, `${alice}/followers`],
    });
    await a.unannounce("alice", status);
    const undoAnnounce = await b.waitFor((x) => x.type === "Undo" && (x.object as { id?: string }).id === announceId);
    expect(undoAnnounce.id).toMatch(new RegExp(`^${alice}#announces/\\d+/undo$`));
  });

  it("replies with a Mention, edits the reply and deletes it (then 410)", async () => {
    const status = await b.post("bob", "<p>Sign here</p>");
    const replyUri = await a.reply("alice", status, "<p>Signed.</p>", { mention: bob });
    const create = await b.waitFor((x) => x.type === "Create" && (x.object as { id?: string }).id === replyUri);
    expect(create.object).toMatchObject({
      type: "Note",
      inReplyTo: status,
      attributedTo: alice,
      content: "<p>Signed.</p>",
      contentMap: { en: "<p>Signed.</p>" },
      to: "https://www.w3.org/ns/activitystreams#Public",
      cc: [`${alice}/followers`, bob],
      tag: { type: "Mention", href: bob, name: `@bob@${b.host}` },
    });

    await a.updateReply(replyUri, "<p>Signed, twice.</p>");
    const update = await b.waitFor((x) => x.type === "Update" && (x.object as { id?: string }).id === replyUri);
    expect(update.id).toMatch(new RegExp(`^${replyUri}#updates/\\d+$`));
    expect(update.object).toMatchObject({ content: "<p>Signed, twice.</p>", updated: expect.any(String) });

    await a.deleteReply(replyUri);
    const del = await b.waitFor((x) => x.type === "Delete" && x.id === `${replyUri}#delete`);
    expect(del.object).toMatchObject({ id: replyUri, type: "Tombstone" });
    expect((await fetch(replyUri, { headers: AP })).status).toBe(410);
  });

  it("updates the profile and flags, to whoever it talked to", async () => {
    await a.updateProfile("alice", { name: "Alice Liddell", iconUrl: `${a.origin}/avatars/carol.png` });
    const update = await b.waitFor((x) => x.type === "Update" && (x.object as { id?: string }).id === alice);
    expect(update.object).toMatchObject({
      type: "Person",
      name: "Alice Liddell",
      icon: { url: `${a.origin}/avatars/carol.png` },
    });

    const flagId = await a.flag(null, bob, [], "spam");
    const flag = await b.waitFor((x) => x.type === "Flag" && x.id === flagId);
    expect(flag).toMatchObject({ actor: a.instanceActorUri, object: bob });
    expect(flag.json.content).toBe("spam");
  });
});

describe("what Fedify answers to signed, forged and replayed inbox POSTs", () => {
  const specs: SignatureSpec[] = ["draft-cavage-http-signatures-12", "rfc9421"];

  it.each(specs)("%s: untampered → 202 and recorded", async (spec) => {
    const json = mastodon.like(alice, `${bob}/statuses/1`);
    const response = await a.postSigned({ inbox: b.inboxUri("bob"), json, user: "alice", spec });
    expect(response.status).toBe(202);
    const got = await b.waitFor((x) => x.id === json.id);
    expect(got).toMatchObject({ type: "Like", actor: alice, recipient: "bob" });
  });

  // Every forgery is answered 401 before any listener runs.  A bad Digest, a
  // bad signature and a stale Date/created all read "Failed to verify the
  // request signature."; a valid signature by someone other than `actor` reads
  // "The signer and the actor do not match.".
  const FAILED = /^Failed to verify the request signature\.$/;
  const tampers: [Tamper, RegExp][] = [
    ["body", FAILED],
    ["signature", FAILED],
    ["keyId-other-actor", /^The signer and the actor do not match\.$/],
    ["date-old", FAILED],
  ];
  for (const spec of specs) {
    it.each(tampers)(`${spec}: tamper %s → 401`, async (tamper, body) => {
      const json = mastodon.like(alice, `${bob}/statuses/2`);
      const response = await a.postSigned({ inbox: b.inboxUri("bob"), json, user: "alice", spec, tamper });
      expect(response.status).toBe(401);
      expect(await response.text()).toMatch(body);
      expect(b.received.some((x) => x.id === json.id)).toBe(false);
    });
  }

  it("an unsigned POST → 401", async () => {
    const json = mastodon.like(alice, `${bob}/statuses/3`);
    const response = await fetch(b.sharedInboxUri, {
      method: "POST",
      headers: { "content-type": "application/activity+json" },
      body: JSON.stringify(json),
    });
    expect(response.status).toBe(401);
    expect(await response.text()).toMatch(FAILED);
  });

  it("a byte-for-byte replay and a re-signed resend of the same id → 202, but the listener runs once", async () => {
    const json = mastodon.like(alice, `${bob}/statuses/4`);
    const request = await a.signedRequest({ inbox: b.inboxUri("bob"), json, user: "alice" });
    const first = await fetch(request.clone());
    expect(first.status).toBe(202);
    expect(await first.text()).toBe("");
    const replay = await fetch(request);
    expect(replay.status).toBe(202);
    expect(await replay.text()).toMatch(/has already been processed/);
    const resend = await a.postSigned({ inbox: b.inboxUri("bob"), json, user: "alice" });
    expect(resend.status).toBe(202);
    expect(await resend.text()).toMatch(/has already been processed/);
    expect(b.received.filter((x) => x.id === json.id)).toHaveLength(1);

    // Idempotency is per inbox: the same activity at another inbox is processed again.
    const elsewhere = await a.postSigned({ inbox: b.sharedInboxUri, json, user: "alice" });
    expect(elsewhere.status).toBe(202);
    expect(b.received.filter((x) => x.id === json.id)).toHaveLength(2);
  });
});

describe("the shapes other software sends pass Fedify's verification", () => {
  const target = () => `${bob}/statuses/9`;
  const mention = () => ({ href: bob, name: `@bob@${b.host}` });

  // [name, shape, expected type, inbox (default: B's shared inbox)]
  const shapes: [string, () => Promise<Record<string, unknown>> | Record<string, unknown>, string, string?][] = [
    ["Mastodon Follow", () => mastodon.follow(carol, b.actorUri("dave")), "Follow"],
    [
      "Mastodon Undo Follow",
      () => mastodon.undoFollow(alice, bob, { id: `${a.origin}/00000000-0000-4000-8000-000000000000` }),
      "Undo",
    ],
    ["Mastodon Like", () => mastodon.like(alice, target()), "Like"],
    ["Mastodon Undo Like", () => mastodon.undoLike(alice, target(), { n: "42" }), "Undo"],
    ["Mastodon Announce", () => mastodon.announce(alice, target(), bob), "Announce"],
    ["Mastodon Undo Announce", () => mastodon.undoAnnounce(alice, target(), bob, { n: "43" }), "Undo"],
    ["Mastodon reply", () => mastodon.reply(alice, target(), { mention: mention() }), "Create"],
    [
      "Mastodon Update Person",
      async () => mastodon.updatePerson(alice, { name: "Alice", publicKeyPem: await a.publicKeyPem("alice") }),
      "Update",
    ],
    ["Mastodon Delete status", () => mastodon.deleteStatus(alice, `${alice}/statuses/1`), "Delete"],
    ["Mastodon Flag", () => mastodon.flag(a.instanceActorUri, bob, [target()], "spam"), "Flag"],
    ["Misskey Like", () => misskey.like(alice, target(), "👍"), "Like"],
    ["Misskey custom-emoji Like", () => misskey.like(alice, target(), ":blobcat:"), "Like"],
    ["Misskey Undo Like", () => misskey.undo(alice, misskey.like(alice, target(), "🎉")), "Undo"],
    ["Misskey Follow", () => misskey.follow(alice, bob), "Follow"],
    ["Misskey reply", () => misskey.reply(alice, target(), { mention: mention() }), "Create"],
    ["Pleroma EmojiReact", () => pleroma.emojiReact(alice, target(), "🔥", { author: bob }), "EmojiReact"],
    [
      "Pleroma Undo EmojiReact",
      () => pleroma.undo(alice, pleroma.emojiReact(alice, target(), "🔥", { author: bob })),
      "Undo",
    ],
    ["Pleroma Like", () => pleroma.like(alice, target(), { author: bob }), "Like"],
    ["Pleroma Announce", () => pleroma.announce(alice, target(), { author: bob }), "Announce"],
    ["Pleroma reply", () => pleroma.reply(alice, target(), { mention: mention() }), "Create"],
    // To dave's inbox: the real Delete(alice) below reuses this id and goes to the shared inbox.
    ["Mastodon Delete actor", () => mastodon.deleteActor(alice), "Delete", "dave"],
  ];

  it.each(shapes)("%s → 202 and recorded", async (_name, make, type, inboxOf) => {
    const json = await make();
    const user = json.actor === a.instanceActorUri ? "__instance__" : json.actor === carol ? "carol" : "alice";
    const inbox = inboxOf == null ? b.sharedInboxUri : b.inboxUri(inboxOf);
    const response = await a.postSigned({ inbox, json, user });
    expect(response.status, await response.clone().text()).toBe(202);
    const got = await b.waitFor((x) => x.id === json.id, 2_000);
    expect(got.type).toBe(type);
    expect(got.json).toEqual(json);
  });
});

describe("deleting an account", () => {
  it("sends Delete(actor) to everyone it talked to; the actor and key then answer 410", async () => {
    await a.deleteAccount("alice");
    const del = await b.waitFor((x) => x.type === "Delete" && x.object === alice && x.recipient === null);
    expect(del.id).toBe(`${alice}#delete`);
    const gone = await fetch(alice, { headers: AP });
    expect(gone.status).toBe(410);
    expect(await gone.json()).toMatchObject({ id: alice, type: "Tombstone" });
    expect((await fetch(a.keyId("alice"), { headers: AP })).status).toBe(410);
    expect((await fetch(`${a.origin}/.well-known/webfinger?resource=acct:alice@${a.host}`)).status).toBe(410);
    await expect(a.like("alice", bob)).rejects.toThrow(/deleted/);
  });

  it("a later activity signed by the deleted actor: 202 where the key is cached, 401 (keyFetchError) where it is not", async () => {
    // B verified alice's key before, and Fedify keeps fetched keys in its KV store.
    const again = mastodon.like(alice, `${bob}/statuses/5`);
    const cached = await a.postSigned({ inbox: b.sharedInboxUri, json: again, user: "alice" });
    expect(cached.status).toBe(202);

    // A server that never saw alice fetches the key, gets 410, and cannot verify.
    const c = await startFediverseServer({ users: ["erin"] });
    try {
      const response = await a.postSigned({
        inbox: c.sharedInboxUri,
        json: mastodon.deleteActor(alice),
        user: "alice",
      });
      expect(response.status).toBe(401);
      expect(c.unverified).toEqual([expect.objectContaining({ reason: "keyFetchError", recipient: null })]);
      expect(c.received).toEqual([]);
    } finally {
      await c.close();
    }
  });
});
