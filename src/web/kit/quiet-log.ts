/**
 * Logging for things that are expected to happen often and are not the
 * site's fault (a visitor closing the tab during an upload, a refused body):
 * one line, at a quiet level, at most once per interval, with the number of
 * the same events left out since the last line.  Anyone can cause these at
 * will, so the log must not grow with them.
 */
import type { Logger } from "@logtape/logtape";

export class QuietLog {
  readonly #logger: Logger;
  readonly #level: "debug" | "info";
  readonly #intervalMs: number;
  #last = -Infinity;
  #skipped = 0;

  constructor(logger: Logger, level: "debug" | "info", intervalMs = 60_000) {
    this.#logger = logger;
    this.#level = level;
    this.#intervalMs = intervalMs;
  }

  /** Logs `message` (a LogTape template) now, or counts it until the interval has passed. */
  note(message: string, properties: Record<string, unknown>, now: number = Date.now()): void {
    if (now - this.#last < this.#intervalMs) {
      this.#skipped++;
      return;
    }
    const skipped = this.#skipped;
    this.#last = now;
    this.#skipped = 0;
    const suffix = skipped > 0 ? ` ({skipped} more like it since the last such line)` : "";
    this.#logger[this.#level](`${message}${suffix}`, { ...properties, skipped });
  }
}

/** Whether `error` is a client that went away (closed the connection) while we read its request. */
export function isClientAbort(error: unknown): boolean {
  if (typeof error !== "object" || error == null) return false;
  const { code, name, message } = error as { code?: unknown; name?: unknown; message?: unknown };
  return (
    code === "ECONNRESET" ||
    code === "ECONNABORTED" ||
    code === "EPIPE" ||
    code === "ERR_STREAM_PREMATURE_CLOSE" ||
    name === "AbortError" ||
    (name === "Error" && message === "aborted")
  );
}
