/**
 * `/d/{slug}/qr.svg`: a QR code of the Declaration's address, as SVG (the
 * qrcode package), for posters and screens.  The image depends only on the
 * URL, so it is cached for a day and kept in memory per slug.
 */
import { Hono } from "hono";
import QRCode from "qrcode";
import { getPublicDeclaration } from "../../db/declarations.ts";
import type { WebEnv } from "../kit/context.ts";

/** The options the route uses; tests render the same input with them to compare. */
export const QR_OPTIONS = {
  type: "svg",
  errorCorrectionLevel: "M",
  margin: 2,
  color: { dark: "#000000", light: "#ffffff" },
} as const;

export async function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, QR_OPTIONS);
}

const images = new Map<string, Promise<string>>();

export const qrRoutes = new Hono<WebEnv>();

qrRoutes.get("/:slug/qr.svg", async (c) => {
  const { db, config } = c.get("deps");
  const declaration = getPublicDeclaration(db, c.req.param("slug"));
  if (declaration == null) return c.text("There is no Declaration with this name here.", 404);
  const url = new URL(`/d/${declaration.slug}`, config.origin).href;
  let svg = images.get(url);
  if (svg == null) {
    svg = qrSvg(url);
    if (images.size >= 1000) images.delete(images.keys().next().value!);
    images.set(url, svg);
  }
  return c.body(await svg, 200, {
    "Content-Type": "image/svg+xml; charset=utf-8",
    "Cache-Control": "public, max-age=86400",
    "Cross-Origin-Resource-Policy": "cross-origin",
  });
});
