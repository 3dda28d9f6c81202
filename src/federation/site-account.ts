/**
 * The site account (`@{SITE_HANDLE}@{host}`): the site's own voice, which
 * people follow to hear of the whole site rather than of one Declaration.
 * (Over 400 lines: its actor, its posts for each event and their text are one story.)
 * It is a `Service` of its own, separate from the instance actor that signs
 * our fetches (decision 0024).  What it posts:
 *
 * - a Note when a Declaration is published here (a Copy of one of ours says
 *   so), and when another site tells us of a copy of one of ours;
 * - the strike's voice: its announcement (once per edition, when the owner
 *   has saved the strike's settings and it is ahead), the countdown the owner
 *   chose (a week before, a day before, at the start), and on strike days a
 *   boost of one Declaration's notice per slot — never a notice of its own,
 *   so someone who follows the site and that Declaration gets the notice once
 *   (Mastodon does not show a boost of a post already in the home feed);
 * - boosts (`Announce`) of the Declarations' version notes and digests.
 *
 * Like the Declarations' posts, each is decided from the database (so a
 * restart catches up), created once (its key is unique), and delivered after
 * it is written.  Only what happens after the account began is posted.
 * Favouriting a site post signs nothing: the inbox knows only Declarations'
 * posts as things to sign, and the Declaration posts say so.
 */
import type { Context, Federation } from "@fedify/fedify";
import { randomUUID } from "node:crypto";
import { Announce, Create, Mention, Note, PUBLIC_COLLECTION, Update, type Actor } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import { getDeclarationById } from "../db/declarations.ts";
import type { DbLike } from "../db/client.ts";
import type { Declaration, SitePost } from "../db/schema.ts";
import {
  countSiteFollowers,
  createSitePost,
  declarationsNewForSite,
  getSitePostByActivityUuid,
  getSitePostByUuid,
  listUndeliveredSitePosts,
  markSitePostDelivered,
  postsToBoost,
  readSiteAccountSince,
  readSiteProfile,
  recordSiteProfile,
  remoteCopiesNewForSite,
  siteAccountSince,
  slotNoticesToBoost,
  type NewSitePost,
} from "../db/site-account.ts";
import { getMediaByIds, readStrikeSettingsValue } from "../db/strike.ts";
import { escapeHtml, markdownToText } from "../markdown.ts";
import { siteHandleFrom } from "../slug.ts";
import type { StrikeSettings } from "../strike/settings.ts";
import { strikeWindow } from "../strike/window.ts";
import { SITE_ACTOR, type FedData } from "./builder.ts";
import { currentStrikeSettings } from "./notices.ts";
import { hashtagParagraph, hashtagTags, languageOf, link, localized, noteUri, noticeAttachments } from "./objects.ts";
import { instant } from "./time.ts";

const logger = getLogger(["undersign", "federation", "site"]);

/** The site account's handle, without `@` or host. */
export function siteHandleOf(data: Pick<FedData, "siteHandle" | "instanceName">): string {
  return data.siteHandle ?? siteHandleFrom(data.instanceName);
}

/** The site account's id. */
export function siteActorUri(federation: Federation<FedData>, data: FedData, origin: URL): URL {
  return federation.createContext(origin, data).getActorUri(SITE_ACTOR);
}

/** Whether `uri` is the site account's id. */
export function isSiteActor(ctx: Context<FedData>, uri: URL | null): boolean {
  const parsed = uri == null ? null : ctx.parseUri(uri);
  return parsed?.type === "actor" && parsed.identifier === SITE_ACTOR;
}

/** The owner's introduction (plain text). */
export function siteIntroductionOf(data: Pick<FedData, "siteIntroduction" | "instanceName">): string {
  return (
    data.siteIntroduction ??
    `${data.instanceName} hosts Declarations of Digital Independence and the Social Media Strike: read them, copy them, sign them, and strike with us.`
  );
}

/** Said in every site post about a Declaration: a favourite of it is not a signature. */
export function notASignatureLine(handle: string): string {
  return `Favouriting this post signs nothing: it speaks for the whole site. To sign, favourite the Declaration’s own post (follow ${handle}), or sign on its page.`;
}

