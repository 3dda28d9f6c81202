/**
 * One request header without building a `Headers` object: served by
 * @hono/node-server, Node has already parsed the headers, and
 * `c.req.header()` would first copy all of them into a validated `Headers`.
 */
import type { Context } from "hono";

/** The header `name` (lower case) of this request, or undefined. */
export function requestHeader(c: Context, name: string): string | undefined {
  const headers = (c.env as { incoming?: { headers?: Record<string, string | string[] | undefined> } } | undefined)
    ?.incoming?.headers;
  if (headers != null) {
    const value = headers[name];
    return Array.isArray(value) ? value.join(", ") : value;
  }
  return c.req.header(name);
}
