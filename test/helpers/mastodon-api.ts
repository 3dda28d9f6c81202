/**
 * A stand-in Mastodon server for tests: the client-facing REST API and OAuth
 * endpoints a Mastodon client (such as the strike bot) uses, served by Hono on a
 * loopback port.  It keeps its state in memory and exposes it for inspection,
 * runs on a clock the test controls, and can be told to fail on demand.
 *
 * Behaviour follows Mastodon 4.3 (docs.joinmastodon.org and the Mastodon and
 * Doorkeeper sources); each route cites the page it follows.  Where the real
 * server's behaviour is surprising it is kept, and noted:
 *  - `scheduled_at` in the past posts at once; within 5 minutes ahead is a 422.
 *  - A repeated `Idempotency-Key` answers with the record it created; if that
 *    record is gone (a scheduled status since published, a deleted status) the
 *    answer is 404 `{"error":"Record not found"}`.
 *  - A revoked token answers 401 "The access token was revoked"; an unknown or
 *    missing one 401 "The access token is invalid".
 *  - An app-only token (client_credentials) on a user endpoint answers 422
 *    "This method requires an authenticated user".
 *  - PKCE (S256 only) exists from 4.3.0; an older `version` ignores
 *    `code_challenge` and has no /.well-known/oauth-authorization-server.
 *
 * `scheduling` makes it behave like servers that speak the same API with
 * fewer features (SCHEDULING_MODES): publishing at once a status sent with
 * `scheduled_at` (and answering with that Status), having no list of
 * scheduled statuses (404) or one that is always empty while statuses are
 * held, and answering 404 to a cancel while still holding the status.
 * `fail()` can also leave a request unanswered (`hang`): the connection is
 * accepted and nothing comes back, or the headers come and the body never.
 */
