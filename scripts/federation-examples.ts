/**
 * Produces the JSON examples in FEDERATION.md by running undersign.
 *
 *   npx tsx scripts/federation-examples.ts           # prints every example
 *   npx tsx scripts/federation-examples.ts --write   # replaces the example blocks in FEDERATION.md
 *
 * It starts a real undersign instance and a stand-in for a Mastodon user's
 * server (test/helpers/fediverse.ts), each on a loopback port, and plays a
 * short story: a Declaration is published, alice follows it (our Accept),
 * the publisher posts the Article and the pinned announcement (our Creates,
 * as delivered), a second revision is published (the Updates of the Article
 * and of the announcement, and the version Note), alice favourites the
 * announcement (a fediverse signature), alice quotes the announcement (our
 * Accept and its stamp), a digest is posted, and a strike notice with an
 * image.  With the second revision the actor's profile (its Version field)
 * is sent again too.  Then every document we serve is fetched with
 * `Accept: application/activity+json`.  What other servers send us is taken
 * from test/helpers/fediverse-shapes.ts, the shapes Mastodon, Misskey and
 * Pleroma send.
 *
 * For readability the examples are edited in fixed ways (FEDERATION.md says
 * so): the loopback origins become https://undersign.example and
 * https://mastodon.example; inline `@context` term definitions are replaced by
 * "…"; keys, proofs and signatures are cut to their first characters; an
 * object that is shown in full elsewhere is cut to its id and type.  Because
 * hosts are replaced, the signatures and proofs in the examples do not verify.
 *
 * In FEDERATION.md, a line `<!-- example: NAME -->` directly followed by a
 * ```json block marks where example NAME goes.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { appendRevision, getDeclarationBySlug } from "../src/db/declarations.ts";
import { getPost } from "../src/db/posts.ts";
import { createRemoteCopy } from "../src/db/remote-copies.ts";
import { media } from "../src/db/schema.ts";
import { writeStrikeSettingsValue } from "../src/db/strike.ts";
import { postNoticesNow } from "../src/federation/notices.ts";
import { createDuePosts } from "../src/federation/publish.ts";
import { keepRevision, resolveRemoteDeclaration } from "../src/federation/index.ts";
import { parseStoredSettings } from "../src/strike/settings.ts";
import { startFediverseServer, type ReceivedActivity } from "../test/helpers/fediverse.ts";
import { mastodon, misskey, pleroma, snac } from "../test/helpers/fediverse-shapes.ts";
import { addDeclaration, startInstance } from "../test/helpers/instance.ts";
import { ROOT } from "../test/helpers/process.ts";

export const SITE_ORIGIN = "https://undersign.example";
export const REMOTE_ORIGIN = "https://mastodon.example";
/** A second undersign site, where the Declaration is copied. */
export const COPIES_ORIGIN = "https://copies.example";
const MISSKEY_ORIGIN = "https://misskey.example";
const PLEROMA_ORIGIN = "https://pleroma.example";
const SNAC_ORIGIN = "https://snac.example";

const SLUG = "digital-rights";
const AP = { accept: "application/activity+json" };

type Json = Record<string, unknown>;

/** Keys whose values are cut to their first characters. */
const LONG_VALUES = new Set(["publicKeyPem", "publicKeyMultibase", "proofValue", "signatureValue"]);

/** The readability edits described at the top of this file. */
export function trim(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(trim);
  if (value == null || typeof value !== "object") return value;
  const out: Json = {};
  for (const [key, v] of Object.entries(value as Json)) {
    if (key === "@context") out[key] = trimContext(v);
    else if (LONG_VALUES.has(key) && typeof v === "string") out[key] = shorten(v);
    else out[key] = trim(v);
  }
  return out;
}

function trimContext(context: unknown): unknown {
  if (!Array.isArray(context)) return typeof context === "object" && context != null ? "…" : context;
  const urls = context.filter((c) => typeof c === "string");
  return urls.length < context.length ? [...urls, "…"] : urls;
}

function shorten(value: string): string {
  const pem = /^(-----BEGIN [A-Z ]+-----\n)/.exec(value);
  if (pem != null) return `${pem[1]}${value.slice(pem[1]!.length, pem[1]!.length + 24)}…`;
  return `${value.slice(0, 24)}…`;
}

