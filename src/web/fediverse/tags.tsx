/**
 * `/tags/{tag}`: what this site posted with a hashtag — the published
 * Declarations that carry it and the strike notices that use it (a notice's
 * hashtags come from its text, usually the strike's own, such as
 * #SocialMediaStrike).  Our posts link their hashtags here
 * (src/federation/objects.ts), lower-cased; the match ignores case.
 */
import { Hono } from "hono";
import { hashtagKey, listDeclarationsByHashtag } from "../../db/hashtags.ts";
import { listRecentNotices, type RecentNotice } from "../../db/pledges.ts";
import type { DbLike } from "../../db/client.ts";
import { currentStrikeSettings } from "../../federation/index.ts";
import { noticeHashtags } from "../../strike/notices.ts";
import type { WebEnv } from "../kit/context.ts";
import { plural } from "../kit/format.ts";
import { DeclarationList } from "../declarations/index.ts";
import { Layout } from "../layout/Layout.tsx";
import { NoticeList } from "../strike/index.ts";

/** Letters, digits, marks and underscores (what Mastodon links as a hashtag), at most 100. */
const TAG = /^[\p{L}\p{M}\p{N}_]{1,100}$/u;

/** Notices looked through for a tag (the newest), and notices shown. */
const NOTICES_SCANNED = 2000;
const NOTICES_SHOWN = 50;

/** The newest strike notices whose text carries the hashtag (any case), and how it is written there. */
function noticesWithTag(db: DbLike, tag: string): { spelling: string | null; notices: RecentNotice[] } {
  const key = hashtagKey(tag);
  let spelling: string | null = null;
  const notices: RecentNotice[] = [];
  for (const notice of listRecentNotices(db, NOTICES_SCANNED)) {
    const found = noticeHashtags(notice.content).find((t) => hashtagKey(t) === key);
    if (found == null) continue;
    spelling ??= found;
    notices.push(notice);
    if (notices.length === NOTICES_SHOWN) break;
  }
  return { spelling, notices };
}

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
  const tagged = listDeclarationsByHashtag(db, raw);
  const { spelling, notices } = noticesWithTag(db, raw);
  const strike = currentStrikeSettings(db, new Date());
  const strikeTag = strike.hashtags.find((t) => hashtagKey(t) === hashtagKey(raw));
  const tag = tagged.spelling ?? strikeTag ?? spelling ?? raw;
  const declarations = tagged.declarations;
  return c.html(
    <Layout
      title={`#${tag}`}
      siteName={config.instanceName}
      canonical={new URL(`/tags/${encodeURIComponent(raw.toLowerCase())}`, config.origin).href}
    >
      <h1 class="page-title">#{tag}</h1>
      {strikeTag != null && (
        <p class="tag-intro">
          #{tag} is a hashtag of the <a href="/strike">{strike.name}</a>.
        </p>
      )}
      {declarations.length === 0 && notices.length === 0 && (
        <p class="empty">Nothing on this site has the hashtag #{tag} yet.</p>
      )}
      {declarations.length > 0 && (
        <section aria-labelledby="tag-declarations">
          <h2 id="tag-declarations">Declarations</h2>
          <p class="tag-intro">
            {declarations.length === 1
              ? "One Declaration has this hashtag."
              : `${plural(declarations.length, "Declaration", "Declarations")} have this hashtag.`}
          </p>
          <DeclarationList declarations={declarations} />
        </section>
      )}
      {notices.length > 0 && (
        <section aria-labelledby="tag-notices">
          <h2 id="tag-notices">Strike notices</h2>
          <p class="tag-intro">
            {notices.length === 1
              ? "One strike notice posted here has this hashtag."
              : `The newest ${plural(notices.length, "strike notice", "strike notices")} posted here with this hashtag.`}
          </p>
          <NoticeList notices={notices} />
        </section>
      )}
    </Layout>,
  );
});
