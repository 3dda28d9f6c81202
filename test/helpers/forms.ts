/**
 * Helpers for posting the site's HTML forms in-process (`app.request`): the
 * CSRF cookie and token from a page, form bodies, and reading values back out
 * of rendered HTML.
 */
import { eq, sql } from "drizzle-orm";
import { expect } from "vitest";
import type { Db } from "../../src/db/client.ts";
import { declarations, signatures, type Declaration, type Signature } from "../../src/db/schema.ts";
import { insertBrowserSignature, type NewBrowserSignature } from "../../src/db/signatures.ts";

type App = { request: (input: string, init?: RequestInit) => Response | Promise<Response> };

/**
 * What a form post needs: the cookie header and the form's hidden token, and
 * for a form on a page anyone may be served (no token), the fetch metadata a
 * browser sends with a post from the site's own page.
 */
export interface CsrfPair {
  cookie: string;
  csrf: string;
  headers?: Record<string, string>;
}

/** What a browser says about a post from one of the site's own pages. */
export const SAME_ORIGIN_POST: Readonly<Record<string, string>> = { "Sec-Fetch-Site": "same-origin" };

/** Decodes the entities Hono's JSX renderer produces (and a few more). */
export function decodeHtml(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(parseInt(n, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/** Attributes of every `<tag …>` in the HTML, decoded. */
export function tags(html: string, tag: string): Record<string, string>[] {
  const found: Record<string, string>[] = [];
  for (const match of html.matchAll(new RegExp(`<${tag}\\b([^>]*)>`, "gi"))) {
    const attributes: Record<string, string> = {};
    for (const a of match[1]!.matchAll(/([^\s=/>]+)(?:="([^"]*)")?/g)) attributes[a[1]!] = decodeHtml(a[2] ?? "");
    found.push(attributes);
  }
  return found;
}

/** The `value` of the first `<input name=…>`, or undefined when there is no such input. */
export function inputValue(html: string, name: string): string | undefined {
  return tags(html, "input").find((a) => a.name === name)?.value;
}

/** The text inside `<textarea name=…>`, or undefined. */
export function textareaText(html: string, name: string): string | undefined {
  for (const match of html.matchAll(/<textarea\b([^>]*)>([\s\S]*?)<\/textarea>/gi)) {
    if (new RegExp(`\\bname="${name}"`).test(match[1]!)) return decodeHtml(match[2]!);
  }
  return undefined;
}

/** The value of the checked radio button named `name`. */
export function checkedRadio(html: string, name: string): string | undefined {
  return tags(html, "input").find((a) => a.name === name && a.type === "radio" && "checked" in a)?.value;
}

/** The page's text without tags, whitespace collapsed, entities decoded. */
export function pageText(html: string): string {
  return decodeHtml(html.replace(/<[^>]*>/g, " "))
    .replace(/\s+/g, " ")
    .trim();
}

/** The `name=value` parts of a response's Set-Cookie headers. */
export function cookiesFrom(res: Response): string[] {
  return res.headers.getSetCookie().map((c) => c.split(";")[0]!);
}

/** The browser `who` after `res`: the cookies `res` set replace those of the same name (a deleted one goes). */
export function withCookies(who: CsrfPair, res: Response): CsrfPair {
  const jar = new Map(
    who.cookie
      .split("; ")
      .filter((c) => c !== "")
      .map((c) => [c.split("=")[0]!, c] as const),
  );
  for (const c of cookiesFrom(res)) jar.set(c.split("=")[0]!, c);
  return { ...who, cookie: [...jar.values()].filter((c) => !c.endsWith("=")).join("; ") };
}

/** GETs a page with a form and returns its CSRF cookie and token. */
export async function csrfFrom(
  app: App,
  path = "/d/test-declaration/sign",
  headers: Record<string, string> = {},
): Promise<CsrfPair> {
  const res = await app.request(path, { headers });
  expect(res.status, `GET ${path}`).toBe(200);
  const html = await res.text();
  const csrf = inputValue(html, "csrf");
  expect(csrf, `a csrf field on ${path}`).toBeDefined();
  const cookie =
    cookiesFrom(res).find((c) => c.startsWith("__Host-csrf=") || c.startsWith("csrf=")) ??
    headers.Cookie ??
    headers.cookie;
  // A page a shared cache may serve carries no token: the post proves its origin by the browser's headers.
  if (csrf === "") return { cookie: cookie ?? "", csrf: "", headers: { ...SAME_ORIGIN_POST } };
  expect(cookie, `a csrf cookie from ${path}`).toBeTruthy();
  return { cookie: cookie!, csrf: csrf! };
}

export function formBody(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

export interface PostOptions {
  /** Defaults to a fresh pair from `csrfFrom`; `null` sends neither cookie nor token. */
  csrf?: CsrfPair | null;
  headers?: Record<string, string>;
  /** A raw body instead of the encoded fields (the CSRF token is then the caller's business). */
  body?: BodyInit;
}

/** POSTs `fields` as a browser would, with the CSRF cookie and token unless told otherwise. */
export async function postForm(
  app: App,
  path: string,
  fields: Record<string, string>,
  options: PostOptions = {},
): Promise<Response> {
  const pair = options.csrf === undefined ? await csrfFrom(app) : options.csrf;
  const headers: Record<string, string> = { "Content-Type": "application/x-www-form-urlencoded" };
  if (pair != null && pair.cookie !== "") headers.Cookie = pair.cookie;
  Object.assign(headers, pair?.headers, options.headers);
  const all = pair != null && !("csrf" in fields) ? { csrf: pair.csrf, ...fields } : fields;
  return app.request(path, { method: "POST", headers, body: options.body ?? formBody(all) });
}

/** The fields a browser sends from an untouched form, plus `overrides` (undefined removes a field). */
export function signFields(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const all: Record<string, string | undefined> = {
    revision: "1",
    name: "Ada Lovelace",
    place: "",
    website: "",
    email: "",
    comment: "",
    visibility: "public",
    phone: "",
    ...overrides,
  };
  return Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
}

/** Signs `slug` through the form; returns the response (303 on success). */
export async function signForm(
  app: App,
  overrides: Record<string, string | undefined> = {},
  options: PostOptions & { slug?: string } = {},
): Promise<Response> {
  const slug = options.slug ?? "test-declaration";
  const csrf = options.csrf === undefined ? await csrfFrom(app, `/d/${slug}/sign`, options.headers) : options.csrf;
  return postForm(app, `/d/${slug}/sign`, signFields(overrides), { ...options, csrf });
}

/** The private token from a successful signing's redirect. */
export function tokenFrom(res: Response): string {
  expect(res.status).toBe(303);
  const location = res.headers.get("location")!;
  const match = /^\/s\/([A-Za-z0-9_-]{43})\?signed=1$/.exec(location);
  expect(match, `redirect to a private link, got ${location}`).not.toBeNull();
  return match![1]!;
}

export function signatureRows(db: Db): Signature[] {
  return db.select().from(signatures).orderBy(signatures.id).all();
}

export function rowCount(db: Db): number {
  return db.select({ n: sql<number>`count(*)` }).from(signatures).get()!.n;
}

export function storedCount(db: Db, slug = "test-declaration"): number {
  return db.select({ n: declarations.signatureCount }).from(declarations).where(eq(declarations.slug, slug)).get()!.n;
}

/** Number of confirmed signatures, counted from the rows. */
export function confirmedCount(db: Db, slug = "test-declaration"): number {
  return db
    .select({ n: sql<number>`count(*)` })
    .from(signatures)
    .innerJoin(declarations, eq(declarations.id, signatures.declarationId))
    .where(sql`${declarations.slug} = ${slug} AND ${signatures.status} = 'confirmed'`)
    .get()!.n;
}

/** The `<dt>`/`<dd>` pairs of the first `<dl class="…">` as label → text. */
export function definitionList(html: string, className = "stored"): Record<string, string> {
  const list = new RegExp(`<dl class="${className}">([\\s\\S]*?)</dl>`).exec(html);
  expect(list, `a <dl class="${className}">`).not.toBeNull();
  const pairs: Record<string, string> = {};
  for (const m of list![1]!.matchAll(/<dt>([\s\S]*?)<\/dt><dd>([\s\S]*?)<\/dd>/g)) {
    pairs[decodeHtml(m[1]!.replace(/<[^>]*>/g, ""))] = decodeHtml(m[2]!.replace(/<[^>]*>/g, ""));
  }
  return pairs;
}

/** The signer names in a rendered signature list, in order. */
export function listedNames(html: string): string[] {
  return [...html.matchAll(/<span class="signer">([\s\S]*?)<\/span>/g)].map((m) =>
    decodeHtml(m[1]!.replace(/<[^>]*>/g, "")),
  );
}

/** A strict RFC 4180 parser (CRLF rows, quoted cells), for checking the CSV export. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < text.length) {
    let cell = "";
    if (text[i] === '"') {
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) throw new Error("unterminated quote");
        cell += text.slice(i, q);
        if (text[q + 1] === '"') {
          cell += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
    } else {
      const end = text.slice(i).search(/,|\r\n/);
      const stop = end < 0 ? text.length : i + end;
      cell = text.slice(i, stop);
      if (/["\r\n]/.test(cell))
        throw new Error(`bare quote or line break in an unquoted cell: ${JSON.stringify(cell)}`);
      i = stop;
    }
    row.push(cell);
    if (text.startsWith(",", i)) {
      i++;
    } else if (text.startsWith("\r\n", i)) {
      rows.push(row);
      row = [];
      i += 2;
    } else if (i < text.length) {
      throw new Error(`unexpected character at ${i}: ${JSON.stringify(text.slice(i, i + 10))}`);
    }
  }
  if (row.length > 0) rows.push(row);
  return rows;
}

let seeded = 0;

/** Writes a signature straight to the database (fast; for lists and paging). */
export function addSignature(
  db: Db,
  declaration: Pick<Declaration, "id" | "revision">,
  overrides: Partial<NewBrowserSignature> = {},
): Signature {
  seeded++;
  const outcome = db.transaction((tx) =>
    insertBrowserSignature(tx, {
      declarationId: declaration.id,
      revision: declaration.revision,
      name: `Seeded ${seeded}`,
      place: null,
      website: null,
      comment: null,
      email: null,
      emailHash: null,
      public: true,
      tokenHash: `seeded-token-${seeded}-${Math.random()}`,
      confirmation: null,
      now: new Date(),
      ...overrides,
    }),
  );
  if (outcome.kind !== "inserted") throw new Error("duplicate email in addSignature");
  return outcome.signature;
}

/** The classes of the page's messages after an action (`.notice` with role="status"), in page order. */
export function statusNotices(html: string): string[] {
  return [...html.matchAll(/<(?:p|div)\b[^>]*\bclass="(notice(?: [^"]*)?)"[^>]*\brole="status"/g)].map((m) => m[1]!);
}
