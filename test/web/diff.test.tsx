import { describe, expect, it } from "vitest";
import { appendRevision, getDeclarationBySlug } from "../../src/db/declarations.ts";
import { DIFF_CACHE_SIZE, diffCacheSize, parseRange, renderedDiff } from "../../src/web/diffs/diff-pages.tsx";
import { KeptDiffs } from "../../src/web/kit/diff-jobs.tsx";
import { addDeclaration, createTestApp, TEST_ORIGIN } from "../helpers/app.ts";

const BODY_1 = [
  "## Why",
  "We declare that the quick brown fox stays home today.",
  "Nobody posts on strike day.",
  "One unchanged paragraph.",
  "Two unchanged paragraphs.",
  "Three unchanged paragraphs.",
  "Four unchanged paragraphs.",
  "This paragraph will be removed entirely.",
].join("\n\n");

const BODY_2 = [
  "## Why",
  "We declare that the quick red fox stays home all week.",
  "Nobody posts on strike day.",
  "One unchanged paragraph.",
  "Two unchanged paragraphs.",
  "Three unchanged paragraphs.",
  "Four unchanged paragraphs.",
  "A new paragraph with <script>alert(1)</script> in it.",
].join("\n\n");

async function withTwoVersions() {
  const t = await createTestApp();
  addDeclaration(t.db, { body: BODY_1, now: new Date("2026-03-01T12:00:00Z") });
  const d = getDeclarationBySlug(t.db, "test-declaration")!;
  t.db.transaction((tx) =>
    appendRevision(tx, d, {
      title: "Test Declaration, improved",
      summary: "A Declaration for tests.",
      body: BODY_2,
      changeSummary: "Red fox",
      origin: "site",
      now: new Date("2026-04-02T12:00:00Z"),
    }),
  );
  return t;
}

async function get(app: { request: (path: string) => Response | Promise<Response> }, path: string) {
  const res = await app.request(path);
  return { status: res.status, html: await res.text(), location: res.headers.get("location") };
}

