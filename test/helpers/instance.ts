/**
 * A running undersign instance for federation tests: the real app on a
 * loopback port, on a real SQLite file, with the persistent key–value store
 * and delivery queue processed in the same process (as `npm start` does).  Fetching from and
 * delivering to loopback addresses is allowed, as it must be for two servers
 * on one machine.
 */
import { join } from "node:path";
import { getDeclarationBySlug } from "../../src/db/declarations.ts";
import { SqliteKvStore } from "../../src/db/kv.ts";
import { getPost } from "../../src/db/posts.ts";
import type { SqliteMessageQueue } from "../../src/db/queue.ts";
import { createDeliveryQueue, type DeliveryQueueOptions } from "../../src/federation/delivery.ts";
import { addDeclaration, createTestApp, type TestAppOptions } from "./app.ts";
import { createTestDb } from "./db.ts";
import { freePort, tempDir } from "./process.ts";
import { startServer } from "./server.ts";

export interface TestInstance extends Awaited<ReturnType<typeof createTestApp>> {
  readonly origin: string;
  readonly host: string;
  readonly queue: SqliteMessageQueue;
  /** Creates due posts and hands them to the queue (what the minute timer does). */
  publish(): Promise<void>;
  /** Resolves when the delivery queue is empty (or throws after `timeoutMs`). */
  drain(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface InstanceOptions extends Omit<TestAppOptions, "db" | "origin" | "queue"> {
  /** The delivery queue's options (per-server share, circuit breaker, request limits). */
  queue?: DeliveryQueueOptions;
}

export async function startInstance(options: InstanceOptions = {}): Promise<TestInstance> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const db = createTestDb(join(tempDir("instance"), "undersign.sqlite"));
  const { queue: queueOptions, ...appOptions } = options;
  const queue = createDeliveryQueue(db, { pollIntervalMs: 50, ...queueOptions });
  const app = await createTestApp({
    kv: new SqliteKvStore(db),
    ...appOptions,
    db,
    origin,
    queue,
    env: { FEDERATION_ALLOW_PRIVATE_ADDRESS: "true", ...options.env },
  });
  const server = await startServer(app.app, port);
  const stop = new AbortController();
  const processing = app.runtime.processQueue(stop.signal);
  return {
    ...app,
    origin,
    host: `127.0.0.1:${port}`,
    queue,
    publish: () => app.publisher.runOnce(),
    async drain(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      const waiting = db.$client.prepare<[], { n: number }>("SELECT count(*) AS n FROM queue_messages");
      // Leased messages are still rows: the queue is empty when the table is.
      while (waiting.get()!.n > 0) {
        if (Date.now() > deadline) throw new Error("The delivery queue did not drain in time");
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async close() {
      stop.abort();
      await processing;
      await server.close();
      db.$client.close();
    },
  };
}

export { addDeclaration };

/** The addresses of a published Declaration on an instance. */
export interface PublishedDeclaration {
  readonly actor: string;
  /** Its own inbox, and the instance's shared one. */
  readonly inbox: string;
  readonly sharedInbox: string;
  /** Its pinned announcement Note and its Article. */
  readonly note: string;
  readonly article: string;
}

/** Adds a Declaration, publishes it (its Article and announcement are posted) and returns its addresses. */
export async function publishDeclaration(
  site: TestInstance,
  slug: string,
  title: string,
): Promise<PublishedDeclaration> {
  addDeclaration(site.db, { slug, title });
  await site.publish();
  const id = getDeclarationBySlug(site.db, slug)!.id;
  const actor = `${site.origin}/d/${slug}`;
  return {
    actor,
    inbox: `${actor}/inbox`,
    sharedInbox: `${site.origin}/inbox`,
    note: `${site.origin}/ap/notes/${getPost(site.db, id, "announcement")!.uuid}`,
    article: `${site.origin}/ap/articles/${getPost(site.db, id, "article")!.uuid}`,
  };
}
