/**
 * The movement's Markdown pages: `/faq` and `/resources` for everyone, and
 * the site owner's editor `/admin/pages/{slug}` (title and Markdown, with a
 * preview; CSRF; the title 1–200 characters, the text at most 200 KB).  A
 * page saved here is never overwritten by its file in `pages/` again.
 */
import { Hono, type Context } from "hono";
import { z } from "zod";
import { getSitePage, listSitePages, saveSitePage } from "../../db/site-pages.ts";
import type { SitePage } from "../../db/schema.ts";
import { renderMarkdown } from "../../markdown.ts";
import {
  isSitePageSlug,
  MAX_PAGE_BYTES,
  MAX_PAGE_TITLE,
  SITE_PAGE_SLUGS,
  type SitePageSlug,
} from "../../site-page-files.ts";
import { requireAdmin } from "../kit/guards.ts";
import { readForm } from "../kit/body.ts";
import type { WebEnv } from "../kit/context.ts";
import { CSRF_FIELD, verifyCsrf } from "../kit/csrf.ts";
import { notFoundPage } from "../kit/errors.tsx";
import { parseForm } from "../kit/params.ts";
import { markdownText, normalizeNewlines } from "./markdown-field.ts";
import { formatDate } from "../kit/format.ts";
import { csrfFor, personalPage, type PersonalStatus } from "../layout/personal.tsx";
import { currentAccount } from "../kit/session.ts";
import { ErrorSummary, FieldError } from "../layout/FormErrors.tsx";
import { Layout } from "../layout/Layout.tsx";
import { SOFTWARE } from "../../version.ts";
import { EditorPreview, PreviewOrSave } from "./EditorParts.tsx";

export const sitePageRoutes = new Hono<WebEnv>();

/** The site pages' editor (mounted at /admin/pages). */
export const sitePageEditorRoutes = new Hono<WebEnv>();

/** The form body: a 200 KB text percent-encoded can triple in size. */
const MAX_FORM_BYTES = 2 * 1024 * 1024;

/** Rendered HTML per database, keyed by slug and last update (pages change rarely, and are read often). */
const rendered = new WeakMap<object, Map<string, string>>();

function pageHtml(db: object, page: SitePage): string {
  let cache = rendered.get(db);
  if (cache == null) {
    cache = new Map();
    rendered.set(db, cache);
  }
  const key = `${page.slug}\u0000${page.updated.getTime()}\u0000${page.title}`;
  let html = cache.get(key);
  if (html == null) {
    for (const k of cache.keys()) if (k.startsWith(`${page.slug}\u0000`)) cache.delete(k);
    html = renderMarkdown(page.body);
    cache.set(key, html);
  }
  return html;
}

function showPage(c: Context<WebEnv>, slug: SitePageSlug) {
  const { db, config } = c.get("deps");
  const page = getSitePage(db, slug);
  if (page == null && slug === "about") return aboutUnwritten(c);
  if (page == null) return notFoundPage(c, "This page has not been written yet.");
  const account = currentAccount(c);
  // Admins see an edit link, so the page is theirs alone; visitors may keep it a few minutes.
  c.header("Cache-Control", account != null ? "no-store" : "public, max-age=60");
  return c.html(
    <Layout
      title={page.title}
      siteName={config.instanceName}
      canonical={new URL(`/${slug}`, config.origin).href}
      account={account}
    >
      <article class="prose-page site-page">
        <h1 class="page-title">{page.title}</h1>
        <div class="prose" dangerouslySetInnerHTML={{ __html: pageHtml(db, page) }} />
        <p class="meta">
          <span>Last updated {formatDate(page.updated)}.</span>
          {account?.role === "admin" && <a href={`/admin/pages/${slug}`}>Edit this page</a>}
        </p>
      </article>
    </Layout>,
  );
}

/**
 * `/about` before the owner writes it: the site's address and what runs it,
 * the same for every visitor; the owner sees how to fill it in.
 */
