/**
 * Our actors' key pairs: RSA first (HTTP signatures, and the one `publicKey`
 * Mastodon, Misskey and Pleroma read), then Ed25519 (Object Integrity
 * Proofs).  Generated on first use, stored, and never replaced; imported
 * CryptoKeys are kept in memory because every actor fetch and every delivery
 * asks for them.
 */
import { exportJwk, generateCryptoKeyPair, importJwk } from "@fedify/fedify";
import type { DbLike } from "../db/client.ts";
import { getActorKeys, storeActorKeysOnce, type StoredKeyPairs } from "../db/fediverse.ts";

const cache = new WeakMap<object, Map<string, Promise<CryptoKeyPair[]>>>();

async function importPair(publicJwk: string, privateJwk: string): Promise<CryptoKeyPair> {
  return {
    publicKey: await importJwk(JSON.parse(publicJwk) as JsonWebKey, "public"),
    privateKey: await importJwk(JSON.parse(privateJwk) as JsonWebKey, "private"),
  };
}

async function generate(): Promise<StoredKeyPairs> {
  const rsa = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  const ed = await generateCryptoKeyPair("Ed25519");
  return {
    rsaPublic: JSON.stringify(await exportJwk(rsa.publicKey)),
    rsaPrivate: JSON.stringify(await exportJwk(rsa.privateKey)),
    ed25519Public: JSON.stringify(await exportJwk(ed.publicKey)),
    ed25519Private: JSON.stringify(await exportJwk(ed.privateKey)),
  };
}

async function load(db: DbLike, identifier: string): Promise<CryptoKeyPair[]> {
  const stored = getActorKeys(db, identifier) ?? storeActorKeysOnce(db, identifier, await generate(), new Date());
  return [
    await importPair(stored.rsaPublic, stored.rsaPrivate),
    await importPair(stored.ed25519Public, stored.ed25519Private),
  ];
}

/** The actor's key pairs, RSA first; created (once, ever) when missing. */
export function actorKeyPairs(db: DbLike, identifier: string): Promise<CryptoKeyPair[]> {
  let perDb = cache.get(db);
  if (perDb == null) {
    perDb = new Map();
    cache.set(db, perDb);
  }
  let pairs = perDb.get(identifier);
  if (pairs == null) {
    pairs = load(db, identifier);
    perDb.set(identifier, pairs);
    pairs.catch(() => perDb.delete(identifier));
  }
  return pairs;
}
