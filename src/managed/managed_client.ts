/**
 * The skeleton every managed client shares: a {@linkcode ConnectionPool} of
 * SDK clients opened by a service's connector, with `use`, a lease getter,
 * `close`, `await using`, `readyConnectionCount` and `stats()`.
 *
 * @module
 */

import { ConnectionPool } from "../pool/connection_pool.ts";
import {
  ConnectionLost,
  OperationTimeout,
  RequestFailed,
} from "../pool/errors.ts";
// The service entry points reach the pool through here, not through the root:
// bind the pool's diagnostics channels for them too.
import "../runtime/diagnostics_channel.ts";
import type { Connector } from "../pool/connector.ts";
import type { Clock } from "../pool/clock.ts";
import type { CloseOptions } from "../pool/options.ts";
import type { PoolStats } from "../pool/stats.ts";
import type { ManagedLease } from "./lease.ts";
import { managedLease } from "./_lease.ts";
import { GaveUp, InFlight } from "./_in_flight.ts";
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
  /** Operations followed for their deadline and their connection's death. */
  #inFlight: InFlight<C> | undefined = undefined;
  readonly #isConnectionError: (error: unknown) => boolean;

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
    this.#isConnectionError = defaults.isConnectionError;
    this.pool = new ConnectionPool(
      this.#watched(connector),
      poolOptionsOf(owner, options, {
        ...defaults,
        // A followed operation given up at its deadline leaves its client suspect.
        isConnectionError: (error) =>
          error instanceof GaveUp || defaults.isConnectionError(error),
      }),
    );
  }

  /**
   * The connector as the pool sees it: when the connector reports a client
   * whose connection died, or the pool closes a client, the operations in
   * flight on it are given up too.
   */
  #watched(connector: K): Connector<C> {
    const watch = connector.watch;
    return {
      create: (signal) => connector.create(signal),
      ready: (client, signal) => connector.ready(client, signal),
      close: (client) => {
        // What the SDK still holds of operations given up goes with it.
        this.#inFlight?.closed(client);
        return connector.close(client);
      },
      watch: watch === undefined
        ? undefined
        : (client, broken) =>
          watch.call(connector, client, (reason) => {
            broken(reason);
            this.#inFlight?.abandon(client, reason);
          }),
    };
  }

  /**
   * Follows every operation run through {@linkcode followed}: each is given
   * up after `timeoutMs`, or at once when its client's connection dies.
   * Called once, by a subclass's constructor.
   *
   * @param timeoutMs Each operation's deadline (`operationTimeoutSeconds`).
   * @param clock Whose timer decides deadlines (tests pass a fake one).
   */
  protected followOperations(timeoutMs: number, clock?: Clock): void {
    this.#inFlight = new InFlight(timeoutMs, clock);
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
   * Runs one operation on a pooled client, followed (see
   * {@linkcode followOperations}): it ends by its deadline, and when its
   * connection dies while it is in flight it is sent once more on a healthy
   * connection if `plan.resend` says that is safe. An error the service
   * answered with goes through `plan.translate`.
   *
   * @typeParam T What `fn` resolves to.
   * @param fn The operation; it may run twice. It passes `signal` to the
   * SDK: the caller's, or (when operations are followed) one that is aborted
   * when the attempt is given up.
   * @param options The caller's options (their signal and acquire bound).
   * @param plan What the operation is, for messages, and whether it may be
   * sent again.
   * @returns What `fn` returned.
   * @throws {OperationTimeout} When its deadline passed (its client is
   * replaced).
   * @throws {ConnectionLost} When its connection died mid-flight and it was
   * not, or could not be, sent again.
   */
  protected async followed<T>(
    fn: (client: C, signal: AbortSignal | undefined) => Promise<T>,
    options: ManagedOperationOptions | undefined,
    plan: OperationPlan,
  ): Promise<T> {
    const inFlight = this.#inFlight;
    const given = options?.abortSignal;
    if (inFlight === undefined) {
      try {
        return await this.pool.use(
          (client) => fn(client, given),
          acquireOptionsOf(options),
        );
      } catch (error) {
        throw plan.translate(error);
      }
    }
    const acquire = acquireOptionsOf(options);
    const deadline = inFlight.deadline();
    // The SDK gets the client's signal (aborted when its connection dies or
    // it closes), joined with the caller's when there is one.
    const run = (client: C) => {
      const own = inFlight.signalOf(client);
      return inFlight.track(
        client,
        fn(client, given === undefined ? own : AbortSignal.any([given, own])),
        deadline,
      );
    };
    let first: unknown;
    try {
      return await this.pool.use(run, acquire);
    } catch (error) {
      const outcome = this.#outcome(error, plan);
      // A refusal (a wrong key, a missing entity) would be refused again.
      if (
        !plan.resend || outcome instanceof RequestFailed ||
        !this.#lostMidFlight(error)
      ) throw outcome;
      first = error;
    }
    // One turn of the event loop first: when the service ends every
    // connection at once, the others' close events are still queued, and a
    // resend picked now would go out on one of them and be lost too.
    await inFlight.nextTurn();
    try {
      return await this.pool.use(run, acquire);
    } catch (error) {
      throw this.#outcome(this.#lostMidFlight(error) ? first : error, plan);
    }
  }

  /** Whether an operation's connection failed under it (it may have been delivered). */
  #lostMidFlight(error: unknown): boolean {
    if (error instanceof GaveUp) return error.reason === "lost";
    return this.#isConnectionError(error);
  }

  /** What the caller of a followed operation gets for `error`. */
  #outcome(error: unknown, plan: OperationPlan): unknown {
    if (!(error instanceof GaveUp)) return plan.translate(error);
    if (error.reason === "timeout") {
      return new OperationTimeout(
        `Cannot ${plan.what}: no answer within ${
          this.#inFlight!.timeoutMs / 1000
        } s (operationTimeoutSeconds); its connection is replaced, and the operation may have reached the service`,
      );
    }
    return new ConnectionLost(
      `Cannot ${plan.what}: the connection was ${error.detail} while it was in flight${
        plan.resend ? ", and again when sent once more" : ""
      }; it may have reached the service`,
    );
  }

  /**
   * Closes the pool: refuses new callers, waits for leases (or
   * `timeoutSeconds`), then closes every client.
   *
   * @param options How long to wait for leases.
   * @returns When every client is closed.
   */
  close(options?: CloseOptions): Promise<void> {
    return this.pool.close(options).finally(() => this.#inFlight?.close());
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

/** What a followed operation is, for {@linkcode ManagedClient.followed}. */
export interface OperationPlan {
  /** What it does and where, for messages: `send a message to queue 'q' on ns`. */
  readonly what: string;
  /** Whether it is sent once more after its connection died mid-flight. */
  readonly resend: boolean;
  /** Turns an error the service answered with into the package's. */
  readonly translate: (error: unknown) => unknown;
}
