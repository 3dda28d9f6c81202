/**
 * What each Declaration's actor last told its followers about itself
 * (`actor_profiles`), for the hourly `Update` of changed profiles
 * (src/federation/profile-updates.ts).
 */
import { and, eq, inArray, isNull, lte, or } from "drizzle-orm";
import type { DbLike } from "./client.ts";
import { actorProfiles, declarations, type ActorProfile, type Declaration } from "./schema.ts";

export interface ProfileToCheck {
  declaration: Declaration;
  /** What was last recorded; null when nothing was yet. */
  profile: ActorProfile | null;
}

/**
 * Declarations with an actor (published or withdrawn) whose profile was never
 * recorded, or whose last `Update` went out at or before `sentBefore` (or
 * never): the ones that may send an `Update` now.
 */
export function profilesToCheck(db: DbLike, sentBefore: Date): ProfileToCheck[] {
  return db
    .select({ declaration: declarations, profile: actorProfiles })
    .from(declarations)
    .leftJoin(actorProfiles, eq(actorProfiles.declarationId, declarations.id))
    .where(
      and(
        inArray(declarations.status, ["published", "withdrawn"]),
        or(isNull(actorProfiles.sent), lte(actorProfiles.sent, sentBefore)),
      ),
    )
    .orderBy(declarations.id)
    .all();
}

/** Records the profile followers now have; `sent` is when an `Update` went out (kept as it was when none did). */
export function recordProfile(
  tx: DbLike,
  declarationId: number,
  fingerprint: string,
  sent: Date | null,
  now: Date,
): void {
  tx.insert(actorProfiles)
    .values({ declarationId, fingerprint, sent, updated: now })
    .onConflictDoUpdate({ target: actorProfiles.declarationId, set: { fingerprint, sent, updated: now } })
    .run();
}
