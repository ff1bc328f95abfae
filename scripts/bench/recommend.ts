/**
 * The rule that turns a grid of bench results into one pool configuration to
 * set, with the reasons. Pure, so the normal test suite checks it.
 *
 * "Smallest" orders configurations by `maxSize` (connections are what cost:
 * sockets, handshakes, service-side connection quotas), then by `clientLimit`
 * (fewer callers sharing one connection), then by `maxConcurrentCreates`.
 *
 * @module
 */

import { formatCount, formatMs } from "./format.ts";
import type { CellResult, PoolSettings } from "./types.ts";

/** The target and the load a recommendation is made for. */
export interface RecommendOptions {
  /** The largest acceptable p99 of the whole operation, in milliseconds. */
  targetP99Ms: number;
  /**
   * The offered arrival rate in requests per second (open loop). A
   * configuration must serve at least `minServedRatio` of it.
   * @default {undefined} (closed loop: no throughput requirement)
   */
  offeredRate?: number;
  /**
   * The number of callers in a closed-loop run, used only in the wording.
   * @default {undefined}
   */
  concurrency?: number;
  /**
   * The share of the offered rate a configuration must serve.
   * @default {0.95}
   */
  minServedRatio?: number;
}

/** The outcome of {@linkcode recommend}. */
export interface Recommendation {
  /** Whether the chosen configuration meets the target. */
  met: boolean;
  /** The configuration to set: the smallest that met the target, else the closest. */
  choice: CellResult | undefined;
  /** One line: what to set. */
  summary: string;
  /** Why: the choice's figures, then what the smaller configurations missed. */
  reasons: string[];
}

/**
 * Names a configuration the way the report does.
 *
 * @param settings The configuration.
 * @returns For example `"maxSize 4 x clientLimit 50"`, with
 * `maxConcurrentCreates` appended when it was set explicitly.
 *
 * @example Naming a cell
 * ```ts
 * import { describeSettings } from "./recommend.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   describeSettings({ clientLimit: 50, maxSize: 4, maxConcurrentCreates: undefined }),
 *   "maxSize 4 x clientLimit 50",
 * );
 * ```
 */
export function describeSettings(settings: PoolSettings): string {
  const base =
    `maxSize ${settings.maxSize} x clientLimit ${settings.clientLimit}`;
  return settings.maxConcurrentCreates === undefined
    ? base
    : `${base} x maxConcurrentCreates ${settings.maxConcurrentCreates}`;
}

/**
 * Compares two cells by size: `maxSize`, then `clientLimit`, then the
 * effective `maxConcurrentCreates`.
 *
 * @param a One cell.
 * @param b The other cell.
 * @returns Negative when `a` is smaller, positive when larger, 0 when equal.
 *
 * @example Fewer connections come first
 * ```ts
 * import { compareSize } from "./recommend.ts";
 * import assert from "node:assert/strict";
 *
 * const cell = (maxSize: number, clientLimit: number) =>
 *   ({ settings: { maxSize, clientLimit }, effectiveMaxConcurrentCreates: 1 }) as never;
 * assert.ok(compareSize(cell(2, 100), cell(4, 10)) < 0);
 * assert.ok(compareSize(cell(4, 10), cell(4, 50)) < 0);
 * ```
 */
export function compareSize(a: CellResult, b: CellResult): number {
  return a.settings.maxSize - b.settings.maxSize ||
    a.settings.clientLimit - b.settings.clientLimit ||
    a.effectiveMaxConcurrentCreates - b.effectiveMaxConcurrentCreates;
}

/**
 * Lists what a cell missed against the target, empty when it met it.
 *
 * @param cell The cell.
 * @param options The target and load.
 * @returns Short phrases, for example `["p99 180 ms > 50 ms", "312 timeouts"]`.
 *
 * @example A cell that was too slow
 * ```ts
 * import { misses } from "./recommend.ts";
 * import assert from "node:assert/strict";
 *
 * const cell = {
 *   requests: 100, succeeded: 100, timeouts: 0, errors: 0, throughput: 1000,
 *   latency: { count: 100, p99: 180 },
 * } as never;
 * assert.deepEqual(misses(cell, { targetP99Ms: 50 }), ["p99 180 ms > 50 ms"]);
 * ```
 */
export function misses(cell: CellResult, options: RecommendOptions): string[] {
  const out: string[] = [];
  if (cell.latency.count === 0) out.push("no request completed");
  else if (!(cell.latency.p99 <= options.targetP99Ms)) {
    out.push(
      `p99 ${formatMs(cell.latency.p99)} ms > ${
        formatMs(options.targetP99Ms)
      } ms`,
    );
  }
  if (cell.timeouts > 0) out.push(`${formatCount(cell.timeouts)} timeouts`);
  if (cell.errors > 0) out.push(`${formatCount(cell.errors)} errors`);
  const offered = options.offeredRate ?? 0;
  const ratio = options.minServedRatio ?? 0.95;
  if (offered > 0 && cell.throughput < offered * ratio) {
    out.push(
      `served ${formatCount(cell.throughput)} of ${formatCount(offered)} req/s`,
    );
  }
  return out;
}

function describeLoad(options: RecommendOptions): string {
  if (options.offeredRate !== undefined && options.offeredRate > 0) {
    return `${formatCount(options.offeredRate)} req/s`;
  }
  if (options.concurrency !== undefined) {
    return `${formatCount(options.concurrency)} concurrent callers`;
  }
  return "the requested load";
}

