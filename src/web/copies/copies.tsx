/**
 * (Over 400 lines: copy and edit share one editor form and its validation.)
 *
 * Copies in the browser: "Make your own copy" of a revision (`/d/:slug/copy`)
 * and the owner's later edits (`/d/:slug/edit`).  One form with two submit
 * buttons: Preview (rendered text, word-level diff, Proposed Changes with a
 * note field each) and Publish/Save.  No client-side JavaScript.  Errors come
 * back next to the fields with everything the author typed kept; nothing is
 * written unless every check passed, and a save based on an older revision is
 * refused with 409 and the diff of what changed meanwhile.
 *
 * The text's size is checked before any other work; the preview (rendering,
 * diffs, Proposed Changes) is worked out on the diff pool (src/web/kit/diff-jobs.tsx),
 * never on the thread that serves pages.
 */
import { Hono, type Context } from "hono";
import { getRegistrationMode } from "../../db/accounts.ts";
import { slugAvailable } from "../../db/copies.ts";
import {
  BODY_MAX_BYTES,
  bodySizeProblem,
  chosenSlug,
  copyTextFrom,
  identicalCopyProblem,
  keepNotes,
  publishCopy,
  saveCopyRevision,
  slugTakenMessage,
  validateText,
  withoutProposedChanges,
} from "../../services/copy-publication.ts";
import {
  getDeclarationBySlug,
  getPublicDeclaration,
  getRevision,
  setDeclarationStatus,
} from "../../db/declarations.ts";
import type { Declaration, Revision } from "../../db/schema.ts";
import { escapeHtml, type ProposedChange } from "../../diff/index.ts";
import { readForm } from "../kit/body.ts";
import { tryDiff, type Tried } from "../kit/diff-jobs.tsx";
import { csrfFor, forbiddenPage, notSavedPage, personalPage, type PersonalStatus } from "../layout/personal.tsx";
import type { WebEnv } from "../kit/context.ts";
import { parseRequest } from "../kit/params.ts";
import { CSRF_FIELD, verifyCsrf } from "../kit/csrf.ts";
import { loginRedirect } from "../kit/guards.ts";
import { notFoundPage } from "../kit/errors.tsx";
import { copySource } from "./provenance.ts";
import type { DbLike } from "../../db/client.ts";
import { moderationSentence, ownerUnpublishing } from "../../services/moderation.ts";
import { UpstreamNotice, upstreamOf } from "./merge.tsx";
import { currentAccount } from "../kit/session.ts";
import { CopyEditor, type CopyEditorProps, type EditorValues } from "./CopyEditor.tsx";
import { DraftNotice, RepublishForm, withdrawnSentence } from "../kit/visibility.tsx";
import { copyButton, copyVersion, editBase, editButton } from "./editor-params.ts";

export const copyRoutes = new Hono<WebEnv>();

export { BODY_MAX_BYTES, bodySizeProblem, keepNotes, validateText };
/** The editor's values from a submitted form. */
export const valuesFrom = copyTextFrom;

/** A 200 KB text can take up to nine times as many bytes once percent-encoded (3 UTF-8 bytes × "%XX"). */
export const MAX_EDITOR_BODY_BYTES = 2 * 1024 * 1024;

export const EXPIRED_FORM =
  "This form expired or was not sent from this site. Nothing was saved; your text is kept below. Please try again.";

type Status = PersonalStatus;

// ---------------------------------------------------------------------------
// The editor's diff work

const EDITOR_LABELS = { body: "Your text", source: "The source text", base: "The version you edited" };

/**
 * The editor's props that come from diffs: the Proposed Changes against
 * `source` (null: not a Copy whose source text is known) and, on preview, the
 * rendered text and its diff from `base`.  The text's size is checked first:
 * a text over the limit gets its error and no other work.  When the diff pool
 * refuses (busy, past its deadline) the page says so, keeps everything typed
 * (notes too) and answers 503.
 */
