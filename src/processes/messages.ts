/**
 * What the processes tell each other over the cluster's IPC channel.  The
 * HTTP processes do not run the publisher or the strike bot's scheduler; when
 * a page asks for a pass soon (a Declaration published, the strike settings
 * changed, the bot connected), they ask the primary, which passes it on to
 * every worker process.  A lost poke costs nothing but time: the publisher
 * runs every minute and the scheduler at each slot anyway.
 */
import type { Publisher } from "../federation/publish.ts";

export type Poke = { readonly undersign: "poke"; readonly target: "publisher" | "bot" };

export function isPoke(message: unknown): message is Poke {
  if (typeof message !== "object" || message == null) return false;
  const m = message as Record<string, unknown>;
  return m.undersign === "poke" && (m.target === "publisher" || m.target === "bot");
}

/** Sends a poke to the primary (a no-op outside a cluster, or once the channel closed). */
export function sendPoke(target: Poke["target"]): void {
  if (process.send == null || !process.connected) return;
  const poke: Poke = { undersign: "poke", target };
  process.send(poke, undefined, undefined, () => {
    // The primary is gone (shutting down): the next pass of the worker catches up.
  });
}

/** The publisher an HTTP process hands to the pages: it asks the worker processes for a pass. */
export function relayedPublisher(): Publisher {
  return {
    runOnce: async () => sendPoke("publisher"),
    notify: () => sendPoke("publisher"),
    stop: () => {},
  };
}
