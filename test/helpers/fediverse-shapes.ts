/**
 * The exact JSON that Mastodon, Misskey, Pleroma/Akkoma and snac POST to an inbox,
 * as functions of the actor, the object and the ids, for tests that send these
 * shapes (signed, through `FediverseServer.postSigned`) rather than what Fedify
 * would serialise.  Each function names the code it was taken from.
 *
 * What is left out on purpose: the `signature` block (RsaSignature2017) that
 * Mastodon and Misskey add to public Creates, Deletes and Updates.  A fake one
 * would only exercise the Linked Data Signature fallback; the HTTP signature
 * is what these tests sign with.
 *
 * `origin` is always the actor's origin: these servers mint every id on their
 * own host.  Pleroma's `@context` points at `<origin>/schemas/litepub-0.1.jsonld`,
 * which the stand-in server serves.
 */
import { createHash, randomUUID } from "node:crypto";

export const AS_CONTEXT = "https://www.w3.org/ns/activitystreams";
export const SECURITY_CONTEXT = "https://w3id.org/security/v1";
export const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";

type Json = Record<string, unknown>;

/** Optional fixed ids and times, so a test can repeat exactly the same activity. */
export interface ShapeIds {
  /** The activity id (otherwise built the way that software builds it). */
  id?: string;
  /** A database id / snowflake used inside ids (Mastodon `#likes/<n>`, `/statuses/<n>`). */
  n?: string;
  /** ISO 8601 time for `published`. */
  published?: string;
}

const originOf = (actor: string) => new URL(actor).origin;
const snowflake = () => String(110_000_000_000_000_000n + BigInt(Math.floor(Math.random() * 1e12)));
const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
/** Misskey's `aid` ids: 10 lowercase base-36 characters. */
const aid = () => (Date.now().toString(36) + Math.random().toString(36).slice(2)).slice(0, 10);
/** The last path segment of an actor URI, Misskey's user id. */
const lastSegment = (uri: string) => new URL(uri).pathname.split("/").filter(Boolean).pop() ?? "";
const withoutContext = ({ "@context": _context, ...rest }: Json): Json => rest;

// ===========================================================================
// Mastodon (mastodon/mastodon app/serializers/activitypub/*, app/helpers/context_helper.rb)

/** ContextHelper::CONTEXT_EXTENSION_MAP entries used by NoteSerializer (atom_uri, conversation, sensitive, voters_count, quotes, interaction_policies). */
const MASTODON_NOTE_CONTEXT = [
  AS_CONTEXT,
  {
    ostatus: "http://ostatus.org#",
    atomUri: "ostatus:atomUri",
    inReplyToAtomUri: "ostatus:inReplyToAtomUri",
    conversation: "ostatus:conversation",
    sensitive: "as:sensitive",
    toot: "http://joinmastodon.org/ns#",
    votersCount: "toot:votersCount",
    quote: "https://w3id.org/fep/044f#quote",
    quoteUri: "http://fedibird.com/ns#quoteUri",
    _misskey_quote: "https://misskey-hub.net/ns#_misskey_quote",
    quoteAuthorization: { "@id": "https://w3id.org/fep/044f#quoteAuthorization", "@type": "@id" },
    gts: "https://gotosocial.org/ns#",
    interactionPolicy: { "@id": "gts:interactionPolicy", "@type": "@id" },
    canQuote: { "@id": "gts:canQuote", "@type": "@id" },
    automaticApproval: { "@id": "gts:automaticApproval", "@type": "@id" },
    manualApproval: { "@id": "gts:manualApproval", "@type": "@id" },
  },
];

