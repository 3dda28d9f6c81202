import { randomBytes } from "node:crypto";
import { solveChallenge, type Challenge } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/sha";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createAccount, findAccountByUsername } from "../../src/db/accounts.ts";
import type { Db } from "../../src/db/client.ts";
import { createCopy, saveRevision } from "../../src/db/copies.ts";
import { getRevision } from "../../src/db/declarations.ts";
import { declarations, signatures, type Declaration } from "../../src/db/schema.ts";
import { REASONS } from "../../src/services/proof-of-work.ts";
import { addDeclaration, createTestApp, TEST_ORIGIN } from "../helpers/app.ts";
import {
  csrfFrom,
  pageText,
  postForm,
  signatureRows,
  signForm,
  storedCount,
  tags,
  tokenFrom,
} from "../helpers/forms.ts";

function copyOf(db: Db, source: Declaration, slug: string): Declaration {
  let owner = findAccountByUsername(db, "ada");
  if (owner == null) {
    createAccount(db, { username: "ada", passwordHash: "unused", role: "author" });
    owner = findAccountByUsername(db, "ada")!;
  }
  const revision = getRevision(db, source.id, source.revision)!;
  const outcome = db.transaction((tx) =>
    createCopy(tx, {
      source,
      sourceRevision: revision,
      sourceUrl: `${TEST_ORIGIN}/d/${source.slug}/v/${revision.number}`,
      ownerId: owner.id,
      slug,
      title: `Title ${slug.toUpperCase()}`,
      summary: "",
      body: `${revision.body}\nAnd ${slug}.\n`,
      notes: {},
    }),
  );
  if (outcome.kind !== "created") throw new Error(outcome.kind);
  return outcome.declaration;
}

/** A → B → C and an unrelated X; B is signed through the form. */
async function setup(env?: Record<string, string>) {
  const t = await createTestApp(env == null ? {} : { env });
  const a = addDeclaration(t.db, { slug: "a", title: "Title A" });
  const b = copyOf(t.db, a, "b");
  const c = copyOf(t.db, b, "c");
  const x = addDeclaration(t.db, { slug: "x", title: "Title X" });
  // C has a second version: signing it from B's page signs version 2.
  t.db.transaction((tx) =>
    saveRevision(tx, {
      declaration: c,
      baseRevision: 1,
      title: "Title C",
      summary: "",
      body: "Version two of C.",
      changeSummary: "",
      notes: {},
      authorId: c.ownerId!,
    }),
  );
  const token = tokenFrom(
    await signForm(
      t.app,
      {
        name: "Ada Lovelace",
        place: "London",
        website: "ada.example.org",
        email: "ada@example.org",
        comment: "Hello",
        visibility: "count",
      },
      { slug: "b" },
    ),
  );
  return { ...t, a, b, c, x, token };
}

type Setup = Awaited<ReturnType<typeof setup>>;

function alsoSign(t: Setup, fields: Record<string, string>, csrf?: Awaited<ReturnType<typeof csrfFrom>> | null) {
  return (async () =>
    postForm(t.app, `/s/${t.token}/also`, fields, {
      csrf: csrf === undefined ? await csrfFrom(t.app, `/s/${t.token}`) : csrf,
    }))();
}

const field = (d: Pick<Declaration, "id">) => `also-${d.id}`;

function resultLines(html: string): string[] {
  return [...html.matchAll(/<li class="(?:not-)?signed">([\s\S]*?)<\/li>/g)].map((m) => pageText(m[1]!));
}

function signaturesOf(t: Setup, d: Pick<Declaration, "id">) {
  return signatureRows(t.db).filter((s) => s.declarationId === d.id);
}

