/**
 * Coming from and going to other servers:
 *
 * - `/d/{slug}/interact`: "Follow from your server" / "Sign from your
 *   server".  The visitor types their account; we look it up with WebFinger
 *   (server-side) and send them to the page on their server where they
 *   follow our actor or favourite our announcement.
 * - `/interact?uri=…`: the target of our own WebFinger's subscribe and
 *   intent templates.  Our own URIs lead to their Declaration; another
 *   server's object is looked up and described.
 * - `/ap/notes/{uuid}`, `/ap/articles/{uuid}` in a browser (Fedify answers
 *   only ActivityPub requests there): the Declaration's page.
 *
 * Lookups make this server fetch from others, so they are rate-limited per
 * client, and private or loopback addresses are refused unless the
 * configuration allows them (development and tests).
 */
import { eq } from "drizzle-orm";
import { Hono, type Context } from "hono";
import { z } from "zod";
import { getDeclarationBySlug } from "../../db/declarations.ts";
import { countBoosts, countFollowers } from "../../db/fediverse.ts";
import { getPostByUuid } from "../../db/posts.ts";
import { declarations, type Declaration } from "../../db/schema.ts";
import { getSitePostByUuid } from "../../db/site-account.ts";
import {
  findInteractionUrl,
  interactionTarget,
  localDeclarationSlug,
  lookupRemoteObject,
  parseAccount,
  sitePostPath,
  type AccountInput,
  type FedData,
  type InteractionFailure,
  type InteractionIntent,
  type RemoteObjectSummary,
} from "../../federation/index.ts";
import { RateLimiter } from "../../services/limits.ts";
import { readForm } from "../kit/body.ts";
import type { WebDeps, WebEnv } from "../kit/context.ts";
import { formsMayLeaveSite } from "../kit/csp.ts";
import { CSRF_FIELD, sharedFormToken, verifyCsrf } from "../kit/csrf.ts";
import { notFoundPage } from "../kit/errors.tsx";
import { parseRequest } from "../kit/params.ts";
import { clientKey } from "../kit/client.ts";
import { InteractSection } from "./Fediverse.tsx";
import { Layout } from "../layout/Layout.tsx";

export const interactRoutes = new Hono<WebEnv>();

/** The follow/sign-from-another-server form of a Declaration (mounted under /d). */
export const interactOnDeclarations = new Hono<WebEnv>();

/** Lookups on other servers per client: a person needs a few; a script using us to knock on servers is stopped. */
const LOOKUP_LIMITS = [
  { max: 10, windowMs: 60_000 },
  { max: 60, windowMs: 60 * 60_000 },
];
const limiters = new WeakMap<WebDeps, RateLimiter>();

/** Records one lookup for this client; the seconds to wait when over the limit, else 0. */
export function lookupWait(c: Context<WebEnv>): number {
  const deps = c.get("deps");
  let limiter = limiters.get(deps);
  if (limiter == null) {
    limiter = new RateLimiter(LOOKUP_LIMITS, { maxKeys: 50_000 });
    limiters.set(deps, limiter);
  }
  return Math.ceil(limiter.consume(clientKey(c)) / 1000);
}

export function fedDataOf(deps: WebDeps): FedData {
  return {
    db: deps.db,
    batcher: deps.batcher,
    instanceName: deps.config.instanceName,
    ...(deps.config.siteHandle == null ? {} : { siteHandle: deps.config.siteHandle }),
    ...(deps.config.siteIntroduction == null ? {} : { siteIntroduction: deps.config.siteIntroduction }),
  };
}

/** `@slug@host`: the Declaration's fediverse handle. */
export function declarationHandle(slug: string, origin: URL): string {
  return `@${slug}@${origin.host}`;
}

// ---------------------------------------------------------------------------
// Follow or sign from your server

type InteractStatus = 200 | 400 | 403 | 409 | 413 | 415 | 422 | 429;

interface InteractState {
  account?: string;
  error?: string;
  formError?: string;
}

function interactPage(c: Context<WebEnv>, d: Declaration, state: InteractState, status: InteractStatus) {
  const { db, config, secret } = c.get("deps");
  if (status !== 200) c.header("Cache-Control", "no-store");
  formsMayLeaveSite(c);
  return c.html(
    <Layout title={`Follow or sign: ${d.title}`} siteName={config.instanceName}>
      <div class="interact-page">
        <p class="breadcrumb">
          <a href={`/d/${d.slug}`}>{d.title}</a>
        </p>
        <InteractSection
          standalone
          slug={d.slug}
          handle={declarationHandle(d.slug, config.origin)}
          followers={countFollowers(db, d.id)}
          boosts={countBoosts(db, d.id)}
          csrf={sharedFormToken(c, secret, config.origin)}
          {...state}
        />
      </div>
    </Layout>,
    status,
  );
}

