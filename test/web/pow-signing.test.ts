/**
 * The proof of work in the signing flows: bound to its Declaration, used up
 * only by an accepted signature, remembered across a restart, never refused
 * because many others were used.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { solveChallenge, type Challenge } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/sha";
import { afterEach, describe, expect, it, vi } from "vitest";
import { pledges, powSolutions } from "../../src/db/schema.ts";
import { REASONS } from "../../src/services/proof-of-work.ts";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { fromClient } from "../helpers/clients.ts";
import { createTestDb } from "../helpers/db.ts";
import { csrfFrom, pageText, postForm, signForm, storedCount, tokenFrom } from "../helpers/forms.ts";

type App = { request: (input: string, init?: RequestInit) => Response | Promise<Response> };

const POW_ENV = { PROOF_OF_WORK: "on", PROOF_OF_WORK_DIFFICULTY: "1000", TRUST_PROXY: "loopback" };

/** A challenge from the app's own endpoint, solved as the widget would, as the form field's value. */
async function solved(app: App, query: string): Promise<string> {
  const res = await app.request(`/api/pow/challenge?${query}`);
  expect(res.status).toBe(200);
  const challenge = (await res.json()) as Challenge;
  const solution = await solveChallenge({ challenge, deriveKey, timeout: 20_000 });
  expect(solution).not.toBeNull();
  return Buffer.from(
    JSON.stringify({ challenge: { parameters: challenge.parameters, signature: challenge.signature }, solution }),
  ).toString("base64");
}

const forSigning = (slug = "test-declaration") => `action=sign&target=${slug}`;

