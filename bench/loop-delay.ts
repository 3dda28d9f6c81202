/**
 * Preloaded into the undersign server by the diff benchmark
 * (`node --import tsx --import ./bench/loop-delay.ts src/main.ts`): measures
 * how late the event loop of the thread that serves pages runs (Node's
 * `monitorEventLoopDelay`, 10 ms resolution).  On SIGUSR2 it writes one line,
 * `loop-delay {"p50":…,"p99":…,"max":…,"samples":…}` (ms), for the time since
 * the previous SIGUSR2, and starts over.  A diff on this thread would show here
 * as a delay as long as the diff; scheduling delays of a busy machine show too.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";

const histogram = monitorEventLoopDelay({ resolution: 10 });
histogram.enable();
process.on("SIGUSR2", () => {
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  const line = {
    p50: ms(histogram.percentile(50)),
    p99: ms(histogram.percentile(99)),
    max: ms(histogram.max),
    samples: histogram.count,
  };
  process.stdout.write(`loop-delay ${JSON.stringify(line)}\n`);
  histogram.reset();
});
