/**
 * How a form says what is wrong: a summary at its top (a message about the
 * whole form, then each field with an error, linked to the field) and a
 * message under a field, which the field names in its aria-describedby.
 * With JavaScript, form-errors.js moves the focus to the summary when the
 * page loads (the page is a failed submit coming back).
 */
import { assetUrl } from "../kit/assets.ts";

export interface ErrorSummaryProps<F extends string> {
  /** A message about the whole form (rate limit, expired form, …), shown first. */
  readonly formError?: string | undefined;
  /** The fields with an error, in the order they are listed. */
  readonly fields: readonly F[];
  readonly errors: { readonly [K in F]?: string | undefined };
  /** The field's name as its label says it. */
  readonly label: (field: F) => string;
  /** The link to the field's input. */
  readonly href: (field: F) => string;
}

export function ErrorSummary<F extends string>(props: ErrorSummaryProps<F>) {
  const { fields, errors } = props;
  if (fields.length === 0 && props.formError == null) return null;
  return (
    <div class="form-errors" role="alert" tabindex={-1}>
      {props.formError != null && <p>{props.formError}</p>}
      {fields.length > 0 && (
        <>
          <p>Please check {fields.length === 1 ? "this field" : "these fields"}:</p>
          <ul>
            {fields.map((f) => (
              <li>
                <a href={props.href(f)}>{props.label(f)}</a>: {errors[f]}
              </li>
            ))}
          </ul>
        </>
      )}
      <script type="module" src={assetUrl("form-errors.js")} />
    </div>
  );
}

/** The message under a field (nothing without one); `id` is what the field's aria-describedby names. */
export function FieldError(props: { id: string; error: string | null | undefined }) {
  if (props.error == null) return null;
  return (
    <p class="field-error" id={props.id}>
      {props.error}
    </p>
  );
}

/**
 * A field's ARIA attributes: `aria-describedby` naming its hint (when it has
 * one) and then its error, and `aria-invalid` when `error` is there.
 */
export function fieldAria(errorId: string, error: string | null | undefined, hint?: string) {
  const described = [hint, error != null ? errorId : undefined].filter((x) => x != null).join(" ");
  return {
    ...(described !== "" ? { "aria-describedby": described } : {}),
    ...(error != null ? { "aria-invalid": "true" } : {}),
  };
}
