/**
 * Reading request bodies defensively: a size limit enforced while reading,
 * the right content type, strict UTF-8.  Each failure has a status and a
 * message fit to show to the person or app that sent it.
 */
import { getLogger } from "@logtape/logtape";
import type { Context } from "hono";
import { APP } from "../../logging.ts";
import { isClientAbort, QuietLog } from "./quiet-log.ts";

/** Interrupted bodies: one debug line a minute at most, whoever sends them. */
const aborted = new QuietLog(getLogger([APP, "web"]), "debug");

export type BodyError = { ok: false; status: 400 | 413 | 415; code: string; message: string };
export type BodyResult<T> = { ok: true; value: T } | BodyError;

const ABORTED: BodyError = {
  ok: false,
  status: 400,
  code: "aborted",
  message: "The request ended before all of it arrived. Please try again.",
};

/** Largest form or JSON body accepted for a signature (a comment is ≤ 500 characters). */
export const MAX_BODY_BYTES = 16 * 1024;

async function readLimited(c: Context, maxBytes: number): Promise<BodyResult<Uint8Array>> {
  const declared = c.req.header("content-length");
  const tooLarge: BodyError = {
    ok: false,
    status: 413,
    code: "too_large",
    message: `The request is larger than ${maxBytes / 1024} KB.`,
  };
  if (declared != null && Number(declared) > maxBytes) return tooLarge;
  const body = c.req.raw.body;
  if (body == null) return { ok: true, value: new Uint8Array() };
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (error) {
      // The client closed the connection before the body was complete: nobody
      // is waiting for an answer, and it is not the site's fault.
      if (!isClientAbort(error)) throw error;
      aborted.note("A request body to {path} ended early: the client closed the connection", { path: c.req.path });
      return ABORTED;
    }
    const { done, value } = chunk;
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      return tooLarge;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { ok: true, value: bytes };
}

function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

const INVALID_UTF8: BodyError = {
  ok: false,
  status: 400,
  code: "invalid_encoding",
  message: "The request is not valid UTF-8 text.",
};

/**
 * The body as text, if it has the media type `type` (415 otherwise), fits in
 * `maxBytes` (413) and is valid UTF-8 (400).
 */
async function readText(c: Context, type: string, wrongType: string, maxBytes: number): Promise<BodyResult<string>> {
  const sent = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (sent !== type) return { ok: false, status: 415, code: "unsupported_media_type", message: wrongType };
  const raw = await readLimited(c, maxBytes);
  if (!raw.ok) return raw;
  const text = decodeUtf8(raw.value);
  return text == null ? INVALID_UTF8 : { ok: true, value: text };
}

/** Reads an `application/x-www-form-urlencoded` body; the first value of each name wins. */
export async function readForm(c: Context, maxBytes = MAX_BODY_BYTES): Promise<BodyResult<Record<string, string>>> {
  const body = await readText(
    c,
    "application/x-www-form-urlencoded",
    "The form must be sent as application/x-www-form-urlencoded.",
    maxBytes,
  );
  if (!body.ok) return body;
  const text = body.value;
  const fields: Record<string, string> = Object.create(null);
  for (const pair of text.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    try {
      // decodeURIComponent throws on percent-encoded bytes that are not UTF-8.
      const name = decodeURIComponent((eq < 0 ? pair : pair.slice(0, eq)).replace(/\+/g, " "));
      const value = eq < 0 ? "" : decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, " "));
      if (!(name in fields)) fields[name] = value;
    } catch {
      return INVALID_UTF8;
    }
  }
  return { ok: true, value: fields };
}

/** Reads an `application/json` body that must be a JSON object. */
export async function readJsonObject(
  c: Context,
  maxBytes = MAX_BODY_BYTES,
): Promise<BodyResult<Record<string, unknown>>> {
  const body = await readText(
    c,
    "application/json",
    "Send the signature as JSON with Content-Type: application/json.",
    maxBytes,
  );
  if (!body.ok) return body;
  const text = body.value;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, status: 400, code: "invalid_json", message: "The request body is not valid JSON." };
  }
  if (value == null || typeof value !== "object" || Array.isArray(value)) {
    return { ok: false, status: 400, code: "invalid_json", message: "The request body must be a JSON object." };
  }
  return { ok: true, value: value as Record<string, unknown> };
}
