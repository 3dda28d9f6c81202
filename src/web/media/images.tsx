/**
 * (Over 400 lines: serving images and the admin's page share the upload checks.)
 *
 * Uploaded images.
 *
 * - `GET /media/{uuid}.{ext}` (and HEAD): the stored bytes, with their type,
 *   a year of caching (the bytes of a uuid never change), an ETag, `nosniff`
 *   and a Content-Security-Policy that lets nothing run.  `?download=1` adds
 *   `Content-Disposition: attachment` with a file name made from the title.
 *   Other sites and fediverse apps may show the images (CORP cross-origin).
 * - `/admin/media` (admins): upload (multipart, read with a size limit while
 *   reading), the list with thumbnails, editing the description, title and
 *   gallery flag, deleting after a confirmation page.
 *
 * Processing (type by content, pixel limit, re-encoding, no metadata) is in
 * src/images.ts; storage in src/db/media.ts.
 */
import { Hono, type Context } from "hono";
import { z } from "zod";
import {
  countPostsWithMedia,
  deleteMedia,
  getMediaById,
  getMediaByUuid,
  getMediaData,
  insertMedia,
  listMedia,
  updateMedia,
} from "../../db/media.ts";
import type { DbLike } from "../../db/client.ts";
import type { Media } from "../../db/schema.ts";
import { readStrikeSettingsValue } from "../../db/strike.ts";
import {
  ALT_MAX,
  checkAlt,
  checkTitle,
  downloadName,
  EXTENSIONS,
  formatBytes,
  MAX_UPLOAD_BYTES,
  mimeForExtension,
  processImage,
  TITLE_MAX,
  TOO_LARGE,
  type MediaMime,
} from "../../images.ts";
import { parseStoredSettings } from "../../strike/settings.ts";
import { requireAdmin, type Guarded } from "../kit/guards.ts";
import { readForm } from "../kit/body.ts";
import type { WebEnv } from "../kit/context.ts";
import { NOTHING_RUNS, policyHeader } from "../kit/csp.ts";
import { CSRF_FIELD, verifyCsrf } from "../kit/csrf.ts";
import { formatDate } from "../kit/format.ts";
import { type Notice, StatusNotice, success, warning } from "../kit/notice.tsx";
import { parseForm, parseRequest } from "../kit/params.ts";
import { csrfFor, forbiddenPage, personalPage, type PersonalStatus } from "../layout/personal.tsx";
import { fieldAria } from "../layout/FormErrors.tsx";

/** The path of an image (`/media/{uuid}.{ext}`). */
export function mediaPath(m: Pick<Media, "uuid" | "mime">): string {
  return `/media/${m.uuid}.${EXTENSIONS[m.mime as MediaMime]}`;
}

// ---------- Serving ----------

export const mediaRoutes = new Hono<WebEnv>();

const FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([a-z]{3,4})$/;

