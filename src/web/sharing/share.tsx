/**
 * Sharing: the texts and meta tags (Open Graph, Twitter card) for a
 * Declaration and for the strike, the no-JavaScript way to "Share on
 * Mastodon" (`/share/mastodon` → the visitor's server's share page), and the
 * mount point of every sharing and embedding route (QR code, preview images,
 * Atom feeds, badge, embeds, the strike banner and its JSON).
 */
import { Hono } from "hono";
import { z } from "zod";
import type { Declaration } from "../../db/schema.ts";
import type { StrikeSettings } from "../../strike/settings.ts";
import { badgeRoutes } from "./badge.ts";
import { calendarRoutes } from "./calendar.ts";
import type { WebEnv } from "../kit/context.ts";
import { embedDocs } from "./embed-docs.tsx";
import { embedRoutes } from "./embed.tsx";
import { feedRoutes } from "./feeds.ts";
import { formsMayLeaveSite } from "../kit/csp.ts";
import {
  declarationPreviewVersion,
  PREVIEW_HEIGHT,
  PREVIEW_WIDTH,
  declarationPreviewRoutes,
  previewRoutes,
  strikeDates,
  strikePreviewVersion,
} from "./preview-images.ts";
import { qrRoutes } from "./qr.ts";
import { ShareBlock } from "./ShareButtons.tsx";
import { Layout, type MetaTag } from "../layout/Layout.tsx";
import { ErrorSummary } from "../layout/FormErrors.tsx";

/** Longest share text accepted by /share/mastodon (Mastodon's own limit is 500 characters). */
export const SHARE_TEXT_MAX = 1000;

