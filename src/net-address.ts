/**
 * IP addresses: which ones are the public internet (the rule every outgoing
 * request follows), who the client of a request is behind trusted proxies,
 * and the unit that rate limits count (one IPv4 address, or one IPv6 prefix).
 * Pure: no I/O, nothing read from the environment.
 *
 * Parsing is strict (node's `isIP` first; ipaddr.js then only takes apart
 * what is already known to be an address), so shorthand such as "127.1" or
 * "0x7f.1" is not an address here: such text never reaches a socket as an
 * address anyway (URLs normalise it to dotted decimal first).
 */
import ipaddr from "ipaddr.js";
import { BlockList, isIP } from "node:net";

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * Parses an IP address; brackets and an IPv6 zone ("%eth0") are removed, and
 * an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is returned as the IPv4
 * address it stands for.  Null for anything that is not an address.
 */
export function parseIp(text: string): IpAddress | null {
  let s = text.trim();
  if (s.startsWith("[") && s.endsWith("]")) s = s.slice(1, -1);
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  const family = isIP(s);
  if (family === 4) return ipaddr.IPv4.parse(s);
  if (family !== 6) return null;
  // ipaddr.js reads "::a.b.c.d" (IPv4-compatible, ::/96) as "::ffff:a.b.c.d"
  // (IPv4-mapped), a different address: write the dotted tail as two hex
  // groups first, so that every form keeps its own meaning.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (dotted != null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    s = `${s.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const v6 = ipaddr.IPv6.parse(s);
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
}

/**
 * Ranges that are not the public internet, written out (RFC 6890 and the
 * IANA special-purpose registries), on top of ipaddr.js's own classification:
 * an address must pass both.
 */
const NON_PUBLIC_V4 = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24],
  ["192.88.99.0", 24], // 6to4 relays
  ["192.168.0.0", 16],
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, and the broadcast address
] as const) {
  NON_PUBLIC_V4.addSubnet(net, prefix, "ipv4");
}

/** The only IPv6 block handed out as global unicast; everything outside it is special. */
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR("2000::/3");

/**
 * Special ranges inside 2000::/3.  Outside it, nothing is public: ::/96
 * (IPv4-compatible, with :: and ::1), ::ffff:0:0:0/96 (translated),
 * 64:ff9b::/96 and 64:ff9b:1::/48 (NAT64), 100::/64 (discard), 5f00::/16
 * (segment routing), fc00::/7 (unique local), fec0::/10 (site-local),
 * fe80::/10 (link-local), ff00::/8 (multicast).  IPv4-mapped addresses are
 * judged as the IPv4 address they stand for.
 */
const NON_PUBLIC_V6 = new BlockList();
for (const [net, prefix] of [
  ["2001::", 23], // IETF protocol assignments, Teredo (2001::/32) among them
  ["2001:db8::", 32], // documentation
  ["2002::", 16], // 6to4: it embeds any IPv4 address, private ones too
  ["3fff::", 20], // documentation (RFC 9637)
] as const) {
  NON_PUBLIC_V6.addSubnet(net, prefix, "ipv6");
}

/** Whether an address (text, or parsed) is on the public internet. */
export function isPublicAddress(address: string | IpAddress): boolean {
  const ip = typeof address === "string" ? parseIp(address) : address;
  if (ip == null) return false;
  if (ip.kind() === "ipv4") return ip.range() === "unicast" && !NON_PUBLIC_V4.check(ip.toString(), "ipv4");
  const v6 = ip as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return isPublicAddress(v6.toIPv4Address());
  return v6.match(GLOBAL_UNICAST_V6) && v6.range() === "unicast" && !NON_PUBLIC_V6.check(v6.toString(), "ipv6");
}

/**
 * True for `localhost` and for IP literals outside the public internet: hosts
 * that are private without asking DNS.  (Names that resolve to private
 * addresses are caught when connecting.)
 */
export function isPrivateHostLiteral(host: string): boolean {
  const name = host
    .replace(/^\[|\]$/g, "")
    .toLowerCase()
    .replace(/\.$/, "");
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  const ip = parseIp(name);
  return ip != null && !isPublicAddress(ip);
}

// ---------------------------------------------------------------------------
// Trusted proxies

/** The addresses the keyword `loopback` stands for in a list of proxies. */
const LOOPBACK = ["127.0.0.0/8", "::1/128"];

export type ProxyListParse = { ok: true; ranges: string[] } | { ok: false; problem: string };

