/**
 * Uploaded images: recognised by their bytes (never by name or declared
 * type), decoded with a pixel limit, turned upright, bounded in size and
 * re-encoded, so that nothing of the uploaded file but its picture is kept.
 * sharp writes no metadata unless asked to, so EXIF (camera, GPS position,
 * dates), XMP, IPTC and comments are gone from every output.
 *
 * What comes out, by what went in:
 * - PNG → PNG (palette images stay palette images).  An opaque PNG that is
 *   still over 2 MB after re-encoding is a photo saved as PNG: it becomes a
 *   JPEG.
 * - JPEG → JPEG (mozjpeg, quality 82, progressive).
 * - WebP → WebP (quality 82; animated ones stay animated).
 * - GIF → GIF, animations kept (memes are often animated), every frame
 *   counted against the pixel limit.
 * - Anything else is refused: SVG (it can carry scripts), AVIF/HEIC (not
 *   shown by every fediverse server yet), TIFF, PDF, HTML…
 */
import { createHash } from "node:crypto";
import sharp, { type Metadata, type OutputInfo } from "sharp";

export type MediaMime = "image/png" | "image/jpeg" | "image/webp" | "image/gif";

/** Largest upload accepted, in bytes. */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
/** Largest image accepted, in pixels (all frames of an animation together). */
export const MAX_INPUT_PIXELS = 40_000_000;
/** Stored images fit in this square; smaller ones are never enlarged. */
export const MAX_DIMENSION = 2048;
/** Animations with more frames are refused. */
export const MAX_FRAMES = 300;
export const ALT_MAX = 1500;
export const TITLE_MAX = 200;
/** An opaque PNG larger than this after re-encoding is stored as a JPEG. */
const PNG_PHOTO_BYTES = 2 * 1024 * 1024;

export const EXTENSIONS: Readonly<Record<MediaMime, string>> = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/webp": "webp",
  "image/gif": "gif",
};

/** The media type for a URL extension, or null. */
export function mimeForExtension(ext: string): MediaMime | null {
  const found = Object.entries(EXTENSIONS).find(([, e]) => e === ext);
  return found == null ? null : (found[0] as MediaMime);
}

export type MediaRejection =
  | { code: "not_image"; status: 415; message: string }
  | { code: "svg"; status: 415; message: string }
  | { code: "too_large"; status: 413; message: string }
  | { code: "too_many_pixels"; status: 413; message: string }
  | { code: "damaged"; status: 400; message: string };

export interface ProcessedImage {
  mime: MediaMime;
  width: number;
  height: number;
  data: Buffer;
  /** SHA-256 (hex) of `data`. */
  sha256: string;
}

export type ProcessResult = { ok: true; image: ProcessedImage } | { ok: false; rejection: MediaRejection };

const NOT_IMAGE: MediaRejection = {
  code: "not_image",
  status: 415,
  message: "This file is not an image we accept (PNG, JPEG, WebP or GIF).",
};
const SVG: MediaRejection = {
  code: "svg",
  status: 415,
  message: "SVG images are not accepted: they can contain scripts. Please upload a PNG, JPEG, WebP or GIF.",
};
const DAMAGED: MediaRejection = {
  code: "damaged",
  status: 400,
  message: "This image is damaged or incomplete and could not be read. Please try another file.",
};

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

export const TOO_LARGE: MediaRejection = {
  code: "too_large",
  status: 413,
  message: `The file is larger than ${formatBytes(MAX_UPLOAD_BYTES)}. Please choose a smaller image.`,
};

function startsWith(data: Uint8Array, bytes: readonly number[], at = 0): boolean {
  return data.length >= at + bytes.length && bytes.every((b, i) => data[at + i] === b);
}

