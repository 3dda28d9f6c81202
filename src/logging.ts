/**
 * Logging setup (LogTape).  Categories: [APP], [APP, "web"],
 * [APP, "federation"], [APP, "db"], [APP, "declarations"], and "fedify".
 */
import { configure, getConsoleSink, getTextFormatter, type Sink } from "@logtape/logtape";
import type { LogLevel } from "./config.ts";

export const APP = "undersign";

export async function configureLogging(level: LogLevel, sink: Sink = getConsoleSink({ formatter: getTextFormatter() })): Promise<void> {
  await configure({
    reset: true,
    sinks: { main: sink },
    loggers: [
      { category: APP, lowestLevel: level, sinks: ["main"] },
      // Fedify is chatty at debug; it follows our level but never goes below info
      // unless the site owner asks for debug or trace explicitly.
      { category: "fedify", lowestLevel: level, sinks: ["main"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["main"] },
    ],
  });
}
