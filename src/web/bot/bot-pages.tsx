/**
 * (Over 400 lines: every route of the bot's pages with its form handling.)
 *
 * The strike bot in the browser (for logged-in accounts):
 *
 * - `GET /bot`: what it does, the accounts connected, the connect form
 * - `POST /bot/connect`: `server` → 303 to the server's authorization page
 *   (400 empty, 422 not a Mastodon-API server or not allowed, 502 the server
 *   failed; the input kept)
 * - `GET /bot/callback?code&state`: the server sends the striker back here
 * - `GET /bot/{id}`: one connection: the plan form, the posts and their states
 * - `POST /bot/{id}/plan`: `action=preview` lists every post (nothing saved);
 *   `action=save` stores the plan and starts the bot (400 with every problem
 *   named, the input kept, nothing saved)
 * - `POST /bot/{id}/pause`, `/resume`, `/disconnect` (303 to /bot; when
 *   the server may still publish some posts, 200 with /bot naming each one)
 *
 * Without BOT_TOKEN_KEY every route answers 503 and says which variable the
 * site's owner must set.  Tokens never reach the browser.
 */
import { Hono, type Context } from "hono";
import { serverSupport } from "../../bot/capability.ts";
import {
  ConnectError,
  disconnect,
  finishConnect,
  startConnect,
  type BotContext,
  type DisconnectResult,
} from "../../bot/connect.ts";
import { BotApiError } from "../../bot/errors.ts";
import {
  defaultPlan,
  formInputOfPlan,
  parseStoredPlan,
  plannedPosts,
  validatePlanForm,
  type BotPlan,
  type PlanContext,
  type PlanFormInput,
} from "../../bot/plan.ts";
import { requireBotKey } from "../../bot/secrets.ts";
import {
  getConnection,
  listConnections,
  listPosts,
  savePlan,
  setEnabled,
  type ConnectionWithApp,
} from "../../db/bot.ts";
import { getPublishedDeclaration, listPublishedDeclarations } from "../../db/declarations.ts";
import { getMediaById, listGalleryMedia } from "../../db/media.ts";
import type { Account } from "../../db/accounts.ts";
import type { BotPost } from "../../db/schema.ts";
import { currentStrikeSettings, mediaPath } from "../../federation/index.ts";
import type { StrikeSettings } from "../../strike/settings.ts";
import { readForm } from "../kit/body.ts";
import type { WebEnv } from "../kit/context.ts";
import { CSRF_FIELD, verifyCsrf } from "../kit/csrf.ts";
import { notFoundPage } from "../kit/errors.tsx";
import { formsMayLeaveSite } from "../kit/csp.ts";
import { csrfFor, forbiddenPage, personalPage, type PersonalStatus } from "../layout/personal.tsx";
import { currentAccount } from "../kit/session.ts";
import {
  BotConnectionView,
  BotHome,
  type ConnectionSummary,
  type DisconnectReport,
  type PostRow,
  type PreviewPost,
} from "./BotViews.tsx";

export const botRoutes = new Hono<WebEnv>();

const TITLE = "Strike bot";
/** Ten notices of 500 characters, percent-encoded, fit. */
const MAX_FORM_BYTES = 64 * 1024;

const ZONES: readonly string[] = (() => {
  const zones = Intl.supportedValuesOf("timeZone");
  return zones.includes("UTC") ? zones : ["UTC", ...zones];
})();

const NOTICES: Record<string, string> = {
  connected: "Your account is connected. Now choose when and what the bot posts.",
  saved: "Your plan is saved: the bot is scheduling your posts.",
  paused:
    "The bot is paused. It cancels the posts your server holds scheduled; any your server would not cancel are marked below.",
  resumed: "The bot is on again.",
  disconnected: "Disconnected: the bot’s access was revoked on your server and deleted here.",
  "disconnected-local":
    "Disconnected here. Your server could not be told: please revoke the bot in your server’s settings (Account → Authorized apps).",
};

