/**
 * Our posts as ActivityPub objects: a Declaration's `Article` (the full text,
 * HTML and Markdown `source`), the pinned announcement `Note`, the "version N"
 * Notes and the signing digests, and the `Create`/`Update` activities that
 * carried them.  Every id is dereferenceable (the dispatchers below), so a
 * server that re-fetches what we sent gets the same thing.
 */
import type { Context } from "@fedify/fedify";
import { Article, Create, Document, Hashtag, Note, PUBLIC_COLLECTION, Source, Update } from "@fedify/vocab";
import { getDeclarationById, getRevision } from "../db/declarations.ts";
import { getActivityByUuid, getPostByUuid, previousDigestTime, type OutboxEntry } from "../db/posts.ts";
import type { Declaration, FedPost, Revision } from "../db/schema.ts";
import { getMediaByIds } from "../db/strike.ts";
import { escapeHtml, markdownToText, renderMarkdown } from "../markdown.ts";
import { noticeHashtags, noticeTokens } from "../strike/notices.ts";
import { builder, type FedData } from "./builder.ts";
import { viaLink } from "./copies.ts";
import { mediaPath } from "./notices.ts";
import { instant } from "./time.ts";

/** Activities we deliver must stay well under Misskey's 64 KiB inbox limit. */
export const MAX_EMBEDDED_ARTICLE_BYTES = 40 * 1024;

export const SIGN_LINE = "⭐ Favourite this post to sign the Declaration; unfavourite it to withdraw your signature.";

type Decl = Pick<
  Declaration,
  "id" | "slug" | "title" | "summary" | "hashtags" | "language" | "signatureCount" | "revision" | "sourceUrl" | "sourceTitle" | "sourceRevision"
>;

function pageUrl(ctx: Context<FedData>, path: string): URL {
  return new URL(path, ctx.canonicalOrigin);
}

/** The page of a hashtag on this site. */
export function hashtagUrl(ctx: Context<FedData>, tag: string): URL {
  return pageUrl(ctx, `/tags/${encodeURIComponent(tag.toLowerCase())}`);
}

function hashtagTags(ctx: Context<FedData>, tags: readonly string[]): Hashtag[] {
  return tags.map((tag) => new Hashtag({ name: `#${tag}`, href: hashtagUrl(ctx, tag) }));
}

/** Hashtags as Mastodon writes them into content, so every server links them. */
function hashtagParagraph(ctx: Context<FedData>, tags: readonly string[]): string {
  if (tags.length === 0) return "";
  return `<p>${tags.map((tag) => hashtagLink(ctx, tag)).join(" ")}</p>`;
}

