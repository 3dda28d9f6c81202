/**
 * Self-hosted proof-of-work anti-spam check for the signing form, built on
 * ALTCHA (`altcha-lib` on the server, the `altcha` web component in the
 * browser; see web/signing/ProofOfWorkField.tsx).  Nothing leaves our origin: the
 * widget fetches a challenge from `GET /api/pow/challenge`, solves it in Web
 * Workers served from `/static/`, and submits the solution as the form field
 * `altcha`, which the form's handler passes to `pow.verify()`.
 *
 * Challenges use altcha-lib's v2 "deterministic" mode: the server picks a
 * secret counter in 1…maxNumber, publishes half of the SHA-256 key derived
 * from it, and signs both the parameters (HMAC) and the full key.  The browser
 * must try counters until it finds the key, about maxNumber / 2 hashes on
 * average; verifying costs the server two HMACs.
 *
 * Each challenge is bound to what it pays for (docs/decisions/0015): an
 * action ("sign", "pledge", "also") and its target (the Declaration's slug,
 * the strike, or the set of Declarations of an "Also sign these"), and, for
 * "also", a count that multiplies the work.  The binding is inside the
 * HMAC-signed parameters (`data`), so a solution for one Declaration is
 * refused for another.  A solution is used once: `verify` refuses one already
 * in `pow_solutions`, and `claim` records it in the same transaction as the
 * signature or pledge it paid for, so a refused attempt (rate limit, form
 * error) does not use it up, and a restart does not forget it.  Used
 * solutions are kept only until their challenge expires; nothing else is
 * remembered, so no number of solutions can refuse a new one.
 */
import { createHmac } from "node:crypto";
import { createChallenge, randomInt, verifySolution, type Challenge } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/sha";
import { z } from "zod";
import type { Db } from "../db/client.ts";
import { claimSolution, isSolutionUsed, pruneSolutions } from "../db/pow.ts";

/** The form field name the widget submits. */
export const POW_FIELD = "altcha";

export interface ProofOfWorkOptions {
  /** Where used solutions are kept (`pow_solutions`). */
  db: Db;
  /** When false, `verify()` accepts anything (challenges are still served). */
  enabled: boolean;
  /** HMAC secret that signs challenges; keep it stable across restarts. */
  secret: string;
  /** Upper bound of the secret counter: the browser needs ~maxNumber/2 hashes. */
  maxNumber: number;
  /** How long a challenge (and so its solution) stays valid. */
  expiresInSeconds: number;
}

/** What a challenge pays for. */
export interface PowBinding {
  readonly action: PowAction;
  /** The Declaration's slug ("sign"), "strike" ("pledge"), or a keyed hash of the chosen set ("also"). */
  readonly target: string;
  /** How many signatures the solution pays for ("also"); the work grows with it.  Default 1. */
  readonly count?: number;
}

export const POW_ACTIONS = ["sign", "pledge", "also"] as const;
export type PowAction = (typeof POW_ACTIONS)[number];

/** A verified, not yet used solution: what `claim` records. */
export interface PowProof {
  readonly id: string;
  readonly expires: Date;
}

/** `proof` is null when the check is off (nothing to record). */
export type ProofOfWorkResult = { ok: true; proof: PowProof | null } | { ok: false; code: PowRefusal; reason: string };

function refused(code: PowRefusal): ProofOfWorkResult {
  return { ok: false, code, reason: REASONS[code] };
}

export interface ProofOfWork {
  readonly enabled: boolean;
  /** JSON body for the widget's challenge URL: a challenge bound to `binding`. */
  challenge(binding: PowBinding): Promise<unknown>;
  /**
   * Verifies the widget's payload (the form field value / JSON string) for
   * `binding`, and that it was not used yet.  Does not use it up: see `claim`.
   */
  verify(payload: string | undefined | null, binding: PowBinding): Promise<ProofOfWorkResult>;
  /**
   * Records `proof` as used; false when it already was (a concurrent request
   * won).  Synchronous: call it inside the group-committed transaction that
   * writes what the solution paid for.  A null proof (check off) is always fine.
   */
  claim(proof: PowProof | null): boolean;
}

