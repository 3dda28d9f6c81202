/**
 * One autocannon run against a server, summarised: successful requests per
 * second, latency percentiles, errors and unexpected statuses, and how much
 * CPU the server and this driver used meanwhile.
 */
import autocannon from "autocannon";
import { machineBusyMs, treeCpuMs } from "./processes.ts";

export interface LoadOptions {
  label: string;
  /** Base URL of the server, e.g. http://127.0.0.1:8000 */
  url: string;
  path: string;
  connections: number;
  seconds: number;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  /** A fresh body for every request (unique names), or a fixed body. */
  body?: (() => string) | string;
  /** Statuses that count as success (e.g. [201], [303], [200]). */
  expect: readonly number[];
  /** Server process whose CPU time is sampled (from /proc). */
  serverPid?: number;
  /** The server's recent output, shown when requests fail. */
  serverOutput?: () => string;
}

export interface Measurement {
  label: string;
  path: string;
  method: string;
  connections: number;
  seconds: number;
  /** Requests that completed with one of the expected statuses. */
  ok: number;
  /** Completed requests with any other status. */
  unexpected: number;
  /** Socket errors and timeouts. */
  errors: number;
  /** `ok` per second of the run. */
  rps: number;
  /** Latency percentiles over all requests (autocannon's figures), ms. */
  p50: number;
  p99: number;
  max: number;
  /**
   * p99 and max without each connection's first request.  Under full CPU load
   * Node admits about one new connection per event-loop turn, so the first
   * request of the later connections waits up to ~1.5 s at the start of a run
   * (also with a bare node:http server); these figures show the steady state.
   */
  p99Open: number;
  maxOpen: number;
  statuses: Record<string, number>;
  /** Requests per second the server answered meanwhile (all concurrent runs together), any status. */
  serverRps: number;
  /** Server CPU use in % of one core during the run (null when unknown). */
  serverCpu: number | null;
  /** This driver's CPU use in % of one core (all load running in it). */
  driverCpu: number;
  /** CPU used by every other process on the machine meanwhile, in % of one core (noise). */
  otherCpu: number | null;
}

export async function measure(options: LoadOptions): Promise<Measurement> {
  const method = options.method ?? "GET";
  const body = options.body;
  const request: autocannon.Request = {
    method,
    path: options.path,
    headers: options.headers ?? {},
    ...(typeof body === "string" ? { body } : {}),
    ...(typeof body === "function"
      ? {
          setupRequest: (req: autocannon.RequestData) => {
            req.body = body();
            return req;
          },
        }
      : {}),
  };
  const serverBefore = options.serverPid != null ? treeCpuMs(options.serverPid) : null;
  const driverBefore = process.cpuUsage();
  const machineBefore = machineBusyMs();
  const started = performance.now();
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    timeout: 20,
    requests: [request],
  });
  const seen = new Set<unknown>();
  let open = new Float64Array(1 << 16);
  let openCount = 0;
  instance.on("response", (client: unknown, _status: number, _bytes: number, responseTime: number) => {
    if (!seen.has(client)) {
      seen.add(client);
      return;
    }
    if (openCount === open.length) {
      const bigger = new Float64Array(open.length * 2);
      bigger.set(open);
      open = bigger;
    }
    open[openCount++] = responseTime;
  });
  const result = await instance;
  const sorted = open.subarray(0, openCount).sort();
  const percentile = (q: number) =>
    openCount === 0 ? Number.NaN : sorted[Math.min(openCount - 1, Math.ceil(q * openCount) - 1)]!;
  const elapsed = performance.now() - started;
  const serverAfter = options.serverPid != null ? treeCpuMs(options.serverPid) : null;
  const driver = process.cpuUsage(driverBefore);
  const machineAfter = machineBusyMs();

  const statuses: Record<string, number> = {};
  let ok = 0;
  let completed = 0;
  for (const [status, { count }] of Object.entries(result.statusCodeStats)) {
    statuses[status] = count;
    completed += count;
    if (options.expect.includes(Number(status))) ok += count;
  }
  const seconds = result.duration > 0 ? result.duration : elapsed / 1000;
  return {
    label: options.label,
    path: options.path,
    method,
    connections: options.connections,
    seconds,
    ok,
    unexpected: completed - ok,
    errors: result.errors + result.timeouts,
    rps: ok / seconds,
    serverRps: completed / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    p99Open: percentile(0.99),
    maxOpen: openCount === 0 ? Number.NaN : sorted[openCount - 1]!,
    statuses,
    serverCpu: serverBefore != null && serverAfter != null ? ((serverAfter - serverBefore) / elapsed) * 100 : null,
    driverCpu: ((driver.user + driver.system) / 1000 / elapsed) * 100,
    otherCpu:
      machineBefore != null && machineAfter != null && serverBefore != null && serverAfter != null
        ? Math.max(
            0,
            ((machineAfter - machineBefore - (serverAfter - serverBefore) - (driver.user + driver.system) / 1000) /
              elapsed) *
              100,
          )
        : null,
  };
}

/** Several runs at the same time (e.g. signing and page views); CPU figures cover all of them. */
export async function measureTogether(runs: LoadOptions[]): Promise<Measurement[]> {
  const results = await Promise.all(runs.map((run) => measure(run)));
  const total = results.reduce((sum, m) => sum + m.serverRps, 0);
  return results.map((m) => ({ ...m, serverRps: total }));
}
