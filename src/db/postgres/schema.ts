/**
 * (Over 400 lines: every table in one file, mirroring src/db/schema.ts, so drizzle-kit generates migrations from one place.)
 *
 * The database schema for PostgreSQL (Drizzle's PostgreSQL dialect): the
 * same tables as src/db/schema.ts (SQLite), with the same names, columns,
 * unique indexes, foreign keys and ON DELETE rules; test/db/postgres-schema.test.ts
 * checks that neither drifts from the other.  Migrations in
 * /migrations/postgres are generated from this file with
 * `npm run db:generate:postgres -- --name <what-changed>`.
 *
 * Types, where SQLite has fewer: timestamps stored as Unix milliseconds
 * (`integer({ mode: "timestamp_ms" })`) are `timestamptz(3)`, read as the
 * same `Date`s; the raw millisecond counters of the key–value store and the
 * queue are `bigint`s read as numbers; booleans are `boolean`, JSON text is
 * `jsonb`, blobs are `bytea`.  Ids are identity columns `BY DEFAULT`, so a
 * site moved from SQLite keeps its ids.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  type AnyPgColumn,
} from "drizzle-orm/pg-core";

/** A point in time, to the millisecond, read and written as a `Date`. */
const ms = (name?: string) =>
  name == null
    ? timestamp({ withTimezone: true, precision: 3, mode: "date" })
    : timestamp(name, { withTimezone: true, precision: 3, mode: "date" });

/** Unix milliseconds as a number (the key–value store's and the queue's clocks). */
const epochMs = (name?: string) => (name == null ? bigint({ mode: "number" }) : bigint(name, { mode: "number" }));

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "bytea" });

/**
 * A Declaration: a Markdown document with a stable slug.  Its text lives in
 * `revisions`; the title and summary of the latest revision are copied here so
 * that lists do not need a join.  `signatureCount` is a maintained counter.
 *
 * `sourceFile`/`sourceFileSha256`/`importedRevision` record the last import
 * from the `declarations/` folder (see src/db/seed.ts for the rule that a file
 * never overwrites edits made later on the site).
 */
export const declarations = pgTable(
  "declarations",
  {
    id: integer().primaryKey().generatedByDefaultAsIdentity(),
    slug: text().notNull(),
    title: text().notNull(),
    summary: text().notNull().default(""),
    license: text().notNull().default(""),
    /** JSON array of hashtags without the leading "#". */
    hashtags: jsonb().$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    language: text().notNull().default("en"),
    /**
     * `draft`: visible to its owner only; `published`: public and signable;
     * `withdrawn`: unpublished by its owner (readable, not listed, not signable).
     */
    status: text({ enum: ["published", "draft", "withdrawn"] })
      .notNull()
      .default("published"),
    /** Number of the latest revision. */
    revision: integer().notNull(),
    signatureCount: integer("signature_count").notNull().default(0),
    sourceFile: text("source_file"),
    sourceFileSha256: text("source_file_sha256"),
    importedRevision: integer("imported_revision"),
    /** The account that owns (may edit) this Declaration; null for shipped files. */
    ownerId: integer("owner_id").references((): AnyPgColumn => accounts.id, { onDelete: "set null" }),
    /** For a Copy: the local source Declaration (null for a remote source or an original). */
    sourceDeclarationId: integer("source_declaration_id").references((): AnyPgColumn => declarations.id, {
      onDelete: "set null",
    }),
    /** For a Copy: the number of the source revision copied. */
    sourceRevision: integer("source_revision"),
    /** For a Copy: the exact source revision's URL (this site's own URL for a local source). */
    sourceUrl: text("source_url"),
    /** For a Copy: the source revision's title, as copied. */
    sourceTitle: text("source_title"),
    /** When the owner unpublished it (status `withdrawn`); null otherwise. */
    withdrawnAt: ms("withdrawn_at"),
    /** The account that unpublished it (null when not withdrawn or the account was deleted). */
    withdrawnBy: integer("withdrawn_by").references((): AnyPgColumn => accounts.id, { onDelete: "set null" }),
    /** Left off `/` by the site owner (the page stays readable and signable). */
    hidden: boolean().notNull().default(false),
    /** For a Copy: how many words its latest revision changes from the source revision (worked out when saved). */
    wordsChanged: integer("words_changed"),
    created: ms().notNull(),
    updated: ms().notNull(),
  },
  (t) => [
    uniqueIndex("declarations_slug_unique").on(t.slug),
    index("declarations_updated_idx").on(t.updated),
    index("declarations_source_idx").on(t.sourceDeclarationId),
  ],
);
export type Declaration = typeof declarations.$inferSelect;
export type NewDeclaration = typeof declarations.$inferInsert;

/** An immutable, numbered version of a Declaration's text. */
export const revisions = pgTable(
  "revisions",
  {
    id: integer().primaryKey().generatedByDefaultAsIdentity(),
    declarationId: integer("declaration_id")
      .notNull()
      .references(() => declarations.id, { onDelete: "cascade" }),
    number: integer().notNull(),
    title: text().notNull(),
    summary: text().notNull().default(""),
    /** The Markdown body, without front matter. */
    body: text().notNull(),
    changeSummary: text("change_summary").notNull().default(""),
    /** Where the revision came from: an imported file or an edit on the site. */
    origin: text({ enum: ["file", "site"] }).notNull(),
    /** The account that saved this revision on the site (null for files and deleted accounts). */
    authorId: integer("author_id").references((): AnyPgColumn => accounts.id, { onDelete: "set null" }),
    /** The author's notes on the Proposed Changes, keyed by change id (src/diff/proposed-changes.ts). */
    notes: jsonb().$type<Record<string, string>>().notNull().default(sql`'{}'::jsonb`),
    created: ms().notNull(),
  },
  (t) => [uniqueIndex("revisions_declaration_number_unique").on(t.declarationId, t.number)],
);
export type Revision = typeof revisions.$inferSelect;
export type NewRevision = typeof revisions.$inferInsert;

/**
 * Fedify's key–value store (caches, idempotency records).  `key` is the
 * JSON-encoded key path; `expires` is a Unix time in ms or null.
 */