/** The most signatures one "also" solution may pay for (its work is that many times a signature's). */
export const MAX_POW_COUNT = 100;
/** What a challenge may be bound to: a slug, "strike", or a keyed hash. */
export const POW_TARGET = /^[A-Za-z0-9_-]{1,100}$/;

/** The only algorithm we issue; the widget registers a worker for it (see assets.ts). */
const ALGORITHM = "SHA-256";
/** Base64 of a real payload is about 1 KB; anything much larger is not ours. */
const MAX_PAYLOAD_CHARS = 4096;
/** Expired solutions are pruned at most this often (inside a claiming transaction). */
const PRUNE_INTERVAL_MS = 60_000;

/**
 * Why a solution was refused, each a whole sentence that says what to do
 * (the pages show it as it is, with no label before it).
 */
export const REASONS = {
  missing:
    "The anti-spam check did not come with the form: it runs in your browser and needs JavaScript. Please wait until the check says it is done, then send the form again; your entries are kept.",
  malformed:
    "The anti-spam check sent something this site cannot read. Please send the form again: a fresh check runs first, and your entries are kept.",
  expired:
    "The anti-spam check expired. Please send the form again: a fresh check runs first, and your entries are kept.",
  invalid:
    "The anti-spam check could not be confirmed. Please send the form again: a fresh check runs first, and your entries are kept.",
  replayed:
    "This anti-spam check was already used. Please send the form again: a fresh check runs first, and your entries are kept.",
  elsewhere:
    "The anti-spam check was solved for another page. Please send the form again from this page: a fresh check runs first, and your entries are kept.",
} as const;

export type PowRefusal = keyof typeof REASONS;

const hex = z.string().regex(/^(?:[0-9a-f]{2})+$/);
const uint = z.number().int().nonnegative().max(0xffffffff);

/** What the widget sends, base64-encoded JSON.  Extra keys stay (they are covered by the HMAC). */
const payloadSchema = z.object({
  challenge: z.object({
    parameters: z.looseObject({
      algorithm: z.literal(ALGORITHM),
      nonce: hex.max(64),
      salt: hex.max(64),
      cost: z.number().int().positive().max(1000),
      keyLength: z.number().int().positive().max(64),
      keyPrefix: hex.max(128),
      keySignature: hex.max(128),
      expiresAt: z.number().positive().finite(),
      data: z
        .object({
          action: z.string().max(20),
          target: z.string().max(100),
          count: z.number().int().positive().max(MAX_POW_COUNT),
        })
        .optional(),
    }),
    signature: hex.max(128),
  }),
  solution: z.object({
    counter: uint,
    derivedKey: hex.max(128),
    time: z.number().finite().optional(),
  }),
});

function decodePayload(payload: string): z.infer<typeof payloadSchema> | null {
  const text = payload.trim();
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return null;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(text, "base64").toString("utf8"));
  } catch {
    return null;
  }
  // Hand on the parsed JSON itself, not zod's copy: the copy would silently drop
  // an own "__proto__" key, which must instead break the HMAC.
  return payloadSchema.safeParse(json).success ? (json as z.infer<typeof payloadSchema>) : null;
}

function assertOptions(options: ProofOfWorkOptions): void {
  if (typeof options.secret !== "string" || options.secret === "")
    throw new Error("ProofOfWork: secret must not be empty");
  if (!Number.isInteger(options.maxNumber) || options.maxNumber < 1 || options.maxNumber > 0xffffffff) {
    throw new Error(`ProofOfWork: maxNumber must be an integer from 1 to 2^32-1, not ${options.maxNumber}`);
  }
  if (!(Number.isFinite(options.expiresInSeconds) && options.expiresInSeconds > 0)) {
    throw new Error(`ProofOfWork: expiresInSeconds must be positive, not ${options.expiresInSeconds}`);
  }
}

