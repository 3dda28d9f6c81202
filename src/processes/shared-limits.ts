/**
 * Rate limits and recent-key windows that hold across the cluster's HTTP
 * processes (decision 0033).  The limiters (src/services/limits.ts) keep
 * their counts in memory; with N HTTP processes, each with its own copy, a
 * client spread over them by the cluster would get N times the allowance.
 * So in the cluster the primary keeps the one copy of each named limiter,
 * and an HTTP process calls its methods over IPC: each call runs in the
 * primary's single thread, so a `consume` is atomic across processes.
 *
 * Both sides use one asynchronous shape (`Shared<T>`, in limits.ts):
 * `localLimiters` wraps the process's own limiters (the single process) and
 * `remoteLimiters` sends each call to the primary.  Only the methods named
 * in `SHARED_METHODS` may be called, with plain arguments (strings,
 * numbers).
 */
import type { Worker } from "node:cluster";
import { SHARED_METHODS, type AnyFunction, type Shared, type SharedMethod } from "../services/limits.ts";
import { answerRequests, primaryCaller } from "./ipc.ts";

export { localLimiters, SHARED_METHODS, type Shared } from "../services/limits.ts";

function isSharedMethod(name: unknown): name is SharedMethod {
  return typeof name === "string" && (SHARED_METHODS as readonly string[]).includes(name);
}

function plainArgument(value: unknown): boolean {
  return typeof value === "string" || (typeof value === "number" && Number.isFinite(value)) || value === undefined;
}

/**
 * The primary's side: answers every HTTP process's calls on `limiters` (the
 * one copy of each).  A call to an unknown limiter or method, or with other
 * than plain arguments, is refused with an error naming it.
 */
export function serveLimiters(worker: Worker, limiters: Record<string, object>): void {
  answerRequests(worker, "limit", (request) => {
    const { name, method, args } = request;
    const limiter = typeof name === "string" && Object.hasOwn(limiters, name) ? limiters[name] : undefined;
    if (limiter == null) throw new Error(`No shared limiter named ${String(name)}`);
    const fn = isSharedMethod(method) ? (limiter as Record<string, unknown>)[method] : undefined;
    if (typeof fn !== "function")
      throw new Error(`The limiter ${name as string} has no shared method ${String(method)}`);
    if (!Array.isArray(args) || !args.every(plainArgument))
      throw new Error(`The arguments of ${name as string}.${method} must be strings or numbers`);
    return fn.apply(limiter, args);
  });
}

/**
 * An HTTP process's side: the primary's limiters named in `names`, in the
 * shared shape.  A call fails (rejects) when the primary is gone; the caller
 * decides whether that refuses the request.
 */
export function remoteLimiters<T extends Record<string, object>>(
  names: readonly (keyof T & string)[],
): { [N in keyof T]: Shared<T[N]> } {
  const call = primaryCaller("limit", "The primary process is gone; no limit could be checked");
  const shared = {} as Record<string, Record<string, AnyFunction>>;
  for (const name of names) {
    const methods: Record<string, AnyFunction> = {};
    for (const method of SHARED_METHODS) methods[method] = (...args: unknown[]) => call({ name, method, args });
    shared[name] = methods;
  }
  return shared as { [N in keyof T]: Shared<T[N]> };
}
