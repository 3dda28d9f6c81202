/**
 * (Over 400 lines: both comparison pages share their form, rendering and limits.)
 *
 * Comparison pages: the changes between two versions of one Declaration
 * (`/d/:slug/diff/a..b`) and between any two Declarations or versions on the
 * site (`/compare`).  Both work without JavaScript: the inline and
 * side-by-side views are two links, the version pickers are GET forms.
 *
 * Diffs run on the diff pool, off the thread that serves pages (see
 * src/web/kit/diff-jobs.tsx).  Revisions never change, so the rendered diff of a
 * pair of revisions is kept (per database handle, bounded) rather than
 * computed on every request.
 */
import { Hono, type Context } from "hono";
import {
  getPublishedDeclaration,
  getRevision,
  listPublishedDeclarations,
  type DeclarationSummary,
} from "../../db/declarations.ts";
import type { Declaration, Revision } from "../../db/schema.ts";
import { z } from "zod";
import { diffPool, type DiffFormat, type DiffSummary, type WordPart } from "../../diff/index.ts";
import type { WebEnv } from "../kit/context.ts";
import { parseRequest, parseRevisionNumber, revisionNumberOr, trimmedText } from "../kit/params.ts";
import { DiffBody, diffRefusal, diffRefusalPage, KeptDiffs, stringBytes, type Tried } from "../kit/diff-jobs.tsx";
import { readableDeclaration } from "../kit/visibility.tsx";
import { notFoundPage } from "../kit/errors.tsx";
import { formatDate, formatNumber, plural } from "../kit/format.ts";
import { Layout } from "../layout/Layout.tsx";

export const diffRoutes = new Hono<WebEnv>();

/** Comparisons of a Declaration's versions (mounted under /d). */
export const declarationDiffRoutes = new Hono<WebEnv>();

export type DiffView = "inline" | "side";

/** How a comparison is shown: one column or two, formatted text or Markdown source. */
export interface DiffMode {
  readonly view: DiffView;
  readonly format: DiffFormat;
}

// ---------------------------------------------------------------------------
// Cache
// ---------------------------------------------------------------------------

export interface RenderedDiff {
  readonly html: string;
  readonly summary: DiffSummary;
  /** Word changes of the title and summary (when they differ). */
  readonly words: Readonly<Record<string, readonly WordPart[]>>;
}

export const DIFF_CACHE_SIZE = 200;
/** Rendered diffs kept together, at most (a diff of two long texts can be megabytes of HTML). */
export const DIFF_CACHE_BYTES = 16 * 1024 * 1024;
const renderedDiffs = new KeptDiffs<RenderedDiff>(
  DIFF_CACHE_SIZE,
  DIFF_CACHE_BYTES,
  (r) => stringBytes(r.html, r.summary.text) + 64 * Object.keys(r.words).length,
);

type DiffSide = Pick<Revision, "id" | "body"> & Partial<Pick<Revision, "title" | "summary" | "number">>;

/**
 * The diff of two revisions as HTML (all document text escaped), worked out
 * on the diff pool and kept per database handle and (revision id pair, view);
 * least recently used entries go first.  A refusal (too large, busy, past its
 * deadline) is returned, not kept.
 */
export async function renderedDiff(
  db: object,
  before: DiffSide,
  after: DiffSide,
  { view, format }: DiffMode,
): Promise<Tried<RenderedDiff>> {
  const words: Record<string, readonly [string, string]> = {};
  if (before.title != null && after.title != null && before.title !== after.title)
    words.title = [before.title, after.title];
  if (before.summary != null && after.summary != null && before.summary !== after.summary)
    words.summary = [before.summary, after.summary];
  const labels = {
    before: before.number != null ? `Version ${before.number}` : "The first text",
    after: after.number != null ? `Version ${after.number}` : "The second text",
    "title before": "The first title",
    "title after": "The second title",
    "summary before": "The first summary",
    "summary after": "The second summary",
  };
  try {
    const outcome = await renderedDiffs.get(db, `${before.id}:${after.id}:${view}:${format}`, async () => {
      const rendered = await diffPool().run({
        kind: "render",
        before: before.body,
        after: after.body,
        views: [view],
        format,
        words,
      });
      return { html: rendered.html[view] ?? "", summary: rendered.summary, words: rendered.words };
    });
    return { ok: true, outcome };
  } catch (error) {
    return { ok: false, refusal: diffRefusal(error, labels) };
  }
}

