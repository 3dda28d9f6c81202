/**
 * Comparing two revisions across sites (`/compare/elsewhere?a=…&b=…`): each
 * side is one of our revisions or one of another site's, named by its
 * address.  A remote revision is fetched once and kept (revisions never
 * change), and only from a site this one knows copies or sources on, so the
 * page cannot make this server fetch arbitrary addresses.  Every text is
 * rendered escaped by src/diff/, on the diff pool (src/web/kit/diff-jobs.tsx); the
 * rendered diff of two revisions is kept (revisions never change).
 */
import { Hono, type Context } from "hono";
import { getRemoteRevision, isKnownRemoteHost } from "../../db/remote-copies.ts";
import { getPublicDeclaration, getRevision } from "../../db/declarations.ts";
import type { RenderOutcome } from "../../diff/index.ts";
import { DiffBody, diffRefusalPage, keptDiff, KeptDiffs, stringBytes } from "../kit/diff-jobs.tsx";
import { fetchArticle, keepRevision } from "../../federation/index.ts";
import { fedData } from "./copies-elsewhere.tsx";
import type { WebEnv } from "../kit/context.ts";
import { plural } from "../kit/format.ts";
import { ErrorSummary, FieldError } from "../layout/FormErrors.tsx";
import { Layout } from "../layout/Layout.tsx";
import { parseRequest } from "../kit/params.ts";
import { diffView, versionAddress } from "./editor-params.ts";

export const compareElsewhereRoutes = new Hono<WebEnv>();

// ---------------------------------------------------------------------------
// Compare across sites

interface CompareSide {
  title: string;
  number: number;
  url: string;
  host: string;
  body: string;
  /** Which stored revision this is (ours or one kept from another site), for keeping its diffs. */
  key: string;
}

/** A path segment decoded, or undefined when its escapes are malformed (`%E0%A4%A`). */
function decodedSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * A revision named by its address: one of ours, or one kept from another
 * site.  A remote revision not kept yet is fetched once (and kept), but only
 * from a site this one knows copies or sources on: the page cannot be used
 * to make this server fetch arbitrary addresses.
 */
async function compareSide(c: Context<WebEnv>, url: URL): Promise<CompareSide | string> {
  const { db, config } = c.get("deps");
  if (url.origin === config.origin.origin) {
    const m = /^\/d\/([^/]+)\/v\/([1-9]\d{0,8})$/.exec(url.pathname);
    const slug = m == null ? undefined : decodedSegment(m[1]!);
    const declaration = slug == null ? undefined : getPublicDeclaration(db, slug);
    const revision = declaration == null ? undefined : getRevision(db, declaration.id, Number(m![2]));
    if (revision == null) return `There is no such version here (${url.pathname}).`;
    return {
      title: revision.title,
      number: revision.number,
      url: url.href,
      host: url.host,
      body: revision.body,
      key: `local:${revision.id}`,
    };
  }
  let kept = getRemoteRevision(db, url.href);
  if (kept == null) {
    if (!isKnownRemoteHost(db, url.host))
      return `This site compares only with sites it knows copies or sources on, and ${url.host} is not one of them.`;
    const got = await fetchArticle(url, {
      allowPrivateAddress: config.federation.allowPrivateAddress,
      db,
      origin: config.origin,
    });
    if (!got.ok) return `The version at ${url.host} could not be fetched (${got.reason.replace(/-/g, " ")}).`;
    if (got.article.url.href !== url.href) return `${url.host} serves a different version at that address.`;
    kept = await keepRevision(fedData(c), got.article);
  }
  return {
    title: kept.title,
    number: kept.number,
    url: kept.url,
    host: new URL(kept.url).host,
    body: kept.body,
    key: `remote:${kept.id}`,
  };
}

/** Rendered diffs of two stored revisions (a revision's text never changes). */
const comparisons = new KeptDiffs<RenderOutcome>(200, 16 * 1024 * 1024, (r) =>
  stringBytes(r.html.inline, r.html.side, r.summary.text),
);

const LABELS = { a: "Before (address of a version)", b: "After (address of a version)" } as const;