function link(url: URL, text?: string): string {
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
      html += URL.canParse(token.value) ? `<a href="${escapeHtml(new URL(token.value).href)}">${escapeHtml(token.value)}</a>` : escapeHtml(token.value);
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

/** The Declaration's text at one revision, as an Article. */
export function buildArticle(ctx: Context<FedData>, declaration: Decl, revision: Revision, post: FedPost): Article {
  // A Copy names the revision it was copied from (see copies.ts).
  const via = viaLink(declaration);
  const summary = revision.summary.trim() === "" ? null : `<p>${escapeHtml(markdownToText(revision.summary))}</p>`;
  return new Article({
    id: articleUri(ctx, post),
    attribution: ctx.getActorUri(declaration.slug),
    name: revision.title,
    summary,
    content: renderMarkdown(revision.body),
    source: new Source({ content: revision.body, mediaType: "text/markdown" }),
    url: pageUrl(ctx, `/d/${declaration.slug}/v/${revision.number}`),
    tags: via == null ? hashtagTags(ctx, declaration.hashtags) : [...hashtagTags(ctx, declaration.hashtags), via],
    published: instant(post.published),
    updated: revision.number > 1 ? instant(revision.created) : null,
    ...addressing(ctx, declaration.slug),
  });
}

function noteContent(ctx: Context<FedData>, declaration: Decl, post: FedPost, revision: Revision | undefined): string {
  const page = pageUrl(ctx, `/d/${declaration.slug}`);
  const tags = hashtagParagraph(ctx, declaration.hashtags);
  switch (post.kind) {
    case "announcement": {
      const summary = revision == null || revision.summary.trim() === "" ? "" : `<p>${escapeHtml(markdownToText(revision.summary))}</p>`;
      return `<p><strong>${escapeHtml(revision?.title ?? declaration.title)}</strong></p>${summary}<p>${escapeHtml(SIGN_LINE)}</p><p>${link(page)}</p>${tags}`;
    }
    case "version": {
      const change = revision?.changeSummary.trim() ? `: ${escapeHtml(revision.changeSummary.trim())}` : ".";
      const diff = pageUrl(ctx, `/d/${declaration.slug}/diff/${post.revision - 1}..${post.revision}`);
      return (
        `<p>Version ${post.revision} of <strong>${escapeHtml(revision?.title ?? declaration.title)}</strong>${change}</p>` +
        `<p>What changed: ${link(diff)}</p><p>${escapeHtml(SIGN_LINE)}</p>${tags}`
      );
    }
    case "digest": {
      const people = post.delta === 1 ? "1 person" : `${post.delta.toLocaleString("en")} people`;
      const total = post.signatureCount === 1 ? "1 signature" : `${post.signatureCount.toLocaleString("en")} signatures`;
      const since = previousDigestTime(ctx.data.db, post);
      const hours = since == null ? 1 : Math.max(1, Math.round((post.published.getTime() - since.getTime()) / 3_600_000));
      const window = hours === 1 ? "in the last hour" : `in the last ${hours} hours`;
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
function noticeAttachments(ctx: Context<FedData>, post: FedPost): Document[] {
  return getMediaByIds(ctx.data.db, post.mediaIds).map(
    (m) => new Document({ url: pageUrl(ctx, mediaPath(m)), mediaType: m.mime, name: m.alt, width: m.width, height: m.height }),
  );
}

/** The announcement, a version note, a digest or a strike notice, as a Note. */
export function buildNote(ctx: Context<FedData>, declaration: Decl, post: FedPost, revision: Revision | undefined): Note {
  const notice = post.kind === "notice";
  return new Note({
    id: noteUri(ctx, post),
    attribution: ctx.getActorUri(declaration.slug),
    content: noteContent(ctx, declaration, post, revision),
    url: pageUrl(ctx, post.kind === "version" ? `/d/${declaration.slug}/diff/${post.revision - 1}..${post.revision}` : `/d/${declaration.slug}`),
    tags: hashtagTags(ctx, notice ? noticeHashtags(post.content ?? "") : declaration.hashtags),
    attachments: notice ? noticeAttachments(ctx, post) : [],
    published: instant(post.published),
    ...addressing(ctx, declaration.slug),
  });
}

export function buildPostObject(ctx: Context<FedData>, declaration: Decl, post: FedPost, revisionNumber: number): Article | Note | null {
  const revision = getRevision(ctx.data.db, declaration.id, revisionNumber);
  if (post.kind === "article") return revision == null ? null : buildArticle(ctx, declaration, revision, post);
  return buildNote(ctx, declaration, post, revision);
}

/**
 * An outbox activity, rebuilt from what we stored.  A large Article is sent
 * by reference (receivers fetch it) so the activity stays under 64 KiB.
 */
export async function buildActivity(ctx: Context<FedData>, declaration: Decl, entry: OutboxEntry, options: { embed: "always" | "when-small" }): Promise<Create | Update | null> {
  const object = buildPostObject(ctx, declaration, entry.post, entry.activity.revision);
  if (object == null) return null;
  let embedded: Article | Note | URL = object;
  if (options.embed === "when-small" && object instanceof Article) {
    const size = Buffer.byteLength(JSON.stringify(await object.toJsonLd({ format: "compact" })));
    if (size > MAX_EMBEDDED_ARTICLE_BYTES) embedded = object.id!;
  }
  const values = {
    id: entry.activity.type === "Create"
      ? ctx.getObjectUri(Create, { uuid: entry.activity.uuid })
      : ctx.getObjectUri(Update, { uuid: entry.activity.uuid }),
    actor: ctx.getActorUri(declaration.slug),
    object: embedded,
    published: instant(entry.activity.published),
    ...addressing(ctx, declaration.slug),
  };
  return entry.activity.type === "Create" ? new Create(values) : new Update(values);
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
  return declaration == null ? null : buildPostObject(ctx, declaration, post, post.revision);
}

builder.setObjectDispatcher(Article, "/ap/articles/{uuid}", (ctx, { uuid }) => postObject(ctx, uuid, true) as Article | null);
builder.setObjectDispatcher(Note, "/ap/notes/{uuid}", (ctx, { uuid }) => postObject(ctx, uuid, false) as Note | null);

async function activityByUuid(ctx: Context<FedData>, uuid: string, type: "Create" | "Update") {
  const entry = getActivityByUuid(ctx.data.db, uuid);
  if (entry == null || entry.activity.type !== type) return null;
  const declaration = servedDeclaration(ctx, entry.activity.declarationId);
  if (declaration == null) return null;
  return buildActivity(ctx, declaration, entry, { embed: "always" });
}

builder.setObjectDispatcher(Create, "/ap/activities/{uuid}", async (ctx, { uuid }) => (await activityByUuid(ctx, uuid, "Create")) as Create | null);
builder.setObjectDispatcher(Update, "/ap/updates/{uuid}", async (ctx, { uuid }) => (await activityByUuid(ctx, uuid, "Update")) as Update | null);
