/**
 * A translation on the fediverse: its own actor (`@{original}-{language}@host`),
 * whose Article carries its text in `contentMap` under its language, and
 * which a Mastodon-like server follows and signs by favouriting, the
 * signature counting toward the original's family total.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount, findAccountByUsername } from "../../src/db/accounts.ts";
import { getDeclarationBySlug } from "../../src/db/declarations.ts";
import { createTranslation } from "../../src/db/translations.ts";
import { getPost } from "../../src/db/posts.ts";
import { startFediverseServer, type FediverseServer } from "../helpers/fediverse.ts";
import { pageText } from "../helpers/forms.ts";
import { addDeclaration, startInstance, type TestInstance } from "../helpers/instance.ts";

const AP = { accept: "application/activity+json" };

let site: TestInstance;
let remote: FediverseServer;

async function getJson(url: string): Promise<Record<string, any>> {
  const response = await fetch(url, { headers: AP });
  expect(response.status, url).toBe(200);
  return (await response.json()) as Record<string, any>;
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function declaration(slug: string) {
  return getDeclarationBySlug(site.db, slug)!;
}

beforeAll(async () => {
  site = await startInstance();
  addDeclaration(site.db, { slug: "digital-rights", title: "Digital Rights", language: "en" });
  // Made as the translation form makes it (test/web/translations.test.tsx goes through the form).
  const owner = createAccount(site.db, { username: "ada", passwordHash: "unused", role: "author" });
  if (owner.kind !== "created") throw new Error(owner.kind);
  const original = declaration("digital-rights");
  const made = await site.batcher.run(() =>
    createTranslation(site.db, {
      original,
      originalRevision: 1,
      language: "fr",
      slug: "digital-rights-fr",
      title: "Droits numériques",
      summary: "",
      body: "## Premièrement\n\nNous déclarons que les tests sont bons.\n",
      ownerId: findAccountByUsername(site.db, "ada")!.id,
      status: "published",
    }),
  );
  expect(made.kind).toBe("created");
  await site.publish();
  remote = await startFediverseServer({ users: ["alice"] });
}, 60_000);

afterAll(async () => {
  await remote?.close();
  await site?.close();
});

describe("a translation on the fediverse", () => {
  it("is an actor of its own, found by its handle", async () => {
    const actor = await remote.lookup("alice", `digital-rights-fr@${site.host}`);
    expect(actor.id?.href).toBe(`${site.origin}/d/digital-rights-fr`);
  });

  it("has an Article whose contentMap and nameMap are keyed by its language; the original's by its own", async () => {
    const translation = declaration("digital-rights-fr");
    const article = await getJson(`${site.origin}/ap/articles/${getPost(site.db, translation.id, "article")!.uuid}`);
    expect(Object.keys(article.contentMap)).toEqual(["fr"]);
    expect(article.contentMap.fr).toContain("Nous déclarons que les tests sont bons.");
    expect(article.nameMap).toEqual({ fr: "Droits numériques" });
    const original = declaration("digital-rights");
    const source = await getJson(`${site.origin}/ap/articles/${getPost(site.db, original.id, "article")!.uuid}`);
    expect(Object.keys(source.contentMap)).toEqual(["en"]);
  });

  it("is followed and signed by favouriting, and the signature counts toward the family's total", async () => {
    const actorUri = `${site.origin}/d/digital-rights-fr`;
    await remote.follow("alice", actorUri);
    await until(() => remote.followingAccepted("alice", actorUri), "the Accept of the Follow");
    const translation = declaration("digital-rights-fr");
    const noteUri = `${site.origin}/ap/notes/${getPost(site.db, translation.id, "announcement")!.uuid}`;
    await remote.like("alice", noteUri);
    await until(() => declaration("digital-rights-fr").signatureCount === 1, "the favourite to sign");
    expect(declaration("digital-rights").signatureCount).toBe(0);
    const list = pageText(await (await fetch(`${site.origin}/d/digital-rights/translations`)).text());
    expect(list).toContain("1 signature in all languages");
    expect(list).toMatch(/Français\s*: 1 signature/);
  });
});
