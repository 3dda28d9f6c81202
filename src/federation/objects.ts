/**
 * (Over 400 lines: every object we serve is built here, so their shapes stay consistent.)
 *
 * Our posts as ActivityPub objects: a Declaration's `Article` (the full text,
 * HTML and Markdown `source`), the pinned announcement `Note` (the title and
 * the text's opening words), the "version N" Notes and the signing digests,
 * and the `Create`/`Update` activities that carried them.  Every id is
 * dereferenceable (the dispatchers below), so a server that re-fetches what
 * we sent gets the same thing.  What each server shows of them is decision
 * 0017 (docs/decisions/0017-what-followers-see.md).
 */
import type { Context } from "@fedify/fedify";
import {
  Announce,
  Article,
  Create,
  Document,
  Hashtag,
  InteractionPolicy,
  InteractionRule,
  LanguageString,
  Note,
  PUBLIC_COLLECTION,
  Source,
  Update,
} from "@fedify/vocab";
import { getDeclarationById, getRevision } from "../db/declarations.ts";
import { getActivityByUuid, getPostByUuid, previousDigestTime, type OutboxEntry } from "../db/posts.ts";
import type { Declaration, FedPost, Revision } from "../db/schema.ts";
import { getMediaByIds } from "../db/strike.ts";
import { escapeHtml, markdownToText, openingParagraphs, renderMarkdownAbsolute } from "../markdown.ts";
import { plural } from "../plural.ts";
import { noticeHashtags, noticeTokens } from "../strike/notices.ts";
import { builder, type FedData } from "./builder.ts";
import { viaLink } from "./copies.ts";
import { mediaPath } from "./notices.ts";
import { siteActivityByUuid, siteNoteByUuid } from "./site-account.ts";
import { instant } from "./time.ts";

/** Activities we deliver must stay well under Misskey's 64 KiB inbox limit. */
export const MAX_EMBEDDED_ARTICLE_BYTES = 40 * 1024;

export const SIGN_LINE = "⭐ Favourite this post to sign the Declaration; unfavourite it to withdraw your signature.";

/**
 * Characters of the Declaration's own words (its summary, then its opening
 * paragraphs) in the pinned announcement: Mastodon's default length of a post,
 * so the announcement reads like any other post in a timeline.
 */
export const OPENING_MAX = 500;

type Decl = Pick<
  Declaration,
  | "id"
  | "slug"
  | "title"
  | "summary"
  | "hashtags"
  | "language"
  | "signatureCount"
  | "revision"
  | "sourceUrl"
  | "sourceTitle"
  | "sourceRevision"
  | "status"
>;

function pageUrl(ctx: Context<FedData>, path: string): URL {
  return new URL(path, ctx.canonicalOrigin);
}

/** The page of a hashtag on this site. */
export function hashtagUrl(ctx: Context<FedData>, tag: string): URL {
  return pageUrl(ctx, `/tags/${encodeURIComponent(tag.toLowerCase())}`);
}

export function hashtagTags(ctx: Context<FedData>, tags: readonly string[]): Hashtag[] {
  return tags.map((tag) => new Hashtag({ name: `#${tag}`, href: hashtagUrl(ctx, tag) }));
}

/** Hashtags as Mastodon writes them into content, so every server links them. */
export function hashtagParagraph(ctx: Context<FedData>, tags: readonly string[]): string {
  if (tags.length === 0) return "";
  return `<p>${tags.map((tag) => hashtagLink(ctx, tag)).join(" ")}</p>`;
}

export function link(url: URL, text?: string): string {
  return `<a href="${escapeHtml(url.href)}">${escapeHtml(text ?? url.href)}</a>`;
}

function hashtagLink(ctx: Context<FedData>, tag: string): string {
  return `<a href="${escapeHtml(hashtagUrl(ctx, tag).href)}" class="mention hashtag" rel="tag">#<span>${escapeHtml(tag)}</span></a>`;
}

/**
 * A strike notice's text as HTML: paragraphs and line breaks kept, links and
 * hashtags linked as Mastodon links them (so every server shows them alike).
 */
export function noticeHtml(ctx: Context<FedData>, text: string): string {
  let html = "<p>";
  for (const token of noticeTokens(text.trim())) {
    if (token.type === "text") html += escapeHtml(token.value);
    else if (token.type === "tag") html += hashtagLink(ctx, token.value);
    else if (token.type === "url") {
      html += URL.canParse(token.value)
        ? `<a href="${escapeHtml(new URL(token.value).href)}">${escapeHtml(token.value)}</a>`
        : escapeHtml(token.value);
    } else html += token.paragraph ? "</p><p>" : "<br>";
  }
  return `${html}</p>`;
}

export function articleUri(ctx: Context<FedData>, post: Pick<FedPost, "uuid">): URL {
  return ctx.getObjectUri(Article, { uuid: post.uuid });
}

