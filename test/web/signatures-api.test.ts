import { describe, expect, it } from "vitest";
import { withdrawSignature } from "../../src/db/signatures.ts";
import { hashToken } from "../../src/services/signing.ts";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { addSignature, rowCount, signatureRows, storedCount } from "../helpers/forms.ts";

async function setup(env?: Record<string, string>) {
  const t = await createTestApp(env == null ? {} : { env });
  const declaration = addDeclaration(t.db);
  return { ...t, declaration };
}

type Setup = Awaited<ReturnType<typeof setup>>;

const URL_PATH = "/api/declarations/test-declaration/signatures";

function post(
  t: Setup,
  body: unknown,
  options: { type?: string | null; raw?: BodyInit; headers?: Record<string, string>; path?: string } = {},
) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.type !== null) headers["Content-Type"] = options.type ?? "application/json";
  return t.app.request(options.path ?? URL_PATH, {
    method: "POST",
    headers,
    body: options.raw ?? JSON.stringify(body),
  });
}

async function expectError(res: Response, status: number, code: string, field?: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = await res.json();
  expect(Object.keys(body)).toEqual(["error"]);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  expect(body.error.message.length).toBeGreaterThan(5);
  if (field === undefined) expect(body.error).not.toHaveProperty("field");
  else expect(body.error.field).toBe(field);
  return body.error as { code: string; message: string; field?: string };
}

function expectNothingStored(t: Setup, rows = 0) {
  expect(rowCount(t.db)).toBe(rows);
  expect(storedCount(t.db)).toBe(rows);
}

