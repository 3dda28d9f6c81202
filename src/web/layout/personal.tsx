/**
 * Helpers for pages that belong to one person (account, editor, admin): never
 * cached, with the header showing who is logged in.
 */
import type { Context } from "hono";
import type { Child } from "hono/jsx";
import type { BodyError } from "../kit/body.ts";
import type { WebEnv } from "../kit/context.ts";
import { csrfToken } from "../kit/csrf.ts";
import { currentAccount } from "../kit/session.ts";
import { Layout } from "./Layout.tsx";

export type PersonalStatus = 200 | 201 | 400 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 502 | 503;

/** A page for the person logged in (or about to): `Cache-Control: no-store`. */
export function personalPage(c: Context<WebEnv>, title: string, body: Child, status: PersonalStatus = 200) {
  const { config } = c.get("deps");
  c.header("Cache-Control", "no-store");
  return c.html(
    <Layout title={title} siteName={config.instanceName} account={currentAccount(c)}>
      {body}
    </Layout>,
    status,
  );
}

/** The CSRF token for a form on this response. */
export function csrfFor(c: Context<WebEnv>): string {
  const { secret, config } = c.get("deps");
  return csrfToken(c, secret, config.origin);
}

/** 403 with a sentence saying why. */
export function forbiddenPage(c: Context<WebEnv>, message: string) {
  return personalPage(
    c,
    "Not allowed",
    <section class="error-page">
      <h1>Not allowed</h1>
      <p>{message}</p>
      <p>
        <a href="/">Back to the Declarations</a>
      </p>
    </section>,
    403,
  );
}

/** The answer to a form whose body could not be read (too large, not a form, not UTF-8): its status and reason. */
export function notSavedPage(c: Context<WebEnv>, body: BodyError, title = "Not saved") {
  return personalPage(
    c,
    title,
    <section class="error-page">
      <h1>Not saved</h1>
      <p>{body.message}</p>
    </section>,
    body.status,
  );
}
