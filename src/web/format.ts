/** Formatting helpers shared by the pages (pure). */

export { formatNumber, plural } from "../plural.ts";

const dateFormat = new Intl.DateTimeFormat("en", { dateStyle: "long", timeZone: "UTC" });

export function formatDate(date: Date): string {
  return dateFormat.format(date);
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
