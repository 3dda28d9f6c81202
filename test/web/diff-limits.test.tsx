/**
 * Every page that diffs, on a real loopback server: the worst pair of texts a
 * Declaration can hold (200 KB each) is diffed off the thread that serves
 * pages — `/healthz` keeps answering while it is worked out — and comes back
 * coarse but correct; a text over the size limit is refused before any work
 * (no diff job is even queued), with a clear status and message naming it,
 * and a form keeps what was typed; a diff the pool cannot work out in time is
 * a 503 with `Retry-After`.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createCopy } from "../../src/db/copies.ts";
import type { Db } from "../../src/db/client.ts";
import { appendRevision, getDeclarationBySlug } from "../../src/db/declarations.ts";
import { keepRemoteRevision } from "../../src/db/remote-copies.ts";
import type { Declaration } from "../../src/db/schema.ts";
import { COARSE_NOTE, configureDiffPool, diffPool, MAX_DIFF_TEXT_BYTES } from "../../src/diff/index.ts";
import { BODY_MAX_BYTES } from "../../src/web/copies/copies.tsx";
import { loggedIn } from "../helpers/accounts.ts";
import { addDeclaration, createTestApp, TEST_ORIGIN } from "../helpers/app.ts";
import { tinyParagraphs, interleaved } from "../helpers/diff-texts.ts";
import { formBody, pageText, textareaText, type CsrfPair } from "../helpers/forms.ts";
import { startServer } from "../helpers/server.ts";

type App = Awaited<ReturnType<typeof createTestApp>>;

// Diff workers run at a low CPU priority (src/diff/worker.ts): on a busy test machine the worst diffs take a while.
vi.setConfig({ testTimeout: 180_000 });

/** The largest text a Declaration can hold: what the worst stored pair is made of. */
const STORED = BODY_MAX_BYTES;
const [WORST_A, WORST_B] = tinyParagraphs(STORED);
const [WORST_C, WORST_D] = interleaved(STORED);
/** A text stored before the limits (no form takes it today): over what a diff takes. */
const OVERSIZE = `${"Too long. ".repeat(MAX_DIFF_TEXT_BYTES / 10)}\n\nThe end.\n`;

/** The pool for these tests: a deadline long enough for a busy test machine (the 503 test sets its own). */
const POOL = { deadlineMs: 120_000 };

let t: App;
let url: string;
let close: () => Promise<void>;
let ada: CsrfPair;

function copyOf(db: Db, source: Declaration, number: number, slug: string, body: string, ownerId: number): Declaration {
  const outcome = db.transaction((tx) =>
    createCopy(tx, {
      source,
      sourceRevision: { number, title: source.title },
      sourceUrl: `${TEST_ORIGIN}/d/${source.slug}/v/${number}`,
      ownerId,
      slug,
      title: `Copy ${slug}`,
      summary: "",
      body,
      notes: {},
    }),
  );
  if (outcome.kind !== "created") throw new Error(outcome.kind);
  return outcome.declaration;
}

function revise(db: Db, slug: string, body: string): void {
  const d = getDeclarationBySlug(db, slug)!;
  db.transaction((tx) =>
    appendRevision(tx, d, { title: d.title, summary: "", body, changeSummary: "", origin: "site" }),
  );
}

beforeAll(async () => {
  configureDiffPool(POOL).warm();
  t = await createTestApp();
  ({ url, close } = await startServer(t.app));
  ada = await loggedIn(t, "ada");
  const adaId = (t.db.$client.prepare("SELECT id FROM accounts WHERE username = 'ada'").get() as { id: number }).id;
  // "worst": versions 1..4 are the worst pairs of stored texts (1→2 and 3→4).
  const worst = addDeclaration(t.db, { slug: "worst", title: "Worst", body: WORST_A });
  for (const body of [WORST_B, WORST_C, WORST_D]) revise(t.db, "worst", body);
  // "huge": version 2 was stored before the limits and is over what a diff takes.
  const huge = addDeclaration(t.db, { slug: "huge", title: "Huge", body: "A short first version.\n" });
  revise(t.db, "huge", OVERSIZE);
  // Copies: of the worst text (its Proposed Changes are the worst pair), and of each version of "huge".
  copyOf(t.db, worst, 1, "worst-copy", WORST_B, adaId);
  revise(t.db, "worst-copy", WORST_D);
  copyOf(t.db, getDeclarationBySlug(t.db, "huge")!, 1, "huge-v1-copy", "A short copy.\n", adaId);
  copyOf(t.db, getDeclarationBySlug(t.db, "huge")!, 2, "huge-v2-copy", "A short copy.\n", adaId);
  void huge;
}, 60_000);

