/**
 * Reads the Markdown Declarations shipped in `declarations/*.md`.  Each file
 * starts with YAML front matter between `---` lines:
 *
 *     ---
 *     title: Declaration of Digital Independence   (required)
 *     slug: digital-independence                   (default: the file name)
 *     summary: One paragraph.                      (optional)
 *     license: CC BY-SA 4.0                        (optional)
 *     hashtags: [SocialMediaStrike]                (optional)
 *     language: en                                 (optional, BCP 47; default en)
 *     version: 3                                   (informational, ignored)
 *     url: https://…/d/slug/v/3                    (informational, ignored)
 *     source: https://…/d/other/v/2                (a Copy's source; informational, ignored)
 *     source_version: 2                            (informational, ignored)
 *     ---
 *
 * `version` and `url` are written by our own Markdown export (`/d/{slug}.md`),
 * so an exported file can be dropped into another site's folder as it is.
 *
 * A bad file is reported with its path and reason; it never stops the others.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import type { SeedDeclaration } from "./db/seed.ts";
import { slugProblem, slugify } from "./slug.ts";

/** A parsed file: exactly what the importer (src/db/seed.ts) takes. */
export type DeclarationFile = SeedDeclaration;

export interface DeclarationFileProblem {
  readonly path: string;
  readonly reason: string;
}

export interface DeclarationFolder {
  readonly files: DeclarationFile[];
  readonly problems: DeclarationFileProblem[];
}

/** Largest Declaration file we import (Markdown, not media). */
export const MAX_DECLARATION_FILE_BYTES = 200 * 1024;

const frontMatterSchema = z.strictObject({
  title: z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters"),
  slug: z.string().trim().optional(),
  summary: z.string().trim().max(1000, "must be at most 1000 characters").default(""),
  license: z.string().trim().max(200, "must be at most 200 characters").default(""),
  hashtags: z
    .array(
      z
        .string()
        .trim()
        .transform((tag) => tag.replace(/^#/, ""))
        .refine((tag) => /^[\p{L}\p{N}_]{1,100}$/u.test(tag), "must be words of letters, digits or underscores"),
    )
    .max(20, "must list at most 20 hashtags")
    .default([]),
  language: z
    .string()
    .trim()
    .default("en")
    .refine((tag) => {
      try {
        return Intl.getCanonicalLocales(tag).length === 1;
      } catch {
        return false;
      }
    }, "must be a language tag such as en or pt-BR"),
  version: z.unknown().optional(),
  url: z.unknown().optional(),
  source: z.unknown().optional(),
  source_version: z.unknown().optional(),
});

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.length > 0 ? issue.path.join(".") : "front matter";
      if (issue.code === "unrecognized_keys") return `unknown field(s) ${issue.keys.join(", ")}`;
      if (issue.code === "invalid_type" && issue.input === undefined) return `${field} is missing`;
      return `${field} ${issue.message}`;
    })
    .join("; ");
}

/** Splits `---\nyaml\n---\nbody`.  Returns null when there is no front matter. */
function splitFrontMatter(text: string): { yaml: string; body: string } | null {
  const match = /^---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/.exec(text);
  if (match == null) return null;
  return { yaml: match[1] ?? "", body: text.slice(match[0].length) };
}

/**
 * Parses one file's text.  Returns the Declaration or the reason it was refused.
 */
export function parseDeclarationFile(path: string, bytes: Buffer): DeclarationFile | DeclarationFileProblem {
  if (bytes.length > MAX_DECLARATION_FILE_BYTES) {
    return { path, reason: `file is ${bytes.length} bytes; the limit is ${MAX_DECLARATION_FILE_BYTES}` };
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes).replace(/^\uFEFF/, "");
  } catch {
    return { path, reason: "file is not valid UTF-8" };
  }
  if (text.includes("\0")) return { path, reason: "file contains NUL bytes" };
  const parts = splitFrontMatter(text);
  if (parts == null)
    return { path, reason: "no front matter: the file must start with a line '---', YAML fields, and a closing '---'" };
  let data: unknown;
  try {
    data = parseYaml(parts.yaml);
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    return { path, reason: `invalid front matter: ${message}` };
  }
  if (data == null || typeof data !== "object" || Array.isArray(data)) {
    return { path, reason: "invalid front matter: expected fields such as 'title: …'" };
  }
  const result = frontMatterSchema.safeParse(data);
  if (!result.success) return { path, reason: `invalid front matter: ${describeIssues(result.error)}` };
  const meta = result.data;
  const slug = meta.slug ?? slugify(basename(path, ".md"));
  const problem = slugProblem(slug);
  if (problem != null) return { path, reason: `slug "${slug}" ${problem}` };
  const body = `${parts.body.replace(/^\s*\n/, "").replace(/\s+$/, "")}\n`;
  if (body.trim() === "") return { path, reason: "the Declaration has no text after the front matter" };
  return {
    path,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    slug,
    title: meta.title,
    summary: meta.summary,
    license: meta.license,
    hashtags: [...new Set(meta.hashtags)],
    language: Intl.getCanonicalLocales(meta.language)[0] ?? "en",
    body,
  };
}

/**
 * The names of the `*.md` files directly in `dir`, sorted; none when the
 * folder does not exist (a site without such a folder holds nothing).
 */
export function markdownFileNames(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith(".md"))
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/**
 * Reads every `*.md` in `dir` (sorted by name, so the first file wins a
 * duplicate slug).  A missing folder is not an error: it holds nothing.
 */
export function readDeclarationFolder(dir: string): DeclarationFolder {
  const names = markdownFileNames(dir);
  const files: DeclarationFile[] = [];
  const problems: DeclarationFileProblem[] = [];
  const bySlug = new Map<string, string>();
  for (const name of names) {
    const parsed = parseDeclarationFile(name, readFileSync(join(dir, name)));
    if (!("slug" in parsed)) {
      problems.push(parsed);
      continue;
    }
    const first = bySlug.get(parsed.slug);
    if (first != null) {
      problems.push({ path: name, reason: `duplicate slug "${parsed.slug}": already used by ${first}` });
      continue;
    }
    bySlug.set(parsed.slug, name);
    files.push(parsed);
  }
  return { files, problems };
}
