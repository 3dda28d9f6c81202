/**
 * /bot's front door:
 *
 * - `GET /bot`: what the bot does, who is signed in, the connected accounts,
 *   and the form to sign in with a Mastodon-API account (a visitor) or to
 *   connect one more (an account here)
 * - `POST /bot/connect`: `server` → 303 to the server's authorization page
 *   (400 empty or too long, 422 not a Mastodon-API server or not allowed,
 *   502 the server failed or did not answer; the input kept)
 * - `GET /bot/callback?code&state`: the server sends the striker back here;
 *   a visitor comes back signed in as that account (a bot identity)
 * - `POST /bot/signout`: ends this browser's bot identity sign-in
 */
import type { Context, Hono } from "hono";
import { ConnectError, finishConnect, startConnect } from "../../bot/connect.ts";
import { BotApiError } from "../../bot/errors.ts";
import { listConnections } from "../../db/bot.ts";
import { currentStrikeSettings } from "../../federation/index.ts";
import { RateLimiter } from "../../services/limits.ts";
import { clientKey } from "../kit/client.ts";
import type { WebDeps, WebEnv } from "../kit/context.ts";
import { formsMayLeaveSite } from "../kit/csp.ts";
import type { Notice } from "../kit/notice.tsx";
import { parseRequest } from "../kit/params.ts";
import { csrfFor, personalPage, type PersonalStatus } from "../layout/personal.tsx";
import { dayWords } from "./format.ts";
import { BotHome, type DisconnectReport } from "./HomeView.tsx";
import { bindBrowser, botViewer, endBotSession, startBotSession, takeBrowserBinding } from "./identity.ts";
import { botOf, connectStatus, noticeOf, notConfigured, readPost, summaryOf, TITLE } from "./page.tsx";
import { callbackQuery, connectForm } from "./schemas.ts";

/**
 * Connection attempts per client: each makes this site ask a server of the
 * visitor's choosing (probe, app registration).  A striker needs a few; a
 * script using the site to knock on servers is stopped.
 */
const CONNECT_LIMITS = [
  { max: 10, windowMs: 60_000 },
  { max: 60, windowMs: 60 * 60_000 },
];
const connectLimiters = new WeakMap<WebDeps, RateLimiter>();

/** Records one attempt for this client; the seconds to wait when over the limit, else 0. */
function connectWait(c: Context<WebEnv>): number {
  const deps = c.get("deps");
  let limiter = connectLimiters.get(deps);
  if (limiter == null) {
    limiter = new RateLimiter(CONNECT_LIMITS, { maxKeys: 50_000 });
    connectLimiters.set(deps, limiter);
  }
  return Math.ceil(limiter.consume(clientKey(c)) / 1000);
}

export function homePage(
  c: Context<WebEnv>,
  extra: { server?: string; serverError?: string; notice?: Notice | undefined; disconnected?: DisconnectReport } = {},
  status: PersonalStatus = 200,
) {
  const { db } = c.get("deps");
  const now = new Date();
  const strike = currentStrikeSettings(db, now);
  const viewer = botViewer(c);
  const connections = viewer.account == null ? [] : listConnections(db, viewer.account.id);
  // The connect form's answer is a redirect to the striker's server.
  formsMayLeaveSite(c);
  return personalPage(
    c,
    TITLE,
    <BotHome
      account={viewer.account?.username ?? null}
      identity={viewer.identity == null ? null : summaryOf(c, viewer.identity, now)}
      csrf={csrfFor(c)}
      strikeName={strike.name}
      when={dayWords(strike.days)}
      connections={connections.map((x) => summaryOf(c, x, now))}
      server={extra.server ?? ""}
      serverError={extra.serverError}
      notice={extra.notice}
      disconnected={extra.disconnected}
    />,
    status,
  );
}

export function homeRoutes(routes: Hono<WebEnv>): void {
  routes.get("/", (c) => {
    if (botOf(c) == null) return notConfigured(c);
    return homePage(c, { notice: noticeOf(c) });
  });

  routes.post("/connect", async (c) => {
    const bot = botOf(c);
    if (bot == null) return notConfigured(c);
    const form = await readPost(c);
    if (form instanceof Response) return form;
    const server = (form.server ?? "").slice(0, 300);
    const parsed = parseRequest(connectForm, form);
    if (!parsed.ok) return homePage(c, { server, serverError: parsed.message }, 400);
    const wait = connectWait(c);
    if (wait > 0) {
      c.header("Retry-After", String(wait));
      const serverError = `Too many attempts from your connection: please try again in ${wait} seconds.`;
      return homePage(c, { server, serverError }, 429);
    }
    // An account here connects for itself; a visitor signs in with the account they connect.
    const account = botViewer(c).account;
    try {
      const { redirect } = await startConnect(bot.context, account?.id ?? null, parsed.value.server, bindBrowser(c));
      return c.redirect(redirect, 303);
    } catch (error) {
      if (!(error instanceof BotApiError)) throw error;
      return homePage(c, { server, serverError: error.message }, connectStatus(error));
    }
  });

  routes.get("/callback", async (c) => {
    const bot = botOf(c);
    if (bot == null) return notConfigured(c);
    const browserHash = takeBrowserBinding(c);
    const query = parseRequest(callbackQuery, c.req.query());
    if (!query.ok)
      return homePage(
        c,
        {
          serverError: `The server’s answer (${query.field}) is not one this site asked for: ${query.message} Please start again.`,
        },
        400,
      );
    const account = botViewer(c).account;
    try {
      const connection = await finishConnect(bot.context, account?.id ?? null, {
        state: query.value.state,
        code: query.value.code,
        error: query.value.error,
        errorDescription: query.value.error_description,
        browserHash,
      });
      if (connection.accountId == null) {
        await startBotSession(c, connection.id);
        return c.redirect(`/bot/${connection.id}?done=signed-in`, 303);
      }
      return c.redirect(`/bot/${connection.id}?done=connected`, 303);
    } catch (error) {
      if (!(error instanceof ConnectError) && !(error instanceof BotApiError)) throw error;
      const status = error instanceof BotApiError ? connectStatus(error) : 400;
      return homePage(c, { serverError: error.message }, status);
    }
  });

  routes.post("/signout", async (c) => {
    if (botOf(c) == null) return notConfigured(c);
    const form = await readPost(c);
    if (form instanceof Response) return form;
    await endBotSession(c);
    return c.redirect("/bot?done=signed-out", 303);
  });
}
