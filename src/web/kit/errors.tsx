import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { WebEnv } from "./context.ts";
import { ErrorView } from "../layout/ErrorView.tsx";
import { Layout } from "../layout/Layout.tsx";

/** Renders a 404 page with a specific message. */
export function notFoundPage(c: Context<WebEnv>, message?: string) {
  const { config } = c.get("deps");
  return c.html(
    <Layout title="Not found" siteName={config.instanceName}>
      <ErrorView status={404} message={message} />
    </Layout>,
    404,
  );
}

/** The JSON API's one error shape: `{"error":{"code","message","field"?}}` with the matching status. */
export function apiError(c: Context, status: ContentfulStatusCode, code: string, message: string, field?: string) {
  return c.json({ error: { code, message, ...(field != null ? { field } : {}) } }, status);
}
