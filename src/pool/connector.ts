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
 * every connection `create` returned, whether or not it became ready.
 *
 * @typeParam C The connection (client) type, for example a `ServiceBusSender`.
 *
 * @example A connector for an in-memory resource
 * ```ts
 * import type { Connector } from "./connector.ts";
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
   * Proves a new connection works (its first use). Throwing or answering
   * `false` fails the open; the pool then closes the connection.
   *
   * @param connection The connection `create` returned.
   * @param signal Aborted when the pool gives up on this open.
   * @returns Whether the connection is ready for callers.
   */
  ready(connection: C, signal: AbortSignal): Promise<boolean>;
  /**
   * Releases a connection. Called exactly once per created connection.
   *
   * @param connection The connection to close.
   */
  close(connection: C): Promise<void>;
}

/**
 * The abstract-class form of {@linkcode Connector}, named as in the
 * specification. `ready` defaults to answering `true`.
 *
 * @typeParam C The connection (client) type.
 *
 * @example Subclassing
 * ```ts
 * import { AbstractorConnector } from "./connector.ts";
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
   * Proves a new connection works. The default answers `true`.
   *
   * @param _connection The connection `create` returned.
   * @param _signal Aborted when the pool gives up on this open.
   * @returns Whether the connection is ready.
   */
  ready(_connection: C, _signal: AbortSignal): Promise<boolean> {
    return Promise.resolve(true);
  }

  /**
   * Releases a connection, exactly once per created connection.
   *
   * @param connection The connection to close.
   */
  abstract close(connection: C): Promise<void>;
}
