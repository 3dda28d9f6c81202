/**
 * (Over 400 lines: reading a remote Article and resolving a pasted address share the same fetches and checks.)
 *
 * Reading Declarations from other servers: the compact JSON of an Article
 * and its actor, read as plainly as Mastodon reads them (fetched with
 * remote-fetch.ts), and the resolution of what an author pastes (a page
 * address, a revision's address, or a handle `@slug@host`) to the actor, its
 * Article and the revision to copy, with the chain of sources checked.
 *
 * Nothing here writes: the caller keeps what it needs.  Every failure is a
 * value with a sentence for the person who asked, never an exception.
 */
import type { DbLike } from "../db/client.ts";
import { htmlToMarkdown } from "../html-markdown.ts";
import { htmlToText } from "../markdown.ts";
import { cleanLine, cleanText } from "../signature-input.ts";
import { isPrivateHostLiteral } from "./guarded-fetch.ts";
import { fetchJson, MAX_REMOTE_DOCUMENT_BYTES, type FetchFailure } from "./remote-fetch.ts";

export { fetchJson, MAX_REMOTE_DOCUMENT_BYTES, type FetchOptions } from "./remote-fetch.ts";

/** Largest Declaration text taken from another server (the editor's own limit). */
export const MAX_REMOTE_BODY_BYTES = 200 * 1024;
/** How many sources up a chain of copies we follow before giving up. */
export const MAX_SOURCE_CHAIN = 8;

// ---------------------------------------------------------------------------
// Reading compact JSON as it comes (a value may be a string, an object or an array)

type Json = Record<string, unknown>;

function list(value: unknown): unknown[] {
  return value == null ? [] : Array.isArray(value) ? value : [value];
}

function text(value: unknown): string | null {
  for (const v of list(value)) {
    if (typeof v === "string") return v;
    if (v != null && typeof v === "object" && typeof (v as Json)["@value"] === "string")
      return (v as Json)["@value"] as string;
  }
  return null;
}

/** A language map's first value (`nameMap`, `contentMap`). */
function mapped(value: unknown): string | null {
  if (value == null || typeof value !== "object" || Array.isArray(value)) return null;
  const first = Object.values(value as Json).find((v) => typeof v === "string");
  return (first as string | undefined) ?? null;
}

function idOf(value: unknown): string | null {
  for (const v of list(value)) {
    if (typeof v === "string") return v;
    if (v != null && typeof v === "object" && typeof (v as Json).id === "string") return (v as Json).id as string;
  }
  return null;
}

function httpUrl(value: string | null): URL | null {
  if (value == null || !URL.canParse(value)) return null;
  const url = new URL(value);
  return url.protocol === "http:" || url.protocol === "https:" ? url : null;
}

function typesOf(json: Json): string[] {
  return list(json.type).filter((t): t is string => typeof t === "string");
}

const ACTOR_TYPES = ["Person", "Service", "Application", "Group", "Organization"];
const DOCUMENT_TYPES = ["Article", "Note", "Page", "Document"];

export function isActorJson(json: Json): boolean {
  return typesOf(json).some((t) => ACTOR_TYPES.includes(t));
}

export function isArticleJson(json: Json): boolean {
  return typesOf(json).some((t) => DOCUMENT_TYPES.includes(t));
}

/** The first `url` meant for people (an HTML page), else the first at all. */
function pageUrl(value: unknown): URL | null {
  let fallback: URL | null = null;
  for (const v of list(value)) {
    const href =
      typeof v === "string" ? v : v != null && typeof v === "object" ? (text((v as Json).href) ?? null) : null;
    const url = httpUrl(href);
    if (url == null) continue;
    const mediaType = typeof v === "object" && v != null ? text((v as Json).mediaType) : null;
    if (mediaType == null || mediaType === "text/html") return url;
    fallback ??= url;
  }
  return fallback;
}