export function noteUri(ctx: Context<FedData>, post: Pick<FedPost, "uuid">): URL {
  return ctx.getObjectUri(Note, { uuid: post.uuid });
}

export function postUri(ctx: Context<FedData>, post: Pick<FedPost, "uuid" | "kind">): URL {
  return post.kind === "article" ? articleUri(ctx, post) : noteUri(ctx, post);
}

function addressing(ctx: Context<FedData>, slug: string) {
  return { to: PUBLIC_COLLECTION, ccs: [ctx.getFollowersUri(slug)] };
}

/** The Declaration's language as a language tag, or null when it is not one. */
export function languageOf(declaration: Pick<Declaration, "language">): string | null {
  const tag = declaration.language.trim();
  if (tag === "") return null;
  try {
    return new Intl.Locale(tag).toString();
  } catch {
    return null;
  }
}

/**
 * `content` (or `name`) in the Declaration's language: the plain property,
 * which every server reads, and the language map (`contentMap`), from which
 * Mastodon and Akkoma take the post's language.
 */
export function localized(text: string, language: string | null): [string] | [string, LanguageString] {
  return language == null ? [text] : [text, new LanguageString(text, language)];
}

/**
 * Quotes (FEP-044f) of a published Declaration's posts are approved for
 * everyone, automatically (quotes.ts answers the `QuoteRequest`); a withdrawn
 * Declaration's posts may be quoted by their author only, which is how
 * Mastodon writes "nobody".
 */
function quotePolicy(ctx: Context<FedData>, declaration: Decl): InteractionPolicy {
  const who = declaration.status === "published" ? PUBLIC_COLLECTION : ctx.getActorUri(declaration.slug);
  return new InteractionPolicy({ canQuote: new InteractionRule({ automaticApprovals: [who] }) });
}

/**
 * The Declaration's text at one revision, as an Article.  It has no
 * `summary`: Misskey, Pleroma, Akkoma and snac show an object's summary as a
 * content warning hiding its text (decision 0017).  The summary travels as
 * the `preview` (a Note), which those servers ignore and undersign copies read.
 * `updated` is when the Article was last updated (null: never), so servers
 * show an Update as an edit.
 */
export function buildArticle(
  ctx: Context<FedData>,
  declaration: Decl,
  revision: Revision,
  post: FedPost,
  updated: Date | null,
): Article {
  // A Copy names the revision it was copied from (see copies.ts).
  const via = viaLink(declaration);
  const language = languageOf(declaration);
  const summary = markdownToText(revision.summary);
  const page = pageUrl(ctx, `/d/${declaration.slug}`);
  return new Article({
    id: articleUri(ctx, post),
    attribution: ctx.getActorUri(declaration.slug),
    names: localized(revision.title, language),
    contents: localized(renderMarkdownAbsolute(revision.body, page), language),
    preview: summary === "" ? null : new Note({ contents: localized(`<p>${escapeHtml(summary)}</p>`, language) }),
    source: new Source({ content: revision.body, mediaType: "text/markdown" }),
    url: pageUrl(ctx, `/d/${declaration.slug}/v/${revision.number}`),
    tags: via == null ? hashtagTags(ctx, declaration.hashtags) : [...hashtagTags(ctx, declaration.hashtags), via],
    published: instant(post.published),
    updated: updated == null ? null : instant(updated),
    interactionPolicy: quotePolicy(ctx, declaration),
    ...addressing(ctx, declaration.slug),
  });
}

/** Openings already worked out, per database and revision id (revisions never change). */
const openings = new WeakMap<object, Map<number, readonly string[]>>();
const OPENINGS_KEPT = 500;

/**
 * The Declaration's own words the announcement quotes at one revision: its
 * summary and opening paragraphs.  Kept per revision: the announcement is
 * served each time a server fetches it (a boost, the pinned collection).
 */
function openingOf(db: object, revision: Pick<Revision, "id" | "body" | "summary">): readonly string[] {
  let perDb = openings.get(db);
  if (perDb == null) {
    perDb = new Map();
    openings.set(db, perDb);
  }
  let opening = perDb.get(revision.id);
  if (opening == null) {
    opening = openingParagraphs(revision.body, OPENING_MAX, markdownToText(revision.summary));
    if (perDb.size >= OPENINGS_KEPT) perDb.delete(perDb.keys().next().value!);
    perDb.set(revision.id, opening);
  }
  return opening;
}

type RevisionText = Pick<Revision, "id" | "title" | "body" | "summary">;

/** Whether the announcement reads differently at revision `b` than at `a` (its title or opening words changed). */
export function announcementDiffers(db: object, a: RevisionText, b: RevisionText): boolean {
  return a.title !== b.title || JSON.stringify(openingOf(db, a)) !== JSON.stringify(openingOf(db, b));
}

