import { describe, expect, it } from "vitest";
import { describeDuration } from "../../src/web/kit/format.ts";
import { createTestApp } from "../helpers/app.ts";
import { pageText, tags } from "../helpers/forms.ts";

async function privacy(env: Record<string, string> = {}, origin?: string) {
  const { app } = await createTestApp({ env, ...(origin != null ? { origin } : {}) });
  const res = await app.request("/privacy");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/html/);
  const html = await res.text();
  return { html, text: pageText(html) };
}

const EMAIL = { SIGNATURE_CONFIRMATION: "email", SMTP_URL: "smtp://127.0.0.1:2525" };
const PER_DECLARATION = "Each connection may sign a Declaration at most";
const PUZZLE = "The form asks your browser to solve a small computing puzzle";

describe("/privacy", () => {
  it("says what a pledge and a fediverse signature keep", async () => {
    const { text } = await privacy();
    expect(text).toContain("A pledge counted only keeps no name at all.");
    expect(text).toContain("Unfavouriting withdraws the signature and erases them from it.");
  });

  it("describes the test defaults: no mail, no limits, no puzzle", async () => {
    const { text } = await privacy();
    expect(text).toContain("Test Declarations uses no analytics, no advertising, no tracking");
    expect(text).toContain(
      "your email address (optional: this site sends no mail, so it is only kept with your signature);",
    );
    expect(text).not.toContain("confirmation link");
    expect(text).not.toContain(PER_DECLARATION);
    expect(text).not.toContain("across all Declarations.");
    expect(text).not.toContain("from the same connection within");
    expect(text).not.toContain(PUZZLE);
    expect(text).not.toContain("X-Forwarded-For");
    expect(text).toContain("Your IP address is never stored, not even in memory");
    expect(text).toContain("The same email address is counted once per Declaration.");
    expect(text).not.toContain("(also by mail, if you gave an address)");
  });

  it("mentions confirmation by mail and its expiry", async () => {
    const { text } = await privacy(EMAIL);
    expect(text).toContain(
      "your email address (required here: the signature counts only once you follow the link we mail you);",
    );
    expect(text).toContain(
      "An unconfirmed signature is never counted. Once its confirmation link expires, after 2 days, it is deleted within the hour.",
    );
    expect(text).toContain("After signing you get a private link (also by mail, if you gave an address).");
  });

  it.each([
    ["36h", "36 hours"],
    ["30m", "30 minutes"],
    ["1d", "1 day"],
  ])("follows CONFIRMATION_EXPIRES=%s", async (value, words) => {
    const { text } = await privacy({ ...EMAIL, CONFIRMATION_EXPIRES: value });
    expect(text).toContain(`Once its confirmation link expires, after ${words}, it is deleted`);
  });

  it("says the address is used only for the private link when mail is on without confirmation", async () => {
    const { text } = await privacy({ SMTP_URL: "smtp://127.0.0.1:2525" });
    expect(text).toContain("your email address (optional: we use it only to mail you your private link);");
    expect(text).not.toContain("An unconfirmed signature");
  });

  it("states the per-Declaration limit only while it is on", async () => {
    const on = await privacy({ RATE_LIMIT_PER_DECLARATION: "1/1m,5/5m" });
    expect(on.text).toContain(`${PER_DECLARATION} 1 signature per 1 minute and 5 signatures per 5 minutes.`);
    expect(on.text).toContain("keeps a keyed hash of it in memory only, for at most 5 minutes");
    const off = await privacy({ RATE_LIMIT_PER_DECLARATION: "off" });
    expect(off.text).not.toContain(PER_DECLARATION);
  });

  it("states the per-client limit", async () => {
    const { text } = await privacy({ RATE_LIMIT_PER_CLIENT: "30/10m" });
    expect(text).toContain("Each connection may sign at most 30 signatures per 10 minutes across all Declarations.");
  });

  it("states the duplicate-name window, and keeps the client hash for the longest window", async () => {
    const { text } = await privacy({ DUPLICATE_WINDOW: "1h", RATE_LIMIT_PER_DECLARATION: "1/1m" });
    expect(text).toContain(
      "The same name signing the same Declaration again from the same connection within 1 hour is counted once.",
    );
    expect(text).toContain("in memory only, for at most 1 hour, and never writes it to disk.");
  });

  it("mentions the puzzle with PROOF_OF_WORK=on", async () => {
    expect((await privacy({ PROOF_OF_WORK: "on" })).text).toContain(PUZZLE);
    expect((await privacy({ PROOF_OF_WORK: "off" })).text).not.toContain(PUZZLE);
  });

  it("mentions the proxy header when TRUST_PROXY lists proxies, and the IPv6 prefix", async () => {
    const { text } = await privacy({
      TRUST_PROXY: "loopback",
      RATE_LIMIT_PER_DECLARATION: "1/1m",
      IPV6_PREFIX_LENGTH: "56",
    });
    expect(text).toContain(
      "takes your address from the X-Forwarded-For header that proxy adds (only from the proxies its owner configured).",
    );
    expect(text).toContain("For an IPv6 address only its first 56 bits count");
  });

  it("names the CSRF cookie the site really sets", async () => {
    expect((await privacy()).text).toContain("A cookie named “__Host-csrf” protects the forms");
    expect((await privacy({}, "http://localhost:8000")).text).toContain("A cookie named “csrf” protects the forms");
  });

  it("loads nothing from other sites", async () => {
    const { html } = await privacy();
    for (const tag of ["link", "script", "img", "iframe"]) {
      for (const attributes of tags(html, tag)) {
        const url = attributes.src ?? attributes.href;
        if (url != null) expect(url.startsWith("/") && !url.startsWith("//"), `${tag} ${url}`).toBe(true);
      }
    }
  });
});

describe("describeDuration", () => {
  it.each([
    [1000, "1 second"],
    [90_000, "90 seconds"],
    [60_000, "1 minute"],
    [300_000, "5 minutes"],
    [3_600_000, "1 hour"],
    [129_600_000, "36 hours"],
    [172_800_000, "2 days"],
  ])("%i ms → %s", (ms, words) => {
    expect(describeDuration(ms)).toBe(words);
  });
});
