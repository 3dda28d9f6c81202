/**
 * Signing in the browser: the form (on the Declaration page and on its own
 * page when it comes back with errors), the POST that signs, and the public
 * lists of signatures (HTML with keyset pagination, and CSV).
 */
import { Hono, type Context } from "hono";
import { z } from "zod";
import { getPublicDeclaration } from "../../db/declarations.ts";
import { withdrawnSentence } from "../kit/visibility.tsx";
import type { Declaration } from "../../db/schema.ts";
import { listPublicSignatures, type PublicSignature } from "../../db/signatures.ts";
import { parseSignatureInput, type FieldErrors } from "../../signature-input.ts";
import { clientKey } from "../kit/client.ts";
import { readForm } from "../kit/body.ts";
import type { WebEnv } from "../kit/context.ts";
import { CSRF_FIELD, sharedFormToken, verifyCsrf } from "../kit/csrf.ts";
import { plural, signerName, signerWebsite } from "../kit/format.ts";
import { notFoundPage } from "../kit/errors.tsx";
import { POW_FIELD, REASONS, type PowRefusal } from "../../services/proof-of-work.ts";
import { NoScriptNotice, withoutJavaScriptSentence } from "./WithoutJavaScript.tsx";
import { Layout } from "../layout/Layout.tsx";
import { ProofOfWorkField } from "./ProofOfWorkField.tsx";
import { HONEYPOT_FIELD, SignForm } from "./SignForm.tsx";
import { SignatureList } from "./SignatureList.tsx";
import { pageCursor, rateLimitMessage } from "./messages.ts";
import { parseRequest } from "../kit/params.ts";

export const sign = new Hono<WebEnv>();

export const PAGE_SIZE = 50;

interface FormState {
  values?: Record<string, string>;
  errors?: FieldErrors;
  formError?: string;
}

/** The sign form for a Declaration, with a fresh CSRF token. */
export function signFormFor(c: Context<WebEnv>, declaration: Declaration, state: FormState = {}, csrf?: string) {
  const { secret, config, pow, signing } = c.get("deps");
  return (
    <SignForm
      action={`/d/${declaration.slug}/sign`}
      csrf={csrf ?? sharedFormToken(c, secret, config.origin)}
      revision={declaration.revision}
      email={signing.emailRequired ? "required" : signing.sendsMail ? "mailed" : "optional"}
      proofOfWork={
        <ProofOfWorkField
          enabled={pow.enabled}
          binding={{ action: "sign", target: declaration.slug }}
          noscript={false}
        />
      }
      withoutJavaScript={
        pow.enabled ? (
          <NoScriptNotice mail={signing.sendsMail} fediverseHref={`/d/${declaration.slug}#fediverse`} />
        ) : null
      }
      {...state}
    />
  );
}

/** The form's message for a refused anti-spam check; a missing one also names the ways without JavaScript. */
function powRefusal(c: Context<WebEnv>, declaration: Declaration, code: PowRefusal, reason: string): string {
  if (code !== "missing") return reason;
  const paths = { mail: c.get("deps").signing.sendsMail, fediverseHref: `/d/${declaration.slug}#fediverse` };
  return `${reason} ${withoutJavaScriptSentence(paths)}`;
}

/** The standalone signing page (also used to show the form again with its errors). */
function signPage(
  c: Context<WebEnv>,
  declaration: Declaration,
  state: FormState,
  status: 200 | 400 | 403 | 409 | 413 | 415 | 429,
) {
  const { config } = c.get("deps");
  return c.html(
    <Layout title={`Sign: ${declaration.title}`} siteName={config.instanceName}>
      <section class="sign-page" aria-labelledby="sign-title">
        <p class="breadcrumb">
          <a href={`/d/${declaration.slug}`}>{declaration.title}</a>
        </p>
        <h1 id="sign-title">Sign “{declaration.title}”</h1>
        <p class="meta">
          <span class="count">{plural(declaration.signatureCount, "signature", "signatures")}</span>
          <span>You sign version {declaration.revision}.</span>
        </p>
        {signFormFor(c, declaration, state)}
      </section>
    </Layout>,
    status,
  );
}

