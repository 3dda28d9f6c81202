/**
 * The signing flow shared by the form and the JSON API: abuse checks,
 * one group-committed transaction per signature, then mail after commit.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Config } from "../config.ts";
import type { WriteBatcher } from "../db/batch.ts";
import type { Db } from "../db/client.ts";
import type { Declaration, Signature } from "../db/schema.ts";
import { insertBrowserSignature, renewConfirmation, rotateToken, type InsertOutcome } from "../db/signatures.ts";
import { sendInBackground, type Mailer } from "../mail.ts";
import { canonicalEmail, type SignatureInput } from "../signature-input.ts";
import { keyedHash, localLimiters, RateLimiter, RecentKeys, type Shared } from "./limits.ts";
import type { PowProof, ProofOfWork } from "./proof-of-work.ts";
import { privateLinkMail, signingMail } from "./signing-mail.ts";

export interface SigningDeps {
  readonly db: Db;
  readonly batcher: WriteBatcher;
  /** Records the proof of work a signing paid with, in the signing's own transaction. */
  readonly pow: Pick<ProofOfWork, "claim">;
  /**
   * Where the signing's writes go: by default this process's group commit;
   * in an HTTP process of the cluster, the one writer (src/processes/writer.ts).
   */
  readonly writes?: SigningWrites;
  /**
   * The rate limits and the duplicate window (`makeSigningLimiters`): by
   * default this process's own; in an HTTP process of the cluster, the
   * primary's one copy (src/processes/shared-limits.ts; decision 0033).
   */
  readonly limiters?: SharedSigningLimiters;
  readonly secret: string;
  readonly config: Pick<Config, "origin" | "instanceName" | "signing">;
  readonly mailer: Mailer | null;
}

export type SignOutcome =
  | { kind: "signed"; token: string; signature: Signature }
  | { kind: "already-signed"; by: "email" | "name"; mailed: boolean }
  | { kind: "rate-limited"; retryAfterMs: number }
  /** The proof of work was used by another request in the meantime; nothing was written. */
  | { kind: "replayed" };

export interface SignOptions {
  /**
   * The verified proof of work this signing pays with (null when the check is
   * off, or already paid for).  It is used up only if the signing reaches its
   * transaction: a rate-limited or duplicate-name attempt leaves it valid.
   */
  readonly proof?: PowProof | null;
  /**
   * Keep the signature pending until the link mailed to its address is
   * followed, even on a site that does not confirm every signature: the path
   * for a browser without JavaScript, where the mailbox replaces the proof of
   * work (docs/decisions/0030).  Needs a mailer and an address.
   */
  readonly confirmByMail?: boolean;
  readonly now?: Date;
}

/** A fresh secret token and the hash we store for it. */
export function newToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString("base64url");
  return { token, hash: hashToken(token) };
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export type Signing = ReturnType<typeof createSigning>;

/** Re-sent mails per address and hour (a repeat signing re-sends its links). */
export const REPEAT_MAILS_PER_HOUR = 3;

/** "Mail me this link": mails per signature, and per address, and hour. */
export const LINK_MAILS_PER_HOUR = 3;

export type LinkMailOutcome = { kind: "sent" } | { kind: "rate-limited"; retryAfterMs: number } | { kind: "no-mail" };

/** A signing's transaction, in plain data (it may be sent to the writer process). */
export interface SignatureWrite {
  readonly declarationId: number;
  readonly revision: number;
  readonly input: SignatureInput;
  readonly emailHash: string | null;
  readonly tokenHash: string;
  readonly confirmation: { tokenHash: string; expires: Date } | null;
  readonly proof: PowProof | null;
  readonly now: Date;
}

export type SignatureWriteOutcome = InsertOutcome | { kind: "replayed" };

/** A repeat signing's fresh private link (and confirmation link, while pending). */
export interface TokenRotation {
  readonly signatureId: number;
  readonly tokenHash: string;
  readonly confirmation: { tokenHash: string; expires: Date } | null;
}

export interface SigningWrites {
  signature(write: SignatureWrite): Promise<SignatureWriteOutcome>;
  rotation(rotation: TokenRotation): Promise<void>;
}

/** The signing's transaction: the proof of work is used up with the signing, in one transaction. */
export function writeSignature(db: Db, pow: Pick<ProofOfWork, "claim">, write: SignatureWrite): SignatureWriteOutcome {
  if (!pow.claim(write.proof)) return { kind: "replayed" };
  return insertBrowserSignature(db, {
    declarationId: write.declarationId,
    revision: write.revision,
    ...write.input,
    emailHash: write.emailHash,
    tokenHash: write.tokenHash,
    confirmation: write.confirmation,
    now: write.now,
  });
}

