/**
 * Profile updates: other servers show a Declaration's actor as they fetched
 * it (its "Signatures" and "Version" fields, title, summary), and fetch it
 * again rarely.  When what they show has changed, the actor sends its
 * followers an `Update` of itself, at most once an hour per actor: changes
 * within the hour are coalesced into the next `Update`, which carries the
 * profile as it is then.
 *
 * Each publisher pass looks at the actors whose last `Update` is an hour old
 * (or that never sent one), compares a fingerprint of what peers show with the
 * one recorded (`actor_profiles`), and hands an `Update` to Fedify's
 * persistent queue before recording the new fingerprint: a restart in between
 * sends it again (receivers take the same profile twice), never loses it.
 */
import { randomUUID } from "node:crypto";
import type { Federation } from "@fedify/fedify";
import { PUBLIC_COLLECTION, Update } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import { profilesToCheck, recordProfile } from "../db/actor-profiles.ts";
import { countFollowers } from "../db/fediverse.ts";
import type { Declaration } from "../db/schema.ts";
import { buildActor } from "./actors.ts";
import type { FedData } from "./builder.ts";
import { sendSiteProfileUpdate } from "./site-account.ts";

const logger = getLogger(["undersign", "federation", "publish"]);

/** At most one `Update` of an actor's profile per this long. */
export const PROFILE_UPDATE_INTERVAL_MS = 60 * 60 * 1000;

/** What other servers show of a Declaration's actor (actors.ts), as one string. */
export function profileFingerprint(d: Declaration): string {
  return JSON.stringify([
    d.title,
    d.summary,
    d.signatureCount,
    d.revision,
    d.license,
    d.sourceUrl,
    d.sourceTitle,
    d.status,
  ]);
}

/**
 * Sends an `Update` of each actor whose profile changed, unless it sent one
 * less than `intervalMs` ago.  Returns how many were sent.
 */
export async function sendProfileUpdates(
  federation: Federation<FedData>,
  data: FedData,
  origin: URL,
  now: Date,
  intervalMs = PROFILE_UPDATE_INTERVAL_MS,
): Promise<number> {
  const { db, batcher } = data;
  const ctx = federation.createContext(origin, data);
  let sent = 0;
  for (const { declaration, profile } of profilesToCheck(db, new Date(now.getTime() - intervalMs))) {
    const fingerprint = profileFingerprint(declaration);
    if (profile?.fingerprint === fingerprint) continue;
    // The first time (followers fetched the actor when they followed), or
    // nobody to tell: remember what a new follower will fetch.
    if (profile == null || countFollowers(db, declaration.id) === 0) {
      await batcher.run(() => recordProfile(db, declaration.id, fingerprint, profile?.sent ?? null, now));
      continue;
    }
    const actor = await buildActor(ctx, declaration.slug);
    if (actor?.id == null) continue;
    const update = new Update({
      id: new URL(`#profile-updates/${randomUUID()}`, actor.id),
      actor: actor.id,
      object: actor,
      to: PUBLIC_COLLECTION,
      ccs: [ctx.getFollowersUri(declaration.slug)],
    });
    await ctx.sendActivity({ identifier: declaration.slug }, "followers", update, {
      preferSharedInbox: true,
      // Public and up to hourly, like strike notices: no per-follower digest
      // (FEP-8fcf) for it (see deliverPending in publish.ts).
      syncCollection: false,
      orderingKey: `${actor.id.href}#profile`,
    });
    await batcher.run(() => recordProfile(db, declaration.id, fingerprint, now, now));
    logger.debug("Sent the profile of /d/{slug} to its followers", { slug: declaration.slug });
    sent++;
  }
  // The site account's profile changes only with the configuration (a restart).
  if (await sendSiteProfileUpdate(federation, data, origin, buildActor)) sent++;
  return sent;
}
