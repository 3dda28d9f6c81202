/**
 * Enforces the module boundaries written down in ARCHITECTURE.md by scanning
 * the import specifiers of every source file.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");
const SRC = join(ROOT, "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

interface Import {
  readonly specifier: string;
  readonly typeOnly: boolean;
  /** Path relative to src/ for relative imports, e.g. "db/client.ts". */
  readonly target: string | null;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, "utf8");
  const found: Import[] = [];
  const pattern =
    /^\s*(import|export)\s+(type\s+)?(?:[^;'"]*?\sfrom\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/gm;
  for (const match of text.matchAll(pattern)) {
    const specifier = (match[3] ?? match[4])!;
    const target = specifier.startsWith(".") ? relative(SRC, resolve(file, "..", specifier)) : null;
    found.push({ specifier, typeOnly: match[2] != null, target });
  }
  return found;
}

const files = sourceFiles(SRC).map((path) => ({
  path,
  area: relative(SRC, path).split("/")[0]!,
  imports: importsOf(path),
}));

function violations(area: string, allowed: (i: Import) => boolean): string[] {
  return files
    .filter((f) => f.area === area)
    .flatMap((f) =>
      f.imports.filter((i) => !allowed(i)).map((i) => `${relative(ROOT, f.path)} imports ${i.specifier}`),
    );
}

describe("module boundaries (ARCHITECTURE.md)", () => {
  it("finds the source files and their imports", () => {
    expect(files.length).toBeGreaterThan(10);
    expect(files.find((f) => f.path.endsWith("main.ts"))?.imports.length).toBeGreaterThan(3);
  });

  it("db/ imports only drizzle, better-sqlite3, node built-ins and db/ itself", () => {
    expect(
      violations("db", (i) =>
        i.target != null ? i.target.startsWith("db/") : /^(drizzle-orm|better-sqlite3|node:)/.test(i.specifier),
      ),
    ).toEqual([]);
  });

  it("federation/ never imports web/, and config only for types", () => {
    expect(
      violations("federation", (i) => {
        if (i.target == null) return true;
        if (i.target.startsWith("web/")) return false;
        if (i.target === "config.ts") return i.typeOnly;
        return !["main.ts", "app.tsx", "setup.ts"].includes(i.target);
      }),
    ).toEqual([]);
  });

  it("web/ reaches federation only through its public index, and config only for types", () => {
    expect(
      violations("web", (i) => {
        if (i.target == null) return true;
        if (i.target.startsWith("federation/")) return i.target === "federation/index.ts";
        if (i.target === "config.ts") return i.typeOnly;
        return !["main.ts", "app.tsx", "setup.ts"].includes(i.target);
      }),
    ).toEqual([]);
  });

  it("strike/ is pure: from src/ it imports only other strike/ files", () => {
    expect(
      violations("strike", (i) =>
        i.target != null ? i.target.startsWith("strike/") : !i.specifier.startsWith("node:"),
      ),
    ).toEqual([]);
  });

  it("bot/ imports db/, strike/, federation's public index, config for types, and masto and undici among packages (never web/)", () => {
    expect(
      violations("bot", (i) => {
        if (i.target == null)
          return /^(masto$|undici$|zod$|@logtape\/logtape$|@js-temporal\/polyfill$|node:)/.test(i.specifier);
        if (i.target === "config.ts") return i.typeOnly;
        if (i.target.startsWith("federation/")) return i.target === "federation/index.ts";
        return ["bot/", "db/", "strike/"].some((area) => i.target!.startsWith(area));
      }),
    ).toEqual([]);
  });

  it("diff/ imports only jsdiff, node built-ins, markdown.ts and itself; the rest of src/ reaches it through its index", () => {
    expect(
      violations("diff", (i) =>
        i.target != null
          ? i.target.startsWith("diff/") || i.target === "markdown.ts"
          : /^(diff$|node:)/.test(i.specifier),
      ),
    ).toEqual([]);
    const deep = files
      .filter((f) => f.area !== "diff")
      .flatMap((f) =>
        f.imports
          .filter((i) => i.target?.startsWith("diff/") && i.target !== "diff/index.ts")
          .map((i) => `${relative(ROOT, f.path)} imports ${i.specifier}`),
      );
    expect(deep).toEqual([]);
  });

  it("only config.ts reads process.env", () => {
    const readers = files
      .filter((f) => /process\.env\b/.test(readFileSync(f.path, "utf8")))
      .map((f) => relative(SRC, f.path));
    expect(readers).toEqual(["config.ts"]);
  });

  it("only the composition roots open the database, load the configuration or build the federation", () => {
    const roots = new Set(["main.ts", "worker.ts", "setup.ts", "config.ts", "db/client.ts", "federation/runtime.ts"]);
    const offenders = files
      .filter(
        (f) =>
          !roots.has(relative(SRC, f.path)) &&
          !relative(SRC, f.path).startsWith("cli/") &&
          !relative(SRC, f.path).startsWith("processes/"),
      )
      .filter((f) =>
        /\b(loadConfig|openDatabase|readEnvironment)\(|builder\.build\(/.test(readFileSync(f.path, "utf8")),
      )
      .map((f) => relative(SRC, f.path));
    expect(offenders).toEqual([]);
  });
});