export function writeTokenRotation(db: Db, rotation: TokenRotation): void {
  rotateToken(db, rotation.signatureId, rotation.tokenHash);
  if (rotation.confirmation != null) renewConfirmation(db, rotation.signatureId, rotation.confirmation);
}

/** The signing's writes in this process's group commit. */
export function localSigningWrites(db: Db, batcher: WriteBatcher, pow: Pick<ProofOfWork, "claim">): SigningWrites {
  return {
    // A tally: kept Declaration pages show the new count within a second (src/web/pages.tsx).
    signature: (write) => batcher.tally(() => writeSignature(db, pow, write)),
    rotation: (rotation) => batcher.run(() => writeTokenRotation(db, rotation)),
  };
}

/**
 * The signing flow's rate limits and duplicate window, by name.  One copy per
 * site: the single process keeps its own; in the cluster the primary keeps
 * them and the HTTP processes call them over IPC (decision 0033), so a client
 * spread over several processes gets the allowance once.
 */
export function makeSigningLimiters(config: Pick<Config, "signing">) {
  return {
    perDeclaration: new RateLimiter(config.signing.perDeclarationLimits),
    perClient: new RateLimiter(config.signing.perClientLimits),
    recentNames: new RecentKeys(config.signing.duplicateWindowMs),
    // Repeat signings re-send mail to the address typed in; anyone can type
    // anyone's address, so at most this many re-sends per address and hour.
    resendsPerAddress: new RateLimiter([{ max: REPEAT_MAILS_PER_HOUR, windowMs: 3_600_000 }]),
    // "Mail me this link": the address is used for the mail only; these keep keyed hashes for an hour.
    linkMailsPerSignature: new RateLimiter([{ max: LINK_MAILS_PER_HOUR, windowMs: 3_600_000 }], { maxKeys: 50_000 }),
    linkMailsPerAddress: new RateLimiter([{ max: LINK_MAILS_PER_HOUR, windowMs: 3_600_000 }], { maxKeys: 50_000 }),
  };
}

export type SigningLimiters = ReturnType<typeof makeSigningLimiters>;
export type SharedSigningLimiters = { [N in keyof SigningLimiters]: Shared<SigningLimiters[N]> };

/** Every name of `makeSigningLimiters` (a missing one fails the type check). */
const LIMITER_NAMES: Record<keyof SigningLimiters, true> = {
  perDeclaration: true,
  perClient: true,
  recentNames: true,
  resendsPerAddress: true,
  linkMailsPerSignature: true,
  linkMailsPerAddress: true,
};
export const SIGNING_LIMITER_NAMES = Object.keys(LIMITER_NAMES) as (keyof SigningLimiters)[];

