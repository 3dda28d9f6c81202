/**
 * The strike's settings, stored as one JSON value in `settings` (key
 * `strike`), and its notices (posts of kind "notice").  Validation and
 * defaults live in src/strike/settings.ts; this file only reads and writes.
 */
import { and, count, desc, eq, sql } from "drizzle-orm";
import type { DbLike } from "./client.ts";
import { createPost } from "./posts.ts";
import { declarations, fedActivities, fedPosts, media, type FedActivity, type FedPost, type Media } from "./schema.ts";
import { readJsonSetting, writeJsonSetting } from "./settings.ts";

const KEY = "strike";

/** The stored value (parsed JSON), or undefined when none was saved. */
export function readStrikeSettingsValue(db: DbLike): unknown {
  return readJsonSetting(db, KEY);
}

export function writeStrikeSettingsValue(db: DbLike, value: unknown): void {
  writeJsonSetting(db, KEY, value);
}

// ---------------------------------------------------------------------------
// Notices

export interface NewNotice {
  declarationId: number;
  /** `notice:<slot start ISO>` for a slot, `notice:now:<uuid>` when posted by hand. */
  key: string;
  revision: number;
  signatureCount: number;
  content: string;
  mediaIds: readonly number[];
  /** The slot's start, or null when posted by hand. */
  slot: Date | null;
  now: Date;
}

/**
 * Creates a notice and its `Create` activity, unless one with that key
 * exists already for the Declaration (another process, or an earlier pass,
 * posted it): then returns undefined.  Call inside a transaction.
 */
export function createNotice(tx: DbLike, input: NewNotice): { post: FedPost; activity: FedActivity } | undefined {
  const created = createPost(tx, {
    declarationId: input.declarationId,
    kind: "notice",
    key: input.key,
    revision: input.revision,
    signatureCount: input.signatureCount,
    now: input.now,
  });
  if (created == null) return undefined;
  const post = tx
    .update(fedPosts)
    .set({ content: input.content, mediaIds: [...input.mediaIds], slot: input.slot })
    .where(eq(fedPosts.id, created.post.id))
    .returning()
    .get()!;
  return { post, activity: created.activity };
}

/** How many notices a Declaration has posted (all of them, by slot or by hand). */
export function countNotices(db: DbLike, declarationId: number): number {
  return (
    db
      .select({ n: count() })
      .from(fedPosts)
      .where(and(eq(fedPosts.declarationId, declarationId), eq(fedPosts.kind, "notice")))
      .get()?.n ?? 0
  );
}

/** How many notices were posted under `key` (one per Declaration at most). */
export function countNoticesWithKey(db: DbLike, key: string): number {
  return (
    db
      .select({ n: count() })
      .from(fedPosts)
      .where(and(eq(fedPosts.kind, "notice"), eq(fedPosts.key, key)))
      .get()?.n ?? 0
  );
}

export interface NoticeRow {
  post: FedPost;
  declaration: { slug: string; title: string };
  /** When its activity was handed to the delivery queue (null: not yet). */
  delivered: Date | null;
}

/** Notices of every Declaration, newest first. */
export function listNotices(db: DbLike, limit = 100): NoticeRow[] {
  return db
    .select({
      post: fedPosts,
      declaration: { slug: declarations.slug, title: declarations.title },
      delivered: fedActivities.delivered,
    })
    .from(fedPosts)
    .innerJoin(declarations, eq(declarations.id, fedPosts.declarationId))
    .leftJoin(fedActivities, and(eq(fedActivities.postId, fedPosts.id), eq(fedActivities.type, "Create")))
    .where(eq(fedPosts.kind, "notice"))
    .orderBy(desc(fedPosts.published), desc(fedPosts.id))
    .limit(limit)
    .all();
}

/** Boosts and favourites (likes and emoji reactions) of each object URI given. */
export function interactionCounts(
  db: DbLike,
  objectUris: readonly string[],
): Map<string, { boosts: number; favourites: number }> {
  const out = new Map<string, { boosts: number; favourites: number }>(
    objectUris.map((u) => [u, { boosts: 0, favourites: 0 }]),
  );
  if (objectUris.length === 0) return out;
  const list = JSON.stringify(objectUris);
  for (const row of db.all<{ uri: string; n: number }>(
    sql`SELECT object_uri AS uri, count(*) AS n FROM fed_boosts WHERE object_uri IN (SELECT value FROM json_each(${list})) GROUP BY object_uri`,
  )) {
    out.get(row.uri)!.boosts = row.n;
  }
  for (const row of db.all<{ uri: string; n: number }>(
    sql`SELECT object_uri AS uri, count(*) AS n FROM fed_reactions WHERE object_uri IN (SELECT value FROM json_each(${list})) GROUP BY object_uri`,
  )) {
    out.get(row.uri)!.favourites = row.n;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Images for notices (uploaded elsewhere; here only read)

export type MediaChoice = Pick<Media, "id" | "uuid" | "mime" | "width" | "height" | "alt" | "title">;

const mediaColumns = {
  id: media.id,
  uuid: media.uuid,
  mime: media.mime,
  width: media.width,
  height: media.height,
  alt: media.alt,
  title: media.title,
};

/** The media library, newest first. */
export function listMediaChoices(db: DbLike, limit = 500): MediaChoice[] {
  return db.select(mediaColumns).from(media).orderBy(desc(media.id)).limit(limit).all();
}

/** The images with these ids that exist, in the order given. */
export function getMediaByIds(db: DbLike, ids: readonly number[]): MediaChoice[] {
  if (ids.length === 0) return [];
  const rows = db
    .select(mediaColumns)
    .from(media)
    .where(sql`${media.id} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`)
    .all();
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}
