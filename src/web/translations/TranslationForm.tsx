/**
 * The translation form (new and edit): language (fixed once made), the
 * version of the original translated, title, summary and text.  Every
 * problem is listed at the top and under its field, and what was typed is
 * kept.
 */
import type { Locale, Translate } from "../../i18n/index.ts";
import type { TranslationField, TranslationFormValues, TranslationProblem } from "../../services/translations.ts";
import { CSRF_FIELD } from "../kit/csrf.ts";

export interface TranslationFormProps {
  readonly t: Translate;
  readonly locale: Locale;
  readonly action: string;
  readonly csrf: string;
  readonly values: TranslationFormValues;
  /** The original's latest version number (the revision field's maximum). */
  readonly latest: number;
  readonly problems: readonly TranslationProblem[];
  /** Editing: the language cannot change, and one button saves. */
  readonly editing: boolean;
  /** A message about the whole form (an expired form). */
  readonly formError?: string | undefined;
}

const FIELD_IDS: Record<TranslationField, string> = {
  language: "translation-language",
  revision: "translation-revision",
  title: "translation-title",
  summary: "translation-summary",
  body: "translation-body",
  form: "translation-form",
};

export function TranslationForm(props: TranslationFormProps) {
  const { t, values, problems } = props;
  const problemOf = (field: TranslationField) => problems.find((p) => p.field === field);
  const message = (p: TranslationProblem) => t(p.key, p.values);
  const describedBy = (field: TranslationField, hint?: string) =>
    [hint, problemOf(field) != null ? `${FIELD_IDS[field]}-error` : undefined].filter(Boolean).join(" ") || undefined;
  const FieldError = (p: { field: TranslationField }) => {
    const problem = problemOf(p.field);
    return problem == null ? null : (
      <p class="field-error" id={`${FIELD_IDS[p.field]}-error`}>
        {message(problem)}
      </p>
    );
  };
  return (
    <form method="post" action={props.action} class="account-form copy-editor translation-form" id={FIELD_IDS.form}>
      <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
      {(problems.length > 0 || props.formError != null) && (
        <div class="form-errors" role="alert" tabindex={-1}>
          {props.formError != null && <p>{props.formError}</p>}
          {problems.length > 0 && (
            <>
              <p>{t("translations.form.problems")}</p>
              <ul>
                {problems.map((p) => (
                  <li>
                    <a href={`#${FIELD_IDS[p.field]}`}>{message(p)}</a>
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
      <div class="field">
        <label for={FIELD_IDS.language}>{t("translations.form.language")}</label>
        <p class="hint" id="translation-language-hint">
          {t("translations.form.languageHint")}
        </p>
        <input
          id={FIELD_IDS.language}
          name="language"
          dir="ltr"
          value={values.language}
          required
          maxlength={35}
          autocomplete="off"
          spellcheck={false}
          readonly={props.editing}
          aria-invalid={problemOf("language") != null ? "true" : undefined}
          aria-describedby={describedBy("language", "translation-language-hint")}
        />
        <FieldError field="language" />
      </div>
      <div class="field">
        <label for={FIELD_IDS.revision}>{t("translations.form.revision")}</label>
        <input
          id={FIELD_IDS.revision}
          name="revision"
          dir="ltr"
          value={values.revision}
          required
          inputmode="numeric"
          aria-invalid={problemOf("revision") != null ? "true" : undefined}
          aria-describedby={describedBy("revision")}
        />
        <FieldError field="revision" />
      </div>
      <div class="field">
        <label for={FIELD_IDS.title}>{t("translations.form.title")}</label>
        <input
          id={FIELD_IDS.title}
          name="title"
          value={values.title}
          required
          dir="auto"
          lang={values.language || undefined}
          aria-invalid={problemOf("title") != null ? "true" : undefined}
          aria-describedby={describedBy("title")}
        />
        <FieldError field="title" />
      </div>
      <div class="field">
        <label for={FIELD_IDS.summary}>{t("translations.form.summary")}</label>
        <textarea
          id={FIELD_IDS.summary}
          name="summary"
          rows={3}
          dir="auto"
          lang={values.language || undefined}
          aria-invalid={problemOf("summary") != null ? "true" : undefined}
          aria-describedby={describedBy("summary")}
        >
          {values.summary}
        </textarea>
        <FieldError field="summary" />
      </div>
      <div class="field">
        <label for={FIELD_IDS.body}>{t("translations.form.text")}</label>
        <textarea
          id={FIELD_IDS.body}
          name="body"
          rows={24}
          required
          dir="auto"
          lang={values.language || undefined}
          aria-invalid={problemOf("body") != null ? "true" : undefined}
          aria-describedby={describedBy("body")}
        >
          {values.body}
        </textarea>
        <FieldError field="body" />
      </div>
      <p class="actions">
        {props.editing ? (
          <button type="submit" name="action" value="save">
            {t("translations.form.save")}
          </button>
        ) : (
          <>
            <button type="submit" name="action" value="publish">
              {t("translations.form.publish")}
            </button>{" "}
            <button type="submit" name="action" value="draft" class="secondary">
              {t("translations.form.saveDraft")}
            </button>
          </>
        )}
      </p>
    </form>
  );
}
