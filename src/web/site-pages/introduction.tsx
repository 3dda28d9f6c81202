/**
 * The owner's introduction on `/`: a few lines of Markdown above the list of
 * Declarations saying whose site this is and what it is for (sanitized like
 * every text, src/markdown.ts).  Stored as the site page `introduction`
 * (no URL of its own); empty by default, when only the owner sees a hint.
 *
 * - `GET /admin/introduction`: the editor
 * - `POST /admin/introduction`: preview or save (`action`); an empty text removes it
 */
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { DbLike } from "../../db/client.ts";
import { getSitePage, saveSitePage } from "../../db/site-pages.ts";
import { renderMarkdown } from "../../markdown.ts";
import { readForm } from "../kit/body.ts";
import type { WebEnv } from "../kit/context.ts";
import { CSRF_FIELD, verifyCsrf } from "../kit/csrf.ts";
import { requireAdmin } from "../kit/guards.ts";
import { parseForm } from "../kit/params.ts";
import { currentAccount } from "../kit/session.ts";
import { EditorPreview, PreviewOrSave } from "./EditorParts.tsx";
import { ErrorSummary, FieldError } from "../layout/FormErrors.tsx";
import { csrfFor, personalPage, type PersonalStatus } from "../layout/personal.tsx";
import { markdownText, normalizeNewlines } from "./markdown-field.ts";

const SLUG = "introduction";
/** A few paragraphs: the list of Declarations must stay in sight. */
export const MAX_INTRODUCTION_BYTES = 8 * 1024;
const MAX_FORM_BYTES = 64 * 1024;

const introductionForm = z.object({
  body: markdownText(MAX_INTRODUCTION_BYTES, null),
  action: z.enum(["preview", "save"]).optional().default("save"),
});

/** Rendered HTML by database, with the text it came from. */
const rendered = new WeakMap<object, { body: string; html: string }>();

function introductionHtml(db: DbLike): string | null {
  const body = getSitePage(db, SLUG)?.body ?? "";
  if (body.trim() === "") return null;
  const kept = rendered.get(db);
  if (kept?.body === body) return kept.html;
  const html = renderMarkdown(body);
  rendered.set(db, { body, html });
  return html;
}

/**
 * The introduction above the list, or for the owner a hint to write one.
 * The same for every visitor who is not logged in (`/` is kept by shared caches).
 */
export function SiteIntroduction(props: { c: Context<WebEnv> }) {
  const { db } = props.c.get("deps");
  const html = introductionHtml(db);
  const owner = currentAccount(props.c)?.role === "admin";
  if (html == null) {
    return owner ? (
      <p class="notice owner-hint">
        Only you see this: <a href="/admin/introduction">write an introduction</a> for this page — who runs this site
        and what it is for — and <a href="/admin/pages/about">the About page</a>.
      </p>
    ) : null;
  }
  return (
    <section class="owner-introduction" aria-label="About this site">
      <div class="prose" dangerouslySetInnerHTML={{ __html: html }} />
      {owner && (
        <p class="fine-print">
          <a href="/admin/introduction">Edit the introduction</a>
        </p>
      )}
    </section>
  );
}

export const introductionEditorRoutes = new Hono<WebEnv>();

interface EditorState {
  body: string;
  error?: string;
  formError?: string;
  previewHtml?: string;
  saved?: boolean;
}

function editorPage(c: Context<WebEnv>, state: EditorState, status: PersonalStatus = 200) {
  const errors = state.error != null ? { body: state.error } : {};
  return personalPage(
    c,
    "The introduction",
    <section class="editor-page" aria-labelledby="introduction-title">
      <p class="breadcrumb">
        <a href="/admin">Site administration</a>
      </p>
      <h1 id="introduction-title">The introduction</h1>
      <p>
        Shown above the list of Declarations on <a href="/">the front page</a>: who runs this site and what it is for,
        in a few lines. Leave it empty to show none.
      </p>
      {state.saved === true && (
        <p class="notice success" role="status">
          Saved. See it on <a href="/">the front page</a>.
        </p>
      )}
      <form class="account-form copy-editor" method="post" action="/admin/introduction" novalidate>
        <ErrorSummary
          formError={state.formError}
          fields={state.error != null ? (["body"] as const) : []}
          errors={errors}
          label={() => "Introduction (Markdown)"}
          href={() => "#introduction-body"}
        />
        <input type="hidden" name={CSRF_FIELD} value={csrfFor(c)} />
        <div class="field">
          <label for="introduction-body">Introduction (Markdown)</label>
          <p class="hint" id="introduction-hint">
            Markdown, up to {MAX_INTRODUCTION_BYTES / 1024} KB. Links and emphasis are kept; scripts and raw HTML are
            not.
          </p>
          <textarea
            id="introduction-body"
            name="body"
            rows={8}
            aria-describedby={state.error != null ? "introduction-hint body-error" : "introduction-hint"}
            {...(state.error != null ? { "aria-invalid": "true" } : {})}
          >
            {state.body}
          </textarea>
          <FieldError id="body-error" error={state.error} />
        </div>
        <PreviewOrSave />
      </form>
      <EditorPreview html={state.previewHtml} />
    </section>,
    status,
  );
}

introductionEditorRoutes.get("/", (c) => {
  const guard = requireAdmin(c, "/admin/introduction");
  if (!guard.ok) return guard.response;
  const body = getSitePage(c.get("deps").db, SLUG)?.body ?? "";
  return editorPage(c, { body, saved: c.req.query("saved") === "1" });
});

introductionEditorRoutes.post("/", async (c) => {
  const guard = requireAdmin(c, "/admin/introduction");
  if (!guard.ok) return guard.response;
  const { db, batcher, secret, config } = c.get("deps");
  const form = await readForm(c, MAX_FORM_BYTES);
  if (!form.ok) {
    const body = getSitePage(db, SLUG)?.body ?? "";
    return editorPage(c, { body, formError: `Not saved: ${form.message}` }, form.status);
  }
  const body = normalizeNewlines(form.value.body ?? "");
  if (!verifyCsrf(c, secret, config.origin, form.value[CSRF_FIELD])) {
    return editorPage(
      c,
      {
        body,
        formError:
          "This form expired or was not sent from this site. Nothing was saved; your text is kept below, please save again.",
      },
      403,
    );
  }
  const parsed = parseForm(introductionForm, form.value);
  if (!parsed.ok) {
    const message = parsed.errors.body ?? parsed.errors.action ?? "Please check the form.";
    return editorPage(c, { body, error: message }, 400);
  }
  if (parsed.value.action === "preview") return editorPage(c, { body, previewHtml: renderMarkdown(body) });
  await batcher.run(() =>
    saveSitePage(db, { slug: SLUG, title: "Introduction", body: parsed.value.body, accountId: guard.admin.id }),
  );
  return c.redirect("/admin/introduction?saved=1", 303);
});
