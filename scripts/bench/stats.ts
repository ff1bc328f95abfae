/**
 * Percentiles and latency summaries for `deno task bench`. Pure: no runtime
 * APIs, so the normal test suite can run it on Deno, Node and Bun.
 *
 * The percentile is the library's one nearest-rank definition
 * (`src/pool/_percentile.ts`).
 *
 * @module
 */

import { percentile } from "../../src/pool/_percentile.ts";

/** What {@linkcode summarize} reports about a set of latency samples, in milliseconds. */
export interface LatencySummary {
  /** How many samples. */
  count: number;
  /** The smallest sample, or `NaN` when there are none. */
  min: number;
  /** The arithmetic mean, or `NaN` when there are none. */
  mean: number;
  /** Nearest-rank median. */
  p50: number;
  /** Nearest-rank 95th percentile. */
  p95: number;
  /** Nearest-rank 99th percentile. */
  p99: number;
  /** The largest sample, or `NaN` when there are none. */
  max: number;
}

/**
 * Summarises samples: count, min, mean, nearest-rank p50/p95/p99 and max. The
 * input is copied, not sorted in place.
 *
 * @param samples The samples, in any order.
 * @returns The summary; every figure but `count` is `NaN` for no samples.
 * @throws {RangeError} When a sample is `NaN` (it would sort arbitrarily).
 *
 * @example Summarising three latencies
 * ```ts
 * import { summarize } from "./stats.ts";
 * import assert from "node:assert/strict";
 *
 * const s = summarize([3, 1, 2]);
 * assert.deepEqual(s, { count: 3, min: 1, mean: 2, p50: 2, p95: 3, p99: 3, max: 3 });
 * ```
 */
export function summarize(samples: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(samples);
  let sum = 0;
  for (const value of sorted) {
    if (Number.isNaN(value)) {
      throw new RangeError("Cannot summarize latencies: a sample is NaN");
    }
    sum += value;
  }
  sorted.sort();
  const n = sorted.length;
  return {
    count: n,
    min: n ? sorted[0] : NaN,
    mean: n ? sum / n : NaN,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: n ? sorted[n - 1] : NaN,
  };
}

/**
 * A growable buffer of samples that avoids a JavaScript array of boxed
 * numbers: a run at 5,000 req/s records tens of thousands of latencies.
 *
 * @example Recording and summarising
 * ```ts
 * import { SampleBuffer } from "./stats.ts";
 * import assert from "node:assert/strict";
 *
 * const buffer = new SampleBuffer(2);
 * for (const ms of [5, 1, 3]) buffer.push(ms);
 * assert.equal(buffer.length, 3);
 * assert.equal(buffer.summary().p50, 3);
 * ```
 */
export class SampleBuffer {
  #data: Float64Array;
  #length = 0;

  /**
   * Makes an empty buffer.
   *
   * @param initialCapacity Samples to allocate room for at first.
   */
  constructor(initialCapacity = 1024) {
    this.#data = new Float64Array(Math.max(1, initialCapacity));
  }

  /** How many samples were pushed. */
  get length(): number {
    return this.#length;
  }

  /**
   * Appends one sample.
   *
   * @param value The sample.
   */
  push(value: number): void {
    if (this.#length === this.#data.length) {
      const grown = new Float64Array(this.#data.length * 2);
      grown.set(this.#data);
      this.#data = grown;
    }
    this.#data[this.#length++] = value;
  }

  /**
   * The samples pushed so far, as a view (not a copy).
   *
   * @returns A view of the first `length` samples.
   */
  values(): Float64Array {
    return this.#data.subarray(0, this.#length);
  }

  /**
   * Summarises the samples pushed so far.
   *
   * @returns Their {@linkcode LatencySummary}.
   */
  summary(): LatencySummary {
    return summarize(this.values());
  }
}