function botOf(c: Context<WebEnv>): { context: BotContext; poke(): void } | null {
  return c.get("deps").bot ?? null;
}

function notConfigured(c: Context<WebEnv>) {
  let message: string;
  try {
    requireBotKey({ bot: null });
    message = "";
  } catch (error) {
    message = (error as Error).message;
  }
  return personalPage(
    c,
    TITLE,
    <section class="error-page">
      <h1>The strike bot is not available here</h1>
      <p>This site’s owner has not set the strike bot up yet.</p>
      <p class="fine-print">For the owner: {message}</p>
    </section>,
    503,
  );
}

function dayWords(days: readonly string[]): string {
  const format = new Intl.DateTimeFormat("en", { dateStyle: "long", timeZone: "UTC" });
  return new Intl.ListFormat("en", { type: "conjunction" }).format(
    days.map((d) => format.format(new Date(`${d}T12:00:00Z`))),
  );
}

function dayLabel(day: string): string {
  return new Intl.DateTimeFormat("en", {
    weekday: "long",
    month: "long",
    day: "numeric",
    year: "numeric",
    timeZone: "UTC",
  }).format(new Date(`${day}T12:00:00Z`));
}

function timeIn(date: Date, timeZone: string): string {
  return new Intl.DateTimeFormat("en", {
    weekday: "short",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZone,
  }).format(date);
}

function summaryOf(db: WebEnv["Variables"]["deps"]["db"], c: ConnectionWithApp, now: Date): ConnectionSummary {
  const posts = listPosts(db, c.id);
  return {
    id: c.id,
    acct: c.acct,
    displayName: c.displayName,
    url: c.url,
    host: new URL(c.origin).host,
    status: c.status,
    statusReason: c.statusReason,
    enabled: c.enabled,
    hasPlan: parseStoredPlan(c.plan) != null,
    upcoming: posts.filter(
      (p) => (p.state === "planned" || p.state === "scheduled") && p.postAt.getTime() > now.getTime(),
    ).length,
    posted: posts.filter((p) => p.state === "posted").length,
    scheduling: serverSupport(c.app),
    schedulingReason: c.app.schedulingReason,
  };
}

function homePage(
  c: Context<WebEnv>,
  account: Account | null,
  extra: { server?: string; serverError?: string; notice?: string; disconnected?: DisconnectReport } = {},
  status: PersonalStatus = 200,
) {
  const { db } = c.get("deps");
  const now = new Date();
  const strike = currentStrikeSettings(db, now);
  const connections = account == null ? [] : listConnections(db, account.id).map((x) => summaryOf(db, x, now));
  // The connect form's answer is a redirect to the striker's server.
  formsMayLeaveSite(c);
  return personalPage(
    c,
    TITLE,
    <BotHome
      signedIn={account != null}
      csrf={account == null ? "" : csrfFor(c)}
      strikeName={strike.name}
      when={dayWords(strike.days)}
      connections={connections}
      server={extra.server ?? ""}
      serverError={extra.serverError}
      notice={extra.notice}
      disconnected={extra.disconnected}
    />,
    status,
  );
}

botRoutes.get("/", (c) => {
  if (botOf(c) == null) return notConfigured(c);
  const notice = NOTICES[c.req.query("done") ?? ""];
  return homePage(c, currentAccount(c), { notice });
});

/** The logged-in account, or the response to send (login redirect). */
function requireAccount(c: Context<WebEnv>, path: string): Account | Response {
  const account = currentAccount(c);
  return account ?? c.redirect(`/login?next=${encodeURIComponent(path)}`, 303);
}

async function readPost(c: Context<WebEnv>, maxBytes?: number): Promise<Record<string, string> | Response> {
  const form = await readForm(c, maxBytes);
  if (!form.ok) return personalPage(c, TITLE, <p class="form-errors">{form.message}</p>, form.status);
  const { secret, config } = c.get("deps");
  if (!verifyCsrf(c, secret, config.origin, form.value[CSRF_FIELD])) {
    return forbiddenPage(
      c,
      "This form has expired or was not sent from this site. Go back, reload the page and try again.",
    );
  }
  return form.value;
}

