/**
 * Fediverse rows written straight to the database (what the inbox would
 * store), for page tests that need followers, fediverse signatures,
 * responses or reports without a second server.
 */
import type { Db } from "../../src/db/client.ts";
import { addBoost, addFollower, addReport, addResponse, upsertRemoteActor } from "../../src/db/fediverse.ts";
import { addReaction } from "../../src/db/reactions.ts";
import type { Declaration, RemoteActor } from "../../src/db/schema.ts";
import { sanitizeRemoteHtml } from "../../src/markdown.ts";

let n = 0;

/** A remote account `user@host` (host defaults to social.example). */
export function remoteActor(
  db: Db,
  user: string,
  options: { host?: string; name?: string | null; iconUrl?: string | null } = {},
): RemoteActor {
  const host = options.host ?? "social.example";
  const uri = `https://${host}/users/${user}`;
  return db.transaction((tx) =>
    upsertRemoteActor(
      tx,
      {
        uri,
        handle: `${user}@${host}`,
        name: options.name === undefined ? `${user[0]!.toUpperCase()}${user.slice(1)} Example` : options.name,
        url: `https://${host}/@${user}`,
        iconUrl: options.iconUrl === undefined ? `https://${host}/avatars/${user}.png` : options.iconUrl,
        inbox: `${uri}/inbox`,
        sharedInbox: `https://${host}/inbox`,
      },
      new Date(),
    ),
  );
}

/** `actor` favourites the Declaration's post: a fediverse signature. */
export function fediverseSignature(db: Db, declaration: Pick<Declaration, "id" | "revision">, actor: RemoteActor) {
  n++;
  return db.transaction((tx) =>
    addReaction(tx, {
      declarationId: declaration.id,
      actorId: actor.id,
      activityUri: `${actor.uri}#likes/${n}`,
      objectUri: `https://undersign.test/ap/notes/${n}`,
      kind: "like",
      content: null,
      revision: declaration.revision,
      name: actor.name ?? actor.handle ?? actor.uri,
      website: actor.url,
      now: new Date(),
    }),
  );
}

export function follower(db: Db, declaration: Pick<Declaration, "id">, actor: RemoteActor) {
  return addFollower(db, declaration.id, actor.id, `${actor.uri}#follows/${++n}`, new Date());
}

export function boost(db: Db, declaration: Pick<Declaration, "id">, actor: RemoteActor) {
  n++;
  return addBoost(db, {
    declarationId: declaration.id,
    actorId: actor.id,
    activityUri: `${actor.uri}/statuses/${n}/activity`,
    objectUri: "https://undersign.test/ap/notes/x",
    now: new Date(),
  });
}

/** A reply by `actor`; returns its row id. */
export function response(
  db: Db,
  declaration: Pick<Declaration, "id">,
  actor: RemoteActor,
  html: string,
  options: { summary?: string | null; published?: Date } = {},
): number {
  n++;
  const uri = `${actor.uri}/statuses/${n}`;
  addResponse(
    db,
    {
      uri,
      declarationId: declaration.id,
      actorId: actor.id,
      inReplyTo: "https://undersign.test/ap/notes/x",
      url: `${actor.url}/${n}`,
      summary: options.summary ?? null,
      contentHtml: sanitizeRemoteHtml(html),
      published: options.published ?? new Date(Date.UTC(2026, 0, 15, 12)),
    },
    new Date(),
  );
  return db.$client.prepare<[string], { id: number }>("SELECT id FROM fed_responses WHERE uri = ?").get(uri)!.id;
}

/** A Flag from `actorUri`; returns its row id. */
export function report(
  db: Db,
  declarationId: number | null,
  content: string,
  actorUri = "https://social.example/actor",
): number {
  const activityUri = `https://social.example/flags/${++n}`;
  addReport(
    db,
    {
      activityUri,
      actorUri,
      declarationId,
      objectUris: ["https://undersign.test/d/test-declaration", `https://undersign.test/ap/notes/${n}`],
      content,
    },
    new Date(),
  );
  return db.$client
    .prepare<[string], { id: number }>("SELECT id FROM fed_reports WHERE activity_uri = ?")
    .get(activityUri)!.id;
}
