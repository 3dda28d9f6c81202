/**
 * Copying from another site, in the browser: `/copy/elsewhere` takes a
 * Declaration's address or handle from another site; it is fetched over
 * ActivityPub (src/federation/remote-declarations.ts), kept, shown, and the
 * editor opens on it.  Publishing makes a Copy whose actor follows the source
 * and tells it about the copy (src/federation/copies.ts).  Also
 * `/d/:slug/v/:number` for ActivityPub clients: the revision as an Article.
 *
 * No client-side JavaScript; nothing is written unless every check passed.
 * Taking in a source's new versions is in merge.tsx, comparing across sites
 * in compare-elsewhere.tsx.
 */
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { getRemoteRevision } from "../../db/remote-copies.ts";
import { slugAvailable } from "../../db/copies.ts";
import { getPublicDeclaration, getRevision } from "../../db/declarations.ts";
import type { RemoteRevision } from "../../db/schema.ts";
import {
  keepRevision,
  resolveRemoteDeclaration,
  revisionArticleJson,
  type FedData,
  type ResolvedDeclaration,
} from "../../federation/index.ts";
import {
  chosenSlug,
  identicalCopyProblem,
  publishRemoteCopy,
  slugTakenMessage,
  withoutProposedChanges,
} from "../../services/copy-publication.ts";
import { readForm } from "../kit/body.ts";
import {
  changesForSave,
  editorView,
  EXPIRED_FORM,
  keepNotes,
  notSavedBecause,
  MAX_EDITOR_BODY_BYTES,
  validateText,
  valuesFrom,
} from "./copies.tsx";
import { loginRedirect } from "../kit/guards.ts";
import type { WebEnv } from "../kit/context.ts";
import { parseRevisionNumber } from "../kit/params.ts";
import { CSRF_FIELD, verifyCsrf } from "../kit/csrf.ts";
import { csrfFor, notSavedPage, personalPage, type PersonalStatus } from "../layout/personal.tsx";
import { currentAccount } from "../kit/session.ts";
import { CopyEditor, type CopyEditorProps, type EditorValues } from "./CopyEditor.tsx";
import { ErrorSummary, FieldError } from "../layout/FormErrors.tsx";
import { copyButton, copyElsewhereQuery } from "./editor-params.ts";

export const copiesElsewhereRoutes = new Hono<WebEnv>();

export const SOURCE_INPUT_MAX = 2000;

/** The federation's context data, for fetches made on behalf of a page. */
export function fedData(c: Context<WebEnv>): FedData {
  const { db, batcher, config } = c.get("deps");
  return { db, batcher, instanceName: config.instanceName, allowPrivateAddress: config.federation.allowPrivateAddress };
}

// ---------------------------------------------------------------------------
// Revisions for ActivityPub clients

const AP_TYPES = /application\/(activity\+json|ld\+json)/i;

/**
 * `/d/{slug}/v/{number}` for ActivityPub clients: the revision as an Article.
 * Anyone else gets the page (`next`), which then varies on Accept.
 */
export const revisionAsArticle: MiddlewareHandler<WebEnv, "/:slug/v/:number"> = async (c, next) => {
  if (!AP_TYPES.test(c.req.header("accept") ?? "")) {
    // The page, from declarations/pages.tsx; the same address serves the Article, so caches must key on Accept.
    await next();
    c.res.headers.append("Vary", "Accept");
    return;
  }
  const { db, federation } = c.get("deps");
  const declaration = getPublicDeclaration(db, c.req.param("slug"));
  const number = parseRevisionNumber(c.req.param("number"));
  const revision = declaration == null || number == null ? undefined : getRevision(db, declaration.id, number);
  if (declaration == null || revision == null) return c.json({ error: "Not found" }, 404);
  const ctx = federation.createContext(c.req.raw, fedData(c));
  c.header("Vary", "Accept");
  return c.body(JSON.stringify(await revisionArticleJson(ctx, declaration, revision)), 200, {
    "Content-Type": "application/activity+json",
  });
};

// ---------------------------------------------------------------------------
// Copy from another site: the address form

