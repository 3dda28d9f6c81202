/**
 * (Over 400 lines: one admin page's markup, a section per concern.)
 *
 * The site owner's federation page: reports from other servers (open ones
 * first, resolved ones folded away), fediverse signatures per server (hold,
 * count, remove), which reactions sign, and the blocked domains.
 */
import type { HeldSigner, ServerSignatures } from "../../db/reactions.ts";
import type { FedReport } from "../../db/schema.ts";
import { CSRF_FIELD } from "../kit/csrf.ts";
import { formatDate } from "../kit/format.ts";
import { type Notice, StatusNotice } from "../kit/notice.tsx";
import { ErrorSummary, FieldError } from "../layout/FormErrors.tsx";

export type ReportRow = FedReport & { slug: string | null; from: string | null };
export type ServerRow = ServerSignatures & { heldSigners: HeldSigner[] };

export interface FederationAdminProps {
  csrf: string;
  openReports: ReportRow[];
  resolvedReports: ReportRow[];
  servers: ServerRow[];
  /** The per-server limit on new signers, in words; null when there is none. */
  signerLimit: string | null;
  /** Which reactions sign, as shown in (or sent back to) the form. */
  signing: { favourite: boolean; emoji: string };
  signingError?: string;
  /** A refused server action (the confirmation box not ticked). */
  serverError?: { host: string; message: string };
  blocks: { domain: string; reason: string; created: Date }[];
  /** What was typed in the block form, kept when it comes back. */
  values?: { domain?: string; reason?: string };
  errors?: { domain?: string; reason?: string };
  /** A confirmation after a change. */
  notice?: Notice;
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
          {r.slug != null ? (
            <a href={`/d/${r.slug}`}>{r.slug}</a>
          ) : (
            <span class="muted">no Declaration of this site</span>
          )}
        </span>
        <time datetime={r.created.toISOString()}>{formatDate(r.created)}</time>
      </p>
      {r.content.trim() !== "" ? (
        <p class="report-text">{r.content}</p>
      ) : (
        <p class="report-text muted">No comment was sent with this report.</p>
      )}
      {r.objectUris.length > 0 && (
        <details class="report-objects">
          <summary>
            {r.objectUris.length === 1 ? "1 reported object" : `${r.objectUris.length} reported objects`}
          </summary>
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

function Hidden(props: { csrf: string; host: string }) {
  return (
    <>
      <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
      <input type="hidden" name="host" value={props.host} />
    </>
  );
}

/** A button on one held signature. */
function HeldAction(props: {
  action: "release" | "remove";
  label: string;
  id: number;
  who: string;
  csrf: string;
  host: string;
}) {
  return (
    <form method="post" action={`/admin/federation/held/${props.id}/${props.action}`} class="inline-actions">
      <Hidden csrf={props.csrf} host={props.host} />
      <button type="submit" class="secondary">
        {props.label}
        <span class="visually-hidden"> the signature of {props.who}</span>
      </button>
    </form>
  );
}

function Server(props: { server: ServerRow; csrf: string; error: string | undefined }) {
  const s = props.server;
  const id = `server-${s.host.replace(/[^a-z0-9-]/g, "-")}`;
  return (
    <li class="server" id={id}>
      <p class="server-head">
        <span class="server-host">{s.host}</span>
        <span>
          {s.confirmed} counted, {s.held} held{s.onHold ? " — on hold" : ""}
        </span>
        <span class="fine-print">latest {formatDate(s.latest)}</span>
      </p>
      <div class="inline-actions">
        {s.onHold || s.held > 0 ? (
          <form method="post" action="/admin/federation/servers/release">
            <Hidden csrf={props.csrf} host={s.host} />
            <button type="submit" class="secondary">
              {s.onHold ? "Release" : "Count the held ones"}
              <span class="visually-hidden"> of {s.host}</span>
            </button>
          </form>
        ) : null}
        {!s.onHold && (
          <form method="post" action="/admin/federation/servers/hold">
            <Hidden csrf={props.csrf} host={s.host} />
            <button type="submit" class="secondary">
              Hold<span class="visually-hidden"> the signatures of {s.host}</span>
            </button>
          </form>
        )}
        {s.confirmed + s.held > 0 && (
          <form method="post" action="/admin/federation/servers/remove">
            <Hidden csrf={props.csrf} host={s.host} />
            <label class="server-confirm">
              <input
                type="checkbox"
                name="confirm"
                value="yes"
                {...(props.error != null ? { "aria-invalid": "true", "aria-describedby": `${id}-error` } : {})}
              />{" "}
              Yes, remove them
            </label>
            <button type="submit" class="secondary">
              Remove all {s.confirmed + s.held}
              <span class="visually-hidden"> signatures from {s.host}</span>
            </button>
          </form>
        )}
      </div>
      <FieldError id={`${id}-error`} error={props.error} />
      {s.heldSigners.length > 0 && (
        <details class="held-signers" open={s.heldSigners.length <= 10}>
          <summary>
            {s.heldSigners.length === 1 ? "1 held signature" : `${s.heldSigners.length} held signatures`}
          </summary>
          <ul>
            {s.heldSigners.map((h) => (
              <li>
                <a href={webHref(h.url)} rel="nofollow noopener noreferrer">
                  {h.name ?? h.handle ?? linkText(h.url)}
                </a>{" "}
                {h.handle != null && <span class="muted">@{h.handle}</span>} signed{" "}
                <a href={`/d/${h.slug}`}>{h.slug}</a> on {formatDate(h.created)}
                <HeldAction
                  action="release"
                  label="Count"
                  id={h.id}
                  who={h.name ?? h.handle ?? h.url}
                  csrf={props.csrf}
                  host={s.host}
                />
                <HeldAction
                  action="remove"
                  label="Remove"
                  id={h.id}
                  who={h.name ?? h.handle ?? h.url}
                  csrf={props.csrf}
                  host={s.host}
                />
              </li>
            ))}
          </ul>
        </details>
      )}
    </li>
  );
}

function Servers(props: FederationAdminProps) {
  return (
    <>
      <h2 id="servers-title">Fediverse signatures by server</h2>
      <p>
        {props.signerLimit == null
          ? "Every new fediverse signature is counted at once, unless its server is on hold."
          : `New signers from one server beyond ${props.signerLimit} are held: they are not counted until you count them.`}{" "}
        A server on hold has all its signatures held, new ones included, until you release it. Removing a server’s
        signatures withdraws them and erases what they showed; to refuse the server altogether, block its domain below.
      </p>
      {props.servers.length === 0 ? (
        <p class="empty">No fediverse signatures yet.</p>
      ) : (
        <ul class="servers" aria-labelledby="servers-title">
          {props.servers.map((s) => (
            <Server
              server={s}
              csrf={props.csrf}
              error={props.serverError?.host === s.host ? props.serverError.message : undefined}
            />
          ))}
        </ul>
      )}
    </>
  );
}

function Signing(props: FederationAdminProps) {
  const e = props.signingError;
  return (
    <>
      <h2 id="signing-title">Which reactions sign</h2>
      <p>
        Favouriting a Declaration’s post on another server signs it, and so do the emoji reactions listed here (Misskey,
        Pleroma, Akkoma and others send emoji). Other reactions are kept as reactions and do not sign. Skin tones and
        emoji variants count as the same emoji; a server’s own emoji is written as its <code>:shortcode:</code>.
      </p>
      <form
        method="post"
        action="/admin/federation/signing"
        class="account-form"
        aria-labelledby="signing-title"
        novalidate
      >
        <ErrorSummary
          fields={e != null ? (["emoji"] as const) : []}
          errors={{ emoji: e }}
          label={() => "Emoji that sign"}
          href={() => "#signing-emoji"}
        />
        <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
        <div class="field checkbox-field">
          <label>
            <input type="checkbox" name="favourite" value="yes" checked={props.signing.favourite} /> A favourite (a
            “like” without an emoji) signs
          </label>
        </div>
        <div class="field">
          <label for="signing-emoji">Emoji that sign</label>
          <p class="hint" id="signing-emoji-hint">
            Separated by spaces. Empty: no emoji reaction signs.
          </p>
          <textarea
            id="signing-emoji"
            name="emoji"
            rows={3}
            aria-describedby={e != null ? "signing-emoji-hint emoji-error" : "signing-emoji-hint"}
            {...(e != null ? { "aria-invalid": "true" } : {})}
          >
            {props.signing.emoji}
          </textarea>
          <FieldError id="emoji-error" error={e} />
        </div>
        <p class="actions">
          <button type="submit">Save</button>
        </p>
      </form>
    </>
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
      <StatusNotice notice={props.notice} />
      <h2 id="reports-title">Reports</h2>
      <p>
        Other servers’ moderators send these when someone there reports a Declaration or its posts. They are in the one
        queue with visitors’ reports at <a href="/admin/declarations">Declarations and reports</a>, where you can
        unpublish, hide or delete what they name; “Resolved” here dismisses one.
      </p>
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
          <summary>
            {props.resolvedReports.length === 1
              ? "1 resolved report"
              : `${props.resolvedReports.length} resolved reports`}
          </summary>
          <ol class="reports">
            {props.resolvedReports.map((r) => (
              <Report report={r} csrf={props.csrf} open={false} />
            ))}
          </ol>
        </details>
      )}

      <Servers {...props} />
      <Signing {...props} />

      <h2 id="blocks-title">Blocked domains</h2>
      <p>
        A blocked server’s activities are refused and nothing is delivered to it; its accounts stop following. Blocking
        a domain blocks its subdomains too.
      </p>
      {props.blocks.length === 0 ? (
        <p class="empty">No domain is blocked.</p>
      ) : (
        <ul class="domain-blocks" aria-labelledby="blocks-title">
          {props.blocks.map((b) => (
            <li>
              <span class="block-domain">{b.domain}</span>
              <span class="block-reason">
                {b.reason !== "" ? b.reason : <span class="muted">No reason given</span>}
              </span>
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
      <form
        method="post"
        action="/admin/federation/blocks"
        class="account-form block-form"
        aria-labelledby="block-form-title"
        novalidate
      >
        <ErrorSummary
          fields={fields}
          errors={e}
          label={(f) => (f === "domain" ? "Domain" : "Reason")}
          href={(f) => `#block-${f}`}
        />
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
