/**
 * Part of the hostile input sweep: the inboxes (`/inbox`, `/d/{slug}/inbox`)
 * of a running instance on loopback, fed by a stand-in fediverse server whose
 * requests are really signed (test/helpers/fediverse.ts):
 *
 * - unsigned garbage: broken and deep JSON, invalid UTF-8, `__proto__` keys,
 *   wrong content types, forged signature headers, bodies over the limit;
 * - signed activities with fields of the wrong type, hostile strings, deep
 *   nesting and broken JSON-LD contexts (seeded; FUZZ_SEED / FUZZ_RUNS);
 * - spoofing by a verified sender: another actor's key, a reply attributed
 *   to someone on another server or whose id is on another host, an Update,
 *   Undo or Delete of someone else's things.
 *
 * No answer is a 5xx (FEDERATION.md: 202, or 400/401/403/413 for what is
 * refused); a refused request writes nothing; a spoofed one changes nothing
 * of anyone else's; what is accepted carries no markup that could run script.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDeclarationBySlug } from "../../src/db/declarations.ts";
import { getPost } from "../../src/db/posts.ts";
import { startFediverseServer, type FediverseServer } from "../helpers/fediverse.ts";
import { AS_CONTEXT, mastodon } from "../helpers/fediverse-shapes.ts";
import { addDeclaration, startInstance, type TestInstance } from "../helpers/instance.ts";
import {
  changedTables,
  deepJson,
  Gen,
  hostileString,
  iterations,
  RUNS,
  SCRIPT_PAYLOADS,
  scriptableMarkup,
  SEED,
  snapshot,
  where,
  wrongType,
} from "./hostile.ts";

let site: TestInstance;
let remote: FediverseServer;
let other: FediverseServer;
let actorUri: string;
let noteUri: string;
let sharedInbox: string;

const rows = (sql: string) => site.db.$client.prepare(sql).all() as Record<string, unknown>[];

beforeAll(async () => {
  site = await startInstance();
  addDeclaration(site.db, { slug: "rights", title: "Rights" });
  await site.publish();
  [remote, other] = await Promise.all([
    startFediverseServer({ users: ["mona", "eve"] }),
    startFediverseServer({ users: ["victor"] }),
  ]);
  actorUri = `${site.origin}/d/rights`;
  sharedInbox = `${site.origin}/inbox`;
  noteUri = `${site.origin}/ap/notes/${getPost(site.db, getDeclarationBySlug(site.db, "rights")!.id, "announcement")!.uuid}`;
  // What mona has here, which eve will try to change: a signature and a reply.
  const mona = remote.actorUri("mona");
  expect(
    (await remote.postSigned({ inbox: sharedInbox, json: mastodon.like(mona, noteUri, { n: "1" }), user: "mona" }))
      .status,
  ).toBe(202);
  const reply = mastodon.reply(mona, noteUri, { mention: { href: actorUri, name: "@rights" } }, { n: "2" });
  expect((await remote.postSigned({ inbox: sharedInbox, json: reply, user: "mona" })).status).toBe(202);
  expect(rows("SELECT count(*) AS n FROM fed_responses")).toEqual([{ n: 1 }]);
}, 60_000);

afterAll(async () => {
  await remote?.close();
  await other?.close();
  await site?.close();
});

/** Everything mona has here: what no one else may change. */
function monasThings() {
  const actor = rows(`SELECT id, uri, name, url, icon_url, inbox FROM remote_actors WHERE uri LIKE '%/users/mona'`);
  const id = Number(actor[0]?.id ?? -1);
  return {
    actor,
    signatures: rows(
      `SELECT id, status, name, revision, website FROM signatures WHERE remote_actor_id = ${id} ORDER BY id`,
    ),
    reactions: rows(`SELECT activity_uri, object_uri FROM fed_reactions WHERE actor_id = ${id} ORDER BY id`),
    responses: rows(`SELECT uri, content_html, summary, hidden FROM fed_responses WHERE actor_id = ${id} ORDER BY id`),
  };
}

