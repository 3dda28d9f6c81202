/**
 * Renders the Declaration actors' shared images from the site icon
 * (src/web/static/icon.svg) and the stylesheet's colours, in headless
 * Chromium (Debian's /usr/bin/chromium, or CHROMIUM_PATH):
 *
 *   src/web/static/avatar.png   400 × 400   the actors' `icon`, and the default avatar
 *   src/web/static/header.png  1500 × 500   the actors' `image` (profile header)
 *
 * Run after changing the icon or the colours:  npx tsx scripts/render-actor-images.ts
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const ROOT = resolve(import.meta.dirname, "..");
const STATIC = join(ROOT, "src", "web", "static");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const icon = readFileSync(join(STATIC, "icon.svg"), "utf8");
const css = readFileSync(join(STATIC, "style.css"), "utf8");

/** A colour token from the stylesheet's light theme (the first definition). */
function token(name: string): string {
  const match = new RegExp(`--${name}:\\s*(#[0-9a-fA-F]{3,8})`).exec(css);
  if (match == null) throw new Error(`style.css has no --${name} colour`);
  return match[1]!;
}

const accent = token("accent");
const gold = token("gold");
const bg = token("bg");

/** The icon's strokes (the signature wave and the line under it), from icon.svg. */
const paths = [...icon.matchAll(/<path\b[^>]*\bd="([^"]+)"[^>]*\bstroke="([^"]+)"/g)].map((m) => ({
  d: m[1]!,
  stroke: m[2]!,
}));
if (paths.length !== 2) throw new Error(`expected two paths in icon.svg, found ${paths.length}`);
const [wave, line] = paths as [{ d: string; stroke: string }, { d: string; stroke: string }];

/** The mark on a full square (Mastodon and others round or crop avatars themselves). */
const avatarSvg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="4 4 24 24" width="400" height="400">
  <rect x="4" y="4" width="24" height="24" fill="${accent}"/>
  <path d="${wave.d}" fill="none" stroke="#fff" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round"/>
  <path d="${line.d}" stroke="${gold}" stroke-width="2.2" stroke-linecap="round"/>
</svg>`;

/**
 * The header: the accent colour with the signature wave drawn large across it
 * and a gold line under it, kept to the right half (servers put the avatar
 * and name over the lower left).
 */
const headerSvg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1500 500" width="1500" height="500">
  <rect width="1500" height="500" fill="${accent}"/>
  <rect width="1500" height="10" fill="${gold}"/>
  <g transform="translate(712 -83) scale(18)" fill="none" stroke-linecap="round" stroke-linejoin="round">
    <path d="${wave.d}" stroke="${bg}" stroke-width="1.8"/>
    <path d="${line.d}" stroke="${gold}" stroke-width="1.8"/>
  </g>
</svg>`;

function page(svg: string): string {
  return `<!DOCTYPE html><html><head><style>html,body{margin:0;padding:0;background:transparent}svg{display:block}</style></head><body>${svg}</body></html>`;
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu"],
});
try {
  for (const [name, svg, width, height] of [
    ["avatar.png", avatarSvg, 400, 400],
    ["header.png", headerSvg, 1500, 500],
  ] as const) {
    const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 });
    const tab = await context.newPage();
    await tab.setContent(page(svg));
    await tab.screenshot({ path: join(STATIC, name), clip: { x: 0, y: 0, width, height } });
    await context.close();
    console.log(`wrote src/web/static/${name} (${width}×${height})`);
  }
} finally {
  await browser.close();
}
