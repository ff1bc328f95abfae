/**
 * Event Hubs: the pooled {@linkcode ManagedEventHubProducer}, its
 * {@linkcode EventHubProducerConnector}, the unpooled
 * {@linkcode EventHubProducer}, and their options. Loads `@azure/event-hubs`
 * (and no other Azure SDK).
 *
 * `sendBatch` takes the SDK's `EventData`; `sendBody` and `sendBodies` take
 * bodies. A managed send ends by `operationTimeoutSeconds` (30); one whose
 * connection died mid-flight fails with `ConnectionLost` unless
 * `resendOnConnectionLoss` is on (Event Hubs has no duplicate detection). A
 * producer opens its send link when it opens, and is recycled after 220 s
 * idle, under the 4-minute idle timeout of Azure's load balancers and NAT
 * gateways.
 *
 * Guide: [Event Hubs](https://github.com/azure-clients/toolbox/blob/main/docs/event_hubs.md), every class, option, default and
 * error.
 *
 * @example A pool of producers (nothing is opened)
 * ```ts
 * import { ManagedEventHubProducer } from "@azure-clients/toolbox/event-hubs";
 * import assert from "node:assert/strict";
 *
 * await using hub = new ManagedEventHubProducer({
 *   connectionString: "Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=k;SharedAccessKey=a2V5;UseDevelopmentEmulator=true",
 *   eventHubName: "telemetry",
 * });
 * assert.equal(hub.readyConnectionCount, 0);
 * ```
 *
 * @module
 */

// Clients
export { ManagedEventHubProducer } from "./managed_event_hub_producer.ts";
export { EventHubProducer } from "./event_hub_producer.ts";
export { EventHubProducerConnector } from "./connector.ts";
export { isEventHubConnectionError } from "./connection_error.ts";

// Options
export type {
  EventDataInput,
  EventHubConnectionOptions,
  EventHubProducerOptions,
  EventHubSendingOptions,
  ManagedEventHubProducerOptions,
  SendBatchOptions,
  SendBodiesOptions,
  SendBodyOptions,
} from "./options.ts";

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
export { MessagingError } from "@azure/event-hubs";
