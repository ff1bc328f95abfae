/**
 * One Cosmos DB client, opened on request and closed by `close()`.
 *
 * @module
 */

import type { Container } from "@azure/cosmos";
import { rejectUnknownKeys } from "../managed/_checks.ts";
import type { ManagedLease } from "../managed/lease.ts";
import { leaseOf } from "../managed/_lease.ts";
import { logger } from "../managed/log.ts";
import type { ManagedOperationOptions } from "../managed/pool_options.ts";
import { OPERATION_OPTION_KEYS } from "../managed/_pool_options.ts";
import { CosmosConnector } from "./connector.ts";
import type { CosmosConnectionOptions } from "./options.ts";
import { resolveConnection } from "./_settings.ts";

/**
 * One Cosmos container client, opened by `getContainerClient()` and closed by
 * `close()`; nothing is recycled or pooled. Its leases have the shape of the
 * pooled clients' leases: releasing one leaves the client open, invalidating
 * one closes it (the next `getContainerClient()` opens a new one).
 *
 * @example Opening and closing (no request is sent)
 * ```ts
 * import { SimpleCosmos } from "@azure-clients/toolbox/cosmos";
 * import assert from "node:assert/strict";
 *
 * const cosmos = new SimpleCosmos({
 *   endpoint: "https://localhost:8081",
 *   databaseName: "shop",
 *   containerName: "orders",
 *   key: "a2V5",
 * });
 * const lease = await cosmos.getContainerClient();
 * assert.equal(cosmos.container, lease.client);
 * lease.release();
 * await cosmos.close();
 * assert.equal(cosmos.isOpen, false);
 * ```
 */
export class SimpleCosmos implements AsyncDisposable {
  /** The connector that makes the client. */
  readonly connector: CosmosConnector;
  #container: Container | undefined;
  #opening: Promise<Container> | undefined;

  /**
   * Checks the options; opens nothing.
   *
   * @param options The connection.
   * @throws {TypeError} When an option is unknown, missing or invalid.
   */
  constructor(options: CosmosConnectionOptions) {
    resolveConnection("SimpleCosmos", options);
    this.connector = new CosmosConnector(options);
  }

  /** Whether a client is open. */
  get isOpen(): boolean {
    return this.#container !== undefined;
  }

  /**
   * The open container client.
   *
   * @throws {Error} When no client is open (call `getContainerClient()` first).
   */
  get container(): Container {
    if (this.#container === undefined) {
      throw new Error(
        "Cannot use SimpleCosmos's container: call getContainerClient() first",
      );
    }
    return this.#container;
  }

  /**
   * Opens the client unless it is open, and returns a lease on it.
   *
   * @param options An abort signal (`acquireTimeoutSeconds` is accepted and
   * ignored: there is no pool to wait for).
   * @returns The lease; `lease.client` is the container proxy.
   * @throws {TypeError} For an unknown option.
   * @throws {unknown} The signal's reason, or what making the client threw.
   *
   * @example Opening (needs a Cosmos account)
   * ```ts ignore
   * await using lease = await cosmos.getContainerClient();
   * await lease.client.items.upsert({ id: "1", pk: "a" });
   * ```
   */
  async getContainerClient(
    options?: ManagedOperationOptions,
  ): Promise<ManagedLease<Container>> {
    rejectUnknownKeys("use SimpleCosmos", options, OPERATION_OPTION_KEYS);
    const container = this.#container ?? await this.#open(options?.abortSignal);
    return leaseOf(container, (invalidate) => {
      if (!invalidate || this.#container !== container) return;
      this.#container = undefined;
      logger.info(`SimpleCosmos ${this.connector.host} client invalidated`);
      // not awaited: closing a Cosmos client only disposes it and its agent
      this.connector.close(container).catch(() => {});
    });
  }

  #open(signal: AbortSignal | undefined): Promise<Container> {
    this.#opening ??= this.connector.create(
      signal ?? new AbortController().signal,
    )
      .then((container) => (this.#container = container))
      .finally(() => (this.#opening = undefined));
    return this.#opening;
  }

  /**
   * Closes the client, if open. `getContainerClient()` may open a new one
   * afterwards.
   *
   * @returns When the client is closed.
   */
  async close(): Promise<void> {
    await this.#opening?.catch(() => {});
    const container = this.#container;
    this.#container = undefined;
    if (container !== undefined) await this.connector.close(container);
  }

  /**
   * Closes the client, for `await using`.
   *
   * @returns When the client is closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
