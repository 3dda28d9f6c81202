/**
 * (Over 400 lines: the signer's pages share the private-link check and their rendering.)
 *
 * The signer's own pages, reached only through their private link
 * (`/s/{token}`): see exactly what is stored, download it, re-sign a newer
 * version, withdraw.  Plus the email confirmation link (`/s/confirm/{token}`).
 * Tokens are compared by their SHA-256; these pages are never cached.
 */
import { Hono, type Context } from "hono";
import type { FamilyMember } from "../../db/copies.ts";
import { declarations, type Declaration, type Signature } from "../../db/schema.ts";
import { confirmSignature, getSignatureByConfirmToken, resignSignature } from "../../db/signatures.ts";
import { eq } from "drizzle-orm";
import { readForm, type BodyError } from "../kit/body.ts";
import type { WebEnv } from "../kit/context.ts";
import { csrfToken, CSRF_FIELD, verifyCsrf } from "../kit/csrf.ts";
import { formatDate, plural } from "../kit/format.ts";
import { notFoundPage } from "../kit/errors.tsx";
import { clientKey } from "../kit/client.ts";
import { familyOf } from "../copies/index.ts";
import { hashToken, type SignOutcome } from "../../services/signing.ts";
import { keyedHash } from "../../services/limits.ts";
import { POW_FIELD, REASONS, type PowBinding, type PowProof } from "../../services/proof-of-work.ts";
import { rateLimitMessage } from "./messages.ts";
import { ProofOfWorkField } from "./ProofOfWorkField.tsx";
import { privateUrl } from "../../services/signing-mail.ts";
import { Layout } from "../layout/Layout.tsx";
import { ErrorSummary } from "../layout/FormErrors.tsx";
import { findByToken, TOKEN, unknownLink } from "./private-link.ts";
import {
  mailPrivateLink,
  NextSteps,
  type NextStepsProps,
  PrivateLinkTools,
  strikeDaysText,
  WithdrawLink,
  withdrawAfterConfirm,
  expiredForm,
} from "./next-steps.tsx";
import { signerNext } from "./next-steps.tsx";
import { parseRequest } from "../kit/params.ts";
import { z } from "zod";

export const signer = new Hono<WebEnv>();

/** "You are the first signer." or "You are one of 1,234 signers." */
function signersSentence(count: number): string {
  return count <= 1 ? "You are the first signer." : `You are one of ${plural(count, "signer", "signers")}.`;
}

signer.use("/*", async (c, next) => {
  await next();
  c.header("Cache-Control", "no-store");
  c.header("Referrer-Policy", "no-referrer");
  c.header("X-Robots-Tag", "noindex");
});
// The withdrawal's confirmation step.
signer.route("/", signerNext);

/** Everything stored about a signature, as the signer may download it. */
export function signatureData(signature: Signature, declaration: Declaration, origin: URL) {
  return {
    declaration: {
      slug: declaration.slug,
      title: declaration.title,
      url: new URL(`/d/${declaration.slug}`, origin).href,
    },
    status: signature.status,
    versionSigned: signature.revision,
    firstVersionSigned: signature.firstRevision,
    name: signature.name,
    place: signature.place,
    website: signature.website,
    comment: signature.comment,
    email: signature.email,
    showNamePublicly: signature.public,
    signedAt: signature.created.toISOString(),
    confirmedAt: signature.confirmed?.toISOString() ?? null,
    resignedAt: signature.resigned?.toISOString() ?? null,
    withdrawnAt: signature.withdrawn?.toISOString() ?? null,
  };
}

/** Field names of the "Also sign these" checkboxes: the prefix and a Declaration id. */
export const ALSO_FIELD_PREFIX = "also-";
/** At most this many family members are offered at once (the form stays small). */
export const ALSO_SIGN_MAX = 100;

