/**
 * What Mastodon, Misskey, Pleroma/Akkoma and snac make of an object we send
 * or serve, reduced to the few lines of their code that decide it.  Each
 * function follows the code path named in its comment (read in the peers'
 * sources; decision 0017 lists them), so a test can say "on Misskey this
 * shows a content warning" without running Misskey.
 */

export const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";

type Json = Record<string, unknown>;

function list(value: unknown): unknown[] {
  return value == null ? [] : Array.isArray(value) ? value : [value];
}

function idOf(value: unknown): string | null {
  if (typeof value === "string") return value;
  return value != null && typeof value === "object" && typeof (value as Json).id === "string"
    ? ((value as Json).id as string)
    : null;
}

function firstOf(map: unknown): string | null {
  if (map == null || typeof map !== "object") return null;
  const values = Object.values(map as Json).filter((v): v is string => typeof v === "string");
  return values[0] ?? null;
}

function keysOf(map: unknown): string[] {
  return map != null && typeof map === "object" ? Object.keys(map as Json) : [];
}

function text(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Tags stripped, entities of the escaper above undone, whitespace collapsed. */
export function plainText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<\/p>/gi, "\n\n")
    .replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/[ \t]+/g, " ")
    .trim();
}

/**
 * Mastodon 4.x (app/lib/activitypub/activity/create.rb `process_status_params`,
 * parser/status_parser.rb, tag_manager.rb `public_collection?`,
 * parser/interaction_policy_parser.rb).  Converted types (Article, Page…) get
 * `converted_text`: the name, the summary and the url, run through
 * `TextFormatter` (which escapes HTML) — never their content, and no content
 * warning.  Notes show `content`, with `summary` as the content warning.
 */
export function mastodonView(json: Json) {
  const converted = ["Article", "Page", "Image", "Audio", "Video", "Event"].includes(String(json.type));
  const title = text(json.name) ?? firstOf(json.nameMap);
  const summary = text(json.summary) ?? firstOf(json.summaryMap);
  const url = idOf(list(json.url)[0]) ?? idOf(json.id);
  const isPublic = (v: unknown) => [PUBLIC, "as:Public", "Public"].includes(String(idOf(v)));
  const policy = (json.interactionPolicy as Json | undefined)?.canQuote as Json | undefined;
  return {
    html: converted
      ? [title, summary, url]
          .filter((p): p is string => p != null)
          .map((p) => `<p>${escapeHtml(p)}</p>`)
          .join("")
      : (text(json.content) ?? firstOf(json.contentMap) ?? ""),
    spoilerText: converted ? "" : (summary ?? ""),
    visibility: list(json.to).some(isPublic) ? "public" : list(json.cc).some(isPublic) ? "unlisted" : "direct",
    language: keysOf(json.contentMap)[0] ?? keysOf(json.nameMap)[0] ?? keysOf(json.summaryMap)[0] ?? null,
    quotable: list(policy?.automaticApproval).some(isPublic),
    edited: json.updated != null,
  };
}

/** Misskey's `DB_MAX_NOTE_TEXT_LENGTH`, and the width of its `cw` column. */
export const MISSKEY_TEXT_MAX = 8192;
export const MISSKEY_CW_MAX = 512;

/**
 * Misskey (packages/backend/src/core/activitypub/models/ApNoteService.ts
 * `createNote`): any object's `summary` is the content warning (as text, so
 * HTML shows literally), the text is the HTML `content` turned into MFM and
 * cut at 8,192 characters, `name` is not shown.  A content warning longer
 * than its column is not stored: the note is lost.
 */
export function misskeyView(json: Json) {
  const cw = json.summary === "" || json.summary == null ? null : String(json.summary);
  const content = typeof json.content === "string" ? plainText(json.content) : null;
  return {
    cw,
    text: content == null ? null : content.slice(0, MISSKEY_TEXT_MAX),
    stored: cw == null || cw.length <= MISSKEY_CW_MAX,
  };
}

/**
 * Pleroma and Akkoma (lib/pleroma/web/mastodon_api/views/status_view.ex
 * `render_content`, and the `spoiler_text` taken from `summary`; the
 * Recipients type keeps addresses as written).  An object with a `name` shows
 * it as a link above its content; `summary` is the content warning that hides
 * the content.  Pleroma up to 2.7 matches the Public address as the full URI
 * only (Akkoma also reads `as:Public` since 2024.04).
 */
export function pleromaView(json: Json, flavour: "pleroma" | "akkoma" = "pleroma") {
  const name = text(json.name);
  const url = idOf(list(json.url)[0]) ?? idOf(json.id) ?? "";
  const content = text(json.content) ?? firstOf(json.contentMap) ?? "";
  const forms = flavour === "akkoma" ? [PUBLIC, "as:Public", "Public"] : [PUBLIC];
  const isPublic = [...list(json.to), ...list(json.cc)].some((v) => forms.includes(String(idOf(v))));
  return {
    content: name == null ? content : `<p><a href="${url}">${name}</a></p>${content}`,
    spoilerText: text(json.summary) ?? "",
    visibility: isPublic ? "public" : "direct",
  };
}

/**
 * snac (activitypub.c `is_msg_public` and the reply addressing in `msg_note`,
 * html.c `html_entry`): public only when `to` or `cc` holds the full Public
 * address, as a string or in a list; the `name` is the entry's title.  snac
 * 2.94 showed a `summary` as a content warning hiding the content (its 2025
 * sources show an unsensitive summary as a title instead); either way an
 * object without one shows its content.
 */
export function snacView(json: Json) {
  const isPublic = [json.to, json.cc].some((l) =>
    typeof l === "string" ? l === PUBLIC : Array.isArray(l) && l.includes(PUBLIC),
  );
  return {
    public: isPublic,
    title: text(json.name),
    hiddenBehind: text(json.summary) ?? (json.sensitive === true ? "..." : null),
    content: text(json.content) ?? "",
  };
}