import { createHash, randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { Hono, type Context } from "hono";

// ---------------------------------------------------------------------------
// Records kept by the server (exposed for inspection)
// ---------------------------------------------------------------------------

export interface MastodonAccountRecord {
  id: string;
  username: string;
  display_name: string;
  note: string;
  avatar: string;
  header: string;
  locked: boolean;
  bot: boolean;
  created_at: string;
  /** Default visibility for statuses that give none (the user's "privacy" setting). */
  privacy: "public" | "unlisted" | "private" | "direct";
  language: string;
}

export interface MastodonAppRecord {
  id: string;
  name: string;
  website: string | null;
  redirect_uris: string[];
  scopes: string[];
  client_id: string;
  client_secret: string;
  created_at: Date;
}

export interface MastodonTokenRecord {
  token: string;
  appId: string;
  /** null for an app-only token (client_credentials). */
  accountId: string | null;
  scopes: string[];
  created_at: Date;
  revoked_at: Date | null;
}

export interface MastodonGrantRecord {
  code: string;
  appId: string;
  accountId: string;
  redirect_uri: string;
  scopes: string[];
  code_challenge: string | null;
  code_challenge_method: string | null;
  expires_at: Date;
  used: boolean;
}

export interface MastodonStatusRecord {
  id: string;
  accountId: string;
  appId: string | null;
  text: string;
  spoiler_text: string;
  sensitive: boolean;
  visibility: string;
  language: string | null;
  media_ids: string[];
  in_reply_to_id: string | null;
  created_at: Date;
  idempotency: string | null;
  /** The scheduled status this was published from, if any. */
  scheduledStatusId: string | null;
}

export interface MastodonScheduledParams {
  text: string;
  poll: null;
  media_ids: string[] | null;
  sensitive: boolean | null;
  spoiler_text: string | null;
  visibility: string;
  idempotency: string | null;
  scheduled_at: null;
  language: string | null;
  application_id: number | null;
  in_reply_to_id: string | null;
  with_rate_limit: boolean;
}

export interface MastodonScheduledRecord {
  id: string;
  accountId: string;
  appId: string | null;
  scheduled_at: Date;
  params: MastodonScheduledParams;
  media_ids: string[];
}

export interface MastodonMediaRecord {
  id: string;
  accountId: string;
  type: "image" | "gifv" | "video" | "audio" | "unknown";
  filename: string;
  contentType: string;
  size: number;
  width: number | null;
  height: number | null;
  description: string | null;
  processed: boolean;
  statusId: string | null;
  scheduledStatusId: string | null;
  created_at: Date;
}

export interface RecordedRequest {
  at: Date;
  method: string;
  path: string;
  query: Record<string, string>;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  idempotencyKey: string | null;
  /** Parsed body (JSON, form or multipart, merged with the query like Rails' params); files as {filename, type, size}. */
  body: Record<string, unknown>;
  /** The response status, once answered. */
  status?: number;
  /** True when a `fail()` rule answered it. */
  injected?: boolean;
}

export type RequestMatcher =
  | string // "/api/v1/statuses" or "POST /api/v1/statuses"
  | RegExp // tested against the path
  | ((req: RecordedRequest) => boolean);

export interface Failure {
  /** Status to answer with; omit with `delayMs` to answer normally, only late. */
  status?: number;
  /**
   * Never answer (until the server closes): "request" sends nothing at all;
   * "body" sends the status line and headers of a normal answer, then no body.
   */
  hang?: "request" | "body";
  /** JSON (object) or raw (string) body; defaults: 5xx → Mastodon's HTML error page, else `{"error": <reason>}`. */
  body?: unknown;
  headers?: Record<string, string>;
  /** How many matching requests fail (default 1; Infinity for all). */
  times?: number;
  /** Wait this long before answering (a timeout, from the client's side). */
  delayMs?: number;
}

export interface FailureRule {
  matcher: RequestMatcher;
  failure: Failure;
  remaining: number;
  hits: number;
  cancel(): void;
}

export interface Clock {
  now(): Date;
  /** Freezes the clock at `date` (and publishes what is due). */
  set(date: Date | string | number): void;
  /** Moves the clock on (and publishes what is due). */
  advance(ms: number): void;
}

export interface RateLimitBudget {
  limit: number;
  periodMs: number;
}

/**
 * What the server does with scheduled statuses:
 *  - `create`: "schedule" holds a status sent with `scheduled_at` (Mastodon);
 *    "post-now" ignores `scheduled_at`, publishes at once and answers with the Status;
 *  - `list`: "full" (Mastodon); "empty" answers `[]` whatever it holds; "missing"
 *    has no such endpoint (404, for the list and for one scheduled status);
 *  - `cancel`: "full" (Mastodon); "missing" answers 404 "Record not found" and
 *    keeps the status scheduled.
 */
export interface SchedulingBehaviour {
  create: "schedule" | "post-now";
  list: "full" | "empty" | "missing";
  cancel: "full" | "missing";
}

/** The behaviours servers of the Mastodon API have been seen to have. */
export const SCHEDULING_MODES = {
  mastodon: { create: "schedule", list: "full", cancel: "full" },
  /** Knows nothing of scheduled statuses: posts at once, lists nothing, cancels nothing. */
  postsImmediately: { create: "post-now", list: "empty", cancel: "missing" },
  /** Holds scheduled statuses and cancels them, but has no list endpoint. */
  noList: { create: "schedule", list: "missing", cancel: "full" },
  /** Holds scheduled statuses, but its list is always empty. */
  listEmpty: { create: "schedule", list: "empty", cancel: "full" },
  /** Holds and lists scheduled statuses, but a cancel answers 404 and the status stays. */
  cancelMissing: { create: "schedule", list: "full", cancel: "missing" },
} as const satisfies Record<string, SchedulingBehaviour>;

export interface MastodonApiOptions {
  /** Mastodon version reported by the instance endpoints (default "4.3.0"; `server.options.version` changes it, as an upgrade would). */
  version?: string;
  /** "not-mastodon": no Mastodon API or OAuth (404), nodeinfo names `software`. */
  mode?: "mastodon" | "not-mastodon";
  /** nodeinfo software in "not-mastodon" mode (default misskey). */
  software?: { name: string; version: string };
  /** The test user that /oauth/authorize signs in automatically. */
  account?: Partial<Omit<MastodonAccountRecord, "id" | "created_at">>;
  /** Freeze the clock at this instant (default: real time, movable with clock.advance). */
  now?: Date | string | number;
  /** Per-token API budget (Mastodon: 300 per 5 minutes). */
  rateLimit?: RateLimitBudget;
  /** Media upload budget (Mastodon: 30 per 30 minutes). */
  mediaRateLimit?: RateLimitBudget;
  /** "auto" (Mastodon: images at once → 200, video/audio later → 202), "sync" or "async". */
  mediaProcessing?: "auto" | "sync" | "async";
  maxCharacters?: number;
  scheduled?: { dailyLimit?: number; totalLimit?: number; minimumOffsetMs?: number };
  /** What it does with scheduled statuses (default: Mastodon's). */
  scheduling?: SchedulingBehaviour;
  port?: number;
  /** The loopback address to listen on (default 127.0.0.1). */
  hostname?: string;
  /** The host name its URLs use (default: the address it listens on), for a server reached by name. */
  publicHost?: string;
}

export interface MastodonApiServer {
  url: string;
  host: string;
  app: Hono<Env>;
  clock: Clock;
  options: Required<Pick<MastodonApiOptions, "version" | "maxCharacters">>;
  /** Switch between Mastodon and a server that is not Mastodon-compatible. */
  mode: "mastodon" | "not-mastodon";
  /** What it does with scheduled statuses (changeable at any time). */
  scheduling: SchedulingBehaviour;
  /** What the automatic /oauth/authorize does: approve as `username`, or deny. */
  authorization: { decision: "approve" | "deny"; username: string };
  accounts: MastodonAccountRecord[];
  apps: MastodonAppRecord[];
  tokens: MastodonTokenRecord[];
  grants: MastodonGrantRecord[];
  statuses: MastodonStatusRecord[];
  /** Statuses deleted through DELETE /api/v1/statuses/:id, with when. */
  deleted: (MastodonStatusRecord & { deleted_at: Date })[];
  scheduled: MastodonScheduledRecord[];
  media: MastodonMediaRecord[];
  requests: RecordedRequest[];
  rateLimit: RateLimitBudget;
  mediaRateLimit: RateLimitBudget;
  /** The test user (the first account). */
  account: MastodonAccountRecord;
  addAccount(
    seed: Partial<Omit<MastodonAccountRecord, "id" | "created_at">> & { username: string },
  ): MastodonAccountRecord;
  /** Issues a token without the OAuth dance (registers a test app if none given). */
  issueToken(options?: { scopes?: string[]; username?: string | null; appId?: string }): string;
  fail(matcher: RequestMatcher, failure: Failure): FailureRule;
  clearFailures(): void;
  /** Revokes every token (as when the user revokes the app); returns how many. */
  revokeAll(): number;
  revoke(token: string): boolean;
  /** Publishes scheduled statuses due at `now` (default: the clock); returns the new statuses. */
  publishDue(now?: Date): MastodonStatusRecord[];
  /** Finishes processing of media (all pending when no id). */
  finishMedia(id?: string): void;
  resetRateLimits(): void;
  /** Entity JSON as the API renders it. */
  render: {
    status(record: MastodonStatusRecord): Record<string, unknown>;
    scheduled(record: MastodonScheduledRecord): Record<string, unknown>;
    account(record: MastodonAccountRecord): Record<string, unknown>;
    media(record: MastodonMediaRecord): Record<string, unknown>;
  };
  close(): Promise<void>;
}

type Params = Record<string, unknown>;
type Env = { Variables: { params: Params; record: RecordedRequest; token: MastodonTokenRecord | null } };

// ---------------------------------------------------------------------------
// Constants and messages (Mastodon 4.3 locale files and Doorkeeper's)
// ---------------------------------------------------------------------------

/** https://docs.joinmastodon.org/api/oauth-scopes/ */
const SCOPES = [
  "read",
  "write",
  "follow",
  "push",
  "profile",
  "read:accounts",
  "read:blocks",
  "read:bookmarks",
  "read:favourites",
  "read:filters",
  "read:follows",
  "read:lists",
  "read:mutes",
  "read:notifications",
  "read:search",
  "read:statuses",
  "write:accounts",
  "write:blocks",
  "write:bookmarks",
  "write:conversations",
  "write:favourites",
  "write:filters",
  "write:follows",
  "write:lists",
  "write:media",
  "write:mutes",
  "write:notifications",
  "write:reports",
  "write:statuses",
  "admin:read",
  "admin:write",
];
const OOB = "urn:ietf:wg:oauth:2.0:oob";

const MSG = {
  invalidToken: "The access token is invalid",
  revokedToken: "The access token was revoked",
  outsideScopes: "This action is outside the authorized scopes",
  requiresUser: "This method requires an authenticated user",
  notFound: "Record not found",
  tooMany: "Too many requests",
  invalidGrant:
    "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.",
  invalidClient:
    "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.",
  invalidRequest:
    "The request is missing a required parameter, includes an unsupported parameter value, or is otherwise malformed.",
  invalidRedirect: "The requested redirect uri is malformed or doesn't match client redirect URI.",
  invalidScope: "The requested scope is invalid, unknown, or malformed.",
  accessDenied: "The resource owner or authorization server denied the request.",
  unsupportedResponseType: "The authorization server does not support this response type.",
  unsupportedGrantType: "The authorization grant type is not supported by the authorization server.",
  codeChallengeMethod: "The code_challenge_method must be S256.",
  unauthorizedRevoke: "You are not authorized to revoke this token",
  // config/locales/en.yml scheduled_statuses.*, via ActiveRecord::RecordInvalid ("Validation failed: ...")
  tooSoon: "Scheduled at The scheduled date must be in the future",
  overDaily: (n: number) => `You have exceeded the limit of ${n} scheduled posts for today`,
  overTotal: (n: number) => `You have exceeded the limit of ${n} scheduled posts`,
  textBlank: "Text can't be blank",
  overCharacters: (n: number) => `Text character limit of ${n} exceeded`,
  mediaNotReady: "Cannot attach files that have not finished processing. Try again in a moment!",
  mediaTooMany: "Cannot attach more than 4 files",
  mediaNotFound: (ids: string[]) => `Media ${ids.join(", ")} not found or already attached to another post`,
};

const ERROR_PAGE = (status: number) =>
  `<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>We're sorry, but something went wrong (${status})</title></head>\n` +
  `<body><div class="dialog"><h1>We're sorry, but something went wrong.</h1></div></body>\n</html>\n`;

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

const secret = () => randomBytes(32).toString("base64url"); // Doorkeeper: 43 url-safe characters
const sha256url = (s: string) => createHash("sha256").update(s).digest("base64url");

function versionAtLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split(/[.+-]/).map((x) => Number.parseInt(x, 10) || 0);
  return a > major || (a === major && b >= minor);
}

/** Rails' boolean cast (ActiveModel::Type::Boolean). */
function bool(value: unknown): boolean | null {
  if (value === undefined || value === null || value === "") return null;
  if (typeof value === "boolean") return value;
  return !["false", "0", "f", "F", "FALSE", "off", "OFF"].includes(String(value));
}

const str = (value: unknown): string | null => (value === undefined || value === null ? null : String(value));

function arrayParam(value: unknown): string[] {
  if (value === undefined || value === null || value === "") return [];
  return (Array.isArray(value) ? value : [value]).map(String).filter((v) => v !== "");
}

/** Rails-style bracket keys: `a[]` → array, `a[b]` → nested (one level deep). */
function assignParam(target: Params, key: string, value: unknown): void {
  const m = /^([^[\]]+)\[([^\]]*)\](.*)$/.exec(key);
  if (!m) {
    target[key] = value;
    return;
  }
  const [, base = key, inner = "", rest = ""] = m;
  if (inner === "" && rest === "") {
    const existing = target[base];
    target[base] = Array.isArray(existing) ? [...existing, value] : [value];
    return;
  }
  const nested = (
    typeof target[base] === "object" && target[base] !== null && !Array.isArray(target[base]) ? target[base] : {}
  ) as Params;
  assignParam(nested, `${inner}${rest}`, value);
  target[base] = nested;
}

