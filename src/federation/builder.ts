/**
 * The one Federation builder.  Registration modules (actors, objects,
 * collections, inbox, nodeinfo) add to it; the composition roots build it
 * with the key–value store, the queue and the origin, so a web process and a
 * worker process share the same registrations.
 */
import { createFederationBuilder } from "@fedify/fedify";
import type { Config } from "../config.ts";
import type { WriteBatcher } from "../db/batch.ts";
import type { Db } from "../db/client.ts";

/** What every federation callback receives as `ctx.data`. */
export interface FedData {
  readonly db: Db;
  /** Group commit: inbox writes share commits with the web's writes. */
  readonly batcher: WriteBatcher;
  readonly instanceName: Config["instanceName"];
  /** The site account's handle (default: from the instance name). */
  readonly siteHandle?: Config["siteHandle"];
  /** The owner's introduction, the site account's profile text (default: a sentence naming the site). */
  readonly siteIntroduction?: Config["siteIntroduction"];
  /**
   * Lets our own fetches (copies on other sites) reach loopback and private
   * addresses: development and tests only, as `FEDERATION_ALLOW_PRIVATE_ADDRESS`.
   */
  readonly allowPrivateAddress?: boolean;
  /** New fediverse signers per remote server beyond these are held for review (the inbox's; none when absent). */
  readonly signersPerServer?: Config["federation"]["signersPerServer"];
}

export const builder = createFederationBuilder<FedData>();

/** The identifier of the instance actor (a reserved slug, so no Declaration can take it). */
export const INSTANCE_ACTOR = "instance";

/**
 * The identifier of the site account, the site's own voice (site-account.ts).
 * It cannot be a slug (slugs have no `_`), so no Declaration can take it;
 * people know the account by its handle, which the owner chooses.
 */
export const SITE_ACTOR = "site_account";
