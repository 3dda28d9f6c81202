/**
 * Captures what the site logs (category APP, from debug up, and any `extra`
 * categories) for the tests of one file: call `captureLogs()` at the top
 * level of a describe or file.
 */
import { configure, reset, type LogLevel, type LogRecord } from "@logtape/logtape";
import { afterAll, beforeAll } from "vitest";
import { APP } from "../../src/logging.ts";

export function captureLogs(extra: { category: string | string[]; lowestLevel: LogLevel }[] = []): LogRecord[] {
  const records: LogRecord[] = [];
  beforeAll(async () => {
    await configure({
      reset: true,
      sinks: { capture: (record) => records.push(record) },
      loggers: [
        { category: APP, lowestLevel: "debug", sinks: ["capture"] },
        ...extra.map((e) => ({ ...e, sinks: ["capture"] })),
        { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
      ],
    });
  });
  afterAll(() => reset());
  return records;
}
