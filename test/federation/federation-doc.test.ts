/**
 * Keeps FEDERATION.md honest, cheaply.  The behaviour it describes is tested
 * elsewhere (federation.test.ts against a stand-in server, publish.test.ts,
 * fediverse-helper.test.ts); this file checks that the document and the code
 * still agree:
 *
 * 1. Endpoints: every row of the "Endpoints" table answers.  GET rows are
 *    fetched with the ActivityPub Accept header and must answer 200 with the
 *    documented `type`.  POST rows (the inboxes) must refuse an unsigned
 *    activity with 401, because Fedify verifies every inbox POST.
 * 2. Accepted activities: every type on the "Accepted activity types" line
 *    has an inbox listener of its own.  Every other activity type in Fedify's
 *    vocabulary, including the ignored examples the document names, falls to
 *    the catch-all listener.  This is a static check, chosen over posting each
 *    type signed from the stand-in server because a 202 does not tell a
 *    handled activity from an ignored one.  It asks the built federation's
 *    listener set the same question Fedify asks for each verified activity
 *    (`dispatchWithClass`).  That set is not in Fedify's public types: if
 *    Fedify renames it, this test fails loudly and needs updating.
 * 3. Examples: scripts/federation-examples.ts runs the whole story again,
 *    and each JSON block in the document must have the same shape as what
 *    the code produces now: the same keys, the same `type` values and the
 *    same array lengths.  Values such as ids and dates may differ.  When this
 *    fails, run `npx tsx scripts/federation-examples.ts --write` and review
 *    the diff.
 * 4. The limits the document states match the constants in the code.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as vocab from "@fedify/vocab";
import { beforeAll, describe, expect, it } from "vitest";
import { collectExamples, fillDocument, markedExamples } from "../../scripts/federation-examples.ts";
import { appendRevision, getDeclarationBySlug } from "../../src/db/declarations.ts";
import { getPost } from "../../src/db/posts.ts";
import { MAX_INBOX_BODY_BYTES } from "../../src/federation/hono.ts";
import { authorizeQuote } from "../../src/db/quotes.ts";
import { MAX_EMBEDDED_ARTICLE_BYTES, OPENING_MAX } from "../../src/federation/objects.ts";
import { PROFILE_UPDATE_INTERVAL_MS } from "../../src/federation/profile-updates.ts";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { ROOT } from "../helpers/process.ts";

const DOC = readFileSync(join(ROOT, "FEDERATION.md"), "utf8");
const AP = "application/activity+json";

/** The text of one `## ` section of the document. */
function section(title: string): string {
  const start = DOC.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`FEDERATION.md has no section "${title}"`);
  const end = DOC.indexOf("\n## ", start + 1);
  return DOC.slice(start, end < 0 ? undefined : end);
}

/** Backticked names in one line of the document that starts with `prefix`. */
function namesOnLine(prefix: string): string[] {
  const line = DOC.split("\n").find((l) => l.startsWith(prefix));
  if (line == null) throw new Error(`FEDERATION.md has no line starting "${prefix}"`);
  return [...line.matchAll(/`(\w+)`/g)].map((m) => m[1]!);
}

interface Row {
  path: string;
  method: "GET" | "POST";
  type: string | null;
}

