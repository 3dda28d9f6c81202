/**
 * A stand-in fediverse server for integration tests: a second ActivityPub
 * server on its own loopback port that behaves like a Mastodon user's server.
 * It is built with Fedify, so everything it sends is really signed and
 * everything it records was really verified.
 *
 *   const remote = await startFediverseServer({ users: ["alice", "bob"] });
 *   const decl = await remote.lookup("alice", "decl@127.0.0.1:8123");
 *   await remote.follow("alice", decl.id!.href);
 *   await remote.waitFor((a) => a.type === "Accept");
 *   …
 *   await remote.close();
 *
 * Design choices:
 * - No message queue: `sendActivity` delivers inline, so every method resolves
 *   after the receiver answered (and throws if it refused, after Fedify's
 *   double-knock retry with the other signature spec).
 * - First knock is draft-cavage (what Mastodon < 4.5, Misskey and Pleroma send).
 * - Paths and ids follow Mastodon: `/users/{name}`, `/users/{name}/statuses/{n}`,
 *   Follow `https://host/<uuid>`, Like `<actor>#likes/<n>`, Announce
 *   `<actor>/statuses/<n>/activity`, Undo `…/undo`, Delete `<uri>#delete`.
 *   Emoji reactions use Pleroma's `/activities/<uuid>` ids.
 * - Traffic stays on loopback: WebFinger lookups of `user@host` go to
 *   `http://host` and only for loopback hosts.  (Fedify's own WebFinger client
 *   always uses https for `acct:` handles, which a plain-http test server
 *   cannot answer, so the stand-in does that one step itself and hands the
 *   actor URL to `ctx.lookupObject`.)
 * - It also serves Pleroma's `/schemas/litepub-0.1.jsonld` context so Pleroma
 *   shapes from `fediverse-shapes.ts`, whose `@context` points there, resolve.
 */
import { randomUUID } from "node:crypto";
import {
  createFederation,
  exportSpki,
  MemoryKvStore,
  signRequest,
  type Context,
  type Federation,
} from "@fedify/fedify";
import {
  Accept,
  Activity,
  Announce,
  Application,
  Create,
  Delete,
  EmojiReact,
  Endpoints,
  Flag,
  Follow,
  Image,
  isActor,
  LanguageString,
  Like,
  Mention,
  Note,
  Person,
  PUBLIC_COLLECTION,
  Reject,
  Tombstone,
  Undo,
  Update,
  type Actor,
  type Object as APObject,
  type Recipient,
} from "@fedify/vocab";
import { Temporal as TemporalPolyfill } from "@js-temporal/polyfill";
import { startServer } from "./server.ts";

/** The identifier of the instance actor (served at `/actor`, as Mastodon does). */
export const INSTANCE_ACTOR = "__instance__";

export type SignatureSpec = "draft-cavage-http-signatures-12" | "rfc9421";
export type Tamper = "body" | "signature" | "keyId-other-actor" | "date-old";

export interface FediverseServerOptions {
  users: readonly string[];
  /** Loopback port; 0 or absent picks a free one. */
  port?: number;
  /** Answer every Follow with a signed Accept, as Mastodon does for unlocked accounts.  Default false. */
  autoAccept?: boolean;
}

/** One activity that reached an inbox of the stand-in and passed Fedify's verification. */
export interface ReceivedActivity {
  /** The `type` as sent (e.g. "Like", "EmojiReact"). */
  readonly type: string;
  readonly id: string | null;
  readonly actor: string | null;
  /** The activity's `object` exactly as sent: a URI string, an embedded object, or an array. */
  readonly object: unknown;
  /** The request body exactly as sent. */
  readonly json: Record<string, unknown>;
  /** Fedify's own serialisation of the parsed activity (`activity.toJsonLd()`). */
  readonly jsonLd: unknown;
  /** The user whose inbox received it; null for the shared inbox `/inbox`. */
  readonly recipient: string | null;
  readonly receivedAt: Date;
}

/** An activity Fedify could not verify (its answer was 401); kept so tests can see why. */
export interface UnverifiedActivity {
  readonly json: Record<string, unknown> | null;
  readonly reason: string;
  readonly recipient: string | null;
}

export interface PostSignedOptions {
  inbox: string | URL;
  json: object;
  /** Whose key signs the request. */
  user: string;
  spec?: SignatureSpec;
  /**
   * - "body": change one byte of the body after signing (the Digest no longer matches)
   * - "signature": corrupt the signature value
   * - "keyId-other-actor": sign with `user`'s key but claim another actor in `actor`
   *   (`claimActor`, or else another user of this server)
   * - "date-old": sign with a Date / `created` two hours in the past
   */
  tamper?: Tamper;
  claimActor?: string;
}

export interface InteractionOptions {
  /** The actor to deliver to; defaults to the object's `attributedTo`. */
  to?: string;
}

