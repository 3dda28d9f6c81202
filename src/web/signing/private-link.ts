/** The signer's private link (`/s/{token}`): finding its signature, and what an unknown one says. */
import type { Context } from "hono";
import { eq } from "drizzle-orm";
import { declarations, type Declaration, type Signature } from "../../db/schema.ts";
import { getSignatureByToken } from "../../db/signatures.ts";
import { hashToken } from "../../services/signing.ts";
import type { WebEnv } from "../kit/context.ts";

/** A private or confirmation token: 32 random bytes in base64url. */
export const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export function findByToken(
  c: Context<WebEnv>,
  token: string,
): { signature: Signature; declaration: Declaration } | null {
  if (!TOKEN.test(token)) return null;
  const { db } = c.get("deps");
  const signature = getSignatureByToken(db, hashToken(token));
  if (signature == null) return null;
  const declaration = db.select().from(declarations).where(eq(declarations.id, signature.declarationId)).get();
  return declaration == null ? null : { signature, declaration };
}

/** The 404 message for a private link; it mentions mail only on a site that sends mail. */
export function unknownLink(c: Context<WebEnv>): string {
  return c.get("deps").signing.sendsMail
    ? "This private link is not valid. If you signed with an email address, the mail we sent has your current link."
    : "This private link is not valid.";
}
