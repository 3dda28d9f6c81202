/**
 * (Over 400 lines: the merge page, its conflict choices and its save share one flow.)
 *
 * Taking in a newer version of a Copy's source (`/d/:slug/merge`), on this
 * site or another: the source's changes, a three-way merge (src/diff.ts
 * `mergeThreeWay`) with the conflicts side by side for the owner to choose,
 * then the editor on the merged text, whose Proposed Changes are against the
 * new source version.  Saving makes a new revision and moves the Copy's
 * source to that version, in one write.  No client-side JavaScript.  The
 * merge and the diffs run on the diff pool (src/web/kit/diff-jobs.tsx).
 */
import { Hono, type Context } from "hono";
import { getRemoteRevision, getRemoteSource, moveCopySource } from "../../db/remote-copies.ts";
import { identicalCopyProblem, saveCopyRevision } from "../../services/copy-publication.ts";
import { getDeclarationById, getRevision } from "../../db/declarations.ts";
import type { Declaration, Revision } from "../../db/schema.ts";
import type { MergeConflict } from "../../diff/index.ts";
import { readForm } from "../kit/body.ts";
import {
  changesForSave,
  conflictView,
  editorView,
  EXPIRED_FORM,
  findOwned,
  keepNotes,
  MAX_EDITOR_BODY_BYTES,
  notSavedBecause,
  validateText,
  valuesFrom,
  type Owned,
} from "./copies.tsx";
import { DIFF_RETRY_AFTER_SECONDS, tryDiff, type DiffRefusal } from "../kit/diff-jobs.tsx";
import type { WebEnv } from "../kit/context.ts";
import { parseRevisionNumber } from "../kit/params.ts";
import { CSRF_FIELD, verifyCsrf } from "../kit/csrf.ts";
import { notFoundPage } from "../kit/errors.tsx";
import { csrfFor, forbiddenPage, notSavedPage, personalPage, type PersonalStatus } from "../layout/personal.tsx";
import { currentAccount } from "../kit/session.ts";
import { CopyEditor, type CopyEditorProps, type EditorValues } from "./CopyEditor.tsx";

export const mergeRoutes = new Hono<WebEnv>();

// ---------------------------------------------------------------------------
// Take in a newer version of the source

interface Upstream {
  /** The source text the Copy was made from (or last took in). */
  base: { body: string; number: number };
  /** The source's newer version. */
  theirs: { body: string; number: number; url: string; title: string };
  remote: boolean;
}

export type UpstreamState =
  | { kind: "newer"; upstream: Upstream }
  | { kind: "current"; number: number }
  | { kind: "unavailable"; number: number | null }
  | { kind: "none" };

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
        theirs: {
          body: theirs.body,
          number: theirs.number,
          url: new URL(`/d/${source.slug}/v/${theirs.number}`, config.origin).href,
          title: theirs.title,
        },
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
    upstream: {
      base: { body: base.body, number: base.number },
      theirs: { body: theirs.body, number: theirs.number, url: theirs.url, title: theirs.title },
      remote: true,
    },
  };
}

function findOwnedCopy(c: Context<WebEnv>, slug: string): Owned {
  return findOwned(c, slug, "merge", "Only the owner of this copy can take in its source’s changes.");
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
                  <input type="radio" name={`choice-${i}`} value="ours" checked={props.choices[i] !== "theirs"} /> Keep
                  yours
                </label>
              </div>
              <div class="merge-side">
                <h3>The source’s new version</h3>
                <pre class="merge-text">{conflict.theirs === "" ? "(removed)" : conflict.theirs}</pre>
                <label>
                  <input type="radio" name={`choice-${i}`} value="theirs" checked={props.choices[i] === "theirs"} />{" "}
                  Take the source’s
                </label>
              </div>
            </div>
          </fieldset>
        </li>
      ))}
    </ol>
  );
}

const MERGE_LABELS = {
  base: "The source version your copy was made from",
  ours: "Your latest version",
  theirs: "The source’s new version",
};

/** The merge page when the merge cannot be worked out just now (or a text is too large): why, and nothing lost. */
function mergeRefusedPage(c: Context<WebEnv>, d: Declaration, refusal: DiffRefusal) {
  if (refusal.status === 503) c.header("Retry-After", String(DIFF_RETRY_AFTER_SECONDS));
  return personalPage(
    c,
    `Take in the source’s changes: ${d.title}`,
    <section class="prose-page" aria-labelledby="merge-title">
      <p class="breadcrumb">
        <a href={`/d/${d.slug}`}>{d.title}</a>
      </p>
      <h1 id="merge-title">Take in the source’s changes</h1>
      <p role="alert">
        The source’s changes could not be merged with your copy just now. {refusal.message} Nothing was changed.
      </p>
    </section>,
    refusal.status,
  );
}

