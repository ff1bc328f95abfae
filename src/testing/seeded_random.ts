/**
 * Seeded randomness, so that a failing randomized test can be replayed.
 *
 * @module
 */

/**
 * A deterministic pseudo-random source (mulberry32) of numbers in [0, 1): the
 * same seed gives the same sequence on every runtime. Pass it as
 * `FaultyConnector`'s `random` to replay a fault sequence.
 *
 * @param seed Any integer (taken modulo 2^32).
 * @returns A function returning the next number.
 *
 * @example The same seed gives the same sequence
 * ```ts
 * import { seededRandom } from "@azure-clients/toolbox/testing";
 * import assert from "node:assert/strict";
 *
 * const a = seededRandom(42);
 * const b = seededRandom(42);
 * assert.equal(a(), b());
 * ```
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