export async function editorView(
  values: EditorValues,
  extra: Partial<CopyEditorProps> & { preview?: boolean },
  status: Status,
  texts: { source: string | null; base: string; diffTitle: string },
): Promise<{ props: Partial<CopyEditorProps>; status: Status }> {
  const { preview, ...rest } = extra;
  const tooLarge = bodySizeProblem(values.body);
  if (tooLarge != null) {
    return {
      props: {
        ...rest,
        changes: null,
        ...(texts.source != null
          ? { changesUnavailable: "The Proposed Changes are listed again once the text is within the size limit." }
          : {}),
        errors: { ...rest.errors, body: tooLarge },
      },
      status: status === 200 ? 400 : status,
    };
  }
  const got = await tryDiff(
    {
      kind: "editor",
      body: values.body,
      notes: values.notes,
      ...(texts.source != null ? { source: texts.source } : {}),
      ...(preview === true ? { preview: { base: texts.base } } : {}),
    },
    EDITOR_LABELS,
  );
  if (!got.ok) {
    const message = got.refusal.message;
    return {
      props: {
        ...rest,
        changes: null,
        ...(texts.source != null ? { changesUnavailable: `The Proposed Changes could not be listed. ${message}` } : {}),
        ...(preview === true && rest.formError == null
          ? { formError: `The preview could not be made. ${message} Your text is kept below.` }
          : {}),
      },
      status: status === 200 ? got.refusal.status : status,
    };
  }
  const o = got.outcome;
  return {
    props: {
      ...rest,
      changes: o.changes,
      moreChanges: o.more,
      ...(preview === true
        ? {
            previewHtml: o.previewHtml ?? "",
            diffHtml: o.diffHtml ?? "",
            sideBySideHtml: o.sideBySideHtml ?? "",
            diffTitle: texts.diffTitle,
          }
        : {}),
    },
    status,
  };
}

/**
 * The Proposed Changes of `body` against `source`, to keep only the notes of
 * changes that exist when saving, and how many words differ (stored with the
 * Copy for `/`); both null without a source.
 */
export async function changesForSave(
  source: string | null,
  body: string,
): Promise<Tried<{ changes: ProposedChange[] | null; wordsChanged: number | null }>> {
  if (source == null) return { ok: true, outcome: { changes: null, wordsChanged: null } };
  const got = await tryDiff(
    { kind: "proposed", before: source, after: body },
    { before: EDITOR_LABELS.source, after: EDITOR_LABELS.body },
  );
  return got.ok ? { ok: true, outcome: { changes: got.outcome.changes, wordsChanged: got.outcome.wordsChanged } } : got;
}

/** The conflict section of a save refused because `latest` was saved meanwhile: the diff from the base, or why it is missing. */
export async function conflictView(
  base: string,
  latest: Pick<Revision, "number" | "body">,
): Promise<{ number: number; html: string }> {
  const got = await tryDiff(
    { kind: "render", before: base, after: latest.body, views: ["inline"] },
    { before: "The version you edited", after: `Version ${latest.number}` },
  );
  const html = got.ok
    ? (got.outcome.html.inline ?? "")
    : `<p class="notice" role="note">${escapeHtml(`The changes could not be shown. ${got.refusal.message}`)}</p>`;
  return { number: latest.number, html };
}

/** The editor again after the diff pool refused the work a save needs: nothing saved, everything kept. */
export function notSavedBecause(refusal: { status: 413 | 503; message: string }): { formError: string } {
  return {
    formError: `Nothing was saved: the Proposed Changes could not be listed. ${refusal.message} Your text is kept below.`,
  };
}

// ---------------------------------------------------------------------------
// Make your own copy

interface SourceRef {
  declaration: Declaration;
  revision: Revision;
}

/** The published Declaration `slug` and its revision `v` (latest when `v` is absent), or a 404 response. */
function findSource(
  c: Context<WebEnv>,
  slug: string,
  rawV: string | undefined,
): SourceRef | { response: Response | Promise<Response> } {
  const { db } = c.get("deps");
  // A withdrawn text stays readable, so it can still be copied; a draft cannot.
  const declaration = getPublicDeclaration(db, slug);
  if (declaration == null) return { response: notFoundPage(c, `There is no Declaration “${slug}” here.`) };
  const asked = parseRequest(copyVersion, { v: rawV });
  const number = asked.ok ? (asked.value.v ?? declaration.revision) : null;
  const revision = number == null ? undefined : getRevision(db, declaration.id, number);
  if (revision == null) return { response: notFoundPage(c, `“${declaration.title}” has no version “${rawV}”.`) };
  return { declaration, revision };
}