afterAll(async () => {
  await close();
  await diffPool().close();
});

/**
 * Sends the request, and asks `/healthz` again and again until it is answered:
 * how many `/healthz` answers came while the request was being worked out.
 * With a diff on the page thread, none could (the thread would be busy).
 */
async function whileHealthz(
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; headers: Headers; html: string; healthz: number }> {
  let done = false;
  const request = fetch(url + path, init).then(async (res) => {
    const html = await res.text();
    done = true;
    return { status: res.status, headers: res.headers, html };
  });
  let healthz = 0;
  while (!done) {
    const res = await fetch(`${url}/healthz`);
    await res.text();
    if (res.status === 200 && !done) healthz++;
  }
  return { ...(await request), healthz };
}

/** GET `path` (as `who`), and how many diff jobs the pool accepted meanwhile. */
async function jobsFor(
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; headers: Headers; html: string; jobs: number }> {
  const before = diffPool().submitted;
  const res = await fetch(url + path, init);
  const html = await res.text();
  return { status: res.status, headers: res.headers, html, jobs: diffPool().submitted - before };
}

function post(fields: Record<string, string>, who: CsrfPair): RequestInit {
  return {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: who.cookie },
    body: formBody({ csrf: who.csrf, ...fields }),
  };
}

function fieldError(html: string, field: string): string | undefined {
  const m = new RegExp(`<p class="field-error" id="${field}-error">([\\s\\S]*?)</p>`).exec(html);
  return m == null ? undefined : pageText(m[1]!);
}

/** The worst pair takes a while to diff even within its budget: `/healthz` answers several times meanwhile. */
const ANSWERED_MEANWHILE = 3;

describe("comparison pages", () => {
  it("/d/{slug}/diff/{a}..{b}: the worst pair is shown, coarsely, while /healthz keeps answering", async () => {
    const got = await whileHealthz("/d/worst/diff/1..2");
    expect(got.status).toBe(200);
    expect(got.html).toContain(COARSE_NOTE);
    expect(got.healthz).toBeGreaterThanOrEqual(ANSWERED_MEANWHILE);
    // Revisions never change: the same page again is not worked out again.
    const again = await jobsFor("/d/worst/diff/1..2");
    expect(again.status).toBe(200);
    expect(again.jobs).toBe(0);
  });

  it("/d/{slug}/diff/{a}..{b}: a version over the limit is refused with 413 naming it, before any work", async () => {
    const got = await jobsFor("/d/huge/diff/1..2");
    expect(got.status).toBe(413);
    expect(pageText(got.html)).toContain(`Version 2 is too large to compare`);
    expect(pageText(got.html)).toContain(`up to ${MAX_DIFF_TEXT_BYTES / 1024} KB`);
    expect(got.jobs).toBe(0);
  });

  it("/compare: the same, for any two versions", async () => {
    const got = await whileHealthz("/compare?a=worst&av=3&b=worst&bv=4&view=side");
    expect(got.status).toBe(200);
    expect(got.html).toContain(COARSE_NOTE);
    expect(got.healthz).toBeGreaterThanOrEqual(ANSWERED_MEANWHILE);
    const refused = await jobsFor("/compare?a=huge&av=2&b=worst&bv=1");
    expect(refused.status).toBe(413);
    expect(pageText(refused.html)).toContain("Version 2 is too large to compare");
    expect(refused.jobs).toBe(0);
  });

  it("/compare/elsewhere: the same, for versions named by their addresses", async () => {
    const q = (a: string, b: string) =>
      `/compare/elsewhere?${new URLSearchParams({ a: `${TEST_ORIGIN}${a}`, b: `${TEST_ORIGIN}${b}` }).toString()}`;
    const got = await whileHealthz(q("/d/worst/v/2", "/d/worst/v/3"));
    expect(got.status).toBe(200);
    expect(got.html).toContain(COARSE_NOTE);
    expect(got.healthz).toBeGreaterThanOrEqual(ANSWERED_MEANWHILE);
    const refused = await jobsFor(q("/d/worst/v/1", "/d/huge/v/2"));
    expect(refused.status).toBe(413);
    expect(pageText(refused.html)).toContain(`The version at ${TEST_ORIGIN}/d/huge/v/2 is too large to compare`);
    expect(refused.jobs).toBe(0);
  });
});

