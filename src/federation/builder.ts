/**
 * The one Federation builder.  Registration modules (nodeinfo.ts, and later
 * actors, inbox and collections) add to it; `main.ts` builds it with the
 * key–value store and origin, so a web process and a worker process can share
 * the same registrations.
 */
import { createFederationBuilder } from "@fedify/fedify";
import type { Config } from "../config.ts";
import type { Db } from "../db/client.ts";

/** What every federation callback receives as `ctx.data`. */
export interface FedData {
  readonly db: Db;
  readonly instanceName: Config["instanceName"];
}

export const builder = createFederationBuilder<FedData>();