/** A Declaration revision as read from an Article. */
export interface RemoteArticle {
  readonly id: URL;
  readonly actorIri: URL;
  /** The revision's own address: the Article's `url` (`…/d/slug/v/N` on undersign). */
  readonly url: URL;
  /** From `…/v/N` in the address; 1 for servers that do not number their versions. */
  readonly number: number;
  readonly title: string;
  readonly summary: string;
  readonly body: string;
  readonly format: "markdown" | "html";
  /** The revision this one names as its source (a `Link` with `rel: "via"` in `tag`). */
  readonly via: URL | null;
  readonly hashtags: string[];
}

export type ArticleRead =
  | { ok: true; article: RemoteArticle }
  | { ok: false; reason: "not-a-declaration" | "wrong-origin" | "too-large" };

/**
 * Reads an Article (or Note/Page) fetched from `fetchedFrom`.  Its id, and
 * its author, must be on the server it was fetched from: a document that
 * says it is someone else's is refused.
 */
export function readArticle(json: Json, fetchedFrom: URL): ArticleRead {
  if (!isArticleJson(json)) return { ok: false, reason: "not-a-declaration" };
  const id = httpUrl(idOf(json.id));
  const actor = httpUrl(idOf(json.attributedTo));
  if (id == null || actor == null) return { ok: false, reason: "not-a-declaration" };
  if (id.origin !== fetchedFrom.origin || actor.origin !== id.origin) return { ok: false, reason: "wrong-origin" };
  const source = list(json.source).find((s): s is Json => s != null && typeof s === "object");
  const sourceType = source == null ? null : text(source.mediaType);
  const sourceText = source == null ? null : text(source.content);
  const markdown = sourceText != null && (sourceType === "text/markdown" || sourceType === "text/x-markdown");
  const html = text(json.content) ?? mapped(json.contentMap) ?? "";
  const body = markdown ? sourceText!.replace(/\r\n?/g, "\n") : htmlToMarkdown(html);
  if (Buffer.byteLength(body, "utf8") > MAX_REMOTE_BODY_BYTES) return { ok: false, reason: "too-large" };
  if (body.trim() === "") return { ok: false, reason: "not-a-declaration" };
  const url = pageUrl(json.url) ?? id;
  const number = /\/v\/([1-9]\d{0,8})\/?$/.exec(url.pathname)?.[1];
  let via: URL | null = null;
  const hashtags: string[] = [];
  for (const tag of list(json.tag)) {
    if (tag == null || typeof tag !== "object") continue;
    const t = tag as Json;
    const types = typesOf(t);
    if (types.includes("Link") && list(t.rel).includes("via")) via ??= httpUrl(text(t.href));
    if (types.includes("Hashtag")) {
      const name = text(t.name)?.replace(/^#/, "");
      if (name != null && /^[\p{L}\p{N}_]{1,100}$/u.test(name)) hashtags.push(name);
    }
  }
  // Invisible control and direction characters removed, as from local titles and names.
  const title = [...cleanLine(text(json.name) ?? mapped(json.nameMap) ?? "")].slice(0, 200).join("").trim();
  // undersign writes a Declaration's summary as the Article's `preview` (a
  // `summary` is a content warning on most servers); others write `summary`.
  const preview = list(json.preview).find((p): p is Json => p != null && typeof p === "object");
  const summary =
    text(json.summary) ?? (preview == null ? null : (text(preview.content) ?? mapped(preview.contentMap)));
  return {
    ok: true,
    article: {
      id,
      actorIri: actor,
      url,
      number: number == null ? 1 : Number(number),
      title: title === "" ? `Declaration from ${id.host}` : title,
      summary: cleanText(htmlToText(summary ?? "")).slice(0, 1000),
      body,
      format: markdown ? "markdown" : "html",
      via,
      hashtags: hashtags.slice(0, 20),
    },
  };
}

/** What we keep of a remote Declaration's actor. */
export interface RemoteActorInfo {
  readonly id: URL;
  readonly inbox: URL;
  readonly sharedInbox: URL | null;
  readonly outbox: URL | null;
  readonly name: string | null;
  /** The "Signatures" profile field undersign actors carry; null when there is none. */
  readonly signatureCount: number | null;
}

/** Reads an actor fetched from `fetchedFrom`; its inboxes must be on its own server. */
export function readActor(json: Json, fetchedFrom: URL): RemoteActorInfo | null {
  if (!isActorJson(json)) return null;
  const id = httpUrl(idOf(json.id));
  const inbox = httpUrl(idOf(json.inbox));
  if (id == null || inbox == null || id.origin !== fetchedFrom.origin || inbox.origin !== id.origin) return null;
  const endpoints = list(json.endpoints).find((e): e is Json => e != null && typeof e === "object");
  const shared = httpUrl(idOf(endpoints?.sharedInbox ?? json.sharedInbox));
  const outbox = httpUrl(idOf(json.outbox));
  let signatureCount: number | null = null;
  for (const field of list(json.attachment)) {
    if (field == null || typeof field !== "object") continue;
    const f = field as Json;
    if (typesOf(f).includes("PropertyValue") && text(f.name) === "Signatures") {
      const digits = htmlToText(text(f.value) ?? "").replace(/[^0-9]/g, "");
      if (/^\d{1,12}$/.test(digits)) signatureCount = Number(digits);
    }
  }
  // Invisible control and direction characters removed, as from local names.
  const name = [...cleanLine(text(json.name) ?? "")].slice(0, 200).join("").trim();
  return {
    id,
    inbox,
    sharedInbox: shared != null && shared.origin === id.origin ? shared : null,
    outbox: outbox != null && outbox.origin === id.origin ? outbox : null,
    name: name === "" ? null : name,
    signatureCount,
  };
}

// ---------------------------------------------------------------------------
// Resolving what an author pastes

export type ResolveFailure =
  | "invalid"
  | "private-address"
  | "blocked"
  | "unreachable"
  | "gone"
  | "too-large"
  | "not-a-declaration"
  | "wrong-origin"
  | "chain"
  | "local";

export interface ResolvedDeclaration {
  readonly actor: RemoteActorInfo;
  /** The Article that stays the same across revisions (Updates name it). */
  readonly articleIri: URL;
  /** The revision to copy (the one pasted, else the latest). */
  readonly revision: RemoteArticle;
  /** The newest revision known. */
  readonly latest: { number: number; url: URL };
  /** The Article as it is now (its newest revision). */
  readonly latestArticle: RemoteArticle;
  /** The revisions up the chain of sources of the one copied, nearest first (as far as they answered). */
  readonly chain: readonly RemoteArticle[];
}

export type Resolution =
  | { ok: true; declaration: ResolvedDeclaration }
  | { ok: false; reason: ResolveFailure; message: string };

const SIZE_KB = MAX_REMOTE_DOCUMENT_BYTES / 1024;

/** A sentence for each failure, naming the server where there is one. */
export function resolveMessage(reason: ResolveFailure, host: string): string {
  const where = host === "" ? "That server" : host;
  switch (reason) {
    case "invalid":
      return "Enter the address of a Declaration on another site (https://example.org/d/its-name) or its handle (@its-name@example.org).";
    case "private-address":
      return `${where} is on a private or local network; this site only fetches from the public internet.`;
    case "blocked":
      return `This site does not exchange with ${where}.`;
    case "unreachable":
      return `${where} did not answer (or answered with an error). Nothing was copied; please try again later.`;
    case "gone":
      return `${where} says there is no such Declaration (or no longer).`;
    case "too-large":
      return `The document at ${where} is larger than this site accepts (${SIZE_KB} KB for a document, ${MAX_REMOTE_BODY_BYTES / 1024} KB for a text).`;
    case "not-a-declaration":
      return `What ${where} serves at that address is not a Declaration: it has no Article with a text to copy.`;
    case "wrong-origin":
      return `The document from ${where} claims to come from another server, so it was not trusted.`;
    case "chain":
      return `The chain of sources of this Declaration is longer than ${MAX_SOURCE_CHAIN} or loops back on itself, so it was not copied.`;
    case "local":
      return "This Declaration is on this site: use “Make your own copy” on its page.";
  }
}

function failure(reason: ResolveFailure, host: string): Resolution {
  return { ok: false, reason, message: resolveMessage(reason, host) };
}

function fetchFailure(reason: FetchFailure): ResolveFailure {
  switch (reason) {
    case "invalid-url":
      return "invalid";
    case "private-address":
    case "too-large":
    case "gone":
    case "unreachable":
    case "blocked":
      return reason;
    case "not-json":
      return "not-a-declaration";
    case "http-error":
      return "unreachable";
  }
}

export interface ResolveOptions {
  allowPrivateAddress: boolean;
  db: DbLike;
  /** This site's origin: our own Declarations are not fetched, and its instance actor signs the requests. */
  origin: URL;
}

/** `@slug@host`, `slug@host` or `acct:slug@host` → [user, host], or null. */
function parseHandle(input: string): [string, string] | null {
  const m = /^(?:acct:)?@?([^@\s/:?#]+)@([^@\s/?#]+)$/i.exec(input);
  if (m == null || !URL.canParse(`https://${m[2]}`)) return null;
  return [m[1]!, new URL(`https://${m[2]}`).host];
}

/** The actor URL for a handle, by WebFinger (plain http only for local hosts where private addresses are allowed). */
async function webfinger(
  user: string,
  host: string,
  options: ResolveOptions,
): Promise<{ ok: true; url: URL } | { ok: false; reason: ResolveFailure }> {
  const hostname = new URL(`https://${host}`).hostname;
  const scheme = options.allowPrivateAddress && isPrivateHostLiteral(hostname) ? "http" : "https";
  const url = new URL(`${scheme}://${host}/.well-known/webfinger`);
  url.searchParams.set("resource", `acct:${user}@${host}`);
  const got = await fetchJson(url, {
    ...options,
    accept: "application/jrd+json, application/json",
    maxBytes: 64 * 1024,
  });
  if (!got.ok) return { ok: false, reason: fetchFailure(got.reason) };
  for (const link of list(got.json.links)) {
    if (link == null || typeof link !== "object") continue;
    const l = link as Json;
    const type = text(l.type) ?? "";
    if (text(l.rel) === "self" && (type === "application/activity+json" || type.startsWith("application/ld+json"))) {
      const href = httpUrl(text(l.href));
      if (href != null) return { ok: true, url: href };
    }
  }
  return { ok: false, reason: "gone" };
}

/** GETs an Article by its address and reads it. */
export async function fetchArticle(
  url: URL,
  options: ResolveOptions,
): Promise<{ ok: true; article: RemoteArticle } | { ok: false; reason: ResolveFailure }> {
  const got = await fetchJson(url, options);
  if (!got.ok) return { ok: false, reason: fetchFailure(got.reason) };
  const read = readArticle(got.json, got.url);
  return read.ok ? read : { ok: false, reason: read.reason };
}

/** GETs an actor by its address and reads it. */
export async function fetchActor(
  url: URL,
  options: ResolveOptions,
): Promise<{ ok: true; actor: RemoteActorInfo } | { ok: false; reason: ResolveFailure }> {
  const got = await fetchJson(url, options);
  if (!got.ok) return { ok: false, reason: fetchFailure(got.reason) };
  const actor = readActor(got.json, got.url);
  return actor == null ? { ok: false, reason: "not-a-declaration" } : { ok: true, actor };
}

/**
 * The actor's Article: the newest `Create` or `Update` of an Article by the
 * actor in the first pages of its outbox (undersign's outbox is newest first).
 */
async function articleOfActor(actor: RemoteActorInfo, options: ResolveOptions): Promise<URL | null> {
  if (actor.outbox == null) return null;
  const outbox = await fetchJson(actor.outbox, options);
  if (!outbox.ok) return null;
  let page: Json | null = outbox.json;
  for (let n = 0; page != null && n < 3; n++) {
    const items = [...list(page.orderedItems), ...list(page.items)];
    for (const item of items) {
      if (item == null || typeof item !== "object") continue;
      const activity = item as Json;
      if (!typesOf(activity).some((t) => t === "Create" || t === "Update")) continue;
      const object = activity.object;
      if (object != null && typeof object === "object" && !Array.isArray(object) && !isArticleJson(object as Json))
        continue;
      const id = httpUrl(idOf(object));
      if (
        id != null &&
        id.origin === actor.id.origin &&
        (typeof object === "object" ? typesOf(object as Json).includes("Article") : true)
      )
        return id;
    }
    const next = page === outbox.json ? (page.first ?? null) : (page.next ?? null);
    if (next != null && typeof next === "object" && !Array.isArray(next)) {
      page = next as Json;
      continue;
    }
    const nextUrl = httpUrl(idOf(next));
    if (nextUrl == null || nextUrl.origin !== actor.id.origin) return null;
    const got = await fetchJson(nextUrl, options);
    page = got.ok ? got.json : null;
  }
  return null;
}

/**
 * Follows the `via` links up from `start` (at most MAX_SOURCE_CHAIN hops),
 * returning the sources fetched, nearest first.  A loop, or a longer chain,
 * is refused (`ok: false`); a source that does not answer ends the walk (it
 * may be down; the copy can still be made).
 */
export async function checkSourceChain(
  start: RemoteArticle,
  options: ResolveOptions,
): Promise<{ ok: boolean; chain: RemoteArticle[] }> {
  const seen = new Set<string>([start.url.href, start.id.href]);
  const chain: RemoteArticle[] = [];
  let via = start.via;
  for (let hops = 0; via != null; hops++) {
    if (seen.has(via.href) || hops >= MAX_SOURCE_CHAIN) return { ok: false, chain };
    seen.add(via.href);
    // A chain that reaches this site ends here: our own sources are local.
    if (via.origin === options.origin.origin) break;
    const next = await fetchArticle(via, options);
    if (!next.ok) break;
    if (seen.has(next.article.id.href) && next.article.id.href !== via.href) return { ok: false, chain };
    seen.add(next.article.url.href);
    chain.push(next.article);
    via = next.article.via;
  }
  return { ok: true, chain };
}

/** Resolves a pasted address or handle to a remote Declaration and the revision to copy. */
export async function resolveRemoteDeclaration(input: string, options: ResolveOptions): Promise<Resolution> {
  const raw = input.trim();
  let start: URL;
  const handle = /^https?:\/\//i.test(raw) ? null : parseHandle(raw);
  if (handle != null) {
    if (handle[1] === options.origin.host) return failure("local", handle[1]);
    const found = await webfinger(handle[0], handle[1], options);
    if (!found.ok) return failure(found.reason, handle[1]);
    start = found.url;
  } else {
    const url = httpUrl(raw.length > 2000 ? null : raw);
    if (url == null) return failure("invalid", "");
    start = url;
  }
  const host = start.host;
  if (start.origin === options.origin.origin) return failure("local", host);
  const first = await fetchJson(start, options);
  if (!first.ok) return failure(fetchFailure(first.reason), host);

  let actor: RemoteActorInfo | null;
  let pasted: RemoteArticle | null = null;
  if (isActorJson(first.json)) {
    actor = readActor(first.json, first.url);
    if (actor == null) return failure("not-a-declaration", host);
  } else {
    const read = readArticle(first.json, first.url);
    if (!read.ok) return failure(read.reason, host);
    pasted = read.article;
    const got = await fetchActor(pasted.actorIri, options);
    if (!got.ok) return failure(got.reason, host);
    if (got.actor.id.href !== pasted.actorIri.href) return failure("wrong-origin", host);
    actor = got.actor;
  }

  // The Article updated with each revision; a server without an outbox (or
  // whose pasted Article is that Article) falls back to what was pasted.
  const articleIri = (await articleOfActor(actor, options)) ?? pasted?.id ?? null;
  if (articleIri == null) return failure("not-a-declaration", host);
  let latest: RemoteArticle;
  if (pasted != null && pasted.id.href === articleIri.href) {
    latest = pasted;
  } else {
    const got = await fetchArticle(articleIri, options);
    if (!got.ok) return failure(got.reason, host);
    latest = got.article;
  }
  if (latest.actorIri.href !== actor.id.href) return failure("wrong-origin", host);
  const revision = pasted ?? latest;
  const sources = await checkSourceChain(revision, options);
  if (!sources.ok) return failure("chain", host);
  const newest = latest.number >= revision.number ? latest : revision;
  return {
    ok: true,
    declaration: {
      actor,
      articleIri,
      revision,
      latest: { number: newest.number, url: newest.url },
      latestArticle: newest,
      chain: sources.chain,
    },
  };
}