mediaRoutes.get("/:file", (c) => {
  const match = FILE.exec(c.req.param("file"));
  if (match == null) return c.notFound();
  const { db } = c.get("deps");
  const row = getMediaByUuid(db, match[1]!);
  if (row == null || mimeForExtension(match[2]!) !== row.mime) return c.notFound();
  const headers: Record<string, string> = {
    "Content-Type": row.mime,
    "Cache-Control": "public, max-age=31536000, immutable",
    ETag: `"${row.sha256}"`,
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": policyHeader(NOTHING_RUNS),
    "Cross-Origin-Resource-Policy": "cross-origin",
  };
  if (c.req.query("download") != null) {
    const name = downloadName(row.title, row.uuid, row.mime as MediaMime);
    headers["Content-Disposition"] = `attachment; filename="${name}"`;
  }
  const etags = (c.req.header("if-none-match") ?? "").split(",").map((t) => t.trim().replace(/^W\//, ""));
  if (etags.includes(headers.ETag!) || etags.includes("*")) return c.body(null, 304, headers);
  const data = getMediaData(db, row.id);
  if (data == null) return c.notFound();
  headers["Content-Length"] = String(data.byteLength);
  return c.body(new Uint8Array(data.buffer, data.byteOffset, data.byteLength) as Uint8Array<ArrayBuffer>, 200, headers);
});

// ---------- Reading an upload ----------

/** Room for the form's other fields around the file (the description is at most 1,500 characters). */
const FORM_OVERHEAD_BYTES = 64 * 1024;
const MAX_PARTS = 16;

interface Part {
  name: string;
  filename: string | null;
  data: Buffer;
}

type Upload = { ok: true; parts: Part[]; truncated: boolean } | { ok: false; status: 400 | 415; message: string };

/**
 * The complete parts of a `multipart/form-data` body.  At most `maxBytes` are
 * read (the rest is never buffered); a body cut there keeps the parts that
 * came before the cut, so the typed text fields (sent before the file) survive.
 */
async function readMultipart(c: Context, maxBytes: number): Promise<Upload> {
  const type = c.req.header("content-type") ?? "";
  const boundary = /^multipart\/form-data\s*;.*?\bboundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(type);
  if (boundary == null) return { ok: false, status: 415, message: "The form must be sent as multipart/form-data." };
  const { bytes, truncated } = await readUpTo(c, maxBytes);
  const parts = parseParts(bytes, boundary[1] ?? boundary[2]!);
  if (parts == null) return { ok: false, status: 400, message: "The upload could not be read. Please try again." };
  return { ok: true, parts, truncated };
}

async function readUpTo(c: Context, maxBytes: number): Promise<{ bytes: Buffer; truncated: boolean }> {
  const body = c.req.raw.body;
  if (body == null) return { bytes: Buffer.alloc(0), truncated: false };
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { bytes: Buffer.concat(chunks, size), truncated: false };
    const room = maxBytes - size;
    if (value.byteLength > room) {
      chunks.push(value.subarray(0, room));
      await reader.cancel().catch(() => {});
      return { bytes: Buffer.concat(chunks, maxBytes), truncated: true };
    }
    chunks.push(value);
    size += value.byteLength;
  }
}

function parseParts(body: Buffer, boundary: string): Part[] | null {
  const delimiter = Buffer.from(`--${boundary}`);
  const next = Buffer.from(`\r\n--${boundary}`);
  let pos = body.indexOf(delimiter);
  if (pos < 0) return body.byteLength === 0 ? [] : null;
  const parts: Part[] = [];
  while (parts.length < MAX_PARTS) {
    pos += delimiter.byteLength;
    if (body.subarray(pos, pos + 2).toString("latin1") === "--") break;
    const headersEnd = body.indexOf("\r\n\r\n", pos);
    if (headersEnd < 0) break;
    const end = body.indexOf(next, headersEnd + 4);
    // A part with no closing delimiter was cut by the size limit: dropped.
    if (end < 0) break;
    const headers = body.subarray(pos, headersEnd).toString("utf8");
    const disposition = /^content-disposition:\s*form-data\s*;(.*)$/im.exec(headers);
    const name = disposition != null ? /\bname="([^"]*)"/i.exec(disposition[1]!) : null;
    if (name != null) {
      const filename = /\bfilename="([^"]*)"/i.exec(disposition![1]!);
      parts.push({
        name: name[1]!,
        filename: filename != null ? filename[1]! : null,
        data: body.subarray(headersEnd + 4, end),
      });
    }
    pos = end + 2;
  }
  return parts;
}

function textOf(parts: Part[], name: string): string | undefined {
  const part = parts.find((p) => p.name === name && p.filename == null);
  if (part == null) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(part.data);
  } catch {
    return undefined;
  }
}

// ---------- The admin page ----------

export const mediaAdminRoutes = new Hono<WebEnv>();

const PATH = "/admin/media";
const TITLE = "Images";

const NOTICES: Record<string, Notice> = {
  uploaded: success("The image is uploaded."),
  existing: warning("This image was uploaded before; its entry is shown below, unchanged."),
  saved: success("Saved."),
  deleted: success("The image is deleted."),
};

type Field = "file" | "alt" | "title";
type Errors = Partial<Record<Field, string>>;
interface Values {
  alt: string;
  title: string;
  gallery: boolean;
}

interface AdminProps {
  csrf: string;
  items: Media[];
  notice?: Notice;
  /** The upload form as sent, with what was wrong. */
  upload?: { values: Values; errors: Errors };
  /** One image's edit form as sent, with what was wrong. */
  edit?: { id: number; values: Values; errors: Errors };
  /** The image to highlight after a change. */
  focus?: number;
}

