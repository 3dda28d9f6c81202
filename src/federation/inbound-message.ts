/**
 * An inbox POST as an HTTP process of the cluster queues it, for a worker
 * process to verify and handle (inbound-queue.ts; decision 0033).  Plain
 * data, and nothing here loads Fedify: the primary stores these messages.
 */

export const INBOUND_TYPE = "undersign.inbound";

/** An inbox POST as it arrived, waiting in the queue (JSON: the body in base64). */
export interface InboundMessage {
  readonly type: typeof INBOUND_TYPE;
  /** The canonical URL of the inbox it was posted to. */
  readonly url: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string;
  /** Unix ms it arrived. */
  readonly receivedAt: number;
  /** The host of the key that signed it (its server's share of the queue's slots). */
  readonly host: string;
}

export function isInboundMessage(message: unknown): message is InboundMessage {
  if (message == null || typeof message !== "object") return false;
  const m = message as Record<string, unknown>;
  return (
    m.type === INBOUND_TYPE &&
    typeof m.url === "string" &&
    Array.isArray(m.headers) &&
    typeof m.body === "string" &&
    typeof m.receivedAt === "number" &&
    typeof m.host === "string"
  );
}

/**
 * The queue's share key of an inbound message: the sending server's, kept
 * apart from deliveries to that server, so one server's flood of activities
 * takes at most a share of the slots (decision 0010's `perHostConcurrency`).
 */
export function inboundShareKey(message: unknown): string | null {
  return isInboundMessage(message) ? `inbound:${message.host}` : null;
}

/** Headers that say nothing the handler needs (hop-by-hop, or about the connection). */
const DROPPED_HEADERS = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "cookie"]);

export function inboundMessage(
  url: URL,
  headers: Headers,
  body: Uint8Array,
  host: string,
  receivedAt = Date.now(),
): InboundMessage {
  const kept: [string, string][] = [];
  headers.forEach((value, name) => {
    if (!DROPPED_HEADERS.has(name)) kept.push([name, value]);
  });
  return {
    type: INBOUND_TYPE,
    url: url.href,
    headers: kept,
    body: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("base64"),
    receivedAt,
    host,
  };
}