// A host name only: dot-separated labels of letters, digits and hyphens (the same rule as static/share.js).
const HOST = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/** What a visitor typed as their server, reduced to a host name, or null.  Accepts "https://host/" and "@user@host". */
export function serverName(typed: string): string | null {
  let s = typed.trim().toLowerCase();
  s = s.replace(/^https?:\/\//, "").replace(/\/+$/, "");
  if (/^@?[^@\s/]+@[^@\s/]+$/.test(s)) s = s.slice(s.lastIndexOf("@") + 1);
  return HOST.test(s) ? s : null;
}

/** The URL of a Mastodon server's share page with `text` prefilled. */
export function mastodonShareUrl(server: string, text: string): string {
  return `https://${server}/share?text=${encodeURIComponent(text)}`;
}

function hashtagsText(tags: readonly string[]): string {
  return tags.map((t) => `#${t}`).join(" ");
}

type SharedDeclaration = Pick<
  Declaration,
  "slug" | "title" | "summary" | "hashtags" | "revision" | "signatureCount" | "status"
>;

/** The text people share for a Declaration: title, an invitation, the link, its hashtags. */
export function declarationShareText(d: SharedDeclaration, origin: URL): string {
  const url = new URL(`/d/${d.slug}`, origin).href;
  const tags = hashtagsText(d.hashtags);
  return `${d.title}\n\nRead it and sign it: ${url}${tags === "" ? "" : `\n\n${tags}`}`;
}

/** The text people share for the strike. */
export function strikeShareText(settings: StrikeSettings, origin: URL): string {
  return `${settings.name}, ${strikeDates(settings.days)}: post nothing on big social media but this, and join us. ${new URL("/strike", origin).href}\n\n${hashtagsText(settings.hashtags)}`;
}

function cardTags(m: {
  type: string;
  title: string;
  description: string;
  url: string;
  image: string;
  imageAlt: string;
  siteName: string;
}): MetaTag[] {
  return [
    { property: "og:type", content: m.type },
    { property: "og:site_name", content: m.siteName },
    { property: "og:title", content: m.title },
    { property: "og:description", content: m.description },
    { property: "og:url", content: m.url },
    { property: "og:image", content: m.image },
    { property: "og:image:type", content: "image/png" },
    { property: "og:image:width", content: String(PREVIEW_WIDTH) },
    { property: "og:image:height", content: String(PREVIEW_HEIGHT) },
    { property: "og:image:alt", content: m.imageAlt },
    { name: "twitter:card", content: "summary_large_image" },
    { name: "twitter:title", content: m.title },
    { name: "twitter:description", content: m.description },
    { name: "twitter:image", content: m.image },
    { name: "twitter:image:alt", content: m.imageAlt },
  ];
}

/** Open Graph and Twitter card tags for a Declaration's page (the preview URL changes with its image). */
export function declarationMeta(d: SharedDeclaration, origin: URL, siteName: string): MetaTag[] {
  const count = d.signatureCount === 1 ? "1 signature" : `${d.signatureCount.toLocaleString("en")} signatures`;
  return cardTags({
    type: "article",
    siteName,
    title: d.title,
    description: d.summary.trim() !== "" ? d.summary : `A Declaration with ${count}. Read it and sign it.`,
    url: new URL(`/d/${d.slug}`, origin).href,
    image: new URL(`/d/${d.slug}/preview.png?v=${declarationPreviewVersion(d)}`, origin).href,
    imageAlt: `${d.title}: ${count}, on ${siteName}`,
  });
}

/** Open Graph and Twitter card tags for /strike. */
export function strikeMeta(origin: URL, siteName: string, settings: StrikeSettings): MetaTag[] {
  const dates = strikeDates(settings.days);
  return cardTags({
    type: "website",
    siteName,
    title: `${settings.name}, ${dates}`,
    description: `On ${dates} we post nothing on big social media but strike notices with ${hashtagsText(settings.hashtags)}. Sign the Declaration, pledge to strike, and bring a friend.`,
    url: new URL("/strike", origin).href,
    image: new URL(`/strike/preview.png?v=${strikePreviewVersion(settings, siteName)}`, origin).href,
    imageAlt: `${settings.name}: ${dates}, ${hashtagsText(settings.hashtags)}`,
  });
}

/** The share block of a Declaration's page. */
export function DeclarationShare(props: { declaration: SharedDeclaration; origin: URL }) {
  const d = props.declaration;
  return (
    <ShareBlock
      what="this Declaration"
      url={new URL(`/d/${d.slug}`, props.origin).href}
      text={declarationShareText(d, props.origin)}
      qrUrl={`/d/${d.slug}/qr.svg`}
      links={[
        { href: `/d/${d.slug}/feed.atom`, label: "Feed of its posts (Atom)", type: "application/atom+xml" },
        {
          href: `/embed?d=${encodeURIComponent(d.slug)}`,
          label: "Put a counter, badge or sign button on your website",
        },
      ]}
    />
  );
}

/** The share block of /strike. */
export function StrikeShare(props: { settings: StrikeSettings; origin: URL }) {
  return (
    <ShareBlock
      what="the strike"
      url={new URL("/strike", props.origin).href}
      text={strikeShareText(props.settings, props.origin)}
      links={[{ href: "/embed", label: "Put the strike banner on your website" }]}
    />
  );
}

export const shareRoutes = new Hono<WebEnv>();

/**
 * The query of /share/mastodon: over-long values are cut, never refused (the
 * page shows what it kept); the server's name is then checked by serverName,
 * whose message the error page shows under the field.
 */
const shareQuery = z.object({
  server: z
    .string()
    .optional()
    .transform((v) => (v ?? "").slice(0, 300)),
  text: z
    .string()
    .optional()
    .transform((v) => (v ?? "").slice(0, SHARE_TEXT_MAX)),
});

/**
 * "Share on Mastodon" without JavaScript: validates the server's name and
 * shows a page with the text and a link to that server's share page.  It does
 * not redirect: a link to this URL must not be a way to send our visitors to
 * any site under our name (an open redirect), so the visitor sees where the
 * link goes and follows it themselves.  The error page keeps what was typed.
 */
shareRoutes.get("/share/mastodon", (c) => {
  const { config } = c.get("deps");
  const { server: typed, text } = shareQuery.parse({ server: c.req.query("server"), text: c.req.query("text") });
  const server = serverName(typed);
  c.header("Cache-Control", "no-store");
  c.header("X-Robots-Tag", "noindex");
  if (server != null && text.trim() !== "")
    return c.html(<ShareOnServer siteName={config.instanceName} server={server} text={text} />);
  const message =
    text.trim() === ""
      ? "There is nothing to share: go back to the page and use its share button."
      : typed.trim() === ""
        ? "Type the name of your Mastodon server, like mastodon.social."
        : "That is not a server name: type only its name, like mastodon.social.";
  formsMayLeaveSite(c);
  return c.html(
    <Layout title="Share on Mastodon" siteName={config.instanceName}>
      <div class="prose-page">
        <h1 class="page-title">Share on Mastodon</h1>
        <ErrorSummary
          fields={["server"]}
          errors={{ server: message }}
          label={() => "Your Mastodon server"}
          href={() => "#share-server"}
        />
        <form class="share-mastodon standalone" method="get" action="/share/mastodon">
          <input type="hidden" name="text" value={text} />
          <div class="field">
            <label for="share-server">Your Mastodon server</label>
            <input
              id="share-server"
              name="server"
              type="text"
              value={typed}
              inputmode="url"
              autocomplete="off"
              autocapitalize="none"
              spellcheck={false}
              aria-invalid="true"
              aria-describedby="share-server-error"
            />
            <p class="field-error" id="share-server-error">
              {message}
            </p>
          </div>
          <div class="share-actions">
            <button type="submit">Share on Mastodon</button>
          </div>
        </form>
      </div>
    </Layout>,
    400,
  );
});

/** The page before leaving for the visitor's server: the text, the destination, and a link to follow. */
function ShareOnServer(props: { siteName: string; server: string; text: string }) {
  return (
    <Layout title="Share on Mastodon" siteName={props.siteName}>
      <div class="prose-page">
        <h1 class="page-title">Share on {props.server}</h1>
        <p>This text will be ready to post on your server, {props.server}, where you can still change it:</p>
        <blockquote class="share-text">
          {props.text.split("\n").map((line, i) => (
            <>
              {i > 0 && <br />}
              {line}
            </>
          ))}
        </blockquote>
        <p class="share-actions">
          <a class="button" href={mastodonShareUrl(props.server, props.text)} rel="noopener noreferrer">
            Continue to {props.server}
          </a>
        </p>
        <form class="share-mastodon standalone" method="get" action="/share/mastodon">
          <input type="hidden" name="text" value={props.text} />
          <div class="field">
            <label for="share-server">Not your server? Type another one</label>
            <input
              id="share-server"
              name="server"
              type="text"
              value={props.server}
              inputmode="url"
              autocomplete="off"
              autocapitalize="none"
              spellcheck={false}
            />
          </div>
          <div class="share-actions">
            <button type="submit">Change server</button>
          </div>
        </form>
      </div>
    </Layout>
  );
}

/** Sharing and embedding outside /d (none of them reads a session): /share, /embed, the strike's image and JSON. */
export const sharingRoutes = new Hono<WebEnv>();
sharingRoutes.route("/", shareRoutes);
sharingRoutes.route("/", previewRoutes);
sharingRoutes.route("/", embedRoutes);
sharingRoutes.route("/", embedDocs);
sharingRoutes.route("/", calendarRoutes);

/** A Declaration's QR code, preview image, feed and badge (mounted under /d; none of them reads a session). */
export const declarationFiles = new Hono<WebEnv>();
declarationFiles.route("/", qrRoutes);
declarationFiles.route("/", declarationPreviewRoutes);
declarationFiles.route("/", feedRoutes);
declarationFiles.route("/", badgeRoutes);
