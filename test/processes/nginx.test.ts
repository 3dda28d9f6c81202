/**
 * The shipped nginx configuration (deploy/nginx/undersign.conf), run by the
 * real nginx from a temporary folder (bench/nginx.ts): it passes `nginx -t`;
 * its cache stores only what the upstream marks public (never a response
 * with Set-Cookie, private or no-store, never a POST, never a request with a
 * cookie), keeps ActivityPub JSON apart from HTML; and undersign behind it,
 * with TRUST_PROXY=loopback, sees each client's own address, whatever
 * X-Forwarded-For the client sends.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { Agent, request } from "undici";
import {
  checkNginxConfig,
  nginxInstalled,
  NGINX,
  startNginx,
  writeNginxConfig,
  type NginxPorts,
  type RunningNginx,
} from "../../bench/nginx.ts";
import { freePort, killChildren, removeTempDirs, startApp, tempDir } from "../helpers/process.ts";

const SLUG = "digital-independence";
const running: RunningNginx[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const n of running.splice(0)) await n.stop();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  await killChildren();
});
afterAll(removeTempDirs);

async function ports(app?: number): Promise<NginxPorts> {
  return { app: app ?? (await freePort()), https: await freePort(), http: await freePort(), static: await freePort() };
}

/** An HTTPS request through nginx from a chosen loopback address (the certificate is self-signed). */
async function get(
  url: string,
  options: { from?: string; method?: string; headers?: Record<string, string>; body?: string } = {},
) {
  const dispatcher = new Agent({
    connect: { rejectUnauthorized: false },
    ...(options.from == null ? {} : { localAddress: options.from }),
  });
  try {
    const res = await request(url, {
      dispatcher,
      method: (options.method ?? "GET") as "GET",
      headers: options.headers ?? {},
      ...(options.body == null ? {} : { body: options.body }),
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text };
  } finally {
    await dispatcher.close();
  }
}

const describeNginx = nginxInstalled() ? describe : describe.skip;
if (!nginxInstalled()) {
  process.stderr.write(
    `test/processes/nginx.test.ts: skipped, ${NGINX} is not installed (apt-get install nginx-light; .ci/run installs it)\n`,
  );
}

describeNginx("the shipped nginx configuration", () => {
  it("passes nginx -t with its paths and ports put in a temporary folder", async () => {
    const main = writeNginxConfig(tempDir("nginx-t"), await ports());
    expect(checkNginxConfig(main)).toBe("");
  });

  it("caches only what the upstream marks public, for anonymous GETs, and keeps JSON apart from HTML", async () => {
    const hits = new Map<string, number>();
    const upstream = createServer((req: IncomingMessage, res) => {
      const key = `${req.method} ${req.url} ${req.headers.accept ?? ""}`;
      hits.set(key, (hits.get(key) ?? 0) + 1);
      const path = (req.url ?? "/").split("?")[0];
      const headers: Record<string, string | string[]> = { "content-type": "text/html" };
      if (path === "/public") headers["cache-control"] = "public, s-maxage=60, stale-while-revalidate=30";
      if (path === "/cookie") {
        headers["cache-control"] = "public, s-maxage=60";
        headers["set-cookie"] = "csrf=abc; Path=/; HttpOnly";
      }
      if (path === "/private") headers["cache-control"] = "private, no-store";
      if (path === "/no-store") headers["cache-control"] = "no-store";
      if (path === "/inbox") headers["cache-control"] = "public, s-maxage=60";
      if (path === "/d/x" && /activity\+json/.test(req.headers.accept ?? "")) {
        headers["content-type"] = "application/activity+json";
        headers["cache-control"] = "public, s-maxage=60";
        res.writeHead(200, headers).end(`{"id":"x","n":${hits.get(key)}}`);
        return;
      }
      if (path === "/d/x") headers["cache-control"] = "public, s-maxage=60";
      res.writeHead(200, headers).end(`<p>${key} ${hits.get(key)} ${req.headers["x-forwarded-for"] ?? ""}</p>`);
    });
    servers.push(upstream);
    const appPort = await freePort();
    await new Promise<void>((r) => upstream.listen(appPort, "127.0.0.1", r));
    const p = await ports(appPort);
    running.push(await startNginx(writeNginxConfig(tempDir("nginx-cache"), p, { workers: 1 }), p.https));
    const base = `https://127.0.0.1:${p.https}`;
    const twice = async (path: string, options: Parameters<typeof get>[1] = {}) => {
      const first = await get(base + path, options);
      const second = await get(base + path, options);
      return [first, second] as const;
    };

    const [pub1, pub2] = await twice("/public");
    expect(pub1.headers["x-cache-status"]).toBe("MISS");
    expect(pub2.headers["x-cache-status"]).toBe("HIT");
    expect(pub2.text).toBe(pub1.text);
    expect(hits.get("GET /public ")).toBe(1);

    for (const path of ["/cookie", "/private", "/no-store", "/nothing-said"]) {
      const [, second] = await twice(path);
      expect(second.headers["x-cache-status"], path).not.toBe("HIT");
      expect(hits.get(`GET ${path} `), path).toBe(2);
    }
    // A request with a cookie (a login) is neither answered from the cache nor stored.
    const [withCookie] = await twice("/public", { headers: { cookie: "session=s" } });
    expect(withCookie.headers["x-cache-status"]).toBe("BYPASS");
    expect(hits.get("GET /public ")).toBe(3);
    // POST is never cached, even to a path whose GET would be.
    for (let i = 0; i < 2; i++) await get(`${base}/inbox`, { method: "POST", body: "{}" });
    expect(hits.get("POST /inbox ")).toBe(2);
    // The same URL asked for as ActivityPub JSON is a separate entry.
    const [html1, html2] = await twice("/d/x");
    const [ap1, ap2] = await twice("/d/x", { headers: { accept: "application/activity+json" } });
    expect(html2.headers["x-cache-status"]).toBe("HIT");
    expect(ap2.headers["x-cache-status"]).toBe("HIT");
    expect(html1.text).toContain("<p>");
    expect(ap1.text).toContain('"id":"x"');
    expect(ap2.text).toBe(ap1.text);
    // The client's own X-Forwarded-For is replaced by the address nginx saw.
    const spoofed = await get(`${base}/nothing-said`, {
      from: "127.0.0.2",
      headers: { "x-forwarded-for": "203.0.113.9" },
    });
    expect(spoofed.text).toMatch(/ 127\.0\.0\.2<\/p>$/);
    // Plain http redirects to https.
    const plain = await request(`http://127.0.0.1:${p.http}/d/x`);
    await plain.body.text();
    expect(plain.statusCode).toBe(301);
    expect(plain.headers.location).toBe(`https://127.0.0.1/d/x`);
  }, 60_000);

  it("sends concurrent requests for a page that may not be cached to the app together, not in single file", async () => {
    const VISITORS = 8;
    let inFlight = 0;
    let most = 0;
    const held: (() => void)[] = [];
    const upstream = createServer((_req, res) => {
      inFlight++;
      most = Math.max(most, inFlight);
      const answer = () => {
        inFlight--;
        res.writeHead(200, { "content-type": "text/html", "set-cookie": "csrf=x; Path=/" }).end("<p>page</p>");
      };
      held.push(answer);
      // Answer once every visitor's request is here, or after 4 s: sooner than nginx's
      // lock would let a waiting request through (proxy_cache_lock_timeout, 5 s by
      // default), long after 8 requests on loopback have all arrived.
      if (held.length === VISITORS) for (const release of held.splice(0)) release();
      else
        setTimeout(() => {
          const at = held.indexOf(answer);
          if (at < 0) return;
          held.splice(at, 1);
          answer();
        }, 4_000);
    });
    servers.push(upstream);
    const appPort = await freePort();
    await new Promise<void>((r) => upstream.listen(appPort, "127.0.0.1", r));
    const p = await ports(appPort);
    running.push(await startNginx(writeNginxConfig(tempDir("nginx-together"), p, { workers: 1 }), p.https));
    const answers = await Promise.all(
      Array.from({ length: VISITORS }, () => get(`https://127.0.0.1:${p.https}/d/busy`)),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(most).toBe(VISITORS);
  }, 60_000);

  it("passes undersign each client's own address (TRUST_PROXY=loopback), whatever X-Forwarded-For it sends", async () => {
    const p = await ports();
    const app = await startApp(
      tempDir("nginx-app"),
      {
        TRUST_PROXY: "loopback",
        ORIGIN: `https://127.0.0.1:${p.https}`,
        PROOF_OF_WORK: "off",
        SIGNATURE_CONFIRMATION: "none",
        RATE_LIMIT_PER_DECLARATION: "1/10m",
        RATE_LIMIT_PER_CLIENT: "off",
        DUPLICATE_WINDOW: "0s",
      },
      p.app,
    );
    running.push(await startNginx(writeNginxConfig(tempDir("nginx-app-conf"), p, { workers: 1 }), p.https));
    const base = `https://127.0.0.1:${p.https}`;
    const page = await get(`${base}/d/${SLUG}`);
    expect(page.status).toBe(200);
    expect(page.headers["x-cache-status"]).toBeDefined();

    const sign = (from: string, name: string, forwardedFor?: string) =>
      get(`${base}/api/declarations/${SLUG}/signatures`, {
        from,
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(forwardedFor == null ? {} : { "x-forwarded-for": forwardedFor }),
        },
        body: JSON.stringify({ name, public: true }),
      });
    // One signing per client and 10 minutes: the limit counts each client address apart.
    expect((await sign("127.0.0.2", "First")).status).toBe(201);
    // The same client, pretending to be another: still the same client.
    expect((await sign("127.0.0.2", "Second", "203.0.113.9")).status).toBe(429);
    expect((await sign("127.0.0.2", "Third", "127.0.0.5")).status).toBe(429);
    // Another client is another client.
    expect((await sign("127.0.0.3", "Fourth")).status).toBe(201);
    expect(app.child.exitCode).toBeNull();
  }, 120_000);
});
