/**
 * Event Hubs: the pooled {@linkcode ManagedEventHubProducer}, its
 * {@linkcode EventHubProducerConnector}, the unpooled
 * {@linkcode EventHubProducer}, and their options. Loads `@azure/event-hubs`
 * (and no other Azure SDK).
 *
 * An `EventHubProducerClient` is one AMQP connection; it opens one sender link
 * per partition (or one for the gateway). The managed producer opens the
 * gateway's link when it opens a connection, and recycles a connection idle
 * for 220 s (`maxIdleSeconds`), under the 4-minute idle timeout of Azure's
 * load balancers and NAT gateways, which drop an idle flow silently.
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