export const kv = pgTable(
  "kv",
  {
    key: text().primaryKey(),
    value: text().notNull(),
    expires: epochMs(),
  },
  (t) => [index("kv_expires_idx").on(t.expires)],
);

/**
 * One person's signing of a Declaration.  `revision` is the number of the
 * version signed (updated when the signer re-signs a newer version from their
 * private link, so they are never counted twice).  Only `confirmed` rows count.
 * Withdrawal erases every personal field and keeps a bare tombstone, so the
 * private link can say what happened.  Tokens are stored as SHA-256 hashes:
 * the tokens themselves exist only in the signer's link and mail.
 */
export const signatures = pgTable(
  "signatures",
  {
    id: integer().primaryKey().generatedByDefaultAsIdentity(),
    declarationId: integer("declaration_id")
      .notNull()
      .references(() => declarations.id, { onDelete: "cascade" }),
    revision: integer().notNull(),
    firstRevision: integer("first_revision").notNull(),
    kind: text({ enum: ["browser", "fediverse"] })
      .notNull()
      .default("browser"),
    /**
     * `pending`: a browser signature waiting for its mailed confirmation;
     * `held`: a fediverse signature held for the site owner's review (its
     * server is on hold, or signed faster than the per-server limit);
     * neither is counted.  Only `confirmed` signatures count.
     */
    status: text({ enum: ["pending", "confirmed", "held", "withdrawn"] }).notNull(),
    name: text(),
    place: text(),
    website: text(),
    comment: text(),
    email: text(),
    /** Keyed hash of the canonical email address, for duplicate detection. */
    emailHash: text("email_hash"),
    /** Show the name publicly, or count only. */
    public: boolean().notNull(),
    tokenHash: text("token_hash").notNull(),
    confirmTokenHash: text("confirm_token_hash"),
    confirmExpires: ms("confirm_expires"),
    created: ms().notNull(),
    confirmed: ms(),
    resigned: ms(),
    withdrawn: ms(),
    /**
     * For a fediverse signature (kind `fediverse`): the account whose
     * favourite or reaction signed.  Cleared on withdrawal, like every other
     * personal field.
     */
    remoteActorId: integer("remote_actor_id").references((): AnyPgColumn => remoteActors.id, {
      onDelete: "set null",
    }),
  },
  (t) => [
    uniqueIndex("signatures_token_hash_unique").on(t.tokenHash),
    // One live fediverse signature per account and Declaration.
    uniqueIndex("signatures_declaration_actor_unique").on(t.declarationId, t.remoteActorId),
    uniqueIndex("signatures_confirm_token_hash_unique").on(t.confirmTokenHash),
    // One live signature per email address and Declaration.
    uniqueIndex("signatures_declaration_email_unique").on(t.declarationId, t.emailHash),
    // Public list, newest first, by keyset on id.  A plain index: SQLite's
    // planner did not pick a partial one once most signers were count-only.
    index("signatures_list_idx").on(t.declarationId, t.status, t.public, t.id),
    index("signatures_pending_idx").on(t.confirmExpires).where(sql`status = 'pending'`),
    // A remote account's signatures (its deletion, its server's signatures).
    index("signatures_remote_actor_idx").on(t.remoteActorId),
  ],
);
export type Signature = typeof signatures.$inferSelect;
export type NewSignature = typeof signatures.$inferInsert;

/** Site-wide values that must survive restarts (e.g. the generated secret). */
export const settings = pgTable("settings", {
  key: text().primaryKey(),
  value: text().notNull(),
});

/**
 * A person who can log in (authors copy and edit Declarations; admins run the
 * site).  `username` is stored lower-cased, so lookups are case-insensitive.
 * `passwordHash` is `scrypt$N$r$p$salt$hash` (see src/db/accounts.ts).
 */
export const accounts = pgTable(
  "accounts",
  {
    id: integer().primaryKey().generatedByDefaultAsIdentity(),
    username: text().notNull(),
    passwordHash: text("password_hash").notNull(),
    role: text({ enum: ["admin", "author"] })
      .notNull()
      .default("author"),
    created: ms().notNull(),
  },
  (t) => [uniqueIndex("accounts_username_unique").on(t.username)],
);
export type AccountRow = typeof accounts.$inferSelect;

/**
 * A login.  `id` is the SHA-256 (hex) of the session token: the token itself
 * exists only in the browser's cookie.  Sliding expiry: `expires` moves on
 * when the session is used (at most once an hour, with `lastSeen`).
 */