/**
 * The announcement's text: the title, the Declaration's own words (its
 * summary and opening paragraphs, at most `OPENING_MAX` characters), how to
 * sign, the link to the whole text, and the hashtags.
 */
function announcementContent(
  ctx: Context<FedData>,
  declaration: Decl,
  revision: Revision | undefined,
  tags: string,
): string {
  const page = pageUrl(ctx, `/d/${declaration.slug}`);
  const opening = revision == null ? [] : openingOf(ctx.data.db, revision);
  return (
    `<p><strong>${escapeHtml(revision?.title ?? declaration.title)}</strong></p>` +
    opening.map((p) => `<p>${escapeHtml(p)}</p>`).join("") +
    `<p>${escapeHtml(SIGN_LINE)}</p><p>Read the whole Declaration: ${link(page)}</p>${tags}`
  );
}

function noteContent(ctx: Context<FedData>, declaration: Decl, post: FedPost, revision: Revision | undefined): string {
  const page = pageUrl(ctx, `/d/${declaration.slug}`);
  const tags = hashtagParagraph(ctx, declaration.hashtags);
  switch (post.kind) {
    case "announcement":
      return announcementContent(ctx, declaration, revision, tags);
    case "version": {
      const change = revision?.changeSummary.trim() ? `: ${escapeHtml(revision.changeSummary.trim())}` : ".";
      const diff = pageUrl(ctx, `/d/${declaration.slug}/diff/${post.revision - 1}..${post.revision}`);
      return (
        `<p>Version ${post.revision} of <strong>${escapeHtml(revision?.title ?? declaration.title)}</strong>${change}</p>` +
        `<p>What changed: ${link(diff)}</p><p>${escapeHtml(SIGN_LINE)}</p>${tags}`
      );
    }
    case "digest": {
      const people = plural(post.delta, "person", "people");
      const total = plural(post.signatureCount, "signature", "signatures");
      const since = previousDigestTime(ctx.data.db, post);
      const hours =
        since == null ? 1 : Math.max(1, Math.round((post.published.getTime() - since.getTime()) / 3_600_000));
      const window = hours === 1 ? "in the last hour" : `in the last ${plural(hours, "hour", "hours")}`;
      return (
        `<p>${people} signed <strong>${escapeHtml(declaration.title)}</strong> ${window}: ${total} so far.</p>` +
        `<p>${escapeHtml(SIGN_LINE)}</p><p>${link(page)}</p>${tags}`
      );
    }
    case "notice":
      // The text links the Declaration and carries the strike's hashtags (src/strike/notices.ts fillTemplate).
      return noticeHtml(ctx, post.content ?? "");
    case "article":
      throw new Error("An Article is not a Note");
  }
}

/** A strike notice's images, each with its description (`name`) for people who cannot see it. */
export function noticeAttachments(ctx: Context<FedData>, post: Pick<FedPost, "mediaIds">): Document[] {
  return getMediaByIds(ctx.data.db, post.mediaIds).map(
    (m) =>
      new Document({
        url: pageUrl(ctx, mediaPath(m)),
        mediaType: m.mime,
        name: m.alt,
        width: m.width,
        height: m.height,
      }),
  );
}

/**
 * The announcement, a version note, a digest or a strike notice, as a Note.
 * Strike notices are in the Declaration's language too: the strike has no
 * language of its own, and its templates are written for the site's
 * Declarations.
 */
export function buildNote(
  ctx: Context<FedData>,
  declaration: Decl,
  post: FedPost,
  revision: Revision | undefined,
  updated: Date | null,
): Note {
  const notice = post.kind === "notice";
  return new Note({
    id: noteUri(ctx, post),
    attribution: ctx.getActorUri(declaration.slug),
    contents: localized(noteContent(ctx, declaration, post, revision), languageOf(declaration)),
    url: pageUrl(
      ctx,
      post.kind === "version"
        ? `/d/${declaration.slug}/diff/${post.revision - 1}..${post.revision}`
        : `/d/${declaration.slug}`,
    ),
    tags: hashtagTags(ctx, notice ? noticeHashtags(post.content ?? "") : declaration.hashtags),
    attachments: notice ? noticeAttachments(ctx, post) : [],
    published: instant(post.published),
    updated: updated == null ? null : instant(updated),
    interactionPolicy: quotePolicy(ctx, declaration),
    ...addressing(ctx, declaration.slug),
  });
}

/**
 * A post at one revision.  `updated` is when the post was last changed (the
 * Update carrying this revision, or the post's last update), null when it
 * never was.
 */
