/**
 * The editor for a Copy (new) and for its owner's later edits: title, summary,
 * slug (new Copies only), Markdown, change summary (edits only), and — after a
 * preview — the rendered text, the word-level diff and the Proposed Changes
 * with a note field each.  Works without JavaScript: "Preview" and
 * "Publish"/"Save" are two submit buttons of one form.
 */
import type { ProposedChange } from "../../diff/index.ts";
import type { CopyText, CopyTextErrors } from "../../services/copy-publication.ts";
import { CSRF_FIELD } from "../kit/csrf.ts";
import { ErrorSummary, FieldError } from "../layout/FormErrors.tsx";

export type EditorErrors = CopyTextErrors;

export type EditorValues = CopyText;

export interface CopyEditorProps {
  mode: "copy" | "edit";
  /** The edited Declaration's status (edit mode): a draft gets "Save draft" and "Publish". */
  status?: "published" | "draft" | "withdrawn";
  action: string;
  csrf: string;
  values: EditorValues;
  /** Hidden fields: `v` (source revision) for a copy, `base` for an edit. */
  hidden: Record<string, string>;
  errors?: EditorErrors;
  formError?: string;
  /** Sanitized HTML of the draft (on preview). */
  previewHtml?: string;
  /** Escaped diff HTML from src/diff.ts (on preview). */
  diffHtml?: string;
  /** The same changes in two columns, offered below the inline view. */
  sideBySideHtml?: string;
  diffTitle?: string;
  /** The Proposed Changes of the draft against the source (null: not a Copy of a local source). */
  changes?: readonly ProposedChange[] | null;
  /** There are more Proposed Changes than listed. */
  moreChanges?: boolean;
  /** Why the Proposed Changes are not listed this time (the notes typed are kept, hidden). */
  changesUnavailable?: string;
  /** On a 409: escaped diff of what changed since the author's base revision. */
  conflict?: { html: string; number: number };
}

const LABELS: Record<keyof EditorErrors, string> = {
  title: "Title",
  summary: "Summary",
  slug: "Address (slug)",
  body: "Text (Markdown)",
  changeSummary: "What changed",
};

function describedBy(name: string, hint: boolean, error: boolean): Record<string, string> {
  const ids = [hint ? `editor-${name}-hint` : null, error ? `${name}-error` : null].filter((x) => x != null);
  return {
    ...(ids.length > 0 ? { "aria-describedby": ids.join(" ") } : {}),
    ...(error ? { "aria-invalid": "true" } : {}),
  };
}

function Hint(props: { name: string; text: string }) {
  return (
    <p class="hint" id={`editor-${props.name}-hint`}>
      {props.text}
    </p>
  );
}

const KIND: Record<ProposedChange["kind"], string> = {
  added: "Added",
  removed: "Removed",
  changed: "Changed",
  moved: "Moved",
};

function ChangeList(props: { changes: readonly ProposedChange[]; notes: Record<string, string> }) {
  if (props.changes.length === 0) return <p>No changes from the source yet.</p>;
  return (
    <ol class="proposed-changes">
      {props.changes.map((change) => (
        <li>
          <p>
            <strong>{KIND[change.kind]}:</strong>{" "}
            {change.kind === "added" ? (
              <ins>{change.after}</ins>
            ) : change.kind === "removed" ? (
              <del>{change.before}</del>
            ) : (
              <>
                <del>{change.before}</del> → <ins>{change.after}</ins>
              </>
            )}
          </p>
          <div class="field">
            <label for={`note-${change.id}`}>Your note on this change (optional)</label>
            <input
              id={`note-${change.id}`}
              name={`note-${change.id}`}
              type="text"
              maxlength={1000}
              value={props.notes[change.id] ?? ""}
            />
          </div>
        </li>
      ))}
    </ol>
  );
}

/**
 * How to propose changes, for copiers: here in the editor, never in the text
 * (a shipped Declaration carries no instructions its copies would inherit).
 */
function ProposingChanges() {
  return (
    <details class="editor-guide" open>
      <summary>How to propose changes</summary>
      <ol>
        <li>Edit the text below directly: reword, add or remove what you think should change.</li>
        <li>
          Press <strong>Preview</strong>. Your copy’s <strong>Proposed Changes</strong> are listed from the differences
          with the version you copied; give each one a short note saying why.
        </li>
        <li>
          Your copy links to the version you copied, and visitors see it marked as a copy with your name and how many
          words differ. A copy that changes nothing in the text cannot be published (you can keep it as a draft).
        </li>
      </ol>
    </details>
  );
}

