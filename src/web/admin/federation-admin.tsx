/**
 * `/admin/federation` (admins only): reports received from other servers,
 * with a "Resolved" button each; fediverse signatures per server, with the
 * tools to hold a server's signatures (not counted until released), count
 * or remove held ones, and remove all of a server's signatures; which
 * reactions sign; and domain blocks (list, add, remove).
 */
import { Hono, type Context } from "hono";
import { z } from "zod";
import {
  addDomainBlock,
  getRemoteActorByUri,
  isDomainBlocked,
  listDomainBlocks,
  listReports,
  removeDomainBlock,
  resolveReport,
} from "../../db/fediverse.ts";
import {
  holdServer,
  listHeldSignatures,
  listServerSignatures,
  releaseServer,
  removeServerSignatures,
  reviewHeldSignature,
  writeSigningReactionsValue,
} from "../../db/reactions.ts";
import type { DbLike } from "../../db/client.ts";
import { parseSigningReactions, readSigningReactions } from "../../federation/index.ts";
import { requireAdmin, type Guarded } from "../kit/guards.ts";
import { readForm } from "../kit/body.ts";
import type { WebEnv } from "../kit/context.ts";
import { CSRF_FIELD, verifyCsrf } from "../kit/csrf.ts";
import { csrfFor, forbiddenPage, notSavedPage, personalPage, type PersonalStatus } from "../layout/personal.tsx";
import { plural } from "../kit/format.ts";
import { type Notice, success, warning } from "../kit/notice.tsx";
import { parseForm, parseRequest } from "../kit/params.ts";
import { describeDuration } from "../kit/format.ts";
import { FederationAdminView, type FederationAdminProps, type ReportRow, type ServerRow } from "./FederationAdmin.tsx";

export const federationAdminRoutes = new Hono<WebEnv>();

const PATH = "/admin/federation";
export const REASON_MAX = 500;

const NOTICES: Record<string, Notice> = {
  resolved: success("The report is marked resolved."),
  blocked: success("The domain is blocked."),
  unblocked: success("The domain is no longer blocked."),
  held: success("The server is on hold: its signatures are not counted until you count them."),
  released: success("The server is no longer on hold, and its held signatures are counted."),
  removed: success("The server’s signatures are removed."),
  counted: success("The signature is counted."),
  dropped: success("The signature is removed."),
  signing: success("The reactions that sign are saved."),
};

export type DomainParse = { ok: true; domain: string } | { ok: false; message: string };

/**
 * A domain to block, as typed: no scheme, path, port or user; an
 * internationalised name becomes its punycode form, lower-cased, without a
 * trailing dot.
 */
export function parseDomain(raw: string): DomainParse {
  const text = raw.trim();
  if (text === "") return { ok: false, message: "Please enter the domain to block, for example spam.example." };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) || /[/?#@\\]/.test(text)) {
    return { ok: false, message: "Enter only the domain, without https:// or a path: for example spam.example." };
  }
  if (/[\s:]/.test(text))
    return { ok: false, message: "A domain has no spaces or port number: for example spam.example." };
  const hostname = URL.canParse(`https://${text}`) ? new URL(`https://${text}`).hostname.replace(/\.$/, "") : null;
  const labels = hostname?.split(".") ?? [];
  const valid =
    hostname != null &&
    hostname.length <= 253 &&
    labels.length >= 2 &&
    labels.every((l) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(l)) &&
    !/^\d+$/.test(labels.at(-1)!);
  if (!valid) return { ok: false, message: `“${text}” is not a domain name. A domain looks like spam.example.` };
  return { ok: true, domain: hostname };
}

/** The block form: a domain (not this site's own) and an optional reason, each problem named by its field. */
function blockForm(ownHost: string) {
  return z.object({
    domain: z
      .string()
      .optional()
      .transform((raw, ctx) => {
        const parsed = parseDomain(raw ?? "");
        if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.message });
        else if (parsed.domain === ownHost)
          ctx.addIssue({ code: "custom", message: "This is this site’s own domain." });
        return parsed.ok ? parsed.domain : "";
      }),
    reason: z
      .string()
      .optional()
      .transform((raw) => (raw ?? "").replace(/\s+/g, " ").trim())
      .refine((reason) => [...reason].length <= REASON_MAX, `The reason is longer than ${REASON_MAX} characters.`),
  });
}

