/**
 * Service Bus: the pooled {@linkcode ManagedServiceBusSender}, its
 * {@linkcode ServiceBusSenderConnector}, the unpooled {@linkcode ServiceBus}
 * with its {@linkcode ServiceBusQueueReceiver}, and their options. Loads
 * `@azure/service-bus` (and no other Azure SDK).
 *
 * One `ServiceBusClient` is one AMQP connection; every sender and receiver
 * made from it shares that connection with its own link. Service Bus closes
 * connections idle for 240 s, so the managed sender recycles a connection
 * idle for 200 s (`maxIdleSeconds`) before the service does.
 *
 * @example A pool of queue senders (nothing is opened)
 * ```ts
 * import { ManagedServiceBusSender } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * await using sender = new ManagedServiceBusSender({
 *   connectionString: "Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=k;SharedAccessKey=a2V5;UseDevelopmentEmulator=true",
 *   queueName: "orders",
 *   maxSize: 3,
 * });
 * assert.equal(sender.readyConnectionCount, 0);
 * ```
 *
 * @module
 */

// Clients
export { ManagedServiceBusSender } from "./managed_service_bus_sender.ts";
export { ServiceBus } from "./service_bus.ts";
export { ServiceBusQueueReceiver } from "./queue_receiver.ts";
export { ServiceBusSenderConnector } from "./connector.ts";
export { isServiceBusConnectionError } from "./connection_error.ts";

// Options
export type {
  ManagedServiceBusSenderOptions,
  ReceiverOptions,
  SendMessageOptions,
  SendMessagesOptions,
  ServiceBusConnectionOptions,
  ServiceBusOptions,
} from "./options.ts";

// What every managed client shares
export { ManagedClient } from "../managed/managed_client.ts";
export type { ManagedLease } from "../managed/lease.ts";
export type {
  ManagedOperationOptions,
  ManagedPoolDefaults,
  ManagedPoolOptions,
} from "../managed/pool_options.ts";
export type {
  AmqpConnectionOptions,
  AmqpCredential,
} from "../managed/amqp_options.ts";
