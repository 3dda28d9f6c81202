/**
 * Requests from a forked process to the primary over the cluster's IPC
 * channel, each answered once (writer.ts, shared-limits.ts).  A request is
 * `{ undersign: <kind>, id, ...payload }`; its answer `{ undersign: <kind>
 * + "-answer", id, value }` or `{ …, error: { message, code? } }`.  The
 * channel's "advanced" serialization keeps Dates and typed arrays.
 */
import type { Worker } from "node:cluster";

/**
 * The code of the error a call rejects with when there is no primary to
 * answer (it is stopping, or died): src/app.tsx answers such a request 503.
 */
export const PRIMARY_GONE = "UNDERSIGN_PRIMARY_GONE";

/** The error of a call that found no primary to answer it. */
export const primaryGoneError = (message: string) => Object.assign(new Error(message), { code: PRIMARY_GONE });

type Answer =
  | { readonly undersign: string; readonly id: number; readonly value: unknown }
  | { readonly undersign: string; readonly id: number; readonly error: { message: string; code?: string } };

function tagged(message: unknown, tag: string): message is Record<string, unknown> & { id: number } {
  return (
    typeof message === "object" &&
    message != null &&
    (message as { undersign?: unknown }).undersign === tag &&
    typeof (message as { id?: unknown }).id === "number"
  );
}

/**
 * The forked process's side: `call(payload)` sends a request of `kind` and
 * resolves with the primary's answer.  `gone` names what is lost when there
 * is no primary to answer (the error's message; its code is PRIMARY_GONE).
 */
export function primaryCaller(kind: string, gone: string): (payload: Record<string, unknown>) => Promise<unknown> {
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const answerTag = `${kind}-answer`;
  let next = 0;
  process.on("message", (message: unknown) => {
    if (!tagged(message, answerTag)) return;
    const pending = waiting.get(message.id);
    if (pending == null) return;
    waiting.delete(message.id);
    const answer = message as unknown as Answer;
    if ("error" in answer) pending.reject(Object.assign(new Error(answer.error.message), { code: answer.error.code }));
    else pending.resolve(answer.value);
  });
  process.on("disconnect", () => {
    for (const pending of waiting.values()) pending.reject(primaryGoneError(gone));
    waiting.clear();
  });
  return (payload) =>
    new Promise<unknown>((resolve, reject) => {
      if (process.send == null || !process.connected) {
        reject(primaryGoneError(gone));
        return;
      }
      const id = next++;
      waiting.set(id, { resolve, reject });
      process.send({ ...payload, undersign: kind, id }, undefined, undefined, (error) => {
        if (error == null) return;
        // The channel closed under the message: the primary is gone.
        waiting.delete(id);
        reject(primaryGoneError(`${gone} (${error.message})`));
      });
    });
}

/** The primary's side: answers each request of `kind` from `worker` with `handle`'s value (or its error). */
export function answerRequests(
  worker: Worker,
  kind: string,
  handle: (request: Record<string, unknown>) => unknown,
): void {
  const answerTag = `${kind}-answer`;
  worker.on("message", (message: unknown) => {
    if (!tagged(message, kind)) return;
    const id = message.id;
    const answer = (reply: Answer) => {
      if (worker.isConnected()) worker.send(reply, undefined, () => {});
    };
    Promise.resolve()
      .then(() => handle(message))
      .then(
        (value) => answer({ undersign: answerTag, id, value }),
        (error: Error & { code?: string }) =>
          answer({
            undersign: answerTag,
            id,
            error: { message: error.message, ...(error.code == null ? {} : { code: error.code }) },
          }),
      );
  });
}