async function mergePage(c: Context<WebEnv>, d: Declaration, latest: Revision, state: UpstreamState) {
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
  const got = await tryDiff(
    { kind: "merge", base: upstream.base.body, ours: latest.body, theirs: upstream.theirs.body, showTheirs: true },
    MERGE_LABELS,
  );
  if (!got.ok) return mergeRefusedPage(c, d, got.refusal);
  const { merge, theirsHtml } = got.outcome;
  return personalPage(
    c,
    title,
    <section class="editor-page merge-page" aria-labelledby="merge-title">
      <p class="breadcrumb">
        <a href={`/d/${d.slug}`}>{d.title}</a>
      </p>
      <h1 id="merge-title">Take in version {upstream.theirs.number} of the source</h1>
      <p>
        Your copy was made from version {upstream.base.number} of{" "}
        <a href={upstream.theirs.url}>{upstream.theirs.title}</a>
        {upstream.remote ? ` (on ${new URL(upstream.theirs.url).host})` : ""}. Since then the source published version{" "}
        {upstream.theirs.number}. Its changes can be applied to your version {latest.number}: where only the source
        changed something, its change is taken; where only you did, yours is kept
        {merge.conflicts.length > 0 ? "; where both of you changed the same part, you choose." : "."}
      </p>
      <section class="editor-diff" aria-labelledby="upstream-diff-title">
        <h2 id="upstream-diff-title">
          What the source changed (version {upstream.base.number} to {upstream.theirs.number})
        </h2>
        <div dangerouslySetInnerHTML={{ __html: theirsHtml ?? "" }} />
      </section>
      <form class="account-form" method="post" action={`/d/${d.slug}/merge`}>
        <input type="hidden" name={CSRF_FIELD} value={csrfFor(c)} />
        <input type="hidden" name="base" value={String(latest.number)} />
        <input type="hidden" name="upstream" value={String(upstream.theirs.number)} />
        {merge.conflicts.length === 0 ? (
          <p class="notice success" role="status">
            The source’s changes apply cleanly to your copy.
          </p>
        ) : (
          <section aria-labelledby="conflicts-title">
            <h2 id="conflicts-title">
              {merge.conflicts.length === 1 ? "1 conflict" : `${merge.conflicts.length} conflicts`}
            </h2>
            <ConflictChoices conflicts={merge.conflicts} choices={{}} />
          </section>
        )}
        <p class="actions">
          <button type="submit" name="action" value="resolve">
            Prepare the merged text
          </button>
        </p>
        <p class="hint">
          Nothing is saved yet: the next page shows the merged text in the editor, to check and save as a new version.
        </p>
      </form>
    </section>,
  );
}

async function mergeEditorPage(
  c: Context<WebEnv>,
  d: Declaration,
  base: Revision,
  upstream: Upstream,
  values: EditorValues,
  extra: Partial<CopyEditorProps> & { preview?: boolean },
  status: PersonalStatus,
) {
  const view = await editorView(values, extra, status, {
    source: upstream.theirs.body,
    base: base.body,
    diffTitle: `Changes from your version ${base.number}`,
  });
  return personalPage(
    c,
    `Merged text: ${d.title}`,
    <section class="editor-page" aria-labelledby="editor-page-title">
      <p class="breadcrumb">
        <a href={`/d/${d.slug}`}>{d.title}</a>
      </p>
      <h1 id="editor-page-title">Check and save the merged text</h1>
      <p>
        This is your copy with version {upstream.theirs.number} of the source taken in. Saving makes it version{" "}
        {base.number + 1} of your copy; its Proposed Changes are now against version {upstream.theirs.number} of the
        source.
      </p>
      <CopyEditor
        mode="edit"
        status={d.status}
        action={`/d/${d.slug}/merge`}
        csrf={csrfFor(c)}
        values={values}
        hidden={{ base: String(base.number), upstream: String(upstream.theirs.number), step: "edit" }}
        {...view.props}
      />
    </section>,
    view.status,
  );
}

mergeRoutes.get("/:slug/merge", (c) => {
  const owned = findOwnedCopy(c, c.req.param("slug"));
  if ("response" in owned) return owned.response;
  return mergePage(c, owned.declaration, owned.latest, upstreamOf(c, owned.declaration));
});

