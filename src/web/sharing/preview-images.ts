/**
 * Preview images for links shared on social media (Open Graph, Twitter
 * cards): `/d/{slug}/preview.png` and `/strike/preview.png`, 1200×630 PNG.
 * Each is an SVG template rendered by sharp (librsvg) with the generic font
 * families it has, kept in memory per Declaration revision and count bucket
 * (the count on the image is rounded, so a busy day does not render one image
 * per signature).  Every text is XML-escaped.
 */
import { createHash } from "node:crypto";
import { Hono, type Context } from "hono";
import sharp from "sharp";
import { getPublicDeclaration } from "../../db/declarations.ts";
import { readStrikeSettingsValue } from "../../db/strike.ts";
import { parseStoredSettings, type StrikeSettings } from "../../strike/settings.ts";
import type { WebEnv } from "../kit/context.ts";
import { formatNumber } from "../kit/format.ts";
import { escapeXml } from "../kit/xml.ts";

export const PREVIEW_WIDTH = 1200;
export const PREVIEW_HEIGHT = 630;

/**
 * The count shown on a preview: exact below 100, then rounded down to two
 * significant figures (1,234 → 1,200), so the image changes now and then
 * rather than with every signature.
 */
export function countBucket(n: number): number {
  if (n < 100) return n;
  const step = 10 ** (Math.floor(Math.log10(n)) - 1);
  return Math.floor(n / step) * step;
}

/** Splits `text` into at most `maxLines` lines of about `perLine` characters, with "…" when cut. */
export function wrapText(text: string, perLine: number, maxLines: number): string[] {
  const words = text
    .trim()
    .split(/\s+/)
    .filter((w) => w !== "");
  const lines: string[] = [];
  let line = "";
  for (let i = 0; i < words.length; i++) {
    let word = words[i]!;
    if ([...word].length > perLine) word = `${[...word].slice(0, perLine - 1).join("")}…`;
    const next = line === "" ? word : `${line} ${word}`;
    if ([...next].length <= perLine) {
      line = next;
      continue;
    }
    lines.push(line);
    line = word;
    if (lines.length === maxLines) {
      const last = lines[maxLines - 1]!;
      lines[maxLines - 1] = `${[...last].slice(0, perLine - 1).join("")}…`;
      return lines;
    }
  }
  if (line !== "") lines.push(line);
  return lines;
}

const SANS = "DejaVu Sans, Liberation Sans, Arial, sans-serif";
const SERIF = "DejaVu Serif, Liberation Serif, Georgia, serif";

interface PreviewText {
  readonly kicker: string;
  readonly title: string;
  readonly big: string;
  readonly bigLabel: string;
  readonly footer: string;
}

