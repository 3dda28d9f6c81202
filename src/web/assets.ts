/**
 * Self-hosted static assets (CSS, icons, the few enhancing scripts), read once
 * at start and served from memory under `/static/`.  URLs carry a content hash
 * (`/static/style.css?v=…`) so browsers may cache them for a year.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { Hono } from "hono";

const TYPES: Record<string, string> = {
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

interface Asset {
  readonly body: Uint8Array;
  readonly type: string;
  readonly hash: string;
}

const STATIC_DIR = join(import.meta.dirname, "static");

function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(STATIC_DIR)) {
    const type = TYPES[extname(name)];
    if (type == null) continue;
    const body = readFileSync(join(STATIC_DIR, name));
    assets.set(name, { body, type, hash: createHash("sha256").update(body).digest("hex").slice(0, 12) });
  }
  return assets;
}

const assets = loadAssets();

/** The cache-busting URL of a static asset. */
export function assetUrl(name: string): string {
  const asset = assets.get(name);
  if (asset == null) throw new Error(`Unknown static asset: ${name}`);
  return `/static/${name}?v=${asset.hash}`;
}

export const staticRoutes = new Hono().get("/:name", (c) => {
  const asset = assets.get(c.req.param("name"));
  if (asset == null) return c.notFound();
  const versioned = c.req.query("v") === asset.hash;
  return c.body(asset.body as Uint8Array<ArrayBuffer>, 200, {
    "Content-Type": asset.type,
    "Cache-Control": versioned ? "public, max-age=31536000, immutable" : "public, max-age=300",
    ETag: `"${asset.hash}"`,
  });
});
