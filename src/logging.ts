/**
 * Logging setup (LogTape).  Categories: [APP], [APP, "web"],
 * [APP, "federation"], [APP, "db"], [APP, "declarations"], and "fedify".
 *
 * Every line names the process that wrote it (`primary`, `web.2`, `worker.1`,
 * or `main` when the site runs as one process) and its pid, so the lines of
 * several processes sharing one log can be told apart (src/processes/).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { configure, getConsoleSink, getTextFormatter, type Sink } from "@logtape/logtape";
import type { LogLevel } from "./config.ts";

export const APP = "undersign";

const VERBOSE: readonly LogLevel[] = ["trace", "debug"];

let processName = "main";

/** Names this process in every log line from now on (call before `configureLogging`). */
export function setProcessName(name: string): void {
  processName = name;
}

/** The name of this process in the log, e.g. `web.2[4711]`. */
export function processLabel(): string {
  return `${processName}[${process.pid}]`;
}

export async function configureLogging(level: LogLevel, sink?: Sink): Promise<void> {
  const label = processLabel();
  const main =
    sink ??
    getConsoleSink({
      formatter: getTextFormatter({
        value: "bare",
        format: ({ timestamp, level, category, message }) => `${timestamp} [${level}] ${label} ${category}: ${message}`,
      }),
    });
  await configure({
    reset: true,
    contextLocalStorage: new AsyncLocalStorage(),
    sinks: { main },
    loggers: [
      { category: APP, lowestLevel: level, sinks: ["main"] },
      // Fedify logs every request at info; those lines are shown only when the
      // site owner asks for debug or trace.
      { category: "fedify", lowestLevel: VERBOSE.includes(level) ? level : "warning", sinks: ["main"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["main"] },
    ],
  });
}