async function parseParams(c: Context): Promise<Params> {
  const params: Params = {};
  for (const [k, v] of new URL(c.req.url).searchParams) assignParam(params, k, v);
  if (c.req.method === "GET" || c.req.method === "HEAD") return params;
  const type = c.req.header("content-type") ?? "";
  try {
    if (type.includes("application/json")) {
      const text = await c.req.text();
      if (text.trim()) Object.assign(params, JSON.parse(text) as Params);
    } else if (type.includes("application/x-www-form-urlencoded")) {
      for (const [k, v] of new URLSearchParams(await c.req.text())) assignParam(params, k, v);
    } else if (type.includes("multipart/form-data")) {
      const form = await c.req.formData();
      for (const [k, v] of form) assignParam(params, k, v);
    }
  } catch {
    // Rails answers an unparsable body with 400; keep what the query gave.
  }
  return params;
}

function describeForLog(params: Params): Params {
  const out: Params = {};
  for (const [k, v] of Object.entries(params)) {
    if (v instanceof File) out[k] = { filename: v.name, type: v.type, size: v.size };
    else if (Array.isArray(v))
      out[k] = v.map((x) => (x instanceof File ? { filename: x.name, type: x.type, size: x.size } : x));
    else out[k] = v;
  }
  return out;
}