function formError(html: string): string {
  const m = /<div class="form-errors" role="alert"[^>]*>([\s\S]*?)<\/div>/.exec(html);
  return m == null ? "" : pageText(m[1]!);
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe("proof of work when signing", () => {
  it("refuses a solution already used before a restart (new app, same database file)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "undersign-pow-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "undersign.sqlite");
    const first = await createTestApp({ db: createTestDb(file), env: POW_ENV });
    addDeclaration(first.db);
    const payload = await solved(first.app, forSigning());
    tokenFrom(await signForm(first.app, { name: "Ada", altcha: payload }));
    first.db.$client.close();

    const second = await createTestApp({ db: createTestDb(file), env: POW_ENV });
    const replay = await signForm(second.app, { name: "Someone Else", altcha: payload });
    expect(replay.status).toBe(400);
    expect(formError(await replay.text())).toBe(REASONS.replayed);
    expect(storedCount(second.db)).toBe(1);
    // A fresh solution is fine after the restart.
    tokenFrom(await signForm(second.app, { name: "Grace", altcha: await solved(second.app, forSigning()) }));
    second.db.$client.close();
  });

  it("refuses a solution made for Declaration A on Declaration B, and keeps it valid for A", async () => {
    const t = await createTestApp({ env: POW_ENV });
    addDeclaration(t.db, { slug: "a" });
    addDeclaration(t.db, { slug: "b" });
    const forA = await solved(t.app, forSigning("a"));
    const res = await signForm(t.app, { name: "Ada", altcha: forA }, { slug: "b" });
    expect(res.status).toBe(400);
    expect(formError(await res.text())).toContain(REASONS.elsewhere);
    expect(storedCount(t.db, "b")).toBe(0);
    tokenFrom(await signForm(t.app, { name: "Ada", altcha: forA }, { slug: "a" }));
    // And a pledge's solution signs nothing.
    const forPledge = await solved(t.app, "action=pledge&target=strike");
    expect((await signForm(t.app, { name: "Grace", altcha: forPledge }, { slug: "a" })).status).toBe(400);
  });

  it("does not use up the solution of an attempt refused by the rate limit", async () => {
    const t = await createTestApp({ env: { ...POW_ENV, RATE_LIMIT_PER_DECLARATION: "1/1m" } });
    addDeclaration(t.db);
    const alice = fromClient(t.app, "203.0.113.1");
    const bob = fromClient(t.app, "203.0.113.2");
    tokenFrom(await signForm(alice, { name: "Alice", altcha: await solved(alice, forSigning()) }));
    const second = await solved(alice, forSigning());
    expect((await signForm(alice, { name: "Alice's friend", altcha: second })).status).toBe(429);
    expect(t.db.select().from(powSolutions).all()).toHaveLength(1);
    // The refused attempt's solution still pays for one signature.
    tokenFrom(await signForm(bob, { name: "Alice's friend", altcha: second }));
    expect(storedCount(t.db)).toBe(2);
  });

  it("does not use up the solution of a form sent back with an error", async () => {
    const t = await createTestApp({ env: POW_ENV });
    addDeclaration(t.db);
    const payload = await solved(t.app, forSigning());
    expect((await signForm(t.app, { name: "", altcha: payload })).status).toBe(400);
    tokenFrom(await signForm(t.app, { name: "Ada", altcha: payload }));
  });

  it("accepts a fresh solution however many others were used and are still remembered", async () => {
    const t = await createTestApp({ env: POW_ENV });
    addDeclaration(t.db);
    // 150,000 used, unexpired solutions (the old in-memory cap refused every new one from 100,000 on).
    const expires = new Date(Date.now() + 15 * 60_000);
    t.db.$client.transaction(() => {
      const insert = t.db.$client.prepare("INSERT INTO pow_solutions (id, expires) VALUES (?, ?)");
      for (let i = 0; i < 150_000; i++) insert.run(`flood-${i}`, expires.getTime());
    })();
    // And a real flood through the form, from many clients.
    for (let i = 0; i < 30; i++) {
      const client = fromClient(t.app, `198.51.100.${i + 1}`);
      tokenFrom(await signForm(client, { name: `Flood ${i}`, altcha: await solved(client, forSigning()) }));
    }
    tokenFrom(await signForm(t.app, { name: "Legitimate Signer", altcha: await solved(t.app, forSigning()) }));
    expect(storedCount(t.db)).toBe(31);
  });

  it("binds the JSON API's solutions too, and refuses a replay there", async () => {
    const t = await createTestApp({ env: POW_ENV });
    addDeclaration(t.db);
    addDeclaration(t.db, { slug: "other" });
    const payload = await solved(t.app, forSigning());
    const post = (slug: string, name: string) =>
      t.app.request(`/api/declarations/${slug}/signatures`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ name, public: true, altcha: payload }),
      });
    const elsewhere = await post("other", "Ada");
    expect(elsewhere.status).toBe(400);
    expect(await elsewhere.json()).toMatchObject({ error: { code: "proof_of_work", field: "altcha" } });
    expect((await post("test-declaration", "Ada")).status).toBe(201);
    const replay = await post("test-declaration", "Grace");
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({
      error: { code: "proof_of_work", message: REASONS.replayed },
    });
  });

  it("renders the sign form's widget with a challenge bound to its Declaration", async () => {
    const t = await createTestApp({ env: POW_ENV });
    addDeclaration(t.db, { slug: "bound" });
    const html = await (await t.app.request("/d/bound/sign")).text();
    expect(html).toContain('challenge="/api/pow/challenge?action=sign&amp;target=bound"');
  });
});

describe("proof of work when pledging", () => {
  it("takes only a pledge's solution, once, and not before the rate limit lets the pledge in", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2027-06-01T10:30:00Z"));
    try {
      const t = await createTestApp({ env: { ...POW_ENV, RATE_LIMIT_PER_CLIENT: "1/10m" } });
      addDeclaration(t.db);
      const pledge = async (app: App, altcha: string) => {
        const csrf = await csrfFrom(app, "/strike");
        return postForm(
          app,
          "/strike/pledge",
          { name: "", visibility: "public", phone: "", "all-days": "on", altcha },
          { csrf },
        );
      };
      const alice = fromClient(t.app, "203.0.113.1");
      const bob = fromClient(t.app, "203.0.113.2");
      // A signing solution pledges nothing.
      expect((await pledge(alice, await solved(alice, forSigning()))).status).toBe(400);
      expect((await pledge(alice, await solved(alice, "action=pledge&target=strike"))).status).toBe(303);
      const second = await solved(alice, "action=pledge&target=strike");
      expect((await pledge(alice, second)).status).toBe(429);
      // Not used up by the refusal: it pays for Bob's pledge, once.
      expect((await pledge(bob, second)).status).toBe(303);
      const replay = await pledge(fromClient(t.app, "203.0.113.3"), second);
      expect(replay.status).toBe(400);
      expect(pageText(await replay.text())).toContain(REASONS.replayed);
      expect(t.db.select().from(pledges).all()).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