describe("also sign the family from the private page", () => {
  it("offers the sources and copies, with their versions, in a CSRF-protected form", async () => {
    const t = await setup();
    const html = await (await t.app.request(`/s/${t.token}`)).text();
    expect(tags(html, "form").map((f) => f.action)).toContain(`/s/${t.token}/also`);
    const boxes = tags(html, "input").filter((i) => i.type === "checkbox");
    expect(boxes.map((b) => b.name)).toEqual([field(t.a), field(t.c)]);
    const text = pageText(html);
    expect(text).toContain("Also sign these");
    expect(text).toContain("Title A , version 1");
    expect(text).toContain("Title C , version 2");
    expect(text).not.toContain("Title X");
  });

  it("is not offered for a Declaration without family", async () => {
    const t = await setup();
    const token = tokenFrom(await signForm(t.app, { name: "Grace Hopper" }, { slug: "x" }));
    const html = await (await t.app.request(`/s/${token}`)).text();
    expect(pageText(html)).not.toContain("Also sign these");
    expect(tags(html, "form").map((f) => f.action)).not.toContain(`/s/${token}/also`);
  });

  it("signs each chosen member once, its own latest version, with the same details; outsiders are ignored", async () => {
    const t = await setup();
    const res = await alsoSign(t, { [field(t.a)]: "1", [field(t.c)]: "1", [field(t.x)]: "1", [field(t.b)]: "1" });
    expect(res.status).toBe(200);
    const html = await res.text();
    const lines = resultLines(html);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^Title A , version 1: signed\. Its own private link: https:\/\/undersign\.test\/s\/[A-Za-z0-9_-]{43}$/,
    );
    expect(lines[1]).toMatch(/^Title C , version 2: signed\./);

    const original = signaturesOf(t, t.b)[0]!;
    expect(signaturesOf(t, t.b)).toHaveLength(1);
    expect(signaturesOf(t, t.x)).toHaveLength(0);
    for (const [d, revision] of [
      [t.a, 1],
      [t.c, 2],
    ] as const) {
      const rows = signaturesOf(t, d);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        revision,
        status: "confirmed",
        name: original.name,
        place: original.place,
        website: original.website,
        comment: original.comment,
        email: original.email,
        emailHash: original.emailHash,
        public: false,
      });
      expect(rows[0]!.tokenHash).not.toBe(original.tokenHash);
    }
    expect([storedCount(t.db, "a"), storedCount(t.db, "b"), storedCount(t.db, "c"), storedCount(t.db, "x")]).toEqual([
      1, 1, 1, 0,
    ]);

    // Each private link works and belongs to its own Declaration.
    const links = tags(html, "a")
      .map((a) => a.href)
      .filter((h) => h?.startsWith(`${TEST_ORIGIN}/s/`));
    expect(links).toHaveLength(2);
    const own = await (await t.app.request(new URL(links[0]!).pathname)).text();
    expect(pageText(own)).toContain("Of “Title A” , version 1.");

    // A second time: already signed (same email), nothing new.
    const again = resultLines(await (await alsoSign(t, { [field(t.a)]: "1", [field(t.c)]: "1" })).text());
    expect(again).toEqual(["Title A : not signed, already signed.", "Title C : not signed, already signed."]);
    expect(signatureRows(t.db)).toHaveLength(3);
  });

  it("respects the rate limits when they are on", async () => {
    // Two signatures per client: B through the form, then one more.
    const t = await setup({ RATE_LIMIT_PER_CLIENT: "2/10m", RATE_LIMIT_PER_DECLARATION: "1/1m" });
    const lines = resultLines(await (await alsoSign(t, { [field(t.a)]: "1", [field(t.c)]: "1" })).text());
    expect(lines[0]).toMatch(/^Title A , version 1: signed\./);
    expect(lines[1]).toMatch(
      /^Title C : not signed\. Too many signatures from your connection just now\. Please try again in \d+ (seconds|minute|minutes); nothing was lost, your entries are kept\.$/,
    );
    expect(signaturesOf(t, t.a)).toHaveLength(1);
    expect(signaturesOf(t, t.c)).toHaveLength(0);
    expect(storedCount(t.db, "c")).toBe(0);
  });

  it("refuses a forged POST without the CSRF token", async () => {
    const t = await setup();
    const noToken = await alsoSign(t, { [field(t.a)]: "1" }, null);
    expect(noToken.status).toBe(403);
    const pair = await csrfFrom(t.app, `/s/${t.token}`);
    const wrongToken = await alsoSign(t, { csrf: "forged", [field(t.a)]: "1" }, pair);
    expect(wrongToken.status).toBe(403);
    expect(signaturesOf(t, t.a)).toHaveLength(0);
  });

  it("an unknown token is a 404", async () => {
    const t = await setup();
    const pair = await csrfFrom(t.app, `/s/${t.token}`);
    const res = await postForm(
      t.app,
      `/s/${randomBytes(32).toString("base64url")}/also`,
      { [field(t.a)]: "1" },
      { csrf: pair },
    );
    expect(res.status).toBe(404);
    expect(signaturesOf(t, t.a)).toHaveLength(0);
  });

  it("nothing ticked, a withdrawn signature, or a draft member signs nothing", async () => {
    const t = await setup();
    expect((await alsoSign(t, {})).status).toBe(303);
    t.db.update(declarations).set({ status: "draft" }).where(eq(declarations.id, t.a.id)).run();
    const lines = resultLines(await (await alsoSign(t, { [field(t.a)]: "1", [field(t.c)]: "1" })).text());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Title C /);
    t.db.update(signatures).set({ status: "withdrawn" }).where(eq(signatures.declarationId, t.b.id)).run();
    const html = await (await t.app.request(`/s/${t.token}`)).text();
    expect(pageText(html)).not.toContain("Also sign these");
    expect((await alsoSign(t, { [field(t.c)]: "1" }, await csrfFrom(t.app, "/d/x/sign"))).status).toBe(303);
    expect(signaturesOf(t, t.a)).toHaveLength(0);
    expect(signaturesOf(t, t.c)).toHaveLength(1);
  });
});