/** Number of cached diffs for a database handle (for tests). */
export function diffCacheSize(db: object): number {
  return renderedDiffs.size(db);
}

// ---------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------

/** `?view=` and `?format=`: anything unknown falls back to the default (inline, formatted). */
const diffModeQuery = z.object({
  view: z.enum(["inline", "side"]).catch("inline"),
  format: z.enum(["formatted", "markdown"]).catch("formatted"),
});

/** A version field of `/compare`: empty for the latest, else a version number. */
const versionChoice = trimmedText
  .transform((v) => (v === "" ? undefined : v))
  .pipe(revisionNumberOr((v) => `“${v}” is not a version number: leave it empty for the latest version.`).optional());

/** A Declaration field of `/compare` (its slug: whether it is published here is for the database to say). */
const declarationChoice = trimmedText.pipe(z.string().min(1, "Choose a Declaration."));

/** `?a=` and `?b=` of the history form: the two versions; the messages finish “The first version …”. */
const historyVersion = trimmedText.pipe(
  z
    .string()
    .min(1, { error: "is missing", abort: true })
    .pipe(revisionNumberOr((v) => `“${v}” is not a version number`)),
);

function parseMode(c: Context<WebEnv>): DiffMode {
  const parsed = parseRequest(diffModeQuery, { view: c.req.query("view"), format: c.req.query("format") });
  return parsed.ok ? parsed.value : { view: "inline", format: "formatted" };
}

/** The query of a comparison's address in `mode` (the defaults left out). */
export function modeQuery(mode: DiffMode): string {
  const params = new URLSearchParams();
  if (mode.view !== "inline") params.set("view", mode.view);
  if (mode.format !== "formatted") params.set("format", mode.format);
  const query = params.toString();
  return query === "" ? "" : `?${query}`;
}

/** `a..b` → the two numbers, or a message saying what is wrong. */
export function parseRange(range: string): { a: number; b: number } | { error: string } {
  const match = /^([^.]*)\.\.([^.]*)$/.exec(range);
  if (match == null)
    return {
      error: `“${range}” is not a range of versions: write two version numbers separated by two dots, like 1..2.`,
    };
  const a = parseRevisionNumber(match[1]);
  const b = parseRevisionNumber(match[2]);
  if (a == null || b == null) {
    const bad = a == null ? match[1]! : match[2]!;
    return {
      error:
        bad === ""
          ? `“${range}” needs a version number on each side of the two dots, like 1..2.`
          : `“${bad}” is not a version number: versions are numbered 1, 2, 3 and so on.`,
    };
  }
  if (a === b) return { error: `Version ${a} compared with itself shows no changes: choose two different versions.` };
  return { a, b };
}

function badRequestPage(c: Context<WebEnv>, message: string, back?: { href: string; text: string }) {
  const { config } = c.get("deps");
  return c.html(
    <Layout title="Bad request" siteName={config.instanceName}>
      <section class="error-page">
        <h1>This address is not quite right</h1>
        <p>{message}</p>
        <p>{back != null ? <a href={back.href}>{back.text}</a> : <a href="/">See all Declarations</a>}</p>
      </section>
    </Layout>,
    400,
  );
}

function versionsText(d: Pick<Declaration, "revision">): string {
  return d.revision === 1 ? "It has only version 1." : `It has versions 1 to ${d.revision}.`;
}

// ---------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------

interface Side {
  readonly declaration: Pick<Declaration, "slug" | "title" | "revision">;
  readonly revision: Revision;
}

/** Words of a short text (a title or summary) with `<ins>`/`<del>`; JSX escapes the text. */
function WordChanges(props: { parts: readonly WordPart[] }) {
  return (
    <>
      {props.parts.map((part) =>
        part.kind === "same" ? (
          part.text
        ) : part.kind === "added" ? (
          <ins class="diff-ins">{part.text}</ins>
        ) : (
          <del class="diff-del">{part.text}</del>
        ),
      )}
    </>
  );
}

function versionHref(side: Side): string {
  return `/d/${side.declaration.slug}/v/${side.revision.number}`;
}

