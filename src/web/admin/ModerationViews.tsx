/**
 * The site owner's moderation pages: the one queue of reports (visitors' and
 * other servers' `Flag`s) with a resolution each, every Declaration and Copy
 * with its state, and one Declaration's page with the actions (unpublish,
 * hide from `/`, show, publish again, delete), each with a reason the author
 * is shown.
 */
import type { ModeratedDeclaration, QueuedReport } from "../../db/moderation.ts";
import type { ModerationAction } from "../../db/schema.ts";
import { CopyMark } from "../declarations/index.ts";
import { CSRF_FIELD } from "../kit/csrf.ts";
import { formatDate, plural } from "../kit/format.ts";
import { type Notice, StatusNotice } from "../kit/notice.tsx";
import { ErrorSummary, FieldError } from "../layout/FormErrors.tsx";

export const MODERATION_PATH = "/admin/declarations";

const STATUS: Record<ModeratedDeclaration["status"], string> = {
  published: "Published",
  draft: "Draft",
  withdrawn: "Unpublished",
};

const ACTION_PAST: Record<ModerationAction["action"], string> = {
  unpublish: "Unpublished",
  hide: "Hidden from the list",
  show: "Shown on the list again",
  publish: "Published again",
  delete: "Deleted",
};

function linkText(uri: string): string {
  return URL.canParse(uri) ? new URL(uri).host + new URL(uri).pathname : uri;
}

/**
 * A link to what another server named, only when it is an http(s) address:
 * a Flag's objects and actor are the sender's words (`javascript:` and
 * `data:` among them), shown as text otherwise.
 */
function RemoteLink(props: { uri: string }) {
  const safe = URL.canParse(props.uri) && ["https:", "http:"].includes(new URL(props.uri).protocol);
  if (!safe) return <code>{props.uri}</code>;
  return (
    <a href={props.uri} rel="nofollow noopener noreferrer">
      {linkText(props.uri)}
    </a>
  );
}

function StateLine(props: { d: ModeratedDeclaration }) {
  const d = props.d;
  return (
    <span class="state">
      {STATUS[d.status]}
      {d.hidden ? " · hidden from the list" : ""}
      {" · "}
      {plural(d.signatureCount, "signature", "signatures")}
      {d.openReports > 0 && (
        <>
          {" · "}
          <strong>{plural(d.openReports, "open report", "open reports")}</strong>
        </>
      )}
    </span>
  );
}

export interface ReasonErrors {
  action?: string;
  resolution?: string;
  reason?: string;
}

