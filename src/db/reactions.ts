/**
 * (Over 400 lines: reactions, the signatures they make and holds change together, in one transaction.)
 *
 * Fediverse signatures: favourites and emoji reactions (one row per account
 * and post), the signature each signing reaction makes (counted in the same
 * transaction), signatures held for review (per-server holds and the
 * per-server limit on new signers), tombstones of undone activities, and the
 * slow re-check of signers' accounts.  Every function takes the database (or
 * a transaction) first; writes are meant to run inside one.
 */
import { randomBytes } from "node:crypto";
import { and, asc, count, desc, eq, gte, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { DbLike } from "./client.ts";
import { preparedPerHandle } from "./prepared.ts";
import { bumpSignatureCount } from "./signatures.ts";
import { declarations, fedReactions, fedServerHolds, fedUndone, remoteActors, signatures } from "./schema.ts";
import { readJsonSetting, writeJsonSetting } from "./settings.ts";

const placeholder = sql.placeholder;

/** At most `max` new signers from one server per `windowMs` (the same shape as the site's rate limits). */
export interface SignerLimit {
  readonly max: number;
  readonly windowMs: number;
}

const statements = preparedPerHandle((db) => ({
  liveSignature: db
    .select({ id: signatures.id, status: signatures.status })
    .from(signatures)
    .where(
      and(
        eq(signatures.declarationId, placeholder("declarationId")),
        eq(signatures.remoteActorId, placeholder("actorId")),
        inArray(signatures.status, ["confirmed", "held"]),
      ),
    )
    .prepare(),
  actorById: db
    .select({ uri: remoteActors.uri, host: remoteActors.host })
    .from(remoteActors)
    .where(eq(remoteActors.id, placeholder("id")))
    .prepare(),
  reactionByActivity: db
    .select()
    .from(fedReactions)
    .where(eq(fedReactions.activityUri, placeholder("activityUri")))
    .prepare(),
  reactionByActorObject: db
    .select()
    .from(fedReactions)
    .where(and(eq(fedReactions.actorId, placeholder("actorId")), eq(fedReactions.objectUri, placeholder("objectUri"))))
    .prepare(),
  signingReactionsLeft: db
    .select({ n: count() })
    .from(fedReactions)
    .where(
      and(
        eq(fedReactions.declarationId, placeholder("declarationId")),
        eq(fedReactions.actorId, placeholder("actorId")),
        eq(fedReactions.signs, true),
      ),
    )
    .prepare(),
  undone: db
    .select({ undone: fedUndone.undone })
    .from(fedUndone)
    .where(and(eq(fedUndone.activityUri, placeholder("activityUri")), eq(fedUndone.actorUri, placeholder("actorUri"))))
    .prepare(),
  serverHeld: db
    .select({ host: fedServerHolds.host })
    .from(fedServerHolds)
    .where(eq(fedServerHolds.host, placeholder("host")))
    .prepare(),
  newSignersSince: db
    .select({ n: count() })
    .from(signatures)
    .innerJoin(remoteActors, eq(remoteActors.id, signatures.remoteActorId))
    .where(
      and(
        eq(remoteActors.host, placeholder("host")),
        eq(signatures.kind, "fediverse"),
        gte(signatures.created, sql`${placeholder("since")}`),
      ),
    )
    .prepare(),
  insertSignature: db
    .insert(signatures)
    .values({
      declarationId: placeholder("declarationId"),
      revision: placeholder("revision"),
      firstRevision: placeholder("revision"),
      kind: "fediverse",
      status: sql`${placeholder("status")}`,
      name: placeholder("name"),
      website: placeholder("website"),
      public: true,
      tokenHash: placeholder("tokenHash"),
      created: sql`${placeholder("created")}`,
      confirmed: sql`${placeholder("confirmed")}`,
      remoteActorId: placeholder("actorId"),
    })
    .prepare(),
}));

// ---------------------------------------------------------------------------
// Signatures

/**
 * Withdraws a fediverse signature: every personal field is cleared, and a
 * counted one is uncounted.  Call inside a transaction.
 */
export function withdrawFediverseSignature(
  tx: DbLike,
  signature: { id: number; declarationId: number; status: string },
  now: Date,
): void {
  tx.update(signatures)
    .set({
      status: "withdrawn",
      name: null,
      place: null,
      website: null,
      comment: null,
      remoteActorId: null,
      withdrawn: now,
    })
    .where(eq(signatures.id, signature.id))
    .run();
  if (signature.status === "confirmed") bumpSignatureCount(tx, signature.declarationId, -1);
}

/** The live (confirmed or held) fediverse signatures of these accounts. */
function liveSignaturesOf(tx: DbLike, actorIds: readonly number[]) {
  if (actorIds.length === 0) return [];
  return tx
    .select({ id: signatures.id, declarationId: signatures.declarationId, status: signatures.status })
    .from(signatures)
    .where(and(inArray(signatures.remoteActorId, [...actorIds]), inArray(signatures.status, ["confirmed", "held"])))
    .all();
}

/** Withdraws every live signature of an account (it was deleted on its server).  Returns how many. */
export function withdrawSignaturesOf(tx: DbLike, actorId: number, now: Date): number {
  const live = liveSignaturesOf(tx, [actorId]);
  for (const s of live) withdrawFediverseSignature(tx, s, now);
  return live.length;
}

/** Whether new signatures from `host` are held: the server is on hold, or it is over a limit on new signers. */
export function signaturesHeldFrom(tx: DbLike, host: string, limits: readonly SignerLimit[], now: Date): boolean {
  const s = statements(tx);
  if (s.serverHeld.get({ host }) != null) return true;
  return limits.some(
    (limit) => (s.newSignersSince.get({ host, since: now.getTime() - limit.windowMs })?.n ?? 0) >= limit.max,
  );
}

// ---------------------------------------------------------------------------
// Reactions

export interface ReactionInput {
  declarationId: number;
  actorId: number;
  activityUri: string;
  objectUri: string;
  kind: "like" | "emoji";
  content: string | null;
  /** Whether this reaction means "I sign" (src/federation/reactions.ts); default true. */
  signs?: boolean;
  /** The activity's own `published`, if it has one (a reused id after an Undo is believed only with a later one). */
  published?: Date | null;
  /** The Declaration's current revision: the one signed. */
  revision: number;
  /** Display name and profile URL, stored with the signature like a browser signer's. */
  name: string;
  website: string;
  /** New signers per server beyond these are held for review (default none). */
  signerLimits?: readonly SignerLimit[];
  now: Date;
}

/**
 * - `signed`: the reaction signs, and made the account's signature (counted);
 * - `held`: it made the signature, held for review (not counted);
 * - `already-signed`: it signs, and the account had signed already;
 * - `reacted`: stored as a reaction that does not sign;
 * - `kept`: a reaction that does not sign, not stored over the account's signing one on the same post;
 * - `duplicate`: this activity id is stored already;
 * - `undone`: this activity was undone before it arrived (a late retry).
 */
export type ReactionOutcome = "signed" | "held" | "already-signed" | "reacted" | "kept" | "duplicate" | "undone";

/**
 * Records a favourite or reaction: one row per account and post.  A signing
 * reaction makes the account's signature of the Declaration if it has none
 * (counted in the same transaction, or held); a later reaction replaces the
 * row, except that one that does not sign never replaces one that does.
 * Call inside a transaction.
 */
export function addReaction(tx: DbLike, input: ReactionInput): ReactionOutcome {
  const s = statements(tx);
  const signs = input.signs ?? true;
  if (s.reactionByActivity.get({ activityUri: input.activityUri }) != null) return "duplicate";
  const actor = s.actorById.get({ id: input.actorId });
  if (actor == null) throw new Error(`No remote account ${input.actorId}`);
  if (wasUndone(tx, input.activityUri, actor.uri, input.published ?? null)) return "undone";
  const existing = s.reactionByActorObject.get({ actorId: input.actorId, objectUri: input.objectUri });
  const values = {
    activityUri: input.activityUri,
    kind: input.kind,
    content: input.content,
    signs,
    created: input.now,
  };
  if (existing == null) {
    tx.insert(fedReactions)
      .values({ ...values, declarationId: input.declarationId, actorId: input.actorId, objectUri: input.objectUri })
      .run();
  } else if (existing.signs && !signs) {
    return "kept";
  } else {
    tx.update(fedReactions).set(values).where(eq(fedReactions.id, existing.id)).run();
  }
  if (!signs) return "reacted";
  if (s.liveSignature.get({ declarationId: input.declarationId, actorId: input.actorId }) != null)
    return "already-signed";
  const held = signaturesHeldFrom(tx, actor.host, input.signerLimits ?? [], input.now);
  const created = input.now.getTime();
  s.insertSignature.run({
    declarationId: input.declarationId,
    revision: input.revision,
    status: held ? "held" : "confirmed",
    name: input.name,
    website: input.website,
    // Fediverse signers have no private link: they withdraw by unfavouriting.
    // The column is unique and required, so it holds an unguessable value.
    tokenHash: `fediverse:${randomBytes(16).toString("hex")}`,
    created,
    confirmed: held ? null : created,
    actorId: input.actorId,
  });
  if (held) return "held";
  bumpSignatureCount(tx, input.declarationId, 1);
  return "signed";
}

export type UndoReactionOutcome = "withdrawn" | "still-signed" | "not-a-signature" | "unknown";

/**
 * Undoes a favourite or reaction, found by its activity id (or, for an Undo
 * that names no id, by account and object).  When it signed and was the
 * account's last signing reaction to that Declaration, the signature is
 * withdrawn.  Call inside a transaction.
 */
export function removeReaction(
  tx: DbLike,
  actorId: number,
  activityUri: string | null,
  objectUri: string | null,
  now: Date,
): UndoReactionOutcome {
  const where =
    activityUri != null
      ? and(eq(fedReactions.activityUri, activityUri), eq(fedReactions.actorId, actorId))
      : objectUri != null
        ? and(eq(fedReactions.actorId, actorId), eq(fedReactions.objectUri, objectUri))
        : null;
  if (where == null) return "unknown";
  const removed = tx
    .delete(fedReactions)
    .where(where)
    .returning({ declarationId: fedReactions.declarationId, signs: fedReactions.signs })
    .get();
  if (removed == null) return "unknown";
  if (!removed.signs) return "not-a-signature";
  const s = statements(tx);
  if ((s.signingReactionsLeft.get({ declarationId: removed.declarationId, actorId })?.n ?? 0) > 0)
    return "still-signed";
  const live = s.liveSignature.get({ declarationId: removed.declarationId, actorId });
  if (live == null) return "still-signed";
  withdrawFediverseSignature(tx, { ...live, declarationId: removed.declarationId }, now);
  return "withdrawn";
}

// ---------------------------------------------------------------------------
// Tombstones of undone activities

/** Remembers that `actorUri` undid the activity `activityUri` (at `undone`: the Undo's own time if it had one). */
export function recordUndone(tx: DbLike, activityUri: string, actorUri: string, undone: Date): void {
  tx.insert(fedUndone)
    .values({ activityUri, actorUri, undone })
    .onConflictDoUpdate({ target: [fedUndone.activityUri, fedUndone.actorUri], set: { undone } })
    .run();
}

/**
 * Whether this activity was undone by its actor: it is then a late copy,
 * unless it carries a `published` later than the Undo (snac and others reuse
 * the id of a Like when the same account likes the same post again).
 */
export function wasUndone(db: DbLike, activityUri: string, actorUri: string, published: Date | null): boolean {
  const row = statements(db).undone.get({ activityUri, actorUri });
  if (row == null) return false;
  return published == null || published.getTime() <= row.undone.getTime();
}

/** Forgets tombstones older than `before`; returns how many. */
export function pruneUndone(db: DbLike, before: Date): number {
  return db.delete(fedUndone).where(lt(fedUndone.undone, before)).run().changes;
}

// ---------------------------------------------------------------------------
// Per-server view, holds and removal (the site owner's tools)

export interface ServerSignatures {
  host: string;
  confirmed: number;
  held: number;
  latest: Date;
  onHold: boolean;
}

/** Servers with live fediverse signatures (and every server on hold), most signatures first. */
export function listServerSignatures(db: DbLike, limit = 500): ServerSignatures[] {
  const rows = db
    .select({
      host: remoteActors.host,
      confirmed: sql<number>`sum(${signatures.status} = 'confirmed')`,
      held: sql<number>`sum(${signatures.status} = 'held')`,
      latest: sql<number>`max(${signatures.created})`,
    })
    .from(signatures)
    .innerJoin(remoteActors, eq(remoteActors.id, signatures.remoteActorId))
    .where(and(eq(signatures.kind, "fediverse"), inArray(signatures.status, ["confirmed", "held"])))
    .groupBy(remoteActors.host)
    .orderBy(desc(sql`count(*)`), asc(remoteActors.host))
    .limit(limit)
    .all();
  const holds = new Map(
    db
      .select()
      .from(fedServerHolds)
      .all()
      .map((h) => [h.host, h.created]),
  );
  const result: ServerSignatures[] = rows.map((r) => ({
    host: r.host,
    confirmed: r.confirmed,
    held: r.held,
    latest: new Date(r.latest),
    onHold: holds.has(r.host),
  }));
  for (const [host, created] of holds) {
    if (!result.some((r) => r.host === host))
      result.push({ host, confirmed: 0, held: 0, latest: created, onHold: true });
  }
  return result;
}

export interface HeldSigner {
  id: number;
  name: string | null;
  handle: string | null;
  url: string;
  slug: string;
  created: Date;
}

/** The signatures of one server held for review, oldest first. */
export function listHeldSignatures(db: DbLike, host: string, limit = 200): HeldSigner[] {
  return db
    .select({
      id: signatures.id,
      name: signatures.name,
      handle: remoteActors.handle,
      url: remoteActors.url,
      slug: declarations.slug,
      created: signatures.created,
    })
    .from(signatures)
    .innerJoin(remoteActors, eq(remoteActors.id, signatures.remoteActorId))
    .innerJoin(declarations, eq(declarations.id, signatures.declarationId))
    .where(and(eq(remoteActors.host, host), eq(signatures.status, "held")))
    .orderBy(asc(signatures.id))
    .limit(limit)
    .all();
}

function signaturesOfHost(tx: DbLike, host: string, statuses: ("confirmed" | "held")[]) {
  return tx
    .select({
      id: signatures.id,
      declarationId: signatures.declarationId,
      status: signatures.status,
      actorId: signatures.remoteActorId,
    })
    .from(signatures)
    .innerJoin(remoteActors, eq(remoteActors.id, signatures.remoteActorId))
    .where(and(eq(remoteActors.host, host), eq(signatures.kind, "fediverse"), inArray(signatures.status, statuses)))
    .all();
}

/**
 * Puts a server on hold: its counted signatures are held (uncounted), and so
 * are its new ones until it is released.  Returns how many were held now.
 */
export function holdServer(tx: DbLike, host: string, now: Date): number {
  tx.insert(fedServerHolds).values({ host, created: now }).onConflictDoNothing().run();
  const live = signaturesOfHost(tx, host, ["confirmed"]);
  for (const s of live) {
    tx.update(signatures).set({ status: "held", confirmed: null }).where(eq(signatures.id, s.id)).run();
    bumpSignatureCount(tx, s.declarationId, -1);
  }
  return live.length;
}

/** Counts a held signature (the owner reviewed it). */
function release(tx: DbLike, s: { id: number; declarationId: number }, now: Date): void {
  tx.update(signatures)
    .set({ status: "confirmed", confirmed: now })
    .where(and(eq(signatures.id, s.id), eq(signatures.status, "held")))
    .run();
  bumpSignatureCount(tx, s.declarationId, 1);
}

/** Takes a server off hold and counts its held signatures.  Returns how many were counted. */
export function releaseServer(tx: DbLike, host: string, now: Date): number {
  tx.delete(fedServerHolds).where(eq(fedServerHolds.host, host)).run();
  const held = signaturesOfHost(tx, host, ["held"]);
  for (const s of held) release(tx, s, now);
  return held.length;
}

/**
 * Withdraws every live signature from a server (personal data erased, counted
 * ones uncounted) and forgets its accounts' reactions.  Holds stay as they
 * are.  Returns how many signatures were withdrawn.
 */
export function removeServerSignatures(tx: DbLike, host: string, now: Date): number {
  const live = signaturesOfHost(tx, host, ["confirmed", "held"]);
  for (const s of live) withdrawFediverseSignature(tx, s, now);
  const actors = tx.select({ id: remoteActors.id }).from(remoteActors).where(eq(remoteActors.host, host)).all();
  if (actors.length > 0)
    tx.delete(fedReactions)
      .where(
        inArray(
          fedReactions.actorId,
          actors.map((a) => a.id),
        ),
      )
      .run();
  return live.length;
}

/** Counts or withdraws one held signature of `host`.  False when there is no such held signature. */
export function reviewHeldSignature(
  tx: DbLike,
  host: string,
  signatureId: number,
  decision: "release" | "remove",
  now: Date,
): boolean {
  const found = signaturesOfHost(tx, host, ["held"]).find((s) => s.id === signatureId);
  if (found == null) return false;
  if (decision === "release") release(tx, found, now);
  else {
    withdrawFediverseSignature(tx, found, now);
    if (found.actorId != null)
      tx.delete(fedReactions)
        .where(and(eq(fedReactions.actorId, found.actorId), eq(fedReactions.declarationId, found.declarationId)))
        .run();
  }
  return true;
}

// ---------------------------------------------------------------------------
// Re-checking signers' accounts

export interface SignerToCheck {
  id: number;
  uri: string;
  missingSince: Date | null;
}

/**
 * Accounts with a live fediverse signature that were not checked since
 * `before` (never-checked ones first, then the longest ago).
 */
export function signersDueForCheck(db: DbLike, before: Date, limit: number): SignerToCheck[] {
  return db
    .select({ id: remoteActors.id, uri: remoteActors.uri, missingSince: remoteActors.missingSince })
    .from(remoteActors)
    .where(
      and(
        or(isNull(remoteActors.checked), lt(remoteActors.checked, before)),
        sql`EXISTS (SELECT 1 FROM signatures s WHERE s.remote_actor_id = ${remoteActors.id} AND s.status IN ('confirmed', 'held'))`,
      ),
    )
    .orderBy(sql`${remoteActors.checked} IS NOT NULL`, asc(remoteActors.checked), asc(remoteActors.id))
    .limit(limit)
    .all();
}

/** Records a check of an account: when, and since when its actor answers 404 (null when it answered otherwise). */
export function markChecked(tx: DbLike, actorId: number, checked: Date, missingSince: Date | null): void {
  tx.update(remoteActors).set({ checked, missingSince }).where(eq(remoteActors.id, actorId)).run();
}

// ---------------------------------------------------------------------------
// Which reactions sign (the site owner's choice; read and checked in src/federation/reactions.ts)

const SIGNING_KEY = "fediverse_signing_reactions";

/** The stored choice as it was written (JSON), or undefined when the owner never changed the default. */
export function readSigningReactionsValue(db: DbLike): unknown {
  return readJsonSetting(db, SIGNING_KEY);
}

export function writeSigningReactionsValue(db: DbLike, value: unknown): void {
  writeJsonSetting(db, SIGNING_KEY, value);
}
