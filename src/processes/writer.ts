/**
 * The one writer of signatures (decision 0022).  SQLite lets one process
 * write at a time; when each HTTP process wrote with its own group commit,
 * they queued for the write lock and each waited with its event loop
 * blocked (bench/wal-writers.ts).  So in the cluster, the signing's writes
 * (the hot path of a strike day) go over the IPC channel to the primary,
 * which applies them with one group commit and answers each after its
 * commit.  The writes travel as plain data (`SignatureWrite`), cloned with
 * the channel's "advanced" serialization (Dates stay Dates).  Rarer writes
 * (inbox, accounts, admin) stay with each process's own group commit, which
 * yields while another process holds the lock.
 *
 * The inbox activities an HTTP process takes in go the same way (decision
 * 0033): the primary stores each in the delivery queue, where a worker
 * process verifies and handles it, and answers after the commit.
 */
import type { Worker } from "node:cluster";
import type { WriteBatcher } from "../db/batch.ts";
import type { Db } from "../db/client.ts";
import type { InboundMessage } from "../federation/inbound-message.ts";
import { answerRequests, primaryCaller } from "./ipc.ts";
import type { ProofOfWork } from "../services/proof-of-work.ts";
import {
  writeSignature,
  writeTokenRotation,
  type SignatureWrite,
  type SigningWrites,
  type TokenRotation,
} from "../services/signing.ts";

type WriteRequest =
  | { readonly kind: "signature"; readonly write: SignatureWrite }
  | { readonly kind: "rotation"; readonly write: TokenRotation }
  | { readonly kind: "inbound"; readonly write: InboundMessage };

/** The primary's side: applies a process's write requests with `batcher` and answers each after its commit. */
export function serveWrites(
  worker: Worker,
  deps: {
    db: Db;
    batcher: WriteBatcher;
    pow: Pick<ProofOfWork, "claim">;
    /** Stores a queued inbox activity (the delivery queue's `enqueue`). */
    enqueue: (message: InboundMessage) => Promise<void>;
  },
): void {
  answerRequests(worker, "write", (raw) => {
    const request = raw as unknown as WriteRequest;
    if (request.kind === "signature") return deps.batcher.run(() => writeSignature(deps.db, deps.pow, request.write));
    if (request.kind === "rotation") return deps.batcher.run(() => writeTokenRotation(deps.db, request.write));
    return deps.enqueue(request.write);
  });
}

/** An HTTP process's side: sends the signing's writes (and inbox activities) to the primary and waits for their commit. */
export function remoteWrites(): SigningWrites & { inbound(message: InboundMessage): Promise<void> } {
  const call = primaryCaller("write", "The writer process is gone; nothing was written");
  const send = (request: WriteRequest) => call(request as unknown as Record<string, unknown>);
  return {
    signature: (write) => send({ kind: "signature", write }) as ReturnType<SigningWrites["signature"]>,
    rotation: async (write) => {
      await send({ kind: "rotation", write });
    },
    inbound: async (write) => {
      await send({ kind: "inbound", write });
    },
  };
}
