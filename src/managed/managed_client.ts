/**
 * The skeleton every managed client shares: a {@linkcode ConnectionPool} of
 * SDK clients opened by a service's connector, with `use`, a lease getter,
 * `close`, `await using`, `readyConnectionCount` and `stats()`.
 *
 * @module
 */

import { ConnectionPool } from "../pool/connection_pool.ts";
// The service entry points reach the pool through here, not through the root:
// bind the pool's diagnostics channels for them too.
import "../runtime/diagnostics_channel.ts";
import type { Connector } from "../pool/connector.ts";
import type { CloseOptions } from "../pool/options.ts";
import type { PoolStats } from "../pool/stats.ts";
import type { ManagedLease } from "./lease.ts";
import { managedLease } from "./_lease.ts";
import { rejectUnknownKeys } from "./_checks.ts";
import {
  acquireOptionsOf,
  OPERATION_OPTION_KEYS,
  poolOptionsOf,
} from "./_pool_options.ts";
import type {
  ManagedOperationOptions,
  ManagedPoolDefaults,
  ManagedPoolOptions,
} from "./pool_options.ts";

/**
 * The base of `ManagedCosmos`, `ManagedServiceBusSender` and
 * `ManagedEventHubProducer`: a pool of SDK clients of type `C`, opened by
 * connector `K`. A service adds its connector, its options and its
 * operations; everything pool-shaped lives here.
 *
 * @typeParam C The SDK client the pool holds.
 * @typeParam K The connector that opens it.
 *
 * @example A managed client's pool (no request is sent)
 * ```ts
 * import { ManagedCosmos } from "@azure-clients/toolbox/cosmos";
 * import assert from "node:assert/strict";
 *
 * await using cosmos = new ManagedCosmos({
 *   endpoint: "https://localhost:8081",
 *   databaseName: "shop",
 *   containerName: "orders",
 *   key: "a2V5",
 * });
 * assert.equal(cosmos.readyConnectionCount, 0);
 * assert.equal(cosmos.stats().size, 0);
 * ```
 */
export abstract class ManagedClient<C, K extends Connector<C> = Connector<C>>
  implements AsyncDisposable {
  /** The pool, for `warm()`, `connections()` and its full API. */
  readonly pool: ConnectionPool<C>;
  /** The connector the pool opens clients with. */
  readonly connector: K;
  readonly #owner: string;

  /**
   * Checks the pool options under the subclass's name and makes the pool;
   * opens nothing.
   *
   * @param owner The class the user constructs, for messages.
   * @param connector The service's connector.
   * @param options The pool options the user gave.
   * @param defaults The service's defaults and connection-error check.
   * @throws {TypeError} For a pool option of the wrong type.
   * @throws {RangeError} For a pool option out of range (the message names
   * the class, the option and the value).
   */
  protected constructor(
    owner: string,
    connector: K,
    options: ManagedPoolOptions,
    defaults: ManagedPoolDefaults,
  ) {
    this.#owner = owner;
    this.connector = connector;
    this.pool = new ConnectionPool(
      connector,
      poolOptionsOf(owner, options, defaults),
    );
  }

  /** The number of ready clients that take new callers. */
  get readyConnectionCount(): number {
    return this.pool.readyConnectionCount;
  }

  /**
   * A plain snapshot of the pool's counts and wait times.
   *
   * @returns The snapshot.
   */
  stats(): PoolStats {
    return this.pool.stats();
  }

  /**
   * Runs `fn` with a pooled SDK client and gives the client back when `fn`
   * settles. If `fn` throws a connection error (the service's
   * `is…ConnectionError`), that client is invalidated; the error is
   * re-thrown unchanged either way.
   *
   * @typeParam T What `fn` resolves to.
   * @param fn The work; it receives the SDK client.
   * @param options A signal, and a bound on the acquire (not on `fn`).
   * @returns What `fn` returned.
   * @throws {TypeError} For an unknown option.
   * @throws {ConnectionsExhausted} When no client had capacity in time.
   * @throws {ConnectionFailed} When opening a client failed (`cause` is the
   * SDK's error).
   * @throws {PoolClosed} After `close()`.
   */
  use<T>(
    fn: (client: C) => T | Promise<T>,
    options?: ManagedOperationOptions,
  ): Promise<T> {
    try {
      rejectUnknownKeys(`use ${this.#owner}`, options, OPERATION_OPTION_KEYS);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.pool.use(fn, acquireOptionsOf(options));
  }

  /**
   * Takes a pooled SDK client until the lease is released (or disposed with
   * `await using`). Subclasses expose it under the service's name
   * (`getContainerClient`, `getSender`, `getProducer`).
   *
   * @param options A signal, and a bound on the acquire.
   * @returns The lease.
   * @throws {TypeError} For an unknown option.
   * @throws {ConnectionsExhausted} When no client had capacity in time.
   * @throws {ConnectionFailed} When opening a client failed.
   * @throws {PoolClosed} After `close()`.
   */
  protected async lease(
    options?: ManagedOperationOptions,
  ): Promise<ManagedLease<C>> {
    rejectUnknownKeys(`use ${this.#owner}`, options, OPERATION_OPTION_KEYS);
    return managedLease(await this.pool.get(acquireOptionsOf(options)));
  }

  /**
   * Runs one operation of the service on a pooled client; the operation has
   * checked its options already.
   *
   * @typeParam T What `fn` resolves to.
   * @param fn The operation.
   * @param options The caller's options (their signal and acquire bound).
   * @returns What `fn` returned.
   */
  protected operation<T>(
    fn: (client: C) => Promise<T>,
    options: ManagedOperationOptions | undefined,
  ): Promise<T> {
    return this.pool.use(fn, acquireOptionsOf(options));
  }

  /**
   * Closes the pool: refuses new callers, waits for leases (or
   * `timeoutSeconds`), then closes every client.
   *
   * @param options How long to wait for leases.
   * @returns When every client is closed.
   */
  close(options?: CloseOptions): Promise<void> {
    return this.pool.close(options);
  }

  /**
   * Replaces every pooled client gradually (after a key rotation or a
   * scale-out): a new client opens before an old one drains, never above
   * `maxSize`; callers keep being served.
   *
   * @returns When every client that existed at the call has closed.
   * @throws {PoolClosed} If the client is closed.
   *
   * @example Recycling after a key rotation
   * ```ts
   * import { ManagedCosmos } from "@azure-clients/toolbox/cosmos";
   * import assert from "node:assert/strict";
   *
   * await using cosmos = new ManagedCosmos({
   *   endpoint: "https://localhost:8081",
   *   databaseName: "shop",
   *   containerName: "orders",
   *   key: "a2V5",
   * });
   * await cosmos.recycle(); // nothing open yet: resolves at once
   * assert.equal(cosmos.stats().size, 0);
   * ```
   */
  recycle(): Promise<void> {
    return this.pool.recycle();
  }

  /**
   * Closes the pool, for `await using`.
   *
   * @returns When every client is closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