function SummaryFigures(props: { summary: DiffSummary }) {
  const s = props.summary;
  const edited = s.blocksChanged - s.blocksMoved;
  return (
    <div class="diff-summary">
      <p class="diff-summary-text">{s.text}.</p>
      {!s.identical && (
        <dl class="diff-figures">
          <div class="diff-figure diff-figure-added">
            <dt>Words added</dt>
            <dd>{formatNumber(s.wordsAdded)}</dd>
          </div>
          <div class="diff-figure diff-figure-removed">
            <dt>Words removed</dt>
            <dd>{formatNumber(s.wordsRemoved)}</dd>
          </div>
          <div class="diff-figure">
            <dt>Paragraphs changed</dt>
            <dd>{formatNumber(edited)}</dd>
          </div>
          <div class="diff-figure">
            <dt>Paragraphs moved</dt>
            <dd>{formatNumber(s.blocksMoved)}</dd>
          </div>
        </dl>
      )}
    </div>
  );
}

/** The part both comparison pages share: versions, summary, title/summary changes, view links, the diff. */
function DiffResult(props: {
  before: Side;
  after: Side;
  mode: DiffMode;
  modeHref: (mode: DiffMode) => string;
  rendered: RenderedDiff;
}) {
  const { before, after, mode, rendered } = props;
  const { view, format } = mode;
  const titleChanged = before.revision.title !== after.revision.title;
  const summaryChanged = before.revision.summary !== after.revision.summary;
  return (
    <>
      <ul class="diff-versions">
        <li>
          <span class="diff-side-label">Before:</span>{" "}
          <a href={versionHref(before)}>
            {before.revision.title}, version {before.revision.number}
          </a>{" "}
          <span class="muted">
            (<time datetime={before.revision.created.toISOString()}>{formatDate(before.revision.created)}</time>)
          </span>
        </li>
        <li>
          <span class="diff-side-label">After:</span>{" "}
          <a href={versionHref(after)}>
            {after.revision.title}, version {after.revision.number}
          </a>{" "}
          <span class="muted">
            (<time datetime={after.revision.created.toISOString()}>{formatDate(after.revision.created)}</time>)
          </span>
        </li>
      </ul>
      <SummaryFigures summary={rendered.summary} />
      {(titleChanged || summaryChanged) && (
        <dl class="diff-meta">
          {titleChanged && (
            <div>
              <dt>Title</dt>
              <dd>
                <WordChanges parts={rendered.words.title ?? []} />
              </dd>
            </div>
          )}
          {summaryChanged && (
            <div>
              <dt>Summary</dt>
              <dd>
                <WordChanges parts={rendered.words.summary ?? []} />
              </dd>
            </div>
          )}
        </dl>
      )}
      <div class="diff-switches">
        <nav class="diff-views" aria-label="Text or source">
          <a
            href={props.modeHref({ view, format: "formatted" })}
            {...(format === "formatted" ? { "aria-current": "page" } : {})}
          >
            Formatted
          </a>
          <a
            href={props.modeHref({ view, format: "markdown" })}
            {...(format === "markdown" ? { "aria-current": "page" } : {})}
          >
            Markdown
          </a>
        </nav>
        <nav class="diff-views" aria-label="How to show the changes">
          <a
            href={props.modeHref({ view: "inline", format })}
            {...(view === "inline" ? { "aria-current": "page" } : {})}
          >
            Inline
          </a>
          <a href={props.modeHref({ view: "side", format })} {...(view === "side" ? { "aria-current": "page" } : {})}>
            Side by side
          </a>
        </nav>
      </div>
      <DiffBody view={view} html={rendered.html} />
    </>
  );
}

// ---------------------------------------------------------------------------
// /d/:slug/diff/a..b
// ---------------------------------------------------------------------------

/** The history form's GET target: `?a=1&b=2` → the canonical `/d/:slug/diff/1..2`. */
declarationDiffRoutes.get("/:slug/diff", (c) => {
  const slug = c.req.param("slug");
  const declaration = readableDeclaration(c, slug);
  if (declaration == null) return notFoundPage(c, `There is no Declaration “${slug}” here.`);
  const history = { href: `/d/${declaration.slug}/history`, text: "Back to the history" };
  const numbers: number[] = [];
  for (const [name, field] of [
    ["first", "a"],
    ["second", "b"],
  ] as const) {
    const parsed = parseRequest(historyVersion, c.req.query(field));
    if (!parsed.ok)
      return badRequestPage(c, `The ${name} version ${parsed.message}. ${versionsText(declaration)}`, history);
    numbers.push(parsed.value);
  }
  return c.redirect(`/d/${declaration.slug}/diff/${numbers[0]}..${numbers[1]}`, 302);
});