function aboutUnwritten(c: Context<WebEnv>) {
  const { config } = c.get("deps");
  const account = currentAccount(c);
  c.header("Cache-Control", account != null ? "no-store" : "public, max-age=60");
  return c.html(
    <Layout
      title={`About ${config.instanceName}`}
      siteName={config.instanceName}
      canonical={new URL("/about", config.origin).href}
      account={account}
    >
      <article class="prose-page site-page">
        <h1 class="page-title">About {config.instanceName}</h1>
        <p>
          {config.instanceName} is a site at <strong>{config.origin.host}</strong> for Declarations that people sign,
          copy with proposed changes, and strike for. It runs undersign {SOFTWARE.version}, free software anyone can
          run.
        </p>
        <p>Its owner has not yet said here who runs it or how to reach them.</p>
        <p>
          <a href="/privacy">What this site keeps about you</a> · <a href="/faq">Questions and answers</a>
        </p>
        {account?.role === "admin" && (
          <p class="notice owner-hint">
            Only you see this: <a href="/admin/pages/about">write this page</a> — who runs this site (a person or an
            organisation), how to reach them, and an imprint where the law asks for one.
          </p>
        )}
      </article>
    </Layout>,
  );
}

for (const slug of SITE_PAGE_SLUGS) sitePageRoutes.get(`/${slug}`, (c) => showPage(c, slug));

// ---------------------------------------------------------------------------
// The editor

type Errors = Partial<Record<"title" | "body", string>>;

interface EditorState {
  values: { title: string; body: string };
  errors?: Errors;
  formError?: string;
  previewHtml?: string;
  saved?: boolean;
}

function editorPage(c: Context<WebEnv>, slug: string, state: EditorState, status: PersonalStatus = 200) {
  const { values, errors = {} } = state;
  const fields = (Object.keys(errors) as (keyof Errors)[]).filter((f) => errors[f] != null);
  const labels = { title: "Title", body: "Text (Markdown)" };
  const invalid = (f: keyof Errors) =>
    errors[f] != null
      ? { "aria-invalid": "true", "aria-describedby": `page-${f}-hint ${f}-error` }
      : { "aria-describedby": `page-${f}-hint` };
  return personalPage(
    c,
    `Edit /${slug}`,
    <section class="editor-page" aria-labelledby="page-editor-title">
      <p class="breadcrumb">
        <a href="/admin/pages">Pages</a>
      </p>
      <h1 id="page-editor-title">Edit /{slug}</h1>
      {slug === "about" ? (
        <p>
          Say who runs this site (a person or an organisation), how to reach them, and — where the law asks for one, as
          in Germany or Austria — an imprint with a postal address. <a href="/about">View the page</a>.
        </p>
      ) : (
        <p>
          Once you save here, the file <code>pages/{slug}.md</code> no longer replaces this page when it changes.{" "}
          <a href={`/${slug}`}>View the page</a>.
        </p>
      )}
      {state.saved === true && (
        <p class="notice success" role="status">
          Saved. The page is live at <a href={`/${slug}`}>/{slug}</a>.
        </p>
      )}
      <form class="account-form copy-editor" method="post" action={`/admin/pages/${slug}`} novalidate>
        <ErrorSummary
          formError={state.formError}
          fields={fields}
          errors={errors}
          label={(f) => labels[f]}
          href={(f) => (f === "body" ? "#editor-body" : "#page-title")}
        />
        <input type="hidden" name={CSRF_FIELD} value={csrfFor(c)} />
        <div class="field">
          <label for="page-title">{labels.title}</label>
          <p class="hint" id="page-title-hint">
            Up to {MAX_PAGE_TITLE} characters.
          </p>
          <input
            id="page-title"
            name="title"
            type="text"
            required
            maxlength={MAX_PAGE_TITLE}
            value={values.title}
            {...invalid("title")}
          />
          <FieldError id="title-error" error={errors.title} />
        </div>
        <div class="field">
          <label for="editor-body">{labels.body}</label>
          <p class="hint" id="page-body-hint">
            Markdown, up to 200 KB.
          </p>
          <textarea id="editor-body" name="body" rows={24} required {...invalid("body")}>
            {values.body}
          </textarea>
          <FieldError id="body-error" error={errors.body} />
        </div>
        <PreviewOrSave />
      </form>
      <EditorPreview html={state.previewHtml} title={values.title} />
    </section>,
    status,
  );
}

