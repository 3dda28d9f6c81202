/**
 * `/embed` shows the site's own Declaration first, not the newest copy; a
 * long title is marked so the frame's stylesheet shrinks and clamps it; and
 * a `d` that is no slug is refused with the field named.
 */
import { describe, expect, it } from "vitest";
import { writeStrikeSettingsValue } from "../../src/db/strike.ts";
import { defaultStrikeSettings } from "../../src/strike/settings.ts";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { pageText } from "../helpers/forms.ts";

function selected(html: string): string | undefined {
  return /<option value="([^"]+)" selected/.exec(html)?.[1];
}

describe("/embed", () => {
  it("preselects the site's own Declaration over a newer copy of it", async () => {
    const t = await createTestApp();
    const own = addDeclaration(t.db, {
      slug: "own",
      title: "Our Declaration",
      sourceFile: "declarations/own.md",
      now: new Date("2026-01-01T00:00:00Z"),
    });
    addDeclaration(t.db, {
      slug: "newer-copy",
      title: "Our Declaration",
      source: { declarationId: own.id, revision: 1, url: "https://undersign.test/d/own/v/1", title: "Our Declaration" },
      now: new Date("2026-06-01T00:00:00Z"),
    });
    addDeclaration(t.db, {
      slug: "newer-original",
      title: "Someone's own text",
      now: new Date("2026-05-01T00:00:00Z"),
    });
    const html = await (await t.app.request("/embed")).text();
    expect(selected(html)).toBe("own");
    expect(html).toContain('src="/embed/d/own"');
  });

  it("prefers the strike's chosen Declaration, and an original over a copy when nothing was shipped", async () => {
    const t = await createTestApp();
    const first = addDeclaration(t.db, { slug: "first", now: new Date("2026-01-01T00:00:00Z") });
    addDeclaration(t.db, {
      slug: "copy",
      source: { declarationId: first.id, revision: 1, url: "https://undersign.test/d/first/v/1", title: "T" },
      now: new Date("2026-06-01T00:00:00Z"),
    });
    addDeclaration(t.db, { slug: "second", now: new Date("2026-02-01T00:00:00Z") });
    expect(selected(await (await t.app.request("/embed")).text())).toBe("first");
    writeStrikeSettingsValue(t.db, { ...defaultStrikeSettings(new Date()), declarations: ["second"] });
    expect(selected(await (await t.app.request("/embed")).text())).toBe("second");
    // ?d= still picks any published one.
    expect(selected(await (await t.app.request("/embed?d=copy")).text())).toBe("copy");
  });

  it("refuses a d that cannot be a slug with 404 naming the field", async () => {
    const t = await createTestApp();
    addDeclaration(t.db);
    const res = await t.app.request(`/embed?d=${"x".repeat(201)}`);
    expect(res.status).toBe(404);
    expect(pageText(await res.text())).toContain("d must be the slug of a Declaration on this site");
  });

  it("marks a long title in the frame, with the whole title as the link's tooltip", async () => {
    const t = await createTestApp();
    const title = "A very long title for a Declaration that goes on and on about the open web and more";
    addDeclaration(t.db, { title });
    const html = await (await t.app.request("/embed/d/test-declaration")).text();
    expect(html).toContain('<p class="embed-title long">');
    expect(html).toContain(`title="${title}"`);
  });
});
