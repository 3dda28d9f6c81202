/**
 * Signers whose account is gone.  Misskey sends `Delete` only where the
 * account had followers and never undoes it; Pleroma and Akkoma never undo
 * reactions when an account is deleted; a server may simply vanish.  So the
 * accounts behind live fediverse signatures are fetched again now and then
 * (each at most once every `everyMs`, 30 days; at most `perPass` a pass, and
 * a pass at most once a minute): an id that answers 410 (or a `Tombstone`)
 * is gone — its signatures are withdrawn and the account forgotten, as for a
 * proven `Delete`; a 404 must be seen again a day later (a server that
 * answers 404 for everything for a while would otherwise lose all its
 * signers); anything else (a timeout, 5xx, 401, a redirect) changes nothing
 * and is tried again a day later.
 *
 * The same pass forgets tombstones of undone activities older than 30 days.
 */
import { getLogger } from "@logtape/logtape";
import { deleteRemoteActor } from "../db/fediverse.ts";
import { markChecked, pruneUndone, signersDueForCheck } from "../db/reactions.ts";
import type { FedData } from "./builder.ts";
import { probeActor } from "./signer.ts";

const logger = getLogger(["undersign", "federation", "recheck"]);

const DAY_MS = 24 * 60 * 60 * 1000;

export interface RecheckOptions {
  /** How long an account is left alone after a check (default 30 days). */
  readonly everyMs?: number;
  /** Accounts checked per pass (default 2; a pass runs at most once a minute). */
  readonly perPass?: number;
  /** How long one account may take to answer (default 10 s). */
  readonly timeoutMs?: number;
}

export interface RecheckResult {
  readonly checked: number;
  /** Accounts found gone (signatures withdrawn). */
  readonly gone: number;
}

/** One pass: the accounts due for a check, oldest check first. */
export async function recheckSigners(data: FedData, now: Date, options: RecheckOptions = {}): Promise<RecheckResult> {
  const everyMs = options.everyMs ?? 30 * DAY_MS;
  const { db, batcher } = data;
  await batcher.run(() => pruneUndone(db, new Date(now.getTime() - 30 * DAY_MS)));
  const due = signersDueForCheck(db, new Date(now.getTime() - everyMs), options.perPass ?? 2);
  // Checked "a day ago minus the interval": due again in a day.
  const tomorrow = new Date(now.getTime() - everyMs + DAY_MS);
  let gone = 0;
  for (const signer of due) {
    const probe = await probeActor(data, signer.uri, options.timeoutMs ?? 10_000);
    const confirmedMissing =
      probe === "missing" && signer.missingSince != null && now.getTime() - signer.missingSince.getTime() >= DAY_MS;
    if (probe === "gone" || confirmedMissing) {
      await batcher.run(() => deleteRemoteActor(db, signer.uri, now));
      logger.info("Account {actor} is gone ({probe}): its fediverse signatures are withdrawn", {
        actor: signer.uri,
        probe,
      });
      gone++;
    } else if (probe === "missing") {
      await batcher.run(() => markChecked(db, signer.id, tomorrow, signer.missingSince ?? now));
    } else if (probe === "present") {
      await batcher.run(() => markChecked(db, signer.id, now, null));
    } else {
      await batcher.run(() => markChecked(db, signer.id, tomorrow, signer.missingSince));
    }
  }
  return { checked: due.length, gone };
}
