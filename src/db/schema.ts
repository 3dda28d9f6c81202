/**
 * (Over 400 lines: every table in one file, so drizzle-kit generates migrations from one place.)
 *
 * Database schema (Drizzle, SQLite).  Migrations in /migrations are generated
 * from this file with `npm run db:generate -- --name <what-changed>`.
 */
import { sql } from "drizzle-orm";
import {
  blob,
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
  type AnySQLiteColumn,
} from "drizzle-orm/sqlite-core";

/**
 * A Declaration: a Markdown document with a stable slug.  Its text lives in
 * `revisions`; the title and summary of the latest revision are copied here so
 * that lists do not need a join.  `signatureCount` is a maintained counter.
 *
 * `sourceFile`/`sourceFileSha256`/`importedRevision` record the last import
 * from the `declarations/` folder (see src/db/seed.ts for the rule that a file
 * never overwrites edits made later on the site).
 */
export const declarations = sqliteTable(
  "declarations",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    slug: text().notNull(),
    title: text().notNull(),
    summary: text().notNull().default(""),
    license: text().notNull().default(""),
    /** JSON array of hashtags without the leading "#". */
    hashtags: text({ mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
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
    ownerId: integer("owner_id").references((): AnySQLiteColumn => accounts.id, { onDelete: "set null" }),
    /** For a Copy: the local source Declaration (null for a remote source or an original). */
    sourceDeclarationId: integer("source_declaration_id").references((): AnySQLiteColumn => declarations.id, {
      onDelete: "set null",
    }),
    /** For a Copy: the number of the source revision copied. */
    sourceRevision: integer("source_revision"),
    /** For a Copy: the exact source revision's URL (this site's own URL for a local source). */
    sourceUrl: text("source_url"),
    /** For a Copy: the source revision's title, as copied. */
    sourceTitle: text("source_title"),
    /** When the owner unpublished it (status `withdrawn`); null otherwise. */
    withdrawnAt: integer("withdrawn_at", { mode: "timestamp_ms" }),
    /** The account that unpublished it (null when not withdrawn or the account was deleted). */
    withdrawnBy: integer("withdrawn_by").references((): AnySQLiteColumn => accounts.id, { onDelete: "set null" }),
    /** Left off `/` by the site owner (the page stays readable and signable). */
    hidden: integer({ mode: "boolean" }).notNull().default(false),
    /** For a Copy: how many words its latest revision changes from the source revision (worked out when saved). */
    wordsChanged: integer("words_changed"),
    created: integer({ mode: "timestamp_ms" }).notNull(),
    updated: integer({ mode: "timestamp_ms" }).notNull(),
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
export const revisions = sqliteTable(
  "revisions",
  {
    id: integer().primaryKey({ autoIncrement: true }),
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
    authorId: integer("author_id").references((): AnySQLiteColumn => accounts.id, { onDelete: "set null" }),
    /** The author's notes on the Proposed Changes, keyed by change id (src/diff/proposed-changes.ts). */
    notes: text({ mode: "json" }).$type<Record<string, string>>().notNull().default(sql`'{}'`),
    created: integer({ mode: "timestamp_ms" }).notNull(),
  },
  (t) => [uniqueIndex("revisions_declaration_number_unique").on(t.declarationId, t.number)],
);
export type Revision = typeof revisions.$inferSelect;
export type NewRevision = typeof revisions.$inferInsert;

/**
 * Fedify's key–value store (caches, idempotency records).  `key` is the
 * JSON-encoded key path; `expires` is a Unix time in ms or null.
 */
export const kv = sqliteTable(
  "kv",
  {
    key: text().primaryKey(),
    value: text().notNull(),
    expires: integer(),
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
export const signatures = sqliteTable(
  "signatures",
  {
    id: integer().primaryKey({ autoIncrement: true }),
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
    public: integer({ mode: "boolean" }).notNull(),
    tokenHash: text("token_hash").notNull(),
    confirmTokenHash: text("confirm_token_hash"),
    confirmExpires: integer("confirm_expires", { mode: "timestamp_ms" }),
    created: integer({ mode: "timestamp_ms" }).notNull(),
    confirmed: integer({ mode: "timestamp_ms" }),
    resigned: integer({ mode: "timestamp_ms" }),
    withdrawn: integer({ mode: "timestamp_ms" }),
    /**
     * For a fediverse signature (kind `fediverse`): the account whose
     * favourite or reaction signed.  Cleared on withdrawal, like every other
     * personal field.
     */
    remoteActorId: integer("remote_actor_id").references((): AnySQLiteColumn => remoteActors.id, {
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
export const settings = sqliteTable("settings", {
  key: text().primaryKey(),
  value: text().notNull(),
});

/**
 * A person who can log in (authors copy and edit Declarations; admins run the
 * site).  `username` is stored lower-cased, so lookups are case-insensitive.
 * `passwordHash` is `scrypt$N$r$p$salt$hash` (see src/db/accounts.ts).
 */
export const accounts = sqliteTable(
  "accounts",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    username: text().notNull(),
    passwordHash: text("password_hash").notNull(),
    role: text({ enum: ["admin", "author"] })
      .notNull()
      .default("author"),
    created: integer({ mode: "timestamp_ms" }).notNull(),
  },
  (t) => [uniqueIndex("accounts_username_unique").on(t.username)],
);
export type AccountRow = typeof accounts.$inferSelect;

/**
 * A login.  `id` is the SHA-256 (hex) of the session token: the token itself
 * exists only in the browser's cookie.  Sliding expiry: `expires` moves on
 * when the session is used (at most once an hour, with `lastSeen`).
 */
export const sessions = sqliteTable(
  "sessions",
  {
    id: text().primaryKey(),
    accountId: integer("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    created: integer({ mode: "timestamp_ms" }).notNull(),
    expires: integer({ mode: "timestamp_ms" }).notNull(),
    lastSeen: integer("last_seen", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("sessions_account_idx").on(t.accountId), index("sessions_expires_idx").on(t.expires)],
);
export type SessionRow = typeof sessions.$inferSelect;

/**
 * A single-use invite code for registration in `invite` mode.  Only the
 * SHA-256 (hex) of the code is stored; the code is shown once when created.
 */
export const invites = sqliteTable(
  "invites",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    codeHash: text("code_hash").notNull(),
    createdBy: integer("created_by")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    created: integer({ mode: "timestamp_ms" }).notNull(),
    usedBy: integer("used_by").references(() => accounts.id, { onDelete: "set null" }),
    usedAt: integer("used_at", { mode: "timestamp_ms" }),
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
export const actorKeys = sqliteTable("actor_keys", {
  identifier: text().primaryKey(),
  rsaPublic: text("rsa_public").notNull(),
  rsaPrivate: text("rsa_private").notNull(),
  ed25519Public: text("ed25519_public").notNull(),
  ed25519Private: text("ed25519_private").notNull(),
  created: integer({ mode: "timestamp_ms" }).notNull(),
});

/**
 * An account on another server that interacted with us (follower, signer,
 * booster, author of a response or a report).  Display data is refreshed by
 * its `Update` activities.
 */
export const remoteActors = sqliteTable(
  "remote_actors",
  {
    id: integer().primaryKey({ autoIncrement: true }),
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
    keyIds: text("key_ids", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    updated: integer({ mode: "timestamp_ms" }).notNull(),
    /** When the account was last fetched to see whether it still exists (signers are checked now and then). */
    checked: integer({ mode: "timestamp_ms" }),
    /** When its actor first answered 404 (a second 404 a day later means it is gone). */
    missingSince: integer("missing_since", { mode: "timestamp_ms" }),
  },
  (t) => [uniqueIndex("remote_actors_uri_unique").on(t.uri), index("remote_actors_host_idx").on(t.host)],
);
export type RemoteActor = typeof remoteActors.$inferSelect;

/** A remote account following a Declaration's actor. */
export const followers = sqliteTable(
  "followers",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    declarationId: integer("declaration_id")
      .notNull()
      .references(() => declarations.id, { onDelete: "cascade" }),
    actorId: integer("actor_id")
      .notNull()
      .references(() => remoteActors.id, { onDelete: "cascade" }),
    /** The id of the Follow activity (matched by Undo). */
    followUri: text("follow_uri"),
    created: integer({ mode: "timestamp_ms" }).notNull(),
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
export const fedPosts = sqliteTable(
  "fed_posts",
  {
    id: integer().primaryKey({ autoIncrement: true }),
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
    mediaIds: text("media_ids", { mode: "json" }).$type<number[]>().notNull().default(sql`'[]'`),
    /** For a strike notice: the start of the slot it was posted for (null when posted by hand). */
    slot: integer({ mode: "timestamp_ms" }),
    published: integer({ mode: "timestamp_ms" }).notNull(),
    updated: integer({ mode: "timestamp_ms" }),
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
export const fedActivities = sqliteTable(
  "fed_activities",
  {
    id: integer().primaryKey({ autoIncrement: true }),
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
    published: integer({ mode: "timestamp_ms" }).notNull(),
    delivered: integer({ mode: "timestamp_ms" }),
  },
  (t) => [
    uniqueIndex("fed_activities_uuid_unique").on(t.uuid),
    index("fed_activities_declaration_idx").on(t.declarationId, t.id),
    index("fed_activities_undelivered_idx").on(t.id).where(sql`delivered IS NULL`),
  ],
);
export type FedActivity = typeof fedActivities.$inferSelect;

/**
 * A remote account following the site account (`@{SITE_HANDLE}@{host}`), the
 * site's own voice.  Kept apart from the Declarations' followers: following
 * the site is not following any one Declaration.
 */
export const siteFollowers = sqliteTable(
  "site_followers",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    actorId: integer("actor_id")
      .notNull()
      .references(() => remoteActors.id, { onDelete: "cascade" }),
    /** The id of the Follow activity (matched by an Undo that names only it). */
    followUri: text("follow_uri"),
    created: integer({ mode: "timestamp_ms" }).notNull(),
  },
  (t) => [uniqueIndex("site_followers_actor_unique").on(t.actorId)],
);
export type SiteFollower = typeof siteFollowers.$inferSelect;

/**
 * What the site account posted, one activity each: its own Notes (a new
 * Declaration here, a new copy of one of ours here or elsewhere, the strike's
 * announcement and countdown) and its boosts (`Announce`) of Declarations'
 * posts (version notes, digests, one strike notice per slot).  `key` makes
 * each unique (`declaration:<id>`, `remote-copy:<id>`,
 * `strike:announcement:<first day>`, `strike:countdown:<which>:<first day>`,
 * `boost:<post uuid>`, `boost:notice:<slot ISO>`), so two processes never post
 * the same thing twice.  A Note's HTML is written when it is posted and
 * served as written.
 */
export const sitePosts = sqliteTable(
  "site_posts",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    /** The Note's public id (`/ap/notes/{uuid}`); unused by a boost. */
    uuid: text().notNull(),
    /** The activity's public id (`/ap/activities/{uuid}` for a Create, `/ap/announces/{uuid}` for a boost). */
    activityUuid: text("activity_uuid").notNull(),
    kind: text({ enum: ["declaration", "copy", "remote-copy", "announcement", "countdown", "boost"] }).notNull(),
    key: text().notNull(),
    /** The Declaration the post is about (null once it is deleted). */
    declarationId: integer("declaration_id").references(() => declarations.id, { onDelete: "set null" }),
    /** For a boost: the id of the Declaration's post it boosts. */
    objectUri: text("object_uri"),
    /** For a Note: its content (HTML), as posted. */
    content: text(),
    /** For a Note: its hashtags, without '#'. */
    hashtags: text({ mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    /** For a Note: the media ids of its images (at most 4), in order. */
    mediaIds: text("media_ids", { mode: "json" }).$type<number[]>().notNull().default(sql`'[]'`),
    /** For a Note: its language tag, if known. */
    language: text(),
    published: integer({ mode: "timestamp_ms" }).notNull(),
    /** When the activity was handed to the delivery queue. */
    delivered: integer({ mode: "timestamp_ms" }),
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
export const actorProfiles = sqliteTable("actor_profiles", {
  declarationId: integer("declaration_id")
    .primaryKey()
    .references(() => declarations.id, { onDelete: "cascade" }),
  fingerprint: text().notNull(),
  sent: integer({ mode: "timestamp_ms" }),
  updated: integer({ mode: "timestamp_ms" }).notNull(),
});
export type ActorProfile = typeof actorProfiles.$inferSelect;

/**
 * Quote authorizations (FEP-044f "QuoteAuthorization" stamps): permission for
 * one post elsewhere (`interactingObject`) to quote one of our posts, given in
 * answer to a `QuoteRequest` and served at `/ap/quote-authorizations/{uuid}`
 * so that every server showing the quote can check it.  One per (our post,
 * quoting post): a repeated request gets the same stamp.
 */
export const fedQuoteAuthorizations = sqliteTable(
  "fed_quote_authorizations",
  {
    id: integer().primaryKey({ autoIncrement: true }),
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
    created: integer({ mode: "timestamp_ms" }).notNull(),
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
export const fedReactions = sqliteTable(
  "fed_reactions",
  {
    id: integer().primaryKey({ autoIncrement: true }),
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
    signs: integer({ mode: "boolean" }).notNull().default(true),
    created: integer({ mode: "timestamp_ms" }).notNull(),
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
export const fedUndone = sqliteTable(
  "fed_undone",
  {
    activityUri: text("activity_uri").notNull(),
    actorUri: text("actor_uri").notNull(),
    /** The Undo's `published` when it had one, else when we received it. */
    undone: integer({ mode: "timestamp_ms" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.activityUri, t.actorUri] }), index("fed_undone_undone_idx").on(t.undone)],
);

/**
 * Servers whose fediverse signatures the site owner holds for review: their
 * signatures are not counted (status `held`) until released.
 */
export const fedServerHolds = sqliteTable("fed_server_holds", {
  host: text().primaryKey(),
  created: integer({ mode: "timestamp_ms" }).notNull(),
});

/** A boost (`Announce`) of one of our posts. */
export const fedBoosts = sqliteTable(
  "fed_boosts",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    activityUri: text("activity_uri").notNull(),
    declarationId: integer("declaration_id")
      .notNull()
      .references(() => declarations.id, { onDelete: "cascade" }),
    actorId: integer("actor_id")
      .notNull()
      .references(() => remoteActors.id, { onDelete: "cascade" }),
    objectUri: text("object_uri").notNull(),
    created: integer({ mode: "timestamp_ms" }).notNull(),
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
export const fedResponses = sqliteTable(
  "fed_responses",
  {
    id: integer().primaryKey({ autoIncrement: true }),
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
    published: integer({ mode: "timestamp_ms" }).notNull(),
    updated: integer({ mode: "timestamp_ms" }),
    hidden: integer({ mode: "boolean" }).notNull().default(false),
    created: integer({ mode: "timestamp_ms" }).notNull(),
  },
  (t) => [
    uniqueIndex("fed_responses_uri_unique").on(t.uri),
    index("fed_responses_declaration_idx").on(t.declarationId, t.id),
    index("fed_responses_actor_idx").on(t.actorId),
  ],
);
export type FedResponse = typeof fedResponses.$inferSelect;

/** A `Flag` (report) received from another server, for the site owner. */
export const fedReports = sqliteTable(
  "fed_reports",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    activityUri: text("activity_uri").notNull(),
    /** Who sent it (often a server's instance actor). */
    actorUri: text("actor_uri").notNull(),
    declarationId: integer("declaration_id").references(() => declarations.id, { onDelete: "set null" }),
    /** JSON array of the reported object URIs. */
    objectUris: text("object_uris", { mode: "json" }).$type<string[]>().notNull(),
    content: text().notNull().default(""),
    created: integer({ mode: "timestamp_ms" }).notNull(),
    resolved: integer({ mode: "timestamp_ms" }),
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
export const visitorReports = sqliteTable(
  "visitor_reports",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    declarationId: integer("declaration_id").references(() => declarations.id, { onDelete: "set null" }),
    reason: text().notNull(),
    created: integer({ mode: "timestamp_ms" }).notNull(),
    resolved: integer({ mode: "timestamp_ms" }),
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
export const moderationActions = sqliteTable(
  "moderation_actions",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    declarationId: integer("declaration_id").references(() => declarations.id, { onDelete: "set null" }),
    slug: text().notNull(),
    title: text().notNull(),
    /** The Declaration's owner when the action was taken (who is told). */
    ownerId: integer("owner_id").references(() => accounts.id, { onDelete: "cascade" }),
    action: text({ enum: ["unpublish", "hide", "show", "delete", "publish"] }).notNull(),
    reason: text().notNull().default(""),
    /** The admin who acted; null from the command line. */
    byId: integer("by_id").references(() => accounts.id, { onDelete: "set null" }),
    created: integer({ mode: "timestamp_ms" }).notNull(),
  },
  (t) => [
    index("moderation_actions_owner_idx").on(t.ownerId, t.id),
    index("moderation_actions_declaration_idx").on(t.declarationId),
  ],
);
export type ModerationAction = typeof moderationActions.$inferSelect;

/** Servers the site owner refuses: no inbound activities, no deliveries. */
export const domainBlocks = sqliteTable("domain_blocks", {
  domain: text().primaryKey(),
  reason: text().notNull().default(""),
  created: integer({ mode: "timestamp_ms" }).notNull(),
});

/**
 * Fedify's message queue (delivery, inbox and fan-out work).  A message is
 * leased, not removed, while it is handled; a crashed process's lease expires
 * and another handler takes the message again (at-least-once; decision 0007).
 */
export const queueMessages = sqliteTable(
  "queue_messages",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    /** The message as JSON. */
    message: text().notNull(),
    orderingKey: text("ordering_key"),
    /** Unix ms before which the message must not be handled (delayed enqueue). */
    availableAt: integer("available_at").notNull(),
    /** Unix ms until which a handler holds the message; null when free. */
    leaseUntil: integer("lease_until"),
    leaseOwner: text("lease_owner"),
    attempts: integer().notNull().default(0),
    created: integer().notNull(),
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
export const queueHosts = sqliteTable("queue_hosts", {
  host: text().primaryKey(),
  failures: text({ mode: "json" }).$type<[string, number][]>().notNull().default(sql`'[]'`),
  /** Unix ms of the first failure of the current outage. */
  failingSince: integer("failing_since").notNull(),
  /** Unix ms until which the server's messages wait; null while it is below the failure threshold. */
  heldUntil: integer("held_until"),
  /** The length of the current hold, doubled by each failed probe. */
  holdMs: integer("hold_ms"),
});
export type QueueHost = typeof queueHosts.$inferSelect;

// ---------------------------------------------------------------------------
// The strike (see src/strike/)

/**
 * A pledge to strike: on which strike days (ISO dates of the edition's
 * window), with an optional name.  `edition` names the strike (the year of
 * its first day), so pledges of past strikes stay apart.
 */
export const pledges = sqliteTable(
  "pledges",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    edition: text().notNull(),
    /** JSON array of ISO dates (YYYY-MM-DD), each one of the strike's days. */
    days: text({ mode: "json" }).$type<string[]>().notNull(),
    name: text(),
    /** Show the name publicly, or count only. */
    public: integer({ mode: "boolean" }).notNull().default(false),
    created: integer({ mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("pledges_edition_idx").on(t.edition, t.id)],
);
export type Pledge = typeof pledges.$inferSelect;

/**
 * An uploaded image, re-encoded and stripped of metadata (src/images.ts).  The
 * bytes live in `media_blobs`, so the database stays the one file to back up.
 * `gallery` images are listed in the memes gallery.
 */
export const media = sqliteTable(
  "media",
  {
    id: integer().primaryKey({ autoIncrement: true }),
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
    gallery: integer({ mode: "boolean" }).notNull().default(false),
    createdBy: integer("created_by").references(() => accounts.id, { onDelete: "set null" }),
    created: integer({ mode: "timestamp_ms" }).notNull(),
  },
  (t) => [
    uniqueIndex("media_uuid_unique").on(t.uuid),
    uniqueIndex("media_sha256_unique").on(t.sha256),
    index("media_gallery_idx").on(t.gallery, t.id),
  ],
);
export type Media = typeof media.$inferSelect;

export const mediaBlobs = sqliteTable("media_blobs", {
  mediaId: integer("media_id")
    .primaryKey()
    .references(() => media.id, { onDelete: "cascade" }),
  data: blob({ mode: "buffer" }).notNull(),
});

/**
 * Markdown pages of the movement (`/faq`, `/resources`), seeded from the
 * `pages/` folder with the same rule as Declarations (a file never
 * overwrites an edit made on the site) and editable by the site owner.
 */
export const sitePages = sqliteTable("site_pages", {
  slug: text().primaryKey(),
  title: text().notNull(),
  body: text().notNull(),
  sourceFile: text("source_file"),
  sourceFileSha256: text("source_file_sha256"),
  /** Whether the text was edited on the site since the last import (files then leave it alone). */
  editedOnSite: integer("edited_on_site", { mode: "boolean" }).notNull().default(false),
  updated: integer({ mode: "timestamp_ms" }).notNull(),
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
export const botApps = sqliteTable(
  "bot_apps",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    /** The server's origin, e.g. `https://mastodon.example`. */
    origin: text().notNull(),
    redirectUri: text("redirect_uri").notNull(),
    /** Space-separated, as registered. */
    scopes: text().notNull(),
    clientId: text("client_id").notNull(),
    clientSecretSealed: text("client_secret_sealed").notNull(),
    software: text().notNull().default(""),
    version: text().notNull().default(""),
    supportsPkce: integer("supports_pkce", { mode: "boolean" }).notNull().default(false),
    /**
     * Whether the server holds scheduled statuses the bot can see and cancel
     * (`yes`), or not (`no`, with `schedulingReason`); null until the bot
     * has found out (src/bot/capability.ts).  Learnt from what the server
     * does, for this `version`; a new version is asked again.
     */
    scheduling: text({ enum: ["yes", "no"] }),
    schedulingReason: text("scheduling_reason", { enum: ["posts-at-once", "not-listed", "cannot-cancel", "refused"] }),
    schedulingLearned: integer("scheduling_learned", { mode: "timestamp_ms" }),
    created: integer({ mode: "timestamp_ms" }).notNull(),
  },
  (t) => [uniqueIndex("bot_apps_origin_unique").on(t.origin, t.redirectUri, t.scopes)],
);
export type BotAppRow = typeof botApps.$inferSelect;

/** An authorization in progress: the `state` we sent and the PKCE verifier, used once. */
export const botAuthorizations = sqliteTable(
  "bot_authorizations",
  {
    id: integer().primaryKey({ autoIncrement: true }),
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
    created: integer({ mode: "timestamp_ms" }).notNull(),
    expires: integer({ mode: "timestamp_ms" }).notNull(),
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
export const botConnections = sqliteTable(
  "bot_connections",
  {
    id: integer().primaryKey({ autoIncrement: true }),
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
    plan: text({ mode: "json" }).$type<unknown>(),
    /** Whether the plan is on (posts are scheduled) or paused. */
    enabled: integer({ mode: "boolean" }).notNull().default(false),
    /** Set when the plan or the connection changed: the scheduler reconciles the posts (and the server's scheduled statuses) with the plan. */
    needsSync: integer("needs_sync", { mode: "boolean" }).notNull().default(false),
    created: integer({ mode: "timestamp_ms" }).notNull(),
    updated: integer({ mode: "timestamp_ms" }).notNull(),
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
export const botSessions = sqliteTable(
  "bot_sessions",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    tokenHash: text("token_hash").notNull(),
    connectionId: integer("connection_id")
      .notNull()
      .references(() => botConnections.id, { onDelete: "cascade" }),
    created: integer({ mode: "timestamp_ms" }).notNull(),
    expires: integer({ mode: "timestamp_ms" }).notNull(),
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
export const botPosts = sqliteTable(
  "bot_posts",
  {
    id: integer().primaryKey({ autoIncrement: true }),
    connectionId: integer("connection_id")
      .notNull()
      .references(() => botConnections.id, { onDelete: "cascade" }),
    /** The slot's start (the time shown to the striker). */
    slotAt: integer("slot_at", { mode: "timestamp_ms" }).notNull(),
    /** When it is posted: the slot plus this connection's spread offset. */
    postAt: integer("post_at", { mode: "timestamp_ms" }).notNull(),
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
    nextAttemptAt: integer("next_attempt_at", { mode: "timestamp_ms" }).notNull(),
    updated: integer({ mode: "timestamp_ms" }).notNull(),
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
export const remoteRevisions = sqliteTable(
  "remote_revisions",
  {
    id: integer().primaryKey({ autoIncrement: true }),
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
    fetched: integer({ mode: "timestamp_ms" }).notNull(),
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
export const remoteSources = sqliteTable("remote_sources", {
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
  checked: integer({ mode: "timestamp_ms" }).notNull(),
});
export type RemoteSource = typeof remoteSources.$inferSelect;

/**
 * A copy of one of our Declarations on another server.  Recorded only after
 * fetching the copy from its own server and finding that it names one of our
 * revisions as its source; refreshed when its actor says it changed.  A copy
 * that is gone (`deleted`) or does not answer (`unreachable`) stays listed.
 */
export const remoteCopies = sqliteTable(
  "remote_copies",
  {
    id: integer().primaryKey({ autoIncrement: true }),
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
    created: integer({ mode: "timestamp_ms" }).notNull(),
    checked: integer({ mode: "timestamp_ms" }).notNull(),
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
export const powSolutions = sqliteTable(
  "pow_solutions",
  {
    id: text().primaryKey(),
    expires: integer({ mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("pow_solutions_expires_idx").on(t.expires)],
);
export type PowSolution = typeof powSolutions.$inferSelect;

/**
 * A translation of a Declaration (docs/decisions/0034).  The translation is
 * a Declaration row of its own (`declarationId`: its slug, its text in
 * `revisions`, its signatures, its actor), tied here to its original and to
 * the exact revision of the original it translates.  It is neither a copy
 * (no Proposed Changes: it says the same thing) nor a separate Declaration
 * (its signatures count toward the original's family total, per language).
 * It is out of date when the original's latest revision is newer than
 * `originalRevision`.
 */
export const translations = sqliteTable(
  "translations",
  {
    declarationId: integer("declaration_id")
      .primaryKey()
      .references(() => declarations.id, { onDelete: "cascade" }),
    originalId: integer("original_id")
      .notNull()
      .references(() => declarations.id, { onDelete: "cascade" }),
    /** The number of the original's revision this translation follows. */
    originalRevision: integer("original_revision").notNull(),
    /** BCP 47, canonical (`pt-BR`); the same as the translation's `declarations.language`. */
    language: text().notNull(),
    created: integer({ mode: "timestamp_ms" }).notNull(),
    updated: integer({ mode: "timestamp_ms" }).notNull(),
  },
  (t) => [uniqueIndex("translations_original_language_unique").on(t.originalId, t.language)],
);
export type Translation = typeof translations.$inferSelect;
export type NewTranslation = typeof translations.$inferInsert;