export interface FediverseServer {
  readonly origin: string;
  readonly host: string;
  readonly users: readonly string[];
  actorUri(user: string): string;
  keyId(user: string): string;
  /** The user's public key as PEM (for shapes that embed the actor, e.g. Update(Person)). */
  publicKeyPem(user: string): Promise<string>;
  inboxUri(user: string): string;
  readonly sharedInboxUri: string;
  followersUri(user: string): string;
  readonly instanceActorUri: string;
  /** WebFinger (for `user@host`) plus a signed fetch through `ctx.lookupObject`; the Actor, or throws. */
  lookup(user: string, handleOrUrl: string): Promise<Actor>;
  /** Sends Follow; resolves to the Follow id once the target's inbox took it. */
  follow(user: string, target: string): Promise<string>;
  unfollow(user: string, target: string): Promise<void>;
  like(user: string, objectUri: string, options?: InteractionOptions): Promise<string>;
  unlike(user: string, objectUri: string): Promise<void>;
  react(user: string, objectUri: string, emoji: string, options?: InteractionOptions): Promise<string>;
  unreact(user: string, objectUri: string, emoji: string): Promise<void>;
  announce(user: string, objectUri: string, options?: InteractionOptions): Promise<string>;
  unannounce(user: string, objectUri: string): Promise<void>;
  /** Publishes a public Note to the user's followers; returns its URI. */
  post(user: string, html: string): Promise<string>;
  /** Create(Note) replying to `inReplyTo`; returns the reply's URI. */
  reply(user: string, inReplyTo: string, html: string, options?: { mention?: string }): Promise<string>;
  updateReply(uri: string, html: string): Promise<void>;
  /** Delete(Tombstone); afterwards the status URL answers 410. */
  deleteReply(uri: string): Promise<void>;
  updateProfile(user: string, changes: { name?: string; iconUrl?: string; summary?: string }): Promise<void>;
  /** Delete(actor) to everyone the user talked to; afterwards its actor and key URLs answer 410. */
  deleteAccount(user: string): Promise<void>;
  /** Flag; `user` null sends it from the instance actor, as Mastodon does. */
  flag(user: string | null, target: string, objectUris: readonly string[], reason: string): Promise<string>;
  readonly received: readonly ReceivedActivity[];
  readonly unverified: readonly UnverifiedActivity[];
  /** Errors thrown by the stand-in's own inbox listeners. */
  readonly errors: readonly unknown[];
  /** Resolves with the first received activity (past or future) that matches; rejects after `timeoutMs`. */
  waitFor(predicate: (activity: ReceivedActivity) => boolean, timeoutMs?: number): Promise<ReceivedActivity>;
  /** True once a verified Accept from the target for this user's Follow arrived. */
  followingAccepted(user: string, target: string): boolean;
  /** Actor URIs whose Follow this user accepted. */
  followers(user: string): string[];
  /** The signed (and tampered, if asked) request, not sent: send it twice to replay it byte for byte. */
  signedRequest(options: PostSignedOptions): Promise<Request>;
  /** `fetch(await signedRequest(options))`. */
  postSigned(options: PostSignedOptions): Promise<Response>;
  /** Stops listening (connections are refused) until `comeBack()`, as a server that is down. */
  goDown(): Promise<void>;
  /** Listens again on the same port. */
  comeBack(): Promise<void>;
  close(): Promise<void>;
}

interface Data {
  /** The request body as parsed JSON, for inbox POSTs. */
  readonly raw: Record<string, unknown> | null;
}

interface UserState {
  name: string;
  summary: string;
  iconUrl: string;
  readonly keys: CryptoKeyPair;
  readonly published: Instant;
  gone: boolean;
  /** Accepted followers, by actor URI. */
  readonly followers: Map<string, Recipient>;
  /** Everyone this user delivered to, by actor URI (for Update/Delete of the account). */
  readonly contacts: Map<string, Recipient>;
}

interface Status {
  readonly user: string;
  readonly n: string;
  readonly uri: string;
  content: string;
  readonly inReplyTo: string | null;
  readonly mention: { href: string; name: string } | null;
  readonly cc: string[];
  readonly published: Instant;
  updated: Instant | null;
  lastUpdateSecond: number;
  deleted: boolean;
  readonly recipients: Recipient[];
}

interface Outgoing<T extends Activity> {
  readonly n: string;
  readonly activity: T;
  readonly recipients: Recipient[];
}

interface FollowState {
  readonly id: URL;
  readonly activity: Follow;
  readonly target: Recipient;
  state: "pending" | "accepted" | "rejected";
}

/** A 1×1 transparent PNG. */
const AVATAR_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);

/**
 * Pleroma's `/schemas/litepub-0.1.jsonld`, as served by Pleroma
 * (pleroma-social/pleroma priv/static/schemas/litepub-0.1.jsonld).
 */
export const LITEPUB_CONTEXT = {
  "@context": [
    "https://www.w3.org/ns/activitystreams",
    "https://w3id.org/security/v1",
    "https://purl.archive.org/socialweb/webfinger",
    {
      Emoji: "toot:Emoji",
      Hashtag: "as:Hashtag",
      PropertyValue: "schema:PropertyValue",
      atomUri: "ostatus:atomUri",
      conversation: { "@id": "ostatus:conversation", "@type": "@id" },
      discoverable: "toot:discoverable",
      manuallyApprovesFollowers: "as:manuallyApprovesFollowers",
      capabilities: "litepub:capabilities",
      ostatus: "http://ostatus.org#",
      schema: "http://schema.org#",
      toot: "http://joinmastodon.org/ns#",
      fedibird: "http://fedibird.com/ns#",
      value: "schema:value",
      sensitive: "as:sensitive",
      litepub: "http://litepub.social/ns#",
      invisible: "litepub:invisible",
      directMessage: "litepub:directMessage",
      listMessage: { "@id": "litepub:listMessage", "@type": "@id" },
      quoteUrl: "as:quoteUrl",
      quoteUri: "fedibird:quoteUri",
      oauthRegistrationEndpoint: { "@id": "litepub:oauthRegistrationEndpoint", "@type": "@id" },
      EmojiReact: "litepub:EmojiReact",
      ChatMessage: "litepub:ChatMessage",
      alsoKnownAs: { "@id": "as:alsoKnownAs", "@type": "@id" },
      vcard: "http://www.w3.org/2006/vcard/ns#",
      formerRepresentations: "litepub:formerRepresentations",
      misskey: "https://misskey-hub.net/ns#",
      isCat: "misskey:isCat",
    },
  ],
};