const LABELS: Record<Field, string> = { file: "Image file", alt: "Description (alt text)", title: "Title" };

function ErrorSummary(props: { errors: Errors; prefix: string }) {
  const fields = (["file", "alt", "title"] as const).filter((f) => props.errors[f] != null);
  if (fields.length === 0) return null;
  return (
    <div class="form-errors" role="alert" tabindex={-1}>
      <p>Please check {fields.length === 1 ? "this field" : "these fields"}:</p>
      <ul>
        {fields.map((f) => (
          <li>
            <a href={`#${props.prefix}-${f}`}>{LABELS[f]}</a>: {props.errors[f]}
          </li>
        ))}
      </ul>
    </div>
  );
}

function invalid(prefix: string, field: Field, errors: Errors, hint?: string) {
  return fieldAria(`${prefix}-${field}-error`, errors[field], hint);
}

function FieldError(props: { prefix: string; field: Field; errors: Errors }) {
  const message = props.errors[props.field];
  return message == null ? null : (
    <p class="field-error" id={`${props.prefix}-${props.field}-error`}>
      {message}
    </p>
  );
}

/** Description, title and gallery fields, shared by the upload and edit forms. */
function TextFields(props: { prefix: string; values: Values; errors: Errors }) {
  const { prefix, values, errors } = props;
  return (
    <>
      <div class="field">
        <label for={`${prefix}-alt`}>
          Description (alt text) <span class="required">(required)</span>
        </label>
        <p class="hint" id={`${prefix}-alt-hint`}>
          What the image shows, for people who cannot see it: its text word for word, and what matters in the picture.
          At most {ALT_MAX} characters.
        </p>
        <textarea
          id={`${prefix}-alt`}
          name="alt"
          required
          maxlength={ALT_MAX}
          rows={3}
          {...invalid(prefix, "alt", errors, `${prefix}-alt-hint`)}
        >
          {values.alt}
        </textarea>
        <FieldError prefix={prefix} field="alt" errors={errors} />
      </div>
      <div class="field">
        <label for={`${prefix}-title`}>
          Title <span class="optional">(optional; names the downloaded file)</span>
        </label>
        <input
          id={`${prefix}-title`}
          name="title"
          type="text"
          maxlength={TITLE_MAX}
          autocomplete="off"
          value={values.title}
          {...invalid(prefix, "title", errors)}
        />
        <FieldError prefix={prefix} field="title" errors={errors} />
      </div>
      <div class="field checkbox-field">
        <label>
          <input type="checkbox" name="gallery" value="1" checked={values.gallery} /> Show in the memes gallery
        </label>
      </div>
    </>
  );
}

function UploadForm(props: { csrf: string; values: Values; errors: Errors }) {
  const { errors } = props;
  const sentBefore = Object.keys(errors).length > 0;
  return (
    <form
      method="post"
      action={PATH}
      enctype="multipart/form-data"
      class="account-form media-upload"
      aria-labelledby="upload-heading"
      novalidate
    >
      <ErrorSummary errors={errors} prefix="upload" />
      {/* The text fields come before the file, so that they arrive (and are kept) even when the file is too large. */}
      <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
      <TextFields prefix="upload" values={props.values} errors={errors} />
      <div class="field">
        <label for="upload-file">
          Image file <span class="required">(required)</span>
        </label>
        <p class="hint" id="upload-file-hint">
          PNG, JPEG, WebP or GIF, at most {formatBytes(MAX_UPLOAD_BYTES)}.{" "}
          {sentBefore
            ? "Please choose the file again: browsers do not keep it when a form comes back."
            : "It is re-encoded and its metadata (camera, location, dates) removed; large images are made to fit 2048 × 2048 pixels."}
        </p>
        <input
          id="upload-file"
          name="file"
          type="file"
          required
          accept="image/png,image/jpeg,image/webp,image/gif"
          {...invalid("upload", "file", errors, "upload-file-hint")}
        />
        <FieldError prefix="upload" field="file" errors={errors} />
      </div>
      <p class="actions">
        <button type="submit">Upload</button>
      </p>
    </form>
  );
}