/** A short page after a signing that did not create a new signature. */
function noticePage(
  c: Context<WebEnv>,
  declaration: Declaration,
  title: string,
  lines: string[],
  status: 200 | 409 = 200,
) {
  const { config } = c.get("deps");
  return c.html(
    <Layout title={title} siteName={config.instanceName}>
      <section class="notice-page">
        <h1>{title}</h1>
        {lines.map((line) => (
          <p>{line}</p>
        ))}
        <p>
          <a href={`/d/${declaration.slug}`}>Back to “{declaration.title}”</a>
        </p>
      </section>
    </Layout>,
    status,
  );
}

/** Signing a withdrawn Declaration is refused (409); its signatures are kept. */
function withdrawnPage(c: Context<WebEnv>, declaration: Declaration) {
  return noticePage(
    c,
    declaration,
    "This Declaration was withdrawn",
    [
      withdrawnSentence(c.get("deps").db, declaration),
      "It can no longer be signed. Signatures given before are kept, and each signer can still open their signature from their private link.",
    ],
    409,
  );
}

sign.get("/:slug/sign", (c) => {
  const declaration = getPublicDeclaration(c.get("deps").db, c.req.param("slug"));
  if (declaration == null) return notFoundPage(c, `There is no Declaration “${c.req.param("slug")}” here.`);
  if (declaration.status !== "published") return withdrawnPage(c, declaration);
  return signPage(c, declaration, {}, 200);
});

sign.post("/:slug/sign", async (c) => {
  const { db, secret, config, pow, signing } = c.get("deps");
  const declaration = getPublicDeclaration(db, c.req.param("slug"));
  if (declaration == null) return notFoundPage(c, `There is no Declaration “${c.req.param("slug")}” here.`);
  if (declaration.status !== "published") return withdrawnPage(c, declaration);

  const body = await readForm(c);
  if (!body.ok) return signPage(c, declaration, { formError: body.message }, body.status);
  const values = body.value;
  const kept = { ...values };
  delete kept[CSRF_FIELD];
  delete kept[POW_FIELD];

  if (!verifyCsrf(c, secret, config.origin, values[CSRF_FIELD])) {
    return signPage(
      c,
      declaration,
      {
        values: kept,
        formError: "This form expired or was not sent from this site. Please check your entries and sign again.",
      },
      403,
    );
  }
  // Scripts fill every field; people never see this one.  Pretend it worked.
  if ((values[HONEYPOT_FIELD] ?? "") !== "") {
    return noticePage(c, declaration, "Thank you", ["Your signature has been received."]);
  }
  // The form carries the version the person read (hidden field "revision").
  // If the Declaration was revised after the form was loaded, nobody may be
  // recorded as signing a text they have not seen: show the form again, now
  // for the latest version, and say why.  (No field means the latest version.)
  const submittedRevision = values.revision ?? "";
  const stale = submittedRevision !== "" && submittedRevision !== String(declaration.revision);
  const powResult = await pow.verify(values[POW_FIELD], { action: "sign", target: declaration.slug });
  // Without JavaScript there is no proof of work; on a site that sends mail,
  // an email address confirmed by mail takes its place (docs/decisions/0030).
  const byMail = !powResult.ok && powResult.code === "missing" && signing.sendsMail;
  const parsed = parseSignatureInput(values, { emailRequired: signing.emailRequired || byMail });
  if (byMail && !parsed.ok && parsed.errors.email != null && (values.email ?? "").trim() === "") {
    parsed.errors.email =
      "The anti-spam check did not run (it needs JavaScript). Give your email address instead: we mail you a link, and your signature counts once you follow it.";
  }
  if (!parsed.ok || (!powResult.ok && !byMail) || stale) {
    const formError =
      !powResult.ok && !byMail
        ? powRefusal(c, declaration, powResult.code, powResult.reason)
        : stale
          ? `“${declaration.title}” has changed since you opened this form: it is now at version ${declaration.revision}. Please read the new version before you sign; your entries are kept below.`
          : undefined;
    return signPage(
      c,
      declaration,
      { values: kept, errors: parsed.ok ? {} : parsed.errors, ...(formError != null ? { formError } : {}) },
      parsed.ok && (powResult.ok || byMail) ? 409 : 400,
    );
  }

  const outcome = await signing.sign(declaration, parsed.value, clientKey(c), {
    proof: powResult.ok ? powResult.proof : null,
    confirmByMail: byMail,
  });
  switch (outcome.kind) {
    case "signed":
      return c.redirect(`/s/${outcome.token}?signed=1`, 303);
    case "replayed":
      return signPage(c, declaration, { values: kept, formError: REASONS.replayed }, 400);
    case "rate-limited":
      c.header("Retry-After", String(Math.ceil(outcome.retryAfterMs / 1000)));
      return signPage(c, declaration, { values: kept, formError: rateLimitMessage(outcome.retryAfterMs) }, 429);
    case "already-signed":
      return noticePage(
        c,
        declaration,
        "You have already signed",
        outcome.by === "name"
          ? [
              `“${parsed.value.name}” has just signed this Declaration from your connection. Each person is counted once.`,
            ]
          : outcome.mailed
            ? [
                "This email address has already signed this Declaration; it is counted once.",
                "We have mailed its private link to that address again.",
              ]
            : ["This email address has already signed this Declaration; it is counted once."],
      );
  }
});

