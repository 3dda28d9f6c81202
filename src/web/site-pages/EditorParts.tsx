/**
 * The end of the owner's Markdown editors (site pages, the introduction): the
 * Preview and Save buttons, and the preview of the sanitized HTML.
 */

/** The editor's two buttons: `action=preview` and `action=save`. */
export function PreviewOrSave() {
  return (
    <p class="actions">
      <button type="submit" name="action" value="preview" class="secondary">
        Preview
      </button>{" "}
      <button type="submit" name="action" value="save">
        Save
      </button>
    </p>
  );
}

/** The preview of `html` (already sanitized by src/markdown.ts), under an optional page title. */
export function EditorPreview(props: { html: string | undefined; title?: string }) {
  if (props.html == null) return null;
  return (
    <section class="editor-preview" aria-labelledby="preview-title">
      <h2 id="preview-title">Preview</h2>
      {props.title != null && <h1>{props.title}</h1>}
      <div class="prose" dangerouslySetInnerHTML={{ __html: props.html }} />
    </section>
  );
}
