/**
 * `/d/{slug}/feed.atom`: an Atom feed (RFC 4287) of what a Declaration's
 * actor posted — its text, the announcement, "version N" notes, signing
 * digests and strike notices — newest first, for feed readers and blogs.
 * Entry ids are the posts' ActivityPub ids, so a post keeps its id
 * everywhere.  Every text is escaped (content as escaped HTML).
 */
import { Hono } from "hono";
import { getPublicDeclaration, getRevision } from "../../db/declarations.ts";
import { listPosts, previousDigestTime } from "../../db/posts.ts";
import { getMediaByIds } from "../../db/strike.ts";
import type { Declaration, FedPost } from "../../db/schema.ts";
import { escapeHtml, markdownToText, renderMarkdownAbsolute } from "../../markdown.ts";
import { SOFTWARE } from "../../version.ts";
import type { DbLike } from "../../db/client.ts";
import { assetUrl } from "../kit/assets.ts";
import type { WebEnv } from "../kit/context.ts";
import { plural } from "../kit/format.ts";
import { mediaPath } from "../media/index.ts";
import { escapeXml } from "../kit/xml.ts";

/** Entries in a feed: the newest posts. */
export const FEED_SIZE = 50;
const KINDS = ["article", "announcement", "version", "digest", "notice"] as const;

interface Entry {
  id: string;
  title: string;
  link: string;
  published: Date;
  updated: Date;
  html: string;
  /** Images posted with it (strike notices): enclosures, and shown in the content. */
  images?: { href: string; type: string; alt: string }[];
}

function link(href: string): string {
  return `<a href="${escapeHtml(href)}">${escapeHtml(href)}</a>`;
}

function toEntry(db: DbLike, d: Declaration, post: FedPost, origin: URL): Entry {
  const page = new URL(`/d/${d.slug}`, origin).href;
  const id = new URL(post.kind === "article" ? `/ap/articles/${post.uuid}` : `/ap/notes/${post.uuid}`, origin).href;
  const revision = getRevision(db, d.id, post.revision);
  const title = revision?.title ?? d.title;
  const base = { id, published: post.published, updated: post.updated ?? post.published };
  switch (post.kind) {
    case "article": {
      const summary =
        revision == null || revision.summary.trim() === ""
          ? ""
          : `<p><em>${escapeHtml(markdownToText(revision.summary))}</em></p>`;
      return {
        ...base,
        title,
        link: new URL(`/d/${d.slug}/v/${post.revision}`, origin).href,
        // Feed readers show the text on their own pages: its links must be absolute.
        html: `${summary}${revision == null ? "" : renderMarkdownAbsolute(revision.body, new URL(page))}`,
      };
    }
    case "announcement":
      return {
        ...base,
        title: `${title}: published`,
        link: page,
        html: `<p><strong>${escapeHtml(title)}</strong> is published. Read it and sign it: ${link(page)}</p>`,
      };
    case "version": {
      const diff = new URL(`/d/${d.slug}/diff/${post.revision - 1}..${post.revision}`, origin).href;
      const change = revision?.changeSummary.trim() ? `: ${escapeHtml(revision.changeSummary.trim())}` : ".";
      return {
        ...base,
        title: `Version ${post.revision} of ${title}`,
        link: diff,
        html: `<p>Version ${post.revision} of <strong>${escapeHtml(title)}</strong>${change}</p><p>What changed: ${link(diff)}</p>`,
      };
    }
    case "digest": {
      const since = previousDigestTime(db, post);
      const hours =
        since == null ? 1 : Math.max(1, Math.round((post.published.getTime() - since.getTime()) / 3_600_000));
      const window = hours === 1 ? "in the last hour" : `in the last ${plural(hours, "hour", "hours")}`;
      const total = plural(post.signatureCount, "signature", "signatures");
      const people = plural(post.delta, "person", "people");
      return {
        ...base,
        title: `${people} signed ${window}`,
        link: page,
        html: `<p>${people} signed <strong>${escapeHtml(d.title)}</strong> ${window}: ${total} so far.</p><p>${link(page)}</p>`,
      };
    }
    case "notice": {
      const text = (post.content ?? "").trim();
      const first = text.split("\n")[0] ?? "";
      const paragraphs = text.split(/\n{2,}/).filter((p) => p.trim() !== "");
      const images = getMediaByIds(db, post.mediaIds).map((m) => ({
        href: new URL(mediaPath(m), origin).href,
        type: m.mime,
        alt: m.alt,
      }));
      const figures = images.map((i) => `<p><img src="${escapeHtml(i.href)}" alt="${escapeHtml(i.alt)}"></p>`).join("");
      return {
        ...base,
        title: `Strike notice: ${first.length > 80 ? `${first.slice(0, 79)}…` : first}`,
        link: page,
        html: `${paragraphs.map((p) => `<p>${escapeHtml(p).replace(/\n/g, "<br>")}</p>`).join("")}${figures}<p>${link(page)}</p>`,
        images,
      };
    }
  }
}

