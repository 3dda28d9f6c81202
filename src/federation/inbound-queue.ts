/**
 * Inbox activities handled by the processes that deliver, not by the ones
 * that serve pages (decision 0033).  In the cluster, an HTTP process runs the
 * cheap part of the inbox's door (inbound.ts `admit`: signature header, the
 * server's budget, date, digest, size and shape), queues the request as it
 * came — URL, headers, body, when it arrived — and answers 202.  A process
 * that takes messages from the delivery queue then runs the whole door again
 * on the stored request (the signature verified, its date judged against the
 * arrival time) and hands it to Fedify, whose listeners run there.
 *
 * A request whose signature does not verify does nothing: it is dropped with
 * a log line.  A passing failure (the signing key or the actor could not be
 * fetched, a write failed) throws, so the queue hands the message out again
 * later, until `INBOUND_RETRY_MS` after it arrived.  The message stays in the
 * queue until its handler finished (at-least-once); every listener is
 * idempotent, so one handled twice (a process killed just after) stores
 * nothing twice.
 */
import type { Federation } from "@fedify/fedify";
import { getLogger } from "@logtape/logtape";
import type { FedData } from "./builder.ts";
import { InboxDoor, withInbound, type Loaders } from "./inbound.ts";
import type { InboundMessage } from "./inbound-message.ts";

const logger = getLogger(["undersign", "federation", "inbox"]);

/** How long after its arrival a queued activity is tried again after a passing failure. */
export const INBOUND_RETRY_MS = 6 * 60 * 60 * 1000;

/** Thrown for a passing failure: the queue hands the message out again after a backoff. */
export class InboundRetry extends Error {
  override readonly name = "InboundRetry";
}

function retryOrGiveUp(message: InboundMessage, late: boolean, why: string): void {
  if (!late) throw new InboundRetry(`${message.url} from ${message.host}: ${why}`);
  logger.warning("Gave up on a queued activity from {host}, received {hours} hours ago: {why}", {
    host: message.host,
    hours: Math.round(INBOUND_RETRY_MS / 3_600_000),
    why,
  });
}

/**
 * Handles queued inbox activities with `federation` (its listeners run here).
 * `loaders` makes the door's document loaders (hono.ts `doorLoaders`).
 */
export function createInboundHandler(
  federation: Federation<FedData>,
  data: FedData,
  loaders: () => Loaders,
  now: () => number = Date.now,
): (message: InboundMessage) => Promise<void> {
  // No budget here: the HTTP process charged the server when it took the request.
  const door = new InboxDoor({ limitPerServer: null, now });
  return async (message) => {
    const url = new URL(message.url);
    const headers = new Headers(message.headers as [string, string][]);
    const body = new Uint8Array(Buffer.from(message.body, "base64"));
    const late = now() - message.receivedAt >= INBOUND_RETRY_MS;
    const verdict = await door.check(url, headers, async () => body, loaders, message.receivedAt);
    if (!verdict.ok) {
      if (verdict.retry === true && !late)
        throw new InboundRetry(`${message.url} from ${message.host}: ${verdict.message}`);
      logger.info("Dropped a queued activity from {host}: {reason}", { host: message.host, reason: verdict.message });
      return;
    }
    let response: Response;
    try {
      response = await federation.fetch(verdict.request, {
        contextData: withInbound(data, verdict.info),
        onNotFound: () => new Response("Not found", { status: 404 }),
        onNotAcceptable: () => new Response("Not acceptable", { status: 406 }),
      });
    } catch (error) {
      // The sender's garbage (a context that cannot be loaded, a value Fedify's
      // decoder throws on, a key that is not a key): as hono.ts answers 400.
      if (
        error instanceof TypeError ||
        (error instanceof Error && (error.name.startsWith("jsonld.") || error.name === "AsnError"))
      ) {
        logger.info("Dropped a queued activity from {host} that Fedify could not parse: {error}", {
          host: message.host,
          error: error.message,
        });
        return;
      }
      return retryOrGiveUp(message, late, String(error));
    }
    await response.body?.cancel();
    // A listener failed (an actor that could not be fetched, a write that failed).
    if (response.status >= 500) return retryOrGiveUp(message, late, `answered ${response.status}`);
    if (response.status >= 400)
      logger.info("Dropped a queued activity from {host}: {status}", { host: message.host, status: response.status });
  };
}
