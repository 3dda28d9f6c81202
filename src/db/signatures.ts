/**
 * Signatures: writes that keep `declarations.signature_count` in step (always
 * in the same transaction), the public list with keyset pagination, and the
 * recount that proves the counters never drift.
 */
import { and, desc, eq, lt, sql } from "drizzle-orm";
import type { DbLike } from "./client.ts";
import { preparedPerHandle } from "./prepared.ts";
import { declarations, remoteActors, signatures, type Signature } from "./schema.ts";

export interface NewBrowserSignature {
  declarationId: number;
  revision: number;
  name: string;
  place: string | null;
  website: string | null;
  comment: string | null;
  email: string | null;
  emailHash: string | null;
  public: boolean;
  tokenHash: string;
  /** Set when the signature waits for email confirmation. */
  confirmation: { tokenHash: string; expires: Date } | null;
  now: Date;
}

export type InsertOutcome =
  | { kind: "inserted"; signature: Signature }
  | { kind: "duplicate-email"; existing: Signature };

const placeholder = sql.placeholder;

const publicColumns = {
  id: signatures.id,
  name: signatures.name,
  place: signatures.place,
  website: signatures.website,
  comment: signatures.comment,
  revision: signatures.revision,
  created: signatures.created,
  kind: signatures.kind,
  /** For a fediverse signature: the account that signed (null for browser signatures). */
  actor: {
    id: remoteActors.id,
    handle: remoteActors.handle,
    name: remoteActors.name,
    url: remoteActors.url,
    iconUrl: remoteActors.iconUrl,
  },
};

function publicList(db: DbLike, before: boolean) {
  return db
    .select(publicColumns)
    .from(signatures)
    .leftJoin(remoteActors, eq(remoteActors.id, signatures.remoteActorId))
    .where(
      and(
        eq(signatures.declarationId, placeholder("declarationId")),
        eq(signatures.status, "confirmed"),
        eq(signatures.public, true),
        before ? lt(signatures.id, placeholder("before")) : undefined,
      ),
    )
    .orderBy(desc(signatures.id))
    .limit(placeholder("limit"))
    .prepare();
}

const statements = preparedPerHandle((db) => ({
  bumpCount: db
    .update(declarations)
    .set({ signatureCount: sql`${declarations.signatureCount} + ${placeholder("delta")}` })
    .where(eq(declarations.id, placeholder("declarationId")))
    .prepare(),
  byEmailHash: db
    .select()
    .from(signatures)
    .where(
      and(
        eq(signatures.declarationId, placeholder("declarationId")),
        eq(signatures.emailHash, placeholder("emailHash")),
      ),
    )
    .prepare(),
  byToken: db
    .select()
    .from(signatures)
    .where(eq(signatures.tokenHash, placeholder("tokenHash")))
    .prepare(),
  byConfirmToken: db
    .select()
    .from(signatures)
    .where(eq(signatures.confirmTokenHash, placeholder("confirmTokenHash")))
    .prepare(),
  insert: db
    .insert(signatures)
    .values({
      declarationId: placeholder("declarationId"),
      revision: placeholder("revision"),
      firstRevision: placeholder("revision"),
      kind: "browser",
      status: placeholder("status"),
      name: placeholder("name"),
      place: placeholder("place"),
      website: placeholder("website"),
      comment: placeholder("comment"),
      email: placeholder("email"),
      emailHash: placeholder("emailHash"),
      public: sql`${placeholder("public")}`,
      tokenHash: placeholder("tokenHash"),
      confirmTokenHash: placeholder("confirmTokenHash"),
      confirmExpires: sql`${placeholder("confirmExpires")}`,
      created: sql`${placeholder("created")}`,
      confirmed: sql`${placeholder("confirmed")}`,
    })
    .returning()
    .prepare(),
  publicFirst: publicList(db, false),
  publicBefore: publicList(db, true),
}));

function bumpCount(tx: DbLike, declarationId: number, delta: 1 | -1): void {
  statements(tx).bumpCount.run({ declarationId, delta });
}

/** Moves a Declaration's maintained signature counter; call in the transaction that adds or withdraws the signature. */
export { bumpCount as bumpSignatureCount };

/** Finds the live (pending or confirmed) signature with this email hash. */
export function findByEmailHash(tx: DbLike, declarationId: number, emailHash: string): Signature | undefined {
  return statements(tx).byEmailHash.get({ declarationId, emailHash });
}

/**
 * Inserts a browser signature, counting it at once unless it waits for
 * confirmation.  Call inside a transaction.  A second signature with the same
 * email address is not inserted: the existing one is returned instead.
 */
export function insertBrowserSignature(tx: DbLike, input: NewBrowserSignature): InsertOutcome {
  if (input.emailHash != null) {
    const existing = findByEmailHash(tx, input.declarationId, input.emailHash);
    if (existing != null) return { kind: "duplicate-email", existing };
  }
  const confirmed = input.confirmation == null;
  // Dates and booleans go in their stored form (ms and 0/1): the insert wraps
  // their placeholders in sql`` so Drizzle does not map them (its mapping
  // fails on null).  The returned row is mapped back as usual.
  const signature = statements(tx).insert.get({
    declarationId: input.declarationId,
    revision: input.revision,
    status: confirmed ? "confirmed" : "pending",
    name: input.name,
    place: input.place,
    website: input.website,
    comment: input.comment,
    email: input.email,
    emailHash: input.emailHash,
    public: input.public ? 1 : 0,
    tokenHash: input.tokenHash,
    confirmTokenHash: input.confirmation?.tokenHash ?? null,
    confirmExpires: input.confirmation?.expires.getTime() ?? null,
    created: input.now.getTime(),
    confirmed: confirmed ? input.now.getTime() : null,
  })!;
  if (confirmed) bumpCount(tx, input.declarationId, 1);
  return { kind: "inserted", signature };
}

