/**
 * The interface's language: chosen by ?lang=, the switcher's cookie,
 * Accept-Language and DEFAULT_LANGUAGE; `<html lang dir>`; what shared caches
 * are told (Vary); the switcher itself.
 */
import { describe, expect, it } from "vitest";
import { addDeclaration, createTestApp, TEST_ORIGIN } from "../helpers/app.ts";
import { pageText, tags } from "../helpers/forms.ts";

async function site(env: Record<string, string> = {}) {
  const t = await createTestApp({ env });
  addDeclaration(t.db);
  return t;
}

function htmlTag(html: string) {
  return tags(html, "html")[0]!;
}

function vary(res: Response): string[] {
  return (res.headers.get("vary") ?? "").split(",").map((v) => v.trim().toLowerCase());
}

describe("error pages in the visitor's language", () => {
  it("speaks German to a German browser, with <html lang> saying so", async () => {
    const t = await site();
    const res = await t.app.request("/no/such/page", { headers: { "Accept-Language": "de-DE,de;q=0.9,en;q=0.8" } });
    expect(res.status).toBe(404);
    const html = await res.text();
    expect(htmlTag(html)).toMatchObject({ lang: "de", dir: "ltr" });
    expect(pageText(html)).toContain("Nicht gefunden");
    expect(pageText(html)).toContain("Unter dieser Adresse gibt es keine Seite.");
    expect(html).toContain("<title>Nicht gefunden · Test Declarations</title>");
    expect(vary(res)).toEqual(expect.arrayContaining(["accept-language", "cookie"]));
  });

  it("lays an Arabic page out right to left", async () => {
    const t = await site();
    const html = await (
      await t.app.request("/d/nothing-here/history", { headers: { "Accept-Language": "ar" } })
    ).text();
    expect(htmlTag(html)).toMatchObject({ lang: "ar", dir: "rtl" });
    expect(pageText(html)).toContain("الصفحة غير موجودة");
  });

  it("keeps English for a browser that asks for a language the site does not speak", async () => {
    const t = await site();
    const html = await (await t.app.request("/nope", { headers: { "Accept-Language": "ja" } })).text();
    expect(htmlTag(html)).toMatchObject({ lang: "en", dir: "ltr" });
    expect(pageText(html)).toContain("There is no page at this address.");
  });

  it("falls back to DEFAULT_LANGUAGE", async () => {
    const t = await site({ DEFAULT_LANGUAGE: "fr" });
    const html = await (await t.app.request("/nope")).text();
    expect(htmlTag(html).lang).toBe("fr");
    expect(pageText(html)).toContain("Il n’y a aucune page à cette adresse.");
    const asked = await (await t.app.request("/nope", { headers: { "Accept-Language": "es" } })).text();
    expect(pageText(asked)).toContain("No hay ninguna página en esta dirección.");
  });

  it("takes ?lang= over the cookie, and the cookie over Accept-Language", async () => {
    const t = await site();
    const headers = { "Accept-Language": "de", Cookie: "lang=fr" };
    expect(htmlTag(await (await t.app.request("/nope", { headers })).text()).lang).toBe("fr");
    expect(htmlTag(await (await t.app.request("/nope?lang=es", { headers })).text()).lang).toBe("es");
    expect(htmlTag(await (await t.app.request("/nope?lang=xx", { headers })).text()).lang).toBe("fr");
  });
});

describe("what shared caches are told", () => {
  it("a page whose language was negotiated varies on Accept-Language and Cookie, and stays public", async () => {
    const t = await site();
    const res = await t.app.request("/d/test-declaration/translations", { headers: { "Accept-Language": "de" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toMatch(/^public, .*s-maxage=/);
    expect(vary(res)).toEqual(expect.arrayContaining(["accept", "accept-language", "cookie"]));
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  it("a page in the language its address names does not vary on the visitor's headers", async () => {
    const t = await site();
    const res = await t.app.request("/d/test-declaration/translations?lang=de", {
      headers: { "Accept-Language": "fr", Cookie: "lang=es" },
    });
    expect(htmlTag(await res.text()).lang).toBe("de");
    expect(vary(res)).not.toContain("accept-language");
    expect(vary(res)).not.toContain("cookie");
    expect(res.headers.get("cache-control")).toMatch(/^public/);
  });

  it("two languages of one address get different ETags (a cache cannot mix them up)", async () => {
    const t = await site();
    const de = await t.app.request("/d/test-declaration/translations", { headers: { "Accept-Language": "de" } });
    const en = await t.app.request("/d/test-declaration/translations", {
      headers: { "Accept-Language": "en", "If-None-Match": de.headers.get("etag")! },
    });
    expect(en.status).toBe(200);
    expect(en.headers.get("etag")).not.toBe(de.headers.get("etag"));
  });
});

describe("the language switcher", () => {
  it("is in every page's footer, the current language marked and the others linked", async () => {
    const t = await site();
    const html = await (await t.app.request("/nope", { headers: { "Accept-Language": "es" } })).text();
    const links = tags(html, "a").filter((a) => a.href?.startsWith("/lang/"));
    expect(links.map((a) => a.href)).toEqual(["/lang/en", "/lang/de", "/lang/fr", "/lang/ar"]);
    expect(html).toMatch(/<span lang="es" aria-current="true">Español<\/span>/);
    expect(html).toContain('aria-label="Idioma"');
  });

  it("remembers the choice in a cookie holding only the code, and goes back to the page", async () => {
    const t = await site();
    const res = await t.app.request("/lang/de", {
      headers: { Referer: `${TEST_ORIGIN}/d/test-declaration?lang=fr&x=1` },
    });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/d/test-declaration?x=1");
    const cookie = res.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^lang=de; Max-Age=31536000; Path=\/; Secure; SameSite=Lax$/);
    expect(res.headers.get("cache-control")).toMatch(/no-store|private/);
    const next = await t.app.request("/nope", { headers: { Cookie: "lang=de" } });
    expect(htmlTag(await next.text()).lang).toBe("de");
  });

  it("never sends the visitor to another site", async () => {
    const t = await site();
    for (const [path, referer] of [
      ["/lang/fr", "https://elsewhere.example/page"],
      ["/lang/fr?next=//elsewhere.example/", undefined],
      ["/lang/fr?next=https://elsewhere.example/", undefined],
      ["/lang/fr", "not a url"],
    ] as const) {
      const res = await t.app.request(path, { headers: referer == null ? {} : { Referer: referer } });
      expect(res.headers.get("location"), path).toBe("/");
    }
    const next = await t.app.request("/lang/fr?next=/strike");
    expect(next.headers.get("location")).toBe("/strike");
  });

  it("answers 404 for a language the site does not speak, and sets nothing", async () => {
    const t = await site();
    const res = await t.app.request("/lang/xx");
    expect(res.status).toBe(404);
    expect(res.headers.get("set-cookie")).toBeNull();
  });
});
