/**
 * Copies across sites, the federation side (FEDERATION.md "Copies on other
 * sites"; decision 0008):
 *
 * - A Copy's Article names the revision it was copied from with a `Link`
 *   whose `rel` is `via` (RFC 4287 / IANA: "the source of the information").
 * - A Copy of a Declaration on another server follows the source's actor
 *   (`Follow`), and sends the source's actor the `Create` and `Update` of its
 *   Article and its signing digests, so the origin learns of it and of its
 *   changes.  The origin never believes what an activity carries: it fetches
 *   the Copy's Article from the Copy's own server and records it only if that
 *   Article names one of its revisions.
 * - Source revisions reach the Copy as the `Update`s the source's actor sends
 *   its followers; the Copy fetches the Article again rather than trusting the
 *   embedded one (so a forged `Update` changes nothing), and keeps the
 *   revision's text for the owner's merge.
 * - Every revision is also an Article at its own address `/d/{slug}/v/{n}`
 *   (served to ActivityPub clients), so any revision can be fetched for a
 *   comparison or to follow a chain of sources.
 */
import { randomUUID } from "node:crypto";
import type { Context } from "@fedify/fedify";
import { type Activity, Article, Follow, Link, Note, PUBLIC_COLLECTION, Source, type Recipient } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import { getPublicDeclaration, getRevision } from "../db/declarations.ts";
import {
  copiesOfRemoteActor,
  copiesOfRemoteArticle,
  getRemoteCopyByArticle,
  getRemoteSource,
  keepRemoteRevision,
  markRemoteCopy,
  remoteCopiesByActor,
  setRemoteCopyCount,
  staleRemoteLinks,
  updateRemoteSource,
  upsertRemoteCopy,
} from "../db/remote-copies.ts";
import type { Declaration, RemoteCopy, RemoteRevision, RemoteSource, Revision } from "../db/schema.ts";
import { diffPool } from "../diff/index.ts";
import { escapeHtml, markdownToText, renderMarkdownAbsolute } from "../markdown.ts";
import type { FedData } from "./builder.ts";
import { fetchActor, fetchArticle, type RemoteArticle } from "./remote-declarations.ts";
import { instant } from "./time.ts";

const logger = getLogger(["undersign", "federation", "copies"]);

/** How often, at most, copies and sources are checked again without being told of a change. */
export const REMOTE_REFRESH_MS = 6 * 60 * 60 * 1000;

/** How copies fetch from other sites: signed by our instance actor (`origin`'s). */
function fetchOptions(data: FedData, origin: URL) {
  return { allowPrivateAddress: data.allowPrivateAddress === true, db: data.db, origin };
}

// ---------------------------------------------------------------------------
// What we send

/** The `via` link of a Copy's Article: the exact revision it was copied from. */
export function viaLink(declaration: Pick<Declaration, "sourceUrl" | "sourceTitle" | "sourceRevision">): Link | null {
  if (declaration.sourceUrl == null || !URL.canParse(declaration.sourceUrl)) return null;
  return new Link({
    href: new URL(declaration.sourceUrl),
    rel: "via",
    mediaType: "text/html",
    name: `${declaration.sourceTitle ?? "Source"}, version ${declaration.sourceRevision ?? 1}`,
  });
}

/**
 * One revision as an Article of its own (id and url `/d/{slug}/v/{n}`), as
 * JSON-LD: what an ActivityPub client gets at a revision's address.  Like the
 * Declaration's Article (objects.ts), it is public, its links are absolute,
 * and its summary is the `preview`, not a `summary` (a content warning
 * elsewhere).
 */