function connectStatus(error: BotApiError): PersonalStatus {
  switch (error.kind) {
    case "not-compatible":
    case "validation":
    case "unauthorized":
    case "not-found":
      return 422;
    case "rate-limited":
      return 429;
    default:
      return 502;
  }
}

botRoutes.post("/connect", async (c) => {
  const bot = botOf(c);
  if (bot == null) return notConfigured(c);
  const account = requireAccount(c, "/bot");
  if (account instanceof Response) return account;
  const form = await readPost(c);
  if (form instanceof Response) return form;
  const server = (form.server ?? "").slice(0, 300);
  if (server.trim() === "")
    return homePage(
      c,
      account,
      { server, serverError: "Please give your server’s address, for example mastodon.social." },
      400,
    );
  try {
    const { redirect } = await startConnect(bot.context, account.id, server);
    return c.redirect(redirect, 303);
  } catch (error) {
    if (!(error instanceof BotApiError)) throw error;
    return homePage(c, account, { server, serverError: error.message }, connectStatus(error));
  }
});

botRoutes.get("/callback", async (c) => {
  const bot = botOf(c);
  if (bot == null) return notConfigured(c);
  const account = requireAccount(c, "/bot");
  if (account instanceof Response) return account;
  const q = (name: string) => c.req.query(name)?.slice(0, 2000);
  try {
    const connection = await finishConnect(bot.context, account.id, {
      state: q("state"),
      code: q("code"),
      error: q("error"),
      errorDescription: q("error_description"),
    });
    return c.redirect(`/bot/${connection.id}?done=connected`, 303);
  } catch (error) {
    if (!(error instanceof ConnectError) && !(error instanceof BotApiError)) throw error;
    const status = error instanceof BotApiError ? connectStatus(error) : 400;
    return homePage(c, account, { serverError: error.message }, status);
  }
});

/** The connection `id` of the logged-in account, or the response to send. */
function ownConnection(c: Context<WebEnv>, account: Account): ConnectionWithApp | null {
  const id = /^[1-9]\d{0,15}$/.test(c.req.param("id") ?? "") ? Number(c.req.param("id")) : NaN;
  const connection = Number.isNaN(id) ? undefined : getConnection(c.get("deps").db, id);
  return connection == null || connection.accountId !== account.id ? null : connection;
}

function planContext(
  c: Context<WebEnv>,
  strike: StrikeSettings,
): PlanContext & { choices: { slug: string; title: string }[] } {
  const { db, config } = c.get("deps");
  const published = listPublishedDeclarations(db);
  const chosen = strike.declarations.map((slug) => published.find((d) => d.slug === slug)).filter((d) => d != null);
  const choices = (chosen.length > 0 ? chosen : published).map((d) => ({ slug: d.slug, title: d.title }));
  const declarations = new Map<string, { title: string; signatureCount: number }>();
  for (const d of choices) {
    const full = getPublishedDeclaration(db, d.slug);
    if (full != null) declarations.set(d.slug, { title: full.title, signatureCount: full.signatureCount });
  }
  const media = new Map(listGalleryMedia(db).map((m) => [m.id, { alt: m.alt }]));
  return { strike, declarations, media, origin: config.origin, choices };
}

function readPlanForm(form: Record<string, string>, ctx: PlanContext): PlanFormInput {
  const templates: string[] = [];
  for (let i = 1; i <= 20; i++) {
    const text = form[`template-${i}`];
    if (text != null) templates.push(text.slice(0, 5000));
  }
  const mediaId = (form.mediaId ?? "").trim();
  let mediaAlt = (form.mediaAlt ?? "").slice(0, 5000);
  // Left empty, the gallery's own description goes with the image.
  if (mediaAlt.trim() === "" && /^\d+$/.test(mediaId)) mediaAlt = ctx.media.get(Number(mediaId))?.alt ?? "";
  return {
    days: Object.keys(form)
      .filter((k) => k.startsWith("day-") && form[k] === "on")
      .map((k) => k.slice(4)),
    cadence: (form.cadence ?? "").slice(0, 20),
    times: (form.times ?? "").slice(0, 400),
    timeZone: (form.timeZone ?? "").slice(0, 100),
    declaration: (form.declaration ?? "").slice(0, 200),
    templates,
    visibility: (form.visibility ?? "").slice(0, 20),
    language: (form.language ?? "").slice(0, 20),
    spoilerText: (form.spoilerText ?? "").slice(0, 1000),
    mediaId: mediaId.slice(0, 20),
    mediaAlt,
  };
}