/** The feed's XML. */
export function atomFeed(db: DbLike, d: Declaration, origin: URL, siteName: string): string {
  const page = new URL(`/d/${d.slug}`, origin).href;
  const self = new URL(`/d/${d.slug}/feed.atom`, origin).href;
  const entries = listPosts(db, d.id, KINDS, FEED_SIZE).map((post) => toEntry(db, d, post, origin));
  // biome-ignore lint/complexity/useMathMinMax: these are Dates; Math.max would turn them into numbers
  const updated = entries.reduce((latest, e) => (e.updated > latest ? e.updated : latest), d.updated);
  const lines = [
    `<?xml version="1.0" encoding="utf-8"?>`,
    `<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="${escapeXml(d.language)}">`,
    `  <id>${escapeXml(page)}</id>`,
    `  <title>${escapeXml(d.title)}</title>`,
    ...(d.summary.trim() !== "" ? [`  <subtitle>${escapeXml(d.summary)}</subtitle>`] : []),
    `  <link rel="self" type="application/atom+xml" href="${escapeXml(self)}"/>`,
    `  <link rel="alternate" type="text/html" href="${escapeXml(page)}"/>`,
    `  <updated>${updated.toISOString()}</updated>`,
    `  <author><name>${escapeXml(siteName)}</name><uri>${escapeXml(new URL("/", origin).href)}</uri></author>`,
    `  <generator version="${escapeXml(SOFTWARE.version)}">undersign</generator>`,
    `  <icon>${escapeXml(new URL(assetUrl("avatar.png"), origin).href)}</icon>`,
  ];
  for (const e of entries) {
    lines.push(
      "  <entry>",
      `    <id>${escapeXml(e.id)}</id>`,
      `    <title>${escapeXml(e.title)}</title>`,
      `    <link rel="alternate" type="text/html" href="${escapeXml(e.link)}"/>`,
      `    <published>${e.published.toISOString()}</published>`,
      `    <updated>${e.updated.toISOString()}</updated>`,
      ...(e.images ?? []).map(
        (i) =>
          `    <link rel="enclosure" type="${escapeXml(i.type)}" href="${escapeXml(i.href)}" title="${escapeXml(i.alt)}"/>`,
      ),
      `    <content type="html">${escapeXml(e.html)}</content>`,
      "  </entry>",
    );
  }
  lines.push("</feed>", "");
  return lines.join("\n");
}

export const feedRoutes = new Hono<WebEnv>();

feedRoutes.get("/:slug/feed.atom", (c) => {
  const { db, config } = c.get("deps");
  const declaration = getPublicDeclaration(db, c.req.param("slug"));
  if (declaration == null) return c.text("There is no Declaration with this name here.", 404);
  return c.body(atomFeed(db, declaration, config.origin, config.instanceName), 200, {
    "Content-Type": "application/atom+xml; charset=utf-8",
    "Cache-Control": "public, max-age=300",
    // Feed readers on the web (and other sites) may fetch it.
    "Access-Control-Allow-Origin": "*",
    "Cross-Origin-Resource-Policy": "cross-origin",
  });
});
