import { describe, expect, it } from "vitest";
import {
  isPrivateHostLiteral,
  isPublicAddress,
  parseIp,
  parseProxyList,
  ProxyTrust,
  rateLimitSubject,
} from "../src/net-address.ts";

describe("isPublicAddress", () => {
  it.each([
    // IPv4 special ranges
    "0.0.0.0",
    "0.1.2.3",
    "10.1.2.3",
    "100.64.0.1",
    "100.127.255.254",
    "127.0.0.1",
    "127.255.255.254",
    "169.254.169.254",
    "172.16.0.1",
    "172.31.255.255",
    "192.0.0.8",
    "192.0.2.1",
    "192.88.99.1",
    "192.168.1.1",
    "198.18.0.1",
    "198.19.255.255",
    "198.51.100.7",
    "203.0.113.9",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    // IPv4-compatible IPv6 (::/96), unspecified and loopback
    "::",
    "::1",
    "::127.0.0.1",
    "::7f00:1",
    "::10.0.0.1",
    "::8.8.8.8",
    "[::127.0.0.1]",
    // IPv4-mapped: judged as the IPv4 address
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:0.0.0.0",
    // translated (RFC 6145), NAT64 (well-known and local-use), 6to4, Teredo
    "::ffff:0:7f00:1",
    "64:ff9b::7f00:1",
    "64:ff9b::808:808",
    "64:ff9b:1::a00:1",
    "2002:7f00:1::1",
    "2002:a00:1::",
    "2002:808:808::1",
    "2001::1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    // documentation, benchmarking, ORCHID, discard, segment routing
    "2001:db8::1",
    "3fff::1",
    "2001:2::1",
    "2001:20::1",
    "100::1",
    "5f00::1",
    // unique local, site-local (deprecated), link-local, multicast
    "fc00::1",
    "fd12:3456::1",
    "fec0::1",
    "feff::1",
    "fe80::1",
    "fe80::1%eth0",
    "ff02::1",
    "ff0e::1",
    // not addresses
    "",
    "localhost",
    "127.1",
    "0x7f.0.0.1",
    "2130706433",
    "1.2.3.4.5",
    "::g",
  ])("refuses %s", (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each([
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "::ffff:8.8.8.8",
    "::ffff:808:808",
    "2606:4700::1111",
    "2a00:1450:4001::200e",
    "[2606:4700::1111]",
  ])("accepts %s", (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it("treats private literals and localhost names as private host literals", () => {
    for (const host of [
      "localhost",
      "LOCALHOST.",
      "a.localhost",
      "[::1]",
      "[::127.0.0.1]",
      "[::7f00:1]",
      "[fec0::1]",
      "[64:ff9b::a00:1]",
      "10.0.0.1",
    ]) {
      expect(isPrivateHostLiteral(host), host).toBe(true);
    }
    for (const host of ["example.social", "8.8.8.8", "[2606:4700::1111]"])
      expect(isPrivateHostLiteral(host), host).toBe(false);
    // What the URL parser makes of the bracketed forms is refused too.
    for (const raw of [
      "http://[::127.0.0.1]/",
      "http://[::ffff:127.0.0.1]/",
      "http://0x7f.1/",
      "http://2130706433/",
      "http://[0:0:0:0:0:ffff:a00:1]/",
    ]) {
      expect(isPrivateHostLiteral(new URL(raw).hostname), raw).toBe(true);
    }
  });
});

describe("parseIp", () => {
  it("keeps IPv4-compatible and IPv4-mapped addresses apart", () => {
    expect(parseIp("::127.0.0.1")!.toNormalizedString()).toBe("0:0:0:0:0:0:7f00:1");
    expect(parseIp("::ffff:127.0.0.1")!.toString()).toBe("127.0.0.1");
    expect(parseIp("::FFFF:7F00:1")!.toString()).toBe("127.0.0.1");
    expect(parseIp("[2001:db8::1]")!.toString()).toBe("2001:db8::1");
    expect(parseIp("fe80::1%25eth0")).not.toBeNull();
    expect(parseIp("1.2.3")).toBeNull();
    expect(parseIp("unknown")).toBeNull();
  });
});

describe("rateLimitSubject", () => {
  it("counts IPv6 by prefix, IPv4 and IPv4-mapped by address", () => {
    expect(rateLimitSubject("2001:db8:1:2:aaaa::1", 64)).toBe("2001:db8:1:2::/64");
    expect(rateLimitSubject("2001:db8:1:2:ffff:ffff:ffff:ffff", 64)).toBe("2001:db8:1:2::/64");
    expect(rateLimitSubject("2001:db8:1:3::1", 64)).toBe("2001:db8:1:3::/64");
    expect(rateLimitSubject("2001:db8:1:3::1", 48)).toBe("2001:db8:1::/48");
    expect(rateLimitSubject("2001:db8:1:3::1", 128)).toBe("2001:db8:1:3::1/128");
    expect(rateLimitSubject("2001:db8:1:3::1", 60)).toBe("2001:db8:1::/60");
    expect(rateLimitSubject("::ffff:203.0.113.5", 64)).toBe("203.0.113.5");
    expect(rateLimitSubject("203.0.113.5", 64)).toBe("203.0.113.5");
    expect(rateLimitSubject("unknown", 64)).toBe("unknown");
  });
});

describe("trusted proxies", () => {
  it("reads lists of addresses and ranges", () => {
    expect(parseProxyList("127.0.0.1, 10.0.0.0/8 ,fd00::/8,::1")).toEqual({
      ok: true,
      ranges: ["127.0.0.1/32", "10.0.0.0/8", "fd00::/8", "::1/128"],
    });
    expect(parseProxyList("loopback")).toEqual({ ok: true, ranges: ["127.0.0.0/8", "::1/128"] });
    expect(parseProxyList("::ffff:10.0.0.1")).toEqual({ ok: true, ranges: ["10.0.0.1/32"] });
    for (const bad of ["true", "proxy.example", "10.0.0.0/33", "10.0.0.0/x", "10.1.2.3/8", "::1/129", "1.2.3"]) {
      const parsed = parseProxyList(bad);
      expect(parsed.ok, bad).toBe(false);
    }
    expect(parseProxyList("10.1.2.3/8")).toMatchObject({ problem: expect.stringContaining("did you mean 10.0.0.0/8") });
  });

  const trust = new ProxyTrust(["127.0.0.1/32", "10.0.0.0/8", "fd00::/8"]);

  it("takes the first untrusted address walking from the socket's peer", () => {
    // Our proxy on 127.0.0.1 appended the visitor's address.
    expect(trust.clientOf("127.0.0.1", "203.0.113.7")).toBe("203.0.113.7");
    // What the visitor sent themselves stays to the left and is not believed.
    expect(trust.clientOf("127.0.0.1", "1.1.1.1, 6.6.6.6, 203.0.113.7")).toBe("203.0.113.7");
    // Two proxies of ours: the load balancer (10.x) passed it to nginx (127.0.0.1).
    expect(trust.clientOf("127.0.0.1", "9.9.9.9, 203.0.113.7, 10.1.1.1")).toBe("203.0.113.7");
    expect(trust.clientOf("::ffff:127.0.0.1", "2001:db8::5")).toBe("2001:db8::5");
    expect(trust.clientOf("fd00::2", "[2001:db8::6]")).toBe("2001:db8::6");
    // Every entry trusted: the left-most one.
    expect(trust.clientOf("127.0.0.1", "10.0.0.9, 10.0.0.8")).toBe("10.0.0.9");
    // No header: the proxy itself.
    expect(trust.clientOf("127.0.0.1", undefined)).toBe("127.0.0.1");
    // Garbage where an address should be: the proxy that passed it on.
    expect(trust.clientOf("127.0.0.1", "203.0.113.7, not-an-address")).toBe("127.0.0.1");
  });

  it("cannot be fooled by a client that reaches the server directly", () => {
    expect(trust.clientOf("203.0.113.50", "127.0.0.1")).toBe("203.0.113.50");
    expect(trust.clientOf("203.0.113.50", "198.51.100.1, 10.0.0.1")).toBe("203.0.113.50");
    expect(new ProxyTrust([]).clientOf("127.0.0.1", "203.0.113.7")).toBe("127.0.0.1");
  });
});