export const mastodon = {
  /** FollowSerializer: id is the follow request's URI, `https://host/<uuid>` (not dereferenceable). */
  follow(actor: string, target: string, ids: ShapeIds = {}): Json {
    return {
      "@context": AS_CONTEXT,
      id: ids.id ?? `${originOf(actor)}/${randomUUID()}`,
      type: "Follow",
      actor,
      object: target,
    };
  },

  /** UndoFollowSerializer: "<actor>#follows/<id>/undo", the Follow embedded. */
  undoFollow(actor: string, target: string, follow: { id: string }, ids: ShapeIds = {}): Json {
    return {
      "@context": AS_CONTEXT,
      id: ids.id ?? `${actor}#follows/${ids.n ?? snowflake()}/undo`,
      type: "Undo",
      actor,
      object: { id: follow.id, type: "Follow", actor, object: target },
    };
  },

  /** LikeSerializer: "<actor>#likes/<favourite id>", object the status URI. */
  like(actor: string, object: string, ids: ShapeIds = {}): Json {
    return {
      "@context": AS_CONTEXT,
      id: ids.id ?? `${actor}#likes/${ids.n ?? snowflake()}`,
      type: "Like",
      actor,
      object,
    };
  },

  /** UndoLikeSerializer: "<actor>#likes/<id>/undo", the Like embedded (with the same n). */
  undoLike(actor: string, object: string, ids: ShapeIds & { n: string }): Json {
    return {
      "@context": AS_CONTEXT,
      id: `${actor}#likes/${ids.n}/undo`,
      type: "Undo",
      actor,
      object: withoutContext(mastodon.like(actor, object, { n: ids.n })),
    };
  },

  /**
   * ActivitySerializer for a reblog: "<actor>/statuses/<reblog id>/activity",
   * to Public, cc [the boosted account, the booster's followers].
   */
  announce(actor: string, object: string, objectAuthor: string, ids: ShapeIds = {}): Json {
    const n = ids.n ?? snowflake();
    return {
      "@context": AS_CONTEXT,
      id: ids.id ?? `${actor}/statuses/${n}/activity`,
      type: "Announce",
      actor,
      published: ids.published ?? now(),
      to: [PUBLIC],
      cc: [objectAuthor, `${actor}/followers`],
      object,
    };
  },

  /** UndoAnnounceSerializer: "<actor>#announces/<reblog id>/undo", to Public, the Announce embedded. */
  undoAnnounce(actor: string, object: string, objectAuthor: string, ids: ShapeIds & { n: string }): Json {
    return {
      "@context": AS_CONTEXT,
      id: `${actor}#announces/${ids.n}/undo`,
      type: "Undo",
      actor,
      to: [PUBLIC],
      object: withoutContext(mastodon.announce(actor, object, objectAuthor, { n: ids.n, published: ids.published })),
    };
  },

  /**
   * A public reply: Create "<status>/activity" around a NoteSerializer Note
   * with inReplyTo, a Mention tag, `content` + `contentMap`, to Public and cc
   * [followers, mentioned account] (TagManager#to/#cc for public statuses).
   */
  reply(
    actor: string,
    inReplyTo: string,
    options: { mention: { href: string; name: string }; content?: string; language?: string; conversation?: string },
    ids: ShapeIds = {},
  ): Json {
    const origin = originOf(actor);
    const n = ids.n ?? snowflake();
    const published = ids.published ?? now();
    const statusUri = `${actor}/statuses/${n}`;
    const username = lastSegment(actor);
    const content =
      options.content ??
      `<p><span class="h-card" translate="no"><a href="${options.mention.href}" class="u-url mention">@<span>${options.mention.name.replace(/^@/, "").split("@")[0]}</span></a></span> I sign this.</p>`;
    const to = [PUBLIC];
    const cc = [`${actor}/followers`, options.mention.href];
    return {
      "@context": MASTODON_NOTE_CONTEXT,
      id: `${statusUri}/activity`,
      type: "Create",
      actor,
      published,
      to,
      cc,
      object: {
        id: statusUri,
        type: "Note",
        summary: null,
        inReplyTo,
        published,
        url: `${origin}/@${username}/${n}`,
        attributedTo: actor,
        to,
        cc,
        sensitive: false,
        atomUri: statusUri,
        inReplyToAtomUri: inReplyTo,
        conversation:
          options.conversation ??
          `tag:${new URL(actor).hostname},${published.slice(0, 10)}:objectId=${n}:objectType=Conversation`,
        content,
        contentMap: { [options.language ?? "en"]: content },
        attachment: [],
        tag: [{ type: "Mention", href: options.mention.href, name: options.mention.name }],
        replies: {
          id: `${statusUri}/replies`,
          type: "Collection",
          first: {
            type: "CollectionPage",
            next: `${statusUri}/replies?only_other_accounts=true&page=true`,
            partOf: `${statusUri}/replies`,
            items: [],
          },
        },
        likes: { id: `${statusUri}/likes`, type: "Collection", totalItems: 0 },
        shares: { id: `${statusUri}/shares`, type: "Collection", totalItems: 0 },
        interactionPolicy: { canQuote: { automaticApproval: [PUBLIC] } },
      },
    };
  },

  /**
   * UpdateSerializer: "<actor>#updates/<updated_at.to_i>", to Public, the whole
   * actor embedded (ActorSerializer, whose context adds security/v1 and the
   * toot/schema extensions).
   */
  updatePerson(
    actor: string,
    profile: { name: string; summary?: string; iconUrl?: string; publicKeyPem: string; published?: string },
    ids: ShapeIds = {},
  ): Json {
    const origin = originOf(actor);
    const username = lastSegment(actor);
    return {
      "@context": [
        AS_CONTEXT,
        SECURITY_CONTEXT,
        {
          manuallyApprovesFollowers: "as:manuallyApprovesFollowers",
          toot: "http://joinmastodon.org/ns#",
          featured: { "@id": "toot:featured", "@type": "@id" },
          featuredTags: { "@id": "toot:featuredTags", "@type": "@id" },
          alsoKnownAs: { "@id": "as:alsoKnownAs", "@type": "@id" },
          movedTo: { "@id": "as:movedTo", "@type": "@id" },
          schema: "http://schema.org#",
          PropertyValue: "schema:PropertyValue",
          value: "schema:value",
          discoverable: "toot:discoverable",
          suspended: "toot:suspended",
          memorial: "toot:memorial",
          indexable: "toot:indexable",
          attributionDomains: { "@id": "toot:attributionDomains", "@type": "@id" },
          focalPoint: { "@container": "@list", "@id": "toot:focalPoint" },
        },
      ],
      id: ids.id ?? `${actor}#updates/${Math.floor(Date.now() / 1000)}`,
      type: "Update",
      actor,
      to: [PUBLIC],
      object: {
        id: actor,
        type: "Person",
        following: `${actor}/following`,
        followers: `${actor}/followers`,
        inbox: `${actor}/inbox`,
        outbox: `${actor}/outbox`,
        featured: `${actor}/collections/featured`,
        featuredTags: `${actor}/collections/tags`,
        preferredUsername: username,
        name: profile.name,
        summary: profile.summary ?? "",
        url: `${origin}/@${username}`,
        manuallyApprovesFollowers: false,
        discoverable: true,
        indexable: true,
        published: profile.published ?? "2024-01-01T00:00:00Z",
        memorial: false,
        publicKey: { id: `${actor}#main-key`, owner: actor, publicKeyPem: profile.publicKeyPem },
        tag: [],
        attachment: [],
        endpoints: { sharedInbox: `${origin}/inbox` },
        ...(profile.iconUrl == null ? {} : { icon: { type: "Image", mediaType: "image/png", url: profile.iconUrl } }),
      },
    };
  },

  /**
   * QuoteRequestSerializer (FEP-044f, Mastodon 4.5): sent to the quoted post's
   * author when a user quotes it.  `object` is the quoted post, `instrument`
   * the quoting status (by URI, or inlined as a Note when Mastodon allows
   * inlining); the id is the quote's `activity_uri`,
   * "<account>/quote_requests/<uuid>".
   */
  quoteRequest(actor: string, object: string, instrument: string, ids: ShapeIds & { inline?: boolean } = {}): Json {
    return {
      "@context": [AS_CONTEXT, { QuoteRequest: "https://w3id.org/fep/044f#QuoteRequest" }],
      id: ids.id ?? `${actor}/quote_requests/${randomUUID()}`,
      type: "QuoteRequest",
      actor,
      object,
      instrument: ids.inline
        ? {
            id: instrument,
            type: "Note",
            attributedTo: actor,
            content: "<p>Quoting this.</p>",
            quote: object,
            to: [PUBLIC],
            cc: [`${actor}/followers`],
          }
        : instrument,
    };
  },

  /** DeleteActorSerializer: "<actor>#delete", object the actor URI, to Public. */
  deleteActor(actor: string): Json {
    return { "@context": AS_CONTEXT, id: `${actor}#delete`, type: "Delete", actor, to: [PUBLIC], object: actor };
  },

  /** DeleteSerializer: "<status>#delete", object a Tombstone with atomUri, to Public. */
  deleteStatus(actor: string, statusUri: string): Json {
    return {
      "@context": [AS_CONTEXT, { ostatus: "http://ostatus.org#", atomUri: "ostatus:atomUri" }],
      id: `${statusUri}#delete`,
      type: "Delete",
      actor,
      to: [PUBLIC],
      object: { id: statusUri, type: "Tombstone", atomUri: statusUri },
    };
  },

  /**
   * FlagSerializer: sent by the instance actor (`https://host/actor`), object
   * [reported account, ...reported statuses], content the comment, id the
   * report's URI `https://host/<uuid>`.
   */
  flag(instanceActor: string, account: string, statuses: readonly string[], comment: string, ids: ShapeIds = {}): Json {
    return {
      "@context": AS_CONTEXT,
      id: ids.id ?? `${originOf(instanceActor)}/${randomUUID()}`,
      type: "Flag",
      actor: instanceActor,
      content: comment,
      object: [account, ...statuses],
    };
  },
};

