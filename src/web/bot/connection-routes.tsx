/**
 * One connected account, for its owner (the account here it belongs to, or
 * the bot identity signed in as it):
 *
 * - `GET /bot/{id}`: the plan form, the posts and their states
 * - `POST /bot/{id}/plan`: `action=preview` lists every post (nothing saved);
 *   `action=save` stores the plan and starts the bot (400 with every problem
 *   named, the input kept, nothing saved)
 * - `POST /bot/{id}/pause`, `/resume`, `/disconnect` (303 to /bot; when
 *   the server may still publish some posts, 200 with /bot naming each one).
 *   Disconnecting a bot identity also ends its sign-in.
 *
 * Anyone else gets 404; nobody signed in is sent to /bot to sign in.
 */
import type { Context, Hono } from "hono";
import { disconnect, type DisconnectResult } from "../../bot/connect.ts";
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
import { getConnection, listPosts, savePlan, setEnabled, type ConnectionWithApp } from "../../db/bot.ts";
import { getPublishedDeclaration, listPublishedDeclarations } from "../../db/declarations.ts";
import { getMediaById, listGalleryMedia } from "../../db/media.ts";
import type { BotPost } from "../../db/schema.ts";
import { currentStrikeSettings, mediaPath } from "../../federation/index.ts";
import type { StrikeSettings } from "../../strike/settings.ts";
import type { WebEnv } from "../kit/context.ts";
import { notFoundPage } from "../kit/errors.tsx";
import type { Notice } from "../kit/notice.tsx";
import { parseRequest } from "../kit/params.ts";
import { csrfFor, personalPage, type PersonalStatus } from "../layout/personal.tsx";
import { BotConnectionView, type PostRow, type PreviewPost } from "./ConnectionView.tsx";
import { dayLabel, timeIn, ZONES } from "./format.ts";
import type { DisconnectReport } from "./HomeView.tsx";
import { homePage } from "./home-routes.tsx";
import { botViewer, endBotSession, owns } from "./identity.ts";
import { botOf, noticeOf, notConfigured, readPost, summaryOf, TITLE, type Bot } from "./page.tsx";
import { connectionId, planForm, planFormAsTyped } from "./schemas.ts";

/** Ten notices of 500 characters, percent-encoded, fit. */
const MAX_FORM_BYTES = 64 * 1024;

/** The connection in the path if this viewer owns it; else the response (to /bot to sign in, or 404). */
function ownConnection(
  c: Context<WebEnv>,
): { ok: true; connection: ConnectionWithApp } | { ok: false; response: Response | Promise<Response> } {
  const viewer = botViewer(c);
  if (viewer.account == null && viewer.identity == null) return { ok: false, response: c.redirect("/bot", 303) };
  const id = parseRequest(connectionId, c.req.param("id"));
  const connection = id.ok ? getConnection(c.get("deps").db, id.value) : undefined;
  return connection != null && owns(viewer, connection)
    ? { ok: true, connection }
    : { ok: false, response: notFoundPage(c) };
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
  notice?: Notice | undefined;
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
      connection={summaryOf(c, connection, now)}
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

/** What a POST about one connection needs: the bot, the connection its owner posts about, and the form; or the response to send. */
async function connectionPost(
  c: Context<WebEnv>,
  maxBytes?: number,
): Promise<{ bot: Bot; connection: ConnectionWithApp; form: Record<string, string> } | Response> {
  const bot = botOf(c);
  if (bot == null) return notConfigured(c);
  const own = ownConnection(c);
  if (!own.ok) return own.response;
  const form = await readPost(c, maxBytes);
  if (form instanceof Response) return form;
  return { bot, connection: own.connection, form };
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

export function connectionRoutes(routes: Hono<WebEnv>): void {
  routes.get("/:id{[0-9]+}", (c) => {
    if (botOf(c) == null) return notConfigured(c);
    const own = ownConnection(c);
    if (!own.ok) return own.response;
    return connectionPage(c, own.connection, { notice: noticeOf(c) });
  });

  routes.post("/:id{[0-9]+}/plan", async (c) => {
    const post = await connectionPost(c, MAX_FORM_BYTES);
    if (post instanceof Response) return post;
    const { bot, connection, form } = post;
    if (connection.status !== "active") return connectionPage(c, connection, {}, 409);
    const { db, batcher } = c.get("deps");
    const strike = currentStrikeSettings(db, new Date());
    const ctx = planContext(c, strike);
    const parsed = parseRequest(planForm, form);
    if (!parsed.ok)
      return connectionPage(
        c,
        connection,
        { input: planFormAsTyped(form), errors: { [parsed.field]: parsed.message } },
        400,
      );
    const { action, ...input } = parsed.value;
    // Left empty, the gallery's own description goes with the image.
    if (input.mediaAlt.trim() === "" && /^\d+$/.test(input.mediaId))
      input.mediaAlt = ctx.media.get(Number(input.mediaId))?.alt ?? "";
    const result = validatePlanForm(input, ctx);
    if (!result.ok) return connectionPage(c, connection, { input, errors: result.errors }, 400);
    if (action === "preview") return connectionPage(c, connection, { input, preview: { plan: result.plan } });
    await batcher.run(() => savePlan(db, connection.id, result.plan, true, new Date()));
    bot.poke();
    return c.redirect(`/bot/${connection.id}?done=saved`, 303);
  });

  for (const [action, enabled] of [
    ["pause", false],
    ["resume", true],
  ] as const) {
    routes.post(`/:id{[0-9]+}/${action}`, async (c) => {
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

  routes.post("/:id{[0-9]+}/disconnect", async (c) => {
    const post = await connectionPost(c);
    if (post instanceof Response) return post;
    const { bot, connection } = post;
    const { db } = c.get("deps");
    const timeZone = parseStoredPlan(connection.plan)?.timeZone ?? currentStrikeSettings(db, new Date()).timeZone;
    const result = await disconnect(bot.context, connection);
    // A bot identity is gone with its connection: its sign-in went with it (the row), the cookie goes now.
    if (connection.accountId == null) await endBotSession(c);
    // The connection is gone: what could not be done there is shown now, on this answer, or never.
    if (result.notCancelled.length > 0)
      return homePage(c, { disconnected: disconnectReport(connection, result, timeZone) });
    return c.redirect(`/bot?done=${result.revoked ? "disconnected" : "disconnected-local"}`, 303);
  });
}
