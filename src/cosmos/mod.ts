/**
 * Cosmos DB: the pooled {@linkcode ManagedCosmos}, its
 * {@linkcode CosmosConnector}, the unpooled {@linkcode Cosmos} (one client)
 * and {@linkcode SimpleCosmos} (opened on request), their options, and patch
 * helpers. Loads `@azure/cosmos` (and no other Azure SDK).
 *
 * A client lives as long as the application by default, as Microsoft
 * advises for `CosmosClient`. A new client is proven by reading its
 * container: a wrong key fails with `AuthenticationFailed` and a missing
 * database or container with `EntityNotFound`, at once. Without
 * `agentFactory` every `CosmosClient` shares the SDK's keep-alive agent, so
 * pooling bounds concurrency but not the socket count.
 *
 * Guide: [Cosmos DB](https://github.com/azure-clients/toolbox/blob/main/docs/cosmos.md), every option, default and error.
 *
 * @example A pool of container clients (no request is sent)
 * ```ts
 * import { ManagedCosmos } from "@azure-clients/toolbox/cosmos";
 * import assert from "node:assert/strict";
 *
 * await using cosmos = new ManagedCosmos({
 *   endpoint: "https://localhost:8081",
 *   databaseName: "shop",
 *   containerName: "orders",
 *   key: "a2V5",
 *   maxSize: 4,
 * });
 * assert.equal(cosmos.readyConnectionCount, 0);
 * ```
 *
 * @module
 */

// Clients
export { ManagedCosmos } from "./managed_cosmos.ts";
export { Cosmos } from "./cosmos.ts";
export { SimpleCosmos } from "./simple_cosmos.ts";
export { CosmosConnector } from "./connector.ts";
export { isCosmosConnectionError } from "./connection_error.ts";

// Options
export type {
  CosmosClientExtraOptions,
  CosmosConnectionOptions,
  CosmosOptions,
  ManagedCosmosOptions,
} from "./options.ts";

// Patch helpers
export { PatchOp, toPatchOperations } from "./patch.ts";
export type { Operation } from "./patch.ts";

// What every managed client shares
export { ManagedClient } from "../managed/managed_client.ts";
export type { ManagedLease } from "../managed/lease.ts";
export type {
  ManagedOperationOptions,
  ManagedPoolDefaults,
  ManagedPoolOptions,
} from "../managed/pool_options.ts";
export type { OperationPlan } from "../managed/managed_client.ts";

// Errors callers catch: the package's, and the SDK's that pass through
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
} from "../pool/errors.ts";
export type { RequestFailedOptions } from "../pool/errors.ts";
export { ErrorResponse } from "@azure/cosmos";
