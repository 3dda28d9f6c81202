/**
 * `/d/{slug}/badge.svg`: a small badge "signatures | 1,234" with the live
 * count, for README files, blogs and forum signatures.  Other sites embed it
 * directly, so it is served cross-origin (CORS and CORP) and cached for a
 * minute.  Its text is escaped.
 */
import { Hono } from "hono";
import { getPublicDeclaration } from "../../db/declarations.ts";
import type { WebEnv } from "../kit/context.ts";
import { formatNumber } from "../kit/format.ts";
import { escapeXml } from "../kit/xml.ts";

/** About how wide `text` is at 11px in a sans-serif (wide glyphs count more). */
function textWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += /[mwMW@]/.test(ch) ? 10 : /[il.,:;|!' ]/.test(ch) ? 4 : /[A-Z0-9]/.test(ch) ? 8 : 7;
  return width;
}

export function badgeSvg(label: string, value: string, title: string): string {
  const lw = textWidth(label) + 12;
  const vw = textWidth(value) + 12;
  const w = lw + vw;
  const font = `font-family="DejaVu Sans,Verdana,Geneva,sans-serif" font-size="11"`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="20" viewBox="0 0 ${w} 20" role="img" aria-label="${escapeXml(`${title}: ${value} ${label}`)}">
<title>${escapeXml(`${title}: ${value} ${label}`)}</title>
<clipPath id="r"><rect width="${w}" height="20" rx="3" fill="#fff"/></clipPath>
<g clip-path="url(#r)"><rect width="${lw}" height="20" fill="#454b54"/><rect x="${lw}" width="${vw}" height="20" fill="#1d4e89"/></g>
<g fill="#fff" text-anchor="middle" ${font}>
<text x="${lw / 2}" y="14">${escapeXml(label)}</text>
<text x="${lw + vw / 2}" y="14" font-weight="bold">${escapeXml(value)}</text>
</g>
</svg>`;
}

export const badgeRoutes = new Hono<WebEnv>();

badgeRoutes.get("/:slug/badge.svg", (c) => {
  const { db } = c.get("deps");
  const declaration = getPublicDeclaration(db, c.req.param("slug"));
  const headers = {
    "Access-Control-Allow-Origin": "*",
    "Cross-Origin-Resource-Policy": "cross-origin",
  };
  if (declaration == null) return c.text("There is no Declaration with this name here.", 404, headers);
  const n = declaration.signatureCount;
  const svg = badgeSvg(n === 1 ? "signature" : "signatures", formatNumber(n), declaration.title);
  return c.body(svg, 200, {
    ...headers,
    "Content-Type": "image/svg+xml; charset=utf-8",
    "Cache-Control": "public, max-age=60",
  });
});