describe("the diff page /d/:slug/diff/a..b", () => {
  it("shows inserted and deleted words, the summary and links to both versions", async () => {
    const { app } = await withTwoVersions();
    const { status, html } = await get(app, "/d/test-declaration/diff/1..2?format=markdown");
    expect(status).toBe(200);
    expect(html).toContain("Changes from version 1 to version 2");
    expect(html).toMatch(/<del class="diff-del">brown<\/del>/);
    expect(html).toMatch(/<ins class="diff-ins">red<\/ins>/);
    expect(html).toContain('<del class="diff-del">today</del><ins class="diff-ins">all week</ins>');
    expect(html).toContain('<del class="diff-del">This paragraph will be removed entirely.</del>');
    // Summary figures.
    // "brown today" → "red all week" (3 words, 2 removed) and a paragraph of 10 words for one of 6.
    expect(html).toContain("<dt>Words added</dt><dd>13</dd>");
    expect(html).toContain("<dt>Words removed</dt><dd>8</dd>");
    expect(html).toContain("<dt>Paragraphs changed</dt><dd>3</dd>");
    expect(html).toContain("<dt>Paragraphs moved</dt><dd>0</dd>");
    expect(html).toContain("21 words changed (+13 −8) in 3 paragraphs.");
    // The title changed, the summary did not.
    expect(html).toContain("<dt>Title</dt>");
    expect(html).toContain('<ins class="diff-ins">, improved</ins>');
    expect(html).not.toContain("<dt>Summary</dt>");
    // Both versions, collapsed unchanged run, canonical URL.
    expect(html).toContain('href="/d/test-declaration/v/1"');
    expect(html).toContain('href="/d/test-declaration/v/2"');
    expect(html).toContain('<details class="diff-collapsed"><summary>5 unchanged paragraphs</summary>');
    expect(html).toContain('<link rel="canonical" href="https://undersign.test/d/test-declaration/diff/1..2"/>');
  });

  it("switches between inline (default) and side by side, formatted (default) and Markdown, with links, no script", async () => {
    const { app } = await withTwoVersions();
    const path = "/d/test-declaration/diff/1..2";
    const inline = (await get(app, path)).html;
    expect(inline).toContain('<div class="diff diff-inline diff-formatted">');
    expect(inline).not.toContain('<table class="diff-side');
    expect(inline).toContain(`<a href="${path}" aria-current="page">`);
    expect(inline).toContain(`<a href="${path}?view=side">`);
    expect(inline).toContain(`<a href="${path}?format=markdown">`);
    const side = (await get(app, `${path}?view=side`)).html;
    expect(side).toContain('<table class="diff-side diff-formatted">');
    expect(side).toContain('<th scope="col">Before</th><th scope="col">After</th>');
    expect(side).toContain(`<a href="${path}?view=side" aria-current="page">`);
    expect(side).toMatch(/<td class="diff-before">[\s\S]*<del class="diff-del">brown<\/del>/);
    expect(side).toMatch(/<td class="diff-after">[\s\S]*<ins class="diff-ins">red<\/ins>/);
    const source = (await get(app, `${path}?view=side&format=markdown`)).html;
    expect(source).toContain('<table class="diff-side">');
    expect(source).toContain(`<a href="${path}?view=side&amp;format=markdown" aria-current="page">`);
    expect((await get(app, `${path}?format=markdown`)).html).toContain('<div class="diff diff-inline">');
    // An unknown view or format falls back to the default.
    expect((await get(app, `${path}?view=bogus&format=%3Cb%3E`)).html).toContain(
      '<div class="diff diff-inline diff-formatted">',
    );
    for (const html of [inline, side, source]) expect(html).not.toMatch(/<script(?![^>]*src=)/);
  });

  it("works backwards too", async () => {
    const { app } = await withTwoVersions();
    const { status, html } = await get(app, "/d/test-declaration/diff/2..1");
    expect(status).toBe(200);
    expect(html).toContain("Changes from version 2 to version 1");
    expect(html).toMatch(/<ins class="diff-ins">brown<\/ins>/);
    expect(html).toMatch(/<del class="diff-del">red<\/del>/);
  });

  it("escapes the document text: a <script> in a revision is shown as text", async () => {
    const { app } = await withTwoVersions();
    for (const view of ["inline", "side"]) {
      const { html } = await get(app, `/d/test-declaration/diff/1..2?view=${view}&format=markdown`);
      expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
      expect(html).not.toContain("<script>alert(1)</script>");
      // Formatted, the Markdown is rendered and sanitized: the script is gone.
      const formatted = (await get(app, `/d/test-declaration/diff/1..2?view=${view}`)).html;
      expect(formatted).toContain("A new paragraph with");
      expect(formatted).not.toMatch(/<script(?![^>]*src=)/);
      expect(formatted).not.toContain("alert(1)");
    }
  });

  it("escapes titles in the title change", async () => {
    const t = await createTestApp();
    addDeclaration(t.db);
    const d = getDeclarationBySlug(t.db, "test-declaration")!;
    t.db.transaction((tx) =>
      appendRevision(tx, d, {
        title: "Bad <img src=x onerror=alert(1)>",
        summary: "",
        body: "Other.",
        changeSummary: "",
        origin: "site",
      }),
    );
    const { html } = await get(t.app, "/d/test-declaration/diff/1..2");
    expect(html).not.toContain("<img src=x");
    expect(html).toContain("&lt;img");
  });

  it("answers 404 for an unknown Declaration or version", async () => {
    const { app } = await withTwoVersions();
    const nope = await get(app, "/d/nope/diff/1..2");
    expect(nope.status).toBe(404);
    expect(nope.html).toContain("There is no Declaration “nope” here.");
    const missing = await get(app, "/d/test-declaration/diff/1..3");
    expect(missing.status).toBe(404);
    expect(missing.html).toContain("has no version 3. It has versions 1 to 2.");
    expect((await get(app, "/d/test-declaration/diff/7..2")).status).toBe(404);
  });

  it("answers 400 for a malformed range, saying what is wrong", async () => {
    const { app } = await withTwoVersions();
    const cases: [string, string][] = [
      ["1..", "needs a version number on each side"],
      ["..2", "needs a version number on each side"],
      ["a..b", "“a” is not a version number"],
      ["1..1", "choose two different versions"],
      ["0..1", "“0” is not a version number"],
      ["1..99999999999999999999", "“99999999999999999999” is not a version number"],
      ["1-2", "is not a range of versions"],
      ["1...2", "is not a range of versions"],
      ["1..2..3", "is not a range of versions"],
    ];
    for (const [range, message] of cases) {
      const res = await get(app, `/d/test-declaration/diff/${range}`);
      expect(res.status, range).toBe(400);
      expect(res.html, range).toContain(message);
      expect(res.html).toContain('href="/d/test-declaration/history"');
    }
  });

  it("redirects the history form (?a=&b=) to the canonical URL", async () => {
    const { app } = await withTwoVersions();
    const res = await get(app, "/d/test-declaration/diff?a=2&b=1");
    expect(res.status).toBe(302);
    expect(res.location).toBe("/d/test-declaration/diff/2..1");
    const bad = await get(app, "/d/test-declaration/diff?a=x&b=1");
    expect(bad.status).toBe(400);
    expect(bad.html).toContain("The first version “x” is not a version number");
    const none = await get(app, "/d/test-declaration/diff?a=1");
    expect(none.status).toBe(400);
    expect(none.html).toContain("The second version is missing");
    expect((await get(app, "/d/nope/diff?a=1&b=2")).status).toBe(404);
  });
});

