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
 * @example A lease given back once, by `await using` (an in-memory client)
 * ```ts
 * import { ManagedClient, type ManagedLease } from "@azure-clients/toolbox/cosmos";
 * import assert from "node:assert/strict";
 *
 * class Counters extends ManagedClient<{ hits: number }> {
 *   constructor() {
 *     super("Counters", {
 *       create: () => Promise.resolve({ hits: 0 }),
 *       ready: () => Promise.resolve(true),
 *       close: () => Promise.resolve(),
 *     }, {}, {
 *       maxIdleSeconds: 30,
 *       maxLifespanSeconds: Infinity,
 *       createTimeoutSeconds: 1,
 *       name: "counters",
 *       isConnectionError: () => false,
 *     });
 *   }
 *   getCounter(): Promise<ManagedLease<{ hits: number }>> {
 *     return this.lease();
 *   }
 * }
 *
 * await using counters = new Counters();
 * {
 *   await using lease = await counters.getCounter();
 *   lease.client.hits++;
 *   assert.equal(counters.stats().activeCallers, 1);
 * }
 * assert.equal(counters.stats().activeCallers, 0);
 * ```
 *
 * @example Holding a container client (needs a Cosmos account)
 * ```ts ignore
 * await using lease = await cosmos.getContainerClient();
 * await lease.client.items.upsert({ id: "1", pk: "a" });
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
