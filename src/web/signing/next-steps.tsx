/**
 * What a signer can do next, on their private page (`/s/{token}`): share the
 * Declaration (Mastodon, copy the link, the phone's share sheet), copy their
 * private link, have it mailed to them (when the site sends mail), add the
 * strike's days to a calendar; and the withdrawal, behind a confirmation
 * step that works without JavaScript.
 *
 * `POST /s/{token}/mail` mails the private link to the address typed
 * (`signing.mailPrivateLink`): the address is used for that mail only,
 * nothing is stored, and only keyed hashes stay in memory for an hour, to
 * limit how often one signature's link and one address can be mailed.
 */
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { Declaration, Signature } from "../../db/schema.ts";
import { readStrikeSettingsValue } from "../../db/strike.ts";
import { withdrawSignature } from "../../db/signatures.ts";
import { hashToken, LINK_MAILS_PER_HOUR } from "../../services/signing.ts";
import { LIMITS, parseEmailAddress } from "../../signature-input.ts";
import { parseStoredSettings } from "../../strike/settings.ts";
import { assetUrl } from "../kit/assets.ts";
import { readForm, type BodyError } from "../kit/body.ts";
import { clientKey } from "../kit/client.ts";
import type { WebDeps, WebEnv } from "../kit/context.ts";
import { CSRF_FIELD, csrfToken, verifyCsrf } from "../kit/csrf.ts";
import { notFoundPage } from "../kit/errors.tsx";
import { parseRequest } from "../kit/params.ts";
import { ErrorSummary, FieldError } from "../layout/FormErrors.tsx";
import { Layout } from "../layout/Layout.tsx";
import { DeclarationShare } from "../sharing/index.ts";
import { strikeDates } from "../sharing/index.ts";
import { waitText } from "./messages.ts";
import { findByToken, unknownLink } from "./private-link.ts";

const mailForm = z.object({
  email: z.string().transform((raw, ctx) => {
    const parsed = parseEmailAddress(raw);
    if (parsed.ok) return parsed.value;
    ctx.addIssue({ code: "custom", message: parsed.error });
    return z.NEVER;
  }),
});

const withdrawForm = z.object({
  confirm: z.literal("yes", "Press “Yes, withdraw my signature” to withdraw it."),
});

export interface NextStepsProps {
  readonly token: string;
  readonly declaration: Declaration;
  readonly origin: URL;
  readonly csrf: string;
  /** The site sends mail: offer "Mail me this link". */
  readonly mail: boolean;
  /** The strike's days, for the calendar link ("4–5 July 2027"). */
  readonly strikeDays: string;
  /** The mail form coming back: what was typed, its error, or the address it was sent to. */
  readonly mailState?: { readonly email?: string; readonly error?: string; readonly sent?: boolean };
}

/** Under the private link: copy it, or have it mailed (when the site sends mail). */
export function PrivateLinkTools(props: Pick<NextStepsProps, "token" | "csrf" | "mail" | "mailState">) {
  const state = props.mailState ?? {};
  return (
    <>
      <p class="inline-actions private-link-actions">
        <button type="button" class="secondary" data-copy-target="private-link-text" hidden>
          Copy your private link
        </button>
        <span class="share-status" role="status" aria-live="polite" data-copy-status></span>
      </p>
      {props.mail && (
        <form method="post" action={`/s/${props.token}/mail`} class="inline-form mail-link" id="mail-link" novalidate>
          <ErrorSummary
            fields={state.error != null ? ["email"] : []}
            errors={{ email: state.error }}
            label={() => "Email address"}
            href={() => "#mail-link-email"}
          />
          {state.sent === true && (
            <p class="success" role="status">
              <strong>Mailed.</strong> Your private link is on its way to that address; the address was not stored.
            </p>
          )}
          <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
          <div class="field">
            <label for="mail-link-email">Mail me this link</label>
            <p class="hint" id="mail-link-hint">
              We send it once to the address you type, and do not keep the address.
            </p>
            <div class="share-row">
              <input
                id="mail-link-email"
                name="email"
                type="email"
                autocomplete="email"
                maxlength={LIMITS.email}
                value={state.sent === true ? "" : (state.email ?? "")}
                aria-describedby={state.error != null ? "mail-link-hint mail-link-error" : "mail-link-hint"}
                {...(state.error != null ? { "aria-invalid": "true" } : {})}
              />
              <button type="submit" class="secondary">
                Mail me this link
              </button>
            </div>
            <FieldError id="mail-link-error" error={state.error} />
          </div>
        </form>
      )}
      <script type="module" src={assetUrl("copy.js")} />
    </>
  );
}

/** Share the Declaration, add the strike to a calendar. */
export function NextSteps(props: Pick<NextStepsProps, "declaration" | "origin" | "strikeDays">) {
  return (
    <section class="next-steps" aria-labelledby="next-steps-title">
      <h2 id="next-steps-title">Bring others</h2>
      <DeclarationShare declaration={props.declaration} origin={props.origin} />
      <p class="calendar-link">
        <a href="/strike.ics" download="strike.ics" type="text/calendar">
          Add the strike ({props.strikeDays}) to your calendar
        </a>{" "}
        or read <a href="/strike">how to join it</a>.
      </p>
    </section>
  );
}

/** The strike's days as words, for the calendar link. */
export function strikeDaysText(deps: WebDeps): string {
  return strikeDates(parseStoredSettings(readStrikeSettingsValue(deps.db), new Date()).days);
}