export function CopyEditor(props: CopyEditorProps) {
  const v = props.values;
  const e = props.errors ?? {};
  const fields = (Object.keys(e) as (keyof EditorErrors)[]).filter((f) => e[f] != null);
  return (
    <form class="account-form copy-editor" method="post" action={props.action} novalidate>
      <ErrorSummary
        formError={props.formError}
        fields={fields}
        errors={e}
        label={(f) => LABELS[f]}
        href={(f) => `#editor-${f}`}
      />
      {props.conflict != null && (
        <section class="conflict" aria-labelledby="conflict-title">
          <h2 id="conflict-title">Version {props.conflict.number} was saved while you were editing</h2>
          <p>
            Nothing of yours was saved, and nothing was overwritten. This is what changed meanwhile; your text is kept
            below. Saving again makes your text the version after {props.conflict.number}.
          </p>
          <div dangerouslySetInnerHTML={{ __html: props.conflict.html }} />
        </section>
      )}
      <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
      {Object.entries(props.hidden).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      <div class="field">
        <label for="editor-title">{LABELS.title}</label>
        <input
          id="editor-title"
          name="title"
          type="text"
          required
          maxlength={200}
          value={v.title}
          {...describedBy("title", false, e.title != null)}
        />
        <FieldError id="title-error" error={e.title} />
      </div>
      <div class="field">
        <label for="editor-summary">{LABELS.summary}</label>
        <Hint name="summary" text="Optional, up to 1000 characters." />
        <textarea
          id="editor-summary"
          name="summary"
          rows={3}
          maxlength={1000}
          {...describedBy("summary", true, e.summary != null)}
        >
          {v.summary}
        </textarea>
        <FieldError id="summary-error" error={e.summary} />
      </div>
      {props.mode === "copy" && (
        <div class="field">
          <label for="editor-slug">{LABELS.slug}</label>
          <Hint
            name="slug"
            text="Your copy's address: /d/your-slug. Lowercase letters, digits and single hyphens; left empty, it is made from the title."
          />
          <input
            id="editor-slug"
            name="slug"
            type="text"
            maxlength={64}
            autocomplete="off"
            value={v.slug}
            {...describedBy("slug", true, e.slug != null)}
          />
          <FieldError id="slug-error" error={e.slug} />
        </div>
      )}
      {(props.mode === "copy" || props.changes != null) && <ProposingChanges />}
      <div class="field">
        <label for="editor-body">{LABELS.body}</label>
        <Hint
          name="body"
          text={
            props.mode === "copy" || props.changes != null
              ? "Markdown, up to 200 KB. Change the words themselves; do not write a “Proposed Changes” section: it is made for you."
              : "Markdown, up to 200 KB."
          }
        />
        <textarea id="editor-body" name="body" rows={24} required {...describedBy("body", true, e.body != null)}>
          {v.body}
        </textarea>
        <FieldError id="body-error" error={e.body} />
      </div>
      {props.mode === "edit" && (
        <div class="field">
          <label for="editor-changeSummary">{LABELS.changeSummary}</label>
          <Hint name="changeSummary" text="Optional: one line for the history, up to 500 characters." />
          <input
            id="editor-changeSummary"
            name="changeSummary"
            type="text"
            maxlength={500}
            value={v.changeSummary}
            {...describedBy("changeSummary", true, e.changeSummary != null)}
          />
          <FieldError id="changeSummary-error" error={e.changeSummary} />
        </div>
      )}
      {props.changes != null && (
        <section class="editor-changes" aria-labelledby="changes-title">
          <h2 id="changes-title">Proposed Changes</h2>
          <p class="hint">
            Generated from the difference with the version you copied. Preview to bring the list up to date.
          </p>
          <ChangeList changes={props.changes} notes={v.notes} />
          {props.moreChanges === true && (
            <p class="hint">
              There are more changes than the {props.changes.length} listed here; compare the two versions to see them
              all.
            </p>
          )}
        </section>
      )}
      {props.changes == null && props.changesUnavailable != null && (
        <section class="editor-changes" aria-labelledby="changes-title">
          <h2 id="changes-title">Proposed Changes</h2>
          <p class="notice" role="note">
            {props.changesUnavailable}
          </p>
          {Object.entries(v.notes).map(([id, note]) => (
            <input type="hidden" name={`note-${id}`} value={note} />
          ))}
        </section>
      )}
      <p class="actions">
        <button type="submit" name="action" value="preview" class="secondary">
          Preview
        </button>{" "}
        {props.mode === "copy" ? (
          <>
            <button type="submit" name="action" value="draft" class="secondary">
              Save as draft
            </button>{" "}
            <button type="submit" name="action" value="publish">
              Publish your copy
            </button>
          </>
        ) : props.status === "draft" ? (
          <>
            <button type="submit" name="action" value="save" class="secondary">
              Save draft
            </button>{" "}
            <button type="submit" name="action" value="publish">
              Publish
            </button>
          </>
        ) : (
          <button type="submit" name="action" value="save">
            Save a new version
          </button>
        )}
      </p>
      {props.mode === "copy" && <p class="hint">A draft is visible only to you until you publish it.</p>}
      {props.previewHtml != null && (
        <section class="editor-preview" aria-labelledby="preview-title">
          <h2 id="preview-title">Preview</h2>
          <div class="prose" dangerouslySetInnerHTML={{ __html: props.previewHtml }} />
        </section>
      )}
      {props.diffHtml != null && (
        <section class="editor-diff" aria-labelledby="diff-title">
          <h2 id="diff-title">{props.diffTitle ?? "Changes"}</h2>
          <div dangerouslySetInnerHTML={{ __html: props.diffHtml }} />
          {props.sideBySideHtml != null && (
            <details class="editor-side">
              <summary>Side by side</summary>
              <div dangerouslySetInnerHTML={{ __html: props.sideBySideHtml }} />
            </details>
          )}
        </section>
      )}
    </form>
  );
}
