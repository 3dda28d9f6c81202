/**
 * What `/interact?uri=…` needs besides the interaction itself: our own URIs
 * mapped back to their Declaration, and other servers' objects fetched (with
 * our instance actor's signature, through the federation's context, so the
 * rule on private addresses applies) and summarised as text.
 */
import type { Federation } from "@fedify/fedify";
import { isActor, type Object as APObject } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import { htmlToText as plainText } from "../markdown.ts";
import { getDeclarationById, getDeclarationBySlug } from "../db/declarations.ts";
import { isDomainBlocked } from "../db/fediverse.ts";
import { getPostByUuid } from "../db/posts.ts";
import { APP } from "../logging.ts";
import { INSTANCE_ACTOR, type FedData } from "./builder.ts";
import { contextFor, parseAccount } from "./interaction.ts";
import { cleanLine } from "../signature-input.ts";
import { isPrivateHostLiteral } from "./guarded-fetch.ts";
import { remoteLine } from "./signer.ts";

const logger = getLogger([APP, "federation", "interaction"]);

/** How long one object lookup may take. */
const LOOKUP_TIMEOUT_MS = 10_000;

/**
 * The slug of the Declaration that one of our URIs belongs to (its actor, or
 * one of its posts), or null when the URI is not ours or names nothing.
 * Drafts are not resolved.
 */
export function localDeclarationSlug(
  federation: Federation<FedData>,
  data: FedData,
  origin: URL,
  uri: URL,
): string | null {
  const ctx = contextFor(federation, data, origin);
  const parsed = ctx.parseUri(uri);
  let slug: string | null = null;
  if (parsed?.type === "actor" && parsed.identifier !== INSTANCE_ACTOR) {
    slug = parsed.identifier;
  } else if (parsed?.type === "object" && typeof parsed.values.uuid === "string") {
    const post = getPostByUuid(data.db, parsed.values.uuid);
    if (post != null) {
      slug = getDeclarationById(data.db, post.declarationId)?.slug ?? null;
    }
  }
  if (slug == null) return null;
  const declaration = getDeclarationBySlug(data.db, slug);
  return declaration == null || declaration.status === "draft" ? null : slug;
}

/** What `/interact` shows about another server's object: text only. */
export interface RemoteObjectSummary {
  /** The ActivityStreams type, e.g. "Note", "Person". */
  readonly type: string;
  readonly id: URL;
  /** The page to open: its `url`, else its id. */
  readonly url: URL;
  readonly name: string | null;
  /** Its summary, or for a post its content, as plain text (at most 500 characters). */
  readonly text: string | null;
  /** For an actor: `@user@host`. */
  readonly handle: string | null;
}

export type RemoteLookup =
  | { ok: true; object: RemoteObjectSummary }
  | { ok: false; reason: "not-found" | "private-address" | "blocked" };

const TEXT_MAX = 500;

/**
 * Plain text of a remote HTML fragment, whitespace collapsed, invisible
 * control and direction characters removed, cut at `TEXT_MAX` characters.
 */
export function htmlToText(html: string): string {
  const text = cleanLine(plainText(html.replace(/<br\s*\/?>|<\/p>/gi, " ")));
  const chars = [...text];
  return chars.length > TEXT_MAX ? `${chars.slice(0, TEXT_MAX - 1).join("")}…` : text;
}

function httpUrl(value: unknown): URL | null {
  return value instanceof URL && (value.protocol === "http:" || value.protocol === "https:") ? value : null;
}

/**
 * Fetches another server's object (a URL, or a `user@host` handle) with our
 * instance actor's signature, and summarises it.
 */
export async function lookupRemoteObject(
  federation: Federation<FedData>,
  data: FedData,
  origin: URL,
  uri: string,
  options: { allowPrivateAddress: boolean },
): Promise<RemoteLookup> {
  const parsed = /^https?:\/\//i.test(uri) ? null : parseAccount(uri);
  const host = parsed == null ? (URL.canParse(uri) ? new URL(uri).hostname : "") : parsed.ok ? parsed.account.host : "";
  if (host !== "" && isDomainBlocked(data.db, host)) return { ok: false, reason: "blocked" };
  if (!options.allowPrivateAddress && isPrivateHostLiteral(host)) return { ok: false, reason: "private-address" };
  const ctx = contextFor(federation, data, origin);
  let object: APObject | null;
  try {
    const documentLoader = await ctx.getDocumentLoader({ identifier: INSTANCE_ACTOR });
    object = await ctx.lookupObject(uri, { documentLoader, signal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS) });
  } catch (error) {
    logger.debug("Lookup of {uri} failed: {error}", { uri, error });
    object = null;
  }
  if (object?.id == null) return { ok: false, reason: "not-found" };
  if (isDomainBlocked(data.db, object.id.hostname)) return { ok: false, reason: "blocked" };
  const type = (object.constructor as { typeId?: URL }).typeId?.href.replace(/^.*[#/]/, "") ?? "Object";
  const page = httpUrl(object.url instanceof URL ? object.url : object.url?.href) ?? object.id;
  if (isActor(object)) {
    const username = remoteLine(object.preferredUsername?.toString())?.replace(/\s/g, "") ?? null;
    return {
      ok: true,
      object: {
        type,
        id: object.id,
        url: page,
        name: remoteLine(object.name?.toString()) ?? username,
        text: object.summary == null ? null : htmlToText(object.summary.toString()),
        handle: username == null || username === "" ? null : `@${username}@${object.id.host}`,
      },
    };
  }
  const body = object.summary ?? object.content;
  return {
    ok: true,
    object: {
      type,
      id: object.id,
      url: page,
      name: remoteLine(object.name?.toString()),
      text: body == null ? null : htmlToText(body.toString()),
      handle: null,
    },
  };
}