/** Gives a pending signature a fresh confirmation link (a repeat signing). */
export function renewConfirmation(
  tx: DbLike,
  signatureId: number,
  confirmation: { tokenHash: string; expires: Date },
): void {
  tx.update(signatures)
    .set({ confirmTokenHash: confirmation.tokenHash, confirmExpires: confirmation.expires })
    .where(and(eq(signatures.id, signatureId), eq(signatures.status, "pending")))
    .run();
}

/** Replaces a signature's private-link token (the old link stops working). */
export function rotateToken(tx: DbLike, signatureId: number, tokenHash: string): void {
  tx.update(signatures).set({ tokenHash }).where(eq(signatures.id, signatureId)).run();
}

export function getSignatureByToken(db: DbLike, tokenHash: string): Signature | undefined {
  return statements(db).byToken.get({ tokenHash });
}

export function getSignatureByConfirmToken(db: DbLike, confirmTokenHash: string): Signature | undefined {
  return statements(db).byConfirmToken.get({ confirmTokenHash });
}

export type ConfirmOutcome = "confirmed" | "already-confirmed" | "expired" | "unknown";

/** Confirms a pending signature by its mailed token; counts it. */
export function confirmSignature(tx: DbLike, confirmTokenHash: string, now: Date): ConfirmOutcome {
  const signature = getSignatureByConfirmToken(tx, confirmTokenHash);
  if (signature == null) return "unknown";
  if (signature.status === "confirmed") return "already-confirmed";
  if (signature.status !== "pending") return "unknown";
  if (signature.confirmExpires == null || signature.confirmExpires.getTime() <= now.getTime()) return "expired";
  tx.update(signatures)
    .set({ status: "confirmed", confirmed: now, confirmExpires: null })
    .where(eq(signatures.id, signature.id))
    .run();
  bumpCount(tx, signature.declarationId, 1);
  return "confirmed";
}

/**
 * Withdraws a signature: erases every personal field and uncounts it.
 * Returns false when there was nothing to withdraw.
 */
export function withdrawSignature(tx: DbLike, tokenHash: string, now: Date): boolean {
  const signature = getSignatureByToken(tx, tokenHash);
  if (signature == null || signature.status === "withdrawn") return false;
  tx.update(signatures)
    .set({
      status: "withdrawn",
      name: null,
      place: null,
      website: null,
      comment: null,
      email: null,
      emailHash: null,
      confirmTokenHash: null,
      confirmExpires: null,
      withdrawn: now,
    })
    .where(eq(signatures.id, signature.id))
    .run();
  if (signature.status === "confirmed") bumpCount(tx, signature.declarationId, -1);
  return true;
}

/** Moves a signature to a newer revision of the same Declaration (never a second count). */
export function resignSignature(tx: DbLike, tokenHash: string, revision: number, now: Date): boolean {
  const result = tx
    .update(signatures)
    .set({ revision, resigned: now })
    .where(
      and(
        eq(signatures.tokenHash, tokenHash),
        sql`${signatures.status} <> 'withdrawn'`,
        lt(signatures.revision, revision),
      ),
    )
    .run();
  return result.changes > 0;
}

/** The account behind a fediverse signature, as shown in the public list. */
export interface SignerActor {
  id: number;
  /** `user@host`, without the leading @ (null when unknown). */
  handle: string | null;
  name: string | null;
  /** Profile page. */
  url: string;
  iconUrl: string | null;
}

export type PublicSignature = Pick<
  Signature,
  "id" | "name" | "place" | "website" | "comment" | "revision" | "created" | "kind"
> & {
  actor: SignerActor | null;
};

/**
 * Public signatures (confirmed, name shown), newest first.  `before` is the
 * id of the last row of the previous page (keyset pagination: every page costs
 * the same however many signatures there are).
 */
export function listPublicSignatures(
  db: DbLike,
  declarationId: number,
  options: { before?: number | undefined; limit: number },
): PublicSignature[] {
  const { publicFirst, publicBefore } = statements(db);
  return options.before == null
    ? publicFirst.all({ declarationId, limit: options.limit })
    : publicBefore.all({ declarationId, before: options.before, limit: options.limit });
}

/** Deletes pending signatures whose confirmation link expired; returns how many. */
export function purgeExpiredPending(db: DbLike, now: Date): number {
  return db
    .delete(signatures)
    .where(and(eq(signatures.status, "pending"), lt(signatures.confirmExpires, now)))
    .run().changes;
}

export interface CountDifference {
  slug: string;
  stored: number;
  actual: number;
}

/**
 * Recomputes every Declaration's count from the signatures and reports the
 * ones whose maintained counter differs; with `fix`, repairs them.
 */
export function recountSignatures(db: DbLike, fix: boolean): CountDifference[] {
  const rows = db
    .select({
      id: declarations.id,
      slug: declarations.slug,
      stored: declarations.signatureCount,
      // Written out in full: Drizzle renders a lone column unqualified, which
      // inside the subquery would refer to the signature's own id.
      actual: sql<number>`(SELECT count(*) FROM signatures s WHERE s.declaration_id = declarations.id AND s.status = 'confirmed')`,
    })
    .from(declarations)
    .all();
  const differences = rows.filter((r) => r.stored !== r.actual);
  if (fix) {
    for (const d of differences)
      db.update(declarations).set({ signatureCount: d.actual }).where(eq(declarations.id, d.id)).run();
  }
  return differences.map(({ slug, stored, actual }) => ({ slug, stored, actual }));
}
