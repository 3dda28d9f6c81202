/**
 * Database schema (Drizzle, SQLite).  Migrations in /migrations are generated
 * from this file with `npm run db:generate -- --name <what-changed>`.
 */
import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex, type AnySQLiteColumn } from "drizzle-orm/sqlite-core";

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
    status: text({ enum: ["published", "draft", "withdrawn"] }).notNull().default("published"),
    /** Number of the latest revision. */
    revision: integer().notNull(),
    signatureCount: integer("signature_count").notNull().default(0),
    sourceFile: text("source_file"),
    sourceFileSha256: text("source_file_sha256"),
    importedRevision: integer("imported_revision"),
    /** The account that owns (may edit) this Declaration; null for shipped files. */
    ownerId: integer("owner_id").references((): AnySQLiteColumn => accounts.id, { onDelete: "set null" }),
    /** For a Copy: the local source Declaration (null for a remote source or an original). */
    sourceDeclarationId: integer("source_declaration_id").references((): AnySQLiteColumn => declarations.id, { onDelete: "set null" }),
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
    /** The author's notes on the Proposed Changes, keyed by change id (src/diff.ts). */
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
    kind: text({ enum: ["browser", "fediverse"] }).notNull().default("browser"),
    status: text({ enum: ["pending", "confirmed", "withdrawn"] }).notNull(),
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
  },
  (t) => [
    uniqueIndex("signatures_token_hash_unique").on(t.tokenHash),
    uniqueIndex("signatures_confirm_token_hash_unique").on(t.confirmTokenHash),
    // One live signature per email address and Declaration.
    uniqueIndex("signatures_declaration_email_unique").on(t.declarationId, t.emailHash),
    // Public list, newest first, by keyset on id.  A plain index: SQLite's
    // planner did not pick a partial one once most signers were count-only.
    index("signatures_list_idx").on(t.declarationId, t.status, t.public, t.id),
    index("signatures_pending_idx").on(t.confirmExpires).where(sql`status = 'pending'`),
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
    role: text({ enum: ["admin", "author"] }).notNull().default("author"),
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
