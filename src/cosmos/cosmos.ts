/**
 * One Cosmos DB client shared by every caller for the app's life, or
 * replaced after a lifespan when asked (no pool).
 *
 * @module
 */

import type { Container } from "@azure/cosmos";
import { describeValue, pick, rejectUnknownKeys } from "../managed/_checks.ts";
import type { ManagedLease } from "../managed/lease.ts";
import { leaseOf } from "../managed/_lease.ts";
import { logger } from "../managed/log.ts";
import type { ManagedOperationOptions } from "../managed/pool_options.ts";
import { OPERATION_OPTION_KEYS } from "../managed/_pool_options.ts";
import { type Clock, systemClock } from "../pool/clock.ts";
import { PoolClosed } from "../pool/errors.ts";
import { isCosmosConnectionError } from "./connection_error.ts";
import { CosmosConnector } from "./connector.ts";
import type { CosmosConnectionOptions, CosmosOptions } from "./options.ts";
import { COSMOS_CONNECTION_KEYS, resolveConnection } from "./_settings.ts";
import { SharedOpen } from "../managed/_open.ts";

/** The keys of {@linkcode CosmosOptions} besides the connection's. */
const COSMOS_OPTION_KEYS = ["maxLifespanSeconds", "clock"];

/** One client of `Cosmos` and the callers holding it. */
interface Generation {
  container: Container;
  createdAt: number;
  users: number;
  retired: boolean;
}

/**
 * One Cosmos container client kept open and shared by every caller for the
 * app's life, or replaced after `maxLifespanSeconds` when set (no pool). The client is made on first use and
 * proven like a pooled one (it reads the container, retried once), so a
 * refused endpoint fails `getContainerClient()` with `ConnectionFailed`
 * (`cause`: the SDK's error), a missing database or container with
 * `EntityNotFound`, a refused key with `AuthenticationFailed`, and the next
 * call opens anew; `close()` also tears down an open still in flight.
 *
 * @example Constructing and closing (no request is sent)
 * ```ts
 * import { Cosmos } from "@azure-clients/toolbox/cosmos";
 * import assert from "node:assert/strict";
 *
 * const cosmos = new Cosmos({
 *   endpoint: "https://localhost:8081",
 *   databaseName: "shop",
 *   containerName: "orders",
 *   key: "a2V5",
 *   maxLifespanSeconds: 300,
 * });
 * await cosmos.close();
 * assert.equal(cosmos.closed, true);
 * ```
 *
 * @example An endpoint that refuses fails the first call at once
 * ```ts
 * import { Cosmos } from "@azure-clients/toolbox/cosmos";
 * import { ConnectionFailed } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * const cosmos = new Cosmos({
 *   endpoint: "https://127.0.0.1:1/", // nothing listens on port 1
 *   databaseName: "shop",
 *   containerName: "orders",
 *   key: "a2V5",
 * });
 * await assert.rejects(
 *   cosmos.getContainerClient(),
 *   (error) =>
 *     error instanceof ConnectionFailed &&
 *     (error.cause as { code?: string }).code === "ECONNREFUSED",
 * );
 * await cosmos.close();
 * ```
 *
 * @example Sharing one client (needs a Cosmos account)
 * ```ts ignore
 * const first = await cosmos.getContainerClient();
 * const second = await cosmos.getContainerClient();
 * assert.equal(first.client, second.client); // one client until its lifespan ends
 * first.release();
 * second.release();
 * ```
 */
export class Cosmos implements AsyncDisposable {
  /** The connector that makes the client. */
  readonly connector: CosmosConnector;
  readonly #lifespanMs: number;
  readonly #clock: Clock;
  readonly #generations = new Set<Generation>();
  #current: Generation | undefined;
  readonly #opener: SharedOpen<Container>;
  #closed = false;

