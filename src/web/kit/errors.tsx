import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { MessageKey } from "../../i18n/index.ts";
import type { WebEnv } from "./context.ts";
import { pageLanguage } from "./locale.ts";
import { ErrorView } from "../layout/ErrorView.tsx";
import { Layout } from "../layout/Layout.tsx";

const TITLES: Record<404 | 500 | 503, MessageKey> = {
  404: "error.notFound.title",
  500: "error.server.title",
  503: "error.unavailable.title",
};

/**
 * An error page in the visitor's language.  `message` replaces the default
 * text; a caller's message is shown as given (not every caller's text is in
 * the catalogs yet), `messageKey` is one that is.
 */
export function errorPage(
  c: Context<WebEnv>,
  status: 404 | 500 | 503,
  message?: string | { readonly key: MessageKey },
) {
  const { config } = c.get("deps");
  const { locale, t } = pageLanguage(c);
  const text = typeof message === "object" ? t(message.key) : message;
  return c.html(
    <Layout title={t(TITLES[status])} siteName={config.instanceName} locale={locale}>
      <ErrorView status={status} locale={locale} {...(text == null ? {} : { message: text })} />
    </Layout>,
    status,
  );
}

/** Renders a 404 page with a specific message. */
export function notFoundPage(c: Context<WebEnv>, message?: string) {
  return errorPage(c, 404, message);
}

/** The JSON API's one error shape: `{"error":{"code","message","field"?}}` with the matching status. */
export function apiError(c: Context, status: ContentfulStatusCode, code: string, message: string, field?: string) {
  return c.json({ error: { code, message, ...(field != null ? { field } : {}) } }, status);
}
