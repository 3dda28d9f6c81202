/**
 * The Sign action at the top of a Declaration's page: only on the latest
 * version of a published Declaration, nothing per visitor in it (the page is
 * shared by every anonymous visitor), and the count and latest signers right
 * within a second of a new signature although the page is kept.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { appendRevision } from "../../src/db/declarations.ts";
import { COUNT_REFRESH_MS } from "../../src/web/declarations/pages.tsx";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { pageText, signForm, tokenFrom } from "../helpers/forms.ts";

afterEach(() => {
  vi.useRealTimers();
});

function signAction(html: string): string | null {
  const m = /<aside class="sign-action"[^>]*>([\s\S]*?)<\/aside>/.exec(html);
  return m == null ? null : pageText(m[1]!);
}

describe("the Sign action", () => {
  it("leads to the form and shows the count and latest signers, updated within a second on the kept page", async () => {
    const t = await createTestApp();
    addDeclaration(t.db);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.parse("2026-07-04T09:00:00Z"));
    const first = await (await t.app.request("/d/test-declaration")).text();
    expect(signAction(first)).toBe("Sign this Declaration 0 signatures");
    expect(first).toContain('<a class="sign-action-button" href="#sign-form">');
    expect(first).toContain('id="sign-form"');

    for (const name of ["Ada", "Grace", "Katherine", "Margaret"]) tokenFrom(await signForm(t.app, { name }));
    // The page is kept: the count may lag by at most COUNT_REFRESH_MS.
    vi.setSystemTime(Date.parse("2026-07-04T09:00:00Z") + COUNT_REFRESH_MS);
    const later = await (await t.app.request("/d/test-declaration")).text();
    expect(signAction(later)).toBe("Sign this Declaration 4 signatures · latest: Margaret, Katherine and Grace");
    // Nothing per visitor: two anonymous visitors get the same bytes.
    expect(await (await t.app.request("/d/test-declaration")).text()).toBe(later);
  });

  it("is not on an older version", async () => {
    const t = await createTestApp();
    const d = addDeclaration(t.db);
    t.db.transaction((tx) =>
      appendRevision(tx, d, {
        title: d.title,
        summary: d.summary,
        body: "New text.\n",
        changeSummary: "New",
        origin: "site",
      }),
    );
    expect(signAction(await (await t.app.request("/d/test-declaration/v/1")).text())).toBeNull();
    expect(signAction(await (await t.app.request("/d/test-declaration")).text())).not.toBeNull();
  });
});
