/**
 * The hostile input sweep over every form and the JSON API, in process
 * (`app.request`).  Every POST route the app declares has an entry in
 * TARGETS (a test fails when a new one has none).  Each target gets its own
 * seeded stream of requests: the fields of the real form (read from the page
 * that shows it) with hostile values, fields missing, doubled, or by the
 * thousand, broken percent-encoding and invalid UTF-8, bodies over the
 * limit, wrong content types, and JSON of the wrong shape; the JSON API also
 * gets wrong types, 10,000-level nesting and `__proto__` keys.
 *
 * Every answer must be below 500, its HTML must carry no markup that could
 * run script, and a refused request (4xx) must leave every content table as
 * it was.  No request reaches the network: outgoing connections are refused
 * on the spot, and one to a private or loopback address fails the test.
 *
 * Replay or deepen: FUZZ_SEED=<n> FUZZ_RUNS=<factor> npx vitest run test/fuzz
 * (FUZZ_RUNS=10 runs ten times as many requests per target).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount, findAccountByUsername, setRegistrationMode } from "../../src/db/accounts.ts";
import type { Db } from "../../src/db/client.ts";
import { createDeclaration, getDeclarationBySlug } from "../../src/db/declarations.ts";
import { createTranslation } from "../../src/db/translations.ts";
import { insertBotApp, upsertConnection } from "../../src/db/bot.ts";
import { addReport, addResponse, upsertRemoteActor } from "../../src/db/fediverse.ts";
import { addVisitorReport } from "../../src/db/moderation.ts";
import { addReaction, holdServer } from "../../src/db/reactions.ts";
import { recountSignatures } from "../../src/db/signatures.ts";
import { sealToken } from "../../src/bot/secrets.ts";
import { loggedIn } from "../helpers/accounts.ts";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { csrfFrom, signForm, tokenFrom, type CsrfPair } from "../helpers/forms.ts";
import {
  BROKEN_FORM_BODIES,
  ODD_FORM_BODIES,
  changedTables,
  deepJson,
  Gen,
  guardConnections,
  hostileString,
  formsOn,
  hostileUrls,
  iterations,
  RUNS,
  scriptableMarkup,
  SCRIPT_PAYLOADS,
  SEED,
  snapshot,
  where,
  wrongType,
  type ConnectionGuard,
} from "./hostile.ts";

const BOT_TOKEN_KEY = "0123456789abcdef".repeat(4);

type Who = "anon" | "author" | "admin";

interface Target {
  /** As Hono lists it: `POST /d/:slug/sign`. */
  readonly route: string;
  readonly path: string;
  readonly who: Who;
  /** The page whose form posts here (its fields are the starting point). */
  readonly page?: string;
  /** Fields to send besides (or instead of) the page's. */
  readonly fields?: Record<string, string>;
  readonly kind?: "form" | "json" | "multipart";
  /** The route's body limit in bytes: a body over it must get 413. */
  readonly limit: number;
  /** Statuses in the 5xx range this route documents (an unreachable remote server: 502). */
  readonly gateway?: boolean;
  /** What it acts on may be gone after the first success (404 from then on). */
  readonly vanishes?: boolean;
}

const KB = 1024;
const DECL = "test-declaration";
const COPY = "fuzz-copy";

let t: Awaited<ReturnType<typeof createTestApp>>;
let guard: ConnectionGuard;
let who: Record<Who, CsrfPair>;
let signerToken: string;
let TARGETS: Target[];

