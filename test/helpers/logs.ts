/**
 * Log records kept in memory for a test: LogTape configured to push every
 * record of the app (debug and up), and of any `extra` categories, into
 * `records`.  Call `reset()` from @logtape/logtape when done.
 */
import { configure, type LogLevel, type LogRecord } from "@logtape/logtape";
import { APP } from "../../src/logging.ts";

export async function captureLogs(records: LogRecord[], extra: { category: string | string[]; lowestLevel: LogLevel }[] = []): Promise<void> {
  await configure({
    reset: true,
    sinks: { capture: (record) => records.push(record) },
    loggers: [
      { category: APP, lowestLevel: "debug", sinks: ["capture"] },
      ...extra.map((e) => ({ ...e, sinks: ["capture"] })),
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
    ],
  });
}