function SourceForm(props: { csrf: string; value: string; error?: string | undefined }) {
  return (
    <form class="account-form" method="post" action="/copy/elsewhere" novalidate>
      <ErrorSummary
        fields={props.error != null ? ["source"] : []}
        errors={{ source: props.error }}
        label={() => "Address or handle"}
        href={() => "#copy-source"}
      />
      <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
      <div class="field">
        <label for="copy-source">Address or handle</label>
        <p class="hint" id="copy-source-hint">
          The Declaration’s page on its site, such as https://example.org/d/digital-rights (or one of its versions,
          …/v/2), or its fediverse handle, such as @digital-rights@example.org.
        </p>
        <input
          id="copy-source"
          name="source"
          type="text"
          inputmode="url"
          autocomplete="off"
          spellcheck={false}
          maxlength={SOURCE_INPUT_MAX}
          value={props.value}
          aria-describedby={props.error != null ? "copy-source-hint source-error" : "copy-source-hint"}
          {...(props.error != null ? { "aria-invalid": "true" } : {})}
        />
        <FieldError id="source-error" error={props.error} />
      </div>
      <p class="actions">
        <button type="submit" name="action" value="fetch">
          Fetch it
        </button>
      </p>
    </form>
  );
}

function sourcePage(c: Context<WebEnv>, value: string, error: string | undefined, status: PersonalStatus) {
  return personalPage(
    c,
    error != null ? "Copy from another site (please check the form)" : "Copy from another site",
    <section class="editor-page" aria-labelledby="elsewhere-title">
      <h1 id="elsewhere-title">Copy a Declaration from another site</h1>
      <p>
        A Declaration published on another undersign site (or any server that publishes its text as an ActivityPub
        Article) can be copied here. Your copy links to the exact version it came from, follows its source so you can
        take in its new versions, and the source’s site learns of your copy.
      </p>
      <SourceForm csrf={csrfFor(c)} value={value} error={error} />
    </section>,
    status,
  );
}

copiesElsewhereRoutes.get("/copy/elsewhere", (c) => {
  if (currentAccount(c) == null) return loginRedirect(c, "/copy/elsewhere");
  return sourcePage(c, copyElsewhereQuery.parse(c.req.query()).source, undefined, 200);
});

// ---------------------------------------------------------------------------
// Copy from another site: the editor

interface RemoteSourceRef {
  revision: RemoteRevision;
  /** The text came as HTML and was converted. */
  converted: boolean;
}

async function remoteEditorPage(
  c: Context<WebEnv>,
  ref: RemoteSourceRef,
  input: string,
  values: EditorValues,
  extra: Partial<CopyEditorProps> & { preview?: boolean },
  status: PersonalStatus,
) {
  const r = ref.revision;
  const view = await editorView(values, extra, status, {
    source: r.body,
    base: r.body,
    diffTitle: `Changes from version ${r.number}`,
  });
  const host = URL.canParse(r.url) ? new URL(r.url).host : r.url;
  return personalPage(
    c,
    `Your copy of ${r.title}`,
    <section class="editor-page" aria-labelledby="editor-page-title">
      <h1 id="editor-page-title">Make your own copy</h1>
      <p>
        You are copying <a href={r.url}>{r.title}</a>, version {r.number}, from <strong>{host}</strong>. Your copy links
        to that version, and its Proposed Changes list what you changed.
      </p>
      {ref.converted && (
        <p class="notice" role="note" id="converted-warning">
          {host} does not publish this text as Markdown, so it was converted from its web page’s HTML. Headings,
          emphasis, lists and links are kept; other formatting may be lost. Please check the text before you publish.
        </p>
      )}
      <CopyEditor
        mode="copy"
        action="/copy/elsewhere"
        csrf={csrfFor(c)}
        values={values}
        hidden={{ ref: r.url, source: input }}
        {...view.props}
      />
    </section>,
    view.status,
  );
}

/** HTTP status for a refused fetch: the address is wrong, the other site is down, or what it serves is refused. */
function refusalStatus(reason: string): PersonalStatus {
  if (reason === "invalid" || reason === "local") return 400;
  if (reason === "unreachable") return 502;
  if (reason === "gone") return 404;
  return 422;
}