/** The published family of `declaration` except itself: its sources first (nearest first), then its copies. */
function alsoSignable(c: Context<WebEnv>, declaration: Declaration): FamilyMember[] {
  const family = familyOf(c.get("deps").db, declaration, ALSO_SIGN_MAX);
  if (family == null) return [];
  return [...[...family.ancestors].reverse(), ...family.descendants].slice(0, ALSO_SIGN_MAX);
}

function Row(props: { label: string; value: string | null }) {
  return (
    <>
      <dt>{props.label}</dt>
      <dd>{props.value ?? <span class="none">not given</span>}</dd>
    </>
  );
}

signer.get("/:token{[A-Za-z0-9_-]+\\.json}", (c) => {
  const token = c.req.param("token").slice(0, -".json".length);
  const found = findByToken(c, token);
  if (found == null) return notFoundPage(c, unknownLink(c));
  c.header("Content-Disposition", `attachment; filename="signature-${found.declaration.slug}.json"`);
  return c.json(signatureData(found.signature, found.declaration, c.get("deps").config.origin));
});

/** What the private page's query may say: just signed, or just re-signed a newer version. */
const privatePageQuery = z.object({
  signed: z.literal("1").optional(),
  resigned: z.literal("1").optional(),
});

signer.get("/:token", (c) => {
  const token = c.req.param("token");
  const found = findByToken(c, token);
  if (found == null) return notFoundPage(c, unknownLink(c));
  // Unknown or malformed flags are ignored (the page is the same without them).
  const query = parseRequest(privatePageQuery, { signed: c.req.query("signed"), resigned: c.req.query("resigned") });
  return privatePage(c, token, found, {
    justSigned: query.ok && query.value.signed === "1",
    justResigned: query.ok && query.value.resigned === "1",
  });
});

signer.post("/:token/mail", async (c) => {
  const token = c.req.param("token");
  const found = findByToken(c, token);
  if (found == null) return notFoundPage(c, unknownLink(c));
  const outcome = await mailPrivateLink(c, token, found.declaration);
  if (outcome.kind === "refused") return outcome.response;
  return privatePage(c, token, found, { mailState: outcome.state }, outcome.status);
});

interface PrivatePageOptions {
  readonly justSigned?: boolean;
  readonly justResigned?: boolean;
  readonly mailState?: NextStepsProps["mailState"];
}