function figures(cell: CellResult, options: RecommendOptions): string {
  return `p99 ${formatMs(cell.latency.p99)} ms` +
    (cell.latency.p99 <= options.targetP99Ms ? " ≤ " : " > ") +
    `${formatMs(options.targetP99Ms)} ms at ${describeLoad(options)} ` +
    `(${formatCount(cell.throughput)} req/s served, ` +
    `${formatCount(cell.timeouts)} timeouts, ${formatCount(cell.opened)} ` +
    `${cell.opened === 1 ? "connection" : "connections"} opened)`;
}

/** Orders failing cells by how close they came: lowest p99, then fewest failures, then size. */
function closest(a: CellResult, b: CellResult): number {
  const pa = a.latency.count ? a.latency.p99 : Infinity;
  const pb = b.latency.count ? b.latency.p99 : Infinity;
  return pa - pb || (a.timeouts + a.errors) - (b.timeouts + b.errors) ||
    compareSize(a, b);
}

/**
 * Chooses the smallest configuration (see the module doc for "smallest") whose
 * whole-operation p99 is within the target, with no timeouts or errors, that
 * served at least 95% of the offered rate. When none did, it says so and
 * offers the closest one (lowest p99).
 *
 * @param results The grid's results, in any order.
 * @param options The target and the load.
 * @returns The choice, a one-line summary and the reasons.
 * @throws {RangeError} When `targetP99Ms` is not a positive number.
 *
 * @example Choosing between two sizes
 * ```ts
 * import { recommend } from "./recommend.ts";
 * import assert from "node:assert/strict";
 *
 * const cell = (maxSize: number, p99: number) => ({
 *   settings: { clientLimit: 50, maxSize, maxConcurrentCreates: undefined },
 *   effectiveMaxConcurrentCreates: 1, requests: 1000, succeeded: 1000, timeouts: 0,
 *   errors: 0, waited: 0, opened: maxSize, offeredRate: 500, throughput: 500, seconds: 2,
 *   wait: { count: 1000, min: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0 },
 *   latency: { count: 1000, min: 2, mean: 3, p50: 3, p95: p99, p99, max: p99 },
 * });
 * const r = recommend([cell(4, 31), cell(2, 180)], { targetP99Ms: 50, offeredRate: 500 });
 * assert.equal(r.met, true);
 * assert.equal(r.choice?.settings.maxSize, 4);
 * assert.match(r.reasons.join("\n"), /maxSize 2 x clientLimit 50 missed: p99 180 ms > 50 ms/);
 * ```
 */
export function recommend(
  results: readonly CellResult[],
  options: RecommendOptions,
): Recommendation {
  if (!(options.targetP99Ms > 0) || !Number.isFinite(options.targetP99Ms)) {
    throw new RangeError(
      `Cannot recommend a pool: targetP99Ms must be a positive number, got ${options.targetP99Ms}`,
    );
  }
  const target = `p99 ≤ ${formatMs(options.targetP99Ms)} ms`;
  if (results.length === 0) {
    return {
      met: false,
      choice: undefined,
      summary: "No results: nothing to recommend",
      reasons: [],
    };
  }
  const sorted = [...results].sort(compareSize);
  const choice = sorted.find((cell) => misses(cell, options).length === 0);
  if (choice === undefined) {
    const best = [...results].sort(closest)[0];
    const largest = sorted[sorted.length - 1];
    return {
      met: false,
      choice: best,
      summary: `No configuration met ${target} at ${describeLoad(options)}; ` +
        `the closest was ${describeSettings(best.settings)}`,
      reasons: [
        `${describeSettings(best.settings)}: ${
          misses(best, options).join(", ")
        }`,
        `Even the largest, ${describeSettings(largest.settings)}, missed: ` +
        `${misses(largest, options).join(", ")}`,
        "Try larger --max-size or --client-limit values, a longer --acquire-timeout-seconds, " +
        "or a lower load",
      ],
    };
  }
  const reasons = [
    `${describeSettings(choice.settings)}: ${figures(choice, options)}`,
  ];
  const smaller = sorted.filter((cell) => compareSize(cell, choice) < 0);
  // One line per smaller maxSize (its closest cell stands for all), then each
  // smaller clientLimit at the chosen maxSize: the alternatives a user would try.
  const sizes = [...new Set(smaller.map((cell) => cell.settings.maxSize))];
  for (const size of sizes) {
    const cells = smaller.filter((cell) => cell.settings.maxSize === size);
    if (size === choice.settings.maxSize) {
      for (const cell of cells) {
        reasons.push(
          `${describeSettings(cell.settings)} missed: ${
            misses(cell, options).join(", ")
          }`,
        );
      }
    } else {
      const best = [...cells].sort(closest)[0];
      const label = cells.length > 1
        ? `maxSize ${size} missed at every clientLimit tried; its closest, ` +
          `${describeSettings(best.settings)}`
        : `${describeSettings(best.settings)} missed`;
      reasons.push(`${label}: ${misses(best, options).join(", ")}`);
    }
  }
  return {
    met: true,
    choice,
    summary:
      `Set ${
        describeSettings(choice.settings)
      }: the smallest pool that met ${target} ` +
      `at ${describeLoad(options)}`,
    reasons,
  };
}
