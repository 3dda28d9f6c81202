/**
 * What Declarations' actors post, and their outboxes.  A post is created at
 * most once per (Declaration, key) — the unique index is what keeps two
 * processes, or a restart, from posting the same thing twice.  An activity is
 * recorded in the same transaction as its post and marked delivered once it
 * is in the delivery queue.
 */
import { randomUUID } from "node:crypto";
import { and, asc, count, desc, eq, isNull, lt, sql } from "drizzle-orm";
import type { DbLike } from "./client.ts";
import { preparedPerHandle } from "./prepared.ts";
import { declarations, fedActivities, fedPosts, type Declaration, type FedActivity, type FedPost } from "./schema.ts";

export type PostKind = FedPost["kind"];

const statements = preparedPerHandle((db) => ({
  byUuid: db
    .select()
    .from(fedPosts)
    .where(eq(fedPosts.uuid, sql.placeholder("uuid")))
    .prepare(),
  byKey: db
    .select()
    .from(fedPosts)
    .where(and(eq(fedPosts.declarationId, sql.placeholder("declarationId")), eq(fedPosts.key, sql.placeholder("key"))))
    .prepare(),
}));

export function getPostByUuid(db: DbLike, uuid: string): FedPost | undefined {
  return statements(db).byUuid.get({ uuid });
}

export function getPost(db: DbLike, declarationId: number, key: string): FedPost | undefined {
  return statements(db).byKey.get({ declarationId, key });
}

export interface NewPost {
  declarationId: number;
  kind: PostKind;
  key: string;
  revision: number;
  signatureCount?: number;
  delta?: number;
  now: Date;
}

/**
 * Creates a post and its `Create` activity.  Returns undefined when a post
 * with that key exists already (someone else posted it).  Call inside a
 * transaction.
 */
export function createPost(tx: DbLike, input: NewPost): { post: FedPost; activity: FedActivity } | undefined {
  const post = tx
    .insert(fedPosts)
    .values({
      uuid: randomUUID(),
      declarationId: input.declarationId,
      kind: input.kind,
      key: input.key,
      revision: input.revision,
      signatureCount: input.signatureCount ?? 0,
      delta: input.delta ?? 0,
      published: input.now,
    })
    .onConflictDoNothing()
    .returning()
    .get();
  if (post == null) return undefined;
  const activity = insertActivity(tx, post, "Create", input.revision, input.now);
  return { post, activity };
}

/**
 * Moves a post (the Article) to a newer revision and records the `Update`.
 * Returns undefined when the post is already at that revision or newer.
 */
export function revisePost(
  tx: DbLike,
  postId: number,
  revision: number,
  now: Date,
): { post: FedPost; activity: FedActivity } | undefined {
  const post = tx
    .update(fedPosts)
    .set({ revision, updated: now })
    .where(and(eq(fedPosts.id, postId), lt(fedPosts.revision, revision)))
    .returning()
    .get();
  if (post == null) return undefined;
  return { post, activity: insertActivity(tx, post, "Update", revision, now) };
}

function insertActivity(
  tx: DbLike,
  post: FedPost,
  type: FedActivity["type"],
  revision: number,
  now: Date,
): FedActivity {
  return tx
    .insert(fedActivities)
    .values({ uuid: randomUUID(), declarationId: post.declarationId, postId: post.id, type, revision, published: now })
    .returning()
    .get();
}

export function markDelivered(db: DbLike, activityId: number, now: Date): void {
  db.update(fedActivities).set({ delivered: now }).where(eq(fedActivities.id, activityId)).run();
}

export interface OutboxEntry {
  activity: FedActivity;
  post: FedPost;
  declaration: Pick<Declaration, "slug">;
}

/** Activities recorded but not yet handed to the delivery queue (oldest first). */
export function listUndelivered(db: DbLike, limit = 100): OutboxEntry[] {
  return db
    .select({ activity: fedActivities, post: fedPosts, declaration: { slug: declarations.slug } })
    .from(fedActivities)
    .innerJoin(fedPosts, eq(fedPosts.id, fedActivities.postId))
    .innerJoin(declarations, eq(declarations.id, fedActivities.declarationId))
    .where(isNull(fedActivities.delivered))
    .orderBy(asc(fedActivities.id))
    .limit(limit)
    .all();
}

