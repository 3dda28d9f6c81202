import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.ts";
import { countPledges, insertPledge, listPublicPledges, listRecentNotices } from "../../src/db/pledges.ts";
import { fedPosts, pledges } from "../../src/db/schema.ts";
import { setDeclarationStatus } from "../../src/db/declarations.ts";
import { addDeclaration } from "../helpers/app.ts";
import { createTestDb } from "../helpers/db.ts";

function addNotice(db: Db, declarationId: number, content: string, published: Date) {
  db.insert(fedPosts)
    .values({
      uuid: randomUUID(),
      declarationId,
      kind: "notice",
      key: `notice:${published.toISOString()}`,
      revision: 1,
      content,
      slot: published,
      published,
    })
    .run();
}

describe("pledges", () => {
  it("counts pledges per edition, in all and per day", () => {
    const db = createTestDb();
    insertPledge(db, { edition: "2027", days: ["2027-07-04"], name: "Ada", public: true });
    insertPledge(db, { edition: "2027", days: ["2027-07-04", "2027-07-05"], name: null, public: false });
    insertPledge(db, { edition: "2027", days: ["2027-07-05"], name: "Grace", public: true });
    insertPledge(db, { edition: "2026", days: ["2026-07-04"], name: "Old", public: true });
    expect(countPledges(db, "2027")).toEqual({ total: 3, perDay: { "2027-07-04": 2, "2027-07-05": 2 } });
    expect(countPledges(db, "2026")).toEqual({ total: 1, perDay: { "2026-07-04": 1 } });
    expect(countPledges(db, "2030")).toEqual({ total: 0, perDay: {} });
  });

  it("keeps no name for a count-only pledge and lists only public names, newest first", () => {
    const db = createTestDb();
    insertPledge(db, { edition: "2027", days: ["2027-07-04"], name: "Hidden Person", public: false });
    insertPledge(db, { edition: "2027", days: ["2027-07-04"], name: "Ada", public: true });
    insertPledge(db, { edition: "2027", days: ["2027-07-05"], name: null, public: true });
    insertPledge(db, { edition: "2027", days: ["2027-07-05"], name: "Grace", public: true });
    const rows = db.select().from(pledges).all();
    expect(rows.map((r) => [r.name, r.public])).toEqual([
      [null, false],
      ["Ada", true],
      [null, false],
      ["Grace", true],
    ]);
    expect(listPublicPledges(db, "2027").map((p) => [p.name, p.days])).toEqual([
      ["Grace", ["2027-07-05"]],
      ["Ada", ["2027-07-04"]],
    ]);
    expect(listPublicPledges(db, "2027", 1)).toHaveLength(1);
  });
});

describe("listRecentNotices", () => {
  it("lists notices newest first with their Declaration, at most `limit`, never a draft's", () => {
    const db = createTestDb();
    const a = addDeclaration(db, { slug: "alpha", title: "Alpha" });
    const b = addDeclaration(db, { slug: "beta", title: "Beta" });
    const draft = addDeclaration(db, { slug: "gamma", title: "Gamma" });
    setDeclarationStatus(db, draft.id, "draft", null);
    for (let hour = 0; hour < 25; hour++)
      addNotice(db, hour % 2 === 0 ? a.id : b.id, `Notice ${hour}`, new Date(Date.UTC(2027, 6, 4, hour)));
    addNotice(db, draft.id, "Draft notice", new Date(Date.UTC(2027, 6, 6)));
    db.insert(fedPosts)
      .values({
        uuid: randomUUID(),
        declarationId: a.id,
        kind: "version",
        key: "version:9",
        revision: 1,
        published: new Date(Date.UTC(2027, 6, 7)),
      })
      .run();
    const notices = listRecentNotices(db, 20);
    expect(notices).toHaveLength(20);
    expect(notices[0]).toMatchObject({ content: "Notice 24", slug: "alpha", title: "Alpha" });
    expect(notices[1]).toMatchObject({ content: "Notice 23", slug: "beta", title: "Beta" });
    expect(notices.some((n) => n.content === "Draft notice")).toBe(false);
  });
});
