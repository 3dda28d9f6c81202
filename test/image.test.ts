/**
 * The Docker image holds every file the server reads at run time.  Docker is
 * not needed to check it: the runtime stage's `COPY` lines are read from the
 * Dockerfile, exactly those paths are copied into an empty folder (with the
 * installed node_modules beside them, as the build stage provides), and the
 * real entry point is started there with the image's environment.  A folder
 * the Dockerfile forgets (as `pages/` once was) shows up as a page that is
 * missing or a start that fails.
 */
import { cpSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { killChildren, removeTempDirs, ROOT, startApp, stopApp, tempDir } from "./helpers/process.ts";

interface ImageCopy {
  readonly sources: readonly string[];
  readonly destination: string;
}

/** The `COPY` instructions of the Dockerfile's last stage that copy from the build context. */
function runtimeCopies(dockerfile: string): { copies: ImageCopy[]; env: Record<string, string> } {
  const lines = dockerfile.replace(/\\\n/g, " ").split("\n");
  const lastFrom = lines.findLastIndex((line) => /^FROM\s/i.test(line));
  const copies: ImageCopy[] = [];
  const env: Record<string, string> = {};
  for (const line of lines.slice(lastFrom + 1)) {
    const copy = /^COPY\s+(.*)$/i.exec(line.trim());
    if (copy != null) {
      const words = copy[1]!.trim().split(/\s+/);
      if (words.some((word) => word.startsWith("--from="))) continue;
      const args = words.filter((word) => !word.startsWith("--"));
      copies.push({ sources: args.slice(0, -1), destination: args.at(-1)! });
    }
    const vars = /^ENV\s+(.*)$/i.exec(line.trim());
    if (vars != null) {
      for (const pair of vars[1]!.trim().split(/\s+/)) {
        const [name, value] = pair.split("=");
        if (name != null && value != null) env[name] = value;
      }
    }
  }
  return { copies, env };
}

afterEach(killChildren);
afterAll(removeTempDirs);

describe("the Docker image", () => {
  const { copies, env } = runtimeCopies(readFileSync(join(ROOT, "Dockerfile"), "utf8"));

  it("copies the sources, the migrations, the shipped Declarations and the site pages", () => {
    const copied = copies.flatMap((copy) => copy.sources);
    for (const path of ["src", "migrations", "declarations", "pages", "package.json"]) expect(copied).toContain(path);
  });

  it("serves every page from the files the image holds", async () => {
    const image = tempDir("image");
    for (const copy of copies) {
      for (const source of copy.sources) {
        const target =
          copy.destination.endsWith("/") || copy.sources.length > 1
            ? join(image, copy.destination, source)
            : join(image, copy.destination);
        cpSync(join(ROOT, source), target, { recursive: true });
      }
    }
    // The build stage's production dependencies.
    symlinkSync(join(ROOT, "node_modules"), join(image, "node_modules"), "dir");

    const { PORT: _port, HOST: _host, DATA_DIR: _data, ...imageEnv } = env;
    const app = await startApp(tempDir("image-data"), imageEnv, undefined, image);
    for (const path of [
      "/",
      "/d/digital-independence",
      "/faq",
      "/resources",
      "/strike",
      "/privacy",
      "/memes",
      "/embed",
    ]) {
      const res = await fetch(app.url + path);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      await res.body?.cancel();
    }
    const home = await (await fetch(`${app.url}/`)).text();
    const stylesheet = /<link rel="stylesheet" href="([^"]+)"/.exec(home)?.[1];
    expect(stylesheet).toBeDefined();
    expect((await fetch(app.url + stylesheet!)).status).toBe(200);
    const log = app.output().stdout + app.output().stderr;
    expect(log).not.toMatch(/ENOENT|Skipped/);
    expect(await stopApp(app)).toEqual({ code: 0, signal: null });
  });
});