/** A server's name in a form (`host`): trimmed and lower-cased. */
const hostField = z
  .string()
  .optional()
  .transform((raw) => (raw ?? "").trim().toLowerCase());
const hostForm = z.object({ host: hostField, confirm: z.string().optional() });
/** A held signature's id in the path. */
const heldId = z
  .string()
  .regex(/^[1-9]\d{0,15}$/)
  .transform(Number);

const signingForm = z.object({
  emoji: z
    .string()
    .optional()
    .transform((s) => s ?? "")
    .refine((s) => [...s].length <= 2000, "The list is longer than 2,000 characters."),
  favourite: z
    .string()
    .optional()
    .transform((s) => s === "yes"),
});

function reportRows(db: DbLike, resolved: boolean): ReportRow[] {
  return listReports(db, { resolved, limit: resolved ? 100 : 500 }).map((r) => {
    const actor = getRemoteActorByUri(db, r.actorUri);
    return { ...r, from: actor?.handle != null ? `@${actor.handle}` : (actor?.name ?? null) };
  });
}

function serverRows(db: DbLike): ServerRow[] {
  return listServerSignatures(db).map((s) => ({ ...s, heldSigners: s.held > 0 ? listHeldSignatures(db, s.host) : [] }));
}

function adminPage(c: Context<WebEnv>, extra: Partial<FederationAdminProps> = {}, status: PersonalStatus = 200) {
  const { db, config } = c.get("deps");
  const limits = config.federation.signersPerServer;
  const signing = readSigningReactions(db);
  return personalPage(
    c,
    "Federation",
    <FederationAdminView
      csrf={csrfFor(c)}
      openReports={reportRows(db, false)}
      resolvedReports={reportRows(db, true)}
      servers={serverRows(db)}
      signerLimit={
        limits.length === 0
          ? null
          : limits
              .map((l) => `${plural(l.max, "new signer", "new signers")} per ${describeDuration(l.windowMs)}`)
              .join(" and ")
      }
      signing={{ favourite: signing.favourite, emoji: signing.emoji.join(" ") }}
      blocks={listDomainBlocks(db)}
      {...extra}
    />,
    status,
  );
}

federationAdminRoutes.get("/", (c) => {
  const guard = requireAdmin(c, PATH);
  if (!guard.ok) return guard.response;
  const done = c.req.query("done");
  return adminPage(c, done != null && Object.hasOwn(NOTICES, done) ? { notice: NOTICES[done]! } : {});
});

/** The admin's form fields, or the response to send instead (login, 403, bad body, expired form). */
async function adminForm(c: Context<WebEnv>): Promise<Guarded<{ values: Record<string, string> }>> {
  const guard = requireAdmin(c, PATH);
  if (!guard.ok) return guard;
  const { secret, config } = c.get("deps");
  const body = await readForm(c);
  if (!body.ok) {
    return { ok: false, response: notSavedPage(c, body, "Federation") };
  }
  if (!verifyCsrf(c, secret, config.origin, body.value[CSRF_FIELD])) {
    return {
      ok: false,
      response: forbiddenPage(
        c,
        "This form expired or was not sent from this site. Nothing was changed; please try again.",
      ),
    };
  }
  return { ok: true, values: body.value };
}

federationAdminRoutes.post("/reports/:id/resolve", async (c) => {
  const form = await adminForm(c);
  if (!form.ok) return form.response;
  const { db, batcher } = c.get("deps");
  const raw = c.req.param("id");
  const id = /^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : null;
  const changed = id != null && (await batcher.run(() => resolveReport(db, id, new Date())));
  if (!changed) return adminPage(c, { notice: warning("That report does not exist or was resolved already.") }, 404);
  return c.redirect(`${PATH}?done=resolved`, 303);
});

federationAdminRoutes.post("/blocks", async (c) => {
  const form = await adminForm(c);
  if (!form.ok) return form.response;
  const { db, batcher, config } = c.get("deps");
  const values = { domain: form.values.domain ?? "", reason: form.values.reason ?? "" };
  const parsed = parseForm(blockForm(config.origin.hostname), form.values);
  if (!parsed.ok) return adminPage(c, { values, errors: parsed.errors }, 400);
  const { domain, reason } = parsed.value;
  if (isDomainBlocked(db, domain)) {
    const exact = listDomainBlocks(db).some((b) => b.domain === domain);
    const message = exact
      ? `${domain} is blocked already.`
      : `${domain} is blocked already, as part of a parent domain that is blocked.`;
    return adminPage(c, { values, errors: { domain: message } }, 409);
  }
  const added = await batcher.run(() => addDomainBlock(db, domain, reason, new Date()));
  if (!added) return adminPage(c, { values, errors: { domain: `${domain} is blocked already.` } }, 409);
  return c.redirect(`${PATH}?done=blocked`, 303);
});

