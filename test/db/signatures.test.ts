import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { WriteBatcher } from "../../src/db/batch.ts";
import type { Db } from "../../src/db/client.ts";
import { appendRevision } from "../../src/db/declarations.ts";
import { declarations, signatures, type Declaration } from "../../src/db/schema.ts";
import {
  confirmSignature,
  getSignatureByToken,
  insertBrowserSignature,
  listPublicSignatures,
  purgeExpiredPending,
  recountSignatures,
  renewConfirmation,
  resignSignature,
  rotateToken,
  withdrawSignature,
  type NewBrowserSignature,
} from "../../src/db/signatures.ts";
import { addDeclaration } from "../helpers/app.ts";
import { createTestDb } from "../helpers/db.ts";

const NOW = new Date("2026-04-01T12:00:00Z");
const HOUR = 3_600_000;

let serial = 0;

function input(
  declaration: Pick<Declaration, "id" | "revision">,
  overrides: Partial<NewBrowserSignature> = {},
): NewBrowserSignature {
  serial++;
  return {
    declarationId: declaration.id,
    revision: declaration.revision,
    name: `Signer ${serial}`,
    place: "Somewhere",
    website: "https://example.org/",
    comment: "A comment",
    email: `signer${serial}@example.org`,
    emailHash: `email-hash-${serial}`,
    public: true,
    tokenHash: `token-${serial}`,
    confirmation: null,
    now: NOW,
    ...overrides,
  };
}

function insert(
  db: Db,
  declaration: Pick<Declaration, "id" | "revision">,
  overrides: Partial<NewBrowserSignature> = {},
) {
  return db.transaction((tx) => insertBrowserSignature(tx, input(declaration, overrides)));
}

function stored(db: Db, id: number): number {
  return db.select({ n: declarations.signatureCount }).from(declarations).where(eq(declarations.id, id)).get()!.n;
}

function actual(db: Db, id: number): number {
  return db
    .select({ n: sql<number>`count(*)` })
    .from(signatures)
    .where(sql`${signatures.declarationId} = ${id} AND ${signatures.status} = 'confirmed'`)
    .get()!.n;
}

function expectInStep(db: Db) {
  expect(recountSignatures(db, false)).toEqual([]);
}

