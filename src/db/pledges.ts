/**
 * Pledges to strike ("I'm striking on July 4 / July 5 / both") and the
 * running list of strike notices shown on /strike.  Validation happens in
 * the web layer; these functions store and count what they are given.
 */
import { and, desc, eq, sql } from "drizzle-orm";
import type { DbLike } from "./client.ts";
import { declarations, fedPosts, pledges, type Pledge } from "./schema.ts";

export interface NewPledge {
  /** The strike's edition: the year of its first day. */
  readonly edition: string;
  /** ISO dates, each one of the edition's strike days. */
  readonly days: readonly string[];
  /** Stored only when it is to be shown; a count-only pledge keeps no name. */
  readonly name: string | null;
  readonly public: boolean;
  readonly now?: Date;
}

/** Stores one pledge (call inside `batcher.run`). */
export function insertPledge(db: DbLike, pledge: NewPledge): Pledge {
  const showName = pledge.public && pledge.name != null && pledge.name !== "";
  return db
    .insert(pledges)
    .values({
      edition: pledge.edition,
      days: [...pledge.days],
      name: showName ? pledge.name : null,
      public: showName,
      created: pledge.now ?? new Date(),
    })
    .returning()
    .get();
}

export interface PledgeCounts {
  /** People who pledged for this edition (each pledge once, however many days). */
  readonly total: number;
  /** Pledges that include each day, by ISO date. */
  readonly perDay: Readonly<Record<string, number>>;
}

/** How many pledged for `edition`, in all and per day. */
export function countPledges(db: DbLike, edition: string): PledgeCounts {
  const total = db.select({ n: sql<number>`count(*)` }).from(pledges).where(eq(pledges.edition, edition)).get()?.n ?? 0;
  const rows = db.all<{ day: string; n: number }>(
    sql`SELECT j.value AS day, count(*) AS n FROM ${pledges}, json_each(${pledges.days}) AS j WHERE ${pledges.edition} = ${edition} GROUP BY j.value`,
  );
  const perDay: Record<string, number> = {};
  for (const row of rows) perDay[row.day] = row.n;
  return { total, perDay };
}

export interface PublicPledge {
  readonly id: number;
  readonly name: string;
  readonly days: string[];
  readonly created: Date;
}

/** The newest pledges that chose to show a name. */
export function listPublicPledges(db: DbLike, edition: string, limit = 50): PublicPledge[] {
  return db
    .select({ id: pledges.id, name: sql<string>`${pledges.name}`, days: pledges.days, created: pledges.created })
    .from(pledges)
    .where(and(eq(pledges.edition, edition), eq(pledges.public, true), sql`${pledges.name} IS NOT NULL`))
    .orderBy(desc(pledges.id))
    .limit(limit)
    .all();
}

export interface RecentNotice {
  readonly id: number;
  readonly uuid: string;
  readonly content: string;
  readonly published: Date;
  readonly slug: string;
  readonly title: string;
}

/** The latest strike notices posted by any Declaration that is not a draft, newest first. */
export function listRecentNotices(db: DbLike, limit = 20): RecentNotice[] {
  return db
    .select({
      id: fedPosts.id,
      uuid: fedPosts.uuid,
      content: sql<string>`coalesce(${fedPosts.content}, '')`,
      published: fedPosts.published,
      slug: declarations.slug,
      title: declarations.title,
    })
    .from(fedPosts)
    .innerJoin(declarations, eq(declarations.id, fedPosts.declarationId))
    .where(and(eq(fedPosts.kind, "notice"), sql`${declarations.status} <> 'draft'`))
    .orderBy(desc(fedPosts.published), desc(fedPosts.id))
    .limit(limit)
    .all();
}