describe("also sign with the proof of work on", () => {
  /** A challenge from the app's endpoint (the widget's URL), solved, as the form field's value. */
  async function solvedAt(app: Setup["app"], url: string): Promise<string> {
    const challenge = (await (await app.request(url)).json()) as Challenge;
    const solution = await solveChallenge({ challenge, deriveKey, timeout: 20_000 });
    return Buffer.from(
      JSON.stringify({ challenge: { parameters: challenge.parameters, signature: challenge.signature }, solution }),
    ).toString("base64");
  }

  async function powSetup(env: Record<string, string> = {}) {
    const t = await createTestApp({ env: { PROOF_OF_WORK: "on", PROOF_OF_WORK_DIFFICULTY: "1000", ...env } });
    const a = addDeclaration(t.db, { slug: "a", title: "Title A" });
    const b = copyOf(t.db, a, "b");
    const c = copyOf(t.db, b, "c");
    const d = copyOf(t.db, b, "d");
    const altcha = await solvedAt(t.app, "/api/pow/challenge?action=sign&target=b");
    const token = tokenFrom(await signForm(t.app, { name: "Ada Lovelace", altcha }, { slug: "b" }));
    return { ...t, a, b, c, d, x: a, token };
  }

  /** The confirmation page's widget URL. */
  function widgetUrl(html: string): string {
    const url = tags(html, "altcha-widget")[0]?.challenge;
    expect(url, "a proof-of-work widget").toBeTruthy();
    return url!;
  }

  it("asks for one proof priced by the number of Declarations, bound to exactly that set, and signs them with it once", async () => {
    const t = await powSetup();
    const pair = await csrfFrom(t.app, `/s/${t.token}`);
    const chosen = { [field(t.a)]: "1", [field(t.c)]: "1", [field(t.d)]: "1" };
    // The first POST signs nothing: it shows the chosen ones and the check.
    const confirm = await postForm(t.app, `/s/${t.token}/also`, chosen, { csrf: pair });
    expect(confirm.status).toBe(200);
    const html = await confirm.text();
    expect(pageText(html)).toContain("Sign 3 more Declarations");
    expect(pageText(html)).toContain("about 3 times as long as for one signature");
    const url = widgetUrl(html);
    expect(url).toMatch(/^\/api\/pow\/challenge\?action=also&target=[A-Za-z0-9_-]{22}&count=3$/);
    expect(
      tags(html, "input")
        .filter((i) => i.type === "hidden" && (i.name ?? "").startsWith("also-"))
        .map((i) => i.name)
        .sort(),
    ).toEqual([field(t.a), field(t.c), field(t.d)].sort());
    expect([storedCount(t.db, "a"), storedCount(t.db, "c"), storedCount(t.db, "d")]).toEqual([0, 0, 0]);

    // A proof for one signature (the sign form's), or for this set priced as one, is refused.
    for (const wrong of ["/api/pow/challenge?action=sign&target=a", url.replace("count=3", "count=1")]) {
      const res = await postForm(
        t.app,
        `/s/${t.token}/also`,
        { ...chosen, altcha: await solvedAt(t.app, wrong) },
        { csrf: pair },
      );
      expect(res.status, wrong).toBe(400);
      expect(pageText(await res.text())).toContain(REASONS.elsewhere);
    }
    // Nor does the set's proof pay for a larger set.
    const proof = await solvedAt(t.app, url);
    const more = await postForm(
      t.app,
      `/s/${t.token}/also`,
      { [field(t.a)]: "1", [field(t.c)]: "1", altcha: proof },
      { csrf: pair },
    );
    expect(more.status).toBe(400);
    expect([storedCount(t.db, "a"), storedCount(t.db, "c"), storedCount(t.db, "d")]).toEqual([0, 0, 0]);

    const signed = await postForm(t.app, `/s/${t.token}/also`, { ...chosen, altcha: proof }, { csrf: pair });
    expect(signed.status).toBe(200);
    expect(resultLines(await signed.text()).filter((l) => l.includes(": signed."))).toHaveLength(3);
    expect([storedCount(t.db, "a"), storedCount(t.db, "c"), storedCount(t.db, "d")]).toEqual([1, 1, 1]);

    // The same proof again: refused, nothing more is signed (the names would be duplicates anyway without it).
    const replay = await postForm(t.app, `/s/${t.token}/also`, { ...chosen, altcha: proof }, { csrf: pair });
    expect(replay.status).toBe(400);
    expect(pageText(await replay.text())).toContain(REASONS.replayed);
  });

  it("counts the rate limit per signature, not per request", async () => {
    const t = await powSetup({ RATE_LIMIT_PER_CLIENT: "2/10m" });
    const pair = await csrfFrom(t.app, `/s/${t.token}`);
    const chosen = { [field(t.a)]: "1", [field(t.c)]: "1", [field(t.d)]: "1" };
    const url = widgetUrl(await (await postForm(t.app, `/s/${t.token}/also`, chosen, { csrf: pair })).text());
    const proof = await solvedAt(t.app, url);
    const res = await postForm(t.app, `/s/${t.token}/also`, { ...chosen, altcha: proof }, { csrf: pair });
    const lines = resultLines(await res.text());
    // B's own signature was the first of two: one more, then the limit.
    expect(lines.filter((l) => l.includes(": signed."))).toHaveLength(1);
    expect(lines.filter((l) => l.includes("Too many signatures from your connection just now"))).toHaveLength(2);
    expect(storedCount(t.db, "a") + storedCount(t.db, "c") + storedCount(t.db, "d")).toBe(1);
  });
});
