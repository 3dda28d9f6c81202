/**
 * Who the client is, for rate limits: its address (trusting the configured
 * proxies only), the subject limits count (an IPv6 /64 is one client), and the
 * keyed hash that is all the site remembers of it.
 */
import type { Context } from "hono";
import { ProxyTrust, rateLimitSubject } from "../../net-address.ts";
import { keyedHash } from "../../services/limits.ts";
import type { WebEnv } from "./context.ts";

/** One ProxyTrust per configuration (its list of ranges). */
const proxyTrusts = new WeakMap<readonly string[], ProxyTrust>();

/**
 * The client's address: the socket's peer, or, when that peer is one of the
 * configured proxies (TRUST_PROXY), the first address in X-Forwarded-For,
 * walking from its right end, that is not one of them (`ProxyTrust.clientOf`).
 * A client that reaches the server directly cannot choose its address.
 */
export function clientAddress(c: Context<WebEnv>): string {
  const ranges = c.get("deps").config.trustedProxies;
  let trust = proxyTrusts.get(ranges);
  if (trust == null) {
    trust = new ProxyTrust(ranges);
    proxyTrusts.set(ranges, trust);
  }
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return trust.clientOf(incoming?.socket?.remoteAddress ?? "unknown", c.req.header("x-forwarded-for"));
}

/**
 * What rate limits count as this request's client: its IPv4 address, or its
 * IPv6 address cut to IPV6_PREFIX_LENGTH bits (one /64 is one client by default).
 */
export function clientSubject(c: Context<WebEnv>): string {
  return rateLimitSubject(clientAddress(c), c.get("deps").config.ipv6PrefixLength);
}

/** The client's keyed hash (its address never leaves this function). */
export function clientKey(c: Context<WebEnv>): string {
  return keyedHash(c.get("deps").secret, "client", clientSubject(c));
}