mergeRoutes.post("/:slug/merge", async (c) => {
  const slug = c.req.param("slug");
  const owned = findOwnedCopy(c, slug);
  if ("response" in owned) return owned.response;
  const { db, secret, config, batcher } = c.get("deps");
  const account = currentAccount(c)!;
  const body = await readForm(c, MAX_EDITOR_BODY_BYTES);
  if (!body.ok) return notSavedPage(c, body);
  const form = body.value;
  const d = owned.declaration;
  const state = upstreamOf(c, d);
  // The version being taken in must still be the source's newest one.
  if (state.kind !== "newer" || String(state.upstream.theirs.number) !== form.upstream) {
    return mergePage(c, d, owned.latest, state);
  }
  const upstream = state.upstream;
  const baseNumber = parseRevisionNumber(form.base);
  const base = baseNumber == null ? undefined : getRevision(db, d.id, baseNumber);
  if (base == null) return mergePage(c, d, owned.latest, state);
  if (!verifyCsrf(c, secret, config.origin, form[CSRF_FIELD])) {
    if (form.step === "edit")
      return mergeEditorPage(c, d, base, upstream, valuesFrom(form), { formError: EXPIRED_FORM }, 403);
    return forbiddenPage(c, "This form expired or was not sent from this site. Nothing was changed; please try again.");
  }

  if (form.step !== "edit") {
    // The owner's choices, one per conflict; the merge is computed again from the same texts.
    const choices: Record<number, "theirs"> = {};
    for (const [name, value] of Object.entries(form)) {
      const index = /^choice-(0|[1-9]\d{0,5})$/.exec(name)?.[1];
      if (index != null && value === "theirs") choices[Number(index)] = "theirs";
    }
    const got = await tryDiff(
      { kind: "merge", base: upstream.base.body, ours: base.body, theirs: upstream.theirs.body, choices },
      MERGE_LABELS,
    );
    if (!got.ok) return mergeRefusedPage(c, d, got.refusal);
    const merged = got.outcome.merge;
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
  if (form.action !== "save" && form.action !== "publish")
    return mergeEditorPage(c, d, base, upstream, values, { preview: true }, 200);
  const errors = validateText(values);
  // Taking in every change of the source makes the same text as the source: a published Copy may not be that.
  if (errors.body == null && d.status === "published") {
    const identical = identicalCopyProblem(values.body, {
      body: upstream.theirs.body,
      title: upstream.theirs.title,
      number: upstream.theirs.number,
    });
    if (identical != null) errors.body = identical;
  }
  if (Object.keys(errors).length > 0) return mergeEditorPage(c, d, base, upstream, values, { errors }, 400);
  const changes = await changesForSave(upstream.theirs.body, values.body);
  if (!changes.ok)
    return mergeEditorPage(c, d, base, upstream, values, notSavedBecause(changes.refusal), changes.refusal.status);
  const outcome = await batcher.run(() => {
    const saved = saveCopyRevision(db, {
      declaration: d,
      baseRevision: base.number,
      title: values.title.trim(),
      summary: values.summary.trim(),
      body: values.body,
      changeSummary: values.changeSummary.trim(),
      notes: keepNotes(values.notes, changes.outcome.changes),
      authorId: account.id,
      wordsChanged: changes.outcome.wordsChanged,
    });
    if (saved.kind === "saved")
      moveCopySource(db, d.id, {
        revision: upstream.theirs.number,
        url: upstream.theirs.url,
        title: upstream.theirs.title,
      });
    return saved;
  });
  switch (outcome.kind) {
    case "saved":
      c.get("deps").publisher.notify();
      return c.redirect(`/d/${slug}`, 303);
    case "missing":
      return notFoundPage(c, `There is no Declaration “${slug}” here.`);
    case "conflict": {
      return mergeEditorPage(
        c,
        d,
        outcome.latest,
        upstream,
        values,
        { conflict: await conflictView(base.body, outcome.latest) },
        409,
      );
    }
  }
});

/** For the owner's pages: a sentence and a link when the source has a newer version. */
export function UpstreamNotice(props: { slug: string; state: UpstreamState }) {
  if (props.state.kind !== "newer") return null;
  const n = props.state.upstream.theirs.number;
  return (
    <p class="notice upstream-notice" role="status">
      The source of this copy has a new version ({n}).{" "}
      <a href={`/d/${props.slug}/merge`}>See its changes and take them into your copy</a>.
    </p>
  );
}