function MediaItem(props: { item: Media; csrf: string; edit?: AdminProps["edit"]; focus: boolean }) {
  const m = props.item;
  const editing = props.edit?.id === m.id ? props.edit : undefined;
  const values = editing?.values ?? { alt: m.alt, title: m.title, gallery: m.gallery };
  const prefix = `media-${m.id}`;
  return (
    <li class={props.focus ? "media-item media-item-focus" : "media-item"} id={prefix}>
      {/* The description is shown as text next to the thumbnail, so the thumbnail itself is not described twice. */}
      <a href={mediaPath(m)} class="media-thumb">
        <img src={mediaPath(m)} alt="" width={m.width} height={m.height} loading="lazy" decoding="async" />
        <span class="visually-hidden">Open the image{m.title !== "" ? ` ${m.title}` : ""}</span>
      </a>
      <div class="media-meta">
        {m.title !== "" && <h3 class="media-title">{m.title}</h3>}
        <p class="media-alt">{m.alt}</p>
        <p class="fine-print">
          {m.mime.replace("image/", "").toUpperCase()}, {m.width} × {m.height} pixels, {formatBytes(m.bytes)}; uploaded{" "}
          {formatDate(m.created)}
          {m.gallery ? "; in the memes gallery" : ""}.
        </p>
        <p class="fine-print media-url">
          <a href={mediaPath(m)}>{mediaPath(m)}</a>
        </p>
        <details class="media-edit" open={editing != null}>
          <summary>
            Edit the description, title or gallery
            <span class="visually-hidden"> of image {m.title !== "" ? m.title : m.id}</span>
          </summary>
          <form method="post" action={`${PATH}/${m.id}`} class="account-form" novalidate>
            <ErrorSummary errors={editing?.errors ?? {}} prefix={prefix} />
            <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
            <TextFields prefix={prefix} values={values} errors={editing?.errors ?? {}} />
            <p class="actions">
              <button type="submit">Save</button>
            </p>
          </form>
        </details>
        <p class="inline-actions">
          <a href={`${PATH}/${m.id}/delete`} class="danger-link">
            Delete…<span class="visually-hidden"> image {m.title !== "" ? m.title : m.id}</span>
          </a>
        </p>
      </div>
    </li>
  );
}

function MediaAdminView(props: AdminProps) {
  return (
    <section class="prose-page media-admin" aria-labelledby="media-title">
      <p class="breadcrumb">
        <a href="/admin">Site administration</a>
      </p>
      <h1 id="media-title">{TITLE}</h1>
      <StatusNotice notice={props.notice} />
      <p>
        Images for strike notices and for the <a href="/memes">memes gallery</a>. Each needs a description for people
        who cannot see it; it goes with the image wherever it is posted.
      </p>
      <h2 id="upload-heading">Upload an image</h2>
      <UploadForm
        csrf={props.csrf}
        values={props.upload?.values ?? { alt: "", title: "", gallery: true }}
        errors={props.upload?.errors ?? {}}
      />
      <h2 id="list-title">Uploaded images</h2>
      {props.items.length === 0 ? (
        <p class="empty">No images yet.</p>
      ) : (
        <ul class="media-list" aria-labelledby="list-title">
          {props.items.map((item) => (
            <MediaItem item={item} csrf={props.csrf} edit={props.edit} focus={props.focus === item.id} />
          ))}
        </ul>
      )}
    </section>
  );
}

function adminPage(c: Context<WebEnv>, extra: Partial<AdminProps> = {}, status: PersonalStatus = 200) {
  const { db } = c.get("deps");
  return personalPage(c, TITLE, <MediaAdminView csrf={csrfFor(c)} items={listMedia(db)} {...extra} />, status);
}

function messagePage(c: Context<WebEnv>, heading: string, message: string, status: PersonalStatus) {
  return personalPage(
    c,
    TITLE,
    <section class="error-page">
      <h1>{heading}</h1>
      <p>{message}</p>
      <p>
        <a href={PATH}>Back to the images</a>
      </p>
    </section>,
    status,
  );
}

const EXPIRED = "This form expired or was not sent from this site. Nothing was changed; please try again.";

/** A field read with one of src/images.ts's checks: its cleaned value, or its message as the field's problem. */
function checked(check: (raw: string) => { ok: true; value: string } | { ok: false; message: string }) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const result = check(raw ?? "");
      if (!result.ok) ctx.addIssue({ code: "custom", message: result.message });
      return result.ok ? result.value : "";
    });
}