async function copyEditorPage(
  c: Context<WebEnv>,
  source: SourceRef,
  values: EditorValues,
  extra: Partial<CopyEditorProps> & { preview?: boolean },
  status: Status,
) {
  const { declaration: d, revision: r } = source;
  const view = await editorView(values, extra, status, {
    source: r.body,
    base: r.body,
    diffTitle: `Changes from version ${r.number}`,
  });
  return personalPage(
    c,
    `Your copy of ${r.title}`,
    <section class="editor-page" aria-labelledby="editor-page-title">
      <h1 id="editor-page-title">Make your own copy</h1>
      <p>
        You are copying <a href={`/d/${d.slug}/v/${r.number}`}>{r.title}</a>, version {r.number}. Your copy links to
        that version, and its Proposed Changes list what you changed.
      </p>
      <CopyEditor
        mode="copy"
        action={`/d/${d.slug}/copy`}
        csrf={csrfFor(c)}
        values={values}
        hidden={{ v: String(r.number) }}
        {...view.props}
      />
    </section>,
    view.status,
  );
}

function loggedOutCopyPage(c: Context<WebEnv>, source: SourceRef) {
  const mode = getRegistrationMode(c.get("deps").db);
  const next = `/d/${source.declaration.slug}/copy?v=${source.revision.number}`;
  return personalPage(
    c,
    `Copy ${source.revision.title}`,
    <section class="prose-page" aria-labelledby="copy-title">
      <h1 id="copy-title">Make your own copy</h1>
      <p>
        Anyone with an account on this site can make their own copy of{" "}
        <a href={`/d/${source.declaration.slug}/v/${source.revision.number}`}>{source.revision.title}</a> (version{" "}
        {source.revision.number}), edit it, and publish it at an address of their own. The copy links to the version it
        came from and lists its changes as Proposed Changes.
      </p>
      <p>
        <a href={`/login?next=${encodeURIComponent(next)}`}>Log in</a> to make your copy
        {mode !== "closed" ? (
          <>
            , or <a href={`/register?next=${encodeURIComponent(next)}`}>create an account</a>
            {mode === "invite" ? " with an invite code" : ""}.
          </>
        ) : (
          "."
        )}
      </p>
      {mode === "closed" && (
        <p class="notice" role="status">
          Registration is closed on this site: only people who already have an account can make copies here.
        </p>
      )}
    </section>,
  );
}

copyRoutes.get("/:slug/copy", (c) => {
  const source = findSource(c, c.req.param("slug"), c.req.query("v"));
  if ("response" in source) return source.response;
  if (currentAccount(c) == null) return loggedOutCopyPage(c, source);
  const r = source.revision;
  return copyEditorPage(
    c,
    source,
    // The source's own Proposed Changes (or instructions an older shipped text carried there) are not the copy's.
    {
      title: r.title,
      summary: r.summary,
      slug: "",
      body: withoutProposedChanges(r.body),
      changeSummary: "",
      notes: {},
    },
    {},
    200,
  );
});