export async function revisionArticleJson(
  ctx: Context<FedData>,
  declaration: Declaration,
  revision: Revision,
): Promise<unknown> {
  const url = new URL(`/d/${declaration.slug}/v/${revision.number}`, ctx.canonicalOrigin);
  const via = revision.number === declaration.revision ? viaLink(declaration) : null;
  const summary = markdownToText(revision.summary);
  const article = new Article({
    id: url,
    attribution: ctx.getActorUri(declaration.slug),
    name: revision.title,
    preview: summary === "" ? null : new Note({ content: `<p>${escapeHtml(summary)}</p>` }),
    content: renderMarkdownAbsolute(revision.body, new URL(`/d/${declaration.slug}`, ctx.canonicalOrigin)),
    source: new Source({ content: revision.body, mediaType: "text/markdown" }),
    url,
    tags: via == null ? [] : [via],
    published: instant(revision.created),
    to: PUBLIC_COLLECTION,
  });
  return article.toJsonLd({ format: "compact", contextLoader: ctx.contextLoader });
}

function recipientOf(source: RemoteSource): Recipient {
  return {
    id: new URL(source.actorIri),
    inboxId: new URL(source.inbox),
    endpoints: source.sharedInbox == null ? null : { sharedInbox: new URL(source.sharedInbox) },
  };
}

/**
 * Sends a Copy's activity to its source's actor on another server as well
 * (the Article's Create and Updates, and the digests).  With the Create goes
 * a Follow, so the source's new versions reach the Copy.
 */
export async function notifySource(
  ctx: Context<FedData>,
  declaration: Pick<Declaration, "id" | "slug">,
  postKind: string,
  activity: Activity,
): Promise<void> {
  if (postKind !== "article" && postKind !== "digest") return;
  const source = getRemoteSource(ctx.data.db, declaration.id);
  if (source == null || source.status === "deleted") return;
  const recipient = recipientOf(source);
  const me = ctx.getActorUri(declaration.slug);
  if (postKind === "article" && activity.constructor.name === "Create") {
    await ctx.sendActivity(
      { identifier: declaration.slug },
      recipient,
      new Follow({ id: new URL(`#follows/${randomUUID()}`, me), actor: me, object: recipient.id }),
    );
  }
  await ctx.sendActivity({ identifier: declaration.slug }, recipient, activity, { preferSharedInbox: true });
}

// ---------------------------------------------------------------------------
// Keeping remote revisions

function keep(data: FedData, article: RemoteArticle, now: Date): Promise<RemoteRevision> {
  return data.batcher.run(() =>
    keepRemoteRevision(
      data.db,
      {
        url: article.url.href,
        articleIri: article.id.href,
        actorIri: article.actorIri.href,
        number: article.number,
        title: article.title,
        summary: article.summary,
        body: article.body,
        format: article.format,
        viaUrl: article.via?.href ?? null,
      },
      now,
    ),
  );
}

/** Keeps a fetched revision (the caller has fetched and checked it). */
export function keepRevision(data: FedData, article: RemoteArticle, now = new Date()): Promise<RemoteRevision> {
  return keep(data, article, now);
}

// ---------------------------------------------------------------------------
// The origin: copies of ours elsewhere

/** Our revision that `via` names, if it is one of ours (published or withdrawn). */
function ourRevision(
  data: FedData,
  origin: URL,
  via: URL | null,
): { declaration: Declaration; revision: Revision } | null {
  if (via == null || via.origin !== origin.origin) return null;
  const m = /^\/d\/([^/]+)\/v\/([1-9]\d{0,8})$/.exec(via.pathname);
  if (m == null) return null;
  const declaration = getPublicDeclaration(data.db, decodeURIComponent(m[1]!));
  const revision = declaration == null ? undefined : getRevision(data.db, declaration.id, Number(m[2]));
  return declaration == null || revision == null ? null : { declaration, revision };
}

export type CopyCheck = "recorded" | "not-a-copy-of-ours" | "wrong-actor" | "gone" | "unreachable";

/**
 * Fetches the Article `articleIri` from its server and, when it names one of
 * our revisions as its source, records (or refreshes) it as a copy.  The
 * activity's actor must be the Article's author.
 */