/** An image's id in a path. */
const mediaId = z
  .string()
  .regex(/^[1-9]\d{0,15}$/)
  .transform(Number);

/** An image's words: its description (required), title (optional) and whether the gallery shows it. */
const mediaTextForm = z.object({
  alt: checked(checkAlt),
  title: checked(checkTitle),
  gallery: z
    .string()
    .optional()
    .transform((s) => s === "1"),
});

mediaAdminRoutes.get("/", (c) => {
  const guard = requireAdmin(c, PATH);
  if (!guard.ok) return guard.response;
  const done = c.req.query("done");
  const focus = Number(c.req.query("id"));
  return adminPage(c, {
    ...(done != null && Object.hasOwn(NOTICES, done) ? { notice: NOTICES[done]! } : {}),
    ...(Number.isSafeInteger(focus) && focus > 0 ? { focus } : {}),
  });
});

function statusOf(errors: Errors, fileStatus: 400 | 413 | 415 | null): PersonalStatus {
  return errors.file != null && fileStatus != null ? fileStatus : 400;
}

mediaAdminRoutes.post("/", async (c) => {
  const guard = requireAdmin(c, PATH);
  if (!guard.ok) return guard.response;
  const { db, batcher, secret, config } = c.get("deps");
  const upload = await readMultipart(c, MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES);
  const empty: Values = { alt: "", title: "", gallery: false };
  if (!upload.ok) return adminPage(c, { upload: { values: empty, errors: { file: upload.message } } }, upload.status);
  const { parts } = upload;
  if (!verifyCsrf(c, secret, config.origin, textOf(parts, CSRF_FIELD))) return forbiddenPage(c, EXPIRED);

  const values: Values = {
    alt: textOf(parts, "alt") ?? "",
    title: textOf(parts, "title") ?? "",
    gallery: textOf(parts, "gallery") === "1",
  };
  const text = parseForm(mediaTextForm, { alt: values.alt, title: values.title, gallery: textOf(parts, "gallery") });
  const errors: Errors = text.ok ? {} : { ...text.errors };

  let fileStatus: 400 | 413 | 415 | null = null;
  const file = parts.find((p) => p.name === "file" && p.filename != null);
  let image = null;
  if (upload.truncated || (file != null && file.data.byteLength > MAX_UPLOAD_BYTES)) {
    errors.file = TOO_LARGE.message;
    fileStatus = 413;
  } else if (file == null || (file.filename === "" && file.data.byteLength === 0)) {
    errors.file = "Please choose an image to upload.";
  } else if (file.data.byteLength === 0) {
    errors.file = "This file is empty. Please choose an image.";
  } else {
    const processed = await processImage(file.data);
    if (processed.ok) image = processed.image;
    else {
      errors.file = processed.rejection.message;
      fileStatus = processed.rejection.status;
    }
  }
  if (Object.keys(errors).length > 0 || image == null || !text.ok) {
    return adminPage(c, { upload: { values, errors } }, statusOf(errors, fileStatus));
  }
  const stored = image;
  const { alt, title } = text.value;
  const outcome = await batcher.run(() =>
    insertMedia(db, {
      ...stored,
      alt,
      title,
      gallery: values.gallery,
      createdBy: guard.admin.id,
      created: new Date(),
    }),
  );
  const done = outcome.kind === "created" ? "uploaded" : "existing";
  return c.redirect(`${PATH}?done=${done}&id=${outcome.media.id}#media-${outcome.media.id}`, 303);
});

/** An admin's urlencoded form on one image: the image and the fields, or the response to send instead. */
async function itemForm(c: Context<WebEnv>): Promise<Guarded<{ item: Media; values: Record<string, string> }>> {
  const guard = requireAdmin(c, PATH);
  if (!guard.ok) return guard;
  const { secret, config } = c.get("deps");
  const body = await readForm(c);
  if (!body.ok) return { ok: false, response: messagePage(c, "Not saved", body.message, body.status) };
  if (!verifyCsrf(c, secret, config.origin, body.value[CSRF_FIELD]))
    return { ok: false, response: forbiddenPage(c, EXPIRED) };
  const item = itemOf(c);
  if (item == null)
    return {
      ok: false,
      response: messagePage(c, "No such image", "This image does not exist (it may have been deleted).", 404),
    };
  return { ok: true, item, values: body.value };
}

