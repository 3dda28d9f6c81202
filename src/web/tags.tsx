/**
 * `/tags/{tag}`: the published Declarations with a hashtag.  Our posts link
 * their hashtags here (src/federation/objects.ts), lower-cased; the match
 * ignores case.
 */
import { Hono } from "hono";
import { listDeclarationsByHashtag } from "../db/hashtags.ts";
import type { WebEnv } from "./context.ts";
import { DeclarationList } from "./views/DeclarationList.tsx";
import { Layout } from "./views/Layout.tsx";

/** Letters, digits, marks and underscores (what Mastodon links as a hashtag), at most 100. */
const TAG = /^[\p{L}\p{M}\p{N}_]{1,100}$/u;

export const tagRoutes = new Hono<WebEnv>();

tagRoutes.get("/tags/:tag", (c) => {
  const { db, config } = c.get("deps");
  const raw = c.req.param("tag").replace(/^#/, "").normalize("NFC");
  if (!TAG.test(raw)) {
    return c.html(
      <Layout title="Not a hashtag" siteName={config.instanceName}>
        <section class="error-page">
          <h1>Not a hashtag</h1>
          <p>A hashtag has letters, digits and underscores only, at most 100 of them.</p>
          <p>
            <a href="/">See all Declarations</a>
          </p>
        </section>
      </Layout>,
      400,
    );
  }
  const { spelling, declarations } = listDeclarationsByHashtag(db, raw);
  const tag = spelling ?? raw;
  return c.html(
    <Layout title={`#${tag}`} siteName={config.instanceName} canonical={new URL(`/tags/${encodeURIComponent(raw.toLowerCase())}`, config.origin).href}>
      <h1 class="page-title">#{tag}</h1>
      {declarations.length === 0 ? (
        <p class="empty">No published Declaration here has the hashtag #{tag}.</p>
      ) : (
        <>
          <p class="tag-intro">{declarations.length === 1 ? "One Declaration has this hashtag." : `${declarations.length} Declarations have this hashtag.`}</p>
          <DeclarationList declarations={declarations} />
        </>
      )}
    </Layout>,
  );
});