function endpointRows(): Row[] {
  const rows: Row[] = [];
  for (const line of section("Endpoints").split("\n")) {
    const m = /^\| `([^`]+)` \| (GET|POST) \| [^|]* \| (?:`(\w+)`|—) \|$/.exec(line);
    if (m != null) rows.push({ path: m[1]!, method: m[2] as Row["method"], type: m[3] ?? null });
  }
  return rows;
}

describe("FEDERATION.md: endpoints", () => {
  let app: Awaited<ReturnType<typeof createTestApp>>;
  const values: Record<string, string> = {};

  beforeAll(async () => {
    app = await createTestApp();
    addDeclaration(app.db, { slug: "doc-check" });
    await app.publisher.runOnce();
    const declaration = getDeclarationBySlug(app.db, "doc-check")!;
    app.db.transaction((tx) =>
      appendRevision(tx, declaration, {
        title: declaration.title,
        summary: declaration.summary,
        body: "Changed.\n",
        changeSummary: "",
        origin: "site",
      }),
    );
    await app.publisher.runOnce();
    const article = getPost(app.db, declaration.id, "article")!;
    const activity = (type: string) =>
      (
        app.db.$client
          .prepare("SELECT uuid FROM fed_activities WHERE post_id = ? AND type = ?")
          .get(article.id, type) as { uuid: string }
      ).uuid;
    const announcement = getPost(app.db, declaration.id, "announcement")!;
    const stamp = app.db.transaction((tx) =>
      authorizeQuote(tx, {
        declarationId: declaration.id,
        postId: announcement.id,
        interactingObject: "https://elsewhere.example/statuses/1",
        actorUri: "https://elsewhere.example/users/a",
        requestUri: null,
        now: new Date(),
      }),
    );
    Object.assign(values, {
      slug: "doc-check",
      host: new URL(app.config.origin).host,
      cursor: "0",
      origin: "https://mastodon.example",
      n: "1",
      "/ap/articles/": article.uuid,
      "/ap/notes/": getPost(app.db, declaration.id, "announcement")!.uuid,
      "/ap/activities/": activity("Create"),
      "/ap/updates/": activity("Update"),
      "/ap/quote-authorizations/": stamp.uuid,
      // The site account boosted the version note.
      "/ap/announces/": (
        app.db.$client.prepare("SELECT activity_uuid FROM site_posts WHERE kind = 'boost'").get() as {
          activity_uuid: string;
        }
      ).activity_uuid,
    });
  });

  function concrete(path: string): string {
    const prefix = /^\/ap\/[\w-]+\//.exec(path)?.[0];
    return path.replace(/\{(\w+)\}/g, (_all, name: string) => {
      const value = name === "uuid" && prefix != null ? values[prefix] : values[name];
      if (value == null) throw new Error(`no value for {${name}} in ${path}`);
      return value;
    });
  }

  it("lists the endpoints", () => {
    const rows = endpointRows();
    expect(rows.filter((r) => r.method === "GET").length).toBeGreaterThanOrEqual(15);
    expect(rows.filter((r) => r.method === "POST").map((r) => r.path)).toEqual(["/d/{slug}/inbox", "/inbox"]);
  });

  it.each(endpointRows().filter((r) => r.method === "GET"))("GET $path answers 200 with its type", async (row) => {
    const path = concrete(row.path);
    const response = await app.app.request(path, { headers: { accept: AP } });
    expect(response.status, path).toBe(200);
    const json = (await response.json()) as { type?: string };
    if (row.type != null) expect(json.type, path).toBe(row.type);
  });

  it.each(endpointRows().filter((r) => r.method === "POST"))("POST $path refuses an unsigned activity", async (row) => {
    const path = concrete(row.path);
    const body = JSON.stringify({
      "@context": "https://www.w3.org/ns/activitystreams",
      id: "https://elsewhere.example/follows/1",
      type: "Follow",
      actor: "https://elsewhere.example/users/a",
      object: new URL(`/d/${values.slug}`, app.config.origin).href,
    });
    const response = await app.app.request(path, { method: "POST", headers: { "content-type": AP }, body });
    expect(response.status, path).toBe(401);
  });
});

describe("FEDERATION.md: accepted activity types", () => {
  type Listeners = { dispatchWithClass(activity: object): { class: unknown } | null };
  let listeners: Listeners;
  type ActivityClass = new (values: object) => object;
  const exported = vocab as unknown as Record<string, unknown>;
  const activityClasses = Object.entries(exported).filter(
    (entry): entry is [string, ActivityClass] =>
      typeof entry[1] === "function" && (entry[1] === vocab.Activity || entry[1].prototype instanceof vocab.Activity),
  );

  beforeAll(async () => {
    const { federation } = await createTestApp();
    const set = (federation as unknown as { inboxListeners?: Listeners }).inboxListeners;
    if (set == null || typeof set.dispatchWithClass !== "function") {
      throw new Error("Fedify's built federation no longer exposes inboxListeners.dispatchWithClass; update this test");
    }
    listeners = set;
  });

  const accepted = namesOnLine("Accepted activity types:");

  it("names some types, each of them an ActivityStreams activity class", () => {
    expect(accepted.length).toBeGreaterThan(5);
    for (const name of accepted)
      expect(
        activityClasses.map(([n]) => n),
        name,
      ).toContain(name);
  });

  it.each(accepted)("%s has a listener of its own", (name) => {
    const cls = exported[name] as ActivityClass;
    expect(listeners.dispatchWithClass(new cls({}))?.class).toBe(cls);
  });

  it("every other activity type falls to the catch-all, including the ignored examples", () => {
    const ignoredExamples = namesOnLine("- Any other activity type");
    expect(ignoredExamples.length).toBeGreaterThan(0);
    for (const [name, cls] of activityClasses) {
      const handledBy = listeners.dispatchWithClass(new cls({}))?.class;
      if (accepted.includes(name)) continue;
      // A subclass of an accepted type is handled by that type's listener (e.g. none today).
      const parent = accepted.find((a) => cls.prototype instanceof (exported[a] as ActivityClass));
      expect(handledBy, name).toBe(parent == null ? vocab.Activity : exported[parent]);
    }
    for (const name of ignoredExamples) expect(accepted, name).not.toContain(name);
  });
});

describe("FEDERATION.md: examples", () => {
  /** Keys, `type` values and array lengths; every other value only by its kind. */
  function shape(value: unknown, key = ""): unknown {
    if (Array.isArray(value)) return value.map((v) => shape(v, key));
    if (value != null && typeof value === "object") {
      return Object.fromEntries(
        Object.keys(value)
          .sort()
          .map((k) => [k, shape((value as Record<string, unknown>)[k], k)]),
      );
    }
    if (key === "type") return value;
    return value === null ? "null" : typeof value;
  }

  function documented(name: string): unknown {
    const marker = `<!-- example: ${name} -->\n\`\`\`json\n`;
    const start = DOC.indexOf(marker);
    const end = DOC.indexOf("\n```", start + marker.length);
    return JSON.parse(DOC.slice(start + marker.length, end));
  }

  let examples: Record<string, unknown>;
  beforeAll(async () => {
    examples = await collectExamples();
  }, 60_000);

  it("marks every example the script produces, once", () => {
    const marked = markedExamples(DOC);
    expect(new Set(marked).size).toBe(marked.length);
    expect([...marked].sort()).toEqual(Object.keys(examples).sort());
    // Refilling changes nothing but the values (the markers and blocks stay in place).
    expect(markedExamples(fillDocument(DOC, examples))).toEqual(marked);
  });

  it("shows each example in the shape the code produces now", () => {
    for (const name of markedExamples(DOC)) {
      expect(shape(documented(name)), `example ${name}; run npx tsx scripts/federation-examples.ts --write`).toEqual(
        shape(examples[name]),
      );
    }
  });
});

describe("FEDERATION.md: limits", () => {
  it("states the sizes the code uses", () => {
    expect(MAX_EMBEDDED_ARTICLE_BYTES % 1024).toBe(0);
    expect(DOC).toContain(`at most ${MAX_EMBEDDED_ARTICLE_BYTES / 1024} KiB (\`MAX_EMBEDDED_ARTICLE_BYTES\``);
    expect(DOC).toContain(`at most ${OPENING_MAX} characters in all (\`OPENING_MAX\``);
    expect(PROFILE_UPDATE_INTERVAL_MS).toBe(60 * 60 * 1000);
    expect(DOC).toContain("**at most once an hour**\n(`PROFILE_UPDATE_INTERVAL_MS`");
    expect(MAX_INBOX_BODY_BYTES % 1024).toBe(0);
    expect(DOC).toContain(`request bodies over ${MAX_INBOX_BODY_BYTES / 1024} KiB are refused with \`413\``);
  });
});
