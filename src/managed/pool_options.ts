/**
 * The options every managed client shares: how its pool is sized and timed
 * ({@linkcode ManagedPoolOptions}) and how one operation waits for a pooled
 * client ({@linkcode ManagedOperationOptions}). This module imports no Azure
 * SDK.
 *
 * @module
 */

import type { ConnectionPoolOptions } from "../pool/options.ts";

/**
 * The pool options of a managed client (`ManagedCosmos`,
 * `ManagedServiceBusSender`, `ManagedEventHubProducer`): the
 * `ConnectionPoolOptions` but the connection-error check and the logger,
 * which the client sets, with the clients' own defaults. Each client's
 * options extend it with where the service is and how to authenticate.
 * Durations are seconds.
 *
 * @example Tuning a managed client's pool
 * ```ts
 * import type { ManagedPoolOptions } from "@azure-clients/toolbox/cosmos";
 * import assert from "node:assert/strict";
 *
 * const pool: ManagedPoolOptions = { maxSize: 4, clientLimit: 50, maxLifespanSeconds: Infinity };
 * assert.equal(pool.maxSize, 4);
 * ```
 */
export interface ManagedPoolOptions extends
  Omit<
    ConnectionPoolOptions,
    | "isConnectionError"
    | "logger"
    | "maxIdleSeconds"
    | "maxLifespanSeconds"
    | "createTimeoutSeconds"
    | "name"
    | "clientLimit"
  > {
  /**
   * Concurrent callers one pooled client serves at most. One AMQP
   * connection carries the sends of thousands of callers (one long-lived SDK
   * client is the SDK's own advice), and every connection the pool adds
   * costs CPU (fewer sends per network write) while it pays off only when
   * one connection's window is the limit: so the Service Bus and Event Hubs
   * clients let one connection carry as many callers as the SDK's would.
   * @default {100 (Cosmos, Blob), 1000 (Service Bus, Event Hubs)}
   */
  clientLimit?: number;
  /**
   * A client idle this long is closed and never handed out again.
   * `Infinity` means never. The HTTP clients (Cosmos, Blob) keep one client
   * for the app's life, as Microsoft advises; the AMQP clients stay under
   * the 4-minute idle timeout of Azure's load balancers and NAT.
   * @default {Infinity (Cosmos, Blob), 200 (Service Bus), 220 (Event Hubs)}
   */
  maxIdleSeconds?: number;
  /**
   * A client older than this takes no new callers and closes when its last
   * caller leaves. `Infinity` means no limit.
   * @default {Infinity}
   */
  maxLifespanSeconds?: number;
  /**
   * How long opening one client (create, then the readiness probe) may take,
   * on the clock, however busy the process. Within it, an open is aborted
   * sooner when it runs far longer than recent opens did, not counting the
   * time this process was too busy to run (see `ConnectionPoolOptions`).
   * @default {10 (Cosmos, Blob), 30 (Service Bus, Event Hubs)}
   */
  createTimeoutSeconds?: number;
  /**
   * The pool's name in log lines and errors.
   * @default {"<service>:<host>/<entity>"}
   */
  name?: string;
}

/**
 * Options of one operation of a managed client (`use`, the lease getters, and
 * the send methods, whose options extend it).
 *
 * @example Bounding the wait for a pooled client
 * ```ts
 * import type { ManagedOperationOptions } from "@azure-clients/toolbox/cosmos";
 * import assert from "node:assert/strict";
 *
 * const options: ManagedOperationOptions = {
 *   abortSignal: AbortSignal.timeout(5000),
 *   acquireTimeoutSeconds: 2,
 * };
 * assert.equal(options.acquireTimeoutSeconds, 2);
 * ```
 */
export interface ManagedOperationOptions {
  /**
   * Cancels the operation: waiting for a client (the promise rejects with the
   * signal's reason, unchanged) and the SDK call the client makes with it.
   * Inside a `use` callback, pass it on to the SDK yourself.
   * @default {undefined}
   */
  abortSignal?: AbortSignal;
  /**
   * How long this call waits for a pooled client before
   * `ConnectionsExhausted`. It bounds the acquire only, not the work done
   * with the client; unpooled clients have no acquire and ignore it.
   * @default {the client's acquireTimeoutSeconds}
   */
  acquireTimeoutSeconds?: number;
}

/**
 * What a service gives the managed-client skeleton besides the user's
 * options: its pool defaults and its connection-error check.
 *
 * @example The defaults of a service
 * ```ts
 * import type { ManagedPoolDefaults } from "@azure-clients/toolbox/cosmos";
 * import assert from "node:assert/strict";
 *
 * const defaults: ManagedPoolDefaults = {
 *   maxIdleSeconds: 200,
 *   maxLifespanSeconds: Infinity,
 *   createTimeoutSeconds: 30,
 *   name: "myservice:host/entity",
 *   isConnectionError: (error) => (error as { code?: unknown }).code === "ECONNRESET",
 * };
 * assert.equal(defaults.isConnectionError(new Error("x")), false);
 * ```
 */
export interface ManagedPoolDefaults {
  /** The default `clientLimit` (the pool's, 100, when not given). */
  clientLimit?: number;
  /** The default `maxIdleSeconds`. */
  maxIdleSeconds: number;
  /** The default `maxLifespanSeconds` (`Infinity` for none). */
  maxLifespanSeconds: number;
  /** The default `createTimeoutSeconds`. */
  createTimeoutSeconds: number;
  /** The default pool name. */
  name: string;
  /** The service's connection-error check (a pooled client that throws such an error is replaced). */
  isConnectionError: (error: unknown) => boolean;
}