describe("POST /api/declarations/:slug/signatures", () => {
  it("signs and answers 201 with the private link", async () => {
    const t = await setup();
    const res = await post(t, {
      name: "Ada Lovelace",
      place: "London",
      website: "ada.example.org",
      comment: "Yes",
      email: "ada@example.org",
      public: true,
    });
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body).toEqual({
      status: "confirmed",
      revision: 1,
      counted: true,
      privateUrl: expect.stringMatching(/^https:\/\/undersign\.test\/s\/[A-Za-z0-9_-]{43}$/),
    });
    const token = body.privateUrl.split("/").at(-1);
    expect(signatureRows(t.db)[0]).toMatchObject({
      name: "Ada Lovelace",
      place: "London",
      website: "https://ada.example.org/",
      comment: "Yes",
      email: "ada@example.org",
      public: true,
      status: "confirmed",
      tokenHash: hashToken(token),
    });
    expect(storedCount(t.db)).toBe(1);
    expect((await t.app.request(new URL(body.privateUrl).pathname)).status).toBe(200);
    expect((await (await t.app.request("/api/declarations/test-declaration")).json()).signatureCount).toBe(1);
  });

  it("counts a count-only signature without listing it", async () => {
    const t = await setup();
    expect((await post(t, { name: "Quiet One", public: false })).status).toBe(201);
    const list = await (await t.app.request(URL_PATH)).json();
    expect(list.signatureCount).toBe(1);
    expect(list.signatures).toEqual([]);
  });

  it("answers pending and not counted when signatures are confirmed by mail", async () => {
    const t = await setup({ SIGNATURE_CONFIRMATION: "email", SMTP_URL: "smtp://127.0.0.1:2525" });
    await expectError(await post(t, { name: "Ada", public: true }), 400, "invalid_field", "email");
    const res = await post(t, { name: "Ada", public: true, email: "ada@example.org" });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ status: "pending", counted: false, revision: 1 });
    expect(storedCount(t.db)).toBe(0);
  });

  it("accepts a charset parameter", async () => {
    const t = await setup();
    expect((await post(t, { name: "Ada", public: true }, { type: "application/json; charset=utf-8" })).status).toBe(
      201,
    );
  });

  it("answers 404 for an unknown Declaration", async () => {
    const t = await setup();
    await expectError(
      await post(t, { name: "Ada", public: true }, { path: "/api/declarations/nope/signatures" }),
      404,
      "not_found",
    );
    expectNothingStored(t);
  });

  describe("validation", () => {
    it.each([
      ["a missing name", { public: true }, "name", "Please enter your name."],
      ["a null name", { name: null, public: true }, "name", "Please enter your name."],
      ["a blank name", { name: " \u200B ", public: true }, "name", "Please enter your name."],
      [
        "a 101-character name",
        { name: "n".repeat(101), public: true },
        "name",
        "Your name must be at most 100 characters (it has 101).",
      ],
      [
        "a URL in the name",
        { name: "see https://spam.example", public: true },
        "name",
        "Your name must not contain a web address; use the website field.",
      ],
      [
        "a punctuation name",
        { name: "...", public: true },
        "name",
        "Your name must contain at least one letter or digit.",
      ],
      ["a NUL in the name", { name: "Ada\u0000", public: true }, "name", "Your name contains a NUL character."],
      ["a numeric name", { name: 42, public: true }, "name", "Your name must be text."],
      ["an array name", { name: ["Ada"], public: true }, "name", "Your name must be text."],
      ["an object name", { name: { first: "Ada" }, public: true }, "name", "Your name must be text."],
      ["a boolean name", { name: false, public: true }, "name", "Your name must be text."],
      [
        "a long place",
        { name: "Ada", place: "p".repeat(101), public: true },
        "place",
        "Place or affiliation must be at most 100 characters (it has 101).",
      ],
      ["a numeric place", { name: "Ada", place: 7, public: true }, "place", "Place or affiliation must be text."],
      [
        "a javascript: website",
        { name: "Ada", website: "javascript:alert(1)", public: true },
        "website",
        "Website must be a web address starting with http:// or https://.",
      ],
      [
        "an ftp website",
        { name: "Ada", website: "ftp://x.org", public: true },
        "website",
        "Website must be a web address starting with http:// or https://.",
      ],
      [
        "a website with credentials",
        { name: "Ada", website: "http://user:pw@x.org", public: true },
        "website",
        "Website must not contain a user name or password.",
      ],
      [
        "an array website",
        { name: "Ada", website: ["https://x.org"], public: true },
        "website",
        "Website must be text.",
      ],
      [
        "a long comment",
        { name: "Ada", comment: "c".repeat(501), public: true },
        "comment",
        "Comment must be at most 500 characters (it has 501).",
      ],
      ["an object comment", { name: "Ada", comment: {}, public: true }, "comment", "Comment must be text."],
      [
        "a bad email",
        { name: "Ada", email: "ada", public: true },
        "email",
        "Email address does not look like an address (name@example.org).",
      ],
      ["a numeric email", { name: "Ada", email: 5, public: true }, "email", "Email address must be text."],
      ["a missing public", { name: "Ada" }, "public", "Please choose whether to show your name or only be counted."],
      [
        "a null public",
        { name: "Ada", public: null },
        "public",
        "Please choose whether to show your name or only be counted.",
      ],
    ])("refuses %s with 400 naming the field", async (_, body, field, message) => {
      const t = await setup();
      const error = await expectError(await post(t, body), 400, "invalid_field", field);
      expect(error.message).toBe(message);
      expectNothingStored(t);
    });

    it.each([["yes"], ["public"], ["true"], [1], [0], [[true]], [{ value: true }]])(
      "refuses public: %j",
      async (value) => {
        const t = await setup();
        const error = await expectError(await post(t, { name: "Ada", public: value }), 400, "invalid_field", "public");
        expect(error.message).toMatch(/public must be true .* or false/);
        expectNothingStored(t);
      },
    );

    it("names the first bad field when several are bad", async () => {
      const t = await setup();
      await expectError(await post(t, { name: 42, email: "x", public: "yes" }), 400, "invalid_field", "name");
    });

    it.each(["visibility", "Name", "revision", "id", "status", "__proto__", "constructor", "x".repeat(200)])(
      "refuses the unknown field %s",
      async (key) => {
        const t = await setup();
        const res = await post(t, {}, { raw: `{"name":"Ada","public":true,${JSON.stringify(key)}:"x"}` });
        const error = await expectError(res, 400, "unknown_field", key.slice(0, 50));
        expect(error.message).toBe(`Unknown field "${key.slice(0, 50)}".`);
        expectNothingStored(t);
      },
    );
  });

  describe("the body", () => {
    it.each([
      ["an array", "[]"],
      ["a string", '"Ada"'],
      ["a number", "42"],
      ["null", "null"],
      ["true", "true"],
    ])("refuses %s with 400", async (_, raw) => {
      const t = await setup();
      const error = await expectError(await post(t, null, { raw }), 400, "invalid_json");
      expect(error.message).toBe("The request body must be a JSON object.");
      expectNothingStored(t);
    });

    it.each([
      ["truncated JSON", '{"name":'],
      ["single quotes", "{'name':'Ada'}"],
      ["a trailing comma", '{"name":"Ada","public":true,}'],
      ["an empty body", ""],
      ["two objects", '{"name":"Ada","public":true}{"name":"Bob","public":true}'],
    ])("refuses %s with 400", async (_, raw) => {
      const t = await setup();
      const error = await expectError(await post(t, null, { raw }), 400, "invalid_json");
      expect(error.message).toBe("The request body is not valid JSON.");
      expectNothingStored(t);
    });

    it("refuses 100,000 nested arrays (too large) with 413", async () => {
      const t = await setup();
      const raw = "[".repeat(100_000) + "]".repeat(100_000);
      await expectError(await post(t, null, { raw }), 413, "too_large");
      expectNothingStored(t);
    });

    it("survives deep nesting that fits in the limit", async () => {
      const t = await setup();
      const depth = 8000;
      await expectError(await post(t, null, { raw: "[".repeat(depth) + "]".repeat(depth) }), 400, "invalid_json");
      const deepName = `{"public":true,"name":${"[".repeat(depth - 10)}${"]".repeat(depth - 10)}}`;
      await expectError(await post(t, null, { raw: deepName }), 400, "invalid_field", "name");
      const deepObject = `{"public":true,"name":"Ada","comment":${'{"a":'.repeat(2500)}1${"}".repeat(2500)}}`;
      await expectError(await post(t, null, { raw: deepObject }), 400, "invalid_field", "comment");
      expectNothingStored(t);
    });

    it("refuses a body over 16 KB with 413", async () => {
      const t = await setup();
      const error = await expectError(
        await post(t, { name: "Ada", public: true, comment: "x".repeat(17 * 1024) }),
        413,
        "too_large",
      );
      expect(error.message).toBe("The request is larger than 16 KB.");
      await expectError(
        await post(t, { name: "Ada", public: true }, { headers: { "Content-Length": "999999" } }),
        413,
        "too_large",
      );
      expectNothingStored(t);
    });

    it.each([
      ["a form", "application/x-www-form-urlencoded"],
      ["text", "text/plain"],
      ["a JSON-ish type", "application/json-patch+json"],
      ["multipart", "multipart/form-data; boundary=x"],
      ["no type", null],
    ])("refuses %s with 415", async (_, type) => {
      const t = await setup();
      await expectError(await post(t, { name: "Ada", public: true }, { type }), 415, "unsupported_media_type");
      expectNothingStored(t);
    });

    it("refuses bytes that are not UTF-8 with 400", async () => {
      const t = await setup();
      const raw = new Uint8Array([
        ...new TextEncoder().encode('{"public":true,"name":"Ad'),
        0xc3,
        0x28,
        ...new TextEncoder().encode('"}'),
      ]);
      await expectError(await post(t, null, { raw }), 400, "invalid_encoding");
      expectNothingStored(t);
    });

    it("accepts escaped Unicode and stores it in NFC without invisible characters", async () => {
      const t = await setup();
      expect((await post(t, null, { raw: '{"public":true,"name":"Zoe\\u0301 \\u202eX\\u200b"}' })).status).toBe(201);
      expect(signatureRows(t.db)[0]!.name).toBe("Zoé X");
    });
  });

  describe("abuse checks", () => {
    it("refuses a second signature within the limit with 429 and Retry-After", async () => {
      const t = await setup({ RATE_LIMIT_PER_DECLARATION: "1/1m,5/5m" });
      expect((await post(t, { name: "Ada", public: true })).status).toBe(201);
      const res = await post(t, { name: "Bob", public: true });
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(Number(res.headers.get("retry-after"))).toBeLessThanOrEqual(60);
      await expectError(res, 429, "rate_limited");
      expectNothingStored(t, 1);
    });

    it("answers 409 for an address that already signed", async () => {
      const t = await setup();
      expect((await post(t, { name: "Ada", public: true, email: "ada.king@gmail.com" })).status).toBe(201);
      for (const email of ["ada.king@gmail.com", "AdaKing+x@GoogleMail.com"]) {
        const error = await expectError(
          await post(t, { name: "Other", public: false, email }),
          409,
          "already_signed",
          "email",
        );
        expect(error.message).toBe("This email address has already signed; it is counted once.");
      }
      expectNothingStored(t, 1);
    });

    it("answers 409 for the same name from the same client within DUPLICATE_WINDOW", async () => {
      const t = await setup({ DUPLICATE_WINDOW: "1h" });
      expect((await post(t, { name: "Ada Lovelace", public: true })).status).toBe(201);
      await expectError(await post(t, { name: "ada lovelace", public: false }), 409, "already_signed", "name");
      expectNothingStored(t, 1);
    });

    it("shares the rate limit with the form", async () => {
      const t = await setup({ RATE_LIMIT_PER_DECLARATION: "1/1m" });
      expect((await post(t, { name: "Ada", public: true })).status).toBe(201);
      const { signForm } = await import("../helpers/forms.ts");
      expect((await signForm(t.app, { name: "Bob" })).status).toBe(429);
    });

    it("asks for the proof of work when it is switched on", async () => {
      const t = await setup({ PROOF_OF_WORK: "on" });
      await expectError(await post(t, { name: "Ada", public: true }), 400, "proof_of_work", "altcha");
      await expectError(
        await post(t, { name: "Ada", public: true, altcha: { forged: true } }),
        400,
        "proof_of_work",
        "altcha",
      );
      expectNothingStored(t);
    });

    it("is not offered to other origins: the preflight allows only reading", async () => {
      const t = await setup();
      const res = await t.app.request(URL_PATH, {
        method: "OPTIONS",
        headers: {
          Origin: "https://evil.example",
          "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "content-type",
        },
      });
      expect(res.headers.get("access-control-allow-methods")).not.toMatch(/POST/);
    });
  });
});

