/**
 * Service Bus: {@linkcode ManagedServiceBus} (one pool of connections for a
 * namespace: senders for any queue or topic, receivers, sessions and a
 * managed processor), the pooled {@linkcode ManagedServiceBusSender} for one
 * queue or topic, the unpooled {@linkcode ServiceBus}, their connectors and
 * options. Loads `@azure/service-bus` (and no other Azure SDK).
 *
 * `sendMessages` takes the SDK's `ServiceBusMessage`s; `sendBody` and
 * `sendBodies` take bodies. A managed send ends by `operationTimeoutSeconds`
 * (30), and one whose connection died mid-flight is sent once more (it keeps
 * its `messageId`). Connections are recycled after 200 s idle, under the
 * 4-minute idle timeout of Azure's load balancers and NAT gateways.
 *
 * Guide: [Service Bus](https://github.com/azure-clients/toolbox/blob/main/docs/service_bus.md), every class, option, default and
 * error.
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
export { ManagedServiceBus } from "./managed_service_bus.ts";
export { ManagedServiceBusSender } from "./managed_service_bus_sender.ts";
export { ServiceBus } from "./service_bus.ts";
export {
  type EntitySendRunner,
  ServiceBusEntitySender,
} from "./entity_sender.ts";
export {
  BaseMessageReceiver,
  MessageReceiver,
  /** @deprecated The 0.1 name of {@linkcode MessageReceiver}. */
  MessageReceiver as ServiceBusQueueReceiver,
  SessionReceiver,
} from "./message_receiver.ts";
export {
  MessageProcessor,
  type ProcessorConnection,
} from "./message_processor.ts";
export { ServiceBusClientConnector } from "./client_connector.ts";
export { ServiceBusSenderConnector } from "./connector.ts";
export { isServiceBusConnectionError } from "./connection_error.ts";

// Options
export type {
  ManagedServiceBusOptions,
  ManagedServiceBusSenderOptions,
  ReceiverOptions,
  SendBodiesOptions,
  SendBodyOptions,
  SendMessagesOptions,
  ServiceBusConnectionOptions,
  ServiceBusMessageInput,
  ServiceBusOptions,
  ServiceBusSendingOptions,
} from "./options.ts";
export type { SequenceNumbers } from "./options.ts";
export type {
  DeadLetterOptions,
  MessageContext,
  MessageHandler,
  MessageSource,
  ProcessErrorInfo,
  ProcessErrorSource,
  ProcessMessagesOptions,
  ProcessorStats,
  QueueSource,
  StopOptions,
  SubscriptionSource,
} from "./receiver_options.ts";

// What every managed client shares
export { ManagedClient } from "../managed/managed_client.ts";
export type { ManagedLease } from "../managed/lease.ts";
export type {
  ManagedOperationOptions,
  ManagedPoolDefaults,
  ManagedPoolOptions,
} from "../managed/pool_options.ts";
export type { OperationPlan } from "../managed/managed_client.ts";
export type {
  AmqpConnectionOptions,
  AmqpCredential,
} from "../managed/amqp_options.ts";

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
export { ServiceBusError } from "@azure/service-bus";
