/**
 * Strike notice text: the placeholders a template may use, checking a
 * template, filling it in, choosing the template for a slot, and splitting
 * the posted text into plain text, links and hashtags (which the federation
 * turns into HTML).  Pure: no I/O.
 */

export const PLACEHOLDERS = [
  "declaration_url",
  "declaration_title",
  "signature_count",
  "hashtags",
  "hours_left",
  "strike_name",
  "strike_url",
] as const;

export type Placeholder = (typeof PLACEHOLDERS)[number];
export type NoticeValues = Record<Placeholder, string>;

/** Longest template, and so (roughly) longest notice, in characters. */
export const TEMPLATE_MAX = 500;
/** Images per notice (Mastodon shows at most 4). */
export const NOTICE_MEDIA_MAX = 4;

const PLACEHOLDER_PATTERN = /\{([^{}\s]{1,40})\}/g;

function isPlaceholder(name: string): name is Placeholder {
  return (PLACEHOLDERS as readonly string[]).includes(name);
}

/** Placeholders in `text` that do not exist, each once, in order of appearance. */
export function unknownPlaceholders(text: string): string[] {
  const unknown = new Set<string>();
  for (const m of text.matchAll(PLACEHOLDER_PATTERN)) if (!isPlaceholder(m[1]!)) unknown.add(m[1]!);
  return [...unknown];
}

/** What is wrong with a template, as a sentence, or null. */
export function templateProblem(text: string): string | null {
  if (text.trim() === "") return "The template is empty.";
  // UTF-16 units, as the stored settings are checked (src/strike/settings.ts).
  const length = text.replace(/\r\n/g, "\n").length;
  if (length > TEMPLATE_MAX) return `The template is ${length} characters long; the limit is ${TEMPLATE_MAX}.`;
  const unknown = unknownPlaceholders(text);
  if (unknown.length > 0) {
    const names = unknown.map((n) => `{${n}}`).join(", ");
    return `${unknown.length === 1 ? "There is no placeholder" : "There are no placeholders"} ${names}. Use ${PLACEHOLDERS.map((p) => `{${p}}`).join(", ")}.`;
  }
  return null;
}

/** Hashtags as written in a post: `#A #B`. */
export function hashtagText(tags: readonly string[]): string {
  return tags.map((t) => `#${t}`).join(" ");
}

/**
 * The notice text for a template.  Unknown placeholders never reach a post
 * (they are left out).  A notice always links its Declaration and carries the
 * strike's hashtags: when the template does not, they are added at the end.
 */
export function fillTemplate(template: string, values: NoticeValues): string {
  let text = agreeWithCounts(template, values)
    .replace(PLACEHOLDER_PATTERN, (_, name: string) => (isPlaceholder(name) ? values[name] : ""))
    .trim();
  if (!text.includes(values.declaration_url)) text += ` ${values.declaration_url}`;
  const firstTag = values.hashtags.split(" ")[0] ?? "";
  if (firstTag !== "" && !new RegExp(`(^|\\s)${escapeRegExp(firstTag)}(?![\\p{L}\\p{N}_])`, "iu").test(text))
    text += ` ${values.hashtags}`;
  return text;
}

/**
 * The plural nouns templates write after a count, and their singular: a
 * template says "{signature_count} people have" or "{hours_left} hours left",
 * which must read "1 person has" and "1 hour left" when the count is one.
 */
const SINGULAR: Readonly<Record<string, string>> = {
  "people have": "person has",
  people: "person",
  "signatures have": "signature has",
  signatures: "signature",
  "signers have": "signer has",
  signers: "signer",
  "hours are": "hour is",
  hours: "hour",
};

const COUNTED =
  /\{(signature_count|hours_left)\}(\s+)(people have|people|signatures have|signatures|signers have|signers|hours are|hours)(?![\p{L}\p{N}_])/gu;

/** The template with the nouns after a count of one made singular (English, as the default templates). */
function agreeWithCounts(template: string, values: NoticeValues): string {
  return template.replace(COUNTED, (whole, name: Placeholder, space: string, noun: string) =>
    values[name].trim() === "1" ? `{${name}}${space}${SINGULAR[noun]}` : whole,
  );
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The template for slot number `slotIndex`: a fixed rotation, so every process picks the same. */
export function templateIndexForSlot(slotIndex: number, templateCount: number): number {
  return templateCount <= 0 ? 0 : ((slotIndex % templateCount) + templateCount) % templateCount;
}

export type NoticeToken =
  | { type: "text"; value: string }
  | { type: "url"; value: string }
  | { type: "tag"; value: string }
  | { type: "break"; paragraph: boolean };

// A link runs to the next space; trailing punctuation belongs to the sentence.
const TOKEN_PATTERN =
  /(https?:\/\/[^\s<>"]+[^\s<>".,;:!?)'”’])|(?<=^|[^\p{L}\p{N}_&/#])#([\p{L}\p{N}_]*\p{L}[\p{L}\p{N}_]*)|(\n{2,})|(\n)/gu;

/**
 * The notice split into text, links (http and https only), hashtags (without
 * '#', not all digits, as Mastodon reads them) and line or paragraph breaks.
 */
export function noticeTokens(raw: string): NoticeToken[] {
  const text = raw.replace(/\r\n?/g, "\n");
  const tokens: NoticeToken[] = [];
  let last = 0;
  for (const m of text.matchAll(TOKEN_PATTERN)) {
    if (m.index > last) tokens.push({ type: "text", value: text.slice(last, m.index) });
    if (m[1] != null) tokens.push({ type: "url", value: m[1] });
    else if (m[2] != null) tokens.push({ type: "tag", value: m[2] });
    else tokens.push({ type: "break", paragraph: m[3] != null });
    last = m.index + m[0].length;
  }
  if (last < text.length) tokens.push({ type: "text", value: text.slice(last) });
  return tokens;
}

/** The distinct hashtags of a notice (case-insensitive), in order. */
export function noticeHashtags(text: string): string[] {
  const seen = new Map<string, string>();
  for (const t of noticeTokens(text))
    if (t.type === "tag" && !seen.has(t.value.toLowerCase())) seen.set(t.value.toLowerCase(), t.value);
  return [...seen.values()];
}
