/**
 * Acquire wait times over a recent window, for `pool.stats()`.
 *
 * @module
 */

import { percentile } from "./_percentile.ts";

/** A ring of the last `size` wait times; recording is O(1), reading sorts a copy. */
export class WaitWindow {
  readonly #samples: Float64Array;
  #next = 0;
  #count = 0;

  constructor(size: number) {
    this.#samples = new Float64Array(size);
  }

  /** Records one wait in milliseconds. */
  record(ms: number): void {
    this.#samples[this.#next] = ms;
    this.#next = this.#next + 1 === this.#samples.length ? 0 : this.#next + 1;
    if (this.#count < this.#samples.length) this.#count++;
  }

  /** The nearest-rank percentiles (fractions in 0..1) of the window; 0 when empty. */
  percentiles(...fractions: number[]): number[] {
    if (this.#count === 0) return fractions.map(() => 0);
    const sorted = this.#samples.slice(0, this.#count).sort();
    return fractions.map((p) => percentile(sorted, p * 100));
  }
}
