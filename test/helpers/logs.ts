/**
 * Captures what the site logs (category APP, from debug up) for the tests of
 * one file: call `captureLogs()` at the top level of a describe or file.
 */
import { configure, reset, type LogRecord } from "@logtape/logtape";
import { afterAll, beforeAll } from "vitest";
import { APP } from "../../src/logging.ts";

export function captureLogs(): LogRecord[] {
  const records: LogRecord[] = [];
  beforeAll(async () => {
    await configure({
      reset: true,
      sinks: { capture: (record) => records.push(record) },
      loggers: [
        { category: APP, lowestLevel: "debug", sinks: ["capture"] },
        { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
      ],
    });
  });
  afterAll(() => reset());
  return records;
}