function targets(): Target[] {
  const s = `/s/${signerToken}`;
  return [
    { route: "POST /d/:slug/sign", path: `/d/${DECL}/sign`, who: "anon", page: `/d/${DECL}/sign`, limit: 16 * KB },
    {
      route: "POST /api/declarations/:slug/signatures",
      path: `/api/declarations/${DECL}/signatures`,
      who: "anon",
      kind: "json",
      limit: 16 * KB,
    },
    { route: "POST /s/:token/withdraw", path: `${s}/withdraw`, who: "anon", limit: 16 * KB },
    {
      route: "POST /s/:token/mail",
      path: `${s}/mail`,
      who: "anon",
      fields: { email: "a@example.org" },
      limit: 16 * KB,
    },
    { route: "POST /s/:token/resign", path: `${s}/resign`, who: "anon", limit: 16 * KB },
    { route: "POST /s/:token/also", path: `${s}/also`, who: "anon", fields: { slugs: DECL }, limit: 16 * KB },
    { route: "POST /s/confirm/:token", path: `/s/confirm/${"A".repeat(43)}`, who: "anon", limit: 16 * KB },
    { route: "POST /register", path: "/register", who: "anon", page: "/register", limit: 8 * KB },
    { route: "POST /login", path: "/login", who: "anon", page: "/login", limit: 8 * KB },
    { route: "POST /logout", path: "/logout", who: "author", page: "/account", limit: 8 * KB },
    { route: "POST /admin/registration", path: "/admin/registration", who: "admin", page: "/admin", limit: 8 * KB },
    { route: "POST /admin/invites", path: "/admin/invites", who: "admin", page: "/admin", limit: 8 * KB },
    { route: "POST /d/:slug/copy", path: `/d/${DECL}/copy`, who: "author", page: `/d/${DECL}/copy`, limit: 2048 * KB },
    { route: "POST /d/:slug/edit", path: `/d/${COPY}/edit`, who: "author", page: `/d/${COPY}/edit`, limit: 2048 * KB },
    { route: "POST /d/:slug/publish", path: `/d/${COPY}/publish`, who: "author", limit: 16 * KB },
    { route: "POST /d/:slug/unpublish", path: `/d/${COPY}/unpublish`, who: "author", limit: 16 * KB },
    {
      route: "POST /d/:slug/translations/new",
      path: `/d/${DECL}/translations/new`,
      who: "author",
      page: `/d/${DECL}/translations/new`,
      limit: 2048 * KB,
    },
    {
      route: "POST /d/:slug/translations/:language/edit",
      path: `/d/${DECL}/translations/de/edit`,
      who: "author",
      page: `/d/${DECL}/translations/de/edit`,
      limit: 2048 * KB,
    },
    {
      route: "POST /d/:slug/translations/:language/publish",
      path: `/d/${DECL}/translations/de/publish`,
      who: "author",
      limit: 16 * KB,
    },
    {
      route: "POST /copy/elsewhere",
      path: "/copy/elsewhere",
      who: "author",
      page: "/copy/elsewhere",
      fields: { source: "https://elsewhere.example/d/x" },
      limit: 2048 * KB,
      gateway: true,
    },
    {
      route: "POST /d/:slug/merge",
      path: `/d/${COPY}/merge`,
      who: "author",
      fields: { base: "1", upstream: "1", step: "edit" },
      limit: 2048 * KB,
    },
    {
      route: "POST /d/:slug/interact",
      path: `/d/${DECL}/interact`,
      who: "anon",
      page: `/d/${DECL}/interact`,
      limit: 16 * KB,
    },
    { route: "POST /d/:slug/responses/:id/hide", path: `/d/${DECL}/responses/1/hide`, who: "admin", limit: 16 * KB },
    { route: "POST /d/:slug/responses/:id/show", path: `/d/${DECL}/responses/1/show`, who: "admin", limit: 16 * KB },
    {
      route: "POST /admin/federation/reports/:id/resolve",
      path: "/admin/federation/reports/1/resolve",
      who: "admin",
      limit: 16 * KB,
    },
    {
      route: "POST /admin/federation/blocks",
      path: "/admin/federation/blocks",
      who: "admin",
      page: "/admin/federation",
      limit: 16 * KB,
    },
    {
      route: "POST /admin/federation/blocks/remove",
      path: "/admin/federation/blocks/remove",
      who: "admin",
      fields: { domain: "blocked.example" },
      limit: 16 * KB,
    },
    {
      route: "POST /admin/federation/servers/hold",
      path: "/admin/federation/servers/hold",
      who: "admin",
      fields: { host: "remote.example" },
      limit: 16 * KB,
    },
    {
      route: "POST /admin/federation/servers/release",
      path: "/admin/federation/servers/release",
      who: "admin",
      fields: { host: "remote.example" },
      limit: 16 * KB,
    },
    {
      route: "POST /admin/federation/held/:id/release",
      path: "/admin/federation/held/2/release",
      who: "admin",
      fields: { host: "remote.example" },
      vanishes: true,
      limit: 16 * KB,
    },
    {
      route: "POST /admin/federation/held/:id/remove",
      path: "/admin/federation/held/3/remove",
      who: "admin",
      fields: { host: "remote.example" },
      vanishes: true,
      limit: 16 * KB,
    },
    {
      route: "POST /admin/federation/servers/remove",
      path: "/admin/federation/servers/remove",
      who: "admin",
      fields: { host: "remote.example", confirm: "yes" },
      vanishes: true,
      limit: 16 * KB,
    },
    {
      route: "POST /admin/federation/signing",
      path: "/admin/federation/signing",
      who: "admin",
      page: "/admin/federation",
      limit: 16 * KB,
    },
    { route: "POST /admin/strike", path: "/admin/strike", who: "admin", page: "/admin/strike", limit: 512 * KB },
    { route: "POST /admin/strike/pause", path: "/admin/strike/pause", who: "admin", limit: 512 * KB },
    { route: "POST /admin/strike/resume", path: "/admin/strike/resume", who: "admin", limit: 512 * KB },
    {
      route: "POST /admin/strike/post-now",
      path: "/admin/strike/post-now",
      who: "admin",
      fields: { declaration: DECL },
      limit: 512 * KB,
    },
    {
      route: "POST /admin/strike/post-now/confirm",
      path: "/admin/strike/post-now/confirm",
      who: "admin",
      fields: { declaration: DECL },
      limit: 512 * KB,
    },
    { route: "POST /bot/connect", path: "/bot/connect", who: "author", page: "/bot", limit: 16 * KB, gateway: true },
    { route: "POST /bot/signout", path: "/bot/signout", who: "anon", limit: 16 * KB },
    {
      route: "POST /bot/:id{[0-9]+}/plan",
      path: "/bot/1/plan",
      who: "author",
      fields: { "template-1": "On strike", cadence: "daily", times: "09:00" },
      limit: 64 * KB,
    },
    { route: "POST /bot/:id{[0-9]+}/pause", path: "/bot/1/pause", who: "author", limit: 16 * KB },
    { route: "POST /bot/:id{[0-9]+}/resume", path: "/bot/1/resume", who: "author", limit: 16 * KB },
    {
      route: "POST /bot/:id{[0-9]+}/disconnect",
      path: "/bot/1/disconnect",
      who: "author",
      vanishes: true,
      limit: 16 * KB,
    },
    { route: "POST /strike/pledge", path: "/strike/pledge", who: "anon", page: "/strike", limit: 16 * KB },
    {
      route: "POST /admin/introduction",
      path: "/admin/introduction",
      who: "admin",
      page: "/admin/introduction",
      limit: 64 * KB,
    },
    {
      route: "POST /d/:slug/report",
      path: `/d/${DECL}/report`,
      who: "anon",
      page: `/d/${DECL}/report`,
      limit: 16 * KB,
    },
    {
      route: "POST /admin/declarations/:slug",
      path: `/admin/declarations/${COPY}`,
      who: "admin",
      page: `/admin/declarations/${COPY}`,
      fields: { action: "hide", reason: "Fuzzing" },
      limit: 16 * KB,
    },
    {
      route: "POST /admin/declarations/reports/:kind/:id",
      path: "/admin/declarations/reports/visitor/1",
      who: "admin",
      fields: { resolution: "dismiss" },
      vanishes: true,
      limit: 16 * KB,
    },
    {
      route: "POST /admin/pages/:slug",
      path: "/admin/pages/faq",
      who: "admin",
      page: "/admin/pages/faq",
      limit: 2048 * KB,
    },
    {
      route: "POST /admin/media",
      path: "/admin/media",
      who: "admin",
      kind: "multipart",
      limit: 10 * 1024 * KB + 64 * KB,
    },
    {
      route: "POST /admin/media/:id",
      path: "/admin/media/1",
      who: "admin",
      fields: { alt: "An image", title: "Image" },
      limit: 16 * KB,
    },
    { route: "POST /admin/media/:id/delete", path: "/admin/media/1/delete", who: "admin", limit: 16 * KB },
  ];
}

