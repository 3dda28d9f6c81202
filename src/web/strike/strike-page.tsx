/**
 * (Over 400 lines: the strike page and its pledge flow share one form, its state and its protections.)
 *
 * `/strike` (the strike page) and `POST /strike/pledge`.  A pledge has the
 * signing form's protection: CSRF, the honeypot field, the proof of work when
 * it is switched on, the per-client rate limits (RATE_LIMIT_PER_CLIENT) and
 * the same-name-from-the-same-client window (DUPLICATE_WINDOW).
 */
import { Hono, type Context } from "hono";
import { z } from "zod";
import { getPublishedDeclaration, listPublishedDeclarations } from "../../db/declarations.ts";
import type { Db } from "../../db/client.ts";
import { readStrikeSettingsValue } from "../../db/strike.ts";
import {
  countPledges,
  insertPledge,
  listPublicPledges,
  listRecentNotices,
  type PledgeCounts,
} from "../../db/pledges.ts";
import { cleanLine, LIMITS } from "../../signature-input.ts";
import { fillTemplate, hashtagText } from "../../strike/notices.ts";
import { dayBounds, hoursLeft } from "../../strike/schedule.ts";
import { isIsoDay, parseStoredSettings, type StrikeSettings } from "../../strike/settings.ts";
import { keyedHash, RateLimiter, RecentKeys } from "../../services/limits.ts";
import { readForm } from "../kit/body.ts";
import { formsMayLeaveSite } from "../kit/csp.ts";
import type { WebDeps, WebEnv } from "../kit/context.ts";
import { CSRF_FIELD, sharedFormToken, verifyCsrf } from "../kit/csrf.ts";
import { plural } from "../kit/format.ts";
import { type Notice, success, warning } from "../kit/notice.tsx";
import { parseForm } from "../kit/params.ts";
import { strikeMeta, StrikeShare } from "../sharing/index.ts";
import { POW_FIELD, REASONS, type PowBinding } from "../../services/proof-of-work.ts";

import { clientKey } from "../kit/client.ts";
import { currentAccount } from "../kit/session.ts";
import { Layout } from "../layout/Layout.tsx";
import { ProofOfWorkField } from "../signing/index.ts";
import { HONEYPOT_FIELD } from "../signing/index.ts";
import { StrikePage, type PledgeErrors, type StrikeDayView, type StrikePageProps } from "./StrikePage.tsx";
import { SiteFollow, siteHandle } from "../fediverse/index.ts";

export const strikeRoutes = new Hono<WebEnv>();

/** A pledge's proof of work is bound to the strike page's form. */
const PLEDGE_POW: PowBinding = { action: "pledge", target: "strike" };

// ---------------------------------------------------------------------------
// Words (pure)

const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

function dayParts(day: string) {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return { y, month: MONTHS[m - 1]!, d, weekday: WEEKDAYS[new Date(Date.UTC(y, m - 1, d)).getUTCDay()]! };
}

function nextIsoDay(day: string): string {
  const { y, d } = dayParts(day);
  return new Date(Date.UTC(y, Number(day.slice(5, 7)) - 1, d + 1)).toISOString().slice(0, 10);
}

/** "July 4, 2027" */
export function dayWords(day: string): string {
  const p = dayParts(day);
  return `${p.month} ${p.d}, ${p.y}`;
}

/** "Sunday, July 4" */
export function dayLabel(day: string): string {
  const p = dayParts(day);
  return `${p.weekday}, ${p.month} ${p.d}`;
}

