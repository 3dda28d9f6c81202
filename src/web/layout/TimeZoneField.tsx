/**
 * A time zone field: a text input with the zone names as suggestions, a hint
 * that (with src/web/static/strike-admin.js) shows the visitor's own zone
 * with a "Use it" button, and the field's error.  Used by /admin/strike and
 * the strike bot's plan.
 */
import { FieldError } from "./FormErrors.tsx";

export interface TimeZoneFieldProps {
  /** The input's id; the hint, error and suggestions take it as a prefix. */
  readonly id: string;
  readonly label: string;
  /** The hint's first sentence. */
  readonly hint: string;
  readonly value: string;
  readonly zones: readonly string[];
  readonly error?: string | undefined;
}

export function TimeZoneField(props: TimeZoneFieldProps) {
  const hintId = `${props.id}-hint`;
  const errorId = `${props.id}-error`;
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <p class="hint" id={hintId}>
        {props.hint}{" "}
        <span class="own-zone" hidden data-for={props.id}>
          Your browser’s time zone is <strong data-own-zone></strong>.{" "}
          <button type="button" class="link-button" data-use-own-zone>
            Use it
          </button>
        </span>
      </p>
      <input
        id={props.id}
        name="timeZone"
        type="text"
        required
        list={`${props.id}-zones`}
        autocomplete="off"
        autocapitalize="none"
        spellcheck={false}
        maxlength={100}
        value={props.value}
        aria-describedby={props.error != null ? `${hintId} ${errorId}` : hintId}
        {...(props.error != null ? { "aria-invalid": "true" } : {})}
      />
      <datalist id={`${props.id}-zones`}>
        {props.zones.map((z) => (
          <option value={z} />
        ))}
      </datalist>
      <FieldError id={errorId} error={props.error} />
    </div>
  );
}