const signaturesQuery = z.object({
  before: pageCursor("before must be the id of a signature from a previous page."),
});

sign.get("/:slug/signatures", (c) => {
  const { db, config } = c.get("deps");
  const declaration = getPublicDeclaration(db, c.req.param("slug"));
  if (declaration == null) return notFoundPage(c, `There is no Declaration “${c.req.param("slug")}” here.`);
  const query = parseRequest(signaturesQuery, { before: c.req.query("before") });
  if (!query.ok) return notFoundPage(c, `This page of signatures does not exist. ${query.message}`);
  const before = query.value.before;
  const rows = listPublicSignatures(db, declaration.id, { before, limit: PAGE_SIZE + 1 });
  const page = rows.slice(0, PAGE_SIZE);
  const next = rows.length > PAGE_SIZE ? page[page.length - 1]!.id : null;
  return c.html(
    <Layout title={`Signatures: ${declaration.title}`} siteName={config.instanceName}>
      <section aria-labelledby="signatures-title">
        <p class="breadcrumb">
          <a href={`/d/${declaration.slug}`}>{declaration.title}</a>
        </p>
        <h1 id="signatures-title">Signatures</h1>
        <p class="meta">
          <span class="count">{plural(declaration.signatureCount, "signature", "signatures")}</span>
          <span>Public names, newest first. People who chose to be counted only are not listed.</span>
          <a href={`/d/${declaration.slug}/signatures.csv`}>Download as CSV</a>
        </p>
        {page.length === 0 ? (
          <p class="empty">{before == null ? "No public signatures yet." : "No more signatures."}</p>
        ) : (
          <SignatureList signatures={page} latestRevision={declaration.revision} />
        )}
        <nav class="pager" aria-label="More signatures">
          {before != null && <a href={`/d/${declaration.slug}/signatures`}>Newest</a>}
          {next != null && (
            <a href={`/d/${declaration.slug}/signatures?before=${next}`} rel="next">
              Older signatures
            </a>
          )}
        </nav>
      </section>
    </Layout>,
  );
});

/** Quotes a CSV cell; cells that a spreadsheet would run as a formula get a leading apostrophe. */
function csvCell(value: string | number | null): string {
  if (value == null) return "";
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvRow(s: PublicSignature): string {
  return (
    [signerName(s), s.place, signerWebsite(s), s.comment, s.revision, s.created.toISOString()].map(csvCell).join(",") +
    "\r\n"
  );
}

sign.get("/:slug/signatures.csv", (c) => {
  const { db } = c.get("deps");
  const declaration = getPublicDeclaration(db, c.req.param("slug"));
  if (declaration == null) return notFoundPage(c, `There is no Declaration “${c.req.param("slug")}” here.`);
  let before: number | undefined;
  let started = false;
  const encoder = new TextEncoder();
  // Streamed page by page, so a million signatures never sit in memory at once.
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(encoder.encode("\uFEFFname,place,website,comment,version,signed_at\r\n"));
      }
      const rows = listPublicSignatures(db, declaration.id, { before, limit: 1000 });
      if (rows.length === 0) {
        controller.close();
        return;
      }
      before = rows[rows.length - 1]!.id;
      controller.enqueue(encoder.encode(rows.map(csvRow).join("")));
    },
  });
  return c.body(stream, 200, {
    "Content-Type": "text/csv; charset=utf-8",
    "Content-Disposition": `attachment; filename="${declaration.slug}-signatures.csv"`,
  });
});
