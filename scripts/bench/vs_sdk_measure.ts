/**
 * Closed-loop measurements for `deno task bench:vs-sdk`: `concurrency`
 * callers each run one operation after another, either through a warm-up and
 * a measured window (throughput from the operations that finish in the
 * window) or for a fixed number of operations (the slow new-client rows).
 * Runtime-agnostic: `performance.now()` and promises only.
 *
 * @module
 */

import { SampleBuffer } from "./stats.ts";

/** The longest a measured window is stretched to (see `measureWindow`), ms. */
export const MAX_WINDOW_MS = 5000;

/** What one measurement found. */
export interface Figures {
  /** Operations that finished in the window (or in all, for a count). */
  ops: number;
  /** Of those, how many failed (not counted in the latencies). */
  errors: number;
  /** Successful operations per second. */
  opsPerSecond: number;
  /** Median latency of the successful operations, ms. */
  p50Ms: number;
  /** 99th percentile latency of the successful operations, ms. */
  p99Ms: number;
  /** The first error's message, to say why a row failed. */
  firstError?: string;
}

/** An operation: `i` counts from 0 within one measurement. */
export type Operation = (i: number) => Promise<void>;

function figures(
  latencies: SampleBuffer,
  errors: number,
  seconds: number,
  firstError: string | undefined,
): Figures {
  const summary = latencies.summary();
  return {
    ops: latencies.length + errors,
    errors,
    opsPerSecond: latencies.length / seconds,
    p50Ms: summary.p50,
    p99Ms: summary.p99,
    ...(firstError === undefined ? {} : { firstError }),
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs `concurrency` callers through a warm-up, then counts the operations
 * that finish inside a window of `windowMs`; waits for the ones in flight at
 * the end before resolving. The warm-up lasts `warmupMs` and until every
 * caller finished one operation (or `maxWarmupMs` passed), so that the window
 * starts in the steady state even where the first operations are slow (500
 * callers opening connections through an added latency). The window lasts at
 * least eight times the slowest of those first operations (at most
 * `MAX_WINDOW_MS`), so that every caller finishes several operations in it:
 * a window as short as one operation's latency counts quantization, not
 * throughput (500 Cosmos callers each take 0.3 s per operation).
 *
 * @param op The operation.
 * @param options Callers, warm-up and window.
 * @returns The window's figures.
 *
 * @example Two callers for 50 ms
 * ```ts
 * import { measureWindow } from "./vs_sdk_measure.ts";
 * import assert from "node:assert/strict";
 *
 * const figures = await measureWindow(
 *   () => new Promise((resolve) => setTimeout(resolve, 1)),
 *   { concurrency: 2, warmupMs: 10, windowMs: 50 },
 * );
 * assert.ok(figures.ops > 0);
 * assert.equal(figures.errors, 0);
 * ```
 */
export async function measureWindow(
  op: Operation,
  options: {
    concurrency: number;
    warmupMs: number;
    windowMs: number;
    maxWarmupMs?: number;
  },
): Promise<Figures> {
  const latencies = new SampleBuffer(4096);
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const begin = performance.now();
  const warmUntil = begin + options.warmupMs;
  const giveUpWarming = begin + (options.maxWarmupMs ?? 30_000);
  let warmed = 0;
  let slowestFirstMs = 0;
  let windowStart = Infinity;
  let windowEnd = Infinity;
  let windowMs = options.windowMs;
  const startWindow = (now: number) => {
    windowStart = Math.max(now, warmUntil);
    windowMs = Math.max(
      options.windowMs,
      Math.min(MAX_WINDOW_MS, 8 * slowestFirstMs),
    );
    windowEnd = windowStart + windowMs;
  };
  const caller = async () => {
    let first = true;
    while (performance.now() < windowEnd) {
      const started = performance.now();
      let failed = false;
      try {
        await op(next++);
      } catch (error) {
        failed = true;
        firstError ??= message(error);
      }
      const ended = performance.now();
      if (first) {
        first = false;
        warmed++;
        slowestFirstMs = Math.max(slowestFirstMs, ended - started);
      }
      if (
        windowEnd === Infinity &&
        (warmed === options.concurrency || ended >= giveUpWarming)
      ) {
        startWindow(ended);
      }
      if (ended < windowStart || ended > windowEnd) continue;
      if (failed) errors++;
      else latencies.push(ended - started);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, caller));
  return figures(latencies, errors, windowMs / 1000, firstError);
}

/**
 * Runs `count` operations at `concurrency` callers (at most `count`) and
 * measures them all.
 *
 * @param op The operation.
 * @param options Callers and how many operations.
 * @returns The figures over every operation.
 *
 * @example Ten operations, two at a time
 * ```ts
 * import { measureCount } from "./vs_sdk_measure.ts";
 * import assert from "node:assert/strict";
 *
 * const figures = await measureCount(() => Promise.resolve(), { concurrency: 2, count: 10 });
 * assert.equal(figures.ops, 10);
 * ```
 */
export async function measureCount(
  op: Operation,
  options: { concurrency: number; count: number },
): Promise<Figures> {
  const latencies = new SampleBuffer(options.count);
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const begin = performance.now();
  const caller = async () => {
    while (next < options.count) {
      const started = performance.now();
      try {
        await op(next++);
        latencies.push(performance.now() - started);
      } catch (error) {
        errors++;
        firstError ??= message(error);
      }
    }
  };
  const callers = Math.min(options.concurrency, options.count);
  await Promise.all(Array.from({ length: callers }, caller));
  const seconds = Math.max(performance.now() - begin, 1e-3) / 1000;
  return figures(latencies, errors, seconds, firstError);
}