export function createProofOfWork(options: ProofOfWorkOptions): ProofOfWork {
  assertOptions(options);
  const { db, enabled, secret, maxNumber, expiresInSeconds } = options;
  // Two secrets from one: the challenge signature and the derived-key signature.
  const hmacSignatureSecret = createHmac("sha256", secret).update("undersign pow: challenge").digest("hex");
  const hmacKeySignatureSecret = createHmac("sha256", secret).update("undersign pow: key").digest("hex");

  let nextPrune = 0;

  async function check(payload: string | undefined | null, binding: PowBinding): Promise<ProofOfWorkResult> {
    if (typeof payload !== "string" || payload.trim() === "") return refused("missing");
    if (payload.length > MAX_PAYLOAD_CHARS) return refused("malformed");
    const decoded = decodePayload(payload);
    if (decoded == null) return refused("malformed");
    const { challenge, solution } = decoded;
    const result = await verifySolution({
      challenge: challenge as Challenge,
      solution,
      deriveKey,
      hmacSignatureSecret,
      hmacKeySignatureSecret,
    });
    if (result.expired) return refused("expired");
    if (!result.verified) return refused("invalid");
    // The binding is covered by the HMAC just checked.
    const data = challenge.parameters.data;
    if (
      data == null ||
      data.action !== binding.action ||
      data.target !== binding.target ||
      data.count !== (binding.count ?? 1)
    ) {
      return refused("elsewhere");
    }
    // Both concurrent submissions of one payload may pass this read; only one
    // of them can `claim` it in its transaction.
    if (isSolutionUsed(db, challenge.signature)) return refused("replayed");
    return { ok: true, proof: { id: challenge.signature, expires: new Date(challenge.parameters.expiresAt * 1000) } };
  }

  return {
    enabled,
    async challenge(binding) {
      assertBinding(binding);
      const count = binding.count ?? 1;
      return createChallenge({
        algorithm: ALGORITHM,
        cost: 1,
        // The secret counter is drawn from a range `count` times as large, so
        // finding it takes `count` times the work on average; checking it
        // still costs the server two HMACs.
        counter: randomInt(Math.min(maxNumber * count, 0xffffffff)),
        deriveKey,
        data: { action: binding.action, target: binding.target, count },
        expiresAt: new Date(Date.now() + expiresInSeconds * 1000),
        hmacSignatureSecret,
        hmacKeySignatureSecret,
      });
    },
    async verify(payload, binding) {
      if (!enabled) return { ok: true, proof: null };
      try {
        return await check(payload, binding);
      } catch {
        // altcha-lib throws on some malformed input that passes the schema.
        return refused("malformed");
      }
    },
    claim(proof) {
      if (proof == null) return true;
      const now = Date.now();
      if (now >= nextPrune) {
        nextPrune = now + PRUNE_INTERVAL_MS;
        pruneSolutions(db, new Date(now));
      }
      return claimSolution(db, proof.id, proof.expires);
    },
  };
}

function assertBinding(binding: PowBinding): void {
  if (!(POW_ACTIONS as readonly string[]).includes(binding.action))
    throw new Error(`ProofOfWork: unknown action ${binding.action}`);
  if (!POW_TARGET.test(binding.target))
    throw new Error("ProofOfWork: the target must be 1 to 100 letters, digits, - or _");
  const count = binding.count ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > MAX_POW_COUNT)
    throw new Error(`ProofOfWork: count must be 1 to ${MAX_POW_COUNT}`);
}

/** The widget's challenge URL for `binding`. */
export function challengeUrl(binding: PowBinding): string {
  const query = new URLSearchParams({ action: binding.action, target: binding.target });
  if ((binding.count ?? 1) !== 1) query.set("count", String(binding.count));
  return `/api/pow/challenge?${query}`;
}
