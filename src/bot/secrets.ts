/**
 * Strikers' Mastodon access tokens at rest: sealed with AES-256-GCM under
 * BOT_TOKEN_KEY, so a copy of the database alone does not let anyone post as
 * them.  A sealed token is bound to a context (for example the connection id
 * and server), so a sealed value copied onto another row does not open.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import type { Config } from "../config.ts";

const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
/** Prefixed to the context, so the additional data also names the format. */
const AAD_PREFIX = "undersign bot token v1\0";
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Why a sealed token did not open: not in our format at all, or altered / another key / another context. */
export type TokenSealFailure = "malformed" | "unauthentic";

export class TokenSealError extends Error {
  readonly reason: TokenSealFailure;
  constructor(reason: TokenSealFailure, message: string) {
    super(message);
    this.name = "TokenSealError";
    this.reason = reason;
  }
}

function checkKey(key: Buffer): void {
  if (key.length !== KEY_BYTES) throw new RangeError(`The token key must be ${KEY_BYTES} bytes, got ${key.length}`);
}

function additionalData(context: string): Buffer {
  return Buffer.from(AAD_PREFIX + context, "utf8");
}

/**
 * Encrypts `plaintext` with a fresh random 12-byte IV.  Returns
 * `v1.<iv>.<ciphertext and tag>`, both parts base64url without padding.
 */
export function sealToken(key: Buffer, plaintext: string, context: string): string {
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(context));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return `${VERSION}.${iv.toString("base64url")}.${body.toString("base64url")}`;
}

/** Strict base64url: only the alphabet, and only the one canonical spelling of the bytes. */
function decodePart(part: string): Buffer | null {
  if (!BASE64URL.test(part)) return null;
  const bytes = Buffer.from(part, "base64url");
  return bytes.toString("base64url") === part ? bytes : null;
}

/**
 * Decrypts what `sealToken` returned.  Throws a `TokenSealError` when the value
 * is not a sealed token ("malformed") or when it was altered, sealed under
 * another key or for another context ("unauthentic"); GCM cannot tell those
 * three apart.
 */
export function openToken(key: Buffer, sealed: string, context: string): string {
  checkKey(key);
  const parts = sealed.split(".");
  if (parts.length !== 3)
    throw new TokenSealError("malformed", "Not a sealed token: expected three parts separated by dots");
  const [version, ivPart, bodyPart] = parts as [string, string, string];
  if (version !== VERSION)
    throw new TokenSealError("malformed", `Not a sealed token: unknown format version (expected ${VERSION})`);
  const iv = decodePart(ivPart);
  if (iv == null || iv.length !== IV_BYTES)
    throw new TokenSealError("malformed", `Not a sealed token: the IV is not ${IV_BYTES} bytes of base64url`);
  const body = decodePart(bodyPart);
  if (body == null || body.length < TAG_BYTES)
    throw new TokenSealError("malformed", "Not a sealed token: the ciphertext is not base64url or is too short");
  const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(additionalData(context));
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString(
      "utf8",
    );
  } catch {
    throw new TokenSealError(
      "unauthentic",
      "The sealed token does not open: it was altered, sealed with another BOT_TOKEN_KEY, or belongs to another connection",
    );
  }
}

/** The bot's key, or an error that says how to configure it. */
export function requireBotKey(config: Pick<Config, "bot">): Buffer {
  if (config.bot == null) {
    throw new Error(
      'The strike bot needs BOT_TOKEN_KEY (32 random bytes that encrypt the stored access tokens): generate one with "openssl rand -hex 32", set it in the environment or .env, and restart. Keep it: losing it disconnects every striker.',
    );
  }
  return config.bot.tokenKey;
}

/**
 * What a log line may show of a token: a short SHA-256 fingerprint, enough to
 * tell two tokens apart and useless to anyone holding the logs.
 */
export function redact(token: string | null | undefined): string {
  if (token == null || token === "") return "[no token]";
  return `[token ${createHash("sha256").update(token, "utf8").digest("hex").slice(0, 8)}]`;
}
