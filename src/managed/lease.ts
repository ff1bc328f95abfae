/**
 * What the managed clients' lease getters (`getContainerClient`,
 * `getSender`, `getProducer`) hand a caller. This module imports nothing.
 *
 * @module
 */

/**
 * A caller's hold on a client of a managed client: a Cosmos `Container`, a
 * Service Bus sender, an Event Hubs producer. Give it back with `release()`
 * (idempotent) or `await using`; after an error that the service's
 * connection-error check recognises, call `invalidate()` so that the client
 * is replaced.
 *
 * @typeParam C The SDK client type.
 *
 * @example Holding a container client with `await using`
 * ```ts
 * import { SimpleCosmos } from "@azure-clients/toolbox/cosmos";
 * import assert from "node:assert/strict";
 *
 * await using cosmos = new SimpleCosmos({
 *   endpoint: "https://localhost:8081",
 *   databaseName: "shop",
 *   containerName: "orders",
 *   key: "a2V5",
 * });
 * {
 *   await using lease = await cosmos.getContainerClient();
 *   assert.equal(lease.client.id, "orders");
 * }
 * ```
 */
export interface ManagedLease<C> extends AsyncDisposable {
  /** The SDK client (a `Container`, a `ServiceBusSender`, an `EventHubProducerClient`). */
  readonly client: C;
  /** Whether `release()` or `invalidate()` was called. */
  readonly released: boolean;
  /** Gives the client back; calling it again does nothing. */
  release(): void;
  /**
   * Marks the client broken: no new caller gets it and it closes when its
   * last caller leaves. Also releases this lease.
   */
  invalidate(): void;
}
