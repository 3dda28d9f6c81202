/**
 * The inbox's door (src/federation/inbound.ts): unsigned, badly signed,
 * stale, oversized-in-shape and too frequent posts are refused before any
 * JSON-LD work, with one log line per reason and server a minute.  (What it
 * costs in CPU is measured by `npm run bench -- inbox-door`, bench/RESULTS.md.)
 */
import { createHash, KeyObject } from "node:crypto";
import { signRequest } from "@fedify/fedify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cavageVerifies,
  checkShape,
  digestMatches,
  INBOX_SHAPE,
  rfc9421Verifies,
  readSignatureHeader,
  RefusalLog,
  ServerBudget,
} from "../../src/federation/inbound.ts";
import { startFediverseServer, type FediverseServer } from "../helpers/fediverse.ts";
import { generateRsaKeyPair } from "../helpers/actor-server.ts";
import { captureLogs } from "../helpers/logs.ts";
import { mastodon } from "../helpers/fediverse-shapes.ts";
import { publishDeclaration, startInstance, type TestInstance } from "../helpers/instance.ts";

const records = captureLogs([{ category: "fedify", lowestLevel: "info" }]);

/** A Mastodon status with `n` hashtags (the attack: 3,000 tags in 200 KB). */
function createWithTags(actor: string, inReplyTo: string, n: number) {
  const create = mastodon.reply(actor, inReplyTo, { mention: { href: inReplyTo, name: "@rights" } }) as Record<
    string,
    any
  >;
  create.object.tag = Array.from({ length: n }, (_, i) => ({
    type: "Hashtag",
    href: `https://x.example/tags/t${i}`,
    name: `#t${i}`,
  }));
  return create;
}

describe("signature headers, read without verifying", () => {
  const base = { "content-type": "application/activity+json" };
  it("accepts draft-cavage and RFC 9421 shapes and names the key", () => {
    const cavage = readSignatureHeader(
      new Headers({
        ...base,
        date: new Date().toUTCString(),
        signature:
          'keyId="https://m.example/users/a#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="QUJD"',
      }),
    );
    expect(cavage).toMatchObject({
      ok: true,
      signature: { spec: "draft-cavage-http-signatures-12", coversDigest: true },
    });
    expect(cavage.ok && cavage.signature.keyId.href).toBe("https://m.example/users/a#main-key");
    const rfc = readSignatureHeader(
      new Headers({
        ...base,
        "signature-input":
          'sig1=("@method" "@target-uri" "content-digest");keyid="https://m.example/users/a#main-key";created=1700000000',
        signature: "sig1=:QUJD:",
      }),
    );
    expect(rfc).toMatchObject({
      ok: true,
      signature: { spec: "rfc9421", created: 1_700_000_000_000, coversDigest: true },
    });
  });

  it.each([
    ["no signature", {}],
    [
      "a key that is not http(s)",
      { date: "x", signature: 'keyId="javascript:alert(1)",headers="(request-target) date",signature="QUJD"' },
    ],
    ["no signature value", { signature: 'keyId="https://m.example/k",headers="(request-target) date"' }],
    [
      "not covering date",
      { signature: 'keyId="https://m.example/k",headers="(request-target) digest",signature="QUJD"' },
    ],
    ["a broken Signature-Input", { "signature-input": 'sig1=("@method";keyid="%%%"', signature: "sig1=:::" }],
    [
      "an RFC 9421 label without a value",
      { "signature-input": 'sig1=("@method");keyid="https://m.example/k";created=1', signature: "sig2=:QUJD:" },
    ],
    ["a huge header", { signature: `keyId="https://m.example/${"k".repeat(9000)}"` }],
  ])("refuses %s", (_name, headers) => {
    expect(readSignatureHeader(new Headers({ ...base, ...headers })).ok).toBe(false);
  });
});

describe("body digest", () => {
  const body = new TextEncoder().encode('{"type":"Like"}');
  const sha256 = Buffer.from(createHash("sha256").update(body).digest()).toString("base64");
  it("matches Digest and Content-Digest, and refuses a wrong, malformed, unknown or missing one", () => {
    expect(digestMatches(new Headers({ digest: `SHA-256=${sha256}` }), "draft-cavage-http-signatures-12", body)).toBe(
      true,
    );
    expect(digestMatches(new Headers({ "content-digest": `sha-256=:${sha256}:` }), "rfc9421", body)).toBe(true);
    expect(
      digestMatches(
        new Headers({ digest: `SHA-256=${Buffer.alloc(32).toString("base64")}` }),
        "draft-cavage-http-signatures-12",
        body,
      ),
    ).toBe(false);
    expect(
      digestMatches(
        new Headers({ digest: `SHA-256=${sha256},SHA-512=${Buffer.alloc(64).toString("base64")}` }),
        "draft-cavage-http-signatures-12",
        body,
      ),
    ).toBe(false);
    expect(digestMatches(new Headers({ digest: "SHA-256=!!" }), "draft-cavage-http-signatures-12", body)).toBe(false);
    expect(digestMatches(new Headers({ "content-digest": `sha-256=${sha256}` }), "rfc9421", body)).toBe(false);
    expect(digestMatches(new Headers({ digest: `MD5=${sha256}` }), "draft-cavage-http-signatures-12", body)).toBe(
      false,
    );
    expect(digestMatches(new Headers({}), "rfc9421", body)).toBe(false);
  });
});