export function createSigning(deps: SigningDeps) {
  const { db, batcher, pow, secret, config, mailer } = deps;
  const writes = deps.writes ?? localSigningWrites(db, batcher, pow);
  const limiters = deps.limiters ?? localLimiters(makeSigningLimiters(config));
  const { perDeclaration, perClient, recentNames, resendsPerAddress, linkMailsPerSignature, linkMailsPerAddress } =
    limiters;
  const confirmByEmail = config.signing.confirmation === "email";

  function confirmation(now: Date, always = false) {
    if (!confirmByEmail && !always) return null;
    const { token, hash } = newToken();
    return { token, tokenHash: hash, expires: new Date(now.getTime() + config.signing.confirmationTtlMs) };
  }

  /** The key that remembers "this name just signed this Declaration from this client". */
  const nameKeyFor = (declarationId: number, clientKey: string, name: string) =>
    keyedHash(secret, "name", clientKey, String(declarationId), name.toLowerCase());

  return {
    /** Whether an email address is required to sign (signatures are confirmed by mail). */
    emailRequired: confirmByEmail,
    /** Whether this site mails signers (so pages may say "we mailed you"). */
    sendsMail: mailer != null,

    /**
     * Forgets that `name` just signed from this client, after that signature
     * was withdrawn: signing again must not be refused as a duplicate of a
     * signature that no longer counts.
     */
    async forgetName(declarationId: number, clientKey: string, name: string): Promise<void> {
      await recentNames.delete(nameKeyFor(declarationId, clientKey, name));
    },

    /**
     * Signs `declaration` (its latest revision) for a client identified by
     * `clientKey` (a keyed hash of its address).  Resolves after the commit.
     */
    async sign(
      declaration: Declaration,
      input: SignatureInput,
      clientKey: string,
      options: SignOptions = {},
    ): Promise<SignOutcome> {
      const now = options.now ?? new Date();
      const proof = options.proof ?? null;
      const declarationKey = `${clientKey}:${declaration.id}`;
      const nameKey = nameKeyFor(declaration.id, clientKey, input.name);
      if (await recentNames.has(nameKey, now.getTime())) return { kind: "already-signed", by: "name", mailed: false };

      const waitDeclaration = await perDeclaration.consume(declarationKey, now.getTime());
      const waitClient = waitDeclaration > 0 ? 0 : await perClient.consume(clientKey, now.getTime());
      if (waitDeclaration > 0 || waitClient > 0) {
        if (waitClient > 0) await perDeclaration.refund(declarationKey);
        return { kind: "rate-limited", retryAfterMs: Math.max(waitDeclaration, waitClient) };
      }

      if (options.confirmByMail === true && (mailer == null || input.email == null))
        throw new Error("signing: confirmation by mail needs a mailer and an email address");
      const token = newToken();
      const confirm = confirmation(now, options.confirmByMail === true);
      const emailHash = input.email == null ? null : keyedHash(secret, "email", canonicalEmail(input.email));
      let result: SignatureWriteOutcome;
      let resend = false;
      try {
        result = await writes.signature({
          declarationId: declaration.id,
          revision: declaration.revision,
          input,
          emailHash,
          tokenHash: token.hash,
          confirmation: confirm && { tokenHash: confirm.tokenHash, expires: confirm.expires },
          proof,
          now,
        });
        resend =
          result.kind === "duplicate-email" &&
          mailer != null &&
          (await resendsPerAddress.consume(emailHash!, now.getTime())) === 0;
        if (result.kind === "duplicate-email" && resend) {
          // Re-send instead of duplicating: a fresh private link (the old one
          // stops working) and, while pending, a fresh confirmation link.
          await writes.rotation({
            signatureId: result.existing.id,
            tokenHash: token.hash,
            confirmation:
              result.existing.status === "pending" && confirm != null
                ? { tokenHash: confirm.tokenHash, expires: confirm.expires }
                : null,
          });
        }
      } catch (error) {
        // The write's error is the one to report, even if the refunds fail too.
        await Promise.allSettled([perDeclaration.refund(declarationKey), perClient.refund(clientKey)]);
        throw error;
      }

      if (result.kind === "replayed") {
        await Promise.all([perDeclaration.refund(declarationKey), perClient.refund(clientKey)]);
        return { kind: "replayed" };
      }
      if (result.kind === "duplicate-email") {
        const mailed = resend && input.email != null;
        if (mailed) {
          const pending = result.existing.status === "pending";
          sendInBackground(
            mailer!,
            signingMail({
              config,
              declaration,
              to: input.email!,
              privateToken: token.token,
              confirmToken: pending ? confirm?.token : undefined,
              confirmExpires: pending ? confirm?.expires : undefined,
              repeat: true,
            }),
            "repeat signing",
          );
        }
        return { kind: "already-signed", by: "email", mailed };
      }
      await recentNames.add(nameKey, now.getTime());
      if (mailer != null && input.email != null) {
        sendInBackground(
          mailer,
          signingMail({
            config,
            declaration,
            to: input.email,
            privateToken: token.token,
            confirmToken: confirm?.token,
            confirmExpires: confirm?.expires,
            repeat: false,
          }),
          confirm != null ? "confirmation" : "private link",
        );
      }
      return { kind: "signed", token: token.token, signature: result.signature };
    },

    /**
     * Mails the private link `privateToken` (the signer has it: they ask from
     * its page) to `email`, at most LINK_MAILS_PER_HOUR times per signature
     * and per address.  Nothing is stored.
     */
    async mailPrivateLink(
      declaration: Pick<Declaration, "slug" | "title">,
      email: string,
      privateToken: string,
      now = Date.now(),
    ): Promise<LinkMailOutcome> {
      if (mailer == null) return { kind: "no-mail" };
      const addressKey = keyedHash(secret, "link-mail", canonicalEmail(email));
      const signatureKey = hashToken(privateToken);
      const waitSignature = await linkMailsPerSignature.consume(signatureKey, now);
      const waitAddress = waitSignature > 0 ? 0 : await linkMailsPerAddress.consume(addressKey, now);
      if (waitSignature > 0 || waitAddress > 0) {
        if (waitAddress > 0) await linkMailsPerSignature.refund(signatureKey);
        return { kind: "rate-limited", retryAfterMs: Math.max(waitSignature, waitAddress) };
      }
      sendInBackground(
        mailer,
        privateLinkMail({ config, declaration, to: email, privateToken }),
        "private link on request",
      );
      return { kind: "sent" };
    },

    /**
     * Forgets expired rate-limit and duplicate entries (call every minute or
     * so; in the cluster the primary sweeps its own copy instead).
     */
    async sweep(now = Date.now()): Promise<void> {
      await Promise.all(Object.values(limiters).map((limiter) => limiter.sweep(now)));
    },
  };
}
