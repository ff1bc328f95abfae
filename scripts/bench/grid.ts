/**
 * The grid of `deno task bench`: the configurations to run, and the loop that
 * runs them one after another, telling its caller about each result as soon
 * as its configuration finishes (so a piped run prints row by row).
 *
 * @module
 */

import { formatMs } from "./format.ts";
import { describeSettings } from "./recommend.ts";
import {
  type BenchBackend,
  type CellProgress,
  type LoadShape,
  runCell,
} from "./runner.ts";
import type { CellResult, PoolSettings } from "./types.ts";

/** The launcher falling further behind its schedule than this is worth a warning. */
export const LAG_WARNING_MS = 50;

/** The grid's axes. */
export interface GridAxes {
  /** `clientLimit` values. */
  clientLimits: readonly number[];
  /** `maxSize` values. */
  maxSizes: readonly number[];
  /** `maxConcurrentCreates` values; `undefined` is the pool's default. */
  maxConcurrentCreates: readonly (number | undefined)[];
}

/**
 * Every configuration of the grid, `maxConcurrentCreates` clamped to
 * `maxSize` (the pool rejects more) and duplicates dropped.
 *
 * @param axes The grid's axes.
 * @returns The configurations, in run order.
 *
 * @example Clamping creates to maxSize
 * ```ts
 * import { gridCells } from "./grid.ts";
 * import assert from "node:assert/strict";
 *
 * const cells = gridCells({ clientLimits: [10], maxSizes: [1, 4], maxConcurrentCreates: [2] });
 * assert.deepEqual(cells.map((c) => c.maxConcurrentCreates), [1, 2]);
 * ```
 */
export function gridCells(axes: GridAxes): PoolSettings[] {
  const cells = new Map<string, PoolSettings>();
  for (const creates of axes.maxConcurrentCreates) {
    for (const clientLimit of axes.clientLimits) {
      for (const maxSize of axes.maxSizes) {
        const maxConcurrentCreates = creates === undefined
          ? undefined
          : Math.min(creates, maxSize);
        const key = `${clientLimit}/${maxSize}/${maxConcurrentCreates}`;
        if (!cells.has(key)) {
          cells.set(key, { clientLimit, maxSize, maxConcurrentCreates });
        }
      }
    }
  }
  return [...cells.values()];
}

/** What {@linkcode runGrid} tells its caller while it runs. */
export interface GridHooks {
  /**
   * Progress of the running configuration, for a progress line.
   * @default {undefined}
   */
  onProgress?: (text: string) => void;
  /**
   * A configuration finished: called before the next one starts.
   * @default {undefined}
   */
  onResult?: (result: CellResult, index: number) => void | Promise<void>;
}

/** What {@linkcode runGrid} returns. */
export interface GridRun {
  /** One result per configuration, in run order. */
  results: CellResult[];
  /** Configurations near the target whose load generator fell behind, with by how much. */
  lagged: string[];
}

/**
 * Runs every configuration in turn against the backend.
 *
 * @param backend Makes the pool under test, once per configuration.
 * @param cells The configurations.
 * @param load The load shape of every configuration.
 * @param targetP99Ms The latency target: a stall is worth a warning only near it.
 * @param hooks Progress and results as they come.
 * @returns The results, and the lag warnings.
 *
 * @example Results arrive one by one
 * ```ts
 * import { runGrid } from "./grid.ts";
 * import { simulatedBackend } from "./simulated.ts";
 * import assert from "node:assert/strict";
 *
 * const seen: number[] = [];
 * const { results } = await runGrid(
 *   simulatedBackend({ handshakeMs: 0, operationMs: 0, connectionRate: 0 }),
 *   [{ clientLimit: 1, maxSize: 1, maxConcurrentCreates: undefined }],
 *   { rate: 0, concurrency: 1, burst: 0, burstEverySeconds: 1, warmupSeconds: 0,
 *     durationSeconds: 0.02, seed: 1, acquireTimeoutSeconds: 1 },
 *   50,
 *   { onResult: (_, index) => void seen.push(index) },
 * );
 * assert.deepEqual(seen, [0]);
 * assert.equal(results.length, 1);
 * ```
 */
export async function runGrid(
  backend: BenchBackend,
  cells: readonly PoolSettings[],
  load: LoadShape,
  targetP99Ms: number,
  hooks: GridHooks = {},
): Promise<GridRun> {
  const results: CellResult[] = [];
  const lagged: string[] = [];
  for (const [index, settings] of cells.entries()) {
    const label = `[${index + 1}/${cells.length}] ${
      describeSettings(settings)
    }`;
    const show = (p: CellProgress) =>
      hooks.onProgress?.(
        `${label}: ${p.phase} ${
          p.seconds.toFixed(1)
        } s, ${p.inFlight} in flight` +
          (results.length
            ? `; last p99 ${
              formatMs(results[results.length - 1].latency.p99)
            } ms`
            : ""),
      );
    show({ phase: "warmup", seconds: 0, inFlight: 0 });
    const run = await runCell(backend, settings, load, show);
    results.push(run.result);
    // A stall only matters where it could flip the verdict: cells near the target.
    if (
      run.maxLagMs > LAG_WARNING_MS && run.result.latency.p99 <= 2 * targetP99Ms
    ) {
      lagged.push(
        `${describeSettings(settings)} (${formatMs(run.maxLagMs)} ms)`,
      );
    }
    await hooks.onResult?.(run.result, index);
  }
  return { results, lagged };
}
