/**
 * Copying across sites, in the browser:
 *
 * - `/copy/elsewhere`: paste a Declaration's address or handle from another
 *   site; it is fetched over ActivityPub (copies.ts, remote-declarations.ts),
 *   kept, shown, and the editor opens on it.  Publishing makes a Copy whose
 *   actor follows the source and tells it about the copy.
 * - `/d/:slug/merge`: the owner of a Copy takes in a newer version of its
 *   source (on this site or another): the source's changes, a three-way merge
 *   with the conflicts side by side to choose from, then the editor on the
 *   merged text, whose Proposed Changes are against the new source version.
 * - `/d/:slug/v/:number` for ActivityPub clients: the revision as an Article.
 *
 * No client-side JavaScript; nothing is written unless every check passed.
 */
import { Hono, type Context } from "hono";
import { createRemoteCopy, getRemoteRevision, getRemoteSource, isKnownRemoteHost, moveCopySource } from "../db/remote-copies.ts";
import { saveRevision, slugAvailable } from "../db/copies.ts";
import { getDeclarationById, getDeclarationBySlug, getPublicDeclaration, getRevision } from "../db/declarations.ts";
import type { Declaration, RemoteRevision, Revision } from "../db/schema.ts";
import { diffDeclarations, diffSummary, mergeThreeWay, proposedChanges, renderDiffInline, renderDiffSideBySide, type MergeConflict } from "../diff.ts";
import {
  fetchArticle,
  keepRevision,
  resolveRemoteDeclaration,
  revisionArticleJson,
  type FedData,
  type ResolvedDeclaration,
} from "../federation/index.ts";
import { renderMarkdown } from "../markdown.ts";
import { slugify, slugProblem } from "../slug.ts";
import { readForm } from "./body.ts";
import {
  diffViews,
  EXPIRED_FORM,
  keepNotes,
  loginRedirect,
  MAX_EDITOR_BODY_BYTES,
  parseNumber,
  validateText,
  valuesFrom,
} from "./copies.tsx";
import type { WebEnv } from "./context.ts";
import { CSRF_FIELD, verifyCsrf } from "./csrf.ts";
import { notFoundPage } from "./errors.tsx";
import { csrfFor, forbiddenPage, personalPage, type PersonalStatus } from "./personal.tsx";
import { currentAccount } from "./session.ts";
import { plural } from "./format.ts";
import { Layout } from "./views/Layout.tsx";
import { CopyEditor, type CopyEditorProps, type EditorValues } from "./views/CopyEditor.tsx";
import { ErrorSummary, FieldError } from "./views/FormErrors.tsx";

export const copiesElsewhereRoutes = new Hono<WebEnv>();

export const SOURCE_INPUT_MAX = 2000;

function fedData(c: Context<WebEnv>): FedData {
  const { db, batcher, config } = c.get("deps");
  return { db, batcher, instanceName: config.instanceName, allowPrivateAddress: config.federation.allowPrivateAddress };
}

// ---------------------------------------------------------------------------
// Revisions for ActivityPub clients

const AP_TYPES = /application\/(activity\+json|ld\+json)/i;

copiesElsewhereRoutes.get("/d/:slug/v/:number", async (c, next) => {
  if (!AP_TYPES.test(c.req.header("accept") ?? "")) return next();
  const { db, federation } = c.get("deps");
  const declaration = getPublicDeclaration(db, c.req.param("slug"));
  const number = parseNumber(c.req.param("number"));
  const revision = declaration == null || number == null ? undefined : getRevision(db, declaration.id, number);
  if (declaration == null || revision == null) return c.json({ error: "Not found" }, 404);
  const ctx = federation.createContext(c.req.raw, fedData(c));
  c.header("Vary", "Accept");
  return c.body(JSON.stringify(await revisionArticleJson(ctx, declaration, revision)), 200, { "Content-Type": "application/activity+json" });
});

// ---------------------------------------------------------------------------
// Copy from another site: the address form

