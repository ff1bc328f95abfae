/**
 * The rule that turns a grid of bench results into one pool configuration to
 * set, with the reasons. Pure, so the normal test suite checks it.
 *
 * "Smallest" orders configurations by `maxSize` (connections are what cost:
 * sockets, handshakes, service-side connection quotas), then by `clientLimit`
 * (fewer callers sharing one connection), then by `maxConcurrentCreates`.
 * Ties break on the wait for a connection: among configurations of the
 * smallest qualifying `maxSize` with the same latency as the smallest one
 * (see {@linkcode sameLatency}), the smallest whose acquire-wait p99 is the
 * same as the least of theirs wins. A lower `clientLimit` that makes callers
 * queue for a connection buys nothing at equal latency, and its queue is
 * what a burst turns into timeouts.
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
  /**
   * Instances of the service that each run one such pool (`--instances`).
   * @default {undefined}
   */
  instances?: number;
  /**
   * Connections the service allows per namespace or account
   * (`--connection-quota`), shared by every instance.
   * @default {undefined}
   */
  connectionQuota?: number;
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
  /**
   * Whether instances x `maxSize` fits the connection quota, when
   * `instances` or `connectionQuota` was given and there is a choice.
   */
  fleet: string | undefined;
  /** The pool options of the choice, to paste: `{ maxSize: 4, clientLimit: 50 }`. */
  options: string | undefined;
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
 * The pool options of a configuration as code to paste; `maxConcurrentCreates`
 * only when it was set explicitly.
 *
 * @param settings The configuration.
 * @returns For example `"{ maxSize: 4, clientLimit: 50 }"`.
 *
 * @example Options to paste
 * ```ts
 * import { optionsToPaste } from "./recommend.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   optionsToPaste({ clientLimit: 50, maxSize: 4, maxConcurrentCreates: undefined }),
 *   "{ maxSize: 4, clientLimit: 50 }",
 * );
 * ```
 */
export function optionsToPaste(settings: PoolSettings): string {
  const creates = settings.maxConcurrentCreates === undefined
    ? ""
    : `, maxConcurrentCreates: ${settings.maxConcurrentCreates}`;
  return `{ maxSize: ${settings.maxSize}, clientLimit: ${settings.clientLimit}${creates} }`;
}

/** Two p99s closer than this share of the lower one count as the same latency... */
export const SAME_LATENCY_RATIO = 0.1;
/** ...or closer than this many milliseconds, whichever is larger. */
export const SAME_LATENCY_MS = 1;

/**
 * Whether two latencies (whole-operation p99s, or acquire-wait p99s) count as
 * the same: within 10% of the lower one, or within 1 ms, whichever is
 * larger. Differences that small are within the run-to-run noise of the
 * bench (the sample run in the README shows 25.7 to 26.2 ms for three
 * clientLimits at maxSize 4), so they must not decide between two
 * configurations.
 *
 * @param a One p99, milliseconds.
 * @param b The other p99, milliseconds.
 * @returns Whether they are the same latency.
 *
 * @example 26 and 26.2 ms are the same; 26 and 30 ms are not
 * ```ts
 * import { sameLatency } from "./recommend.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(sameLatency(26, 26.2), true);
 * assert.equal(sameLatency(26, 30), false);
 * assert.equal(sameLatency(2, 2.9), true);
 * ```
 */
export function sameLatency(a: number, b: number): boolean {
  const tolerance = Math.max(
    SAME_LATENCY_RATIO * Math.min(a, b),
    SAME_LATENCY_MS,
  );
  // The epsilon keeps "within 10%" inclusive despite binary fractions.
  return Math.abs(a - b) <= tolerance + 1e-9;
}

function waitFigures(cell: CellResult): string {
  return `wait p99 ${formatMs(cell.wait.p99)} ms` +
    (Number.isNaN(cell.waited)
      ? ""
      : `, ${formatCount(cell.waited)} ${
        cell.waited === 1 ? "caller" : "callers"
      } waited`);
}

/**
 * Whether `instances` pools of `maxSize` fit the connection quota, in words.
 *
 * @param maxSize The chosen `maxSize`.
 * @param options `instances` and `connectionQuota`; either may be missing.
 * @param smallestMet Whether `maxSize` is the smallest that met the target
 * (so no smaller one is worth suggesting).
 * @returns The sentence, or `undefined` when neither figure was given.
 *
 * @example Ten instances of 4 connections within a quota of 100
 * ```ts
 * import { fleetCheck } from "./recommend.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   fleetCheck(4, { targetP99Ms: 50, instances: 10, connectionQuota: 100 }, true),
 *   "Fleet: 10 instances x maxSize 4 = 40 connections fit the connection quota of 100 (60 to spare)",
 * );
 * ```
 */