/** How long after its moment a countdown post is still posted (a site that was down catches up, briefly). */
export const COUNTDOWN_GRACE_MS = 6 * 60 * 60 * 1000;

function page(ctx: Context<FedData>, path: string): URL {
  return new URL(path, ctx.canonicalOrigin);
}

function declarationHandle(ctx: Context<FedData>, slug: string): string {
  return `@${slug}@${new URL(ctx.canonicalOrigin).host}`;
}

/** A link that Mastodon shows as a mention of the Declaration's account. */
function mentionLink(ctx: Context<FedData>, slug: string): string {
  const href = ctx.getActorUri(slug).href;
  return `<span class="h-card"><a href="${escapeHtml(href)}" class="u-url mention">@<span>${escapeHtml(slug)}</span></a></span>`;
}

function paragraph(text: string): string {
  return `<p>${escapeHtml(text)}</p>`;
}

// ---------------------------------------------------------------------------
// What the posts say

function declarationContent(
  ctx: Context<FedData>,
  d: Declaration,
  source: Pick<Declaration, "title" | "slug"> | null,
): string {
  const here = page(ctx, `/d/${d.slug}`);
  const summary = markdownToText(d.summary);
  const what =
    source != null
      ? `<p>New copy on ${escapeHtml(ctx.data.instanceName)}: <strong>${escapeHtml(d.title)}</strong>, a copy of <strong>${escapeHtml(source.title)}</strong>.</p>`
      : `<p>New Declaration on ${escapeHtml(ctx.data.instanceName)}: <strong>${escapeHtml(d.title)}</strong></p>`;
  const elsewhere =
    source == null && d.sourceUrl != null && URL.canParse(d.sourceUrl)
      ? `<p>It is a copy of ${link(new URL(d.sourceUrl), d.sourceTitle ?? new URL(d.sourceUrl).host)}.</p>`
      : "";
  return (
    what +
    elsewhere +
    (summary === "" ? "" : paragraph(summary)) +
    `<p>${source != null ? "Read it and what it changes" : "Read it"}: ${link(here)}</p>` +
    `<p>Follow it: ${mentionLink(ctx, d.slug)}</p>` +
    paragraph(notASignatureLine(declarationHandle(ctx, d.slug))) +
    hashtagParagraph(ctx, d.hashtags)
  );
}

function remoteCopyContent(
  ctx: Context<FedData>,
  ours: Declaration,
  copy: { title: string; url: string; host: string },
): string {
  const url = URL.canParse(copy.url) ? new URL(copy.url) : null;
  return (
    `<p><strong>${escapeHtml(copy.title)}</strong> on ${escapeHtml(copy.host)} is a new copy of our Declaration <strong>${escapeHtml(ours.title)}</strong>.</p>` +
    (url == null ? "" : `<p>Read the copy: ${link(url)}</p>`) +
    `<p>Ours, and all its copies: ${link(page(ctx, `/d/${ours.slug}/copies`))}</p>` +
    paragraph(notASignatureLine(declarationHandle(ctx, ours.slug))) +
    hashtagParagraph(ctx, ours.hashtags)
  );
}

/** "July 4 and July 5, 2027" style, in English. */
function dayList(days: readonly string[]): string {
  const format = new Intl.DateTimeFormat("en", { dateStyle: "long", timeZone: "UTC" });
  const list = new Intl.ListFormat("en", { type: "conjunction" });
  return list.format(days.map((d) => format.format(new Date(`${d}T12:00:00Z`))));
}

export type StrikePostKind = "announcement" | "week" | "day" | "start";

function strikeContent(ctx: Context<FedData>, settings: StrikeSettings, kind: StrikePostKind): string {
  const name = `<strong>${escapeHtml(settings.name)}</strong>`;
  const when = `${escapeHtml(dayList(settings.days))} (${escapeHtml(settings.timeZone)})`;
  const strike = page(ctx, "/strike");
  const lead: Record<StrikePostKind, string> = {
    announcement: `<p>${name} is on ${when}.</p><p>On those days we post nothing on big social media but strike notices, and we sign the Declaration of Digital Independence.</p>`,
    week: `<p>${name} starts in a week: ${when}.</p>`,
    day: `<p>${name} starts tomorrow: ${when}.</p>`,
    start: `<p>${name} has begun: ${when}. Until it ends we post nothing on big social media but strike notices.</p>`,
  };
  return `${lead[kind]}<p>Pledge to strike, and see how: ${link(strike)}</p>${hashtagParagraph(ctx, settings.hashtags)}`;
}

