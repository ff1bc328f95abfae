/**
 * Cosmos DB: a pooled `ManagedCosmos`, its connector, the unpooled `Cosmos` and
 * `SimpleCosmos`, and their options. Loads `@azure/cosmos` only.
 *
 * @example Checking a connection error
 * ```ts
 * import { isCosmosConnectionError } from "@azure-clients/toolbox/cosmos";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isCosmosConnectionError(new Error("not found")), false);
 * ```
 *
 * @module
 */

// Cosmos DB
export {
  Cosmos,
  CosmosConnector,
  isCosmosConnectionError,
  ManagedCosmos,
  PatchOp,
  SimpleCosmos,
  toPatchOperations,
} from "./_cosmos.ts";
export type {
  ContainerLease,
  CosmosClientExtraOptions,
  CosmosConnectionOptions,
  CosmosOperationOptions,
  CosmosOptions,
  ManagedCosmosOptions,
  Operation,
} from "./_cosmos.ts";
