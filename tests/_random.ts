/**
 * Seeded randomness for tests: a failing seed can be replayed.
 *
 * @module
 */

/**
 * A deterministic pseudo-random source (mulberry32) in [0, 1).
 *
 * @param seed Any 32-bit integer.
 * @returns A function returning the next number.
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