describe("the history page", () => {
  it("links each version but the first to its changes and has a compare form", async () => {
    const { app } = await withTwoVersions();
    const { html } = await get(app, "/d/test-declaration/history");
    expect(html).toContain('href="/d/test-declaration/diff/1..2"');
    expect(html).not.toContain('href="/d/test-declaration/diff/0..1"');
    expect(html).toContain('<form class="compare-versions" method="get" action="/d/test-declaration/diff">');
    expect(html).toMatch(/<input id="compare-from" name="a" type="number"[^>]*value="1"/);
    expect(html).toMatch(/<input id="compare-to" name="b" type="number"[^>]*value="2"/);
  });

  it("has no compare form with only one version", async () => {
    const { app, db } = await createTestApp();
    addDeclaration(db);
    const { html } = await get(app, "/d/test-declaration/history");
    expect(html).not.toContain("compare-versions");
    expect(html).not.toContain("/diff/");
  });
});

describe("/compare", () => {
  async function twoDeclarations() {
    const t = await withTwoVersions();
    addDeclaration(t.db, {
      slug: "other",
      title: "Other Declaration",
      summary: "Another one.",
      body: "## Why\n\nWe declare that the slow red fox stays home all week.\n",
    });
    return t;
  }

  it("shows a GET form listing the published Declarations", async () => {
    const { app } = await twoDeclarations();
    const { status, html } = await get(app, "/compare");
    expect(status).toBe(200);
    expect(html).toContain('<form class="compare-form" method="get" action="/compare">');
    expect(html).toContain('<select id="compare-a" name="a" required="">');
    expect(html).toContain('<option value="other">Other Declaration (1 version)</option>');
    expect(html).toContain('<option value="test-declaration">Test Declaration, improved (2 versions)</option>');
    expect(html).toContain('name="av" type="text" inputmode="numeric"');
    expect(html).not.toContain("form-errors");
  });

  it("compares two Declarations, latest versions by default", async () => {
    const { app } = await twoDeclarations();
    const { status, html } = await get(app, "/compare?a=test-declaration&b=other");
    expect(status).toBe(200);
    expect(html).toContain("Changes from “Test Declaration, improved” to “Other Declaration”");
    expect(html).toContain('href="/d/test-declaration/v/2"');
    expect(html).toContain('href="/d/other/v/1"');
    expect(html).toMatch(/<del class="diff-del">quick<\/del>|<del class="diff-del">[^<]*quick/);
    expect(html).toContain("<dt>Summary</dt>");
    expect(html).toContain(
      'href="/compare?a=test-declaration&amp;av=2&amp;b=other&amp;bv=1&amp;view=side&amp;format=formatted"',
    );
    expect(html).toContain(
      'href="/compare?a=test-declaration&amp;av=2&amp;b=other&amp;bv=1&amp;view=inline&amp;format=markdown"',
    );
    const side = await get(app, "/compare?a=test-declaration&av=1&b=other&view=side");
    expect(side.status).toBe(200);
    expect(side.html).toContain('<table class="diff-side diff-formatted">');
    expect(side.html).toContain('href="/d/test-declaration/v/1"');
  });

  it("compares two versions of one Declaration", async () => {
    const { app } = await twoDeclarations();
    const { status, html } = await get(app, "/compare?a=test-declaration&av=1&b=test-declaration&bv=2");
    expect(status).toBe(200);
    expect(html).toContain("Changes from version 1 to version 2");
    expect(html).toMatch(/<ins class="diff-ins">red<\/ins>/);
  });

  it("shows the form again with a message naming each bad field (400)", async () => {
    const { app } = await twoDeclarations();
    const empty = await get(app, "/compare?a=&b=other");
    expect(empty.status).toBe(400);
    expect(empty.html).toContain('<a href="#compare-a">First Declaration</a>: Choose a Declaration.');
    expect(empty.html).toMatch(
      /<select id="compare-a" name="a" required="" aria-invalid="true" aria-describedby="a-error">/,
    );
    expect(empty.html).toContain('<option value="other" selected="">');

    const unknown = await get(app, "/compare?a=nope&b=other&bv=x");
    expect(unknown.status).toBe(400);
    expect(unknown.html).toContain("Second version</a>: “x” is not a version number");
    expect(unknown.html).toContain("First Declaration</a>: There is no Declaration “nope” here.");
    expect(unknown.html).toMatch(/<input id="compare-bv"[^>]*value="x"/);

    const missing = await get(app, "/compare?a=test-declaration&av=9&b=other");
    expect(missing.status).toBe(400);
    expect(missing.html).toContain(
      "First version</a>: “Test Declaration, improved” has no version 9. It has versions 1 to 2.",
    );
    expect(missing.html).toMatch(/<input id="compare-av"[^>]*value="9"/);

    const same = await get(app, "/compare?a=other&b=other");
    expect(same.status).toBe(400);
    expect(same.html).toContain("Second version</a>: This is the same version as the first one");

    const escaped = await get(app, "/compare?a=%3Cscript%3E&b=other");
    expect(escaped.html).not.toContain("<script>");
  });

  it("checks a version only once its Declaration is known; spaces around either are ignored", async () => {
    const { app } = await twoDeclarations();
    const noDeclaration = await get(app, "/compare?a=&av=x&b=other");
    expect(noDeclaration.status).toBe(400);
    expect(noDeclaration.html).toContain("First Declaration</a>: Choose a Declaration.");
    expect(noDeclaration.html).not.toContain("is not a version number");
    const spaced = await get(app, "/compare?a=%20test-declaration%20&av=%201%20&b=test-declaration&bv=2");
    expect(spaced.status).toBe(200);
    expect(spaced.html).toContain("Changes from version 1 to version 2");
    for (const bv of ["0", "01", "1.5", "9999999999"]) {
      const bad = await get(app, `/compare?a=other&b=test-declaration&bv=${bv}`);
      expect(bad.status, bv).toBe(400);
      expect(bad.html, bv).toContain(`Second version</a>: “${bv}” is not a version number`);
    }
  });
});