// ===========================================================================
// Misskey (misskey-dev/misskey packages/backend/src/core/activitypub/ApRendererService.ts:
// addContext, renderLike, renderUndo, renderFollow, renderNote, renderCreate, renderEmoji)

/** ApRendererService#addContext. */
export const MISSKEY_CONTEXT = [
  AS_CONTEXT,
  SECURITY_CONTEXT,
  {
    manuallyApprovesFollowers: "as:manuallyApprovesFollowers",
    sensitive: "as:sensitive",
    Hashtag: "as:Hashtag",
    quoteUrl: "as:quoteUrl",
    toot: "http://joinmastodon.org/ns#",
    Emoji: "toot:Emoji",
    featured: "toot:featured",
    discoverable: "toot:discoverable",
    schema: "http://schema.org#",
    PropertyValue: "schema:PropertyValue",
    value: "schema:value",
    misskey: "https://misskey-hub.net/ns#",
    _misskey_content: "misskey:_misskey_content",
    _misskey_quote: "misskey:_misskey_quote",
    _misskey_reaction: "misskey:_misskey_reaction",
    _misskey_votes: "misskey:_misskey_votes",
    isCat: "misskey:isCat",
    vcard: "http://www.w3.org/2006/vcard/ns#",
  },
];

export const misskey = {
  /**
   * renderLike: "<url>/likes/<reaction id>", `content` and `_misskey_reaction`
   * carry the reaction (a Unicode emoji, or ":name:" for a custom one, which
   * adds `tag: [Emoji]` via renderEmoji).
   */
  like(actor: string, object: string, reaction = "👍", ids: ShapeIds & { emojiUrl?: string } = {}): Json {
    const origin = originOf(actor);
    const custom = /^:([\w+-]+):$/.exec(reaction);
    return {
      "@context": MISSKEY_CONTEXT,
      type: "Like",
      id: ids.id ?? `${origin}/likes/${aid()}`,
      actor,
      object,
      content: reaction,
      _misskey_reaction: reaction,
      ...(custom == null
        ? {}
        : {
            tag: [
              {
                id: `${origin}/emojis/${custom[1]}`,
                type: "Emoji",
                name: reaction,
                updated: ids.published ?? now(),
                icon: {
                  type: "Image",
                  mediaType: "image/png",
                  url: ids.emojiUrl ?? `${origin}/files/${custom[1]}.png`,
                },
              },
            ],
          }),
    };
  },

  /** renderUndo: "<object id>/undo" (only for its own ids), the object embedded, `published`. */
  undo(actor: string, embedded: Json): Json {
    const inner = withoutContext(embedded);
    return {
      "@context": MISSKEY_CONTEXT,
      type: "Undo",
      ...(typeof inner.id === "string" ? { id: `${inner.id}/undo` } : {}),
      actor,
      object: inner,
      published: now(),
    };
  },

  /**
   * renderFollow: "<url>/follows/<follower id>/<followee id>" — the same id
   * every time the same account follows again.
   */
  follow(actor: string, target: string, ids: ShapeIds & { followeeId?: string } = {}): Json {
    return {
      "@context": MISSKEY_CONTEXT,
      id: ids.id ?? `${originOf(actor)}/follows/${lastSegment(actor)}/${ids.followeeId ?? aid()}`,
      type: "Follow",
      actor,
      object: target,
    };
  },

  /**
   * renderCreate(renderNote) for a public reply: "<url>/notes/<id>/activity",
   * HTML `content` plus the MFM source in `_misskey_content` and
   * `source {content, mediaType: "text/x.misskeymarkdown"}`, to Public, cc
   * [followers, mentioned], Mention tag "@user@host".
   */
  reply(
    actor: string,
    inReplyTo: string,
    options: { mention: { href: string; name: string }; text?: string; html?: string },
    ids: ShapeIds = {},
  ): Json {
    const origin = originOf(actor);
    const noteId = ids.n ?? aid();
    const published = ids.published ?? new Date().toISOString();
    const text = options.text ?? `${options.mention.name} I sign this.`;
    const html =
      options.html ??
      `<p><a href="${options.mention.href}" class="u-url mention">${options.mention.name}</a><span> I sign this.</span></p>`;
    const to = [PUBLIC];
    const cc = [`${actor}/followers`, options.mention.href];
    return {
      "@context": MISSKEY_CONTEXT,
      id: `${origin}/notes/${noteId}/activity`,
      actor,
      type: "Create",
      published,
      object: {
        id: `${origin}/notes/${noteId}`,
        type: "Note",
        attributedTo: actor,
        content: html,
        _misskey_content: text,
        source: { content: text, mediaType: "text/x.misskeymarkdown" },
        published,
        to,
        cc,
        inReplyTo,
        attachment: [],
        sensitive: false,
        tag: [{ type: "Mention", href: options.mention.href, name: options.mention.name }],
      },
      to,
      cc,
    };
  },
};