describe("draft-cavage signatures checked with a key we hold", () => {
  it("verify as Fedify signs them, and not once anything covered changes", async () => {
    const keys = await generateRsaKeyPair();
    const url = new URL("https://u.example/inbox");
    const signed = await signRequest(
      new Request(url, { method: "POST", headers: { "content-type": "application/activity+json" }, body: "{}" }),
      keys.privateKey,
      new URL("https://m.example/users/a#main-key"),
    );
    const header = readSignatureHeader(signed.headers);
    if (!header.ok || header.signature.cavage == null) throw new Error("not a draft-cavage signature");
    const key = KeyObject.from(keys.publicKey);
    expect(cavageVerifies(url, "POST", signed.headers, header.signature.cavage, key)).toBe(true);
    expect(
      cavageVerifies(new URL("https://u.example/d/x/inbox"), "POST", signed.headers, header.signature.cavage, key),
    ).toBe(false);
    const changed = new Headers(signed.headers);
    changed.set("date", new Date(Date.now() + 1000).toUTCString());
    expect(cavageVerifies(url, "POST", changed, header.signature.cavage, key)).toBe(false);
    expect(cavageVerifies(url, "POST", signed.headers, { ...header.signature.cavage, signature: "QUJD" }, key)).toBe(
      false,
    );
  });
});

describe("RFC 9421 signatures checked with a key we hold", () => {
  it("verify as Fedify signs them; a change, another label or another algorithm is left to Fedify or refused", async () => {
    const keys = await generateRsaKeyPair();
    const url = new URL("https://u.example/inbox?x=1");
    const signed = await signRequest(
      new Request(url, { method: "POST", headers: { "content-type": "application/activity+json" }, body: "{}" }),
      keys.privateKey,
      new URL("https://m.example/users/a#main-key"),
      { spec: "rfc9421" },
    );
    const key = KeyObject.from(keys.publicKey);
    expect(rfc9421Verifies(url, "POST", signed.headers, key)).toBe(true);
    expect(rfc9421Verifies(new URL("https://u.example/inbox"), "POST", signed.headers, key)).toBe(false);
    const changed = new Headers(signed.headers);
    changed.set("content-digest", `sha-256=:${Buffer.alloc(32).toString("base64")}:`);
    expect(rfc9421Verifies(url, "POST", changed, key)).toBe(false);
    const twoLabels = new Headers(signed.headers);
    twoLabels.set(
      "signature-input",
      `${signed.headers.get("signature-input")}, sig2=("@method");keyid="https://x.example/k";created=1`,
    );
    expect(rfc9421Verifies(url, "POST", twoLabels, key)).toBeNull();
    const otherAlg = new Headers(signed.headers);
    otherAlg.set("signature-input", signed.headers.get("signature-input")!.replace(/alg="[^"]*"/, 'alg="ed25519"'));
    expect(rfc9421Verifies(url, "POST", otherAlg, key)).toBeNull();
  });
});

describe("shape budget", () => {
  const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
  it("refuses too many tags, long arrays, too many values, deep nesting, non-objects and bad UTF-8", () => {
    expect(
      checkShape(json({ type: "Create", object: { tag: Array(INBOX_SHAPE.tags).fill({ type: "Hashtag" }) } })).ok,
    ).toBe(true);
    expect(checkShape(json({ type: "Create", object: { tag: Array(INBOX_SHAPE.tags + 1).fill("#x") } }))).toMatchObject(
      { ok: false, reason: expect.stringContaining("tag") },
    );
    expect(checkShape(json({ to: Array(INBOX_SHAPE.arrayItems + 1).fill("x") })).ok).toBe(false);
    expect(checkShape(json({ a: Array.from({ length: 450 }, () => ({ b: [1, 2, 3, 4, 5, 6, 7, 8, 9] })) })).ok).toBe(
      false,
    );
    let deep: unknown = 1;
    for (let i = 0; i < INBOX_SHAPE.depth + 1; i++) deep = { a: deep };
    expect(checkShape(json(deep)).ok).toBe(false);
    expect(checkShape(json([1])).ok).toBe(false);
    expect(checkShape(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d])).ok).toBe(false);
  });
});