describe("a copy's Proposed Changes", () => {
  it("its page, an older version and its .md list them, worked out off the page thread", async () => {
    const page = await whileHealthz("/d/worst-copy");
    expect(page.status).toBe(200);
    expect(page.healthz).toBeGreaterThanOrEqual(ANSWERED_MEANWHILE);
    expect(pageText(page.html)).toContain("Proposed Changes");
    expect(pageText(page.html)).toContain("More changes are not listed here (only the first 500)");
    const older = await whileHealthz("/d/worst-copy/v/1");
    expect(older.status).toBe(200);
    expect(older.healthz).toBeGreaterThanOrEqual(ANSWERED_MEANWHILE);
    expect(pageText(older.html)).toContain("More changes are not listed here");
    const md = await jobsFor("/d/worst-copy.md");
    expect(md.status).toBe(200);
    expect(md.html).toContain("## Proposed Changes");
    // Kept from the page view: the same revision pair is not diffed again.
    expect(md.jobs).toBe(0);
  });

  it("a source over the limit: the page says so, the .md is refused with 413; no work is done", async () => {
    const page = await jobsFor("/d/huge-v2-copy");
    expect(page.status).toBe(200);
    expect(pageText(page.html)).toContain(
      "The changes from the source are not listed here. The source (version 2) is too large to compare",
    );
    const md = await jobsFor("/d/huge-v2-copy.md");
    expect(md.status).toBe(413);
    expect(md.html).toContain(
      "its Proposed Changes could not be listed. The source (version 2) is too large to compare",
    );
    expect(page.jobs + md.jobs).toBe(0);
  });
});

describe("the lineage page", () => {
  it("counts the words changed off the page thread, and lists a copy of a text over the limit without a count", async () => {
    const worst = await whileHealthz("/d/worst/copies");
    expect(worst.status).toBe(200);
    expect(worst.healthz).toBeGreaterThanOrEqual(ANSWERED_MEANWHILE);
    expect(pageText(worst.html)).toMatch(
      /Copy worst-copy by ada · 0 signatures · copied from version 1 of “Worst” · [\d,]+ words changed/,
    );
    const huge = await jobsFor("/d/huge/copies");
    expect(huge.status).toBe(200);
    expect(pageText(huge.html)).toContain("copied from version 2 of “Huge” · changes not counted yet");
    expect(pageText(huge.html)).toMatch(/copied from version 1 of “Huge” · \d+ words? changed/);
    // Only the copy of version 1 was diffed.
    expect(huge.jobs).toBe(1);
  });
});

describe("the merge page", () => {
  it("merges the worst texts off the page thread; a source version over the limit is refused with 413 before any work", async () => {
    const got = await whileHealthz("/d/worst-copy/merge", { headers: { Cookie: ada.cookie } });
    expect(got.status).toBe(200);
    expect(got.healthz).toBeGreaterThanOrEqual(ANSWERED_MEANWHILE);
    expect(pageText(got.html)).toContain("Take in version 4 of the source");
    const refused = await jobsFor("/d/huge-v1-copy/merge", { headers: { Cookie: ada.cookie } });
    expect(refused.status).toBe(413);
    expect(pageText(refused.html)).toContain("The source’s new version is too large to compare");
    expect(pageText(refused.html)).toContain("Nothing was changed.");
    expect(refused.jobs).toBe(0);
  });
});