/**
 * Node 24 has no global Temporal; Fedify's types name the standard one (lib
 * esnext.temporal) and it accepts any spec-conformant value at run time.
 */
type Instant = Temporal.Instant;
function instantNow(offsetMs = 0): Instant {
  return TemporalPolyfill.Now.instant().add({ milliseconds: offsetMs }) as unknown as Instant;
}

/**
 * A 2048-bit RSASSA-PKCS1-v1_5 key pair, the size Mastodon generates.  Fedify's
 * `generateCryptoKeyPair` makes 4096-bit keys, about a second each, which
 * would dominate every test that starts a stand-in.
 */
function generateRsaKeyPair(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  );
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host.replace(/:\d+$/, "").toLowerCase());
}

function key(...parts: string[]): string {
  return parts.join("\n");
}

/** Replaces one base64 character of `value` near its middle with a different one. */
function corruptBase64(value: string): string {
  const i = Math.floor(value.length / 2);
  const c = value[i]!;
  return value.slice(0, i) + (c === "A" ? "B" : "A") + value.slice(i + 1);
}

export async function startFediverseServer(options: FediverseServerOptions): Promise<FediverseServer> {
  const autoAccept = options.autoAccept ?? false;
  const userNames = [...options.users];
  for (const name of userNames) {
    if (!/^[a-z0-9_]+$/i.test(name) || name === INSTANCE_ACTOR)
      throw new Error(`bad user name ${JSON.stringify(name)}`);
  }

  const received: ReceivedActivity[] = [];
  const unverified: UnverifiedActivity[] = [];
  const errors: unknown[] = [];
  const waiters = new Set<{ predicate: (a: ReceivedActivity) => boolean; resolve: (a: ReceivedActivity) => void }>();

  const users = new Map<string, UserState>();
  const now = instantNow();
  const names = [...userNames, INSTANCE_ACTOR];
  const keyPairs = await Promise.all(names.map(() => generateRsaKeyPair()));
  for (const [i, name] of names.entries()) {
    users.set(name, {
      name: name === INSTANCE_ACTOR ? "" : name[0]!.toUpperCase() + name.slice(1),
      summary: "",
      iconUrl: "",
      keys: keyPairs[i]!,
      published: now,
      gone: false,
      followers: new Map(),
      contacts: new Map(),
    });
  }
  const statuses = new Map<string, Status>(); // by URI
  const following = new Map<string, FollowState>(); // key(user, target actor URI)
  const followAliases = new Map<string, string>(); // key(user, URI or handle as given) → actor URI
  const likes = new Map<string, Outgoing<Like>>(); // key(user, object URI)
  const reactions = new Map<string, Outgoing<EmojiReact>>(); // key(user, object URI, emoji)
  const announces = new Map<string, Outgoing<Announce>>(); // key(user, object URI)
  let sequence = 0;
  const nextNumber = () => String(110_000_000 + ++sequence);

  // The server listens first so that the federation can be pinned to its real origin.
  let federation: Federation<Data> | null = null;
  const app = {
    fetch: async (request: Request) => {
      if (federation == null) return new Response("Starting", { status: 503 });
      return handle(federation, request);
    },
  };
  let server: Awaited<ReturnType<typeof startServer>> | null = await startServer(app, options.port ?? 0);
  const origin = server.url;
  const host = new URL(origin).host;

  function userOf(name: string): UserState {
    const state = users.get(name);
    if (state == null) throw new Error(`no user ${JSON.stringify(name)} on ${origin}`);
    return state;
  }
  function liveUser(name: string): UserState {
    const state = userOf(name);
    if (state.gone) throw new Error(`${name} was deleted`);
    return state;
  }
  const actorUri = (name: string) => (name === INSTANCE_ACTOR ? `${origin}/actor` : `${origin}/users/${name}`);

  async function handle(fed: Federation<Data>, request: Request): Promise<Response> {
    const url = new URL(request.url);
    const avatar = /^\/avatars\/([^/]+)\.png$/.exec(url.pathname);
    if (avatar != null && request.method === "GET") {
      if (!users.has(avatar[1]!)) return new Response("Not found", { status: 404 });
      return new Response(AVATAR_PNG, { headers: { "content-type": "image/png" } });
    }
    if (url.pathname === "/schemas/litepub-0.1.jsonld") {
      return Response.json(LITEPUB_CONTEXT, { headers: { "content-type": "application/ld+json" } });
    }
    if (request.method === "GET") {
      const status = statuses.get(`${origin}${url.pathname}`);
      if (status?.deleted) {
        // What Mastodon answers for a deleted status; Fedify's object dispatcher cannot answer 410 itself.
        return Response.json(
          { "@context": "https://www.w3.org/ns/activitystreams", id: status.uri, type: "Tombstone" },
          { status: 410, headers: { "content-type": "application/activity+json" } },
        );
      }
    }
    let raw: Record<string, unknown> | null = null;
    if (request.method === "POST") {
      try {
        const parsed: unknown = await request.clone().json();
        if (parsed != null && typeof parsed === "object" && !Array.isArray(parsed))
          raw = parsed as Record<string, unknown>;
      } catch {
        // Fedify answers 400 itself.
      }
    }
    return fed.fetch(request, {
      contextData: { raw },
      onNotFound: () => new Response("Not found", { status: 404 }),
      onNotAcceptable: () => new Response("Not acceptable", { status: 406, headers: { Vary: "Accept" } }),
    });
  }

  const fed = createFederation<Data>({
    kv: new MemoryKvStore(),
    origin,
    allowPrivateAddress: true,
    firstKnock: "draft-cavage-http-signatures-12",
  });
  const ctx = (): Context<Data> => fed.createContext(new URL(origin), { raw: null });

  // ---------------------------------------------------------------------
  // Actors, collections, statuses

  fed
    .setActorDispatcher("/users/{identifier}", async (c, identifier) => {
      const state = users.get(identifier);
      if (state == null) return null;
      if (state.gone) {
        return new Tombstone({ id: c.getActorUri(identifier), deleted: instantNow() });
      }
      return buildActor(c, identifier);
    })
    .mapActorAlias("/actor", INSTANCE_ACTOR)
    .setKeyPairsDispatcher(async (_c, identifier) => {
      const state = users.get(identifier);
      return state == null ? [] : [state.keys];
    });

  async function buildActor(c: Context<Data>, identifier: string): Promise<Person | Application> {
    const state = userOf(identifier);
    const keys = await c.getActorKeyPairs(identifier);
    if (identifier === INSTANCE_ACTOR) {
      // Mastodon's instance actor: an Application named after the domain (InstanceActorSerializer).
      return new Application({
        id: c.getActorUri(identifier),
        preferredUsername: new URL(origin).hostname,
        url: new URL("/about/more?instance_actor=true", origin),
        inbox: c.getInboxUri(identifier),
        outbox: c.getOutboxUri(identifier),
        endpoints: new Endpoints({ sharedInbox: c.getInboxUri() }),
        manuallyApprovesFollowers: true,
        publicKey: keys[0]?.cryptographicKey ?? null,
      });
    }
    return new Person({
      id: c.getActorUri(identifier),
      preferredUsername: identifier,
      name: state.name,
      summary: state.summary,
      url: new URL(`/@${identifier}`, origin),
      inbox: c.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: c.getInboxUri() }),
      followers: c.getFollowersUri(identifier),
      following: c.getFollowingUri(identifier),
      outbox: c.getOutboxUri(identifier),
      publicKey: keys[0]?.cryptographicKey ?? null,
      assertionMethods: keys.map((k) => k.multikey),
      icon: new Image({
        url: new URL(state.iconUrl || `/avatars/${identifier}.png`, origin),
        mediaType: "image/png",
      }),
      manuallyApprovesFollowers: !autoAccept,
      discoverable: true,
      indexable: true,
      published: state.published,
    });
  }

  fed
    .setFollowersDispatcher("/users/{identifier}/followers", (_c, identifier) => {
      const state = users.get(identifier);
      if (state == null) return null;
      return { items: [...state.followers.values()], nextCursor: null };
    })
    .setCounter((_c, identifier) => users.get(identifier)?.followers.size ?? 0)
    .setFirstCursor(() => "0");

  fed
    .setFollowingDispatcher("/users/{identifier}/following", (_c, identifier) => {
      if (!users.has(identifier)) return null;
      const items: URL[] = [];
      for (const [k, f] of following)
        if (k.startsWith(`${identifier}\n`) && f.state === "accepted") items.push(f.target.id!);
      return { items, nextCursor: null };
    })
    .setFirstCursor(() => "0");

  fed
    .setOutboxDispatcher("/users/{identifier}/outbox", (c, identifier) => {
      if (!users.has(identifier)) return null;
      const items = [...statuses.values()]
        .filter((s) => s.user === identifier && !s.deleted)
        .map((s) => createFor(c, s));
      return { items, nextCursor: null };
    })
    .setCounter((_c, identifier) => [...statuses.values()].filter((s) => s.user === identifier && !s.deleted).length)
    .setFirstCursor(() => "0");

  fed.setObjectDispatcher(Note, "/users/{identifier}/statuses/{id}", (c, values) => {
    const status = statuses.get(`${origin}/users/${values.identifier}/statuses/${values.id}`);
    if (status == null || status.deleted) return null;
    return noteFor(c, status);
  });

  function noteFor(c: Context<Data>, status: Status): Note {
    const author = c.getActorUri(status.user);
    return new Note({
      id: new URL(status.uri),
      attribution: author,
      replyTarget: status.inReplyTo == null ? null : new URL(status.inReplyTo),
      published: status.published,
      updated: status.updated,
      url: new URL(`/@${status.user}/${status.n}`, origin),
      to: PUBLIC_COLLECTION,
      ccs: status.cc.map((u) => new URL(u)),
      sensitive: false,
      contents: [status.content, new LanguageString(status.content, "en")],
      tags:
        status.mention == null ? [] : [new Mention({ href: new URL(status.mention.href), name: status.mention.name })],
    });
  }

  function createFor(c: Context<Data>, status: Status): Create {
    return new Create({
      id: new URL(`${status.uri}/activity`),
      actor: c.getActorUri(status.user),
      published: status.published,
      to: PUBLIC_COLLECTION,
      ccs: status.cc.map((u) => new URL(u)),
      object: noteFor(c, status),
    });
  }

  // ---------------------------------------------------------------------
  // Inboxes

  async function record(c: { recipient: string | null; data: Data }, activity: Activity): Promise<void> {
    const raw = c.data.raw ?? {};
    const entry: ReceivedActivity = {
      type: typeof raw.type === "string" ? raw.type : activity.constructor.name,
      id: activity.id?.href ?? null,
      actor: activity.actorId?.href ?? null,
      object: raw.object,
      json: raw,
      jsonLd: await activity.toJsonLd(),
      recipient: c.recipient,
      receivedAt: new Date(),
    };
    received.push(entry);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(entry)) {
        waiters.delete(waiter);
        waiter.resolve(entry);
      }
    }
  }

  /** The follow of ours an Accept/Reject refers to: by Follow id, or by an embedded {actor, object}. */
  function followFor(activity: Accept | Reject, raw: Record<string, unknown>): FollowState | undefined {
    const from = activity.actorId?.href;
    const objectId = activity.objectId?.href;
    const embedded =
      raw.object != null && typeof raw.object === "object" ? (raw.object as Record<string, unknown>) : null;
    for (const [k, f] of following) {
      if (f.target.id?.href !== from) continue;
      if (objectId != null && objectId === f.id.href) return f;
      if (embedded != null && embedded.object === from && embedded.actor === actorUri(k.split("\n")[0]!)) return f;
    }
    return undefined;
  }

  fed
    .setInboxListeners("/users/{identifier}/inbox", "/inbox")
    .on(Follow, async (c, follow) => {
      await record(c, follow);
      const parsed = follow.objectId == null ? null : c.parseUri(follow.objectId);
      if (parsed?.type !== "actor" || !users.has(parsed.identifier) || parsed.identifier === INSTANCE_ACTOR) return;
      if (!autoAccept) return;
      const follower = await follow.getActor(c);
      if (follower == null || !isActor(follower) || follower.id == null) return;
      const state = liveUser(parsed.identifier);
      state.followers.set(follower.id.href, follower);
      // AcceptFollowSerializer: "<actor>#accepts/follows/<id>", the Follow embedded with plain URIs.
      // (Embedding `follow` itself would embed the whole follower actor: getActor() above cached it
      // on the object, and Fedify serialises cached objects in full.)
      const accept = new Accept({
        id: new URL(`${c.getActorUri(parsed.identifier).href}#accepts/follows/${nextNumber()}`),
        actor: c.getActorUri(parsed.identifier),
        object: new Follow({ id: follow.id, actor: follow.actorId, object: follow.objectId }),
      });
      await c.sendActivity({ identifier: parsed.identifier }, follower, accept);
    })
    .on(Accept, async (c, accept) => {
      await record(c, accept);
      const f = followFor(accept, c.data.raw ?? {});
      if (f != null) f.state = "accepted";
    })
    .on(Reject, async (c, reject) => {
      await record(c, reject);
      const f = followFor(reject, c.data.raw ?? {});
      if (f != null) f.state = "rejected";
    })
    .on(Undo, async (c, undo) => {
      await record(c, undo);
      const object = c.data.raw?.object;
      if (object != null && typeof object === "object" && (object as Record<string, unknown>).type === "Follow") {
        const target = (object as Record<string, unknown>).object;
        const from = undo.actorId?.href;
        if (typeof target !== "string" || from == null) return;
        const parsed = c.parseUri(new URL(target));
        if (parsed?.type === "actor") users.get(parsed.identifier)?.followers.delete(from);
      }
    })
    .on(Activity, async (c, activity) => {
      await record(c, activity);
    })
    .onUnverifiedActivity((c, _activity, reason) => {
      const recipient = /^\/users\/([^/]+)\/inbox$/.exec(c.url.pathname)?.[1] ?? null;
      unverified.push({ json: c.data.raw, reason: reason.type, recipient });
      return undefined; // keep Fedify's own 401
    })
    .onError((_c, error) => {
      errors.push(error);
    });

  federation = fed;

  // ---------------------------------------------------------------------
  // Outgoing

  async function loaderFor(user: string) {
    return ctx().getDocumentLoader({ identifier: user });
  }

  async function lookupObject(user: string, uri: string): Promise<APObject> {
    const c = ctx();
    const object = await c.lookupObject(uri, { documentLoader: await loaderFor(user) });
    if (object == null) throw new Error(`${uri} could not be fetched`);
    return object;
  }

  async function lookupActor(user: string, uri: string): Promise<Actor> {
    const object = await lookupObject(user, uri);
    if (!isActor(object) || object.id == null) throw new Error(`${uri} is not an actor`);
    return object;
  }

  async function authorOf(user: string, objectUri: string, to: string | undefined): Promise<Actor> {
    if (to != null) return lookupActor(user, to);
    const object = await lookupObject(user, objectUri);
    const author = object.attributionId;
    if (author == null) throw new Error(`${objectUri} has no attributedTo`);
    return lookupActor(user, author.href);
  }

  function audience(user: string, extra: Recipient[]): Recipient[] {
    const all = new Map<string, Recipient>();
    for (const r of extra) if (r.id != null) all.set(r.id.href, r);
    for (const [id, r] of userOf(user).followers) all.set(id, r);
    return [...all.values()];
  }

  async function deliver(user: string, recipients: Recipient[], activity: Activity): Promise<void> {
    const state = userOf(user);
    for (const r of recipients) if (r.id != null) state.contacts.set(r.id.href, r);
    if (recipients.length === 0) return;
    await ctx().sendActivity({ identifier: user }, recipients, activity, { preferSharedInbox: true });
  }

  async function lookup(user: string, handleOrUrl: string): Promise<Actor> {
    liveUser(user);
    if (/^https?:\/\//i.test(handleOrUrl)) {
      const url = new URL(handleOrUrl);
      if (!isLoopbackHost(url.host)) throw new Error(`refusing to look up a non-loopback URL: ${url.href}`);
      return lookupActor(user, url.href);
    }
    const handle = handleOrUrl.replace(/^acct:/i, "").replace(/^@/, "");
    const at = handle.lastIndexOf("@");
    if (at <= 0) throw new Error(`not a handle: ${handleOrUrl}`);
    const handleHost = handle.slice(at + 1);
    if (!isLoopbackHost(handleHost)) throw new Error(`refusing to look up a non-loopback handle: ${handleOrUrl}`);
    const webfinger = new URL(`http://${handleHost}/.well-known/webfinger`);
    webfinger.searchParams.set("resource", `acct:${handle}`);
    const response = await fetch(webfinger, { headers: { accept: "application/jrd+json" }, redirect: "manual" });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`WebFinger for ${handle} answered ${response.status}`);
    }
    const jrd = (await response.json()) as { links?: { rel?: string; type?: string; href?: string }[] };
    const self = jrd.links?.find(
      (l) =>
        l.rel === "self" &&
        l.href != null &&
        (l.type === "application/activity+json" || (l.type ?? "").startsWith("application/ld+json")),
    );
    if (self?.href == null) throw new Error(`WebFinger for ${handle} has no ActivityPub self link`);
    return lookupActor(user, self.href);
  }

  /** An actor given by URI or handle. */
  async function resolveActor(user: string, target: string): Promise<Actor> {
    return /^https?:\/\//i.test(target) ? lookupActor(user, target) : lookup(user, target);
  }

  async function follow(user: string, target: string): Promise<string> {
    liveUser(user);
    const actor = await resolveActor(user, target);
    const id = new URL(`/${randomUUID()}`, origin);
    const activity = new Follow({ id, actor: new URL(actorUri(user)), object: actor.id });
    const entry: FollowState = { id, activity, target: actor, state: "pending" };
    following.set(key(user, actor.id!.href), entry);
    followAliases.set(key(user, target), actor.id!.href);
    await deliver(user, [actor], activity);
    return id.href;
  }

  function followEntry(user: string, target: string): FollowState | undefined {
    return following.get(key(user, followAliases.get(key(user, target)) ?? target));
  }

  async function unfollow(user: string, target: string): Promise<void> {
    liveUser(user);
    const entry = followEntry(user, target);
    if (entry == null) throw new Error(`${user} does not follow ${target}`);
    following.delete(key(user, entry.target.id!.href));
    // UndoFollowSerializer: "<actor>#follows/<id>/undo", the Follow embedded.
    const undo = new Undo({
      id: new URL(`${actorUri(user)}#follows/${nextNumber()}/undo`),
      actor: new URL(actorUri(user)),
      object: entry.activity,
    });
    await deliver(user, [entry.target], undo);
  }

  async function like(user: string, objectUri: string, opts: InteractionOptions = {}): Promise<string> {
    liveUser(user);
    const author = await authorOf(user, objectUri, opts.to);
    const n = nextNumber();
    const activity = new Like({
      id: new URL(`${actorUri(user)}#likes/${n}`),
      actor: new URL(actorUri(user)),
      object: new URL(objectUri),
    });
    likes.set(key(user, objectUri), { n, activity, recipients: [author] });
    await deliver(user, [author], activity);
    return activity.id!.href;
  }

  async function unlike(user: string, objectUri: string): Promise<void> {
    liveUser(user);
    const entry = likes.get(key(user, objectUri));
    if (entry == null) throw new Error(`${user} has not liked ${objectUri}`);
    likes.delete(key(user, objectUri));
    const undo = new Undo({
      id: new URL(`${actorUri(user)}#likes/${entry.n}/undo`),
      actor: new URL(actorUri(user)),
      object: entry.activity,
    });
    await deliver(user, entry.recipients, undo);
  }

  async function react(user: string, objectUri: string, emoji: string, opts: InteractionOptions = {}): Promise<string> {
    liveUser(user);
    const author = await authorOf(user, objectUri, opts.to);
    // Pleroma's Builder.emoji_react: to [followers, object author], cc the object's audience.
    const activity = new EmojiReact({
      id: new URL(`/activities/${randomUUID()}`, origin),
      actor: new URL(actorUri(user)),
      object: new URL(objectUri),
      content: emoji,
      tos: [ctx().getFollowersUri(user), author.id!],
      cc: PUBLIC_COLLECTION,
    });
    reactions.set(key(user, objectUri, emoji), { n: "", activity, recipients: [author] });
    await deliver(user, audience(user, [author]), activity);
    return activity.id!.href;
  }

  async function unreact(user: string, objectUri: string, emoji: string): Promise<void> {
    liveUser(user);
    const entry = reactions.get(key(user, objectUri, emoji));
    if (entry == null) throw new Error(`${user} has not reacted ${emoji} to ${objectUri}`);
    reactions.delete(key(user, objectUri, emoji));
    const undo = new Undo({
      id: new URL(`/activities/${randomUUID()}`, origin),
      actor: new URL(actorUri(user)),
      object: entry.activity,
      tos: entry.activity.toIds,
      ccs: entry.activity.ccIds,
    });
    await deliver(user, audience(user, entry.recipients), undo);
  }

  async function announce(user: string, objectUri: string, opts: InteractionOptions = {}): Promise<string> {
    liveUser(user);
    const author = await authorOf(user, objectUri, opts.to);
    const n = nextNumber();
    const activity = new Announce({
      id: new URL(`${actorUri(user)}/statuses/${n}/activity`),
      actor: new URL(actorUri(user)),
      published: instantNow(),
      to: PUBLIC_COLLECTION,
      ccs: [author.id!, ctx().getFollowersUri(user)],
      object: new URL(objectUri),
    });
    announces.set(key(user, objectUri), { n, activity, recipients: [author] });
    await deliver(user, audience(user, [author]), activity);
    return activity.id!.href;
  }

  async function unannounce(user: string, objectUri: string): Promise<void> {
    liveUser(user);
    const entry = announces.get(key(user, objectUri));
    if (entry == null) throw new Error(`${user} has not announced ${objectUri}`);
    announces.delete(key(user, objectUri));
    const undo = new Undo({
      id: new URL(`${actorUri(user)}#announces/${entry.n}/undo`),
      actor: new URL(actorUri(user)),
      to: PUBLIC_COLLECTION,
      object: entry.activity,
    });
    await deliver(user, audience(user, entry.recipients), undo);
  }

  function newStatus(
    user: string,
    html: string,
    extra: { inReplyTo: string | null; mention: Status["mention"]; cc: string[]; recipients: Recipient[] },
  ): Status {
    const n = nextNumber();
    const status: Status = {
      user,
      n,
      uri: `${actorUri(user)}/statuses/${n}`,
      content: html,
      published: instantNow(),
      updated: null,
      lastUpdateSecond: 0,
      deleted: false,
      ...extra,
    };
    statuses.set(status.uri, status);
    return status;
  }

  async function post(user: string, html: string): Promise<string> {
    liveUser(user);
    const status = newStatus(user, html, {
      inReplyTo: null,
      mention: null,
      cc: [ctx().getFollowersUri(user).href],
      recipients: [],
    });
    await deliver(user, audience(user, []), createFor(ctx(), status));
    return status.uri;
  }

  async function reply(
    user: string,
    inReplyTo: string,
    html: string,
    opts: { mention?: string } = {},
  ): Promise<string> {
    liveUser(user);
    const parentAuthor = await authorOf(user, inReplyTo, undefined);
    const target = opts.mention == null ? null : await lookupActor(user, opts.mention);
    const recipients =
      target == null || target.id!.href === parentAuthor.id!.href ? [parentAuthor] : [parentAuthor, target];
    const mention =
      target == null ? null : { href: target.id!.href, name: `@${target.preferredUsername ?? "?"}@${target.id!.host}` };
    // Mastodon: to Public, cc [followers, every mentioned account].
    const cc = [ctx().getFollowersUri(user).href, ...(target == null ? [] : [target.id!.href])];
    const status = newStatus(user, html, { inReplyTo, mention, cc, recipients });
    await deliver(user, audience(user, recipients), createFor(ctx(), status));
    return status.uri;
  }

  function statusOf(uri: string): Status {
    const status = statuses.get(uri);
    if (status == null) throw new Error(`no status ${uri} on ${origin}`);
    if (status.deleted) throw new Error(`${uri} was deleted`);
    return status;
  }

  async function updateReply(uri: string, html: string): Promise<void> {
    const status = statusOf(uri);
    liveUser(status.user);
    status.content = html;
    const updated = instantNow();
    status.updated = updated;
    // UpdateNoteSerializer: "<status uri>#updates/<edited_at.to_i>"; kept unique when edits share a second.
    status.lastUpdateSecond = Math.max(status.lastUpdateSecond + 1, Math.floor(updated.epochMilliseconds / 1000));
    const activity = new Update({
      id: new URL(`${uri}#updates/${status.lastUpdateSecond}`),
      actor: new URL(actorUri(status.user)),
      published: updated,
      to: PUBLIC_COLLECTION,
      ccs: status.cc.map((u) => new URL(u)),
      object: noteFor(ctx(), status),
    });
    await deliver(status.user, audience(status.user, status.recipients), activity);
  }

  async function deleteReply(uri: string): Promise<void> {
    const status = statusOf(uri);
    liveUser(status.user);
    // DeleteSerializer: "<status uri>#delete", object a Tombstone, to Public.
    const activity = new Delete({
      id: new URL(`${uri}#delete`),
      actor: new URL(actorUri(status.user)),
      to: PUBLIC_COLLECTION,
      object: new Tombstone({ id: new URL(uri) }),
    });
    status.deleted = true;
    await deliver(status.user, audience(status.user, status.recipients), activity);
  }

  function everyone(user: string): Recipient[] {
    const state = userOf(user);
    return audience(user, [...state.contacts.values()]);
  }

  async function updateProfile(
    user: string,
    changes: { name?: string; iconUrl?: string; summary?: string },
  ): Promise<void> {
    const state = liveUser(user);
    if (changes.name != null) state.name = changes.name;
    if (changes.iconUrl != null) state.iconUrl = changes.iconUrl;
    if (changes.summary != null) state.summary = changes.summary;
    // UpdateSerializer: "<actor>#updates/<updated_at.to_i>", to Public, the whole actor embedded.
    const activity = new Update({
      id: new URL(`${actorUri(user)}#updates/${Math.floor(Date.now() / 1000)}-${nextNumber()}`),
      actor: new URL(actorUri(user)),
      to: PUBLIC_COLLECTION,
      object: await buildActor(ctx(), user),
    });
    await deliver(user, everyone(user), activity);
  }

  async function deleteAccount(user: string): Promise<void> {
    const state = liveUser(user);
    // DeleteActorSerializer: "<actor>#delete", object the actor URI, to Public.
    const activity = new Delete({
      id: new URL(`${actorUri(user)}#delete`),
      actor: new URL(actorUri(user)),
      to: PUBLIC_COLLECTION,
      object: new URL(actorUri(user)),
    });
    await deliver(user, everyone(user), activity);
    state.gone = true;
  }

  async function flag(
    user: string | null,
    target: string,
    objectUris: readonly string[],
    reason: string,
  ): Promise<string> {
    const sender = user ?? INSTANCE_ACTOR;
    liveUser(sender);
    const actor = await resolveActor(sender, target);
    // FlagSerializer: id a fresh URI, actor the instance actor, object [account, ...statuses], content the comment.
    const activity = new Flag({
      id: new URL(`/${randomUUID()}`, origin),
      actor: new URL(actorUri(sender)),
      content: reason,
      objects: [actor.id!, ...objectUris.map((u) => new URL(u))],
    });
    await deliver(sender, [actor], activity);
    return activity.id!.href;
  }

  function waitFor(predicate: (a: ReceivedActivity) => boolean, timeoutMs = 5_000): Promise<ReceivedActivity> {
    const already = received.find(predicate);
    if (already != null) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const waiter = {
        predicate,
        resolve: (a: ReceivedActivity) => {
          clearTimeout(timer);
          resolve(a);
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        const seen = received.map((a) => `${a.type} ${a.id ?? ""}`).join("\n  ");
        reject(new Error(`no matching activity within ${timeoutMs} ms; received:\n  ${seen || "(nothing)"}`));
      }, timeoutMs);
      waiters.add(waiter);
    });
  }

  async function signedRequest(opts: PostSignedOptions): Promise<Request> {
    const state = userOf(opts.user);
    let json: Record<string, unknown> = { ...(opts.json as Record<string, unknown>) };
    if (opts.tamper === "keyId-other-actor") {
      const other = opts.claimActor ?? userNames.filter((u) => u !== opts.user).map(actorUri)[0];
      if (other == null) throw new Error("keyId-other-actor needs claimActor or a second user");
      json = { ...json, actor: other };
    }
    let body = JSON.stringify(json);
    const unsigned = new Request(opts.inbox, {
      method: "POST",
      headers: { "content-type": "application/activity+json", accept: "application/activity+json" },
      body,
    });
    const signed = await signRequest(unsigned, state.keys.privateKey, new URL(`${actorUri(opts.user)}#main-key`), {
      spec: opts.spec ?? "draft-cavage-http-signatures-12",
      ...(opts.tamper === "date-old" ? { currentTime: instantNow(-2 * 60 * 60 * 1000) } : {}),
    });
    if (opts.tamper === "body") {
      // One byte: the last character of the top-level id (the JSON stays valid, so only the Digest check can catch it).
      const id = typeof json.id === "string" ? json.id : null;
      const at = id == null ? -1 : body.indexOf(JSON.stringify(id));
      if (at >= 0 && id != null && id.length > 0) {
        const last = at + JSON.stringify(id).length - 2;
        body = body.slice(0, last) + (body[last] === "x" ? "y" : "x") + body.slice(last + 1);
      } else {
        body = body.replace(/^\{/, "{ ");
      }
      return new Request(signed.url, { method: "POST", headers: signed.headers, body });
    }
    if (opts.tamper === "signature") {
      const headers = new Headers(signed.headers);
      const signature = headers.get("signature") ?? "";
      const cavage = /signature="([^"]+)"/.exec(signature);
      const rfc9421 = /=:([^:]+):/.exec(signature);
      const match = cavage ?? rfc9421;
      if (match == null) throw new Error(`cannot find the signature value in ${signature}`);
      headers.set("signature", signature.replace(match[1]!, corruptBase64(match[1]!)));
      return new Request(signed.url, { method: "POST", headers, body: await signed.arrayBuffer() });
    }
    return signed;
  }

  return {
    origin,
    host,
    users: userNames,
    actorUri: (user) => actorUri(user),
    keyId: (user) => `${actorUri(user)}#main-key`,
    publicKeyPem: (user) => exportSpki(userOf(user).keys.publicKey),
    inboxUri: (user) => ctx().getInboxUri(user).href,
    sharedInboxUri: `${origin}/inbox`,
    followersUri: (user) => ctx().getFollowersUri(user).href,
    instanceActorUri: actorUri(INSTANCE_ACTOR),
    lookup,
    follow,
    unfollow,
    like,
    unlike,
    react,
    unreact,
    announce,
    unannounce,
    post,
    reply,
    updateReply,
    deleteReply,
    updateProfile,
    deleteAccount,
    flag,
    received,
    unverified,
    errors,
    waitFor,
    followingAccepted: (user, target) => followEntry(user, target)?.state === "accepted",
    followers: (user) => [...userOf(user).followers.keys()],
    signedRequest,
    postSigned: async (opts) => fetch(await signedRequest(opts)),
    async goDown() {
      await server?.close();
      server = null;
    },
    async comeBack() {
      server ??= await startServer(app, Number(new URL(origin).port));
    },
    close: async () => {
      await server?.close();
      server = null;
    },
  };
}