/** The strike posts' images: those of the first notice template that has any (each with its description). */
function strikeImages(ctx: Context<FedData>, settings: StrikeSettings): number[] {
  const ids = settings.templates.find((t) => t.mediaIds.length > 0)?.mediaIds ?? [];
  return getMediaByIds(ctx.data.db, ids).map((m) => m.id);
}

// ---------------------------------------------------------------------------
// Creating what is due

function write(ctx: Context<FedData>, input: NewSitePost): Promise<SitePost | undefined> {
  return ctx.data.batcher.run(() => createSitePost(ctx.data.db, input));
}

/**
 * Creates the site account's posts that are due at `now` (after the
 * Declarations' own posts of this pass were created).  Returns how many.
 */
export async function createDueSitePosts(ctx: Context<FedData>, now: Date): Promise<number> {
  const { db } = ctx.data;
  const since = await ctx.data.batcher.run(() => siteAccountSince(db, now));
  let created = 0;
  const count = (post: SitePost | undefined) => {
    if (post != null) {
      created++;
      logger.info("Site account post {key}", { key: post.key });
    }
  };

  for (const work of declarationsNewForSite(db, since)) {
    const d = getDeclarationById(db, work.id);
    if (d == null) continue;
    const local = work.sourceDeclarationId == null ? undefined : getDeclarationById(db, work.sourceDeclarationId);
    const source = local != null && local.status !== "draft" ? local : null;
    count(
      await write(ctx, {
        kind: source == null ? "declaration" : "copy",
        key: `declaration:${d.id}`,
        declarationId: d.id,
        content: declarationContent(ctx, d, source),
        hashtags: d.hashtags,
        language: languageOf(d),
        now,
      }),
    );
  }

  for (const copy of remoteCopiesNewForSite(db, since)) {
    const ours = getDeclarationById(db, copy.declarationId);
    if (ours == null) continue;
    count(
      await write(ctx, {
        kind: "remote-copy",
        key: `remote-copy:${copy.id}`,
        declarationId: ours.id,
        content: remoteCopyContent(ctx, ours, copy),
        hashtags: ours.hashtags,
        language: languageOf(ours),
        now,
      }),
    );
  }

  for (const post of postsToBoost(db, since)) {
    count(
      await write(ctx, {
        kind: "boost",
        key: `boost:${post.uuid}`,
        declarationId: post.declarationId,
        objectUri: noteUri(ctx, post).href,
        now,
      }),
    );
  }

  created += await boostNotices(ctx, since, now);
  created += await strikeVoice(ctx, since, now);
  return created;
}

/**
 * One boost per strike slot (and per "post a notice now"): of the notice of
 * the first Declaration in the strike's order that posted one.  The site
 * posts no notice of its own, so a follower of the site and of a Declaration
 * never gets two copies of one notice.
 */
async function boostNotices(ctx: Context<FedData>, since: Date, now: Date): Promise<number> {
  const settings = currentStrikeSettings(ctx.data.db, now);
  const order = new Map(settings.declarations.map((slug, i) => [slug, i]));
  const groups = new Map<string, ReturnType<typeof slotNoticesToBoost>>();
  for (const notice of slotNoticesToBoost(ctx.data.db, since)) {
    const group = groups.get(notice.group) ?? [];
    group.push(notice);
    groups.set(notice.group, group);
  }
  let created = 0;
  for (const [group, notices] of groups) {
    const rank = (slug: string) => order.get(slug) ?? Number.MAX_SAFE_INTEGER;
    const chosen = [...notices].sort((a, b) => rank(a.slug) - rank(b.slug) || a.id - b.id)[0]!;
    const post = await write(ctx, {
      kind: "boost",
      key: `boost:notice:${group}`,
      declarationId: chosen.declarationId,
      objectUri: noteUri(ctx, chosen).href,
      now,
    });
    if (post != null) created++;
  }
  return created;
}

