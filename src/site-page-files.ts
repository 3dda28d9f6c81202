/**
 * Reads the movement's Markdown pages shipped in `pages/*.md` (`faq.md`,
 * `resources.md`).  Each file starts with front matter between `---` lines:
 *
 *     ---
 *     title: Questions and answers   (required, at most 200 characters)
 *     ---
 *
 * The file name is the page's slug; only the pages the site has a URL for
 * (`SITE_PAGE_SLUGS`) are read.  A bad file is reported with its path and
 * reason; it never stops the others.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parse as parseYaml } from "yaml";
import type { SeedPage } from "./db/site-pages.ts";
import { markdownFileNames } from "./declaration-files.ts";

/** The pages served at `/{slug}` and editable at `/admin/pages/{slug}` (`about` is the owner's own: no file ships). */
export const SITE_PAGE_SLUGS = ["about", "faq", "resources"] as const;
export type SitePageSlug = (typeof SITE_PAGE_SLUGS)[number];

export function isSitePageSlug(slug: string): slug is SitePageSlug {
  return (SITE_PAGE_SLUGS as readonly string[]).includes(slug);
}

/** Largest page, in a file or typed on the site. */
export const MAX_PAGE_BYTES = 200 * 1024;
export const MAX_PAGE_TITLE = 200;

export interface PageFileProblem {
  readonly path: string;
  readonly reason: string;
}

/** Parses one file's bytes: the page, or the reason it was refused. */
export function parsePageFile(path: string, bytes: Buffer): SeedPage | PageFileProblem {
  const slug = basename(path, ".md");
  if (!isSitePageSlug(slug))
    return {
      path,
      reason: `this site has no page "${slug}"; page files are ${new Intl.ListFormat("en").format(SITE_PAGE_SLUGS.map((s) => `${s}.md`))}`,
    };
  if (bytes.length > MAX_PAGE_BYTES)
    return { path, reason: `file is ${bytes.length} bytes; the limit is ${MAX_PAGE_BYTES}` };
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes).replace(/^\uFEFF/, "");
  } catch {
    return { path, reason: "file is not valid UTF-8" };
  }
  const match = /^---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/.exec(text);
  if (match == null)
    return { path, reason: "no front matter: the file must start with a line '---', 'title: …', and a closing '---'" };
  let data: unknown;
  try {
    data = parseYaml(match[1] ?? "");
  } catch (error) {
    return {
      path,
      reason: `invalid front matter: ${(error instanceof Error ? error.message : String(error)).split("\n")[0]}`,
    };
  }
  const title =
    data != null && typeof data === "object" && !Array.isArray(data)
      ? (data as Record<string, unknown>).title
      : undefined;
  if (typeof title !== "string" || title.trim() === "")
    return { path, reason: "invalid front matter: title is missing" };
  if ([...title.trim()].length > MAX_PAGE_TITLE)
    return { path, reason: `invalid front matter: title must be at most ${MAX_PAGE_TITLE} characters` };
  const body = `${text
    .slice(match[0].length)
    .replace(/^\s*\n/, "")
    .replace(/\s+$/, "")}\n`;
  if (body.trim() === "") return { path, reason: "the page has no text after the front matter" };
  return { path, sha256: createHash("sha256").update(bytes).digest("hex"), slug, title: title.trim(), body };
}

/** Reads every `*.md` in `dir`; a missing folder holds nothing. */
export function readPagesFolder(dir: string): { files: SeedPage[]; problems: PageFileProblem[] } {
  const names = markdownFileNames(dir);
  const files: SeedPage[] = [];
  const problems: PageFileProblem[] = [];
  for (const name of names) {
    const parsed = parsePageFile(name, readFileSync(join(dir, name)));
    if ("slug" in parsed) files.push(parsed);
    else problems.push(parsed);
  }
  return { files, problems };
}