/** An object shown in full elsewhere, cut to what identifies it. */
function cutObject(activity: Json, note: string): Json {
  const object = activity.object as Json;
  return { ...activity, object: { id: object.id, type: object.type, "…": note } };
}

/** Collects every example; keys are the names used in FEDERATION.md. */
export async function collectExamples(): Promise<Record<string, unknown>> {
  const site = await startInstance({ instanceName: "Undersign Example" });
  const other = await startInstance({ instanceName: "Copies Example" });
  const remote = await startFediverseServer({ users: ["alice"] });
  const examples: Record<string, unknown> = {};
  try {
    const get = async (path: string, headers: Record<string, string> = AP): Promise<Json> => {
      const response = await fetch(new URL(path, site.origin), { headers });
      if (response.status !== 200) throw new Error(`GET ${path}: ${response.status}`);
      return (await response.json()) as Json;
    };
    const waitFor = (what: (a: ReceivedActivity) => boolean) => remote.waitFor(what, 15_000);

    addDeclaration(site.db, {
      slug: SLUG,
      title: "Digital Rights Declaration",
      summary: "Everyone has the right to **private** communication.",
      license: "CC BY-SA 4.0",
      hashtags: ["SocialMediaStrike", "DigitalRights"],
      body: "## Privacy\n\nWe declare that private messages stay private.\n",
    });
    const actorUri = `${site.origin}/d/${SLUG}`;

    examples.webfinger = await get(`/.well-known/webfinger?resource=acct:${SLUG}@${site.host}`, {});
    examples.actor = await get(`/d/${SLUG}`);
    examples["instance-actor"] = await get("/d/instance");

    // alice follows: our Accept, exactly as delivered.
    await remote.follow("alice", actorUri);
    examples.accept = (await waitFor((a) => a.type === "Accept")).json;

    // First pass: the Article and the announcement, delivered to alice's server.
    await site.publish();
    const declaration = getDeclarationBySlug(site.db, SLUG)!;
    const article = getPost(site.db, declaration.id, "article")!;
    const announcement = getPost(site.db, declaration.id, "announcement")!;
    const createOfAnnouncement = await waitFor((a) => a.type === "Create" && (a.json.object as Json).type === "Note");
    examples["create-delivered"] = createOfAnnouncement.json;
    await waitFor((a) => a.type === "Create" && (a.json.object as Json).type === "Article");
    examples.article = await get(`/ap/articles/${article.uuid}`);
    examples.announcement = await get(`/ap/notes/${announcement.uuid}`);
    const createUuid = (
      site.db.$client
        .prepare("SELECT uuid FROM fed_activities WHERE post_id = ? AND type = 'Create'")
        .get(article.id) as { uuid: string }
    ).uuid;
    examples.create = cutObject(await get(`/ap/activities/${createUuid}`), "the Article above, embedded in full");

    // A second revision: Update of the Article and a version Note.
    site.db.transaction((tx) =>
      appendRevision(tx, declaration, {
        title: declaration.title,
        summary: declaration.summary,
        body: "## Privacy\n\nWe declare that private messages stay private, and that metadata is private too.\n",
        changeSummary: "Metadata is private too",
        origin: "site",
      }),
    );
    await site.publish();
    await waitFor((a) => a.type === "Update" && (a.json.object as Json).type === "Article");
    const version = getPost(site.db, declaration.id, "version:2")!;
    examples["version-note"] = await get(`/ap/notes/${version.uuid}`);
    const updateUuid = (
      site.db.$client
        .prepare("SELECT uuid FROM fed_activities WHERE post_id = ? AND type = 'Update'")
        .get(article.id) as { uuid: string }
    ).uuid;
    examples.update = cutObject(await get(`/ap/updates/${updateUuid}`), "the Article at revision 2, embedded in full");
    // The announcement follows the text to revision 2: its opening words changed.
    examples["announcement-update-delivered"] = (
      await waitFor((a) => a.type === "Update" && (a.json.object as Json).type === "Note")
    ).json;
    // The actor's profile changed too (its Version field): it is sent again.
    examples["profile-update-delivered"] = cutObject(
      (await waitFor((a) => a.type === "Update" && (a.json.object as Json).type === "Service")).json,
      "the actor, embedded in full as served, its Version field now 2",
    );

    // alice favourites the announcement (a fediverse signature); then a digest is due.
    await remote.like("alice", `${site.origin}/ap/notes/${announcement.uuid}`);
    await new Promise((r) => setTimeout(r, 5));
    await createDuePosts(site.runtime.data, new Date(), 1);
    await site.publish();
    await waitFor((a) => a.type === "Create" && /(person|people) signed/.test(JSON.stringify(a.json.object)));

    // alice quotes the announcement (Mastodon 4.5): her server asks, we answer with a stamp.
    const quoteRequest = mastodon.quoteRequest(
      remote.actorUri("alice"),
      `${site.origin}/ap/notes/${announcement.uuid}`,
      `${remote.actorUri("alice")}/statuses/7777`,
      {
        id: `${remote.actorUri("alice")}/quote_requests/4f1d0c2e-9a6b-4e57-8d3c-1b2a3c4d5e6f`,
      },
    );
    await remote.postSigned({ inbox: `${site.origin}/inbox`, json: quoteRequest, user: "alice" });
    await site.drain();
    const quoteAccept = await waitFor((a) => a.type === "Accept" && (a.json.object as Json).type === "QuoteRequest");
    examples["quote-accept"] = quoteAccept.json;
    examples["quote-authorization"] = await get(new URL(String(quoteAccept.json.result)).pathname);
    const digest = site.db.$client.prepare("SELECT uuid FROM fed_posts WHERE kind = 'digest'").get() as {
      uuid: string;
    };
    examples["digest-note"] = await get(`/ap/notes/${digest.uuid}`);

    examples.followers = await get(`/d/${SLUG}/followers`);
    examples["followers-page"] = await get(`/d/${SLUG}/followers?cursor=0`);
    examples["followers-sync"] = await get(`/d/${SLUG}/followers?base-url=${encodeURIComponent(`${remote.origin}/`)}`);
    examples.outbox = await get(`/d/${SLUG}/outbox`);
    const outboxPage = await get(`/d/${SLUG}/outbox?cursor=0`);
    const items = outboxPage.orderedItems as Json[];
    examples["outbox-page"] = {
      ...outboxPage,
      orderedItems: items.map((item) => ({
        id: item.id,
        type: item.type,
        "…": `${(item.object as Json).type} embedded`,
      })),
    };
    examples.featured = await get(`/d/${SLUG}/featured`);
    examples["nodeinfo-wellknown"] = await get("/.well-known/nodeinfo", {});
    examples.nodeinfo = await get("/nodeinfo/2.1", {});

    // A strike notice with an image (posted by hand: the story does not wait for a strike slot).
    const image = site.db
      .insert(media)
      .values({
        uuid: "5f0c8a2e-7d1b-4c39-9a64-0e2b7c1d3f58",
        mime: "image/png",
        width: 1200,
        height: 675,
        bytes: 48_213,
        sha256: "0".repeat(64),
        alt: "A raised fist made of speech bubbles, and the words: July 4 and 5, log off.",
        created: new Date(),
      })
      .returning()
      .get();
    writeStrikeSettingsValue(site.db, {
      ...parseStoredSettings(undefined, new Date()),
      declarations: [SLUG],
      templates: [
        {
          text: "Today I am on strike from big social media. Sign the {declaration_title} with me: {declaration_url} {hashtags}",
          mediaIds: [image.id],
        },
      ],
    });
    const [notice] = await postNoticesNow(site.runtime.data, new URL(site.origin), [SLUG], new Date());
    examples["notice-note"] = await get(`/ap/notes/${notice!.uuid}`);
    await site.drain();

    // Every revision is an Article at its own address.
    examples["revision-article"] = await get(`/d/${SLUG}/v/2`);

    // Another undersign site copies version 2: its actor follows ours and sends us its Article's Create.
    const found = await resolveRemoteDeclaration(`${site.origin}/d/${SLUG}/v/2`, {
      allowPrivateAddress: true,
      db: other.db,
      origin: new URL(other.origin),
    });
    if (!found.ok) throw new Error(found.message);
    const kept = await keepRevision(other.runtime.data, found.declaration.revision);
    const owner = other.db.$client
      .prepare(
        "INSERT INTO accounts (username, password_hash, role, created) VALUES ('bea', 'unused', 'author', 0) RETURNING id",
      )
      .get() as { id: number };
    const copy = other.db.transaction((tx) =>
      createRemoteCopy(tx, {
        revision: kept,
        source: {
          actorIri: found.declaration.actor.id.href,
          inbox: found.declaration.actor.inbox.href,
          sharedInbox: found.declaration.actor.sharedInbox?.href ?? null,
          articleIri: found.declaration.articleIri.href,
          latestRevision: found.declaration.latest.number,
          latestUrl: found.declaration.latest.url.href,
          signatureCount: found.declaration.actor.signatureCount,
        },
        hashtags: [],
        ownerId: owner.id,
        slug: "digital-rights-copy",
        title: "Digital Rights Declaration (our copy)",
        summary: "",
        body: kept.body.replace("metadata is private too", "metadata is private too, and never sold"),
        notes: {},
        status: "published",
      }),
    );
    if (copy.kind !== "created") throw new Error(copy.kind);
    await other.publish();
    await other.drain();
    const copyArticle = getPost(other.db, copy.declaration.id, "article")!;
    const getOther = async (path: string): Promise<Json> =>
      (await (await fetch(new URL(path, other.origin), { headers: AP })).json()) as Json;
    examples["copy-article"] = await getOther(`/ap/articles/${copyArticle.uuid}`);
    const copyCreate = (
      other.db.$client
        .prepare("SELECT uuid FROM fed_activities WHERE post_id = ? AND type = 'Create'")
        .get(copyArticle.id) as { uuid: string }
    ).uuid;
    examples["copy-create"] = cutObject(
      await getOther(`/ap/activities/${copyCreate}`),
      "the copy's Article above, embedded in full",
    );

    // What other servers send us (test/helpers/fediverse-shapes.ts).
    const note = `${SITE_ORIGIN}/ap/notes/${announcement.uuid}`;
    const us = `${SITE_ORIGIN}/d/${SLUG}`;
    const mention = { href: us, name: `@${SLUG}@undersign.example` };
    const alice = `${REMOTE_ORIGIN}/users/alice`;
    const mk = `${MISSKEY_ORIGIN}/users/9x2k4q7c1a`;
    const pl = `${PLEROMA_ORIGIN}/users/carol`;
    const follow = mastodon.follow(alice, us);
    examples["in-follow-mastodon"] = follow;
    examples["in-follow-misskey"] = misskey.follow(mk, us, { followeeId: "9x2k4r0001" });
    examples["in-undo-follow-mastodon"] = mastodon.undoFollow(alice, us, follow as { id: string }, { n: "1234" });
    examples["in-like-mastodon"] = mastodon.like(alice, note, { n: "5678" });
    examples["in-undo-like-mastodon"] = mastodon.undoLike(alice, note, { n: "5678" });
    const reaction = misskey.like(mk, note, "⭐", { id: `${MISSKEY_ORIGIN}/likes/9x2k4s0002` });
    examples["in-like-misskey"] = reaction;
    examples["in-undo-like-misskey"] = misskey.undo(mk, reaction);
    examples["in-emojireact-pleroma"] = pleroma.emojiReact(pl, note, "✊", { author: us });
    const snacReaction = snac.emojiReact(`${SNAC_ORIGIN}/dana`, note, us, "👍", { published: "2026-01-01T12:00:00Z" });
    examples["in-emojireact-snac"] = snacReaction;
    examples["in-undo-emojireact-snac"] = snac.undo(`${SNAC_ORIGIN}/dana`, snacReaction, {
      published: "2026-01-01T12:05:00Z",
    });
    examples["in-announce-mastodon"] = mastodon.announce(alice, note, us, {
      n: "9012",
      published: "2026-01-01T12:00:00Z",
    });
    examples["in-undo-announce-mastodon"] = mastodon.undoAnnounce(alice, note, us, {
      n: "9012",
      published: "2026-01-01T12:00:00Z",
    });
    examples["in-reply-mastodon"] = mastodon.reply(
      alice,
      note,
      { mention },
      { n: "3456", published: "2026-01-01T12:00:00Z" },
    );
    examples["in-reply-misskey"] = misskey.reply(
      mk,
      note,
      { mention },
      { n: "9x2k4t0003", published: "2026-01-01T12:00:00.000Z" },
    );
    examples["in-update-person-mastodon"] = mastodon.updatePerson(
      alice,
      { name: "Alice A.", publicKeyPem: await remote.publicKeyPem("alice") },
      { id: `${alice}#updates/1767268800` },
    );
    examples["in-delete-status-mastodon"] = mastodon.deleteStatus(alice, `${alice}/statuses/3456`);
    examples["in-delete-actor-mastodon"] = mastodon.deleteActor(alice);
    examples["in-quote-request-mastodon"] = mastodon.quoteRequest(alice, note, `${alice}/statuses/7777`, {
      id: `${alice}/quote_requests/4f1d0c2e-9a6b-4e57-8d3c-1b2a3c4d5e6f`,
    });
    examples["in-flag-mastodon"] = mastodon.flag(`${REMOTE_ORIGIN}/actor`, us, [note], "Spam", {
      id: `${REMOTE_ORIGIN}/0b6c2a7e-4f55-4a1e-9d3b-2c8f1e7a9b10`,
    });

    // Our loopback origins, as the example hosts.
    const replacements: [string, string][] = [
      [site.origin, SITE_ORIGIN],
      [encodeURIComponent(site.origin), encodeURIComponent(SITE_ORIGIN)],
      [remote.origin, REMOTE_ORIGIN],
      [encodeURIComponent(remote.origin), encodeURIComponent(REMOTE_ORIGIN)],
      [other.origin, COPIES_ORIGIN],
      [encodeURIComponent(other.origin), encodeURIComponent(COPIES_ORIGIN)],
      [site.host, new URL(SITE_ORIGIN).host],
      [other.host, new URL(COPIES_ORIGIN).host],
      [remote.host, new URL(REMOTE_ORIGIN).host],
    ];
    const result: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(examples)) {
      let text = JSON.stringify(trim(value));
      for (const [from, to] of replacements)
        text = text.split(JSON.stringify(from).slice(1, -1)).join(JSON.stringify(to).slice(1, -1));
      result[name] = JSON.parse(text);
    }
    return result;
  } finally {
    await remote.close();
    await other.close();
    await site.close();
  }
}