/** The SVG of one preview: a gold band, a kicker, the title (up to 3 lines), a big number or date, the site name. */
export function previewSvg(text: PreviewText): string {
  const titleSize = text.title.length > 60 ? 58 : 68;
  const lines = wrapText(text.title, Math.floor(1040 / (titleSize * 0.6)), 3);
  const titleTop = 190;
  const titleLines = lines
    .map((l, i) => `<tspan x="80" y="${titleTop + i * Math.round(titleSize * 1.18)}">${escapeXml(l)}</tspan>`)
    .join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${PREVIEW_WIDTH}" height="${PREVIEW_HEIGHT}" viewBox="0 0 ${PREVIEW_WIDTH} ${PREVIEW_HEIGHT}">
<rect width="100%" height="100%" fill="#f8f6f1"/>
<rect width="100%" height="16" fill="#e0a826"/>
<rect x="0" y="540" width="100%" height="90" fill="#1d4e89"/>
<text x="80" y="110" font-family="${SANS}" font-size="30" font-weight="bold" fill="#545a63" letter-spacing="2">${escapeXml(text.kicker.toUpperCase())}</text>
<text font-family="${SERIF}" font-size="${titleSize}" font-weight="bold" fill="#1b1d21">${titleLines}</text>
<text x="80" y="495" font-family="${SANS}" fill="#1d4e89"><tspan font-size="64" font-weight="bold">${escapeXml(text.big)}</tspan><tspan font-size="34" fill="#1b1d21" dx="18">${escapeXml(text.bigLabel)}</tspan></text>
<text x="80" y="597" font-family="${SANS}" font-size="32" font-weight="bold" fill="#ffffff">${escapeXml(text.footer)}</text>
</svg>`;
}

export async function renderPreview(text: PreviewText): Promise<Buffer> {
  return sharp(Buffer.from(previewSvg(text)))
    .png({ compressionLevel: 9 })
    .toBuffer();
}

/** Rendered images by database handle and key; bounded. */
const cache = new WeakMap<object, Map<string, Promise<Buffer>>>();
const CACHE_SIZE = 200;

function cached(db: object, key: string, render: () => Promise<Buffer>): Promise<Buffer> {
  let images = cache.get(db);
  if (images == null) {
    images = new Map();
    cache.set(db, images);
  }
  let image = images.get(key);
  if (image == null) {
    image = render();
    if (images.size >= CACHE_SIZE) images.delete(images.keys().next().value!);
    images.set(key, image);
    // A failed render is not kept.
    image.catch(() => images.delete(key));
  }
  return image;
}

function png(c: Context<WebEnv>, body: Buffer, etag: string) {
  if (c.req.header("If-None-Match") === etag) return c.body(null, 304, { ETag: etag });
  return c.body(new Uint8Array(body), 200, {
    "Content-Type": "image/png",
    "Cache-Control": "public, max-age=3600",
    ETag: etag,
    // Servers and other sites fetch these for link previews.
    "Cross-Origin-Resource-Policy": "cross-origin",
  });
}

/** The version of a Declaration's preview: its query string changes whenever the image does. */
export function declarationPreviewVersion(d: { revision: number; signatureCount: number; status: string }): string {
  return `${d.revision}-${countBucket(d.signatureCount)}${d.status === "withdrawn" ? "-w" : ""}`;
}

/** Dates of the strike, as "4–5 July 2026" style text (English). */
export function strikeDates(days: readonly string[]): string {
  const format = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
  const first = new Date(`${days[0]}T00:00:00Z`);
  const last = new Date(`${days[days.length - 1]}T00:00:00Z`);
  if (days.length === 1) return format.format(first);
  // "4 – 5 July 2026" reads better closed up: "4–5 July 2026".
  return format.formatRange(first, last).replace(/(\d)\s*–\s*(\d)/u, "$1–$2");
}

export function strikePreviewVersion(settings: StrikeSettings, siteName: string): string {
  return createHash("sha256")
    .update(JSON.stringify([settings.name, settings.days, settings.hashtags, siteName]))
    .digest("hex")
    .slice(0, 12);
}

export const previewRoutes = new Hono<WebEnv>();

/** A Declaration's preview image (mounted under /d; no session). */
export const declarationPreviewRoutes = new Hono<WebEnv>();

declarationPreviewRoutes.get("/:slug/preview.png", async (c) => {
  const { db, config } = c.get("deps");
  const declaration = getPublicDeclaration(db, c.req.param("slug"));
  if (declaration == null) return c.text("There is no Declaration with this name here.", 404);
  const version = declarationPreviewVersion(declaration);
  const bucket = countBucket(declaration.signatureCount);
  const image = await cached(db, `d:${declaration.id}:${version}:${config.instanceName}`, () =>
    renderPreview({
      kicker: declaration.status === "withdrawn" ? "Declaration (withdrawn)" : "Declaration · sign it",
      title: declaration.title,
      big: `${formatNumber(bucket)}${bucket !== declaration.signatureCount ? "+" : ""}`,
      bigLabel: declaration.signatureCount === 1 ? "signature" : "signatures",
      footer: config.instanceName,
    }),
  );
  return png(c, image, `"d-${declaration.id}-${version}"`);
});

previewRoutes.get("/strike/preview.png", async (c) => {
  const { db, config } = c.get("deps");
  const settings = parseStoredSettings(readStrikeSettingsValue(db), new Date());
  const version = strikePreviewVersion(settings, config.instanceName);
  const image = await cached(db, `strike:${version}`, () =>
    renderPreview({
      kicker: settings.hashtags.map((t) => `#${t}`).join(" "),
      title: settings.name,
      big: strikeDates(settings.days),
      bigLabel: "",
      footer: config.instanceName,
    }),
  );
  return png(c, image, `"strike-${version}"`);
});