function postRows(posts: readonly BotPost[], connection: ConnectionWithApp, timeZone: string): PostRow[] {
  const host = new URL(connection.origin).host;
  const siteOnly = connection.app.scheduling === "no";
  return posts
    .filter((p): p is BotPost & { state: PostRow["state"] } => p.state !== "cancelled")
    .map((p) => {
      const detail: Record<PostRow["state"], string> = {
        planned:
          p.via === "site" || siteOnly ? "This site posts it at its time." : `Waiting to be scheduled on ${host}.`,
        scheduled: `Held by ${host}.`,
        posted: p.via === "server" ? `Published by ${host}.` : "",
        failed: "",
        unconfirmed: "",
      };
      return {
        at: timeIn(p.postAt, timeZone),
        iso: p.postAt.toISOString(),
        text: p.text,
        state: p.state,
        detail: detail[p.state],
        url: p.url,
        linksProfile: p.via === "server" && p.url === connection.url,
        error: p.state === "planned" && p.attempts === 0 ? null : p.error,
      };
    });
}

interface ConnectionExtra {
  input?: PlanFormInput;
  errors?: Record<string, string>;
  preview?: { plan: BotPlan };
  notice?: string;
}

function connectionPage(
  c: Context<WebEnv>,
  connection: ConnectionWithApp,
  extra: ConnectionExtra = {},
  status: PersonalStatus = 200,
) {
  const { db, config } = c.get("deps");
  const now = new Date();
  const strike = currentStrikeSettings(db, now);
  const ctx = planContext(c, strike);
  const stored = parseStoredPlan(connection.plan);
  const plan = stored ?? defaultPlan(strike, ctx.choices[0]?.slug ?? "", strike.timeZone);
  const input = extra.input ?? formInputOfPlan(plan);
  let preview: { posts: PreviewPost[]; plan: BotPlan; imageSrc: string | null } | undefined;
  if (extra.preview != null) {
    const p = extra.preview.plan;
    const declaration = getPublishedDeclaration(db, p.declaration)!;
    const posts = plannedPosts(p, connection.id, { strike, declaration, origin: config.origin }).map((x) => ({
      at: timeIn(x.postAt, p.timeZone),
      iso: x.postAt.toISOString(),
      text: x.text,
      past: x.postAt.getTime() <= now.getTime(),
    }));
    const image = p.mediaId == null ? undefined : getMediaById(db, p.mediaId);
    preview = { posts, plan: p, imageSrc: image == null ? null : mediaPath(image) };
  }
  const strikeDays = strike.days.map((iso) => ({ iso, label: dayLabel(iso) }));
  const media = listGalleryMedia(db).map((m) => ({
    id: m.id,
    src: mediaPath(m),
    alt: m.alt,
    title: m.title,
    width: m.width,
    height: m.height,
  }));
  return personalPage(
    c,
    `${TITLE}: @${connection.acct}`,
    <BotConnectionView
      csrf={csrfFor(c)}
      connection={summaryOf(db, connection, now)}
      strikeName={strike.name}
      strikeDays={strikeDays}
      declarations={ctx.choices}
      media={media}
      zones={ZONES}
      input={input}
      errors={extra.errors}
      preview={preview}
      posts={postRows(listPosts(db, connection.id), connection, stored?.timeZone ?? strike.timeZone)}
      notice={extra.notice}
    />,
    status,
  );
}

