/**
 * A process that claims one queue message and hangs in its handler, to be
 * killed by the queue contract (queue-contract.ts).
 * Usage: queue-crash-child.ts sqlite DB_PATH LEASE_MS
 *        queue-crash-child.ts postgres DATABASE_URL LEASE_MS
 */
import { openDatabase } from "../../src/db/client.ts";
import { createPgPool } from "../../src/db/postgres/client.ts";
import { PostgresMessageQueue } from "../../src/db/postgres/queue.ts";
import { SqliteMessageQueue, type MessageQueueOptions } from "../../src/db/queue.ts";

const [store, where, leaseMs] = process.argv.slice(2);
const options: MessageQueueOptions = { leaseMs: Number(leaseMs), pollIntervalMs: 10, concurrency: 1 };
const queue =
  store === "postgres"
    ? new PostgresMessageQueue(createPgPool(where!), options)
    : new SqliteMessageQueue(openDatabase(where!), options);
void queue.listen(async (message) => {
  process.stdout.write(`claimed ${JSON.stringify(message)}\n`);
  await new Promise(() => {});
});
