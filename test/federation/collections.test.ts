/**
 * The followers collection a server reads to synchronize its view of who
 * follows (FEP-8fcf, Mastodon's followers synchronization): the partial
 * collection for that server is served whole, so a Mastodon before 4.3.7,
 * which reads only what the collection holds or its first page and unfollows
 * every local account not there, keeps every follower.
 */
import { digest } from "@fedify/fedify";
import { beforeAll, describe, expect, it } from "vitest";
import { addFollower, upsertRemoteActor } from "../../src/db/fediverse.ts";
import { addDeclaration, createTestApp, TEST_ORIGIN } from "../helpers/app.ts";

const AP = { accept: "application/activity+json" };
let app: Awaited<ReturnType<typeof createTestApp>>["app"];
const followersUri = `${TEST_ORIGIN}/d/test-declaration/followers`;
const onSync: string[] = [];

beforeAll(async () => {
  const test = await createTestApp();
  app = test.app;
  const declaration = addDeclaration(test.db);
  const now = new Date();
  test.db.transaction((tx) => {
    for (let i = 0; i < 180; i++) {
      // 120 followers on sync.example (more than two pages of 50), 60 elsewhere, one on a look-alike host.
      const host = i < 120 ? "sync.example" : i === 179 ? "sync.example.evil" : `other${i}.example`;
      const uri = `https://${host}/users/u${i}`;
      if (host === "sync.example") onSync.push(uri);
      const actor = upsertRemoteActor(
        tx,
        {
          uri,
          handle: null,
          name: null,
          url: uri,
          iconUrl: null,
          inbox: `${uri}/inbox`,
          sharedInbox: `https://${host}/inbox`,
        },
        now,
      );
      addFollower(tx, declaration.id, actor.id, null, now);
    }
  });
});

async function get(url: string): Promise<Record<string, any>> {
  const response = await app.request(url, { headers: AP });
  expect(response.status, url).toBe(200);
  return (await response.json()) as Record<string, any>;
}

/** What Mastodon before 4.3.7 keeps: the collection's own items, or else its first page's. */
async function mastodonBefore437Reads(url: string): Promise<string[]> {
  const collection = await get(url);
  const inline = collection.orderedItems ?? collection.items;
  if (inline != null) return [inline].flat();
  if (collection.first == null) return [];
  const first = typeof collection.first === "string" ? await get(collection.first) : collection.first;
  return [first.orderedItems ?? first.items ?? []].flat();
}

describe("followers synchronization (FEP-8fcf)", () => {
  it("serves a server's partial followers collection whole, with every follower there and no other", async () => {
    const url = `${followersUri}?base-url=${encodeURIComponent("https://sync.example/")}`;
    const collection = await get(url);
    expect(collection.type).toBe("OrderedCollection");
    expect(collection.first).toBeUndefined();
    expect([...collection.orderedItems].sort()).toEqual([...onSync].sort());
    expect(await mastodonBefore437Reads(url)).toHaveLength(120);
    // What it lists is what the Collection-Synchronization digest covers.
    expect(Buffer.from(await digest(collection.orderedItems)).toString("hex")).toBe(
      Buffer.from(await digest(onSync)).toString("hex"),
    );
  });

  it("still pages the collection for everyone else, and a server's own followers when it asks by page", async () => {
    const collection = await get(followersUri);
    expect(collection).toMatchObject({ totalItems: 180, first: `${followersUri}?cursor=0` });
    expect(collection.orderedItems).toBeUndefined();
    const page = await get(`${followersUri}?base-url=${encodeURIComponent("https://sync.example/")}&cursor=0`);
    expect(page.orderedItems).toHaveLength(50);
    expect(page.next).toBeDefined();
  });
});
