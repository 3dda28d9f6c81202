/**
 * The avatar proxy, `GET /media/avatars/{remoteActorId}`: remote accounts'
 * avatars served from our own origin.  Our Content-Security-Policy allows
 * images from 'self' only, and loading them from their servers would tell
 * those servers who reads our pages.  The image is fetched server-side
 * (public addresses only, 5 s, at most 1 MiB, PNG/JPEG/GIF/WebP recognised by
 * their bytes), kept in a bounded in-memory cache, and replaced by our
 * default avatar on any failure.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { getLogger } from "@logtape/logtape";
import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { hostOf, isDomainBlocked } from "../../db/fediverse.ts";
import { remoteActors } from "../../db/schema.ts";
import { fetchRemoteImage, type ImageType } from "../../federation/index.ts";
import { APP } from "../../logging.ts";
import { assetUrl } from "../kit/assets.ts";
import type { WebDeps, WebEnv } from "../kit/context.ts";
import { NOTHING_RUNS_SANDBOXED, policyHeader } from "../kit/csp.ts";

const logger = getLogger([APP, "web", "avatars"]);

const DEFAULT_AVATAR = new Uint8Array(readFileSync(join(import.meta.dirname, "..", "static", "avatar.png")));

/** At most this many avatars, and this many bytes, are kept. */
const CACHE_ENTRIES = 1000;
const CACHE_BYTES = 32 * 1024 * 1024;
/** A fetched avatar is kept a day; a failure ten minutes (then it is tried again). */
const FRESH_MS = 24 * 60 * 60 * 1000;
const FAILED_MS = 10 * 60 * 1000;

interface Entry {
  /** The icon URL it was fetched from (an account's new avatar has a new URL). */
  readonly iconUrl: string;
  /** Null when the fetch failed: the default avatar is served. */
  readonly image: { type: ImageType; body: Uint8Array } | null;
  readonly expires: number;
}

class AvatarCache {
  readonly #entries = new Map<number, Entry>();
  readonly #inFlight = new Map<string, Promise<Entry>>();
  #bytes = 0;

  get(actorId: number, iconUrl: string, now: number): Entry | undefined {
    const entry = this.#entries.get(actorId);
    if (entry == null || entry.iconUrl !== iconUrl || entry.expires <= now) return undefined;
    return entry;
  }

  set(actorId: number, entry: Entry): void {
    this.#delete(actorId);
    this.#entries.set(actorId, entry);
    this.#bytes += entry.image?.body.byteLength ?? 0;
    while (this.#entries.size > CACHE_ENTRIES || this.#bytes > CACHE_BYTES)
      this.#delete(this.#entries.keys().next().value!);
  }

  #delete(actorId: number): void {
    const old = this.#entries.get(actorId);
    if (old == null) return;
    this.#bytes -= old.image?.body.byteLength ?? 0;
    this.#entries.delete(actorId);
  }

  /** One fetch per URL at a time: concurrent requests for the same avatar share it. */
  shared(iconUrl: string, load: () => Promise<Entry>): Promise<Entry> {
    let pending = this.#inFlight.get(iconUrl);
    if (pending == null) {
      pending = load().finally(() => this.#inFlight.delete(iconUrl));
      this.#inFlight.set(iconUrl, pending);
    }
    return pending;
  }
}

const caches = new WeakMap<WebDeps, AvatarCache>();

function cacheFor(deps: WebDeps): AvatarCache {
  let cache = caches.get(deps);
  if (cache == null) {
    cache = new AvatarCache();
    caches.set(deps, cache);
  }
  return cache;
}

/**
 * The URL of an account's avatar on our site.  The `v` parameter changes
 * with the account's icon, so a new avatar is not hidden by browser caches.
 */
export function avatarUrl(actor: { id: number; iconUrl: string | null }): string {
  if (actor.iconUrl == null) return assetUrl("avatar.png");
  const v = createHash("sha256").update(actor.iconUrl).digest("base64url").slice(0, 10);
  return `/media/avatars/${actor.id}?v=${v}`;
}

function imageResponse(type: string, body: Uint8Array, maxAge: number): Response {
  return new Response(body as Uint8Array<ArrayBuffer>, {
    status: 200,
    headers: {
      "Content-Type": type,
      "Content-Length": String(body.byteLength),
      "X-Content-Type-Options": "nosniff",
      "Cache-Control": `public, max-age=${maxAge}`,
      // Never run as a document, should anyone open it directly.
      "Content-Security-Policy": policyHeader(NOTHING_RUNS_SANDBOXED),
    },
  });
}

function defaultAvatar(maxAge = FAILED_MS / 1000): Response {
  return imageResponse("image/png", DEFAULT_AVATAR, maxAge);
}

export const avatarRoutes = new Hono<WebEnv>();

avatarRoutes.get("/avatars/:id", async (c) => {
  const raw = c.req.param("id");
  if (!/^[1-9]\d{0,15}$/.test(raw)) return c.notFound();
  const deps = c.get("deps");
  const { db, config } = deps;
  const actor = db
    .select({ iconUrl: remoteActors.iconUrl, uri: remoteActors.uri })
    .from(remoteActors)
    .where(eq(remoteActors.id, Number(raw)))
    .get();
  if (actor?.iconUrl == null || isDomainBlocked(db, hostOf(actor.uri))) return defaultAvatar(FRESH_MS / 1000);
  const iconUrl = actor.iconUrl;
  const cache = cacheFor(deps);
  const now = Date.now();
  let entry = cache.get(Number(raw), iconUrl, now);
  if (entry == null) {
    entry = await cache.shared(iconUrl, async () => {
      const result = await fetchRemoteImage(iconUrl, {
        allowPrivateAddress: config.federation.allowPrivateAddress,
        origin: config.origin,
      });
      if (!result.ok) logger.debug("Avatar {url} not served: {reason}", { url: iconUrl, reason: result.reason });
      return {
        iconUrl,
        image: result.ok ? { type: result.type, body: result.body } : null,
        expires: Date.now() + (result.ok ? FRESH_MS : FAILED_MS),
      };
    });
    cache.set(Number(raw), entry);
  }
  return entry.image == null ? defaultAvatar() : imageResponse(entry.image.type, entry.image.body, FRESH_MS / 1000);
});
