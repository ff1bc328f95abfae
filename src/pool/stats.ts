/**
 * The snapshot `pool.stats()` returns.
 *
 * @module
 */

/**
 * A plain snapshot of a pool's counts and wait-time figures; it holds no live
 * references, so it is cheap to poll and safe to serialise.
 *
 * The names say which is which: `<state>Connections` and `<state>Callers`
 * count what is in that state now; `connections<Event>`, `opens<Event>` and
 * `callers<Event>` count events since the pool was made; `isClosed` is the
 * pool's own state (`pool.closed`).
 *
 * @example Reading a snapshot
 * ```ts
 * import { ConnectionPool } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * const pool = new ConnectionPool({
 *   create: () => Promise.resolve({}),
 *   ready: () => Promise.resolve(true),
 *   close: () => Promise.resolve(),
 * });
 * await pool.use(() => {});
 * const stats = pool.stats();
 * assert.equal(stats.readyConnections, 1);
 * assert.equal(stats.connectionsCreated, 1);
 * assert.equal(stats.callersServed, 1);
 * assert.equal(JSON.parse(JSON.stringify(stats)).isClosed, false);
 * await pool.close();
 * assert.equal(pool.stats().connectionsClosed, 1);
 * ```
 */
export interface PoolStats {
  /** Ready connections that take new callers, now. */
  readyConnections: number;
  /** Connections being opened (create or ready in flight), overdue ones included, now. */
  openingConnections: number;
  /** Connections that take no new callers and close when their last caller leaves, now. */
  drainingConnections: number;
  /** Connections whose `close` is in flight, now. */
  closingConnections: number;
  /** All connections counted against `maxSize`, now: ready + opening + draining + closing. */
  size: number;
  /** Callers holding a lease, now. */
  activeCallers: number;
  /** Callers queued for capacity, now. */
  waitingCallers: number;
  /** Connections `create` returned, since the pool was made. */
  connectionsCreated: number;
  /** Connections whose `close` settled, since the pool was made. */
  connectionsClosed: number;
  /** Opens that failed (create or ready threw, ready answered false or the open timed out), since the pool was made. */
  opensFailed: number;
  /**
   * Opens running past their limit, now: given up (overdue, or by `close()`)
   * but whose `create` has not settled because the connector ignored the
   * abort, and, before any open succeeded, opens running past 0.5 s (of
   * their own time, the process's busy spells aside) with
   * another started beside them. Part of `openingConnections`; they count
   * against `maxSize` but not against `maxConcurrentCreates`, and a
   * connection one delivers late is closed.
   */
  overdueOpens: number;
  /**
   * The circuit breaker over opens, now: `closed` (opening as needed, callers
   * wait), `open` (callers that find no ready connection get
   * `ConnectionFailed` at once; a probe now and then) or `half-open` (one
   * probe in flight, callers wait for it).
   */
  breakerState: "closed" | "open" | "half-open";
  /**
   * `name: message` of the error of the most recent failed open (its type,
   * such as `string`, for a thrown non-Error), even if opens succeeded since;
   * `undefined` if none failed. The error itself comes from the connector and
   * is never kept here.
   */
  lastOpenError: string | undefined;
  /** Callers that got `ConnectionsExhausted`, since the pool was made. */
  callersTimedOut: number;
  /**
   * Callers turned away at once because `maxWaitingCallers` were already
   * waiting (they got `ConnectionsExhausted` too, not counted in
   * `callersTimedOut`), since the pool was made.
   */
  callersShed: number;
  /** Leases handed out, since the pool was made. */
  callersServed: number;
  /** Median acquire wait over the recent window, in milliseconds. */
  waitP50Ms: number;
  /** 99th-percentile acquire wait over the recent window, in milliseconds. */
  waitP99Ms: number;
  /** Whether `close()` has been called (the same as `pool.closed`). */
  isClosed: boolean;
}
