/**
 * `/d/{slug}/report`: a visitor tells the site's owner what is wrong with a
 * Declaration or Copy (no account needed).  The reason alone is stored
 * (src/services/moderation.ts); the visitor's address is used only as a
 * keyed hash in memory, to limit how many reports one client sends.  The
 * report lands in the owner's queue at /admin/declarations with the `Flag`s
 * from other servers.
 */
import { Hono, type Context } from "hono";
import { getPublicDeclaration } from "../../db/declarations.ts";
import type { Declaration } from "../../db/schema.ts";
import { RateLimiter } from "../../services/limits.ts";
import { REPORT_REASON_MAX, reportDeclaration, visitorReportForm } from "../../services/moderation.ts";
import { readForm } from "../kit/body.ts";
import { clientKey } from "../kit/client.ts";
import type { WebDeps, WebEnv } from "../kit/context.ts";
import { CSRF_FIELD, verifyCsrf } from "../kit/csrf.ts";
import { notFoundPage } from "../kit/errors.tsx";
import { parseRequest } from "../kit/params.ts";
import { ErrorSummary, FieldError } from "../layout/FormErrors.tsx";
import { csrfFor, personalPage, type PersonalStatus } from "../layout/personal.tsx";

export const reportRoutes = new Hono<WebEnv>();

/** Reports per client: a person reports a few things; a script flooding the owner's queue is stopped. */
export const REPORT_LIMITS = [
  { max: 5, windowMs: 60 * 60_000 },
  { max: 20, windowMs: 24 * 60 * 60_000 },
];
const limiters = new WeakMap<WebDeps, RateLimiter>();

function limiterOf(deps: WebDeps): RateLimiter {
  let limiter = limiters.get(deps);
  if (limiter == null) {
    limiter = new RateLimiter(REPORT_LIMITS, { maxKeys: 50_000 });
    limiters.set(deps, limiter);
  }
  return limiter;
}

interface ReportPageProps {
  declaration: Declaration;
  csrf: string;
  reason?: string;
  error?: string;
  formError?: string;
  sent?: boolean;
}

function ReportView(props: ReportPageProps) {
  const d = props.declaration;
  const errors = { reason: props.error };
  return (
    <section class="prose-page report-page" aria-labelledby="report-title">
      <h1 id="report-title">Report “{d.title}”</h1>
      {props.sent === true ? (
        <p class="notice success" role="status">
          Thank you: the site’s owner will look at your report. <a href={`/d/${d.slug}`}>Back to “{d.title}”</a>
        </p>
      ) : (
        <>
          <p>
            Tell the site’s owner what is wrong with <a href={`/d/${d.slug}`}>{d.title}</a>: for example a copy that
            misleads, spam, or content against the law. Only what you write is kept: not your name, address or anything
            else about you.
          </p>
          <form method="post" action={`/d/${d.slug}/report`} class="report-form" novalidate>
            <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
            <ErrorSummary
              formError={props.formError}
              fields={props.error != null ? (["reason"] as const) : []}
              errors={errors}
              label={() => "What is wrong"}
              href={() => "#reason"}
            />
            <label for="reason">What is wrong</label>
            <textarea
              id="reason"
              name="reason"
              rows={5}
              required
              maxlength={REPORT_REASON_MAX}
              {...(props.error != null ? { "aria-invalid": "true", "aria-describedby": "reason-error" } : {})}
            >
              {props.reason ?? ""}
            </textarea>
            <FieldError id="reason-error" error={props.error} />
            <p class="inline-actions">
              <button type="submit">Send the report</button>
            </p>
          </form>
        </>
      )}
    </section>
  );
}

function reportPage(c: Context<WebEnv>, props: Omit<ReportPageProps, "csrf">, status: PersonalStatus = 200) {
  return personalPage(c, `Report ${props.declaration.title}`, <ReportView csrf={csrfFor(c)} {...props} />, status);
}

/** Published and withdrawn Declarations can be reported (drafts are nobody's business but their owner's). */
function reportable(c: Context<WebEnv>, slug: string): Declaration | undefined {
  return getPublicDeclaration(c.get("deps").db, slug);
}

reportRoutes.get("/:slug/report", (c) => {
  const slug = c.req.param("slug");
  const declaration = reportable(c, slug);
  if (declaration == null) return notFoundPage(c, `There is no Declaration “${slug}” here.`);
  return reportPage(c, { declaration, sent: c.req.query("sent") === "1" });
});

reportRoutes.post("/:slug/report", async (c) => {
  const slug = c.req.param("slug");
  const declaration = reportable(c, slug);
  if (declaration == null) return notFoundPage(c, `There is no Declaration “${slug}” here.`);
  const deps = c.get("deps");
  const body = await readForm(c);
  if (!body.ok) return reportPage(c, { declaration, formError: body.message }, body.status);
  const reason = body.value.reason ?? "";
  if (!verifyCsrf(c, deps.secret, deps.config.origin, body.value[CSRF_FIELD]))
    return reportPage(
      c,
      {
        declaration,
        reason,
        formError: "This form expired or was not sent from this site. Nothing was sent; please send it again.",
      },
      403,
    );
  const parsed = parseRequest(visitorReportForm, { reason });
  if (!parsed.ok) return reportPage(c, { declaration, reason, error: parsed.message }, 400);
  const wait = Math.ceil(limiterOf(deps).consume(clientKey(c)) / 1000);
  if (wait > 0) {
    c.header("Retry-After", String(wait));
    return reportPage(
      c,
      {
        declaration,
        reason,
        formError: `You have sent several reports recently. Please try again in ${wait > 90 ? `${Math.ceil(wait / 60)} minutes` : `${wait} seconds`}; your text is kept below.`,
      },
      429,
    );
  }
  await deps.batcher.run(() => reportDeclaration(deps.db, declaration.id, parsed.value.reason));
  return c.redirect(`/d/${slug}/report?sent=1`, 303);
});
