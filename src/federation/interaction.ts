/**
 * Interacting from another server: "Follow from your server" and "Sign from
 * your server" look up the visitor's account with WebFinger and send them to
 * the page on their own server where they can follow our actor or favourite
 * our announcement (FEP-3b86 activity intents, else the OStatus subscribe
 * template every Mastodon serves).  (`/interact?uri=…` is served with
 * remote-objects.ts.)
 *
 * Every lookup goes through the federation's context, so Fedify's rule on
 * private and loopback addresses (`allowPrivateAddress`) applies to it.
 */
import type { Context, Federation } from "@fedify/fedify";
import { getLogger } from "@logtape/logtape";
import { isDomainBlocked } from "../db/fediverse.ts";
import { getPost } from "../db/posts.ts";
import type { Declaration } from "../db/schema.ts";
import { APP } from "../logging.ts";
import type { FedData } from "./builder.ts";
import { isPrivateHostLiteral } from "./guarded-fetch.ts";
import { noteUri } from "./objects.ts";

const logger = getLogger([APP, "federation", "interaction"]);

/** How long one WebFinger lookup may take. */
const LOOKUP_TIMEOUT_MS = 10_000;
/** Longest account input accepted (a handle or a profile URL). */
export const ACCOUNT_MAX = 300;

export type InteractionIntent = "follow" | "sign";

/** Link relations tried, best first (FEP-3b86, then OStatus). */
const RELS: Record<InteractionIntent, readonly string[]> = {
  follow: [
    "https://w3id.org/fep/3b86/Follow",
    "https://w3id.org/fep/3b86/Object",
    "http://ostatus.org/schema/1.0/subscribe",
  ],
  sign: [
    "https://w3id.org/fep/3b86/Like",
    "https://w3id.org/fep/3b86/Object",
    "http://ostatus.org/schema/1.0/subscribe",
  ],
};

/** An account as typed, parsed: a handle (`acct:user@host`) or a profile URL. */
export interface AccountInput {
  /** What WebFinger is asked about: `acct:user@host`, or the profile URL. */
  readonly resource: URL;
  /** The host of the account's server (lower-case, punycode). */
  readonly host: string;
  /** How to name it in messages: `user@host` or the URL. */
  readonly label: string;
}

export type AccountParse = { ok: true; account: AccountInput } | { ok: false; message: string };

