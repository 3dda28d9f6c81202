/**
 * JSON API for embeds and scripts.  Open to every origin for reading (CORS);
 * errors are `{"error":{"code","message"}}` with the matching status.
 */
import { Hono } from "hono";
import { cors } from "hono/cors";
import { getPublicDeclaration, listPublishedDeclarations, type DeclarationSummary } from "../../db/declarations.ts";
import type { Declaration } from "../../db/schema.ts";
import { listPublicSignatures, type PublicSignature } from "../../db/signatures.ts";
import { parseSignatureInput } from "../../signature-input.ts";
import { readJsonObject } from "../kit/body.ts";
import { apiError } from "../kit/errors.tsx";
import type { WebEnv } from "../kit/context.ts";
import { challengeUrl, POW_FIELD, REASONS } from "../../services/proof-of-work.ts";
import { z } from "zod";
import { PAGE_SIZE, pageCursor, rateLimitMessage } from "../signing/index.ts";
import { parseRequest } from "../kit/params.ts";
import { clientKey } from "../kit/client.ts";
import { signerName, signerWebsite } from "../kit/format.ts";
import { privateUrl } from "../../services/signing-mail.ts";

export const api = new Hono<WebEnv>();

// Reading is open to every site.  Signing is not offered cross-origin: the
// POST below needs Content-Type application/json, which a browser sends to
// another origin only after a preflight, and the preflight allows GET only.
api.use("*", cors({ origin: "*", allowMethods: ["GET", "HEAD", "OPTIONS"], maxAge: 86400 }));
api.use("*", async (c, next) => {
  await next();
  // Other sites may load our JSON (and later badges) directly.
  c.header("Cross-Origin-Resource-Policy", "cross-origin");
});

function toJson(d: DeclarationSummary, origin: URL) {
  return {
    slug: d.slug,
    title: d.title,
    summary: d.summary,
    revision: d.revision,
    url: new URL(`/d/${d.slug}`, origin).href,
    signatureCount: d.signatureCount,
    language: d.language,
    createdAt: d.created.toISOString(),
    updatedAt: d.updated.toISOString(),
  };
}

function toDetailJson(d: Declaration, origin: URL) {
  return {
    ...toJson(d, origin),
    license: d.license,
    hashtags: d.hashtags,
    revisionUrl: new URL(`/d/${d.slug}/v/${d.revision}`, origin).href,
    markdownUrl: new URL(`/d/${d.slug}.md`, origin).href,
    historyUrl: new URL(`/d/${d.slug}/history`, origin).href,
  };
}

api.get("/declarations", (c) => {
  const { db, config } = c.get("deps");
  return c.json({ declarations: listPublishedDeclarations(db).map((d) => toJson(d, config.origin)) });
});

api.get("/declarations/:slug", (c) => {
  const { db, config } = c.get("deps");
  const slug = c.req.param("slug");
  const declaration = getPublicDeclaration(db, slug);
  if (declaration == null) return apiError(c, 404, "not_found", `There is no Declaration with the slug "${slug}".`);
  if (declaration.status === "withdrawn")
    return apiError(c, 410, "withdrawn", `The Declaration "${slug}" was withdrawn by its author.`);
  return c.json(toDetailJson(declaration, config.origin));
});

function signatureJson(s: PublicSignature) {
  return {
    id: s.id,
    kind: s.kind,
    // A fediverse signer's current display name and profile (see signerName).
    name: signerName(s),
    place: s.place,
    website: signerWebsite(s),
    comment: s.comment,
    revision: s.revision,
    signedAt: s.created.toISOString(),
    // Fediverse signers: the account that favourited (`@user@host`) and its profile page.
    ...(s.kind === "fediverse"
      ? { handle: s.actor?.handle != null ? `@${s.actor.handle}` : null, profileUrl: signerWebsite(s) }
      : {}),
  };
}

api.get("/declarations/:slug/signatures", (c) => {
  const { db, config } = c.get("deps");
  const slug = c.req.param("slug");
  const declaration = getPublicDeclaration(db, slug);
  if (declaration == null) return apiError(c, 404, "not_found", `There is no Declaration with the slug "${slug}".`);
  const query = parseRequest(signaturesQuery, { cursor: c.req.query("cursor") });
  if (!query.ok) return apiError(c, 400, "invalid_cursor", query.message, query.field);
  const rows = listPublicSignatures(db, declaration.id, {
    before: query.value.cursor,
    limit: PAGE_SIZE + 1,
  });
  const page = rows.slice(0, PAGE_SIZE);
  return c.json({
    declaration: new URL(`/d/${declaration.slug}`, config.origin).href,
    signatureCount: declaration.signatureCount,
    signatures: page.map(signatureJson),
    nextCursor: rows.length > PAGE_SIZE ? String(page[page.length - 1]!.id) : null,
  });
});