  /**
   * Checks the options; opens nothing.
   *
   * @param options The connection and the client lifespan.
   * @throws {TypeError} When an option is unknown, missing or invalid.
   * @throws {RangeError} When `maxLifespanSeconds` is not a positive number.
   */
  constructor(options: CosmosOptions) {
    resolveConnection("Cosmos", options, COSMOS_OPTION_KEYS);
    this.connector = new CosmosConnector(
      pick(options, COSMOS_CONNECTION_KEYS) as CosmosConnectionOptions,
    );
    const lifespan = options.maxLifespanSeconds ?? Infinity;
    if (typeof lifespan !== "number" || !(lifespan > 0)) {
      const message =
        `Cannot create Cosmos as 'maxLifespanSeconds' must be a positive number of seconds or Infinity: received ${
          describeValue(lifespan)
        }`;
      throw typeof lifespan === "number"
        ? new RangeError(message)
        : new TypeError(message);
    }
    this.#lifespanMs = lifespan * 1000;
    this.#clock = options.clock ?? systemClock;
    this.#opener = new SharedOpen(
      `Cosmos for ${this.connector.host}`,
      this.connector,
      (container) => this.#opened(container),
    );
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Takes the shared container client (making it, or a replacement after its
   * lifespan, when needed).
   *
   * @param options An abort signal (`acquireTimeoutSeconds` is accepted and
   * ignored: there is no pool to wait for).
   * @returns A lease; `lease.client` is the container proxy. Release it when
   * done.
   * @throws {TypeError} For an unknown option.
   * @throws {PoolClosed} After `close()`.
   * @throws {ConnectionFailed} When opening the client failed (`cause`: the
   * SDK's error, for example `ECONNREFUSED`).
   * @throws {EntityNotFound} When the database or the container does not
   * exist.
   * @throws {AuthenticationFailed} When the service refused the key or the
   * identity.
   * @throws {unknown} The signal's reason (the signal ends this caller's
   * wait; the open goes on for the others).
   *
   * @example Holding the container (needs a Cosmos account)
   * ```ts ignore
   * await using lease = await cosmos.getContainerClient();
   * await lease.client.items.upsert({ id: "1", pk: "a" });
   * ```
   */
  async getContainerClient(
    options?: ManagedOperationOptions,
  ): Promise<ManagedLease<Container>> {
    rejectUnknownKeys("use Cosmos", options, OPERATION_OPTION_KEYS);
    const signal = options?.abortSignal;
    for (;;) {
      if (this.#closed) throw new PoolClosed("Cosmos");
      signal?.throwIfAborted();
      const current = this.#usable();
      if (current !== undefined) {
        current.users++;
        return this.#lease(current);
      }
      await this.#opener.join(signal);
    }
  }

  /**
   * Runs `fn` with the shared container client. If `fn` throws a connection
   * error ({@linkcode isCosmosConnectionError}), the client is replaced for
   * later callers; the error is re-thrown unchanged.
   *
   * @typeParam T What `fn` resolves to.
   * @param fn The work; it receives the container proxy.
   * @param options An abort signal.
   * @returns What `fn` returned.
   * @throws {TypeError} For an unknown option.
   * @throws {PoolClosed} After `close()`.
   *
   * @example Counting items (needs a Cosmos account)
   * ```ts ignore
   * const { resources } = await cosmos.use((c) => c.items.query("SELECT VALUE COUNT(1) FROM c").fetchAll());
   * ```
   */
  async use<T>(
    fn: (container: Container) => T | Promise<T>,
    options?: ManagedOperationOptions,
  ): Promise<T> {
    const lease = await this.getContainerClient(options);
    try {
      return await fn(lease.client);
    } catch (error) {
      if (isCosmosConnectionError(error)) lease.invalidate();
      throw error;
    } finally {
      lease.release();
    }
  }

  /**
   * Closes the client now if nobody holds it, otherwise when its last caller
   * releases it; refuses new callers with `PoolClosed`.
   *
   * @returns When the clients nobody held are closed.
   */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#opener.abort(new PoolClosed("Cosmos"));
    const idle: Promise<void>[] = [];
    for (const generation of this.#generations) {
      generation.retired = true;
      if (generation.users === 0) idle.push(this.#closeGeneration(generation));
    }
    this.#current = undefined;
    await Promise.all(idle);
  }

  /**
   * Closes the client, for `await using`.
   *
   * @returns When the clients nobody held are closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #usable(): Generation | undefined {
    const current = this.#current;
    if (current === undefined) return undefined;
    if (
      !current.retired &&
      this.#clock.now() - current.createdAt < this.#lifespanMs
    ) return current;
    this.#retire(current, "lifespan");
    return undefined;
  }

  #opened(container: Container): void {
    const generation: Generation = {
      container,
      createdAt: this.#clock.now(),
      users: 0,
      retired: false,
    };
    this.#generations.add(generation);
    this.#current = generation;
    logger.info(`Cosmos ${this.connector.host} client opened`);
  }

  #retire(generation: Generation, reason: string): void {
    generation.retired = true;
    if (this.#current === generation) this.#current = undefined;
    logger.info(
      `Cosmos ${this.connector.host} client retired (${reason}), ${generation.users} callers left`,
    );
    if (generation.users === 0) {
      // not awaited: closing a Cosmos client only disposes it and its agent
      this.#closeGeneration(generation).catch(() => {});
    }
  }

  #closeGeneration(generation: Generation): Promise<void> {
    if (!this.#generations.delete(generation)) return Promise.resolve();
    return this.connector.close(generation.container);
  }

  #lease(generation: Generation): ManagedLease<Container> {
    return leaseOf(generation.container, (invalidate) => {
      if (invalidate && !generation.retired) {
        this.#retire(generation, "invalidated");
      }
      generation.users--;
      if (generation.retired && generation.users === 0) {
        // not awaited: see #retire
        this.#closeGeneration(generation).catch(() => {});
      }
    });
  }
}
