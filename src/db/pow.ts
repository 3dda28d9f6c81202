/**
 * Used proof-of-work solutions (`pow_solutions`), kept until they expire.
 */
import { eq, lte } from "drizzle-orm";
import type { DbLike } from "./client.ts";
import { powSolutions } from "./schema.ts";

/** Whether the solution `id` was already used (and has not expired). */
export function isSolutionUsed(db: DbLike, id: string, now: Date = new Date()): boolean {
  const row = db.select({ expires: powSolutions.expires }).from(powSolutions).where(eq(powSolutions.id, id)).get();
  return row != null && row.expires.getTime() > now.getTime();
}

/**
 * Marks the solution `id` used until `expires`; false when it already was.
 * Call it inside the transaction that writes what the solution paid for, so
 * the two commit together (or not at all).
 */
export function claimSolution(db: DbLike, id: string, expires: Date): boolean {
  return db.insert(powSolutions).values({ id, expires }).onConflictDoNothing().run().changes === 1;
}

/** Deletes the solutions that expired (a solution for an expired challenge is refused anyway). */
export function pruneSolutions(db: DbLike, now: Date = new Date()): number {
  return db.delete(powSolutions).where(lte(powSolutions.expires, now)).run().changes;
}