/** The Declaration `slug` if it exists and is not a draft (drafts have no actor). */
function interactable(c: Context<WebEnv>, slug: string): Declaration | undefined {
  const declaration = getDeclarationBySlug(c.get("deps").db, slug);
  return declaration == null || declaration.status === "draft" ? undefined : declaration;
}

const WITHDRAWN = "This Declaration was withdrawn by its author: it can no longer be signed or followed.";

/** What went wrong, in words, for the account field. */
export function failureMessage(
  reason: InteractionFailure,
  account: AccountInput,
  intent: InteractionIntent,
  fallback: string,
): string {
  const who = account.label;
  switch (reason) {
    case "not-found":
      return `We could not find ${who}: its server says there is no such account. Please check the spelling.`;
    case "unreachable":
      return `We could not find ${who}: its server (${account.host}) did not answer.`;
    case "no-link":
      return `${account.host} did not tell us where to ${intent === "follow" ? "follow" : "favourite posts"} from there. Search for ${fallback} on your server instead.`;
    case "private-address":
      return `${account.host} is a private or local address; this site looks up accounts on public servers only.`;
    case "blocked":
      return `This site does not exchange messages with ${account.host}.`;
  }
}

interactOnDeclarations.get("/:slug/interact", (c) => {
  const d = interactable(c, c.req.param("slug"));
  if (d == null) return notFoundPage(c, `There is no Declaration “${c.req.param("slug")}” here.`);
  if (d.status === "withdrawn") return interactPage(c, d, { formError: WITHDRAWN }, 409);
  return interactPage(c, d, {}, 200);
});

interactOnDeclarations.post("/:slug/interact", async (c) => {
  const d = interactable(c, c.req.param("slug"));
  if (d == null) return notFoundPage(c, `There is no Declaration “${c.req.param("slug")}” here.`);
  const deps = c.get("deps");
  const { config, secret } = deps;
  const body = await readForm(c);
  if (!body.ok) return interactPage(c, d, { formError: body.message }, body.status);
  const form = body.value;
  const account = (form.account ?? "").slice(0, 1000);
  if (!verifyCsrf(c, secret, config.origin, form[CSRF_FIELD])) {
    return interactPage(
      c,
      d,
      { account, formError: "This form expired or was not sent from this site. Please try again." },
      403,
    );
  }
  if (d.status === "withdrawn") return interactPage(c, d, { account, formError: WITHDRAWN }, 409);
  const chosen = parseRequest(interactForm, { intent: form.intent });
  if (!chosen.ok) return interactPage(c, d, { account, formError: chosen.message }, 400);
  const { intent } = chosen.value;
  const parsed = parseAccount(account);
  if (!parsed.ok) return interactPage(c, d, { account, error: parsed.message }, 400);
  const wait = lookupWait(c);
  if (wait > 0)
    return interactPage(
      c,
      d,
      { account, formError: `Too many lookups from your connection. Please try again in ${wait} seconds.` },
      429,
    );

  const data = fedDataOf(deps);
  const target = interactionTarget(deps.federation, data, config.origin, d, intent);
  const result = await findInteractionUrl(deps.federation, data, config.origin, parsed.account, intent, target, {
    allowPrivateAddress: config.federation.allowPrivateAddress,
  });
  if (result.ok) return c.redirect(result.url.href, 303);
  const fallback = intent === "follow" ? declarationHandle(d.slug, config.origin) : target.href;
  return interactPage(c, d, { account, error: failureMessage(result.reason, parsed.account, intent, fallback) }, 422);
});

// ---------------------------------------------------------------------------
// /interact?uri=…

const URI_MAX = 2000;

function problemPage(c: Context<WebEnv>, status: 400 | 403 | 404 | 429, title: string, message: string, uri?: string) {
  const { config } = c.get("deps");
  c.header("Cache-Control", "no-store");
  return c.html(
    <Layout title={title} siteName={config.instanceName}>
      <section class="error-page">
        <h1>{title}</h1>
        <p>{message}</p>
        {uri != null && uri !== "" && (
          <p>
            Address: <code class="link-text">{uri}</code>
          </p>
        )}
        <p>
          <a href="/">See all Declarations</a>
        </p>
      </section>
    </Layout>,
    status,
  );
}

function remotePage(c: Context<WebEnv>, o: RemoteObjectSummary) {
  const { config } = c.get("deps");
  c.header("Cache-Control", "no-store");
  const title = o.name ?? `${o.type} on ${o.id.host}`;
  return c.html(
    <Layout title={title} siteName={config.instanceName}>
      <section class="prose-page remote-object" aria-labelledby="remote-title">
        <p class="breadcrumb">
          <a href="/">Declarations</a>
        </p>
        <h1 id="remote-title">{title}</h1>
        <p class="meta">
          <span>{o.type}</span>
          {o.handle != null && <span class="fedi-handle">{o.handle}</span>}
          <span>on {o.id.host}</span>
        </p>
        {o.text != null && o.text !== "" && <blockquote class="remote-text">{o.text}</blockquote>}
        <p>
          <a href={o.url.href} rel="nofollow noopener noreferrer">
            Open it on {o.url.host}
          </a>
        </p>
        <p class="fine-print">
          This is from another server. This site publishes Declarations; it cannot reply to, follow or favourite other
          accounts’ posts.
        </p>
      </section>
    </Layout>,
  );
}

