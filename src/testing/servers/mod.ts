/**
 * Local backends for testing code that uses Azure: a Service Bus namespace,
 * an Event Hubs namespace, a Cosmos DB account, a Blob Storage account
 * (Azurite) and Event Grid topics, each in this process on 127.0.0.1 and an
 * ephemeral port, that the real Azure SDKs (and this package's managed
 * clients) talk to, on Deno, Node.js and Bun. No Docker, no account, nothing
 * leaves the loopback interface. The AMQP servers can drop connections,
 * refuse tokens and delay handshakes, to test recovery.
 *
 * Kept apart from `./testing` because it needs npm packages that only tests
 * use: `rhea` (Service Bus, Event Hubs), `@vercel/cosmosdb-server` (Cosmos)
 * and `azurite` (Blob Storage). Each is loaded when its server starts, so
 * install only those your tests start, as dev dependencies. Event Grid
 * needs no package.
 *
 * Guide: [testing](https://github.com/azure-clients/toolbox/blob/main/docs/testing.md#the-local-servers).
 *
 * @example A queue, a message, and what arrived
 * ```ts
 * import { startLocalServiceBus } from "@azure-clients/toolbox/testing/servers";
 * import { ServiceBusClient } from "@azure/service-bus";
 * import assert from "node:assert/strict";
 *
 * const bus = await startLocalServiceBus({ queues: ["orders"] });
 * const client = new ServiceBusClient(bus.connectionString);
 * try {
 *   await client.createSender("orders").sendMessages({ body: { id: 1 } });
 *   assert.deepEqual(bus.messages("orders").map((m) => m.body), [{ id: 1 }]);
 * } finally {
 *   await client.close();
 *   await bus.close();
 * }
 * ```
 *
 * @module
 */

// Service Bus
export { startLocalServiceBus } from "./local_service_bus.ts";
export type {
  LocalDuplicateDetection,
  LocalEntityStats,
  LocalMessageState,
  LocalServiceBus,
  LocalServiceBusMessage,
  LocalServiceBusOptions,
  LocalSettlement,
} from "./local_service_bus.ts";

// Event Hubs
export { startLocalEventHubs } from "./local_event_hubs.ts";
export type {
  LocalEvent,
  LocalEventHubs,
  LocalEventHubsOptions,
} from "./local_event_hubs.ts";

// What the two AMQP servers share
export type { LocalAmqpFaults, LocalAmqpStats } from "./local_amqp.ts";

// Cosmos DB
export { startLocalCosmos } from "./local_cosmos.ts";
export type {
  LocalCosmos,
  LocalCosmosClientOptions,
  LocalCosmosConnectionOptions,
  LocalCosmosContainer,
  LocalCosmosOptions,
  LocalCosmosStats,
} from "./local_cosmos.ts";

// Event Grid
export { startLocalEventGrid } from "./local_event_grid.ts";
export type {
  LocalEventGrid,
  LocalEventGridAuth,
  LocalEventGridClientOptions,
  LocalEventGridEvent,
  LocalEventGridOptions,
  LocalEventGridRequest,
  LocalEventGridSchema,
  LocalEventGridStats,
  LocalEventGridTopic,
  LocalEventGridTopicOptions,
} from "./local_event_grid.ts";

// Blob Storage
export { startLocalBlobStorage } from "./local_blob_storage.ts";
export type {
  LocalBlobStorage,
  LocalBlobStorageConnectionOptions,
  LocalBlobStorageOptions,
  LocalBlobStorageStats,
  LocalBlobStorageTokenOptions,
} from "./local_blob_storage.ts";