function privatePage(
  c: Context<WebEnv>,
  token: string,
  found: { signature: Signature; declaration: Declaration },
  options: PrivatePageOptions,
  status: 200 | 400 | 429 = 200,
) {
  const { signature: s, declaration: d } = found;
  const { config, secret, signing } = c.get("deps");
  const csrf = csrfToken(c, secret, config.origin);
  const justSigned = options.justSigned === true;
  // A Declaration its author withdrew (or took back to draft) cannot be signed again.
  const canResign = s.status !== "withdrawn" && d.status === "published" && s.revision < d.revision;
  const link = privateUrl(config.origin, token);
  const others = s.status === "withdrawn" ? [] : alsoSignable(c, d);
  return c.html(
    <Layout title={`Your signature: ${d.title}`} siteName={config.instanceName}>
      <section class="signer-page" aria-labelledby="signer-title">
        {s.status === "withdrawn" ? (
          <>
            <h1 id="signer-title">Signature withdrawn</h1>
            <p>
              You withdrew your signature of <a href={`/d/${d.slug}`}>“{d.title}”</a> on{" "}
              <time datetime={s.withdrawn!.toISOString()}>{formatDate(s.withdrawn!)}</time>. Your name, place, website,
              comment and email address were erased; only the fact that a signature existed and was withdrawn remains,
              without anything that identifies you.
            </p>
          </>
        ) : (
          <>
            {options.justResigned === true && (
              <div class="success" role="status">
                <p>
                  <strong>You now sign version {s.revision}.</strong> Your signature counts for the latest text of “
                  {d.title}”.
                </p>
              </div>
            )}
            {justSigned && (
              <div class="success" role="status">
                <p>
                  <strong>Thank you for signing.</strong>{" "}
                  {s.status === "pending"
                    ? "Check your mail: your signature counts once you follow the link we sent you."
                    : signersSentence(d.signatureCount)}
                </p>
              </div>
            )}
            <h1 id="signer-title">Your signature</h1>
            <p>
              Of <a href={`/d/${d.slug}`}>“{d.title}”</a>, version {s.revision}.{" "}
              {s.status === "pending"
                ? "It is waiting for confirmation by mail and is not counted yet."
                : "It is counted."}
            </p>
            <div class="private-link">
              <p>
                <strong>Your private link.</strong> Keep it to yourself and bookmark it: it is the only way to change or
                withdraw your signature{s.email != null && signing.sendsMail ? " (we also mailed it to you)" : ""}.
              </p>
              <p>
                <a href={link} class="link-text" id="private-link-text" data-copy-text={link}>
                  {link}
                </a>
              </p>
              <PrivateLinkTools
                token={token}
                csrf={csrf}
                mail={signing.sendsMail}
                {...(options.mailState != null ? { mailState: options.mailState } : {})}
              />
            </div>
            {d.status === "published" && (
              <NextSteps declaration={d} origin={config.origin} strikeDays={strikeDaysText(c.get("deps"))} />
            )}
            <h2>What is stored about you</h2>
            <dl class="stored">
              <Row label="Name" value={s.name} />
              <Row label="Place or affiliation" value={s.place} />
              <Row label="Website" value={s.website} />
              <Row label="Comment" value={s.comment} />
              <Row label="Email address" value={s.email} />
              <Row label="Name shown publicly" value={s.public ? "yes" : "no, counted only"} />
              <Row
                label="Version signed"
                value={
                  s.firstRevision === s.revision
                    ? String(s.revision)
                    : `${s.revision} (first signed version ${s.firstRevision})`
                }
              />
              <Row label="Signed" value={formatDate(s.created)} />
            </dl>
            <p class="fine-print">
              Nothing else is kept: not your IP address, not your browser. <a href="/privacy">Privacy</a>.
            </p>
            <p>
              <a href={`/s/${token}.json`} download>
                Download this as JSON
              </a>
            </p>
            {canResign && (
              <form method="post" action={`/s/${token}/resign`} class="inline-form">
                <input type="hidden" name={CSRF_FIELD} value={csrf} />
                <p>
                  “{d.title}” has a newer version ({d.revision}).{" "}
                  <a href={`/d/${d.slug}/diff/${s.revision}..${d.revision}`}>See what changed</a> since version{" "}
                  {s.revision}, or its <a href={`/d/${d.slug}/history`}>history</a>.
                </p>
                <button type="submit">Sign version {d.revision} instead</button>
              </form>
            )}
            {others.length > 0 && (
              <form method="post" action={`/s/${token}/also`} class="inline-form also-sign">
                <input type="hidden" name={CSRF_FIELD} value={csrf} />
                <h2>Also sign these</h2>
                <p>
                  These Declarations belong to the same family: “{d.title}” was copied from them, or they were copied
                  from it (<a href={`/d/${d.slug}/copies`}>sources and copies</a>). Each one you tick gets its own
                  signature of its latest version, with the same details as above.
                </p>
                <ul class="also-list">
                  {others.map((m) => (
                    <li>
                      <label>
                        <input type="checkbox" name={`${ALSO_FIELD_PREFIX}${m.id}`} value="1" />{" "}
                        <a href={`/d/${m.slug}`}>{m.title}</a>, version {m.revision}
                      </label>
                    </li>
                  ))}
                </ul>
                <button type="submit">Sign the ticked ones</button>
              </form>
            )}
            <WithdrawLink token={token} />
          </>
        )}
      </section>
    </Layout>,
    status,
  );
}

/**
 * A POST from the private page: the token, the body and the CSRF check, then
 * `action`; its response, or (null) back to the private page.
 */
