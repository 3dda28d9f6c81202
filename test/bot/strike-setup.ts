/**
 * What the scheduler's tests share: a strike (July 4 and 5, 2030, UTC), a
 * Declaration, one striker connected to the stand-in server with a saved
 * plan, and walking through the strike day on the server's clock.
 */
import type { BotContext } from "../../src/bot/connect.ts";
import type { BotPlan } from "../../src/bot/plan.ts";
import { runBotPass } from "../../src/bot/scheduler.ts";
import { listPosts, savePlan } from "../../src/db/bot.ts";
import type { Db } from "../../src/db/client.ts";
import { createDeclaration } from "../../src/db/declarations.ts";
import type { BotConnection } from "../../src/db/schema.ts";
import { writeStrikeSettingsValue } from "../../src/db/strike.ts";
import type { MastodonApiOptions, MastodonApiServer } from "../helpers/mastodon-api.ts";
import { addAccount, botContext, connectAccount, freshDb, startServer } from "./bot-context.ts";

export const MIN = 60_000;
export const HOUR = 60 * MIN;
/** The day before the strike: every slot is more than 10 minutes ahead. */
export const EVE = "2030-07-03T12:00:00.000Z";
export const DAY = "2030-07-04";
export const DECLARATION_URL = "https://undersign.test/d/open-web";

export const PLAN: BotPlan = {
  days: [DAY],
  cadence: { kind: "every", hours: 3 },
  timeZone: "UTC",
  declaration: "open-web",
  templates: ["A {declaration_url}", "B {hours_left} hours left {declaration_url}"],
  visibility: "unlisted",
  language: "de",
  spoilerText: "Strike",
  mediaId: null,
  mediaAlt: "",
};

export interface Setup {
  server: MastodonApiServer;
  db: Db;
  ctx: BotContext;
  connection: BotConnection;
  token: string;
}

/** The strike (July 4 and 5, UTC) and the Declaration its notices link. */
export function writeStrike(db: Db): void {
  writeStrikeSettingsValue(db, {
    name: "Social Media Strike",
    hashtags: ["SocialMediaStrike"],
    days: [DAY, "2030-07-05"],
    timeZone: "UTC",
    cadenceMinutes: 60,
    declarations: [],
    templates: [{ text: "Site notice {declaration_url}", mediaIds: [] }],
    paused: false,
  });
  createDeclaration(db, {
    slug: "open-web",
    title: "Open Web",
    summary: "s",
    license: "CC BY-SA 4.0",
    hashtags: [],
    language: "en",
    body: "Text.\n",
    origin: "site",
  });
}

export async function setup(
  options: { now?: string; plan?: Partial<BotPlan>; server?: MastodonApiOptions; ctx?: Partial<BotContext> } = {},
): Promise<Setup> {
  const server = await startServer(options.now ?? EVE, options.server);
  const db = freshDb();
  writeStrike(db);
  const ctx = botContext(db, server, options.ctx);
  const connection = await connectAccount(ctx, addAccount(db, "alice"), server);
  await ctx.batcher.run(() => savePlan(db, connection.id, { ...PLAN, ...options.plan }, true, server.clock.now()));
  return { server, db, ctx, connection, token: server.tokens[0]!.token };
}

export const postsOf = (t: Setup) => listPosts(t.db, t.connection.id);
export const statusPosts = (server: MastodonApiServer) =>
  server.requests.filter((r) => r.method === "POST" && r.path === "/api/v1/statuses");
/** The slot an Idempotency-Key is for. */
export const slotOfKey = (key: string | null) =>
  /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/.exec(key ?? "")?.[0] ?? "none";
/** How many statuses the server published per slot. */
export function statusesPerSlot(server: MastodonApiServer): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of server.statuses) counts[slotOfKey(s.idempotency)] = (counts[slotOfKey(s.idempotency)] ?? 0) + 1;
  return counts;
}
export const slotIso = (hour: number) => `${DAY}T${String(hour).padStart(2, "0")}:00:00.000Z`;

/** Runs passes at each post's time (and a minute after, to confirm) until the day is over. */
export async function walkThroughDay(t: Setup): Promise<void> {
  const times = [...new Set(postsOf(t).map((p) => p.postAt.getTime()))].sort((a, b) => a - b);
  for (const at of times) {
    t.server.clock.set(at);
    await runBotPass(t.ctx);
  }
  t.server.clock.set(times.at(-1)! + 2 * MIN);
  await runBotPass(t.ctx);
}
