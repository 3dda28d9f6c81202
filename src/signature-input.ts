/**
 * Validation of what a person types into the signing form (or sends to the
 * JSON API).  Pure: returns either clean values or one message per field.
 */

export interface SignatureInput {
  readonly name: string;
  readonly place: string | null;
  readonly website: string | null;
  readonly comment: string | null;
  readonly email: string | null;
  readonly public: boolean;
}

export type SignatureField = keyof SignatureInput;
export type FieldErrors = Partial<Record<SignatureField, string>>;

export const LIMITS = { name: 100, place: 100, website: 300, comment: 500, email: 254 } as const;

/** Raw values as they arrive: strings from a form, anything from JSON. */
export type RawSignature = Readonly<Record<string, unknown>>;

// C0/C1 controls (but tab and line breaks, handled separately), the zero-width
// space, every bidi formatting character (including U+061C ARABIC LETTER
// MARK), invisible operators and the BOM.  The zero-width (non-)joiners
// U+200C/U+200D stay: Persian and Indic spelling and emoji sequences need them.
const CONTROL =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u061C\u200B\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** NFC, no invisible control or direction characters, single spaces, trimmed. */
export function cleanLine(text: string): string {
  // Normalise AFTER stripping: an invisible character between a letter and a
  // combining mark blocks composition, so NFC first could leave "e" + U+0301
  // (not NFC) once the invisible character is gone.
  return text
    .replace(/[\t\r\n]+/g, " ")
    .replace(CONTROL, "")
    .normalize("NFC")
    .replace(/\s+/g, " ")
    .trim();
}

/** Removes the invisible control and direction characters only (for text whose spacing matters, such as HTML). */
export function stripInvisible(text: string): string {
  return text.replace(CONTROL, "");
}

