/**
 * Logging setup (LogTape).  Categories: [APP], [APP, "web"],
 * [APP, "federation"], [APP, "db"], [APP, "declarations"], and "fedify".
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { configure, getConsoleSink, getTextFormatter, type Sink } from "@logtape/logtape";
import type { LogLevel } from "./config.ts";

export const APP = "undersign";

const VERBOSE: readonly LogLevel[] = ["trace", "debug"];

export async function configureLogging(
  level: LogLevel,
  sink: Sink = getConsoleSink({ formatter: getTextFormatter({ value: "bare" }) }),
): Promise<void> {
  await configure({
    reset: true,
    contextLocalStorage: new AsyncLocalStorage(),
    sinks: { main: sink },
    loggers: [
      { category: APP, lowestLevel: level, sinks: ["main"] },
      // Fedify logs every request at info; those lines are shown only when the
      // site owner asks for debug or trace.
      { category: "fedify", lowestLevel: VERBOSE.includes(level) ? level : "warning", sinks: ["main"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["main"] },
    ],
  });
}