function itemOf(c: Context<WebEnv>): Media | undefined {
  const id = parseRequest(mediaId, c.req.param("id"));
  return id.ok ? getMediaById(c.get("deps").db, id.value) : undefined;
}

mediaAdminRoutes.post("/:id", async (c) => {
  const form = await itemForm(c);
  if (!form.ok) return form.response;
  const { db, batcher } = c.get("deps");
  const values: Values = {
    alt: form.values.alt ?? "",
    title: form.values.title ?? "",
    gallery: form.values.gallery === "1",
  };
  const text = parseForm(mediaTextForm, form.values);
  if (!text.ok)
    return adminPage(c, { edit: { id: form.item.id, values, errors: text.errors }, focus: form.item.id }, 400);
  const id = form.item.id;
  const changed = await batcher.run(() => updateMedia(db, id, text.value));
  if (!changed) return messagePage(c, "No such image", "This image does not exist (it may have been deleted).", 404);
  return c.redirect(`${PATH}?done=saved&id=${id}#media-${id}`, 303);
});

/** The notice templates (numbered from 1) that post this image. */
function templatesUsing(db: DbLike, id: number): number[] {
  const settings = parseStoredSettings(readStrikeSettingsValue(db), new Date());
  return settings.templates.flatMap((t, i) => (t.mediaIds.includes(id) ? [i + 1] : []));
}

function usedByTemplates(templates: number[]): string {
  const list = templates.length === 1 ? `notice template ${templates[0]}` : `notice templates ${templates.join(", ")}`;
  return `This image is posted with ${list} of the strike. Take it out of the strike settings first.`;
}

mediaAdminRoutes.get("/:id/delete", (c) => {
  const guard = requireAdmin(c, PATH);
  if (!guard.ok) return guard.response;
  const item = itemOf(c);
  if (item == null)
    return messagePage(c, "No such image", "This image does not exist (it may have been deleted).", 404);
  const { db } = c.get("deps");
  const templates = templatesUsing(db, item.id);
  const posts = countPostsWithMedia(db, item.id);
  return personalPage(
    c,
    "Delete an image",
    <section class="prose-page media-admin" aria-labelledby="delete-title">
      <p class="breadcrumb">
        <a href={PATH}>{TITLE}</a>
      </p>
      <h1 id="delete-title">Delete this image?</h1>
      <figure class="media-confirm">
        <img src={mediaPath(item)} alt={item.alt} width={item.width} height={item.height} />
        {item.title !== "" && <figcaption>{item.title}</figcaption>}
      </figure>
      {templates.length > 0 ? (
        <p class="notice">{usedByTemplates(templates)}</p>
      ) : (
        <>
          <p>
            Its address stops working{item.gallery ? " and it leaves the memes gallery" : ""}. This cannot be undone.
            {posts > 0 &&
              ` It was posted with ${posts === 1 ? "one notice" : `${posts} notices`}: servers that copied it keep their copy.`}
          </p>
          <form method="post" action={`${PATH}/${item.id}/delete`} class="account-form">
            <input type="hidden" name={CSRF_FIELD} value={csrfFor(c)} />
            <p class="actions">
              <button type="submit" class="danger">
                Delete the image
              </button>{" "}
              <a href={`${PATH}#media-${item.id}`}>Keep it</a>
            </p>
          </form>
        </>
      )}
    </section>,
  );
});

mediaAdminRoutes.post("/:id/delete", async (c) => {
  const form = await itemForm(c);
  if (!form.ok) return form.response;
  const { db, batcher } = c.get("deps");
  const id = form.item.id;
  // Checked inside the write, so a strike template saved meanwhile cannot lose its image.
  const outcome = await batcher.run(() => {
    const templates = templatesUsing(db, id);
    return templates.length > 0 ? { templates, deleted: false } : { templates, deleted: deleteMedia(db, id) };
  });
  if (outcome.templates.length > 0) return messagePage(c, "Not deleted", usedByTemplates(outcome.templates), 409);
  if (!outcome.deleted)
    return messagePage(c, "No such image", "This image does not exist (it may have been deleted).", 404);
  return c.redirect(`${PATH}?done=deleted`, 303);
});