/** A host name (or IP address, with an optional port) as the URL parser normalises it, or null. */
function normalHost(host: string): string | null {
  if (host === "" || /[\s/?#@\\]/.test(host)) return null;
  if (!URL.canParse(`https://${host}`)) return null;
  const url = new URL(`https://${host}`);
  if (url.hostname === "" || url.pathname !== "/" || url.username !== "" || url.password !== "") return null;
  return url.host;
}

/**
 * Parses `user@server`, `@user@server`, `acct:user@server` or a profile URL
 * (`https://server/@user`).  The message says what is wrong, for the field.
 */
export function parseAccount(raw: string): AccountParse {
  const text = raw.trim();
  if (text === "")
    return { ok: false, message: "Please enter your fediverse account, for example alice@example.social." };
  if ([...text].length > ACCOUNT_MAX)
    return {
      ok: false,
      message: `This is longer than ${ACCOUNT_MAX} characters; please enter just your account, like alice@example.social.`,
    };
  if (/^https?:\/\//i.test(text)) {
    const url = URL.canParse(text) ? new URL(text) : null;
    if (url == null || url.hostname === "" || url.username !== "" || url.password !== "") {
      return {
        ok: false,
        message:
          "This is not a valid web address. Enter your account as alice@example.social, or the full address of your profile page.",
      };
    }
    url.hash = "";
    return { ok: true, account: { resource: url, host: url.hostname.toLowerCase(), label: url.href } };
  }
  const handle = text.replace(/^acct:/i, "").replace(/^@/, "");
  const at = handle.lastIndexOf("@");
  const user = at < 0 ? "" : handle.slice(0, at);
  const host = at < 0 ? null : normalHost(handle.slice(at + 1));
  if (at < 0 || user === "" || host == null || /[\s@/:?#%\\]/.test(user)) {
    return {
      ok: false,
      message:
        at < 0
          ? `“${text}” has no server. Enter your whole account, with the server after the @: for example ${handle === "" ? "alice" : handle}@example.social.`
          : "This does not look like a fediverse account. Enter it as alice@example.social, or the full address of your profile page.",
    };
  }
  const label = `${user}@${host}`;
  return {
    ok: true,
    account: { resource: new URL(`acct:${encodeURI(user)}@${host}`), host: new URL(`https://${host}`).hostname, label },
  };
}

export type InteractionFailure =
  /** WebFinger answered that there is no such account. */
  | "not-found"
  /** The server could not be reached, timed out, or answered with an error. */
  | "unreachable"
  /** The account exists, but its server offers no way to open our object there. */
  | "no-link"
  /** The address is private or loopback and this site does not fetch from there. */
  | "private-address"
  /** The site owner blocked that server. */
  | "blocked";

export type InteractionResult = { ok: true; url: URL } | { ok: false; reason: InteractionFailure };

/** RFC 3986 percent-encoding of everything but the unreserved characters (RFC 6570 simple expansion). */
function encodeComponent(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Expands an RFC 6570 template the way FEP-3b86 asks: `{object}` and `{uri}`
 * become the percent-encoded target; every other expression is left blank.
 */
export function expandTemplate(template: string, target: URL): string {
  return template.replace(/\{([^{}]*)\}/g, (_, expression: string) => {
    const names = expression.split(",").map((n) => n.trim());
    return names.length === 1 && (names[0] === "object" || names[0] === "uri") ? encodeComponent(target.href) : "";
  });
}

/**
 * The first link of the relations tried for `intent` whose expanded template
 * is an https URL (or http, when `allowHttp`: development servers).
 */
export function pickInteractionUrl(
  links: readonly { rel?: string; template?: string }[],
  intent: InteractionIntent,
  target: URL,
  allowHttp = false,
): URL | null {
  for (const rel of RELS[intent]) {
    for (const link of links) {
      if (link.rel !== rel || typeof link.template !== "string") continue;
      const expanded = expandTemplate(link.template, target);
      if (!URL.canParse(expanded)) continue;
      const url = new URL(expanded);
      if (url.protocol === "https:" || (allowHttp && url.protocol === "http:")) return url;
    }
  }
  return null;
}

type WebFingerOptions = NonNullable<Parameters<Context<FedData>["lookupWebFinger"]>[1]>;

/**
 * Fedify's WebFinger client answers `null` for every failure, but reports
 * why in its `webfinger.lookup` metric (`webfinger.lookup.result`: found,
 * not_found, invalid, network_error, error).  A meter provider of our own,
 * used for one lookup, reads that attribute, so the visitor can be told
 * whether the account does not exist or its server did not answer.
 */
function lookupOutcome(): { meterProvider: WebFingerOptions["meterProvider"]; result: () => string | undefined } {
  let result: string | undefined;
  const meter = {
    createCounter: () => ({
      add: (_value: number, attributes?: Record<string, unknown>) => {
        const r = attributes?.["webfinger.lookup.result"];
        if (typeof r === "string") result = r;
      },
    }),
    createHistogram: () => ({ record: () => {} }),
  };
  return {
    meterProvider: { getMeter: () => meter } as unknown as WebFingerOptions["meterProvider"],
    result: () => result,
  };
}

/** A context for work outside a request (lookups made on behalf of a web page). */
export function contextFor(federation: Federation<FedData>, data: FedData, origin: URL): Context<FedData> {
  return federation.createContext(origin, data);
}

/**
 * What a visitor follows or favourites: our actor for `follow`; for `sign`
 * the pinned announcement Note (favouriting it signs), or the actor while
 * the Note is not posted yet.
 */
export function interactionTarget(
  federation: Federation<FedData>,
  data: FedData,
  origin: URL,
  declaration: Pick<Declaration, "id" | "slug">,
  intent: InteractionIntent,
): URL {
  const ctx = contextFor(federation, data, origin);
  if (intent === "sign") {
    const announcement = getPost(data.db, declaration.id, "announcement");
    if (announcement != null) return noteUri(ctx, announcement);
  }
  return ctx.getActorUri(declaration.slug);
}

/**
 * Looks the visitor's account up with WebFinger and returns the URL on their
 * server where they can follow or favourite `target`, or why not.
 * `allowPrivateAddress` also lets plain-http results through.
 */
export async function findInteractionUrl(
  federation: Federation<FedData>,
  data: FedData,
  origin: URL,
  account: AccountInput,
  intent: InteractionIntent,
  target: URL,
  options: { allowPrivateAddress: boolean },
): Promise<InteractionResult> {
  if (isDomainBlocked(data.db, account.host)) return { ok: false, reason: "blocked" };
  // Fedify refuses these too, but says only "not found"; this names the reason.
  if (!options.allowPrivateAddress && isPrivateHostLiteral(account.host))
    return { ok: false, reason: "private-address" };
  const ctx = contextFor(federation, data, origin);
  const outcome = lookupOutcome();
  let jrd: Awaited<ReturnType<typeof ctx.lookupWebFinger>>;
  try {
    jrd = await ctx.lookupWebFinger(account.resource, {
      meterProvider: outcome.meterProvider,
      signal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS),
    });
  } catch (error) {
    logger.debug("WebFinger lookup of {account} failed: {error}", { account: account.label, error });
    return { ok: false, reason: "unreachable" };
  }
  if (jrd == null) {
    const result = outcome.result();
    logger.debug("WebFinger lookup of {account} gave nothing ({result})", { account: account.label, result });
    return { ok: false, reason: result === "not_found" ? "not-found" : "unreachable" };
  }
  // Plain http only where private addresses are allowed too (development): the
  // browser is sent there from a form, and the page's CSP allows https only.
  const url = pickInteractionUrl(
    Array.isArray(jrd.links) ? jrd.links : [],
    intent,
    target,
    options.allowPrivateAddress,
  );
  return url == null ? { ok: false, reason: "no-link" } : { ok: true, url };
}
