/**
 * The one percentile definition of the library, its bench and its soak
 * (internal; never re-exported).
 *
 * @module
 */

/**
 * The nearest-rank percentile of samples sorted ascending: the smallest sample
 * such that at least `p` percent of all samples are less than or equal to it.
 * It is always one of the samples (no interpolation), so a p99 of 180 ms means
 * one caller in a hundred really waited 180 ms or more.
 *
 * @param sorted Samples sorted ascending (not checked).
 * @param p The percentile, in (0, 100].
 * @returns The percentile, or `NaN` when there are no samples.
 * @throws {RangeError} When `p` is not in (0, 100].
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) {
    nearestRank(0, p); // still refuses a bad p
    return NaN;
  }
  return sorted[nearestRank(sorted.length, p) - 1];
}

/**
 * The 1-based rank of the nearest-rank `p`th percentile among `count` sorted
 * samples, for a caller that keeps counts rather than samples (a histogram).
 *
 * @param count How many samples there are.
 * @param p The percentile, in (0, 100].
 * @returns The rank, in 1..count (0 when `count` is 0).
 * @throws {RangeError} When `p` is not in (0, 100].
 */
export function nearestRank(count: number, p: number): number {
  if (!(p > 0 && p <= 100)) {
    throw new RangeError(
      `Cannot compute a percentile as 'p' must be in (0, 100]: received ${p}`,
    );
  }
  if (count === 0) return 0;
  return Math.min(count, Math.max(1, Math.ceil((p / 100) * count)));
}