copyRoutes.post("/:slug/copy", async (c) => {
  const slug = c.req.param("slug");
  const account = currentAccount(c);
  const { db, secret, config, batcher } = c.get("deps");
  const body = await readForm(c, MAX_EDITOR_BODY_BYTES);
  if (!body.ok) {
    const found = findSource(c, slug, undefined);
    if ("response" in found) return found.response;
    return notSavedPage(c, body);
  }
  const form = body.value;
  const source = findSource(c, slug, form.v ?? "");
  if ("response" in source) return source.response;
  if (account == null) return loginRedirect(c, `/d/${slug}/copy?v=${source.revision.number}`);
  const values = valuesFrom(form);
  if (!verifyCsrf(c, secret, config.origin, form[CSRF_FIELD]))
    return copyEditorPage(c, source, values, { formError: EXPIRED_FORM }, 403);
  const { action } = copyButton.parse(form);
  if (action === "preview") return copyEditorPage(c, source, values, { preview: true }, 200);

  const errors = validateText(values);
  const { slug: newSlug, problem } = chosenSlug(values);
  if (problem != null) errors.slug = problem;
  const publish = action === "publish";
  // A published Copy must differ from its source; a draft may start identical.
  const identical = publish && errors.body == null ? identicalCopyProblem(values.body, source.revision) : null;
  if (identical != null) errors.body = identical;
  if (Object.keys(errors).length > 0) return copyEditorPage(c, source, values, { errors }, 400);
  const taken = { errors: { slug: slugTakenMessage(newSlug) } };
  if (!slugAvailable(db, newSlug)) return copyEditorPage(c, source, { ...values, slug: newSlug }, taken, 409);

  const changes = await changesForSave(source.revision.body, values.body);
  if (!changes.ok) return copyEditorPage(c, source, values, notSavedBecause(changes.refusal), changes.refusal.status);
  const sourceUrl = new URL(`/d/${source.declaration.slug}/v/${source.revision.number}`, config.origin).href;
  const outcome = await batcher.run(() =>
    publishCopy(db, {
      source: source.declaration,
      sourceRevision: source.revision,
      sourceUrl,
      ownerId: account.id,
      slug: newSlug,
      title: values.title.trim(),
      summary: values.summary.trim(),
      body: values.body,
      notes: keepNotes(values.notes, changes.outcome.changes),
      status: publish ? "published" : "draft",
      wordsChanged: changes.outcome.wordsChanged,
    }),
  );
  if (outcome.kind === "slug-taken") return copyEditorPage(c, source, { ...values, slug: newSlug }, taken, 409);
  if (outcome.declaration.status === "published") c.get("deps").publisher.notify();
  return c.redirect(`/d/${outcome.declaration.slug}`, 303);
});

// ---------------------------------------------------------------------------
// Edit your own Declaration

export type Owned = { declaration: Declaration; latest: Revision } | { response: Response | Promise<Response> };

/**
 * The logged-in owner's Declaration `slug` and its latest revision, or the
 * response to send: 404 (a draft too, for anyone else), a login redirect back
 * to `/d/{slug}/{page}`, or 403 with `notOwner`.
 */
export function findOwned(
  c: Context<WebEnv>,
  slug: string,
  page = "edit",
  notOwner = "Only the owner of this Declaration can edit it. You can make your own copy instead.",
): Owned {
  const { db } = c.get("deps");
  const declaration = getDeclarationBySlug(db, slug);
  const latest = declaration && getRevision(db, declaration.id, declaration.revision);
  const account = currentAccount(c);
  // A draft is a 404 for everyone but its owner (logged out included: its address is not revealed).
  const hidden = declaration?.status === "draft" && (account == null || declaration.ownerId !== account.id);
  if (declaration == null || latest == null || hidden)
    return { response: notFoundPage(c, `There is no Declaration “${slug}” here.`) };
  if (account == null) return { response: loginRedirect(c, `/d/${slug}/${page}`) };
  // The site owner moderates (unpublish, hide, delete) but does not write in someone else's text.
  if (declaration.ownerId !== account.id && account.role === "admin")
    return { response: c.redirect(`/admin/declarations/${encodeURIComponent(slug)}`, 303) };
  if (declaration.ownerId !== account.id) return { response: forbiddenPage(c, notOwner) };
  return { declaration, latest };
}

