/**
 * Local backends for testing code that uses Azure: a Service Bus namespace,
 * an Event Hubs namespace and a Cosmos DB account, each in this process on
 * 127.0.0.1 and an ephemeral port, that the real Azure SDKs (and this
 * package's managed clients) talk to, on Deno, Node.js and Bun. No Docker, no
 * account, nothing leaves the loopback interface.
 *
 * Kept apart from `./testing` because it needs npm packages that only tests
 * use: `rhea` (Service Bus, Event Hubs) and `@vercel/cosmosdb-server`
 * (Cosmos). Each is loaded when its server starts, so install only those
 * your tests start, as dev dependencies.
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
