/**
 * "Did you mean" for option keys and names (internal; never re-exported): a
 * close name is one that differs only in case, starts or ends with the one
 * given, or is a few edits away (a typo: one for a name of three letters,
 * two, or a quarter of a long name's letters; none for a shorter name). One
 * rule for the pool, every client and the publisher.
 *
 * @module
 */

/** Edits between `a` and `b` (Levenshtein), giving up past `limit`. */
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + cost,
      );
      best = Math.min(best, current[j]);
    }
    if (best > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length];
}

/**
 * The known name closest to `given`, if one is close.
 *
 * @param given The name received.
 * @param known The names it may have meant.
 * @returns The closest known name, or `undefined`.
 */
export function closest(
  given: string,
  known: readonly string[],
): string | undefined {
  const lower = given.toLowerCase();
  const exact = known.find((name) => name.toLowerCase() === lower) ??
    known.find((name) => name.toLowerCase().startsWith(lower)) ??
    // `signal` for `abortSignal`: a known name that ends with the one given.
    (lower.length >= 4
      ? known.find((name) => name.toLowerCase().endsWith(lower))
      : undefined);
  if (exact !== undefined) return exact;
  // One or two letters are a typo away from any other short name.
  if (given.length < 3) return undefined;
  // Short names are all close to each other: demand more likeness there;
  // long ones may carry more typos (`operationTimeoutSecs`).
  const limit = given.length <= 3
    ? 1
    : Math.max(2, Math.floor(given.length / 4));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const name of known) {
    const d = distance(lower, name.toLowerCase(), limit);
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * ` (did you mean 'x'?)` when a known name is close, else nothing.
 *
 * @param given The name received.
 * @param known The names it may have meant.
 * @returns The hint, with a leading space, or an empty string.
 */
export function didYouMean(given: string, known: readonly string[]): string {
  const suggestion = closest(given, known);
  return suggestion === undefined ? "" : ` (did you mean '${suggestion}'?)`;
}