/** One page of a Declaration's outbox, newest first, before activity row id `before` (0 = from the newest). */
export function outboxPage(db: DbLike, declarationId: number, before: number, limit: number): OutboxEntry[] {
  return db
    .select({ activity: fedActivities, post: fedPosts, declaration: { slug: declarations.slug } })
    .from(fedActivities)
    .innerJoin(fedPosts, eq(fedPosts.id, fedActivities.postId))
    .innerJoin(declarations, eq(declarations.id, fedActivities.declarationId))
    .where(and(eq(fedActivities.declarationId, declarationId), before > 0 ? lt(fedActivities.id, before) : undefined))
    .orderBy(desc(fedActivities.id))
    .limit(limit)
    .all();
}

export function countActivities(db: DbLike, declarationId: number): number {
  return (
    db.select({ n: count() }).from(fedActivities).where(eq(fedActivities.declarationId, declarationId)).get()?.n ?? 0
  );
}

export function getActivityByUuid(db: DbLike, uuid: string): OutboxEntry | undefined {
  return db
    .select({ activity: fedActivities, post: fedPosts, declaration: { slug: declarations.slug } })
    .from(fedActivities)
    .innerJoin(fedPosts, eq(fedPosts.id, fedActivities.postId))
    .innerJoin(declarations, eq(declarations.id, fedActivities.declarationId))
    .where(eq(fedActivities.uuid, uuid))
    .get();
}

/** The newest digest post of a Declaration. */
export function latestDigest(db: DbLike, declarationId: number): FedPost | undefined {
  return db
    .select()
    .from(fedPosts)
    .where(and(eq(fedPosts.declarationId, declarationId), eq(fedPosts.kind, "digest")))
    .orderBy(desc(fedPosts.id))
    .limit(1)
    .get();
}

/** Posts of a Declaration of the given kinds, newest first. */
export function listPosts(db: DbLike, declarationId: number, kinds: readonly PostKind[], limit = 50): FedPost[] {
  return db
    .select()
    .from(fedPosts)
    .where(
      and(
        eq(fedPosts.declarationId, declarationId),
        sql`${fedPosts.kind} IN (SELECT value FROM json_each(${JSON.stringify(kinds)}))`,
      ),
    )
    .orderBy(desc(fedPosts.id))
    .limit(limit)
    .all();
}

export interface PublishWork {
  id: number;
  slug: string;
  revision: number;
  signatureCount: number;
  articleId: number | null;
  articleRevision: number | null;
}

/** Published Declarations whose Article is missing or older than their latest revision. */
export function declarationsToPublish(db: DbLike): PublishWork[] {
  return db.all<PublishWork>(sql`
    SELECT d.id, d.slug, d.revision, d.signature_count AS signatureCount, p.id AS articleId, p.revision AS articleRevision
    FROM declarations d
    LEFT JOIN fed_posts p ON p.declaration_id = d.id AND p.key = 'article'
    WHERE d.status = 'published' AND (p.id IS NULL OR p.revision < d.revision)
    ORDER BY d.id`);
}

export interface DigestWork {
  id: number;
  slug: string;
  revision: number;
  signatureCount: number;
  /** When the previous digest (or the Article) was posted, Unix ms. */
  since: number;
}

/**
 * Published Declarations whose last digest (or Article) is at least
 * `intervalMs` old and that have new signatures since then.
 */
export function declarationsDueForDigest(
  db: DbLike,
  now: Date,
  intervalMs: number,
): (DigestWork & { delta: number })[] {
  const due = db.all<DigestWork>(sql`
    SELECT d.id, d.slug, d.revision, d.signature_count AS signatureCount,
           MAX(p.published) AS since
    FROM declarations d
    JOIN fed_posts p ON p.declaration_id = d.id AND p.kind IN ('article', 'digest')
    WHERE d.status = 'published'
    GROUP BY d.id
    HAVING MAX(p.published) <= ${now.getTime() - intervalMs}`);
  return due
    .map((d) => ({
      ...d,
      delta: db.get<{ n: number }>(sql`
        SELECT count(*) AS n FROM signatures
        WHERE declaration_id = ${d.id} AND status = 'confirmed' AND confirmed > ${d.since}`)!.n,
    }))
    .filter((d) => d.delta > 0);
}

/** When the Declaration's previous Article or digest before `post` was posted (the window a digest covers). */
export function previousDigestTime(db: DbLike, post: Pick<FedPost, "id" | "declarationId">): Date | null {
  const row = db.get<{ t: number | null }>(sql`
    SELECT MAX(published) AS t FROM fed_posts
    WHERE declaration_id = ${post.declarationId} AND kind IN ('article', 'digest') AND id < ${post.id}`);
  return row?.t == null ? null : new Date(row.t);
}

/** Every post of every Declaration (NodeInfo's localPosts). */
export function countAllPosts(db: DbLike): number {
  return db.get<{ n: number }>(sql`SELECT count(*) AS n FROM fed_posts`)?.n ?? 0;
}