describe("/compare/elsewhere", () => {
  const here = (path: string) => `${TEST_ORIGIN}${path}`;
  const compare = (a: string, b: string, view?: string) =>
    `/compare/elsewhere?${new URLSearchParams({ a, b, ...(view != null ? { view } : {}) })}`;

  it("names each address that is not one, and compares two versions here in the view asked (inline otherwise)", async () => {
    const { app } = await withTwoVersions();
    const cases: [string, string][] = [
      ["", "Please give the address of a version (…/d/its-name/v/1)."],
      ["   ", "Please give the address of a version (…/d/its-name/v/1)."],
      [
        `https://x.example/${"x".repeat(2000)}`,
        "This is longer than 2000 characters; please paste just the address of a version.",
      ],
      ["not an address", "“not an address” is not a web address."],
      [
        "ftp://undersign.test/d/test-declaration/v/1",
        "“ftp://undersign.test/d/test-declaration/v/1” is not a web address.",
      ],
      [here("/d/test-declaration/v/9"), "There is no such version here (/d/test-declaration/v/9)."],
      // A malformed escape in the name is no such version (it was a server error).
      [here("/d/%E0%A4%A/v/1"), "There is no such version here (/d/%E0%A4%A/v/1)."],
    ];
    for (const [a, message] of cases) {
      const res = await get(app, compare(a, here("/d/test-declaration/v/2")));
      expect(res.status, a).toBe(400);
      expect(res.html, a).toContain(message);
    }
    const both = await get(app, "/compare/elsewhere?a=&b=x");
    expect(both.status).toBe(400);
    expect(both.html).toContain("Please give the address of a version");
    expect(both.html).toContain("“x” is not a web address.");
    expect((await get(app, "/compare/elsewhere")).status).toBe(200);

    for (const [view, side] of [
      ["side", true],
      ["inline", false],
      ["SIDE", false],
      ["", false],
    ] as const) {
      const res = await get(app, compare(here("/d/test-declaration/v/1"), here("/d/test-declaration/v/2"), view));
      expect(res.status, view).toBe(200);
      expect(res.html.includes('aria-label="Changes side by side"'), view).toBe(side);
    }
  });
});

