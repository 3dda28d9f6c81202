import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";

/** Serves `app` on a loopback port (a free one unless given); `close()` stops it. */
export async function startServer(
  app: { fetch: (request: Request) => Response | Promise<Response> },
  port = 0,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: "127.0.0.1", port }, () => resolve(s));
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () => new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
