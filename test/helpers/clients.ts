/**
 * Requests from several clients in one process: the app as seen through a
 * reverse proxy on 127.0.0.1 (the test sets TRUST_PROXY=loopback) that tells
 * it the client's address in X-Forwarded-For, as nginx would.
 */

type App = { request: (input: string, init?: RequestInit, env?: object) => Response | Promise<Response> };

/** The socket's peer as @hono/node-server passes it to the app. */
export function peer(remoteAddress: string) {
  return { incoming: { socket: { remoteAddress } } };
}

/** `app` as the client at `address` reaches it through our proxy on 127.0.0.1. */
export function fromClient(app: App, address: string): App {
  return {
    request: (input: string | Request | URL, init: RequestInit = {}) => {
      const headers = new Headers(init.headers);
      headers.set("X-Forwarded-For", address);
      return app.request(input as string, { ...init, headers }, peer("127.0.0.1"));
    },
  } as App;
}