function ReportItem(props: {
  report: QueuedReport;
  csrf: string;
  open: boolean;
  values?: { resolution?: string; reason?: string } | undefined;
  errors?: ReasonErrors | undefined;
}) {
  const r = props.report;
  const key = `${r.kind}-${r.id}`;
  const e = props.errors ?? {};
  const fields = (["resolution", "reason"] as const).filter((f) => e[f] != null);
  return (
    <li class="report" id={`report-${key}`}>
      <p class="report-summary">
        <strong>{r.kind === "visitor" ? "A visitor" : "Another server"}</strong> reported{" "}
        {r.slug != null ? (
          <a href={`${MODERATION_PATH}/${r.slug}`}>{r.title ?? r.slug}</a>
        ) : (
          <em>something that is not (or no longer) one of our Declarations</em>
        )}{" "}
        on <time datetime={r.created.toISOString()}>{formatDate(r.created)}</time>
        {r.resolved != null && (
          <>
            {" "}
            · {r.resolution ?? "resolved"} on <time datetime={r.resolved.toISOString()}>{formatDate(r.resolved)}</time>
          </>
        )}
      </p>
      {r.actorUri != null && (
        <p class="report-from">
          Sent by <RemoteLink uri={r.actorUri} /> (a <code>Flag</code> activity, signature verified)
        </p>
      )}
      {r.text !== "" ? <p class="report-text">{r.text}</p> : <p class="report-text muted">No reason was given.</p>}
      {r.objectUris.length > 0 && (
        <details class="report-objects">
          <summary>{plural(r.objectUris.length, "reported object", "reported objects")}</summary>
          <ul>
            {r.objectUris.map((u) => (
              <li>
                <RemoteLink uri={u} />
              </li>
            ))}
          </ul>
        </details>
      )}
      {props.open && (
        <form method="post" action={`${MODERATION_PATH}/reports/${r.kind}/${r.id}`} class="resolve-form">
          <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
          <ErrorSummary
            fields={fields}
            errors={e}
            label={(f) => (f === "reason" ? "Reason" : "Resolution")}
            href={(f) => `#${f}-${key}`}
          />
          <fieldset>
            <legend>Resolve</legend>
            {(r.slug != null
              ? [
                  ["dismiss", "Dismiss (nothing to do)"],
                  ["hide", "Hide it from the list on /"],
                  ["unpublish", "Unpublish it"],
                  ["delete", "Delete it"],
                ]
              : [["dismiss", "Dismiss"]]
            ).map(([value, label], i) => (
              <label class="choice">
                <input
                  type="radio"
                  name="resolution"
                  value={value}
                  id={i === 0 ? `resolution-${key}` : undefined}
                  checked={(props.values?.resolution ?? "dismiss") === value}
                />{" "}
                {label}
              </label>
            ))}
            <FieldError id={`resolution-${key}-error`} error={e.resolution} />
          </fieldset>
          {r.slug != null && (
            <>
              <label for={`reason-${key}`}>Reason (shown to the author when you hide, unpublish or delete)</label>
              <textarea
                id={`reason-${key}`}
                name="reason"
                rows={2}
                maxlength={1000}
                {...(e.reason != null ? { "aria-invalid": "true", "aria-describedby": `reason-${key}-error` } : {})}
              >
                {props.values?.reason ?? ""}
              </textarea>
              <FieldError id={`reason-${key}-error`} error={e.reason} />
            </>
          )}
          <p class="inline-actions">
            <button type="submit">Resolve</button>
          </p>
        </form>
      )}
    </li>
  );
}

export interface ModerationListProps {
  csrf: string;
  notice?: Notice | undefined;
  openReports: QueuedReport[];
  resolvedReports: QueuedReport[];
  declarations: ModeratedDeclaration[];
  /** A report form sent back with its errors. */
  failed?: { kind: string; id: number; values: { resolution?: string; reason?: string }; errors: ReasonErrors };
}

/** `/admin/declarations`: the reports queue, then every Declaration and Copy. */
export function ModerationListView(props: ModerationListProps) {
  const failedKey = props.failed == null ? null : `${props.failed.kind}-${props.failed.id}`;
  return (
    <section class="prose-page moderation-admin" aria-labelledby="moderation-title">
      <p class="breadcrumb">
        <a href="/admin">Site administration</a>
      </p>
      <h1 id="moderation-title">Declarations and reports</h1>
      <StatusNotice notice={props.notice} />
      <h2 id="queue-title">Reports</h2>
      <p>
        Reports from visitors of this site and from other servers’ moderators (<code>Flag</code>), oldest first.
        Resolving one by an action resolves the other open reports about the same Declaration too.
      </p>
      {props.openReports.length === 0 ? (
        <p class="empty">No open reports.</p>
      ) : (
        <ol class="reports" aria-labelledby="queue-title">
          {props.openReports.map((r) => {
            const failed = failedKey === `${r.kind}-${r.id}` ? props.failed : undefined;
            return <ReportItem report={r} csrf={props.csrf} open values={failed?.values} errors={failed?.errors} />;
          })}
        </ol>
      )}
      {props.resolvedReports.length > 0 && (
        <details class="resolved-reports">
          <summary>{plural(props.resolvedReports.length, "resolved report", "resolved reports")}</summary>
          <ol class="reports">
            {props.resolvedReports.map((r) => (
              <ReportItem report={r} csrf={props.csrf} open={false} />
            ))}
          </ol>
        </details>
      )}
      <h2 id="all-title">Every Declaration and copy</h2>
      <p>
        {plural(props.declarations.length, "Declaration", "Declarations")}, the site’s own first. Open one to unpublish
        it, hide it from the list on <a href="/">/</a>, or delete it.
      </p>
      <ol class="moderation-list" aria-labelledby="all-title">
        {props.declarations.map((d) => (
          <li id={`declaration-${d.slug}`}>
            <p class="moderation-item-title">
              <a href={`${MODERATION_PATH}/${d.slug}`}>{d.title}</a> <code>/d/{d.slug}</code>
            </p>
            <CopyMark d={d} />
            <p class="meta">
              <StateLine d={d} />
            </p>
          </li>
        ))}
      </ol>
    </section>
  );
}

