/**
 * How the pool opens, proves and closes one connection.
 *
 * @module
 */

/**
 * What a {@linkcode ConnectionPool} needs to manage connections of type `C`.
 *
 * The pool calls `create` then `ready` once per connection (the readiness gate
 * shared by every caller of that connection), and `close` exactly once for
 * every connection `create` returned, whether or not it became ready. `ready`
 * may resolve a boolean or nothing: `true` and `undefined` mean ready.
 *
 * @typeParam C The connection (client) type, for example a `ServiceBusSender`.
 *
 * @example A connector for an in-memory resource
 * ```ts
 * import type { Connector } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * const connector: Connector<{ open: boolean }> = {
 *   create: () => Promise.resolve({ open: true }),
 *   ready: (c) => Promise.resolve(c.open),
 *   close: (c) => {
 *     c.open = false;
 *     return Promise.resolve();
 *   },
 * };
 * const c = await connector.create(new AbortController().signal);
 * assert.ok(await connector.ready(c, new AbortController().signal));
 * ```
 *
 * @example A `ready` that resolves nothing means ready
 * ```ts
 * import { ConnectionPool, type Connector } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * const connector: Connector<{ ping(): Promise<void> }> = {
 *   create: () => Promise.resolve({ ping: () => Promise.resolve() }),
 *   ready: (c) => c.ping(), // a Promise<void>: resolving is the proof
 *   close: () => Promise.resolve(),
 * };
 * const pool = new ConnectionPool(connector);
 * await pool.use(() => {});
 * assert.equal(pool.readyConnectionCount, 1);
 * await pool.close();
 * ```
 */
export interface Connector<C> {
  /**
   * Opens one connection.
   *
   * @param signal Aborted when the pool gives up on this open (create timeout
   * or `close()`); the connector should stop and reject.
   * @returns The new connection.
   */
  create(signal: AbortSignal): Promise<C>;
  /**
   * Proves a new connection works (its first use). Resolving `true` or
   * nothing (`undefined`, a `Promise<void>`) means ready; throwing, or
   * resolving `false` or any other value (`1`, `"true"`, `null`), fails the
   * open, and the pool then closes the connection.
   *
   * @param connection The connection `create` returned.
   * @param signal Aborted when the pool gives up on this open.
   * @returns `true` or nothing when the connection is ready for callers,
   * `false` when it is not.
   */
  ready(connection: C, signal: AbortSignal): Promise<boolean | void>;
  /**
   * Releases a connection. Called exactly once per created connection.
   *
   * @param connection The connection to close.
   */
  close(connection: C): Promise<void>;
  /**
   * Optional: watches a ready connection for its death on its own (its
   * socket closed or reset, the server closed it) and calls `broken` when
   * that happens, so that the pool stops handing it out at once instead of
   * learning it from callers' errors. The pool calls it once per connection,
   * after `ready` succeeded; calls to `broken` after the first, or after the
   * connection was retired, do nothing. Stop watching in `close`.
   *
   * @param connection A ready connection.
   * @param broken Retires the connection (it closes once its callers leave);
   * `reason` is a short word for logs and channels (`"disconnected"`), never
   * a secret.
   */
  watch?(connection: C, broken: (reason: string) => void): void;
}

/**
 * The abstract-class form of {@linkcode Connector}, named as in the
 * specification. `ready` defaults to answering `true`.
 *
 * @typeParam C The connection (client) type.
 *
 * @example Subclassing
 * ```ts
 * import { AbstractorConnector } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * class Numbers extends AbstractorConnector<number> {
 *   #next = 0;
 *   create(_signal: AbortSignal): Promise<number> {
 *     return Promise.resolve(++this.#next);
 *   }
 *   close(): Promise<void> {
 *     return Promise.resolve();
 *   }
 * }
 * const numbers = new Numbers();
 * const one = await numbers.create(new AbortController().signal);
 * assert.equal(one, 1);
 * assert.equal(await numbers.ready(one, new AbortController().signal), true);
 * ```
 */
export abstract class AbstractorConnector<C> implements Connector<C> {
  /**
   * Opens one connection.
   *
   * @param signal Aborted when the pool gives up on this open.
   * @returns The new connection.
   */
  abstract create(signal: AbortSignal): Promise<C>;

  /**
   * Proves a new connection works. The default answers `true`; an override
   * may resolve nothing (a `Promise<void>`) to mean ready, or `false` (or
   * throw) to fail the open.
   *
   * @param _connection The connection `create` returned.
   * @param _signal Aborted when the pool gives up on this open.
   * @returns `true` or nothing when ready, `false` when not.
   */
  ready(_connection: C, _signal: AbortSignal): Promise<boolean | void> {
    return Promise.resolve(true);
  }

  /**
   * Releases a connection, exactly once per created connection.
   *
   * @param connection The connection to close.
   */
  abstract close(connection: C): Promise<void>;
}