/**
 * Reads a comma-separated list of proxy addresses and ranges ("127.0.0.1",
 * "10.0.0.0/8", "fd00::/8", or the word "loopback") into normalised CIDR
 * ranges.  Host bits set in a range ("10.1.2.3/8") are refused: they usually
 * mean a typo.
 */
export function parseProxyList(text: string): ProxyListParse {
  const ranges: string[] = [];
  for (const raw of text.split(",")) {
    const part = raw.trim();
    if (part === "") continue;
    if (part.toLowerCase() === "loopback") {
      ranges.push(...LOOPBACK);
      continue;
    }
    const slash = part.indexOf("/");
    const ip = parseIp(slash < 0 ? part : part.slice(0, slash));
    if (ip == null) return { ok: false, problem: `"${part.slice(0, 60)}" is not an IP address or range` };
    const max = ip.kind() === "ipv4" ? 32 : 128;
    const bitsText = slash < 0 ? String(max) : part.slice(slash + 1);
    const bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : NaN;
    if (!(bits >= 0 && bits <= max))
      return { ok: false, problem: `"${part.slice(0, 60)}" has a prefix length that is not 0 to ${max}` };
    const network = maskAddress(ip, bits);
    if (network.toString() !== ip.toString()) {
      return {
        ok: false,
        problem: `"${part.slice(0, 60)}" has bits set after its /${bits} prefix (did you mean ${network.toString()}/${bits}?)`,
      };
    }
    ranges.push(`${network.toString()}/${bits}`);
  }
  return { ok: true, ranges: [...new Set(ranges)] };
}

/** The address with every bit after the first `bits` set to zero. */
function maskAddress(ip: IpAddress, bits: number): IpAddress {
  const bytes = ip.toByteArray();
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    bytes[i] = bytes[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return ipaddr.fromByteArray(bytes);
}

/** How many X-Forwarded-For entries are looked at, at most (a chain of proxies is short). */
const MAX_FORWARDED_HOPS = 16;

/** The proxies whose X-Forwarded-For we believe. */
export class ProxyTrust {
  readonly #v4: [ipaddr.IPv4, number][] = [];
  readonly #v6: [ipaddr.IPv6, number][] = [];

  /** `ranges` as `parseProxyList` returns them. */
  constructor(ranges: readonly string[]) {
    for (const range of ranges) {
      const [ip, bits] = ipaddr.parseCIDR(range);
      if (ip.kind() === "ipv4") this.#v4.push([ip as ipaddr.IPv4, bits]);
      else this.#v6.push([ip as ipaddr.IPv6, bits]);
    }
  }

  get empty(): boolean {
    return this.#v4.length === 0 && this.#v6.length === 0;
  }

  trusts(ip: IpAddress): boolean {
    if (ip.kind() === "ipv4") return this.#v4.some(([net, bits]) => (ip as ipaddr.IPv4).match(net, bits));
    return this.#v6.some(([net, bits]) => (ip as ipaddr.IPv6).match(net, bits));
  }

  /**
   * The client's address.  Starting from the socket's peer, X-Forwarded-For is
   * walked from its right end (the entry our own proxy appended) for as long
   * as the address in hand is a trusted proxy; the first address that is not
   * is the client.  Entries left of it are whatever the client claimed and are
   * never believed.  A peer that is not a trusted proxy is the client itself,
   * whatever headers it sends.  An entry that is not an address ends the walk
   * at the proxy that passed it on.
   */
  clientOf(peer: string, forwardedFor: string | undefined): string {
    let current = parseIp(peer);
    if (current == null) return peer;
    if (this.empty || forwardedFor == null) return current.toString();
    const hops = forwardedFor
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    for (let i = hops.length - 1; i >= 0 && i >= hops.length - MAX_FORWARDED_HOPS; i--) {
      if (!this.trusts(current)) return current.toString();
      const hop = parseIp(hops[i]!);
      if (hop == null) return current.toString();
      current = hop;
    }
    return current.toString();
  }
}

/**
 * What rate limits count as one client: an IPv4 address, or an IPv6 address
 * cut to its first `ipv6PrefixLength` bits (one customer usually gets a whole
 * /64, or more, and can use any address in it).  Text that is not an address
 * (no socket in tests, for instance) is counted as it is.
 */
export function rateLimitSubject(address: string, ipv6PrefixLength: number): string {
  const ip = parseIp(address);
  if (ip == null) return address.slice(0, 100);
  if (ip.kind() === "ipv4") return ip.toString();
  return `${maskAddress(ip, ipv6PrefixLength).toString()}/${ipv6PrefixLength}`;
}