export interface ModerationFormValues {
  action?: string;
  reason?: string;
}

export interface ModerationDetailProps {
  csrf: string;
  notice?: Notice | undefined;
  declaration: ModeratedDeclaration;
  reports: QueuedReport[];
  actions: (ModerationAction & { by: string | null })[];
  values?: ModerationFormValues;
  errors?: ReasonErrors;
}

/** `/admin/declarations/{slug}`: one Declaration, its reports, what was done, and the actions. */
export function ModerationDetailView(props: ModerationDetailProps) {
  const d = props.declaration;
  const e = props.errors ?? {};
  const fields = (["action", "reason"] as const).filter((f) => e[f] != null);
  const choices: [string, string][] = [];
  if (d.status === "published") choices.push(["unpublish", "Unpublish: off the list, no new signatures"]);
  if (d.status === "withdrawn") choices.push(["publish", "Publish again"]);
  if (d.hidden) choices.push(["show", "Show it on the list on / again"]);
  else choices.push(["hide", "Hide it from the list on / (its page stays, and it can still be signed)"]);
  choices.push(["delete", "Delete it, with its versions and signatures"]);
  const chosen = props.values?.action ?? choices[0]![0];
  return (
    <section class="prose-page moderation-admin" aria-labelledby="moderation-title">
      <p class="breadcrumb">
        <a href={MODERATION_PATH}>Declarations and reports</a>
      </p>
      <h1 id="moderation-title">Moderate “{d.title}”</h1>
      <StatusNotice notice={props.notice} />
      <p>
        <a href={`/d/${d.slug}`}>/d/{d.slug}</a>
      </p>
      <CopyMark d={d} />
      <p class="meta">
        <StateLine d={d} />
      </p>
      <p class="hint">
        As the site’s owner you moderate a Declaration; you do not edit its author’s text. To change the words, make
        your own copy.
      </p>
      <form method="post" action={`${MODERATION_PATH}/${d.slug}`} class="moderation-form">
        <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
        <ErrorSummary
          fields={fields}
          errors={e}
          label={(f) => (f === "reason" ? "Reason" : "Action")}
          href={(f) => `#${f}`}
        />
        <fieldset>
          <legend>Action</legend>
          {choices.map(([value, label], i) => (
            <label class="choice">
              <input
                type="radio"
                name="action"
                value={value}
                id={i === 0 ? "action" : undefined}
                checked={chosen === value}
              />{" "}
              {label}
            </label>
          ))}
          <FieldError id="action-error" error={e.action} />
        </fieldset>
        <label for="reason">Reason</label>
        <p class="hint" id="reason-hint">
          Required to unpublish, hide or delete: the author is shown it on their page, editor and account.
        </p>
        <textarea
          id="reason"
          name="reason"
          rows={3}
          maxlength={1000}
          aria-describedby={e.reason != null ? "reason-hint reason-error" : "reason-hint"}
          {...(e.reason != null ? { "aria-invalid": "true" } : {})}
        >
          {props.values?.reason ?? ""}
        </textarea>
        <FieldError id="reason-error" error={e.reason} />
        <p class="inline-actions">
          <button type="submit">Apply</button>
        </p>
      </form>
      <h2 id="reports-title">Reports about it</h2>
      {props.reports.length === 0 ? (
        <p class="empty">No open reports.</p>
      ) : (
        <ol class="reports" aria-labelledby="reports-title">
          {props.reports.map((r) => (
            <ReportItem report={r} csrf={props.csrf} open />
          ))}
        </ol>
      )}
      <h2 id="history-title">What was done</h2>
      {props.actions.length === 0 ? (
        <p class="empty">Nothing yet.</p>
      ) : (
        <ol class="moderation-history" aria-labelledby="history-title">
          {props.actions.map((a) => (
            <li>
              <time datetime={a.created.toISOString()}>{formatDate(a.created)}</time>: {ACTION_PAST[a.action]} by{" "}
              {a.by ?? "the command line"}
              {a.reason !== "" && (
                <>
                  {" "}
                  — <q>{a.reason}</q>
                </>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
