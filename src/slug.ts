/**
 * Slugs name a Declaration in URLs (`/d/{slug}`) and in its fediverse handle
 * (`@{slug}@{host}`).  The rule is stricter than Misskey's username rule
 * (`/^\w([\w-.]*\w)?$/`, at most 128 characters) and Mastodon's, so every slug
 * is a valid handle everywhere: lowercase ASCII letters, digits and single
 * hyphens inside, 1–64 characters.
 */
export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,63}$/;
export const SLUG_MAX_LENGTH = 64;

/** Words that would collide with our own URLs or confuse people. */
export const RESERVED_SLUGS: ReadonlySet<string> = new Set([
  "admin",
  "api",
  "about",
  "bot",
  "compare",
  "copies",
  "d",
  "edit",
  "embed",
  "faq",
  "feed",
  "healthz",
  "history",
  "inbox",
  "instance",
  "login",
  "logout",
  "new",
  "nodeinfo",
  "outbox",
  "privacy",
  "register",
  "resources",
  "settings",
  "static",
  "stats",
  "strike",
  "well-known",
]);

export function isValidSlug(slug: string): boolean {
  return SLUG_PATTERN.test(slug);
}

/** Explains why `slug` cannot be used, or returns null when it can. */
export function slugProblem(slug: string): string | null {
  if (slug.length === 0) return "is empty";
  if (slug.length > SLUG_MAX_LENGTH) return `is longer than ${SLUG_MAX_LENGTH} characters`;
  if (!isValidSlug(slug)) {
    return "may contain only lowercase letters a–z, digits and single hyphens, and must start and end with a letter or digit";
  }
  if (RESERVED_SLUGS.has(slug)) return "is reserved for the site's own pages";
  return null;
}

/** Derives a slug from a title or file name ("Déclaration #2" → "declaration-2"). */
export function slugify(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, SLUG_MAX_LENGTH)
    .replace(/-+$/g, "");
}

/** The handle of the site account when the owner chose none: the site's name as a slug, else `site`. */
export function siteHandleFrom(instanceName: string): string {
  const handle = slugify(instanceName);
  return handle === "" || handle === "instance" ? "site" : handle;
}

/** Explains why `handle` cannot be the site account's handle, or returns null when it can. */
export function siteHandleProblem(handle: string): string | null {
  if (handle.length === 0) return "is empty";
  if (handle.length > SLUG_MAX_LENGTH) return `is longer than ${SLUG_MAX_LENGTH} characters`;
  if (!isValidSlug(handle))
    return "may contain only lowercase letters a–z, digits and single hyphens, and must start and end with a letter or digit";
  if (handle === "instance") return "is the handle of the instance actor, which signs this server's requests";
  return null;
}