// ===========================================================================
// Pleroma / Akkoma (pleroma-social/pleroma lib/pleroma/web/activity_pub/builder.ex:
// emoji_react, like, announce, undo, object_action, json_ld_header; transmogrifier.ex
// prepare_outgoing, maybe_expand_undo_object, set_conversation, add_attributed_to)

/** Builder.json_ld_header: the instance's own litepub context plus "@language": "und". */
export function pleromaContext(origin: string): unknown[] {
  return [AS_CONTEXT, `${origin}/schemas/litepub-0.1.jsonld`, { "@language": "und" }];
}

/** Utils.generate_activity_id / generate_object_id / generate_context_id. */
const pleromaId = (origin: string, kind: "activities" | "objects" | "contexts") => `${origin}/${kind}/${randomUUID()}`;

export interface PleromaObjectInfo {
  /** The object's author (`object.data["actor"]`). */
  author: string;
  /** The thread's `context` (Pleroma's conversation id); the object's URI when unknown. */
  context?: string;
}

export const pleroma = {
  /**
   * Builder.emoji_react via object_action: `content` the emoji, to
   * [followers, author], cc the object's other addressees (Public for a
   * public post), `context` the thread.
   */
  emojiReact(actor: string, object: string, emoji: string, info: PleromaObjectInfo, ids: ShapeIds = {}): Json {
    const origin = originOf(actor);
    return {
      "@context": pleromaContext(origin),
      id: ids.id ?? pleromaId(origin, "activities"),
      type: "EmojiReact",
      actor,
      object,
      content: emoji,
      to: [`${actor}/followers`, info.author],
      cc: [PUBLIC],
      context: info.context ?? object,
    };
  },

  /** Builder.like via object_action (a plain favourite, no content). */
  like(actor: string, object: string, info: PleromaObjectInfo, ids: ShapeIds = {}): Json {
    const origin = originOf(actor);
    return {
      "@context": pleromaContext(origin),
      id: ids.id ?? pleromaId(origin, "activities"),
      type: "Like",
      actor,
      object,
      to: [`${actor}/followers`, info.author],
      cc: [PUBLIC],
      context: info.context ?? object,
    };
  },

  /** Builder.undo + maybe_expand_undo_object: the undone activity embedded, its to/cc copied. */
  undo(actor: string, undone: Json, ids: ShapeIds = {}): Json {
    const origin = originOf(actor);
    const inner = withoutContext(undone);
    return {
      "@context": pleromaContext(origin),
      id: ids.id ?? pleromaId(origin, "activities"),
      type: "Undo",
      actor,
      object: inner,
      to: inner.to ?? [],
      cc: inner.cc ?? [],
    };
  },

  /** Builder.announce (public): to [followers, author, Public], the thread's `context`, `published`. */
  announce(actor: string, object: string, info: PleromaObjectInfo, ids: ShapeIds = {}): Json {
    const origin = originOf(actor);
    return {
      "@context": pleromaContext(origin),
      id: ids.id ?? pleromaId(origin, "activities"),
      type: "Announce",
      actor,
      object,
      to: [`${actor}/followers`, info.author, PUBLIC],
      context: info.context ?? object,
      published: ids.published ?? new Date().toISOString(),
    };
  },

  /**
   * Builder.create + prepare_outgoing for a public reply: the Note carries
   * both `actor` and `attributedTo`, `context` and `conversation` (the same
   * thread id), to Public, cc [followers, mentioned]; the Create repeats
   * `context`.
   */
  reply(
    actor: string,
    inReplyTo: string,
    options: { mention: { href: string; name: string }; content?: string; context?: string },
    ids: ShapeIds = {},
  ): Json {
    const origin = originOf(actor);
    const published = ids.published ?? new Date().toISOString();
    const context = options.context ?? pleromaId(origin, "contexts");
    const content =
      options.content ??
      `<span class="h-card"><a class="u-url mention" data-user="x" href="${options.mention.href}" rel="ugc">@<span>${options.mention.name.replace(/^@/, "").split("@")[0]}</span></a></span> I sign this.`;
    const to = [PUBLIC, options.mention.href];
    const cc = [`${actor}/followers`];
    return {
      "@context": pleromaContext(origin),
      id: ids.id ?? pleromaId(origin, "activities"),
      type: "Create",
      actor,
      to,
      cc,
      context,
      directMessage: false,
      published,
      object: {
        id: pleromaId(origin, "objects"),
        type: "Note",
        actor,
        attributedTo: actor,
        content,
        context,
        conversation: context,
        inReplyTo,
        published,
        sensitive: false,
        summary: "",
        source: { content: `${options.mention.name} I sign this.`, mediaType: "text/plain" },
        tag: [{ type: "Mention", href: options.mention.href, name: options.mention.name }],
        attachment: [],
        to,
        cc,
      },
    };
  },
};