async function postWithToken(
  c: Context<WebEnv>,
  action: (
    token: string,
    found: { signature: Signature; declaration: Declaration },
    form: Record<string, string>,
  ) => Promise<Response | null>,
) {
  const token = c.req.param("token")!;
  const found = findByToken(c, token);
  if (found == null) return notFoundPage(c, unknownLink(c));
  const { secret, config } = c.get("deps");
  const body = await readForm(c);
  // A body that is too large, not a form or not UTF-8 says so (413/415/400), not "expired".
  if (!body.ok) return expiredForm(c, token, body);
  if (!verifyCsrf(c, secret, config.origin, body.value[CSRF_FIELD])) return expiredForm(c, token);
  return (await action(token, found, body.value)) ?? c.redirect(`/s/${token}`, 303);
}

signer.post("/:token/withdraw", (c) =>
  postWithToken(c, (token, found, form) => withdrawAfterConfirm(c, token, found, form)),
);

signer.post("/:token/resign", (c) =>
  postWithToken(c, async (token, { declaration }) => {
    if (declaration.status !== "published") return null;
    const { db, batcher } = c.get("deps");
    const resigned = await batcher.run(() => resignSignature(db, hashToken(token), declaration.revision, new Date()));
    return resigned ? c.redirect(`/s/${token}?resigned=1`, 303) : null;
  }),
);

type AlsoResult = { member: FamilyMember; outcome: SignOutcome };

function AlsoResultLine(props: { result: AlsoResult; origin: URL }) {
  const { member, outcome } = props.result;
  const title = <a href={`/d/${member.slug}`}>{member.title}</a>;
  switch (outcome.kind) {
    case "signed": {
      const link = privateUrl(props.origin, outcome.token);
      return (
        <li class="signed">
          {title}, version {outcome.signature.revision}: signed
          {outcome.signature.status === "pending" ? " (it counts once you follow the link we mailed you)" : ""}. Its own
          private link:{" "}
          <a href={link} class="link-text">
            {link}
          </a>
        </li>
      );
    }
    case "already-signed":
      return (
        <li class="not-signed">
          {title}: not signed, already signed{outcome.mailed ? " (we mailed its private link again)" : ""}.
        </li>
      );
    case "rate-limited":
      return (
        <li class="not-signed">
          {title}: not signed. {rateLimitMessage(outcome.retryAfterMs)}
        </li>
      );
    case "replayed":
      return (
        <li class="not-signed">
          {title}: not signed. {REASONS.replayed}
        </li>
      );
  }
}

/**
 * "Also sign these": signs each ticked member of the signed Declaration's
 * family (its sources and copies, published) with the same details, each one
 * its own signature of its own latest revision.  Boxes for Declarations
 * outside the family are ignored.
 *
 * Every signature goes through `signing.sign`, so the rate limits (per client
 * and per Declaration, counted per signature) and the duplicate checks apply
 * to each of them, and each is its own group-committed transaction: a refusal
 * or failure of one leaves the others whole.
 *
 * With the proof of work on, the ticked set is paid for by one proof priced
 * by its size (docs/decisions/0015): the first POST shows the chosen
 * Declarations with the anti-spam check, bound to this signature and exactly
 * that set, its work `count` times a single signature's; the second POST
 * (with the solution) signs.  The solution is used up with the first
 * signature that is written.
 */