describe("per-server budget", () => {
  it("lets a server post up to its budget, charges refusals more, and refills over time", () => {
    let now = 0;
    const budget = new ServerBudget({ max: 10, windowMs: 10_000 }, () => now);
    for (let i = 0; i < 10; i++) {
      expect(budget.waitMs("a.example")).toBe(0);
      budget.charge("a.example", 1);
    }
    expect(budget.waitMs("a.example")).toBe(1000);
    expect(budget.waitMs("b.example")).toBe(0);
    now += 1000;
    expect(budget.waitMs("a.example")).toBe(0);
    budget.charge("a.example", 5);
    expect(budget.waitMs("a.example")).toBe(5000);
  });
});

describe("refusal log", () => {
  it("writes one line per reason and server a minute", () => {
    const log = new RefusalLog(60_000);
    const before = records.length;
    for (let i = 0; i < 50; i++) log.refused("Unsigned", null, 401);
    log.refused("Unsigned", "a.example", 401);
    log.refused("Bad digest", "a.example", 401);
    expect(records.slice(before).map((r) => r.level)).toEqual(["info", "info", "info"]);
  });
});

describe("through a running site", () => {
  let site: TestInstance;
  let remote: FediverseServer;
  let noteUri: string;
  let sharedInbox: string;

  beforeAll(async () => {
    site = await startInstance();
    ({ sharedInbox, note: noteUri } = await publishDeclaration(site, "rights", "Rights"));
    remote = await startFediverseServer({ users: ["mona", "eve"] });
  }, 60_000);

  afterAll(async () => {
    await remote?.close();
    await site?.close();
  });

  it("refuses unsigned junk before Fedify sees it, with one log line and no stack", async () => {
    const junk = JSON.stringify(createWithTags("https://m.example/users/a", noteUri, 3000));
    expect(junk.length).toBeGreaterThan(150_000);
    const before = records.length;
    for (let i = 0; i < 20; i++) {
      const response = await fetch(sharedInbox, {
        method: "POST",
        headers: { "content-type": "application/activity+json" },
        body: junk,
      });
      expect(response.status).toBe(401);
      expect(await response.text()).toMatch(/^Unsigned/);
    }
    const logged = records.slice(before);
    expect(logged.filter((r) => r.category[0] === "fedify" && (r.level === "error" || r.level === "warning"))).toEqual(
      [],
    );
    expect(logged.filter((r) => r.category.join("·") === "undersign·federation·inbox")).toHaveLength(1);
  });

  it("refuses a signed activity over the shape budget with 400 (3,000 tags)", async () => {
    const response = await remote.postSigned({
      inbox: sharedInbox,
      json: createWithTags(remote.actorUri("mona"), noteUri, 3000),
      user: "mona",
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("tag");
    expect(site.db.$client.prepare("SELECT count(*) AS n FROM fed_responses").get()).toEqual({ n: 0 });
  });

  it("refuses a signed activity whose embedded key is not a key with 400, not 500", async () => {
    const update = mastodon.updatePerson(remote.actorUri("mona"), {
      name: "Mona",
      publicKeyPem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
    });
    expect((await remote.postSigned({ inbox: sharedInbox, json: update, user: "mona" })).status).toBe(400);
  });

  it("refuses a changed body, an old date and a forged signature with 401", async () => {
    for (const tamper of ["body", "date-old", "signature"] as const) {
      const response = await remote.postSigned({
        inbox: sharedInbox,
        json: mastodon.like(remote.actorUri("eve"), noteUri),
        user: "eve",
        tamper,
      });
      expect(response.status, tamper).toBe(401);
    }
  });

  it("answers 429 with Retry-After once a server spent its budget, refusals counting five times", async () => {
    const limited = await startInstance({ env: { INBOX_LIMIT_PER_SERVER: "20/1d" } });
    const { sharedInbox, note: noteUri } = await publishDeclaration(limited, "rights", "Rights");
    const other = await startFediverseServer({ users: ["ann"] });
    try {
      const ann = other.actorUri("ann");
      let status = 0;
      let sent = 0;
      // Two forged signatures (5 each), then Likes (1 each): the 20-token budget is spent after ten of them (a day to refill: no timing in it).
      for (let i = 0; i < 2; i++)
        await other.postSigned({
          inbox: sharedInbox,
          json: mastodon.like(ann, noteUri),
          user: "ann",
          tamper: "signature",
        });
      let response: Response | null = null;
      while (status !== 429 && sent < 30) {
        response = await other.postSigned({
          inbox: sharedInbox,
          json: mastodon.like(ann, noteUri, { n: String(sent) }),
          user: "ann",
        });
        status = response.status;
        sent++;
      }
      expect(status).toBe(429);
      expect(sent).toBe(11);
      expect(Number(response!.headers.get("retry-after"))).toBeGreaterThan(0);
      // Another server is not held up by it.
      expect(
        (
          await remote.postSigned({
            inbox: sharedInbox,
            json: mastodon.like(remote.actorUri("mona"), noteUri, { n: "ok" }),
            user: "mona",
          })
        ).status,
      ).toBe(202);
    } finally {
      await other.close();
      await limited.close();
    }
  });
});