describe("insertBrowserSignature", () => {
  it("counts a signature without confirmation at once", () => {
    const db = createTestDb();
    const d = addDeclaration(db);
    const outcome = insert(db, d, { tokenHash: "t1" });
    expect(outcome.kind).toBe("inserted");
    if (outcome.kind !== "inserted") return;
    expect(outcome.signature).toMatchObject({
      declarationId: d.id,
      revision: 1,
      firstRevision: 1,
      kind: "browser",
      status: "confirmed",
      tokenHash: "t1",
      confirmTokenHash: null,
      confirmed: NOW,
      created: NOW,
      resigned: null,
      withdrawn: null,
    });
    expect(stored(db, d.id)).toBe(1);
    expectInStep(db);
  });

  it("does not count a signature that waits for confirmation", () => {
    const db = createTestDb();
    const d = addDeclaration(db);
    const outcome = insert(db, d, { confirmation: { tokenHash: "c1", expires: new Date(NOW.getTime() + HOUR) } });
    expect(outcome).toMatchObject({
      kind: "inserted",
      signature: { status: "pending", confirmed: null, confirmTokenHash: "c1" },
    });
    expect(stored(db, d.id)).toBe(0);
    expectInStep(db);
  });

  it("returns the existing signature for a second one with the same email hash", () => {
    const db = createTestDb();
    const d = addDeclaration(db);
    const first = insert(db, d, { emailHash: "same" });
    const second = insert(db, d, { emailHash: "same", name: "Someone else" });
    expect(second.kind).toBe("duplicate-email");
    if (first.kind !== "inserted" || second.kind !== "duplicate-email") return;
    expect(second.existing.id).toBe(first.signature.id);
    expect(db.select().from(signatures).all()).toHaveLength(1);
    expect(stored(db, d.id)).toBe(1);
  });

  it("lets the same email hash sign another Declaration", () => {
    const db = createTestDb();
    const a = addDeclaration(db);
    const b = addDeclaration(db, { slug: "other" });
    expect(insert(db, a, { emailHash: "same" }).kind).toBe("inserted");
    expect(insert(db, b, { emailHash: "same" }).kind).toBe("inserted");
    expect([stored(db, a.id), stored(db, b.id)]).toEqual([1, 1]);
  });

  it("allows any number of signatures without an email address", () => {
    const db = createTestDb();
    const d = addDeclaration(db);
    for (let i = 0; i < 5; i++) expect(insert(db, d, { email: null, emailHash: null }).kind).toBe("inserted");
    expect(stored(db, d.id)).toBe(5);
  });

  it("is backed by a unique index: a second live row with the same email hash cannot be written", () => {
    const db = createTestDb();
    const d = addDeclaration(db);
    insert(db, d, { emailHash: "same" });
    expect(() =>
      db
        .insert(signatures)
        .values({
          declarationId: d.id,
          revision: 1,
          firstRevision: 1,
          status: "confirmed",
          name: "Bypass",
          emailHash: "same",
          public: true,
          tokenHash: "bypass",
          created: NOW,
        })
        .run(),
    ).toThrow(/UNIQUE constraint failed: signatures\.declaration_id, signatures\.email_hash/);
    expect(db.select().from(signatures).all()).toHaveLength(1);
  });

  it("has unique private and confirmation token hashes", () => {
    const db = createTestDb();
    const d = addDeclaration(db);
    insert(db, d, { tokenHash: "tok", confirmation: { tokenHash: "conf", expires: new Date(NOW.getTime() + HOUR) } });
    expect(() => insert(db, d, { tokenHash: "tok" })).toThrow(/UNIQUE/);
    expect(() =>
      insert(db, d, { confirmation: { tokenHash: "conf", expires: new Date(NOW.getTime() + HOUR) } }),
    ).toThrow(/UNIQUE/);
    // The failed transactions did not count anything.
    expect(stored(db, d.id)).toBe(0);
    expectInStep(db);
  });
});

describe("confirmSignature", () => {
  it("confirms a pending signature once and counts it once", () => {
    const db = createTestDb();
    const d = addDeclaration(db);
    insert(db, d, { tokenHash: "t", confirmation: { tokenHash: "c", expires: new Date(NOW.getTime() + HOUR) } });
    const later = new Date(NOW.getTime() + 60_000);
    expect(db.transaction((tx) => confirmSignature(tx, "c", later))).toBe("confirmed");
    expect(getSignatureByToken(db, "t")).toMatchObject({ status: "confirmed", confirmed: later, confirmExpires: null });
    expect(stored(db, d.id)).toBe(1);
    expect(db.transaction((tx) => confirmSignature(tx, "c", later))).toBe("already-confirmed");
    expect(stored(db, d.id)).toBe(1);
    expectInStep(db);
  });

  it("refuses an expired link (also exactly at expiry) and an unknown one", () => {
    const db = createTestDb();
    const d = addDeclaration(db);
    const expires = new Date(NOW.getTime() + HOUR);
    insert(db, d, { confirmation: { tokenHash: "c", expires } });
    expect(confirmSignature(db, "c", expires)).toBe("expired");
    expect(confirmSignature(db, "c", new Date(expires.getTime() + 1))).toBe("expired");
    expect(confirmSignature(db, "nope", NOW)).toBe("unknown");
    expect(stored(db, d.id)).toBe(0);
  });

  it("does not confirm a withdrawn signature", () => {
    const db = createTestDb();
    const d = addDeclaration(db);
    insert(db, d, { tokenHash: "t", confirmation: { tokenHash: "c", expires: new Date(NOW.getTime() + HOUR) } });
    expect(withdrawSignature(db, "t", NOW)).toBe(true);
    expect(confirmSignature(db, "c", NOW)).toBe("unknown");
    expect(stored(db, d.id)).toBe(0);
    expectInStep(db);
  });
});

