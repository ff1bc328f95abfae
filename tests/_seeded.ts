/**
 * Seeded randomness for tests: a failing seed can be replayed.
 *
 * @module
 */

import { seededRandom } from "../src/testing/seeded_random.ts";

export { seededRandom };

/**
 * Runs `fn` with `Math.random` replaced by a seeded source, restoring it after.
 *
 * @param seed The seed.
 * @param fn The work.
 * @returns What `fn` returned.
 */
export async function withSeededMathRandom<T>(
  seed: number,
  fn: () => Promise<T>,
): Promise<T> {
  const original = Math.random;
  Math.random = seededRandom(seed ^ 0x5bd1e995);
  try {
    return await fn();
  } finally {
    Math.random = original;
  }
}
