import type { Config } from "../config.ts";
import type { Db } from "../db/client.ts";

/** What the web routes need, passed down from `createApp`. */
export interface WebDeps {
  readonly db: Db;
  readonly config: Pick<Config, "origin" | "instanceName">;
}

export type WebEnv = { Variables: { deps: WebDeps } };