copiesElsewhereRoutes.post("/copy/elsewhere", async (c) => {
  const account = currentAccount(c);
  const { db, secret, config, batcher } = c.get("deps");
  const body = await readForm(c, MAX_EDITOR_BODY_BYTES);
  if (!body.ok) return notSavedPage(c, body);
  const form = body.value;
  if (account == null) return loginRedirect(c, "/copy/elsewhere");
  const input = (form.source ?? "").trim();
  const csrfOk = verifyCsrf(c, secret, config.origin, form[CSRF_FIELD]);

  // Step 1: fetch what was pasted.
  if (form.ref == null || form.ref === "") {
    if (!csrfOk) return sourcePage(c, input, EXPIRED_FORM, 403);
    if (input === "")
      return sourcePage(c, input, "Please enter the address or handle of the Declaration to copy.", 400);
    if ([...input].length > SOURCE_INPUT_MAX)
      return sourcePage(
        c,
        input,
        `This is longer than ${SOURCE_INPUT_MAX} characters; please paste just the address.`,
        400,
      );
    const resolved = await resolveRemoteDeclaration(input, {
      allowPrivateAddress: config.federation.allowPrivateAddress,
      db,
      origin: config.origin,
    });
    if (!resolved.ok) return sourcePage(c, input, resolved.message, refusalStatus(resolved.reason));
    const kept = await keepRevision(fedData(c), resolved.declaration.revision);
    const r = kept;
    return remoteEditorPage(
      c,
      { revision: kept, converted: kept.format === "html" },
      input,
      {
        title: r.title,
        summary: r.summary,
        slug: "",
        body: withoutProposedChanges(r.body),
        changeSummary: "",
        notes: {},
      },
      // Shown as it will read, below the editor, before anything is changed.
      { preview: true },
      200,
    );
  }

  // Step 2: preview, or publish.  The source text is the one kept at step 1 (never taken from the form).
  const revision = getRemoteRevision(db, form.ref);
  if (revision == null) return sourcePage(c, input, "The text to copy is no longer here; please fetch it again.", 400);
  const ref = { revision, converted: revision.format === "html" };
  const values = valuesFrom(form);
  if (!csrfOk) return remoteEditorPage(c, ref, input, values, { formError: EXPIRED_FORM }, 403);
  const { action } = copyButton.parse(form);
  if (action === "preview") return remoteEditorPage(c, ref, input, values, { preview: true }, 200);
  const errors = validateText(values);
  const { slug: newSlug, problem } = chosenSlug(values);
  if (problem != null) errors.slug = problem;
  if (action === "publish" && errors.body == null) {
    const identical = identicalCopyProblem(values.body, revision);
    if (identical != null) errors.body = identical;
  }
  if (Object.keys(errors).length > 0) return remoteEditorPage(c, ref, input, values, { errors }, 400);
  const taken = { errors: { slug: slugTakenMessage(newSlug) } };
  if (!slugAvailable(db, newSlug)) return remoteEditorPage(c, ref, input, { ...values, slug: newSlug }, taken, 409);
  // Worked out before the source is fetched again, so a refusal costs no network request.
  const changes = await changesForSave(revision.body, values.body);
  if (!changes.ok)
    return remoteEditorPage(c, ref, input, values, notSavedBecause(changes.refusal), changes.refusal.status);

  // The source's actor, fetched again: where our copy's actor will write.
  // A numbered revision (undersign's …/v/N) is fetched at its own address; elsewhere the Article's
  // `url` may be a web page only, so the Article itself is fetched.
  const again = /\/v\/[1-9]\d*$/.test(new URL(revision.url).pathname) ? revision.url : revision.articleIri;
  const resolved = await resolveRemoteDeclaration(again, {
    allowPrivateAddress: config.federation.allowPrivateAddress,
    db,
    origin: config.origin,
  });
  if (!resolved.ok || resolved.declaration.actor.id.href !== revision.actorIri) {
    const message = resolved.ok
      ? "The source’s server now names another author for this text; nothing was copied."
      : resolved.message;
    return remoteEditorPage(
      c,
      ref,
      input,
      values,
      { formError: `Not published: ${message} Your text is kept below.` },
      resolved.ok ? 422 : refusalStatus(resolved.reason),
    );
  }
  const source = resolved.declaration;
  // The newest version is kept too: the owner may take it in at once.
  if (source.latestArticle.url.href !== revision.url) await keepRevision(fedData(c), source.latestArticle);
  // The sources up its chain too, for the lineage page (revisions never change).
  for (const ancestor of source.chain) await keepRevision(fedData(c), ancestor);
  const outcome = await batcher.run(() =>
    publishRemoteCopy(db, {
      revision,
      source: sourceColumns(source),
      hashtags: source.revision.hashtags,
      ownerId: account.id,
      slug: newSlug,
      title: values.title.trim(),
      summary: values.summary.trim(),
      body: values.body,
      notes: keepNotes(values.notes, changes.outcome.changes),
      status: action === "draft" ? "draft" : "published",
      wordsChanged: changes.outcome.wordsChanged,
    }),
  );
  if (outcome.kind === "slug-taken") return remoteEditorPage(c, ref, input, { ...values, slug: newSlug }, taken, 409);
  if (outcome.declaration.status === "published") c.get("deps").publisher.notify();
  return c.redirect(`/d/${outcome.declaration.slug}`, 303);
});

function sourceColumns(source: ResolvedDeclaration) {
  return {
    actorIri: source.actor.id.href,
    inbox: source.actor.inbox.href,
    sharedInbox: source.actor.sharedInbox?.href ?? null,
    articleIri: source.articleIri.href,
    latestRevision: source.latest.number,
    latestUrl: source.latest.url.href,
    signatureCount: source.actor.signatureCount,
  };
}