/** The moment of each countdown post: a week before, a day before and at the start of the strike. */
export function countdownMoments(settings: StrikeSettings): { kind: "week" | "day" | "start"; at: Date }[] {
  const start = strikeWindow(settings.days, settings.timeZone).start.getTime();
  const at = { week: start - 7 * 86_400_000, day: start - 86_400_000, start };
  return settings.countdown.map((kind) => ({ kind, at: new Date(at[kind]) }));
}

/** The strike's announcement and countdown, when due. */
async function strikeVoice(ctx: Context<FedData>, since: Date, now: Date): Promise<number> {
  const { db } = ctx.data;
  // Only a strike the owner has set up speaks: the defaults alone announce nothing.
  if (readStrikeSettingsValue(db) === undefined) return 0;
  const settings = currentStrikeSettings(db, now);
  if (settings.paused) return 0;
  const window = strikeWindow(settings.days, settings.timeZone);
  if (now.getTime() >= window.end.getTime()) return 0;
  const edition = settings.days[0]!;
  const base = {
    hashtags: settings.hashtags,
    mediaIds: strikeImages(ctx, settings),
    language: null,
    now,
  };
  let created = 0;
  if (now.getTime() < window.start.getTime()) {
    const post = await write(ctx, {
      ...base,
      kind: "announcement",
      key: `strike:announcement:${edition}`,
      content: strikeContent(ctx, settings, "announcement"),
    });
    if (post != null) created++;
  }
  for (const moment of countdownMoments(settings)) {
    const t = moment.at.getTime();
    if (now.getTime() < t || now.getTime() >= t + COUNTDOWN_GRACE_MS || t < since.getTime() - COUNTDOWN_GRACE_MS)
      continue;
    const post = await write(ctx, {
      ...base,
      kind: "countdown",
      key: `strike:countdown:${moment.kind}:${edition}`,
      content: strikeContent(ctx, settings, moment.kind),
    });
    if (post != null) created++;
  }
  return created;
}

// ---------------------------------------------------------------------------
// As ActivityPub

function addressing(ctx: Context<FedData>) {
  return { to: PUBLIC_COLLECTION, ccs: [ctx.getFollowersUri(SITE_ACTOR)] };
}

/** The Declaration a site post is about, unless it is gone or a draft. */
function aboutDeclaration(ctx: Context<FedData>, post: SitePost): Declaration | null {
  if (post.declarationId == null) return null;
  const d = getDeclarationById(ctx.data.db, post.declarationId);
  return d == null || d.status === "draft" ? null : d;
}

/** The page a site account's post is about (its Note's `url`; where its id leads a browser). */
export function sitePostPath(db: DbLike, post: SitePost): string {
  if (post.kind === "announcement" || post.kind === "countdown") return "/strike";
  const d = post.declarationId == null ? undefined : getDeclarationById(db, post.declarationId);
  if (d == null || d.status === "draft") return "/";
  return post.kind === "remote-copy" ? `/d/${d.slug}/copies` : `/d/${d.slug}`;
}

/** The site account's Note (not for boosts). */
export function buildSiteNote(ctx: Context<FedData>, post: SitePost): Note {
  const d = aboutDeclaration(ctx, post);
  const url = page(ctx, sitePostPath(ctx.data.db, post));
  const mention =
    d != null && post.kind !== "remote-copy"
      ? [new Mention({ href: ctx.getActorUri(d.slug), name: declarationHandle(ctx, d.slug) })]
      : [];
  return new Note({
    id: ctx.getObjectUri(Note, { uuid: post.uuid }),
    attribution: ctx.getActorUri(SITE_ACTOR),
    contents: localized(post.content ?? "", post.language),
    url,
    tags: [...hashtagTags(ctx, post.hashtags), ...mention],
    attachments: noticeAttachments(ctx, post),
    published: instant(post.published),
    ...addressing(ctx),
  });
}