function SourceForm(props: { csrf: string; value: string; error?: string | undefined }) {
  return (
    <form class="account-form" method="post" action="/copy/elsewhere" novalidate>
      <ErrorSummary fields={props.error != null ? ["source"] : []} errors={{ source: props.error }} label={() => "Address or handle"} href={() => "#copy-source"} />
      <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
      <div class="field">
        <label for="copy-source">Address or handle</label>
        <p class="hint" id="copy-source-hint">
          The Declaration’s page on its site, such as https://example.org/d/digital-rights (or one of its versions, …/v/2), or its fediverse
          handle, such as @digital-rights@example.org.
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
        A Declaration published on another undersign site (or any server that publishes its text as an ActivityPub Article) can be copied
        here. Your copy links to the exact version it came from, follows its source so you can take in its new versions, and the source’s
        site learns of your copy.
      </p>
      <SourceForm csrf={csrfFor(c)} value={value} error={error} />
    </section>,
    status,
  );
}

copiesElsewhereRoutes.get("/copy/elsewhere", (c) => {
  if (currentAccount(c) == null) return loginRedirect(c, "/copy/elsewhere");
  return sourcePage(c, c.req.query("source") ?? "", undefined, 200);
});

// ---------------------------------------------------------------------------
// Copy from another site: the editor

interface RemoteSourceRef {
  revision: RemoteRevision;
  /** The text came as HTML and was converted. */
  converted: boolean;
}

