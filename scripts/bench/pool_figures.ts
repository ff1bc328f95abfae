/**
 * The few pool counters the bench reads. Every read of `PoolStats` in the
 * bench goes through {@linkcode poolFigures}, so a renamed stats field is
 * adapted here and nowhere else.
 *
 * @module
 */

import type { PoolStats } from "../../mod.ts";

/** What the bench reports from a pool's stats. */
export interface PoolFigures {
  /** Connections the pool opened since it was made. */
  opened: number;
  /** Leases handed out since the pool was made. */
  acquired: number;
  /** Median acquire wait over the pool's recent window, milliseconds. */
  waitP50Ms: number;
  /** 99th-percentile acquire wait over the pool's recent window, milliseconds. */
  waitP99Ms: number;
  /** Whether the pool was closed. */
  closed: boolean;
}

/**
 * Reads the bench's figures from a stats snapshot.
 *
 * @param stats What `pool.stats()` returned.
 * @returns The figures.
 *
 * @example A fresh pool's figures
 * ```ts
 * import { ConnectionPool } from "@azure-clients/toolbox";
 * import { poolFigures } from "./pool_figures.ts";
 * import assert from "node:assert/strict";
 *
 * const pool = new ConnectionPool({
 *   create: () => Promise.resolve({}),
 *   ready: () => Promise.resolve(true),
 *   close: () => Promise.resolve(),
 * });
 * await pool.use(() => Promise.resolve());
 * await pool.close();
 * const figures = poolFigures(pool.stats());
 * assert.deepEqual([figures.opened, figures.acquired, figures.closed], [1, 1, true]);
 * ```
 */
export function poolFigures(stats: PoolStats): PoolFigures {
  return {
    opened: stats.connectionsCreated,
    acquired: stats.callersServed,
    waitP50Ms: stats.waitP50Ms,
    waitP99Ms: stats.waitP99Ms,
    closed: stats.isClosed,
  };
}
