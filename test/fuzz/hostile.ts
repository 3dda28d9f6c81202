/**
 * The hostile input sweep's generator and checks: a seeded random source,
 * the hostile values it draws from, and the checks every response gets.
 *
 * Deterministic: the same FUZZ_SEED gives the same requests.  Failures name
 * the seed and the iteration, so `FUZZ_SEED=<seed> npx vitest run test/fuzz`
 * replays them; `FUZZ_RUNS=<n>` scales every iteration count (1 by default,
 * sized so that `npx vitest run test/fuzz` stays well under two minutes:
 * about 50 s on a 2-core machine).  `FUZZ_VERBOSE=1` prints each target's
 * statuses (forms) or each activity sent (inbox); `FUZZ_VERBOSE=2` every
 * form request.
 *
 *   FUZZ_SEED=7 FUZZ_RUNS=4 npx vitest run test/fuzz/forms.test.ts test/fuzz/inbox.test.ts
 */
import { createHash } from "node:crypto";
import { isIP, Socket } from "node:net";
import type { Db } from "../../src/db/client.ts";
import { decodeHtml } from "../helpers/forms.ts";
import { isPublicAddress } from "../../src/federation/index.ts";

export const SEED = Number.parseInt(process.env.FUZZ_SEED ?? "20261126", 10);
export const RUNS = Math.max(1, Number.parseFloat(process.env.FUZZ_RUNS ?? "1"));

/** `n` iterations at the default size, scaled by FUZZ_RUNS. */
export function iterations(n: number): number {
  return Math.max(1, Math.round(n * RUNS));
}

