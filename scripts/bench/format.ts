/**
 * Number formatting shared by the bench's table, report and recommendation.
 * Deterministic (no locale lookup), so output and tests agree on every runtime.
 *
 * @module
 */

/**
 * Formats an integer part with comma thousands separators.
 *
 * @param value The number; rounded to an integer.
 * @returns For example `"5,000"`, or `"-"` for `NaN`.
 *
 * @example Grouping thousands
 * ```ts
 * import { formatCount } from "./format.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatCount(1234567.4), "1,234,567");
 * assert.equal(formatCount(12), "12");
 * ```
 */
export function formatCount(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? "-" : String(value);
  const rounded = Math.round(value);
  const digits = String(Math.abs(rounded));
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return rounded < 0 ? `-${grouped}` : grouped;
}

/**
 * Formats milliseconds with the precision a reader needs: two decimals under
 * 1 ms, one under 100 ms, none above, without trailing zeros.
 *
 * @param ms The duration in milliseconds.
 * @returns For example `"0.42"`, `"31.2"`, `"50"`, `"1,840"`, or `"-"` for `NaN`.
 *
 * @example Three magnitudes
 * ```ts
 * import { formatMs } from "./format.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatMs(0.4234), "0.42");
 * assert.equal(formatMs(31.25), "31.3");
 * assert.equal(formatMs(50), "50");
 * assert.equal(formatMs(1840.2), "1,840");
 * ```
 */
export function formatMs(ms: number): string {
  if (Number.isNaN(ms)) return "-";
  if (ms >= 99.95) return formatCount(ms);
  // Trailing zeros say nothing: 50 ms, not 50.0 ms.
  return ms.toFixed(ms < 1 ? 2 : 1).replace(/\.?0+$/, "");
}