declarationDiffRoutes.get("/:slug/diff/:range", async (c) => {
  const { db, config } = c.get("deps");
  const slug = c.req.param("slug");
  const declaration = readableDeclaration(c, slug);
  if (declaration == null) return notFoundPage(c, `There is no Declaration “${slug}” here.`);
  const history = { href: `/d/${declaration.slug}/history`, text: "Back to the history" };
  const range = parseRange(c.req.param("range"));
  if ("error" in range) return badRequestPage(c, range.error, history);
  const before = getRevision(db, declaration.id, range.a);
  const after = getRevision(db, declaration.id, range.b);
  if (before == null || after == null) {
    const missing = before == null ? range.a : range.b;
    return notFoundPage(c, `“${declaration.title}” has no version ${missing}. ${versionsText(declaration)}`);
  }
  const mode = parseMode(c);
  const path = `/d/${declaration.slug}/diff/${range.a}..${range.b}`;
  const rendered = await renderedDiff(db, before, after, mode);
  if (!rendered.ok) return diffRefusalPage(c, rendered.refusal, history);
  return c.html(
    <Layout
      title={`Changes to ${declaration.title} from version ${range.a} to ${range.b}`}
      siteName={config.instanceName}
      canonical={new URL(path, config.origin).href}
    >
      <section class="diff-page" aria-labelledby="diff-title">
        <p class="breadcrumb">
          <a href={`/d/${declaration.slug}/history`}>History of {declaration.title}</a>
        </p>
        <h1 id="diff-title">
          Changes from version {range.a} to version {range.b}
        </h1>
        <DiffResult
          before={{ declaration, revision: before }}
          after={{ declaration, revision: after }}
          mode={mode}
          modeHref={(m) => `${path}${modeQuery(m)}`}
          rendered={rendered.outcome}
        />
      </section>
    </Layout>,
  );
});

// ---------------------------------------------------------------------------
// /compare
// ---------------------------------------------------------------------------

type CompareField = "a" | "av" | "b" | "bv";

const COMPARE_LABELS: Record<CompareField, string> = {
  a: "First Declaration",
  av: "First version",
  b: "Second Declaration",
  bv: "Second version",
};

interface CompareValues {
  a: string;
  av: string;
  b: string;
  bv: string;
}

function VersionInput(props: { name: "av" | "bv"; value: string; error?: string }) {
  const id = `compare-${props.name}`;
  return (
    <div class="field compare-version">
      <label for={id}>
        Version <span class="optional">(optional)</span>
      </label>
      <input
        id={id}
        name={props.name}
        type="text"
        inputmode="numeric"
        pattern="[0-9]*"
        size={6}
        autocomplete="off"
        placeholder="latest"
        value={props.value}
        {...(props.error != null ? { "aria-invalid": "true", "aria-describedby": `${props.name}-error` } : {})}
      />
      {props.error != null && (
        <p class="field-error" id={`${props.name}-error`}>
          {props.error}
        </p>
      )}
    </div>
  );
}

function DeclarationSelect(props: {
  name: "a" | "b";
  label: string;
  value: string;
  declarations: DeclarationSummary[];
  error?: string;
}) {
  const id = `compare-${props.name}`;
  return (
    <div class="field compare-declaration">
      <label for={id}>{props.label}</label>
      <select
        id={id}
        name={props.name}
        required
        {...(props.error != null ? { "aria-invalid": "true", "aria-describedby": `${props.name}-error` } : {})}
      >
        <option value="" selected={props.value === ""}>
          Choose a Declaration…
        </option>
        {props.declarations.map((d) => (
          <option value={d.slug} selected={d.slug === props.value}>
            {d.title} ({plural(d.revision, "version", "versions")})
          </option>
        ))}
      </select>
      {props.error != null && (
        <p class="field-error" id={`${props.name}-error`}>
          {props.error}
        </p>
      )}
    </div>
  );
}

function CompareForm(props: {
  declarations: DeclarationSummary[];
  values: CompareValues;
  errors: Partial<Record<CompareField, string>>;
}) {
  const { values, errors } = props;
  const fields = (Object.keys(COMPARE_LABELS) as CompareField[]).filter((f) => errors[f] != null);
  return (
    <form class="compare-form" method="get" action="/compare">
      {fields.length > 0 && (
        <div class="form-errors" role="alert" tabindex={-1}>
          <p>Please check {fields.length === 1 ? "this field" : "these fields"}:</p>
          <ul>
            {fields.map((f) => (
              <li>
                <a href={`#compare-${f}`}>{COMPARE_LABELS[f]}</a>: {errors[f]}
              </li>
            ))}
          </ul>
        </div>
      )}
      <fieldset class="compare-pair">
        <legend>Before</legend>
        <DeclarationSelect
          name="a"
          label={COMPARE_LABELS.a}
          value={values.a}
          declarations={props.declarations}
          error={errors.a}
        />
        <VersionInput name="av" value={values.av} error={errors.av} />
      </fieldset>
      <fieldset class="compare-pair">
        <legend>After</legend>
        <DeclarationSelect
          name="b"
          label={COMPARE_LABELS.b}
          value={values.b}
          declarations={props.declarations}
          error={errors.b}
        />
        <VersionInput name="bv" value={values.bv} error={errors.bv} />
      </fieldset>
      <p class="actions">
        <button type="submit">Compare</button>
      </p>
    </form>
  );
}

