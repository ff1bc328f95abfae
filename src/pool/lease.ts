/**
 * What `pool.get()` hands a caller.
 *
 * @module
 */

import type { SharedTransportConnection } from "./shared_transport_connection.ts";

/**
 * One caller's share of a pooled connection. Give it back with `release()`
 * (idempotent), or with `await using`. After an error that shows the
 * connection is broken, call `invalidate()`: the connection gets no new
 * callers and closes when its last caller leaves (this lease is released too).
 *
 * @typeParam C The connection type.
 *
 * @example Using a lease
 * ```ts
 * import { ConnectionPool } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * const pool = new ConnectionPool({
 *   create: () => Promise.resolve({ id: 1 }),
 *   ready: () => Promise.resolve(true),
 *   close: () => Promise.resolve(),
 * });
 * const lease = await pool.get();
 * assert.equal(lease.connection.id, 1);
 * lease.release();
 * lease.release(); // safe: idempotent
 * await pool.close();
 * ```
 */
export interface Lease<C> extends AsyncDisposable {
  /** The pooled connection (the SDK client). */
  readonly connection: C;
  /** A read-only view of the shared connection behind this lease. */
  readonly shared: SharedTransportConnection;
  /** Whether `release()` or `invalidate()` was called. */
  readonly released: boolean;
  /** Gives the lease back; calling it again does nothing. */
  release(): void;
  /**
   * Marks the connection broken: no new callers get it, and it closes when
   * its last caller leaves. Also releases this lease.
   */
  invalidate(): void;
}