/** A marker and its block; the block may be empty (`(?:…)??` tries the empty block first). */
const MARKER = /^<!-- example: ([a-z0-9-]+) -->\n```json\n(?:[\s\S]*?\n)??```$/gm;

/** FEDERATION.md with every marked block replaced by its example. */
export function fillDocument(doc: string, examples: Record<string, unknown>): string {
  return doc.replace(MARKER, (_all, name: string) => {
    if (!(name in examples)) throw new Error(`FEDERATION.md asks for an unknown example ${name}`);
    return `<!-- example: ${name} -->\n\`\`\`json\n${JSON.stringify(examples[name], null, 2)}\n\`\`\``;
  });
}

/** The example names FEDERATION.md marks, in order. */
export function markedExamples(doc: string): string[] {
  return [...doc.matchAll(MARKER)].map((m) => m[1]!);
}

async function main(): Promise<void> {
  const examples = await collectExamples();
  if (process.argv.includes("--write")) {
    const path = join(ROOT, "FEDERATION.md");
    const doc = readFileSync(path, "utf8");
    const filled = fillDocument(doc, examples);
    writeFileSync(path, filled);
    const used = new Set(markedExamples(doc));
    const unused = Object.keys(examples).filter((n) => !used.has(n));
    process.stdout.write(
      `Wrote ${used.size} examples into ${path}${unused.length > 0 ? `; not used: ${unused.join(", ")}` : ""}\n`,
    );
  } else {
    for (const [name, value] of Object.entries(examples)) {
      process.stdout.write(`<!-- example: ${name} -->\n\`\`\`json\n${JSON.stringify(value, null, 2)}\n\`\`\`\n\n`);
    }
  }
}

if (process.argv[1] != null && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
