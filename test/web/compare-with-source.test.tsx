/**
 * A copy's page links to "Compare with its source": the comparison of the
 * version it was copied from with the version shown, which opens formatted.
 */
import { describe, expect, it } from "vitest";
import { setRegistrationMode } from "../../src/db/accounts.ts";
import { compareWithSourceHref } from "../../src/web/diffs/index.ts";
import { loggedIn } from "../helpers/accounts.ts";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { pageText, postForm, tags } from "../helpers/forms.ts";

const SOURCE_BODY = "## First\n\nWe declare that tests are **good**.\n\n## Second\n\nEvery test deserves a name.\n";
const COPY_BODY = "## First\n\nWe declare that tests are **great**.\n\n## Second\n\nEvery test deserves a name.\n";

describe("Compare with its source", () => {
  it("is on a copy's page (not on the original's) and leads to the formatted comparison", async () => {
    const t = await createTestApp();
    setRegistrationMode(t.db, "open");
    addDeclaration(t.db, { body: SOURCE_BODY });
    const ada = await loggedIn(t, "ada");
    const res = await postForm(
      t.app,
      "/d/test-declaration/copy",
      {
        v: "1",
        title: "Tests Are Great",
        summary: "My copy.",
        slug: "tests-are-great",
        body: COPY_BODY,
        action: "publish",
      },
      { csrf: ada },
    );
    expect(res.status).toBe(303);

    const original = await (await t.app.request("/d/test-declaration")).text();
    expect(pageText(original)).not.toContain("Compare with its source");
    const copy = await (await t.app.request("/d/tests-are-great")).text();
    const link = tags(copy, "a").find((a) => a.class?.includes("button") === true && a.href?.startsWith("/compare"));
    expect(link?.href).toBe("/compare?a=test-declaration&av=1&b=tests-are-great&bv=1&view=side");
    const page = await t.app.request(link!.href!);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<table class="diff-side diff-formatted">');
    expect(html).toContain('<strong><del class="diff-del">good</del></strong>');
    expect(html).toContain('<strong><ins class="diff-ins">great</ins></strong>');
  });

  it("names a source on another site by its address, for /compare/elsewhere", () => {
    const origin = new URL("https://here.example");
    expect(compareWithSourceHref("https://there.example/d/theirs/v/3", { slug: "mine", revision: 2 }, origin)).toBe(
      `/compare/elsewhere?${new URLSearchParams({ a: "https://there.example/d/theirs/v/3", b: "https://here.example/d/mine/v/2" })}`,
    );
    // An address here that is not a version's: compared by address too, never taken apart.
    expect(
      compareWithSourceHref("https://here.example/d/x%2F..%2Fy/v/1", { slug: "mine", revision: 1 }, origin),
    ).toMatch(/^\/compare\/elsewhere\?/);
    expect(compareWithSourceHref("not a url", { slug: "mine", revision: 1 }, origin)).toMatch(
      /^\/compare\/elsewhere\?/,
    );
  });
});