interactRoutes.get("/interact", async (c) => {
  const deps = c.get("deps");
  const { config, db } = deps;
  const query = parseRequest(interactQuery, { uri: c.req.query("uri") ?? "" });
  if (!query.ok)
    return problemPage(c, 400, query.message === MISSING_URI ? "Nothing to open" : "Address too long", query.message);
  const { uri } = query.value;
  const isUrl = /^https?:\/\//i.test(uri);
  const handle = isUrl ? null : parseAccount(uri);
  if ((isUrl && !URL.canParse(uri)) || (handle != null && !handle.ok)) {
    return problemPage(
      c,
      400,
      "Not an address",
      "The address (uri) is neither a web address starting with https:// nor an account like alice@example.social.",
      uri,
    );
  }
  const data = fedDataOf(deps);
  // Our own objects: the Declaration they belong to.
  if (isUrl && new URL(uri).origin === config.origin.origin) {
    const slug = localDeclarationSlug(deps.federation, data, config.origin, new URL(uri));
    if (slug == null)
      return problemPage(
        c,
        404,
        "Not found",
        "This address of our site is not a Declaration or one of its posts.",
        uri,
      );
    return c.redirect(`/d/${slug}`, 303);
  }
  const label = handle?.ok === true ? handle.account.label : "";
  if (label !== "" && label.slice(label.lastIndexOf("@") + 1) === config.origin.host) {
    const slug = label.slice(0, label.lastIndexOf("@"));
    const d = getDeclarationBySlug(db, slug);
    if (d == null || d.status === "draft")
      return problemPage(c, 404, "Not found", `There is no Declaration “${slug}” here.`, uri);
    return c.redirect(`/d/${d.slug}`, 303);
  }
  const wait = lookupWait(c);
  if (wait > 0)
    return problemPage(
      c,
      429,
      "Too many lookups",
      `Too many lookups from your connection. Please try again in ${wait} seconds.`,
      uri,
    );
  const result = await lookupRemoteObject(deps.federation, data, config.origin, uri, {
    allowPrivateAddress: config.federation.allowPrivateAddress,
  });
  if (result.ok) return remotePage(c, result.object);
  switch (result.reason) {
    case "private-address":
      return problemPage(
        c,
        400,
        "Not looked up",
        "This address (uri) is private or local; this site looks up public servers only.",
        uri,
      );
    case "blocked":
      return problemPage(c, 403, "Not looked up", "This site does not exchange messages with that server.", uri);
    case "not-found":
      return problemPage(
        c,
        404,
        "Not found",
        "We could not fetch anything from this address (uri): its server did not answer, or has no post or account there.",
        uri,
      );
  }
});

// ---------------------------------------------------------------------------
// Our posts, opened in a browser

/** The intent of `POST /d/{slug}/interact` (the account is checked by `parseAccount`). */
const interactForm = z.object({
  intent: z.enum(["follow", "sign"], {
    message: "Please choose “Sign from your server” or “Follow from your server”.",
  }),
});

const MISSING_URI =
  "The address is missing: add the address of a post or an account as ?uri=… (for example ?uri=https://example.social/@alice).";

/** `GET /interact?uri=`: an address, present and not too long. */
const interactQuery = z.object({
  uri: z
    .string()
    .transform((u) => u.trim())
    .refine((u) => u !== "", MISSING_URI)
    .refine((u) => u.length <= URI_MAX, `The address (uri) is longer than ${URI_MAX} characters.`),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function postPage(c: Context<WebEnv>, kind: "note" | "article") {
  const { db } = c.get("deps");
  const uuid = c.req.param("uuid") ?? "";
  const post = UUID.test(uuid) ? getPostByUuid(db, uuid.toLowerCase()) : undefined;
  const matches = post != null && (kind === "article" ? post.kind === "article" : post.kind !== "article");
  const d = matches
    ? db
        .select({ slug: declarations.slug, status: declarations.status })
        .from(declarations)
        .where(eq(declarations.id, post.declarationId))
        .get()
    : undefined;
  if (d == null || d.status === "draft") {
    // The site account's Notes share the path: the page each is about.
    const site =
      kind === "note" && post == null && UUID.test(uuid) ? getSitePostByUuid(db, uuid.toLowerCase()) : undefined;
    if (site != null && site.kind !== "boost") return c.redirect(sitePostPath(db, site), 303);
    return notFoundPage(c, "There is no such post here.");
  }
  return c.redirect(`/d/${d.slug}`, 303);
}

interactRoutes.get("/ap/notes/:uuid", (c) => postPage(c, "note"));
interactRoutes.get("/ap/articles/:uuid", (c) => postPage(c, "article"));
