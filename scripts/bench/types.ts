/**
 * The shapes `deno task bench` passes between its runner, recommendation,
 * report and chart. Types only.
 *
 * @module
 */

import type { LatencySummary } from "./stats.ts";

/** One pool configuration of the grid. */
export interface PoolSettings {
  /** `clientLimit`: concurrent callers per connection. */
  clientLimit: number;
  /** `maxSize`: connections at most. */
  maxSize: number;
  /**
   * `maxConcurrentCreates` as passed to the pool; `undefined` means the pool's
   * default, `max(1, floor(maxSize / 3))`.
   */
  maxConcurrentCreates: number | undefined;
}

/** What one grid cell measured over its measured window (the warm-up excluded). */
export interface CellResult {
  /** The configuration measured. */
  settings: PoolSettings;
  /** `maxConcurrentCreates` after applying the pool's default. */
  effectiveMaxConcurrentCreates: number;
  /** Requests that arrived in the measured window. */
  requests: number;
  /** Requests that completed without error. */
  succeeded: number;
  /** Requests that got `ConnectionsExhausted` (their acquire timed out). */
  timeouts: number;
  /** Requests that failed otherwise (`ConnectionFailed`, an operation error). */
  errors: number;
  /** Requests that queued for capacity (acquire wait of 1 ms or more). */
  waited: number;
  /** Connections the pool opened, warm-up included. */
  opened: number;
  /** Offered load in the measured window, requests per second; 0 in closed-loop runs. */
  offeredRate: number;
  /** Successful requests per second over the measured window. */
  throughput: number;
  /** The measured window in seconds. */
  seconds: number;
  /** Acquire wait: arrival to lease, milliseconds. */
  wait: LatencySummary;
  /** Whole operation: arrival to completion (or failure), milliseconds. */
  latency: LatencySummary;
}
