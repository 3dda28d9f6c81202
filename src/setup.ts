/**
 * Start-up steps shared by the server and the command-line tools: open the
 * database, apply migrations, import the shipped Declarations and pages.
 */
import { join } from "node:path";
import { getLogger, type Logger } from "@logtape/logtape";
import type { BotContext } from "./bot/connect.ts";
import { startBotScheduler, type BotScheduler } from "./bot/scheduler.ts";
import { requireBotKey } from "./bot/secrets.ts";
import type { Config } from "./config.ts";
import { readDeclarationFolder } from "./declaration-files.ts";
import { openDatabase, type Db } from "./db/client.ts";
import { runMigrations } from "./db/migrate.ts";
import { importDeclarationFiles, type SeedOutcome } from "./db/seed.ts";
import { WriteBatcher } from "./db/batch.ts";
import { getOrCreateSecret } from "./db/settings.ts";
import { importSitePageFiles, type PageSeedOutcome } from "./db/site-pages.ts";
import { readPagesFolder } from "./site-page-files.ts";
import { APP } from "./logging.ts";
import { createMailer, type Mailer } from "./mail.ts";
import { createProofOfWork } from "./services/proof-of-work.ts";
import { createSigning, type SharedSigningLimiters, type SigningWrites } from "./services/signing.ts";

export const MIGRATIONS_DIR = join(import.meta.dirname, "..", "migrations");

export function databasePath(config: Pick<Config, "dataDir">): string {
  return join(config.dataDir, "undersign.sqlite");
}

/** Opens the site's database and brings its schema up to date. */
export function openSiteDatabase(config: Pick<Config, "dataDir">): Db {
  const db = openDatabase(databasePath(config));
  runMigrations(db, MIGRATIONS_DIR);
  return db;
}

const importLogger = getLogger([APP, "declarations"]);

/** Logs the files a folder import refused before reading them, and returns them as "skipped" outcomes. */
function refusedFiles(logger: Logger, dir: string, problems: readonly { path: string; reason: string }[]) {
  for (const problem of problems)
    logger.warn("Skipped {path}: {reason}", { path: join(dir, problem.path), reason: problem.reason });
  return problems.map((p) => ({ kind: "skipped" as const, path: p.path, slug: "", reason: p.reason }));
}

/**
 * Imports `declarations/*.md` and logs one line per file that was created,
 * revised or refused (with its path and the reason).
 */
export function importShippedDeclarations(db: Db, config: Pick<Config, "declarationsDir">): SeedOutcome[] {
  const folder = readDeclarationFolder(config.declarationsDir);
  const refused = refusedFiles(importLogger, config.declarationsDir, folder.problems);
  const outcomes = importDeclarationFiles(db, folder.files);
  for (const outcome of outcomes) {
    const path = join(config.declarationsDir, outcome.path);
    switch (outcome.kind) {
      case "created":
        importLogger.info("Imported {path} as /d/{slug}", { path, slug: outcome.slug });
        break;
      case "revised":
        importLogger.info("Imported {path} as version {revision} of /d/{slug}", {
          path,
          slug: outcome.slug,
          revision: outcome.revision,
        });
        break;
      case "metadata":
        importLogger.info("Updated the license, hashtags or language of /d/{slug} from {path}", {
          path,
          slug: outcome.slug,
        });
        break;
      case "skipped":
        importLogger.warn("Skipped {path}: {reason}", { path, reason: outcome.reason });
        break;
      case "unchanged":
        importLogger.debug("{path} is unchanged", { path });
        break;
    }
  }
  return [...refused, ...outcomes];
}

const pagesLogger = getLogger([APP, "pages"]);

/**
 * Imports `pages/*.md` (the FAQ and resources pages) by the same rule as the
 * Declarations, with one log line per file created, updated or refused.
 */
export function importShippedPages(db: Db, config: Pick<Config, "pagesDir">): PageSeedOutcome[] {
  const folder = readPagesFolder(config.pagesDir);
  const refused = refusedFiles(pagesLogger, config.pagesDir, folder.problems);
  const outcomes = importSitePageFiles(db, folder.files);
  for (const outcome of outcomes) {
    const path = join(config.pagesDir, outcome.path);
    if (outcome.kind === "skipped") pagesLogger.warn("Skipped {path}: {reason}", { path, reason: outcome.reason });
    else if (outcome.kind === "unchanged") pagesLogger.debug("{path} is unchanged", { path });
    else pagesLogger.info("Imported {path} as /{slug}", { path, slug: outcome.slug });
  }
  return [...refused, ...outcomes];
}

/** How long a proof-of-work challenge handed to a browser stays valid. */
const POW_EXPIRES_SECONDS = 20 * 60;

/**
 * The services the web app needs besides the database: the persistent site
 * secret, group commit, mail, proof of work and the signing flow.
 */
export function createSiteServices(
  db: Db,
  config: Config,
  options: { secret?: string; mailer?: Mailer | null; writes?: SigningWrites; limiters?: SharedSigningLimiters } = {},
) {
  const secret = options.secret ?? getOrCreateSecret(db);
  const batcher = new WriteBatcher(db);
  const mailer = options.mailer !== undefined ? options.mailer : config.mail != null ? createMailer(config.mail) : null;
  const pow = createProofOfWork({
    db,
    enabled: config.signing.proofOfWork.enabled,
    secret,
    maxNumber: config.signing.proofOfWork.maxNumber,
    expiresInSeconds: POW_EXPIRES_SECONDS,
  });
  const signing = createSigning({
    db,
    batcher,
    pow,
    secret,
    config,
    mailer,
    writes: options.writes,
    limiters: options.limiters,
  });
  return { secret, batcher, mailer, pow, signing };
}

const botLogger = getLogger([APP, "bot"]);

/**
 * The strike bot: its context for the web routes and, when `run`, its
 * scheduler.  Without BOT_TOKEN_KEY the bot does not start, and the log says
 * which variable to set.
 */
export function createBot(
  db: Db,
  batcher: WriteBatcher,
  config: Config,
  options: { run: boolean },
): { web: { context: BotContext; poke(): void } | null; scheduler: BotScheduler | null } {
  let key: Buffer;
  try {
    key = requireBotKey(config);
  } catch (error) {
    botLogger.warn("The strike bot is off: {message}", { message: (error as Error).message });
    return { web: null, scheduler: null };
  }
  const context: BotContext = {
    db,
    batcher,
    key,
    origin: config.origin,
    instanceName: config.instanceName,
    allowPrivateAddress: config.federation.allowPrivateAddress,
  };
  const scheduler = options.run ? startBotScheduler(context) : null;
  return { web: { context, poke: () => scheduler?.poke() }, scheduler };
}
