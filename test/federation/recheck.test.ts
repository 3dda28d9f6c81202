/**
 * Signers whose account is gone: the accounts behind live fediverse
 * signatures are fetched again at a slow pace (recheck.ts), against a
 * scripted server whose accounts answer 410, 404, 500, a redirect, a
 * document, or nothing at all.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDeclarationBySlug } from "../../src/db/declarations.ts";
import { upsertRemoteActor } from "../../src/db/fediverse.ts";
import { recordUndone, wasUndone } from "../../src/db/reactions.ts";
import { recountSignatures } from "../../src/db/signatures.ts";
import { recheckSigners } from "../../src/federation/recheck.ts";
import { startActorServer, type ActorServer, type ActorState } from "../helpers/actor-server.ts";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { fediverseSignature } from "../helpers/fediverse-rows.ts";

const DAY = 24 * 60 * 60 * 1000;
let far: ActorServer;

beforeAll(async () => {
  far = await startActorServer();
});
afterAll(async () => {
  await far?.close();
});

async function siteWithSigners(states: Record<string, ActorState>) {
  const t = await createTestApp({ env: { FEDERATION_ALLOW_PRIVATE_ADDRESS: "true" } });
  const d = addDeclaration(t.db, { slug: "rights" });
  const prefix = `${Math.random().toString(36).slice(2, 8)}-`;
  for (const [name, state] of Object.entries(states)) {
    const actor = await far.addActor(prefix + name);
    far.setState(prefix + name, state);
    const row = upsertRemoteActor(
      t.db,
      {
        uri: actor.uri,
        handle: `${name}@far`,
        name,
        url: actor.uri,
        iconUrl: null,
        inbox: `${actor.uri}/inbox`,
        sharedInbox: null,
      },
      new Date(),
    );
    fediverseSignature(t.db, d, row);
  }
  const status = () =>
    Object.fromEntries(
      (
        t.db.$client
          .prepare("SELECT a.name, s.status FROM signatures s JOIN remote_actors a ON a.id = s.remote_actor_id")
          .all() as { name: string; status: string }[]
      ).map((r) => [r.name, r.status]),
    );
  const count = () => getDeclarationBySlug(t.db, "rights")!.signatureCount;
  return { t, prefix, status, count, data: t.runtime.data };
}

describe("re-checking signers' accounts", () => {
  it("withdraws the signatures of accounts whose id answers 410; keeps those that answer, fail or time out", async () => {
    const { t, status, count, data } = await siteWithSigners({
      live: "live",
      deleted: 410,
      broken: 500,
      moved: { redirect: "http://127.0.0.1:9/x" },
      slow: "hang",
    });
    expect(count()).toBe(5);
    const result = await recheckSigners(data, new Date(), { perPass: 10, timeoutMs: 3000 });
    expect(result).toEqual({ checked: 5, gone: 1 });
    expect(status()).toEqual({ live: "confirmed", broken: "confirmed", moved: "confirmed", slow: "confirmed" });
    expect(count()).toBe(4);
    expect(t.db.$client.prepare("SELECT count(*) AS n FROM remote_actors WHERE name = 'deleted'").get()).toEqual({
      n: 0,
    });
    expect(recountSignatures(t.db, false)).toEqual([]);
  });

  it("needs a 404 twice, a day apart, before it withdraws", async () => {
    const { status, count, data } = await siteWithSigners({ missing: 404 });
    const now = Date.now();
    expect(await recheckSigners(data, new Date(now), { perPass: 10 })).toEqual({ checked: 1, gone: 0 });
    // Not due again within the day.
    expect(await recheckSigners(data, new Date(now + DAY / 2), { perPass: 10 })).toEqual({ checked: 0, gone: 0 });
    expect(status()).toEqual({ missing: "confirmed" });
    expect(await recheckSigners(data, new Date(now + DAY + 60_000), { perPass: 10 })).toEqual({ checked: 1, gone: 1 });
    expect(status()).toEqual({});
    expect(count()).toBe(0);
  });

  it("forgets a 404 when the account answers again", async () => {
    const { t, prefix, status, data } = await siteWithSigners({ flaky: 404 });
    const now = Date.now();
    await recheckSigners(data, new Date(now), { perPass: 10 });
    far.setState(`${prefix}flaky`, "live");
    await recheckSigners(data, new Date(now + DAY + 60_000), { perPass: 10 });
    expect(t.db.$client.prepare("SELECT missing_since FROM remote_actors").get()).toEqual({ missing_since: null });
    far.setState(`${prefix}flaky`, 404);
    // A new 404 starts its day again.
    expect(await recheckSigners(data, new Date(now + 31 * DAY + 120_000), { perPass: 10 })).toEqual({
      checked: 1,
      gone: 0,
    });
    expect(status()).toEqual({ flaky: "confirmed" });
  });

  it("checks a bounded number per pass, the never-checked and longest-unchecked first, each at most once per interval", async () => {
    const names = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`s${i}`, "live" as const]));
    const { t, prefix, data } = await siteWithSigners(names);
    const now = Date.now();
    const hits = () => Array.from({ length: 5 }, (_, i) => far.hits(`/users/${prefix}s${i}`));
    expect(await recheckSigners(data, new Date(now), { perPass: 2 })).toEqual({ checked: 2, gone: 0 });
    expect(await recheckSigners(data, new Date(now + 60_000), { perPass: 2 })).toEqual({ checked: 2, gone: 0 });
    expect(await recheckSigners(data, new Date(now + 120_000), { perPass: 2 })).toEqual({ checked: 1, gone: 0 });
    expect(await recheckSigners(data, new Date(now + 180_000), { perPass: 2 })).toEqual({ checked: 0, gone: 0 });
    expect(hits()).toEqual([1, 1, 1, 1, 1]);
    // Thirty days later they are due again.
    expect(await recheckSigners(data, new Date(now + 30 * DAY + 1000), { perPass: 10 })).toEqual({
      checked: 2,
      gone: 0,
    });
    expect(t.db.$client.prepare("SELECT count(*) AS n FROM remote_actors WHERE checked IS NULL").get()).toEqual({
      n: 0,
    });
  });

  it("forgets tombstones of undone activities after 30 days", async () => {
    const { t, data } = await siteWithSigners({});
    const now = Date.now();
    recordUndone(t.db, "https://far.example/likes/1", "https://far.example/users/a", new Date(now - 31 * DAY));
    recordUndone(t.db, "https://far.example/likes/2", "https://far.example/users/a", new Date(now - DAY));
    await recheckSigners(data, new Date(now));
    expect(wasUndone(t.db, "https://far.example/likes/1", "https://far.example/users/a", null)).toBe(false);
    expect(wasUndone(t.db, "https://far.example/likes/2", "https://far.example/users/a", null)).toBe(true);
  });
});
