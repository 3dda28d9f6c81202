/**
 * `/embed`: for bloggers and webmasters, the snippets that put a
 * Declaration's counter and Sign button (an iframe), its badge, or the strike
 * banner on another website, each with a live preview.  `?d={slug}` picks the
 * Declaration (a form that works without JavaScript).
 */
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import type { Db } from "../../db/client.ts";
import { getPublicDeclaration, listPublishedDeclarations } from "../../db/declarations.ts";
import { declarations } from "../../db/schema.ts";
import { readStrikeSettingsValue } from "../../db/strike.ts";
import { parseStoredSettings } from "../../strike/settings.ts";
import { parseRequest } from "../kit/params.ts";
import { escapeHtml } from "../../markdown.ts";
import type { WebEnv } from "../kit/context.ts";
import { notFoundPage } from "../kit/errors.tsx";
import { Layout } from "../layout/Layout.tsx";

export const embedDocs = new Hono<WebEnv>();

function Snippet(props: { id: string; label: string; code: string }) {
  return (
    <figure class="snippet">
      <figcaption id={`${props.id}-label`}>{props.label}</figcaption>
      {/* biome-ignore lint/a11y/useAriaPropsSupportedByRole: the focusable scroll box is named by its caption for screen readers */}
      <pre tabindex={0} aria-labelledby={`${props.id}-label`}>
        <code>{props.code}</code>
      </pre>
    </figure>
  );
}

/**
 * The Declaration `/embed` shows first: the site's own, not the newest copy.
 * The strike's first chosen Declaration when it is published, else the
 * oldest published original shipped with the site (`declarations/`), else
 * the oldest published original, else the newest published anything.
 */
export function siteOwnDeclarationSlug(db: Db, fallback: string | undefined): string | undefined {
  const strike = parseStoredSettings(readStrikeSettingsValue(db), new Date()).declarations;
  for (const slug of strike) if (getPublicDeclaration(db, slug)?.status === "published") return slug;
  const original = db
    .select({ slug: declarations.slug })
    .from(declarations)
    .where(and(eq(declarations.status, "published"), isNull(declarations.sourceUrl)))
    .orderBy(sql`${declarations.sourceFile} is null`, asc(declarations.created), asc(declarations.id))
    .limit(1)
    .get();
  return original?.slug ?? fallback;
}

/** `?d=` names the Declaration; empty or absent: the site's own. */
const embedQuery = z.object({
  d: z
    .string()
    .max(200, "d must be the slug of a Declaration on this site (at most 200 characters).")
    .optional()
    .transform((d) => (d == null || d === "" ? undefined : d)),
});

embedDocs.get("/embed", (c) => {
  const { db, config } = c.get("deps");
  const listed = listPublishedDeclarations(db);
  const query = parseRequest(embedQuery, { d: c.req.query("d") });
  if (!query.ok) return notFoundPage(c, query.message);
  const wanted = query.value.d;
  const slug = wanted ?? siteOwnDeclarationSlug(db, listed[0]?.slug);
  const chosen = slug == null ? undefined : getPublicDeclaration(db, slug);
  if (wanted != null && chosen == null) return notFoundPage(c, `There is no Declaration “${wanted}” here to embed.`);
  const origin = config.origin;
  const abs = (path: string) => new URL(path, origin).href;
  const bannerUrl = abs("/embed/strike-banner.js");
  return c.html(
    <Layout title="Put it on your website" siteName={config.instanceName} canonical={abs("/embed")}>
      <div class="embed-docs">
        <h1 class="page-title">Put it on your website</h1>
        <p class="lead">
          Copy a snippet into your blog or website. Everything loads from {origin.host} only: no cookies, no tracking,
          no other sites.
        </p>

        {chosen != null && (
          <>
            <section aria-labelledby="embed-counter">
              <h2 id="embed-counter">A counter with a Sign button</h2>
              {listed.length > 1 && (
                <form class="embed-choose" method="get" action="/embed">
                  <label for="embed-d">Declaration</label>
                  <select id="embed-d" name="d">
                    {listed.map((d) => (
                      <option value={d.slug} selected={d.slug === chosen.slug}>
                        {d.title}
                      </option>
                    ))}
                  </select>
                  <button type="submit">Show its snippets</button>
                </form>
              )}
              <p>
                A small frame with the title of <cite>{chosen.title}</cite>, its live count and a Sign button that opens
                the form in a new tab.
              </p>
              <Snippet
                id="snippet-iframe"
                label="HTML"
                code={`<iframe src="${abs(`/embed/d/${chosen.slug}`)}" title="${escapeHtml(chosen.title)}: count and sign" width="320" height="200" style="border:0" loading="lazy"></iframe>`}
              />
              <p class="preview-label">Preview:</p>
              <iframe
                class="embed-preview"
                src={`/embed/d/${chosen.slug}`}
                title={`${chosen.title}: count and sign (preview)`}
                width="320"
                height="200"
                loading="lazy"
              />
            </section>

            <section aria-labelledby="embed-badge">
              <h2 id="embed-badge">A badge with the count</h2>
              <p>An image that shows the number of signatures, updated every minute. Good for a README or a sidebar.</p>
              <Snippet
                id="snippet-badge"
                label="HTML"
                code={`<a href="${abs(`/d/${chosen.slug}`)}"><img src="${abs(`/d/${chosen.slug}/badge.svg`)}" alt="Signatures of ${escapeHtml(chosen.title)}" height="20"></a>`}
              />
              <Snippet
                id="snippet-badge-md"
                label="Markdown"
                code={`[![Signatures](${abs(`/d/${chosen.slug}/badge.svg`)})](${abs(`/d/${chosen.slug}`)})`}
              />
              <p class="preview-label">Preview:</p>
              <p>
                <a href={`/d/${chosen.slug}`}>
                  <img src={`/d/${chosen.slug}/badge.svg`} alt={`Signatures of ${chosen.title}`} height="20" />
                </a>
              </p>
            </section>
          </>
        )}

        <section aria-labelledby="embed-banner">
          <h2 id="embed-banner">The strike banner</h2>
          <p>
            Before the strike, a small banner at the bottom of your pages links to the strike. On the strike days, your
            visitors first see a full-page notice explaining why your site is on strike, which they can close (once a
            day). It speaks English, German or French, in the visitor's language where it can.
          </p>
          <Snippet
            id="snippet-banner"
            label="HTML, anywhere in your pages"
            code={`<script src="${bannerUrl}" async></script>`}
          />
          <p class="preview-label">
            Preview: this page includes the script, so you see it here now (unless you closed it today).
          </p>
          <p>
            Scripts and other sites can read the strike's dates as JSON: <a href="/api/strike">/api/strike</a>.
          </p>
        </section>
      </div>
      <script src="/embed/strike-banner.js" async />
    </Layout>,
  );
});