federationAdminRoutes.post("/blocks/remove", async (c) => {
  const form = await adminForm(c);
  if (!form.ok) return form.response;
  const { db, batcher } = c.get("deps");
  const domain = hostField.parse(form.values.domain);
  const removed = domain !== "" && (await batcher.run(() => removeDomainBlock(db, domain)));
  if (!removed) return adminPage(c, { notice: warning(`“${domain}” was not blocked.`) }, 404);
  return c.redirect(`${PATH}?done=unblocked`, 303);
});

// ---------------------------------------------------------------------------
// Fediverse signatures per server

/** The server named in a form, if it has fediverse signatures here or is on hold. */
function knownServer(db: DbLike, host: string): string | null {
  return host !== "" && listServerSignatures(db).some((s) => s.host === host) ? host : null;
}

/** Hold, release or remove a server's signatures (`host` in the form; removing needs `confirm=yes`). */
async function serverAction(c: Context<WebEnv>, action: "hold" | "release" | "remove") {
  const form = await adminForm(c);
  if (!form.ok) return form.response;
  const { db, batcher } = c.get("deps");
  const fields = hostForm.parse(form.values);
  const host = knownServer(db, fields.host);
  if (host == null)
    return adminPage(c, { notice: warning(`“${form.values.host ?? ""}” has no fediverse signatures here.`) }, 404);
  if (action === "remove" && fields.confirm !== "yes") {
    return adminPage(
      c,
      {
        serverError: {
          host,
          message: `Tick “Yes, remove them” to remove every signature from ${host}. Nothing was removed.`,
        },
      },
      400,
    );
  }
  const now = new Date();
  await batcher.run(() =>
    action === "hold"
      ? holdServer(db, host, now)
      : action === "release"
        ? releaseServer(db, host, now)
        : removeServerSignatures(db, host, now),
  );
  return c.redirect(
    `${PATH}?done=${action === "hold" ? "held" : action === "release" ? "released" : "removed"}#servers-title`,
    303,
  );
}

federationAdminRoutes.post("/servers/hold", (c) => serverAction(c, "hold"));
federationAdminRoutes.post("/servers/release", (c) => serverAction(c, "release"));
federationAdminRoutes.post("/servers/remove", (c) => serverAction(c, "remove"));

/** Count or remove one held signature (`host` in the form: the server it is held for). */
async function heldAction(c: Context<WebEnv>, action: "release" | "remove") {
  const form = await adminForm(c);
  if (!form.ok) return form.response;
  const { db, batcher } = c.get("deps");
  const param = parseRequest(heldId, c.req.param("id"));
  const id = param.ok ? param.value : null;
  const { host } = hostForm.parse(form.values);
  const changed =
    id != null && host !== "" && (await batcher.run(() => reviewHeldSignature(db, host, id, action, new Date())));
  if (!changed) return adminPage(c, { notice: warning("That signature is not held (any more).") }, 404);
  return c.redirect(`${PATH}?done=${action === "release" ? "counted" : "dropped"}#servers-title`, 303);
}

federationAdminRoutes.post("/held/:id/release", (c) => heldAction(c, "release"));
federationAdminRoutes.post("/held/:id/remove", (c) => heldAction(c, "remove"));

// ---------------------------------------------------------------------------
// Which reactions sign

federationAdminRoutes.post("/signing", async (c) => {
  const form = await adminForm(c);
  if (!form.ok) return form.response;
  const { db, batcher } = c.get("deps");
  const emoji = form.values.emoji ?? "";
  const favourite = form.values.favourite === "yes";
  const fields = parseRequest(signingForm, form.values);
  if (!fields.ok) return adminPage(c, { signing: { favourite, emoji }, signingError: fields.message }, 400);
  const parsed = parseSigningReactions(fields.value.emoji, fields.value.favourite);
  if (!parsed.ok) return adminPage(c, { signing: { favourite, emoji }, signingError: parsed.message }, 400);
  await batcher.run(() => writeSigningReactionsValue(db, parsed.value));
  return c.redirect(`${PATH}?done=signing#signing-title`, 303);
});