/** Like cleanLine, but keeps paragraphs (at most one blank line in a row). */
export function cleanText(text: string): string {
  return text
    .replace(/\r\n?|[\u2028\u2029]/g, "\n")
    .replace(/\t/g, " ")
    .replace(CONTROL, "")
    .normalize("NFC") // after stripping, as in cleanLine
    .split("\n")
    .map((line) => line.replace(/ +/g, " ").trim())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/**
 * The form of an email address used to spot the same person signing twice:
 * lower case, without a "+tag", and for Gmail without dots.
 */
export function canonicalEmail(email: string): string {
  const at = email.lastIndexOf("@");
  let local = email.slice(0, at).toLowerCase();
  let domain = email.slice(at + 1).toLowerCase();
  local = local.replace(/\+.*$/, "");
  if (domain === "googlemail.com") domain = "gmail.com";
  if (domain === "gmail.com") local = local.replace(/\./g, "");
  return `${local}@${domain}`;
}

type Check = { value: string | null } | { error: string };

function stringField(raw: unknown, label: string): { value: string } | { error: string } | null {
  if (raw == null) return null;
  if (typeof raw !== "string") return { error: `${label} must be text.` };
  if (raw.includes("\0")) return { error: `${label} contains a NUL character.` };
  return { value: raw };
}

function optionalLine(raw: unknown, label: string, max: number): Check {
  const s = stringField(raw, label);
  if (s == null) return { value: null };
  if ("error" in s) return s;
  if (s.value.length > max * 4) return { error: `${label} must be at most ${max} characters.` };
  const value = cleanLine(s.value);
  if (codePoints(value) > max)
    return { error: `${label} must be at most ${max} characters (it has ${codePoints(value)}).` };
  return { value: value === "" ? null : value };
}

function checkName(raw: unknown): Check {
  const line = optionalLine(raw, "Your name", LIMITS.name);
  if ("error" in line) return line;
  if (line.value == null) return { error: "Please enter your name." };
  if (!/[\p{L}\p{N}]/u.test(line.value)) return { error: "Your name must contain at least one letter or digit." };
  if (/(?:https?:\/\/|www\.)/i.test(line.value))
    return { error: "Your name must not contain a web address; use the website field." };
  return line;
}

function checkWebsite(raw: unknown): Check {
  const line = optionalLine(raw, "Website", LIMITS.website);
  if ("error" in line || line.value == null) return line;
  // People type "example.org"; treat it as https://example.org.
  // A scheme is "name:" not followed by a digit ("example.org:8080" is a host and port).
  const candidate = /^[a-z][a-z0-9+.-]*:(?!\d)/i.test(line.value) ? line.value : `https://${line.value}`;
  const url = URL.canParse(candidate) ? new URL(candidate) : null;
  if (url == null || (url.protocol !== "http:" && url.protocol !== "https:") || !url.hostname.includes(".")) {
    return { error: "Website must be a web address starting with http:// or https://." };
  }
  if (url.username !== "" || url.password !== "") return { error: "Website must not contain a user name or password." };
  return { value: url.href };
}

function checkComment(raw: unknown): Check {
  const s = stringField(raw, "Comment");
  if (s == null) return { value: null };
  if ("error" in s) return s;
  if (s.value.length > LIMITS.comment * 4) return { error: `Comment must be at most ${LIMITS.comment} characters.` };
  const value = cleanText(s.value);
  if (codePoints(value) > LIMITS.comment)
    return { error: `Comment must be at most ${LIMITS.comment} characters (it has ${codePoints(value)}).` };
  return { value: value === "" ? null : value };
}

/** An email address typed for something else than a signature (e.g. "mail me my private link"). */
export function parseEmailAddress(raw: unknown): { ok: true; value: string } | { ok: false; error: string } {
  const checked = checkEmail(raw, false);
  if ("error" in checked) return { ok: false, error: checked.error };
  if (checked.value == null) return { ok: false, error: "Please enter an email address." };
  return { ok: true, value: checked.value };
}

function checkEmail(raw: unknown, required: boolean): Check {
  const line = optionalLine(raw, "Email address", LIMITS.email);
  if ("error" in line) return line;
  if (line.value == null)
    return required ? { error: "Please enter your email address: this site confirms each signature by mail." } : line;
  if (!/^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:".]{2,}$/.test(line.value)) {
    return { error: "Email address does not look like an address (name@example.org)." };
  }
  const at = line.value.lastIndexOf("@");
  return { value: `${line.value.slice(0, at)}@${line.value.slice(at + 1).toLowerCase()}` };
}

/**
 * The form sends `visibility` ("public" | "count"); JSON sends `public`
 * (a boolean).  Each accepts only its own type: `"public": "count"` or
 * `"public": "false"` in JSON is a mistake to report, not to guess at.
 */
function checkVisibility(visibility: unknown, isPublic: unknown): { value: boolean } | { error: string } {
  if (visibility != null && visibility !== "") {
    if (visibility === "public") return { value: true };
    if (visibility === "count") return { value: false };
    return { error: "Choose “public” to show your name or “count” to be counted only." };
  }
  if (isPublic === true) return { value: true };
  if (isPublic === false) return { value: false };
  if (isPublic == null || isPublic === "")
    return { error: "Please choose whether to show your name or only be counted." };
  return { error: "Choose whether to show your name: public must be true (show it) or false (count only)." };
}

export type ParseResult = { ok: true; value: SignatureInput } | { ok: false; errors: FieldErrors };

/**
 * Validates a signing.  `visibility` (form: "public" | "count") and `public`
 * (JSON: boolean) are both accepted for the name's visibility.
 */
export function parseSignatureInput(raw: RawSignature, options: { emailRequired: boolean }): ParseResult {
  const errors: FieldErrors = {};
  const name = checkName(raw.name);
  const place = optionalLine(raw.place, "Place or affiliation", LIMITS.place);
  const website = checkWebsite(raw.website);
  const comment = checkComment(raw.comment);
  const email = checkEmail(raw.email, options.emailRequired);
  const visibility = checkVisibility(raw.visibility, raw.public);
  const checks = { name, place, website, comment, email, public: visibility } as const;
  for (const [field, check] of Object.entries(checks)) {
    if ("error" in check) errors[field as SignatureField] = check.error;
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const get = (c: Check) => ("value" in c ? c.value : null);
  return {
    ok: true,
    value: {
      name: get(name)!,
      place: get(place),
      website: get(website),
      comment: get(comment),
      email: get(email),
      public: "value" in visibility ? visibility.value : false,
    },
  };
}
