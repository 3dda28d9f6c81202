/**
 * Baseline B: a bare Hono response.  `GET /` answers a small HTML string; no
 * database, no middleware.  The ceiling for any page undersign serves.
 * `GET /8k` answers a constant page of about the Declaration page's size.
 *
 *   PORT=8101 node --import tsx bench/baseline-static.ts
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const port = Number(process.env.PORT ?? "8101");
const page =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Static</title></head>' +
  "<body><h1>Declaration</h1><p>A small, constant page: the fastest answer Hono can give.</p></body></html>";

// For context: a constant page of about the Declaration page's size (8 KB).
const paragraph = "<p>We, who sign this Declaration, want that freedom back, and we say plainly what we expect.</p>\n";
const bigPage = page.replace("</body>", `${paragraph.repeat(Math.ceil(8000 / paragraph.length))}</body>`);

const app = new Hono();
app.get("/", (c) => c.html(page));
app.get("/8k", (c) => c.html(bigPage));

const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port });
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
