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
 * - a server's format changes only when outgoing.ts saw the change earned:
 *   the knock in the current format refused for its signature (400/401) and
 *   the second, in the other format, succeeded (2xx), moments ago;
 * - the first-knock format is never stored (absent means "use it"): a switch
 *   back to it removes the key;
 * - a switch to the other format expires after `ttl` and is not renewed by
 *   later successes, so a server is asked in the first format again daily.
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
      const current = (await store.get(key)) ?? options.firstKnock;
      // The format in use worked again: nothing to learn (and the expiry of a
      // switch is not renewed).
      if (value === current) return;
      if (!switchWasEarned(origin, String(value))) {
        logger.debug(
          "Not switching {origin} to {spec}: its first knock was not refused for its signature, or the second failed",
          { spec: value, origin },
        );
        return;
      }
      logger.info("{origin} refused a {current} signature and accepted {spec}: using {spec} there", {
        origin,
        spec: value,
        current,
      });
      if (value === options.firstKnock) await store.delete(key);
      else await store.set(key, value, { ttl });
    },
  };
  if (store.cas != null) guarded.cas = store.cas.bind(store);
  return guarded;
}
