/**
 * Fetches of copies' documents from other sites are signed with the instance
 * actor's key, each redirect anew, so servers in authorized-fetch mode
 * answer them; a server that verifies only RFC 9421 gets RFC 9421 after
 * refusing draft-cavage.  (The private-address, size and time limits are in
 * copies-refusals.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchJson, resolveRemoteDeclaration } from "../../src/federation/remote-declarations.ts";
import { startInstance, type TestInstance } from "../helpers/instance.ts";
import { startSignaturePeer, type SignaturePeer } from "../helpers/signature-peer.ts";

let site: TestInstance;
let cavage: SignaturePeer;
let modern: SignaturePeer;
const ARTICLE = {
  "@context": "https://www.w3.org/ns/activitystreams",
  type: "Article",
  name: "A Declaration elsewhere",
};

beforeAll(async () => {
  site = await startInstance();
  cavage = await startSignaturePeer({ format: "draft-cavage", requireSignedGets: true });
  modern = await startSignaturePeer({ format: "rfc9421", requireSignedGets: true });
  for (const peer of [cavage, modern]) {
    peer.serve("/articles/1", { ...ARTICLE, id: `${peer.origin}/articles/1`, attributedTo: peer.actorUri });
    peer.redirect("/old/1", `${peer.origin}/articles/1`);
  }
}, 60_000);

afterAll(async () => {
  await cavage?.close();
  await modern?.close();
  await site?.close();
});

function options() {
  return { allowPrivateAddress: true, db: site.db, origin: new URL(site.origin) };
}

describe("fetches of copies from other sites", () => {
  it("are signed by the instance actor, and a server that refuses unsigned GETs answers them", async () => {
    const unsigned = await fetchJson(`${cavage.origin}/articles/1`, { allowPrivateAddress: true, db: site.db });
    expect(unsigned).toMatchObject({ ok: false, reason: "http-error" });
    expect(cavage.gets.at(-1)).toEqual({ path: "/articles/1", keyId: null, verified: false });

    const signed = await fetchJson(`${cavage.origin}/articles/1`, options());
    expect(signed).toMatchObject({ ok: true, json: { id: `${cavage.origin}/articles/1`, type: "Article" } });
    expect(cavage.gets.at(-1)).toEqual({
      path: "/articles/1",
      keyId: `${site.origin}/d/instance#main-key`,
      verified: true,
    });
  });

  it("signs each redirect anew", async () => {
    const before = cavage.gets.length;
    expect(await fetchJson(`${cavage.origin}/old/1`, options())).toMatchObject({
      ok: true,
      url: new URL(`${cavage.origin}/articles/1`),
    });
    expect(cavage.gets.slice(before).map((g) => [g.path, g.verified])).toEqual([
      ["/old/1", true],
      ["/articles/1", true],
    ]);
  });

  it("signs with RFC 9421 when a server refuses draft-cavage", async () => {
    expect(await fetchJson(`${modern.origin}/articles/1`, options())).toMatchObject({ ok: true });
    expect(modern.gets.map((g) => g.verified)).toEqual([false, true]);
  });

  it("signs what a copy made from a pasted address fetches", async () => {
    const before = cavage.gets.length;
    await resolveRemoteDeclaration(`${cavage.origin}/articles/1`, options());
    const fetched = cavage.gets.slice(before);
    expect(fetched.length).toBeGreaterThan(0);
    expect(fetched.every((g) => g.verified && g.keyId === `${site.origin}/d/instance#main-key`)).toBe(true);
  });
});
