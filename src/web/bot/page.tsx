/**
 * What every /bot route shares: the bot (or the page saying the site has
 * none), the private page shell, reading a form with its CSRF check, the
 * notices after a redirect, and a connection summed up for the pages.
 */
import type { Context } from "hono";
import { serverSupport } from "../../bot/capability.ts";
import type { BotContext } from "../../bot/connect.ts";
import type { BotApiError } from "../../bot/errors.ts";
import { parseStoredPlan } from "../../bot/plan.ts";
import { requireBotKey } from "../../bot/secrets.ts";
import { listPosts, type ConnectionWithApp } from "../../db/bot.ts";
import { readForm } from "../kit/body.ts";
import type { WebEnv } from "../kit/context.ts";
import { CSRF_FIELD, verifyCsrf } from "../kit/csrf.ts";
import { type Notice, success, warning } from "../kit/notice.tsx";
import { parseRequest } from "../kit/params.ts";
import { currentAccount } from "../kit/session.ts";
import { forbiddenPage, personalPage, type PersonalStatus } from "../layout/personal.tsx";
import { NotAvailable, type ConnectionSummary } from "./HomeView.tsx";
import { doneQuery } from "./schemas.ts";

export const TITLE = "Strike bot";

export type Bot = { context: BotContext; poke(): void };

export function botOf(c: Context<WebEnv>): Bot | null {
  return c.get("deps").bot ?? null;
}

/** The site has no BOT_TOKEN_KEY: a plain page for visitors; what to set for the site's owner. */
export function notConfigured(c: Context<WebEnv>) {
  let hint: string | null = null;
  if (currentAccount(c)?.role === "admin") {
    try {
      requireBotKey({ bot: null });
    } catch (error) {
      hint = (error as Error).message;
    }
  }
  return personalPage(c, TITLE, <NotAvailable ownerHint={hint} />, 503);
}

/** The form of a POST, its CSRF check passed; or the response to send. */
export async function readPost(c: Context<WebEnv>, maxBytes?: number): Promise<Record<string, string> | Response> {
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

/** The status of a page saying what the striker's server answered. */
export function connectStatus(error: BotApiError): PersonalStatus {
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

const NOTICES = {
  connected: success("Your account is connected. Now choose when and what the bot posts."),
  "signed-in": success("You are signed in with your fediverse account. Choose when and what the bot posts."),
  "signed-out": success(
    "You are signed out. Your bot keeps its plan; sign in again with the same account to change it.",
  ),
  saved: success("Your plan is saved: the bot is scheduling your posts."),
  paused: success(
    "The bot is paused. It cancels the posts your server holds scheduled; any your server would not cancel are marked below.",
  ),
  resumed: success("The bot is on again."),
  disconnected: success("Disconnected: the bot’s access was revoked on your server and deleted here."),
  "disconnected-local": warning(
    "Disconnected here. Your server could not be told: please revoke the bot in your server’s settings (Account → Authorized apps).",
  ),
} satisfies Record<string, Notice>;
export type Done = keyof typeof NOTICES;
const done = doneQuery(Object.keys(NOTICES) as [Done, ...Done[]]);

/** The notice `?done=` asks for (none for anything else). */
export function noticeOf(c: Context<WebEnv>): Notice | undefined {
  const parsed = parseRequest(done, c.req.query());
  return parsed.ok && parsed.value.done != null ? NOTICES[parsed.value.done] : undefined;
}

export function summaryOf(c: Context<WebEnv>, connection: ConnectionWithApp, now: Date): ConnectionSummary {
  const posts = listPosts(c.get("deps").db, connection.id);
  return {
    id: connection.id,
    acct: connection.acct,
    displayName: connection.displayName,
    url: connection.url,
    host: new URL(connection.origin).host,
    status: connection.status,
    statusReason: connection.statusReason,
    enabled: connection.enabled,
    hasPlan: parseStoredPlan(connection.plan) != null,
    upcoming: posts.filter(
      (p) => (p.state === "planned" || p.state === "scheduled") && p.postAt.getTime() > now.getTime(),
    ).length,
    posted: posts.filter((p) => p.state === "posted").length,
    scheduling: serverSupport(connection.app),
    schedulingReason: connection.app.schedulingReason,
  };
}