export function fleetCheck(
  maxSize: number,
  options: RecommendOptions,
  smallestMet: boolean,
): string | undefined {
  const { instances, connectionQuota: quota } = options;
  if (instances === undefined && quota === undefined) return undefined;
  const plural = (n: number, word: string) =>
    `${formatCount(n)} ${n === 1 ? word : `${word}s`}`;
  if (instances === undefined) {
    return `Fleet: at most ${
      plural(Math.floor(quota! / maxSize), "instance")
    } of maxSize ${maxSize} fit the connection quota of ${
      formatCount(quota!)
    } (give --instances to check a fleet)`;
  }
  const total = instances * maxSize;
  const fleet = `Fleet: ${
    plural(instances, "instance")
  } x maxSize ${maxSize} = ${plural(total, "connection")}`;
  if (quota === undefined) {
    return `${fleet} (give --connection-quota to check them against the service's quota)`;
  }
  if (total <= quota) {
    return `${fleet} fit the connection quota of ${formatCount(quota)} (${
      formatCount(quota - total)
    } to spare)`;
  }
  const largest = Math.floor(quota / instances);
  const instead = largest < 1
    ? `even at maxSize 1, ${
      plural(instances, "instance")
    } need more than the quota`
    : `${plural(instances, "instance")} need maxSize ${largest} or less` +
      (smallestMet ? ", and no configuration that small met the target" : "");
  return `${fleet} exceed the connection quota of ${formatCount(quota)}. ` +
    `At most ${
      plural(Math.floor(quota / maxSize), "instance")
    } of maxSize ${maxSize} fit; ${instead}`;
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
 * served at least 95% of the offered rate; ties of latency at that `maxSize`
 * break on the acquire wait (see the module doc). When none did, it says so
 * and offers the closest one (lowest p99). With `instances` or
 * `connectionQuota` it also checks the fleet against the quota, and it ends
 * with the options to paste.
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
      fleet: undefined,
      options: undefined,
    };
  }
  const sorted = [...results].sort(compareSize);
  const meets = (cell: CellResult) => misses(cell, options).length === 0;
  const smallest = sorted.find(meets);
  if (smallest === undefined) {
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
      fleet: fleetCheck(best.settings.maxSize, options, false),
      options: optionsToPaste(best.settings),
    };
  }
  // Ties: the same maxSize and the same latency as the smallest that met.
  // Of those, the smallest whose callers waited no longer than the least
  // waiting one (within the same tolerance) wins.
  const contenders = sorted.filter((cell) =>
    cell.settings.maxSize === smallest.settings.maxSize && meets(cell) &&
    sameLatency(cell.latency.p99, smallest.latency.p99)
  );
  const leastWait = Math.min(
    ...contenders.map((cell) =>
      Number.isNaN(cell.wait.p99) ? Infinity : cell.wait.p99
    ),
  );
  const choice =
    contenders.find((cell) => sameLatency(cell.wait.p99, leastWait)) ??
      smallest;
  const reasons = [
    `${describeSettings(choice.settings)}: ${figures(choice, options)}` +
    (choice === smallest ? "" : `; ${waitFigures(choice)}`),
  ];
  const smaller = sorted.filter((cell) => compareSize(cell, choice) < 0);
  // One line per smaller maxSize (its closest cell stands for all), then each
  // smaller clientLimit at the chosen maxSize: the alternatives a user would try.
  const sizes = [...new Set(smaller.map((cell) => cell.settings.maxSize))];
  for (const size of sizes) {
    const cells = smaller.filter((cell) => cell.settings.maxSize === size);
    if (size === choice.settings.maxSize) {
      for (const cell of cells) {
        const label = describeSettings(cell.settings);
        if (contenders.includes(cell)) {
          reasons.push(
            `${label} met too, at the same latency (p99 ${
              formatMs(cell.latency.p99)
            } ms), but its callers waited for a connection: ${
              waitFigures(cell)
            }`,
          );
        } else if (meets(cell)) {
          reasons.push(
            `${label} met too, but slower: p99 ${
              formatMs(cell.latency.p99)
            } ms`,
          );
        } else {
          reasons.push(`${label} missed: ${misses(cell, options).join(", ")}`);
        }
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
      `at ${describeLoad(options)}` +
      (choice === smallest
        ? ""
        : "; a lower clientLimit had the same latency but made callers wait for a connection"),
    reasons,
    fleet: fleetCheck(choice.settings.maxSize, options, true),
    options: optionsToPaste(choice.settings),
  };
}