diffRoutes.get("/compare", async (c) => {
  const { db, config } = c.get("deps");
  const q = (name: CompareField) => (c.req.query(name) ?? "").trim();
  const values: CompareValues = { a: q("a"), av: q("av"), b: q("b"), bv: q("bv") };
  const mode = parseMode(c);
  const asked = (Object.keys(values) as CompareField[]).some((f) => c.req.query(f) != null);
  const declarations = listPublishedDeclarations(db);

  const errors: Partial<Record<CompareField, string>> = {};
  const sides: Partial<Record<"a" | "b", Side>> = {};
  if (asked) {
    for (const [name, vName] of [
      ["a", "av"],
      ["b", "bv"],
    ] as const) {
      const slug = parseRequest(declarationChoice, c.req.query(name));
      if (!slug.ok) {
        errors[name] = slug.message;
        continue;
      }
      const declaration = getPublishedDeclaration(db, slug.value);
      if (declaration == null) {
        errors[name] = `There is no Declaration “${slug.value}” here.`;
        continue;
      }
      const version = parseRequest(versionChoice, c.req.query(vName));
      if (!version.ok) {
        errors[vName] = version.message;
        continue;
      }
      const number = version.value ?? declaration.revision;
      const revision = getRevision(db, declaration.id, number);
      if (revision == null) {
        errors[vName] = `“${declaration.title}” has no version ${number}. ${versionsText(declaration)}`;
        continue;
      }
      sides[name] = { declaration, revision };
    }
    if (sides.a != null && sides.b != null && sides.a.revision.id === sides.b.revision.id) {
      errors.bv = "This is the same version as the first one: choose a different Declaration or version.";
    }
  }

  const form = <CompareForm declarations={declarations} values={values} errors={errors} />;
  const intro = (
    <p>
      Compare any two Declarations published here, or two versions of one. Leave a version empty to use the latest. To
      compare with a version on another site, <a href="/compare/elsewhere">compare across sites</a>.
    </p>
  );
  if (!asked || Object.keys(errors).length > 0 || sides.a == null || sides.b == null) {
    return c.html(
      <Layout
        title={Object.keys(errors).length > 0 ? "Compare Declarations (please check the form)" : "Compare Declarations"}
        siteName={config.instanceName}
      >
        <section class="diff-page" aria-labelledby="compare-title">
          <h1 id="compare-title">Compare Declarations</h1>
          {intro}
          {declarations.length === 0 ? <p>No Declarations have been published here yet.</p> : form}
        </section>
      </Layout>,
      asked ? 400 : 200,
    );
  }

  const before = sides.a;
  const after = sides.b;
  const params = (m: DiffMode) => {
    const search = new URLSearchParams({
      a: before.declaration.slug,
      av: String(before.revision.number),
      b: after.declaration.slug,
      bv: String(after.revision.number),
      view: m.view,
      format: m.format,
    });
    return `/compare?${search.toString()}`;
  };
  const rendered = await renderedDiff(db, before.revision, after.revision, mode);
  if (!rendered.ok) return diffRefusalPage(c, rendered.refusal, { href: "/compare", text: "Compare something else" });
  const sameDeclaration = before.declaration.slug === after.declaration.slug;
  const heading = sameDeclaration
    ? `Changes from version ${before.revision.number} to version ${after.revision.number}`
    : `Changes from “${before.revision.title}” to “${after.revision.title}”`;
  return c.html(
    <Layout title={heading} siteName={config.instanceName}>
      <section class="diff-page" aria-labelledby="compare-title">
        <h1 id="compare-title">{heading}</h1>
        <DiffResult before={before} after={after} mode={mode} modeHref={params} rendered={rendered.outcome} />
        <details class="compare-again">
          <summary>Compare something else</summary>
          {form}
        </details>
      </section>
    </Layout>,
  );
});
