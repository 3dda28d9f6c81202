/** Formatting helpers shared by the pages (pure). */
import type { PublicSignature } from "../../db/signatures.ts";
import { formatDateIn } from "../../i18n/index.ts";
import { plural } from "../../plural.ts";

export { formatNumber, plural } from "../../plural.ts";

/** A date in full, as `locale` writes it (English by default): "7 December 2026" is "December 7, 2026" in English. */
export function formatDate(date: Date, locale = "en"): string {
  return formatDateIn(locale, date);
}

/** Known licenses get a link to their deed; others are shown as text. */
const LICENSE_LINKS: Record<string, string> = {
  "CC BY-SA 4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
  "CC BY 4.0": "https://creativecommons.org/licenses/by/4.0/",
  "CC0 1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
};

export function licenseUrl(license: string): string | undefined {
  return LICENSE_LINKS[license.trim()];
}

/**
 * The name shown for a signature, the same on the page, in the JSON API and
 * in the CSV.  A fediverse signer's is their account's display name as known
 * now (refreshed by each `Update` of their profile, and by fetches), else the
 * name kept when they signed, else their handle.
 */
export function signerName(s: Pick<PublicSignature, "kind" | "name" | "actor">): string {
  if (s.kind !== "fediverse" || s.actor == null) return s.name ?? "";
  return s.actor.name?.trim() || s.name || (s.actor.handle != null ? `@${s.actor.handle}` : s.actor.url);
}

/** The link shown with a signature: a fediverse signer's profile as known now, else the website given. */
export function signerWebsite(s: Pick<PublicSignature, "kind" | "website" | "actor">): string | null {
  return s.kind === "fediverse" && s.actor != null ? s.actor.url : s.website;
}

export function describeDuration(ms: number): string {
  if (ms % 86_400_000 === 0) return plural(ms / 86_400_000, "day", "days");
  if (ms % 3_600_000 === 0) return plural(ms / 3_600_000, "hour", "hours");
  if (ms % 60_000 === 0) return plural(ms / 60_000, "minute", "minutes");
  return plural(Math.round(ms / 1000), "second", "seconds");
}