export function buildPostObject(
  ctx: Context<FedData>,
  declaration: Decl,
  post: FedPost,
  revisionNumber: number,
  updated: Date | null,
): Article | Note | null {
  const revision = getRevision(ctx.data.db, declaration.id, revisionNumber);
  if (post.kind === "article") return revision == null ? null : buildArticle(ctx, declaration, revision, post, updated);
  return buildNote(ctx, declaration, post, revision, updated);
}

/**
 * An outbox activity, rebuilt from what we stored.  A large Article is sent
 * by reference (receivers fetch it) so the activity stays under 64 KiB.
 */
export async function buildActivity(
  ctx: Context<FedData>,
  declaration: Decl,
  entry: OutboxEntry,
  options: { embed: "always" | "when-small" },
): Promise<Create | Update | null> {
  // A Create carries the post as it was first posted; an Update, as it was changed then.
  const updated = entry.activity.type === "Update" ? entry.activity.published : null;
  const object = buildPostObject(ctx, declaration, entry.post, entry.activity.revision, updated);
  if (object == null) return null;
  let embedded: Article | Note | URL = object;
  if (options.embed === "when-small" && object instanceof Article) {
    const size = Buffer.byteLength(JSON.stringify(await object.toJsonLd({ format: "compact" })));
    if (size > MAX_EMBEDDED_ARTICLE_BYTES) embedded = object.id!;
  }
  const values = {
    id:
      entry.activity.type === "Create"
        ? ctx.getObjectUri(Create, { uuid: entry.activity.uuid })
        : ctx.getObjectUri(Update, { uuid: entry.activity.uuid }),
    actor: ctx.getActorUri(declaration.slug),
    object: embedded,
    published: instant(entry.activity.published),
    ...addressing(ctx, declaration.slug),
  };
  return entry.activity.type === "Create" ? new Create(values) : new Update(values);
}

/**
 * The post of ours (Article or Note) that `uri` names, with its Declaration,
 * unless that is a draft; null for anything else.
 */
export function findOurPost(
  ctx: Context<FedData>,
  uri: URL | null,
): { post: FedPost; declaration: Declaration } | null {
  if (uri == null) return null;
  const parsed = ctx.parseUri(uri);
  if (parsed?.type !== "object" || (parsed.class !== Note && parsed.class !== Article)) return null;
  const uuid = parsed.values.uuid;
  const post = uuid == null ? undefined : getPostByUuid(ctx.data.db, uuid);
  if (post == null) return null;
  const declaration = servedDeclaration(ctx, post.declarationId);
  return declaration == null ? null : { post, declaration };
}

/** The Declaration a post belongs to, unless it is a draft (whose posts are not served). */
function servedDeclaration(ctx: Context<FedData>, declarationId: number): Declaration | null {
  const declaration = getDeclarationById(ctx.data.db, declarationId);
  return declaration == null || declaration.status === "draft" ? null : declaration;
}

function postObject(ctx: Context<FedData>, uuid: string, isArticle: boolean): Article | Note | null {
  const post = getPostByUuid(ctx.data.db, uuid);
  if (post == null || (post.kind === "article") !== isArticle) return null;
  const declaration = servedDeclaration(ctx, post.declarationId);
  return declaration == null ? null : buildPostObject(ctx, declaration, post, post.revision, post.updated);
}

builder.setObjectDispatcher(
  Article,
  "/ap/articles/{uuid}",
  (ctx, { uuid }) => postObject(ctx, uuid, true) as Article | null,
);
// The site account's Notes share the path (one dispatcher per class).
builder.setObjectDispatcher(
  Note,
  "/ap/notes/{uuid}",
  (ctx, { uuid }) => (postObject(ctx, uuid, false) as Note | null) ?? siteNoteByUuid(ctx, uuid),
);

async function activityByUuid(ctx: Context<FedData>, uuid: string, type: "Create" | "Update") {
  const entry = getActivityByUuid(ctx.data.db, uuid);
  if (entry == null || entry.activity.type !== type) return null;
  const declaration = servedDeclaration(ctx, entry.activity.declarationId);
  if (declaration == null) return null;
  return buildActivity(ctx, declaration, entry, { embed: "always" });
}

builder.setObjectDispatcher(
  Create,
  "/ap/activities/{uuid}",
  async (ctx, { uuid }) =>
    ((await activityByUuid(ctx, uuid, "Create")) as Create | null) ??
    (siteActivityByUuid(ctx, uuid, "Create") as Create | null),
);
// Only the site account boosts (its boosts of the Declarations' posts).
builder.setObjectDispatcher(
  Announce,
  "/ap/announces/{uuid}",
  (ctx, { uuid }) => siteActivityByUuid(ctx, uuid, "Announce") as Announce | null,
);
builder.setObjectDispatcher(
  Update,
  "/ap/updates/{uuid}",
  async (ctx, { uuid }) => (await activityByUuid(ctx, uuid, "Update")) as Update | null,
);
