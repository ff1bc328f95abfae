/**
 * The snapshot `pool.stats()` returns.
 *
 * @module
 */

/**
 * A plain snapshot of a pool's counts and wait-time figures; it holds no live
 * references, so it is cheap to poll and safe to serialise.
 *
 * @example Reading a snapshot
 * ```ts
 * import type { PoolStats } from "./stats.ts";
 * import assert from "node:assert/strict";
 *
 * const stats: PoolStats = {
 *   ready: 1, opening: 0, draining: 0, closing: 0, size: 1, activeCallers: 3,
 *   waitingCallers: 0, created: 1, closed: 0, failedOpens: 0, timeouts: 0,
 *   acquired: 10, waitP50Ms: 0, waitP99Ms: 0.2, closedPool: false,
 * };
 * assert.equal(JSON.parse(JSON.stringify(stats)).ready, 1);
 * ```
 */
export interface PoolStats {
  /** Ready connections that take new callers. */
  ready: number;
  /** Connections being opened (create or ready in flight). */
  opening: number;
  /** Connections that take no new callers and close when their last caller leaves. */
  draining: number;
  /** Connections whose `close` is in flight. */
  closing: number;
  /** All connections counted against `maxSize`: ready + opening + draining + closing. */
  size: number;
  /** Callers holding a lease now. */
  activeCallers: number;
  /** Callers queued for capacity now. */
  waitingCallers: number;
  /** Connections `create` returned, since the pool was made. */
  created: number;
  /** Connections whose `close` settled, since the pool was made. */
  closed: number;
  /** Opens that failed (create or ready threw, answered false or timed out). */
  failedOpens: number;
  /** Callers that got `ConnectionsExhausted`. */
  timeouts: number;
  /** Leases handed out, since the pool was made. */
  acquired: number;
  /** Median acquire wait over the recent window, in milliseconds. */
  waitP50Ms: number;
  /** 99th-percentile acquire wait over the recent window, in milliseconds. */
  waitP99Ms: number;
  /** Whether `close()` has been called. */
  closedPool: boolean;
}
