/**
 * How pages run diffs: on the diff pool (src/diff/pool.ts), never on the
 * thread that serves pages; results of immutable inputs (revisions) kept per
 * database handle, with a diff asked for twice at once computed once; and
 * every refusal (a text over the size limit, too many diffs waiting, a diff
 * past its deadline) turned into a clear message and status; `DiffBody`, how
 * a rendered diff is shown.
 */
import type { Context } from "hono";
import {
  DiffBusyError,
  DiffDeadlineError,
  diffPool,
  DiffTooLargeError,
  DiffWorkerError,
  isDiffRefusal,
  MAX_DIFF_TEXT_BYTES,
  type DiffJob,
  type OutcomeOf,
} from "../../diff/index.ts";
import type { WebEnv } from "./context.ts";
import { Layout } from "../layout/Layout.tsx";

/** Seconds a visitor is asked to wait before trying a refused diff again. */
export const DIFF_RETRY_AFTER_SECONDS = 30;

export interface DiffRefusal {
  /** 413: a text is over the size limit; 503: the comparison cannot be worked out just now. */
  readonly status: 413 | 503;
  /** A sentence for the visitor. */
  readonly message: string;
  /** The text over the limit, by the name the caller gave it. */
  readonly field?: string;
}

/** The refusal `error` stands for (texts named by `labels`), or `error` rethrown when it is not a refusal. */
export function diffRefusal(error: unknown, labels: Readonly<Record<string, string>> = {}): DiffRefusal {
  if (error instanceof DiffTooLargeError) {
    const label = labels[error.field] ?? error.field;
    return {
      status: 413,
      field: error.field,
      message: `${label} is too large to compare (${Math.ceil(error.bytes / 1024)} KB; comparisons take texts of up to ${MAX_DIFF_TEXT_BYTES / 1024} KB).`,
    };
  }
  if (error instanceof DiffBusyError)
    return {
      status: 503,
      message: "Too many comparisons are being worked out right now. Please try again in a minute.",
    };
  if (error instanceof DiffDeadlineError) {
    return {
      status: 503,
      message: "The comparison took too long to work out and was stopped. Please try again in a minute.",
    };
  }
  if (error instanceof DiffWorkerError)
    return { status: 503, message: "The comparison could not be worked out just now. Please try again in a minute." };
  throw error;
}

export type Tried<T> =
  | { readonly ok: true; readonly outcome: T }
  | { readonly ok: false; readonly refusal: DiffRefusal };

/** Runs `job` on the diff pool: its outcome, or the refusal (size, busy, deadline, worker lost). */
export async function tryDiff<J extends DiffJob>(
  job: J,
  labels?: Readonly<Record<string, string>>,
): Promise<Tried<OutcomeOf<J>>> {
  try {
    return { ok: true, outcome: await diffPool().run(job) };
  } catch (error) {
    if (!isDiffRefusal(error)) throw error;
    return { ok: false, refusal: diffRefusal(error, labels) };
  }
}

/**
 * Outcomes of diffs whose inputs never change (revisions), per database handle
 * and key, least recently used first out, at most `size` of them and (with
 * `weigh`, an estimate in bytes) at most `maxBytes` together: rendered diffs
 * of long texts are megabytes each.  A key asked for while it is being
 * computed waits for that computation; refusals are not kept.
 */
export class KeptDiffs<V> {
  readonly #size: number;
  readonly #maxBytes: number;
  readonly #weigh: (value: V) => number;
  readonly #kept = new WeakMap<object, Map<string, V>>();
  readonly #bytes = new WeakMap<object, number>();
  readonly #pending = new WeakMap<object, Map<string, Promise<V>>>();

  constructor(size: number, maxBytes = Infinity, weigh: (value: V) => number = () => 0) {
    this.#size = size;
    this.#maxBytes = maxBytes;
    this.#weigh = weigh;
  }

  /** The kept value, if any (marked as recently used). */
  peek(owner: object, key: string): V | undefined {
    const kept = this.#kept.get(owner);
    const value = kept?.get(key);
    if (kept != null && value !== undefined) {
      kept.delete(key);
      kept.set(key, value);
    }
    return value;
  }