describe("the diff cache", () => {
  it("keeps rendered diffs per revision pair and view, bounded", async () => {
    const db = {};
    const a = { id: 1, body: "One two three." };
    const b = { id: 2, body: "One four three." };
    const rendered = async (...args: Parameters<typeof renderedDiff>) => {
      const got = await renderedDiff(...args);
      if (!got.ok) throw new Error(got.refusal.message);
      return got.outcome;
    };
    const inline = { view: "inline", format: "markdown" } as const;
    const first = await rendered(db, a, b, inline);
    expect(await rendered(db, a, b, inline)).toBe(first);
    expect(await rendered(db, a, b, { view: "side", format: "markdown" })).not.toBe(first);
    expect(await rendered(db, a, b, { view: "inline", format: "formatted" })).not.toBe(first);
    expect(diffCacheSize(db)).toBe(3);
    for (let i = 0; i < DIFF_CACHE_SIZE + 50; i++) await rendered(db, a, { id: 100 + i, body: `Text ${i}.` }, inline);
    expect(diffCacheSize(db)).toBe(DIFF_CACHE_SIZE);
    expect(diffCacheSize({})).toBe(0);
  });

  it("keeps rendered diffs within a number of bytes too, dropping the least recently used", async () => {
    const kept = new KeptDiffs<string>(100, 1000, (s) => s.length);
    const owner = {};
    for (const key of ["a", "b", "c"]) await kept.get(owner, key, async () => key.repeat(400));
    // 400 + 400 + 400 > 1000: the first one went.
    expect(kept.size(owner)).toBe(2);
    expect(kept.bytes(owner)).toBe(800);
    expect(kept.peek(owner, "a")).toBeUndefined();
    // A value larger than the whole allowance is not kept at all.
    expect(await kept.get(owner, "huge", async () => "x".repeat(2000))).toHaveLength(2000);
    expect(kept.peek(owner, "huge")).toBeUndefined();
    // Asked for twice at once, a value is computed once; a failure is not kept.
    let computed = 0;
    const slow = () => new Promise<string>((resolve) => setTimeout(() => resolve(`v${++computed}`), 10));
    expect(await Promise.all([kept.get(owner, "d", slow), kept.get(owner, "d", slow)])).toEqual(["v1", "v1"]);
    await expect(kept.get(owner, "e", () => Promise.reject(new Error("busy")))).rejects.toThrow("busy");
    expect(await kept.get(owner, "e", async () => "fine")).toBe("fine");
  });

  it("parses ranges", () => {
    expect(parseRange("3..12")).toEqual({ a: 3, b: 12 });
    expect(parseRange("12..3")).toEqual({ a: 12, b: 3 });
    expect(parseRange("01..2")).toHaveProperty("error");
    expect(parseRange("1..1234567890")).toHaveProperty("error");
  });
});
