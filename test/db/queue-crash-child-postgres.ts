/**
 * A process that claims one message of the PostgreSQL queue and hangs in its
 * handler, to be killed by the queue contract (queue-contract.ts).
 * Usage: queue-crash-child-postgres.ts DATABASE_URL LEASE_MS
 */
import { createPgPool } from "../../src/db/postgres/client.ts";
import { PostgresMessageQueue } from "../../src/db/postgres/queue.ts";

const [url, leaseMs] = process.argv.slice(2);
const queue = new PostgresMessageQueue(createPgPool(url!), {
  leaseMs: Number(leaseMs),
  pollIntervalMs: 10,
  concurrency: 1,
});
void queue.listen(async (message) => {
  process.stdout.write(`claimed ${JSON.stringify(message)}\n`);
  await new Promise(() => {});
});
