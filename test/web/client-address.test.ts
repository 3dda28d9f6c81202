/**
 * The client address behind TRUST_PROXY, over real sockets: a server that can
 * be reached directly cannot be fooled by X-Forwarded-For, and behind a listed
 * proxy the address that proxy adds is the one counted.
 */
import { describe, expect, it } from "vitest";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { formBody, signFields } from "../helpers/forms.ts";
import { startServer } from "../helpers/server.ts";

/** Signs through a real HTTP connection from 127.0.0.1; returns the status. */
async function signOver(url: string, name: string, forwardedFor?: string): Promise<number> {
  const page = await fetch(`${url}/d/test-declaration/sign`, {
    headers: forwardedFor == null ? {} : { "X-Forwarded-For": forwardedFor },
  });
  const html = await page.text();
  // A page anyone may be served: an empty token and no cookie; the post says where it comes from.
  const csrf = /name="csrf" value="([^"]*)"/.exec(html)![1]!;
  expect(page.headers.getSetCookie()).toEqual([]);
  const res = await fetch(`${url}/d/test-declaration/sign`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Origin: "http://localhost:8000",
      "Sec-Fetch-Site": "same-origin",
      ...(forwardedFor == null ? {} : { "X-Forwarded-For": forwardedFor }),
    },
    body: formBody({ csrf, ...signFields({ name }) }),
  });
  await res.arrayBuffer();
  return res.status;
}

async function serve(env: Record<string, string>) {
  const t = await createTestApp({
    origin: "http://localhost:8000",
    env: { RATE_LIMIT_PER_DECLARATION: "1/1m", ...env },
  });
  addDeclaration(t.db);
  return startServer(t.app);
}

describe("client address over real connections", () => {
  it("cannot be fooled by X-Forwarded-For when the peer is not a listed proxy", async () => {
    for (const env of [{}, { TRUST_PROXY: "false" }, { TRUST_PROXY: "10.0.0.0/8,fd00::/8" }] as Record<
      string,
      string
    >[]) {
      const server = await serve(env);
      try {
        expect(await signOver(server.url, "One", "203.0.113.1"), JSON.stringify(env)).toBe(303);
        // Another claimed address, a claimed proxy, a list: still the same client (127.0.0.1).
        for (const claim of ["203.0.113.2", "10.0.0.1", "198.51.100.7, 203.0.113.3", "2001:db8::1"]) {
          expect(await signOver(server.url, `Two ${claim}`, claim), `${JSON.stringify(env)} ${claim}`).toBe(429);
        }
      } finally {
        await server.close();
      }
    }
  });

  it("counts the address our proxy adds when the peer is a listed proxy", async () => {
    const server = await serve({ TRUST_PROXY: "127.0.0.1" });
    try {
      expect(await signOver(server.url, "One", "203.0.113.1")).toBe(303);
      expect(await signOver(server.url, "Two", "203.0.113.2")).toBe(303);
      expect(await signOver(server.url, "Three", "203.0.113.1")).toBe(429);
      // What a client prepends is not believed: the right-most entry is our proxy's.
      expect(await signOver(server.url, "Four", "198.51.100.9, 203.0.113.2")).toBe(429);
    } finally {
      await server.close();
    }
  });
});
