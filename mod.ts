/**
 * The connection pool of `azure-clients-toolbox`: {@linkcode ConnectionPool}
 * keeps a few long-lived connections and shares each one among many
 * concurrent callers (up to `clientLimit`), opens connections ahead of
 * demand, recycles idle, old and broken ones, and fails callers fast only
 * while the service is down. A {@linkcode Connector} tells it how to open,
 * prove and close your client. The package's errors ({@linkcode PoolError}
 * and its subclasses) are exported here and from every other entry point.
 *
 * This entry point loads no Azure SDK and asks Deno for no permission. The
 * managed clients live in `./cosmos`, `./service-bus` and `./event-hubs`,
 * the test helpers in `./testing` and `./testing/servers`.
 *
 * Guide: [the pool](https://github.com/azure-clients/toolbox/blob/main/docs/pool.md), every option and default; all guides:
 * [docs](https://github.com/azure-clients/toolbox/blob/main/docs/README.md).
 *
 * @example A pool of shared connections
 * ```ts
 * import { ConnectionPool } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * const pool = new ConnectionPool({
 *   create: () => Promise.resolve({ query: (q: string) => `result of ${q}` }),
 *   ready: () => Promise.resolve(true),
 *   close: () => Promise.resolve(),
 * }, { clientLimit: 100, maxSize: 10, maxIdleSeconds: 300 });
 * assert.equal(await pool.use((client) => client.query("q")), "result of q");
 * await pool.close();
 * ```
 *
 * @module
 */

// Publishes the pool's diagnostics channels where the runtime has node:diagnostics_channel.
import "./src/runtime/diagnostics_channel.ts";

// The pool
export { ConnectionPool } from "./src/pool/connection_pool.ts";
export { AbstractorConnector } from "./src/pool/connector.ts";
export type { Connector } from "./src/pool/connector.ts";
export { SharedTransportConnection } from "./src/pool/shared_transport_connection.ts";
export type { ConnectionState } from "./src/pool/shared_transport_connection.ts";
export type { Lease } from "./src/pool/lease.ts";
export type {
  CloseOptions,
  ConnectionPoolOptions,
  GetOptions,
  PoolLogger,
} from "./src/pool/options.ts";
export type { PoolStats } from "./src/pool/stats.ts";
export type {
  PoolCounter,
  PoolHistogram,
  PoolInstrumentOptions,
  PoolMeter,
  PoolMetricAttributes,
} from "./src/pool/meter.ts";
export type {
  PoolAcquireContext,
  PoolConnectionEvent,
  PoolConnectionEventName,
} from "./src/pool/channels.ts";
export { systemClock } from "./src/pool/clock.ts";
export type { Clock } from "./src/pool/clock.ts";

// Errors callers catch
export {
  AuthenticationFailed,
  ConnectionFailed,
  ConnectionLost,
  ConnectionsExhausted,
  EntityNotFound,
  OperationTimeout,
  PoolClosed,
  PoolError,
  RequestFailed,
} from "./src/pool/errors.ts";
export type { RequestFailedOptions } from "./src/pool/errors.ts";
