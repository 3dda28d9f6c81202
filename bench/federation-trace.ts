/**
 * Preloaded into the undersign server by the federation benchmark
 * (`node --import tsx --import ./bench/federation-trace.ts src/main.ts`):
 * registers a minimal OpenTelemetry tracer provider, which Fedify uses when
 * none is configured, and writes when each delivery step began and ended to
 * the JSON-lines file FEDERATION_TRACE_FILE:
 *
 * - `activitypub.fanout` PRODUCER: `ctx.sendActivity()` — the moment the
 *   activity is handed to Fedify until the fan-out message is queued;
 * - `activitypub.fanout` CONSUMER: the fan-out task (one outbox message per inbox);
 * - `activitypub.outbox` CONSUMER: one delivery task;
 * - `activitypub.send_activity` and `http_signatures.sign`: the HTTP request
 *   of a delivery and the signing inside it.
 *
 * Every other span costs one object and is not recorded; spans say they are
 * not recording, so Fedify skips its optional attributes.  Times are
 * CLOCK_MONOTONIC ms, comparable with the other processes'.
 */
import { appendFileSync } from "node:fs";
import {
  context,
  INVALID_SPAN_CONTEXT,
  SpanKind,
  trace,
  type Attributes,
  type AttributeValue,
  type Context,
  type Span,
  type SpanContext,
  type SpanOptions,
  type SpanStatus,
  type Tracer,
  type TracerProvider,
} from "@opentelemetry/api";

const FILE = process.env.FEDERATION_TRACE_FILE;
const RECORDED = new Set([
  "activitypub.fanout",
  "activitypub.outbox",
  "activitypub.send_activity",
  "http_signatures.sign",
]);
const KINDS = ["internal", "server", "client", "producer", "consumer"];

const now = () => Number(process.hrtime.bigint()) / 1e6;
let buffer: string[] = [];

function flush(): void {
  if (buffer.length === 0 || FILE == null) return;
  const lines = buffer.join("");
  buffer = [];
  appendFileSync(FILE, lines);
}
setInterval(flush, 100).unref();
process.on("exit", flush);

class BenchSpan implements Span {
  readonly #name: string;
  readonly #kind: number;
  readonly #start = now();
  readonly #record: boolean;
  #activity: string | undefined;
  #error = false;

  constructor(name: string, kind: number | undefined) {
    this.#name = name;
    this.#kind = kind ?? SpanKind.INTERNAL;
    this.#record = RECORDED.has(name);
  }
  spanContext(): SpanContext {
    return INVALID_SPAN_CONTEXT;
  }
  setAttribute(key: string, value: AttributeValue): this {
    if (key === "activitypub.activity.id" && typeof value === "string") this.#activity = value;
    return this;
  }
  setAttributes(attributes: Attributes): this {
    const id = attributes["activitypub.activity.id"];
    if (typeof id === "string") this.#activity = id;
    return this;
  }
  addEvent(): this {
    return this;
  }
  addLink(): this {
    return this;
  }
  addLinks(): this {
    return this;
  }
  setStatus(status: SpanStatus): this {
    if (status.code === 2) this.#error = true;
    return this;
  }
  updateName(): this {
    return this;
  }
  end(): void {
    if (!this.#record) return;
    buffer.push(
      `${JSON.stringify({
        name: this.#name,
        kind: KINDS[this.#kind],
        start: this.#start,
        end: now(),
        activity: this.#activity,
        error: this.#error,
      })}\n`,
    );
  }
  isRecording(): boolean {
    return false;
  }
  recordException(): void {}
}

class BenchTracer implements Tracer {
  startSpan(name: string, options?: SpanOptions): Span {
    const span = new BenchSpan(name, options?.kind);
    if (options?.attributes != null) span.setAttributes(options.attributes);
    return span;
  }
  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: unknown[]): ReturnType<F> {
    const fn = rest[rest.length - 1] as F;
    const options = (rest.length >= 2 ? rest[0] : undefined) as SpanOptions | undefined;
    const parent = (rest.length >= 3 ? rest[1] : context.active()) as Context;
    const span = this.startSpan(name, options);
    return context.with(trace.setSpan(parent, span), fn as (span: Span) => ReturnType<F>, undefined, span);
  }
}

const tracer = new BenchTracer();
const provider: TracerProvider = { getTracer: () => tracer };
if (FILE != null) trace.setGlobalTracerProvider(provider);
