import { MemoryKvStore } from "@fedify/fedify";
import { createApp } from "../../src/app.tsx";
import type { Db } from "../../src/db/client.ts";
import { createDeclaration, type NewDeclarationInput } from "../../src/db/declarations.ts";
import { builder } from "../../src/federation/index.ts";
import { createTestDb } from "./db.ts";

export const TEST_ORIGIN = "https://undersign.test";

/** The app with a real federation over an in-memory KV store. */
export async function createTestApp(options: { db?: Db; origin?: string; instanceName?: string } = {}) {
  const db = options.db ?? createTestDb();
  const origin = new URL(options.origin ?? TEST_ORIGIN);
  const federation = await builder.build({ kv: new MemoryKvStore(), origin: origin.href });
  const config = { origin, instanceName: options.instanceName ?? "Test Declarations" };
  const app = createApp({ db, config, federation });
  return { app, db, federation, config };
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