// ===========================================================================
// snac (grunfink/snac2 activitypub.c: msg_base, msg_admiration, msg_emoji_init,
// msg_repulsion, msg_undo)

/** snac's ids for admirations: `<actor>/<l|a|e>/<md5 of the object id>` — the same every time. */
const snacAdmirationId = (actor: string, kind: "l" | "a" | "e", object: string) =>
  `${actor}/${kind}/${createHash("md5").update(object).digest("hex")}`;
/** snac's `tid()`: seconds and microseconds (of `at`, else now). */
const snacTid = (at?: string) =>
  at == null
    ? `${Math.floor(Date.now() / 1000)}.${String(Math.floor(Math.random() * 1e6)).padStart(6, "0")}`
    : `${Math.floor(Date.parse(at) / 1000)}.000000`;

export const snac = {
  /**
   * msg_admiration("Like"): only the ActivityStreams context, a deterministic
   * id, `published` now, to [Public, the object's author].
   */
  like(actor: string, object: string, author: string, ids: ShapeIds = {}): Json {
    return {
      "@context": AS_CONTEXT,
      type: "Like",
      id: snacAdmirationId(actor, "l", object),
      actor,
      published: ids.published ?? now(),
      object,
      to: [PUBLIC, author],
    };
  },

  /**
   * msg_emoji_init: msg_admiration("EmojiReact") plus `content` (the emoji),
   * `accounts`, `attributedTo` (the object's author), `accountId` and `tag`
   * (an Emoji for a custom one, else empty) — still only the ActivityStreams
   * context, where `EmojiReact` is not defined.
   */
  emojiReact(actor: string, object: string, author: string, emoji: string, ids: ShapeIds = {}): Json {
    return {
      "@context": AS_CONTEXT,
      type: "EmojiReact",
      id: snacAdmirationId(actor, "e", object),
      actor,
      published: ids.published ?? now(),
      object,
      to: [PUBLIC, author],
      content: emoji,
      accounts: [actor],
      attributedTo: author,
      accountId: lastSegment(actor),
      tag: [],
    };
  },

  /**
   * msg_repulsion → msg_undo: "<undone id>/Undo_<tid>", `published` now, the
   * undone admiration embedded without its `published`, its `to` copied.
   */
  undo(actor: string, undone: Json, ids: ShapeIds = {}): Json {
    const { published: _published, ...inner } = withoutContext(undone);
    return {
      "@context": AS_CONTEXT,
      type: "Undo",
      id: `${String(inner.id)}/Undo_${snacTid(ids.published)}`,
      actor,
      published: ids.published ?? now(),
      object: inner,
      to: inner.to,
    };
  },
};