export const sessions = pgTable(
  "sessions",
  {
    id: text().primaryKey(),
    accountId: integer("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    created: ms().notNull(),
    expires: ms().notNull(),
    lastSeen: ms("last_seen").notNull(),
  },
  (t) => [index("sessions_account_idx").on(t.accountId), index("sessions_expires_idx").on(t.expires)],
);
export type SessionRow = typeof sessions.$inferSelect;

/**
 * A single-use invite code for registration in `invite` mode.  Only the
 * SHA-256 (hex) of the code is stored; the code is shown once when created.
 */
export const invites = pgTable(
  "invites",
  {
    id: integer().primaryKey().generatedByDefaultAsIdentity(),
    codeHash: text("code_hash").notNull(),
    createdBy: integer("created_by")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    created: ms().notNull(),
    usedBy: integer("used_by").references(() => accounts.id, { onDelete: "set null" }),
    usedAt: ms("used_at"),
  },
  (t) => [uniqueIndex("invites_code_hash_unique").on(t.codeHash)],
);
export type Invite = typeof invites.$inferSelect;

// ---------------------------------------------------------------------------
// Federation (see FEDERATION.md)

/**
 * Key pairs of our actors (a Declaration's slug, or `instance` for the
 * instance actor), as JWK JSON.  Generated once and never replaced: remote
 * servers cache them, and a changed key makes them drop what we send.
 */
export const actorKeys = pgTable("actor_keys", {
  identifier: text().primaryKey(),
  rsaPublic: text("rsa_public").notNull(),
  rsaPrivate: text("rsa_private").notNull(),
  ed25519Public: text("ed25519_public").notNull(),
  ed25519Private: text("ed25519_private").notNull(),
  created: ms().notNull(),
});

/**
 * An account on another server that interacted with us (follower, signer,
 * booster, author of a response or a report).  Display data is refreshed by
 * its `Update` activities.
 */
export const remoteActors = pgTable(
  "remote_actors",
  {
    id: integer().primaryKey().generatedByDefaultAsIdentity(),
    uri: text().notNull(),
    /** `user@host`, from preferredUsername and the id's host (null when it has none). */
    handle: text(),
    name: text(),
    /** The profile page (the actor's `url`), else its id. */
    url: text().notNull(),
    iconUrl: text("icon_url"),
    inbox: text().notNull(),
    sharedInbox: text("shared_inbox"),
    /** Lower-cased host of `uri`, for domain blocks. */
    host: text().notNull(),
    /**
     * The ids of the keys its own actor document names (`publicKey` and
     * `assertionMethod`): an activity is believed to be the account's only
     * when it is signed with one of them.
     */
    keyIds: jsonb("key_ids").$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    updated: ms().notNull(),
    /** When the account was last fetched to see whether it still exists (signers are checked now and then). */
    checked: ms(),
    /** When its actor first answered 404 (a second 404 a day later means it is gone). */
    missingSince: ms("missing_since"),
  },
  (t) => [uniqueIndex("remote_actors_uri_unique").on(t.uri), index("remote_actors_host_idx").on(t.host)],
);
export type RemoteActor = typeof remoteActors.$inferSelect;

/** A remote account following a Declaration's actor. */
export const followers = pgTable(
  "followers",
  {
    id: integer().primaryKey().generatedByDefaultAsIdentity(),
    declarationId: integer("declaration_id")
      .notNull()
      .references(() => declarations.id, { onDelete: "cascade" }),
    actorId: integer("actor_id")
      .notNull()
      .references(() => remoteActors.id, { onDelete: "cascade" }),
    /** The id of the Follow activity (matched by Undo). */
    followUri: text("follow_uri"),
    created: ms().notNull(),
  },
  (t) => [
    uniqueIndex("followers_declaration_actor_unique").on(t.declarationId, t.actorId),
    index("followers_actor_idx").on(t.actorId),
  ],
);

/**
 * What a Declaration's actor has posted: its `Article` (one per Declaration,
 * updated with each revision), the pinned announcement `Note`, a "version N"
 * Note per revision, and the signing digests.  `key` makes each post unique
 * per Declaration (`article`, `announcement`, `version:N`, `digest:<hour>`),
 * so two processes never post the same thing twice.
 */
export const fedPosts = pgTable(
  "fed_posts",
  {
    id: integer().primaryKey().generatedByDefaultAsIdentity(),
    /** Public id in URLs (`/ap/notes/{uuid}`, `/ap/articles/{uuid}`). */
    uuid: text().notNull(),
    declarationId: integer("declaration_id")
      .notNull()
      .references(() => declarations.id, { onDelete: "cascade" }),
    kind: text({ enum: ["article", "announcement", "version", "digest", "notice"] }).notNull(),
    key: text().notNull(),
    /** The revision the post is about (for the Article: the revision it shows now). */
    revision: integer().notNull(),
    /** For a digest: the signature count it reported; else the count when posted. */
    signatureCount: integer("signature_count").notNull().default(0),
    /** For a digest: how many signed since the previous digest. */
    delta: integer().notNull().default(0),
    /** For a strike notice: its text as posted (plain text, template filled in). */
    content: text(),
    /** For a strike notice: the media ids of its images (at most 4), in order. */
    mediaIds: jsonb("media_ids").$type<number[]>().notNull().default(sql`'[]'::jsonb`),
    /** For a strike notice: the start of the slot it was posted for (null when posted by hand). */
    slot: ms(),
    published: ms().notNull(),
    updated: ms(),
  },
  (t) => [
    uniqueIndex("fed_posts_uuid_unique").on(t.uuid),
    uniqueIndex("fed_posts_declaration_key_unique").on(t.declarationId, t.key),
    index("fed_posts_declaration_idx").on(t.declarationId, t.id),
  ],
);
export type FedPost = typeof fedPosts.$inferSelect;

/**
 * The outbox: every activity a Declaration's actor sent, newest last.
 * `delivered` is set once the activity is in the delivery queue; activities
 * left undelivered by a crash are queued again on start (receivers
 * de-duplicate by the activity id, which is stable).
 */
export const fedActivities = pgTable(
  "fed_activities",
  {
    id: integer().primaryKey().generatedByDefaultAsIdentity(),
    uuid: text().notNull(),
    declarationId: integer("declaration_id")
      .notNull()
      .references(() => declarations.id, { onDelete: "cascade" }),
    postId: integer("post_id")
      .notNull()
      .references(() => fedPosts.id, { onDelete: "cascade" }),
    type: text({ enum: ["Create", "Update", "Delete"] }).notNull(),
    /** The revision the activity carried (an Update's Article is rebuilt at it). */
    revision: integer().notNull(),
    published: ms().notNull(),
    delivered: ms(),
  },
  (t) => [
    uniqueIndex("fed_activities_uuid_unique").on(t.uuid),
    index("fed_activities_declaration_idx").on(t.declarationId, t.id),
    index("fed_activities_undelivered_idx").on(t.id).where(sql`delivered IS NULL`),
  ],
);
export type FedActivity = typeof fedActivities.$inferSelect;

/** A remote account following the site account (see src/db/schema.ts). */
export const siteFollowers = pgTable(
  "site_followers",
  {
    id: integer().primaryKey().generatedByDefaultAsIdentity(),
    actorId: integer("actor_id")
      .notNull()
      .references(() => remoteActors.id, { onDelete: "cascade" }),
    /** The id of the Follow activity (matched by an Undo that names only it). */
    followUri: text("follow_uri"),
    created: ms().notNull(),
  },
  (t) => [uniqueIndex("site_followers_actor_unique").on(t.actorId)],
);
export type SiteFollower = typeof siteFollowers.$inferSelect;

/** What the site account posted, one activity each (see src/db/schema.ts). */
export const sitePosts = pgTable(
  "site_posts",
  {
    id: integer().primaryKey().generatedByDefaultAsIdentity(),
    uuid: text().notNull(),
    activityUuid: text("activity_uuid").notNull(),
    kind: text({ enum: ["declaration", "copy", "remote-copy", "announcement", "countdown", "boost"] }).notNull(),
    key: text().notNull(),
    declarationId: integer("declaration_id").references(() => declarations.id, { onDelete: "set null" }),
    objectUri: text("object_uri"),
    content: text(),
    hashtags: jsonb().$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    mediaIds: jsonb("media_ids").$type<number[]>().notNull().default(sql`'[]'::jsonb`),
    language: text(),
    published: ms().notNull(),
    delivered: ms(),
  },
  (t) => [
    uniqueIndex("site_posts_uuid_unique").on(t.uuid),
    uniqueIndex("site_posts_activity_uuid_unique").on(t.activityUuid),
    uniqueIndex("site_posts_key_unique").on(t.key),
    index("site_posts_undelivered_idx").on(t.id).where(sql`delivered IS NULL`),
  ],
);
export type SitePost = typeof sitePosts.$inferSelect;

/**
 * What a Declaration's actor last told its followers about itself: a
 * fingerprint of the profile other servers show (title, summary, the
 * "Signatures" and "Version" fields, license, source, status), and when an
 * `Update` of the actor last went out.  An `Update` is sent when the profile
 * changed, at most once an hour (src/federation/profile-updates.ts); `sent` is
 * null until the first one.
 */
export const actorProfiles = pgTable("actor_profiles", {
  declarationId: integer("declaration_id")
    .primaryKey()
    .references(() => declarations.id, { onDelete: "cascade" }),
  fingerprint: text().notNull(),
  sent: ms(),
  updated: ms().notNull(),
});
export type ActorProfile = typeof actorProfiles.$inferSelect;

/**
 * Quote authorizations (FEP-044f "QuoteAuthorization" stamps): permission for
 * one post elsewhere (`interactingObject`) to quote one of our posts, given in
 * answer to a `QuoteRequest` and served at `/ap/quote-authorizations/{uuid}`
 * so that every server showing the quote can check it.  One per (our post,
 * quoting post): a repeated request gets the same stamp.
 */
export const fedQuoteAuthorizations = pgTable(
  "fed_quote_authorizations",
  {
    id: integer().primaryKey().generatedByDefaultAsIdentity(),
    uuid: text().notNull(),
    declarationId: integer("declaration_id")
      .notNull()
      .references(() => declarations.id, { onDelete: "cascade" }),
    postId: integer("post_id")
      .notNull()
      .references(() => fedPosts.id, { onDelete: "cascade" }),
    /** The quoting post (the request's `instrument`). */
    interactingObject: text("interacting_object").notNull(),
    /** Who asked (the quoting post's author). */
    actorUri: text("actor_uri").notNull(),
    /** The `QuoteRequest` it answered. */
    requestUri: text("request_uri"),
    created: ms().notNull(),
  },
  (t) => [
    uniqueIndex("fed_quote_authorizations_uuid_unique").on(t.uuid),
    uniqueIndex("fed_quote_authorizations_post_object_unique").on(t.postId, t.interactingObject),
  ],
);
export type FedQuoteAuthorization = typeof fedQuoteAuthorizations.$inferSelect;

/**
 * A favourite (`Like`) or emoji reaction (`EmojiReact`, or Misskey's `Like`
 * with content) of one of our posts: at most one per account and post (the
 * latest, unless it would replace a reaction that signs with one that does
 * not).  `signs` says whether it means "I sign" (a plain favourite or one of
 * the signing emoji, src/federation/reactions.ts); the account's signature
 * lasts while at least one of its signing reactions to that Declaration
 * remains.
 */
export const fedReactions = pgTable(
  "fed_reactions",
  {
    id: integer().primaryKey().generatedByDefaultAsIdentity(),
    activityUri: text("activity_uri").notNull(),
    declarationId: integer("declaration_id")
      .notNull()
      .references(() => declarations.id, { onDelete: "cascade" }),
    actorId: integer("actor_id")
      .notNull()
      .references(() => remoteActors.id, { onDelete: "cascade" }),
    objectUri: text("object_uri").notNull(),
    kind: text({ enum: ["like", "emoji"] }).notNull(),
    /** The reaction text (an emoji or `:shortcode:`), if any. */
    content: text(),
    signs: boolean().notNull().default(true),
    created: ms().notNull(),
  },
  (t) => [
    uniqueIndex("fed_reactions_activity_unique").on(t.activityUri),
    uniqueIndex("fed_reactions_actor_object_unique").on(t.actorId, t.objectUri),
    index("fed_reactions_declaration_actor_idx").on(t.declarationId, t.actorId),
  ],
);

/**
 * Undone activities (tombstones): the id of a `Like`, `EmojiReact` or
 * `Announce` that its actor undid, so that the same activity arriving late
 * (a retry after its `Undo`) does not sign or boost again.  Kept 30 days.
 */
export const fedUndone = pgTable(
  "fed_undone",
  {
    activityUri: text("activity_uri").notNull(),
    actorUri: text("actor_uri").notNull(),
    /** The Undo's `published` when it had one, else when we received it. */
    undone: ms().notNull(),
  },
  (t) => [primaryKey({ columns: [t.activityUri, t.actorUri] }), index("fed_undone_undone_idx").on(t.undone)],
);

/**
 * Servers whose fediverse signatures the site owner holds for review: their
 * signatures are not counted (status `held`) until released.
 */
export const fedServerHolds = pgTable("fed_server_holds", {
  host: text().primaryKey(),
  created: ms().notNull(),
});

/** A boost (`Announce`) of one of our posts. */
export const fedBoosts = pgTable(
  "fed_boosts",
  {
    id: integer().primaryKey().generatedByDefaultAsIdentity(),
    activityUri: text("activity_uri").notNull(),
    declarationId: integer("declaration_id")
      .notNull()
      .references(() => declarations.id, { onDelete: "cascade" }),
    actorId: integer("actor_id")
      .notNull()
      .references(() => remoteActors.id, { onDelete: "cascade" }),
    objectUri: text("object_uri").notNull(),
    created: ms().notNull(),
  },
  (t) => [
    uniqueIndex("fed_boosts_activity_unique").on(t.activityUri),
    index("fed_boosts_declaration_idx").on(t.declarationId),
    index("fed_boosts_actor_idx").on(t.actorId),
  ],
);

/**
 * A reply to one of our posts, shown under the Declaration.  `contentHtml` is
 * sanitized when stored.  The site owner (or the Declaration's owner) can
 * hide it.
 */
export const fedResponses = pgTable(
  "fed_responses",
  {
    id: integer().primaryKey().generatedByDefaultAsIdentity(),
    uri: text().notNull(),
    declarationId: integer("declaration_id")
      .notNull()
      .references(() => declarations.id, { onDelete: "cascade" }),
    actorId: integer("actor_id")
      .notNull()
      .references(() => remoteActors.id, { onDelete: "cascade" }),
    inReplyTo: text("in_reply_to").notNull(),
    /** The reply's page on its server (its `url`, else its id). */
    url: text().notNull(),
    /** Content warning, if any. */
    summary: text(),
    contentHtml: text("content_html").notNull(),
    published: ms().notNull(),
    updated: ms(),
    hidden: boolean().notNull().default(false),
    created: ms().notNull(),
  },
  (t) => [
    uniqueIndex("fed_responses_uri_unique").on(t.uri),
    index("fed_responses_declaration_idx").on(t.declarationId, t.id),
    index("fed_responses_actor_idx").on(t.actorId),
  ],
);
export type FedResponse = typeof fedResponses.$inferSelect;

/** A `Flag` (report) received from another server, for the site owner. */
export const fedReports = pgTable(
  "fed_reports",
  {
    id: integer().primaryKey().generatedByDefaultAsIdentity(),
    activityUri: text("activity_uri").notNull(),
    /** Who sent it (often a server's instance actor). */
    actorUri: text("actor_uri").notNull(),
    declarationId: integer("declaration_id").references(() => declarations.id, { onDelete: "set null" }),
    /** JSON array of the reported object URIs. */
    objectUris: jsonb("object_uris").$type<string[]>().notNull(),
    content: text().notNull().default(""),
    created: ms().notNull(),
    resolved: ms(),
    /** How the site owner resolved it: `dismissed`, `unpublished`, `hidden` or `deleted` (null before). */
    resolution: text(),
  },
  (t) => [uniqueIndex("fed_reports_activity_unique").on(t.activityUri)],
);
export type FedReport = typeof fedReports.$inferSelect;

/**
 * A visitor's report of a Declaration (no account needed).  Nothing about the
 * reporter is kept: only the reason typed and the time.  Reports and `Flag`s
 * (fed_reports) are one queue for the site owner (src/services/moderation.ts).
 */
export const visitorReports = pgTable(
  "visitor_reports",
  {
    id: integer().primaryKey().generatedByDefaultAsIdentity(),
    declarationId: integer("declaration_id").references(() => declarations.id, { onDelete: "set null" }),
    reason: text().notNull(),
    created: ms().notNull(),
    resolved: ms(),
    /** How the site owner resolved it: `dismissed`, `unpublished`, `hidden` or `deleted` (null before). */
    resolution: text(),
  },
  (t) => [index("visitor_reports_declaration_idx").on(t.declarationId)],
);
export type VisitorReport = typeof visitorReports.$inferSelect;

/**
 * What the site owner did to a Declaration (unpublish, hide, show, delete,
 * publish again), with the reason: the author reads it, also after a delete
 * (slug and title are kept here for that).
 */
export const moderationActions = pgTable(
  "moderation_actions",
  {
    id: integer().primaryKey().generatedByDefaultAsIdentity(),
    declarationId: integer("declaration_id").references(() => declarations.id, { onDelete: "set null" }),
    slug: text().notNull(),
    title: text().notNull(),
    /** The Declaration's owner when the action was taken (who is told). */
    ownerId: integer("owner_id").references(() => accounts.id, { onDelete: "cascade" }),
    action: text({ enum: ["unpublish", "hide", "show", "delete", "publish"] }).notNull(),
    reason: text().notNull().default(""),
    /** The admin who acted; null from the command line. */
    byId: integer("by_id").references(() => accounts.id, { onDelete: "set null" }),
    created: ms().notNull(),
  },
  (t) => [
    index("moderation_actions_owner_idx").on(t.ownerId, t.id),
    index("moderation_actions_declaration_idx").on(t.declarationId),
  ],
);
export type ModerationAction = typeof moderationActions.$inferSelect;

/** Servers the site owner refuses: no inbound activities, no deliveries. */
export const domainBlocks = pgTable("domain_blocks", {
  domain: text().primaryKey(),
  reason: text().notNull().default(""),
  created: ms().notNull(),
});

/**
 * Fedify's message queue (delivery, inbox and fan-out work).  A message is
 * leased, not removed, while it is handled; a crashed process's lease expires
 * and another handler takes the message again (at-least-once; decision 0007).
 */
export const queueMessages = pgTable(
  "queue_messages",
  {
    /** A bigint: a busy site goes through more than 2^31 messages in its life. */
    id: bigint({ mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    /** The message as JSON. */
    message: text().notNull(),
    orderingKey: text("ordering_key"),
    /** Unix ms before which the message must not be handled (delayed enqueue). */
    availableAt: epochMs("available_at").notNull(),
    /** Unix ms until which a handler holds the message; null when free. */
    leaseUntil: epochMs("lease_until"),
    leaseOwner: text("lease_owner"),
    attempts: integer().notNull().default(0),
    created: epochMs().notNull(),
    /**
     * The server a delivery goes to (`host:port` of its inbox); null for work
     * that is not a delivery.  Limits how many of one server's messages are
     * handled at once, and holds them while that server is down (`queue_hosts`).
     */
    host: text(),
  },
  (t) => [
    index("queue_messages_available_idx").on(t.availableAt, t.id),
    index("queue_messages_ordering_idx").on(t.orderingKey, t.id),
    index("queue_messages_host_idx").on(t.host),
    // Few rows hold a lease at any time: the claim counts them per server.
    index("queue_messages_leased_idx").on(t.leaseUntil).where(sql`lease_until IS NOT NULL`),
  ],
);

/**
 * Servers deliveries recently failed to reach, by the `host` of
 * `queue_messages` (a circuit breaker; decision 0010).  `failures` lists the
 * distinct deliveries that failed, `[deliveryKey, unix ms]`, within the
 * failure window: a delivery retried ten times counts once.  While
 * `held_until` is in the future none of the server's messages is handed out;
 * once it has passed (and the row is still here) one message at a time goes
 * out as a probe.  A success deletes the row and makes the server's waiting
 * messages due at once.
 */
export const queueHosts = pgTable("queue_hosts", {
  host: text().primaryKey(),
  failures: jsonb().$type<[string, number][]>().notNull().default(sql`'[]'::jsonb`),
  /** Unix ms of the first failure of the current outage. */
  failingSince: epochMs("failing_since").notNull(),
  /** Unix ms until which the server's messages wait; null while it is below the failure threshold. */
  heldUntil: epochMs("held_until"),
  /** The length of the current hold, doubled by each failed probe. */
  holdMs: epochMs("hold_ms"),
});
export type QueueHost = typeof queueHosts.$inferSelect;

// ---------------------------------------------------------------------------
// The strike (see src/strike/)

/**
 * A pledge to strike: on which strike days (ISO dates of the edition's
 * window), with an optional name.  `edition` names the strike (the year of
 * its first day), so pledges of past strikes stay apart.
 */
export const pledges = pgTable(
  "pledges",
  {
    id: integer().primaryKey().generatedByDefaultAsIdentity(),
    edition: text().notNull(),
    /** JSON array of ISO dates (YYYY-MM-DD), each one of the strike's days. */
    days: jsonb().$type<string[]>().notNull(),
    name: text(),
    /** Show the name publicly, or count only. */
    public: boolean().notNull().default(false),
    created: ms().notNull(),
  },
  (t) => [index("pledges_edition_idx").on(t.edition, t.id)],
);
export type Pledge = typeof pledges.$inferSelect;

/**
 * An uploaded image, re-encoded and stripped of metadata (src/media.ts).  The
 * bytes live in `media_blobs`, so the database stays the one file to back up.
 * `gallery` images are listed in the memes gallery.
 */
export const media = pgTable(
  "media",
  {
    id: integer().primaryKey().generatedByDefaultAsIdentity(),
    /** Public id in URLs (`/media/{uuid}.{ext}`). */
    uuid: text().notNull(),
    mime: text({ enum: ["image/png", "image/jpeg", "image/webp", "image/gif"] }).notNull(),
    width: integer().notNull(),
    height: integer().notNull(),
    bytes: integer().notNull(),
    /** SHA-256 (hex) of the stored bytes: the same image uploaded twice is stored once. */
    sha256: text().notNull(),
    /** Required description for people who cannot see the image. */
    alt: text().notNull(),
    title: text().notNull().default(""),
    gallery: boolean().notNull().default(false),
    createdBy: integer("created_by").references(() => accounts.id, { onDelete: "set null" }),
    created: ms().notNull(),
  },
  (t) => [
    uniqueIndex("media_uuid_unique").on(t.uuid),
    uniqueIndex("media_sha256_unique").on(t.sha256),
    index("media_gallery_idx").on(t.gallery, t.id),
  ],
);
export type Media = typeof media.$inferSelect;

export const mediaBlobs = pgTable("media_blobs", {
  mediaId: integer("media_id")
    .primaryKey()
    .references(() => media.id, { onDelete: "cascade" }),
  data: bytea().notNull(),
});

/**
 * Markdown pages of the movement (`/faq`, `/resources`), seeded from the
 * `pages/` folder with the same rule as Declarations (a file never
 * overwrites an edit made on the site) and editable by the site owner.
 */
export const sitePages = pgTable("site_pages", {
  slug: text().primaryKey(),
  title: text().notNull(),
  body: text().notNull(),
  sourceFile: text("source_file"),
  sourceFileSha256: text("source_file_sha256"),
  /** Whether the text was edited on the site since the last import (files then leave it alone). */
  editedOnSite: boolean("edited_on_site").notNull().default(false),
  updated: ms().notNull(),
  updatedBy: integer("updated_by").references(() => accounts.id, { onDelete: "set null" }),
});
export type SitePage = typeof sitePages.$inferSelect;

// ---------------------------------------------------------------------------
// Strike bot: strikers' own Mastodon-API accounts posting notices on their schedule
// ---------------------------------------------------------------------------

/**
 * The OAuth application the bot registered on one server (`POST /api/v1/apps`),
 * reused for every striker of that server.  Registered again when our redirect
 * URI or scopes change.  The client secret is sealed like the tokens.
 */
export const botApps = pgTable(
  "bot_apps",
  {
    id: integer().primaryKey().generatedByDefaultAsIdentity(),
    /** The server's origin, e.g. `https://mastodon.example`. */
    origin: text().notNull(),
    redirectUri: text("redirect_uri").notNull(),
    /** Space-separated, as registered. */
    scopes: text().notNull(),
    clientId: text("client_id").notNull(),
    clientSecretSealed: text("client_secret_sealed").notNull(),
    software: text().notNull().default(""),
    version: text().notNull().default(""),
    supportsPkce: boolean("supports_pkce").notNull().default(false),
    /**
     * Whether the server holds scheduled statuses the bot can see and cancel
     * (`yes`), or not (`no`, with `schedulingReason`); null until the bot
     * has found out (src/bot/capability.ts).  Learnt from what the server
     * does, for this `version`; a new version is asked again.
     */
    scheduling: text({ enum: ["yes", "no"] }),
    schedulingReason: text("scheduling_reason", { enum: ["posts-at-once", "not-listed", "cannot-cancel", "refused"] }),
    schedulingLearned: ms("scheduling_learned"),
    created: ms().notNull(),
  },
  (t) => [uniqueIndex("bot_apps_origin_unique").on(t.origin, t.redirectUri, t.scopes)],
);
export type BotAppRow = typeof botApps.$inferSelect;

/** An authorization in progress: the `state` we sent and the PKCE verifier, used once. */
export const botAuthorizations = pgTable(
  "bot_authorizations",
  {
    id: integer().primaryKey().generatedByDefaultAsIdentity(),
    /** SHA-256 (hex) of the random state sent to the server. */
    stateHash: text("state_hash").notNull(),
    /** The account here that connects, or null when the striker signs in with the account they connect (a bot identity). */
    accountId: integer("account_id").references(() => accounts.id, { onDelete: "cascade" }),
    /** SHA-256 (hex) of the random value in the browser's cookie that started it: the callback must come from that browser. */
    browserHash: text("browser_hash").notNull().default(""),
    appId: integer("app_id")
      .notNull()
      .references(() => botApps.id, { onDelete: "cascade" }),
    /** Sealed PKCE verifier, or null when the server does not take PKCE. */
    codeVerifierSealed: text("code_verifier_sealed"),
    created: ms().notNull(),
    expires: ms().notNull(),
  },
  (t) => [
    uniqueIndex("bot_authorizations_state_unique").on(t.stateHash),
    index("bot_authorizations_expires_idx").on(t.expires),
  ],
);

/**
 * A striker's connected account on a Mastodon-API server.  `status` is
 * `active`, or `revoked` when the server stopped accepting the token (the
 * token is then erased and the striker is told to connect again).
 */
export const botConnections = pgTable(
  "bot_connections",
  {
    id: integer().primaryKey().generatedByDefaultAsIdentity(),
    /**
     * The account here that owns it, or null for a bot identity: the striker
     * signed in with this remote account itself and owns it through
     * `bot_sessions` (docs/decisions/0032).
     */
    accountId: integer("account_id").references(() => accounts.id, { onDelete: "cascade" }),
    appId: integer("app_id")
      .notNull()
      .references(() => botApps.id, { onDelete: "restrict" }),
    /** The account's id on its server. */
    remoteId: text("remote_id").notNull(),
    acct: text().notNull(),
    displayName: text("display_name").notNull().default(""),
    url: text().notNull(),
    avatar: text().notNull().default(""),
    /** AES-256-GCM sealed access token (src/bot/secrets.ts), bound to this row; null once revoked. */
    tokenSealed: text("token_sealed"),
    scope: text().notNull().default(""),
    status: text({ enum: ["active", "revoked"] })
      .notNull()
      .default("active"),
    /** Why the bot stopped, in words for the striker. */
    statusReason: text("status_reason"),
    /**
     * The striker's plan (src/bot/plan.ts), as JSON; null until they save one.
     */
    plan: jsonb().$type<unknown>(),
    /** Whether the plan is on (posts are scheduled) or paused. */
    enabled: boolean().notNull().default(false),
    /** Set when the plan or the connection changed: the scheduler reconciles the posts (and the server's scheduled statuses) with the plan. */
    needsSync: boolean("needs_sync").notNull().default(false),
    created: ms().notNull(),
    updated: ms().notNull(),
  },
  (t) => [
    uniqueIndex("bot_connections_remote_unique").on(t.accountId, t.appId, t.remoteId),
    /** One bot identity per remote account (a local account's connections are unique by the index above). */
    uniqueIndex("bot_connections_identity_unique").on(t.appId, t.remoteId).where(sql`account_id IS NULL`),
    index("bot_connections_status_idx").on(t.status, t.enabled),
  ],
);
export type BotConnection = typeof botConnections.$inferSelect;

/**
 * A browser signed in to /bot as a bot identity (a connection without a
 * local account): the SHA-256 of a random token in an HttpOnly cookie.
 * Deleted on sign-out, and with the connection on disconnect.
 */
export const botSessions = pgTable(
  "bot_sessions",
  {
    id: integer().primaryKey().generatedByDefaultAsIdentity(),
    tokenHash: text("token_hash").notNull(),
    connectionId: integer("connection_id")
      .notNull()
      .references(() => botConnections.id, { onDelete: "cascade" }),
    created: ms().notNull(),
    expires: ms().notNull(),
  },
  (t) => [
    uniqueIndex("bot_sessions_token_unique").on(t.tokenHash),
    index("bot_sessions_connection_idx").on(t.connectionId),
    index("bot_sessions_expires_idx").on(t.expires),
  ],
);

/**
 * One post the bot makes for a connection at one slot.  States:
 *  - `planned`: waiting (to be scheduled on the server, or posted by us at `postAt`);
 *  - `scheduled`: the server holds it as a scheduled status (`remoteId`);
 *  - `posted`: published (`url`; for a server-scheduled post, the account's profile);
 *  - `failed`: not posted; `error` says why and what to do;
 *  - `cancelled`: dropped because the plan changed or the striker disconnected;
 *  - `unconfirmed`: the server may hold it or have published it, and cannot
 *    show which (it neither lists nor cancels scheduled statuses); `error`
 *    says what the striker should check.  Never posted by us.
 */
export const botPosts = pgTable(
  "bot_posts",
  {
    id: integer().primaryKey().generatedByDefaultAsIdentity(),
    connectionId: integer("connection_id")
      .notNull()
      .references(() => botConnections.id, { onDelete: "cascade" }),
    /** The slot's start (the time shown to the striker). */
    slotAt: ms("slot_at").notNull(),
    /** When it is posted: the slot plus this connection's spread offset. */
    postAt: ms("post_at").notNull(),
    text: text().notNull(),
    spoilerText: text("spoiler_text").notNull().default(""),
    visibility: text().notNull(),
    language: text().notNull().default(""),
    mediaId: integer("media_id").references(() => media.id, { onDelete: "set null" }),
    mediaAlt: text("media_alt").notNull().default(""),
    /** Sent as the Idempotency-Key: one per striker, strike and slot. */
    idempotencyKey: text("idempotency_key").notNull(),
    state: text({ enum: ["planned", "scheduled", "posted", "failed", "cancelled", "unconfirmed"] })
      .notNull()
      .default("planned"),
    /** `server`: a scheduled status on their server; `site`: posted by our scheduler. */
    via: text({ enum: ["server", "site"] }),
    remoteId: text("remote_id"),
    url: text(),
    error: text(),
    attempts: integer().notNull().default(0),
    /** When the scheduler next looks at it (retries, rate limits). */
    nextAttemptAt: ms("next_attempt_at").notNull(),
    updated: ms().notNull(),
  },
  (t) => [
    uniqueIndex("bot_posts_slot_unique").on(t.connectionId, t.slotAt),
    index("bot_posts_due_idx").on(t.state, t.nextAttemptAt),
  ],
);
export type BotPost = typeof botPosts.$inferSelect;

// ---------------------------------------------------------------------------
// Copies across instances (see FEDERATION.md "Copies on other sites")

/**
 * A revision of a Declaration on another server, as fetched over ActivityPub
 * (its Article).  Revisions never change, so each is fetched once and kept;
 * `url` is the revision's own address (`https://site/d/slug/v/N` on
 * undersign).  `format` says whether the text came as Markdown (`source`) or
 * was converted from the Article's HTML.
 */
export const remoteRevisions = pgTable(
  "remote_revisions",
  {
    id: integer().primaryKey().generatedByDefaultAsIdentity(),
    url: text().notNull(),
    /** The Article's id (the same for every revision on undersign). */
    articleIri: text("article_iri").notNull(),
    /** The actor the Article is attributed to. */
    actorIri: text("actor_iri").notNull(),
    number: integer().notNull(),
    title: text().notNull(),
    summary: text().notNull().default(""),
    body: text().notNull(),
    format: text({ enum: ["markdown", "html"] }).notNull(),
    /** The revision it names as its source (its `via` link), if any. */
    viaUrl: text("via_url"),
    fetched: ms().notNull(),
  },
  (t) => [
    uniqueIndex("remote_revisions_url_unique").on(t.url),
    index("remote_revisions_article_idx").on(t.articleIri, t.number),
  ],
);
export type RemoteRevision = typeof remoteRevisions.$inferSelect;

/**
 * For a local Copy of a Declaration on another server: its source's actor
 * (which the Copy's actor follows and notifies), its Article, and the newest
 * source revision known here (newer than `declarations.source_revision` when
 * the owner has a version to take in).
 */
export const remoteSources = pgTable("remote_sources", {
  declarationId: integer("declaration_id")
    .primaryKey()
    .references(() => declarations.id, { onDelete: "cascade" }),
  actorIri: text("actor_iri").notNull(),
  inbox: text().notNull(),
  sharedInbox: text("shared_inbox"),
  articleIri: text("article_iri").notNull(),
  latestRevision: integer("latest_revision").notNull(),
  latestUrl: text("latest_url").notNull(),
  /** The source's signatures, as its actor reports them (null when it does not). */
  signatureCount: integer("signature_count"),
  status: text({ enum: ["ok", "deleted", "unreachable"] })
    .notNull()
    .default("ok"),
  checked: ms().notNull(),
});
export type RemoteSource = typeof remoteSources.$inferSelect;

/**
 * A copy of one of our Declarations on another server.  Recorded only after
 * fetching the copy from its own server and finding that it names one of our
 * revisions as its source; refreshed when its actor says it changed.  A copy
 * that is gone (`deleted`) or does not answer (`unreachable`) stays listed.
 */
export const remoteCopies = pgTable(
  "remote_copies",
  {
    id: integer().primaryKey().generatedByDefaultAsIdentity(),
    declarationId: integer("declaration_id")
      .notNull()
      .references(() => declarations.id, { onDelete: "cascade" }),
    actorIri: text("actor_iri").notNull(),
    articleIri: text("article_iri").notNull(),
    /** The copy's page. */
    url: text().notNull(),
    host: text().notNull(),
    title: text().notNull(),
    /** Which of our revisions it copied (or last took in). */
    sourceRevision: integer("source_revision").notNull(),
    /** Its newest revision known here, and that revision's address. */
    revision: integer().notNull(),
    revisionUrl: text("revision_url").notNull(),
    wordsChanged: integer("words_changed").notNull().default(0),
    /** As the copy's actor reports it (null when it does not). */
    signatureCount: integer("signature_count"),
    status: text({ enum: ["ok", "deleted", "unreachable"] })
      .notNull()
      .default("ok"),
    created: ms().notNull(),
    checked: ms().notNull(),
  },
  (t) => [
    uniqueIndex("remote_copies_article_unique").on(t.articleIri),
    index("remote_copies_declaration_idx").on(t.declarationId, t.id),
  ],
);
export type RemoteCopy = typeof remoteCopies.$inferSelect;

/**
 * Proof-of-work solutions already used (docs/decisions/0015): the challenge's
 * HMAC signature, kept until the challenge expires and pruned after that.
 * A row is written in the same transaction as the signature or pledge the
 * solution paid for, so a solution is accepted once, across restarts, and a
 * refused attempt does not use it up.  Nothing here says who solved it.
 */
export const powSolutions = pgTable(
  "pow_solutions",
  {
    id: text().primaryKey(),
    expires: ms().notNull(),
  },
  (t) => [index("pow_solutions_expires_idx").on(t.expires)],
);
export type PowSolution = typeof powSolutions.$inferSelect;

/** A translation of a Declaration (src/db/schema.ts, docs/decisions/0034). */
export const translations = pgTable(
  "translations",
  {
    declarationId: integer("declaration_id")
      .primaryKey()
      .references(() => declarations.id, { onDelete: "cascade" }),
    originalId: integer("original_id")
      .notNull()
      .references(() => declarations.id, { onDelete: "cascade" }),
    originalRevision: integer("original_revision").notNull(),
    language: text().notNull(),
    created: ms().notNull(),
    updated: ms().notNull(),
  },
  (t) => [uniqueIndex("translations_original_language_unique").on(t.originalId, t.language)],
);
export type Translation = typeof translations.$inferSelect;
