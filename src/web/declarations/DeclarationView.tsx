import type { Declaration, Revision } from "../../db/schema.ts";
import { directionOf } from "../../i18n/index.ts";
import { formatDate, licenseUrl, plural } from "../kit/format.ts";

export interface DeclarationViewProps {
  declaration: Declaration;
  revision: Revision;
  /** Sanitized HTML of the revision's body. */
  html: string;
  /** Absolute URL of this exact revision (printed under the text). */
  permalink: string;
  /** For a Copy: the source revision it was made from. */
  source?: {
    title: string;
    url: string;
    revision: number;
    /** The other site it is on, for a remote source. */
    host?: string | null;
    /** The Copy's author (its account here), when it still has one. */
    author?: string | null;
  } | null;
  /** For a Copy of a local source: the sanitized HTML of its Proposed Changes section. */
  proposedChangesHtml?: string | null;
  /** The Sign action under the header (signing/SignAction.tsx), when the version can be signed. */
  signAction?: unknown;
}

/** The text of one revision of a Declaration, with its provenance. */
export function DeclarationView({
  declaration: d,
  revision: r,
  html,
  permalink,
  source,
  proposedChangesHtml,
  signAction,
}: DeclarationViewProps) {
  const isLatest = r.number === d.revision;
  const license = licenseUrl(d.license);
  return (
    <article class="declaration" lang={d.language} dir={directionOf(d.language)} aria-labelledby="declaration-title">
      {!isLatest && (
        <p class="notice" role="note">
          You are reading version {r.number} of {d.revision}, from{" "}
          <time datetime={r.created.toISOString()}>{formatDate(r.created)}</time>.{" "}
          <a href={`/d/${d.slug}`}>Read the latest version</a>.
        </p>
      )}
      <header>
        {source != null && (
          <p class="provenance copy-banner">
            <span class="badge badge-copy">Copy</span> of{" "}
            <a href={source.url}>
              <cite>{source.title}</cite>
            </a>
            {source.host != null ? ` (on ${source.host})` : ""}, version {source.revision}
            {source.author != null ? (
              <>
                , by <strong>{source.author}</strong>
              </>
            ) : (
              ""
            )}
            . Its text is not the original: it proposes changes, listed under “Proposed Changes”.
          </p>
        )}
        <h1 id="declaration-title">{r.title}</h1>
        {r.summary !== "" && <p class="lead">{r.summary}</p>}
        <p class="meta">
          {isLatest && (
            <span class="count" data-count-signatures>
              {plural(d.signatureCount, "signature", "signatures")}
            </span>
          )}
          <span>
            Version {r.number}, <time datetime={r.created.toISOString()}>{formatDate(r.created)}</time>
          </span>
          <a href={`/d/${d.slug}/history`}>History</a>
          <a href={`/d/${d.slug}/copies`}>Copies</a>
          <a href={`/d/${d.slug}.md`} type="text/markdown">
            Markdown
          </a>
          <a href={`/d/${d.slug}/copy?v=${r.number}`}>Make your own copy</a>
          <a href={`/d/${d.slug}/report`} rel="nofollow">
            Report
          </a>
        </p>
        {d.hashtags.length > 0 && (
          <ul class="hashtags" aria-label="Hashtags">
            {d.hashtags.map((tag) => (
              <li>
                <a href={`/tags/${encodeURIComponent(tag.toLowerCase())}`} rel="tag">
                  #{tag}
                </a>
              </li>
            ))}
          </ul>
        )}
      </header>
      {signAction}
      <div class="prose" dangerouslySetInnerHTML={{ __html: html }} />
      {proposedChangesHtml != null && (
        <section
          class="prose proposed-changes-section"
          aria-label="Proposed Changes"
          dangerouslySetInnerHTML={{ __html: proposedChangesHtml }}
        />
      )}
      <footer class="license">
        {d.license !== "" && (
          <p>
            This text is shared under{" "}
            {license != null ? (
              <a href={license} rel="license nofollow noopener noreferrer">
                {d.license}
              </a>
            ) : (
              d.license
            )}
            .
          </p>
        )}
        <p class="print-only">
          Version {r.number} of this text: {permalink}
        </p>
      </footer>
    </article>
  );
}