  /** The value for `key`: kept, being computed, or computed now by `compute` and kept. */
  get(owner: object, key: string, compute: () => Promise<V>): Promise<V> {
    const value = this.peek(owner, key);
    if (value !== undefined) return Promise.resolve(value);
    let pending = this.#pending.get(owner);
    if (pending == null) {
      pending = new Map();
      this.#pending.set(owner, pending);
    }
    const running = pending.get(key);
    if (running != null) return running;
    const started = compute().then(
      (result) => {
        pending.delete(key);
        this.#keep(owner, key, result);
        return result;
      },
      (error: unknown) => {
        pending.delete(key);
        throw error;
      },
    );
    pending.set(key, started);
    return started;
  }

  /** Number of kept values for `owner` (for tests). */
  size(owner: object): number {
    return this.#kept.get(owner)?.size ?? 0;
  }

  /** Bytes kept for `owner`, by `weigh` (for tests). */
  bytes(owner: object): number {
    return this.#bytes.get(owner) ?? 0;
  }

  #keep(owner: object, key: string, value: V): void {
    const weight = this.#weigh(value);
    if (weight > this.#maxBytes) return;
    let kept = this.#kept.get(owner);
    if (kept == null) {
      kept = new Map();
      this.#kept.set(owner, kept);
    }
    let bytes = this.#bytes.get(owner) ?? 0;
    const drop = (k: string) => {
      bytes -= this.#weigh(kept.get(k)!);
      kept.delete(k);
    };
    if (kept.has(key)) drop(key);
    while (kept.size > 0 && (kept.size >= this.#size || bytes + weight > this.#maxBytes))
      drop(kept.keys().next().value!);
    kept.set(key, value);
    this.#bytes.set(owner, bytes + weight);
  }
}

/** Bytes of a string held in memory (UTF-16), for `KeptDiffs` weights. */
export function stringBytes(...texts: readonly (string | null | undefined)[]): number {
  let n = 64;
  for (const text of texts) n += 2 * (text?.length ?? 0);
  return n;
}

/** `KeptDiffs.get` running `job` on the pool, with refusals as values (never kept). */
export async function keptDiff<J extends DiffJob>(
  kept: KeptDiffs<OutcomeOf<J>>,
  owner: object,
  key: string,
  job: () => J,
  labels?: Readonly<Record<string, string>>,
): Promise<Tried<OutcomeOf<J>>> {
  try {
    return { ok: true, outcome: await kept.get(owner, key, () => diffPool().run(job())) };
  } catch (error) {
    if (!isDiffRefusal(error)) throw error;
    return { ok: false, refusal: diffRefusal(error, labels) };
  }
}

/** A page saying why a comparison is not shown: 413 (too large) or 503 with `Retry-After`. */
export function diffRefusalPage(c: Context<WebEnv>, refusal: DiffRefusal, back?: { href: string; text: string }) {
  const { config } = c.get("deps");
  if (refusal.status === 503) {
    c.header("Retry-After", String(DIFF_RETRY_AFTER_SECONDS));
    c.header("Cache-Control", "no-store");
  }
  const title = refusal.status === 413 ? "Too large to compare" : "Comparison not available just now";
  return c.html(
    <Layout title={title} siteName={config.instanceName}>
      <section class="error-page" aria-labelledby="diff-refusal-title">
        <h1 id="diff-refusal-title">{title}</h1>
        <p role="alert">{refusal.message}</p>
        <p>{back != null ? <a href={back.href}>{back.text}</a> : <a href="/">See all Declarations</a>}</p>
      </section>
    </Layout>,
    refusal.status,
  );
}

/**
 * A rendered diff with its legend: inline, or side by side in a region that
 * can scroll sideways on a phone (focusable so the keyboard can scroll it too).
 */
export function DiffBody(props: { view: "inline" | "side"; html: string }) {
  return (
    <>
      <p class="diff-legend">
        <ins class="diff-ins">Added words</ins> are underlined, <del class="diff-del">removed words</del> struck
        through.
      </p>
      {props.view === "side" ? (
        // biome-ignore lint/a11y/useSemanticElements: a scroll box inside the comparison, not a section of the page's outline
        <div
          class="diff-body diff-scroll"
          role="region"
          aria-label="Changes side by side"
          tabindex={0}
          dangerouslySetInnerHTML={{ __html: props.html }}
        />
      ) : (
        <div class="diff-body" dangerouslySetInnerHTML={{ __html: props.html }} />
      )}
    </>
  );
}
