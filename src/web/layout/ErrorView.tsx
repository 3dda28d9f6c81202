import { type Locale, t } from "../../i18n/index.ts";

/** The body of an error page, in the page's language; `message` (already in that language) replaces the default text. */
export function ErrorView(props: { status: 404 | 500 | 503; message?: string; locale?: Locale }) {
  const locale = props.locale ?? "en";
  if (props.status === 503) {
    return (
      <section class="error-page">
        <h1>{t(locale, "error.unavailable.title")}</h1>
        <p>{props.message ?? t(locale, "error.unavailable.message")}</p>
        <p>
          <a href="/">{t(locale, "error.back")}</a>
        </p>
      </section>
    );
  }
  if (props.status === 404) {
    return (
      <section class="error-page">
        <h1>{t(locale, "error.notFound.title")}</h1>
        <p>{props.message ?? t(locale, "error.notFound.message")}</p>
        <p>
          <a href="/">{t(locale, "error.notFound.link")}</a>
        </p>
      </section>
    );
  }
  return (
    <section class="error-page">
      <h1>{t(locale, "error.server.title")}</h1>
      <p>{t(locale, "error.server.message")}</p>
      <p>
        <a href="/">{t(locale, "error.back")}</a>
      </p>
    </section>
  );
}
