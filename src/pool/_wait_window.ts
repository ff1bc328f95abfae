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
  /** Zero waits counted but not yet written: the hot path only counts. */
  #zeros = 0;

  constructor(size: number) {
    this.#samples = new Float64Array(size);
  }

  /** Records a caller served without waiting. */
  recordZero(): void {
    this.#zeros++;
  }

  /** Writes the counted zero waits into the ring, oldest first. */
  #writeZeros(): void {
    const samples = this.#samples;
    const size = samples.length;
    const zeros = Math.min(this.#zeros, size);
    this.#zeros = 0;
    const end = this.#next + zeros;
    samples.fill(0, this.#next, Math.min(end, size));
    if (end > size) samples.fill(0, 0, end - size);
    this.#next = end % size;
    this.#count = Math.min(size, this.#count + zeros);
  }

  /** Records one wait in milliseconds. */
  record(ms: number): void {
    if (this.#zeros !== 0) this.#writeZeros();
    this.#samples[this.#next] = ms;
    this.#next = this.#next + 1 === this.#samples.length ? 0 : this.#next + 1;
    if (this.#count < this.#samples.length) this.#count++;
  }

  /** The nearest-rank percentiles (fractions in 0..1) of the window; 0 when empty. */
  percentiles(...fractions: number[]): number[] {
    if (this.#zeros !== 0) this.#writeZeros();
    if (this.#count === 0) return fractions.map(() => 0);
    const sorted = this.#samples.slice(0, this.#count).sort();
    return fractions.map((p) => percentile(sorted, p * 100));
  }
}