// ---------------------------------------------------------------------------
// Requests

interface Attempt {
  label: string;
  body: BodyInit | null;
  contentType: string | null;
  /** The status this attempt must get, when it is known. */
  expect?: (status: number) => boolean;
  expectText?: string;
  /** Send without the form's CSRF token (and expect a refusal). */
  noCsrf?: boolean;
}

function encode(pairs: [string, string][]): string {
  // encodeURIComponent throws on lone surrogates: write them as a browser would (U+FFFD).
  const safe = (s: string) => encodeURIComponent(s.toWellFormed());
  return pairs.map(([k, v]) => `${safe(k)}=${safe(v)}`).join("&");
}

/** The base fields of a target: the page's form, the target's own, the CSRF token. */
async function baseFields(
  target: Target,
  csrf: CsrfPair,
): Promise<{ fields: [string, string][]; buttons: [string, string][] }> {
  let fields: [string, string][] = [];
  let buttons: [string, string][] = [];
  if (target.page != null) {
    const res = await t.app.request(target.page, { headers: { Cookie: csrf.cookie } });
    expect(res.status, `GET ${target.page} as ${target.who}`).toBe(200);
    const forms = formsOn(await res.text());
    const form = forms.find((f) => f.action.replace(/[?#].*$/, "") === target.path);
    expect(
      form,
      `a form posting to ${target.path} on ${target.page} (found ${forms.map((f) => f.action).join(", ")})`,
    ).toBeDefined();
    fields = form!.fields.filter(([k]) => k !== "csrf");
    buttons = form!.buttons;
  }
  for (const [k, v] of Object.entries(target.fields ?? {})) {
    fields = fields.filter(([name]) => name !== k);
    fields.push([k, v]);
  }
  return { fields, buttons };
}

function formAttempts(
  gen: Gen,
  target: Target,
  base: [string, string][],
  buttons: [string, string][],
  csrf: string,
): Attempt {
  const withCsrf = (pairs: [string, string][]): [string, string][] => [["csrf", csrf], ...pairs];
  const button = buttons.length > 0 ? [gen.pick(buttons)] : [];
  const form = "application/x-www-form-urlencoded";
  const tooLarge = (s: number) => s === 413;
  switch (gen.int(14)) {
    case 12:
    case 13: {
      // One field hostile, the rest as the page gave them: these are often accepted.
      const pairs = [...base, ...button];
      if (pairs.length > 0) {
        const k = gen.int(pairs.length);
        pairs[k] = [pairs[k]![0], gen.chance(0.5) ? gen.pick(SCRIPT_PAYLOADS) : hostileString(gen)];
      }
      const body = encode(withCsrf(pairs));
      return {
        label: `one field ${body.slice(0, 300)}`,
        body,
        contentType: form,
        ...(body.length > target.limit ? { expect: tooLarge } : {}),
      };
    }
    case 0:
    case 1:
    case 2:
    case 3: {
      // The form's fields with hostile values, some missing, some doubled, some extra.
      const pairs: [string, string][] = [];
      for (const [k, v] of [...base, ...button]) {
        if (gen.chance(0.15)) continue;
        pairs.push([k, gen.chance(0.6) ? hostileString(gen) : v]);
        if (gen.chance(0.1)) pairs.push([k, hostileString(gen)]);
      }
      if (gen.chance(0.3)) pairs.push([hostileString(gen).slice(0, 200), hostileString(gen)]);
      const body = encode(withCsrf(pairs));
      return {
        label: `fields ${body.slice(0, 300)}`,
        body,
        contentType: form,
        ...(body.length > target.limit ? { expect: tooLarge } : {}),
      };
    }
    case 4: {
      const invalid = gen.chance(0.5);
      const broken = gen.pick(invalid ? BROKEN_FORM_BODIES : ODD_FORM_BODIES);
      const prefix = `${encode(withCsrf(base))}&`;
      const body = typeof broken === "string" ? prefix + broken : Buffer.concat([Buffer.from(prefix), broken]);
      const label = `${invalid ? "invalid" : "odd"} encoding ${JSON.stringify(typeof broken === "string" ? broken : Buffer.from(broken).toString("hex"))}`;
      return { label, body, contentType: form, ...(invalid ? { expect: (s: number) => s === 400 } : {}) };
    }
    case 5: {
      // Thousands of fields, under the size limit.
      const n = Math.min(5000, Math.floor((target.limit - 200 - encode(base).length) / 4));
      const body = `${encode(withCsrf(base))}&${Array.from({ length: n }, (_, i) => `${i % 10}=`).join("&")}`;
      return { label: `${n} extra fields`, body, contentType: form };
    }
    case 6: {
      const size = target.limit + 1 + gen.int(4096);
      return {
        label: `${size} bytes`,
        body: `${encode(withCsrf(base))}&pad=${"x".repeat(size)}`,
        contentType: form,
        expect: tooLarge,
      };
    }
    case 7: {
      const type = gen.pick([
        "text/plain",
        "application/json",
        "multipart/form-data; boundary=x",
        "application/xml",
        "",
        "application/x-www-form-urlencoded; charset=iso-8859-1",
      ]);
      const body = type.startsWith("application/json")
        ? JSON.stringify(Object.fromEntries(withCsrf(base)))
        : encode(withCsrf(base));
      const ok = type.startsWith("application/x-www-form-urlencoded");
      return {
        label: `content type ${JSON.stringify(type)}`,
        body,
        contentType: type === "" ? null : type,
        ...(ok ? {} : { expect: (s) => s >= 400 && s < 500 }),
      };
    }
    case 8: {
      // Whatever the page answers (a read-only page may be shown again), nothing may be written: see check().
      return {
        label: "no csrf token",
        body: encode([...base, ...button]),
        contentType: form,
        noCsrf: true,
        expect: (s) => s !== 413,
      };
    }
    case 9: {
      // Every field a script payload.
      const pairs = [...base, ...button].map(([k]): [string, string] => [k, gen.pick(SCRIPT_PAYLOADS)]);
      return { label: "script in every field", body: encode(withCsrf(pairs)), contentType: form };
    }
    case 10: {
      // Every field a URL that must not be fetched or linked.
      const pairs = [...base, ...button].map(([k]): [string, string] => [k, gen.pick(hostileUrls(9))]);
      return { label: "hostile URLs in every field", body: encode(withCsrf(pairs)), contentType: form };
    }
    default: {
      return { label: "no body", body: null, contentType: form };
    }
  }
}

function jsonAttempt(gen: Gen, target: Target): Attempt {
  const json = "application/json";
  const valid = {
    name: "Ada Lovelace",
    place: "London",
    website: "https://ada.example/",
    comment: "Yes.",
    email: null,
    public: true,
  };
  switch (gen.int(10)) {
    case 0:
    case 1: {
      const value: Record<string, unknown> = { ...valid };
      for (const k of Object.keys(value)) if (gen.chance(0.5)) value[k] = wrongType(gen);
      const body = JSON.stringify(value);
      return {
        label: `wrong types ${body.slice(0, 200)}`,
        body,
        contentType: json,
        ...(body.length > target.limit ? { expect: (s) => s === 413 } : { expect: (s) => s < 500 }),
      };
    }
    case 2: {
      const value: Record<string, unknown> = { ...valid };
      for (const k of Object.keys(value)) if (gen.chance(0.6)) value[k] = hostileString(gen);
      const body = JSON.stringify(value);
      return { label: `hostile strings ${body.slice(0, 200)}`, body, contentType: json };
    }
    case 3: {
      const depth = gen.pick([1000, 5000, 10_000]);
      const body = gen.chance(0.5) ? deepJson(depth) : `{"name":${deepJson(depth, "object")}}`;
      return { label: `${depth} levels deep`, body, contentType: json, expect: (s) => s === 400 || s === 413 };
    }
    case 4: {
      const body = gen.pick([
        `{"__proto__":{"name":"polluted","public":false},"name":"Proto"}`,
        `{"constructor":{"prototype":{"polluted":true}},"name":"Ctor"}`,
        `{"name":"Ada","name":"Bob"}`,
        `{"name":"Ada","__proto__":null}`,
        `{"toString":"x","name":"Ada"}`,
      ]);
      return { label: `keys ${body}`, body, contentType: json };
    }
    case 5: {
      const body = gen.pick([
        "",
        "null",
        "[]",
        "1",
        '"string"',
        "true",
        "{",
        '{"name":}',
        "{'name':'x'}",
        '{"name":"\\ud800"}',
        '{"name":"a\\u0000b"}',
        "\uFEFF{}",
        "NaN",
        '{"name":1e999}',
      ]);
      return {
        label: `not an object ${JSON.stringify(body)}`,
        body,
        contentType: json,
        expect: (s) => s >= 400 && s < 500,
      };
    }
    case 6: {
      const bytes = Buffer.concat([
        Buffer.from('{"name":"'),
        Buffer.from([gen.pick([0xff, 0xc3, 0xed, 0x80, 0xf8]), 0xa0, 0x80]),
        Buffer.from('"}'),
      ]);
      return { label: "invalid UTF-8", body: bytes, contentType: json, expect: (s) => s === 400 };
    }
    case 7: {
      const size = target.limit + 1 + gen.int(10_000);
      return {
        label: `${size} bytes`,
        body: JSON.stringify({ ...valid, comment: "x".repeat(size) }),
        contentType: json,
        expect: (s) => s === 413,
      };
    }
    case 8: {
      const type = gen.pick([
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/json-patch+json",
        "",
        "multipart/form-data; boundary=x",
      ]);
      return {
        label: `content type ${JSON.stringify(type)}`,
        body: JSON.stringify(valid),
        contentType: type === "" ? null : type,
        expect: (s) => s === 415 || s === 400,
      };
    }
    default: {
      const body = JSON.stringify({ ...valid, [hostileString(gen).slice(0, 50)]: "x" });
      return {
        label: `unknown field ${body.slice(0, 200)}`,
        body,
        contentType: json,
        expect: (s) => s >= 400 && s < 500,
      };
    }
  }
}

function multipartAttempt(gen: Gen, _target: Target, csrf: string): Attempt {
  const boundary = `----fuzz${gen.int(1e9)}`;
  const part = (name: string, value: string | Buffer, filename?: string, type?: string) =>
    Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${filename == null ? "" : `; filename="${filename}"`}\r\n${type == null ? "" : `Content-Type: ${type}\r\n`}\r\n`,
      ),
      Buffer.isBuffer(value) ? value : Buffer.from(value),
      Buffer.from("\r\n"),
    ]);
  const svg = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" onload="__xss.push('svg')"><script>__xss.push('svg2')</script></svg>`,
  );
  const html = Buffer.from(`<html><script>__xss.push('html')</script></html>`);
  const png = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");
  const files: [string, Buffer, string][] = [
    ["x.svg", svg, "image/svg+xml"],
    ["x.png", svg, "image/png"],
    ["x.html", html, "text/html"],
    ["truncated.png", png, "image/png"],
    [hostileString(gen).slice(0, 100), Buffer.from(hostileString(gen)), hostileString(gen).slice(0, 100)],
    ["", Buffer.alloc(0), "application/octet-stream"],
  ];
  const [filename, data, type] = gen.pick(files);
  const parts = [
    part("csrf", csrf),
    part("alt", hostileString(gen)),
    part("title", hostileString(gen)),
    part("file", data, filename.replace(/[\r\n"]/g, "_"), type.replace(/[\r\n]/g, "")),
  ];
  switch (gen.int(4)) {
    case 0:
      return {
        label: "broken multipart",
        body: Buffer.concat([parts[0]!, Buffer.from(`--${boundary}\r\nContent-Disp`)]),
        contentType: `multipart/form-data; boundary=${boundary}`,
      };
    case 1:
      return {
        label: "no boundary",
        body: Buffer.concat(parts),
        contentType: "multipart/form-data",
        expect: (s) => s >= 400 && s < 500,
      };
    default: {
      const body = Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]);
      return {
        label: `upload ${JSON.stringify(filename)} as ${JSON.stringify(type)}`,
        body,
        contentType: `multipart/form-data; boundary=${boundary}`,
        expect: (s) => s >= 400 && s < 500,
      };
    }
  }
}

interface Outcome {
  status: number;
  html: string;
}

async function send(target: Target, attempt: Attempt, as: CsrfPair): Promise<Outcome> {
  const headers: Record<string, string> = { Cookie: as.cookie };
  if (attempt.contentType != null) headers["Content-Type"] = attempt.contentType;
  const res = await t.app.request(target.path, { method: "POST", headers, body: attempt.body });
  const type = res.headers.get("content-type") ?? "";
  let html = "";
  if (type.includes("html")) html = await res.text();
  else await res.arrayBuffer();
  return { status: res.status, html };
}

/**
 * Problems found, collected so that one run reports every kind at once
 * (the first few of each route and kind; the test fails if there is any).
 */
class Findings {
  readonly #seen = new Map<string, number>();
  readonly list: string[] = [];
  add(key: string, message: string): void {
    const n = (this.#seen.get(key) ?? 0) + 1;
    this.#seen.set(key, n);
    if (n <= 2) this.list.push(message);
  }
}

function check(
  findings: Findings,
  name: string,
  i: number,
  target: Pick<Target, "gateway" | "vanishes">,
  attempt: Pick<Attempt, "label" | "expect" | "noCsrf">,
  outcome: Outcome,
  before: Record<string, string>,
  after: Record<string, string>,
) {
  const context = where(name, i, `${attempt.label.slice(0, 300)} → ${outcome.status}`);
  const documented5xx = target.gateway === true && outcome.status === 502;
  if (!(outcome.status < 500 || documented5xx)) findings.add(`${name} 5xx`, `${context}: a server error`);
  else if (
    attempt.expect != null &&
    !attempt.expect(outcome.status) &&
    !(target.vanishes === true && outcome.status === 404)
  )
    findings.add(`${name} status ${attempt.label.split(" ")[0]}`, `${context}: unexpected status`);
  const markup = scriptableMarkup(outcome.html);
  if (markup.length > 0)
    findings.add(`${name} markup`, `${context}: markup that could run script: ${markup.join(" | ").slice(0, 300)}`);
  const changed = outcome.status >= 400 || attempt.noCsrf === true ? changedTables(before, after) : [];
  if (changed.length > 0) findings.add(`${name} stored`, `${context}: a refused request changed ${changed.join(", ")}`);
  if (guard.privateAttempts.length > 0)
    findings.add(`${name} private`, `${context}: connected to ${guard.privateAttempts.splice(0).join(", ")}`);
}

/** What accepted requests must leave whole: counters, foreign keys, every Declaration's current revision. */
function consistent(db: Db, after: string): void {
  const differences = db.transaction((tx) => recountSignatures(tx, false));
  expect(differences, `after ${after}: signature counters equal a recount`).toEqual([]);
  expect(db.$client.prepare("PRAGMA foreign_key_check").all(), `after ${after}: foreign keys`).toEqual([]);
  const missing = db.$client
    .prepare(
      "SELECT d.slug FROM declarations d LEFT JOIN revisions r ON r.declaration_id = d.id AND r.number = d.revision WHERE r.id IS NULL",
    )
    .all();
  expect(missing, `after ${after}: Declarations without their current revision`).toEqual([]);
}

// ---------------------------------------------------------------------------

beforeAll(async () => {
  guard = guardConnections();
  t = await createTestApp({ env: { BOT_TOKEN_KEY } });
  setRegistrationMode(t.db, "open");
  const author = await loggedIn(t, "ada");
  const outcome = createAccount(t.db, { username: "root", passwordHash: "unused", role: "admin" });
  if (outcome.kind !== "created") throw new Error(outcome.kind);
  const admin = await loggedIn(t, "root");
  who = { anon: await csrfFrom(t.app, "/login"), author, admin };
  const ada = findAccountByUsername(t.db, "ada")!;
  const source = addDeclaration(t.db, { ownerId: findAccountByUsername(t.db, "root")!.id });
  createDeclaration(t.db, {
    slug: COPY,
    title: "A copy",
    summary: "A copy for the sweep.",
    license: "CC BY-SA 4.0",
    hashtags: [],
    language: "en",
    body: "## First\n\nWe declare that copies are good.\n",
    origin: "site",
    status: "draft",
    ownerId: ada.id,
    source: { declarationId: source.id, revision: 1, url: `/d/${DECL}`, title: source.title },
  });
  // A draft translation of ada's, whose edit and publish forms are fuzzed.
  const original = getDeclarationBySlug(t.db, DECL)!;
  const translated = createTranslation(t.db, {
    original,
    originalRevision: 1,
    language: "de",
    slug: `${DECL}-de`,
    title: "Eine Übersetzung",
    summary: "Eine Übersetzung für den Durchlauf.",
    body: "## Erstens\n\nWir erklären, dass Übersetzungen gut sind.\n",
    status: "draft",
    ownerId: ada.id,
  });
  if (translated.kind !== "created") throw new Error(translated.kind);
  // A strike bot connection of ada's, whose remote account data is hostile
  // (it comes from the striker's server): its pages are fuzzed too.
  const key = Buffer.from(BOT_TOKEN_KEY, "hex");
  const origin = "https://mastodon.example";
  const app = insertBotApp(t.db, {
    origin,
    redirectUri: "https://undersign.test/bot/callback",
    scopes: "read write",
    clientId: "client",
    clientSecretSealed: sealToken(key, "secret", `app:${origin}`),
    software: "mastodon",
    version: "4.3.0",
    supportsPkce: true,
    created: new Date(),
  });
  upsertConnection(
    t.db,
    {
      accountId: ada.id,
      appId: app.id,
      remoteId: "1",
      acct: "<img src=x onerror=__xss.push('acct')>",
      displayName: "<script>__xss.push('display')</script>",
      url: "javascript:__xss.push('url')",
      avatar: "javascript:__xss.push('avatar')",
      scope: "read write",
      now: new Date(),
    },
    (id) => sealToken(key, "token", `connection:${id}:${origin}`),
  );
  // A reply to moderate and a report to resolve (the report's text and links are the reporter's).
  const remote = upsertRemoteActor(
    t.db,
    {
      uri: "https://remote.example/users/eve",
      handle: "eve@remote.example",
      name: "Eve",
      url: "https://remote.example/@eve",
      iconUrl: null,
      inbox: "https://remote.example/users/eve/inbox",
      sharedInbox: null,
    },
    new Date(),
  );
  addResponse(
    t.db,
    {
      uri: "https://remote.example/users/eve/statuses/1",
      declarationId: source.id,
      actorId: remote.id,
      inReplyTo: `https://undersign.test/d/${DECL}`,
      url: "https://remote.example/@eve/1",
      summary: null,
      contentHtml: "<p>Yes</p>",
      published: new Date(),
    },
    new Date(),
  );
  addReport(
    t.db,
    {
      activityUri: "https://remote.example/reports/1",
      actorUri: "https://remote.example/actor",
      declarationId: source.id,
      objectUris: ["javascript:__xss.push('flag')", "https://remote.example/x"],
      content: SCRIPT_PAYLOADS.join("\n"),
    },
    new Date(),
  );
  // A visitor's report (1), for the reports queue.
  t.db.transaction((tx) => addVisitorReport(tx, source.id, SCRIPT_PAYLOADS.join("\n"), new Date()));
  // Fediverse signatures of one server, held for review (signatures 1–3), for the per-server tools.
  t.db.transaction((tx) => {
    for (const [i, user] of ["eve", "fay", "gus"].entries()) {
      const uri = `https://remote.example/users/${user}`;
      const actor = upsertRemoteActor(
        tx,
        {
          uri,
          handle: `${user}@remote.example`,
          name: `<b>${user}</b>`,
          url: `https://remote.example/@${user}`,
          iconUrl: null,
          inbox: `${uri}/inbox`,
          sharedInbox: null,
        },
        new Date(),
      );
      addReaction(tx, {
        declarationId: source.id,
        actorId: actor.id,
        activityUri: `${uri}#likes/${i}`,
        objectUri: `https://undersign.test/ap/notes/${i}`,
        kind: "like",
        content: null,
        revision: 1,
        name: `<script>__xss.push('held ${user}')</script>`,
        website: actor.url,
        now: new Date(),
      });
    }
    holdServer(tx, "remote.example", new Date());
  });
  signerToken = tokenFrom(await signForm(t.app, { name: "First Signer" }));
  TARGETS = targets();
});

afterAll(() => {
  guard?.restore();
});

describe("the sweep's route list", () => {
  it("has an entry for every POST, PUT, PATCH and DELETE route of the app", () => {
    const declared = new Set(
      t.app.routes
        .filter((r) => ["POST", "PUT", "PATCH", "DELETE"].includes(r.method))
        .map((r) => `${r.method} ${r.path}`),
    );
    const covered = new Set(TARGETS.map((x) => x.route));
    expect(
      [...declared].filter((r) => !covered.has(r)),
      "routes without a fuzz entry",
    ).toEqual([]);
    expect(
      [...covered].filter((r) => !declared.has(r)),
      "fuzz entries for routes that no longer exist",
    ).toEqual([]);
  });
});

describe("hostile forms and JSON", () => {
  it(
    "every target: no 5xx, no script, nothing stored by a refusal",
    async () => {
      const root = new Gen(SEED);
      const perTarget = iterations(24);
      const findings = new Findings();
      const statuses: number[] = [];
      // Every form is read before any is fuzzed (the sweep changes what pages show).
      const bases = new Map<Target, Awaited<ReturnType<typeof baseFields>>>();
      for (const target of TARGETS)
        bases.set(
          target,
          target.kind == null || target.kind === "form"
            ? await baseFields(target, who[target.who])
            : { fields: [], buttons: [] },
        );
      for (const target of TARGETS) {
        const gen = root.fork(target.route);
        // A fresh session per target: an earlier one may have logged out.
        const as = target.who === "anon" ? who.anon : await loggedIn(t, target.who === "admin" ? "root" : "ada");
        const { fields, buttons } = bases.get(target)!;
        for (let i = 0; i < perTarget; i++) {
          const attempt =
            target.kind === "json"
              ? jsonAttempt(gen, target)
              : target.kind === "multipart"
                ? multipartAttempt(gen, target, as.csrf)
                : formAttempts(gen, target, fields, buttons, as.csrf);
          const before = snapshot(t.db);
          const outcome = await send(target, attempt, attempt.noCsrf === true ? { cookie: as.cookie, csrf: "" } : as);
          check(findings, target.route, i, target, attempt, outcome, before, snapshot(t.db));
          statuses.push(outcome.status);
          if (process.env.FUZZ_VERBOSE === "2") console.log(target.route, outcome.status, attempt.label.slice(0, 200));
        }
        if (process.env.FUZZ_VERBOSE) console.log(target.route, statuses.splice(0).sort().join(" "));
        consistent(t.db, target.route);
      }
      expect(findings.list).toEqual([]);
    },
    60_000 * RUNS,
  );

  it(
    "every GET route with hostile path parameters and query strings: no 5xx, no script",
    async () => {
      const gen = new Gen(SEED).fork("GET");
      const routes = [...new Set(t.app.routes.filter((r) => r.method === "GET").map((r) => r.path))];
      const perRoute = iterations(6);
      const findings = new Findings();
      for (const route of routes) {
        for (let i = 0; i < perRoute; i++) {
          const path = route
            .replace(/:[a-zA-Z]+(\{[^}]*\})?/g, () =>
              encodeURIComponent(gen.chance(0.3) ? DECL : hostileString(gen).toWellFormed().slice(0, 300)),
            )
            .replace(/\*$/, "x");
          const query = new URLSearchParams();
          for (const name of [
            "uri",
            "source",
            "q",
            "cursor",
            "page",
            "lang",
            "next",
            "state",
            "code",
            "error",
            "v",
            "from",
            "to",
            "done",
            "id",
            "signed",
            "format",
          ]) {
            if (gen.chance(0.3)) query.set(name, hostileString(gen).toWellFormed().slice(0, 3000));
          }
          const url = `${path}${query.size > 0 ? `?${query}` : ""}`;
          const as = who[gen.pick(["anon", "author", "admin"] as const)];
          const before = snapshot(t.db);
          const res = await t.app.request(url, {
            headers: {
              Cookie: as.cookie,
              Accept: gen.pick(["text/html", "*/*", "application/json", "application/activity+json"]),
            },
          });
          let html = "";
          if ((res.headers.get("content-type") ?? "").includes("html")) html = await res.text();
          else await res.arrayBuffer();
          const gateway = /elsewhere/.test(route);
          check(
            findings,
            `GET ${route}`,
            i,
            { gateway },
            { label: url },
            { status: res.status, html },
            before,
            snapshot(t.db),
          );
        }
      }
      expect(findings.list).toEqual([]);
    },
    60_000 * RUNS,
  );

  it("every GET route with raw percent-encoding garbage in its path and query: no 5xx", async () => {
    // Not re-encoded: broken escapes, bytes that are not UTF-8, NUL and CR LF (header injection).
    const junk = [
      "%ZZ",
      "%",
      "%C0%AF",
      "%ED%A0%80",
      "%E0%A4%A",
      "%00",
      "%0D%0ASet-Cookie:%20x=1",
      "..%2F..%2F",
      "%2e%2e",
      "%FF%FE",
    ];
    const routes = [...new Set(t.app.routes.filter((r) => r.method === "GET").map((r) => r.path))];
    const problems: string[] = [];
    for (const route of routes) {
      for (const j of junk) {
        const path = route.replace(/:[a-zA-Z]+(\{[^}]*\})?/g, j).replace(/\*$/, j);
        for (const url of [path, `${path}?uri=${j}&a=${j}&source=${j}&cursor=${j}&next=${j}&${j}=${j}`]) {
          for (const as of [who.anon, who.admin]) {
            const res = await t.app.request(url, { headers: { Cookie: as.cookie } });
            await res.arrayBuffer();
            if (res.status >= 500 && !(res.status === 502 && /elsewhere/.test(route)))
              problems.push(`GET ${url} → ${res.status}`);
            if ((res.headers.get("set-cookie") ?? "").includes("x=1"))
              problems.push(`GET ${url}: a header was injected`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("every route with garbage cookies and headers: no 5xx", async () => {
    const headerSets: Record<string, string>[] = [
      { Cookie: `__Host-session=${"A".repeat(8000)}; __Host-csrf=${"B".repeat(8000)}` },
      { Cookie: "__Host-session=%ZZ; __Host-session=x; =;;;==; __Host-csrf=%00" },
      { Cookie: "__Host-session=../../etc/passwd; __proto__=1; constructor=2" },
      {
        "Accept-Language": "*;q=NaN, xx-%%;q=2, ~",
        Accept: "*/*;q=-1, text/html;level=NaN",
        "If-None-Match": `"${"x".repeat(5000)}`,
        "If-Modified-Since": "yesterday",
      },
      {
        Origin: "null",
        "Sec-Fetch-Site": "cross-site",
        Referer: "javascript:alert(1)",
        "X-Forwarded-For": "127.0.0.1, ::1, 999.999.999.999",
        "X-Forwarded-Host": "evil.example",
      },
      {
        Range: "bytes=-1-99999999999999999999",
        "Content-Type": "application/x-www-form-urlencoded; boundary=; charset=utf-7",
      },
    ];
    const routes = [
      ...new Set(
        t.app.routes.filter((r) => r.method === "GET" || r.method === "POST").map((r) => `${r.method} ${r.path}`),
      ),
    ];
    const problems: string[] = [];
    for (const route of routes) {
      const [method, pattern] = route.split(" ") as [string, string];
      const path = pattern
        .replace(/:[a-zA-Z]+(\{[^}]*\})?/g, (m) => (m.startsWith(":slug") ? DECL : "1"))
        .replace(/\*$/, "x");
      for (const headers of headerSets) {
        const res = await t.app.request(path, {
          method,
          headers,
          ...(method === "POST" ? { body: "csrf=x&name=y" } : {}),
        });
        await res.arrayBuffer();
        if (res.status >= 500 && !(res.status === 502 && /elsewhere/.test(route)))
          problems.push(`${route} with ${Object.keys(headers).join(", ")} → ${res.status}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("other methods on every route: no 5xx", async () => {
    const routes = [
      ...new Set(
        t.app.routes
          .filter((r) => r.method !== "ALL")
          .map((r) => r.path.replace(/:[a-zA-Z]+(\{[^}]*\})?/g, "1").replace(/\*$/, "x")),
      ),
    ];
    for (const path of routes) {
      for (const method of ["PUT", "PATCH", "DELETE", "OPTIONS"]) {
        const res = await t.app.request(path, {
          method,
          headers: { Cookie: who.admin.cookie, "Content-Type": "application/json" },
          body: method === "OPTIONS" ? null : "{}",
        });
        expect(res.status, `${method} ${path}`).toBeLessThan(500);
      }
    }
  });
});