export async function checkRemoteCopy(
  data: FedData,
  origin: URL,
  articleIri: URL,
  actorIri: URL,
  now = new Date(),
): Promise<CopyCheck> {
  if (articleIri.origin !== actorIri.origin) return "wrong-actor";
  const known = getRemoteCopyByArticle(data.db, articleIri.href);
  const got = await fetchArticle(articleIri, fetchOptions(data, origin));
  if (!got.ok) {
    const status = got.reason === "gone" ? "deleted" : "unreachable";
    if (known != null && known.actorIri === actorIri.href)
      await data.batcher.run(() => markRemoteCopy(data.db, known.id, status, now));
    return got.reason === "gone" ? "gone" : "unreachable";
  }
  const article = got.article;
  // A listed copy that now answers with someone else's Article, or that no
  // longer names one of our revisions, is marked (and not asked again until
  // the next periodic check).
  const mark = (status: RemoteCopy["status"]) =>
    known != null && known.actorIri === actorIri.href
      ? data.batcher.run(() => markRemoteCopy(data.db, known.id, status, now))
      : Promise.resolve();
  if (article.actorIri.href !== actorIri.href || article.id.href !== articleIri.href) {
    await mark("unreachable");
    return "wrong-actor";
  }
  const ours = ourRevision(data, origin, article.via);
  if (ours == null) {
    logger.info("{article} by {actor} names no revision of ours as its source; not recorded", {
      article: articleIri.href,
      actor: actorIri.href,
    });
    await mark("deleted");
    return "not-a-copy-of-ours";
  }
  await keep(data, article, now);
  const actor = await fetchActor(actorIri, fetchOptions(data, origin));
  // Worked out on the diff pool, off the thread that serves pages; a refusal (busy, past its deadline) throws and the copy is checked again later.
  const words = (await diffPool().run({ kind: "summary", before: ours.revision.body, after: article.body }))
    .wordsChanged;
  await data.batcher.run(() =>
    upsertRemoteCopy(
      data.db,
      {
        declarationId: ours.declaration.id,
        actorIri: actorIri.href,
        articleIri: articleIri.href,
        url: actorIri.href,
        host: articleIri.host,
        title: article.title,
        sourceRevision: ours.revision.number,
        revision: article.number,
        revisionUrl: article.url.href,
        wordsChanged: words,
        signatureCount: actor.ok ? actor.actor.signatureCount : (known?.signatureCount ?? null),
      },
      now,
    ),
  );
  return "recorded";
}

/** Checks a known copy again (periodic refresh, or its actor said something changed). */
export async function refreshRemoteCopy(
  data: FedData,
  origin: URL,
  copy: RemoteCopy,
  now = new Date(),
): Promise<CopyCheck> {
  return checkRemoteCopy(data, origin, new URL(copy.articleIri), new URL(copy.actorIri), now);
}

// ---------------------------------------------------------------------------
// The copy: its source elsewhere

export type SourceCheck = "updated" | "unchanged" | "gone" | "unreachable" | "wrong-actor";

/** Fetches a remote source's Article again and keeps a newer revision for the owner to take in. */
export async function refreshRemoteSource(
  data: FedData,
  origin: URL,
  source: RemoteSource,
  now = new Date(),
): Promise<SourceCheck> {
  const got = await fetchArticle(new URL(source.articleIri), fetchOptions(data, origin));
  if (!got.ok) {
    const status = got.reason === "gone" ? "deleted" : "unreachable";
    await data.batcher.run(() => updateRemoteSource(data.db, source.declarationId, { status }, now));
    return got.reason === "gone" ? "gone" : "unreachable";
  }
  const article = got.article;
  if (article.actorIri.href !== source.actorIri || article.id.href !== source.articleIri) {
    await data.batcher.run(() => updateRemoteSource(data.db, source.declarationId, { status: "unreachable" }, now));
    return "wrong-actor";
  }
  await keep(data, article, now);
  const actor = await fetchActor(new URL(source.actorIri), fetchOptions(data, origin));
  const newer = article.number > source.latestRevision;
  await data.batcher.run(() =>
    updateRemoteSource(
      data.db,
      source.declarationId,
      {
        revision: article.number,
        url: article.url.href,
        status: "ok",
        ...(actor.ok ? { signatureCount: actor.actor.signatureCount } : {}),
      },
      now,
    ),
  );
  if (newer) logger.info("Source {article} has version {n}", { article: source.articleIri, n: article.number });
  return newer ? "updated" : "unchanged";
}

