import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { csrfFrom, rowCount, signForm, storedCount } from "../helpers/forms.ts";

/**
 * A full disk: every write transaction fails as SQLite fails it when the disk
 * has no room (SqliteError SQLITE_FULL, "database or disk is full"; nothing
 * written).  `npm run rehearsal` fills a real file system; here the
 * connection's transactions throw that error until `lift()`.
 */
async function fullSite() {
  const t = await createTestApp();
  addDeclaration(t.db);
  // The signing form works (and its CSRF cookie is set) before the disk fills.
  const csrf = await csrfFrom(t.app);
  const client = t.db.$client;
  const transaction = client.transaction.bind(client);
  const full = (() => {
    const fail = () => {
      throw new Database.SqliteError("database or disk is full", "SQLITE_FULL");
    };
    return Object.assign(fail, { deferred: fail, immediate: fail, exclusive: fail, default: fail });
  }) as unknown as typeof client.transaction;
  client.transaction = full;
  const lift = () => {
    client.transaction = transaction;
  };
  return { ...t, csrf, lift };
}

describe("a full disk", () => {
  it("refuses a signing through the form with 503, says why, stores nothing, and signs again once there is space", async () => {
    const t = await fullSite();
    const refused = await signForm(t.app, { name: "Ada Lovelace" }, { csrf: t.csrf });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("60");
    const html = await refused.text();
    expect(html).toContain("Cannot save right now");
    expect(html).toContain("its disk is full. Nothing was recorded");
    expect(rowCount(t.db)).toBe(0);
    expect(storedCount(t.db)).toBe(0);
    // Pages are still served.
    expect((await t.app.request("/d/test-declaration")).status).toBe(200);

    t.lift();
    const signed = await signForm(t.app, { name: "Ada Lovelace" }, { csrf: t.csrf });
    expect(signed.status).toBe(303);
    expect(rowCount(t.db)).toBe(1);
    expect(storedCount(t.db)).toBe(1);
  });

  it("answers the JSON API with 503 storage_full", async () => {
    const t = await fullSite();
    const res = await t.app.request("/api/declarations/test-declaration/signatures", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: "Grace Hopper", public: true }),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("60");
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("storage_full");
    expect(body.error.message).toContain("disk is full");
    expect(rowCount(t.db)).toBe(0);
  });
});
