/**
 * What the pool publishes to `node:diagnostics_channel`, for subscribers.
 *
 * - `azure-clients-toolbox:pool:acquire`, a TracingChannel around every
 *   acquire (`pool.get()` and `pool.use()`; for `use`, the acquire only, not
 *   the callback): `start`, `end`, then `asyncStart` and `asyncEnd` when the
 *   acquire settles, with `error` before them if it failed. The context is a
 *   {@linkcode PoolAcquireContext}.
 * - `azure-clients-toolbox:pool:connection`, a channel of
 *   {@linkcode PoolConnectionEvent}s: `opened`, `open-failed`, `retired`,
 *   `closed`.
 *
 * Nothing is published, and nothing is built for it, while a channel has no
 * subscriber. Messages carry names, ids, event names and error names only:
 * never a connection, a lease or a secret.
 *
 * @module
 */

/**
 * The context of one acquire on the `azure-clients-toolbox:pool:acquire`
 * TracingChannel.
 *
 * @example Reading an acquire's context in a subscriber
 * ```ts
 * import type { PoolAcquireContext } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * const context: PoolAcquireContext = { pool: "orders", connectionId: 1 };
 * assert.equal(context.pool, "orders");
 * ```
 */
export interface PoolAcquireContext {
  /** The pool's `name` (`pool#N` without one). */
  pool: string;
  /** The connection the caller got (set when the acquire succeeded). */
  connectionId?: number;
  /**
   * What the caller got instead of a lease (set by the TracingChannel on
   * failure): `ConnectionsExhausted`, `ConnectionFailed`, `PoolClosed`, a
   * `TypeError`/`RangeError` for bad options, or the signal's reason.
   */
  error?: unknown;
}

/** The events of the `azure-clients-toolbox:pool:connection` channel. */
export type PoolConnectionEventName =
  | "opened"
  | "open-failed"
  | "retired"
  | "closed";

/**
 * One message of the `azure-clients-toolbox:pool:connection` channel.
 *
 * `reason` says why: for `open-failed` the error's name (`TimeoutError`,
 * `Error`), for `retired` `idle`, `lifespan`, `invalidated`, `broken` (the
 * connector saw it die), `recycle` or `pool closing`, for `closed` the error's name when the connector's `close`
 * failed.
 *
 * @example A retired connection's message
 * ```ts
 * import type { PoolConnectionEvent } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * const message: PoolConnectionEvent = {
 *   pool: "orders",
 *   connectionId: 3,
 *   event: "retired",
 *   reason: "idle",
 * };
 * assert.equal(message.event, "retired");
 * ```
 */
export interface PoolConnectionEvent {
  /** The pool's `name` (`pool#N` without one). */
  pool: string;
  /** The connection's number within its pool (`conn#N` in logs). */
  connectionId: number;
  /** What happened. */
  event: PoolConnectionEventName;
  /** Why, when there is more to say than the event. */
  reason?: string;
}