const ALLOWED = new Set([202, 400, 401, 403, 404, 405, 406, 410, 413, 415, 431]);

describe("unsigned garbage", () => {
  const bodies: [string, BodyInit][] = [
    ["broken JSON", "{not json"],
    ["empty", ""],
    ["null", "null"],
    ["an array", "[]"],
    ["a number", "1"],
    ["10,000 nested arrays", deepJson(10_000)],
    ["10,000 nested objects", deepJson(10_000, "object")],
    ["invalid UTF-8", new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
    ["__proto__ keys", '{"__proto__":{"type":"Like"},"constructor":{"prototype":{"x":1}},"type":"Like"}'],
    ["a lone surrogate", '{"type":"Like","id":"\\ud800","actor":"\\udc00"}'],
    ["NUL bytes", '{"type":"Like\\u0000","id":"https://x.example/\\u0000"}'],
    ["300 KB", JSON.stringify({ type: "Like", padding: "x".repeat(300 * 1024) })],
    [
      "an @context that is not a URL",
      '{"@context":"\u00e9","type":"Like","id":"https://x.example/1","actor":"https://x.example/a","object":"https://x.example/o"}',
    ],
    [
      "an @context with an unknown scheme",
      '{"@context":"x:y","type":"Like","id":"https://x.example/1","actor":"https://x.example/a","object":"https://x.example/o"}',
    ],
    [
      "an @context on a closed port",
      '{"@context":"https://127.0.0.1:9/ctx","type":"Like","id":"https://x.example/1","actor":"https://x.example/a","object":"https://x.example/o"}',
    ],
  ];
  const headers: [string, Record<string, string>][] = [
    ["activity+json", { "content-type": "application/activity+json" }],
    ["ld+json", { "content-type": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"' }],
    [
      "a forged cavage signature",
      {
        "content-type": "application/activity+json",
        signature: 'keyId="https://127.0.0.1:9/key",algorithm="rsa-sha256",headers="(request-target)",signature="AAAA"',
      },
    ],
    [
      "a signature with a javascript: key",
      {
        "content-type": "application/activity+json",
        signature: 'keyId="javascript:alert(1)",headers="date",signature="x"',
      },
    ],
    [
      "a broken RFC 9421 signature",
      {
        "content-type": "application/activity+json",
        "signature-input": 'sig1=("@method";keyid="%%%"',
        signature: "sig1=:::",
      },
    ],
    [
      "a huge signature header",
      { "content-type": "application/activity+json", signature: `keyId="${"k".repeat(60_000)}"` },
    ],
  ];

  it("is refused with a 4xx and writes nothing", async () => {
    const problems: string[] = [];
    for (const [bodyName, body] of bodies) {
      for (const [headerName, h] of headers) {
        for (const inbox of [sharedInbox, `${actorUri}/inbox`]) {
          const before = snapshot(site.db);
          let res: Response;
          try {
            res = await fetch(inbox, { method: "POST", headers: h, body, signal: AbortSignal.timeout(10_000) });
            await res.arrayBuffer();
          } catch (error) {
            problems.push(`${bodyName} with ${headerName} to ${new URL(inbox).pathname}: no answer (${String(error)})`);
            continue;
          }
          if (process.env.FUZZ_VERBOSE) console.log(bodyName, headerName, res.status);
          const label = `${bodyName} with ${headerName} to ${new URL(inbox).pathname} → ${res.status}`;
          if (res.status < 400 || res.status >= 500) problems.push(`${label}: expected a refusal`);
          if (
            bodyName === "300 KB" &&
            res.status !== 413 &&
            !(headerName === "a huge signature header" && res.status === 431)
          )
            problems.push(`${label}: expected 413`);
          const changed = changedTables(before, snapshot(site.db));
          if (changed.length > 0) problems.push(`${label}: changed ${changed.join(", ")}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe("signed activities with hostile fields", () => {
  it(
    "never get a 5xx; what is refused writes nothing; what is kept carries no script",
    async () => {
      const gen = new Gen(SEED).fork("inbox");
      const eve = remote.actorUri("eve");
      const shapes: (() => Record<string, unknown>)[] = [
        () => mastodon.like(eve, noteUri),
        () => mastodon.announce(eve, noteUri, actorUri),
        () => mastodon.follow(eve, actorUri),
        () =>
          mastodon.reply(eve, noteUri, {
            mention: { href: actorUri, name: "@rights" },
            content: gen.pick(SCRIPT_PAYLOADS),
          }),
        () => mastodon.flag(remote.instanceActorUri, actorUri, [noteUri], hostileString(gen)),
        () => mastodon.deleteStatus(eve, `${eve}/statuses/${gen.int(1000)}`),
        () => ({
          "@context": AS_CONTEXT,
          id: `${eve}#undo/${gen.int(1e6)}`,
          type: "Undo",
          actor: eve,
          object: `${eve}#likes/${gen.int(100)}`,
        }),
      ];
      const mutations: ((a: Record<string, unknown>) => void)[] = [
        (a) => {
          const keys = Object.keys(a).filter((k) => k !== "actor");
          a[gen.pick(keys)] = wrongType(gen);
        },
        (a) => {
          const keys = Object.keys(a).filter((k) => k !== "actor");
          a[gen.pick(keys)] = hostileString(gen);
        },
        (a) => {
          const object = a.object;
          if (object != null && typeof object === "object" && !Array.isArray(object)) {
            const o = object as Record<string, unknown>;
            o[gen.pick(Object.keys(o))] = gen.chance(0.5) ? wrongType(gen) : hostileString(gen);
          } else a.object = { type: "Note", id: hostileString(gen), content: gen.pick(SCRIPT_PAYLOADS) };
        },
        (a) => {
          a["@context"] = gen.pick<unknown>([
            null,
            5,
            [null],
            { "@vocab": 1 },
            [AS_CONTEXT, { "@protected": "x" }],
            [AS_CONTEXT, { type: "@id" }],
            "not a url",
            [AS_CONTEXT, { id: null }],
          ]);
        },
        (a) => {
          let nested: unknown = noteUri;
          for (let i = 0; i < gen.pick([100, 1000, 3000]); i++)
            nested = { type: "Note", id: `${eve}/n/${i}`, object: nested, inReplyTo: noteUri };
          a.object = nested;
        },
        (a) => {
          let nested: unknown = noteUri;
          for (let i = 0; i < 5000; i++) nested = [nested];
          a[gen.pick(["object", "to", "cc", "tag"])] = nested;
        },
        (a) => {
          Object.defineProperty(a, "__proto__", {
            value: { type: "Delete", object: actorUri },
            enumerable: true,
            configurable: true,
            writable: true,
          });
          // biome-ignore lint/complexity/useLiteralKeys: an own property named "constructor", set as hostile input
          (a as Record<string, unknown>)["constructor"] = { prototype: { polluted: true } };
        },
        (a) => {
          // Dates of the wrong type (a boolean made Fedify's decoder throw).
          const object =
            a.object != null && typeof a.object === "object" && !Array.isArray(a.object)
              ? (a.object as Record<string, unknown>)
              : a;
          object[gen.pick(["published", "updated"])] = gen.pick<unknown>([
            false,
            true,
            0,
            {},
            [],
            "not a date",
            "2026-13-45T99:99:99Z",
            { "@value": 5 },
          ]);
        },
        (a) => {
          a.type = gen.pick<unknown>([
            ["Like", "Announce"],
            "",
            "Like\u0000",
            null,
            7,
            "__proto__",
            "Object",
            "Delete",
          ]);
        },
      ];
      const problems: string[] = [];
      const n = iterations(60);
      for (let i = 0; i < n; i++) {
        const activity = gen.pick(shapes)();
        const applied = [gen.int(mutations.length)];
        if (gen.chance(0.3)) applied.push(gen.int(mutations.length));
        for (const m of applied) mutations[m]!(activity);
        const user = activity.actor === remote.instanceActorUri ? "__instance__" : "eve";
        const before = snapshot(site.db);
        const mona = monasThings();
        let status: number;
        let label: string;
        try {
          label = JSON.stringify(activity).slice(0, 300);
        } catch {
          label = "(too deep to show)";
        }
        let request: Request;
        try {
          request = await remote.signedRequest({
            inbox: gen.chance(0.5) ? sharedInbox : `${actorUri}/inbox`,
            json: activity,
            user,
          });
        } catch (error) {
          // JSON.stringify of the sender itself may refuse (too deep): not a request.
          if (error instanceof RangeError) continue;
          throw error;
        }
        if (process.env.FUZZ_VERBOSE) console.log(i, applied, label);
        try {
          const res = await fetch(request, { signal: AbortSignal.timeout(15_000) });
          await res.arrayBuffer();
          status = res.status;
        } catch (error) {
          problems.push(`${where("signed", i, label)}: no answer (${String(error)})`);
          continue;
        }
        const context = where("signed", i, `${label} → ${status}`);
        if (!ALLOWED.has(status)) problems.push(`${context}: status`);
        if (status >= 400) {
          const changed = changedTables(before, snapshot(site.db));
          if (changed.length > 0) problems.push(`${context}: a refused activity changed ${changed.join(", ")}`);
        }
        expect(monasThings(), `${context}: eve changed mona's things`).toEqual(mona);
      }
      // Whatever was kept shows no markup that could run script.
      for (const r of rows("SELECT content_html, summary FROM fed_responses")) {
        const markup = scriptableMarkup(String(r.content_html));
        if (markup.length > 0) problems.push(`a stored reply: ${markup.join(" | ")}`);
      }
      for (const path of ["/d/rights", "/d/rights/signatures"]) {
        const markup = scriptableMarkup(await (await fetch(`${site.origin}${path}`)).text());
        if (markup.length > 0) problems.push(`${path}: ${markup.join(" | ")}`);
      }
      expect(problems).toEqual([]);
    },
    120_000 * RUNS,
  );
});

describe("spoofing by a verified sender", () => {
  async function asEve(
    json: Record<string, unknown>,
    options: { tamper?: "keyId-other-actor"; claimActor?: string } = {},
  ) {
    const mona = monasThings();
    const before = snapshot(site.db);
    const res = await remote.postSigned({ inbox: sharedInbox, json, user: "eve", ...options });
    await res.arrayBuffer();
    expect(ALLOWED.has(res.status), `status ${res.status}`).toBe(true);
    expect(monasThings()).toEqual(mona);
    return { status: res.status, changed: changedTables(before, snapshot(site.db)) };
  }

  const content = ["fed_responses", "fed_reactions", "fed_boosts", "signatures", "followers", "declarations"];
  const eve = () => remote.actorUri("eve");
  const mona = () => remote.actorUri("mona");

  it("an activity claiming another actor than the key's owner is refused (401) and writes nothing", async () => {
    const result = await asEve(mastodon.like(mona(), noteUri, { n: "77" }), {
      tamper: "keyId-other-actor",
      claimActor: mona(),
    });
    expect(result.status).toBe(401);
    expect(result.changed).toEqual([]);
  });

  it("a reply attributed to someone on another server is not kept", async () => {
    const reply = mastodon.reply(
      eve(),
      noteUri,
      { mention: { href: actorUri, name: "@rights" }, content: "<p>victor says</p>" },
      { n: "3" },
    ) as Record<string, any>;
    reply.object.attributedTo = other.actorUri("victor");
    const result = await asEve(reply);
    expect(result.changed.filter((t) => content.includes(t))).toEqual([]);
  });

  it("a reply whose id is on another host is not kept", async () => {
    const reply = mastodon.reply(
      eve(),
      noteUri,
      { mention: { href: actorUri, name: "@rights" }, content: "<p>elsewhere</p>" },
      { n: "4" },
    ) as Record<string, any>;
    reply.object.id = `${other.origin}/users/victor/statuses/4`;
    const result = await asEve(reply);
    expect(result.changed.filter((t) => content.includes(t))).toEqual([]);
  });

  it("a Note claiming to be one of our own posts is not taken for one", async () => {
    const reply = mastodon.reply(
      eve(),
      noteUri,
      { mention: { href: actorUri, name: "@rights" }, content: "<p>ours?</p>" },
      { n: "5" },
    ) as Record<string, any>;
    reply.object.id = `${site.origin}/ap/notes/00000000-0000-4000-8000-000000000000`;
    const result = await asEve(reply);
    expect(result.changed.filter((t) => content.includes(t))).toEqual([]);
  });

  it("eve cannot update mona's profile, undo mona's Like, delete mona's reply or mona's account", async () => {
    const pem = await remote.publicKeyPem("eve");
    const update = mastodon.updatePerson(mona(), {
      name: "<script>__xss.push('spoof')</script>",
      publicKeyPem: pem,
    }) as Record<string, unknown>;
    update.actor = eve();
    await asEve(update);
    await asEve({
      "@context": AS_CONTEXT,
      id: `${eve()}#undo/1`,
      type: "Undo",
      actor: eve(),
      object: `${mona()}#likes/1`,
    });
    await asEve({ ...mastodon.undoLike(mona(), noteUri, { n: "1" }), actor: eve() });
    await asEve({ ...mastodon.deleteStatus(mona(), `${mona()}/statuses/2`), actor: eve() });
    await asEve({ "@context": AS_CONTEXT, id: `${eve()}#delete`, type: "Delete", actor: eve(), object: mona() });
    const update2 = mastodon.reply(
      mona(),
      noteUri,
      { mention: { href: actorUri, name: "@rights" }, content: "<p>changed by eve</p>" },
      { n: "2" },
    ) as Record<string, any>;
    await asEve({ ...update2, type: "Update", actor: eve() });
    expect(rows("SELECT name FROM signatures WHERE status = 'confirmed' AND name = 'Mona'")).toEqual([
      { name: "Mona" },
    ]);
  });
});

describe("a Flag naming javascript: and data: objects", () => {
  it("is kept as a report, and the admin's page links none of them", async () => {
    const flag = mastodon.flag(
      remote.instanceActorUri,
      actorUri,
      [noteUri, "javascript:__xss.push('flag')", "data:text/html,<script>alert(1)</script>"],
      "<script>__xss.push('report')</script>",
    );
    const res = await remote.postSigned({ inbox: sharedInbox, json: flag, user: "__instance__" });
    expect(res.status).toBe(202);
    const [report] = rows(`SELECT object_uris FROM fed_reports WHERE activity_uri = '${flag.id as string}'`);
    expect(String(report!.object_uris)).toContain("javascript:");
    const { createAccount } = await import("../../src/db/accounts.ts");
    createAccount(site.db, { username: "root", passwordHash: "unused", role: "admin" });
    const { createSession, findAccountByUsername } = await import("../../src/db/accounts.ts");
    const { token } = createSession(site.db, findAccountByUsername(site.db, "root")!.id);
    // An http:// site: the cookie has no __Host- prefix.
    const page = await site.app.request("/admin/federation", { headers: { Cookie: `session=${token}` } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("__xss.push(&#39;flag&#39;)".slice(0, 10));
    expect(scriptableMarkup(html)).toEqual([]);
  });
});