// ---------------------------------------------------------------------------
// Inbox

/**
 * A `Create` or `Update` of an Article or Note from another server: when its
 * actor is the source of one of our Copies, check that source again; when it
 * may be a copy of one of ours, check that.  Only ids are taken from the
 * activity; everything else is fetched from the author's server.
 */
export async function onRemoteArticle(
  ctx: Context<FedData>,
  activity: Activity,
  object: { id: URL | null; isArticle: boolean; viaOrigin: string | null },
): Promise<void> {
  const actorIri = activity.actorId;
  if (actorIri == null || object.id == null) return;
  const now = new Date();
  try {
    const sources = object.isArticle
      ? copiesOfRemoteArticle(ctx.data.db, object.id.href)
      : copiesOfRemoteActor(ctx.data.db, actorIri.href);
    for (const source of sources)
      if (source.actorIri === actorIri.href)
        await refreshRemoteSource(ctx.data, new URL(ctx.canonicalOrigin), source, now);
    const knownCopies = remoteCopiesByActor(ctx.data.db, actorIri.href);
    if (
      object.isArticle &&
      (object.viaOrigin === new URL(ctx.canonicalOrigin).origin ||
        knownCopies.some((c) => c.articleIri === object.id!.href))
    ) {
      const outcome = await checkRemoteCopy(ctx.data, new URL(ctx.canonicalOrigin), object.id, actorIri, now);
      logger.debug("Copy {article} from {actor}: {outcome}", {
        article: object.id.href,
        actor: actorIri.href,
        outcome,
      });
    } else if (!object.isArticle) {
      // A digest or a version note of a copy: its signature count may have changed.
      for (const copy of knownCopies) {
        const actor = await fetchActor(actorIri, fetchOptions(ctx.data, new URL(ctx.canonicalOrigin)));
        if (actor.ok)
          await ctx.data.batcher.run(() => setRemoteCopyCount(ctx.data.db, copy.id, actor.actor.signatureCount, now));
      }
    }
  } catch (error) {
    logger.warning("Could not check {object} from {actor}: {error}", {
      object: object.id.href,
      actor: actorIri.href,
      error,
    });
  }
}

/** A `Delete` of a copy's Article or actor, or of a source's: checked by fetching, then marked. */
export async function onRemoteDelete(ctx: Context<FedData>, actorIri: URL, objectIri: URL): Promise<void> {
  const now = new Date();
  try {
    for (const copy of remoteCopiesByActor(ctx.data.db, actorIri.href)) {
      if (copy.articleIri === objectIri.href || copy.actorIri === objectIri.href)
        await refreshRemoteCopy(ctx.data, new URL(ctx.canonicalOrigin), copy, now);
    }
    for (const source of copiesOfRemoteActor(ctx.data.db, actorIri.href)) {
      if (source.articleIri === objectIri.href || source.actorIri === objectIri.href)
        await refreshRemoteSource(ctx.data, new URL(ctx.canonicalOrigin), source, now);
    }
  } catch (error) {
    logger.warning("Could not check the Delete of {object}: {error}", { object: objectIri.href, error });
  }
}

/**
 * Checks copies and sources not checked for `maxAgeMs` (the publisher runs
 * this; a copy whose server vanished is marked, not dropped).
 */
export async function refreshStaleRemoteLinks(
  data: FedData,
  origin: URL,
  now = new Date(),
  maxAgeMs = REMOTE_REFRESH_MS,
): Promise<number> {
  const { copies, sources } = staleRemoteLinks(data.db, new Date(now.getTime() - maxAgeMs));
  for (const copy of copies) await refreshRemoteCopy(data, origin, copy, now);
  for (const source of sources) await refreshRemoteSource(data, origin, source, now);
  return copies.length + sources.length;
}
