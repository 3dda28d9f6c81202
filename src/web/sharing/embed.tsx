/**
 * For other websites: `/embed/d/{slug}` (a small frameable page with the
 * title, the live count and a Sign button), `/embed/strike-banner.js` (the
 * strike banner any site can include) and `/api/strike` (the strike's name,
 * days and window as JSON, which the banner reads).  These are the only
 * routes other origins may frame or load: each sets its own framing and
 * cross-origin headers, which the app's security headers then keep.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Hono } from "hono";
import { raw } from "hono/html";
import { getPublicDeclaration } from "../../db/declarations.ts";
import { readStrikeSettingsValue } from "../../db/strike.ts";
import { parseStoredSettings } from "../../strike/settings.ts";
import { strikePhase, strikeWindow } from "../../strike/window.ts";
import { assetUrl } from "../kit/assets.ts";
import type { WebEnv } from "../kit/context.ts";
import { sitePolicyWith } from "../kit/csp.ts";
import { plural } from "../kit/format.ts";
import { withBannerTexts } from "../../i18n/banner.ts";

/** The Content-Security-Policy of the embed page: the site's own, but any site may frame it. */
export const EMBED_CSP = sitePolicyWith({ frameAncestors: ["*"] });

const BANNER = Buffer.from(
  withBannerTexts(readFileSync(join(import.meta.dirname, "..", "static", "banner.js"), "utf8")),
);
const BANNER_ETAG = `"${createHash("sha256").update(BANNER).digest("hex").slice(0, 16)}"`;

export const embedRoutes = new Hono<WebEnv>();

embedRoutes.get("/embed/d/:slug", (c) => {
  const { db, config } = c.get("deps");
  // Frameable by any site: frame-ancestors decides (browsers ignore
  // X-Frame-Options when it is present; older ones ignore an unknown value).
  c.header("Content-Security-Policy", EMBED_CSP);
  c.header("X-Frame-Options", "ALLOWALL");
  c.header("Cross-Origin-Resource-Policy", "cross-origin");
  const slug = c.req.param("slug");
  const d = getPublicDeclaration(db, slug);
  if (d == null) {
    return c.html(
      <EmbedPage title="Not found" siteName={config.instanceName}>
        <p class="embed-title">
          There is no Declaration “{slug}” on {config.instanceName}.
        </p>
      </EmbedPage>,
      404,
    );
  }
  c.header("Cache-Control", "public, max-age=60");
  return c.html(
    <EmbedPage title={d.title} siteName={config.instanceName}>
      <p class={d.title.length > 60 ? "embed-title long" : "embed-title"}>
        <a href={`/d/${d.slug}`} target="_blank" rel="noopener" title={d.title}>
          {d.title}
        </a>
      </p>
      <p class="embed-count" data-live-count={`/api/declarations/${d.slug}`}>
        <strong data-count-people>{plural(d.signatureCount, "person has", "people have")}</strong> signed.
      </p>
      {d.status === "published" ? (
        <a class="embed-sign" href={`/d/${d.slug}/sign`} target="_blank" rel="noopener">
          Sign
        </a>
      ) : (
        <p class="embed-note">This Declaration was withdrawn and can no longer be signed.</p>
      )}
      {d.status === "published" && <script type="module" src={assetUrl("live-count.js")} />}
    </EmbedPage>,
  );
});

function EmbedPage(props: { title: string; siteName: string; children?: unknown }) {
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="color-scheme" content="light dark" />
          <meta name="robots" content="noindex" />
          <title>{`${props.title} · ${props.siteName}`}</title>
          <link rel="stylesheet" href={assetUrl("embed.css")} />
        </head>
        <body class="embed">
          <main>{props.children as never}</main>
          <p class="embed-site">
            <a href="/" target="_blank" rel="noopener">
              {props.siteName}
            </a>
          </p>
        </body>
      </html>
    </>
  );
}

/** The strike banner script: any site includes it; it loads nothing but /api/strike from here. */
embedRoutes.get("/embed/strike-banner.js", (c) => {
  const headers = {
    "Content-Type": "text/javascript; charset=utf-8",
    "Cache-Control": "public, max-age=3600",
    ETag: BANNER_ETAG,
    "Access-Control-Allow-Origin": "*",
    "Cross-Origin-Resource-Policy": "cross-origin",
  };
  if (c.req.header("If-None-Match") === BANNER_ETAG) return c.body(null, 304, headers);
  return c.body(new Uint8Array(BANNER), 200, headers);
});

/** The strike as JSON for the banner and other sites: what, when (the window in UTC), where to read more. */
embedRoutes.get("/api/strike", (c) => {
  const { db, config } = c.get("deps");
  const now = new Date();
  const settings = parseStoredSettings(readStrikeSettingsValue(db), now);
  const window = strikeWindow(settings.days, settings.timeZone);
  return c.json(
    {
      name: settings.name,
      hashtags: settings.hashtags,
      days: settings.days,
      timeZone: settings.timeZone,
      start: window.start.toISOString(),
      end: window.end.toISOString(),
      status: strikePhase(window, now),
      url: new URL("/strike", config.origin).href,
    },
    200,
    {
      "Access-Control-Allow-Origin": "*",
      "Cross-Origin-Resource-Policy": "cross-origin",
      "Cache-Control": "public, max-age=60",
    },
  );
});