async function editPage(
  c: Context<WebEnv>,
  d: Declaration,
  base: Revision,
  values: EditorValues,
  extra: Partial<CopyEditorProps> & { preview?: boolean },
  status: Status,
) {
  const source = copySource(c.get("deps").db, d);
  const view = await editorView(values, extra, status, {
    source: source?.body ?? null,
    base: base.body,
    diffTitle: `Changes from version ${base.number}`,
  });
  return personalPage(
    c,
    `Edit ${d.title}`,
    <section class="editor-page" aria-labelledby="editor-page-title">
      <h1 id="editor-page-title">Edit “{d.title}”</h1>
      {d.status === "draft" && <DraftNotice slug={d.slug} csrf={csrfFor(c)} />}
      <UpstreamNotice slug={d.slug} state={upstreamOf(c, d)} />
      <ModerationNotice db={c.get("deps").db} declaration={d} />
      {d.status === "withdrawn" && (
        <section class="status-notice withdrawn-notice" role="note" aria-labelledby="withdrawn-heading">
          <h2 id="withdrawn-heading">Withdrawn</h2>
          <p>{withdrawnSentence(c.get("deps").db, d)} It is not listed and cannot be signed; you can still edit it.</p>
          {ownerUnpublishing(c.get("deps").db, d) == null && <RepublishForm slug={d.slug} csrf={csrfFor(c)} />}
        </section>
      )}
      <p>
        {d.status === "draft"
          ? `Saving keeps it a draft (version ${base.number + 1}) until you publish it.`
          : `Saving makes a new version after version ${base.number}; earlier versions stay readable, and signatures stay with the version signed.`}
      </p>
      <CopyEditor
        mode="edit"
        status={d.status}
        action={`/d/${d.slug}/edit`}
        csrf={csrfFor(c)}
        values={values}
        hidden={{ base: String(base.number) }}
        {...view.props}
      />
      {d.status === "published" && <UnpublishForm slug={d.slug} csrf={csrfFor(c)} signatures={d.signatureCount} />}
    </section>,
    view.status,
  );
}

/** The author's notice of what the site's owner did to their Declaration, and why. */
function ModerationNotice(props: { db: DbLike; declaration: Declaration }) {
  const sentence = moderationSentence(props.db, props.declaration);
  if (sentence == null) return null;
  return (
    <section class="status-notice moderation-notice" role="note" aria-labelledby="moderation-heading">
      <h2 id="moderation-heading">The site’s owner moderated this Declaration</h2>
      <p>{sentence}</p>
    </section>
  );
}

function UnpublishForm(props: { slug: string; csrf: string; signatures: number }) {
  return (
    <section class="unpublish" aria-labelledby="unpublish-title">
      <h2 id="unpublish-title">Unpublish</h2>
      <form method="post" action={`/d/${props.slug}/unpublish`}>
        <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
        <p id="unpublish-warning">
          Unpublishing takes this Declaration off the list and stops new signatures. Its text stays readable with a note
          that you withdrew it; its {props.signatures === 1 ? "signature is" : `${props.signatures} signatures are`}{" "}
          kept, and signers keep their private links. You can publish it again later.
        </p>
        <button type="submit" class="danger" aria-describedby="unpublish-warning">
          Unpublish
        </button>
      </form>
    </section>
  );
}

copyRoutes.get("/:slug/edit", (c) => {
  const owned = findOwned(c, c.req.param("slug"));
  if ("response" in owned) return owned.response;
  const r = owned.latest;
  return editPage(
    c,
    owned.declaration,
    r,
    { title: r.title, summary: r.summary, slug: "", body: r.body, changeSummary: "", notes: { ...r.notes } },
    {},
    200,
  );
});

copyRoutes.post("/:slug/edit", async (c) => {
  const slug = c.req.param("slug");
  const owned = findOwned(c, slug);
  if ("response" in owned) return owned.response;
  const { db, secret, config, batcher } = c.get("deps");
  const account = currentAccount(c)!;
  const body = await readForm(c, MAX_EDITOR_BODY_BYTES);
  if (!body.ok) return notSavedPage(c, body);
  const form = body.value;
  const values = valuesFrom(form);
  const asked = parseRequest(editBase, form);
  const base = asked.ok ? getRevision(db, owned.declaration.id, asked.value.base) : undefined;
  if (base == null)
    return editPage(
      c,
      owned.declaration,
      owned.latest,
      values,
      { formError: "The version you edited was not found; your text is kept below." },
      400,
    );
  if (!verifyCsrf(c, secret, config.origin, form[CSRF_FIELD]))
    return editPage(c, owned.declaration, base, values, { formError: EXPIRED_FORM }, 403);
  const { action } = editButton.parse(form);
  const publish = action === "publish" && owned.declaration.status === "draft";
  if (action !== "save" && !publish) return editPage(c, owned.declaration, base, values, { preview: true }, 200);

  const errors = validateText(values);
  const source = copySource(db, owned.declaration);
  // A Copy that is or becomes published must differ from its source.
  const staysPublic = publish || owned.declaration.status === "published";
  if (staysPublic && source?.body != null && errors.body == null) {
    const identical = identicalCopyProblem(values.body, { ...source, body: source.body, number: source.revision });
    if (identical != null) errors.body = identical;
  }
  if (Object.keys(errors).length > 0) return editPage(c, owned.declaration, base, values, { errors }, 400);
  const changes = await changesForSave(source?.body ?? null, values.body);
  if (!changes.ok)
    return editPage(c, owned.declaration, base, values, notSavedBecause(changes.refusal), changes.refusal.status);
  const outcome = await batcher.run(() =>
    saveCopyRevision(db, {
      declaration: owned.declaration,
      baseRevision: base.number,
      title: values.title.trim(),
      summary: values.summary.trim(),
      body: values.body,
      changeSummary: values.changeSummary.trim(),
      notes: keepNotes(values.notes, changes.outcome.changes),
      authorId: account.id,
      wordsChanged: changes.outcome.wordsChanged,
      ...(publish ? { publishBy: account.id } : {}),
    }),
  );
  switch (outcome.kind) {
    case "saved":
      c.get("deps").publisher.notify();
      return c.redirect(`/d/${slug}`, 303);
    case "missing":
      return notFoundPage(c, `There is no Declaration “${slug}” here.`);
    case "conflict": {
      const latest = outcome.latest;
      return editPage(c, owned.declaration, latest, values, { conflict: await conflictView(base.body, latest) }, 409);
    }
  }
});