signer.post("/:token/also", async (c) => {
  const token = c.req.param("token");
  const found = findByToken(c, token);
  if (found == null) return notFoundPage(c, unknownLink(c));
  const { secret, config, signing, pow } = c.get("deps");
  const body = await readForm(c);
  if (!body.ok) return expiredForm(c, token, body);
  if (!verifyCsrf(c, secret, config.origin, body.value[CSRF_FIELD])) return expiredForm(c, token);
  const { signature: s, declaration: d } = found;
  if (s.status === "withdrawn" || s.name == null) return c.redirect(`/s/${token}`, 303);

  const chosen = alsoSignable(c, d).filter((m) => body.value[`${ALSO_FIELD_PREFIX}${m.id}`] != null);
  if (chosen.length === 0) return c.redirect(`/s/${token}`, 303);

  let proof: PowProof | null = null;
  if (pow.enabled) {
    const binding: PowBinding = {
      action: "also",
      target: keyedHash(
        secret,
        "also",
        String(s.id),
        chosen
          .map((m) => m.id)
          .sort((a, b) => a - b)
          .join(","),
      ),
      count: chosen.length,
    };
    const payload = body.value[POW_FIELD];
    if (payload == null) return alsoConfirmPage(c, token, d, chosen, binding);
    const checked = await pow.verify(payload, binding);
    if (!checked.ok) return alsoConfirmPage(c, token, d, chosen, binding, checked.reason);
    proof = checked.proof;
  }

  const input = {
    name: s.name,
    place: s.place,
    website: s.website,
    comment: s.comment,
    email: s.email,
    public: s.public,
  };
  const key = clientKey(c);
  const results: AlsoResult[] = [];
  for (const member of chosen) {
    // Read again just before signing: the member's latest revision and status now.
    const current = c.get("deps").db.select().from(declarations).where(eq(declarations.id, member.id)).get();
    if (current == null || current.status !== "published") continue;
    const outcome = await signing.sign(current, input, key, { proof });
    results.push({ member: { ...member, revision: current.revision }, outcome });
    // Written (a signature, or its links mailed again): the solution is used up, and paid for the rest.
    if (outcome.kind === "signed" || (outcome.kind === "already-signed" && outcome.by === "email")) proof = null;
    if (outcome.kind === "replayed") break;
  }
  const signedCount = results.filter((r) => r.outcome.kind === "signed").length;
  return c.html(
    <Layout title="Your other signatures" siteName={config.instanceName}>
      <section class="notice-page also-result" aria-labelledby="also-title">
        <h1 id="also-title">
          {signedCount === 0
            ? "Nothing more was signed"
            : `You signed ${plural(signedCount, "more Declaration", "more Declarations")}`}
        </h1>
        <p>Each signature has its own private link: keep them, they are the only way to change or withdraw each one.</p>
        <ul class="also-results">
          {results.map((result) => (
            <AlsoResultLine result={result} origin={config.origin} />
          ))}
        </ul>
        <p>
          <a href={`/s/${token}`}>Back to your signature of “{d.title}”</a>
        </p>
      </section>
    </Layout>,
  );
});

/** The chosen Declarations and the anti-spam check that pays for all of them (200; 400 with `error`). */
function alsoConfirmPage(
  c: Context<WebEnv>,
  token: string,
  d: Declaration,
  chosen: FamilyMember[],
  binding: PowBinding,
  error?: string,
) {
  const { secret, config } = c.get("deps");
  return c.html(
    <Layout title="Also sign these" siteName={config.instanceName}>
      <section class="notice-page also-confirm" aria-labelledby="also-confirm-title">
        <h1 id="also-confirm-title">Sign {plural(chosen.length, "more Declaration", "more Declarations")}</h1>
        <ErrorSummary formError={error} fields={[]} errors={{}} label={() => ""} href={() => ""} />
        <form method="post" action={`/s/${token}/also`} class="inline-form also-sign">
          <input type="hidden" name={CSRF_FIELD} value={csrfToken(c, secret, config.origin)} />
          <p>
            With the same details as your signature of “{d.title}”, each of these gets its own signature of its latest
            version:
          </p>
          <ul class="also-list">
            {chosen.map((m) => (
              <li>
                <input type="hidden" name={`${ALSO_FIELD_PREFIX}${m.id}`} value="1" />
                <a href={`/d/${m.slug}`}>{m.title}</a>, version {m.revision}
              </li>
            ))}
          </ul>
          <p class="fine-print">
            The anti-spam check below is one puzzle for all of them, so it takes your browser about{" "}
            {chosen.length === 1 ? "as long as" : `${chosen.length} times as long as`} for one signature.
          </p>
          <ProofOfWorkField enabled={true} binding={binding} />
          <button type="submit">Sign {chosen.length === 1 ? "it" : `these ${chosen.length}`}</button>
        </form>
        <p>
          <a href={`/s/${token}`}>Back to your signature of “{d.title}”</a>
        </p>
      </section>
    </Layout>,
    error == null ? 200 : 400,
  );
}

