/**
 * What the sign form says to a browser without JavaScript, from the site's
 * actual settings (docs/decisions/0030), and the signing by mail that takes
 * the proof of work's place there.  Real SMTP server on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { inputValue, pageText, signatureRows, signForm, tokenFrom } from "../helpers/forms.ts";
import { startSmtpServer, type TestSmtpServer } from "../helpers/smtp.ts";

let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await smtp.close();
});

async function setup(env: Record<string, string>) {
  const t = await createTestApp({ env });
  addDeclaration(t.db);
  return t;
}

function noscript(html: string): string | null {
  const m = /<noscript><div class="notice noscript-notice"[^>]*>([\s\S]*?)<\/div><\/noscript>/.exec(html);
  return m == null ? null : pageText(m[1]!);
}

describe("the sign form without JavaScript", () => {
  it("names email and the fediverse when the site sends mail, before the first field", async () => {
    const t = await setup({ PROOF_OF_WORK: "on", SMTP_URL: smtp.url });
    for (const path of ["/d/test-declaration", "/d/test-declaration/sign"]) {
      const html = await (await t.app.request(path)).text();
      const text = noscript(html);
      expect(text, path).toContain("give your email address below: we mail you a link");
      expect(text, path).toContain("or sign from your fediverse account");
      expect(html.indexOf("noscript-notice")).toBeLessThan(html.indexOf('id="sign-name"'));
      expect(html).toContain('href="/d/test-declaration#fediverse"');
    }
  });

  it("names only the fediverse when the site sends no mail", async () => {
    const t = await setup({ PROOF_OF_WORK: "on" });
    const text = noscript(await (await t.app.request("/d/test-declaration")).text());
    expect(text).not.toContain("email");
    expect(text).toContain("sign from your fediverse account");
  });

  it("says nothing when the proof of work is off (nothing needs JavaScript)", async () => {
    const t = await setup({ PROOF_OF_WORK: "off", SMTP_URL: smtp.url });
    const html = await (await t.app.request("/d/test-declaration")).text();
    expect(noscript(html)).toBeNull();
    expect(html).not.toContain("<noscript>");
  });

  it("without a solution and without an address: the email field says why, 400, input kept, nothing stored", async () => {
    const t = await setup({ PROOF_OF_WORK: "on", SMTP_URL: smtp.url });
    const res = await signForm(t.app, { name: "No Script", place: "Lyon" });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(pageText(html)).toContain(
      "Email address : The anti-spam check did not run (it needs JavaScript). Give your email address instead",
    );
    expect(inputValue(html, "name")).toBe("No Script");
    expect(inputValue(html, "place")).toBe("Lyon");
    expect(signatureRows(t.db)).toEqual([]);
  });

  it("without a solution but with an address: a pending signature, confirmed by the mailed link", async () => {
    const t = await setup({ PROOF_OF_WORK: "on", SMTP_URL: smtp.url });
    const before = smtp.messages.length;
    tokenFrom(await signForm(t.app, { name: "No Script", email: "noscript@example.org" }));
    expect(signatureRows(t.db).map((r) => r.status)).toEqual(["pending"]);
    await expect.poll(() => smtp.messages.length, { timeout: 20_000 }).toBe(before + 1);
    expect(smtp.messages[before]!.text).toMatch(/\/s\/confirm\/[A-Za-z0-9_-]{43}/);
  });

  it("a wrong solution is still refused, with or without an address (mail replaces only a missing check)", async () => {
    const t = await setup({ PROOF_OF_WORK: "on", SMTP_URL: smtp.url });
    const res = await signForm(t.app, { name: "Forger", email: "f@example.org", altcha: "bm9wZQ==" });
    expect(res.status).toBe(400);
    expect(pageText(await res.text())).toContain("The anti-spam check sent something this site cannot read.");
    expect(signatureRows(t.db)).toEqual([]);
  });
});
