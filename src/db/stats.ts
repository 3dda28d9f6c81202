/**
 * The movement in numbers: how many signatures, pledges, notices, boosts,
 * favourites, follows and copies there were per hour or per day, for the
 * whole site or one Declaration.  Each series is one GROUP BY over an indexed
 * timestamp; buckets are fixed-width from the range's start.
 */
import { sql, type SQL } from "drizzle-orm";
import type { DbLike } from "./client.ts";

export type BucketSize = "hour" | "day";

export interface StatsRange {
  readonly start: Date;
  readonly end: Date;
  readonly bucket: BucketSize;
}

export const METRICS = ["signatures", "pledges", "notices", "boosts", "favourites", "followers", "copies"] as const;
export type Metric = (typeof METRICS)[number];

export interface Series {
  readonly metric: Metric;
  /** Count per bucket, in order; bucket i starts at range.start + i × size. */
  readonly counts: readonly number[];
  /** Everything up to the end of the range (what exists now, for current things). */
  readonly total: number;
}

export const BUCKET_MS: Record<BucketSize, number> = { hour: 3_600_000, day: 86_400_000 };

/** Number of buckets in a range (at most 24 × 60: a range is a few weeks at most). */
export function bucketCount(range: StatsRange): number {
  return Math.max(
    1,
    Math.min(1440, Math.ceil((range.end.getTime() - range.start.getTime()) / BUCKET_MS[range.bucket])),
  );
}

/** For each metric: the table's timestamp column and the filter (site-wide or one Declaration). */
function source(metric: Metric, declarationId: number | null): { ts: SQL; from: SQL; where: SQL } {
  const decl = (column: SQL) => (declarationId == null ? sql`1` : sql`${column} = ${declarationId}`);
  switch (metric) {
    case "signatures":
      return {
        ts: sql`confirmed`,
        from: sql`signatures`,
        where: sql`status = 'confirmed' AND ${decl(sql`declaration_id`)}`,
      };
    case "pledges":
      // Pledges belong to the strike, not to a Declaration.
      return { ts: sql`created`, from: sql`pledges`, where: declarationId == null ? sql`1` : sql`0` };
    case "notices":
      return { ts: sql`published`, from: sql`fed_posts`, where: sql`kind = 'notice' AND ${decl(sql`declaration_id`)}` };
    case "boosts":
      return { ts: sql`created`, from: sql`fed_boosts`, where: decl(sql`declaration_id`) };
    case "favourites":
      return { ts: sql`created`, from: sql`fed_reactions`, where: decl(sql`declaration_id`) };
    case "followers":
      return { ts: sql`created`, from: sql`followers`, where: decl(sql`declaration_id`) };
    case "copies":
      return {
        ts: sql`created`,
        from: sql`declarations`,
        where: sql`status = 'published' AND ${declarationId == null ? sql`(source_declaration_id IS NOT NULL OR source_url IS NOT NULL)` : sql`source_declaration_id = ${declarationId}`}`,
      };
  }
}

export function series(db: DbLike, metric: Metric, range: StatsRange, declarationId: number | null = null): Series {
  const { ts, from, where } = source(metric, declarationId);
  const start = range.start.getTime();
  const end = range.end.getTime();
  const size = BUCKET_MS[range.bucket];
  const n = bucketCount(range);
  // better-sqlite3 binds JS numbers as REAL, so the bucket index is cast back to an integer.
  const rows = db.all<{ b: number; n: number }>(sql`
    SELECT CAST((${ts} - ${start}) / ${size} AS INTEGER) AS b, count(*) AS n FROM ${from}
    WHERE ${where} AND ${ts} >= ${start} AND ${ts} < ${end}
    GROUP BY b`);
  const counts = new Array<number>(n).fill(0);
  for (const row of rows) if (row.b >= 0 && row.b < n) counts[row.b] = row.n;
  const total = db.get<{ n: number }>(sql`SELECT count(*) AS n FROM ${from} WHERE ${where} AND ${ts} < ${end}`)?.n ?? 0;
  return { metric, counts, total };
}

export function allSeries(db: DbLike, range: StatsRange, declarationId: number | null = null): Series[] {
  return METRICS.filter((m) => declarationId == null || m !== "pledges").map((m) =>
    series(db, m, range, declarationId),
  );
}
