/**
 * The options of the Event Hubs clients.
 *
 * @module
 */

import type { EventData, EventHubClientOptions } from "@azure/event-hubs";
import type { AmqpConnectionOptions } from "../managed/amqp_options.ts";
import type {
  ManagedOperationOptions,
  ManagedPoolOptions,
} from "../managed/pool_options.ts";

/**
 * Where an event hub is and how to authenticate: the AMQP connection fields
 * ({@linkcode AmqpConnectionOptions}) and the hub.
 *
 * @example Options with a connection string
 * ```ts
 * import type { EventHubConnectionOptions } from "@azure-clients/toolbox/event-hubs";
 * import assert from "node:assert/strict";
 *
 * const options: EventHubConnectionOptions = {
 *   connectionString: "Endpoint=sb://myns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=<key>",
 *   eventHubName: "telemetry",
 * };
 * assert.equal(options.eventHubName, "telemetry");
 * ```
 */
export interface EventHubConnectionOptions
  extends AmqpConnectionOptions<EventHubClientOptions> {
  /**
   * The event hub. May be left out when the connection string has
   * `EntityPath`.
   * @default {undefined}
   */
  eventHubName?: string;
}

/**
 * Options of `ManagedEventHubProducer`: the connection, then the pool
 * ({@linkcode ManagedPoolOptions}) and how sends are bounded
 * ({@linkcode EventHubSendingOptions}). Defaults: `maxIdleSeconds` 220
 * (under the 4-minute idle timeout of Azure's load balancers and NAT, which
 * drop an idle flow silently), `maxLifespanSeconds` Infinity,
 * `createTimeoutSeconds` 30, `name` `"eventhubs:<host>/<eventHubName>"`.
 *
 * @example Tuning the pool
 * ```ts
 * import type { ManagedEventHubProducerOptions } from "@azure-clients/toolbox/event-hubs";
 * import assert from "node:assert/strict";
 *
 * const options: ManagedEventHubProducerOptions = {
 *   connectionString: "Endpoint=sb://myns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=<key>",
 *   eventHubName: "telemetry",
 *   maxSize: 2,
 * };
 * assert.equal(options.maxSize, 2);
 * ```
 */
export interface ManagedEventHubProducerOptions
  extends
    EventHubConnectionOptions,
    ManagedPoolOptions,
    EventHubSendingOptions {}

/**
 * How `ManagedEventHubProducer` bounds a send and recovers from a connection
 * that dies under it.
 *
 * @example Resending after a lost connection (duplicates possible)
 * ```ts
 * import type { EventHubSendingOptions } from "@azure-clients/toolbox/event-hubs";
 * import assert from "node:assert/strict";
 *
 * const options: EventHubSendingOptions = { resendOnConnectionLoss: true };
 * assert.equal(options.resendOnConnectionLoss, true);
 * ```
 */
export interface EventHubSendingOptions {
  /**
   * How long one send may go without the service's answer before the
   * caller gets `OperationTimeout` and its connection is replaced. A send on
   * a healthy connection answers in milliseconds; half a minute of silence
   * means a connection that is dead in all but name, which the SDK alone
   * would wait out for its 60 s operation timeout plus its 30 s retry delay.
   * A connection that dies visibly (reset, closed) fails its sends at once,
   * whatever this says.
   * @default {30}
   */
  operationTimeoutSeconds?: number;
  /**
   * Whether a send whose connection died while it was in flight is sent
   * once more on a healthy connection. Event Hubs has no duplicate
   * detection: if the first attempt was stored, the events are stored
   * twice. Off by default, so the caller gets `ConnectionLost` and decides;
   * turn it on when consumers tolerate duplicates (at-least-once delivery,
   * which is what the SDK's own retries give).
   * @default {false}
   */
  resendOnConnectionLoss?: boolean;
}

/**
 * Options of `EventHubProducer`.
 *
 * @example A producer for one hub
 * ```ts
 * import type { EventHubProducerOptions } from "@azure-clients/toolbox/event-hubs";
 * import assert from "node:assert/strict";
 *
 * const options: EventHubProducerOptions = {
 *   connectionString: "Endpoint=sb://myns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=<key>;EntityPath=telemetry",
 * };
 * assert.ok(options.connectionString);
 * ```
 */
export type EventHubProducerOptions = EventHubConnectionOptions;

/**
 * Where events go and cancellation ({@linkcode ManagedOperationOptions}):
 * options of `sendBatch`, as the SDK's `SendBatchOptions` (plus a bound on
 * the wait for a pooled producer).
 *
 * @example Keeping a device's events in order
 * ```ts
 * import type { SendBatchOptions } from "@azure-clients/toolbox/event-hubs";
 * import assert from "node:assert/strict";
 *
 * const options: SendBatchOptions = { partitionKey: "device-7" };
 * assert.equal(options.partitionKey, "device-7");
 * ```
 */
export interface SendBatchOptions extends ManagedOperationOptions {
  /**
   * Events with the same key land on the same partition (in order). Not
   * with `partitionId`.
   * @default {undefined}
   */
  partitionKey?: string;
  /**
   * Sends to this partition. Not with `partitionKey`.
   * @default {undefined}
   */
  partitionId?: string;
}

/**
 * Options of `sendBody`: where the event goes, its properties, and
 * cancellation.
 *
 * @example An event with properties
 * ```ts
 * import type { SendBodyOptions } from "@azure-clients/toolbox/event-hubs";
 * import assert from "node:assert/strict";
 *
 * const options: SendBodyOptions = {
 *   partitionKey: "device-7",
 *   properties: { unit: "celsius" },
 * };
 * assert.equal(options.properties?.unit, "celsius");
 * ```
 */
export interface SendBodyOptions extends SendBatchOptions {
  /**
   * Application properties of the event.
   * @default {undefined}
   */
  properties?: Record<string, unknown>;
  /**
   * The content type, for example `application/json`.
   * @default {undefined}
   */
  contentType?: string;
  /**
   * The message id.
   * @default {undefined}
   */
  messageId?: string;
  /**
   * The correlation id.
   * @default {undefined}
   */
  correlationId?: string;
}

/**
 * Options of `sendBodies`: where the events go, and cancellation.
 *
 * @example Bodies for one partition key
 * ```ts
 * import type { SendBodiesOptions } from "@azure-clients/toolbox/event-hubs";
 * import assert from "node:assert/strict";
 *
 * const options: SendBodiesOptions = { partitionKey: "device-7" };
 * assert.equal(options.partitionKey, "device-7");
 * ```
 */
export type SendBodiesOptions = SendBatchOptions;

/**
 * What `sendBatch` takes, as the SDK's method of that name does: a list of
 * `EventData` (`{ body, properties?, ... }`).
 *
 * @example Events in the SDK's shape
 * ```ts
 * import type { EventDataInput } from "@azure-clients/toolbox/event-hubs";
 * import assert from "node:assert/strict";
 *
 * const events: EventDataInput = [{ body: { celsius: 21 }, properties: { unit: "C" } }];
 * assert.equal(events.length, 1);
 * ```
 */
export type EventDataInput = readonly EventData[];
