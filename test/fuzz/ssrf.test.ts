/**
 * Part of the hostile input sweep: every place that takes an address it may
 * fetch from (a fediverse account to interact from, /interact?uri=, the strike
 * bot's server, copy from elsewhere, compare across sites) is given private,
 * loopback and link-local addresses in every spelling (decimal, octal and hex
 * IPv4, IPv4-mapped IPv6, trailing dots, `localhost` names, userinfo tricks)
 * and non-http schemes.  Each must be refused with a 4xx, at once, without
 * this process opening a connection to any such address (every outgoing
 * connection is watched; see guardConnections in hostile.ts).
 *
 * A control case sends a public address and checks that the watch sees the
 * connection attempt, so the watch itself is shown to work.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loggedIn } from "../helpers/accounts.ts";
import { addDeclaration, createTestApp } from "../helpers/app.ts";
import { csrfFrom, postForm, type CsrfPair } from "../helpers/forms.ts";
import { guardConnections, hostileHandles, hostileUrls, scriptableMarkup, type ConnectionGuard } from "./hostile.ts";

const BOT_TOKEN_KEY = "fedcba9876543210".repeat(4);
/** A port nothing listens on: a connection that got through would be refused, not hang. */
const PORT = 9;
/** A public address (documentation range is not public; this is example.com's). */
const PUBLIC_IP = "93.184.215.14";

let t: Awaited<ReturnType<typeof createTestApp>>;
let guard: ConnectionGuard;
let anon: CsrfPair;
let author: CsrfPair;

beforeAll(async () => {
  guard = guardConnections();
  t = await createTestApp({ env: { BOT_TOKEN_KEY } });
  addDeclaration(t.db);
  anon = await csrfFrom(t.app, "/d/test-declaration/interact");
  author = await loggedIn(t, "ada");
});

afterAll(() => guard?.restore());

interface Tried {
  status: number;
  html: string;
  ms: number;
  connections: string[];
  privateConnections: string[];
}

async function attempt(run: () => Response | Promise<Response>): Promise<Tried> {
  guard.attempts.length = 0;
  guard.privateAttempts.length = 0;
  const started = performance.now();
  const res = await run();
  const html = await res.text();
  return {
    status: res.status,
    html,
    ms: performance.now() - started,
    connections: [...guard.attempts],
    privateConnections: [...guard.privateAttempts],
  };
}

/**
 * `gateway`: the route answers 502 when a public server cannot be reached (no
 * network in tests), as documented; a private address must still get a 4xx.
 */
const entryPoints: {
  name: string;
  gateway?: boolean;
  inputs: () => string[];
  send: (value: string) => Response | Promise<Response>;
}[] = [
  {
    name: "POST /d/:slug/interact (account)",
    inputs: () => [...hostileHandles(PORT), ...hostileUrls(PORT)],
    send: (account) => postForm(t.app, "/d/test-declaration/interact", { account, intent: "sign" }, { csrf: anon }),
  },
  {
    name: "GET /interact?uri=",
    inputs: () => [...hostileUrls(PORT), ...hostileHandles(PORT)],
    send: (uri) => t.app.request(`/interact?${new URLSearchParams({ uri })}`),
  },
  {
    name: "POST /bot/connect (server)",
    gateway: true,
    inputs: () => [
      ...hostileUrls(PORT),
      ...hostileHandles(PORT),
      `127.0.0.1:${PORT}`,
      "localhost",
      "10.0.0.1",
      "169.254.169.254",
      "[::1]",
      "2130706433",
    ],
    send: (server) => postForm(t.app, "/bot/connect", { server }, { csrf: author }),
  },
  {
    name: "POST /copy/elsewhere (source)",
    gateway: true,
    inputs: () => [...hostileUrls(PORT).map((u) => `${u}d/x`), ...hostileHandles(PORT)],
    send: (source) => postForm(t.app, "/copy/elsewhere", { source }, { csrf: author }),
  },
  {
    name: "GET /compare/elsewhere?a=&b=",
    inputs: () => hostileUrls(PORT).map((u) => `${u}d/x/v/1`),
    send: (a) => t.app.request(`/compare/elsewhere?${new URLSearchParams({ a, b: "/d/test-declaration/v/1" })}`),
  },
];

describe("addresses on private networks and odd schemes are never fetched", () => {
  for (const entry of entryPoints) {
    it(entry.name, async () => {
      const problems: string[] = [];
      for (const input of entry.inputs()) {
        const tried = await attempt(() => entry.send(input));
        const label = `${JSON.stringify(input)} → ${tried.status}`;
        // A name that does not resolve (no DNS in tests) is "unreachable": 502 where documented.
        const refused =
          tried.status >= 400 &&
          (tried.status < 500 ||
            (entry.gateway === true && tried.status === 502 && tried.privateConnections.length === 0));
        if (!refused) problems.push(`${label}: expected a refusal (4xx)`);
        if (tried.privateConnections.length > 0)
          problems.push(`${label}: connected to ${tried.privateConnections.join(", ")}`);
        if (tried.ms > 3000) problems.push(`${label}: took ${Math.round(tried.ms)} ms`);
        const markup = scriptableMarkup(tried.html);
        if (markup.length > 0) problems.push(`${label}: ${markup.join(" | ")}`);
      }
      expect(problems).toEqual([]);
    });
  }

  it("GET /media/avatars/:id of an account whose icon is on a private address (what an inbox may store)", async () => {
    const { upsertRemoteActor } = await import("../../src/db/fediverse.ts");
    const problems: string[] = [];
    for (const [i, icon] of hostileUrls(PORT)
      .filter((u) => /^https?:/.test(u))
      .entries()) {
      const actor = upsertRemoteActor(
        t.db,
        {
          uri: `https://remote${i}.example/users/eve`,
          handle: null,
          name: null,
          url: `https://remote${i}.example/@eve`,
          iconUrl: icon,
          inbox: `https://remote${i}.example/inbox`,
          sharedInbox: null,
        },
        new Date(),
      );
      const tried = await attempt(() => t.app.request(`/media/avatars/${actor.id}`));
      const label = `${JSON.stringify(icon)} → ${tried.status}`;
      if (tried.status >= 500) problems.push(`${label}: a server error`);
      if (tried.privateConnections.length > 0)
        problems.push(`${label}: connected to ${tried.privateConnections.join(", ")}`);
      if (tried.ms > 3000) problems.push(`${label}: took ${Math.round(tried.ms)} ms`);
    }
    expect(problems).toEqual([]);
  });

  it("the watch sees a connection to a public address (control)", async () => {
    const tried = await attempt(() =>
      postForm(t.app, "/copy/elsewhere", { source: `https://${PUBLIC_IP}/d/x` }, { csrf: author }),
    );
    expect(tried.connections).toContain(`${PUBLIC_IP}:443`);
    expect(tried.privateConnections).toEqual([]);
    // And one to loopback, made by the test itself, is counted as private.
    const socket = (await import("node:net")).connect({ host: "127.0.0.1", port: PORT });
    await new Promise((resolve) => socket.once("error", resolve).once("close", resolve));
    expect(guard.privateAttempts).toContain(`127.0.0.1:${PORT}`);
  });
});