describe("the editors: the text's size is checked before the preview", () => {
  const tooLarge = `${"An over-long text. ".repeat(Math.ceil((BODY_MAX_BYTES + 10) / 19))}`;

  it("copy editor: a text over 200 KB gets 400 with the field named and the text kept, and no work; the worst text within it is previewed off the page thread", async () => {
    const refused = await jobsFor(
      "/d/worst/copy",
      post({ v: "1", title: "Mine", slug: "", summary: "", body: tooLarge, action: "preview" }, ada),
    );
    expect(refused.status).toBe(400);
    expect(fieldError(refused.html, "body")).toBe("The text is larger than 200 KB.");
    expect(textareaText(refused.html, "body")).toBe(tooLarge);
    expect(refused.jobs).toBe(0);
    const preview = await whileHealthz(
      "/d/worst/copy",
      post({ v: "1", title: "Mine", slug: "", summary: "", body: WORST_B, action: "preview" }, ada),
    );
    expect(preview.status).toBe(200);
    expect(preview.healthz).toBeGreaterThanOrEqual(ANSWERED_MEANWHILE);
    expect(preview.html).toContain('<h2 id="preview-title">Preview</h2>');
    expect(preview.html).toContain(COARSE_NOTE);
    expect(textareaText(preview.html, "body")).toBe(WORST_B);
  });

  it("the owner's editor (/d/{slug}/edit): the same", async () => {
    const refused = await jobsFor(
      "/d/worst-copy/edit",
      post(
        {
          base: "2",
          title: "Mine",
          summary: "",
          changeSummary: "",
          body: tooLarge,
          action: "preview",
          "note-abc": "my note",
        },
        ada,
      ),
    );
    expect(refused.status).toBe(400);
    expect(fieldError(refused.html, "body")).toBe("The text is larger than 200 KB.");
    expect(textareaText(refused.html, "body")).toBe(tooLarge);
    // The note typed is kept in the form, though the list of changes is not made.
    expect(refused.html).toMatch(/<input type="hidden" name="note-abc" value="my note"/);
    expect(refused.jobs).toBe(0);
    const preview = await whileHealthz(
      "/d/worst-copy/edit",
      post({ base: "2", title: "Mine", summary: "", changeSummary: "", body: WORST_C, action: "preview" }, ada),
    );
    expect(preview.status).toBe(200);
    expect(preview.healthz).toBeGreaterThanOrEqual(ANSWERED_MEANWHILE);
    expect(preview.html).toContain('<h2 id="preview-title">Preview</h2>');
  });

  it("the merged-text editor (/d/{slug}/merge): the same check first", async () => {
    const refused = await jobsFor(
      "/d/worst-copy/merge",
      post(
        {
          base: "2",
          upstream: "4",
          step: "edit",
          title: "Mine",
          summary: "",
          changeSummary: "",
          body: tooLarge,
          action: "preview",
        },
        ada,
      ),
    );
    expect(refused.status).toBe(400);
    expect(fieldError(refused.html, "body")).toBe("The text is larger than 200 KB.");
    expect(textareaText(refused.html, "body")).toBe(tooLarge);
    expect(refused.jobs).toBe(0);
  });

  it("copy from another site (/copy/elsewhere): the same check first", async () => {
    const kept = t.db.transaction((tx) =>
      keepRemoteRevision(
        tx,
        {
          url: "https://elsewhere.example/d/theirs/v/1",
          articleIri: "https://elsewhere.example/ap/articles/1",
          actorIri: "https://elsewhere.example/d/theirs",
          number: 1,
          title: "Theirs",
          summary: "",
          body: "Their text.\n",
          format: "markdown",
          viaUrl: null,
        },
        new Date(),
      ),
    );
    const refused = await jobsFor(
      "/copy/elsewhere",
      post(
        { ref: kept.url, source: kept.url, title: "Mine", slug: "", summary: "", body: tooLarge, action: "preview" },
        ada,
      ),
    );
    expect(refused.status).toBe(400);
    expect(fieldError(refused.html, "body")).toBe("The text is larger than 200 KB.");
    expect(textareaText(refused.html, "body")).toBe(tooLarge);
    expect(refused.jobs).toBe(0);
  });
});

describe("when the diff pool cannot work a diff out in time", () => {
  it("comparison pages answer 503 with Retry-After; a copy's page says so and is not kept; its .md is 503; an editor keeps the text", async () => {
    // Every job now misses its deadline (a worker cannot even start in 1 ms).
    configureDiffPool({ deadlineMs: 1 });
    try {
      const diff = await jobsFor("/d/worst/diff/2..3");
      expect(diff.status).toBe(503);
      expect(diff.headers.get("retry-after")).toBe("30");
      expect(pageText(diff.html)).toContain(
        "The comparison took too long to work out and was stopped. Please try again in a minute.",
      );
      const page = await jobsFor("/d/huge-v1-copy");
      expect(page.status).toBe(200);
      expect(page.headers.get("cache-control")).toBe("no-store");
      expect(pageText(page.html)).toContain(
        "The changes from the source are not listed here. The comparison took too long",
      );
      const md = await jobsFor("/d/huge-v1-copy.md");
      expect(md.status).toBe(503);
      expect(md.headers.get("retry-after")).toBe("30");
      const editor = await jobsFor(
        "/d/worst-copy/edit",
        post(
          {
            base: "2",
            title: "Mine",
            summary: "",
            changeSummary: "",
            body: "My short text.\n",
            action: "preview",
            "note-abc": "kept",
          },
          ada,
        ),
      );
      expect(editor.status).toBe(503);
      expect(pageText(editor.html)).toContain("The preview could not be made. The comparison took too long");
      expect(textareaText(editor.html, "body")).toBe("My short text.\n");
      expect(editor.html).toMatch(/<input type="hidden" name="note-abc" value="kept"/);
    } finally {
      configureDiffPool(POOL);
    }
    // With a working pool again, the copy's page lists its changes (the refusal was not kept).
    const page = await jobsFor("/d/huge-v1-copy");
    expect(pageText(page.html)).toContain("Proposed Changes");
    expect(pageText(page.html)).not.toContain("not listed here");
  });
});
