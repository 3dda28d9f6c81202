/**
 * The movement in numbers: `/stats` (the whole site), the chart on each
 * Declaration page, and the same numbers as JSON for journalists and other
 * sites (`/api/stats`, `/api/declarations/{slug}/stats`, CORS open).
 *
 * During the strike (and the two days after it) the series are per hour over
 * the strike's window; otherwise per day over the last 30 days.  Results are
 * kept for a minute per database, range and Declaration: every series is a
 * GROUP BY over a whole table, which a busy page must not repeat per view.
 */
import { Hono, type Context } from "hono";
import { cors } from "hono/cors";
import { getPublicDeclaration } from "../../db/declarations.ts";
import { readStrikeSettingsValue } from "../../db/strike.ts";
import { allSeries, BUCKET_MS, bucketCount, type Metric, type Series, type StatsRange } from "../../db/stats.ts";
import { parseStoredSettings, type StrikeSettings } from "../../strike/settings.ts";
import { strikeWindow } from "../../strike/window.ts";
import type { WebEnv } from "../kit/context.ts";
import { notFoundPage } from "../kit/errors.tsx";
import { formatNumber, plural } from "../kit/format.ts";
import { Chart } from "../layout/Chart.tsx";
import { Layout } from "../layout/Layout.tsx";
import { SiteFollowersOf } from "../fediverse/index.ts";

const CACHE_MS = 60_000;
const DAY = BUCKET_MS.day;

export interface StatsView {
  readonly range: StatsRange & { readonly kind: "strike" | "recent"; readonly timeZone: string };
  readonly series: readonly Series[];
  readonly labels: readonly string[];
}

/** The strike's window when now is inside it or less than two days past it; else the last 30 days. */
export function chooseRange(settings: StrikeSettings, now: Date): StatsView["range"] {
  const window = strikeWindow(settings.days, settings.timeZone);
  if (now >= window.start && now.getTime() < window.end.getTime() + 2 * DAY) {
    return { start: window.start, end: window.end, bucket: "hour", kind: "strike", timeZone: settings.timeZone };
  }
  const endOfToday = new Date(Math.floor(now.getTime() / DAY) * DAY + DAY);
  return {
    start: new Date(endOfToday.getTime() - 30 * DAY),
    end: endOfToday,
    bucket: "day",
    kind: "recent",
    timeZone: "UTC",
  };
}

function bucketLabels(range: StatsView["range"]): string[] {
  const format = new Intl.DateTimeFormat("en", {
    timeZone: range.timeZone,
    ...(range.bucket === "hour"
      ? { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }
      : { month: "short", day: "numeric" }),
  });
  return Array.from({ length: bucketCount(range) }, (_, i) =>
    format.format(new Date(range.start.getTime() + i * BUCKET_MS[range.bucket])),
  );
}

const cache = new WeakMap<object, Map<string, { at: number; view: StatsView }>>();

export function statsView(db: Parameters<typeof allSeries>[0], now: Date, declarationId: number | null): StatsView {
  const settings = parseStoredSettings(readStrikeSettingsValue(db), now);
  const range = chooseRange(settings, now);
  const key = `${declarationId ?? "site"}:${range.kind}:${range.start.getTime()}`;
  let perDb = cache.get(db);
  if (perDb == null) {
    perDb = new Map();
    cache.set(db, perDb);
  }
  const hit = perDb.get(key);
  if (hit != null && now.getTime() - hit.at < CACHE_MS) return hit.view;
  const view = { range, series: allSeries(db, range, declarationId), labels: bucketLabels(range) };
  perDb.set(key, { at: now.getTime(), view });
  return view;
}

const TITLES: Record<Metric, { title: string; unit: { one: string; many: string } }> = {
  signatures: { title: "Signatures", unit: { one: "signature", many: "signatures" } },
  pledges: { title: "Strike pledges", unit: { one: "pledge", many: "pledges" } },
  notices: { title: "Strike notices posted", unit: { one: "notice", many: "notices" } },
  boosts: { title: "Boosts received", unit: { one: "boost", many: "boosts" } },
  favourites: { title: "Favourites and reactions received", unit: { one: "favourite", many: "favourites" } },
  followers: { title: "New followers", unit: { one: "follower", many: "followers" } },
  copies: { title: "Copies made", unit: { one: "copy", many: "copies" } },
};

function rangeText(view: StatsView): string {
  return view.range.kind === "strike"
    ? `per hour during the strike (${view.range.timeZone})`
    : "per day over the last 30 days (UTC)";
}

function summaryOf(view: StatsView, s: Series): string {
  const inRange = s.counts.reduce((a, b) => a + b, 0);
  const best = s.counts.reduce((bi, c, i, all) => (c > all[bi]! ? i : bi), 0);
  const unit = TITLES[s.metric].unit;
  const period = view.range.kind === "strike" ? "during the strike" : "in the last 30 days";
  const peak =
    inRange === 0
      ? ""
      : `; most ${view.range.bucket === "hour" ? "at" : "on"} ${view.labels[best]} (${formatNumber(s.counts[best]!)})`;
  return `${plural(inRange, unit.one, unit.many)} ${period}${peak}. ${formatNumber(s.total)} in all.`;
}