/** A small seeded generator (mulberry32): enough for choosing, not for secrets. */
export class Gen {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  /** A generator for one named stream, so adding a stream does not shift the others. */
  fork(name: string): Gen {
    let h = 2166136261;
    for (const ch of name) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
    return new Gen((this.#state ^ h) >>> 0);
  }
}

/** What a failed expectation says, so the run can be replayed. */
export function where(test: string, i: number, detail = ""): string {
  return `${test} #${i} (FUZZ_SEED=${SEED}${RUNS === 1 ? "" : ` FUZZ_RUNS=${RUNS}`})${detail === "" ? "" : `: ${detail}`}`;
}

// ---------------------------------------------------------------------------
// Payloads

/**
 * Markup that runs `__xss.push(<n>)` (or `alert`) if it ever reaches a page as
 * HTML: the browser test defines `__xss` and watches dialogs and CSP reports.
 */
export const SCRIPT_PAYLOADS: readonly string[] = [
  "<script>__xss.push('s1')</script>",
  "<img src=x onerror=\"__xss.push('s2')\">",
  "<svg onload=__xss.push('s3')>",
  "<svg><script>__xss.push('s4')</script></svg>",
  "[click](javascript:__xss.push('s5'))",
  "<a href=\"javascript:__xss.push('s6')\">link</a>",
  "<iframe src=\"javascript:__xss.push('s7')\"></iframe>",
  "<iframe srcdoc=\"<script>parent.__xss.push('s8')</script>\"></iframe>",
  "<div style=\"width: expression(__xss.push('s9'))\">css</div>",
  "<a href=\"&#106;avascript:__xss.push('s10')\">entity</a>",
  "[entity](&#x6A;avascript:__xss.push('s11'))",
  "[tab](jav&#x09;ascript:__xss.push('s12'))",
  "<math><mtext><table><mglyph><style><img src=x onerror=__xss.push('s13')>",
  "\"><script>__xss.push('s14')</script>",
  "'><img src=x onerror=__xss.push('s15')>",
  "</textarea><script>__xss.push('s16')</script>",
  "</title><script>__xss.push('s17')</script>",
  "<details open ontoggle=__xss.push('s18')>x</details>",
  "<object data=\"javascript:__xss.push('s19')\"></object>",
  "<embed src=\"javascript:__xss.push('s20')\">",
  '<meta http-equiv="refresh" content="0;url=javascript:__xss.push(\'s21\')">',
  "<form action=\"javascript:__xss.push('s22')\"><button>go</button></form>",
  "![x](x\" onerror=\"__xss.push('s23'))",
  "<a href=\"data:text/html,<script>alert('s24')</script>\">data</a>",
  "<style>body{background:url(javascript:__xss.push('s25'))}</style>",
  "<base href=\"javascript:__xss.push('s26')//\">",
  '<img src="x" alt="" onerror=alert(\'s27\')>',
  "<a href=\" javascript:alert('s28')\">space</a>",
  "<a href=\"JaVaScRiPt:alert('s29')\">case</a>",
  "[ref]: javascript:__xss.push('s30')\n\n[ref]",
  "<scr<script>ipt>__xss.push('s31')</script>",
  "<body onload=__xss.push('s32')>",
  "<input autofocus onfocus=__xss.push('s33')>",
  "<video><source onerror=__xss.push('s34')></video>",
  "<a href=\"vbscript:msgbox('s35')\">vb</a>",
  "<link rel=stylesheet href=\"javascript:__xss.push('s36')\">",
  "<!--<img src=\"--><img src=x onerror=__xss.push('s37')//\">",
  "<noscript><p title=\"</noscript><img src=x onerror=__xss.push('s38')>\">",
  "`<img src=x onerror=__xss.push('s39')>`",
  "<https://example.com/\"onmouseover=\"__xss.push('s40')>",
];

/** Strings that break parsers, encodings and layouts. */
export const WEIRD_STRINGS: readonly string[] = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\u0001\u0002\u0003\u001b[31m\u007f\u0085\u009f",
  "\u202Eevil\u202C",
  "\u2066\u2067\u2068isolate\u2069",
  "\u200B\u200C\u200D\uFEFF",
  "\uD800",
  "x\uDC00y",
  "\uFFFF\uFFFE",
  "\r\n\r\n",
  "\t\t",
  "%",
  "%00",
  "%ZZ",
  "%C3%28",
  "+",
  "&",
  "=",
  "../../../etc/passwd",
  "'; DROP TABLE signatures; --",
  '" OR 1=1 --',
  "{{7*7}}",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, sent as plain text
  "${7*7}",
  "__proto__",
  "constructor",
  "prototype",
  "null",
  "undefined",
  "NaN",
  "-1",
  "0",
  "1e309",
  "9007199254740993",
  "99999999999999999999999999",
  "0x10",
  "true",
  "[]",
  "{}",
  "e\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301",
  "Z\u0351\u0352\u0353\u0354\u0355\u0356\u0357\u0358\u0359\u035a",
  "👩‍👩‍👧‍👦🏳️‍🌈",
  "ﷺ",
  "𒐫",
  "ǅ",
  "İ",
  "ß",
  "\u0130stanbul",
  "مرحبا",
  "<",
  ">",
  "&amp;",
  "&#0;",
  "&lt;script&gt;",
];

/** URLs that must never be fetched, followed or linked. */
export function hostileUrls(port: number): string[] {
  return [
    "javascript:alert(1)",
    "JAVASCRIPT:__xss.push('u1')",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "gopher://127.0.0.1:25/",
    "ftp://127.0.0.1/",
    `http://127.0.0.1:${port}/`,
    `https://127.0.0.1:${port}/`,
    `http://localhost:${port}/`,
    `https://localhost:${port}/`,
    `https://LOCALHOST.:${port}/`,
    `https://sub.localhost:${port}/`,
    `https://[::1]:${port}/`,
    `https://[::ffff:127.0.0.1]:${port}/`,
    `https://[::ffff:7f00:1]:${port}/`,
    `https://2130706433:${port}/`,
    `https://0x7f000001:${port}/`,
    `https://017700000001:${port}/`,
    `https://0177.0.0.1:${port}/`,
    `https://127.1:${port}/`,
    `https://0:${port}/`,
    `https://0.0.0.0:${port}/`,
    `https://user:pass@127.0.0.1:${port}/`,
    "https://10.0.0.1/",
    "https://10.1.2.3:8443/",
    "https://172.16.0.1/",
    "https://192.168.1.1/",
    "https://169.254.169.254/latest/meta-data/",
    "http://169.254.169.254/latest/meta-data/",
    "https://[fd00::1]/",
    "https://[fe80::1]/",
    "https://100.64.0.1/",
    "https://0251.0376.0251.0376/",
    "https://2852039166/",
    "//127.0.0.1/",
    "https:/\\127.0.0.1/",
    "https://127.0.0.1%2f@example.com/",
  ];
}

/** Handles (user@host) on private or loopback hosts, for account lookups. */
export function hostileHandles(port: number): string[] {
  return [
    `@alice@127.0.0.1:${port}`,
    `alice@localhost:${port}`,
    `alice@[::1]:${port}`,
    `alice@2130706433:${port}`,
    `alice@0x7f000001:${port}`,
    `alice@017700000001:${port}`,
    `alice@127.1:${port}`,
    "alice@10.0.0.1",
    "alice@169.254.169.254",
    "alice@192.168.0.1",
    "alice@[fd00::1]",
    `alice@0.0.0.0:${port}`,
    `alice@LOCALHOST.:${port}`,
    "alice@/etc/passwd",
    "alice@@127.0.0.1",
    "alice@127.0.0.1/../x",
  ];
}

/** A hostile string of any kind. */
export function hostileString(gen: Gen, port = 9): string {
  switch (gen.int(7)) {
    case 0:
      return gen.pick(SCRIPT_PAYLOADS);
    case 1:
    case 2:
      return gen.pick(WEIRD_STRINGS);
    case 3:
      return gen.pick(hostileUrls(port));
    case 4:
      return gen.pick(SCRIPT_PAYLOADS) + gen.pick(WEIRD_STRINGS) + gen.pick(SCRIPT_PAYLOADS);
    case 5:
      return gen.pick(["a", "é", "<", "\u202E", "💥", "%"]).repeat(gen.pick([101, 257, 501, 1001, 5001, 20_001]));
    default:
      return randomText(gen, gen.int(60));
  }
}

/** Random code points across the planes (lone surrogates included). */
export function randomText(gen: Gen, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) {
    const range = gen.int(5);
    const cp =
      range === 0
        ? gen.int(0x80)
        : range === 1
          ? 0x80 + gen.int(0x780)
          : range === 2
            ? 0xd800 + gen.int(0x800)
            : range === 3
              ? gen.int(0x10000)
              : 0x10000 + gen.int(0x100000);
    out += cp >= 0xd800 && cp <= 0xdfff ? String.fromCharCode(cp) : String.fromCodePoint(cp);
  }
  return out;
}

/** A value of the wrong JSON type for a string field. */
export function wrongType(gen: Gen): unknown {
  return gen.pick<unknown>([
    0,
    -1,
    1.5,
    1e308,
    true,
    false,
    null,
    [],
    ["x"],
    [["nested"]],
    {},
    { toString: "x" },
    { __proto__: { polluted: true } },
    { $ne: null },
    "x".repeat(100_000),
  ]);
}

/** `[[[…]]]` or `{"a":{"a":…}}` nested `depth` levels. */
export function deepJson(depth: number, kind: "array" | "object" = "array"): string {
  return kind === "array" ? "[".repeat(depth) + "]".repeat(depth) : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
}

/** Form bodies that are not UTF-8 once decoded: broken percent escapes, invalid bytes, lone surrogates (each must get 400). */
export const BROKEN_FORM_BODIES: readonly (string | Uint8Array)[] = [
  "name=%",
  "name=%Z1",
  "name=%C3%28",
  "name=%ED%A0%80",
  "name=%F4%90%80%80",
  "name=%C0%AF",
  "name=%FF%FE",
  "%=%",
  "%E2%82=x",
  new Uint8Array([0x6e, 0x61, 0x6d, 0x65, 0x3d, 0xff, 0xfe, 0xfd]),
  new Uint8Array([0x6e, 0x61, 0x6d, 0x65, 0x3d, 0xed, 0xa0, 0x80]),
  new Uint8Array([0x6e, 0x61, 0x6d, 0x65, 0x3d, 0xc0, 0x80]),
];

/** Odd form bodies that are still valid UTF-8 (NUL bytes, a BOM, empty names, stray separators). */
export const ODD_FORM_BODIES: readonly (string | Uint8Array)[] = [
  "&&&&====&&&",
  "=",
  "a",
  "name",
  "%00=%00",
  "name=%00",
  "__proto__=x&constructor=y&prototype=z",
  "name[]=a&name[]=b",
  "name[a]=1",
  new Uint8Array([0xef, 0xbb, 0xbf, 0x6e, 0x3d, 0x31]),
  new Uint8Array([0x00, 0x00, 0x00]),
];

// ---------------------------------------------------------------------------
// Reading forms off pages

export interface PageForm {
  action: string;
  fields: [string, string][];
  /** Submit buttons' name=value (one is sent). */
  buttons: [string, string][];
}

function attrs(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of tag.matchAll(/([^\s=/>"']+)(?:="([^"]*)")?/g)) out[a[1]!.toLowerCase()] = decodeHtml(a[2] ?? "");
  return out;
}

/** The POST forms of a page: their action, the fields a browser would send, and their submit buttons. */
export function formsOn(html: string): PageForm[] {
  const forms: PageForm[] = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const form = attrs(m[1]!);
    if ((form.method ?? "get").toLowerCase() !== "post") continue;
    const inner = m[2]!;
    const fields: [string, string][] = [];
    const buttons: [string, string][] = [];
    for (const input of inner.matchAll(/<input\b([^>]*)>/gi)) {
      const a = attrs(input[1]!);
      if (a.name == null) continue;
      const type = (a.type ?? "text").toLowerCase();
      if ((type === "checkbox" || type === "radio") && !("checked" in a)) continue;
      if (type === "submit") buttons.push([a.name, a.value ?? ""]);
      else if (type !== "file") fields.push([a.name, a.value ?? (type === "checkbox" ? "on" : "")]);
    }
    for (const area of inner.matchAll(/<textarea\b([^>]*)>([\s\S]*?)<\/textarea>/gi)) {
      const a = attrs(area[1]!);
      if (a.name != null) fields.push([a.name, decodeHtml(area[2]!)]);
    }
    for (const select of inner.matchAll(/<select\b([^>]*)>([\s\S]*?)<\/select>/gi)) {
      const a = attrs(select[1]!);
      const options = [...select[2]!.matchAll(/<option\b([^>]*)>/gi)].map((o) => attrs(o[1]!));
      const chosen = options.find((o) => "selected" in o) ?? options[0];
      if (a.name != null && chosen != null) fields.push([a.name, chosen.value ?? ""]);
    }
    for (const button of inner.matchAll(/<button\b([^>]*)>/gi)) {
      const a = attrs(button[1]!);
      if (a.name != null) buttons.push([a.name, a.value ?? ""]);
    }
    forms.push({ action: form.action ?? "", fields, buttons });
  }
  return forms;
}

// ---------------------------------------------------------------------------
// Checks

/**
 * Tables that may change on a refused request: sessions, caches and delivery
 * state, not content.  `actor_keys`: an actor's keys are made once, on first
 * use, whatever needed them (the instance actor's sign the fetch of a copy's
 * source, even one that then fails).
 */
const VOLATILE_TABLES = new Set([
  "sessions",
  "kv",
  "queue_messages",
  "queue_hosts",
  "actor_keys",
  "__drizzle_migrations",
]);

/**
 * A digest of every content table (volatile ones aside), per table, so that a
 * refused request can be shown to have written nothing.
 */
export function snapshot(db: Db): Record<string, string> {
  const client = db.$client;
  const tables = client
    .prepare<[], { name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .all()
    .map((r) => r.name)
    .filter((name) => !VOLATILE_TABLES.has(name));
  const out: Record<string, string> = {};
  for (const table of tables) {
    const hash = createHash("sha256");
    let n = 0;
    for (const row of client.prepare(`SELECT * FROM "${table}" ORDER BY rowid`).iterate()) {
      n++;
      hash.update(
        JSON.stringify(row, (_k, v: unknown) =>
          typeof v === "bigint" ? String(v) : v instanceof Buffer ? v.toString("base64") : v,
        ),
      );
    }
    out[table] = `${n}:${hash.digest("hex").slice(0, 16)}`;
  }
  return out;
}

/** The tables whose digest differs. */
export function changedTables(before: Record<string, string>, after: Record<string, string>): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names].filter((t) => before[t] !== after[t]);
}

/**
 * Markup in a page that could run script: `<script>` elements other than our
 * own `/static/` files, event-handler attributes, `javascript:`/`data:`/
 * `vbscript:` URLs in link-like attributes, frames, objects, `<base>` and
 * meta refreshes.  A cheap HTML-level check for every response of the sweep;
 * the Chromium test looks at the real DOM.
 */
/** A path on our own site (scripts under /static/ and /embed/, the embed preview frame). */
const OWN_PATH = /^\/(static|embed)\/[\w./-]+(\?[\w=.&-]*)?$/;

export function scriptableMarkup(html: string): string[] {
  const found: string[] = [];
  // Comments and the text of <textarea>/<title> are not markup.
  const text = html.replace(/<!--[\s\S]*?-->/g, "").replace(/<(textarea|title)\b[^>]*>[\s\S]*?<\/\1>/gi, "<$1>");
  for (const match of text.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)\b((?:[^>"']|"[^"]*"|'[^']*')*)>/g)) {
    const tag = match[1]!.toLowerCase();
    const attrs = match[2]!;
    const list = [...attrs.matchAll(/([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g)].map((a) => ({
      name: a[1]!.toLowerCase(),
      value: decodeEntities(a[2] ?? a[3] ?? a[4] ?? ""),
    }));
    if (tag === "script") {
      const src = list.find((a) => a.name === "src")?.value;
      const type = list.find((a) => a.name === "type")?.value;
      if (!(src != null && OWN_PATH.test(src)) && type !== "application/ld+json") found.push(match[0]);
    }
    if (["iframe", "frame"].includes(tag) && !OWN_PATH.test(list.find((a) => a.name === "src")?.value ?? ""))
      found.push(match[0]);
    if (["object", "embed", "base", "applet"].includes(tag)) found.push(match[0]);
    if (tag === "meta" && list.some((a) => a.name === "http-equiv" && a.value.toLowerCase() === "refresh"))
      found.push(match[0]);
    for (const a of list) {
      if (/^on[a-z]+$/.test(a.name)) found.push(`${tag} ${a.name}=${a.value}`);
      if (
        ["href", "src", "action", "formaction", "data", "xlink:href", "poster", "srcdoc", "background"].includes(a.name)
      ) {
        const scheme = a.value.replace(/[\u0000-\u0020\u007f-\u009f]/g, "").toLowerCase();
        if (/^(javascript|vbscript|data:text\/html|data:image\/svg)/.test(scheme))
          found.push(`${tag} ${a.name}=${a.value}`);
      }
      if (a.name === "style" && /expression\s*\(|javascript:|url\s*\(\s*['"]?\s*javascript/i.test(a.value))
        found.push(`${tag} style=${a.value}`);
    }
  }
  return found;
}

function decodeEntities(text: string): string {
  return text
    .replace(/&#(\d+);?/g, (_, n: string) => String.fromCodePoint(Math.min(Number(n), 0x10ffff)))
    .replace(/&#x([0-9a-f]+);?/gi, (_, n: string) => String.fromCodePoint(Math.min(parseInt(n, 16), 0x10ffff)))
    .replace(/&colon;/gi, ":")
    .replace(/&tab;/gi, "\t")
    .replace(/&newline;/gi, "\n")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

// ---------------------------------------------------------------------------
// Outbound connections

export interface ConnectionGuard {
  /** Every connection the process tried while the guard was on (host:port). */
  readonly attempts: string[];
  /** Those to private, loopback or link-local IP literals. */
  readonly privateAttempts: string[];
  restore(): void;
}

/**
 * Watches every outgoing TCP connection of this process (node:http, undici's
 * fetch and Fedify all end in `Socket#connect`).  Connections to IP literals
 * outside the public internet are recorded as private; nothing leaves the
 * machine: every connection except to `allowed` ports on loopback fails at
 * once, as an unreachable host would.  Names (not IP literals) are recorded
 * and refused too, before any DNS.
 */
export function guardConnections(allowedLoopbackPorts: () => readonly number[] = () => []): ConnectionGuard {
  const original = Socket.prototype.connect;
  const attempts: string[] = [];
  const privateAttempts: string[] = [];
  Socket.prototype.connect = function (this: Socket, ...args: unknown[]) {
    // net.connect() and http's agents call this with [options, callback] normalised into an array.
    const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
    let host = "localhost";
    let port = 0;
    let path: string | undefined;
    if (typeof first === "object" && first != null) {
      const o = first as { host?: string; port?: number | string; path?: string };
      host = o.host ?? "localhost";
      port = Number(o.port ?? 0);
      path = o.path;
    } else if (typeof first === "number" || typeof first === "string") {
      if (typeof first === "string" && !/^\d+$/.test(first)) path = first;
      else {
        port = Number(first);
        if (typeof args[1] === "string") host = args[1];
      }
    }
    if (path != null) return original.apply(this, args as never); // A local pipe (vitest's own).
    const bare = host.replace(/^\[|\]$/g, "");
    const label = `${host}:${port}`;
    attempts.push(label);
    const loopback = bare === "127.0.0.1" || bare === "::1" || bare === "localhost";
    if (loopback && allowedLoopbackPorts().includes(port)) return original.apply(this, args as never);
    const localName = /(^|\.)localhost\.?$/i.test(bare);
    if (localName || (isIP(bare) !== 0 && !isPublicAddress(bare))) privateAttempts.push(label);
    const error = Object.assign(new Error(`connect ECONNREFUSED ${label} (refused by the fuzz guard)`), {
      code: "ECONNREFUSED",
    });
    process.nextTick(() => this.destroy(error));
    return this;
  } as typeof Socket.prototype.connect;
  return {
    attempts,
    privateAttempts,
    restore() {
      Socket.prototype.connect = original;
    },
  };
}