describe("GET /api/declarations/:slug/signatures", () => {
  it("lists public signatures newest first without private fields", async () => {
    const t = await setup();
    const a = addSignature(t.db, t.declaration, {
      name: "Ada",
      place: "London",
      website: "https://ada.example/",
      comment: "Hi",
      email: "ada@example.org",
      emailHash: "h",
    });
    addSignature(t.db, t.declaration, { name: "Hidden", public: false });
    const gone = addSignature(t.db, t.declaration, { name: "Gone" });
    withdrawSignature(t.db, gone.tokenHash, new Date());
    const b = addSignature(t.db, t.declaration, { name: "Bob" });
    const res = await t.app.request(URL_PATH);
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
    expect(await res.json()).toEqual({
      declaration: "https://undersign.test/d/test-declaration",
      signatureCount: 3,
      signatures: [
        {
          id: b.id,
          kind: "browser",
          name: "Bob",
          place: null,
          website: null,
          comment: null,
          revision: 1,
          signedAt: b.created.toISOString(),
        },
        {
          id: a.id,
          kind: "browser",
          name: "Ada",
          place: "London",
          website: "https://ada.example/",
          comment: "Hi",
          revision: 1,
          signedAt: a.created.toISOString(),
        },
      ],
      nextCursor: null,
    });
  });

  it("pages with nextCursor through 120 signatures without duplicates or gaps", async () => {
    const t = await setup();
    const expected: string[] = [];
    for (let i = 0; i < 120; i++) {
      addSignature(t.db, t.declaration, { name: `S${i}` });
      if (i % 9 === 0) addSignature(t.db, t.declaration, { name: `Hidden ${i}`, public: false });
      expected.unshift(`S${i}`);
    }
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = "";
    while (cursor != null) {
      const res: Response = await t.app.request(`${URL_PATH}${cursor === "" ? "" : `?cursor=${cursor}`}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { signatures: { name: string }[]; nextCursor: string | null };
      sizes.push(body.signatures.length);
      seen.push(...body.signatures.map((s) => s.name));
      expect(body.nextCursor === null || /^[1-9]\d*$/.test(body.nextCursor)).toBe(true);
      cursor = body.nextCursor;
    }
    expect(sizes).toEqual([50, 50, 20]);
    expect(seen).toEqual(expected);
  });

  it("treats an empty cursor as the first page", async () => {
    const t = await setup();
    addSignature(t.db, t.declaration, { name: "Ada" });
    expect((await (await t.app.request(`${URL_PATH}?cursor=`)).json()).signatures).toHaveLength(1);
  });

  it.each(["abc", "0", "-5", "1.5", "01", "1e3", "99999999999999999", "%20"])(
    "refuses the cursor %s with 400",
    async (cursor) => {
      const t = await setup();
      const error = await expectError(
        await t.app.request(`${URL_PATH}?cursor=${cursor}`),
        400,
        "invalid_cursor",
        "cursor",
      );
      expect(error.message).toBe("cursor must be the nextCursor of a previous page.");
    },
  );

  it("answers 404 for an unknown Declaration", async () => {
    const t = await setup();
    await expectError(await t.app.request("/api/declarations/nope/signatures"), 404, "not_found");
  });

  it("answers 405 for other methods", async () => {
    const t = await setup();
    await expectError(await t.app.request(URL_PATH, { method: "DELETE" }), 405, "method_not_allowed");
  });
});