/** The activity that carried a site post: `Create` of its Note, or `Announce` of a Declaration's post. */
export function buildSiteActivity(ctx: Context<FedData>, post: SitePost): Create | Announce | null {
  const actor = ctx.getActorUri(SITE_ACTOR);
  if (post.kind === "boost") {
    const d = aboutDeclaration(ctx, post);
    if (d == null || post.objectUri == null) return null;
    return new Announce({
      id: ctx.getObjectUri(Announce, { uuid: post.activityUuid }),
      actor,
      object: new URL(post.objectUri),
      published: instant(post.published),
      to: PUBLIC_COLLECTION,
      ccs: [ctx.getFollowersUri(SITE_ACTOR), ctx.getActorUri(d.slug)],
    });
  }
  return new Create({
    id: ctx.getObjectUri(Create, { uuid: post.activityUuid }),
    actor,
    object: buildSiteNote(ctx, post),
    published: instant(post.published),
    ...addressing(ctx),
  });
}

/** The site account's Note with this uuid, for the Note dispatcher; null when there is none. */
export function siteNoteByUuid(ctx: Context<FedData>, uuid: string): Note | null {
  const post = getSitePostByUuid(ctx.data.db, uuid);
  return post == null || post.kind === "boost" ? null : buildSiteNote(ctx, post);
}

/** The site account's activity with this uuid (a Create or an Announce), for their dispatchers. */
export function siteActivityByUuid(
  ctx: Context<FedData>,
  uuid: string,
  type: "Create" | "Announce",
): Create | Announce | null {
  const post = getSitePostByActivityUuid(ctx.data.db, uuid);
  if (post == null || (post.kind === "boost") !== (type === "Announce")) return null;
  return buildSiteActivity(ctx, post);
}

/** When the site account began, if it has (the actor's `published`). */
export function siteAccountBegan(ctx: Context<FedData>): Date | null {
  return readSiteAccountSince(ctx.data.db);
}

// ---------------------------------------------------------------------------
// Delivery

/** What other servers show of the site account (its name, handle and introduction), as one string. */
export function siteProfileFingerprint(data: FedData): string {
  return JSON.stringify([data.instanceName, siteHandleOf(data), siteIntroductionOf(data)]);
}

/**
 * Sends the site account's followers an `Update` of it when its profile
 * changed (the owner changed INSTANCE_NAME, SITE_HANDLE or SITE_INTRODUCTION
 * and restarted).  Returns whether one was sent.
 */
export async function sendSiteProfileUpdate(
  federation: Federation<FedData>,
  data: FedData,
  origin: URL,
  buildActor: (ctx: Context<FedData>, identifier: string) => Promise<Actor | null>,
): Promise<boolean> {
  const fingerprint = siteProfileFingerprint(data);
  const known = readSiteProfile(data.db);
  if (known === fingerprint) return false;
  if (known == null || countSiteFollowers(data.db) === 0) {
    // Nobody to tell: a new follower fetches the profile as it is.
    await data.batcher.run(() => recordSiteProfile(data.db, fingerprint));
    return false;
  }
  const ctx = federation.createContext(origin, data);
  const actor = await buildActor(ctx, SITE_ACTOR);
  if (actor?.id == null) return false;
  await ctx.sendActivity(
    { identifier: SITE_ACTOR },
    "followers",
    new Update({
      id: new URL(`#profile-updates/${randomUUID()}`, actor.id),
      actor: actor.id,
      object: actor,
      to: PUBLIC_COLLECTION,
      ccs: [ctx.getFollowersUri(SITE_ACTOR)],
    }),
    { preferSharedInbox: true, syncCollection: false, orderingKey: `${actor.id.href}#profile` },
  );
  await data.batcher.run(() => recordSiteProfile(data.db, fingerprint));
  return true;
}

/** Hands every site post not yet queued to Fedify, for the site account's followers. */
export async function deliverSitePosts(federation: Federation<FedData>, data: FedData, origin: URL): Promise<number> {
  const ctx = federation.createContext(origin, data);
  let sent = 0;
  for (;;) {
    const batch = listUndeliveredSitePosts(data.db, 50);
    if (batch.length === 0) return sent;
    for (const post of batch) {
      const activity = buildSiteActivity(ctx, post);
      if (activity != null) {
        await ctx.sendActivity({ identifier: SITE_ACTOR }, "followers", activity, {
          preferSharedInbox: true,
          // Boosts during the strike are frequent and public; the rest is rare (see deliverPending).
          syncCollection: post.kind !== "boost",
          orderingKey: activity.id!.href,
        });
        sent++;
      }
      await data.batcher.run(() => markSitePostDelivered(data.db, post.id, new Date()));
    }
  }
}
