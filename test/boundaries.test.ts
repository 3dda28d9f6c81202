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

  it("db/ imports only drizzle, better-sqlite3, pg, node built-ins and db/ itself", () => {
    expect(
      violations("db", (i) =>
        i.target != null ? i.target.startsWith("db/") : /^(drizzle-orm|better-sqlite3|pg$|node:)/.test(i.specifier),
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

/** Top-level modules every layer may use: configuration, logging and pure helpers. */
const LEAVES = new Set([
  "config.ts",
  "declaration-files.ts",
  "html-markdown.ts",
  "images.ts",
  "logging.ts",
  "mail.ts",
  "markdown.ts",
  "net-address.ts",
  "plural.ts",
  "request-header.ts",
  "signature-input.ts",
  "site-page-files.ts",
  "slug.ts",
  "version.ts",
]);
const WEB_FEATURES = readdirSync(join(SRC, "web"), { withFileTypes: true })
  .filter((e) => e.isDirectory() && !["kit", "layout", "static"].includes(e.name))
  .map((e) => e.name);

type Rule = (target: string, from: string) => boolean;
const under = (target: string, ...areas: string[]) => areas.some((a) => target.startsWith(`${a}/`));
const leaf = (target: string) => LEAVES.has(target) || target === "../package.json";
/** What the domain below the web may use: db, the diff engine's index, strike rules, leaves. */
const domain = (t: string) => under(t, "db", "strike", "i18n") || t === "diff/index.ts" || leaf(t);
/** What every web module may use besides web/ itself. */
const webBase = (t: string) =>
  domain(t) || under(t, "services", "bot") || t === "federation/index.ts" || under(t, "web/kit", "web/layout");
const featureOf = (path: string) => (path.startsWith("web/") ? path.split("/")[1] : undefined);

/**
 * The allowlist: every module of src/ has a rule naming what it may import
 * (relative imports; packages are checked by the tests above).  A feature of
 * web/ imports kit/, layout/, services, db, federation's index and itself,
 * and other features only through their index.ts.
 */
function ruleFor(path: string): Rule | undefined {
  if (LEAVES.has(path)) return (t) => leaf(t) || under(t, "db", "i18n");
  if (path === "main.ts") return (t) => !under(t, "web", "cli") && t !== "worker.ts";
  if (path === "app.tsx")
    return (t) => leaf(t) || t === "federation/index.ts" || t === "web/index.ts" || under(t, "web/kit", "web/layout");
  if (path === "setup.ts" || path === "worker.ts")
    return (t) => !under(t, "web", "cli") && !["main.ts", "app.tsx"].includes(t);
  const top = path.split("/")[0]!;
  // The processes of a cluster: composition roots like main.ts (the HTTP process builds the app).
  if (top === "processes") return (t) => !under(t, "web", "cli") && !["main.ts", "worker.ts"].includes(t);
  if (top === "cli") return (t) => leaf(t) || under(t, "db", "cli", "services") || t === "setup.ts";
  if (top === "db") return (t) => under(t, "db");
  if (top === "diff") return (t) => under(t, "diff") || t === "markdown.ts";
  if (top === "strike") return (t) => under(t, "strike");
  // The catalogs and the choice of a language: pure, below everything that speaks.
  if (top === "i18n") return (t) => under(t, "i18n");
  if (top === "bot") return (t) => under(t, "bot", "db", "strike") || t === "federation/index.ts" || leaf(t);
  if (top === "federation") return (t) => under(t, "federation") || domain(t);
  if (top === "services") return (t) => under(t, "services") || domain(t);
  if (path === "web/index.ts" || path === "web/declaration-routes.ts")
    return (t) =>
      under(t, "web/kit", "web/layout") ||
      ["web/health.ts", "web/declaration-routes.ts"].includes(t) ||
      /^web\/[^/]+\/index\.ts$/.test(t);
  if (path === "web/health.ts") return (t) => under(t, "web/kit");
  if (path.startsWith("web/kit/") || path.startsWith("web/layout/")) return webBase;
  const feature = featureOf(path);
  if (feature != null && WEB_FEATURES.includes(feature))
    return (t) =>
      webBase(t) || under(t, `web/${feature}`) || (featureOf(t) != null && t === `web/${featureOf(t)}/index.ts`);
  return undefined;
}

describe("module allowlist (ARCHITECTURE.md)", () => {
  const src = (f: { path: string }) => relative(SRC, f.path);

  it("has a rule for every module of src/", () => {
    expect(files.filter((f) => ruleFor(src(f)) == null).map(src)).toEqual([]);
  });

  it("every relative import is on its module's allowlist", () => {
    const offenders = files.flatMap((f) => {
      const rule = ruleFor(src(f));
      if (rule == null) return [];
      return f.imports
        .filter((i) => i.target != null && !rule(i.target, src(f)))
        .map((i) => `${src(f)} imports ${i.specifier}`);
    });
    expect(offenders).toEqual([]);
  });

  it("knows the web's features (each with an index.ts)", () => {
    expect(WEB_FEATURES.length).toBeGreaterThan(8);
    const missing = WEB_FEATURES.filter((feature) => !files.some((f) => src(f) === `web/${feature}/index.ts`));
    expect(missing).toEqual([]);
  });

  it("the worker and the CLI load no route module (nothing under web/, directly or through other modules)", () => {
    const byPath = new Map(files.map((f) => [src(f), f]));
    const reached = new Set<string>();
    const walk = (path: string) => {
      if (reached.has(path)) return;
      reached.add(path);
      for (const i of byPath.get(path)?.imports ?? []) if (i.target != null && !i.typeOnly) walk(i.target);
    };
    for (const root of ["worker.ts", "setup.ts", ...files.map(src).filter((p) => p.startsWith("cli/"))]) walk(root);
    expect(reached.size).toBeGreaterThan(10);
    expect([...reached].filter((p) => p.startsWith("web/"))).toEqual([]);
  });

  it("catches a feature reaching into another feature past its index.ts", () => {
    const rule = ruleFor("web/declarations/pages.tsx")!;
    expect(rule("web/signing/index.ts", "web/declarations/pages.tsx")).toBe(true);
    expect(rule("web/signing/sign.tsx", "web/declarations/pages.tsx")).toBe(false);
    expect(rule("web/declarations/DeclarationView.tsx", "web/declarations/pages.tsx")).toBe(true);
    expect(rule("app.tsx", "web/declarations/pages.tsx")).toBe(false);
    expect(ruleFor("web/kit/context.ts")!("web/signing/index.ts", "web/kit/context.ts")).toBe(false);
    expect(ruleFor("setup.ts")!("web/index.ts", "setup.ts")).toBe(false);
  });
});

describe("file length", () => {
  it("a module over 400 lines says why at its top", () => {
    const long = files
      .map((f) => ({ path: relative(ROOT, f.path), text: readFileSync(f.path, "utf8") }))
      .filter((f) => f.text.split("\n").length > 400)
      .filter((f) => !/\(Over 400 lines: [^)]+\)/.test(f.text.split("\n").slice(0, 5).join("\n")))
      .map((f) => f.path);
    expect(long).toEqual([]);
  });
});