const signaturesQuery = z.object({ cursor: pageCursor("cursor must be the nextCursor of a previous page.") });

const SIGNATURE_FIELDS = new Set(["name", "place", "website", "comment", "email", "public", POW_FIELD]);

/**
 * The signing's JSON body: only known fields (the first unknown one named);
 * their values are checked by the domain rule (parseSignatureInput), whose
 * first error goes out in the same shape.
 */
// z.custom keeps the very object (a copy would drop an own "__proto__" key unseen).
const signatureBody = z.custom<Record<string, unknown>>().superRefine((body, ctx) => {
  const unknown = Object.keys(body).find((key) => !SIGNATURE_FIELDS.has(key));
  if (unknown != null)
    ctx.addIssue({ code: "custom", path: [unknown.slice(0, 50)], message: `Unknown field "${unknown.slice(0, 50)}".` });
});

api.post("/declarations/:slug/signatures", async (c) => {
  const { db, config, pow, signing } = c.get("deps");
  const slug = c.req.param("slug");
  const declaration = getPublicDeclaration(db, slug);
  if (declaration == null) return apiError(c, 404, "not_found", `There is no Declaration with the slug "${slug}".`);
  if (declaration.status === "withdrawn")
    return apiError(
      c,
      409,
      "withdrawn",
      `The Declaration "${slug}" was withdrawn by its author and can no longer be signed.`,
    );
  const body = await readJsonObject(c);
  if (!body.ok) return apiError(c, body.status, body.code, body.message);
  const known = parseRequest(signatureBody, body.value);
  if (!known.ok) return apiError(c, 400, "unknown_field", known.message, known.field);
  const parsed = parseSignatureInput(body.value, { emailRequired: signing.emailRequired });
  if (!parsed.ok) {
    const [field, message] = Object.entries(parsed.errors)[0]!;
    return apiError(c, 400, "invalid_field", message, field);
  }
  const proof = body.value[POW_FIELD];
  const powResult = await pow.verify(
    typeof proof === "string" ? proof : proof == null ? undefined : JSON.stringify(proof),
    { action: "sign", target: declaration.slug },
  );
  if (!powResult.ok) {
    // A script reads this: say how to get a solution, not to "wait".
    const message =
      powResult.code === "missing"
        ? `${POW_FIELD} is missing: this site asks for a proof of work. Get a challenge from ${challengeUrl({ action: "sign", target: declaration.slug })}, solve it (ALTCHA), and send the base64 payload as "${POW_FIELD}".`
        : powResult.reason;
    return apiError(c, 400, "proof_of_work", message, POW_FIELD);
  }
  const outcome = await signing.sign(declaration, parsed.value, clientKey(c), { proof: powResult.proof });
  switch (outcome.kind) {
    case "replayed":
      return apiError(c, 400, "proof_of_work", REASONS.replayed, POW_FIELD);
    case "signed":
      return c.json(
        {
          status: outcome.signature.status,
          revision: outcome.signature.revision,
          counted: outcome.signature.status === "confirmed",
          privateUrl: privateUrl(config.origin, outcome.token),
        },
        201,
      );
    case "rate-limited":
      c.header("Retry-After", String(Math.ceil(outcome.retryAfterMs / 1000)));
      return apiError(c, 429, "rate_limited", rateLimitMessage(outcome.retryAfterMs));
    case "already-signed":
      return apiError(
        c,
        409,
        "already_signed",
        outcome.by === "email"
          ? "This email address has already signed; it is counted once."
          : "This name has just signed from this client; it is counted once.",
        outcome.by === "email" ? "email" : "name",
      );
  }
});

api.all("/declarations", (c) =>
  apiError(c, 405, "method_not_allowed", `${c.req.method} is not allowed here; use GET.`),
);
api.all("/declarations/:slug/signatures", (c) =>
  apiError(c, 405, "method_not_allowed", `${c.req.method} is not allowed here; use GET or POST.`),
);
api.all("/declarations/:slug", (c) =>
  apiError(c, 405, "method_not_allowed", `${c.req.method} is not allowed here; use GET.`),
);
api.all("*", (c) => apiError(c, 404, "not_found", `There is no API endpoint at ${new URL(c.req.url).pathname}.`));