describe("withdrawSignature", () => {
  it("erases every personal field, uncounts, and is harmless twice", () => {
    const db = createTestDb();
    const d = addDeclaration(db);
    insert(db, d, { tokenHash: "t" });
    insert(db, d);
    expect(stored(db, d.id)).toBe(2);
    const when = new Date(NOW.getTime() + HOUR);
    expect(db.transaction((tx) => withdrawSignature(tx, "t", when))).toBe(true);
    expect(getSignatureByToken(db, "t")).toMatchObject({
      status: "withdrawn",
      name: null,
      place: null,
      website: null,
      comment: null,
      email: null,
      emailHash: null,
      confirmTokenHash: null,
      confirmExpires: null,
      withdrawn: when,
    });
    expect(stored(db, d.id)).toBe(1);
    expect(db.transaction((tx) => withdrawSignature(tx, "t", when))).toBe(false);
    expect(withdrawSignature(db, "unknown", when)).toBe(false);
    expect(stored(db, d.id)).toBe(1);
    expectInStep(db);
  });

  it("does not uncount a pending signature", () => {
    const db = createTestDb();
    const d = addDeclaration(db);
    insert(db, d);
    insert(db, d, { tokenHash: "p", confirmation: { tokenHash: "c", expires: new Date(NOW.getTime() + HOUR) } });
    expect(withdrawSignature(db, "p", NOW)).toBe(true);
    expect(stored(db, d.id)).toBe(1);
    expectInStep(db);
  });

  it("frees the email address to sign again", () => {
    const db = createTestDb();
    const d = addDeclaration(db);
    insert(db, d, { tokenHash: "t", emailHash: "same" });
    withdrawSignature(db, "t", NOW);
    expect(insert(db, d, { emailHash: "same" }).kind).toBe("inserted");
    expect(stored(db, d.id)).toBe(1);
    expectInStep(db);
  });
});

describe("resignSignature", () => {
  function withRevision2(db: Db) {
    const d = addDeclaration(db);
    insert(db, d, { tokenHash: "t" });
    const number = db.transaction((tx) =>
      appendRevision(tx, d, {
        title: "Test Declaration",
        summary: "",
        body: "Changed.",
        changeSummary: "Edit",
        origin: "site",
      }),
    );
    expect(number).toBe(2);
    return d;
  }

  it("moves a signature to a newer revision without counting it again", () => {
    const db = createTestDb();
    const d = withRevision2(db);
    const when = new Date(NOW.getTime() + HOUR);
    expect(db.transaction((tx) => resignSignature(tx, "t", 2, when))).toBe(true);
    expect(getSignatureByToken(db, "t")).toMatchObject({
      revision: 2,
      firstRevision: 1,
      resigned: when,
      status: "confirmed",
    });
    expect(stored(db, d.id)).toBe(1);
    expectInStep(db);
  });

  it("does nothing for the same or an older revision, a withdrawn signature or an unknown token", () => {
    const db = createTestDb();
    withRevision2(db);
    expect(resignSignature(db, "t", 1, NOW)).toBe(false);
    expect(resignSignature(db, "t", 2, NOW)).toBe(true);
    expect(resignSignature(db, "t", 2, NOW)).toBe(false);
    expect(resignSignature(db, "nope", 3, NOW)).toBe(false);
    withdrawSignature(db, "t", NOW);
    expect(resignSignature(db, "t", 3, NOW)).toBe(false);
    expect(getSignatureByToken(db, "t")).toMatchObject({ revision: 2, status: "withdrawn" });
  });
});