function escapeHtml(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const URL_RE = /https?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]'"]/g;
const MENTION_RE = /@([a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?)@[a-z0-9.-]+[a-z0-9]/gi;

/** Mastodon's plain-text formatter, simplified: paragraphs, line breaks, links. */
function formatContent(text: string): string {
  return text
    .split(/\n{2,}/)
    .map((para) => {
      let html = "";
      let last = 0;
      for (const m of para.matchAll(URL_RE)) {
        html += escapeHtml(para.slice(last, m.index));
        const url = m[0];
        html += `<a href="${escapeHtml(url)}" target="_blank" rel="nofollow noopener" translate="no">${escapeHtml(url)}</a>`;
        last = (m.index ?? 0) + url.length;
      }
      html += escapeHtml(para.slice(last));
      return `<p>${html.replace(/\n/g, "<br />")}</p>`;
    })
    .join("");
}

/**
 * StatusLengthValidator: grapheme clusters of text + spoiler_text, every URL
 * counting 23 characters and remote mentions only their local part.
 */
function countableLength(text: string, spoiler: string): number {
  const reduced = (text + spoiler).replace(URL_RE, "x".repeat(23)).replace(MENTION_RE, "@$1");
  return [...new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(reduced)].length;
}

function pngSize(bytes: Uint8Array): { width: number; height: number } | null {
  if (bytes.length < 24 || bytes[0] !== 0x89 || bytes[1] !== 0x50) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

// ---------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------

/** Starts the stand-in Mastodon server on 127.0.0.1; `close()` stops it. */
export async function startMastodonApi(options: MastodonApiOptions = {}): Promise<MastodonApiServer> {
  const version = options.version ?? "4.3.0";
  const pkce = versionAtLeast(version, 4, 3);
  const maxCharacters = options.maxCharacters ?? 500;
  const dailyLimit = options.scheduled?.dailyLimit ?? 25;
  const totalLimit = options.scheduled?.totalLimit ?? 300;
  const minimumOffsetMs = options.scheduled?.minimumOffsetMs ?? 5 * 60_000;
  const mediaProcessing = options.mediaProcessing ?? "auto";
  const validScopes = pkce ? SCOPES : SCOPES.filter((s) => s !== "profile");

  // --- clock ---------------------------------------------------------------
  let frozenAt: number | null = options.now === undefined ? null : new Date(options.now).getTime();
  let offsetMs = 0;
  const nowMs = () => frozenAt ?? Date.now() + offsetMs;
  const clock: Clock = {
    now: () => new Date(nowMs()),
    set(date) {
      frozenAt = new Date(date).getTime();
      publishDue();
    },
    advance(ms) {
      if (frozenAt === null) offsetMs += ms;
      else frozenAt += ms;
      publishDue();
    },
  };

  // --- ids -------------------------------------------------------------------
  let lastSnowflake = 0n;
  const snowflake = () => {
    // Mastodon ids: milliseconds << 16 plus a sequence, as decimal strings.
    let id = BigInt(nowMs()) << 16n;
    if (id <= lastSnowflake) id = lastSnowflake + 1n;
    lastSnowflake = id;
    return id.toString();
  };
  let serial = 0;
  const nextSerial = () => String(++serial);

  // --- state -------------------------------------------------------------------
  const accounts: MastodonAccountRecord[] = [];
  const apps: MastodonAppRecord[] = [];
  const tokens: MastodonTokenRecord[] = [];
  const grants: MastodonGrantRecord[] = [];
  const statuses: MastodonStatusRecord[] = [];
  const deleted: (MastodonStatusRecord & { deleted_at: Date })[] = [];
  const scheduled: MastodonScheduledRecord[] = [];
  const media: MastodonMediaRecord[] = [];
  const requests: RecordedRequest[] = [];
  const failures: FailureRule[] = [];
  const idempotency = new Map<string, { kind: "status" | "scheduled"; id: string; expires: number }>();
  const rateCounters = new Map<string, { windowStart: number; count: number }>();
  const timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  /** Requests left unanswered (`hang`), released when the server closes. */
  const hung = new Set<() => void>();

  let origin = "http://127.0.0.1"; // set once listening

  function addAccount(
    seed: Partial<Omit<MastodonAccountRecord, "id" | "created_at">> & { username: string },
  ): MastodonAccountRecord {
    const account: MastodonAccountRecord = {
      id: snowflake(),
      display_name: seed.username,
      note: "",
      avatar: "",
      header: "",
      locked: false,
      bot: false,
      privacy: "public",
      language: "en",
      ...seed,
      created_at: new Date(
        Date.UTC(new Date(nowMs()).getUTCFullYear(), new Date(nowMs()).getUTCMonth(), new Date(nowMs()).getUTCDate()),
      ).toISOString(),
    };
    accounts.push(account);
    return account;
  }
  const testUser = addAccount({ username: "striker", display_name: "Striker", ...options.account });

  const server = {} as MastodonApiServer;

  // --- rendering (https://docs.joinmastodon.org/entities/) ----------------------
  const renderAccount = (a: MastodonAccountRecord) => ({
    id: a.id,
    username: a.username,
    acct: a.username,
    display_name: a.display_name,
    locked: a.locked,
    bot: a.bot,
    discoverable: true,
    indexable: false,
    group: false,
    created_at: a.created_at,
    note: a.note ? `<p>${escapeHtml(a.note)}</p>` : "",
    url: `${origin}/@${a.username}`,
    uri: `${origin}/users/${a.username}`,
    avatar: a.avatar || `${origin}/avatars/original/missing.png`,
    avatar_static: a.avatar || `${origin}/avatars/original/missing.png`,
    header: a.header || `${origin}/headers/original/missing.png`,
    header_static: a.header || `${origin}/headers/original/missing.png`,
    followers_count: 0,
    following_count: 0,
    statuses_count: statuses.filter((s) => s.accountId === a.id).length,
    last_status_at: null as string | null,
    hide_collections: false,
    noindex: false,
    emojis: [],
    roles: [],
    fields: [],
  });
  /** CredentialAccount: https://docs.joinmastodon.org/entities/Account/#CredentialAccount */
  const renderCredentialAccount = (a: MastodonAccountRecord) => ({
    ...renderAccount(a),
    source: {
      privacy: a.privacy,
      sensitive: false,
      language: a.language,
      note: a.note,
      fields: [],
      follow_requests_count: 0,
      hide_collections: false,
      discoverable: true,
      indexable: false,
    },
    role: { id: "-99", name: "", permissions: "0", color: "", highlighted: false },
  });
  const renderMedia = (m: MastodonMediaRecord) => {
    const url = m.processed
      ? `${origin}/system/media_attachments/files/${m.id}/original/${encodeURIComponent(m.filename)}`
      : null;
    const size =
      m.width && m.height
        ? { width: m.width, height: m.height, size: `${m.width}x${m.height}`, aspect: m.width / m.height }
        : null;
    return {
      id: m.id,
      type: m.type,
      url,
      preview_url: m.processed
        ? `${origin}/system/media_attachments/files/${m.id}/small/${encodeURIComponent(m.filename)}`
        : null,
      remote_url: null,
      preview_remote_url: null,
      text_url: null,
      meta: size ? { original: size, small: size } : {},
      description: m.description,
      blurhash: m.processed && m.type === "image" ? "UFPZlZ00%M%M_4M{t7of%MRjWBWB00WBofRj" : null,
    };
  };
  const renderApplicationRef = (appId: string | null) => {
    const a = apps.find((x) => x.id === appId);
    return a ? { name: a.name, website: a.website } : null;
  };
  const renderStatus = (s: MastodonStatusRecord) => {
    const account = accounts.find((a) => a.id === s.accountId) ?? testUser;
    return {
      id: s.id,
      created_at: s.created_at.toISOString(),
      in_reply_to_id: s.in_reply_to_id,
      in_reply_to_account_id: null,
      sensitive: s.sensitive,
      spoiler_text: s.spoiler_text,
      visibility: s.visibility,
      language: s.language,
      uri: `${origin}/users/${account.username}/statuses/${s.id}`,
      url: `${origin}/@${account.username}/${s.id}`,
      replies_count: 0,
      reblogs_count: 0,
      favourites_count: 0,
      edited_at: null,
      favourited: false,
      reblogged: false,
      muted: false,
      bookmarked: false,
      pinned: false,
      content: formatContent(s.text),
      filtered: [],
      reblog: null,
      application: renderApplicationRef(s.appId),
      account: renderAccount(account),
      media_attachments: s.media_ids.flatMap((id) => media.filter((m) => m.id === id).map(renderMedia)),
      mentions: [],
      tags: [],
      emojis: [],
      card: null,
      poll: null,
    };
  };
  const renderScheduled = (s: MastodonScheduledRecord) => ({
    id: s.id,
    scheduled_at: s.scheduled_at.toISOString(),
    params: s.params,
    media_attachments: s.media_ids.flatMap((id) => media.filter((m) => m.id === id).map(renderMedia)),
  });
  /** https://docs.joinmastodon.org/entities/Application/#CredentialApplication */
  const renderApp = (a: MastodonAppRecord, credentials: boolean) => ({
    id: a.id,
    name: a.name,
    website: a.website,
    scopes: a.scopes,
    redirect_uri: a.redirect_uris.join("\n"),
    redirect_uris: a.redirect_uris,
    vapid_key: "BCk-QqERU0q-CfYZjcuB6lnyyOYfJ2AifKqfeGIm7Z-HiTU5T9eTG5GxVA0_OH5mMlI4UkkDTpaZwozy0TzdZ2M=",
    ...(credentials ? { client_id: a.client_id, client_secret: a.client_secret, client_secret_expires_at: 0 } : {}),
  });

  // --- publishing scheduled statuses -----------------------------------------------
  function createStatus(fields: Omit<MastodonStatusRecord, "id">): MastodonStatusRecord {
    const record: MastodonStatusRecord = { id: snowflake(), ...fields };
    statuses.push(record);
    for (const m of media) if (record.media_ids.includes(m.id)) m.statusId = record.id;
    return record;
  }
  function publishDue(now: Date = clock.now()): MastodonStatusRecord[] {
    const due = scheduled
      .filter((s) => s.scheduled_at.getTime() <= now.getTime())
      .sort((a, b) => a.scheduled_at.getTime() - b.scheduled_at.getTime());
    const published: MastodonStatusRecord[] = [];
    for (const s of due) {
      scheduled.splice(scheduled.indexOf(s), 1);
      for (const m of media) if (m.scheduledStatusId === s.id) m.scheduledStatusId = null;
      published.push(
        createStatus({
          accountId: s.accountId,
          appId: s.appId,
          text: s.params.text,
          spoiler_text: s.params.spoiler_text ?? "",
          sensitive: Boolean(s.params.sensitive),
          visibility: s.params.visibility,
          language: s.params.language,
          media_ids: s.media_ids,
          in_reply_to_id: s.params.in_reply_to_id,
          created_at: s.scheduled_at,
          idempotency: s.params.idempotency,
          scheduledStatusId: s.id,
        }),
      );
    }
    return published;
  }

  // --- auth --------------------------------------------------------------------------
  function bearer(c: Context<Env>): string | null {
    const header = c.req.header("authorization");
    const m = header ? /^Bearer\s+(.+)$/i.exec(header) : null;
    if (m?.[1]) return m[1].trim();
    const param = c.var.params.access_token;
    return typeof param === "string" && param ? param : null;
  }
  function unauthorized(c: Context<Env>, description: string) {
    c.header(
      "WWW-Authenticate",
      `Bearer realm="Doorkeeper", error="invalid_token", error_description="${description}"`,
    );
    return c.json({ error: description }, 401);
  }
  /**
   * doorkeeper_authorize! with the accepted scopes, then require_user! when
   * `user` (app/controllers/api/base_controller.rb).
   */
  function authorize(c: Context<Env>, accepted: string[] | null, user = true): MastodonTokenRecord | Response {
    const value = bearer(c);
    const token = value ? tokens.find((t) => t.token === value) : undefined;
    if (!token) return unauthorized(c, MSG.invalidToken);
    if (token.revoked_at) return unauthorized(c, MSG.revokedToken);
    if (accepted && !token.scopes.some((s) => accepted.includes(s))) {
      c.header(
        "WWW-Authenticate",
        `Bearer realm="Doorkeeper", error="insufficient_scope", error_description="${MSG.outsideScopes}"`,
      );
      return c.json({ error: MSG.outsideScopes }, 403);
    }
    if (user && !token.accountId) return c.json({ error: MSG.requiresUser }, 422);
    return token;
  }
  const clientFrom = (c: Context<Env>) => {
    let id = str(c.var.params.client_id);
    let sec = str(c.var.params.client_secret);
    const basic = /^Basic\s+(.+)$/i.exec(c.req.header("authorization") ?? "");
    if (basic?.[1]) {
      const [u, p] = Buffer.from(basic[1], "base64").toString().split(":");
      id = decodeURIComponent(u ?? "");
      sec = decodeURIComponent(p ?? "");
    }
    return apps.find((a) => a.client_id === id && a.client_secret === sec) ?? null;
  };
  function issue(appId: string, accountId: string | null, scopes: string[]): MastodonTokenRecord {
    const record: MastodonTokenRecord = {
      token: secret(),
      appId,
      accountId,
      scopes,
      created_at: clock.now(),
      revoked_at: null,
    };
    tokens.push(record);
    return record;
  }
  const parseScopes = (value: unknown, fallback: string) =>
    (str(value)?.trim() || fallback).split(/[\s+]+/).filter(Boolean);

  // --- rate limits (https://docs.joinmastodon.org/api/rate-limits/) ----------------------
  const rateLimit: RateLimitBudget = { ...(options.rateLimit ?? { limit: 300, periodMs: 5 * 60_000 }) };
  const mediaRateLimit: RateLimitBudget = { ...(options.mediaRateLimit ?? { limit: 30, periodMs: 30 * 60_000 }) };
  function throttle(key: string, budget: RateLimitBudget) {
    // Rack::Attack windows are aligned to multiples of the period.
    const now = nowMs();
    const windowStart = Math.floor(now / budget.periodMs) * budget.periodMs;
    const counter = rateCounters.get(key);
    const current = counter && counter.windowStart === windowStart ? counter : { windowStart, count: 0 };
    current.count += 1;
    rateCounters.set(key, current);
    return {
      limit: budget.limit,
      remaining: Math.max(0, budget.limit - current.count),
      reset: new Date(windowStart + budget.periodMs).toISOString(),
      exceeded: current.count > budget.limit,
    };
  }

  /** Resolves when the server closes. */
  const hangUntilClosed = () => new Promise<void>((resolve) => hung.add(resolve));

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const entry = {
        resolve,
        timer: setTimeout(() => {
          timers.delete(entry);
          resolve();
        }, ms),
      };
      timers.add(entry);
    });

  function matches(matcher: RequestMatcher, req: RecordedRequest): boolean {
    if (typeof matcher === "function") return matcher(req);
    if (matcher instanceof RegExp) return matcher.test(req.path);
    const m = /^([A-Z]+)\s+(\S+)$/.exec(matcher);
    return m ? req.method === m[1] && req.path === m[2] : req.path === matcher;
  }

  // ---------------------------------------------------------------------------------
  const app = new Hono<Env>();

  // Recording, failure injection, not-Mastodon mode, scheduled publishing, rate limits.
  app.use("*", async (c, next) => {
    const url = new URL(c.req.url);
    const params = await parseParams(c);
    c.set("params", params);
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((v, k) => {
      headers[k] = v;
    });
    const record: RecordedRequest = {
      at: clock.now(),
      method: c.req.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      idempotencyKey: c.req.header("idempotency-key") ?? null,
      body: describeForLog(params),
    };
    c.set("record", record);
    requests.push(record);
    publishDue();

    const rule = failures.find((r) => r.remaining > 0 && matches(r.matcher, record));
    if (rule) {
      rule.remaining -= 1;
      rule.hits += 1;
      const f = rule.failure;
      if (f.delayMs) await sleep(f.delayMs);
      if (f.hang === "request") {
        // Accepted, read, and never answered: the client sees nothing until it gives up (or the server closes).
        record.injected = true;
        await hangUntilClosed();
        return c.body(null, 503);
      }
      if (f.hang === "body") {
        // The status line and headers of a normal answer, then a body that never comes.
        record.injected = true;
        record.status = 200;
        const stalled = new ReadableStream<Uint8Array>({
          start: (controller) =>
            void hangUntilClosed().then(() => {
              try {
                controller.close();
              } catch {
                // The client gave up first: the stream is already cancelled.
              }
            }),
        });
        return c.body(stalled, 200, { "Content-Type": "application/json; charset=utf-8" });
      }
      if (f.status !== undefined) {
        record.injected = true;
        record.status = f.status;
        for (const [k, v] of Object.entries(f.headers ?? {})) c.header(k, v);
        if (typeof f.body === "string") return c.body(f.body, f.status as 500);
        if (f.body !== undefined) return c.json(f.body as object, f.status as 500);
        if (f.status >= 500) return c.html(ERROR_PAGE(f.status), f.status as 500);
        return c.json(
          { error: f.status === 429 ? MSG.tooMany : f.status === 404 ? MSG.notFound : `Error ${f.status}` },
          f.status as 400,
        );
      }
    }

    if (
      server.mode === "not-mastodon" &&
      (url.pathname.startsWith("/api/") ||
        url.pathname.startsWith("/oauth/") ||
        url.pathname === "/.well-known/oauth-authorization-server")
    ) {
      record.status = 404;
      return c.html("<!DOCTYPE html><html><body><h1>Not Found</h1></body></html>", 404);
    }

    if (url.pathname.startsWith("/api/")) {
      const token = bearer(c);
      const isMedia = c.req.method === "POST" && /^\/api\/v[12]\/media$/.test(url.pathname);
      const general = throttle(token ? `token:${token}` : "ip:127.0.0.1", rateLimit);
      const specific = isMedia && token ? throttle(`media:${token}`, mediaRateLimit) : null;
      // The headers describe the throttle closest to its limit.
      const shown = specific && (specific.exceeded || specific.remaining < general.remaining) ? specific : general;
      c.header("X-RateLimit-Limit", String(shown.limit));
      c.header("X-RateLimit-Remaining", String(shown.remaining));
      c.header("X-RateLimit-Reset", shown.reset);
      if (general.exceeded || specific?.exceeded) {
        record.status = 429;
        return c.json({ error: MSG.tooMany }, 429);
      }
    }

    await next();
    record.status = c.res.status;
  });

  // --- instance metadata ---------------------------------------------------------------
  const instanceStats = () => ({ user_count: accounts.length, status_count: statuses.length, domain_count: 0 });
  const statusesConfig = { max_characters: maxCharacters, max_media_attachments: 4, characters_reserved_per_url: 23 };
  const mediaConfig = {
    supported_mime_types: ["image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4", "audio/mpeg"],
    image_size_limit: 16_777_216,
    image_matrix_limit: 33_177_600,
    video_size_limit: 103_809_024,
    video_frame_rate_limit: 120,
    video_matrix_limit: 8_294_400,
    description_limit: 1500,
  };

  // https://docs.joinmastodon.org/methods/instance/#v1
  app.get("/api/v1/instance", (c) => {
    const host = new URL(c.req.url).host;
    return c.json({
      uri: host,
      title: "Mastodon test server",
      short_description: "",
      description: "A stand-in Mastodon server for tests.",
      email: `admin@${host}`,
      version: server.options.version,
      urls: { streaming_api: `ws://${host}` },
      stats: instanceStats(),
      thumbnail: null,
      languages: ["en"],
      registrations: false,
      approval_required: false,
      invites_enabled: false,
      configuration: {
        accounts: { max_featured_tags: 10 },
        statuses: statusesConfig,
        media_attachments: mediaConfig,
        polls: { max_options: 4, max_characters_per_option: 50, min_expiration: 300, max_expiration: 2_629_746 },
      },
      contact_account: renderAccount(testUser),
      rules: [],
    });
  });
  // https://docs.joinmastodon.org/methods/instance/#v2
  app.get("/api/v2/instance", (c) => {
    const host = new URL(c.req.url).host;
    return c.json({
      domain: host,
      title: "Mastodon test server",
      version: server.options.version,
      source_url: "https://github.com/mastodon/mastodon",
      description: "A stand-in Mastodon server for tests.",
      usage: { users: { active_month: accounts.length } },
      thumbnail: { url: `${origin}/packs/media/images/preview.png` },
      icon: [],
      languages: ["en"],
      configuration: {
        urls: { streaming: `ws://${host}`, status: null },
        vapid: {
          public_key: "BCk-QqERU0q-CfYZjcuB6lnyyOYfJ2AifKqfeGIm7Z-HiTU5T9eTG5GxVA0_OH5mMlI4UkkDTpaZwozy0TzdZ2M=",
        },
        accounts: { max_featured_tags: 10, max_pinned_statuses: 5 },
        statuses: statusesConfig,
        media_attachments: mediaConfig,
        polls: { max_options: 4, max_characters_per_option: 50, min_expiration: 300, max_expiration: 2_629_746 },
        translation: { enabled: false },
      },
      registrations: { enabled: false, approval_required: false, message: null },
      api_versions: { mastodon: pkce ? 2 : 1 },
      contact: { email: `admin@${host}`, account: renderAccount(testUser) },
      rules: [],
    });
  });
  // https://docs.joinmastodon.org/methods/oauth/#authorization-server-metadata (4.3.0+)
  app.get("/.well-known/oauth-authorization-server", (c) => {
    if (!pkce) return c.html("<!DOCTYPE html><html><body><h1>Not Found</h1></body></html>", 404);
    return c.json({
      issuer: `${origin}/`,
      service_documentation: "https://docs.joinmastodon.org/",
      authorization_endpoint: `${origin}/oauth/authorize`,
      token_endpoint: `${origin}/oauth/token`,
      app_registration_endpoint: `${origin}/api/v1/apps`,
      revocation_endpoint: `${origin}/oauth/revoke`,
      scopes_supported: validScopes,
      response_types_supported: ["code"],
      response_modes_supported: ["query", "fragment", "form_post"],
      code_challenge_methods_supported: ["S256"],
      grant_types_supported: ["authorization_code", "client_credentials"],
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
    });
  });
  // NodeInfo 2.0 (https://nodeinfo.diaspora.software/protocol)
  app.get("/.well-known/nodeinfo", (c) =>
    c.json({ links: [{ rel: "http://nodeinfo.diaspora.software/ns/schema/2.0", href: `${origin}/nodeinfo/2.0` }] }),
  );
  app.get("/nodeinfo/2.0", (c) => {
    const software =
      server.mode === "mastodon"
        ? { name: "mastodon", version: server.options.version }
        : (options.software ?? { name: "misskey", version: "2024.11.0" });
    return c.json({
      version: "2.0",
      software,
      protocols: ["activitypub"],
      services: { outbound: [], inbound: [] },
      usage: {
        users: { total: accounts.length, activeMonth: accounts.length, activeHalfyear: accounts.length },
        localPosts: statuses.length,
      },
      openRegistrations: false,
      metadata: { nodeName: "Mastodon test server" },
    });
  });

  // --- apps (https://docs.joinmastodon.org/methods/apps/) ----------------------------------
  app.post("/api/v1/apps", (c) => {
    const p = c.var.params;
    const name = str(p.client_name)?.trim() ?? "";
    const redirectUris = Array.isArray(p.redirect_uris)
      ? arrayParam(p.redirect_uris)
      : (str(p.redirect_uris) ?? "").split(/\s+/).filter(Boolean);
    const scopes = parseScopes(p.scopes, "read");
    const errors: string[] = [];
    if (!name) errors.push("Application name can't be blank");
    else if (name.length > 60) errors.push("Application name is too long (maximum is 60 characters)");
    if (redirectUris.length === 0) errors.push("Redirect URI can't be blank");
    for (const uri of redirectUris) {
      if (uri === OOB) continue;
      let parsed: URL | null = null;
      try {
        parsed = new URL(uri);
      } catch {
        errors.push("Redirect URI must be a valid URI.");
        continue;
      }
      if (parsed.hash) errors.push("Redirect URI cannot contain a fragment.");
    }
    if (scopes.some((s) => !validScopes.includes(s))) errors.push("Scopes doesn't match configured on the server.");
    if (errors.length) return c.json({ error: `Validation failed: ${errors.join(", ")}` }, 422);
    const record: MastodonAppRecord = {
      id: nextSerial(),
      name,
      website: str(p.website) || null,
      redirect_uris: redirectUris,
      scopes,
      client_id: secret(),
      client_secret: secret(),
      created_at: clock.now(),
    };
    apps.push(record);
    return c.json(renderApp(record, true));
  });
  app.get("/api/v1/apps/verify_credentials", (c) => {
    const token = authorize(c, null, false);
    if (token instanceof Response) return token;
    const record = apps.find((a) => a.id === token.appId);
    return record ? c.json(renderApp(record, false)) : c.json({ error: MSG.notFound }, 404);
  });

  // --- OAuth (https://docs.joinmastodon.org/methods/oauth/) --------------------------------
  const errorPage = (c: Context<Env>, description: string) =>
    c.html(
      `<!DOCTYPE html><html><head><title>An error has occurred</title></head><body><div class="form-container"><h2>An error has occurred</h2><pre>${escapeHtml(description)}</pre></div></body></html>`,
      400,
    );
  const redirectWith = (c: Context<Env>, redirectUri: string, query: Record<string, string>) => {
    const target = new URL(redirectUri);
    for (const [k, v] of Object.entries(query)) target.searchParams.set(k, v);
    return c.redirect(target.toString(), 302);
  };

  app.get("/oauth/authorize", (c) => {
    const p = c.var.params;
    const client = apps.find((a) => a.client_id === str(p.client_id));
    if (!client) return errorPage(c, MSG.invalidClient);
    const redirectUri = str(p.redirect_uri) ?? (client.redirect_uris.length === 1 ? client.redirect_uris[0]! : "");
    if (!client.redirect_uris.includes(redirectUri)) return errorPage(c, MSG.invalidRedirect);
    const state = str(p.state);
    const withState = (q: Record<string, string>) => (state === null ? q : { ...q, state });
    const reply = (q: Record<string, string>) =>
      redirectUri === OOB
        ? c.html(
            `<!DOCTYPE html><html><body>${q.code ? `<input class="oauth-code" readonly type="text" value="${escapeHtml(q.code)}">` : `<pre>${escapeHtml(q.error_description ?? "")}</pre>`}</body></html>`,
            q.code ? 200 : 400,
          )
        : redirectWith(c, redirectUri, withState(q));
    if (str(p.response_type) !== "code")
      return reply({ error: "unsupported_response_type", error_description: MSG.unsupportedResponseType });
    const scopes = parseScopes(p.scope ?? p.scopes, "read");
    if (scopes.some((s) => !validScopes.includes(s) || !client.scopes.includes(s)))
      return reply({ error: "invalid_scope", error_description: MSG.invalidScope });
    const challenge = pkce ? str(p.code_challenge) : null;
    const method = challenge ? (str(p.code_challenge_method) ?? "plain") : null;
    if (challenge && method !== "S256")
      return reply({ error: "invalid_request", error_description: MSG.codeChallengeMethod });
    if (server.authorization.decision === "deny")
      return reply({ error: "access_denied", error_description: MSG.accessDenied });
    const account = accounts.find((a) => a.username === server.authorization.username) ?? testUser;
    const grant: MastodonGrantRecord = {
      code: secret(),
      appId: client.id,
      accountId: account.id,
      redirect_uri: redirectUri,
      scopes,
      code_challenge: challenge,
      code_challenge_method: method,
      expires_at: new Date(nowMs() + 10 * 60_000), // Doorkeeper's authorization_code_expires_in
      used: false,
    };
    grants.push(grant);
    return reply({ code: grant.code });
  });

  app.post("/oauth/token", (c) => {
    const p = c.var.params;
    const client = clientFrom(c);
    if (!client) return c.json({ error: "invalid_client", error_description: MSG.invalidClient }, 401);
    const grantType = str(p.grant_type);
    const tokenJson = (t: MastodonTokenRecord) =>
      c.json({
        access_token: t.token,
        token_type: "Bearer",
        scope: t.scopes.join(" "),
        created_at: Math.floor(t.created_at.getTime() / 1000),
      });
    if (grantType === "client_credentials") {
      const scopes = parseScopes(p.scope, "read");
      if (scopes.some((s) => !client.scopes.includes(s)))
        return c.json({ error: "invalid_scope", error_description: MSG.invalidScope }, 400);
      return tokenJson(issue(client.id, null, scopes));
    }
    if (grantType !== "authorization_code")
      return c.json({ error: "unsupported_grant_type", error_description: MSG.unsupportedGrantType }, 400);
    const code = str(p.code);
    if (!code) return c.json({ error: "invalid_request", error_description: MSG.invalidRequest }, 400);
    const grant = grants.find((g) => g.code === code);
    const bad = () => c.json({ error: "invalid_grant", error_description: MSG.invalidGrant }, 400);
    if (!grant || grant.appId !== client.id || grant.used || grant.expires_at.getTime() <= nowMs()) return bad();
    if (str(p.redirect_uri) !== grant.redirect_uri) return bad();
    const verifier = str(p.code_verifier);
    if (grant.code_challenge) {
      if (!verifier || sha256url(verifier) !== grant.code_challenge) return bad();
    } else if (verifier && pkce) {
      return bad();
    }
    grant.used = true; // a code is good once
    return tokenJson(issue(client.id, grant.accountId, grant.scopes));
  });

  app.post("/oauth/revoke", (c) => {
    const client = clientFrom(c);
    if (!client) return c.json({ error: "invalid_client", error_description: MSG.invalidClient }, 401);
    const record = tokens.find((t) => t.token === str(c.var.params.token));
    if (record && record.appId !== client.id)
      return c.json({ error: "unauthorized_client", error_description: MSG.unauthorizedRevoke }, 403);
    if (record && !record.revoked_at) record.revoked_at = clock.now();
    return c.json({}); // RFC 7009: 200 whether or not the token existed
  });

  // --- accounts (https://docs.joinmastodon.org/methods/accounts/#verify_credentials) -----------
  app.get("/api/v1/accounts/verify_credentials", (c) => {
    const token = authorize(c, ["profile", "read", "read:accounts"]);
    if (token instanceof Response) return token;
    const account = accounts.find((a) => a.id === token.accountId)!;
    return c.json(renderCredentialAccount(account));
  });

  // --- statuses (https://docs.joinmastodon.org/methods/statuses/#create) ----------------------
  app.post("/api/v1/statuses", (c) => {
    const token = authorize(c, ["write", "write:statuses"]);
    if (token instanceof Response) return token;
    const account = accounts.find((a) => a.id === token.accountId)!;
    const p = c.var.params;
    let scheduledAt: Date | null = null;
    // A server without scheduled statuses takes no notice of scheduled_at: the status is published at once.
    if (
      server.scheduling.create === "schedule" &&
      p.scheduled_at !== undefined &&
      p.scheduled_at !== null &&
      p.scheduled_at !== ""
    ) {
      const parsed = new Date(String(p.scheduled_at));
      if (Number.isNaN(parsed.getTime())) return c.json({ error: "Record invalid" }, 422); // ArgumentError → RecordInvalid
      // PostStatusService: a time already past posts at once.
      scheduledAt = parsed.getTime() <= nowMs() ? null : parsed;
    }

    // Idempotency (https://docs.joinmastodon.org/methods/statuses/#create, header Idempotency-Key):
    // redis idempotency:status:<account>:<key> for 3600 s.
    const key = c.req.header("idempotency-key") ?? null;
    const idemKey = key ? `${account.id}:${key}` : null;
    const previous = idemKey ? idempotency.get(idemKey) : undefined;
    if (previous && previous.expires > nowMs()) {
      if (scheduledAt) {
        const found = scheduled.find((s) => s.id === previous.id && previous.kind === "scheduled");
        return found ? c.json(renderScheduled(found)) : c.json({ error: MSG.notFound }, 404);
      }
      const found = statuses.find((s) => s.id === previous.id && previous.kind === "status");
      return found ? c.json(renderStatus(found)) : c.json({ error: MSG.notFound }, 404);
    }

    // Media (validate_media!).
    const mediaIds = arrayParam(p.media_ids);
    if (mediaIds.length > 4) return c.json({ error: MSG.mediaTooMany }, 422);
    const attached = mediaIds.map((id) =>
      media.find((m) => m.id === id && m.accountId === account.id && !m.statusId && !m.scheduledStatusId),
    );
    const missing = mediaIds.filter((_, i) => !attached[i]);
    if (missing.length) return c.json({ error: MSG.mediaNotFound(missing) }, 422);
    if (attached.some((m) => m && !m.processed)) return c.json({ error: MSG.mediaNotReady }, 422);

    let text = str(p.status) ?? "";
    let spoiler = str(p.spoiler_text) ?? "";
    if (!text.trim() && spoiler.trim()) {
      text = spoiler; // PostStatusService moves a lone spoiler_text into the text
      spoiler = "";
    }
    const sensitive = (bool(p.sensitive) ?? false) || spoiler.trim() !== "";
    const visibility = str(p.visibility) || account.privacy;
    const language = str(p.language) || account.language;

    // Status validations.
    const errors: string[] = [];
    if (!text.trim() && mediaIds.length === 0) errors.push(MSG.textBlank);
    if (countableLength(text, spoiler) > maxCharacters) errors.push(MSG.overCharacters(maxCharacters));
    if (errors.length) return c.json({ error: `Validation failed: ${errors.join(", ")}` }, 422);

    if (scheduledAt) {
      // ScheduledStatus validations (app/models/scheduled_status.rb).
      const at = scheduledAt;
      const mine = scheduled.filter((s) => s.accountId === account.id);
      const day = at.toISOString().slice(0, 10);
      if (at.getTime() <= nowMs() + minimumOffsetMs) errors.push(MSG.tooSoon);
      if (mine.length >= totalLimit) errors.push(MSG.overTotal(totalLimit));
      if (mine.filter((s) => s.scheduled_at.toISOString().slice(0, 10) === day).length >= dailyLimit)
        errors.push(MSG.overDaily(dailyLimit));
      if (errors.length) return c.json({ error: `Validation failed: ${errors.join(", ")}` }, 422);
      const record: MastodonScheduledRecord = {
        id: nextSerial(),
        accountId: account.id,
        appId: token.appId,
        scheduled_at: at,
        media_ids: mediaIds,
        params: {
          text,
          poll: null,
          media_ids: mediaIds.length ? mediaIds : null,
          sensitive: bool(p.sensitive),
          spoiler_text: spoiler || null,
          visibility,
          idempotency: key,
          scheduled_at: null,
          language,
          application_id: Number(token.appId),
          in_reply_to_id: str(p.in_reply_to_id),
          with_rate_limit: false,
        },
      };
      scheduled.push(record);
      for (const m of attached) if (m) m.scheduledStatusId = record.id;
      if (idemKey) idempotency.set(idemKey, { kind: "scheduled", id: record.id, expires: nowMs() + 3_600_000 });
      return c.json(renderScheduled(record));
    }

    const record = createStatus({
      accountId: account.id,
      appId: token.appId,
      text,
      spoiler_text: spoiler,
      sensitive,
      visibility,
      language,
      media_ids: mediaIds,
      in_reply_to_id: str(p.in_reply_to_id),
      created_at: clock.now(),
      idempotency: key,
      scheduledStatusId: null,
    });
    if (idemKey) idempotency.set(idemKey, { kind: "status", id: record.id, expires: nowMs() + 3_600_000 });
    return c.json(renderStatus(record));
  });

  app.get("/api/v1/statuses/:id", (c) => {
    const record = statuses.find((s) => s.id === c.req.param("id"));
    return record ? c.json(renderStatus(record)) : c.json({ error: MSG.notFound }, 404);
  });
  // https://docs.joinmastodon.org/methods/statuses/#delete: the deleted status, with its source text.
  app.delete("/api/v1/statuses/:id", (c) => {
    const token = authorize(c, ["write", "write:statuses"]);
    if (token instanceof Response) return token;
    const record = statuses.find((s) => s.id === c.req.param("id") && s.accountId === token.accountId);
    if (!record) return c.json({ error: MSG.notFound }, 404);
    statuses.splice(statuses.indexOf(record), 1);
    deleted.push({ ...record, deleted_at: clock.now() });
    for (const m of media) if (m.statusId === record.id) m.statusId = null;
    return c.json({ ...renderStatus(record), text: record.text });
  });

  // --- scheduled statuses (https://docs.joinmastodon.org/methods/scheduled_statuses/) ---------
  app.get("/api/v1/scheduled_statuses", (c) => {
    if (server.scheduling.list === "missing") return c.json({ error: MSG.notFound }, 404);
    const token = authorize(c, ["read", "read:statuses"]);
    if (token instanceof Response) return token;
    if (server.scheduling.list === "empty") return c.json([]);
    const p = c.var.params;
    const requested = Number.parseInt(str(p.limit) ?? "", 10);
    const limit = Number.isNaN(requested) || requested <= 0 ? 20 : Math.min(requested, 40);
    const big = (v: unknown) => (str(v) && /^\d+$/.test(String(v)) ? BigInt(String(v)) : null);
    const maxId = big(p.max_id);
    const sinceId = big(p.since_id);
    const minId = big(p.min_id);
    let list = scheduled
      .filter((s) => s.accountId === token.accountId)
      .filter(
        (s) =>
          (maxId === null || BigInt(s.id) < maxId) &&
          (sinceId === null || BigInt(s.id) > sinceId) &&
          (minId === null || BigInt(s.id) > minId),
      )
      .sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1));
    list = minId !== null ? list.slice(-limit) : list.slice(0, limit);
    const base = `${origin}/api/v1/scheduled_statuses`;
    const query = (extra: Record<string, string>) =>
      `?${new URLSearchParams({ ...(str(p.limit) ? { limit: String(p.limit) } : {}), ...extra })}`;
    const links: string[] = [];
    if (list.length === limit) links.push(`<${base}${query({ max_id: list[list.length - 1]!.id })}>; rel="next"`);
    if (list.length) links.push(`<${base}${query({ min_id: list[0]!.id })}>; rel="prev"`);
    if (links.length) c.header("Link", links.join(", "));
    return c.json(list.map(renderScheduled));
  });
  app.get("/api/v1/scheduled_statuses/:id", (c) => {
    if (server.scheduling.list !== "full") return c.json({ error: MSG.notFound }, 404);
    const token = authorize(c, ["read", "read:statuses"]);
    if (token instanceof Response) return token;
    const record = scheduled.find((s) => s.id === c.req.param("id") && s.accountId === token.accountId);
    return record ? c.json(renderScheduled(record)) : c.json({ error: MSG.notFound }, 404);
  });
  app.put("/api/v1/scheduled_statuses/:id", (c) => {
    const token = authorize(c, ["write", "write:statuses"]);
    if (token instanceof Response) return token;
    const record = scheduled.find((s) => s.id === c.req.param("id") && s.accountId === token.accountId);
    if (!record) return c.json({ error: MSG.notFound }, 404);
    const value = str(c.var.params.scheduled_at);
    if (value) {
      const at = new Date(value);
      if (Number.isNaN(at.getTime())) return c.json({ error: "Record invalid" }, 422);
      const errors: string[] = [];
      const others = scheduled.filter((s) => s.accountId === token.accountId && s !== record);
      if (at.getTime() <= nowMs() + minimumOffsetMs) errors.push(MSG.tooSoon);
      if (
        others.filter((s) => s.scheduled_at.toISOString().slice(0, 10) === at.toISOString().slice(0, 10)).length >=
        dailyLimit
      )
        errors.push(MSG.overDaily(dailyLimit));
      if (errors.length) return c.json({ error: `Validation failed: ${errors.join(", ")}` }, 422);
      record.scheduled_at = at;
    }
    return c.json(renderScheduled(record));
  });
  app.delete("/api/v1/scheduled_statuses/:id", (c) => {
    const token = authorize(c, ["write", "write:statuses"]);
    if (token instanceof Response) return token;
    if (server.scheduling.cancel === "missing") return c.json({ error: MSG.notFound }, 404);
    const record = scheduled.find((s) => s.id === c.req.param("id") && s.accountId === token.accountId);
    if (!record) return c.json({ error: MSG.notFound }, 404);
    scheduled.splice(scheduled.indexOf(record), 1);
    for (const m of media) if (m.scheduledStatusId === record.id) m.scheduledStatusId = null;
    return c.json({});
  });

  // --- media (https://docs.joinmastodon.org/methods/media/) ------------------------------------
  const upload = async (c: Context<Env>, v2: boolean) => {
    const token = authorize(c, ["write", "write:media"]);
    if (token instanceof Response) return token;
    const p = c.var.params;
    const file = p.file;
    const description = str(p.description);
    const errors: string[] = [];
    if (!(file instanceof File)) errors.push("File can't be blank");
    if (description && description.length > 1500) errors.push("Description is too long (maximum is 1500 characters)");
    if (errors.length || !(file instanceof File))
      return c.json({ error: `Validation failed: ${errors.join(", ")}` }, 422);
    const contentType = file.type || "application/octet-stream";
    const kind = contentType.split("/")[0];
    if (!["image", "video", "audio"].includes(kind ?? ""))
      return c.json({ error: "Validation failed: File content type is invalid, File is invalid" }, 422);
    const bytes = new Uint8Array(await file.arrayBuffer());
    const dims = contentType === "image/png" ? pngSize(bytes) : null;
    const sync = mediaProcessing === "sync" || (mediaProcessing === "auto" && kind === "image");
    const record: MastodonMediaRecord = {
      id: snowflake(),
      accountId: token.accountId!,
      type: contentType === "image/gif" ? "gifv" : (kind as "image" | "video" | "audio"),
      filename: file.name || "file",
      contentType,
      size: file.size,
      width: dims?.width ?? null,
      height: dims?.height ?? null,
      description,
      processed: !v2 || sync, // v1 always waits for processing
      statusId: null,
      scheduledStatusId: null,
      created_at: clock.now(),
    };
    media.push(record);
    return c.json(renderMedia(record), record.processed ? 200 : 202);
  };
  app.post("/api/v2/media", (c) => upload(c, true));
  app.post("/api/v1/media", (c) => upload(c, false));
  app.get("/api/v1/media/:id", (c) => {
    const token = authorize(c, ["write", "write:media"]);
    if (token instanceof Response) return token;
    const record = media.find((m) => m.id === c.req.param("id") && m.accountId === token.accountId);
    if (!record) return c.json({ error: MSG.notFound }, 404);
    return c.json(renderMedia(record), record.processed ? 200 : 206);
  });
  app.put("/api/v1/media/:id", (c) => {
    const token = authorize(c, ["write", "write:media"]);
    if (token instanceof Response) return token;
    const record = media.find((m) => m.id === c.req.param("id") && m.accountId === token.accountId && !m.statusId);
    if (!record) return c.json({ error: MSG.notFound }, 404);
    const description = str(c.var.params.description);
    if (description !== null) record.description = description;
    return c.json(renderMedia(record), record.processed ? 200 : 206);
  });

  app.notFound((c) =>
    c.req.path.startsWith("/api/")
      ? c.json({ error: MSG.notFound }, 404)
      : c.html("<!DOCTYPE html><html><body><h1>Not Found</h1></body></html>", 404),
  );

  // --- listen ---------------------------------------------------------------------------
  const httpServer: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: options.hostname ?? "127.0.0.1", port: options.port ?? 0 }, () =>
      resolve(s),
    );
  });
  const address = httpServer.address() as AddressInfo;
  const publicHost = `${options.publicHost ?? options.hostname ?? "127.0.0.1"}:${address.port}`;
  origin = `http://${publicHost}`;

  Object.assign(server, {
    url: origin,
    host: publicHost,
    app,
    clock,
    options: { version, maxCharacters },
    mode: options.mode ?? "mastodon",
    scheduling: { ...(options.scheduling ?? SCHEDULING_MODES.mastodon) },
    authorization: { decision: "approve", username: testUser.username },
    accounts,
    apps,
    tokens,
    grants,
    statuses,
    deleted,
    scheduled,
    media,
    requests,
    rateLimit,
    mediaRateLimit,
    account: testUser,
    addAccount,
    issueToken({
      scopes = ["read", "write"],
      username,
      appId,
    }: {
      scopes?: string[];
      username?: string | null;
      appId?: string;
    } = {}) {
      let appRecord = apps.find((a) => a.id === appId);
      if (!appRecord) {
        appRecord = {
          id: nextSerial(),
          name: "test",
          website: null,
          redirect_uris: [OOB],
          scopes,
          client_id: secret(),
          client_secret: secret(),
          created_at: clock.now(),
        };
        apps.push(appRecord);
      }
      const account =
        username === null ? null : (accounts.find((a) => a.username === (username ?? testUser.username)) ?? testUser);
      return issue(appRecord.id, account?.id ?? null, scopes).token;
    },
    fail(matcher: RequestMatcher, failure: Failure) {
      const rule: FailureRule = {
        matcher,
        failure,
        remaining: failure.times ?? 1,
        hits: 0,
        cancel: () => {
          rule.remaining = 0;
        },
      };
      failures.push(rule);
      return rule;
    },
    clearFailures() {
      for (const r of failures) r.remaining = 0;
      failures.length = 0;
    },
    revokeAll() {
      let n = 0;
      for (const t of tokens)
        if (!t.revoked_at) {
          t.revoked_at = clock.now();
          n++;
        }
      return n;
    },
    revoke(token: string) {
      const t = tokens.find((x) => x.token === token && !x.revoked_at);
      if (t) t.revoked_at = clock.now();
      return Boolean(t);
    },
    publishDue,
    finishMedia(id?: string) {
      for (const m of media) if (id === undefined || m.id === id) m.processed = true;
    },
    resetRateLimits() {
      rateCounters.clear();
    },
    render: { status: renderStatus, scheduled: renderScheduled, account: renderAccount, media: renderMedia },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const t of timers) {
          clearTimeout(t.timer);
          t.resolve();
        }
        timers.clear();
        for (const release of hung) release();
        hung.clear();
        httpServer.close((error) => (error ? reject(error) : resolve()));
        if ("closeAllConnections" in httpServer) httpServer.closeAllConnections();
      }),
  } satisfies Omit<MastodonApiServer, never>);

  return server;
}

/** RFC 7636 S256 code challenge for `verifier`. */
export function codeChallengeS256(verifier: string): string {
  return sha256url(verifier);
}