function CompareForm(props: { values: Record<"a" | "b", string>; errors: Partial<Record<"a" | "b", string>> }) {
  const fields = (["a", "b"] as const).filter((f) => props.errors[f] != null);
  return (
    <form class="compare-form account-form" method="get" action="/compare/elsewhere" novalidate>
      <ErrorSummary fields={fields} errors={props.errors} label={(f) => LABELS[f]} href={(f) => `#compare-${f}`} />
      {(["a", "b"] as const).map((f) => (
        <div class="field">
          <label for={`compare-${f}`}>{LABELS[f]}</label>
          <input
            id={`compare-${f}`}
            name={f}
            type="text"
            inputmode="url"
            autocomplete="off"
            spellcheck={false}
            value={props.values[f]}
            placeholder="https://example.org/d/its-name/v/1"
            {...(props.errors[f] != null ? { "aria-invalid": "true", "aria-describedby": `${f}-error` } : {})}
          />
          <FieldError id={`${f}-error`} error={props.errors[f]} />
        </div>
      ))}
      <p class="actions">
        <button type="submit">Compare</button>
      </p>
    </form>
  );
}

compareElsewhereRoutes.get("/compare/elsewhere", async (c) => {
  const { config } = c.get("deps");
  const values = { a: (c.req.query("a") ?? "").trim(), b: (c.req.query("b") ?? "").trim() };
  const asked = c.req.query("a") != null || c.req.query("b") != null;
  const side = async (f: "a" | "b") => {
    if (!asked) return "";
    const address = parseRequest(versionAddress, c.req.query(f));
    return address.ok ? await compareSide(c, address.value) : address.message;
  };
  const a = await side("a");
  const b = await side("b");
  const view = diffView.parse(c.req.query("view"));
  if (typeof a === "string" || typeof b === "string") {
    const errors = {
      ...(typeof a === "string" && asked ? { a } : {}),
      ...(typeof b === "string" && asked ? { b } : {}),
    };
    return c.html(
      <Layout
        title={asked ? "Compare across sites (please check the form)" : "Compare across sites"}
        siteName={config.instanceName}
      >
        <section class="diff-page" aria-labelledby="compare-title">
          <h1 id="compare-title">Compare across sites</h1>
          <p>
            Compare any two versions of Declarations, on this site or on a site this one knows copies or sources on.
            Paste each version’s address, such as https://example.org/d/its-name/v/2.
          </p>
          <CompareForm values={values} errors={errors} />
        </section>
      </Layout>,
      asked ? 400 : 200,
    );
  }
  const got = await keptDiff(
    comparisons,
    c.get("deps").db,
    `${a.key}:${b.key}:${view}`,
    () => ({ kind: "render" as const, before: a.body, after: b.body, views: [view] }),
    { before: `The version at ${a.url}`, after: `The version at ${b.url}` },
  );
  if (!got.ok) return diffRefusalPage(c, got.refusal, { href: "/compare/elsewhere", text: "Compare something else" });
  const { summary } = got.outcome;
  const html = got.outcome.html[view] ?? "";
  const link = (v: string) => `/compare/elsewhere?${new URLSearchParams({ a: a.url, b: b.url, view: v }).toString()}`;
  const heading =
    a.title === b.title ? `Changes to “${a.title}” across sites` : `Changes from “${a.title}” to “${b.title}”`;
  return c.html(
    <Layout title={heading} siteName={config.instanceName}>
      <section class="diff-page" aria-labelledby="compare-title">
        <h1 id="compare-title">{heading}</h1>
        <ul class="diff-versions">
          <li>
            <span class="diff-side-label">Before:</span>{" "}
            <a href={a.url}>
              {a.title}, version {a.number}
            </a>{" "}
            <span class="muted">on {a.host}</span>
          </li>
          <li>
            <span class="diff-side-label">After:</span>{" "}
            <a href={b.url}>
              {b.title}, version {b.number}
            </a>{" "}
            <span class="muted">on {b.host}</span>
          </li>
        </ul>
        <p class="meta">{plural(summary.wordsChanged, "word", "words")} changed</p>
        <nav class="diff-views" aria-label="How to show the changes">
          <a href={link("inline")} {...(view === "inline" ? { "aria-current": "page" } : {})}>
            Inline
          </a>
          <a href={link("side")} {...(view === "side" ? { "aria-current": "page" } : {})}>
            Side by side
          </a>
        </nav>
        <DiffBody view={view} html={html} />
      </section>
    </Layout>,
  );
});