// ---------------------------------------------------------------------------
// Publish (a draft, or again after unpublishing) and unpublish

/** Why the author may not publish `d` now (the site owner unpublished it, or it is an identical Copy), or null. */
function publishRefusal(db: DbLike, d: Declaration, latest: Revision): string | null {
  const byOwner = ownerUnpublishing(db, d);
  if (byOwner != null)
    return `The site’s owner unpublished this Declaration${byOwner.reason !== "" ? ` (“${byOwner.reason}”)` : ""}; only they can publish it again.`;
  const source = copySource(db, d);
  if (source?.body == null) return null;
  return identicalCopyProblem(latest.body, { ...source, body: source.body, number: source.revision });
}

async function statusChange(c: Context<WebEnv>, to: "published" | "withdrawn") {
  const slug = c.req.param("slug") ?? "";
  const owned = findOwned(c, slug);
  if ("response" in owned) return owned.response;
  const { db, secret, config, batcher } = c.get("deps");
  const account = currentAccount(c)!;
  const body = await readForm(c);
  const title = to === "published" ? "Not published" : "Not unpublished";
  if (!body.ok)
    return personalPage(
      c,
      title,
      <section class="error-page">
        <h1>{title}</h1>
        <p>{body.message}</p>
      </section>,
      body.status,
    );
  if (!verifyCsrf(c, secret, config.origin, body.value[CSRF_FIELD])) {
    return personalPage(
      c,
      title,
      <section class="error-page">
        <h1>{title}</h1>
        <p>This form expired or was not sent from this site. Nothing was changed.</p>
        <p>
          <a href={`/d/${slug}/edit`}>Back to “{owned.declaration.title}”</a>
        </p>
      </section>,
      403,
    );
  }
  const from = owned.declaration.status;
  // Only a published Declaration can be unpublished (a draft is private already).
  if (to === "withdrawn" && from !== "published") return c.redirect(`/d/${slug}`, 303);
  if (to === "published" && from !== "published") {
    const refusal = publishRefusal(db, owned.declaration, owned.latest);
    if (refusal != null)
      return personalPage(
        c,
        title,
        <section class="error-page">
          <h1>{title}</h1>
          <p>{refusal}</p>
          <p>
            <a href={`/d/${slug}/edit`}>Back to “{owned.declaration.title}”</a>
          </p>
        </section>,
        409,
      );
  }
  if (to !== from) await batcher.run(() => setDeclarationStatus(db, owned.declaration.id, to, account.id));
  if (to === "published") c.get("deps").publisher.notify();
  return c.redirect(`/d/${slug}`, 303);
}

copyRoutes.post("/:slug/publish", (c) => statusChange(c, "published"));
copyRoutes.post("/:slug/unpublish", (c) => statusChange(c, "withdrawn"));
