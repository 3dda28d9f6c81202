import type { Federation } from "@fedify/fedify";
import type { BotContext } from "../../bot/connect.ts";
import type { Config } from "../../config.ts";
import type { WriteBatcher } from "../../db/batch.ts";
import type { Account } from "../../db/accounts.ts";
import type { Db } from "../../db/client.ts";
import type { FedData } from "../../federation/index.ts";
import type { ProofOfWork } from "../../services/proof-of-work.ts";
import type { Signing } from "../../services/signing.ts";

/** What the web routes need, passed down from `createApp`. */
export interface WebDeps {
  readonly db: Db;
  readonly config: Pick<
    Config,
    "origin" | "instanceName" | "trustedProxies" | "ipv6PrefixLength" | "signing" | "mail" | "federation"
  > &
    Partial<Pick<Config, "siteHandle" | "siteIntroduction" | "defaultLanguage">>;
  readonly pow: ProofOfWork;
  /** The site secret: keys CSRF tokens and client hashes. */
  readonly secret: string;
  /** Group commit for every write made by a request. */
  readonly batcher: WriteBatcher;
  readonly signing: Signing;
  /** Tells the federation that a Declaration was published or revised, so its actor posts soon. */
  readonly publisher: { notify(): void };
  /** For lookups on other servers (WebFinger, objects): `findInteractionUrl`, `lookupRemoteObject`. */
  readonly federation: Federation<FedData>;
  /**
   * The strike bot: its context (key, clients) and a way to wake its
   * scheduler after a plan changes.  Null when BOT_TOKEN_KEY is not set.
   */
  readonly bot?: { readonly context: BotContext; poke(): void } | null;
}

/** `account` is the logged-in account, or null (set by src/web/kit/session.ts for every web route). */
export type WebEnv = { Variables: { deps: WebDeps; account: Account | null } };