/** The link to the confirmation step, where the withdraw button used to be. */
export function WithdrawLink(props: { token: string }) {
  return (
    <section class="withdraw-section" aria-labelledby="withdraw-title">
      <h2 id="withdraw-title">Withdraw</h2>
      <p>
        Withdrawing erases your name, place, website, comment and email address, and the count goes down by one. You are
        asked to confirm first.
      </p>
      <p>
        <a class="danger-link" href={`/s/${props.token}/withdraw`}>
          Withdraw my signature…
        </a>
      </p>
    </section>
  );
}

function withdrawConfirmPage(c: Context<WebEnv>, token: string, d: Declaration, error?: string) {
  const { config, secret } = c.get("deps");
  return c.html(
    <Layout title="Withdraw your signature?" siteName={config.instanceName}>
      <section class="notice-page withdraw-confirm" aria-labelledby="withdraw-confirm-title">
        <h1 id="withdraw-confirm-title">Withdraw your signature?</h1>
        <ErrorSummary formError={error} fields={[]} errors={{}} label={() => ""} href={() => ""} />
        <p>
          Your signature of <a href={`/d/${d.slug}`}>“{d.title}”</a> will no longer count. Your name, place, website,
          comment and email address are erased for good; you can sign again later, as a new signature.
        </p>
        <form method="post" action={`/s/${token}/withdraw`} class="inline-form danger">
          <input type="hidden" name={CSRF_FIELD} value={csrfToken(c, secret, config.origin)} />
          <input type="hidden" name="confirm" value="yes" />
          <button type="submit">Yes, withdraw my signature</button>
        </form>
        <p class="keep">
          <a href={`/s/${token}`}>No, keep my signature</a>
        </p>
      </section>
    </Layout>,
    error == null ? 200 : 400,
  );
}

/** A private page's form refused for its body or its CSRF token: nothing changed. */
export function expiredForm(c: Context<WebEnv>, token: string, refused?: BodyError) {
  return c.html(
    <Layout title="Please try again" siteName={c.get("deps").config.instanceName}>
      <section class="notice-page">
        <h1>Please try again</h1>
        <p>{refused?.message ?? "This form expired or was not sent from this site."} Nothing was changed.</p>
        <p>
          <a href={`/s/${token}`}>Back to your signature</a>
        </p>
      </section>
    </Layout>,
    refused?.status ?? 403,
  );
}

export const signerNext = new Hono<WebEnv>();

signerNext.get("/:token/withdraw", (c) => {
  const token = c.req.param("token");
  const found = findByToken(c, token);
  if (found == null) return notFoundPage(c, unknownLink(c));
  if (found.signature.status === "withdrawn") return c.redirect(`/s/${token}`, 303);
  return withdrawConfirmPage(c, token, found.declaration);
});

/** Withdraws after the confirmation step; without `confirm=yes` it shows that step (nothing changed). */
export async function withdrawAfterConfirm(
  c: Context<WebEnv>,
  token: string,
  found: { signature: Signature; declaration: Declaration },
  form: Record<string, string>,
): Promise<Response | null> {
  const confirmed = parseRequest(withdrawForm, { confirm: form.confirm ?? "" });
  if (!confirmed.ok) return withdrawConfirmPage(c, token, found.declaration, confirmed.message);
  const { db, batcher, signing } = c.get("deps");
  const withdrawn = await batcher.run(() => withdrawSignature(db, hashToken(token), new Date()));
  // Signing again with the same name right away is not a duplicate any more.
  if (withdrawn && found.signature.name != null)
    await signing.forgetName(found.signature.declarationId, clientKey(c), found.signature.name);
  return null;
}

/** The mail form's outcome, shown on the private page (the caller renders it). */
export type MailOutcome =
  | { kind: "page"; state: NonNullable<NextStepsProps["mailState"]>; status: 200 | 400 | 429 }
  | { kind: "refused"; response: Response };

export async function mailPrivateLink(
  c: Context<WebEnv>,
  token: string,
  declaration: Declaration,
): Promise<MailOutcome> {
  const { secret, config, signing } = c.get("deps");
  const body = await readForm(c);
  if (!body.ok) return { kind: "refused", response: await expiredForm(c, token, body) };
  if (!signing.sendsMail) return { kind: "refused", response: await notFoundPage(c, "This site sends no mail.") };
  const typed = (body.value.email ?? "").slice(0, 1000);
  if (!verifyCsrf(c, secret, config.origin, body.value[CSRF_FIELD]))
    return {
      kind: "page",
      state: { email: typed, error: "This form expired or was not sent from this site. Please send it again." },
      status: 400,
    };
  const parsed = parseRequest(mailForm, { email: typed });
  if (!parsed.ok) return { kind: "page", state: { email: typed, error: parsed.message }, status: 400 };
  const outcome = await signing.mailPrivateLink(declaration, parsed.value.email, token);
  if (outcome.kind === "rate-limited") {
    c.header("Retry-After", String(Math.ceil(outcome.retryAfterMs / 1000)));
    return {
      kind: "page",
      state: {
        email: typed,
        error: `This link was mailed ${LINK_MAILS_PER_HOUR} times in the last hour, or to this address. Please try again in ${waitText(outcome.retryAfterMs)}.`,
      },
      status: 429,
    };
  }
  return { kind: "page", state: { sent: true }, status: 200 };
}
