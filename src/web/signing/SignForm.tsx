import type { FieldErrors, SignatureField } from "../../signature-input.ts";
import { LIMITS } from "../../signature-input.ts";
import { CSRF_FIELD } from "../kit/csrf.ts";
import { ErrorSummary, FieldError } from "../layout/FormErrors.tsx";

/** The honeypot field: hidden from people, tempting to scripts. */
export const HONEYPOT_FIELD = "phone";

/** The field only bots fill in: hidden from people and screen readers, skipped by the keyboard. */
export function Honeypot(props: { id: string }) {
  return (
    <div class="hp" aria-hidden="true">
      <label for={props.id}>Leave this field empty</label>
      <input id={props.id} name={HONEYPOT_FIELD} type="text" tabindex={-1} autocomplete="off" value="" />
    </div>
  );
}

export interface SignFormProps {
  action: string;
  csrf: string;
  /** What the person typed, kept when the form comes back with errors. */
  values?: Readonly<Record<string, string>>;
  errors?: FieldErrors;
  /** A message about the whole form (rate limit, expired form, …). */
  formError?: string;
  /**
   * "required" when signatures are confirmed by mail, "mailed" when the site
   * mails private links, "optional" when it sends no mail (an address then
   * only keeps a person from being counted twice).
   */
  email: "required" | "mailed" | "optional";
  /** The proof-of-work widget, when switched on. */
  proofOfWork?: unknown;
  /** What to do without JavaScript (a `<noscript>` notice), shown before the fields; when the check is on. */
  withoutJavaScript?: unknown;
  revision: number;
}

const LABELS: Record<SignatureField, string> = {
  name: "Your name",
  place: "Place or affiliation",
  website: "Website",
  comment: "Comment",
  email: "Email address",
  public: "Your name on the list",
};

function invalid(field: SignatureField, errors?: FieldErrors) {
  return errors?.[field] != null ? { "aria-invalid": "true", "aria-describedby": `${field}-error` } : {};
}

export function SignForm(props: SignFormProps) {
  const v = props.values ?? {};
  const errors = props.errors;
  const errorFields = Object.keys(errors ?? {}) as SignatureField[];
  const visibility = v.visibility ?? "public";
  return (
    <form class="sign-form" id="sign-form" method="post" action={props.action} novalidate>
      <ErrorSummary
        formError={props.formError}
        fields={errorFields}
        errors={errors ?? {}}
        label={(field) => LABELS[field]}
        href={(field) => `#sign-${field === "public" ? "visibility-public" : field}`}
      />
      {props.withoutJavaScript}
      <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
      <input type="hidden" name="revision" value={String(props.revision)} />
      <div class="field">
        <label for="sign-name">
          {LABELS.name} <span class="required">(required)</span>
        </label>
        <input
          id="sign-name"
          name="name"
          type="text"
          required
          maxlength={LIMITS.name}
          autocomplete="name"
          value={v.name ?? ""}
          {...invalid("name", errors)}
        />
        <FieldError id="name-error" error={errors?.name} />
      </div>
      <div class="field">
        <label for="sign-place">
          {LABELS.place} <span class="optional">(optional)</span>
        </label>
        <input
          id="sign-place"
          name="place"
          type="text"
          maxlength={LIMITS.place}
          autocomplete="address-level2"
          value={v.place ?? ""}
          {...invalid("place", errors)}
        />
        <FieldError id="place-error" error={errors?.place} />
      </div>
      <div class="field">
        <label for="sign-website">
          {LABELS.website} <span class="optional">(optional)</span>
        </label>
        <input
          id="sign-website"
          name="website"
          type="text"
          inputmode="url"
          maxlength={LIMITS.website}
          autocomplete="url"
          placeholder="https://"
          value={v.website ?? ""}
          {...invalid("website", errors)}
        />
        <FieldError id="website-error" error={errors?.website} />
      </div>
      <div class="field">
        <label for="sign-email">
          {LABELS.email}{" "}
          {props.email === "required" ? (
            <span class="required">(required: we mail you a link to confirm)</span>
          ) : props.email === "mailed" ? (
            <span class="optional">(optional: to receive your private link by mail)</span>
          ) : (
            <span class="optional">(optional: counts you once if you sign again; never shown)</span>
          )}
        </label>
        <input
          id="sign-email"
          name="email"
          type="email"
          maxlength={LIMITS.email}
          autocomplete="email"
          required={props.email === "required"}
          value={v.email ?? ""}
          {...invalid("email", errors)}
        />
        <FieldError id="email-error" error={errors?.email} />
      </div>
      <div class="field">
        <label for="sign-comment">
          {LABELS.comment} <span class="optional">(optional, up to {LIMITS.comment} characters)</span>
        </label>
        <textarea id="sign-comment" name="comment" rows={3} maxlength={LIMITS.comment} {...invalid("comment", errors)}>
          {v.comment ?? ""}
        </textarea>
        <FieldError id="comment-error" error={errors?.comment} />
      </div>
      <fieldset class="field choice" {...(errors?.public != null ? { "aria-describedby": "public-error" } : {})}>
        <legend>{LABELS.public}</legend>
        <label>
          <input
            id="sign-visibility-public"
            type="radio"
            name="visibility"
            value="public"
            checked={visibility === "public"}
          />{" "}
          Show my name (and place, website, comment) publicly
        </label>
        <label>
          <input type="radio" name="visibility" value="count" checked={visibility === "count"} /> Count me only: do not
          show my name
        </label>
        <FieldError id="public-error" error={errors?.public} />
      </fieldset>
      <Honeypot id="sign-phone" />
      {props.proofOfWork}
      <p class="actions">
        <button type="submit">Sign this Declaration</button>
      </p>
      <p class="fine-print">
        See <a href="/privacy">what we store and for how long</a>. You can withdraw at any time with the private link
        you get after signing.
      </p>
    </form>
  );
}