sitePageEditorRoutes.get("/", (c) => {
  const guard = requireAdmin(c, "/admin/pages");
  if (!guard.ok) return guard.response;
  const stored = new Map(listSitePages(c.get("deps").db).map((p) => [p.slug, p]));
  return personalPage(
    c,
    "Pages",
    <section class="editor-page" aria-labelledby="pages-title">
      <p class="breadcrumb">
        <a href="/admin">Site administration</a>
      </p>
      <h1 id="pages-title">Pages</h1>
      <ul class="site-page-list">
        {SITE_PAGE_SLUGS.map((slug) => {
          const page = stored.get(slug);
          return (
            <li>
              <a href={`/admin/pages/${slug}`}>/{slug}</a>{" "}
              {page == null
                ? "— not written yet"
                : `— “${page.title}”, ${page.editedOnSite ? "edited on the site" : `from pages/${slug}.md`}, updated ${formatDate(page.updated)}`}
            </li>
          );
        })}
      </ul>
    </section>,
  );
});

sitePageEditorRoutes.get("/:slug", (c) => {
  const slug = c.req.param("slug");
  const guard = requireAdmin(c, `/admin/pages/${slug}`);
  if (!guard.ok) return guard.response;
  if (!isSitePageSlug(slug)) return notFoundPage(c, `This site has no page “${slug}”.`);
  const page = getSitePage(c.get("deps").db, slug);
  return editorPage(c, slug, {
    values: { title: page?.title ?? "", body: page?.body ?? "" },
    saved: c.req.query("saved") === "1",
  });
});

/** The editor's form: a title and a Markdown text, each with its first problem named. */
export const pageForm = z.object({
  title: z
    .string()
    .optional()
    .transform((s) => (s ?? "").trim())
    .superRefine((title, ctx) => {
      const length = [...title].length;
      if (title === "") ctx.addIssue({ code: "custom", message: "Please give the page a title." });
      else if (length > MAX_PAGE_TITLE)
        ctx.addIssue({
          code: "custom",
          message: `The title is ${length} characters long; the limit is ${MAX_PAGE_TITLE}.`,
        });
      else if (/[\p{Cc}]/u.test(title))
        ctx.addIssue({ code: "custom", message: "The title cannot contain control characters or line breaks." });
    }),
  body: markdownText(MAX_PAGE_BYTES, "Please write the page's text."),
  action: z.string().optional(),
});

sitePageEditorRoutes.post("/:slug", async (c) => {
  const slug = c.req.param("slug");
  const guard = requireAdmin(c, `/admin/pages/${slug}`);
  if (!guard.ok) return guard.response;
  if (!isSitePageSlug(slug)) return notFoundPage(c, `This site has no page “${slug}”.`);
  const { db, batcher, secret, config } = c.get("deps");
  const form = await readForm(c, MAX_FORM_BYTES);
  const current = getSitePage(db, slug);
  if (!form.ok)
    return editorPage(
      c,
      slug,
      { values: { title: current?.title ?? "", body: current?.body ?? "" }, formError: `Not saved: ${form.message}` },
      form.status,
    );
  const values = { title: (form.value.title ?? "").trim(), body: normalizeNewlines(form.value.body ?? "") };
  if (!verifyCsrf(c, secret, config.origin, form.value[CSRF_FIELD])) {
    return editorPage(
      c,
      slug,
      {
        values,
        formError:
          "This form expired or was not sent from this site. Nothing was saved; your text is kept below, please save again.",
      },
      403,
    );
  }
  const parsed = parseForm(pageForm, form.value);
  if (!parsed.ok) return editorPage(c, slug, { values, errors: parsed.errors }, 400);
  if (form.value.action !== "save") return editorPage(c, slug, { values, previewHtml: renderMarkdown(values.body) });
  await batcher.run(() =>
    saveSitePage(db, { slug, title: values.title, body: values.body, accountId: guard.admin.id }),
  );
  return c.redirect(`/admin/pages/${slug}?saved=1`, 303);
});