/** The charts of a view (all series, or the named ones). */
export function StatsCharts(props: { view: StatsView; idPrefix: string; metrics?: readonly Metric[] }) {
  const wanted = props.view.series.filter((s) => props.metrics == null || props.metrics.includes(s.metric));
  return (
    <div class="charts">
      {wanted.map((s) => (
        <Chart
          id={`${props.idPrefix}-${s.metric}`}
          title={TITLES[s.metric].title}
          unit={TITLES[s.metric].unit}
          counts={s.counts}
          labels={props.view.labels}
          summary={summaryOf(props.view, s)}
        />
      ))}
    </div>
  );
}

/** The numbers as JSON. */
export function statsJson(view: StatsView, extra: Record<string, unknown> = {}) {
  return {
    ...extra,
    range: {
      start: view.range.start.toISOString(),
      end: view.range.end.toISOString(),
      bucket: view.range.bucket,
      kind: view.range.kind,
      timeZone: view.range.timeZone,
    },
    buckets: view.labels.map((_, i) =>
      new Date(view.range.start.getTime() + i * BUCKET_MS[view.range.bucket]).toISOString(),
    ),
    series: Object.fromEntries(view.series.map((s) => [s.metric, { total: s.total, counts: s.counts }])),
  };
}

function now(c: Context<WebEnv>): Date {
  void c;
  return new Date();
}

export const statsRoutes = new Hono<WebEnv>();

/** A Declaration's numbers (mounted under /d). */
export const declarationStatsRoutes = new Hono<WebEnv>();

statsRoutes.get("/stats", (c) => {
  const { db, config } = c.get("deps");
  const view = statsView(db, now(c), null);
  const totals = view.series.map((s) => (
    <div class="stat">
      <dt>{TITLES[s.metric].title}</dt>
      <dd>{formatNumber(s.total)}</dd>
    </div>
  ));
  return c.html(
    <Layout
      title="The movement in numbers"
      siteName={config.instanceName}
      canonical={new URL("/stats", config.origin).href}
      alternates={[{ href: "/api/stats", type: "application/json", title: "These numbers as JSON" }]}
    >
      <h1 class="page-title">The movement in numbers</h1>
      <p class="lead">Everything people did with the Declarations on this site, {rangeText(view)}.</p>
      <dl class="stat-totals">{totals}</dl>
      <StatsCharts view={view} idPrefix="site" />
      <SiteFollowersOf deps={c.get("deps")} />
      <p class="fine-print">
        The same numbers as JSON: <a href="/api/stats">/api/stats</a> (and{" "}
        <code>/api/declarations/{"{slug}"}/stats</code> for one Declaration). Free to use and to show elsewhere.
      </p>
    </Layout>,
  );
});

const json = new Hono<WebEnv>();
json.use("*", cors({ origin: "*", allowMethods: ["GET", "HEAD", "OPTIONS"], maxAge: 86400 }));
json.get("/stats", (c) => {
  c.header("Cache-Control", "public, max-age=60");
  return c.json(statsJson(statsView(c.get("deps").db, now(c), null), { site: c.get("deps").config.instanceName }));
});
json.get("/declarations/:slug/stats", (c) => {
  const { db } = c.get("deps");
  const slug = c.req.param("slug");
  const declaration = getPublicDeclaration(db, slug);
  if (declaration == null)
    return c.json({ error: { code: "not_found", message: `There is no Declaration with the slug "${slug}".` } }, 404);
  c.header("Cache-Control", "public, max-age=60");
  return c.json(
    statsJson(statsView(db, now(c), declaration.id), {
      declaration: declaration.slug,
      signatureCount: declaration.signatureCount,
    }),
  );
});
statsRoutes.route("/api", json);

/** `/d/{slug}/stats`: all of one Declaration's charts. */
declarationStatsRoutes.get("/:slug/stats", (c) => {
  const { db, config } = c.get("deps");
  const declaration = getPublicDeclaration(db, c.req.param("slug"));
  if (declaration == null) return notFoundPage(c, `There is no Declaration “${c.req.param("slug")}” here.`);
  const view = statsView(db, now(c), declaration.id);
  return c.html(
    <Layout
      title={`${declaration.title}: in numbers`}
      siteName={config.instanceName}
      alternates={[{ href: `/api/declarations/${declaration.slug}/stats`, type: "application/json" }]}
    >
      <p>
        <a href={`/d/${declaration.slug}`}>← {declaration.title}</a>
      </p>
      <h1 class="page-title">{declaration.title}: in numbers</h1>
      <StatsCharts view={view} idPrefix="declaration" />
    </Layout>,
  );
});
