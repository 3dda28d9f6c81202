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
import type { ProofOfWork } from "../services/proof-of-work.ts";
import {
  writeSignature,
  writeTokenRotation,
  type SignatureWrite,
  type SigningWrites,
  type TokenRotation,
} from "../services/signing.ts";

type WriteRequest =
  | { readonly undersign: "write"; readonly id: number; readonly kind: "signature"; readonly write: SignatureWrite }
  | { readonly undersign: "write"; readonly id: number; readonly kind: "rotation"; readonly write: TokenRotation }
  | { readonly undersign: "write"; readonly id: number; readonly kind: "inbound"; readonly write: InboundMessage };

type WriteAnswer =
  | { readonly undersign: "written"; readonly id: number; readonly value: unknown }
  | { readonly undersign: "written"; readonly id: number; readonly error: { message: string; code?: string } };

function isWriteRequest(message: unknown): message is WriteRequest {
  return typeof message === "object" && message != null && (message as { undersign?: unknown }).undersign === "write";
}

function isWriteAnswer(message: unknown): message is WriteAnswer {
  return typeof message === "object" && message != null && (message as { undersign?: unknown }).undersign === "written";
}

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
  worker.on("message", (message: unknown) => {
    if (!isWriteRequest(message)) return;
    const done =
      message.kind === "signature"
        ? deps.batcher.run(() => writeSignature(deps.db, deps.pow, message.write))
        : message.kind === "rotation"
          ? deps.batcher.run(() => writeTokenRotation(deps.db, message.write))
          : deps.enqueue(message.write);
    const answer = (reply: WriteAnswer) => {
      if (worker.isConnected()) worker.send(reply, undefined, () => {});
    };
    done.then(
      (value) => answer({ undersign: "written", id: message.id, value }),
      (error: Error & { code?: string }) =>
        answer({
          undersign: "written",
          id: message.id,
          error: { message: error.message, ...(error.code == null ? {} : { code: error.code }) },
        }),
    );
  });
}

/** An HTTP process's side: sends the signing's writes (and inbox activities) to the primary and waits for their commit. */
export function remoteWrites(): SigningWrites & { inbound(message: InboundMessage): Promise<void> } {
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let next = 0;
  process.on("message", (message: unknown) => {
    if (!isWriteAnswer(message)) return;
    const pending = waiting.get(message.id);
    if (pending == null) return;
    waiting.delete(message.id);
    if ("error" in message)
      pending.reject(Object.assign(new Error(message.error.message), { code: message.error.code }));
    else pending.resolve(message.value);
  });
  process.on("disconnect", () => {
    for (const pending of waiting.values())
      pending.reject(new Error("The writer process is gone; nothing was written"));
    waiting.clear();
  });
  const send = (request: Omit<WriteRequest, "id" | "undersign">) =>
    new Promise<unknown>((resolve, reject) => {
      if (process.send == null || !process.connected) {
        reject(new Error("No writer process to send the write to; nothing was written"));
        return;
      }
      const id = next++;
      waiting.set(id, { resolve, reject });
      process.send({ ...request, undersign: "write", id } as WriteRequest, undefined, undefined, (error) => {
        if (error == null) return;
        waiting.delete(id);
        reject(error);
      });
    });
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
