/**
 * Service Bus: a pooled `ManagedServiceBusSender`, its connector, the unpooled
 * `ServiceBus` with its receiver, and their options. Loads `@azure/service-bus` only.
 *
 * @example Checking a connection error
 * ```ts
 * import { isServiceBusConnectionError } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isServiceBusConnectionError(new TypeError("bad input")), false);
 * ```
 *
 * @module
 */

// Service Bus
export {
  isServiceBusConnectionError,
  ManagedServiceBusSender,
  ServiceBus,
  ServiceBusQueueReceiver,
  ServiceBusSenderConnector,
} from "./_service_bus.ts";
export type {
  ManagedServiceBusSenderOptions,
  ReceiverOptions,
  SenderLease,
  SendMessageOptions,
  SendMessagesOptions,
  ServiceBusConnectionOptions,
  ServiceBusOptions,
} from "./_service_bus.ts";