/** The accepted type these bytes start with, or null. */
export function sniffImageType(data: Uint8Array): MediaMime | null {
  if (startsWith(data, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (startsWith(data, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (startsWith(data, [0x47, 0x49, 0x46, 0x38]) && (data[4] === 0x37 || data[4] === 0x39) && data[5] === 0x61)
    return "image/gif";
  if (startsWith(data, [0x52, 0x49, 0x46, 0x46]) && startsWith(data, [0x57, 0x45, 0x42, 0x50], 8)) return "image/webp";
  return null;
}

/** Whether the bytes look like SVG (XML text with an `<svg` element near the start, in any case, after a BOM or comments). */
export function looksLikeSvg(data: Uint8Array): boolean {
  const head = Buffer.from(data.subarray(0, 4096)).toString("latin1").replace(/\0/g, "").toLowerCase();
  return /<svg[\s>/]/.test(head) || (/^\s*(\ufeff|ï»¿)?\s*<\?xml/.test(head) && head.includes("svg"));
}

const SHARP_FORMAT: Record<MediaMime, string> = {
  "image/png": "png",
  "image/jpeg": "jpeg",
  "image/webp": "webp",
  "image/gif": "gif",
};

/**
 * Checks and re-encodes an uploaded image.  Refusals carry a status and a
 * sentence for the person who uploaded it; nothing here throws for bad input.
 */
export async function processImage(input: Uint8Array): Promise<ProcessResult> {
  if (input.byteLength > MAX_UPLOAD_BYTES) return { ok: false, rejection: TOO_LARGE };
  const type = sniffImageType(input);
  if (type == null) return { ok: false, rejection: looksLikeSvg(input) ? SVG : NOT_IMAGE };

  const animated = type === "image/gif" || type === "image/webp";
  let meta: Metadata;
  try {
    meta = await sharp(input, { animated, limitInputPixels: false }).metadata();
  } catch {
    return { ok: false, rejection: DAMAGED };
  }
  // The header must agree with the first bytes: a PNG signature in front of something else is not a PNG.
  if (meta.format !== SHARP_FORMAT[type] || meta.width == null || meta.height == null)
    return { ok: false, rejection: NOT_IMAGE };
  const pages = animated ? (meta.pages ?? 1) : 1;
  const frameHeight = meta.pageHeight ?? meta.height;
  // Refuse decompression bombs from the header, before anything is decoded.
  const pixels = meta.width * frameHeight * pages;
  if (pixels > MAX_INPUT_PIXELS) {
    const size =
      pages > 1 ? `${meta.width} × ${frameHeight} pixels in ${pages} frames` : `${meta.width} × ${frameHeight} pixels`;
    return {
      ok: false,
      rejection: {
        code: "too_many_pixels",
        status: 413,
        message: `This image is ${size}; images may have at most ${MAX_INPUT_PIXELS / 1_000_000} megapixels. Please choose a smaller image.`,
      },
    };
  }
  if (pages > MAX_FRAMES) {
    return {
      ok: false,
      rejection: {
        code: "too_many_pixels",
        status: 413,
        message: `This animation has ${pages} frames; at most ${MAX_FRAMES} are accepted.`,
      },
    };
  }

  try {
    return { ok: true, image: await reencode(input, type, meta, animated && pages > 1) };
  } catch (error) {
    if (error instanceof Error && /pixel limit/i.test(error.message)) {
      return {
        ok: false,
        rejection: {
          code: "too_many_pixels",
          status: 413,
          message: `This image has more than ${MAX_INPUT_PIXELS / 1_000_000} megapixels.`,
        },
      };
    }
    return { ok: false, rejection: DAMAGED };
  }
}

async function reencode(
  input: Uint8Array,
  type: MediaMime,
  meta: Metadata,
  animated: boolean,
): Promise<ProcessedImage> {
  // failOn "warning": a truncated or corrupt file is refused rather than stored half grey.
  const pipeline = () =>
    sharp(input, { animated, limitInputPixels: MAX_INPUT_PIXELS, failOn: "warning", sequentialRead: true })
      // Upright by the EXIF orientation, before the EXIF is dropped.
      .autoOrient()
      .resize({ width: MAX_DIMENSION, height: MAX_DIMENSION, fit: "inside", withoutEnlargement: true });

  let mime: MediaMime = type;
  let out: { data: Buffer; info: OutputInfo };
  switch (type) {
    case "image/png":
      out = await pipeline()
        .png({ compressionLevel: 9, palette: meta.isPalette === true })
        .toBuffer({ resolveWithObject: true });
      if (!meta.hasAlpha && out.data.byteLength > PNG_PHOTO_BYTES) {
        mime = "image/jpeg";
        out = await pipeline()
          .jpeg({ quality: 82, progressive: true, mozjpeg: true })
          .toBuffer({ resolveWithObject: true });
      }
      break;
    case "image/jpeg":
      out = await pipeline()
        .jpeg({ quality: 82, progressive: true, mozjpeg: true })
        .toBuffer({ resolveWithObject: true });
      break;
    case "image/webp":
      out = await pipeline().webp({ quality: 82, effort: 4 }).toBuffer({ resolveWithObject: true });
      break;
    case "image/gif":
      out = await pipeline().gif({ effort: 7 }).toBuffer({ resolveWithObject: true });
      break;
  }
  const height = animated ? (out.info.pageHeight ?? out.info.height) : out.info.height;
  return {
    mime,
    width: out.info.width,
    height,
    data: out.data,
    sha256: createHash("sha256").update(out.data).digest("hex"),
  };
}

export type TextCheck = { ok: true; value: string } | { ok: false; message: string };

/** Alt text: required, 1–1500 characters, line breaks kept, surrounding space trimmed. */
export function checkAlt(raw: string): TextCheck {
  const value = raw.replace(/\r\n?/g, "\n").trim();
  if (value === "") return { ok: false, message: "Please describe the image for people who cannot see it." };
  const length = [...value].length;
  if (length > ALT_MAX)
    return { ok: false, message: `The description is ${length} characters long; at most ${ALT_MAX} are allowed.` };
  return { ok: true, value };
}

/** Title: optional, one line, at most 200 characters. */
export function checkTitle(raw: string): TextCheck {
  const value = raw.replace(/\s+/g, " ").trim();
  const length = [...value].length;
  if (length > TITLE_MAX)
    return { ok: false, message: `The title is ${length} characters long; at most ${TITLE_MAX} are allowed.` };
  return { ok: true, value };
}

/** A download file name from a title: ASCII letters, digits and dashes, or `image` when nothing is left. */
export function downloadName(title: string, uuid: string, mime: MediaMime): string {
  const base = title
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 80)
    .replace(/-+$/, "");
  return `${base === "" ? `image-${uuid.slice(0, 8)}` : base}.${EXTENSIONS[mime]}`;
}
