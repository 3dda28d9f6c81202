/**
 * The site owner's federation page: reports from other servers (open ones
 * first, resolved ones folded away) and the blocked domains.
 */
import type { FedReport } from "../../db/schema.ts";
import { CSRF_FIELD } from "../csrf.ts";
import { formatDate } from "../format.ts";
import { ErrorSummary, FieldError } from "./FormErrors.tsx";

export type ReportRow = FedReport & { slug: string | null; from: string | null };

export interface FederationAdminProps {
  csrf: string;
  openReports: ReportRow[];
  resolvedReports: ReportRow[];
  blocks: { domain: string; reason: string; created: Date }[];
  /** What was typed in the block form, kept when it comes back. */
  values?: { domain?: string; reason?: string };
  errors?: { domain?: string; reason?: string };
  /** A confirmation after a change. */
  notice?: string;
}

function linkText(uri: string): string {
  return URL.canParse(uri) ? new URL(uri).host + new URL(uri).pathname : uri;
}

/**
 * A report's links are the reporting server's: a Flag's objects can be any
 * URL, `javascript:` ones included, so only http(s) ones are made links.
 */
function webHref(uri: string): string | undefined {
  return /^https?:\/\//i.test(uri) ? uri : undefined;
}

function Report(props: { report: ReportRow; csrf: string; open: boolean }) {
  const r = props.report;
  return (
    <li class="report" id={`report-${r.id}`}>
      <p class="report-head">
        <span>
          From{" "}
          <a href={webHref(r.actorUri)} rel="nofollow noopener noreferrer">
            {r.from ?? linkText(r.actorUri)}
          </a>
        </span>
        <span>
          about{" "}
          {r.slug != null ? <a href={`/d/${r.slug}`}>{r.slug}</a> : <span class="muted">no Declaration of this site</span>}
        </span>
        <time datetime={r.created.toISOString()}>{formatDate(r.created)}</time>
      </p>
      {r.content.trim() !== "" ? <p class="report-text">{r.content}</p> : <p class="report-text muted">No comment was sent with this report.</p>}
      {r.objectUris.length > 0 && (
        <details class="report-objects">
          <summary>{r.objectUris.length === 1 ? "1 reported object" : `${r.objectUris.length} reported objects`}</summary>
          <ul>
            {r.objectUris.map((uri) => (
              <li>
                <a href={webHref(uri)} rel="nofollow noopener noreferrer" class="link-text">
                  {linkText(uri)}
                </a>
              </li>
            ))}
          </ul>
        </details>
      )}
      {props.open ? (
        <form method="post" action={`/admin/federation/reports/${r.id}/resolve`} class="inline-actions">
          <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
          <button type="submit" class="secondary">
            Resolved<span class="visually-hidden">: the report from {r.from ?? linkText(r.actorUri)}</span>
          </button>
        </form>
      ) : (
        r.resolved != null && <p class="fine-print">Resolved on {formatDate(r.resolved)}.</p>
      )}
    </li>
  );
}

export function FederationAdminView(props: FederationAdminProps) {
  const v = props.values ?? {};
  const e = props.errors ?? {};
  const fields = (["domain", "reason"] as const).filter((f) => e[f] != null);
  return (
    <section class="prose-page federation-admin" aria-labelledby="federation-title">
      <p class="breadcrumb">
        <a href="/admin">Site administration</a>
      </p>
      <h1 id="federation-title">Federation</h1>
      {props.notice != null && (
        <p class="notice" role="status">
          {props.notice}
        </p>
      )}
      <h2 id="reports-title">Reports</h2>
      <p>Other servers’ moderators send these when someone there reports a Declaration or its posts.</p>
      {props.openReports.length === 0 ? (
        <p class="empty">No open reports.</p>
      ) : (
        <ol class="reports" aria-labelledby="reports-title">
          {props.openReports.map((r) => (
            <Report report={r} csrf={props.csrf} open />
          ))}
        </ol>
      )}
      {props.resolvedReports.length > 0 && (
        <details class="resolved-reports">
          <summary>{props.resolvedReports.length === 1 ? "1 resolved report" : `${props.resolvedReports.length} resolved reports`}</summary>
          <ol class="reports">
            {props.resolvedReports.map((r) => (
              <Report report={r} csrf={props.csrf} open={false} />
            ))}
          </ol>
        </details>
      )}

      <h2 id="blocks-title">Blocked domains</h2>
      <p>
        A blocked server’s activities are refused and nothing is delivered to it; its accounts stop following. Blocking a domain blocks its
        subdomains too.
      </p>
      {props.blocks.length === 0 ? (
        <p class="empty">No domain is blocked.</p>
      ) : (
        <ul class="domain-blocks" aria-labelledby="blocks-title">
          {props.blocks.map((b) => (
            <li>
              <span class="block-domain">{b.domain}</span>
              <span class="block-reason">{b.reason !== "" ? b.reason : <span class="muted">No reason given</span>}</span>
              <span class="fine-print">since {formatDate(b.created)}</span>
              <form method="post" action="/admin/federation/blocks/remove" class="inline-actions">
                <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
                <input type="hidden" name="domain" value={b.domain} />
                <button type="submit" class="secondary">
                  Unblock<span class="visually-hidden"> {b.domain}</span>
                </button>
              </form>
            </li>
          ))}
        </ul>
      )}
      <h3 id="block-form-title">Block a domain</h3>
      <form method="post" action="/admin/federation/blocks" class="account-form block-form" aria-labelledby="block-form-title" novalidate>
        <ErrorSummary fields={fields} errors={e} label={(f) => (f === "domain" ? "Domain" : "Reason")} href={(f) => `#block-${f}`} />
        <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
        <div class="field">
          <label for="block-domain">Domain</label>
          <p class="hint" id="block-domain-hint">
            Only the server’s name, for example spam.example.
          </p>
          <input
            id="block-domain"
            name="domain"
            type="text"
            required
            maxlength={253}
            autocomplete="off"
            autocapitalize="none"
            spellcheck={false}
            value={v.domain ?? ""}
            aria-describedby={e.domain != null ? "block-domain-hint domain-error" : "block-domain-hint"}
            {...(e.domain != null ? { "aria-invalid": "true" } : {})}
          />
          <FieldError id="domain-error" error={e.domain} />
        </div>
        <div class="field">
          <label for="block-reason">
            Reason <span class="optional">(optional, for your own notes)</span>
          </label>
          <input
            id="block-reason"
            name="reason"
            type="text"
            maxlength={500}
            autocomplete="off"
            value={v.reason ?? ""}
            {...(e.reason != null ? { "aria-invalid": "true", "aria-describedby": "reason-error" } : {})}
          />
          <FieldError id="reason-error" error={e.reason} />
        </div>
        <p class="actions">
          <button type="submit">Block</button>
        </p>
      </form>
    </section>
  );
}
