/**
 * Self-hosted proof-of-work anti-spam check for the signing form, built on
 * ALTCHA (`altcha-lib` on the server, the `altcha` web component in the
 * browser; see views/ProofOfWorkField.tsx).  Nothing leaves our origin: the
 * widget fetches a challenge from `GET /api/pow/challenge`, solves it in Web
 * Workers served from `/static/`, and submits the solution as the form field
 * `altcha`, which the form's handler passes to `pow.verify()`.
 *
 * Challenges use altcha-lib's v2 "deterministic" mode: the server picks a
 * secret counter in 1…maxNumber, publishes half of the SHA-256 key derived
 * from it, and signs both the parameters (HMAC) and the full key.  The browser
 * must try counters until it finds the key, about maxNumber / 2 hashes on
 * average; verifying costs the server two HMACs.  Each accepted solution is
 * remembered in memory until its challenge expires and refused a second time.
 */
import { createHmac } from "node:crypto";
import { createChallenge, randomInt, verifySolution, type Challenge } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/sha";
import { Hono } from "hono";
import { z } from "zod";
import type { WebEnv } from "./context.ts";

/** The form field name the widget submits. */
export const POW_FIELD = "altcha";

export interface ProofOfWorkOptions {
  /** When false, `verify()` accepts anything (challenges are still served). */
  enabled: boolean;
  /** HMAC secret that signs challenges; keep it stable across restarts. */
  secret: string;
  /** Upper bound of the secret counter: the browser needs ~maxNumber/2 hashes. */
  maxNumber: number;
  /** How long a challenge (and so its solution) stays valid. */
  expiresInSeconds: number;
}

export type ProofOfWorkResult = { ok: true } | { ok: false; reason: string };

export interface ProofOfWork {
  readonly enabled: boolean;
  /** JSON body for the widget's challenge URL. */
  challenge(): Promise<unknown>;
  /** Verifies the widget's payload (the form field value / JSON string); each solution is accepted once. */
  verify(payload: string | undefined | null): Promise<ProofOfWorkResult>;
}

/** The only algorithm we issue; the widget registers a worker for it (see assets.ts). */
const ALGORITHM = "SHA-256";
/** Base64 of a real payload is about 1 KB; anything much larger is not ours. */
const MAX_PAYLOAD_CHARS = 4096;
/** At most this many accepted solutions are remembered at once (see `verify`). */
const MAX_REMEMBERED = 100_000;
const SWEEP_INTERVAL_MS = 60_000;

export const REASONS = {
  missing: "The anti-spam check has not finished; please wait a moment and try again.",
  malformed: "The anti-spam check sent something this site cannot read; please reload the page and try again.",
  expired: "The anti-spam check expired; please try again.",
  invalid: "The anti-spam check could not be confirmed; please reload the page and try again.",
  replayed: "this anti-spam check was already used; please try again",
  busy: "Too many signatures are arriving right now; please try again in a few minutes.",
} as const;

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
  if (typeof options.secret !== "string" || options.secret === "") throw new Error("ProofOfWork: secret must not be empty");
  if (!Number.isInteger(options.maxNumber) || options.maxNumber < 1 || options.maxNumber > 0xffffffff) {
    throw new Error(`ProofOfWork: maxNumber must be an integer from 1 to 2^32-1, not ${options.maxNumber}`);
  }
  if (!(Number.isFinite(options.expiresInSeconds) && options.expiresInSeconds > 0)) {
    throw new Error(`ProofOfWork: expiresInSeconds must be positive, not ${options.expiresInSeconds}`);
  }
}

export function createProofOfWork(options: ProofOfWorkOptions): ProofOfWork {
  assertOptions(options);
  const { enabled, secret, maxNumber, expiresInSeconds } = options;
  // Two secrets from one: the challenge signature and the derived-key signature.
  const hmacSignatureSecret = createHmac("sha256", secret).update("undersign pow: challenge").digest("hex");
  const hmacKeySignatureSecret = createHmac("sha256", secret).update("undersign pow: key").digest("hex");

  /** Signatures of accepted solutions → when their challenge expires (ms). */
  const used = new Map<string, number>();
  let nextSweep = 0;

  function sweep(now: number): void {
    if (now < nextSweep && used.size < MAX_REMEMBERED) return;
    nextSweep = now + SWEEP_INTERVAL_MS;
    for (const [signature, expiresAt] of used) if (expiresAt < now) used.delete(signature);
  }

  async function check(payload: string | undefined | null): Promise<ProofOfWorkResult> {
    if (typeof payload !== "string" || payload.trim() === "") return { ok: false, reason: REASONS.missing };
    if (payload.length > MAX_PAYLOAD_CHARS) return { ok: false, reason: REASONS.malformed };
    const decoded = decodePayload(payload);
    if (decoded == null) return { ok: false, reason: REASONS.malformed };
    const { challenge, solution } = decoded;
    const result = await verifySolution({
      challenge: challenge as Challenge,
      solution,
      deriveKey,
      hmacSignatureSecret,
      hmacKeySignatureSecret,
    });
    if (result.expired) return { ok: false, reason: REASONS.expired };
    if (!result.verified) return { ok: false, reason: REASONS.invalid };

    // From here on synchronous, so two concurrent submissions of one payload
    // cannot both pass.
    const now = Date.now();
    sweep(now);
    if (used.has(challenge.signature)) return { ok: false, reason: REASONS.replayed };
    // Bounded memory: rather than forget unexpired solutions (which would let
    // them be replayed), refuse new ones until old ones expire.
    if (used.size >= MAX_REMEMBERED) return { ok: false, reason: REASONS.busy };
    used.set(challenge.signature, challenge.parameters.expiresAt * 1000);
    return { ok: true };
  }

  return {
    enabled,
    async challenge() {
      return createChallenge({
        algorithm: ALGORITHM,
        cost: 1,
        counter: randomInt(maxNumber),
        deriveKey,
        expiresAt: new Date(Date.now() + expiresInSeconds * 1000),
        hmacSignatureSecret,
        hmacKeySignatureSecret,
      });
    },
    async verify(payload) {
      if (!enabled) return { ok: true };
      try {
        return await check(payload);
      } catch {
        // altcha-lib throws on some malformed input that passes the schema.
        return { ok: false, reason: REASONS.malformed };
      }
    },
  };
}

/** `GET /api/pow/challenge`: a fresh challenge for the widget, never cached. */
export const powRoutes = new Hono<WebEnv>().get("/challenge", async (c) => {
  const challenge = await c.get("deps").pow.challenge();
  c.header("Cache-Control", "no-store");
  return c.json(challenge);
});
