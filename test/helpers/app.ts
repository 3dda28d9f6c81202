import { MemoryKvStore, type KvStore, type RetryPolicy } from "@fedify/fedify";
import { createApp } from "../../src/app.tsx";
import { loadConfig } from "../../src/config.ts";
import type { Db } from "../../src/db/client.ts";
import type { SqliteMessageQueue } from "../../src/db/queue.ts";
import { createDeclaration, type NewDeclarationInput } from "../../src/db/declarations.ts";
import { createFederationRuntime } from "../../src/federation/index.ts";
import type { Mailer } from "../../src/mail.ts";
import { createBot, createSiteServices } from "../../src/setup.ts";
import type { SharedSigningLimiters } from "../../src/services/signing.ts";
import type { ProofOfWork } from "../../src/services/proof-of-work.ts";
import { createTestDb } from "./db.ts";

export const TEST_ORIGIN = "https://undersign.test";

export interface TestAppOptions {
  db?: Db;
  origin?: string;
  instanceName?: string;
  /** Overrides the proof of work built from the configuration. */
  pow?: ProofOfWork;
  /**
   * The mailer; `null` sends no mail.  Left out, the site's own SMTP mailer is
   * used when the configuration has SMTP_URL (and there is none otherwise).
   */
  mailer?: Mailer | null;
  /**
   * Environment variables on top of the test defaults: proof of work, rate
   * limits (the inbox's per-server budget and the per-server limit on new
   * fediverse signers included) and duplicate-name detection are off unless
   * a test switches them on.
   */
  env?: Record<string, string>;
  /** The delivery queue; by default none (deliveries happen inside the sending call). */
  queue?: SqliteMessageQueue | null;
  /** Fedify's key–value store; by default an in-memory one. */
  kv?: KvStore;
  outboxRetryPolicy?: RetryPolicy;
  /** The signing's limiters; by default the app's own (as in the single process). */
  limiters?: SharedSigningLimiters;
}

/** The app with a real federation over an in-memory KV store. */
export async function createTestApp(options: TestAppOptions = {}) {
  const db = options.db ?? createTestDb();
  const config = loadConfig(
    {
      ORIGIN: options.origin ?? TEST_ORIGIN,
      INSTANCE_NAME: options.instanceName ?? "Test Declarations",
      PROOF_OF_WORK: "off",
      RATE_LIMIT_PER_DECLARATION: "off",
      RATE_LIMIT_PER_CLIENT: "off",
      DUPLICATE_WINDOW: "0s",
      INBOX_LIMIT_PER_SERVER: "off",
      FEDIVERSE_SIGNERS_PER_SERVER: "off",
      ...options.env,
    },
    "/tmp",
  );
  // Undefined `mailer` lets createSiteServices build the real one from SMTP_URL, as in production.
  const services = createSiteServices(db, config, {
    secret: "test-secret",
    mailer: options.mailer,
    ...(options.limiters == null ? {} : { limiters: options.limiters }),
  });
  const runtime = await createFederationRuntime({
    db,
    batcher: services.batcher,
    config,
    kv: options.kv ?? new MemoryKvStore(),
    queue: options.queue ?? null,
    ...(options.outboxRetryPolicy == null ? {} : { outboxRetryPolicy: options.outboxRetryPolicy }),
  });
  // Tests run the publisher's passes themselves (`publisher.runOnce()`).
  const publisher = runtime.startPublisher();
  publisher.stop();
  const pow = options.pow ?? services.pow;
  const federation = runtime.federation;
  // The strike bot when the env gives BOT_TOKEN_KEY; tests run its passes themselves (`runBotPass(bot.context)`).
  const bot = createBot(db, services.batcher, config, { run: false }).web;
  const app = createApp({ db, config, federation, publisher, ...services, pow, bot });
  return { app, db, federation, runtime, publisher, config, ...services, pow, bot };
}

/** Inserts a published Declaration with sensible defaults. */
export function addDeclaration(db: Db, overrides: Partial<NewDeclarationInput> = {}) {
  return createDeclaration(db, {
    slug: "test-declaration",
    title: "Test Declaration",
    summary: "A Declaration for tests.",
    license: "CC BY-SA 4.0",
    hashtags: ["SocialMediaStrike"],
    language: "en",
    body: "## First\n\nWe declare that tests are good.\n",
    origin: "site",
    ...overrides,
  });
}
