import { describe, expect, it } from "vitest";
import { addDeclaration, createTestApp } from "../helpers/app.ts";

describe("pages", () => {
  it("lists Declarations on the home page", async () => {
    const { app, db } = await createTestApp();
    addDeclaration(db);
    const res = await app.request("/");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("<!DOCTYPE html>");
    expect(html).toContain("Test Declaration");
  });
});