function remoteEditorPage(
  c: Context<WebEnv>,
  ref: RemoteSourceRef,
  input: string,
  values: EditorValues,
  extra: Partial<CopyEditorProps> & { preview?: boolean },
  status: PersonalStatus,
) {
  const r = ref.revision;
  const diff = diffDeclarations(r.body, values.body);
  const changes = proposedChanges(diff, values.notes);
  const { preview, ...rest } = extra;
  const host = URL.canParse(r.url) ? new URL(r.url).host : r.url;
  return personalPage(
    c,
    `Your copy of ${r.title}`,
    <section class="editor-page" aria-labelledby="editor-page-title">
      <h1 id="editor-page-title">Make your own copy</h1>
      <p>
        You are copying <a href={r.url}>{r.title}</a>, version {r.number}, from <strong>{host}</strong>. Your copy links to that version, and
        its Proposed Changes list what you changed.
      </p>
      {ref.converted && (
        <p class="notice" role="note" id="converted-warning">
          {host} does not publish this text as Markdown, so it was converted from its web page’s HTML. Headings, emphasis, lists and links are
          kept; other formatting may be lost. Please check the text before you publish.
        </p>
      )}
      <CopyEditor
        mode="copy"
        action="/copy/elsewhere"
        csrf={csrfFor(c)}
        values={values}
        hidden={{ ref: r.url, source: input }}
        changes={changes}
        {...(preview === true ? { previewHtml: renderMarkdown(values.body), ...diffViews(diff), diffTitle: `Changes from version ${r.number}` } : {})}
        {...rest}
      />
    </section>,
    status,
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
  if (!body.ok) return personalPage(c, "Not saved", <section class="error-page"><h1>Not saved</h1><p>{body.message}</p></section>, body.status);
  const form = body.value;
  if (account == null) return loginRedirect(c, "/copy/elsewhere");
  const input = (form.source ?? "").trim();
  const csrfOk = verifyCsrf(c, secret, config.origin, form[CSRF_FIELD]);

  // Step 1: fetch what was pasted.
  if (form.ref == null || form.ref === "") {
    if (!csrfOk) return sourcePage(c, input, EXPIRED_FORM, 403);
    if (input === "") return sourcePage(c, input, "Please enter the address or handle of the Declaration to copy.", 400);
    if ([...input].length > SOURCE_INPUT_MAX) return sourcePage(c, input, `This is longer than ${SOURCE_INPUT_MAX} characters; please paste just the address.`, 400);
    const resolved = await resolveRemoteDeclaration(input, { allowPrivateAddress: config.federation.allowPrivateAddress, db, origin: config.origin });
    if (!resolved.ok) return sourcePage(c, input, resolved.message, refusalStatus(resolved.reason));
    const kept = await keepRevision(fedData(c), resolved.declaration.revision);
    const r = kept;
    return remoteEditorPage(
      c,
      { revision: kept, converted: kept.format === "html" },
      input,
      { title: r.title, summary: r.summary, slug: "", body: r.body, changeSummary: "", notes: {} },
      {},
      200,
    );
  }

  // Step 2: preview, or publish.  The source text is the one kept at step 1 (never taken from the form).
  const revision = getRemoteRevision(db, form.ref);
  if (revision == null) return sourcePage(c, input, "The text to copy is no longer here; please fetch it again.", 400);
  const ref = { revision, converted: revision.format === "html" };
  const values = valuesFrom(form);
  if (!csrfOk) return remoteEditorPage(c, ref, input, values, { formError: EXPIRED_FORM }, 403);
  if (form.action !== "publish" && form.action !== "draft") return remoteEditorPage(c, ref, input, values, { preview: true }, 200);
  const errors = validateText(values);
  const typedSlug = values.slug.trim();
  const newSlug = typedSlug === "" ? slugify(values.title) : typedSlug;
  const problem = slugProblem(newSlug);
  if (problem != null) errors.slug = typedSlug === "" ? "Please choose an address for your copy: none could be made from the title." : `This address ${problem}.`;
  if (Object.keys(errors).length > 0) return remoteEditorPage(c, ref, input, values, { errors }, 400);
  const taken = { errors: { slug: `The address “${newSlug}” is taken; please choose another.` } };
  if (!slugAvailable(db, newSlug)) return remoteEditorPage(c, ref, input, { ...values, slug: newSlug }, taken, 409);

  // The source's actor, fetched again: where our copy's actor will write.
  const resolved = await resolveRemoteDeclaration(revision.url, { allowPrivateAddress: config.federation.allowPrivateAddress, db, origin: config.origin });
  if (!resolved.ok || resolved.declaration.actor.id.href !== revision.actorIri) {
    const message = resolved.ok ? "The source’s server now names another author for this text; nothing was copied." : resolved.message;
    return remoteEditorPage(c, ref, input, values, { formError: `Not published: ${message} Your text is kept below.` }, resolved.ok ? 422 : refusalStatus(resolved.reason));
  }
  const source = resolved.declaration;
  // The newest version is kept too: the owner may take it in at once.
  if (source.latestArticle.url.href !== revision.url) await keepRevision(fedData(c), source.latestArticle);
  const changes = proposedChanges(diffDeclarations(revision.body, values.body));
  const outcome = await batcher.run(() =>
    createRemoteCopy(db, {
      revision,
      source: sourceColumns(source),
      hashtags: [],
      ownerId: account.id,
      slug: newSlug,
      title: values.title.trim(),
      summary: values.summary.trim(),
      body: values.body,
      notes: keepNotes(values.notes, changes),
      status: form.action === "draft" ? "draft" : "published",
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

// ---------------------------------------------------------------------------
// Take in a newer version of the source

interface Upstream {
  /** The source text the Copy was made from (or last took in). */
  base: { body: string; number: number };
  /** The source's newer version. */
  theirs: { body: string; number: number; url: string; title: string };
  remote: boolean;
}

export type UpstreamState = { kind: "newer"; upstream: Upstream } | { kind: "current"; number: number } | { kind: "unavailable"; number: number | null } | { kind: "none" };

/** Whether the source of Copy `d` has a newer version than the one it points at, and both texts. */
export function upstreamOf(c: Context<WebEnv>, d: Declaration): UpstreamState {
  const { db, config } = c.get("deps");
  if (d.sourceRevision == null || d.sourceUrl == null) return { kind: "none" };
  if (d.sourceDeclarationId != null) {
    const source = getDeclarationById(db, d.sourceDeclarationId);
    if (source == null || source.status === "draft") return { kind: "none" };
    if (source.revision <= d.sourceRevision) return { kind: "current", number: d.sourceRevision };
    const base = getRevision(db, source.id, d.sourceRevision);
    const theirs = getRevision(db, source.id, source.revision);
    if (base == null || theirs == null) return { kind: "unavailable", number: source.revision };
    return {
      kind: "newer",
      upstream: {
        base: { body: base.body, number: base.number },
        theirs: { body: theirs.body, number: theirs.number, url: new URL(`/d/${source.slug}/v/${theirs.number}`, config.origin).href, title: theirs.title },
        remote: false,
      },
    };
  }
  const source = getRemoteSource(db, d.id);
  if (source == null) return { kind: "none" };
  if (source.latestRevision <= d.sourceRevision) return { kind: "current", number: d.sourceRevision };
  const base = getRemoteRevision(db, d.sourceUrl);
  const theirs = getRemoteRevision(db, source.latestUrl);
  if (base == null || theirs == null) return { kind: "unavailable", number: source.latestRevision };
  return {
    kind: "newer",
    upstream: { base: { body: base.body, number: base.number }, theirs: { body: theirs.body, number: theirs.number, url: theirs.url, title: theirs.title }, remote: true },
  };
}

type OwnedCopy = { declaration: Declaration; latest: Revision } | { response: Response | Promise<Response> };

function findOwnedCopy(c: Context<WebEnv>, slug: string): OwnedCopy {
  const { db } = c.get("deps");
  const declaration = getDeclarationBySlug(db, slug);
  const latest = declaration && getRevision(db, declaration.id, declaration.revision);
  const account = currentAccount(c);
  const hidden = declaration?.status === "draft" && (account == null || declaration.ownerId !== account.id);
  if (declaration == null || latest == null || hidden) return { response: notFoundPage(c, `There is no Declaration “${slug}” here.`) };
  if (account == null) return { response: loginRedirect(c, `/d/${slug}/merge`) };
  if (declaration.ownerId !== account.id) return { response: forbiddenPage(c, "Only the owner of this copy can take in its source’s changes.") };
  return { declaration, latest };
}

function ConflictChoices(props: { conflicts: readonly MergeConflict[]; choices: Record<number, "ours" | "theirs"> }) {
  return (
    <ol class="merge-conflicts">
      {props.conflicts.map((conflict, i) => (
        <li>
          <fieldset class="merge-conflict">
            <legend>Conflict {i + 1}: you and the source both changed this part</legend>
            <div class="merge-sides">
              <div class="merge-side">
                <h3>Yours</h3>
                <pre class="merge-text">{conflict.ours === "" ? "(removed)" : conflict.ours}</pre>
                <label>
                  <input type="radio" name={`choice-${i}`} value="ours" checked={props.choices[i] !== "theirs"} /> Keep yours
                </label>
              </div>
              <div class="merge-side">
                <h3>The source’s new version</h3>
                <pre class="merge-text">{conflict.theirs === "" ? "(removed)" : conflict.theirs}</pre>
                <label>
                  <input type="radio" name={`choice-${i}`} value="theirs" checked={props.choices[i] === "theirs"} /> Take the source’s
                </label>
              </div>
            </div>
          </fieldset>
        </li>
      ))}
    </ol>
  );
}

function mergePage(c: Context<WebEnv>, d: Declaration, latest: Revision, state: UpstreamState) {
  const title = `Take in the source’s changes: ${d.title}`;
  if (state.kind !== "newer") {
    const message =
      state.kind === "current"
        ? `Your copy is up to date with version ${state.number} of its source.`
        : state.kind === "unavailable"
          ? `The source has version ${state.number ?? "?"}, but its text could not be fetched yet. Please try again later.`
          : "This Declaration is not a copy of another one.";
    return personalPage(
      c,
      title,
      <section class="prose-page" aria-labelledby="merge-title">
        <p class="breadcrumb">
          <a href={`/d/${d.slug}`}>{d.title}</a>
        </p>
        <h1 id="merge-title">Take in the source’s changes</h1>
        <p>{message}</p>
      </section>,
      state.kind === "none" ? 404 : 200,
    );
  }
  const { upstream } = state;
  const merge = mergeThreeWay(upstream.base.body, latest.body, upstream.theirs.body);
  return personalPage(
    c,
    title,
    <section class="editor-page merge-page" aria-labelledby="merge-title">
      <p class="breadcrumb">
        <a href={`/d/${d.slug}`}>{d.title}</a>
      </p>
      <h1 id="merge-title">Take in version {upstream.theirs.number} of the source</h1>
      <p>
        Your copy was made from version {upstream.base.number} of <a href={upstream.theirs.url}>{upstream.theirs.title}</a>
        {upstream.remote ? ` (on ${new URL(upstream.theirs.url).host})` : ""}. Since then the source published version {upstream.theirs.number}.
        Its changes can be applied to your version {latest.number}: where only the source changed something, its change is taken; where only you
        did, yours is kept{merge.conflicts.length > 0 ? "; where both of you changed the same part, you choose." : "."}
      </p>
      <section class="editor-diff" aria-labelledby="upstream-diff-title">
        <h2 id="upstream-diff-title">
          What the source changed (version {upstream.base.number} to {upstream.theirs.number})
        </h2>
        <div dangerouslySetInnerHTML={{ __html: renderDiffInline(diffDeclarations(upstream.base.body, upstream.theirs.body)) }} />
      </section>
      <form class="account-form" method="post" action={`/d/${d.slug}/merge`}>
        <input type="hidden" name={CSRF_FIELD} value={csrfFor(c)} />
        <input type="hidden" name="base" value={String(latest.number)} />
        <input type="hidden" name="upstream" value={String(upstream.theirs.number)} />
        {merge.conflicts.length === 0 ? (
          <p class="notice" role="status">
            The source’s changes apply cleanly to your copy.
          </p>
        ) : (
          <section aria-labelledby="conflicts-title">
            <h2 id="conflicts-title">{merge.conflicts.length === 1 ? "1 conflict" : `${merge.conflicts.length} conflicts`}</h2>
            <ConflictChoices conflicts={merge.conflicts} choices={{}} />
          </section>
        )}
        <p class="actions">
          <button type="submit" name="action" value="resolve">
            Prepare the merged text
          </button>
        </p>
        <p class="hint">Nothing is saved yet: the next page shows the merged text in the editor, to check and save as a new version.</p>
      </form>
    </section>,
  );
}

function mergeEditorPage(
  c: Context<WebEnv>,
  d: Declaration,
  base: Revision,
  upstream: Upstream,
  values: EditorValues,
  extra: Partial<CopyEditorProps> & { preview?: boolean },
  status: PersonalStatus,
) {
  const diff = diffDeclarations(base.body, values.body);
  const changes = proposedChanges(diffDeclarations(upstream.theirs.body, values.body), values.notes);
  const { preview, ...rest } = extra;
  return personalPage(
    c,
    `Merged text: ${d.title}`,
    <section class="editor-page" aria-labelledby="editor-page-title">
      <p class="breadcrumb">
        <a href={`/d/${d.slug}`}>{d.title}</a>
      </p>
      <h1 id="editor-page-title">Check and save the merged text</h1>
      <p>
        This is your copy with version {upstream.theirs.number} of the source taken in. Saving makes it version {base.number + 1} of your copy;
        its Proposed Changes are now against version {upstream.theirs.number} of the source.
      </p>
      <CopyEditor
        mode="edit"
        status={d.status}
        action={`/d/${d.slug}/merge`}
        csrf={csrfFor(c)}
        values={values}
        hidden={{ base: String(base.number), upstream: String(upstream.theirs.number), step: "edit" }}
        changes={changes}
        {...(preview === true ? { previewHtml: renderMarkdown(values.body), ...diffViews(diff), diffTitle: `Changes from your version ${base.number}` } : {})}
        {...rest}
      />
    </section>,
    status,
  );
}

copiesElsewhereRoutes.get("/d/:slug/merge", (c) => {
  const owned = findOwnedCopy(c, c.req.param("slug"));
  if ("response" in owned) return owned.response;
  return mergePage(c, owned.declaration, owned.latest, upstreamOf(c, owned.declaration));
});

copiesElsewhereRoutes.post("/d/:slug/merge", async (c) => {
  const slug = c.req.param("slug");
  const owned = findOwnedCopy(c, slug);
  if ("response" in owned) return owned.response;
  const { db, secret, config, batcher } = c.get("deps");
  const account = currentAccount(c)!;
  const body = await readForm(c, MAX_EDITOR_BODY_BYTES);
  if (!body.ok) return personalPage(c, "Not saved", <section class="error-page"><h1>Not saved</h1><p>{body.message}</p></section>, body.status);
  const form = body.value;
  const d = owned.declaration;
  const state = upstreamOf(c, d);
  // The version being taken in must still be the source's newest one.
  if (state.kind !== "newer" || String(state.upstream.theirs.number) !== form.upstream) {
    return mergePage(c, d, owned.latest, state);
  }
  const upstream = state.upstream;
  const baseNumber = parseNumber(form.base);
  const base = baseNumber == null ? undefined : getRevision(db, d.id, baseNumber);
  if (base == null) return mergePage(c, d, owned.latest, state);
  if (!verifyCsrf(c, secret, config.origin, form[CSRF_FIELD])) {
    if (form.step === "edit") return mergeEditorPage(c, d, base, upstream, valuesFrom(form), { formError: EXPIRED_FORM }, 403);
    return forbiddenPage(c, "This form expired or was not sent from this site. Nothing was changed; please try again.");
  }

  if (form.step !== "edit") {
    // The owner's choices, one per conflict; the merge is computed again from the same texts.
    const merged = mergeThreeWay(upstream.base.body, base.body, upstream.theirs.body, (i) => (form[`choice-${i}`] === "theirs" ? "theirs" : "ours"));
    const values: EditorValues = {
      title: base.title,
      summary: base.summary,
      slug: "",
      body: merged.text,
      changeSummary: `Took in version ${upstream.theirs.number} of the source`,
      notes: { ...base.notes },
    };
    return mergeEditorPage(c, d, base, upstream, values, { preview: true }, 200);
  }

  const values = valuesFrom(form);
  if (form.action !== "save" && form.action !== "publish") return mergeEditorPage(c, d, base, upstream, values, { preview: true }, 200);
  const errors = validateText(values);
  if (Object.keys(errors).length > 0) return mergeEditorPage(c, d, base, upstream, values, { errors }, 400);
  const changes = proposedChanges(diffDeclarations(upstream.theirs.body, values.body));
  const outcome = await batcher.run(() => {
    const saved = saveRevision(db, {
      declaration: d,
      baseRevision: base.number,
      title: values.title.trim(),
      summary: values.summary.trim(),
      body: values.body,
      changeSummary: values.changeSummary.trim(),
      notes: keepNotes(values.notes, changes),
      authorId: account.id,
    });
    if (saved.kind === "saved") moveCopySource(db, d.id, { revision: upstream.theirs.number, url: upstream.theirs.url, title: upstream.theirs.title });
    return saved;
  });
  switch (outcome.kind) {
    case "saved":
      c.get("deps").publisher.notify();
      return c.redirect(`/d/${slug}`, 303);
    case "missing":
      return notFoundPage(c, `There is no Declaration “${slug}” here.`);
    case "conflict": {
      const conflict = { number: outcome.latest.number, html: renderDiffInline(diffDeclarations(base.body, outcome.latest.body)) };
      return mergeEditorPage(c, d, outcome.latest, upstream, values, { conflict }, 409);
    }
  }
});

/** For the owner's pages: a sentence and a link when the source has a newer version. */
export function UpstreamNotice(props: { slug: string; state: UpstreamState }) {
  if (props.state.kind !== "newer") return null;
  const n = props.state.upstream.theirs.number;
  return (
    <p class="notice upstream-notice" role="status">
      The source of this copy has a new version ({n}). <a href={`/d/${props.slug}/merge`}>See its changes and take them into your copy</a>.
    </p>
  );
}

// ---------------------------------------------------------------------------
// Compare across sites

interface CompareSide {
  title: string;
  number: number;
  url: string;
  host: string;
  body: string;
}

/**
 * A revision named by its address: one of ours, or one kept from another
 * site.  A remote revision not kept yet is fetched once (and kept), but only
 * from a site this one knows copies or sources on: the page cannot be used
 * to make this server fetch arbitrary addresses.
 */
async function compareSide(c: Context<WebEnv>, raw: string): Promise<CompareSide | string> {
  const { db, config } = c.get("deps");
  if (raw === "") return "Please give the address of a version (…/d/its-name/v/1).";
  if (!URL.canParse(raw) || !/^https?:$/.test(new URL(raw).protocol)) return `“${raw.slice(0, 200)}” is not a web address.`;
  const url = new URL(raw);
  if (url.origin === config.origin.origin) {
    const m = /^\/d\/([^/]+)\/v\/([1-9]\d{0,8})$/.exec(url.pathname);
    const declaration = m == null ? undefined : getPublicDeclaration(db, decodeURIComponent(m[1]!));
    const revision = declaration == null ? undefined : getRevision(db, declaration.id, Number(m![2]));
    if (revision == null) return `There is no such version here (${url.pathname}).`;
    return { title: revision.title, number: revision.number, url: url.href, host: url.host, body: revision.body };
  }
  let kept = getRemoteRevision(db, url.href);
  if (kept == null) {
    if (!isKnownRemoteHost(db, url.host)) return `This site compares only with sites it knows copies or sources on, and ${url.host} is not one of them.`;
    const got = await fetchArticle(url, { allowPrivateAddress: config.federation.allowPrivateAddress, db });
    if (!got.ok) return `The version at ${url.host} could not be fetched (${got.reason.replace(/-/g, " ")}).`;
    if (got.article.url.href !== url.href) return `${url.host} serves a different version at that address.`;
    kept = await keepRevision(fedData(c), got.article);
  }
  return { title: kept.title, number: kept.number, url: kept.url, host: new URL(kept.url).host, body: kept.body };
}

copiesElsewhereRoutes.get("/compare/elsewhere", async (c) => {
  const { config } = c.get("deps");
  const a = await compareSide(c, (c.req.query("a") ?? "").trim());
  const b = await compareSide(c, (c.req.query("b") ?? "").trim());
  const view = c.req.query("view") === "side" ? "side" : "inline";
  if (typeof a === "string" || typeof b === "string") {
    return c.html(
      <Layout title="Compare across sites (please check the address)" siteName={config.instanceName}>
        <section class="error-page">
          <h1>These versions cannot be compared</h1>
          {typeof a === "string" && <p>Before (a): {a}</p>}
          {typeof b === "string" && <p>After (b): {b}</p>}
        </section>
      </Layout>,
      400,
    );
  }
  const diff = diffDeclarations(a.body, b.body);
  const summary = diffSummary(diff);
  const link = (v: string) => `/compare/elsewhere?${new URLSearchParams({ a: a.url, b: b.url, view: v }).toString()}`;
  const heading = a.title === b.title ? `Changes to “${a.title}” across sites` : `Changes from “${a.title}” to “${b.title}”`;
  return c.html(
    <Layout title={heading} siteName={config.instanceName}>
      <section class="diff-page" aria-labelledby="compare-title">
        <h1 id="compare-title">{heading}</h1>
        <ul class="diff-versions">
          <li>
            <span class="diff-side-label">Before:</span> <a href={a.url}>{a.title}, version {a.number}</a> <span class="muted">on {a.host}</span>
          </li>
          <li>
            <span class="diff-side-label">After:</span> <a href={b.url}>{b.title}, version {b.number}</a> <span class="muted">on {b.host}</span>
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
        <p class="diff-legend">
          <ins class="diff-ins">Added words</ins> are underlined, <del class="diff-del">removed words</del> struck through.
        </p>
        {view === "side" ? (
          <div class="diff-body diff-scroll" role="region" aria-label="Changes side by side" tabindex={0} dangerouslySetInnerHTML={{ __html: renderDiffSideBySide(diff) }} />
        ) : (
          <div class="diff-body" dangerouslySetInnerHTML={{ __html: renderDiffInline(diff) }} />
        )}
      </section>
    </Layout>,
  );
});
