/**
 * The pooled Cosmos DB client.
 *
 * @module
 */

import type { Container } from "@azure/cosmos";
import { pick } from "../managed/_checks.ts";
import type { ManagedLease } from "../managed/lease.ts";
import { ManagedClient } from "../managed/managed_client.ts";
import type { ManagedOperationOptions } from "../managed/pool_options.ts";
import { MANAGED_POOL_OPTION_KEYS } from "../managed/_pool_options.ts";
import { isCosmosConnectionError } from "./connection_error.ts";
import { CosmosConnector } from "./connector.ts";
import type {
  CosmosConnectionOptions,
  ManagedCosmosOptions,
} from "./options.ts";
import { COSMOS_CONNECTION_KEYS, resolveConnection } from "./_settings.ts";

/**
 * A pool of Cosmos container clients: callers share up to `maxSize` clients,
 * at most `clientLimit` at a time each; a client lives as long as the app
 * (Microsoft's advice for `CosmosClient`), unless `maxIdleSeconds` or
 * `maxLifespanSeconds` ask for recycling, and one whose operation fails with
 * a connection error ({@linkcode isCosmosConnectionError}) is replaced.
 * Nothing is opened until first use. A new client is proven by reading its
 * container: a missing database or container fails with `EntityNotFound`, a
 * refused key with `AuthenticationFailed`, at once.
 *
 * @example Constructing and closing (no request is sent)
 * ```ts
 * import { ManagedCosmos } from "@azure-clients/toolbox/cosmos";
 * import assert from "node:assert/strict";
 *
 * const cosmos = new ManagedCosmos({
 *   endpoint: "https://localhost:8081",
 *   databaseName: "shop",
 *   containerName: "orders",
 *   key: "a2V5",
 *   maxSize: 4,
 * });
 * assert.equal(cosmos.stats().size, 0);
 * await cosmos.close();
 * assert.equal(cosmos.pool.closed, true);
 * ```
 *
 * @example A misspelt option is an error
 * ```ts
 * import { ManagedCosmos } from "@azure-clients/toolbox/cosmos";
 * import assert from "node:assert/strict";
 *
 * assert.throws(
 *   () =>
 *     new ManagedCosmos({
 *       endpoint: "https://localhost:8081",
 *       databaseName: "shop",
 *       containerName: "orders",
 *       key: "a2V5",
 *       maxsize: 4,
 *     } as never),
 *   /Cannot create ManagedCosmos as 'maxsize' is not an option \(did you mean 'maxSize'\?\)/,
 * );
 * ```
 *
 * @example Using a container (needs a Cosmos account)
 * ```ts ignore
 * import { ManagedCosmos } from "@azure-clients/toolbox/cosmos";
 * import { DefaultAzureCredential } from "@azure/identity";
 *
 * const cosmos = new ManagedCosmos({
 *   endpoint: "https://myaccount.documents.azure.com:443/",
 *   databaseName: "shop",
 *   containerName: "orders",
 *   credential: new DefaultAzureCredential(),
 * });
 * const order = await cosmos.use(async (container) => {
 *   const { resource } = await container.item("o-1", "customer-7").read();
 *   return resource;
 * });
 * await cosmos.close();
 * ```
 */
export class ManagedCosmos extends ManagedClient<Container, CosmosConnector> {
  /**
   * Checks the options and makes the pool; opens nothing.
   *
   * @param options The connection and the pool's options.
   * @throws {TypeError} When an option is unknown, missing or invalid, or two
   * credentials are given (the message names the options, never a key).
   * @throws {RangeError} When a pool option is out of range (the message
   * names the option and the value).
   */
  constructor(options: ManagedCosmosOptions) {
    const settings = resolveConnection(
      "ManagedCosmos",
      options,
      MANAGED_POOL_OPTION_KEYS,
    );
    super(
      "ManagedCosmos",
      new CosmosConnector(
        pick(options, COSMOS_CONNECTION_KEYS) as CosmosConnectionOptions,
      ),
      options,
      {
        // One CosmosClient for the app's life, as Microsoft advises: an HTTP
        // client has no AMQP idle rule to beat, and idle sockets are its
        // agent's business. Recycling only when asked.
        maxIdleSeconds: Infinity,
        maxLifespanSeconds: Infinity,
        createTimeoutSeconds: 10,
        name:
          `cosmos:${settings.host}/${settings.databaseName}/${settings.containerName}`,
        isConnectionError: isCosmosConnectionError,
      },
    );
  }

  /**
   * Takes a pooled container client until the lease is released (or
   * disposed with `await using`). After a connection error call
   * `lease.invalidate()`.
   *
   * @param options A signal, and a bound on the acquire.
   * @returns The lease; `lease.client` is the container proxy.
   * @throws {TypeError} For an unknown option.
   * @throws {ConnectionsExhausted} When no client had capacity in time.
   * @throws {ConnectionFailed} When opening a client failed (`cause` is the
   * SDK's error, for example `ECONNREFUSED`).
   * @throws {EntityNotFound} When the database or the container does not
   * exist.
   * @throws {AuthenticationFailed} When the service refused the key or the
   * identity.
   * @throws {PoolClosed} After `close()`.
   *
   * @example Holding a container (needs a Cosmos account)
   * ```ts ignore
   * await using lease = await cosmos.getContainerClient();
   * await lease.client.items.create({ id: "1", pk: "a" });
   * ```
   */
  getContainerClient(
    options?: ManagedOperationOptions,
  ): Promise<ManagedLease<Container>> {
    return this.lease(options);
  }
}