/** The days in words, consecutive days joined: "July 4–5, 2027", "June 30 – July 1, 2027", "July 4 and July 6, 2027". */
export function daysWords(days: readonly string[]): string {
  const sorted = [...days].sort();
  const runs: string[][] = [];
  for (const day of sorted) {
    const last = runs.at(-1);
    if (last != null && nextIsoDay(last.at(-1)!) === day) last.push(day);
    else runs.push([day]);
  }
  const oneYear = new Set(sorted.map((d) => d.slice(0, 4))).size === 1;
  const words = runs.map((run) => {
    const a = dayParts(run[0]!);
    const b = dayParts(run.at(-1)!);
    const year = (p: { y: number }) => (oneYear ? "" : `, ${p.y}`);
    if (run.length === 1) return `${a.month} ${a.d}${year(a)}`;
    if (a.month === b.month && a.y === b.y) return `${a.month} ${a.d}–${b.d}${year(b)}`;
    return `${a.month} ${a.d}${a.y === b.y ? "" : `, ${a.y}`} – ${b.month} ${b.d}${year(b)}`;
  });
  const list = words.length <= 2 ? words.join(" and ") : `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
  return oneYear ? `${list}, ${sorted[0]!.slice(0, 4)}` : list;
}

/** The strike's dates and hours in its own zone: "July 4–5, 2027, 00:00–24:00 UTC". */
export function windowWords(settings: Pick<StrikeSettings, "days" | "timeZone">): string {
  const zone =
    settings.timeZone === "UTC" || settings.timeZone === "Etc/UTC"
      ? "UTC"
      : `${settings.timeZone.replace(/_/g, " ")} time`;
  return `${daysWords(settings.days)}, 00:00–24:00 ${zone}`;
}

/** A span in words, its two largest units: "220 days, 14 hours", "3 hours, 5 minutes", "less than a minute". */
export function durationWords(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  const parts: [number, string][] = [
    [Math.floor(minutes / 1440), "day"],
    [Math.floor(minutes / 60) % 24, "hour"],
    [minutes % 60, "minute"],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  if (first < 0) return "less than a minute";
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, unit]) => `${n} ${n === 1 ? unit : `${unit}s`}`)
    .join(", ");
}

/** The countdown as the server renders it (static/countdown.js says the same, to the second). */
export function countdownWords(settings: Pick<StrikeSettings, "days" | "timeZone">, now: Date): string {
  const days = [...settings.days].sort().map((day) => dayBounds(day, settings.timeZone));
  const t = now.getTime();
  if (t < days[0]!.start.getTime()) return `Starts in ${durationWords(days[0]!.start.getTime() - t)}`;
  for (let i = 0; i < days.length; i++) {
    const day = days[i]!;
    if (t >= day.start.getTime() && t < day.end.getTime()) {
      let j = i;
      while (j + 1 < days.length && days[j + 1]!.start.getTime() === days[j]!.end.getTime()) j++;
      return `On now: ends in ${durationWords(days[j]!.end.getTime() - t)}`;
    }
    if (t < day.start.getTime()) return `Next strike day starts in ${durationWords(day.start.getTime() - t)}`;
  }
  return "The strike is over.";
}

/** Before the strike, during one of its days, between two days that are not adjacent, or after the last. */
export function strikePhase(settings: Pick<StrikeSettings, "days" | "timeZone">, now: Date): StrikePageProps["phase"] {
  const days = [...settings.days].sort().map((day) => dayBounds(day, settings.timeZone));
  const t = now.getTime();
  if (t < days[0]!.start.getTime()) return "before";
  if (t >= days.at(-1)!.end.getTime()) return "after";
  return days.some((d) => t >= d.start.getTime() && t < d.end.getTime()) ? "during" : "between";
}

/** The strike's edition: the year of its first day (pledges are counted per edition). */
export function strikeEdition(settings: Pick<StrikeSettings, "days">): string {
  return [...settings.days].sort()[0]!.slice(0, 4);
}

// ---------------------------------------------------------------------------
// Pledge input (pure)

export type PledgeParse =
  | { ok: true; days: string[]; name: string | null; public: boolean }
  | { ok: false; errors: PledgeErrors };

/** The pledge form for a strike on `strikeDays`: `day-{date}` boxes (or `all-days`), a name, a visibility. */
function pledgeForm(strikeDays: readonly string[]) {
  return z
    .looseObject({
      name: z
        .string()
        .optional()
        .transform((raw, ctx) => {
          const name = cleanLine(raw ?? "");
          if ((raw ?? "").includes("\0"))
            ctx.addIssue({ code: "custom", message: "Your name contains a NUL character." });
          else if ([...name].length > LIMITS.name)
            ctx.addIssue({
              code: "custom",
              message: `Your name is ${[...name].length} characters long; the limit is ${LIMITS.name}.`,
            });
          return name;
        }),
      visibility: z
        .enum(["public", "count"], { error: "Choose whether to show your name or to be counted only." })
        .optional()
        .default("public"),
    })
    .transform((values, ctx) => {
      const chosen = new Set<string>();
      const strange: string[] = [];
      for (const [key, value] of Object.entries(values)) {
        if (!key.startsWith("day-") || value === "") continue;
        const day = key.slice(4);
        if (strikeDays.includes(day)) chosen.add(day);
        else strange.push(day);
      }
      if (typeof values["all-days"] === "string" && values["all-days"] !== "")
        for (const day of strikeDays) chosen.add(day);
      const message =
        strange.length > 0
          ? isIsoDay(strange[0]!)
            ? `${dayWords(strange[0]!)} is not one of the strike days (${daysWords(strikeDays)}).`
            : `“${strange[0]!.slice(0, 40)}” is not a date.`
          : chosen.size === 0
            ? strikeDays.length > 1
              ? "Please choose at least one strike day."
              : `Please tick ${dayWords(strikeDays[0]!)} to pledge.`
            : null;
      if (message != null) ctx.addIssue({ code: "custom", path: ["days"], message });
      return { days: strikeDays.filter((d) => chosen.has(d)), name: values.name, visibility: values.visibility };
    });
}

/** Validates the pledge form's fields against the strike's days. */
export function parsePledge(values: Readonly<Record<string, string>>, strikeDays: readonly string[]): PledgeParse {
  const parsed = parseForm(pledgeForm(strikeDays), values);
  if (!parsed.ok) return { ok: false, errors: parsed.errors };
  const { days, name, visibility } = parsed.value;
  return { ok: true, days, name: name === "" ? null : name, public: visibility === "public" && name !== "" };
}

// ---------------------------------------------------------------------------
// Abuse protection and counts, one set per app

interface PledgeGuards {
  readonly perClient: RateLimiter;
  readonly recentNames: RecentKeys;
  lastSweep: number;
}

const guardsByDeps = new WeakMap<WebDeps, PledgeGuards>();

function guardsFor(deps: WebDeps): PledgeGuards {
  let guards = guardsByDeps.get(deps);
  if (guards == null) {
    guards = {
      perClient: new RateLimiter(deps.config.signing.perClientLimits),
      recentNames: new RecentKeys(deps.config.signing.duplicateWindowMs),
      lastSweep: Date.now(),
    };
    guardsByDeps.set(deps, guards);
  }
  const now = Date.now();
  if (now - guards.lastSweep > 60_000) {
    guards.perClient.sweep(now);
    guards.recentNames.sweep(now);
    guards.lastSweep = now;
  }
  return guards;
}

/** Counts kept until the next committed write: a busy strike page would otherwise count on every view. */
const countCache = new WeakMap<Db, { generation: number; edition: string; counts: PledgeCounts }>();

function pledgeCounts(deps: WebDeps, edition: string): PledgeCounts {
  const generation = deps.batcher.generation;
  const cached = countCache.get(deps.db);
  if (cached != null && cached.generation === generation && cached.edition === edition) return cached.counts;
  const counts = countPledges(deps.db, edition);
  countCache.set(deps.db, { generation, edition, counts });
  return counts;
}

// ---------------------------------------------------------------------------
// The page

type PageState = Pick<StrikePageProps, "values" | "errors" | "formError" | "message">;

function strikeDeclarations(db: Db, settings: StrikeSettings) {
  if (settings.declarations.length === 0) return listPublishedDeclarations(db, 50);
  return settings.declarations.map((slug) => getPublishedDeclaration(db, slug)).filter((d) => d != null);
}

function renderStrike(c: Context<WebEnv>, state: PageState, status: 200 | 400 | 403 | 409 | 413 | 415 | 429 = 200) {
  const deps = c.get("deps");
  const { db, config, secret, pow } = deps;
  const now = new Date();
  const settings = parseStoredSettings(readStrikeSettingsValue(db), now);
  const edition = strikeEdition(settings);
  const counts = pledgeCounts(deps, edition);
  const declarations = strikeDeclarations(db, settings);
  const first = declarations[0];
  const strikeUrl = new URL("/strike", config.origin).href;
  const noticeText = fillTemplate(settings.templates[0]?.text ?? "{strike_name}: {declaration_url} {hashtags}", {
    declaration_url: first != null ? new URL(`/d/${first.slug}`, config.origin).href : strikeUrl,
    declaration_title: first?.title ?? settings.name,
    signature_count: String(first?.signatureCount ?? 0),
    hashtags: hashtagText(settings.hashtags),
    hours_left: String(hoursLeft(settings, now)),
    strike_name: settings.name,
    strike_url: strikeUrl,
  });
  const days: StrikeDayView[] = [...settings.days].sort().map((day) => {
    const { start, end } = dayBounds(day, settings.timeZone);
    return {
      day,
      label: dayLabel(day),
      start: start.toISOString(),
      end: end.toISOString(),
      pledges: counts.perDay[day] ?? 0,
    };
  });
  return c.html(
    <Layout
      title={settings.name}
      siteName={config.instanceName}
      description={`${settings.name}, ${daysWords(settings.days)}: post nothing on big social media but strike notices, and sign a Declaration.`}
      canonical={strikeUrl}
      meta={strikeMeta(config.origin, config.instanceName, settings)}
      account={currentAccount(c)}
    >
      <StrikePage
        name={settings.name}
        hashtags={settings.hashtags}
        when={windowWords(settings)}
        phase={strikePhase(settings, now)}
        countdown={countdownWords(settings, now)}
        days={days}
        declarations={declarations}
        noticeText={noticeText}
        botAvailable={c.get("deps").bot != null}
        pledgeTotal={counts.total}
        publicPledges={listPublicPledges(db, edition, 30)}
        notices={listRecentNotices(db, 20)}
        csrf={sharedFormToken(c, secret, config.origin)}
        proofOfWork={<ProofOfWorkField enabled={pow.enabled} binding={PLEDGE_POW} />}
        share={<StrikeShare settings={settings} origin={config.origin} />}
        {...state}
      />
      <SiteFollow handle={siteHandle(c.get("deps"))} />
    </Layout>,
    status,
  );
}

const THANKS: Record<string, Notice> = {
  "1": success("Thank you: your pledge is counted. See you on the strike days."),
};

strikeRoutes.get("/", (c) => {
  // "Share on Mastodon" without JavaScript is a form that ends on the visitor's server.
  formsMayLeaveSite(c);
  const pledged = c.req.query("pledged");
  return renderStrike(c, pledged != null && Object.hasOwn(THANKS, pledged) ? { message: THANKS[pledged]! } : {});
});

strikeRoutes.post("/pledge", async (c) => {
  const deps = c.get("deps");
  const { db, batcher, secret, config, pow } = deps;
  const body = await readForm(c);
  if (!body.ok) return renderStrike(c, { formError: body.message }, body.status);
  const values = body.value;
  const kept: Record<string, string> = { ...values };
  delete kept[CSRF_FIELD];
  delete kept[POW_FIELD];
  delete kept[HONEYPOT_FIELD];

  if (!verifyCsrf(c, secret, config.origin, values[CSRF_FIELD])) {
    return renderStrike(
      c,
      {
        values: kept,
        formError: "This form expired or was not sent from this site. Please check your entries and pledge again.",
      },
      403,
    );
  }
  // Scripts fill every field; people never see this one.  Pretend it worked.
  if ((values[HONEYPOT_FIELD] ?? "") !== "") return c.redirect("/strike?pledged=1#pledge", 303);

  const now = new Date();
  const settings = parseStoredSettings(readStrikeSettingsValue(db), now);
  if (strikePhase(settings, now) === "after") {
    return renderStrike(c, { values: kept, formError: "The strike is over, so it no longer takes pledges." }, 409);
  }
  const parsed = parsePledge(values, [...settings.days].sort());
  const powResult = await pow.verify(values[POW_FIELD], PLEDGE_POW);
  if (!parsed.ok || !powResult.ok) {
    const formError = powResult.ok ? undefined : powResult.reason;
    return renderStrike(
      c,
      { values: kept, errors: parsed.ok ? {} : parsed.errors, ...(formError != null ? { formError } : {}) },
      400,
    );
  }

  const edition = strikeEdition(settings);
  const guards = guardsFor(deps);
  const client = clientKey(c);
  const nameKey = parsed.name == null ? null : keyedHash(secret, "pledge", client, edition, parsed.name.toLowerCase());
  if (nameKey != null && guards.recentNames.has(nameKey, now.getTime())) {
    return renderStrike(
      c,
      { message: warning(`“${parsed.name}” has just pledged from your connection. Each person is counted once.`) },
      409,
    );
  }
  const wait = guards.perClient.consume(client, now.getTime());
  if (wait > 0) {
    const minutes = Math.max(1, Math.ceil(wait / 60_000));
    c.header("Retry-After", String(Math.ceil(wait / 1000)));
    return renderStrike(
      c,
      {
        values: kept,
        formError: `Too many pledges from your connection just now. Please try again in ${plural(minutes, "minute", "minutes")}.`,
      },
      429,
    );
  }
  let claimed: boolean;
  try {
    // The proof of work is used up with the pledge, in one transaction.
    claimed = await batcher.run(() => {
      if (!pow.claim(powResult.proof)) return false;
      insertPledge(db, { edition, days: parsed.days, name: parsed.name, public: parsed.public, now });
      return true;
    });
  } catch (error) {
    guards.perClient.refund(client);
    throw error;
  }
  if (!claimed) {
    guards.perClient.refund(client);
    return renderStrike(c, { values: kept, formError: REASONS.replayed }, 400);
  }
  if (nameKey != null) guards.recentNames.add(nameKey, now.getTime());
  return c.redirect("/strike?pledged=1#pledge", 303);
});
