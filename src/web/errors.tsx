import type { Context } from "hono";
import type { WebEnv } from "./context.ts";
import { ErrorView } from "./views/ErrorView.tsx";
import { Layout } from "./views/Layout.tsx";

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