describe("rotateToken and renewConfirmation", () => {
  it("replaces the private link and, while pending, the confirmation link", () => {
    const db = createTestDb();
    const d = addDeclaration(db);
    const outcome = insert(db, d, {
      tokenHash: "old",
      confirmation: { tokenHash: "c-old", expires: new Date(NOW.getTime() + HOUR) },
    });
    if (outcome.kind !== "inserted") throw new Error("not inserted");
    rotateToken(db, outcome.signature.id, "new");
    expect(getSignatureByToken(db, "old")).toBeUndefined();
    const later = new Date(NOW.getTime() + 5 * HOUR);
    renewConfirmation(db, outcome.signature.id, { tokenHash: "c-new", expires: later });
    expect(getSignatureByToken(db, "new")).toMatchObject({ confirmTokenHash: "c-new", confirmExpires: later });
    expect(confirmSignature(db, "c-old", NOW)).toBe("unknown");
    expect(confirmSignature(db, "c-new", NOW)).toBe("confirmed");
    // No effect once confirmed.
    renewConfirmation(db, outcome.signature.id, { tokenHash: "c-newer", expires: later });
    expect(getSignatureByToken(db, "new")).toMatchObject({ confirmTokenHash: "c-new", confirmExpires: null });
  });
});

describe("counter", () => {
  /** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
  function random(seed: number) {
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  it("stays equal to a recount through random insert/confirm/withdraw/resign sequences", () => {
    for (const seed of [1, 2, 3, 42]) {
      const db = createTestDb();
      const next = random(seed);
      const ds = [addDeclaration(db), addDeclaration(db, { slug: "second" })];
      const live: { token: string; confirm: string | null; declarationId: number }[] = [];
      let n = 0;
      for (let step = 0; step < 300; step++) {
        const d = ds[Math.floor(next() * ds.length)]!;
        const current = db.select().from(declarations).where(eq(declarations.id, d.id)).get()!;
        const op = next();
        const pick = live[Math.floor(next() * live.length)];
        if (op < 0.35) {
          n++;
          const pending = next() < 0.4;
          db.transaction((tx) =>
            insertBrowserSignature(
              tx,
              input(current, {
                tokenHash: `s${seed}-${n}`,
                // A few repeated email hashes exercise the duplicate path.
                emailHash: `e${Math.floor(next() * 40)}`,
                confirmation: pending ? { tokenHash: `c${seed}-${n}`, expires: new Date(NOW.getTime() + HOUR) } : null,
              }),
            ),
          );
          live.push({ token: `s${seed}-${n}`, confirm: pending ? `c${seed}-${n}` : null, declarationId: d.id });
        } else if (op < 0.55 && pick?.confirm != null) {
          db.transaction((tx) => confirmSignature(tx, pick.confirm!, NOW));
        } else if (op < 0.75 && pick != null) {
          db.transaction((tx) => withdrawSignature(tx, pick.token, NOW));
        } else if (op < 0.85) {
          db.transaction((tx) =>
            appendRevision(tx, current, { title: "T", summary: "", body: "B", changeSummary: "", origin: "site" }),
          );
        } else if (pick != null) {
          const target = db.select().from(declarations).where(eq(declarations.id, pick.declarationId)).get()!;
          db.transaction((tx) => resignSignature(tx, pick.token, target.revision, NOW));
        } else if (op > 0.97) {
          purgeExpiredPending(db, new Date(NOW.getTime() + 2 * HOUR));
        }
        for (const x of ds) expect(stored(db, x.id), `seed ${seed}, step ${step}`).toBe(actual(db, x.id));
      }
      expectInStep(db);
    }
  });

  it("recountSignatures reports a broken counter and repairs it only when asked", () => {
    const db = createTestDb();
    const a = addDeclaration(db);
    const b = addDeclaration(db, { slug: "fine" });
    insert(db, a);
    insert(db, a);
    insert(db, a, { confirmation: { tokenHash: "pending", expires: new Date(NOW.getTime() + HOUR) } });
    insert(db, b);
    db.update(declarations).set({ signatureCount: 99 }).where(eq(declarations.id, a.id)).run();

    expect(recountSignatures(db, false)).toEqual([{ slug: "test-declaration", stored: 99, actual: 2 }]);
    expect(stored(db, a.id)).toBe(99);
    expect(recountSignatures(db, false)).toEqual([{ slug: "test-declaration", stored: 99, actual: 2 }]);

    expect(recountSignatures(db, true)).toEqual([{ slug: "test-declaration", stored: 99, actual: 2 }]);
    expect(stored(db, a.id)).toBe(2);
    expect(stored(db, b.id)).toBe(1);
    expect(recountSignatures(db, false)).toEqual([]);
  });

  it("recountSignatures works inside a transaction (as the CLI calls it)", () => {
    const db = createTestDb();
    const a = addDeclaration(db);
    db.update(declarations).set({ signatureCount: -3 }).where(eq(declarations.id, a.id)).run();
    expect(db.transaction((tx) => recountSignatures(tx, true), { behavior: "immediate" })).toEqual([
      { slug: "test-declaration", stored: -3, actual: 0 },
    ]);
    expect(stored(db, a.id)).toBe(0);
  });
});

describe("purgeExpiredPending", () => {
  it("deletes only pending signatures whose link expired", () => {
    const db = createTestDb();
    const d = addDeclaration(db);
    insert(db, d, { tokenHash: "expired", confirmation: { tokenHash: "c1", expires: new Date(NOW.getTime() - 1) } });
    insert(db, d, {
      tokenHash: "expired2",
      confirmation: { tokenHash: "c2", expires: new Date(NOW.getTime() - HOUR) },
    });
    insert(db, d, { tokenHash: "valid", confirmation: { tokenHash: "c3", expires: new Date(NOW.getTime() + HOUR) } });
    insert(db, d, { tokenHash: "confirmed" });
    insert(db, d, {
      tokenHash: "was-pending",
      confirmation: { tokenHash: "c4", expires: new Date(NOW.getTime() - 2 * HOUR) },
    });
    // Confirmed in time, before the link would have expired.
    expect(confirmSignature(db, "c4", new Date(NOW.getTime() - 3 * HOUR))).toBe("confirmed");
    insert(db, d, {
      tokenHash: "withdrawn",
      confirmation: { tokenHash: "c5", expires: new Date(NOW.getTime() - HOUR) },
    });
    withdrawSignature(db, "withdrawn", NOW);
    expect(stored(db, d.id)).toBe(2);

    expect(purgeExpiredPending(db, NOW)).toBe(2);
    const left = db
      .select({ t: signatures.tokenHash })
      .from(signatures)
      .orderBy(signatures.id)
      .all()
      .map((r) => r.t);
    expect(left).toEqual(["valid", "confirmed", "was-pending", "withdrawn"]);
    expect(stored(db, d.id)).toBe(2);
    expectInStep(db);
    expect(purgeExpiredPending(db, NOW)).toBe(0);
  });

  it("frees an expired pending address to sign again", () => {
    const db = createTestDb();
    const d = addDeclaration(db);
    insert(db, d, { emailHash: "same", confirmation: { tokenHash: "c", expires: new Date(NOW.getTime() - 1) } });
    expect(insert(db, d, { emailHash: "same" }).kind).toBe("duplicate-email");
    purgeExpiredPending(db, NOW);
    expect(insert(db, d, { emailHash: "same" }).kind).toBe("inserted");
  });
});

describe("listPublicSignatures", () => {
  it("lists confirmed public signatures of one Declaration, newest first, with keyset paging", () => {
    const db = createTestDb();
    const d = addDeclaration(db);
    const other = addDeclaration(db, { slug: "other" });
    const names: string[] = [];
    for (let i = 0; i < 12; i++) {
      const name = `Public ${i}`;
      names.push(name);
      insert(db, d, { name });
      insert(db, d, { name: `Hidden ${i}`, public: false });
    }
    insert(db, d, { name: "Pending", confirmation: { tokenHash: "pc", expires: new Date(NOW.getTime() + HOUR) } });
    insert(db, d, { name: "Gone", tokenHash: "gone" });
    withdrawSignature(db, "gone", NOW);
    insert(db, other, { name: "Elsewhere" });

    const seen: string[] = [];
    let before: number | undefined;
    for (;;) {
      const page = listPublicSignatures(db, d.id, { before, limit: 5 });
      if (page.length === 0) break;
      seen.push(...page.map((s) => s.name!));
      before = page.at(-1)!.id;
    }
    expect(seen).toEqual(names.toReversed());
    const [first] = listPublicSignatures(db, d.id, { limit: 1 });
    expect(Object.keys(first!).sort()).toEqual([
      "actor",
      "comment",
      "created",
      "id",
      "kind",
      "name",
      "place",
      "revision",
      "website",
    ]);
    // A browser signature has no fediverse account.
    expect(first!.actor).toBeNull();
  });
});

describe("WriteBatcher", () => {
  it("commits concurrent writes together and settles each after the commit", async () => {
    const db = createTestDb();
    const d = addDeclaration(db);
    const batcher = new WriteBatcher(db);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        batcher.run(() => insertBrowserSignature(db, input(d, { emailHash: `e${i % 10}` })).kind),
      ),
    );
    expect(results.filter((r) => r === "inserted")).toHaveLength(10);
    expect(results.filter((r) => r === "duplicate-email")).toHaveLength(10);
    expect(stored(db, d.id)).toBe(10);
    expectInStep(db);
  });

  it("rolls back only the write that failed", async () => {
    const db = createTestDb();
    const d = addDeclaration(db);
    const batcher = new WriteBatcher(db);
    const settled = await Promise.allSettled([
      batcher.run(() => insertBrowserSignature(db, input(d, { tokenHash: "dup" }))),
      batcher.run(() => {
        insertBrowserSignature(db, input(d, { tokenHash: "fresh" }));
        // Fails after counting: the savepoint must undo both the row and the count.
        return insertBrowserSignature(db, input(d, { tokenHash: "dup" }));
      }),
      batcher.run(() => insertBrowserSignature(db, input(d))),
    ]);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(getSignatureByToken(db, "fresh")).toBeUndefined();
    expect(stored(db, d.id)).toBe(2);
    expectInStep(db);
  });
});

describe("public list query plan", () => {
  it("walks the list index, also when almost every signer is count-only", () => {
    const db = createTestDb();
    const d = addDeclaration(db);
    const insert = db.$client.prepare(
      "INSERT INTO signatures (declaration_id, revision, first_revision, status, name, public, token_hash, created) VALUES (?, 1, 1, 'confirmed', 'x', ?, ?, 0)",
    );
    db.$client.transaction(() => {
      for (let i = 0; i < 5000; i++) insert.run(d.id, i % 100 === 0 ? 1 : 0, `t${i}`);
    })();
    db.$client.exec("ANALYZE");
    // The same shape Drizzle sends: every value a bound parameter.
    const plan = db.$client
      .prepare(
        "EXPLAIN QUERY PLAN SELECT id, name FROM signatures WHERE declaration_id = ? AND status = ? AND public = ? AND id < ? ORDER BY id DESC LIMIT ?",
      )
      .all(d.id, "confirmed", 1, 4000, 51) as { detail: string }[];
    expect(plan.map((row) => row.detail).join("\n")).toMatch(
      /USING (COVERING )?INDEX signatures_list_idx \(declaration_id=\? AND status=\? AND public=\? AND id<\?\)/,
    );
    expect(listPublicSignatures(db, d.id, { limit: 10 })).toHaveLength(10);
  });
});