function confirmPage(
  c: Context<WebEnv>,
  title: string,
  body: unknown,
  status: 200 | 404 | 410 | BodyError["status"] = 200,
) {
  return c.html(
    <Layout title={title} siteName={c.get("deps").config.instanceName}>
      <section class="notice-page">
        <h1>{title}</h1>
        {body}
      </section>
    </Layout>,
    status,
  );
}

signer.get("/confirm/:token", (c) => {
  const token = c.req.param("token");
  const { db, config, secret } = c.get("deps");
  const signature = TOKEN.test(token) ? getSignatureByConfirmToken(db, hashToken(token)) : undefined;
  if (signature == null)
    return confirmPage(
      c,
      "Link not valid",
      <p>This confirmation link is not valid, or it was replaced by a newer one. Sign again to get a new link.</p>,
      404,
    );
  if (signature.status === "confirmed")
    return confirmPage(c, "Already confirmed", <p>Your signature is confirmed and counted. Thank you.</p>);
  if (signature.confirmExpires == null || signature.confirmExpires.getTime() <= Date.now()) {
    return confirmPage(
      c,
      "Link expired",
      <p>This confirmation link has expired, so your signature was not counted. Please sign again.</p>,
      410,
    );
  }
  // A button rather than confirming on GET: mail scanners open links, people press buttons.
  return confirmPage(
    c,
    "Confirm your signature",
    <form method="post" action={`/s/confirm/${token}`}>
      <input type="hidden" name={CSRF_FIELD} value={csrfToken(c, secret, config.origin)} />
      <p>Press the button to confirm that you signed. Your signature counts from then on.</p>
      <button type="submit">Confirm my signature</button>
    </form>,
  );
});

signer.post("/confirm/:token", async (c) => {
  const token = c.req.param("token");
  const { db, batcher, config, secret } = c.get("deps");
  if (!TOKEN.test(token)) return confirmPage(c, "Link not valid", <p>This confirmation link is not valid.</p>, 404);
  const body = await readForm(c);
  if (!body.ok) return confirmPage(c, "Not confirmed", <p>{body.message} Nothing was changed.</p>, body.status);
  if (!verifyCsrf(c, secret, config.origin, body.value[CSRF_FIELD])) {
    return c.redirect(`/s/confirm/${token}`, 303);
  }
  const outcome = await batcher.run(() => confirmSignature(db, hashToken(token), new Date()));
  switch (outcome) {
    case "confirmed":
    case "already-confirmed": {
      const signature = getSignatureByConfirmToken(db, hashToken(token));
      const declaration =
        signature && db.select().from(declarations).where(eq(declarations.id, signature.declarationId)).get();
      return confirmPage(
        c,
        "Thank you: your signature counts",
        <>
          {declaration != null && (
            <p>
              {signersSentence(declaration.signatureCount).slice(0, -1)} of{" "}
              <a href={`/d/${declaration.slug}`}>“{declaration.title}”</a>.
            </p>
          )}
          <p>
            The mail with your confirmation link also has your private link, to see, download or withdraw your
            signature.
          </p>
        </>,
      );
    }
    case "expired":
      return confirmPage(
        c,
        "Link expired",
        <p>This confirmation link has expired, so your signature was not counted. Please sign again.</p>,
        410,
      );
    case "unknown":
      return confirmPage(
        c,
        "Link not valid",
        <p>This confirmation link is not valid, or it was replaced by a newer one.</p>,
        404,
      );
  }
});