botRoutes.get("/:id{[0-9]+}", (c) => {
  if (botOf(c) == null) return notConfigured(c);
  const account = requireAccount(c, c.req.path);
  if (account instanceof Response) return account;
  const connection = ownConnection(c, account);
  if (connection == null) return notFoundPage(c);
  return connectionPage(c, connection, { notice: NOTICES[c.req.query("done") ?? ""] });
});

/** What a POST about one connection needs: the bot, the logged-in owner, the connection and the form; or the response to send. */
async function connectionPost(
  c: Context<WebEnv>,
  maxBytes?: number,
): Promise<
  { bot: { context: BotContext; poke(): void }; connection: ConnectionWithApp; form: Record<string, string> } | Response
> {
  const bot = botOf(c);
  if (bot == null) return notConfigured(c);
  const account = requireAccount(c, "/bot");
  if (account instanceof Response) return account;
  const connection = ownConnection(c, account);
  if (connection == null) return notFoundPage(c);
  const form = await readPost(c, maxBytes);
  if (form instanceof Response) return form;
  return { bot, connection, form };
}

botRoutes.post("/:id{[0-9]+}/plan", async (c) => {
  const post = await connectionPost(c, MAX_FORM_BYTES);
  if (post instanceof Response) return post;
  const { bot, connection, form } = post;
  if (connection.status !== "active") return connectionPage(c, connection, {}, 409 as PersonalStatus);
  const { db, batcher } = c.get("deps");
  const strike = currentStrikeSettings(db, new Date());
  const ctx = planContext(c, strike);
  const input = readPlanForm(form, ctx);
  const result = validatePlanForm(input, ctx);
  if (!result.ok) return connectionPage(c, connection, { input, errors: result.errors }, 400);
  if (form.action === "preview") return connectionPage(c, connection, { input, preview: { plan: result.plan } });
  await batcher.run(() => savePlan(db, connection.id, result.plan, true, new Date()));
  bot.poke();
  return c.redirect(`/bot/${connection.id}?done=saved`, 303);
});

for (const [action, enabled] of [
  ["pause", false],
  ["resume", true],
] as const) {
  botRoutes.post(`/:id{[0-9]+}/${action}`, async (c) => {
    const post = await connectionPost(c);
    if (post instanceof Response) return post;
    const { bot, connection } = post;
    const { db, batcher } = c.get("deps");
    if (connection.status === "active" && parseStoredPlan(connection.plan) != null) {
      await batcher.run(() => setEnabled(db, connection.id, enabled, new Date()));
      bot.poke();
    }
    return c.redirect(`/bot/${connection.id}?done=${enabled ? "resumed" : "paused"}`, 303);
  });
}

/** What the striker must know after disconnecting: the posts their server may still publish, each by its time in their zone. */
function disconnectReport(connection: ConnectionWithApp, result: DisconnectResult, timeZone: string): DisconnectReport {
  return {
    acct: connection.acct,
    host: new URL(connection.origin).host,
    revoked: result.revoked,
    problem: result.problem,
    notCancelled: result.notCancelled.map((p) => ({
      at: timeIn(p.postAt, timeZone),
      iso: p.postAt.toISOString(),
      text: p.text,
      reason: p.reason,
    })),
  };
}

botRoutes.post("/:id{[0-9]+}/disconnect", async (c) => {
  const post = await connectionPost(c);
  if (post instanceof Response) return post;
  const { bot, connection } = post;
  const { db } = c.get("deps");
  const timeZone = parseStoredPlan(connection.plan)?.timeZone ?? currentStrikeSettings(db, new Date()).timeZone;
  const result = await disconnect(bot.context, connection);
  // The connection is gone: what could not be done there is shown now, on this answer, or never.
  if (result.notCancelled.length > 0)
    return homePage(c, currentAccount(c), { disconnected: disconnectReport(connection, result, timeZone) });
  return c.redirect(`/bot?done=${result.revoked ? "disconnected" : "disconnected-local"}`, 303);
});
