/**
 * Pooled Azure SDK clients: a connection pool in which each connection is
 * shared by many concurrent callers, and managed clients for Cosmos DB,
 * Service Bus and Event Hubs built on it, so an application pays the
 * connection set-up (TLS, auth, AMQP handshake) once, not per operation.
 *
 * @example A pool of shared connections
 * ```ts
 * import { ConnectionPool } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const pool = new ConnectionPool({
 *   create: () => Promise.resolve({ query: (q: string) => `result of ${q}` }),
 *   ready: () => Promise.resolve(true),
 *   close: () => Promise.resolve(),
 * }, { clientLimit: 100, maxSize: 10, maxIdleSeconds: 300 });
 * assert.equal(await pool.use((client) => client.query("q")), "result of q");
 * await pool.close();
 * ```
 *
 * @module
 */

// The pool
export { ConnectionPool } from "./src/pool/connection_pool.ts";
export { AbstractorConnector } from "./src/pool/connector.ts";
export type { Connector } from "./src/pool/connector.ts";
export { SharedTransportConnection } from "./src/pool/shared_transport_connection.ts";
export type { ConnectionState } from "./src/pool/shared_transport_connection.ts";
export type { Lease } from "./src/pool/lease.ts";
export type {
  CloseOptions,
  ConnectionPoolOptions,
  GetOptions,
  PoolLogger,
} from "./src/pool/options.ts";
export type { PoolStats } from "./src/pool/stats.ts";
export { systemClock } from "./src/pool/clock.ts";
export type { Clock } from "./src/pool/clock.ts";

// Errors callers catch
export {
  ConnectionFailed,
  ConnectionsExhausted,
  PoolClosed,
  PoolError,
} from "./src/pool/errors.ts";

// Cosmos DB
export {
  Cosmos,
  CosmosConnector,
  isCosmosConnectionError,
  ManagedCosmos,
  PatchOp,
  SimpleCosmos,
  toPatchOperations,
} from "./src/clients/cosmos.ts";
export type {
  ContainerLease,
  CosmosClientExtraOptions,
  CosmosConnectionOptions,
  CosmosOperationOptions,
  CosmosOptions,
  ManagedCosmosOptions,
  Operation,
} from "./src/clients/cosmos.ts";

// Service Bus
export {
  isServiceBusConnectionError,
  ManagedServiceBusSender,
  ServiceBus,
  ServiceBusQueueReceiver,
  ServiceBusSenderConnector,
} from "./src/clients/service_bus.ts";
export type {
  ManagedServiceBusSenderOptions,
  ReceiverOptions,
  SenderLease,
  SendMessageOptions,
  SendMessagesOptions,
  ServiceBusConnectionOptions,
  ServiceBusOptions,
} from "./src/clients/service_bus.ts";

// Event Hubs
export {
  EventHub,
  EventHubProducerConnector,
  isEventHubsConnectionError,
  ManagedEventHubProducer,
} from "./src/clients/event_hubs.ts";
export type {
  EventHubConnectionOptions,
  EventHubOptions,
  ManagedEventHubProducerOptions,
  ProducerLease,
  SendEventOptions,
  SendEventsOptions,
} from "./src/clients/event_hubs.ts";
