/**
 * Which HTTP signature format Fedify remembers per server (its "double
 * knock", decision 0010).  Fedify 2.3.6 keeps the format that worked under
 * `["_fedify", "httpMessageSignaturesSpec", origin]` in the key–value store,
 * and writes there after every signed request: the first format after a
 * success, the other one after a second knock that was not refused with
 * 400/401 — a 502 from a restarting server included.  A server that verifies
 * only draft-cavage and answers 202 to what it cannot verify would then get
 * RFC 9421 for good and drop every post.
 *
 * `guardSignatureMemory` wraps the store so that, for those keys only:
 * - the first-knock format is never stored (absent means "use it"), and
 *   storing it removes a remembered switch;
 * - the other format is stored only when outgoing.ts saw the switch earned:
 *   the first knock refused for its signature (400/401) and the second
 *   succeeded (2xx), moments ago;
 * - a remembered switch expires after `ttl` and is not renewed by later
 *   successes, so a server is asked again in the first format once a day.
 * Everything else passes through unchanged.
 */
import type { KvKey, KvStore } from "@fedify/fedify";
import { getLogger } from "@logtape/logtape";
import { switchWasEarned, type SignatureSpec } from "./outgoing.ts";
import { duration } from "./time.ts";

const logger = getLogger(["undersign", "federation", "outgoing"]);

/** Fedify's default prefix for the remembered formats. */
export const SPEC_PREFIX: KvKey = ["_fedify", "httpMessageSignaturesSpec"];

export interface SignatureMemoryOptions {
  readonly firstKnock: SignatureSpec;
  /** How long a switch to the other format is remembered. Default a day. */
  readonly ttl?: Temporal.Duration;
  readonly prefix?: KvKey;
}

function specOrigin(key: KvKey, prefix: KvKey): string | null {
  return key.length === prefix.length + 1 && prefix.every((part, i) => key[i] === part) ? key[prefix.length]! : null;
}

export function guardSignatureMemory(store: KvStore, options: SignatureMemoryOptions): KvStore {
  const prefix = options.prefix ?? SPEC_PREFIX;
  const ttl = options.ttl ?? duration({ hours: 24 });
  const guarded: KvStore = {
    get: (key) => store.get(key),
    delete: (key) => store.delete(key),
    list: (listPrefix) => store.list(listPrefix),
    async set(key, value, setOptions) {
      const origin = specOrigin(key, prefix);
      if (origin == null) return store.set(key, value, setOptions);
      if (value === options.firstKnock) {
        if ((await store.get(key)) !== undefined) await store.delete(key);
        return;
      }
      if (!switchWasEarned(origin, String(value))) {
        logger.debug("Not remembering {spec} for {origin}: its first knock was not refused for its signature, or the second failed", { spec: value, origin });
        return;
      }
      // Remembered already: keep the expiry of the switch (successes do not renew it).
      if ((await store.get(key)) === value) return;
      logger.info("{origin} refused a {firstKnock} signature and accepted {spec}: using {spec} there for a while", { origin, spec: value, firstKnock: options.firstKnock });
      await store.set(key, value, { ttl });
    },
  };
  if (store.cas != null) guarded.cas = store.cas.bind(store);
  return guarded;
}
