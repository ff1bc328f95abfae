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
import { SharedOpen } from "../managed/_open.ts";

/**
 * One Cosmos container client, opened by `getContainerClient()` and closed by
 * `close()`; nothing is recycled or pooled. The open is proven like a pooled
 * one (it reads the container, retried once), so a refused endpoint fails
 * `getContainerClient()` with `ConnectionFailed` (`cause`: the SDK's error),
 * a wrong database or container name with `EntityNotFound`, and the next
 * call opens anew; `close()` also
 * tears down an open still in flight. Its leases have the shape of the
 * pooled clients' leases: releasing one leaves the client open, invalidating
 * one closes it (the next `getContainerClient()` opens a new one).
 *
 * @example An endpoint that refuses fails at once, and nothing stays open
 * ```ts
 * import { SimpleCosmos } from "@azure-clients/toolbox/cosmos";
 * import { ConnectionFailed } from "@azure-clients/toolbox";
 * import assert from "node:assert/strict";
 *
 * const cosmos = new SimpleCosmos({
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
 * assert.equal(cosmos.isOpen, false);
 * await cosmos.close();
 * ```
 *
 * @example Opening and closing (needs a Cosmos account)
 * ```ts ignore
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
  readonly #opener: SharedOpen<Container>;
  #container: Container | undefined;

  /**
   * Checks the options; opens nothing.
   *
   * @param options The connection.
   * @throws {TypeError} When an option is unknown, missing or invalid.
   */
  constructor(options: CosmosConnectionOptions) {
    resolveConnection("SimpleCosmos", options);
    this.connector = new CosmosConnector(options);
    this.#opener = new SharedOpen(
      `SimpleCosmos for ${this.connector.host}`,
      this.connector,
      (container) => (this.#container = container),
    );
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
   * @throws {ConnectionFailed} When opening the client failed (`cause`: the
   * SDK's error, for example `ECONNREFUSED`).
   * @throws {EntityNotFound} When the database or the container does not
   * exist.
   * @throws {AuthenticationFailed} When the service refused the key or the
   * identity.
   * @throws {unknown} The signal's reason (it ends this caller's wait; the
   * open goes on for other callers).
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
    const container = this.#container ??
      await this.#opener.join(options?.abortSignal);
    return leaseOf(container, (invalidate) => {
      if (!invalidate || this.#container !== container) return;
      this.#container = undefined;
      logger.info(`SimpleCosmos ${this.connector.host} client invalidated`);
      // not awaited: closing a Cosmos client only disposes it and its agent
      this.connector.close(container).catch(() => {});
    });
  }

  /**
   * Closes the client, if open. `getContainerClient()` may open a new one
   * afterwards.
   *
   * @returns When the client is closed.
   */
  async close(): Promise<void> {
    await this.#opener.abort(
      new Error(
        `Cannot open SimpleCosmos for ${this.connector.host}: close() was called`,
      ),
    );
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
